/*
 * test_faults.c: slow and broken peers, one phase at a time, and proof that
 * a fault stays on the connection it happens on.
 *
 * Each timeout is checked against the clock with generous bounds: a client
 * trickling its head (HeaderTimeout, a deadline), an origin trickling its
 * response head or never answering (ResponseTimeout, a deadline from the end
 * of the request), an upload that makes progress for longer than
 * ResponseTimeout (IdleTimeout applies to it), an origin that stalls or
 * resets mid-body. Five clients stuck in five different ways must not delay
 * a fresh request. Clients that abort mid-body or mid-tunnel must make the
 * proxy close the origin side, and the admin /metrics gauge of open
 * connections must come back to zero. Leaks are the ASan and valgrind runs'
 * business: the fixture fails a test whose proxy does not exit cleanly.
 *
 * The scripted origins of it_origin cannot trickle, stall mid-message or
 * reset, so this file has its own "raw origin": a listener with at most one
 * connection on a private loop that runs only inside its calls (as
 * it_client does), which lets a test script the origin byte by byte.
 */
#include "it_fixture.h"

#include <stdlib.h>
#include <string.h>

#define READ_CHUNK 65536

static const char ok_response[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/* ---- the raw origin ------------------------------------------------------ */

typedef struct {
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_tcp_t conn;
    uv_timer_t timer;
    int port;
    bool timed_out;
    bool accepted;
    bool conn_closed; /* closed (or reset) by the test */
    int read_status;  /* 0 while the proxy keeps its side open, then UV_EOF or an error */
    unsigned writes_pending;
    int write_status;
    char *data; /* owned: everything received */
    size_t len;
    size_t cap;
    char chunk[READ_CHUNK];
} raw_origin_t;

typedef struct {
    uv_write_t req;
    raw_origin_t *o;
    char bytes[]; /* owned copy */
} raw_write_t;

typedef bool (*raw_cond_fn)(const raw_origin_t *o, size_t arg);

static void
raw_on_timer(uv_timer_t *t)
{
    raw_origin_t *o = t->data;

    o->timed_out = true;
}

/* Runs the private loop until cond holds or timeout_ms pass. 0 or UV_ETIMEDOUT. */
static int
raw_run_until(raw_origin_t *o, raw_cond_fn cond, size_t arg, uint64_t timeout_ms)
{
    o->timed_out = false;
    uv_update_time(&o->loop);
    uv_timer_start(&o->timer, raw_on_timer, timeout_ms, 0);
    while (!cond(o, arg) && !o->timed_out) {
        uv_run(&o->loop, UV_RUN_ONCE);
    }
    uv_timer_stop(&o->timer);
    return cond(o, arg) ? 0 : UV_ETIMEDOUT;
}

static void
raw_on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    raw_origin_t *o = h->data;

    (void)hint;
    *buf = uv_buf_init(o->chunk, READ_CHUNK);
}

static void
raw_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    raw_origin_t *o = s->data;

    if (nread > 0) {
        if (o->len + (size_t)nread + 1 > o->cap) {
            o->cap = (o->len + (size_t)nread + 1) * 2;
            o->data = pc_it_xrealloc(o->data, o->cap);
        }
        memcpy(o->data + o->len, buf->base, (size_t)nread);
        o->len += (size_t)nread;
        o->data[o->len] = '\0';
    } else if (nread < 0) {
        o->read_status = (int)nread;
        uv_read_stop(s);
    }
}

static void
raw_on_connection(uv_stream_t *server, int status)
{
    raw_origin_t *o = server->data;

    if (status != 0 || o->accepted) {
        return; /* one connection per raw origin; a second one waits in the backlog */
    }
    if (uv_accept(server, (uv_stream_t *)&o->conn) == 0) {
        o->accepted = true;
        uv_read_start((uv_stream_t *)&o->conn, raw_on_alloc, raw_on_read);
    }
}

static void
raw_on_close_noop(uv_handle_t *h)
{
    (void)h;
}

/* Closes everything; registered with the fixture, so it runs at teardown. */
static void
raw_stop(void *p)
{
    raw_origin_t *o = p;

    uv_close((uv_handle_t *)&o->listener, raw_on_close_noop);
    uv_close((uv_handle_t *)&o->timer, raw_on_close_noop);
    if (!uv_is_closing((uv_handle_t *)&o->conn)) {
        uv_close((uv_handle_t *)&o->conn, raw_on_close_noop);
    }
    uv_run(&o->loop, UV_RUN_DEFAULT);
    uv_loop_close(&o->loop);
    free(o->data);
    free(o);
}

/* A raw origin listening on 127.0.0.1 (stopped at teardown). */
static raw_origin_t *
raw_start(pc_it_fx_t *f)
{
    raw_origin_t *o = pc_it_xmalloc(sizeof(*o));
    struct sockaddr_storage ss;
    int len = (int)sizeof(ss);

    memset(o, 0, sizeof(*o));
    assert_int_equal(uv_loop_init(&o->loop), 0);
    uv_tcp_init(&o->loop, &o->listener);
    uv_tcp_init(&o->loop, &o->conn);
    uv_timer_init(&o->loop, &o->timer);
    o->listener.data = o->conn.data = o->timer.data = o;
    pc_it_fx_defer(f, raw_stop, o);
    assert_int_equal(pc_it_sockaddr("127.0.0.1", 0, &ss), 0);
    assert_int_equal(uv_tcp_bind(&o->listener, (const struct sockaddr *)&ss, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&o->listener, 8, raw_on_connection), 0);
    assert_int_equal(uv_tcp_getsockname(&o->listener, (struct sockaddr *)&ss, &len), 0);
    o->port = pc_it_sockaddr_port(&ss);
    return o;
}

