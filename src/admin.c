/*
 * admin.c: the admin listener (see admin.h).
 *
 * A deliberately small HTTP/1.1 server: one request per connection, read
 * whole (8 KiB at most, within 10 s), answered, closed. GET and HEAD of
 * /metrics (Prometheus text format), /healthz ("ok", or 503 while the
 * proxy drains for a stop), /status (the page, src/status_page.html, under
 * a strict Content-Security-Policy) and /status.json (its data: a sample
 * every 5 s, taken here); 404 for other paths, 405 for other methods, 400 for anything
 * unparsable. The client ACL is the current configuration's AdminAllow and
 * AdminDeny (loopback only without rules).
 *
 * The counters live in the workers, each on its own thread. /metrics,
 * /status.json and each sample of the status page first gather them (see
 * pc_workers_gather); the answer goes out once every worker has added its
 * own. The admin keeps the sum (with the status page's series) and the
 * reload counters, which belong to the main loop.
 */
#include "admin.h"

#include "http_parse.h"
#include "portcullis/error.h"
#include "portcullis/log.h"
#include "portcullis/version.h"
#include "sockaddr.h"
#include "status_page.h" /* generated from src/status_page.html */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADMIN_HEAD_MAX   8192
#define ADMIN_TIMEOUT_MS 10000
#define METRICS_MAX      (256 * 1024)
#define SAMPLE_EVERY_S   5 /* the status page's series: a point per 5 s */

/* The status page runs its own inline script and fetches status.json, nothing else. */
#define STATUS_CSP                                                              \
    "Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; " \
    "style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:\r\n"   \
    "X-Content-Type-Options: nosniff\r\n"

typedef struct admin_conn_s admin_conn_t;

struct pc_admin_s {
    uv_tcp_t tcp;
    uv_timer_t sampler;    /* closes an interval of the status page's series */
    pc_workers_t *workers; /* borrowed */
    pc_access_log_t *alog; /* borrowed; may be NULL */
    admin_conn_t *conns;
    int open; /* the listener, sampler, connections and gathers not yet done */
    bool stopping;
    pc_metrics_t view; /* the last sum of the workers' counters, and the series */
    uint64_t reloads_ok, reloads_failed;
};

struct admin_conn_s {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_write_t wr;
    pc_admin_t *admin;
    admin_conn_t *prev, *next;
    char in[ADMIN_HEAD_MAX];
    size_t len;
    char *out;   /* the response, owned */
    int handles; /* 2 until both are closed, +1 while a gather runs for it */
    bool closing;
    bool head_only;     /* the request waiting for a gather was a HEAD */
    bool wants_metrics; /* ... for /metrics (else /status.json) */
};

static void
admin_release(pc_admin_t *a)
{
    if (--a->open == 0) {
        pc_metrics_free(&a->view);
        free(a);
    }
}

static void
conn_release(admin_conn_t *c)
{
    if (--c->handles > 0) {
        return;
    }
    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        c->admin->conns = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    }
    admin_release(c->admin);
    free(c->out);
    free(c);
}

static void
on_conn_handle_closed(uv_handle_t *h)
{
    conn_release(h->data);
}

static void
conn_close(admin_conn_t *c)
{
    if (c->closing) {
        return;
    }
    c->closing = true;
    uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
    uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
}

static void
on_written(uv_write_t *req, int status)
{
    (void)status;
    conn_close(req->data);
}

/* Sends status, type and body (the body left out for HEAD), then closes. */
static void
respond(admin_conn_t *c, int status, const char *reason, const char *type, const char *body,
        size_t body_len, bool head_only, const char *extra)
{
    size_t cap = body_len + 512;
    int n;
    uv_buf_t buf;

    uv_read_stop((uv_stream_t *)&c->tcp);
    c->out = malloc(cap);
    if (c->out == NULL) {
        conn_close(c);
        return;
    }
    n = snprintf(c->out, cap,
                 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                 "Cache-Control: no-store\r\n%sConnection: close\r\n\r\n",
                 status, reason, type, body_len, extra);
    if (n < 0 || (size_t)n + body_len >= cap) {
        conn_close(c);
        return;
    }
    if (!head_only) {
        memcpy(c->out + n, body, body_len);
        n += (int)body_len;
    }
    buf = uv_buf_init(c->out, (unsigned)n);
    c->wr.data = c;
    if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &buf, 1, on_written) != 0) {
        conn_close(c);
    }
}

static void
respond_text(admin_conn_t *c, int status, const char *reason, const char *text, bool head_only)
{
    respond(c, status, reason, "text/plain; charset=utf-8", text, strlen(text), head_only, "");
}

