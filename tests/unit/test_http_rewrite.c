/*
 * test_http_rewrite.c: unit tests for the outgoing heads (src/http_rewrite.c).
 *
 * Each case builds a parsed message by hand and checks the exact bytes out.
 * Every case is also run with every buffer size from 0 to one byte short,
 * each buffer allocated to exactly that size so that ASan or valgrind sees a
 * write past it, and must give PC_E_NO_SPACE; the input must be unchanged.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "http_rewrite.h"
#include "portcullis/error.h"
#include "util.h"

/* The four initialisers of a pc_http_header_t from two string literals. */
#define H(n, v)    n, sizeof(n) - 1, v, sizeof(v) - 1
#define MAX_FIELDS 16

typedef struct {
    const char *what; /* shown when the case fails */
    const char *method;
    int minor;
    pc_http_header_t fields[MAX_FIELDS];
    size_t n;
    pc_http_framing_t fr;
    const char *host;
    const char *path;
    const char *via;
    const char *expect;
} req_case_t;

typedef struct {
    const char *what;
    int minor;
    int status;
    const char *reason;
    pc_http_header_t fields[MAX_FIELDS];
    size_t n;
    pc_http_framing_t fr;
    bool close;
    int client_minor;
    const char *via;
    const char *expect;
} res_case_t;

typedef int (*build_fn)(const void *c, char *out, size_t cap, size_t *out_len);

static int
build_request(const void *arg, char *out, size_t cap, size_t *out_len)
{
    const req_case_t *c = arg;
    pc_http_request_t req;

    memset(&req, 0, sizeof req);
    req.method = c->method;
    req.method_len = strlen(c->method);
    req.target = "http://ignored.example/";
    req.target_len = strlen(req.target);
    req.minor_version = c->minor;
    req.headers = (pc_http_header_t *)c->fields; /* read-only use; checked below */
    req.num_headers = c->n;
    return pc_http_rewrite_request(&req, &c->fr, c->host, strlen(c->host), c->path, strlen(c->path),
                                   c->via, out, cap, out_len);
}

static int
build_response(const void *arg, char *out, size_t cap, size_t *out_len)
{
    const res_case_t *c = arg;
    pc_http_response_t res;

    memset(&res, 0, sizeof res);
    res.minor_version = c->minor;
    res.status = c->status;
    res.reason = c->reason;
    res.reason_len = strlen(c->reason);
    res.headers = (pc_http_header_t *)c->fields;
    res.num_headers = c->n;
    return pc_http_rewrite_response(&res, &c->fr, c->close, c->client_minor, c->via, out, cap,
                                    out_len);
}

/*
 * Runs one case: exact output with a roomy buffer and with an exact one, then
 * PC_E_NO_SPACE for every smaller capacity. fields is compared before and after
 * to prove the input was not touched.
 */