static bool
raw_cond_head(const raw_origin_t *o, size_t min_body)
{
    size_t end = o->data != NULL ? pc_it_http_head_end(o->data, o->len) : 0;

    return end > 0 && o->len >= end + min_body;
}

/* Accepts the proxy's connection and waits for a request head plus min_body bytes. */
static void
raw_expect_request(raw_origin_t *o, size_t min_body)
{
    if (raw_run_until(o, raw_cond_head, min_body, PC_IT_TIMEOUT_MS) != 0) {
        fail_msg("the raw origin got no request head (+%zu bytes); accepted: %d", min_body,
                 (int)o->accepted);
    }
}

static bool
raw_cond_bytes(const raw_origin_t *o, size_t n)
{
    return o->len >= n;
}

static bool
raw_cond_written(const raw_origin_t *o, size_t arg)
{
    (void)arg;
    return o->writes_pending == 0;
}

static void
raw_on_write(uv_write_t *req, int status)
{
    raw_write_t *w = (raw_write_t *)req;

    w->o->writes_pending--;
    if (status != 0) {
        w->o->write_status = status;
    }
    free(w);
}

/* Sends data[0..n) and waits until the kernel took it. */
static void
raw_send(raw_origin_t *o, const void *data, size_t n)
{
    raw_write_t *w = pc_it_xmalloc(sizeof(*w) + n);
    uv_buf_t b = uv_buf_init(w->bytes, (unsigned)n);

    memcpy(w->bytes, data, n);
    w->o = o;
    assert_int_equal(uv_write(&w->req, (uv_stream_t *)&o->conn, &b, 1, raw_on_write), 0);
    o->writes_pending++;
    assert_int_equal(raw_run_until(o, raw_cond_written, 0, PC_IT_TIMEOUT_MS), 0);
    assert_int_equal(o->write_status, 0);
}

static void
raw_send_str(raw_origin_t *o, const char *s)
{
    raw_send(o, s, strlen(s));
}

static bool
raw_cond_conn_closed(const raw_origin_t *o, size_t arg)
{
    (void)arg;
    return o->conn_closed;
}

static void
raw_on_conn_closed(uv_handle_t *h)
{
    raw_origin_t *o = h->data;

    o->conn_closed = true;
}

/* Aborts the connection with a TCP RST instead of a FIN. */
static void
raw_reset(raw_origin_t *o)
{
    assert_int_equal(uv_tcp_close_reset(&o->conn, raw_on_conn_closed), 0);
    assert_int_equal(raw_run_until(o, raw_cond_conn_closed, 0, PC_IT_TIMEOUT_MS), 0);
}

/* Closes the connection normally (FIN), as an origin does once its peer has. */
static void
raw_close(raw_origin_t *o)
{
    uv_close((uv_handle_t *)&o->conn, raw_on_conn_closed);
    assert_int_equal(raw_run_until(o, raw_cond_conn_closed, 0, PC_IT_TIMEOUT_MS), 0);
}

static bool
raw_cond_closed(const raw_origin_t *o, size_t arg)
{
    (void)arg;
    return o->read_status != 0;
}

/* Waits until the proxy closes its side; returns how long that took (ms). */
static uint64_t
raw_expect_closed(raw_origin_t *o, uint64_t timeout_ms)
{
    uint64_t start = pc_it_now_ms();

    if (raw_run_until(o, raw_cond_closed, 0, timeout_ms) != 0) {
        fail_msg("the proxy kept its connection to the origin open for %llu ms",
                 (unsigned long long)timeout_ms);
    }
    return pc_it_now_ms() - start;
}

/* ---- helpers ------------------------------------------------------------- */

/* Extra time under a wrapper such as valgrind, which slows the proxy down. */
static uint64_t
slack_ms(void)
{
    return getenv("PC_TEST_WRAPPER") != NULL ? 3000 : 0;
}

/* Asserts lo <= took <= hi (ms), printing the measurement either way. */
static void
assert_took(const char *what, uint64_t took, uint64_t lo, uint64_t hi)
{
    print_message("%s after %llu ms (allowed %llu..%llu)\n", what, (unsigned long long)took,
                  (unsigned long long)lo, (unsigned long long)hi);
    if (took < lo || took > hi) {
        fail_msg("%s after %llu ms, not within %llu..%llu ms", what, (unsigned long long)took,
                 (unsigned long long)lo, (unsigned long long)hi);
    }
}

static const char *
get_req(pc_it_fx_t *f, int port)
{
    return pc_it_fx_get_req(f, "127.0.0.1", port);
}

