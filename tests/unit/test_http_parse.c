/*
 * test_http_parse.c: unit tests for src/http_parse.c.
 *
 * Table-driven. Every input is copied into a malloc'ed buffer of exactly its
 * length, so ASan and valgrind catch a parser that reads one byte too far.
 * For every valid head every strict prefix must be PC_HTTP_INCOMPLETE; every
 * invalid head is written as a valid prefix followed by the rest, and must be
 * INCOMPLETE up to that prefix and refused from the first byte after it (the
 * parser reports bad bytes as soon as it sees them). Chunked bodies are fed
 * whole, one byte at a time and split at every offset, and must give the same
 * answer each way.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

#define MAX_H 8

/* A string literal and its length, which may include NUL bytes. */
#define L(s) (s), (sizeof(s) - 1)

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

static void check_eq(long long got, long long want, const char *file, int line, const char *fmt,
                     ...) PRINTF_LIKE(5, 6);

/* Asserts an integer result and names the case on failure (tables hide which row failed). */
static void
check_eq(long long got, long long want, const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    if (got == want) {
        return;
    }
    va_start(ap, fmt);
    vprint_error(fmt, ap);
    va_end(ap);
    print_error(": got %lld, want %lld\n", got, want);
    _fail(file, line);
}

#define CHECK_EQ(got, want, ...) \
    check_eq((long long)(got), (long long)(want), __FILE__, __LINE__, __VA_ARGS__)

/* ---- helpers ------------------------------------------------------------- */

static char *
copy_exact(const char *s, size_t n)
{
    char *p = malloc(n > 0 ? n : 1);

    assert_non_null(p);
    if (n > 0) {
        memcpy(p, s, n);
    }
    return p;
}

static char *
concat(const char *a, size_t a_len, const char *b, size_t b_len)
{
    char *p = malloc(a_len + b_len + 1);

    assert_non_null(p);
    memcpy(p, a, a_len);
    memcpy(p + a_len, b, b_len);
    p[a_len + b_len] = '\0';
    return p;
}

/* A head parsed from an exact-length copy, which buf keeps for the slices. */
typedef struct {
    pc_http_header_t h[MAX_H];
    pc_http_request_t req;
    pc_http_response_t res;
    char *buf;
} parsed_t;

/* Parses a copy of s[0..n) as a response or a request; free pp->buf after. */
static int
parse_exact(parsed_t *pp, const char *s, size_t n, size_t max, bool response)
{
    memset(&pp->req, 0, sizeof(pp->req));
    memset(&pp->res, 0, sizeof(pp->res));
    pp->req.headers = pp->h;
    pp->res.headers = pp->h;
    pp->buf = copy_exact(s, n);
    return response ? pc_http_parse_response(pp->buf, n, &pp->res, max)
                    : pc_http_parse_request(pp->buf, n, &pp->req, max);
}

static int
parse_copy(const char *s, size_t n, size_t max, bool response)
{
    parsed_t pp;
    int rc = parse_exact(&pp, s, n, max, response);

    free(pp.buf);
    return rc;
}

typedef int (*parse_fn)(const char *s, size_t n, size_t max);

static int
parse_req_copy(const char *s, size_t n, size_t max)
{
    return parse_copy(s, n, max, false);
}

static int
parse_res_copy(const char *s, size_t n, size_t max)
{
    return parse_copy(s, n, max, true);
}

/* Every strict prefix of raw (case i of ctx) is PC_HTTP_INCOMPLETE. */
static void
check_prefixes_incomplete(const char *ctx, size_t i, const char *raw, parse_fn parse)
{
    size_t n = strlen(raw);
    size_t k;

    for (k = 0; k < n; k++) {
        CHECK_EQ(parse(raw, k, MAX_H), PC_HTTP_INCOMPLETE, "%s %zu prefix %zu", ctx, i, k);
    }
}

static void
check_slice(const char *ctx, const char *got, size_t got_len, const char *want)
{
    size_t n = strlen(want);

    if (got_len != n || (n > 0 && memcmp(got, want, n) != 0)) {
        print_error("%s: got \"%.*s\", want \"%s\"\n", ctx, (int)got_len, got, want);
        fail();
    }
}

typedef struct {
    const char *name;
    const char *value;
} hv_t;

static void
check_headers(const char *ctx, const pc_http_header_t *h, size_t n, const hv_t *want, size_t want_n)
{
    size_t i;

    CHECK_EQ(n, want_n, "%s: header count", ctx);
    for (i = 0; i < n; i++) {
        check_slice(ctx, h[i].name, h[i].name_len, want[i].name);
        check_slice(ctx, h[i].value, h[i].value_len, want[i].value);
    }
}

/* ---- valid requests ------------------------------------------------------ */

typedef struct {
    const char *raw;
    const char *method;
    const char *target;
    int minor;
    size_t nh;
    hv_t h[MAX_H];
} req_case_t;

static const req_case_t valid_requests[] = {
    {"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", "GET", "/", 1, 1, {{"Host", "example.com"}}},
    {"GET http://example.com/a?b=c HTTP/1.0\r\n\r\n",
     "GET",
     "http://example.com/a?b=c",
     0,
     0,
     {{NULL, NULL}}},
    {"\r\n\r\nPOST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n",
     "POST",
     "/x",
     1,
     2,
     {{"Host", "a"}, {"Content-Length", "5"}}},
    {"GET / HTTP/1.1\r\nA:b\r\nB: \t c d \t \r\nC:\r\nD:   \r\n\r\n",
     "GET",
     "/",
     1,
     4,
     {{"A", "b"}, {"B", "c d"}, {"C", ""}, {"D", ""}}},
    {"GET / HTTP/1.1\r\nX: caf\xc3\xa9\x80\xff\r\n\r\n",
     "GET",
     "/",
     1,
     1,
     {{"X", "caf\xc3\xa9\x80\xff"}}},
    {"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
     "CONNECT",
     "example.com:443",
     1,
     1,
     {{"Host", "example.com:443"}}},
    {"M-SEARCH * HTTP/1.1\r\nX!#$%&'*+-.^_`|~09az: v\r\n\r\n",
     "M-SEARCH",
     "*",
     1,
     1,
     {{"X!#$%&'*+-.^_`|~09az", "v"}}},
    {"GET /a%20b\"<>{}|\\^~[]` HTTP/1.1\r\n\r\n",
     "GET",
     "/a%20b\"<>{}|\\^~[]`",
     1,
     0,
     {{NULL, NULL}}},
    {"GET / HTTP/1.1\r\nDate: Tue, 01 Jan 2030 00:00:00 GMT\r\nX: \"a:b\" (c)\r\n\r\n",
     "GET",
     "/",
     1,
     2,
     {{"Date", "Tue, 01 Jan 2030 00:00:00 GMT"}, {"X", "\"a:b\" (c)"}}},
    {"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nH: 8\r\n\r\n",
     "GET",
     "/",
     1,
     8,
     {{"A", "1"},
      {"B", "2"},
      {"C", "3"},
      {"D", "4"},
      {"E", "5"},
      {"F", "6"},
      {"G", "7"},
      {"H", "8"}}},
};

