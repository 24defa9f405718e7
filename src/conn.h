/*
 * conn.h: one client connection (internal to the core).
 *
 * A connection lives on one loop for its whole life. It is driven by libuv
 * callbacks through a small state machine, per direction:
 *
 *   request side:   HEAD -> BODY -> DONE        (client -> origin, cbuf)
 *   response side:  IDLE -> HEAD -> BODY -> DONE  (origin -> client, ubuf)
 *
 *   HEAD: read and parse the request head
 *     -> policy (ACL was checked at accept; blocklist; CONNECT ports)
 *     -> CONNECTING: resolve and connect
 *     -> plain HTTP: send the rewritten head, relay the framed bodies both
 *        ways; when both sides are DONE the transaction is logged and the
 *        connection goes back to HEAD (keep-alive, pipelining) or closes.
 *     -> CONNECT: answer 200 and relay bytes both ways (tunnel.c).
 *
 * One timer per connection, armed per phase. A deadline ends the phase on
 * time whatever arrives; an idle timeout only after that long without
 * progress (pc__conn_set_deadline, pc__conn_set_timer):
 *
 *   request head            HeaderTimeout    deadline, from accept
 *   resolve + connect       ConnectTimeout   deadline (then 504)
 *   request body            IdleTimeout      idle, from the connect
 *   response head           ResponseTimeout  deadline, from the moment the
 *                                            whole request was written (504);
 *                                            an early response ends it too
 *   response body, tunnel   IdleTimeout      idle, from the response head
 *   keep-alive wait         HeaderTimeout    deadline, from the response end
 *   error reply, lingering  HeaderTimeout / 2 s  deadlines
 *
 * Files: conn.c (lifecycle, I/O primitives, replies, timers, connecting),
 * request.c (the request head), http_proxy.c (plain HTTP), tunnel.c
 * (CONNECT).
 *
 * Rules: at most one write in flight per direction, and a side is not read
 * while its buffer is being written (backpressure). The connection is freed
 * in the last close callback (open_handles reaches 0).
 *
 * Memory: a relay buffer (cbuf, ubuf) holds a block of the loop's pool
 * (buf_pool.h) only while it holds bytes. The read callback's alloc takes
 * one; once a read has been handled and once a write has completed, a
 * buffer that is empty and not used by the write in flight gives its block
 * back (pc__conn_settle_bufs). An idle tunnel or keep-alive connection
 * holds none. The access-log texts of a transaction are one heap block at
 * their real size (pc_txn_text_t), freed when the transaction is logged.
 */
#ifndef PC_CONN_H
#define PC_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <uv.h>

#include "access_log.h"
#include "buf_pool.h"
#include "conf.h"
#include "dns_cache.h"
#include "http_parse.h"
#include "portcullis/log.h"
#include "target.h"
#include "upstream.h"
#include "upstream_pool.h"

#define PC_BUF_SIZE      65536                /* relay buffer, per direction */
#define PC_HEAD_MAX      16384                /* a request head this large gets 431 */
#define PC_LINE_MAX      8192                 /* request line limit: longer gets 414 */
#define PC_MAX_HEADERS   100                  /* more fields get 431 */
#define PC_HEAD_OUT_SIZE (PC_HEAD_MAX + 1024) /* rewritten head: input + reserve */
/* Free blocks a loop's pool keeps at least (1 MiB of 64 KiB blocks); it keeps
 * as many as are in use when that is more (buf_pool.h). */
#define PC_BUF_POOL_MIN_FREE 16

/* Bounds of the access-log texts of a transaction, the NUL included. */
#define PC_TXN_METHOD_CAP  24
#define PC_TXN_TARGET_CAP  1024
#define PC_TXN_UA_CAP      256
#define PC_TXN_REFERER_CAP 512

typedef struct pc_server_s pc_server_t;
typedef struct pc_conn_s pc_conn_t;