/* A client of the fixture's proxy that has sent req. */
static pc_it_client_t *
client_sent(pc_it_fx_t *f, const char *req)
{
    pc_it_client_t *c = pc_it_fx_client(f);

    assert_int_equal(pc_it_client_send_str(c, req, PC_IT_TIMEOUT_MS), 0);
    return c;
}

/*
 * Expects the proxy's own error `status` with body "<status> <reason>:
 * <detail>\n" (detail may be NULL) on c.
 */
static void
expect_error_detail(pc_it_fx_t *f, pc_it_client_t *c, int status, const char *detail)
{
    pc_it_response_t *r = pc_it_fx_expect_error_response(f, c, status);
    const char *colon = memchr(r->body, ':', r->body_len);

    if (detail == NULL) {
        return;
    }
    if (colon == NULL || (size_t)(r->body + r->body_len - colon) != strlen(detail) + 3
        || memcmp(colon + 2, detail, strlen(detail)) != 0) {
        fail_msg("want detail \"%s\", got body \"%.*s\"", detail, (int)r->body_len, r->body);
    }
}

/* Field n (1-based, space-separated) of a native access-log line, as a number. */
static long
log_field(const char *line, int n)
{
    const char *p = line;
    int i;

    for (i = 1; i < n && p != NULL; i++) {
        p = strchr(p, ' ');
        p = p != NULL ? p + 1 : NULL;
    }
    assert_non_null(p);
    return strtol(p, NULL, 10);
}

/* The port of the "admin listening on 127.0.0.1:PORT" line. */
static int
admin_port(pc_it_fx_t *f, pc_it_proxy_t *p)
{
    const char *line = pc_it_fx_wait_stderr_line(f, p, 0, "admin listening on 127.0.0.1:", NULL);

    return atoi(strstr(line, "127.0.0.1:") + 10);
}

