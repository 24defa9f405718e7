/*
 * it_origin.c: the scripted origin server (see it_origin.h).
 *
 * Threads: pc_it_origin_start() builds the loop and the listener on the test
 * thread, then hands the loop to the origin thread, which alone touches it
 * until the stop async fires. The test thread only reads the counters and
 * recorded requests, under `lock`.
 *
 * A connection frees itself in the close callback of the second of its two
 * handles (tcp, timer). Write requests own their bytes when they are
 * copies and free themselves in their callback, which libuv runs before the
 * close callback when a connection is closed with writes pending.
 */
#include "it_origin.h"

#include "it_common.h"
#include "it_http.h"

#include <uv.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK   65536
#define STREAM_CHUNK 65536

static const char default_response[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

typedef struct oconn_s oconn_t;

struct pc_it_origin_s {
    pc_it_origin_opts_t opts;                      /* responses[] point into resp_copies */
    char *resp_copies[PC_IT_ORIGIN_MAX_RESPONSES]; /* owned */
    size_t num_responses;
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_async_t stop_async;
    uv_thread_t thread;
    int port;
    oconn_t *conns; /* live connections; loop thread only */
    size_t served;  /* responses handed out; loop thread only */

    uv_mutex_t lock; /* guards everything below */
    unsigned accepts;
    char **requests; /* owned, each owned */
    size_t *request_lens;
    size_t num_requests;
    size_t request_cap;
    pc_it_tunnel_stats_t tunnel;
};

struct oconn_s {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_shutdown_t shutdown_req;
    pc_it_origin_t *o; /* borrowed */
    oconn_t *next;
    oconn_t *prev;
    char *buf; /* owned: received, not yet framed (HTTP mode) */
    size_t len;
    size_t cap;
    int handles;
    unsigned writes;
    unsigned answered; /* requests answered on this connection */
    bool busy;
    bool closing;
    bool peer_eof;
    bool shut;
    bool stream_busy;
    uint64_t stream_off;
    char chunk[READ_CHUNK];
};

typedef struct {
    uv_write_t req;
    oconn_t *conn;
    bool is_stream;
    char bytes[]; /* owned copy, when copied */
} owrite_t;

static void after_write(oconn_t *conn, bool was_stream);

static void
on_conn_close(uv_handle_t *h)
{
    oconn_t *conn = h->data;

    if (--conn->handles > 0) {
        return;
    }
    if (conn->prev != NULL) {
        conn->prev->next = conn->next;
    } else {
        conn->o->conns = conn->next;
    }
    if (conn->next != NULL) {
        conn->next->prev = conn->prev;
    }
    free(conn->buf);
    free(conn);
}

static void
conn_close(oconn_t *conn)
{
    if (conn->closing) {
        return;
    }
    conn->closing = true;
    conn->handles = 2;
    uv_close((uv_handle_t *)&conn->tcp, on_conn_close);
    uv_close((uv_handle_t *)&conn->timer, on_conn_close);
}

static void
on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    conn_close(req->data);
}

/* Half-closes our side, then closes the connection. */
static void
conn_finish(oconn_t *conn)
{
    if (conn->shut || conn->closing) {
        return;
    }
    conn->shut = true;
    conn->shutdown_req.data = conn;
    if (uv_shutdown(&conn->shutdown_req, (uv_stream_t *)&conn->tcp, on_shutdown) != 0) {
        conn_close(conn);
    }
}

static void
on_write(uv_write_t *req, int status)
{
    owrite_t *w = (owrite_t *)req;
    oconn_t *conn = w->conn;
    bool was_stream = w->is_stream;

    free(w);
    conn->writes--;
    if (was_stream) {
        conn->stream_busy = false;
    }
    if (status != 0) {
        conn_close(conn);
        return;
    }
    after_write(conn, was_stream);
}