/*
 * A fixed-capacity byte buffer; live bytes are base[off .. off+len). base is
 * NULL while the buffer holds no block (then off and len are 0): never
 * compute base + off unless len > 0 or base is known to be set.
 */
typedef struct {
    char *base; /* a block of the server's pool, or NULL */
    size_t cap; /* the block size, whether a block is held or not */
    size_t off;
    size_t len;
} pc_buf_t;

/* Drops n bytes from the front of b (the buffer restarts when empty). */
static inline void
pc__buf_consume(pc_buf_t *b, size_t n)
{
    b->off += n;
    b->len -= n;
    if (b->len == 0) {
        b->off = 0;
    }
}

/* Moves the live bytes to the start of b. Never while a write uses them. */
static inline void
pc__buf_compact(pc_buf_t *b)
{
    if (b->len > 0 && b->off != 0) {
        memmove(b->base, b->base + b->off, b->len);
    }
    b->off = 0;
}

/*
 * Before a write of all of b: compacts when the live bytes sit past the
 * middle, so that reading can go on into the room after them while the
 * write is in flight (a few bytes moved, at most half a buffer).
 */
static inline void
pc__buf_make_room(pc_buf_t *b)
{
    if (b->off > b->cap / 2) {
        pc__buf_compact(b);
    }
}

/* Bytes a read may add after the live bytes without moving them. */
static inline size_t
pc__buf_room(const pc_buf_t *b)
{
    return b->cap - b->off - b->len;
}

typedef enum { REQ_HEAD, REQ_BODY, REQ_DONE } pc_req_phase_t;
typedef enum { RESP_IDLE, RESP_HEAD, RESP_BODY, RESP_DONE } pc_resp_phase_t;
typedef enum { MODE_HTTP, MODE_TUNNEL } pc_conn_mode_t;

/*
 * The access-log texts of a transaction, cut to the PC_TXN_*_CAP bounds and
 * stored after the header in one block of their real size.
 */
typedef struct {
    const char *method; /* all four point into text[] */
    const char *target;
    const char *user_agent; /* NULL if the request had none */
    const char *referer;    /* NULL if the request had none */
    char text[];
} pc_txn_text_t;

struct pc_conn_s {
    pc_conn_t *prev, *next; /* server's list of live connections */
    pc_server_t *server;    /* borrowed; outlives every connection */
    pc_conf_t *conf;        /* ref: taken at accept, dropped at free */
    pc_access_log_t *alog;  /* borrowed from the server */
    uint64_t id;

    uv_tcp_t client;
    uv_timer_t timer;     /* one timer, armed per phase (pc__conn_set_timer) */
    uint64_t timer_ms;    /* the current phase's timeout */
    uint64_t progress_ms; /* loop time of the last progress (pc__conn_touch) */
    bool timer_deadline;  /* the phase ends at timer_ms whatever progress is made */
    pc_upstream_t *up;    /* owned; counted in open_handles until released */
    uv_write_t client_wr; /* the one write to the client in flight */
    uv_write_t up_wr;     /* the one write to the origin in flight */
    uv_shutdown_t client_sd;
    uv_shutdown_t up_sd;
    int open_handles;
    bool closing;
    bool lingering; /* response sent, client write side shut, draining input */

    pc_buf_t cbuf;  /* client -> origin; its block is returned by pc__conn_settle_bufs */
    pc_buf_t ubuf;  /* origin -> client; likewise */
    char *head_out; /* owned: rewritten request head until it is written */
    size_t head_out_len;
    char *resp_out;        /* owned: rewritten response head / error page while written */
    bool resp_out_writing; /* the client write in flight includes resp_out */
    size_t client_wlen;    /* bytes of the client write in flight taken from ubuf */
    size_t up_wlen;        /* bytes of the origin write in flight taken from cbuf */
    bool client_writing, up_writing;
    bool client_reading; /* (the origin side's read state is kept by the upstream) */
    bool client_eof, up_eof;
    bool up_connected;
    bool up_reused;            /* the origin connection came from the pool (this transaction) */
    bool up_retried;           /* the request was resent once on a fresh connection */
    bool resp_extra;           /* the origin sent bytes past the response: never reuse it */
    bool client_shut, up_shut; /* write side shut down (tunnel half-close) */