/* The value of the sample `name` (with its labels) in the admin's /metrics; -1 if absent. */
static long long
metric(int admin, const char *name)
{
    pc_it_client_t *c;
    const char *data, *at;
    size_t len, nlen = strlen(name);
    long long v = -1;

    assert_int_equal(pc_it_client_connect(&c, "127.0.0.1", admin, PC_IT_TIMEOUT_MS), 0);
    assert_int_equal(
        pc_it_client_send_str(c, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", PC_IT_TIMEOUT_MS), 0);
    (void)pc_it_client_wait_close(c, PC_IT_TIMEOUT_MS);
    data = pc_it_client_data(c, &len);
    for (at = data; at != NULL && (at = strstr(at, name)) != NULL; at += nlen) {
        if (at > data && at[-1] == '\n' && at[nlen] == ' ') {
            v = atoll(at + nlen + 1);
            break;
        }
    }
    pc_it_client_close(c);
    return v;
}

/* Waits (5 s) until the proxy has no client connection open. */
static void
expect_no_connections(int admin)
{
    uint64_t deadline = pc_it_now_ms() + 5000 + slack_ms();
    long long n;

    while ((n = metric(admin, "portcullis_connections_active")) != 0 && pc_it_now_ms() < deadline) {
        pc_it_sleep_ms(50);
    }
    if (n != 0) {
        fail_msg("portcullis_connections_active is %lld, want 0", n);
    }
}

/*
 * Sends s one byte at a time, one per interval_ms, until a byte of answer
 * arrives on `watch`; returns the time from the first byte. The bytes go
 * from the raw origin o when it is not NULL, else from client to. Fails the
 * test when s runs out or give_up_ms pass first.
 */
static uint64_t
trickle_until_answer(pc_it_client_t *watch, pc_it_client_t *to, raw_origin_t *o, const char *s,
                     unsigned interval_ms, uint64_t give_up_ms)
{
    uint64_t start = pc_it_now_ms();
    size_t i, n = strlen(s);

    for (i = 0; i < n && pc_it_now_ms() - start <= give_up_ms; i++) {
        if (o != NULL) {
            raw_send(o, s + i, 1);
        } else {
            (void)pc_it_client_send(to, s + i, 1, PC_IT_TIMEOUT_MS); /* may fail after a 408 */
        }
        if (pc_it_client_wait_bytes(watch, 1, interval_ms) == 0) {
            return pc_it_now_ms() - start;
        }
    }
    fail_msg("no answer after trickling %zu bytes for %llu ms", i,
             (unsigned long long)(pc_it_now_ms() - start));
    return 0;
}

/* Waits until c holds a response head and n body bytes; returns the head's length. */
static size_t
client_wait_body(pc_it_client_t *c, size_t n)
{
    uint64_t deadline = pc_it_now_ms() + PC_IT_TIMEOUT_MS;
    const char *data;
    size_t len, head;

    for (;;) {
        data = pc_it_client_data(c, &len);
        head = data != NULL ? pc_it_http_head_end(data, len) : 0;
        if (head > 0 && len >= head + n) {
            return head;
        }
        if (pc_it_now_ms() >= deadline || pc_it_client_wait_bytes(c, len + 1, 200) == UV_EOF) {
            fail_msg("no response head and %zu body bytes; got %zu bytes", n, len);
        }
    }
}

/* ---- timeouts, one phase at a time ------------------------------------- */

/* A client sending its head at one byte per second gets 408 at HeaderTimeout. */
static void
test_faults_trickled_request_head_408(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);
    pc_it_client_t *c;
    uint64_t took;

    pc_it_fx_proxy(f, "faults_trickled_request_head_408", "HeaderTimeout 2");
    c = pc_it_fx_client(f);
    took = trickle_until_answer(c, c, NULL,
                                pc_it_fx_strf(f,
                                              "GET http://127.0.0.1:%d/trickle HTTP/1.1\r\n"
                                              "Host: h\r\nX-Pad: aaaaaaaaaaaaaaaa\r\n\r\n",
                                              pc_it_origin_port(o)),
                                1000, 5000 + slack_ms());
    assert_took("408", took, 1600, 5000 + slack_ms());
    expect_error_detail(f, c, 408, "request head not received in time");
    assert_int_equal(pc_it_origin_accepts(o), 0);
}

/* An origin that sends its response head at one byte per second: 504 at ResponseTimeout. */
static void
test_faults_trickled_response_head_504(void **state)
{
    pc_it_fx_t *f = *state;
    raw_origin_t *o = raw_start(f);
    pc_it_proxy_t *p = pc_it_fx_proxy(f, "faults_trickled_response_head_504", "ResponseTimeout 2");
    pc_it_client_t *c = client_sent(f, get_req(f, o->port));
    char **lines;
    uint64_t took;

    raw_expect_request(o, 0);
    took = trickle_until_answer(c, NULL, o,
                                "HTTP/1.1 200 OK\r\nX-Slow: 0123456789\r\nContent-Length: 2\r\n"
                                "\r\nok",
                                1000, 5000 + slack_ms());
    assert_took("504", took, 1600, 5000 + slack_ms());
    expect_error_detail(f, c, 504, "origin did not answer in time");
    assert_took("origin side closed", raw_expect_closed(o, 3000), 0, 3000);
    lines = pc_it_fx_wait_log_lines(f, p, 1);
    assert_int_equal(log_field(lines[0], 5), 504);
}

/* An origin that accepts and never answers: 504 at ResponseTimeout, counted in /metrics. */
static void
test_faults_silent_origin_504(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_opts_t opts;
    pc_it_origin_t *o;
    pc_it_proxy_t *p;
    pc_it_client_t *c;
    uint64_t start;
    int admin;

    memset(&opts, 0, sizeof(opts));
    opts.silent = true;
    o = pc_it_fx_origin(f, &opts);
    p = pc_it_fx_proxy(f, "faults_silent_origin_504", "ResponseTimeout 1\nAdmin 127.0.0.1:0");
    admin = admin_port(f, p);
    start = pc_it_now_ms();
    c = client_sent(f, get_req(f, pc_it_origin_port(o)));
    assert_int_equal(pc_it_client_wait_bytes(c, 1, 6000 + slack_ms()), 0);
    assert_took("504", pc_it_now_ms() - start, 800, 4000 + slack_ms());
    expect_error_detail(f, c, 504, "origin did not answer in time");
    assert_int_equal(pc_it_origin_request_count(o), 1);
    assert_int_equal(log_field(pc_it_fx_wait_log_lines(f, p, 1)[0], 5), 504);
    assert_int_equal(metric(admin, "portcullis_upstream_errors_total{kind=\"response_timeout\"}"),
                     1);
    expect_no_connections(admin);
}

/*
 * A 3 s upload in pieces every 300 ms with ResponseTimeout 1: the body phase
 * is under IdleTimeout, so it succeeds, and the origin's answer after the
 * body (300 ms later) arrives as a 200.
 */
static void
test_faults_slow_upload_outlives_response_timeout(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_opts_t opts;
    pc_it_origin_t *o;
    pc_it_client_t *c;
    pc_it_response_t *r;
    uint64_t start;
    size_t len;
    int i;

    memset(&opts, 0, sizeof(opts));
    opts.responses[0] = ok_response;
    opts.delay_ms = 300;
    o = pc_it_fx_origin(f, &opts);
    pc_it_fx_proxy(f, "faults_slow_upload", "ResponseTimeout 1\nIdleTimeout 2");
    start = pc_it_now_ms();
    c = client_sent(f, pc_it_fx_strf(f,
                                     "POST http://127.0.0.1:%d/up HTTP/1.1\r\nHost: h\r\n"
                                     "Content-Length: 100\r\n\r\n",
                                     pc_it_origin_port(o)));
    for (i = 0; i < 10; i++) {
        pc_it_sleep_ms(300);
        assert_int_equal(pc_it_client_send_str(c, "0123456789", PC_IT_TIMEOUT_MS), 0);
    }
    r = pc_it_fx_exchange(f, c, NULL, false);
    assert_int_equal(r->status, 200);
    assert_took("200 after the upload", pc_it_now_ms() - start, 3000, 8000 + slack_ms());
    assert_int_equal(pc_it_origin_request_count(o), 1);
    (void)pc_it_origin_request(o, 0, &len);
    assert_true(len > 100);
}

/*
 * A client that stops sending its body for IdleTimeout gets 408 (it is the
 * client that stalled, not the origin), and the origin side is closed.
 */
static void
test_faults_stalled_upload_408(void **state)
{
    pc_it_fx_t *f = *state;
    raw_origin_t *o = raw_start(f);
    pc_it_proxy_t *p = pc_it_fx_proxy(f, "faults_stalled_upload_408", "IdleTimeout 1");
    pc_it_client_t *c;
    uint64_t start;

    c = client_sent(f, pc_it_fx_strf(f,
                                     "POST http://127.0.0.1:%d/up HTTP/1.1\r\nHost: h\r\n"
                                     "Content-Length: 100\r\n\r\n0123456789",
                                     o->port));
    raw_expect_request(o, 10);
    start = pc_it_now_ms();
    assert_int_equal(pc_it_client_wait_bytes(c, 1, 6000 + slack_ms()), 0);
    assert_took("408", pc_it_now_ms() - start, 700, 4000 + slack_ms());
    expect_error_detail(f, c, 408, "request body not received in time");
    assert_took("origin side closed", raw_expect_closed(o, 3000), 0, 3000);
    assert_int_equal(log_field(pc_it_fx_wait_log_lines(f, p, 1)[0], 5), 408);
}

/*
 * The origin answers early, after 10 of 20 body bytes; the upload ends
 * 600 ms later and the response body trickles on for 1.8 s more. The early
 * head ended the response-head phase, so ResponseTimeout 1 never applies
 * and the client gets the whole response.
 */
static void
test_faults_early_response_ends_response_phase(void **state)
{
    static const char rest[] = "bcd";
    pc_it_fx_t *f = *state;
    raw_origin_t *o = raw_start(f);
    pc_it_client_t *c;
    pc_it_response_t r;
    size_t head_len;
    int i;

    pc_it_fx_proxy(f, "faults_early_response", "ResponseTimeout 1\nIdleTimeout 5");
    c = client_sent(f, pc_it_fx_strf(f,
                                     "POST http://127.0.0.1:%d/up HTTP/1.1\r\nHost: h\r\n"
                                     "Content-Length: 20\r\n\r\n0123456789",
                                     o->port));
    raw_expect_request(o, 10);
    head_len = pc_it_http_head_end(o->data, o->len);
    raw_send_str(o, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\na");
    (void)client_wait_body(c, 1);
    pc_it_sleep_ms(600);
    assert_int_equal(pc_it_client_send_str(c, "abcdefghij", PC_IT_TIMEOUT_MS), 0);
    assert_int_equal(raw_run_until(o, raw_cond_bytes, head_len + 20, PC_IT_TIMEOUT_MS), 0);
    for (i = 0; i < 3; i++) {
        pc_it_sleep_ms(600);
        raw_send(o, &rest[i], 1);
    }
    memset(&r, 0, sizeof(r));
    assert_int_equal(pc_it_client_response(c, false, &r, PC_IT_TIMEOUT_MS), 0);
    pc_it_fx_defer(f, free, r.raw);
    assert_int_equal(r.status, 200);
    pc_it_assert_bytes("body", r.body, r.body_len, "abcd", 4);
}

/*
 * The response head, then body bytes every 500 ms for 2 s (longer than
 * ResponseTimeout 1: the body is under IdleTimeout 2), then silence: the
 * client connection is closed IdleTimeout after the last byte, the
 * response left incomplete, and the origin side closed too.
 */
static void
test_faults_origin_stalls_mid_body(void **state)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
    pc_it_fx_t *f = *state;
    raw_origin_t *o = raw_start(f);
    pc_it_client_t *c;
    const char *data;
    size_t len;
    uint64_t start;
    int i;

    pc_it_fx_proxy(f, "faults_origin_stalls_mid_body", "ResponseTimeout 1\nIdleTimeout 2");
    c = client_sent(f, get_req(f, o->port));
    raw_expect_request(o, 0);
    raw_send_str(o, head);
    for (i = 0; i < 4; i++) {
        pc_it_sleep_ms(500);
        raw_send_str(o, "b");
    }
    start = pc_it_now_ms();
    if (pc_it_client_wait_close(c, 8000 + slack_ms()) != 0) {
        fail_msg("the proxy kept the client waiting on a stalled origin");
    }
    assert_took("client closed", pc_it_now_ms() - start, 1600, 5000 + slack_ms());
    data = pc_it_client_data(c, &len);
    assert_true(pc_it_http_head_end(data, len) > 0);
    assert_int_equal(pc_it_http_status(data, len), 200);
    assert_int_equal(len - pc_it_http_head_end(data, len), 4);
    assert_took("origin side closed", raw_expect_closed(o, 3000), 0, 3000);
}

/*
 * The origin resets (RST) after the head and 100 of 1000 body bytes: the
 * client connection is closed with the response incomplete, and the
 * transaction is still logged.
 */
static void
test_faults_origin_reset_mid_body(void **state)
{
    pc_it_fx_t *f = *state;
    raw_origin_t *o = raw_start(f);
    pc_it_proxy_t *p = pc_it_fx_proxy(f, "faults_origin_reset_mid_body", NULL);
    pc_it_client_t *c = client_sent(f, get_req(f, o->port));
    char body[100];
    const char *data;
    size_t len, head, total;
    bool close_delimited;
    uint64_t start;

    memset(body, 'b', sizeof(body));
    raw_expect_request(o, 0);
    raw_send_str(o, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
    raw_send(o, body, sizeof(body));
    head = client_wait_body(c, sizeof(body));
    raw_reset(o);
    start = pc_it_now_ms();
    if (pc_it_client_wait_close(c, PC_IT_TIMEOUT_MS + slack_ms()) != 0) {
        fail_msg("the proxy kept the client connection open after the origin's reset");
    }
    assert_took("client closed", pc_it_now_ms() - start, 0, 2000 + slack_ms());
    data = pc_it_client_data(c, &len);
    assert_int_equal(pc_it_http_status(data, head), 200);
    assert_int_equal(len - head, sizeof(body));
    assert_int_not_equal(pc_it_http_response_len(data, len, false, true, &total, &close_delimited),
                         PC_IT_HTTP_COMPLETE);
    assert_int_equal(log_field(pc_it_fx_wait_log_lines(f, p, 1)[0], 5), 200);
}

/* An origin sending `resp` (len bytes, may hold NULs): the client gets 502. */
static void
expect_502_for(pc_it_fx_t *f, const char *name, const char *resp, size_t len)
{
    pc_it_origin_opts_t opts;
    pc_it_origin_t *o;

    memset(&opts, 0, sizeof(opts));
    opts.responses[0] = resp;
    opts.response_lens[0] = len;
    o = pc_it_fx_origin(f, &opts);
    pc_it_fx_proxy(f, name, NULL);
    expect_error_detail(f, client_sent(f, get_req(f, pc_it_origin_port(o))), 502,
                        "malformed response from origin");
    assert_int_equal(pc_it_origin_request_count(o), 1);
}

/* A binary blob (NULs, high bytes, no CRLF) instead of a head: 502. */
static void
test_faults_binary_response_502(void **state)
{
    char blob[256];
    size_t i;

    for (i = 0; i < sizeof(blob); i++) {
        blob[i] = (char)(i * 7 + 3);
    }
    blob[0] = '\0';
    expect_502_for(*state, "faults_binary_response_502", blob, sizeof(blob));
}

/* A valid status line followed by binary garbage where the fields should be: 502. */
static void
test_faults_garbage_after_status_line_502(void **state)
{
    static const char resp[] = "HTTP/1.1 200 OK\r\n\x01\x00\xff\xfe garbage\r\n\r\nok";

    expect_502_for(*state, "faults_garbage_after_status_line_502", resp, sizeof(resp) - 1);
}

/*
 * Bytes after a complete response (a smuggled second response) are dropped
 * with the origin connection: two requests on one client connection get
 * exactly two clean 200s, and nothing else arrives.
 */
static void
test_faults_bytes_after_response_dropped(void **state)
{
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                               "HTTP/1.1 302 Smuggled\r\nLocation: http://evil.test/\r\n"
                               "Content-Length: 0\r\n\r\n";
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, resp);
    pc_it_client_t *c;
    pc_it_response_t *r;
    int i;

    pc_it_fx_proxy(f, "faults_bytes_after_response_dropped", NULL);
    c = pc_it_fx_client(f);
    for (i = 0; i < 2; i++) {
        r = pc_it_fx_exchange(f, c, get_req(f, pc_it_origin_port(o)), false);
        assert_int_equal(r->status, 200);
        pc_it_assert_bytes("body", r->body, r->body_len, "ok", 2);
    }
    assert_int_equal(pc_it_client_wait_bytes(c, 1, 300), UV_ETIMEDOUT);
    assert_int_equal(pc_it_origin_request_count(o), 2);
}

/* ---- faults stay on their own connection ------------------------------- */

/* An origin answering with an 8 MiB body, for a client that never reads. */
static pc_it_origin_t *
big_origin(pc_it_fx_t *f)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 8388608\r\n\r\n";
    size_t n = sizeof(head) - 1 + 8388608;
    char *resp = pc_it_fx_defer(f, free, pc_it_xmalloc(n));
    pc_it_origin_opts_t opts;

    memcpy(resp, head, sizeof(head) - 1);
    memset(resp + sizeof(head) - 1, 'x', n - (sizeof(head) - 1));
    memset(&opts, 0, sizeof(opts));
    opts.responses[0] = resp;
    opts.response_lens[0] = n;
    return pc_it_fx_origin(f, &opts);
}