/* Writes n bytes; copies them unless they are owned by the origin. */
static void
conn_write(oconn_t *conn, const char *p, size_t n, bool copy, bool is_stream)
{
    owrite_t *w = pc_it_xmalloc(sizeof(*w) + (copy ? n : 0));
    uv_buf_t buf;

    w->conn = conn;
    w->is_stream = is_stream;
    if (copy) {
        memcpy(w->bytes, p, n);
        p = w->bytes;
    }
    buf = uv_buf_init((char *)p, (unsigned)n);
    if (uv_write(&w->req, (uv_stream_t *)&conn->tcp, &buf, 1, on_write) != 0) {
        free(w);
        conn_close(conn);
        return;
    }
    conn->writes++;
    if (is_stream) {
        conn->stream_busy = true;
    }
}

static void
record_request(pc_it_origin_t *o, const char *p, size_t n)
{
    char *copy = pc_it_xmalloc(n + 1);

    memcpy(copy, p, n);
    copy[n] = '\0';
    uv_mutex_lock(&o->lock);
    if (o->num_requests == o->request_cap) {
        o->request_cap = o->request_cap * 2 + 8;
        o->requests = pc_it_xrealloc(o->requests, o->request_cap * sizeof(char *));
        o->request_lens = pc_it_xrealloc(o->request_lens, o->request_cap * sizeof(size_t));
    }
    o->requests[o->num_requests] = copy;
    o->request_lens[o->num_requests] = n;
    o->num_requests++;
    uv_mutex_unlock(&o->lock);
}

static void
respond(oconn_t *conn)
{
    pc_it_origin_t *o = conn->o;
    size_t i = o->served < o->num_responses ? o->served : o->num_responses - 1;

    o->served++;
    if (o->num_responses == 0) {
        conn_write(conn, default_response, strlen(default_response), false, false);
        return;
    }
    conn_write(conn, o->opts.responses[i], o->opts.response_lens[i], false, false);
}

static void
on_delay(uv_timer_t *t)
{
    respond(t->data);
}

/* Frames buffered requests and answers the next one (HTTP mode). */
static void
serve_next(oconn_t *conn)
{
    size_t total = 0;
    int rc;

    while (!conn->busy && !conn->closing) {
        rc = pc_it_http_request_len(conn->buf, conn->len, &total);
        if (rc == PC_IT_HTTP_BAD) {
            conn_close(conn);
            return;
        }
        if (rc == PC_IT_HTTP_PARTIAL) {
            if (conn->peer_eof && conn->writes == 0) {
                conn_close(conn);
            }
            return;
        }
        if (conn->o->opts.drop_after > 0 && conn->answered >= conn->o->opts.drop_after) {
            conn_close(conn);
            return;
        }
        conn->answered++;
        record_request(conn->o, conn->buf, total);
        memmove(conn->buf, conn->buf + total, conn->len - total);
        conn->len -= total;
        if (conn->o->opts.silent) {
            continue;
        }
        conn->busy = true;
        if (conn->o->opts.delay_ms > 0) {
            uv_timer_start(&conn->timer, on_delay, conn->o->opts.delay_ms, 0);
        } else {
            respond(conn);
        }
    }
}

/* Queues the next piece of the pattern stream (TUNNEL mode). */
static void
stream_next(oconn_t *conn)
{
    pc_it_origin_t *o = conn->o;
    uint64_t left = o->opts.stream_bytes - conn->stream_off;
    size_t n = left < STREAM_CHUNK ? (size_t)left : STREAM_CHUNK;
    uint8_t piece[STREAM_CHUNK];

    if (n == 0 || conn->stream_busy || conn->closing) {
        return;
    }
    pc_it_pattern_fill(piece, n, conn->stream_off, o->opts.stream_seed);
    conn->stream_off += n;
    uv_mutex_lock(&o->lock);
    o->tunnel.sent += n;
    o->tunnel.sent_hash = pc_it_hash(o->tunnel.sent_hash, piece, n);
    uv_mutex_unlock(&o->lock);
    conn_write(conn, (const char *)piece, n, true, true);
}

