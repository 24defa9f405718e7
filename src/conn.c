/*
 * conn.c: one client connection: accept (with the client ACL), the read and
 * write callbacks, the I/O primitives every phase uses, error replies, the
 * timer, connecting to the origin, the end of a transaction and closing.
 *
 * The state machine is described in conn.h. The request head is read in
 * request.c, plain HTTP forwarding lives in http_proxy.c and CONNECT tunnels
 * in tunnel.c; all of them drive I/O only through the pc__conn_* primitives
 * here, which enforce "one write in flight per direction" and keep the byte
 * counters.
 */
#include "conn.h"
#include "server.h"

#include "http_reply.h"
#include "portcullis/error.h"
#include "sockaddr.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define LINGER_MS 2000 /* how long to drain a client after a final error reply */

static void on_client_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static void on_up_read(void *owner, ssize_t nread, const uv_buf_t *buf);
static void on_timer(uv_timer_t *t);

/* ---- helpers ------------------------------------------------------------ */

static int
status_for(int err)
{
    switch (err) {
    case UV_ETIMEDOUT:
    case UV_EAI_AGAIN:
    case PC_E_TIMEOUT:
        return 504;
    default:
        return 502;
    }
}

static pc_uperr_t
upstream_error_kind(int err)
{
    switch (err) {
    case UV_EAI_NONAME:
    case UV_EAI_NODATA:
    case UV_EAI_FAIL:
    case UV_EAI_ADDRFAMILY:
    case UV_EAI_AGAIN:
        return PC_UPERR_DNS;
    case UV_ETIMEDOUT:
    case PC_E_TIMEOUT:
        return PC_UPERR_CONNECT_TIMEOUT;
    default:
        return PC_UPERR_CONNECT;
    }
}

static const char *
detail_for(int err)
{
    switch (err) {
    case UV_EAI_NONAME:
    case UV_EAI_NODATA:
    case UV_EAI_FAIL:
    case UV_EAI_ADDRFAMILY:
        return "cannot resolve host";
    case UV_EAI_AGAIN:
        return "no answer from the name server (timed out or unreachable)";
    case UV_ECONNREFUSED:
        return "connection refused by origin";
    case UV_ETIMEDOUT:
    case PC_E_TIMEOUT:
        return "timed out connecting to origin";
    default:
        return "cannot connect to origin";
    }
}

void
pc__conn_set_timer(pc_conn_t *c, uint64_t ms)
{
    if (!c->closing) {
        c->timer_ms = ms;
        c->timer_deadline = false;
        c->progress_ms = uv_now(c->client.loop);
        uv_timer_start(&c->timer, on_timer, ms, 0);
    }
}

void
pc__conn_set_deadline(pc_conn_t *c, uint64_t ms)
{
    pc__conn_set_timer(c, ms);
    c->timer_deadline = true;
}

/* ---- relay blocks --------------------------------------------------------- */

/* Gives b's block (if any) back to the loop's pool; b is then empty. */
static void
buf_drop(pc_conn_t *c, pc_buf_t *b)
{
    if (b->base != NULL) {
        pc_buf_pool_put(pc__server_bufs(c->server), b->base);
        b->base = NULL;
    }
    b->off = 0;
    b->len = 0;
}

void
pc__conn_settle_bufs(pc_conn_t *c)
{
    /* A write in flight uses up_wlen bytes of cbuf and client_wlen of ubuf;
     * those stay counted in len until it completes, so an empty buffer is
     * never one a write still reads from. The flags are checked as well. */
    if (c->cbuf.len == 0 && !(c->up_writing && c->up_wlen > 0)) {
        buf_drop(c, &c->cbuf);
    }
    if (c->ubuf.len == 0 && !(c->client_writing && c->client_wlen > 0)) {
        buf_drop(c, &c->ubuf);
    }
}

/* ---- closing ------------------------------------------------------------ */