static pc_it_origin_t *
silent_origin(pc_it_fx_t *f)
{
    pc_it_origin_opts_t opts;

    memset(&opts, 0, sizeof(opts));
    opts.silent = true;
    return pc_it_fx_origin(f, &opts);
}

/* A new client waiting on a name server that never answers (sandbox only). */
static pc_it_client_t *
dns_stuck_client(pc_it_fx_t *f)
{
    return client_sent(f, "GET http://slow.invalid/ HTTP/1.1\r\nHost: h\r\n\r\n");
}

/* One fresh GET through the proxy; returns how long it took. */
static uint64_t
timed_fresh_get(pc_it_fx_t *f, int port)
{
    uint64_t start = pc_it_now_ms();
    pc_it_client_t *c = pc_it_fx_client(f);
    pc_it_response_t *r = pc_it_fx_exchange(f, c, get_req(f, port), false);
    uint64_t took = pc_it_now_ms() - start;

    assert_int_equal(r->status, 200);
    pc_it_fx_close_client(f, c);
    return took;
}

/*
 * Five clients stuck five ways (a silent origin, a head trickled one byte
 * per round, a silent name server when the sandbox has one, a connect into
 * a blackhole, a reader that never reads an 8 MiB response): ten fresh GETs
 * each complete within 1 s.
 */
