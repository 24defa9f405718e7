/*
 * test_http.c: plain HTTP forwarding through the real proxy.
 *
 * Each test starts an origin on loopback, then the proxy, sends absolute-form
 * requests through a client connection, and checks both what the origin
 * received (byte-exact) and what the client got back. The spec is the
 * "Plain HTTP" section of the brief: origin-form target, Host from the
 * target (port omitted when 80), hop-by-hop fields and the fields named in
 * Connection removed, "Via: 1.1 <ViaName>" appended, everything else kept in
 * order with duplicates; bodies relayed exactly.
 */
#include "it_fixture.h"

#include <stdlib.h>
#include <string.h>

static const char hello_response[] = "HTTP/1.1 200 OK\r\n"
                                     "Content-Type: text/plain\r\n"
                                     "Content-Length: 13\r\n"
                                     "X-Origin: a\r\n"
                                     "\r\n"
                                     "Hello, world!";

/* Asserts a 200 response with exactly `body` and the proxy's Via. */
static void
expect_ok(const pc_it_response_t *r, const char *body, const char *via)
{
    assert_int_equal(r->status, 200);
    pc_it_assert_bytes("response body", r->body, r->body_len, body, strlen(body));
    pc_it_assert_field(r, "Via", via);
    assert_int_equal(pc_it_http_field_count(r->raw, r->head_len, "Via"), 1);
}

/* Asserts a response with `status` and no body bytes. */
static void
expect_no_body(const pc_it_response_t *r, int status)
{
    assert_int_equal(r->status, status);
    assert_int_equal(r->body_len, 0);
}

/* Asserts that origin request i is exactly `want`. */
static void
expect_request(pc_it_origin_t *o, size_t i, const char *want, size_t want_len)
{
    size_t len;
    const char *got = pc_it_fx_request(o, i, &len);

    pc_it_assert_bytes("request at the origin", got, len, want, want_len);
}

/*
 * Starts the proxy (conf_extra: conf), sends "GET http://host:<port>path"
 * with "Host: x" through it, expects the hello response with `via`, and
 * that the origin got exactly "GET path" with Host host:<port> and that Via.
 */
static void
expect_hello_get(pc_it_fx_t *f, pc_it_origin_t *o, const char *name, const char *conf,
                 const char *host, const char *path, const char *via)
{
    int port = pc_it_origin_port(o);
    pc_it_client_t *c;
    const char *want;

    pc_it_fx_proxy(f, name, conf);
    c = pc_it_fx_client(f);
    expect_ok(pc_it_fx_exchange(f, c,
                                pc_it_fx_strf(f, "GET http://%s:%d%s HTTP/1.1\r\nHost: x\r\n\r\n",
                                              host, port, path),
                                false),
              "Hello, world!", via);
    want = pc_it_fx_strf(f, "GET %s HTTP/1.1\r\nHost: %s:%d\r\nVia: %s\r\n\r\n", path, host, port,
                         via);
    expect_request(o, 0, want, strlen(want));
}