static void
test_http_parse_request_valid(void **state)
{
    parsed_t pp;
    size_t i;
    size_t n;

    for (i = 0; i < sizeof(valid_requests) / sizeof(valid_requests[0]); i++) {
        const req_case_t *c = &valid_requests[i];

        n = strlen(c->raw);
        CHECK_EQ(parse_exact(&pp, c->raw, n, MAX_H, false), n, "request %zu", i);
        check_slice("method", pp.req.method, pp.req.method_len, c->method);
        check_slice("target", pp.req.target, pp.req.target_len, c->target);
        CHECK_EQ(pp.req.minor_version, c->minor, "request %zu minor", i);
        check_headers("request", pp.req.headers, pp.req.num_headers, c->h, c->nh);
        free(pp.buf);
    }
}

static void
test_http_parse_request_prefixes(void **state)
{
    size_t i;

    for (i = 0; i < sizeof(valid_requests) / sizeof(valid_requests[0]); i++) {
        check_prefixes_incomplete("request", i, valid_requests[i].raw, parse_req_copy);
    }
}

/* A head followed by body bytes (or the next request) reports only the head. */
static void
test_http_parse_request_trailing_bytes(void **state)
{
    size_t i;
    size_t n;
    char *p;

    for (i = 0; i < sizeof(valid_requests) / sizeof(valid_requests[0]); i++) {
        n = strlen(valid_requests[i].raw);
        p = concat(valid_requests[i].raw, n, L("hello\r\n\r\nGET / HTTP/1.1\r\n\r\n"));
        CHECK_EQ(parse_req_copy(p, strlen(p), MAX_H), n, "request %zu with body", i);
        free(p);
    }
}

/* ---- valid responses ----------------------------------------------------- */

typedef struct {
    const char *raw;
    int minor;
    int status;
    const char *reason;
    size_t nh;
    hv_t h[MAX_H];
} res_case_t;

static const res_case_t valid_responses[] = {
    {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 1, 200, "OK", 1, {{"Content-Length", "0"}}},
    {"HTTP/1.0 404 Not Found\r\n\r\n", 0, 404, "Not Found", 0, {{NULL, NULL}}},
    {"HTTP/1.1 204\r\n\r\n", 1, 204, "", 0, {{NULL, NULL}}},
    {"HTTP/1.1 200 \r\n\r\n", 1, 200, "", 0, {{NULL, NULL}}},
    {"HTTP/1.1 999 \tWeird\t reason \xff\r\nX:  y \r\n\r\n",
     1,
     999,
     "\tWeird\t reason \xff",
     1,
     {{"X", "y"}}},
    {"HTTP/1.1 100 Continue\r\n\r\n", 1, 100, "Continue", 0, {{NULL, NULL}}},
    {"HTTP/1.1 301 Moved\r\nLocation: http://x/\r\nContent-Length: 0\r\n\r\n",
     1,
     301,
     "Moved",
     2,
     {{"Location", "http://x/"}, {"Content-Length", "0"}}},
};

static void
test_http_parse_response_valid(void **state)
{
    parsed_t pp;
    size_t i;
    size_t n;

    for (i = 0; i < sizeof(valid_responses) / sizeof(valid_responses[0]); i++) {
        const res_case_t *c = &valid_responses[i];

        n = strlen(c->raw);
        CHECK_EQ(parse_exact(&pp, c->raw, n, MAX_H, true), n, "response %zu", i);
        CHECK_EQ(pp.res.minor_version, c->minor, "response %zu minor", i);
        CHECK_EQ(pp.res.status, c->status, "response %zu status", i);
        check_slice("reason", pp.res.reason, pp.res.reason_len, c->reason);
        check_headers("response", pp.res.headers, pp.res.num_headers, c->h, c->nh);
        free(pp.buf);
    }
}

static void
test_http_parse_response_prefixes(void **state)
{
    size_t i;
    size_t n;
    char *p;

    for (i = 0; i < sizeof(valid_responses) / sizeof(valid_responses[0]); i++) {
        n = strlen(valid_responses[i].raw);
        check_prefixes_incomplete("response", i, valid_responses[i].raw, parse_res_copy);
        p = concat(valid_responses[i].raw, n, L("body"));
        CHECK_EQ(parse_res_copy(p, n + 4, MAX_H), n, "response %zu with body", i);
        free(p);
    }
}

/* ---- invalid heads ------------------------------------------------------- */

/*
 * ok is a valid prefix; the first byte of bad is where the head goes wrong.
 * max is the header capacity (0 means MAX_H).
 */
typedef struct {
    const char *name;
    const char *ok;
    size_t ok_len;
    const char *bad;
    size_t bad_len;
    int want;
    size_t max;
} bad_case_t;

#define BAD(name, ok, bad)                    \
    {                                         \
        name, L(ok), L(bad), PC_HTTP_ERROR, 0 \
    }
#define TOO_MANY(name, ok, bad, max)                       \
    {                                                      \
        name, L(ok), L(bad), PC_HTTP_TOO_MANY_HEADERS, max \
    }