static void
test_faults_no_head_of_line_blocking(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *ok = pc_it_fx_http_origin(f, ok_response);
    pc_it_origin_t *silent = silent_origin(f), *big = big_origin(f);
    const char *trickle = "GET http://127.0.0.1:1/never-complete HTTP/1.1\r\n";
    pc_it_client_t *slow_head, *dns = NULL, *hole_client;
    uint64_t took, worst = 0;
    int hole = 0, i, lookups = 0;

    if (pc_it_blackhole_start(&f->blackhole, &hole) != 0) {
        print_message("no blackhole here: four stuck clients instead of five\n");
    }
    pc_it_fx_proxy(f, "faults_no_head_of_line_blocking",
                   "HeaderTimeout 60\nConnectTimeout 60\nResponseTimeout 60\nIdleTimeout 60\n"
                   "ShutdownTimeout 1");
    (void)client_sent(f, get_req(f, pc_it_origin_port(silent)));
    (void)client_sent(f, get_req(f, pc_it_origin_port(big)));
    hole_client = f->blackhole != NULL ? client_sent(f, get_req(f, hole)) : NULL;
    slow_head = pc_it_fx_client(f);
    if (pc_it_sandboxed()) {
        pc_it_fx_dns(f, PC_IT_DNS_SILENT);
        dns = dns_stuck_client(f);
        lookups++;
    }
    assert_int_equal(pc_it_origin_wait_requests(silent, 1, PC_IT_TIMEOUT_MS), 0);
    assert_int_equal(pc_it_origin_wait_requests(big, 1, PC_IT_TIMEOUT_MS), 0);
    for (i = 0; i < 10; i++) {
        assert_int_equal(pc_it_client_send(slow_head, trickle + i, 1, PC_IT_TIMEOUT_MS), 0);
        if (dns != NULL && pc_it_client_wait_bytes(dns, 1, 50) != UV_ETIMEDOUT) {
            pc_it_fx_close_client(f, dns); /* the lookup gave up (resolv.conf: 1 s): again */
            dns = dns_stuck_client(f);
            lookups++;
        }
        took = timed_fresh_get(f, pc_it_origin_port(ok));
        worst = took > worst ? took : worst;
        assert_took("fresh GET", took, 0, 1000 + slack_ms());
    }
    print_message("worst of 10 fresh GETs: %llu ms (stuck: silent origin, unread 8 MiB, "
                  "trickled head%s%s; %d silent lookups)\n",
                  (unsigned long long)worst, hole_client != NULL ? ", blackhole" : "",
                  dns != NULL ? ", silent DNS" : "", lookups);
    assert_int_equal(pc_it_client_wait_bytes(slow_head, 1, 50), UV_ETIMEDOUT);
    if (hole_client != NULL) {
        assert_int_equal(pc_it_client_wait_bytes(hole_client, 1, 50), UV_ETIMEDOUT);
    }
}

