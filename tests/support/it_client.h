/*
 * it_client.h: a synchronous TCP client for the tests.
 *
 * Each client owns a private uv loop that runs only inside these calls, so
 * the client reads from the socket only while the test is waiting in one of
 * them (a test that does not call in for a while is a client that does not
 * read, which is how the slow-reader test makes backpressure). Every call
 * takes a timeout and returns UV_ETIMEDOUT when it expires.
 *
 * Received bytes collect in a buffer that the wait functions inspect and the
 * consume functions remove from. In sink mode bytes are only counted and
 * hashed (pc_it_hash) instead of stored, for bulk transfers.
 */
#ifndef PC_TESTS_SUPPORT_IT_CLIENT_H
#define PC_TESTS_SUPPORT_IT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pc_it_client_s pc_it_client_t;

/* One response taken from the client buffer. */
typedef struct {
    int status;           /* from the status line */
    char *raw;            /* owned: the whole message, NUL-terminated */
    size_t raw_len;       /* head plus body */
    size_t head_len;      /* raw[0..head_len) is the head with its blank line */
    const char *body;     /* borrowed from raw: the body bytes as sent (chunked stays raw) */
    size_t body_len;      /* length of body */
    bool close_delimited; /* the body ended at the connection close */
} pc_it_response_t;

/*
 * Connects to ip:port (IPv4 or IPv6 literal). On success *out is owned by
 * the caller and released with pc_it_client_close(). Returns 0, the connect
 * error, or UV_ETIMEDOUT.
 */
int pc_it_client_connect(pc_it_client_t **out, const char *ip, int port, uint64_t timeout_ms);

/* Closes the connection and frees the client; NULL is allowed. */
void pc_it_client_close(pc_it_client_t *c);

/* The local port of the connection (for matching access log lines). */
int pc_it_client_local_port(const pc_it_client_t *c);

/*
 * Sends data[0..len) (copied) and waits until it is handed to the kernel,
 * reading meanwhile. 0, a write error, or UV_ETIMEDOUT.
 */
int pc_it_client_send(pc_it_client_t *c, const void *data, size_t len, uint64_t timeout_ms);
int pc_it_client_send_str(pc_it_client_t *c, const char *s, uint64_t timeout_ms);

/* Shuts down the write side (the peer reads EOF). 0 or an error. */
int pc_it_client_shutdown(pc_it_client_t *c, uint64_t timeout_ms);

/*
 * Waits until at least n bytes are buffered. Returns 0, the read status
 * (UV_EOF, UV_ECONNRESET, ...) if the connection ended first, or UV_ETIMEDOUT.
 */
int pc_it_client_wait_bytes(pc_it_client_t *c, size_t n, uint64_t timeout_ms);

/* Waits until the peer closes. 0 when it did (EOF or reset), else UV_ETIMEDOUT. */
int pc_it_client_wait_close(pc_it_client_t *c, uint64_t timeout_ms);

/* The read status: 0 while open, then UV_EOF or the read error. */
int pc_it_client_read_status(const pc_it_client_t *c);

/* The buffered bytes (borrowed until the next call) and their count. */
const char *pc_it_client_data(const pc_it_client_t *c, size_t *len);

/* Removes the first n buffered bytes. */
void pc_it_client_consume(pc_it_client_t *c, size_t n);

/*
 * Waits for one complete response and moves it out of the buffer into
 * *resp (free it with pc_it_response_free). head_req: it answers a HEAD.
 * Returns 0; UV_EOF if the connection closed before a whole response (the
 * partial bytes stay buffered); UV_EPROTO if the bytes are not a response;
 * or UV_ETIMEDOUT.
 */
int pc_it_client_response(pc_it_client_t *c, bool head_req, pc_it_response_t *resp,
                          uint64_t timeout_ms);

/* Frees what a response owns; safe on a zeroed struct. */
void pc_it_response_free(pc_it_response_t *resp);

/*
 * Enters sink mode: the buffered bytes and all later ones are counted and
 * hashed, not stored.
 */
void pc_it_client_sink(pc_it_client_t *c);

/* Waits until n bytes were sunk. 0, the read status, or UV_ETIMEDOUT. */
int pc_it_client_wait_sunk(pc_it_client_t *c, uint64_t n, uint64_t timeout_ms);

/* Bytes sunk so far and their pc_it_hash. */
uint64_t pc_it_client_sunk(const pc_it_client_t *c, uint64_t *hash);

#endif
