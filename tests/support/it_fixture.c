/*
 * it_fixture.c: the per-test fixture and assertion helpers (see
 * it_fixture.h).
 */
#include "it_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
pc_it_fx_setup(void **state)
{
    pc_it_fx_t *f = calloc(1, sizeof(*f));

    if (f == NULL) {
        return -1;
    }
    *state = f;
    return 0;
}

/* Closes clients and origins, then checks on and frees the proxy. */
int
pc_it_fx_teardown(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_exit_t how;
    int rc = 0;
    size_t i;

    for (i = 0; i < PC_IT_FX_MAX_CLIENTS; i++) {
        pc_it_client_close(f->clients[i]);
    }
    for (i = 0; i < PC_IT_FX_MAX_ORIGINS; i++) {
        pc_it_origin_stop(f->origins[i]);
    }
    pc_it_blackhole_stop(f->blackhole);
    pc_it_dns_stop(f->dns);
    if (f->proxy != NULL && pc_it_proxy_died(f->proxy, &how)) {
        fprintf(stderr, "harness: the proxy exited unasked (status %lld, signal %d)\n",
                (long long)how.exit_status, how.term_signal);
        pc_it_proxy_dump_stderr(f->proxy);
        rc = -1;
    } else if (f->proxy != NULL && pc_it_proxy_stop_clean(f->proxy, &how) != 0) {
        /* Every test ends with a graceful stop that must exit 0: the proxy
         * exits 1 if a handle was left open, valgrind (PC_TEST_WRAPPER)
         * exits 99 on a memory error or leak. */
        fprintf(stderr, "harness: the proxy did not stop cleanly (status %lld, signal %d)\n",
                (long long)how.exit_status, how.term_signal);
        pc_it_proxy_dump_stderr(f->proxy);
        rc = -1;
    }
    pc_it_proxy_free(f->proxy);
    for (i = f->num_deferred; i > 0; i--) {
        f->deferred[i - 1].fn(f->deferred[i - 1].p);
    }
    free(f);
    return rc;
}

void *
pc_it_fx_defer(pc_it_fx_t *f, void (*fn)(void *), void *p)
{
    assert_true(f->num_deferred < PC_IT_FX_MAX_DEFERRED);
    f->deferred[f->num_deferred].fn = fn;
    f->deferred[f->num_deferred].p = p;
    f->num_deferred++;
    return p;
}

char *
pc_it_fx_strf(pc_it_fx_t *f, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *s;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    s = pc_it_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return pc_it_fx_defer(f, free, s);
}

char *
pc_it_fx_with_port(pc_it_fx_t *f, const char *tmpl, int port)
{
    char num[16];
    size_t n = (size_t)snprintf(num, sizeof(num), "%d", port);
    char *out = pc_it_fx_defer(f, free, pc_it_xmalloc(strlen(tmpl) * 2 + 16));
    size_t o = 0;

    while (*tmpl != '\0') {
        if (strncmp(tmpl, "PORT", 4) == 0) {
            memcpy(out + o, num, n);
            o += n;
            tmpl += 4;
        } else {
            out[o++] = *tmpl++;
        }
    }
    out[o] = '\0';
    return out;
}

char *
pc_it_fx_filled(pc_it_fx_t *f, char ch, size_t n)
{
    char *s = pc_it_fx_defer(f, free, pc_it_xmalloc(n + 1));

    memset(s, ch, n);
    s[n] = '\0';
    return s;
}

pc_it_proxy_t *
pc_it_fx_proxy(pc_it_fx_t *f, const char *name, const char *conf_extra)
{
    int rc;

    assert_null(f->proxy);
    rc = pc_it_proxy_start(&f->proxy, name, conf_extra, PC_IT_TIMEOUT_MS);
    if (rc != 0) {
        fail_msg("cannot start %s: %s", pc_it_proxy_binary(), uv_strerror(rc));
    }
    return f->proxy;
}

