/*
 * it_origin.h: a scripted origin server for the integration tests.
 *
 * Each origin listens on a loopback address and runs its own uv loop on a
 * uv_thread_t, so it serves while the test thread blocks in client calls.
 * The script is fixed when it starts (pc_it_origin_opts_t is copied); the
 * test thread reads what the origin observed through the accessors below,
 * which take the origin's mutex.
 *
 * HTTP mode: requests are split with it_http (Content-Length or chunked
 * body), recorded raw in arrival order, and answered one at a time in order
 * with the canned responses (the n-th request gets responses[n], the last
 * response repeats). Options make it slow (delay), close-delimited or
 * dying (close_after: shut down and close after the canned bytes), or mute.
 *
 * TUNNEL mode (CONNECT target): counts and hashes what it receives; can echo
 * it back, stream a number of pattern bytes (one 64 KiB write in flight at
 * a time, so the origin itself never buffers), and on EOF from the peer
 * either write a report line "EOF <bytes> <hash as 16 hex digits>\n" or just
 * finish its own writes; then it shuts down its side and closes.
 */
#ifndef PC_TESTS_SUPPORT_IT_ORIGIN_H
#define PC_TESTS_SUPPORT_IT_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PC_IT_ORIGIN_MAX_RESPONSES 8

typedef enum { PC_IT_ORIGIN_HTTP = 0, PC_IT_ORIGIN_TUNNEL } pc_it_origin_mode_t;

typedef struct {
    pc_it_origin_mode_t mode;
    const char *bind_ip; /* "127.0.0.1" when NULL, or "::1" */
    int port;            /* 0 = ephemeral */

    /* HTTP mode. The strings are copied. A length of 0 means strlen(). */
    const char *responses[PC_IT_ORIGIN_MAX_RESPONSES];
    size_t response_lens[PC_IT_ORIGIN_MAX_RESPONSES];
    unsigned delay_ms;   /* wait this long before each response */
    bool close_after;    /* shut down and close after each response */
    bool silent;         /* record requests, never answer */
    unsigned drop_after; /* > 0: after that many answers on a connection, close it when the
                            next request arrives, unanswered and unrecorded (an origin whose
                            keep-alive timeout ran out just as the request came) */

    /* TUNNEL mode. */
    bool echo;             /* write back what arrives */
    uint64_t stream_bytes; /* send this many pattern bytes (seed stream_seed) */
    uint64_t stream_seed;
    bool report_on_eof; /* on peer EOF write the report line */
} pc_it_origin_opts_t;

/* What a tunnel connection saw (the most recent one). */
typedef struct {
    uint64_t received;
    uint64_t recv_hash; /* pc_it_hash of the received bytes */
    uint64_t sent;
    uint64_t sent_hash;
    bool peer_eof;
} pc_it_tunnel_stats_t;

typedef struct pc_it_origin_s pc_it_origin_t;

/*
 * Binds, listens and starts the origin thread. On success *out is owned by
 * the caller and released with pc_it_origin_stop(). Returns 0 or the bind
 * error (e.g. UV_EADDRNOTAVAIL when ::1 is missing).
 */
int pc_it_origin_start(pc_it_origin_t **out, const pc_it_origin_opts_t *opts);

/* Stops the thread, closes every connection and frees; NULL is allowed. */
void pc_it_origin_stop(pc_it_origin_t *o);

/* The bound port. */
int pc_it_origin_port(const pc_it_origin_t *o);

/* How many connections the origin has accepted. */
unsigned pc_it_origin_accepts(pc_it_origin_t *o);

/* How many complete requests were recorded. */
size_t pc_it_origin_request_count(pc_it_origin_t *o);

/* Waits until at least n requests were recorded. 0 or UV_ETIMEDOUT. */
int pc_it_origin_wait_requests(pc_it_origin_t *o, size_t n, uint64_t timeout_ms);

/*
 * The i-th recorded request, raw (head and body as received), or NULL. The
 * bytes stay valid until pc_it_origin_stop().
 */
const char *pc_it_origin_request(pc_it_origin_t *o, size_t i, size_t *len);

/* A snapshot of the tunnel counters. */
pc_it_tunnel_stats_t pc_it_origin_tunnel(pc_it_origin_t *o);

/* Waits until the tunnel received n bytes. 0 or UV_ETIMEDOUT. */
int pc_it_origin_wait_received(pc_it_origin_t *o, uint64_t n, uint64_t timeout_ms);

/* Waits until the tunnel sent n bytes. 0 or UV_ETIMEDOUT. */
int pc_it_origin_wait_sent(pc_it_origin_t *o, uint64_t n, uint64_t timeout_ms);

#endif
