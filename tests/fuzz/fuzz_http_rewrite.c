/*
 * fuzz_http_rewrite.c: the request head the proxy sends to the origin.
 *
 * The input is a request head as a client sends it. When it parses, has a
 * valid framing and an absolute-form http:// target, it is rewritten the way
 * http_proxy.c does (Host from the parsed target, origin-form path) into a
 * buffer of the head's length plus 1024 bytes (the proxy's reserve). Besides
 * "no crash", the target checks the contract of http_rewrite.h:
 *   - the rewrite fits, and the output parses again as a request of exactly
 *     the written length, with the same method, the path as target and the
 *     same version;
 *   - its fields are, in order: Host (the formatted target), every input field
 *     that is not hop-by-hop (Connection, Keep-Alive, Proxy-Connection, TE,
 *     Trailer, Upgrade, Proxy-Authenticate, Proxy-Authorization), not framing
 *     (Transfer-Encoding, Content-Length), not Host and not named by a token of
 *     any Connection or Proxy-Connection field, byte for byte; then
 *     "Transfer-Encoding: chunked" for a chunked body or the canonical
 *     Content-Length for a body with a length; then "Via: 1.x portcullis";
 *   - the output framing is the same as the input framing;
 *   - a buffer one byte too small, an input-chosen smaller one and an empty
 *     one give PC_E_NO_SPACE and nothing is written past the buffer's end;
 *     the exact size succeeds with the same bytes.
 */
#include "fuzz.h"

#include "http_parse.h"
#include "http_rewrite.h"
#include "portcullis/error.h"
#include "target.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define MAX_HEADERS 32
#define RESERVE     1024
#define VIA_NAME    "portcullis"
#define CANARY      0xa5

#define NAME(s) s, sizeof(s) - 1

static bool
same_name(const char *a, size_t a_len, const char *b, size_t b_len)
{
    size_t i;

    if (a_len != b_len) {
        return false;
    }
    for (i = 0; i < a_len; i++) {
        char x = a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] - 'A' + 'a') : a[i];
        char y = b[i] >= 'A' && b[i] <= 'Z' ? (char)(b[i] - 'A' + 'a') : b[i];

        if (x != y) {
            return false;
        }
    }
    return true;
}

static const char *const never_sent[] = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "proxy-authenticate",
    "proxy-authorization",
    "transfer-encoding",
    "content-length",
    "host",
};

/* The reference of what is dropped, written from http_rewrite.h. */
static bool
dropped(const pc_http_request_t *req, const pc_http_header_t *f)
{
    size_t i;

    for (i = 0; i < sizeof(never_sent) / sizeof(never_sent[0]); i++) {
        if (same_name(f->name, f->name_len, never_sent[i], strlen(never_sent[i]))) {
            return true;
        }
    }
    for (i = 0; i < req->num_headers; i++) {
        const pc_http_header_t *c = &req->headers[i];

        if ((same_name(c->name, c->name_len, NAME("connection"))
             || same_name(c->name, c->name_len, NAME("proxy-connection")))
            && pc_http_list_has_token(c->value, c->value_len, f->name, f->name_len)) {
            return true;
        }
    }
    return false;
}

static bool
field_is(const pc_http_header_t *h, const char *name, size_t name_len, const char *value,
         size_t value_len)
{
    return same_name(h->name, h->name_len, name, name_len) && h->value_len == value_len
           && (value_len == 0 || memcmp(h->value, value, value_len) == 0);
}