int
pc_it_fx_try_origin(pc_it_fx_t *f, const pc_it_origin_opts_t *opts, pc_it_origin_t **out)
{
    size_t i;
    int rc;

    for (i = 0; i < PC_IT_FX_MAX_ORIGINS && f->origins[i] != NULL; i++) {
    }
    assert_true(i < PC_IT_FX_MAX_ORIGINS);
    rc = pc_it_origin_start(out, opts);
    if (rc == 0) {
        f->origins[i] = *out;
    }
    return rc;
}

pc_it_origin_t *
pc_it_fx_origin(pc_it_fx_t *f, const pc_it_origin_opts_t *opts)
{
    pc_it_origin_t *o;
    int rc = pc_it_fx_try_origin(f, opts, &o);

    if (rc != 0) {
        fail_msg("cannot start the origin: %s", uv_strerror(rc));
    }
    return o;
}

pc_it_origin_t *
pc_it_fx_http_origin(pc_it_fx_t *f, const char *response)
{
    pc_it_origin_opts_t opts;

    memset(&opts, 0, sizeof(opts));
    opts.responses[0] = response;
    return pc_it_fx_origin(f, &opts);
}

int
pc_it_fx_blackhole(pc_it_fx_t *f)
{
    int port = 0;
    int rc;

    assert_null(f->blackhole);
    rc = pc_it_blackhole_start(&f->blackhole, &port);
    if (rc == UV_ENOTSUP) {
        print_message("skipped: connects to a full backlog do not hang here\n");
        skip();
    }
    if (rc != 0) {
        fail_msg("cannot start the blackhole listener: %s", uv_strerror(rc));
    }
    return port;
}

void
pc_it_fx_dns(pc_it_fx_t *f, pc_it_dns_mode_t mode)
{
    int rc;

    assert_null(f->dns);
    rc = pc_it_dns_start(&f->dns, mode);
    if (rc != 0) {
        fail_msg("cannot bind the DNS stub to 127.0.0.1:53: %s", uv_strerror(rc));
    }
}

pc_it_client_t *
pc_it_fx_client(pc_it_fx_t *f)
{
    size_t i;
    int rc;

    assert_non_null(f->proxy);
    for (i = 0; i < PC_IT_FX_MAX_CLIENTS && f->clients[i] != NULL; i++) {
    }
    assert_true(i < PC_IT_FX_MAX_CLIENTS);
    rc = pc_it_client_connect(&f->clients[i], "127.0.0.1", pc_it_proxy_port(f->proxy),
                              PC_IT_TIMEOUT_MS);
    if (rc != 0) {
        fail_msg("cannot connect to the proxy: %s", uv_strerror(rc));
    }
    return f->clients[i];
}

void
pc_it_fx_close_client(pc_it_fx_t *f, pc_it_client_t *c)
{
    size_t i;

    for (i = 0; i < PC_IT_FX_MAX_CLIENTS; i++) {
        if (f->clients[i] == c) {
            pc_it_client_close(c);
            f->clients[i] = NULL;
        }
    }
}

static void
free_response(void *p)
{
    pc_it_response_free(p);
    free(p);
}

pc_it_response_t *
pc_it_fx_exchange(pc_it_fx_t *f, pc_it_client_t *c, const char *req, bool head_req)
{
    pc_it_response_t *r = calloc(1, sizeof(*r));
    size_t len;
    const char *left;
    char *esc;
    int rc;

    assert_non_null(r);
    pc_it_fx_defer(f, free_response, r);
    if (req != NULL) {
        rc = pc_it_client_send_str(c, req, PC_IT_TIMEOUT_MS);
        if (rc != 0) {
            fail_msg("send failed: %s", uv_strerror(rc));
        }
    }
    rc = pc_it_client_response(c, head_req, r, PC_IT_TIMEOUT_MS);
    if (rc != 0) {
        left = pc_it_client_data(c, &len);
        esc = pc_it_fx_defer(f, free, pc_it_escape(left, len));
        fail_msg("no complete response (%s); received %zu bytes: %s", uv_err_name(rc), len, esc);
    }
    return r;
}