/*
 * Lookups do not wait for each other: six requests stuck on a silent name
 * server (each lookup holds a thread of libuv's pool until the resolver
 * gives up) leave a name from the hosts file resolving at once. With
 * libuv's default pool of four threads this took the resolver's timeout.
 */
static void
test_faults_silent_dns_does_not_hold_other_lookups(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *ok = pc_it_fx_http_origin(f, ok_response);
    uint64_t start, took;
    pc_it_client_t *c;
    int i;

    PC_IT_REQUIRE_SANDBOX();
    pc_it_fx_dns(f, PC_IT_DNS_SILENT);
    pc_it_fx_proxy(f, "faults_silent_dns_does_not_hold_other_lookups",
                   "ConnectTimeout 60\nShutdownTimeout 1");
    for (i = 0; i < 6; i++) {
        (void)client_sent(
            f, pc_it_fx_strf(f, "GET http://slow%d.invalid/ HTTP/1.1\r\nHost: h\r\n\r\n", i));
    }
    pc_it_sleep_ms(100); /* the six lookups are waiting on the silent server */
    start = pc_it_now_ms();
    c = pc_it_fx_client(f);
    assert_int_equal(
        pc_it_fx_exchange(f, c, pc_it_fx_get_req(f, "origin-a.test", pc_it_origin_port(ok)), false)
            ->status,
        200);
    took = pc_it_now_ms() - start;
    assert_took("hosts-file name resolved and fetched", took, 0, 400 + slack_ms());
}

/* ---- clients that abort ------------------------------------------------- */

/* A raw origin, and a proxy with an admin listener; returns the admin port. */
static int
abort_setup(pc_it_fx_t *f, const char *name, raw_origin_t **o)
{
    *o = raw_start(f);
    return admin_port(
        f, pc_it_fx_proxy(f, name, "ConnectPort 1024-65535\nAdmin 127.0.0.1:0\nShutdownTimeout 1"));
}