static void
conn_free(pc_conn_t *c)
{
    /* Every handle is closed, so no write uses the blocks; they go back
     * before the server may be freed with its pool. */
    buf_drop(c, &c->cbuf);
    buf_drop(c, &c->ubuf);
    free(c->txt);
    c->txt = NULL;
    pc__server_conn_closed(c->server, c);
    free(c->head_out);
    c->head_out = NULL;
    free(c->resp_out);
    c->resp_out = NULL;
#ifndef NDEBUG
    memset(c, 0xA5, sizeof(*c));
#endif
    free(c);
}

static void
handle_released(pc_conn_t *c)
{
    if (--c->open_handles == 0) {
        conn_free(c);
    }
}

static void
on_handle_closed(uv_handle_t *h)
{
    handle_released(h->data);
}

static void
on_up_released(void *data)
{
    handle_released(data);
}

void
pc__conn_release_up(pc_conn_t *c)
{
    pc_upstream_t *up = c->up;

    if (up == NULL) {
        return;
    }
    c->up = NULL;
    c->up_connected = false;
    pc_upstream_close(up, on_up_released, c);
}

const char *
pc__conn_method(const pc_conn_t *c)
{
    return c->txt != NULL ? c->txt->method : "";
}

/* A header's text for the record: NULL when absent or empty. */
static const char *
header_text(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : NULL;
}

/* Writes the access-log line of the transaction (AccessLog on). */
static void
write_record(pc_conn_t *c, const char *decision, uint64_t duration)
{
    const pc_txn_text_t *t = c->txt;
    pc_access_record_t rec;
    char upstream[64] = "";

    if (c->up_addr.sa.sa_family == AF_INET || c->up_addr.sa.sa_family == AF_INET6) {
        pc__sockaddr_format(&c->up_addr.sa, upstream, sizeof(upstream));
    }
    rec.start_ms = c->start_wall_ms;
    rec.id = c->id;
    rec.client = c->peer;
    rec.user = NULL; /* no proxy authentication (yet) */
    rec.method = pc__conn_method(c);
    rec.target = t != NULL ? t->target : "";
    rec.host = c->target.host;
    rec.port = c->target.port;
    rec.http_minor = c->client_minor;
    rec.upstream = upstream;
    rec.status = c->status;
    rec.bytes_in = c->bytes_in;
    rec.bytes_out = c->bytes_out;
    rec.duration_ms = duration;
    rec.decision = decision;
    rec.referer = t != NULL ? header_text(t->referer) : NULL;
    rec.user_agent = t != NULL ? header_text(t->user_agent) : NULL;
    pc_access_log_write(c->alog, c->conf->access_log_format, c->conf->access_log_query, &rec);
}

static void
log_txn(pc_conn_t *c)
{
    char decision[320];
    uint64_t duration;

    if (!c->txn_active) {
        return;
    }
    c->txn_active = false;
    duration = uv_now(c->client.loop) - c->start_loop_ms;
    /* The decision text is made only where it is used: the access log, and
     * the metrics of a refusal (always a 403). */
    decision[0] = '\0';
    if (c->alog != NULL || c->status == 403) {
        pc__gate_decision(c, decision, sizeof(decision));
    }
    pc_metrics_txn(pc_server_metrics(c->server), strcmp(pc__conn_method(c), "CONNECT") == 0,
                   c->status, c->bytes_in, c->bytes_out, duration,
                   c->status == 403 ? decision : NULL, c->target.host);
    if (c->alog != NULL) { /* else AccessLog off */
        write_record(c, decision, duration);
    }
    free(c->txt); /* logged: the texts are not needed any more */
    c->txt = NULL;
}

void
pc_conn_close(pc_conn_t *c)
{
    if (c->closing) {
        return;
    }
    log_txn(c);
    c->closing = true;
    c->open_handles++; /* guard: nothing below may free c before we return */
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    uv_close((uv_handle_t *)&c->client, on_handle_closed);
    pc__conn_release_up(c);
    handle_released(c);
}

bool
pc_conn_is_idle(const pc_conn_t *c)
{
    return !c->closing && !c->lingering && c->mode == MODE_HTTP && c->req == REQ_HEAD
           && c->cbuf.len == 0 && !c->txn_active && !c->client_writing;
}

static void
on_linger_shutdown(uv_shutdown_t *req, int status)
{
    pc_conn_t *c = req->data;

    if (status != 0 || c->client_eof) {
        pc_conn_close(c);
    }
}