void
pc_it_fx_expect_closed(pc_it_client_t *c)
{
    size_t len;
    int rc = pc_it_client_wait_close(c, PC_IT_TIMEOUT_MS);

    if (rc != 0) {
        fail_msg("the proxy did not close the connection within %u ms", PC_IT_TIMEOUT_MS);
    }
    (void)pc_it_client_data(c, &len);
    assert_int_equal(len, 0);
}

void
pc_it_fx_expect_error(pc_it_fx_t *f, pc_it_client_t *c, int status)
{
    (void)pc_it_fx_expect_error_response(f, c, status);
}

pc_it_response_t *
pc_it_fx_expect_error_response(pc_it_fx_t *f, pc_it_client_t *c, int status)
{
    pc_it_response_t *r = pc_it_fx_exchange(f, c, NULL, false);
    const char *v;
    size_t vlen;

    if (r->status != status) {
        fail_msg("expected status %d, got %d; response: %s", status, r->status,
                 (char *)pc_it_fx_defer(f, free, pc_it_escape(r->raw, r->raw_len)));
    }
    assert_true(pc_it_http_field(r->raw, r->head_len, "Content-Type", 0, &v, &vlen));
    assert_true(vlen >= 10 && memcmp(v, "text/plain", 10) == 0);
    assert_true(pc_it_http_field(r->raw, r->head_len, "Content-Length", 0, &v, &vlen));
    assert_false(r->close_delimited);
    assert_true(r->body_len > 0);
    pc_it_assert_field(r, "Connection", "close");
    pc_it_fx_expect_closed(c);
    return r;
}

const char *
pc_it_fx_request(pc_it_origin_t *o, size_t i, size_t *len)
{
    if (pc_it_origin_wait_requests(o, i + 1, PC_IT_TIMEOUT_MS) != 0) {
        fail_msg("the origin did not receive request #%zu (it has %zu)", i,
                 pc_it_origin_request_count(o));
    }
    return pc_it_origin_request(o, i, len);
}

void
pc_it_assert_bytes(const char *what, const char *got, size_t glen, const char *want, size_t wlen)
{
    char *g;
    char *w;

    if (glen == wlen && memcmp(got, want, glen) == 0) {
        return;
    }
    g = pc_it_escape(got, glen > 4096 ? 4096 : glen);
    w = pc_it_escape(want, wlen > 4096 ? 4096 : wlen);
    print_error("%s differs (got %zu bytes, want %zu)\n--- got:\n%s\n--- want:\n%s\n---\n", what,
                glen, wlen, g, w);
    free(g);
    free(w);
    fail_msg("%s differs", what);
}

void
pc_it_assert_field(const pc_it_response_t *r, const char *name, const char *want)
{
    const char *v;
    size_t vlen;

    if (!pc_it_http_field(r->raw, r->head_len, name, 0, &v, &vlen)) {
        fail_msg("response has no %s field", name);
    }
    pc_it_assert_bytes(name, v, vlen, want, strlen(want));
}

size_t
pc_it_fx_stderr_mark(const pc_it_proxy_t *p)
{
    char *path = pc_it_proxy_path(p, "stderr.log");
    char *text = NULL;
    size_t len = 0;

    if (pc_it_file_read(path, &text, &len) != 0) {
        len = 0;
    }
    free(text);
    free(path);
    return len;
}

/* The line of text[from..len) holding needle and also, copied; or NULL. */
static char *
find_line(const char *text, size_t len, size_t from, const char *needle, const char *also)
{
    size_t start = from;
    size_t end;
    char *line;

    while (start < len) {
        for (end = start; end < len && text[end] != '\n'; end++) {
        }
        if (pc_it_contains(text + start, end - start, needle)
            && (also == NULL || pc_it_contains(text + start, end - start, also))) {
            line = pc_it_xmalloc(end - start + 1);
            memcpy(line, text + start, end - start);
            line[end - start] = '\0';
            return line;
        }
        start = end + 1;
    }
    return NULL;
}