static void
serve_metrics(admin_conn_t *c, bool head_only)
{
    char *body = malloc(METRICS_MAX);
    size_t n = 0;

    if (body != NULL) {
        n = pc_metrics_render(&c->admin->view,
                              c->admin->alog != NULL ? pc_access_log_dropped(c->admin->alog) : 0,
                              PC_VERSION_STRING, body, METRICS_MAX);
    }
    if (n == 0) {
        respond_text(c, 500, "Internal Server Error", "metrics do not fit\n", head_only);
    } else {
        respond(c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body, n, head_only, "");
    }
    free(body);
}

static void
serve_status_json(admin_conn_t *c, bool head_only)
{
    char *body = malloc(METRICS_MAX);
    size_t n = 0;

    if (body != NULL) {
        n = pc_metrics_status_json(&c->admin->view, PC_VERSION_STRING, pc_log_now_ms(),
                                   SAMPLE_EVERY_S, body, METRICS_MAX);
    }
    if (n == 0) {
        respond_text(c, 500, "Internal Server Error", "status does not fit\n", head_only);
    } else {
        respond(c, 200, "OK", "application/json", body, n, head_only,
                "X-Content-Type-Options: nosniff\r\n");
    }
    free(body);
}

/* The admin's view becomes sum, plus what the main loop counts itself. */
static void
take_sum(pc_admin_t *a, const pc_metrics_t *sum)
{
    pc_metrics_clear_counters(&a->view);
    pc_metrics_merge(&a->view, sum);
    a->view.reloads_ok = a->reloads_ok;
    a->view.reloads_failed = a->reloads_failed;
}

static void
on_conn_gathered(const pc_metrics_t *sum, void *data)
{
    admin_conn_t *c = data;

    if (!c->closing) {
        take_sum(c->admin, sum);
        if (c->wants_metrics) {
            serve_metrics(c, c->head_only);
        } else {
            serve_status_json(c, c->head_only);
        }
    }
    conn_release(c);
}

/* /metrics and /status.json: first the workers' counters, then the answer. */
static void
gather_then_serve(admin_conn_t *c, bool metrics, bool head_only)
{
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->wants_metrics = metrics;
    c->head_only = head_only;
    c->handles++;
    if (pc_workers_gather(c->admin->workers, on_conn_gathered, c) != 0) {
        c->handles--;
        respond_text(c, 503, "Service Unavailable", "out of memory\n", head_only);
    }
}

static bool
is(const char *s, size_t len, const char *want)
{
    return strlen(want) == len && memcmp(s, want, len) == 0;
}

static void
route(admin_conn_t *c, const pc_http_request_t *req)
{
    bool head = is(req->method, req->method_len, "HEAD");
    const char *path = req->target;
    size_t path_len = req->target_len;
    const char *q = memchr(path, '?', path_len);

    if (q != NULL) {
        path_len = (size_t)(q - path);
    }
    if (!head && !is(req->method, req->method_len, "GET")) {
        respond(c, 405, "Method Not Allowed", "text/plain; charset=utf-8", "GET or HEAD only\n", 17,
                false, "Allow: GET, HEAD\r\n");
    } else if (is(path, path_len, "/metrics")) {
        gather_then_serve(c, true, head);
    } else if (is(path, path_len, "/status")) {
        respond(c, 200, "OK", "text/html; charset=utf-8", (const char *)pc_status_page,
                sizeof(pc_status_page), head, STATUS_CSP);
    } else if (is(path, path_len, "/status.json")) {
        gather_then_serve(c, false, head);
    } else if (is(path, path_len, "/healthz")) {
        if (pc_workers_stopping(c->admin->workers)) {
            respond_text(c, 503, "Service Unavailable", "stopping\n", head);
        } else {
            respond_text(c, 200, "OK", "ok\n", head);
        }
    } else {
        respond_text(c, 404, "Not Found", "not found: try /status, /metrics or /healthz\n", head);
    }
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    admin_conn_t *c = h->data;

    (void)hint;
    *buf = uv_buf_init(c->in + c->len, (unsigned)(sizeof(c->in) - c->len));
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    admin_conn_t *c = s->data;
    pc_http_header_t headers[64];
    pc_http_request_t req;
    int r;

    (void)buf;
    if (nread < 0) {
        conn_close(c);
        return;
    }
    c->len += (size_t)nread;
    req.headers = headers;
    r = pc_http_parse_request(c->in, c->len, &req, 64);
    if (r == PC_HTTP_INCOMPLETE && c->len < sizeof(c->in)) {
        return;
    }
    if (r < 0) {
        respond_text(c, 400, "Bad Request", "malformed request\n", false);
        return;
    }
    route(c, &req);
}