/* After a final reply: shut our side, then read and discard what the client
 * still sends, so that closing does not reset the connection before the
 * client has read the reply. Bounded by LINGER_MS. */
static void
conn_linger(pc_conn_t *c)
{
    c->lingering = true;
    pc__conn_release_up(c);
    c->client_sd.data = c;
    if (uv_shutdown(&c->client_sd, (uv_stream_t *)&c->client, on_linger_shutdown) != 0) {
        pc_conn_close(c);
        return;
    }
    c->cbuf.off = 0;
    c->cbuf.len = 0;
    pc__conn_set_deadline(c, LINGER_MS);
    if (!c->client_eof) {
        pc__conn_read_client(c, true);
    }
}

/* ---- reading and writing -------------------------------------------------- */

/* Room for a read into b, taking a block from the pool if b has none. */
static void
on_alloc(pc_conn_t *c, pc_buf_t *b, bool writing, uv_buf_t *out)
{
    if (b->base == NULL) {
        b->off = 0;
        b->len = 0;
        b->base = pc_buf_pool_get(pc__server_bufs(c->server));
        if (b->base == NULL) {
            *out = uv_buf_init(NULL, 0); /* UV_ENOBUFS; the read callback closes */
            return;
        }
    }
    if (b->off + b->len == b->cap && !writing) {
        pc__buf_compact(b);
    }
    *out = uv_buf_init(b->base + b->off + b->len, (unsigned)(b->cap - b->off - b->len));
    if (out->len == 0) {
        out->base = NULL; /* libuv answers with UV_ENOBUFS: we stop reading */
    }
}

static void
on_client_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    pc_conn_t *c = h->data;

    if (c->lingering) {
        c->cbuf.off = 0;
        c->cbuf.len = 0;
    }
    on_alloc(c, &c->cbuf, c->up_writing, buf);
}

static void
on_up_alloc(void *owner, uv_buf_t *buf)
{
    pc_conn_t *c = owner;

    on_alloc(c, &c->ubuf, c->client_writing, buf);
}

void
pc__conn_read_client(pc_conn_t *c, bool on)
{
    if (c->closing || on == c->client_reading || (on && c->client_eof)) {
        return;
    }
    c->client_reading = on;
    if (on) {
        if (uv_read_start((uv_stream_t *)&c->client, on_client_alloc, on_client_read) != 0) {
            pc_conn_close(c);
        }
    } else {
        uv_read_stop((uv_stream_t *)&c->client);
    }
}

void
pc__conn_read_up(pc_conn_t *c, bool on)
{
    if (c->closing || !c->up_connected || (on && c->up_eof)) {
        return;
    }
    if (pc_upstream_read(c->up, on) != 0) { /* nothing happens when it already is so */
        pc_conn_close(c);
    }
}

static void
client_written(pc_conn_t *c, int status)
{
    c->client_writing = false;
    if (status != 0 || c->closing) {
        pc_conn_close(c);
        return;
    }
    if (c->client_wlen == 0 || c->resp_out_writing) {
        free(c->resp_out); /* that write came from resp_out (or a static text) */
        c->resp_out = NULL;
        c->resp_out_writing = false;
    }
    pc__buf_consume(&c->ubuf, c->client_wlen);
    c->client_wlen = 0;
    if (c->lingering) {
        return;
    }
    if (c->mode == MODE_TUNNEL) {
        pc__tunnel_on_client_written(c);
    } else if (c->req == REQ_HEAD && c->resp == RESP_DONE) {
        pc__conn_finish_txn(c); /* an error reply went out */
    } else {
        pc__http_on_client_written(c);
    }
}

static void
on_client_written(uv_write_t *req, int status)
{
    pc_conn_t *c = req->data;

    client_written(c, status);
    pc__conn_settle_bufs(c);
}

