/*
 * http_rewrite.c: builds the heads Portcullis sends on (contract in http_rewrite.h).
 *
 * Owns the hop-by-hop policy: which fields never cross the proxy, and the
 * canonical framing and Via fields written in their place. The parsed input
 * is read-only: each field is looked at once and either copied or skipped,
 * and the Connection tokens are only ever searched, never used to delete
 * anything (tinyproxy CVE-2023-49606 was a double free from removing fields
 * while walking those tokens). Pure: C library only.
 */
#include "http_rewrite.h"

#include "portcullis/error.h"
#include "util.h"

#include <stdint.h>
#include <string.h>

/* The output buffer. Once a write does not fit, nothing more is written. */
typedef struct {
    char *base; /* borrowed: the caller's buffer */
    size_t cap;
    size_t len;
    bool full; /* a write did not fit: the result is PC_E_NO_SPACE */
} sink_t;

typedef struct {
    const char *name;
    size_t len;
} name_t;

/* Expands to the two initialisers of a name_t: text and length. */
#define NAME(s) s, sizeof(s) - 1

/*
 * Never copied, in either direction. Content-Length and Transfer-Encoding are
 * written afresh from the validated framing, so a peer never sees a spelling
 * other than the one the framing was decided from.
 */
static const name_t never_copied[] = {
    {NAME("Connection")},
    {NAME("Keep-Alive")},
    {NAME("Proxy-Connection")},
    {NAME("TE")},
    {NAME("Proxy-Authenticate")},
    {NAME("Trailer")},
    {NAME("Upgrade")},
    {NAME("Proxy-Authorization")},
    {NAME("Transfer-Encoding")},
    {NAME("Content-Length")},
};

static const name_t host_field = {NAME("Host")};
static const name_t via_field = {NAME("Via")};

/* The fields whose values list more fields to drop. */
static const name_t listing_fields[] = {
    {NAME("Connection")},
    {NAME("Proxy-Connection")},
};

/* ASCII only: field names must not compare differently under another locale. */
static bool
same_name(const char *a, size_t a_len, const name_t *b)
{
    size_t i;
    unsigned char x;
    unsigned char y;

    if (a_len != b->len) {
        return false;
    }
    for (i = 0; i < a_len; i++) {
        x = (unsigned char)a[i];
        y = (unsigned char)b->name[i];
        x = x >= 'A' && x <= 'Z' ? (unsigned char)(x - 'A' + 'a') : x;
        y = y >= 'A' && y <= 'Z' ? (unsigned char)(y - 'A' + 'a') : y;
        if (x != y) {
            return false;
        }
    }
    return true;
}

static bool
in_list(const char *name, size_t len, const name_t *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (same_name(name, len, &list[i])) {
            return true;
        }
    }
    return false;
}

/*
 * True if field f is not sent on: a fixed hop-by-hop or framing field, Host
 * when the caller writes its own, or a field named by any token of any
 * Connection or Proxy-Connection field of the same message. Searching all
 * listing fields for each candidate costs O(n^2) over at most a few dozen
 * fields and needs no scratch memory.
 */
static bool
is_dropped(const pc_http_header_t *fields, size_t n, const pc_http_header_t *f, bool drop_host)
{
    size_t i;

    if (in_list(f->name, f->name_len, never_copied, PC_ARRAY_SIZE(never_copied))) {
        return true;
    }
    if (drop_host && same_name(f->name, f->name_len, &host_field)) {
        return true;
    }
    for (i = 0; i < n; i++) {
        if (in_list(fields[i].name, fields[i].name_len, listing_fields,
                    PC_ARRAY_SIZE(listing_fields))
            && pc_http_list_has_token(fields[i].value, fields[i].value_len, f->name, f->name_len)) {
            return true;
        }
    }
    return false;
}

static void
put(sink_t *s, const char *p, size_t n)
{
    if (s->full || n > s->cap - s->len) {
        s->full = true;
        return;
    }
    if (n > 0) { /* base may be NULL when cap is 0 */
        memcpy(s->base + s->len, p, n);
        s->len += n;
    }
}

static void
put_str(sink_t *s, const char *str)
{
    put(s, str, strlen(str));
}

static void
put_u64(sink_t *s, uint64_t v)
{
    char digits[20]; /* UINT64_MAX has 20 decimal digits */
    size_t i = sizeof digits;

    do {
        digits[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    put(s, digits + i, sizeof digits - i);
}

/* We speak HTTP/1.0 and HTTP/1.1 only; the parser accepts no other minor version. */
static const char *
minor_digit(int minor)
{
    return minor == 0 ? "0" : "1";
}

/* Copies the end-to-end fields byte-exact, in order, duplicates kept. */
static void
put_fields(sink_t *s, const pc_http_header_t *fields, size_t n, bool drop_host)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (is_dropped(fields, n, &fields[i], drop_host)) {
            continue;
        }
        put(s, fields[i].name, fields[i].name_len);
        put(s, ": ", 2);
        put(s, fields[i].value, fields[i].value_len);
        put(s, "\r\n", 2);
    }
}