    /* The current transaction. */
    pc_conn_mode_t mode;
    pc_req_phase_t req;
    pc_resp_phase_t resp;
    pc_target_t target;
    pc_http_framing_t req_fr, resp_fr;
    uint64_t req_left, resp_left; /* Content-Length bytes still to relay */
    pc_chunked_t req_ch, resp_ch;
    bool body_ends_after_write; /* the request write in flight completes the body */
    bool resp_ends_after_write; /* the response write in flight completes the body */
    bool is_head;
    int client_minor;
    bool close_after;          /* close the client once this transaction is done */
    bool resp_started;         /* a response byte went to the client */
    bool txn_active;           /* a transaction has begun and is not logged yet */
    pc_verdict_t host_verdict; /* policy stage 1 (the target host) */
    pc_verdict_t verdict;      /* the decision so far: stage 1, then the address used */
    const char *refused_by;    /* static: "acl", "port" or "admin" when those refused it */
    bool admin_refused;        /* a resolved address was the admin listener's */
    size_t head_scanned;       /* bytes of the head already searched for a LF */

    pc_addr_t peer_addr; /* the client's address */
    bool addr_counted;   /* counted in the server's per-address table */

    /* For the access log. */
    char peer[64];
    pc_txn_text_t *txt;        /* owned: from the parsed head until logged; NULL before */
    pc_sockaddr_any_t up_addr; /* the origin connected to; AF_UNSPEC if none */
    unsigned txns;             /* transactions begun on this connection */
    int status;
    uint64_t bytes_in, bytes_out;
    uint64_t start_loop_ms;
    int64_t start_wall_ms;
};

/* Lifecycle (conn.c). */
/*
 * Accepts one client from listener and starts reading its first request.
 * conf: the caller has taken a reference for the connection; it is dropped
 * through pc__server_conn_closed() when the connection is freed.
 */
int pc_conn_accept(pc_server_t *s, uv_stream_t *listener, pc_conf_t *conf, pc_access_log_t *alog,
                   uint64_t id);
void pc_conn_close(pc_conn_t *c);
bool pc_conn_is_idle(const pc_conn_t *c);
/*
 * Starts a phase: the connection times out after ms without progress.
 * pc__conn_touch() records progress; it only stores the loop time, and the
 * timer, when it fires, waits out what is left instead of being re-armed on
 * every read and write.
 */
void pc__conn_set_timer(pc_conn_t *c, uint64_t ms);
/*
 * Starts a phase that must end within ms whatever arrives (the request
 * head, connecting, the response head): progress is ignored until the next
 * pc__conn_set_timer() or pc__conn_set_deadline().
 */
void pc__conn_set_deadline(pc_conn_t *c, uint64_t ms);
/* Starts the clock and the access-log record of a transaction. */
void pc__conn_txn_begin(pc_conn_t *c);
/* The transaction's method as text, "" before its head was parsed. */
const char *pc__conn_method(const pc_conn_t *c);
/*
 * Gives back to the pool the block of each relay buffer that is empty and
 * not used by the write in flight. Safe to call at any time.
 */
void pc__conn_settle_bufs(pc_conn_t *c);
void pc__conn_finish_txn(pc_conn_t *c);
void pc__conn_reply_error(pc_conn_t *c, int status, const char *detail);
void pc__conn_read_client(pc_conn_t *c, bool on);
void pc__conn_read_up(pc_conn_t *c, bool on);
int pc__conn_write_client(pc_conn_t *c, const char *p, size_t n, size_t from_ubuf);
/*
 * Writes the response head in resp_out (head_len bytes) and the first
 * body_len bytes of ubuf in one system call; resp_out is freed and the body
 * bytes consumed when it completes.
 */
