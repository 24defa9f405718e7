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