int
pc__conn_write_client_head(pc_conn_t *c, size_t head_len, size_t body_len)
{
    uv_buf_t b[2];
    int err;

    b[0] = uv_buf_init(c->resp_out, (unsigned)head_len);
    if (body_len > 0) { /* ubuf holds a block only when it holds bytes */
        b[1] = uv_buf_init(c->ubuf.base + c->ubuf.off, (unsigned)body_len);
    }
    c->client_wr.data = c;
    err = uv_write(&c->client_wr, (uv_stream_t *)&c->client, b, body_len > 0 ? 2 : 1,
                   on_client_written);
    if (err != 0) {
        return err;
    }
    c->client_writing = true;
    c->client_wlen = body_len;
    c->resp_out_writing = true;
    c->bytes_out += head_len + body_len;
    return 0;
}

int
pc__conn_write_client(pc_conn_t *c, const char *p, size_t n, size_t from_ubuf)
{
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
    int err;

    c->client_wr.data = c;
    err = uv_write(&c->client_wr, (uv_stream_t *)&c->client, &b, 1, on_client_written);
    if (err != 0) {
        return err;
    }
    c->client_writing = true;
    c->client_wlen = from_ubuf;
    c->bytes_out += n;
    return 0;
}

static void
up_written(pc_conn_t *c, int status)
{
    c->up_writing = false;
    if (c->closing || c->lingering || status == UV_ECANCELED) {
        return; /* the origin side was released on purpose */
    }
    if (status != 0) {
        if (c->mode == MODE_HTTP && pc__conn_retry_fresh(c)) {
            return; /* a reused connection the origin had closed */
        }
        if (c->mode == MODE_HTTP && !c->resp_started) {
            pc__conn_reply_error(c, 502, "origin connection failed");
        } else {
            pc_conn_close(c);
        }
        return;
    }
    pc__buf_consume(&c->cbuf, c->up_wlen);
    c->up_wlen = 0;
    if (c->mode == MODE_TUNNEL) {
        pc__tunnel_on_up_written(c);
    } else {
        pc__http_on_up_written(c);
    }
}

static void
on_up_written(uv_write_t *req, int status)
{
    pc_conn_t *c = req->data;

    up_written(c, status);
    pc__conn_settle_bufs(c);
}

int
pc__conn_write_up(pc_conn_t *c, const char *p, size_t n, size_t from_cbuf)
{
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
    int err;

    c->up_wr.data = c;
    err = uv_write(&c->up_wr, pc_upstream_stream(c->up), &b, 1, on_up_written);
    if (err != 0) {
        return err;
    }
    c->up_writing = true;
    c->up_wlen = from_cbuf;
    return 0;
}

/* The request has no body: nothing more is needed from the client. */
static bool
bodiless(const pc_conn_t *c)
{
    return c->req_fr.kind == PC_BODY_NONE
           || (c->req_fr.kind == PC_BODY_LENGTH && c->req_fr.length == 0);
}

static void
on_client_eof(pc_conn_t *c)
{
    c->client_eof = true;
    c->client_reading = false;
    uv_read_stop((uv_stream_t *)&c->client);
    if (c->lingering) {
        pc_conn_close(c);
    } else if (c->mode == MODE_TUNNEL) {
        pc__tunnel_on_eof(c, true);
    } else if ((c->req == REQ_HEAD && !c->txn_active) || (c->req == REQ_BODY && !bodiless(c))) {
        /* Between requests or mid-head there is nothing to answer; mid-body
         * the request can never be completed. */
        pc_conn_close(c);
    } else {
        c->close_after = true;
    }
}

static void
on_client_data(pc_conn_t *c, size_t n)
{
    c->bytes_in += n;
    if (c->lingering) {
        return; /* discarded (never added to cbuf) */
    }
    c->cbuf.len += n;
    if (c->mode == MODE_TUNNEL) {
        pc__tunnel_on_client_data(c);
    } else if (c->req == REQ_HEAD) {
        pc__request_parse_head(c);
    } else {
        pc__http_on_client_data(c);
    }
}

