/*
 * test_errors.c: the proxy's error answers and broken peers.
 *
 * Malformed requests must get 400 and a closed connection without reaching
 * the origin; over-long heads 414/431; unsupported schemes 501; origin
 * failures 502; a stalled head 408. Each error is a short text/plain body
 * with Content-Length and "Connection: close", then the proxy closes. An
 * origin that dies mid-body must make the proxy close the client connection
 * without completing the response.
 */
#include "it_fixture.h"

#include <stdlib.h>
#include <string.h>

static const char ok_response[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/* Sends a malformed request; expects 400, a close, and (usually) no origin. */
static void
expect_400(pc_it_fx_t *f, const char *name, const char *tmpl, bool head_may_reach_origin)
{
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);
    pc_it_client_t *c;

    pc_it_fx_proxy(f, name, NULL);
    c = pc_it_fx_client(f);
    assert_int_equal(pc_it_client_send_str(c, pc_it_fx_with_port(f, tmpl, pc_it_origin_port(o)),
                                           PC_IT_TIMEOUT_MS),
                     0);
    pc_it_fx_expect_error(f, c, 400);
    if (!head_may_reach_origin) {
        assert_int_equal(pc_it_origin_accepts(o), 0);
    }
    assert_int_equal(pc_it_origin_request_count(o), 0);
}

#define BAD_REQUEST_TEST(name, tmpl, may_reach)                   \
    static void test_errors_400_##name(void **state)              \
    {                                                             \
        expect_400(*state, "errors_400_" #name, tmpl, may_reach); \
    }

BAD_REQUEST_TEST(bare_lf, "GET http://127.0.0.1:PORT/ HTTP/1.1\r\nHost: h\nX-A: b\r\n\r\n", false)
BAD_REQUEST_TEST(obs_fold,
                 "GET http://127.0.0.1:PORT/ HTTP/1.1\r\nHost: h\r\nX-A: a\r\n  folded\r\n\r\n",
                 false)
BAD_REQUEST_TEST(space_before_colon,
                 "GET http://127.0.0.1:PORT/ HTTP/1.1\r\nHost: h\r\nX-A : b\r\n\r\n", false)
BAD_REQUEST_TEST(content_length_and_chunked,
                 "POST http://127.0.0.1:PORT/ HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                 false)
BAD_REQUEST_TEST(two_content_lengths,
                 "POST http://127.0.0.1:PORT/ HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                 "Content-Length: 6\r\n\r\nhello!",
                 false)
/* The head is valid, so the proxy may already have connected and sent it. */
BAD_REQUEST_TEST(bad_chunk_size,
                 "POST http://127.0.0.1:PORT/ HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                 "\r\nzz\r\nhello\r\n0\r\n\r\n",
                 true)
BAD_REQUEST_TEST(origin_form_target, "GET / HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\n\r\n", false)
BAD_REQUEST_TEST(port_out_of_range, "GET http://127.0.0.1:99999/ HTTP/1.1\r\nHost: h\r\n\r\n",
                 false)

/* Sends req (send errors ignored: the proxy may close early) and expects status. */
static void
expect_status_for(pc_it_fx_t *f, const char *name, const char *req, int status)
{
    pc_it_client_t *c;

    if (f->proxy == NULL) {
        pc_it_fx_proxy(f, name, NULL);
    }
    c = pc_it_fx_client(f);
    (void)pc_it_client_send_str(c, req, PC_IT_TIMEOUT_MS);
    pc_it_fx_expect_error(f, c, status);
}

/* expect_status_for(), then checks that the origin o was never connected to. */
static void
expect_status_unreached(pc_it_fx_t *f, pc_it_origin_t *o, const char *name, const char *req,
                        int status)
{
    expect_status_for(f, name, req, status);
    assert_int_equal(pc_it_origin_accepts(o), 0);
}

/* A request (tmpl, PORT: an ok origin's port) the proxy answers with 501 alone. */
static void
expect_501(pc_it_fx_t *f, const char *name, const char *tmpl)
{
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);

    expect_status_unreached(f, o, name, pc_it_fx_with_port(f, tmpl, pc_it_origin_port(o)), 501);
}

/* expect_status_for() on the running proxy; the answer must take min_ms to max_ms. */
static void
expect_status_after(pc_it_fx_t *f, const char *req, int status, uint64_t min_ms, uint64_t max_ms)
{
    uint64_t start = pc_it_now_ms();
    uint64_t took;

    expect_status_for(f, NULL, req, status);
    took = pc_it_now_ms() - start;
    print_message("%d after %llu ms\n", status, (unsigned long long)took);
    assert_true(took >= min_ms && took <= max_ms);
}

static void
test_errors_request_line_too_long_414(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);
    const char *path = pc_it_fx_filled(f, 'a', 10 * 1024);

    expect_status_unreached(f, o, "errors_request_line_too_long_414",
                            pc_it_fx_strf(f,
                                          "GET http://127.0.0.1:%d/%s HTTP/1.1\r\nHost: h\r\n\r\n",
                                          pc_it_origin_port(o), path),
                            414);
}