int pc__conn_write_client_head(pc_conn_t *c, size_t head_len, size_t body_len);
int pc__conn_write_up(pc_conn_t *c, const char *p, size_t n, size_t from_cbuf);
void pc__conn_release_up(pc_conn_t *c);
/*
 * Resends the request on a fresh origin connection when a reused one failed
 * before answering (the origin had closed it as it was taken). Returns false
 * when that is not allowed: not reused, already retried, a body was sent, or
 * a byte of the response arrived.
 */
bool pc__conn_retry_fresh(pc_conn_t *c);
void pc__conn_connect(pc_conn_t *c);

static inline void
pc__conn_touch(pc_conn_t *c)
{
    c->progress_ms = uv_now(c->client.loop);
}

/* Reading and dispatching the request head (request.c). */
void pc__request_parse_head(pc_conn_t *c);

/* Plain HTTP forwarding (http_proxy.c). */
void pc__http_start(pc_conn_t *c, const pc_http_request_t *req, size_t head_len);
void pc__http_on_connected(pc_conn_t *c);
void pc__http_on_client_data(pc_conn_t *c);
void pc__http_on_up_data(pc_conn_t *c);
void pc__http_on_client_written(pc_conn_t *c);
void pc__http_on_up_written(pc_conn_t *c);
void pc__http_on_up_eof(pc_conn_t *c, int err);

/* CONNECT tunnels (tunnel.c). */
void pc__tunnel_on_connected(pc_conn_t *c);
void pc__tunnel_on_client_data(pc_conn_t *c);
void pc__tunnel_on_up_data(pc_conn_t *c);
void pc__tunnel_on_client_written(pc_conn_t *c);
void pc__tunnel_on_up_written(pc_conn_t *c);
void pc__tunnel_on_eof(pc_conn_t *c, bool from_client);

/* The destination policy (policy_gate.c). */
/* Stage 1 on c->target; on refusal answers 403 and returns false. */
bool pc__gate_host(pc_conn_t *c);
/* Stage 2, the upstream's admit callback (data is the connection). */
bool pc__gate_addr(const struct sockaddr *sa, void *data);
/* Answers 403 when every resolved address was refused (c->verdict says why). */
void pc__gate_refuse_addresses(pc_conn_t *c);
/* Answers 403 to a CONNECT whose port is not a ConnectPort. */
void pc__gate_refuse_port(pc_conn_t *c);
/* The access log's decision field for the transaction. */
void pc__gate_decision(const pc_conn_t *c, char *out, size_t cap);

/* Server hooks used by connections (server.c). */
void pc__server_conn_opened(pc_server_t *s, pc_conn_t *c);
void pc__server_conn_closed(pc_server_t *s, pc_conn_t *c);
bool pc__server_stopping(const pc_server_t *s);
/* The current snapshot (borrowed): a keep-alive connection moves to it per request. */
pc_conf_t *pc__server_conf(const pc_server_t *s);
/*
 * Counts one more connection from a (MaxClientsPerAddress); returns how
 * many there are now, or 0 when the table cannot grow. Released when the
 * connection closes, if c->addr_counted.
 */
unsigned pc__server_addr_acquire(pc_server_t *s, const pc_addr_t *a);

/* True if sa is the admin listener's address (see pc_server_set_admin_address). */
bool pc__server_is_admin(const pc_server_t *s, const struct sockaddr *sa);

/* The loop's resolution cache (NULL when there is none). */
pc_dns_cache_t *pc__server_dns(pc_server_t *s);
/* The loop's pool of relay blocks (always there). */
pc_buf_pool_t *pc__server_bufs(pc_server_t *s);
/* The loop's idle origin connections (NULL when there is none, or stopping). */
pc_upstream_pool_t *pc__server_pool(pc_server_t *s);

/* A new request id, from the sequence connection ids come from. */
uint64_t pc__server_next_id(pc_server_t *s);

#endif