/*
 * After an abort: the proxy closes its side of the origin connection (the
 * origin reads EOF or a reset) and, once the origin has closed as well, no
 * connection is left and the proxy still serves. (A client's FIN is passed
 * on as a half-close, so the tunnel ends when the origin closes: the
 * origin here closes as soon as it reads the EOF, as real servers do.)
 */
static void
expect_abort_cleaned_up(pc_it_fx_t *f, raw_origin_t *o, int admin)
{
    uint64_t bound = 3000 + slack_ms();

    assert_took("origin side closed", raw_expect_closed(o, bound), 0, bound);
    raw_close(o);
    expect_no_connections(admin);
    pc_it_fx_expect_200(f, get_req(f, pc_it_origin_port(pc_it_fx_http_origin(f, ok_response))),
                        "ok");
    expect_no_connections(admin);
}

/* The client closes after 100 of 1000 declared body bytes. */
static void
test_faults_client_aborts_mid_request_body(void **state)
{
    pc_it_fx_t *f = *state;
    raw_origin_t *o;
    int admin = abort_setup(f, "faults_client_aborts_mid_request_body", &o);
    pc_it_client_t *c;
    char body[100];

    memset(body, 'u', sizeof(body));
    c = client_sent(f, pc_it_fx_strf(f,
                                     "POST http://127.0.0.1:%d/up HTTP/1.1\r\nHost: h\r\n"
                                     "Content-Length: 1000\r\n\r\n",
                                     o->port));
    assert_int_equal(pc_it_client_send(c, body, sizeof(body), PC_IT_TIMEOUT_MS), 0);
    raw_expect_request(o, sizeof(body));
    pc_it_fx_close_client(f, c);
    expect_abort_cleaned_up(f, o, admin);
}

/* A tunnel to the raw origin with one exchange each way done; returns the client. */
static pc_it_client_t *
open_tunnel(pc_it_fx_t *f, raw_origin_t *o)
{
    pc_it_client_t *c = client_sent(f, pc_it_fx_connect_req(f, "127.0.0.1", o->port));

    pc_it_fx_expect_established(c);
    assert_int_equal(pc_it_client_send_str(c, "ping", PC_IT_TIMEOUT_MS), 0);
    assert_int_equal(raw_run_until(o, raw_cond_bytes, 4, PC_IT_TIMEOUT_MS), 0);
    raw_send_str(o, "pong");
    assert_int_equal(pc_it_client_wait_bytes(c, 4, PC_IT_TIMEOUT_MS), 0);
    return c;
}

/* The client closes (FIN) a tunnel that just carried data both ways. */
static void
test_faults_client_closes_mid_tunnel(void **state)
{
    pc_it_fx_t *f = *state;
    raw_origin_t *o;
    int admin = abort_setup(f, "faults_client_closes_mid_tunnel", &o);
    pc_it_client_t *c = open_tunnel(f, o);

    pc_it_fx_close_client(f, c);
    expect_abort_cleaned_up(f, o, admin);
}

/*
 * The client closes a tunnel with 64 KiB it never read still queued, so
 * its kernel resets the connection (RST) while data is flowing to it.
 */
static void
test_faults_client_resets_mid_tunnel(void **state)
{
    pc_it_fx_t *f = *state;
    raw_origin_t *o;
    int admin = abort_setup(f, "faults_client_resets_mid_tunnel", &o);
    pc_it_client_t *c = open_tunnel(f, o);
    char *data = pc_it_fx_defer(f, free, pc_it_xmalloc(65536));

    memset(data, 'd', 65536);
    raw_send(o, data, 65536);
    pc_it_sleep_ms(200); /* in the client's socket, unread */
    pc_it_fx_close_client(f, c);
    expect_abort_cleaned_up(f, o, admin);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        PC_IT_TEST(test_faults_trickled_request_head_408),
        PC_IT_TEST(test_faults_trickled_response_head_504),
        PC_IT_TEST(test_faults_silent_origin_504),
        PC_IT_TEST(test_faults_slow_upload_outlives_response_timeout),
        PC_IT_TEST(test_faults_stalled_upload_408),
        PC_IT_TEST(test_faults_early_response_ends_response_phase),
        PC_IT_TEST(test_faults_origin_stalls_mid_body),
        PC_IT_TEST(test_faults_origin_reset_mid_body),
        PC_IT_TEST(test_faults_binary_response_502),
        PC_IT_TEST(test_faults_garbage_after_status_line_502),
        PC_IT_TEST(test_faults_bytes_after_response_dropped),
        PC_IT_TEST(test_faults_no_head_of_line_blocking),
        PC_IT_TEST(test_faults_silent_dns_does_not_hold_other_lookups),
        PC_IT_TEST(test_faults_client_aborts_mid_request_body),
        PC_IT_TEST(test_faults_client_closes_mid_tunnel),
        PC_IT_TEST(test_faults_client_resets_mid_tunnel),
    };

    pc_it_sys_init();
    return cmocka_run_group_tests_name("faults", tests, NULL, NULL);
}