static void
put_content_length(sink_t *s, uint64_t n)
{
    put_str(s, "Content-Length: ");
    put_u64(s, n);
    put(s, "\r\n", 2);
}

static void
put_via(sink_t *s, int minor, const char *via_name)
{
    put_str(s, "Via: 1.");
    put_str(s, minor_digit(minor));
    put(s, " ", 1);
    put_str(s, via_name);
    put(s, "\r\n", 2);
}

static int
finish(sink_t *s, size_t *out_len)
{
    put(s, "\r\n", 2);
    if (s->full) {
        return PC_E_NO_SPACE;
    }
    *out_len = s->len;
    return 0;
}

int
pc_http_rewrite_request(const pc_http_request_t *req, const pc_http_framing_t *fr, const char *host,
                        size_t host_len, const char *path, size_t path_len, const char *via_name,
                        char *out, size_t cap, size_t *out_len)
{
    sink_t s = {out, cap, 0, false};

    put(&s, req->method, req->method_len);
    put(&s, " ", 1);
    put(&s, path, path_len);
    put_str(&s, " HTTP/1.");
    put_str(&s, minor_digit(req->minor_version));
    put(&s, "\r\n", 2);
    put_str(&s, "Host: ");
    put(&s, host, host_len);
    put(&s, "\r\n", 2);
    put_fields(&s, req->headers, req->num_headers, true);
    if (fr->kind == PC_BODY_CHUNKED) {
        put_str(&s, "Transfer-Encoding: chunked\r\n");
    } else if (fr->kind == PC_BODY_LENGTH && fr->has_length) {
        put_content_length(&s, fr->length);
    }
    put_via(&s, req->minor_version, via_name);
    return finish(&s, out_len);
}

int
pc_http_rewrite_response(const pc_http_response_t *res, const pc_http_framing_t *fr, bool close,
                         int client_minor, const char *via_name, char *out, size_t cap,
                         size_t *out_len)
{
    sink_t s = {out, cap, 0, false};
    /* RFC 9110 8.6: no Content-Length in a 1xx or 204 response, whatever the origin sent. */
    bool no_length = (res->status >= 100 && res->status < 200) || res->status == 204;

    put_str(&s, "HTTP/1.1 ");
    put_u64(&s, (uint64_t)(res->status > 0 ? res->status : 0));
    put(&s, " ", 1);
    put(&s, res->reason, res->reason_len);
    put(&s, "\r\n", 2);
    put_fields(&s, res->headers, res->num_headers, false);
    if (fr->kind == PC_BODY_CHUNKED) {
        put_str(&s, "Transfer-Encoding: chunked\r\n");
    } else if (fr->has_length && !no_length) {
        /* A HEAD or 304 response keeps its Content-Length: it describes the
         * representation, not a body on this connection. */
        put_content_length(&s, fr->length);
    }
    put_via(&s, res->minor_version, via_name);
    if (close) {
        put_str(&s, "Connection: close\r\n");
    } else if (client_minor == 0) {
        put_str(&s, "Connection: keep-alive\r\n"); /* HTTP/1.0 closes unless told otherwise */
    }
    return finish(&s, out_len);
}

/* True if one Via member ("1.1 name (comment)") has received-by == name. */
static bool
via_member_is(const char *m, size_t len, const char *name, size_t name_len)
{
    name_t want;
    size_t i = 0, start;

    want.name = name;
    want.len = name_len;
    while (i < len && m[i] != ' ' && m[i] != '\t') {
        i++; /* the received-protocol */
    }
    while (i < len && (m[i] == ' ' || m[i] == '\t')) {
        i++;
    }
    start = i;
    while (i < len && m[i] != ' ' && m[i] != '\t') {
        i++;
    }
    return same_name(m + start, i - start, &want);
}

bool
pc_http_via_has(const pc_http_header_t *fields, size_t n, const char *via_name)
{
    size_t i, a, b, name_len = strlen(via_name);
    const char *v;

    for (i = 0; i < n; i++) {
        if (!same_name(fields[i].name, fields[i].name_len, &via_field)) {
            continue;
        }
        v = fields[i].value;
        for (a = 0; a < fields[i].value_len; a = b + 1) {
            for (b = a; b < fields[i].value_len && v[b] != ','; b++) {
            }
            while (a < b && (v[a] == ' ' || v[a] == '\t')) {
                a++;
            }
            if (via_member_is(v + a, b - a, via_name, name_len)) {
                return true;
            }
        }
    }
    return false;
}