static void
test_errors_head_too_large_431(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);
    const char *value = pc_it_fx_filled(f, 'v', 5 * 1024);

    /* Four 5 KiB fields: 20 KiB of head in only five fields. */
    expect_status_unreached(f, o, "errors_head_too_large_431",
                            pc_it_fx_strf(f,
                                          "GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: h\r\n"
                                          "X-A: %s\r\nX-B: %s\r\nX-C: %s\r\nX-D: %s\r\n\r\n",
                                          pc_it_origin_port(o), value, value, value, value),
                            431);
}

static void
test_errors_too_many_fields_431(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);
    char *req = pc_it_fx_defer(f, free, pc_it_xmalloc(4096));
    size_t n;
    int i;

    n = (size_t)snprintf(req, 4096, "GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: h\r\n",
                         pc_it_origin_port(o));
    /* 120 short fields: far below 16 KiB, above the 100-field limit. */
    for (i = 0; i < 120; i++) {
        n += (size_t)snprintf(req + n, 4096 - n, "X-F%d: v\r\n", i);
    }
    snprintf(req + n, 4096 - n, "\r\n");
    expect_status_unreached(f, o, "errors_too_many_fields_431", req, 431);
}

static void
test_errors_https_target_501(void **state)
{
    expect_501(*state, "errors_https_target_501",
               "GET https://127.0.0.1:PORT/ HTTP/1.1\r\nHost: h\r\n\r\n");
}

static void
test_errors_unknown_scheme_501(void **state)
{
    expect_501(*state, "errors_unknown_scheme_501",
               "GET ftp://127.0.0.1:PORT/f HTTP/1.1\r\nHost: h\r\n\r\n");
}

static void
test_errors_connection_refused_502(void **state)
{
    pc_it_fx_t *f = *state;
    int port;

    assert_int_equal(pc_it_free_port("127.0.0.1", &port), 0);
    expect_status_for(
        f, "errors_connection_refused_502",
        pc_it_fx_strf(f, "GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: h\r\n\r\n", port), 502);
}

/*
 * In the sandbox the resolver is 127.0.0.1, where nothing listens: glibc
 * reports a temporary failure (EAI_AGAIN), the same code it gives when the
 * DNS server does not answer in time. The proxy cannot tell the two apart
 * and treats both as "no timely answer from the name server": 504. The
 * answer must come at once, well before ConnectTimeout.
 */
static void
test_errors_resolver_unreachable_504(void **state)
{
    pc_it_fx_t *f = *state;
    uint64_t start;

    PC_IT_REQUIRE_SANDBOX();
    pc_it_fx_proxy(f, "errors_resolver_unreachable_504", "ConnectTimeout 5");
    start = pc_it_now_ms();
    expect_status_for(f, NULL, "GET http://nosuch.invalid/ HTTP/1.1\r\nHost: h\r\n\r\n", 504);
    assert_true(pc_it_now_ms() - start < 4000);
}

/* With a DNS server that says "no such name", the host is unresolvable. */
static void
test_errors_nxdomain_502(void **state)
{
    pc_it_fx_t *f = *state;

    PC_IT_REQUIRE_SANDBOX();
    pc_it_fx_dns(f, PC_IT_DNS_NXDOMAIN);
    expect_status_for(f, "errors_nxdomain_502",
                      "GET http://nosuch.invalid/ HTTP/1.1\r\nHost: h\r\n\r\n", 502);
}

/* A DNS server that never answers: the lookup times out (resolv.conf: 1 s). */
static void
test_errors_dns_timeout_504(void **state)
{
    pc_it_fx_t *f = *state;

    PC_IT_REQUIRE_SANDBOX();
    pc_it_fx_dns(f, PC_IT_DNS_SILENT);
    pc_it_fx_proxy(f, "errors_dns_timeout_504", "ConnectTimeout 2");
    expect_status_after(f, "GET http://slow.invalid/ HTTP/1.1\r\nHost: h\r\n\r\n", 504, 800, 4500);
}

/* An origin whose accept queue is full: the connect hangs until ConnectTimeout. */
static void
test_errors_connect_timeout_504(void **state)
{
    pc_it_fx_t *f = *state;
    int port = pc_it_fx_blackhole(f);

    pc_it_fx_proxy(f, "errors_connect_timeout_504", "ConnectTimeout 1");
    expect_status_after(
        f, pc_it_fx_strf(f, "GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: h\r\n\r\n", port), 504, 800,
        3500);
}

static void
test_errors_malformed_origin_response_502(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, "NOT HTTP AT ALL\r\n\r\n");

    expect_status_for(f, "errors_malformed_origin_response_502",
                      pc_it_fx_strf(f, "GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: h\r\n\r\n",
                                    pc_it_origin_port(o)),
                      502);
    assert_int_equal(pc_it_origin_request_count(o), 1);
}