static void
on_client_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    pc_conn_t *c = s->data;

    if (nread > 0) {
        on_client_data(c, (size_t)nread);
    } else if (nread == UV_ENOBUFS && c->cbuf.base == NULL) {
        pc_conn_close(c); /* no block: out of memory */
    } else if (nread == UV_ENOBUFS) {
        pc__conn_read_client(c, false); /* cbuf is full */
        if (c->mode == MODE_HTTP && c->req == REQ_HEAD) {
            pc__request_parse_head(c);
        }
    } else if (nread == UV_EOF) {
        on_client_eof(c);
    } else if (nread < 0) {
        pc_conn_close(c);
    }
    pc__conn_settle_bufs(c); /* also after a read of nothing (nread 0) */
}

static void
on_up_read(void *owner, ssize_t nread, const uv_buf_t *buf)
{
    pc_conn_t *c = owner;

    if (nread > 0) {
        c->ubuf.len += (size_t)nread;
        if (c->mode == MODE_TUNNEL) {
            pc__tunnel_on_up_data(c);
        } else {
            pc__conn_touch(c);
            pc__http_on_up_data(c);
        }
    } else if (nread == UV_ENOBUFS && c->ubuf.base == NULL) {
        pc_conn_close(c); /* no block: out of memory */
    } else if (nread == UV_ENOBUFS) {
        pc__conn_read_up(c, false); /* ubuf is full */
    } else if (nread < 0) {
        c->up_eof = true;
        pc__conn_read_up(c, false);
        if (c->mode == MODE_TUNNEL) {
            if (nread == UV_EOF) {
                pc__tunnel_on_eof(c, false);
            } else {
                pc_conn_close(c);
            }
        } else {
            pc__http_on_up_eof(c, (int)nread);
        }
    }
    pc__conn_settle_bufs(c);
}

/* ---- error replies and the end of a transaction ------------------------- */

void
pc__conn_txn_begin(pc_conn_t *c)
{
    /* Every request after a connection's first gets an id of its own; the
     * error log's "#id" then names the request, as the access log does. */
    if (c->txns++ > 0) {
        c->id = pc__server_next_id(c->server);
    }
    c->target.host[0] = '\0';
    c->target.port = 0;
    memset(&c->up_addr, 0, sizeof(c->up_addr)); /* AF_UNSPEC: no origin yet */
    free(c->txt);
    c->txt = NULL;
    c->txn_active = true;
    memset(&c->host_verdict, 0, sizeof(c->host_verdict));
    memset(&c->verdict, 0, sizeof(c->verdict));
    c->refused_by = NULL;
    c->admin_refused = false;
    c->start_wall_ms = pc_log_now_ms();
    c->start_loop_ms = uv_now(c->client.loop);
}

void
pc__conn_reply_error(pc_conn_t *c, int status, const char *detail)
{
    size_t len;

    if (c->closing || c->lingering) {
        return;
    }
    if (c->resp_started || c->client_writing) {
        pc_conn_close(c); /* the client already has part of a response */
        return;
    }
    PC_LOG(PC_LOGL_DEBUG, c->id, "%d %s", status, detail != NULL ? detail : "");
    pc__conn_release_up(c);
    pc__conn_read_client(c, false);
    free(c->resp_out);
    c->resp_out = malloc(PC_REPLY_MAX);
    if (c->resp_out == NULL
        || pc_http_reply_error(status, detail, c->resp_out, PC_REPLY_MAX, &len) != 0) {
        pc_conn_close(c);
        return;
    }
    if (!c->txn_active) {
        pc__conn_txn_begin(c);
    }
    c->status = status;
    c->close_after = true;
    c->mode = MODE_HTTP;
    c->req = REQ_HEAD;
    c->resp = RESP_DONE;
    c->resp_started = true;
    c->ubuf.off = 0;
    c->ubuf.len = 0;
    /* A client that never reads the reply must not hold the connection. */
    pc__conn_set_deadline(c, c->conf->header_timeout_ms);
    if (pc__conn_write_client(c, c->resp_out, len, 0) != 0) {
        pc_conn_close(c);
    }
}

