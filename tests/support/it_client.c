/*
 * it_client.c: the synchronous test client (see it_client.h).
 *
 * Every blocking call is run_until(): arm the deadline timer, run the
 * private loop one iteration at a time until a condition holds or the timer
 * fires, disarm. Write requests own a copy of their data and free themselves
 * in their callback, which also runs (with UV_ECANCELED) when the client is
 * closed with writes pending, so a timed-out call leaves nothing dangling.
 */
#include "it_client.h"

#include "it_common.h"
#include "it_http.h"

#include <uv.h>

#include <stdlib.h>
#include <string.h>

#define READ_CHUNK 65536

struct pc_it_client_s {
    uv_loop_t loop;
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_connect_t connect_req;
    uv_shutdown_t shutdown_req;
    bool timed_out;
    bool connect_done;
    int connect_status;
    bool shutdown_done;
    int shutdown_status;
    unsigned writes_pending;
    int write_status;
    int read_status; /* 0 while the peer has not closed */
    char *data;      /* owned: received, not yet consumed */
    size_t len;
    size_t cap;
    bool sink;
    uint64_t sunk;
    uint64_t sunk_hash;
    char chunk[READ_CHUNK]; /* what alloc_cb hands to libuv */
};

typedef struct {
    uv_write_t req;
    pc_it_client_t *c;
    char bytes[]; /* owned copy of the data */
} client_write_t;

typedef bool (*cond_fn)(const pc_it_client_t *c, uint64_t arg);

static void
on_timer(uv_timer_t *t)
{
    pc_it_client_t *c = t->data;

    c->timed_out = true;
}

static int
run_until(pc_it_client_t *c, cond_fn cond, uint64_t arg, uint64_t timeout_ms)
{
    c->timed_out = false;
    /* The loop's clock stood still while the test slept: without this the
     * timer would fire before the poll, which would then wait forever. */
    uv_update_time(&c->loop);
    uv_timer_start(&c->timer, on_timer, timeout_ms, 0);
    while (!cond(c, arg) && !c->timed_out) {
        uv_run(&c->loop, UV_RUN_ONCE);
    }
    uv_timer_stop(&c->timer);
    return cond(c, arg) ? 0 : UV_ETIMEDOUT;
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    pc_it_client_t *c = h->data;

    (void)hint;
    *buf = uv_buf_init(c->chunk, READ_CHUNK);
}

static void
append(pc_it_client_t *c, const char *p, size_t n)
{
    if (c->sink) {
        c->sunk += n;
        c->sunk_hash = pc_it_hash(c->sunk_hash, p, n);
        return;
    }
    if (c->len + n + 1 > c->cap) {
        c->cap = (c->len + n + 1) * 2;
        c->data = pc_it_xrealloc(c->data, c->cap);
    }
    memcpy(c->data + c->len, p, n);
    c->len += n;
    c->data[c->len] = '\0';
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    pc_it_client_t *c = s->data;

    if (nread > 0) {
        append(c, buf->base, (size_t)nread);
    } else if (nread < 0) {
        c->read_status = (int)nread;
        uv_read_stop(s);
    }
}

static bool
cond_connected(const pc_it_client_t *c, uint64_t arg)
{
    (void)arg;
    return c->connect_done;
}

static void
on_connect(uv_connect_t *req, int status)
{
    pc_it_client_t *c = req->data;

    c->connect_done = true;
    c->connect_status = status;
}

