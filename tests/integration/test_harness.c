/*
 * test_harness.c: self-tests of the integration harness, without the proxy.
 *
 * The client talks to the scripted origin directly, so a failure here is a
 * harness bug, not a proxy bug. Run it first when the suite misbehaves.
 */
#include "it_fixture.h"

#include <stdlib.h>
#include <string.h>

static void
test_harness_framing(void **state)
{
    static const char chunked[] = "5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n";
    static const char resp_cl[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcEXTRA";
    static const char resp_head[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n";
    size_t total = 0;
    bool cd;
    char *body;
    size_t len;

    (void)state;
    assert_int_equal(pc_it_http_chunked_len(chunked, strlen(chunked), &total), 1);
    assert_int_equal(total, strlen(chunked));
    assert_int_equal(pc_it_http_chunked_len(chunked, strlen(chunked) - 1, &total), 0);
    assert_int_equal(pc_it_http_chunked_len("zz\r\n", 4, &total), -1);
    assert_int_equal(pc_it_http_dechunk(chunked, strlen(chunked), &body, &len), 1);
    assert_string_equal(body, "hello");
    free(body);
    assert_int_equal(pc_it_http_response_len(resp_cl, strlen(resp_cl), false, false, &total, &cd),
                     1);
    assert_int_equal(total, strlen(resp_cl) - 5);
    assert_int_equal(
        pc_it_http_response_len(resp_head, strlen(resp_head), true, false, &total, &cd), 1);
    assert_int_equal(total, strlen(resp_head));
    assert_int_equal(
        pc_it_http_response_len(resp_head, strlen(resp_head), false, false, &total, &cd), 0);
    assert_int_equal(pc_it_http_status(resp_cl, strlen(resp_cl)), 200);
    assert_true(pc_it_http_field_is(resp_cl, strlen(resp_cl), "content-length", "3"));
}

static void
test_harness_http_origin(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_opts_t opts;
    pc_it_origin_t *o;
    pc_it_client_t *c;
    pc_it_response_t r1;
    pc_it_response_t r2;
    const char *req;
    const char *want;
    size_t len;

    memset(&opts, 0, sizeof(opts));
    opts.responses[0] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none";
    opts.responses[1] =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n";
    o = pc_it_fx_origin(f, &opts);
    assert_int_equal(pc_it_client_connect(&c, "127.0.0.1", pc_it_origin_port(o), 2000), 0);
    f->clients[0] = c;
    assert_int_equal(
        pc_it_client_send_str(c,
                              "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                              "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi",
                              2000),
        0);
    assert_int_equal(pc_it_client_response(c, false, &r1, 2000), 0);
    assert_int_equal(pc_it_client_response(c, false, &r2, 2000), 0);
    assert_int_equal(r1.status, 200);
    pc_it_assert_bytes("body 1", r1.body, r1.body_len, "one", 3);
    pc_it_assert_bytes("body 2", r2.body, r2.body_len, "3\r\ntwo\r\n0\r\n\r\n", 13);
    pc_it_response_free(&r1);
    pc_it_response_free(&r2);
    req = pc_it_fx_request(o, 1, &len);
    want = "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi";
    pc_it_assert_bytes("request 2", req, len, want, strlen(want));
    assert_int_equal(pc_it_origin_accepts(o), 1);
}

static void
test_harness_tunnel_origin(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_opts_t opts;
    pc_it_origin_t *o;
    pc_it_client_t *c;
    uint8_t *data = pc_it_xmalloc(1 << 20);
    uint64_t hash;
    pc_it_tunnel_stats_t t;

    memset(&opts, 0, sizeof(opts));
    opts.mode = PC_IT_ORIGIN_TUNNEL;
    opts.stream_bytes = 3u << 20;
    opts.stream_seed = 7;
    opts.report_on_eof = true;
    o = pc_it_fx_origin(f, &opts);
    pc_it_fx_defer(f, free, data);
    assert_int_equal(pc_it_client_connect(&c, "127.0.0.1", pc_it_origin_port(o), 2000), 0);
    f->clients[0] = c;
    pc_it_client_sink(c);
    pc_it_pattern_fill(data, 1 << 20, 0, 9);
    assert_int_equal(pc_it_client_send(c, data, 1 << 20, 10000), 0);
    assert_int_equal(pc_it_origin_wait_received(o, 1 << 20, 10000), 0);
    assert_int_equal(pc_it_client_wait_sunk(c, 3u << 20, 10000), 0);
    t = pc_it_origin_tunnel(o);
    assert_int_equal(pc_it_client_sunk(c, &hash), 3u << 20);
    assert_true(hash == t.sent_hash);
    assert_true(t.recv_hash == pc_it_hash(PC_IT_HASH_INIT, data, 1 << 20));
    assert_int_equal(pc_it_client_shutdown(c, 2000), 0);
    assert_int_equal(pc_it_client_wait_close(c, 5000), 0);
    assert_int_equal(pc_it_client_sunk(c, NULL), (3u << 20) + 4 + 8 + 16 + 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_harness_framing),
        PC_IT_TEST(test_harness_http_origin),
        PC_IT_TEST(test_harness_tunnel_origin),
    };

    pc_it_sys_init();
    return cmocka_run_group_tests_name("harness", tests, NULL, NULL);
}