static void
reset_txn(pc_conn_t *c)
{
    free(c->head_out);
    c->head_out = NULL;
    c->mode = MODE_HTTP;
    c->req = REQ_HEAD;
    c->resp = RESP_IDLE;
    memset(&c->req_fr, 0, sizeof(c->req_fr));
    memset(&c->resp_fr, 0, sizeof(c->resp_fr));
    memset(&c->req_ch, 0, sizeof(c->req_ch));
    memset(&c->resp_ch, 0, sizeof(c->resp_ch));
    c->req_left = c->resp_left = 0;
    c->body_ends_after_write = c->resp_ends_after_write = false;
    c->is_head = false;
    c->resp_started = false;
    c->up_eof = false;
    c->up_reused = false;
    c->up_retried = false;
    c->resp_extra = false;
    c->status = 0;
    c->bytes_in = c->cbuf.len; /* pipelined bytes already read belong to the next one */
    c->bytes_out = 0;
    c->ubuf.off = 0;
    c->ubuf.len = 0;
    pc__buf_compact(&c->cbuf);
    c->head_scanned = 0;
}

/*
 * True if the origin connection may serve another request: the exchange
 * ended cleanly on both sides with its framing clear (HTTP/1.1 keep-alive,
 * a counted or chunked body read to its end, nothing more sent).
 */
static bool
up_reusable(const pc_conn_t *c)
{
    return c->mode == MODE_HTTP && c->up != NULL && c->up_connected && !c->up_eof && !c->up_writing
           && c->req == REQ_DONE && c->resp == RESP_DONE && c->resp_fr.keep_alive
           && c->resp_fr.kind != PC_BODY_CLOSE && !c->resp_extra && c->status >= 200
           && c->status != 101 && pc__server_pool(c->server) != NULL;
}

/* Hands the origin connection to the pool; it no longer counts as this connection's. */
static void
pool_up(pc_conn_t *c)
{
    pc_upstream_t *up = c->up;

    c->up = NULL; /* reading stays on: the pool reads it from now on */
    c->up_connected = false;
    c->open_handles--; /* the client and the timer are still open: never the last */
    pc_upstream_pool_put(pc__server_pool(c->server), up, c->target.host, c->target.port);
}

void
pc__conn_finish_txn(pc_conn_t *c)
{
    log_txn(c);
    if (c->up_writing) {
        c->close_after = true; /* the origin write req is still in use */
    }
    if (up_reusable(c)) {
        pool_up(c);
    } else {
        pc__conn_release_up(c);
    }
    if (c->mode == MODE_TUNNEL) {
        pc_conn_close(c);
        return;
    }
    if (c->close_after || c->client_eof || pc__server_stopping(c->server)) {
        conn_linger(c);
        return;
    }
    reset_txn(c);
    pc__conn_set_deadline(c, c->conf->header_timeout_ms);
    if (c->cbuf.len > 0) {
        pc__request_parse_head(c); /* a pipelined request is already here */
    } else {
        pc__conn_read_client(c, true);
    }
}

/* ---- timers -------------------------------------------------------------- */

/* The timer of a plain HTTP transaction ran out after the head was read. */
static void
http_timed_out(pc_conn_t *c)
{
    pc_metrics_t *m = pc_server_metrics(c->server);

    if (c->resp_started) {
        pc_conn_close(c); /* mid-response: the client sees the body cut short */
    } else if (c->req == REQ_BODY && !c->up_writing) {
        /* The origin took everything; the client stopped sending its body. */
        PC_LOG(PC_LOGL_INFO, c->id, "%s: request body stalled", c->peer);
        pc__conn_reply_error(c, 408, "request body not received in time");
    } else {
        /* ResponseTimeout, or an origin that stopped reading the body. */
        PC_LOG(PC_LOGL_INFO, c->id, "%s:%u: no response head in time", c->target.host,
               (unsigned)c->target.port);
        m->upstream_errors[PC_UPERR_RESPONSE_TIMEOUT]++;
        pc__conn_reply_error(c, 504, "origin did not answer in time");
    }
}