/* Starts an origin that sends `resp` (len bytes) and closes, and requests it. */
static pc_it_client_t *
request_from_dying_origin(pc_it_fx_t *f, const char *name, const char *resp, size_t len)
{
    pc_it_origin_opts_t opts;
    pc_it_origin_t *o;
    pc_it_client_t *c;

    memset(&opts, 0, sizeof(opts));
    opts.responses[0] = resp;
    opts.response_lens[0] = len;
    opts.close_after = true;
    o = pc_it_fx_origin(f, &opts);
    pc_it_fx_proxy(f, name, NULL);
    c = pc_it_fx_client(f);
    assert_int_equal(pc_it_client_send_str(
                         c,
                         pc_it_fx_strf(f, "GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: h\r\n\r\n",
                                       pc_it_origin_port(o)),
                         PC_IT_TIMEOUT_MS),
                     0);
    if (pc_it_client_wait_close(c, PC_IT_TIMEOUT_MS) != 0) {
        fail_msg("the proxy kept the client connection open after the origin died");
    }
    return c;
}

static void
test_errors_origin_dies_mid_body(void **state)
{
    pc_it_fx_t *f = *state;
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
    char resp[sizeof(head) - 1 + 500];
    pc_it_client_t *c;
    const char *data;
    size_t len;
    size_t head_len;

    memcpy(resp, head, sizeof(head) - 1);
    memset(resp + sizeof(head) - 1, 'b', 500);
    c = request_from_dying_origin(f, "errors_origin_dies_mid_body", resp, sizeof(resp));
    data = pc_it_client_data(c, &len);
    head_len = pc_it_http_head_end(data, len);
    assert_true(head_len > 0);
    assert_int_equal(pc_it_http_status(data, head_len), 200);
    assert_true(pc_it_http_field_is(data, head_len, "Content-Length", "1000"));
    assert_true(len - head_len <= 500);
    pc_it_assert_bytes("partial body", data + head_len, len - head_len, resp + sizeof(head) - 1,
                       len - head_len);
}

static void
test_errors_origin_dies_mid_chunked_body(void **state)
{
    pc_it_fx_t *f = *state;
    static const char resp[] =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n";
    pc_it_client_t *c;
    const char *data;
    size_t len;
    size_t head_len;
    size_t total;

    c = request_from_dying_origin(f, "errors_origin_dies_mid_chunked_body", resp, sizeof(resp) - 1);
    data = pc_it_client_data(c, &len);
    head_len = pc_it_http_head_end(data, len);
    assert_true(head_len > 0);
    assert_int_equal(pc_it_http_status(data, head_len), 200);
    /* No last-chunk may be invented: the body must stay incomplete. */
    assert_int_equal(pc_it_http_chunked_len(data + head_len, len - head_len, &total),
                     PC_IT_HTTP_PARTIAL);
}

static void
test_errors_slow_head_408(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);
    pc_it_client_t *c;
    uint64_t start;
    uint64_t took;

    pc_it_fx_proxy(f, "errors_slow_head_408", "HeaderTimeout 1");
    c = pc_it_fx_client(f);
    start = pc_it_now_ms();
    assert_int_equal(
        pc_it_client_send_str(c,
                              pc_it_fx_strf(f, "GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: h\r\n",
                                            pc_it_origin_port(o)),
                              PC_IT_TIMEOUT_MS),
        0);
    pc_it_fx_expect_error(f, c, 408);
    took = pc_it_now_ms() - start;
    print_message("408 after %llu ms\n", (unsigned long long)took);
    assert_true(took >= 800 && took <= 4000);
    assert_int_equal(pc_it_origin_accepts(o), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        PC_IT_TEST(test_errors_400_bare_lf),
        PC_IT_TEST(test_errors_400_obs_fold),
        PC_IT_TEST(test_errors_400_space_before_colon),
        PC_IT_TEST(test_errors_400_content_length_and_chunked),
        PC_IT_TEST(test_errors_400_two_content_lengths),
        PC_IT_TEST(test_errors_400_bad_chunk_size),
        PC_IT_TEST(test_errors_400_origin_form_target),
        PC_IT_TEST(test_errors_400_port_out_of_range),
        PC_IT_TEST(test_errors_request_line_too_long_414),
        PC_IT_TEST(test_errors_head_too_large_431),
        PC_IT_TEST(test_errors_too_many_fields_431),
        PC_IT_TEST(test_errors_https_target_501),
        PC_IT_TEST(test_errors_unknown_scheme_501),
        PC_IT_TEST(test_errors_connection_refused_502),
        PC_IT_TEST(test_errors_resolver_unreachable_504),
        PC_IT_TEST(test_errors_nxdomain_502),
        PC_IT_TEST(test_errors_dns_timeout_504),
        PC_IT_TEST(test_errors_connect_timeout_504),
        PC_IT_TEST(test_errors_malformed_origin_response_502),
        PC_IT_TEST(test_errors_origin_dies_mid_body),
        PC_IT_TEST(test_errors_origin_dies_mid_chunked_body),
        PC_IT_TEST(test_errors_slow_head_408),
    };

    pc_it_sys_init();
    return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