int
pc_it_client_connect(pc_it_client_t **out, const char *ip, int port, uint64_t timeout_ms)
{
    pc_it_client_t *c = pc_it_xmalloc(sizeof(*c));
    struct sockaddr_storage ss;
    int rc;

    memset(c, 0, sizeof(*c));
    c->sunk_hash = PC_IT_HASH_INIT;
    *out = NULL;
    rc = pc_it_sockaddr(ip, port, &ss);
    if (rc != 0 || (rc = uv_loop_init(&c->loop)) != 0) {
        free(c);
        return rc;
    }
    uv_tcp_init(&c->loop, &c->tcp);
    uv_timer_init(&c->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->connect_req.data = c;
    rc = uv_tcp_connect(&c->connect_req, &c->tcp, (const struct sockaddr *)&ss, on_connect);
    if (rc == 0) {
        rc = run_until(c, cond_connected, 0, timeout_ms);
    }
    if (rc == 0 && (rc = c->connect_status) == 0) {
        uv_tcp_nodelay(&c->tcp, 1);
        rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    }
    if (rc != 0) {
        pc_it_client_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

static void
on_close_noop(uv_handle_t *h)
{
    (void)h;
}

void
pc_it_client_close(pc_it_client_t *c)
{
    if (c == NULL) {
        return;
    }
    uv_close((uv_handle_t *)&c->tcp, on_close_noop);
    uv_close((uv_handle_t *)&c->timer, on_close_noop);
    uv_run(&c->loop, UV_RUN_DEFAULT);
    uv_loop_close(&c->loop);
    free(c->data);
    free(c);
}

int
pc_it_client_local_port(const pc_it_client_t *c)
{
    struct sockaddr_storage ss;
    int len = (int)sizeof(ss);

    if (uv_tcp_getsockname(&c->tcp, (struct sockaddr *)&ss, &len) != 0) {
        return -1;
    }
    return pc_it_sockaddr_port(&ss);
}

static void
on_write(uv_write_t *req, int status)
{
    client_write_t *w = (client_write_t *)req;

    w->c->writes_pending--;
    if (status != 0 && w->c->write_status == 0) {
        w->c->write_status = status;
    }
    free(w);
}

static bool
cond_written(const pc_it_client_t *c, uint64_t arg)
{
    (void)arg;
    return c->writes_pending == 0;
}

int
pc_it_client_send(pc_it_client_t *c, const void *data, size_t len, uint64_t timeout_ms)
{
    client_write_t *w = pc_it_xmalloc(sizeof(*w) + len);
    uv_buf_t buf;
    int rc;

    memcpy(w->bytes, data, len);
    w->c = c;
    buf = uv_buf_init(w->bytes, (unsigned)len);
    rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_write);
    if (rc != 0) {
        free(w);
        return rc;
    }
    c->writes_pending++;
    rc = run_until(c, cond_written, 0, timeout_ms);
    return rc != 0 ? rc : c->write_status;
}

int
pc_it_client_send_str(pc_it_client_t *c, const char *s, uint64_t timeout_ms)
{
    return pc_it_client_send(c, s, strlen(s), timeout_ms);
}

static void
on_shutdown(uv_shutdown_t *req, int status)
{
    pc_it_client_t *c = req->data;

    c->shutdown_done = true;
    c->shutdown_status = status;
}

static bool
cond_shutdown(const pc_it_client_t *c, uint64_t arg)
{
    (void)arg;
    return c->shutdown_done;
}

int
pc_it_client_shutdown(pc_it_client_t *c, uint64_t timeout_ms)
{
    int rc;

    c->shutdown_req.data = c;
    rc = uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown);
    if (rc == 0) {
        rc = run_until(c, cond_shutdown, 0, timeout_ms);
    }
    return rc != 0 ? rc : c->shutdown_status;
}

static bool
cond_bytes(const pc_it_client_t *c, uint64_t n)
{
    return c->len >= n || c->read_status != 0;
}

int
pc_it_client_wait_bytes(pc_it_client_t *c, size_t n, uint64_t timeout_ms)
{
    int rc = run_until(c, cond_bytes, n, timeout_ms);

    if (rc != 0) {
        return rc;
    }
    return c->len >= n ? 0 : c->read_status;
}

static bool
cond_closed(const pc_it_client_t *c, uint64_t arg)
{
    (void)arg;
    return c->read_status != 0;
}

int
pc_it_client_wait_close(pc_it_client_t *c, uint64_t timeout_ms)
{
    return run_until(c, cond_closed, 0, timeout_ms);
}

int
pc_it_client_read_status(const pc_it_client_t *c)
{
    return c->read_status;
}

const char *
pc_it_client_data(const pc_it_client_t *c, size_t *len)
{
    *len = c->len;
    return c->data != NULL ? c->data : "";
}

void
pc_it_client_consume(pc_it_client_t *c, size_t n)
{
    if (n > c->len) {
        n = c->len;
    }
    memmove(c->data, c->data + n, c->len - n);
    c->len -= n;
    if (c->data != NULL) {
        c->data[c->len] = '\0';
    }
}

/* The framing result for the buffered bytes (head_req passed in arg). */
static int
frame(const pc_it_client_t *c, bool head_req, size_t *total, bool *close_delimited)
{
    if (c->len == 0) {
        return PC_IT_HTTP_PARTIAL;
    }
    return pc_it_http_response_len(c->data, c->len, head_req, c->read_status != 0, total,
                                   close_delimited);
}

static bool
cond_response(const pc_it_client_t *c, uint64_t head_req)
{
    size_t total;
    bool cd;

    return frame(c, head_req != 0, &total, &cd) != PC_IT_HTTP_PARTIAL || c->read_status != 0;
}

static void
take_response(pc_it_client_t *c, size_t total, bool cd, pc_it_response_t *resp)
{
    resp->raw = pc_it_xmalloc(total + 1);
    memcpy(resp->raw, c->data, total);
    resp->raw[total] = '\0';
    resp->raw_len = total;
    resp->head_len = pc_it_http_head_end(resp->raw, total);
    resp->status = pc_it_http_status(resp->raw, resp->head_len);
    resp->body = resp->raw + resp->head_len;
    resp->body_len = total - resp->head_len;
    resp->close_delimited = cd;
    pc_it_client_consume(c, total);
}

int
pc_it_client_response(pc_it_client_t *c, bool head_req, pc_it_response_t *resp, uint64_t timeout_ms)
{
    size_t total = 0;
    bool cd = false;
    int rc;

    memset(resp, 0, sizeof(*resp));
    rc = run_until(c, cond_response, head_req ? 1u : 0u, timeout_ms);
    if (rc != 0) {
        return rc;
    }
    rc = frame(c, head_req, &total, &cd);
    if (rc == PC_IT_HTTP_BAD) {
        return UV_EPROTO;
    }
    if (rc == PC_IT_HTTP_PARTIAL) {
        return c->read_status != 0 ? c->read_status : UV_EOF;
    }
    take_response(c, total, cd, resp);
    return 0;
}

void
pc_it_response_free(pc_it_response_t *resp)
{
    free(resp->raw);
    memset(resp, 0, sizeof(*resp));
}

void
pc_it_client_sink(pc_it_client_t *c)
{
    size_t n = c->len;

    c->sink = true;
    if (n > 0) {
        c->sunk += n;
        c->sunk_hash = pc_it_hash(c->sunk_hash, c->data, n);
        c->len = 0;
    }
}

static bool
cond_sunk(const pc_it_client_t *c, uint64_t n)
{
    return c->sunk >= n || c->read_status != 0;
}

int
pc_it_client_wait_sunk(pc_it_client_t *c, uint64_t n, uint64_t timeout_ms)
{
    int rc = run_until(c, cond_sunk, n, timeout_ms);

    if (rc != 0) {
        return rc;
    }
    return c->sunk >= n ? 0 : c->read_status;
}

uint64_t
pc_it_client_sunk(const pc_it_client_t *c, uint64_t *hash)
{
    if (hash != NULL) {
        *hash = c->sunk_hash;
    }
    return c->sunk;
}