const char *
pc_it_fx_wait_stderr_line(pc_it_fx_t *f, const pc_it_proxy_t *p, size_t from, const char *needle,
                          const char *also)
{
    char *path = pc_it_fx_defer(f, free, pc_it_proxy_path(p, "stderr.log"));
    uint64_t deadline = pc_it_now_ms() + PC_IT_TIMEOUT_MS;
    char *text = NULL;
    char *line = NULL;
    size_t len = 0;

    for (;;) {
        free(text);
        text = NULL;
        len = 0;
        if (pc_it_file_read(path, &text, &len) == 0) {
            line = find_line(text, len, from, needle, also);
        }
        if (line != NULL) {
            free(text);
            return pc_it_fx_defer(f, free, line);
        }
        if (pc_it_now_ms() >= deadline) {
            break;
        }
        pc_it_sleep_ms(20);
    }
    pc_it_fx_defer(f, free, text);
    fail_msg("the proxy never logged a line with \"%s\"%s%s%s; its stderr from byte %zu:\n%s",
             needle, also != NULL ? " and \"" : "", also != NULL ? also : "",
             also != NULL ? "\"" : "", from, text != NULL && from <= len ? text + from : "");
    return NULL;
}

char **
pc_it_fx_wait_log_lines(pc_it_fx_t *f, const pc_it_proxy_t *p, size_t n)
{
    char *path = pc_it_fx_defer(f, free, pc_it_proxy_path(p, "access.log"));
    char **lines = pc_it_fx_defer(f, free, pc_it_xmalloc((n + 1) * sizeof(char *)));
    uint64_t deadline = pc_it_now_ms() + 3000;
    char *text = NULL;
    char *at;
    size_t len;
    size_t count = 0;
    size_t i;

    for (;;) {
        free(text);
        text = NULL;
        count = 0;
        if (pc_it_file_read(path, &text, &len) == 0) {
            for (i = 0; i < len; i++) {
                count += text[i] == '\n';
            }
        }
        if (count >= n || pc_it_now_ms() >= deadline) {
            break;
        }
        pc_it_sleep_ms(20);
    }
    pc_it_fx_defer(f, free, text);
    if (count != n) {
        fail_msg("access log has %zu lines, want %zu:\n%s", count, n, text != NULL ? text : "");
    }
    /* Every line ends with '\n' (count == n): cut the text there. */
    at = text;
    for (i = 0; i < n; i++) {
        lines[i] = at;
        at = strchr(at, '\n');
        *at++ = '\0';
    }
    lines[n] = NULL;
    return lines;
}

const char *
pc_it_fx_write_file(pc_it_fx_t *f, const char *test, const char *file, const char *text)
{
    char *dir = pc_it_fx_defer(f, free, pc_it_test_dir(test));
    char *path = pc_it_fx_strf(f, "%s/%s", dir, file);

    if (pc_it_file_write(path, text, strlen(text)) != 0) {
        fail_msg("cannot write %s", path);
    }
    return path;
}

/* The first line of a request, escaped, for messages (freed at teardown). */
static const char *
first_line(pc_it_fx_t *f, const char *req)
{
    const char *end = strstr(req, "\r\n");

    return pc_it_fx_defer(f, free,
                          pc_it_escape(req, end != NULL ? (size_t)(end - req) : strlen(req)));
}

void
pc_it_fx_expect_200(pc_it_fx_t *f, const char *req, const char *body)
{
    pc_it_client_t *c = pc_it_fx_client(f);
    pc_it_response_t *r = pc_it_fx_exchange(f, c, req, false);

    if (r->status != 200 || r->body_len != strlen(body)
        || memcmp(r->body, body, r->body_len) != 0) {
        fail_msg("%s: want 200 with body \"%s\", got: %s", first_line(f, req), body,
                 (char *)pc_it_fx_defer(f, free, pc_it_escape(r->raw, r->raw_len)));
    }
    pc_it_fx_close_client(f, c);
}

