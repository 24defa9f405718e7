/*
 * fuzz_http_response.c: the response head parser and the response framing
 * decision, on what an origin sent.
 *
 * Besides "no crash", the target checks the contract of http_parse.h:
 *   - the result is a length in 4..size ending in CRLF CRLF, or INCOMPLETE,
 *     ERROR or TOO_MANY_HEADERS;
 *   - the reason and every field name and value lie inside the head, the
 *     version is 1.0 or 1.1 and the status is 100..999;
 *   - a few prefixes of a parsable head (or of an incomplete input) are
 *     INCOMPLETE, and the head alone parses to the same length;
 *   - framing, with and without is_head, never reports chunked together with
 *     a Content-Length, has no body for 1xx, 204, 304 and HEAD, and "until
 *     close" always clears keep_alive.
 */
#include "fuzz.h"

#include "http_parse.h"

#include <stdbool.h>
#include <string.h>

#define MAX_HEADERS 32

/* True if [p, p + n) lies inside [base, base + len). */
static bool
inside(const char *p, size_t n, const char *base, size_t len)
{
    return p != NULL && p >= base && (size_t)(p - base) <= len && n <= len - (size_t)(p - base);
}

static void
check_head(const pc_http_response_t *res, const char *head, size_t head_len)
{
    size_t i;

    PC_FUZZ_CHECK(res->minor_version == 0 || res->minor_version == 1);
    PC_FUZZ_CHECK(res->status >= 100 && res->status <= 999);
    if (res->reason_len > 0) {
        PC_FUZZ_CHECK(inside(res->reason, res->reason_len, head, head_len));
        for (i = 0; i < res->reason_len; i++) {
            unsigned char c = (unsigned char)res->reason[i];

            PC_FUZZ_CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
        }
    }
    PC_FUZZ_CHECK(res->num_headers <= MAX_HEADERS);
    for (i = 0; i < res->num_headers; i++) {
        const pc_http_header_t *h = &res->headers[i];

        PC_FUZZ_CHECK(h->name_len > 0);
        PC_FUZZ_CHECK(inside(h->name, h->name_len, head, head_len));
        if (h->value_len > 0) {
            PC_FUZZ_CHECK(inside(h->value, h->value_len, head, head_len));
            PC_FUZZ_CHECK(memchr(h->value, '\r', h->value_len) == NULL);
            PC_FUZZ_CHECK(memchr(h->value, '\n', h->value_len) == NULL);
        }
    }
}

/* Re-parses a few prefixes of buf[0..limit): each must be INCOMPLETE. */
static void
check_prefixes(const char *buf, size_t limit, size_t salt)
{
    pc_http_header_t headers[MAX_HEADERS];
    pc_http_response_t res;
    size_t cut[5];
    size_t i;

    if (limit == 0) {
        return;
    }
    pc_fuzz_prefix_cuts(limit, salt, cut);
    for (i = 0; i < 5; i++) {
        memset(&res, 0, sizeof(res));
        res.headers = headers;
        PC_FUZZ_CHECK(pc_http_parse_response(buf, cut[i], &res, MAX_HEADERS) == PC_HTTP_INCOMPLETE);
    }
}

static void
check_framing(const pc_http_response_t *res, bool is_head)
{
    pc_http_framing_t f;
    int rc;

    memset(&f, 0xa5, sizeof(f));
    rc = pc_http_response_framing(res, is_head, &f);
    PC_FUZZ_CHECK(rc == 0 || rc == PC_HTTP_ERROR);
    if (rc != 0) {
        return;
    }
    PC_FUZZ_CHECK(f.kind == PC_BODY_NONE || f.kind == PC_BODY_LENGTH || f.kind == PC_BODY_CHUNKED
                  || f.kind == PC_BODY_CLOSE);
    PC_FUZZ_CHECK(!(f.kind == PC_BODY_CHUNKED && f.has_length));
    PC_FUZZ_CHECK(f.kind != PC_BODY_LENGTH || f.has_length);
    PC_FUZZ_CHECK(f.kind != PC_BODY_CLOSE || (!f.keep_alive && !f.has_length));
    if (is_head || res->status < 200 || res->status == 204 || res->status == 304) {
        PC_FUZZ_CHECK(f.kind == PC_BODY_NONE);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    pc_http_header_t headers[MAX_HEADERS];
    pc_http_response_t res;
    size_t salt = size * 31u + (size > 0 ? data[size / 2] : 0u);
    size_t head_len;
    int r;

    memset(&res, 0, sizeof(res));
    res.headers = headers;
    r = pc_http_parse_response(buf, size, &res, MAX_HEADERS);
    head_len = pc_fuzz_head_len(r, buf, size);
    if (r == PC_HTTP_INCOMPLETE) {
        check_prefixes(buf, size, salt);
    }
    if (head_len == 0) {
        return 0;
    }
    check_head(&res, buf, head_len);
    check_prefixes(buf, head_len, salt);
    {
        pc_http_header_t again_headers[MAX_HEADERS];
        pc_http_response_t again;

        memset(&again, 0, sizeof(again));
        again.headers = again_headers;
        PC_FUZZ_CHECK(pc_http_parse_response(buf, head_len, &again, res.num_headers) == r);
        PC_FUZZ_CHECK(again.num_headers == res.num_headers && again.status == res.status);
        if (res.num_headers > 0) {
            PC_FUZZ_CHECK(pc_http_parse_response(buf, head_len, &again, res.num_headers - 1)
                          == PC_HTTP_TOO_MANY_HEADERS);
        }
    }
    check_framing(&res, false);
    check_framing(&res, true);
    return 0;
}