static void
on_timer(uv_timer_t *t)
{
    pc_conn_t *c = t->data;
    uint64_t quiet = uv_now(c->client.loop) - c->progress_ms;

    if (!c->timer_deadline && quiet < c->timer_ms) {
        /* There was progress since the timer was armed: wait out the rest. */
        uv_timer_start(&c->timer, on_timer, c->timer_ms - quiet, 0);
        return;
    }
    if (c->lingering) {
        pc_conn_close(c);
    } else if (c->mode == MODE_HTTP && c->req == REQ_HEAD && c->up == NULL) {
        if (c->cbuf.len > 0) { /* part of a head arrived: say why we give up */
            PC_LOG(PC_LOGL_INFO, c->id, "%s: request head not complete in time", c->peer);
            pc__conn_reply_error(c, 408, "request head not received in time");
        } else {
            pc_conn_close(c);
        }
    } else if (c->up != NULL && !c->up_connected) {
        pc_server_metrics(c->server)->upstream_errors[PC_UPERR_CONNECT_TIMEOUT]++;
        pc__conn_reply_error(c, 504, detail_for(PC_E_TIMEOUT));
    } else if (c->mode == MODE_HTTP) {
        http_timed_out(c);
    } else {
        pc_conn_close(c);
    }
}

/* ---- connecting ---------------------------------------------------------- */

/* Keeps the origin's address for the access log (formatted only there). */
static void
keep_up_addr(pc_conn_t *c, const struct sockaddr *sa)
{
    memset(&c->up_addr, 0, sizeof(c->up_addr));
    if (sa->sa_family == AF_INET) {
        memcpy(&c->up_addr.in, sa, sizeof(c->up_addr.in));
    } else if (sa->sa_family == AF_INET6) {
        memcpy(&c->up_addr.in6, sa, sizeof(c->up_addr.in6));
    }
}

static void
on_up_connect(pc_upstream_t *up, int status, void *data)
{
    pc_conn_t *c = data;

    if (status == PC_E_DENIED_FILTER) {
        pc__gate_refuse_addresses(c);
        return;
    }
    if (status != 0) {
        PC_LOG(PC_LOGL_INFO, c->id, "%s:%u: " PC_ERR_FMT, c->target.host, (unsigned)c->target.port,
               PC_ERR_ARGS(status));
        pc_server_metrics(c->server)->upstream_errors[upstream_error_kind(status)]++;
        pc__conn_reply_error(c, status_for(status), detail_for(status));
        return;
    }
    c->up_connected = true;
    if (!c->up_reused) {
        pc_server_metrics(c->server)->origin_connects++;
        uv_tcp_nodelay((uv_tcp_t *)pc_upstream_stream(up), 1); /* a reused one has it */
    }
    keep_up_addr(c, pc_upstream_peer_addr(up));
    pc_upstream_set_reader(up, on_up_alloc, on_up_read, c); /* reading on when pooled */
    pc__conn_set_timer(c, c->conf->idle_timeout_ms);
    if (c->mode == MODE_TUNNEL) {
        pc__tunnel_on_connected(c);
    } else {
        pc__http_on_connected(c);
    }
}

/*
 * An idle connection to the target from the pool, for a plain HTTP request
 * without a body (one with a body is never resent, so it gets a fresh
 * connection that cannot have been closed by the origin in the meantime).
 */
static bool
connect_from_pool(pc_conn_t *c)
{
    pc_upstream_pool_t *pool = pc__server_pool(c->server);
    pc_upstream_t *up;

    if (pool == NULL || c->mode != MODE_HTTP || c->up_retried
        || !(c->req_fr.kind == PC_BODY_NONE
             || (c->req_fr.kind == PC_BODY_LENGTH && c->req_fr.length == 0))) {
        return false;
    }
    up = pc_upstream_pool_take(pool, c->target.host, c->target.port, pc__gate_addr, c);
    if (up == NULL) {
        return false;
    }
    c->open_handles++; /* the upstream object, until on_up_released */
    c->up = up;
    c->up_reused = true;
    on_up_connect(up, 0, c);
    return true;
}

void
pc__conn_connect(pc_conn_t *c)
{
    int err;

    if (c->mode == MODE_TUNNEL) {
        pc__conn_read_client(c, false); /* bytes after the CONNECT head wait for the origin */
    }
    pc__conn_set_deadline(c, c->conf->connect_timeout_ms);
    if (connect_from_pool(c)) {
        return;
    }
    c->up_reused = false;
    c->open_handles++; /* the upstream object, until on_up_released */
    err = pc_upstream_connect(c->client.loop, pc__server_dns(c->server), &c->target, pc__gate_addr,
                              on_up_connect, c, &c->up);
    if (err != 0) {
        c->up = NULL;
        c->open_handles--;
        pc__conn_reply_error(c, status_for(err), detail_for(err));
    }
}