static void
on_timeout(uv_timer_t *t)
{
    conn_close(t->data);
}

/* The current configuration's AdminAllow/AdminDeny admit the peer. */
static bool
admitted(admin_conn_t *c)
{
    struct sockaddr_storage ss;
    int len = (int)sizeof(ss);
    pc_addr_t a;

    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0) {
        return false;
    }
    pc__sockaddr_to_addr((const struct sockaddr *)&ss, &a);
    return pc_acl_allows(pc_workers_conf(c->admin->workers)->admin_acl, &a);
}

static void
on_connection(uv_stream_t *listener, int status)
{
    pc_admin_t *a = listener->data;
    admin_conn_t *c;

    if (status != 0 || a->stopping) {
        return;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return;
    }
    c->admin = a;
    c->handles = 2;
    uv_tcp_init(listener->loop, &c->tcp);
    uv_timer_init(listener->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->next = a->conns;
    if (a->conns != NULL) {
        a->conns->prev = c;
    }
    a->conns = c;
    a->open++;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0 || !admitted(c)) {
        conn_close(c); /* refused clients get no answer at all */
        return;
    }
    uv_timer_start(&c->timer, on_timeout, ADMIN_TIMEOUT_MS, 0);
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
        conn_close(c);
    }
}

static void
on_listener_closed(uv_handle_t *h)
{
    admin_release(h->data);
}

static void
on_sample_gathered(const pc_metrics_t *sum, void *data)
{
    pc_admin_t *a = data;

    if (!a->stopping) {
        take_sum(a, sum);
        pc_metrics_sample(&a->view, pc_log_now_ms() / 1000);
    }
    admin_release(a);
}

/* A point of the status page's series: taken on the sum of the workers' counters. */
static void
on_sample(uv_timer_t *t)
{
    pc_admin_t *a = t->data;

    a->open++;
    if (pc_workers_gather(a->workers, on_sample_gathered, a) != 0) {
        a->open--;
    }
}

void
pc_admin_count_reload(pc_admin_t *a, bool ok)
{
    if (ok) {
        a->reloads_ok++;
    } else {
        a->reloads_failed++;
    }
}

int
pc_admin_start(uv_loop_t *loop, const pc_conf_t *conf, pc_workers_t *workers, pc_access_log_t *alog,
               pc_admin_t **out)
{
    pc_admin_t *a = calloc(1, sizeof(*a));
    struct sockaddr_storage ss, bound;
    int len = (int)sizeof(bound), err;
    char text[80];

    if (a == NULL) {
        return UV_ENOMEM;
    }
    a->workers = workers;
    a->alog = alog;
    pc_metrics_init(&a->view, pc_log_now_ms());
    a->open = 1;
    uv_tcp_init(loop, &a->tcp);
    a->tcp.data = a;
    pc__sockaddr_from_addr(&conf->admin.addr, conf->admin.port, &ss);
    err = uv_tcp_bind(&a->tcp, (const struct sockaddr *)&ss,
                      conf->admin.addr.family == 6 ? UV_TCP_IPV6ONLY : 0);
    if (err == 0) {
        err = uv_listen((uv_stream_t *)&a->tcp, 64, on_connection);
    }
    if (err == 0) {
        err = uv_tcp_getsockname(&a->tcp, (struct sockaddr *)&bound, &len);
    }
    pc__sockaddr_format(err == 0 ? (const struct sockaddr *)&bound : (const struct sockaddr *)&ss,
                        text, sizeof(text));
    if (err != 0) {
        PC_LOG(PC_LOGL_ERROR, 0, "cannot listen on %s (Admin): " PC_ERR_FMT, text,
               PC_ERR_ARGS(err));
        uv_close((uv_handle_t *)&a->tcp, on_listener_closed);
        return err;
    }
    PC_LOG(PC_LOGL_INFO, 0, "admin listening on %s", text);
    pc_workers_set_admin_address(workers, (const struct sockaddr *)&bound);
    uv_timer_init(loop, &a->sampler);
    a->sampler.data = a;
    a->open++;
    uv_timer_start(&a->sampler, on_sample, SAMPLE_EVERY_S * 1000, SAMPLE_EVERY_S * 1000);
    *out = a;
    return 0;
}

void
pc_admin_stop(pc_admin_t *a)
{
    admin_conn_t *c, *next;

    a->stopping = true;
    for (c = a->conns; c != NULL; c = next) {
        next = c->next;
        conn_close(c);
    }
    uv_close((uv_handle_t *)&a->sampler, on_listener_closed);
    uv_close((uv_handle_t *)&a->tcp, on_listener_closed);
}