static const bad_case_t bad_requests[] = {
    BAD("two SP after method", "GET ", " / HTTP/1.1\r\n\r\n"),
    BAD("two SP after target", "GET / ", " HTTP/1.1\r\n\r\n"),
    BAD("HTAB as separator", "GET", "\t/ HTTP/1.1\r\n\r\n"),
    BAD("leading SP", "", " GET / HTTP/1.1\r\n\r\n"),
    BAD("leading bare LF", "", "\nGET / HTTP/1.1\r\n\r\n"),
    BAD("bare LF after leading CRLF", "\r\n", "\nGET / HTTP/1.1\r\n\r\n"),
    BAD("leading bare CR", "\r", "GET / HTTP/1.1\r\n\r\n"),
    BAD("HTTP/1.2", "GET / HTTP/1.", "2\r\n\r\n"),
    BAD("HTTP/2.0", "GET / HTTP/", "2.0\r\n\r\n"),
    BAD("HTTP/1.10", "GET / HTTP/1.1", "0\r\n\r\n"),
    BAD("lowercase version", "GET / ", "http/1.1\r\n\r\n"),
    BAD("HTTP/0.9 style", "GET /", "\r\n\r\n"),
    BAD("SP after version", "GET / HTTP/1.1", " \r\n\r\n"),
    BAD("bare LF ends request line", "GET / HTTP/1.1", "\nHost: a\r\n\r\n"),
    BAD("bare CR ends request line", "GET / HTTP/1.1\r", "Host: a\r\n\r\n"),
    BAD("bare CR in target", "GET /a", "\rb HTTP/1.1\r\n\r\n"),
    BAD("bare LF in target", "GET /a", "\nb HTTP/1.1\r\n\r\n"),
    BAD("obs-text in target", "GET /", "\xe9 HTTP/1.1\r\n\r\n"),
    BAD("DEL in target", "GET /", "\x7f HTTP/1.1\r\n\r\n"),
    BAD("NUL in method", "GE", "\0T / HTTP/1.1\r\n\r\n"),
    BAD("delimiter in method", "GE", "(T / HTTP/1.1\r\n\r\n"),
    BAD("SP before colon", "GET / HTTP/1.1\r\nHost", " : a\r\n\r\n"),
    BAD("HTAB before colon", "GET / HTTP/1.1\r\nHost", "\t: a\r\n\r\n"),
    BAD("obs-fold SP", "GET / HTTP/1.1\r\nA: b\r\n", " c\r\n\r\n"),
    BAD("obs-fold HTAB", "GET / HTTP/1.1\r\nA: b\r\n", "\tc\r\n\r\n"),
    BAD("first field line indented", "GET / HTTP/1.1\r\n", " A: b\r\n\r\n"),
    BAD("empty field name", "GET / HTTP/1.1\r\n", ": b\r\n\r\n"),
    BAD("field without colon", "GET / HTTP/1.1\r\nA", "\r\n\r\n"),
    BAD("delimiter in field name", "GET / HTTP/1.1\r\nA", "(b: c\r\n\r\n"),
    BAD("obs-text in field name", "GET / HTTP/1.1\r\nA", "\xe9: c\r\n\r\n"),
    BAD("bare LF ends field", "GET / HTTP/1.1\r\nA: b", "\n\r\n"),
    BAD("bare CR in field", "GET / HTTP/1.1\r\nA: b\r", "c\r\n\r\n"),
    BAD("bare LF ends head", "GET / HTTP/1.1\r\nA: b\r\n", "\n"),
    BAD("bare CR ends head", "GET / HTTP/1.1\r\nA: b\r\n\r", "\r\n"),
    BAD("NUL in value", "GET / HTTP/1.1\r\nA: b", "\0c\r\n\r\n"),
    BAD("DEL in value", "GET / HTTP/1.1\r\nA: b", "\x7f\r\n\r\n"),
    BAD("CTL in value", "GET / HTTP/1.1\r\nA: ", "\x01\r\n\r\n"),
    BAD("ESC in value", "GET / HTTP/1.1\r\nA: b", "\x1b[0m\r\n\r\n"),
    TOO_MANY("too many fields", "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r", "\n\r\n", 2),
    TOO_MANY("no room at all", "GET / HTTP/1.1\r\nA: 1\r", "\n\r\n", 0),
};

static const bad_case_t bad_responses[] = {
    BAD("HTTP/1.2", "HTTP/1.", "2 200 OK\r\n\r\n"),
    BAD("HTTP/2.0", "HTTP/", "2.0 200 OK\r\n\r\n"),
    BAD("lowercase version", "", "http/1.1 200 OK\r\n\r\n"),
    BAD("leading CRLF", "", "\r\nHTTP/1.1 200 OK\r\n\r\n"),
    BAD("two-digit status", "HTTP/1.1 20", "\r\n\r\n"),
    BAD("four-digit status", "HTTP/1.1 200", "0 OK\r\n\r\n"),
    BAD("status below 100", "HTTP/1.1 ", "099 Low\r\n\r\n"),
    BAD("non-digit status", "HTTP/1.1 2", "x0 OK\r\n\r\n"),
    BAD("two SP before status", "HTTP/1.1 ", " 200 OK\r\n\r\n"),
    BAD("no SP before status", "HTTP/1.1", "200 OK\r\n\r\n"),
    BAD("HTAB before status", "HTTP/1.1", "\t200 OK\r\n\r\n"),
    BAD("HTAB after status", "HTTP/1.1 200", "\tOK\r\n\r\n"),
    BAD("letter after status", "HTTP/1.1 200", "OK\r\n\r\n"),
    BAD("bare LF ends status line", "HTTP/1.1 200 OK", "\n\r\n"),
    BAD("bare CR in reason", "HTTP/1.1 200 O\r", "K\r\n\r\n"),
    BAD("NUL in reason", "HTTP/1.1 200 O", "\0K\r\n\r\n"),
    BAD("DEL in reason", "HTTP/1.1 200 O", "\x7fK\r\n\r\n"),
    BAD("SP before colon", "HTTP/1.1 200 OK\r\nContent-Length", " : 5\r\n\r\n"),
    BAD("obs-fold", "HTTP/1.1 200 OK\r\nA: b\r\n", " c\r\n\r\n"),
    BAD("empty field name", "HTTP/1.1 200 OK\r\n", ": b\r\n\r\n"),
    BAD("bare LF ends field", "HTTP/1.1 200 OK\r\nA: b", "\n\r\n"),
    BAD("bare CR in field", "HTTP/1.1 200 OK\r\nA: b\r", "c\r\n\r\n"),
    BAD("bare LF ends head", "HTTP/1.1 200 OK\r\n", "\n"),
    BAD("NUL in value", "HTTP/1.1 200 OK\r\nA: ", "\0\r\n\r\n"),
    BAD("DEL in value", "HTTP/1.1 200 OK\r\nA: b", "\x7f\r\n\r\n"),
    TOO_MANY("too many fields", "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r", "\n\r\n", 1),
};

static void
run_bad_cases(const bad_case_t *cases, size_t count, parse_fn parse)
{
    size_t i;
    size_t k;
    size_t total;
    size_t max;
    char *p;

    for (i = 0; i < count; i++) {
        const bad_case_t *c = &cases[i];

        total = c->ok_len + c->bad_len;
        max = c->want == PC_HTTP_TOO_MANY_HEADERS ? c->max : MAX_H;
        p = concat(c->ok, c->ok_len, c->bad, c->bad_len);
        for (k = 0; k <= total; k++) {
            CHECK_EQ(parse(p, k, max), k <= c->ok_len ? PC_HTTP_INCOMPLETE : c->want,
                     "\"%s\" at length %zu", c->name, k);
        }
        free(p);
    }
}

static void
test_http_parse_request_invalid(void **state)
{
    run_bad_cases(bad_requests, sizeof(bad_requests) / sizeof(bad_requests[0]), parse_req_copy);
}

static void
test_http_parse_response_invalid(void **state)
{
    run_bad_cases(bad_responses, sizeof(bad_responses) / sizeof(bad_responses[0]), parse_res_copy);
}

/* Exactly max_headers fields fit; the parser never writes past what fits. */
static void
test_http_parse_header_capacity(void **state)
{
    static const char raw[] = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n";
    pc_http_header_t h[3];
    pc_http_header_t poison;
    pc_http_request_t req;

    memset(&poison, 0xA5, sizeof(poison));
    memset(&req, 0, sizeof(req));
    req.headers = h;
    assert_int_equal(pc_http_parse_request(raw, sizeof(raw) - 1, &req, 2), sizeof(raw) - 1);
    assert_int_equal(req.num_headers, 2);
    memset(h, 0xA5, sizeof(h));
    assert_int_equal(pc_http_parse_request(raw, sizeof(raw) - 1, &req, 1),
                     PC_HTTP_TOO_MANY_HEADERS);
    assert_int_equal(req.num_headers, 1);
    assert_memory_equal(&h[1], &poison, sizeof(poison));
    assert_memory_equal(&h[2], &poison, sizeof(poison));
    memset(h, 0xA5, sizeof(h));
    assert_int_equal(pc_http_parse_request(raw, sizeof(raw) - 1, &req, 0),
                     PC_HTTP_TOO_MANY_HEADERS);
    assert_memory_equal(&h[0], &poison, sizeof(poison));
}