void
pc_it_fx_expect_refused(pc_it_fx_t *f, const char *req, int status, const char *detail)
{
    pc_it_client_t *c = pc_it_fx_client(f);
    char want[16];
    const char *data;
    const char *reason;
    const char *eol;
    const char *want_body;
    pc_it_response_t *r;
    size_t len;

    (void)pc_it_client_send_str(c, req, PC_IT_TIMEOUT_MS);
    /* "HTTP/1.1 NNN " first, so that a wrong answer names the request. */
    snprintf(want, sizeof(want), "HTTP/1.1 %03d ", status);
    (void)pc_it_client_wait_bytes(c, strlen(want), PC_IT_TIMEOUT_MS);
    data = pc_it_client_data(c, &len);
    if (len < strlen(want) || memcmp(data, want, strlen(want)) != 0) {
        fail_msg("%s: want status %d, got %zu bytes: %s", first_line(f, req), status, len,
                 (char *)pc_it_fx_defer(f, free, pc_it_escape(data, len)));
    }
    r = pc_it_fx_expect_error_response(f, c, status);
    if (detail != NULL) {
        reason = r->raw + strlen(want);
        eol = strstr(reason, "\r\n");
        assert_non_null(eol);
        want_body = pc_it_fx_strf(f, "%d %.*s: %s\n", status, (int)(eol - reason), reason, detail);
        if (r->body_len != strlen(want_body) || memcmp(r->body, want_body, r->body_len) != 0) {
            pc_it_assert_bytes(first_line(f, req), r->body, r->body_len, want_body,
                               strlen(want_body));
        }
    }
    pc_it_fx_close_client(f, c);
}

const char *
pc_it_fx_get_req(pc_it_fx_t *f, const char *host, int port)
{
    return pc_it_fx_strf(f, "GET http://%s:%d/ HTTP/1.1\r\nHost: h\r\n\r\n", host, port);
}

const char *
pc_it_fx_connect_req(pc_it_fx_t *f, const char *host, int port)
{
    return pc_it_fx_strf(f, "CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n", host, port, host,
                         port);
}

void
pc_it_fx_expect_established(pc_it_client_t *c)
{
    static const char established[] = "HTTP/1.1 200 Connection Established\r\n\r\n";
    size_t len;
    const char *data;
    int rc = pc_it_client_wait_bytes(c, sizeof(established) - 1, PC_IT_TIMEOUT_MS);

    data = pc_it_client_data(c, &len);
    if (rc != 0) {
        fail_msg("no CONNECT reply (%s), got %zu bytes", uv_err_name(rc), len);
    }
    pc_it_assert_bytes("CONNECT reply", data, sizeof(established) - 1, established,
                       sizeof(established) - 1);
    pc_it_client_consume(c, sizeof(established) - 1);
}

void
pc_it_fx_expect_tunnel_intact(pc_it_client_t *c, pc_it_origin_t *o, const uint8_t *up, uint64_t n)
{
    pc_it_tunnel_stats_t stats;
    uint64_t hash;

    assert_int_equal(pc_it_client_wait_sunk(c, n, 30000), 0);
    assert_int_equal(pc_it_origin_wait_received(o, n, 30000), 0);
    stats = pc_it_origin_tunnel(o);
    assert_int_equal(pc_it_client_sunk(c, &hash), n);
    assert_true(hash == stats.sent_hash);
    assert_int_equal(stats.received, n);
    assert_true(stats.recv_hash == pc_it_hash(PC_IT_HASH_INIT, up, (size_t)n));
}

pc_it_exit_t
pc_it_fx_run(pc_it_fx_t *f, const char *name, const char *const *args, char **out, char **err)
{
    pc_it_exit_t how;
    int rc;

    if (out != NULL) {
        *out = NULL;
    }
    if (err != NULL) {
        *err = NULL;
    }
    rc = pc_it_run(name, args, PC_IT_TIMEOUT_MS, &how, out, err);
    if (out != NULL) {
        pc_it_fx_defer(f, free, *out);
    }
    if (err != NULL) {
        pc_it_fx_defer(f, free, *err);
    }
    if (rc != 0) {
        fail_msg("running %s failed: %s", pc_it_proxy_binary(), uv_strerror(rc));
    }
    return how;
}
