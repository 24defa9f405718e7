/*
 * fuzz_http_request.c: the request head parser, the request framing decision
 * and the chunked-body scanner, on one input.
 *
 * The input is what a client sent: a head, then perhaps a body. Besides "no
 * crash", the target checks the contract of http_parse.h:
 *   - the result is a length in 1..size, or INCOMPLETE, ERROR or
 *     TOO_MANY_HEADERS, and every slice lies inside the head;
 *   - method and field names are tokens, field values hold no control byte
 *     but HTAB and no surrounding whitespace, the target has no SP or CTL;
 *   - a prefix of a complete head (or of an incomplete input) is INCOMPLETE,
 *     and the head alone parses to the same length;
 *   - one field fewer in the caller's array gives TOO_MANY_HEADERS;
 *   - framing never says "until close" for a request, never accepts
 *     Transfer-Encoding with Content-Length, or in HTTP/1.0;
 *   - a chunked body is judged the same whether it arrives in one piece, in
 *     two, or one byte at a time.
 */
#include "fuzz.h"

#include "http_parse.h"

#include <stdbool.h>
#include <string.h>

#define MAX_HEADERS 32

#define NAME(s) s, sizeof(s) - 1

static bool
is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool
is_token(const char *s, size_t len)
{
    size_t i;

    if (len == 0) {
        return false;
    }
    for (i = 0; i < len; i++) {
        if (!is_tchar((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/* True if [p, p + n) lies inside [base, base + len). */
static bool
inside(const char *p, size_t n, const char *base, size_t len)
{
    return p != NULL && p >= base && (size_t)(p - base) <= len && n <= len - (size_t)(p - base);
}

static void
check_field(const pc_http_header_t *h, const char *head, size_t head_len)
{
    size_t i;

    PC_FUZZ_CHECK(inside(h->name, h->name_len, head, head_len));
    PC_FUZZ_CHECK(is_token(h->name, h->name_len));
    if (h->value_len == 0) {
        return;
    }
    PC_FUZZ_CHECK(inside(h->value, h->value_len, head, head_len));
    for (i = 0; i < h->value_len; i++) {
        unsigned char c = (unsigned char)h->value[i];

        PC_FUZZ_CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
    }
    PC_FUZZ_CHECK(h->value[0] != ' ' && h->value[0] != '\t');
    PC_FUZZ_CHECK(h->value[h->value_len - 1] != ' ' && h->value[h->value_len - 1] != '\t');
}

static void
check_head(const pc_http_request_t *req, const char *head, size_t head_len)
{
    size_t i;

    PC_FUZZ_CHECK(inside(req->method, req->method_len, head, head_len));
    PC_FUZZ_CHECK(is_token(req->method, req->method_len));
    PC_FUZZ_CHECK(req->target_len > 0);
    PC_FUZZ_CHECK(inside(req->target, req->target_len, head, head_len));
    for (i = 0; i < req->target_len; i++) {
        unsigned char c = (unsigned char)req->target[i];

        PC_FUZZ_CHECK(c > 0x20 && c != 0x7f);
    }
    PC_FUZZ_CHECK(req->minor_version == 0 || req->minor_version == 1);
    PC_FUZZ_CHECK(req->num_headers <= MAX_HEADERS);
    for (i = 0; i < req->num_headers; i++) {
        int first;

        check_field(&req->headers[i], head, head_len);
        first = pc_http_find_header(req->headers, req->num_headers, req->headers[i].name,
                                    req->headers[i].name_len, 0);
        PC_FUZZ_CHECK(first >= 0 && (size_t)first <= i);
        PC_FUZZ_CHECK(pc_http_find_header(req->headers, req->num_headers, req->headers[i].name,
                                          req->headers[i].name_len, i)
                      == (int)i);
    }
}

/* Re-parses a few prefixes of buf[0..limit): each must be INCOMPLETE. */
static void
check_prefixes(const char *buf, size_t limit, size_t salt)
{
    pc_http_header_t headers[MAX_HEADERS];
    pc_http_request_t req;
    size_t cut[5];
    size_t i;

    if (limit == 0) {
        return;
    }
    pc_fuzz_prefix_cuts(limit, salt, cut);
    for (i = 0; i < 5; i++) {
        req.headers = headers;
        PC_FUZZ_CHECK(pc_http_parse_request(buf, cut[i], &req, MAX_HEADERS) == PC_HTTP_INCOMPLETE);
    }
}

static bool
has_field(const pc_http_request_t *req, const char *name, size_t name_len)
{
    return pc_http_find_header(req->headers, req->num_headers, name, name_len, 0) >= 0;
}

static void
check_framing(const pc_http_request_t *req, const pc_http_framing_t *f, int rc)
{
    bool te = has_field(req, NAME("transfer-encoding"));
    bool cl = has_field(req, NAME("content-length"));
    int i;

    PC_FUZZ_CHECK(rc == 0 || rc == PC_HTTP_ERROR);
    if (te && (cl || req->minor_version == 0)) {
        PC_FUZZ_CHECK(rc == PC_HTTP_ERROR);
    }
    if (rc != 0) {
        return;
    }
    PC_FUZZ_CHECK(f->kind == PC_BODY_LENGTH || f->kind == PC_BODY_CHUNKED);
    PC_FUZZ_CHECK(f->kind != PC_BODY_CHUNKED || (te && !cl && !f->has_length));
    PC_FUZZ_CHECK(f->kind != PC_BODY_LENGTH || !te);
    PC_FUZZ_CHECK(f->has_length == cl);
    PC_FUZZ_CHECK(f->has_length || f->length == 0);
    for (i = pc_http_find_header(req->headers, req->num_headers, NAME("connection"), 0); i >= 0;
         i = pc_http_find_header(req->headers, req->num_headers, NAME("connection"),
                                 (size_t)i + 1)) {
        const pc_http_header_t *h = &req->headers[i];

        if (pc_http_list_has_token(h->value, h->value_len, NAME("close"))) {
            PC_FUZZ_CHECK(!f->keep_alive);
        }
    }
}

/*
 * Scans body[0..len) from a fresh state in one call. Returns the result and
 * sets *end to the body's length when it ended (result 1).
 */
static int
scan_whole(const char *body, size_t len, size_t *end)
{
    pc_chunked_t st;
    size_t consumed = 0;
    int rc;

    memset(&st, 0, sizeof(st));
    rc = pc_chunked_scan(&st, body, len, &consumed);
    PC_FUZZ_CHECK(rc == 0 || rc == 1 || rc == -1);
    PC_FUZZ_CHECK(rc != 0 || consumed == len);
    PC_FUZZ_CHECK(rc != 1 || (consumed > 0 && consumed <= len));
    *end = consumed;
    return rc;
}

/* The same scan fed as body[0..split) then body[split..len). */
static int
scan_split(const char *body, size_t len, size_t split, size_t *end)
{
    pc_chunked_t st;
    size_t consumed = 0;
    int rc;

    memset(&st, 0, sizeof(st));
    rc = pc_chunked_scan(&st, body, split, &consumed);
    if (rc != 0) {
        *end = consumed;
        return rc;
    }
    PC_FUZZ_CHECK(consumed == split);
    rc = pc_chunked_scan(&st, body + split, len - split, &consumed);
    *end = split + consumed;
    return rc;
}

/* The same scan fed one byte per call. */
static int
scan_bytewise(const char *body, size_t len, size_t *end)
{
    pc_chunked_t st;
    size_t i;

    memset(&st, 0, sizeof(st));
    for (i = 0; i < len; i++) {
        size_t consumed = 0;
        int rc = pc_chunked_scan(&st, body + i, 1, &consumed);

        if (rc != 0) {
            *end = i + consumed;
            return rc;
        }
        PC_FUZZ_CHECK(consumed == 1);
    }
    *end = len;
    return 0;
}

static void
check_chunked(const char *body, size_t len, size_t salt)
{
    size_t end_whole;
    size_t end_split;
    size_t end_bytes;
    int whole = scan_whole(body, len, &end_whole);
    int split = scan_split(body, len, len == 0 ? 0 : salt % (len + 1), &end_split);
    int bytes = scan_bytewise(body, len, &end_bytes);

    PC_FUZZ_CHECK(split == whole);
    PC_FUZZ_CHECK(bytes == whole);
    if (whole == 1) {
        PC_FUZZ_CHECK(end_split == end_whole);
        PC_FUZZ_CHECK(end_bytes == end_whole);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    pc_http_header_t headers[MAX_HEADERS];
    pc_http_request_t req;
    pc_http_framing_t framing;
    size_t salt = size * 31u + (size > 0 ? data[size / 2] : 0u);
    size_t head_len;
    int r;
    int rc;

    memset(&req, 0, sizeof(req));
    req.headers = headers;
    r = pc_http_parse_request(buf, size, &req, MAX_HEADERS);
    head_len = pc_fuzz_head_len(r, buf, size);
    if (r == PC_HTTP_INCOMPLETE) {
        check_prefixes(buf, size, salt);
    }
    if (head_len == 0) {
        return 0;
    }
    check_head(&req, buf, head_len);
    check_prefixes(buf, head_len, salt);

    /* The head alone gives the same answer as the head with a body after it. */
    {
        pc_http_header_t again_headers[MAX_HEADERS];
        pc_http_request_t again;

        again.headers = again_headers;
        PC_FUZZ_CHECK(pc_http_parse_request(buf, head_len, &again, req.num_headers) == r);
        PC_FUZZ_CHECK(again.num_headers == req.num_headers);
        if (req.num_headers > 0) {
            PC_FUZZ_CHECK(pc_http_parse_request(buf, head_len, &again, req.num_headers - 1)
                          == PC_HTTP_TOO_MANY_HEADERS);
        }
    }

    rc = pc_http_request_framing(&req, &framing);
    check_framing(&req, &framing, rc);
    if (rc == 0 && framing.kind == PC_BODY_CHUNKED) {
        check_chunked(buf + head_len, size - head_len, salt);
    }
    return 0;
}