bool
pc__conn_retry_fresh(pc_conn_t *c)
{
    bool bodiless = c->req_fr.kind == PC_BODY_NONE
                    || (c->req_fr.kind == PC_BODY_LENGTH && c->req_fr.length == 0);

    if (!c->up_reused || c->up_retried || !bodiless || c->resp != RESP_HEAD || c->ubuf.len > 0
        || c->resp_started || c->head_out == NULL || c->up_writing) {
        return false;
    }
    PC_LOG(PC_LOGL_DEBUG, c->id, "%s:%u: reused origin connection closed; resending on a new one",
           c->target.host, (unsigned)c->target.port);
    pc_server_metrics(c->server)->origin_retries++;
    pc__conn_release_up(c);
    c->up_reused = false;
    c->up_retried = true;
    c->up_eof = false;
    c->resp = RESP_IDLE;
    c->req = REQ_BODY;
    pc__conn_connect(c);
    return true;
}

/* ---- accept --------------------------------------------------------------- */

static int
conn_init(pc_conn_t *c, uv_stream_t *listener)
{
    struct sockaddr_storage ss;
    int len = (int)sizeof(ss), err;
    pc_addr_t a;

    c->cbuf.cap = c->ubuf.cap = PC_BUF_SIZE; /* blocks are taken when bytes arrive */
    err = uv_accept(listener, (uv_stream_t *)&c->client);
    if (err == 0) {
        err = uv_tcp_getpeername(&c->client, (struct sockaddr *)&ss, &len);
    }
    if (err != 0) {
        return err;
    }
    uv_tcp_nodelay(&c->client, 1);
    pc__sockaddr_format((const struct sockaddr *)&ss, c->peer, sizeof(c->peer));
    pc__sockaddr_to_addr((const struct sockaddr *)&ss, &a);
    if (!pc_acl_allows(c->conf->acl, &a)) {
        return PC_E_DENIED_ACL;
    }
    if (c->conf->max_per_address > 0) {
        unsigned n;

        c->peer_addr = a;
        n = pc__server_addr_acquire(c->server, &a);
        c->addr_counted = n > 0;
        if (n == 0 || n > c->conf->max_per_address) {
            return PC_E_DENIED_LIMIT;
        }
    }
    return 0;
}

int
pc_conn_accept(pc_server_t *s, uv_stream_t *listener, pc_conf_t *conf, pc_access_log_t *alog,
               uint64_t id)
{
    pc_conn_t *c = calloc(1, sizeof(*c));
    int err;

    if (c == NULL) {
        return UV_ENOMEM;
    }
    c->server = s;
    c->conf = conf;
    c->alog = alog;
    c->id = id;
    strcpy(c->peer, "-");
    pc__server_conn_opened(s, c);
    uv_tcp_init(listener->loop, &c->client);
    uv_timer_init(listener->loop, &c->timer);
    c->client.data = c;
    c->timer.data = c;
    c->open_handles = 2;
    pc__conn_set_deadline(c, conf->header_timeout_ms);
    err = conn_init(c, listener);
    if (err == PC_E_DENIED_ACL) {
        PC_LOG(PC_LOGL_INFO, c->id, "%s: client denied by ACL", c->peer);
        pc__conn_txn_begin(c);
        c->refused_by = "acl";
        pc__conn_reply_error(c, 403, "client address not allowed");
        return err;
    }
    if (err == PC_E_DENIED_LIMIT) {
        PC_LOG(PC_LOGL_INFO, c->id, "%s: MaxClientsPerAddress (%u) reached", c->peer,
               conf->max_per_address);
        pc__conn_txn_begin(c);
        c->refused_by = "limit";
        pc__conn_reply_error(c, 503, "too many connections from this address");
        return err;
    }
    if (err != 0) {
        pc_conn_close(c);
        return err;
    }
    pc__conn_read_client(c, true);
    return 0;
}