static void
check(build_fn build, const void *c, const pc_http_header_t *fields, size_t n, const char *what,
      const char *expect)
{
    size_t need = strlen(expect);
    size_t cap;
    size_t len = 0;
    pc_http_header_t before[MAX_FIELDS];
    char *buf = malloc(need + 64);
    int rc;

    assert_non_null(buf);
    memcpy(before, fields, n * sizeof *fields);
    rc = build(c, buf, need + 64, &len);
    if (rc != 0 || len != need || memcmp(buf, expect, need) != 0) {
        print_message("case: %s\nwant:\n%s\ngot (%d, %zu):\n%.*s\n", what, expect, rc, len,
                      (int)len, buf);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(len, need);
    assert_memory_equal(buf, expect, need);
    free(buf);

    for (cap = 0; cap <= need; cap++) {
        buf = cap > 0 ? malloc(cap) : NULL; /* cap 0 also proves out may be NULL then */
        assert_true(cap == 0 || buf != NULL);
        len = 12345;
        rc = build(c, buf, cap, &len);
        if (cap < need) {
            assert_int_equal(rc, PC_E_NO_SPACE);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(len, need);
            assert_memory_equal(buf, expect, need);
        }
        free(buf);
    }
    assert_memory_equal(before, fields, n * sizeof *fields);
}

static const req_case_t req_basic[] = {
    {"plain GET: Host replaced, fields kept in order",
     "GET",
     1,
     {{H("Host", "example.com:80")}, {H("User-Agent", "curl/8.0")}, {H("Accept", "*/*")}},
     3,
     {PC_BODY_LENGTH, 0, false, true},
     "example.com",
     "/index.html?q=1",
     "portcullis",
     "GET /index.html?q=1 HTTP/1.1\r\n"
     "Host: example.com\r\n"
     "User-Agent: curl/8.0\r\n"
     "Accept: */*\r\n"
     "Via: 1.1 portcullis\r\n"
     "\r\n"},
    {"no Host field at all (HTTP/1.0 absolute-form); Via follows the request version",
     "GET",
     0,
     {{H("Accept", "*/*")}},
     1,
     {PC_BODY_LENGTH, 0, false, false},
     "example.com:8080",
     "/",
     "portcullis",
     "GET / HTTP/1.0\r\n"
     "Host: example.com:8080\r\n"
     "Accept: */*\r\n"
     "Via: 1.0 portcullis\r\n"
     "\r\n"},
};

static const req_case_t req_hop_by_hop[] = {
    {"every fixed hop-by-hop field dropped, in any case; several Host fields dropped",
     "POST",
     1,
     {{H("connection", "keep-alive")},
      {H("Keep-Alive", "timeout=5")},
      {H("PROXY-CONNECTION", "keep-alive")},
      {H("Proxy-Authorization", "Basic dTpw")},
      {H("Proxy-Authenticate", "Basic")},
      {H("TE", "trailers")},
      {H("Trailer", "X-Sum")},
      {H("Upgrade", "h2c")},
      {H("Transfer-Encoding", "chunked")},
      {H("X-Keep", "1")},
      {H("HOST", "a.example")},
      {H("host", "b.example")}},
     12,
     {PC_BODY_CHUNKED, 0, false, true},
     "c.example",
     "/upload",
     "portcullis",
     "POST /upload HTTP/1.1\r\n"
     "Host: c.example\r\n"
     "X-Keep: 1\r\n"
     "Transfer-Encoding: chunked\r\n"
     "Via: 1.1 portcullis\r\n"
     "\r\n"},
    {"Connection: Connection (CVE-2023-49606 shape)",
     "GET",
     1,
     {{H("Connection", "Connection")},
      {H("X-A", "1")},
      {H("Connection", "Connection, connection")}},
     3,
     {PC_BODY_LENGTH, 0, false, true},
     "h",
     "/",
     "portcullis",
     "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nVia: 1.1 portcullis\r\n\r\n"},
    {"Connection: close, Connection, Via drops the client's Via; ours is still added",
     "GET",
     1,
     {{H("Via", "1.1 upstream-proxy")},
      {H("Connection", "close, Connection, Via")},
      {H("Accept", "text/html")}},
     3,
     {PC_BODY_LENGTH, 0, false, false},
     "h",
     "/",
     "portcullis",
     "GET / HTTP/1.1\r\nHost: h\r\nAccept: text/html\r\nVia: 1.1 portcullis\r\n\r\n"},
    {"a token naming a field that is not there changes nothing else",
     "GET",
     1,
     {{H("Connection", "X-Missing")}, {H("X-Present", "yes")}},
     2,
     {PC_BODY_LENGTH, 0, false, true},
     "h",
     "/",
     "portcullis",
     "GET / HTTP/1.1\r\nHost: h\r\nX-Present: yes\r\nVia: 1.1 portcullis\r\n\r\n"},
    {"tokens from several Connection and Proxy-Connection fields, OWS, repeats, any case",
     "GET",
     1,
     {{H("X-A", "a1")},
      {H("Connection", "x-a ,\tX-B , ,x-a")},
      {H("X-B", "b")},
      {H("Proxy-Connection", "x-d")},
      {H("x-c", "c")},
      {H("X-D", "d")},
      {H("Connection", "X-C")},
      {H("X-E", "e")},
      {H("x-a", "a2")}},
     9,
     {PC_BODY_LENGTH, 0, false, true},
     "h",
     "/",
     "portcullis",
     "GET / HTTP/1.1\r\nHost: h\r\nX-E: e\r\nVia: 1.1 portcullis\r\n\r\n"},
    {"a token that is only a prefix or suffix of a name does not drop it",
     "GET",
     1,
     {{H("Connection", "X-Long, Accept-")},
      {H("X-Longer", "1")},
      {H("Accept", "2")},
      {H("X-Lon", "3")}},
     4,
     {PC_BODY_LENGTH, 0, false, true},
     "h",
     "/",
     "portcullis",
     "GET / HTTP/1.1\r\nHost: h\r\nX-Longer: 1\r\nAccept: 2\r\nX-Lon: 3\r\n"
     "Via: 1.1 portcullis\r\n\r\n"},
};

static const req_case_t req_fields[] = {
    {"duplicates and order kept byte-exact, empty value kept",
     "GET",
     1,
     {{H("Cookie", "a=1")},
      {H("X-A", "1")},
      {H("cookie", "b=2")},
      {H("x-a", "2 ; q=\"x\"")},
      {H("X-Empty", "")},
      {H("Cookie", "c=3")}},
     6,
     {PC_BODY_LENGTH, 0, false, true},
     "h",
     "/",
     "portcullis",
     "GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\nX-A: 1\r\ncookie: b=2\r\n"
     "x-a: 2 ; q=\"x\"\r\nX-Empty: \r\nCookie: c=3\r\nVia: 1.1 portcullis\r\n\r\n"},
};

static const req_case_t req_framing[] = {
    {"Content-Length spelled oddly and repeated is written once, canonically",
     "PUT",
     1,
     {{H("content-length", "0005")}, {H("X-A", "1")}, {H("CONTENT-LENGTH", "5")}},
     3,
     {PC_BODY_LENGTH, 5, true, true},
     "h",
     "/f",
     "portcullis",
     "PUT /f HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nContent-Length: 5\r\nVia: 1.1 portcullis\r\n\r\n"},
    {"Content-Length: 0 is kept when the client sent it",
     "POST",
     1,
     {{H("Content-Length", "0")}},
     1,
     {PC_BODY_LENGTH, 0, true, true},
     "h",
     "/",
     "portcullis",
     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nVia: 1.1 portcullis\r\n\r\n"},
    {"largest length formats in full",
     "POST",
     1,
     {{H("Content-Length", "18446744073709551615")}},
     1,
     {PC_BODY_LENGTH, UINT64_MAX, true, true},
     "h",
     "/",
     "portcullis",
     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551615\r\n"
     "Via: 1.1 portcullis\r\n\r\n"},
    {"chunked in any spelling is written canonically",
     "POST",
     1,
     {{H("transfer-encoding", "CHUNKED")}, {H("X-A", "1")}},
     2,
     {PC_BODY_CHUNKED, 0, false, true},
     "h",
     "/",
     "portcullis",
     "POST / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\n"
     "Via: 1.1 portcullis\r\n\r\n"},
};

static const req_case_t req_named_framing[] = {
    {"Connection naming Host or Content-Length does not remove our own",
     "POST",
     1,
     {{H("Connection", "host, content-length, transfer-encoding")}, {H("Content-Length", "3")}},
     2,
     {PC_BODY_LENGTH, 3, true, true},
     "h",
     "/",
     "portcullis",
     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nVia: 1.1 portcullis\r\n\r\n"},
};

static const req_case_t req_no_fields[] = {
    {"custom Via name, no fields",
     "OPTIONS",
     1,
     {{NULL, 0, NULL, 0}},
     0,
     {PC_BODY_LENGTH, 0, false, true},
     "[::1]:8080",
     "*",
     "edge-7",
     "OPTIONS * HTTP/1.1\r\nHost: [::1]:8080\r\nVia: 1.1 edge-7\r\n\r\n"},
};

static const res_case_t res_connection[] = {
    {"200 with length, keep-alive to an HTTP/1.1 client",
     1,
     200,
     "OK",
     {{H("Content-Type", "text/plain")}, {H("Content-Length", "5")}},
     2,
     {PC_BODY_LENGTH, 5, true, true},
     false,
     1,
     "portcullis",
     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
     "Via: 1.1 portcullis\r\n\r\n"},
    {"close adds Connection: close",
     1,
     200,
     "OK",
     {{H("Content-Length", "5")}},
     1,
     {PC_BODY_LENGTH, 5, true, true},
     true,
     1,
     "portcullis",
     "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nVia: 1.1 portcullis\r\nConnection: close\r\n\r\n"},
    {"keep-alive to an HTTP/1.0 client is said explicitly",
     1,
     200,
     "OK",
     {{H("Content-Length", "5")}},
     1,
     {PC_BODY_LENGTH, 5, true, true},
     false,
     0,
     "portcullis",
     "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nVia: 1.1 portcullis\r\n"
     "Connection: keep-alive\r\n\r\n"},
    {"close to an HTTP/1.0 client: close only",
     1,
     200,
     "OK",
     {{H("Content-Length", "5")}},
     1,
     {PC_BODY_LENGTH, 5, true, true},
     true,
     0,
     "portcullis",
     "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nVia: 1.1 portcullis\r\nConnection: close\r\n\r\n"},
    {"HTTP/1.0 origin: status line says 1.1, Via says 1.0; read-until-close body",
     0,
     200,
     "OK",
     {{H("Server", "old")}, {H("Connection", "close")}},
     2,
     {PC_BODY_CLOSE, 0, false, false},
     true,
     1,
     "portcullis",
     "HTTP/1.1 200 OK\r\nServer: old\r\nVia: 1.0 portcullis\r\nConnection: close\r\n\r\n"},
};

static const res_case_t res_framing[] = {
    {"chunked response, hop-by-hop and Connection-named fields dropped",
     1,
     200,
     "OK",
     {{H("Transfer-Encoding", "chunked")},
      {H("Connection", "keep-alive, X-Hop")},
      {H("X-Hop", "1")},
      {H("Keep-Alive", "timeout=5")},
      {H("Proxy-Authenticate", "Basic")},
      {H("Upgrade", "h2")},
      {H("Trailer", "X-Sum")},
      {H("Set-Cookie", "a=1")},
      {H("Set-Cookie", "b=2")}},
     9,
     {PC_BODY_CHUNKED, 0, false, true},
     false,
     1,
     "portcullis",
     "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nTransfer-Encoding: chunked\r\n"
     "Via: 1.1 portcullis\r\n\r\n"},
    {"204 never carries Content-Length; empty reason keeps its SP",
     1,
     204,
     "",
     {{H("Content-Length", "0")}, {H("Date", "x")}},
     2,
     {PC_BODY_NONE, 0, true, true},
     false,
     1,
     "portcullis",
     "HTTP/1.1 204 \r\nDate: x\r\nVia: 1.1 portcullis\r\n\r\n"},
    {"100 Continue never carries Content-Length",
     1,
     100,
     "Continue",
     {{H("Content-Length", "7")}},
     1,
     {PC_BODY_NONE, 7, true, true},
     false,
     1,
     "portcullis",
     "HTTP/1.1 100 Continue\r\nVia: 1.1 portcullis\r\n\r\n"},
    {"103 Early Hints, fields kept",
     1,
     103,
     "Early Hints",
     {{H("Link", "</s.css>; rel=preload")}},
     1,
     {PC_BODY_NONE, 0, false, true},
     false,
     1,
     "portcullis",
     "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\nVia: 1.1 portcullis\r\n\r\n"},
    {"response to HEAD keeps Content-Length though no body follows",
     1,
     200,
     "OK",
     {{H("Content-Length", "1234")}, {H("ETag", "\"v1\"")}},
     2,
     {PC_BODY_NONE, 1234, true, true},
     false,
     1,
     "portcullis",
     "HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nContent-Length: 1234\r\nVia: 1.1 portcullis\r\n\r\n"},
    {"304 keeps Content-Length",
     1,
     304,
     "Not Modified",
     {{H("content-length", "99")}},
     1,
     {PC_BODY_NONE, 99, true, true},
     false,
     1,
     "portcullis",
     "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\nVia: 1.1 portcullis\r\n\r\n"},
};

static const res_case_t res_via[] = {
    {"origin's Via dropped when named in Connection; ours added; custom name",
     1,
     502,
     "Bad Gateway",
     {{H("Via", "1.1 origin-cache")},
      {H("Connection", "Connection, Via")},
      {H("Content-Length", "0")}},
     3,
     {PC_BODY_LENGTH, 0, true, true},
     true,
     1,
     "gw",
     "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nVia: 1.1 gw\r\nConnection: close\r\n\r\n"},
    {"origin's Via kept otherwise, before ours",
     1,
     200,
     "OK",
     {{H("Via", "1.1 origin-cache")}, {H("Content-Length", "0")}},
     2,
     {PC_BODY_LENGTH, 0, true, true},
     false,
     1,
     "portcullis",
     "HTTP/1.1 200 OK\r\nVia: 1.1 origin-cache\r\nContent-Length: 0\r\n"
     "Via: 1.1 portcullis\r\n\r\n"},
};

static void
run_requests(const req_case_t *cases, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        check(build_request, &cases[i], cases[i].fields, cases[i].n, cases[i].what,
              cases[i].expect);
    }
}

static void
run_responses(const res_case_t *cases, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        check(build_response, &cases[i], cases[i].fields, cases[i].n, cases[i].what,
              cases[i].expect);
    }
}

#define RUN_REQUESTS(a)  run_requests(a, PC_ARRAY_SIZE(a))
#define RUN_RESPONSES(a) run_responses(a, PC_ARRAY_SIZE(a))

static void
test_http_rewrite_request_line_and_host(void **state)
{
    RUN_REQUESTS(req_basic);
    RUN_REQUESTS(req_no_fields);
}

static void
test_http_rewrite_request_hop_by_hop(void **state)
{
    RUN_REQUESTS(req_hop_by_hop);
}

static void
test_http_rewrite_request_fields_kept(void **state)
{
    RUN_REQUESTS(req_fields);
}

static void
test_http_rewrite_request_framing(void **state)
{
    RUN_REQUESTS(req_framing);
    RUN_REQUESTS(req_named_framing);
}

static void
test_http_rewrite_response_connection(void **state)
{
    RUN_RESPONSES(res_connection);
}

static void
test_http_rewrite_response_framing(void **state)
{
    RUN_RESPONSES(res_framing);
}

static void
test_http_rewrite_response_via(void **state)
{
    RUN_RESPONSES(res_via);
}

/* Many fields named in one Connection value, most of them absent, all of them repeated. */
static void
test_http_rewrite_many_tokens(void **state)
{
    static req_case_t c = {
        "many tokens",
        "GET",
        1,
        {{H("Connection", "a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u")},
         {H("Connection", "a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u")},
         {H("a", "1")},
         {H("u", "2")},
         {H("v", "3")},
         {H("A", "4")}},
        6,
        {PC_BODY_LENGTH, 0, false, true},
        "h",
        "/",
        "portcullis",
        "GET / HTTP/1.1\r\nHost: h\r\nv: 3\r\nVia: 1.1 portcullis\r\n\r\n",
    };

    check(build_request, &c, c.fields, c.n, c.what, c.expect);
}

static void
test_http_rewrite_via_loop(void **state)
{
    static const struct {
        const char *value;
        bool loops;
    } cases[] = {
        {"1.1 portcullis", true},
        {"1.0 PortCullis", true},
        {"1.1 squid, 1.1 portcullis (Portcullis)", true},
        {"HTTP/1.1 portcullis", true},
        {"1.1 proxy.example,1.1 portcullis", true},
        {"1.1 portcullis2", false},
        {"1.1 xportcullis", false},
        {"portcullis", false},
        {"1.1 squid (portcullis)", false},
        {"", false},
    };
    pc_http_header_t f[2];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        f[0].name = "X-Other";
        f[0].name_len = 7;
        f[0].value = "1.1 portcullis";
        f[0].value_len = 14;
        f[1].name = "via";
        f[1].name_len = 3;
        f[1].value = cases[i].value;
        f[1].value_len = strlen(cases[i].value);
        assert_int_equal(pc_http_via_has(f, 2, "portcullis"), cases[i].loops);
    }
    assert_false(pc_http_via_has(f, 1, "portcullis")); /* only Via counts */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_rewrite_request_line_and_host),
        cmocka_unit_test(test_http_rewrite_request_hop_by_hop),
        cmocka_unit_test(test_http_rewrite_request_fields_kept),
        cmocka_unit_test(test_http_rewrite_request_framing),
        cmocka_unit_test(test_http_rewrite_response_connection),
        cmocka_unit_test(test_http_rewrite_response_framing),
        cmocka_unit_test(test_http_rewrite_response_via),
        cmocka_unit_test(test_http_rewrite_many_tokens),
        cmocka_unit_test(test_http_rewrite_via_loop),
    };

    return cmocka_run_group_tests_name("http_rewrite", tests, NULL, NULL);
}