static void
test_http_get_rewrites_head(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, hello_response);
    int port = pc_it_origin_port(o);
    pc_it_client_t *c;
    const char *want;

    pc_it_fx_proxy(f, "http_get_rewrites_head", NULL);
    c = pc_it_fx_client(f);
    expect_ok(
        pc_it_fx_exchange(f, c,
                          pc_it_fx_strf(f,
                                        "GET http://127.0.0.1:%d/path/x?q=1&r=%%20 HTTP/1.1\r\n"
                                        "Host: wrong.example\r\n"
                                        "User-Agent: itest/1.0\r\n"
                                        "X-Dup: one\r\n"
                                        "Connection: keep-alive, X-Secret , x-other\r\n"
                                        "Keep-Alive: timeout=5\r\n"
                                        "X-Secret: hidden\r\n"
                                        "Proxy-Connection: keep-alive\r\n"
                                        "Proxy-Authorization: Basic Zm9vOmJhcg==\r\n"
                                        "TE: trailers\r\n"
                                        "Trailer: X-Checksum\r\n"
                                        "Upgrade: websocket\r\n"
                                        "X-Other: also hidden\r\n"
                                        "Accept: */*\r\n"
                                        "X-Dup: two\r\n"
                                        "X-Dup: one\r\n"
                                        "\r\n",
                                        port),
                          false),
        "Hello, world!", "1.1 portcullis");
    want = pc_it_fx_strf(f,
                         "GET /path/x?q=1&r=%%20 HTTP/1.1\r\n"
                         "Host: 127.0.0.1:%d\r\n"
                         "User-Agent: itest/1.0\r\n"
                         "X-Dup: one\r\n"
                         "Accept: */*\r\n"
                         "X-Dup: two\r\n"
                         "X-Dup: one\r\n"
                         "Via: 1.1 portcullis\r\n"
                         "\r\n",
                         port);
    expect_request(o, 0, want, strlen(want));
}

static void
test_http_get_response_fields_kept(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, "HTTP/1.1 200 OK\r\n"
                                                "Content-Type: text/plain\r\n"
                                                "Set-Cookie: a=1\r\n"
                                                "Content-Length: 2\r\n"
                                                "Set-Cookie: b=2\r\n"
                                                "\r\n"
                                                "ok");
    pc_it_client_t *c;
    pc_it_response_t *r;
    const char *v;
    size_t vlen;

    pc_it_fx_proxy(f, "http_get_response_fields_kept", NULL);
    c = pc_it_fx_client(f);
    r = pc_it_fx_exchange(f, c,
                          pc_it_fx_strf(f, "GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: h\r\n\r\n",
                                        pc_it_origin_port(o)),
                          false);
    expect_ok(r, "ok", "1.1 portcullis");
    pc_it_assert_field(r, "Content-Type", "text/plain");
    assert_true(pc_it_http_field(r->raw, r->head_len, "Set-Cookie", 1, &v, &vlen));
    pc_it_assert_bytes("second Set-Cookie", v, vlen, "b=2", 3);
}

/*
 * The request line keeps the client's version. Via names the protocol of the
 * message the proxy received (RFC 9110 section 7.6.3), so for HTTP/1.0 both
 * directions carry "1.0 portcullis"; the brief's "Via: 1.1 portcullis" is the
 * HTTP/1.1 case of the same rule.
 */
static void
test_http_get_http10_version_kept(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
    int port = pc_it_origin_port(o);
    pc_it_client_t *c;
    const char *want;

    pc_it_fx_proxy(f, "http_get_http10_version_kept", NULL);
    c = pc_it_fx_client(f);
    expect_ok(
        pc_it_fx_exchange(
            f, c, pc_it_fx_strf(f, "GET http://127.0.0.1:%d/ten HTTP/1.0\r\n\r\n", port), false),
        "ok", "1.0 portcullis");
    want = pc_it_fx_strf(
        f, "GET /ten HTTP/1.0\r\nHost: 127.0.0.1:%d\r\nVia: 1.0 portcullis\r\n\r\n", port);
    expect_request(o, 0, want, strlen(want));
}

static void
test_http_via_name(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, hello_response);

    expect_hello_get(f, o, "http_via_name", "ViaName gate7", "127.0.0.1", "/v", "1.1 gate7");
}