/* Half-closes once the peer is done and our writes have drained. */
static void
tunnel_maybe_finish(oconn_t *conn)
{
    if (conn->peer_eof && conn->writes == 0 && conn->stream_off == conn->o->opts.stream_bytes) {
        conn_finish(conn);
    }
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void
after_write(oconn_t *conn, bool was_stream)
{
    if (conn->closing) {
        return;
    }
    if (conn->o->opts.mode == PC_IT_ORIGIN_TUNNEL) {
        if (was_stream) {
            stream_next(conn);
        } else if (!conn->peer_eof) {
            uv_read_start((uv_stream_t *)&conn->tcp, on_alloc, on_read);
        }
        tunnel_maybe_finish(conn);
        return;
    }
    conn->busy = false;
    if (conn->o->opts.close_after) {
        conn_finish(conn);
        return;
    }
    serve_next(conn);
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    oconn_t *conn = h->data;

    (void)hint;
    *buf = uv_buf_init(conn->chunk, READ_CHUNK);
}

static void
tunnel_eof(oconn_t *conn)
{
    pc_it_origin_t *o = conn->o;
    char line[64];
    int n;

    conn->peer_eof = true;
    uv_mutex_lock(&o->lock);
    o->tunnel.peer_eof = true;
    n = snprintf(line, sizeof(line), "EOF %llu %016llx\n", (unsigned long long)o->tunnel.received,
                 (unsigned long long)o->tunnel.recv_hash);
    uv_mutex_unlock(&o->lock);
    if (o->opts.report_on_eof) {
        conn_write(conn, line, (size_t)n, true, false);
    }
    tunnel_maybe_finish(conn);
}

static void
tunnel_read(oconn_t *conn, const char *p, size_t n)
{
    pc_it_origin_t *o = conn->o;

    uv_mutex_lock(&o->lock);
    o->tunnel.received += n;
    o->tunnel.recv_hash = pc_it_hash(o->tunnel.recv_hash, p, n);
    uv_mutex_unlock(&o->lock);
    if (o->opts.echo) {
        /* One echo write in flight at a time: stop reading until it is done. */
        conn_write(conn, p, n, true, false);
        uv_read_stop((uv_stream_t *)&conn->tcp);
    }
}

static void
http_read(oconn_t *conn, const char *p, size_t n)
{
    if (conn->len + n > conn->cap) {
        conn->cap = (conn->len + n) * 2;
        conn->buf = pc_it_xrealloc(conn->buf, conn->cap);
    }
    memcpy(conn->buf + conn->len, p, n);
    conn->len += n;
    serve_next(conn);
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    oconn_t *conn = s->data;
    bool tunnel = conn->o->opts.mode == PC_IT_ORIGIN_TUNNEL;

    if (nread == UV_EOF) {
        uv_read_stop(s);
        if (tunnel) {
            tunnel_eof(conn);
        } else {
            conn->peer_eof = true;
            serve_next(conn);
        }
    } else if (nread < 0) {
        conn_close(conn);
    } else if (nread > 0) {
        if (tunnel) {
            tunnel_read(conn, buf->base, (size_t)nread);
        } else {
            http_read(conn, buf->base, (size_t)nread);
        }
    }
}

static void
tunnel_reset(pc_it_origin_t *o)
{
    uv_mutex_lock(&o->lock);
    memset(&o->tunnel, 0, sizeof(o->tunnel));
    o->tunnel.recv_hash = PC_IT_HASH_INIT;
    o->tunnel.sent_hash = PC_IT_HASH_INIT;
    uv_mutex_unlock(&o->lock);
}

static void
on_connection(uv_stream_t *server, int status)
{
    pc_it_origin_t *o = server->data;
    oconn_t *conn;

    if (status != 0) {
        return;
    }
    conn = pc_it_xmalloc(sizeof(*conn));
    memset(conn, 0, offsetof(oconn_t, chunk));
    conn->o = o;
    uv_tcp_init(&o->loop, &conn->tcp);
    uv_timer_init(&o->loop, &conn->timer);
    conn->tcp.data = conn;
    conn->timer.data = conn;
    conn->next = o->conns;
    if (o->conns != NULL) {
        o->conns->prev = conn;
    }
    o->conns = conn;
    if (uv_accept(server, (uv_stream_t *)&conn->tcp) != 0) {
        conn_close(conn);
        return;
    }
    uv_mutex_lock(&o->lock);
    o->accepts++;
    uv_mutex_unlock(&o->lock);
    if (o->opts.mode == PC_IT_ORIGIN_TUNNEL) {
        tunnel_reset(o);
        stream_next(conn);
    }
    uv_read_start((uv_stream_t *)&conn->tcp, on_alloc, on_read);
}

static void
on_handle_close(uv_handle_t *h)
{
    (void)h;
}

static void
on_stop(uv_async_t *a)
{
    pc_it_origin_t *o = a->data;
    oconn_t *conn;

    uv_close((uv_handle_t *)&o->listener, on_handle_close);
    uv_close((uv_handle_t *)&o->stop_async, on_handle_close);
    for (conn = o->conns; conn != NULL; conn = conn->next) {
        conn_close(conn);
    }
}

static void
origin_thread(void *arg)
{
    pc_it_origin_t *o = arg;

    uv_run(&o->loop, UV_RUN_DEFAULT);
}

static void
copy_script(pc_it_origin_t *o, const pc_it_origin_opts_t *opts)
{
    size_t i;

    o->opts = *opts;
    for (i = 0; i < PC_IT_ORIGIN_MAX_RESPONSES && opts->responses[i] != NULL; i++) {
        size_t n =
            opts->response_lens[i] != 0 ? opts->response_lens[i] : strlen(opts->responses[i]);

        o->resp_copies[i] = pc_it_xmalloc(n + 1);
        memcpy(o->resp_copies[i], opts->responses[i], n);
        o->resp_copies[i][n] = '\0';
        o->opts.responses[i] = o->resp_copies[i];
        o->opts.response_lens[i] = n;
    }
    o->num_responses = i;
}

/* Binds and listens; reports the port. Runs on the test thread. */
static int
origin_listen(pc_it_origin_t *o)
{
    const char *ip = o->opts.bind_ip != NULL ? o->opts.bind_ip : "127.0.0.1";
    struct sockaddr_storage ss;
    int len = (int)sizeof(ss);
    int rc;

    uv_tcp_init(&o->loop, &o->listener);
    o->listener.data = o;
    rc = pc_it_sockaddr(ip, o->opts.port, &ss);
    if (rc == 0) {
        rc = uv_tcp_bind(&o->listener, (const struct sockaddr *)&ss, 0);
    }
    if (rc == 0) {
        rc = uv_listen((uv_stream_t *)&o->listener, 128, on_connection);
    }
    if (rc == 0) {
        rc = uv_tcp_getsockname(&o->listener, (struct sockaddr *)&ss, &len);
        o->port = pc_it_sockaddr_port(&ss);
    }
    return rc;
}

static void
origin_free(pc_it_origin_t *o)
{
    size_t i;

    for (i = 0; i < PC_IT_ORIGIN_MAX_RESPONSES; i++) {
        free(o->resp_copies[i]);
    }
    for (i = 0; i < o->num_requests; i++) {
        free(o->requests[i]);
    }
    free(o->requests);
    free(o->request_lens);
    uv_mutex_destroy(&o->lock);
    free(o);
}

int
pc_it_origin_start(pc_it_origin_t **out, const pc_it_origin_opts_t *opts)
{
    pc_it_origin_t *o = pc_it_xmalloc(sizeof(*o));
    int rc;

    memset(o, 0, sizeof(*o));
    *out = NULL;
    copy_script(o, opts);
    o->tunnel.recv_hash = PC_IT_HASH_INIT;
    o->tunnel.sent_hash = PC_IT_HASH_INIT;
    if (uv_mutex_init(&o->lock) != 0 || uv_loop_init(&o->loop) != 0) {
        abort();
    }
    rc = origin_listen(o);
    if (rc == 0 && (rc = uv_async_init(&o->loop, &o->stop_async, on_stop)) == 0) {
        o->stop_async.data = o;
        rc = uv_thread_create(&o->thread, origin_thread, o);
        if (rc != 0) {
            uv_close((uv_handle_t *)&o->stop_async, on_handle_close);
        }
    }
    if (rc != 0) {
        uv_close((uv_handle_t *)&o->listener, on_handle_close);
        uv_run(&o->loop, UV_RUN_DEFAULT);
        uv_loop_close(&o->loop);
        origin_free(o);
        return rc;
    }
    *out = o;
    return 0;
}

void
pc_it_origin_stop(pc_it_origin_t *o)
{
    if (o == NULL) {
        return;
    }
    uv_async_send(&o->stop_async);
    uv_thread_join(&o->thread);
    uv_loop_close(&o->loop);
    origin_free(o);
}

int
pc_it_origin_port(const pc_it_origin_t *o)
{
    return o->port;
}

unsigned
pc_it_origin_accepts(pc_it_origin_t *o)
{
    unsigned n;

    uv_mutex_lock(&o->lock);
    n = o->accepts;
    uv_mutex_unlock(&o->lock);
    return n;
}

size_t
pc_it_origin_request_count(pc_it_origin_t *o)
{
    size_t n;

    uv_mutex_lock(&o->lock);
    n = o->num_requests;
    uv_mutex_unlock(&o->lock);
    return n;
}

const char *
pc_it_origin_request(pc_it_origin_t *o, size_t i, size_t *len)
{
    const char *p = NULL;

    *len = 0;
    uv_mutex_lock(&o->lock);
    if (i < o->num_requests) {
        p = o->requests[i];
        *len = o->request_lens[i];
    }
    uv_mutex_unlock(&o->lock);
    return p;
}

pc_it_tunnel_stats_t
pc_it_origin_tunnel(pc_it_origin_t *o)
{
    pc_it_tunnel_stats_t t;

    uv_mutex_lock(&o->lock);
    t = o->tunnel;
    uv_mutex_unlock(&o->lock);
    return t;
}

typedef enum { WAIT_REQUESTS, WAIT_RECEIVED, WAIT_SENT } wait_kind_t;

static uint64_t
counter(pc_it_origin_t *o, wait_kind_t kind)
{
    uint64_t v;

    uv_mutex_lock(&o->lock);
    v = kind == WAIT_REQUESTS ? o->num_requests
                              : (kind == WAIT_RECEIVED ? o->tunnel.received : o->tunnel.sent);
    uv_mutex_unlock(&o->lock);
    return v;
}

/* Polls a counter until it reaches n; the origin thread does the work. */
static int
wait_counter(pc_it_origin_t *o, wait_kind_t kind, uint64_t n, uint64_t timeout_ms)
{
    uint64_t deadline = pc_it_now_ms() + timeout_ms;

    while (counter(o, kind) < n) {
        if (pc_it_now_ms() >= deadline) {
            return UV_ETIMEDOUT;
        }
        pc_it_sleep_ms(2);
    }
    return 0;
}

int
pc_it_origin_wait_requests(pc_it_origin_t *o, size_t n, uint64_t timeout_ms)
{
    return wait_counter(o, WAIT_REQUESTS, n, timeout_ms);
}

int
pc_it_origin_wait_received(pc_it_origin_t *o, uint64_t n, uint64_t timeout_ms)
{
    return wait_counter(o, WAIT_RECEIVED, n, timeout_ms);
}

int
pc_it_origin_wait_sent(pc_it_origin_t *o, uint64_t n, uint64_t timeout_ms)
{
    return wait_counter(o, WAIT_SENT, n, timeout_ms);
}