/*
 * The result is an int, so at most INT_MAX bytes are examined; a head found
 * within them is still reported. (Only the head's bytes are read here.)
 */
static void
test_http_parse_huge_len(void **state)
{
    static const char raw[] = "GET / HTTP/1.1\r\n\r\n";
    pc_http_request_t req;

    memset(&req, 0, sizeof(req));
    assert_int_equal(pc_http_parse_request(raw, (size_t)INT_MAX + 2, &req, 0), sizeof(raw) - 1);
}

/* ---- framing ------------------------------------------------------------- */

typedef struct {
    const char *fields; /* appended to the start line */
    int rc;
    pc_body_kind_t kind;
    uint64_t length;
    bool has_length;
    bool keep_alive;
} req_framing_case_t;

#define RQ(v, f) "GET / HTTP/1." v "\r\n" f "\r\n"
#define OK_F(raw, kind, len, has, ka) \
    {                                 \
        raw, 0, kind, len, has, ka    \
    }
#define ERR_F(raw)                                        \
    {                                                     \
        raw, PC_HTTP_ERROR, PC_BODY_NONE, 0, false, false \
    }

static const req_framing_case_t req_framing[] = {
    OK_F(RQ("1", "Host: a\r\n"), PC_BODY_LENGTH, 0, false, true),
    OK_F(RQ("0", ""), PC_BODY_LENGTH, 0, false, false),
    OK_F(RQ("0", "Connection: keep-alive\r\n"), PC_BODY_LENGTH, 0, false, true),
    OK_F(RQ("0", "Connection: foo, Keep-Alive\r\n"), PC_BODY_LENGTH, 0, false, true),
    OK_F(RQ("0", "Connection: keep-alive\r\nConnection: close\r\n"), PC_BODY_LENGTH, 0, false,
         false),
    OK_F(RQ("1", "Connection: close\r\n"), PC_BODY_LENGTH, 0, false, false),
    OK_F(RQ("1", "Connection: Close\r\n"), PC_BODY_LENGTH, 0, false, false),
    OK_F(RQ("1", "Connection: keep-alive, close\r\n"), PC_BODY_LENGTH, 0, false, false),
    OK_F(RQ("1", "Connection: keep-alive\r\nConnection: close\r\n"), PC_BODY_LENGTH, 0, false,
         false),
    OK_F(RQ("1", "Connection: closed\r\n"), PC_BODY_LENGTH, 0, false, true),
    OK_F(RQ("1", "Content-Length: 5\r\n"), PC_BODY_LENGTH, 5, true, true),
    OK_F(RQ("1", "content-LENGTH: 0\r\n"), PC_BODY_LENGTH, 0, true, true),
    OK_F(RQ("1", "Content-Length:  5 \r\n"), PC_BODY_LENGTH, 5, true, true),
    OK_F(RQ("1", "Content-Length: 5, 5\r\n"), PC_BODY_LENGTH, 5, true, true),
    OK_F(RQ("1", "Content-Length: 5\r\nContent-Length: 5\r\n"), PC_BODY_LENGTH, 5, true, true),
    OK_F(RQ("1", "Content-Length: 007\r\n"), PC_BODY_LENGTH, 7, true, true),
    OK_F(RQ("1", "Content-Length: 9223372036854775807\r\n"), PC_BODY_LENGTH,
         UINT64_C(9223372036854775807), true, true),
    OK_F(RQ("1", "Transfer-Encoding: chunked\r\n"), PC_BODY_CHUNKED, 0, false, true),
    OK_F(RQ("1", "Transfer-Encoding: CHUNKED\r\n"), PC_BODY_CHUNKED, 0, false, true),
    OK_F(RQ("1", "transfer-encoding:\tChunked \r\nConnection: close\r\n"), PC_BODY_CHUNKED, 0,
         false, false),
    ERR_F(RQ("1", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")),
    ERR_F(RQ("1", "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n")),
    ERR_F(RQ("1", "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n")),
    ERR_F(RQ("1", "Content-Length: 5\r\nContent-Length: 6\r\n")),
    ERR_F(RQ("1", "Content-Length: 5, 6\r\n")),
    ERR_F(RQ("1", "Content-Length: 5,\r\n")),
    ERR_F(RQ("1", "Content-Length: ,5\r\n")),
    ERR_F(RQ("1", "Content-Length: +5\r\n")),
    ERR_F(RQ("1", "Content-Length: -1\r\n")),
    ERR_F(RQ("1", "Content-Length: 5 5\r\n")),
    ERR_F(RQ("1", "Content-Length: \r\n")),
    ERR_F(RQ("1", "Content-Length: 0x5\r\n")),
    ERR_F(RQ("1", "Content-Length: 5.0\r\n")),
    ERR_F(RQ("1", "Content-Length: 5;\r\n")),
    ERR_F(RQ("1", "Content-Length: 9223372036854775808\r\n")),
    ERR_F(RQ("1", "Content-Length: 18446744073709551616\r\n")),
    ERR_F(RQ("1", "Content-Length: 99999999999999999999999999999999\r\n")),
    ERR_F(RQ("1", "Content-Length: 00000000000000000000005\r\n")),
    ERR_F(RQ("1", "Transfer-Encoding: chunked, identity\r\n")),
    ERR_F(RQ("1", "Transfer-Encoding: identity\r\n")),
    ERR_F(RQ("1", "Transfer-Encoding: gzip, chunked\r\n")),
    ERR_F(RQ("1", "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")),
    ERR_F(RQ("1", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")),
    ERR_F(RQ("1", "Transfer-Encoding: chunked, chunked\r\n")),
    ERR_F(RQ("1", "Transfer-Encoding: chunked,\r\n")),
    ERR_F(RQ("1", "Transfer-Encoding: ,chunked\r\n")),
    ERR_F(RQ("1", "Transfer-Encoding: xchunked\r\n")),
    ERR_F(RQ("1", "Transfer-Encoding: chunkedx\r\n")),
    ERR_F(RQ("1", "Transfer-Encoding: chunked;q=1\r\n")),
    ERR_F(RQ("1", "Transfer-Encoding: \"chunked\"\r\n")),
    ERR_F(RQ("1", "Transfer-Encoding: \r\n")),
    ERR_F(RQ("0", "Transfer-Encoding: chunked\r\n")),
};

static void
check_framing(const char *ctx, size_t i, int rc, const pc_http_framing_t *f, int want_rc,
              pc_body_kind_t kind, uint64_t length, bool has_length, bool keep_alive)
{
    CHECK_EQ(rc, want_rc, "%s %zu: rc", ctx, i);
    if (want_rc != 0) {
        return;
    }
    CHECK_EQ(f->kind, kind, "%s %zu: kind", ctx, i);
    CHECK_EQ(f->length, length, "%s %zu: length", ctx, i);
    CHECK_EQ(f->has_length, has_length, "%s %zu: has_length", ctx, i);
    CHECK_EQ(f->keep_alive, keep_alive, "%s %zu: keep_alive", ctx, i);
}

static void
test_http_parse_request_framing(void **state)
{
    parsed_t pp;
    pc_http_framing_t f;
    size_t i;
    size_t n;
    int rc;

    for (i = 0; i < sizeof(req_framing) / sizeof(req_framing[0]); i++) {
        const req_framing_case_t *c = &req_framing[i];

        n = strlen(c->fields);
        CHECK_EQ(parse_exact(&pp, c->fields, n, MAX_H, false), n, "request framing %zu", i);
        rc = pc_http_request_framing(&pp.req, &f);
        free(pp.buf);
        check_framing("request framing", i, rc, &f, c->rc, c->kind, c->length, c->has_length,
                      c->keep_alive);
    }
}

typedef struct {
    const char *raw;
    bool is_head;
    int rc;
    pc_body_kind_t kind;
    uint64_t length;
    bool has_length;
    bool keep_alive;
} res_framing_case_t;

#define RS(v, code, f) "HTTP/1." v " " code " X\r\n" f "\r\n"
#define OK_R(raw, head, kind, len, has, ka) \
    {                                       \
        raw, head, 0, kind, len, has, ka    \
    }
#define ERR_R(raw, head)                                        \
    {                                                           \
        raw, head, PC_HTTP_ERROR, PC_BODY_NONE, 0, false, false \
    }

static const res_framing_case_t res_framing[] = {
    OK_R(RS("1", "200", "Content-Length: 10\r\n"), false, PC_BODY_LENGTH, 10, true, true),
    OK_R(RS("1", "200", "Content-Length: 0\r\nConnection: close\r\n"), false, PC_BODY_LENGTH, 0,
         true, false),
    OK_R(RS("1", "200", ""), false, PC_BODY_CLOSE, 0, false, false),
    OK_R(RS("1", "200", "Connection: keep-alive\r\n"), false, PC_BODY_CLOSE, 0, false, false),
    OK_R(RS("0", "200", ""), false, PC_BODY_CLOSE, 0, false, false),
    OK_R(RS("0", "200", "Content-Length: 3\r\n"), false, PC_BODY_LENGTH, 3, true, false),
    OK_R(RS("0", "200", "Content-Length: 3\r\nConnection: Keep-Alive\r\n"), false, PC_BODY_LENGTH,
         3, true, true),
    OK_R(RS("1", "200", "Transfer-Encoding: chunked\r\n"), false, PC_BODY_CHUNKED, 0, false, true),
    OK_R(RS("1", "200", "Transfer-Encoding: Chunked\r\nConnection: close\r\n"), false,
         PC_BODY_CHUNKED, 0, false, false),
    OK_R(RS("1", "205", ""), false, PC_BODY_CLOSE, 0, false, false),
    OK_R(RS("1", "200", "Content-Length: 100\r\n"), true, PC_BODY_NONE, 100, true, true),
    OK_R(RS("1", "200", "Transfer-Encoding: chunked\r\n"), true, PC_BODY_NONE, 0, false, true),
    OK_R(RS("1", "200", ""), true, PC_BODY_NONE, 0, false, true),
    OK_R(RS("1", "204", ""), false, PC_BODY_NONE, 0, false, true),
    OK_R(RS("1", "204", "Content-Length: 0\r\n"), false, PC_BODY_NONE, 0, true, true),
    OK_R(RS("1", "304", "Content-Length: 1234\r\n"), false, PC_BODY_NONE, 1234, true, true),
    OK_R(RS("1", "304", "Connection: close\r\n"), false, PC_BODY_NONE, 0, false, false),
    OK_R(RS("1", "100", ""), false, PC_BODY_NONE, 0, false, true),
    OK_R(RS("1", "101", "Connection: upgrade\r\n"), false, PC_BODY_NONE, 0, false, true),
    OK_R(RS("1", "199", ""), false, PC_BODY_NONE, 0, false, true),
    ERR_R(RS("1", "200", "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"), false),
    ERR_R(RS("1", "200", "Content-Length: 5\r\nContent-Length: 6\r\n"), false),
    ERR_R(RS("1", "200", "Content-Length: 5, 6\r\n"), false),
    ERR_R(RS("1", "200", "Content-Length: +5\r\n"), false),
    ERR_R(RS("1", "200", "Content-Length: -1\r\n"), false),
    ERR_R(RS("1", "200", "Content-Length: 5 5\r\n"), false),
    ERR_R(RS("1", "200", "Content-Length: \r\n"), false),
    ERR_R(RS("1", "200", "Content-Length: 9223372036854775808\r\n"), false),
    ERR_R(RS("1", "200", "Transfer-Encoding: chunked, identity\r\n"), false),
    ERR_R(RS("1", "200", "Transfer-Encoding: gzip, chunked\r\n"), false),
    ERR_R(RS("1", "200", "Transfer-Encoding: identity\r\n"), false),
    ERR_R(RS("1", "200", "Transfer-Encoding: chunked,\r\n"), false),
    ERR_R(RS("1", "200", "Transfer-Encoding: xchunked\r\n"), false),
    ERR_R(RS("1", "200", "Transfer-Encoding: \r\n"), false),
    ERR_R(RS("0", "200", "Transfer-Encoding: chunked\r\n"), false),
    ERR_R(RS("1", "200", "Content-Length: x\r\n"), true),
    ERR_R(RS("1", "204", "Content-Length: 1, 2\r\n"), false),
    ERR_R(RS("1", "304", "Content-Length: -1\r\n"), false),
};

static void
test_http_parse_response_framing(void **state)
{
    parsed_t pp;
    pc_http_framing_t f;
    size_t i;
    size_t n;
    int rc;

    for (i = 0; i < sizeof(res_framing) / sizeof(res_framing[0]); i++) {
        const res_framing_case_t *c = &res_framing[i];

        n = strlen(c->raw);
        CHECK_EQ(parse_exact(&pp, c->raw, n, MAX_H, true), n, "response framing %zu", i);
        rc = pc_http_response_framing(&pp.res, c->is_head, &f);
        free(pp.buf);
        check_framing("response framing", i, rc, &f, c->rc, c->kind, c->length, c->has_length,
                      c->keep_alive);
    }
}

/* ---- field lookup and token lists ----------------------------------------- */

static void
test_http_parse_find_header(void **state)
{
    static const pc_http_header_t h[] = {
        {L("Host"), L("a")}, {L("Content-Length"), L("5")}, {L("X-A"), L("1")},
        {L("host"), L("b")}, {L("HOST"), L("c")},           {L("A["), L("d")},
    };
    const size_t n = sizeof(h) / sizeof(h[0]);

    assert_int_equal(pc_http_find_header(h, n, L("host"), 0), 0);
    assert_int_equal(pc_http_find_header(h, n, L("Host"), 1), 3);
    assert_int_equal(pc_http_find_header(h, n, L("hOsT"), 4), 4);
    assert_int_equal(pc_http_find_header(h, n, L("host"), 5), -1);
    assert_int_equal(pc_http_find_header(h, n, L("host"), 100), -1);
    assert_int_equal(pc_http_find_header(h, n, L("Hos"), 0), -1);
    assert_int_equal(pc_http_find_header(h, n, L("Hostx"), 0), -1);
    assert_int_equal(pc_http_find_header(h, n, L("CONTENT-LENGTH"), 0), 1);
    assert_int_equal(pc_http_find_header(h, n, L("x-a"), 0), 2);
    assert_int_equal(pc_http_find_header(h, 2, L("x-a"), 0), -1);
    assert_int_equal(pc_http_find_header(h, 0, L("host"), 0), -1);
    assert_int_equal(pc_http_find_header(h, n, "", 0, 0), -1);
    /* ASCII-only folding: '[' and '{' differ only in bit 0x20 but are not letters. */
    assert_int_equal(pc_http_find_header(h, n, L("a{"), 0), -1);
    assert_int_equal(pc_http_find_header(h, n, L("a["), 0), 5);
}

static bool
has_token(const char *value, size_t value_len, const char *token)
{
    char *p = copy_exact(value, value_len);
    bool r = pc_http_list_has_token(p, value_len, token, strlen(token));

    free(p);
    return r;
}

static void
test_http_parse_list_has_token(void **state)
{
    assert_true(has_token(L("close"), "close"));
    assert_true(has_token(L("Close"), "close"));
    assert_true(has_token(L("CLOSE"), "cLoSe"));
    assert_true(has_token(L("keep-alive, close"), "close"));
    assert_true(has_token(L("keep-alive, close"), "keep-alive"));
    assert_true(has_token(L(" keep-alive ,\tclose\t"), "close"));
    assert_true(has_token(L(",,close,,"), "close"));
    assert_true(has_token(L("a,close"), "close"));
    assert_false(has_token(L("closed"), "close"));
    assert_false(has_token(L("xclose"), "close"));
    assert_false(has_token(L("clo"), "close"));
    assert_false(has_token(L("c lose"), "close"));
    assert_false(has_token(L("close-it, keep"), "close"));
    assert_false(has_token(L(""), "close"));
    assert_false(has_token(L("keep-alive"), "close"));
    assert_false(has_token(L(" , "), "close"));
    assert_false(has_token(L("close"), ""));
    /* value_len is honoured: the byte after the slice is not part of it. */
    assert_true(pc_http_list_has_token("closeX", 5, L("close")));
    assert_false(pc_http_list_has_token("closeX", 4, L("close")));
}

/* ---- chunked bodies ------------------------------------------------------ */

typedef struct {
    const char *name;
    const char *body;
    size_t len;
} chunk_case_t;

static const chunk_case_t valid_chunked[] = {
    {"last chunk only", L("0\r\n\r\n")},
    {"one chunk", L("5\r\nhello\r\n0\r\n\r\n")},
    {"two chunks", L("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")},
    {"hex case", L("A\r\n0123456789\r\na\r\n0123456789\r\nF\r\n0123456789abcde\r\n0\r\n\r\n")},
    {"extensions", L("5;foo=bar\r\nhello\r\n0;last\r\n\r\n")},
    {"several extensions", L("5;a;b=c;d=e\r\nhello\r\n0\r\n\r\n")},
    {"quoted extension", L("5;a=\"x y\\\"z;=\";b\r\nhello\r\n0\r\n\r\n")},
    {"quoted pair and obs-text", L("3;q=\"\t\xe9\\\t\"\r\nabc\r\n0\r\n\r\n")},
    {"trailers", L("5\r\nhello\r\n0\r\nExpires: never\r\nX-Sum:  abc \r\nEmpty:\r\n\r\n")},
    {"leading zeros", L("0005\r\nhello\r\n000\r\n\r\n")},
    {"16 digits", L("0000000000000003\r\nabc\r\n0\r\n\r\n")},
    {"data that looks like framing", L("7\r\n0\r\n\r\nab\r\n0\r\n\r\n")},
    {"binary data", L("4\r\n\0\r\n\xff\r\n0\r\n\r\n")},
};

/* Feeds buf[0..n) in pieces of `step` bytes, each copied to an exact buffer. */
static int
scan_pieces(pc_chunked_t *st, const char *buf, size_t n, size_t step, size_t *total)
{
    size_t off = 0;
    size_t piece;
    size_t consumed;
    char *p;
    int rc = 0;

    *total = 0;
    while (off < n && rc == 0) {
        piece = n - off < step ? n - off : step;
        p = copy_exact(buf + off, piece);
        consumed = 12345;
        rc = pc_chunked_scan(st, p, piece, &consumed);
        free(p);
        if (rc == 0) {
            CHECK_EQ(consumed, piece, "consumed all of a piece at %zu", off);
        }
        if (rc >= 0) {
            *total += consumed;
        }
        off += piece;
    }
    return rc;
}

/* scan_pieces() with a fresh scanner: it must end (1) having consumed want. */
static void
check_scan_ends(const char *buf, size_t n, size_t step, size_t want, const char *name,
                const char *how)
{
    pc_chunked_t st;
    size_t total;

    memset(&st, 0, sizeof(st));
    CHECK_EQ(scan_pieces(&st, buf, n, step, &total), 1, "%s: %s", name, how);
    CHECK_EQ(total, want, "%s: %s consumed", name, how);
}

static void
test_http_parse_chunked_valid(void **state)
{
    static const char next[] = "GET / HTTP/1.1\r\n\r\n";
    size_t i;
    char *p;

    for (i = 0; i < sizeof(valid_chunked) / sizeof(valid_chunked[0]); i++) {
        const chunk_case_t *c = &valid_chunked[i];

        p = concat(c->body, c->len, L(next));
        check_scan_ends(c->body, c->len, c->len, c->len, c->name, "whole");
        check_scan_ends(p, c->len + sizeof(next) - 1, SIZE_MAX, c->len, c->name,
                        "with next message");
        check_scan_ends(p, c->len + sizeof(next) - 1, 1, c->len, c->name, "byte by byte");
        free(p);
    }
}

/* Two calls, split at every offset, must agree with one call. */
static void
test_http_parse_chunked_every_split(void **state)
{
    static const char next[] = "NEXT";
    pc_chunked_t st;
    size_t i;
    size_t k;
    size_t n;
    size_t total;
    size_t more;
    char *p;

    for (i = 0; i < sizeof(valid_chunked) / sizeof(valid_chunked[0]); i++) {
        const chunk_case_t *c = &valid_chunked[i];

        p = concat(c->body, c->len, L(next));
        n = c->len + sizeof(next) - 1;
        for (k = 0; k <= n; k++) {
            memset(&st, 0, sizeof(st));
            if (k >= c->len) {
                CHECK_EQ(scan_pieces(&st, p, k, SIZE_MAX, &total), 1, "%s: split %zu", c->name, k);
                CHECK_EQ(total, c->len, "%s: split %zu consumed", c->name, k);
                continue;
            }
            CHECK_EQ(scan_pieces(&st, p, k, SIZE_MAX, &total), 0, "%s: first %zu", c->name, k);
            CHECK_EQ(total, k, "%s: first %zu consumed", c->name, k);
            CHECK_EQ(scan_pieces(&st, p + k, n - k, SIZE_MAX, &more), 1, "%s: rest %zu", c->name,
                     k);
            CHECK_EQ(total + more, c->len, "%s: split %zu total", c->name, k);
        }
        free(p);
    }
}

/* ok is a valid body prefix; the first byte of bad is the malformed one. */
typedef struct {
    const char *name;
    const char *ok;
    size_t ok_len;
    const char *bad;
    size_t bad_len;
} chunk_bad_t;

#define CBAD(name, ok, bad) \
    {                       \
        name, L(ok), L(bad) \
    }

static const chunk_bad_t bad_chunked[] = {
    CBAD("bad hex", "", "g\r\n\r\n"),
    CBAD("bad hex after digit", "5", "g\r\nhello\r\n0\r\n\r\n"),
    CBAD("empty size", "", "\r\n\r\n"),
    CBAD("empty size with extension", "", ";a\r\n\r\n"),
    CBAD("SP after size", "5", " \r\nhello\r\n0\r\n\r\n"),
    CBAD("HTAB after size", "5", "\t\r\nhello\r\n0\r\n\r\n"),
    CBAD("SP before size", "", " 5\r\nhello\r\n0\r\n\r\n"),
    CBAD("negative size", "", "-5\r\nhello\r\n0\r\n\r\n"),
    CBAD("0x prefix", "0", "x5\r\nhello\r\n0\r\n\r\n"),
    CBAD("overflow ffffffffffffffffff", "fffffffffffffff", "fff\r\n"),
    CBAD("overflow 8000000000000000", "800000000000000", "0\r\n"),
    CBAD("17 digits", "0000000000000000", "1\r\nx\r\n0\r\n\r\n"),
    CBAD("bare LF after size", "5", "\nhello\r\n0\r\n\r\n"),
    CBAD("bare CR after size", "5\r", "hello\r\n0\r\n\r\n"),
    CBAD("LF-only line ends", "5", "\nhello\n0\n\n"),
    CBAD("data longer than size", "5\r\nhello", "x\r\n0\r\n\r\n"),
    CBAD("LF only after data", "5\r\nhello", "\n0\r\n\r\n"),
    CBAD("CR without LF after data", "5\r\nhello\r", "0\r\n\r\n"),
    CBAD("LF-only last chunk", "5\r\nhello\r\n0", "\n\n"),
    CBAD("bare LF final line", "0\r\n", "\n"),
    CBAD("bare CR final line", "0\r\n\r", "x"),
    CBAD("extension without name", "5;", "=x\r\nhello\r\n0\r\n\r\n"),
    CBAD("SP before semicolon", "5", " ;a\r\nhello\r\n0\r\n\r\n"),
    CBAD("SP after semicolon", "5;", " a\r\nhello\r\n0\r\n\r\n"),
    CBAD("SP around equals", "5;a", " =b\r\nhello\r\n0\r\n\r\n"),
    CBAD("empty extension value", "5;a=", "\r\nhello\r\n0\r\n\r\n"),
    CBAD("CTL in extension name", "5;a", "\x01\r\nhello\r\n0\r\n\r\n"),
    CBAD("DEL in extension value", "5;a=b", "\x7f\r\nhello\r\n0\r\n\r\n"),
    CBAD("bare LF in extension", "5;a=b", "\nhello\r\n0\r\n\r\n"),
    CBAD("bare LF in quoted value", "5;a=\"x", "\ny\"\r\nhello\r\n0\r\n\r\n"),
    CBAD("bare CR in quoted value", "5;a=\"x", "\r\"\r\nhello\r\n0\r\n\r\n"),
    CBAD("NUL in quoted value", "5;a=\"", "\0\"\r\nhello\r\n0\r\n\r\n"),
    CBAD("CR in quoted pair", "5;a=\"\\", "\r\n\"\r\nhello\r\n0\r\n\r\n"),
    CBAD("unterminated quoted value", "5;a=\"b", "\r\nhello\r\n0\r\n\r\n"),
    CBAD("junk after quoted value", "5;a=\"b\"", "c\r\nhello\r\n0\r\n\r\n"),
    CBAD("trailer obs-fold", "0\r\nA: b\r\n", " c\r\n\r\n"),
    CBAD("trailer SP before colon", "0\r\nA", " : b\r\n\r\n"),
    CBAD("trailer empty name", "0\r\n", ": b\r\n\r\n"),
    CBAD("trailer without colon", "0\r\nA", "\r\n\r\n"),
    CBAD("trailer bare LF", "0\r\nA: b", "\n\r\n"),
    CBAD("trailer bare CR", "0\r\nA: b\r", "x\r\n\r\n"),
    CBAD("trailer NUL", "0\r\nA: b", "\0\r\n\r\n"),
    CBAD("trailer DEL", "0\r\nA: b", "\x7f\r\n\r\n"),
    CBAD("trailer bare LF at end", "0\r\nA: b\r\n", "\n"),
};

static void
test_http_parse_chunked_invalid(void **state)
{
    pc_chunked_t st;
    size_t i;
    size_t k;
    size_t n;
    size_t total;
    size_t more;
    char *p;

    for (i = 0; i < sizeof(bad_chunked) / sizeof(bad_chunked[0]); i++) {
        const chunk_bad_t *c = &bad_chunked[i];

        p = concat(c->ok, c->ok_len, c->bad, c->bad_len);
        n = c->ok_len + c->bad_len;
        memset(&st, 0, sizeof(st));
        CHECK_EQ(scan_pieces(&st, p, n, SIZE_MAX, &total), -1, "%s: whole", c->name);
        /* Byte by byte, the error comes exactly at the first bad byte. */
        memset(&st, 0, sizeof(st));
        CHECK_EQ(scan_pieces(&st, p, c->ok_len, 1, &total), 0, "%s: valid prefix", c->name);
        CHECK_EQ(total, c->ok_len, "%s: valid prefix consumed", c->name);
        CHECK_EQ(scan_pieces(&st, p + c->ok_len, 1, 1, &more), -1, "%s: bad byte", c->name);
        /* A failed scanner stays failed. */
        CHECK_EQ(scan_pieces(&st, L("0\r\n\r\n"), SIZE_MAX, &more), -1, "%s: sticky", c->name);
        for (k = 0; k <= n; k++) {
            memset(&st, 0, sizeof(st));
            if (k > c->ok_len) {
                CHECK_EQ(scan_pieces(&st, p, k, SIZE_MAX, &total), -1, "%s: first %zu", c->name, k);
                continue;
            }
            CHECK_EQ(scan_pieces(&st, p, k, SIZE_MAX, &total), 0, "%s: first %zu", c->name, k);
            CHECK_EQ(scan_pieces(&st, p + k, n - k, SIZE_MAX, &more), -1, "%s: split %zu", c->name,
                     k);
        }
        free(p);
    }
}

/* A body built as head + `fill` copies of one byte + tail, in an exact buffer. */
static char *
build(const char *head, char fill, size_t count, const char *tail, size_t *len)
{
    size_t h = strlen(head);
    size_t t = strlen(tail);
    char *p = malloc(h + count + t);

    assert_non_null(p);
    memcpy(p, head, h);
    memset(p + h, fill, count);
    memcpy(p + h + count, tail, t);
    *len = h + count + t;
    return p;
}

static int
scan_built(const char *head, char fill, size_t count, const char *tail, size_t *consumed)
{
    pc_chunked_t st;
    size_t len;
    char *p = build(head, fill, count, tail, &len);
    int rc;

    memset(&st, 0, sizeof(st));
    rc = pc_chunked_scan(&st, p, len, consumed);
    free(p);
    return rc;
}

/* The size line, extensions included, may be PC_CHUNKED_MAX_LINE bytes with CRLF. */
static void
test_http_parse_chunked_line_limit(void **state)
{
    const size_t fill = PC_CHUNKED_MAX_LINE - strlen("1;") - strlen("\r\n");
    size_t consumed;

    assert_int_equal(scan_built("1;", 'a', fill, "\r\nx\r\n0\r\n\r\n", &consumed), 1);
    assert_int_equal(consumed, PC_CHUNKED_MAX_LINE + strlen("x\r\n0\r\n\r\n"));
    assert_int_equal(scan_built("1;", 'a', fill + 1, "\r\nx\r\n0\r\n\r\n", &consumed), -1);
    assert_int_equal(scan_built("1;a=", 'b', 5000, "\r\nx\r\n0\r\n\r\n", &consumed), -1);
    assert_int_equal(scan_built("1;a=\"", 'b', 5000, "\"\r\nx\r\n0\r\n\r\n", &consumed), -1);
    /* The last-chunk line is bounded too, and so is a run of leading zeros. */
    assert_int_equal(scan_built("0;", 'a', fill + 1, "\r\n\r\n", &consumed), -1);
    assert_int_equal(scan_built("", '0', 5000, "\r\n\r\n", &consumed), -1);
}

/* The trailer section, final CRLF included, may be PC_CHUNKED_MAX_TRAILER bytes. */
static void
test_http_parse_chunked_trailer_limit(void **state)
{
    const size_t fill = PC_CHUNKED_MAX_TRAILER - strlen("X: ") - strlen("\r\n\r\n");
    char line[] = "Abc: def\r\n";
    char *p;
    size_t i;
    size_t len;
    size_t consumed;
    pc_chunked_t st;
    const size_t lines = PC_CHUNKED_MAX_TRAILER / (sizeof(line) - 1) + 1;

    assert_int_equal(scan_built("0\r\nX: ", 'v', fill, "\r\n\r\n", &consumed), 1);
    assert_int_equal(consumed, strlen("0\r\n") + PC_CHUNKED_MAX_TRAILER);
    assert_int_equal(scan_built("0\r\nX: ", 'v', fill + 1, "\r\n\r\n", &consumed), -1);
    /* Many short lines count against the same total. */
    len = strlen("0\r\n") + lines * (sizeof(line) - 1) + 2;
    p = malloc(len);
    assert_non_null(p);
    memcpy(p, "0\r\n", 3);
    for (i = 0; i < lines; i++) {
        memcpy(p + 3 + i * (sizeof(line) - 1), line, sizeof(line) - 1);
    }
    memcpy(p + len - 2, "\r\n", 2);
    memset(&st, 0, sizeof(st));
    assert_int_equal(pc_chunked_scan(&st, p, len, &consumed), -1);
    free(p);
}

/* Sizes up to 2^63-1 are accepted; data is skipped without being inspected. */
static void
test_http_parse_chunked_sizes(void **state)
{
    pc_chunked_t st;
    size_t consumed;
    size_t len;
    char *p;

    memset(&st, 0, sizeof(st));
    assert_int_equal(pc_chunked_scan(&st, L("7fffffffffffffff\r\nabcd"), &consumed), 0);
    assert_int_equal(consumed, 22);
    assert_true(st.remaining == UINT64_C(0x7fffffffffffffff) - 4);

    memset(&st, 0, sizeof(st));
    assert_int_equal(pc_chunked_scan(&st, L("10\r\n0123"), &consumed), 0);
    assert_true(st.remaining == 12);
    assert_int_equal(pc_chunked_scan(&st, L("456789abcdef\r\n0\r\n\r\n"), &consumed), 1);
    assert_int_equal(consumed, 19);

    /* One MiB of data (CR, LF and NUL included) in a single call. */
    p = build("100000\r\n", '\n', 0x100000, "\r\n0\r\n\r\n", &len);
    memset(p + 100, '\r', 10);
    memset(p + 200, '\0', 10);
    memset(&st, 0, sizeof(st));
    assert_int_equal(pc_chunked_scan(&st, p, len, &consumed), 1);
    assert_int_equal(consumed, len);
    free(p);
}

/* Calls after the end: 1 with nothing consumed; an empty call changes nothing. */
static void
test_http_parse_chunked_after_end(void **state)
{
    pc_chunked_t st;
    size_t consumed;

    memset(&st, 0, sizeof(st));
    assert_int_equal(pc_chunked_scan(&st, "", 0, &consumed), 0);
    assert_int_equal(consumed, 0);
    assert_int_equal(pc_chunked_scan(&st, L("0\r\n\r\n0\r\n\r\n"), &consumed), 1);
    assert_int_equal(consumed, 5);
    assert_int_equal(pc_chunked_scan(&st, L("0\r\n\r\n"), &consumed), 1);
    assert_int_equal(consumed, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_parse_request_valid),
        cmocka_unit_test(test_http_parse_request_prefixes),
        cmocka_unit_test(test_http_parse_request_trailing_bytes),
        cmocka_unit_test(test_http_parse_response_valid),
        cmocka_unit_test(test_http_parse_response_prefixes),
        cmocka_unit_test(test_http_parse_request_invalid),
        cmocka_unit_test(test_http_parse_response_invalid),
        cmocka_unit_test(test_http_parse_header_capacity),
        cmocka_unit_test(test_http_parse_huge_len),
        cmocka_unit_test(test_http_parse_request_framing),
        cmocka_unit_test(test_http_parse_response_framing),
        cmocka_unit_test(test_http_parse_find_header),
        cmocka_unit_test(test_http_parse_list_has_token),
        cmocka_unit_test(test_http_parse_chunked_valid),
        cmocka_unit_test(test_http_parse_chunked_every_split),
        cmocka_unit_test(test_http_parse_chunked_invalid),
        cmocka_unit_test(test_http_parse_chunked_line_limit),
        cmocka_unit_test(test_http_parse_chunked_trailer_limit),
        cmocka_unit_test(test_http_parse_chunked_sizes),
        cmocka_unit_test(test_http_parse_chunked_after_end),
    };

    return cmocka_run_group_tests_name("http_parse", tests, NULL, NULL);
}