/* Port 80 can be bound only in the sandbox (root, private namespace). */
static void
test_http_default_port_omitted_from_host(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_opts_t opts;
    pc_it_origin_t *o;
    pc_it_client_t *c;
    static const char want[] = "GET /p HTTP/1.1\r\nHost: 127.0.0.1\r\nVia: 1.1 portcullis\r\n\r\n";

    PC_IT_REQUIRE_SANDBOX();
    memset(&opts, 0, sizeof(opts));
    opts.port = 80;
    opts.responses[0] = hello_response;
    o = pc_it_fx_origin(f, &opts);
    pc_it_fx_proxy(f, "http_default_port_omitted_from_host", NULL);
    c = pc_it_fx_client(f);
    expect_ok(pc_it_fx_exchange(f, c, "GET http://127.0.0.1/p HTTP/1.1\r\nHost: x\r\n\r\n", false),
              "Hello, world!", "1.1 portcullis");
    expect_ok(
        pc_it_fx_exchange(f, c, "GET http://127.0.0.1:80/p HTTP/1.1\r\nHost: x\r\n\r\n", false),
        "Hello, world!", "1.1 portcullis");
    expect_request(o, 0, want, strlen(want));
    expect_request(o, 1, want, strlen(want));
}

static void
test_http_post_content_length_body(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o =
        pc_it_fx_http_origin(f, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    int port = pc_it_origin_port(o);
    size_t body_len = 20000;
    char *body = pc_it_fx_defer(f, free, pc_it_xmalloc(body_len));
    const char *head;
    char *want;
    size_t want_len;
    pc_it_client_t *c;

    pc_it_pattern_fill((uint8_t *)body, body_len, 0, 1);
    pc_it_fx_proxy(f, "http_post_content_length_body", NULL);
    c = pc_it_fx_client(f);
    head = pc_it_fx_strf(f,
                         "POST http://127.0.0.1:%d/upload HTTP/1.1\r\n"
                         "Host: 127.0.0.1:%d\r\n"
                         "Content-Type: application/octet-stream\r\n"
                         "Content-Length: %zu\r\n"
                         "\r\n",
                         port, port, body_len);
    assert_int_equal(pc_it_client_send_str(c, head, PC_IT_TIMEOUT_MS), 0);
    assert_int_equal(pc_it_client_send(c, body, 100, PC_IT_TIMEOUT_MS), 0);
    pc_it_sleep_ms(20);
    assert_int_equal(pc_it_client_send(c, body + 100, body_len - 100, PC_IT_TIMEOUT_MS), 0);
    assert_int_equal(pc_it_fx_exchange(f, c, NULL, false)->status, 201);
    head = pc_it_fx_strf(f,
                         "POST /upload HTTP/1.1\r\n"
                         "Host: 127.0.0.1:%d\r\n"
                         "Content-Type: application/octet-stream\r\n"
                         "Content-Length: %zu\r\n"
                         "Via: 1.1 portcullis\r\n"
                         "\r\n",
                         port, body_len);
    want_len = strlen(head) + body_len;
    want = pc_it_fx_defer(f, free, pc_it_xmalloc(want_len));
    memcpy(want, head, strlen(head));
    memcpy(want + strlen(head), body, body_len);
    expect_request(o, 0, want, want_len);
}

static void
test_http_post_chunked_body_with_trailers(void **state)
{
    static const char *const pieces[] = {"5\r\nhel", "lo\r\n1",
                                         "A\r\nabcdefghijklmnopqrstuvwxyz\r\n",
                                         "0\r\nX-Checksum: abc\r\n", "\r\n"};
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone");
    int port = pc_it_origin_port(o);
    pc_it_client_t *c;
    const char *want;
    size_t i;

    pc_it_fx_proxy(f, "http_post_chunked_body_with_trailers", NULL);
    c = pc_it_fx_client(f);
    assert_int_equal(
        pc_it_client_send_str(c,
                              pc_it_fx_strf(f,
                                            "POST http://127.0.0.1:%d/chunk HTTP/1.1\r\n"
                                            "Host: 127.0.0.1:%d\r\n"
                                            "Transfer-Encoding: chunked\r\n"
                                            "\r\n",
                                            port, port),
                              PC_IT_TIMEOUT_MS),
        0);
    for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
        pc_it_sleep_ms(10);
        assert_int_equal(pc_it_client_send_str(c, pieces[i], PC_IT_TIMEOUT_MS), 0);
    }
    expect_ok(pc_it_fx_exchange(f, c, NULL, false), "done", "1.1 portcullis");
    want = pc_it_fx_strf(
        f,
        "POST /chunk HTTP/1.1\r\n"
        "Host: 127.0.0.1:%d\r\n"
        "Transfer-Encoding: chunked\r\n"
        "Via: 1.1 portcullis\r\n"
        "\r\n"
        "5\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Checksum: abc\r\n\r\n",
        port);
    expect_request(o, 0, want, strlen(want));
}