static void
check_output(const pc_http_request_t *req, const pc_http_framing_t *fr, const char *host,
             size_t host_len, const char *path, size_t path_len, const char *out, size_t out_len)
{
    pc_http_header_t headers[MAX_HEADERS + 4];
    pc_http_request_t again;
    pc_http_framing_t fr2;
    char via[32];
    size_t i, k = 0;

    memset(&again, 0, sizeof(again));
    again.headers = headers;
    PC_FUZZ_CHECK(pc_http_parse_request(out, out_len, &again, MAX_HEADERS + 4) == (int)out_len);
    PC_FUZZ_CHECK(again.method_len == req->method_len
                  && memcmp(again.method, req->method, req->method_len) == 0);
    PC_FUZZ_CHECK(again.target_len == path_len && memcmp(again.target, path, path_len) == 0);
    PC_FUZZ_CHECK(again.minor_version == req->minor_version);

    PC_FUZZ_CHECK(again.num_headers >= 2);
    PC_FUZZ_CHECK(field_is(&again.headers[k++], NAME("host"), host, host_len));
    for (i = 0; i < req->num_headers; i++) {
        const pc_http_header_t *f = &req->headers[i];

        if (dropped(req, f)) {
            continue;
        }
        PC_FUZZ_CHECK(k < again.num_headers);
        PC_FUZZ_CHECK(field_is(&again.headers[k++], f->name, f->name_len, f->value, f->value_len));
    }
    if (fr->kind == PC_BODY_CHUNKED) {
        PC_FUZZ_CHECK(k < again.num_headers);
        PC_FUZZ_CHECK(field_is(&again.headers[k++], NAME("transfer-encoding"), NAME("chunked")));
    } else if (fr->has_length) {
        char n[24];
        int nl = snprintf(n, sizeof(n), "%llu", (unsigned long long)fr->length);

        PC_FUZZ_CHECK(k < again.num_headers);
        PC_FUZZ_CHECK(field_is(&again.headers[k++], NAME("content-length"), n, (size_t)nl));
    }
    snprintf(via, sizeof(via), "1.%d " VIA_NAME, req->minor_version);
    PC_FUZZ_CHECK(k + 1 == again.num_headers);
    PC_FUZZ_CHECK(field_is(&again.headers[k], NAME("via"), via, strlen(via)));

    /* Nothing hop-by-hop, nothing a Connection field of the input named. */
    for (i = 1; i < again.num_headers; i++) {
        const pc_http_header_t *h = &again.headers[i];
        bool framing = same_name(h->name, h->name_len, NAME("transfer-encoding"))
                       || same_name(h->name, h->name_len, NAME("content-length"));

        PC_FUZZ_CHECK(!same_name(h->name, h->name_len, NAME("host")));
        if (!framing && i + 1 < again.num_headers) {
            PC_FUZZ_CHECK(!dropped(req, h));
        }
    }

    PC_FUZZ_CHECK(pc_http_request_framing(&again, &fr2) == 0);
    PC_FUZZ_CHECK(fr2.kind == fr->kind);
    PC_FUZZ_CHECK(fr2.length == fr->length);
}

static void
check_short(const pc_http_request_t *req, const pc_http_framing_t *fr, const char *host,
            size_t host_len, const char *path, size_t path_len, const char *want, size_t want_len,
            size_t salt)
{
    size_t caps[4];
    size_t i, j;
    char *buf = malloc(want_len + 16);

    PC_FUZZ_CHECK(buf != NULL);
    caps[0] = 0;
    caps[1] = want_len - 1;
    caps[2] = salt % want_len;
    caps[3] = want_len;
    for (i = 0; i < 4; i++) {
        size_t len = (size_t)-1;
        int rc;

        memset(buf, CANARY, want_len + 16);
        rc = pc_http_rewrite_request(req, fr, host, host_len, path, path_len, VIA_NAME, buf,
                                     caps[i], &len);
        for (j = caps[i]; j < want_len + 16; j++) {
            PC_FUZZ_CHECK((unsigned char)buf[j] == CANARY);
        }
        if (caps[i] < want_len) {
            PC_FUZZ_CHECK(rc == PC_E_NO_SPACE);
        } else {
            PC_FUZZ_CHECK(rc == 0 && len == want_len && memcmp(buf, want, want_len) == 0);
        }
    }
    free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    pc_http_header_t headers[MAX_HEADERS];
    pc_http_request_t req;
    pc_http_framing_t fr;
    pc_target_t target;
    char host[PC_HOST_MAX + 16];
    char *path_buf;
    char *out;
    const char *path = NULL;
    size_t path_len = 0, host_len, out_len = 0, cap;
    size_t salt = size * 31u + (size > 0 ? data[size / 2] : 0u);
    int r, rc;

    memset(&req, 0, sizeof(req));
    req.headers = headers;
    r = pc_http_parse_request(in, size, &req, MAX_HEADERS);
    if (r <= 0 || pc_http_request_framing(&req, &fr) != 0) {
        return 0;
    }
    path_buf = malloc(req.target_len + 2);
    PC_FUZZ_CHECK(path_buf != NULL);
    if (pc_target_parse_absolute(req.target, req.target_len, &target, &path, &path_len, path_buf,
                                 req.target_len + 2)
        != 0) {
        free(path_buf);
        return 0;
    }
    host_len = pc_target_format_host(&target, 80, host, sizeof(host));
    PC_FUZZ_CHECK(host_len > 0 && host_len < sizeof(host));

    cap = (size_t)r + RESERVE;
    out = malloc(cap);
    PC_FUZZ_CHECK(out != NULL);
    rc = pc_http_rewrite_request(&req, &fr, host, host_len, path, path_len, VIA_NAME, out, cap,
                                 &out_len);
    PC_FUZZ_CHECK(rc == 0);
    PC_FUZZ_CHECK(out_len > 0 && out_len <= cap);
    check_output(&req, &fr, host, host_len, path, path_len, out, out_len);
    check_short(&req, &fr, host, host_len, path, path_len, out, out_len, salt);
    free(out);
    free(path_buf);
    return 0;
}