static void
test_http_chunked_response_relayed(void **state)
{
    static const char chunked_body[] = "4\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n"
                                       "0\r\nX-Trailer: done\r\n\r\n";
    pc_it_fx_t *f = *state;
    pc_it_origin_opts_t opts;
    pc_it_origin_t *o;
    pc_it_client_t *c;
    const char *req;
    pc_it_response_t *r;

    memset(&opts, 0, sizeof(opts));
    opts.responses[0] = pc_it_fx_strf(
        f, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n%s", chunked_body);
    opts.responses[1] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nafter";
    o = pc_it_fx_origin(f, &opts);
    pc_it_fx_proxy(f, "http_chunked_response_relayed", NULL);
    c = pc_it_fx_client(f);
    req = pc_it_fx_strf(f, "GET http://127.0.0.1:%d/c HTTP/1.1\r\nHost: x\r\n\r\n",
                        pc_it_origin_port(o));
    r = pc_it_fx_exchange(f, c, req, false);
    expect_ok(r, chunked_body, "1.1 portcullis");
    pc_it_assert_field(r, "Transfer-Encoding", "chunked");
    expect_ok(pc_it_fx_exchange(f, c, req, false), "after", "1.1 portcullis");
}

/*
 * Starts an origin that answers once with head and then body_len pattern
 * bytes (seed), closing after if close_after, then the proxy, and GETs path
 * through a client (*cp). Returns the response; *body: the bytes sent after
 * head.
 */
static pc_it_response_t *
get_pattern_body(pc_it_fx_t *f, const char *name, const char *head, size_t body_len, uint64_t seed,
                 bool close_after, const char *path, pc_it_client_t **cp, const char **body)
{
    size_t head_len = strlen(head);
    char *resp = pc_it_fx_defer(f, free, pc_it_xmalloc(head_len + body_len));
    pc_it_origin_opts_t opts;
    pc_it_origin_t *o;

    memcpy(resp, head, head_len);
    pc_it_pattern_fill((uint8_t *)resp + head_len, body_len, 0, seed);
    memset(&opts, 0, sizeof(opts));
    opts.responses[0] = resp;
    opts.response_lens[0] = head_len + body_len;
    opts.close_after = close_after;
    o = pc_it_fx_origin(f, &opts);
    pc_it_fx_proxy(f, name, NULL);
    *cp = pc_it_fx_client(f);
    *body = resp + head_len;
    return pc_it_fx_exchange(f, *cp,
                             pc_it_fx_strf(f,
                                           "GET http://127.0.0.1:%d%s HTTP/1.1\r\nHost: x\r\n\r\n",
                                           pc_it_origin_port(o), path),
                             false);
}

static void
test_http_close_delimited_response(void **state)
{
    size_t body_len = 3000;
    pc_it_client_t *c;
    const char *body;
    pc_it_response_t *r =
        get_pattern_body(*state, "http_close_delimited_response",
                         "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n",
                         body_len, 2, true, "/cd", &c, &body);

    assert_int_equal(r->status, 200);
    assert_true(r->close_delimited);
    pc_it_assert_bytes("close-delimited body", r->body, r->body_len, body, body_len);
    assert_int_not_equal(pc_it_client_read_status(c), 0);
}

static void
test_http_large_content_length_response(void **state)
{
    size_t body_len = 2u << 20;
    pc_it_client_t *c;
    const char *body;
    pc_it_response_t *r = get_pattern_body(*state, "http_large_content_length_response",
                                           "HTTP/1.1 200 OK\r\nContent-Length: 2097152\r\n\r\n",
                                           body_len, 4, false, "/big", &c, &body);

    assert_int_equal(r->status, 200);
    assert_false(r->close_delimited);
    pc_it_assert_bytes("2 MiB body", r->body, r->body_len, body, body_len);
}

/* A proxy forwards 1xx responses (RFC 9110 section 15.2); they have no body. */
static void
test_http_interim_1xx_response(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, "HTTP/1.1 100 Continue\r\n\r\n"
                                                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    pc_it_client_t *c;
    pc_it_response_t *r;

    pc_it_fx_proxy(f, "http_interim_1xx_response", NULL);
    c = pc_it_fx_client(f);
    r = pc_it_fx_exchange(f, c,
                          pc_it_fx_strf(f,
                                        "POST http://127.0.0.1:%d/e HTTP/1.1\r\nHost: x\r\n"
                                        "Expect: 100-continue\r\nContent-Length: 4\r\n\r\nbody",
                                        pc_it_origin_port(o)),
                          false);
    expect_no_body(r, 100);
    expect_ok(pc_it_fx_exchange(f, c, NULL, false), "ok", "1.1 portcullis");
}

static void
test_http_head_response_has_no_body(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_opts_t opts;
    pc_it_origin_t *o;
    pc_it_client_t *c;
    pc_it_response_t *r;
    int port;

    memset(&opts, 0, sizeof(opts));
    opts.responses[0] = "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n";
    opts.responses[1] = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext";
    o = pc_it_fx_origin(f, &opts);
    port = pc_it_origin_port(o);
    pc_it_fx_proxy(f, "http_head_response_has_no_body", NULL);
    c = pc_it_fx_client(f);
    r = pc_it_fx_exchange(
        f, c, pc_it_fx_strf(f, "HEAD http://127.0.0.1:%d/h HTTP/1.1\r\nHost: x\r\n\r\n", port),
        true);
    expect_no_body(r, 200);
    pc_it_assert_field(r, "Content-Length", "1234");
    expect_ok(pc_it_fx_exchange(
                  f, c,
                  pc_it_fx_strf(f, "GET http://127.0.0.1:%d/n HTTP/1.1\r\nHost: x\r\n\r\n", port),
                  false),
              "next", "1.1 portcullis");
}

static void
test_http_204_and_304_have_no_body(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_opts_t opts;
    pc_it_origin_t *o;
    pc_it_client_t *c;
    const char *req;
    pc_it_response_t *r;

    memset(&opts, 0, sizeof(opts));
    opts.responses[0] = "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n";
    opts.responses[1] = "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Length: 50\r\n\r\n";
    opts.responses[2] = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ntail";
    o = pc_it_fx_origin(f, &opts);
    pc_it_fx_proxy(f, "http_204_and_304_have_no_body", NULL);
    c = pc_it_fx_client(f);
    req = pc_it_fx_strf(f, "GET http://127.0.0.1:%d/x HTTP/1.1\r\nHost: x\r\n\r\n",
                        pc_it_origin_port(o));
    r = pc_it_fx_exchange(f, c, req, false);
    expect_no_body(r, 204);
    r = pc_it_fx_exchange(f, c, req, false);
    expect_no_body(r, 304);
    expect_ok(pc_it_fx_exchange(f, c, req, false), "tail", "1.1 portcullis");
}

static void
test_http_keepalive_two_origins(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *a = pc_it_fx_http_origin(f, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA");
    pc_it_origin_t *b = pc_it_fx_http_origin(f, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB");
    const char *host_a = pc_it_sandboxed() ? "origin-a.test" : "127.0.0.1";
    const char *host_b = pc_it_sandboxed() ? "origin-b.test" : "127.0.0.1";
    int pa = pc_it_origin_port(a);
    int pb = pc_it_origin_port(b);
    pc_it_client_t *c;
    const char *want;

    pc_it_fx_proxy(f, "http_keepalive_two_origins", NULL);
    c = pc_it_fx_client(f);
    expect_ok(pc_it_fx_exchange(
                  f, c,
                  pc_it_fx_strf(f, "GET http://%s:%d/a HTTP/1.1\r\nHost: x\r\n\r\n", host_a, pa),
                  false),
              "A", "1.1 portcullis");
    expect_ok(pc_it_fx_exchange(
                  f, c,
                  pc_it_fx_strf(f, "GET http://%s:%d/b HTTP/1.1\r\nHost: x\r\n\r\n", host_b, pb),
                  false),
              "B", "1.1 portcullis");
    expect_ok(pc_it_fx_exchange(
                  f, c,
                  pc_it_fx_strf(f, "GET http://%s:%d/a2 HTTP/1.1\r\nHost: x\r\n\r\n", host_a, pa),
                  false),
              "A", "1.1 portcullis");
    want = pc_it_fx_strf(f, "GET /b HTTP/1.1\r\nHost: %s:%d\r\nVia: 1.1 portcullis\r\n\r\n", host_b,
                         pb);
    expect_request(b, 0, want, strlen(want));
    want = pc_it_fx_strf(f, "GET /a2 HTTP/1.1\r\nHost: %s:%d\r\nVia: 1.1 portcullis\r\n\r\n",
                         host_a, pa);
    expect_request(a, 1, want, strlen(want));
    assert_int_equal(pc_it_origin_request_count(b), 1);
    assert_int_equal(pc_it_client_read_status(c), 0);
}

static void
test_http_pipelined_requests(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_opts_t opts;
    pc_it_origin_t *o;
    pc_it_client_t *c;
    size_t len;
    int port;

    memset(&opts, 0, sizeof(opts));
    opts.responses[0] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none";
    opts.responses[1] =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n";
    opts.responses[2] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthree";
    o = pc_it_fx_origin(f, &opts);
    port = pc_it_origin_port(o);
    pc_it_fx_proxy(f, "http_pipelined_requests", NULL);
    c = pc_it_fx_client(f);
    assert_int_equal(
        pc_it_client_send_str(c,
                              pc_it_fx_strf(f,
                                            "GET http://127.0.0.1:%d/1 HTTP/1.1\r\nHost: x\r\n\r\n"
                                            "GET http://127.0.0.1:%d/2 HTTP/1.1\r\nHost: x\r\n\r\n"
                                            "GET http://127.0.0.1:%d/3 HTTP/1.1\r\nHost: x\r\n\r\n",
                                            port, port, port),
                              PC_IT_TIMEOUT_MS),
        0);
    expect_ok(pc_it_fx_exchange(f, c, NULL, false), "one", "1.1 portcullis");
    expect_ok(pc_it_fx_exchange(f, c, NULL, false), "3\r\ntwo\r\n0\r\n\r\n", "1.1 portcullis");
    expect_ok(pc_it_fx_exchange(f, c, NULL, false), "three", "1.1 portcullis");
    assert_true(strncmp(pc_it_fx_request(o, 0, &len), "GET /1 ", 7) == 0);
    assert_true(strncmp(pc_it_fx_request(o, 1, &len), "GET /2 ", 7) == 0);
    assert_true(strncmp(pc_it_fx_request(o, 2, &len), "GET /3 ", 7) == 0);
}

static void
test_http_ipv6_literal_target(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_opts_t opts;
    pc_it_origin_t *o;

    memset(&opts, 0, sizeof(opts));
    opts.bind_ip = "::1";
    opts.responses[0] = hello_response;
    if (pc_it_fx_try_origin(f, &opts, &o) != 0) {
        print_message("skipped: no ::1 on this host\n");
        skip();
    }
    expect_hello_get(f, o, "http_ipv6_literal_target", NULL, "[::1]", "/six", "1.1 portcullis");
}

/* dual.test resolves to ::1 first, where nothing listens on the port. */
static void
test_http_dual_stack_name_tries_next_address(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o;

    PC_IT_REQUIRE_SANDBOX();
    o = pc_it_fx_http_origin(f, hello_response);
    assert_int_equal(pc_it_port_bindable("::1", pc_it_origin_port(o)), 0);
    expect_hello_get(f, o, "http_dual_stack_name_tries_next_address", NULL, "dual.test", "/d",
                     "1.1 portcullis");
}

/* A head that arrives one byte per write is parsed once it is complete. */
static void
test_http_head_one_byte_at_a_time(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    pc_it_client_t *c;
    const char *req;
    size_t i;

    pc_it_fx_proxy(f, "http_head_one_byte_at_a_time", NULL);
    c = pc_it_fx_client(f);
    req = pc_it_fx_strf(f, "GET http://127.0.0.1:%d/slow HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\r\n",
                        pc_it_origin_port(o));
    for (i = 0; req[i] != '\0'; i++) {
        assert_int_equal(pc_it_client_send(c, req + i, 1, PC_IT_TIMEOUT_MS), 0);
        if (i % 8 == 0) {
            pc_it_sleep_ms(1);
        }
    }
    expect_ok(pc_it_fx_exchange(f, c, NULL, false), "ok", "1.1 portcullis");
    assert_int_equal(pc_it_origin_request_count(o), 1u);
}

/* ---- reuse of origin connections (OriginKeepAlive) ------------------------ */

static const char ok_a[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA";

/* n requests, each from a new client connection, to origin o; every answer "A". */
static void
gets_from_new_clients(pc_it_fx_t *f, pc_it_origin_t *o, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        pc_it_fx_expect_200(f, pc_it_fx_get_req(f, "127.0.0.1", pc_it_origin_port(o)), "A");
    }
}

/*
 * Requests from different clients to one origin share one origin
 * connection; requests to another origin get their own.
 */
static void
test_http_origin_connection_reused(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *a = pc_it_fx_http_origin(f, ok_a);
    pc_it_origin_t *b = pc_it_fx_http_origin(f, ok_a);

    /* One worker: each worker keeps idle connections of its own. */
    pc_it_fx_proxy(f, "http_origin_connection_reused", "Workers 1");
    gets_from_new_clients(f, a, 5);
    gets_from_new_clients(f, b, 2);
    gets_from_new_clients(f, a, 1);
    assert_int_equal(pc_it_origin_request_count(a), 6);
    assert_int_equal(pc_it_origin_accepts(a), 1);
    assert_int_equal(pc_it_origin_request_count(b), 2);
    assert_int_equal(pc_it_origin_accepts(b), 1);
}

/*
 * Never reused: a response with Connection: close, a close-delimited one,
 * an HTTP/1.0 one, and a connection after bytes past the response.
 */
static void
test_http_origin_connection_not_reused(void **state)
{
    static const char *const responses[] = {
        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nA",
        "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nA",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nAextra",
    };
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o[3];
    size_t i;

    for (i = 0; i < 3; i++) {
        o[i] = pc_it_fx_http_origin(f, responses[i]);
    }
    pc_it_fx_proxy(f, "http_origin_connection_not_reused", NULL);
    for (i = 0; i < 3; i++) {
        gets_from_new_clients(f, o[i], 3);
        assert_int_equal(pc_it_origin_request_count(o[i]), 3);
        if (pc_it_origin_accepts(o[i]) != 3) {
            fail_msg("response %zu: %u connections for 3 requests, want 3", i,
                     pc_it_origin_accepts(o[i]));
        }
    }
}

static void
test_http_origin_keepalive_off(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_a);

    pc_it_fx_proxy(f, "http_origin_keepalive_off", "OriginKeepAlive 0");
    gets_from_new_clients(f, o, 3);
    assert_int_equal(pc_it_origin_accepts(o), 3);
}

/*
 * The race every keep-alive proxy has: the origin closes an idle connection
 * just as a request is sent on it. A request without a body is resent once
 * on a new connection, and the client never notices; a request with a body
 * never takes an idle connection at all.
 */
static void
test_http_origin_closed_idle_connection_retried(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_opts_t opts;
    pc_it_origin_t *o;
    pc_it_client_t *c;
    int port;

    memset(&opts, 0, sizeof(opts));
    opts.responses[0] = ok_a;
    opts.drop_after = 1; /* one answer per connection; the next request finds it closed */
    o = pc_it_fx_origin(f, &opts);
    port = pc_it_origin_port(o);
    pc_it_fx_proxy(f, "http_origin_closed_idle_connection_retried", "Workers 1");
    gets_from_new_clients(f, o, 3);
    assert_int_equal(pc_it_origin_request_count(o), 3);
    /* Each later request finds the idle connection closed and opens one more. */
    assert_int_equal(pc_it_origin_accepts(o), 3);

    /* A POST with a body after a GET: a new connection, not the idle one. */
    c = pc_it_fx_client(f);
    expect_ok(pc_it_fx_exchange(f, c,
                                pc_it_fx_strf(f,
                                              "POST http://127.0.0.1:%d/p HTTP/1.1\r\nHost: x\r\n"
                                              "Content-Length: 3\r\n\r\nabc",
                                              port),
                                false),
              "A", "1.1 portcullis");
    assert_int_equal(pc_it_origin_request_count(o), 4);
    assert_int_equal(pc_it_origin_accepts(o), 4);
}

/* An idle origin connection is closed after OriginKeepAlive seconds. */
static void
test_http_origin_connection_expires(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_a);

    pc_it_fx_proxy(f, "http_origin_connection_expires", "OriginKeepAlive 1\nWorkers 1");
    gets_from_new_clients(f, o, 2);
    assert_int_equal(pc_it_origin_accepts(o), 1);
    pc_it_sleep_ms(2500);
    gets_from_new_clients(f, o, 1);
    assert_int_equal(pc_it_origin_accepts(o), 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        PC_IT_TEST(test_http_get_rewrites_head),
        PC_IT_TEST(test_http_get_response_fields_kept),
        PC_IT_TEST(test_http_get_http10_version_kept),
        PC_IT_TEST(test_http_via_name),
        PC_IT_TEST(test_http_default_port_omitted_from_host),
        PC_IT_TEST(test_http_post_content_length_body),
        PC_IT_TEST(test_http_post_chunked_body_with_trailers),
        PC_IT_TEST(test_http_head_one_byte_at_a_time),
        PC_IT_TEST(test_http_chunked_response_relayed),
        PC_IT_TEST(test_http_close_delimited_response),
        PC_IT_TEST(test_http_large_content_length_response),
        PC_IT_TEST(test_http_interim_1xx_response),
        PC_IT_TEST(test_http_head_response_has_no_body),
        PC_IT_TEST(test_http_204_and_304_have_no_body),
        PC_IT_TEST(test_http_keepalive_two_origins),
        PC_IT_TEST(test_http_pipelined_requests),
        PC_IT_TEST(test_http_origin_connection_reused),
        PC_IT_TEST(test_http_origin_connection_not_reused),
        PC_IT_TEST(test_http_origin_keepalive_off),
        PC_IT_TEST(test_http_origin_closed_idle_connection_retried),
        PC_IT_TEST(test_http_origin_connection_expires),
        PC_IT_TEST(test_http_ipv6_literal_target),
        PC_IT_TEST(test_http_dual_stack_name_tries_next_address),
    };

    pc_it_sys_init();
    return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
