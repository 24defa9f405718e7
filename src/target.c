/*
 * target.c: request targets (CONNECT authority, absolute-form URI) and host
 * normalisation.
 *
 * Owns the one place where a client-supplied host becomes the name every
 * policy sees. The rules are strict on purpose: whatever the filter, the ACL
 * and the resolver are shown must have exactly one spelling, so that no
 * rule can be dodged by writing the same host another way ("EXAMPLE.com.",
 * "[0:0::1]", "2130706433").
 */
#include "target.h"

#include "addr.h"
#include "portcullis/error.h"

#include <string.h>

#define LABEL_MAX 63

static const char slash_path[] = "/";

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '_';
}

/* Port: 1*5DIGIT with a value in 1..65535. Returns the port or 0. */
static uint16_t
parse_port(const char *s, size_t len)
{
    unsigned value = 0;
    size_t i;

    if (len == 0 || len > 5) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (!is_digit(s[i])) {
            return 0;
        }
        value = value * 10 + (unsigned)(s[i] - '0');
    }
    return value <= 65535 ? (uint16_t)value : 0;
}

/*
 * Value of one part of a numeric IPv4 host in the form resolvers accept
 * (inet_aton, WHATWG URL): "0x" hex, leading "0" octal, else decimal.
 * Returns 0 and sets *out, or -1. Values above 2^32 fail early.
 */
static int
loose_v4_number(const char *s, size_t len, uint64_t *out)
{
    unsigned radix = 10;
    uint64_t value = 0;
    size_t i;

    if (len == 0) {
        return -1;
    }
    if (len >= 2 && s[0] == '0' && s[1] == 'x') {
        radix = 16;
        s += 2;
        len -= 2;
    } else if (len >= 2 && s[0] == '0') {
        radix = 8;
        s++;
        len--;
    }
    for (i = 0; i < len; i++) {
        unsigned d;

        if (is_digit(s[i])) {
            d = (unsigned)(s[i] - '0');
        } else if (s[i] >= 'a' && s[i] <= 'f') {
            d = (unsigned)(s[i] - 'a' + 10);
        } else {
            return -1;
        }
        if (d >= radix) {
            return -1;
        }
        value = value * radix + d;
        if (value > UINT32_MAX) {
            return -1;
        }
    }
    *out = value;
    return 0;
}

/*
 * True if the last label is spelled as a number: all digits, or "0x" and hex
 * digits. Such a name can never be resolved through DNS, only read as an
 * IPv4 address, so it must be one (the WHATWG URL "ends in a number" rule).
 * Only the spelling counts here: "0x100000000" ends in a number and is then
 * refused for its value.
 */
static bool
ends_in_number(const char *h, size_t len)
{
    size_t start = len;
    size_t i;

    while (start > 0 && h[start - 1] != '.') {
        start--;
    }
    i = start;
    if (len - start >= 2 && h[start] == '0' && h[start + 1] == 'x') {
        i += 2;
        while (i < len && (is_digit(h[i]) || (h[i] >= 'a' && h[i] <= 'f'))) {
            i++;
        }
        return i == len;
    }
    while (i < len && is_digit(h[i])) {
        i++;
    }
    return i == len && i > start;
}

/*
 * Reads a numeric host ("2130706433", "0x7f.1", "127.000.0.01") as
 * resolvers would and writes the four bytes. Returns 0 or -1.
 */
static int
parse_loose_v4(const char *h, size_t len, uint8_t out[4])
{
    uint64_t parts[4];
    size_t n = 0, pos = 0;
    uint64_t last;
    size_t i;

    while (pos <= len) {
        const char *dot = memchr(h + pos, '.', len - pos);
        size_t end = dot != NULL ? (size_t)(dot - h) : len;

        if (n == 4 || loose_v4_number(h + pos, end - pos, &parts[n]) != 0) {
            return -1;
        }
        n++;
        pos = end + 1;
    }
    for (i = 0; i + 1 < n; i++) {
        if (parts[i] > 255) {
            return -1;
        }
    }
    /* The last part fills every byte the earlier parts left over. */
    last = parts[n - 1];
    if (n > 1 && last >> (8 * (5 - n)) != 0) {
        return -1;
    }
    for (i = 0; i + 1 < n; i++) {
        out[i] = (uint8_t)parts[i];
    }
    for (i = n - 1; i < 4; i++) {
        out[i] = (uint8_t)(last >> (8 * (3 - i)));
    }
    return 0;
}

/*
 * Normalises a host name into t->host: lowercase, one trailing dot dropped,
 * labels of [a-z0-9_-] 1..63 bytes, 253 bytes in all; a numeric name is
 * rewritten as a dotted quad. Returns 0 or PC_E_BAD_HOST.
 */
size_t
pc_host_normalise(const char *s, size_t len, char *out)
{
    size_t i, label = 0;

    if (len > 0 && s[len - 1] == '.') {
        len--;
    }
    if (len == 0 || len > PC_HOST_MAX) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        char c = s[i];

        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        if (c == '.') {
            if (label == 0) {
                return 0;
            }
            label = 0;
        } else if (!is_host_char(c) || ++label > LABEL_MAX) {
            return 0;
        }
        out[i] = c;
    }
    if (label == 0) {
        return 0;
    }
    out[len] = '\0';
    return len;
}

static int
set_name(pc_target_t *t, const char *s, size_t len)
{
    uint8_t v4[4];

    len = pc_host_normalise(s, len, t->host);
    if (len == 0) {
        return PC_E_BAD_HOST;
    }
    t->host_len = len;
    if (ends_in_number(t->host, len)) {
        pc_addr_t a;

        if (parse_loose_v4(t->host, len, v4) != 0) {
            return PC_E_BAD_HOST;
        }
        a.family = 4;
        memset(a.bytes, 0, sizeof(a.bytes));
        memcpy(a.bytes, v4, 4);
        t->host_len = pc_addr_format(&a, t->host, sizeof(t->host));
    }
    return 0;
}

/* Validates a bracketed IPv6 literal's inside and stores its RFC 5952 form. */
static int
set_ipv6(pc_target_t *t, const char *s, size_t len)
{
    pc_addr_t a;
    size_t i;

    /* Hex digits, ':' and '.' only: this refuses zone ids ("%eth0") and
     * IPvFuture before the address parser sees them. */
    for (i = 0; i < len; i++) {
        char c = s[i];

        if (!is_digit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F') && c != ':'
            && c != '.') {
            return PC_E_BAD_HOST;
        }
    }
    if (pc_addr_parse(s, len, &a) != 0 || a.family != 6) {
        return PC_E_BAD_HOST;
    }
    t->host_len = pc_addr_format(&a, t->host, sizeof(t->host));
    t->is_ipv6 = true;
    return t->host_len != 0 ? 0 : PC_E_BAD_HOST;
}

int
pc_target_parse_authority(const char *s, size_t len, uint16_t default_port, pc_target_t *out)
{
    size_t host_end, port_at;
    int rc;

    memset(out, 0, sizeof(*out));
    if (s == NULL || len == 0) {
        return PC_E_BAD_HOST;
    }
    if (s[0] == '[') {
        const char *close = memchr(s, ']', len);

        if (close == NULL) {
            return PC_E_BAD_HOST;
        }
        host_end = (size_t)(close - s);
        rc = set_ipv6(out, s + 1, host_end - 1);
        port_at = host_end + 1;
    } else {
        const char *colon = memchr(s, ':', len);

        /* A second ':' would be in the port and fail there: a bare IPv6
         * literal is refused without guessing where its port starts. */
        host_end = colon != NULL ? (size_t)(colon - s) : len;
        rc = set_name(out, s, host_end);
        port_at = host_end;
    }
    if (rc != 0) {
        return rc;
    }
    if (port_at == len) {
        out->port = default_port;
        return default_port != 0 ? 0 : PC_E_BAD_HOST;
    }
    if (s[port_at] != ':') {
        return PC_E_BAD_HOST;
    }
    out->port = parse_port(s + port_at + 1, len - port_at - 1);
    return out->port != 0 ? 0 : PC_E_BAD_HOST;
}

/*
 * Characters allowed anywhere in an absolute-form target: visible ASCII
 * except '#' (a fragment is never sent to a server). Controls, spaces and
 * bytes >= 0x80 mean the request line was not a valid URI.
 */
static bool
is_uri_char(char c)
{
    return c > 0x20 && c < 0x7f && c != '#';
}

/* Length of "scheme" in "scheme://" (RFC 3986 section 3.1), or 0. */
static size_t
scheme_len(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) {
        return 0;
    }
    for (i = 1; i < len; i++) {
        char c = s[i];

        if (c == ':') {
            break;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '+'
              || c == '-' || c == '.')) {
            return 0;
        }
    }
    if (len - i < 3 || memcmp(s + i, "://", 3) != 0) {
        return 0;
    }
    return i;
}

static bool
is_http_scheme(const char *s, size_t len)
{
    static const char http[] = "http";
    size_t i;

    if (len != 4) {
        return false;
    }
    for (i = 0; i < 4; i++) {
        char c = s[i];

        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        if (c != http[i]) {
            return false;
        }
    }
    return true;
}

/* Sets the origin-form path from the text after the authority. */
static int
set_path(const char *rest, size_t rest_len, const char **path, size_t *path_len, char *path_buf,
         size_t path_buf_cap)
{
    if (rest_len == 0) {
        *path = slash_path;
        *path_len = 1;
        return 0;
    }
    if (rest[0] == '/') {
        *path = rest;
        *path_len = rest_len;
        return 0;
    }
    /* Only a query is left ("http://h?x=1"): the origin-form needs a '/'
     * in front, which the input does not have, hence the copy. */
    if (path_buf == NULL || path_buf_cap < rest_len + 2) {
        return PC_E_NO_SPACE;
    }
    path_buf[0] = '/';
    memcpy(path_buf + 1, rest, rest_len);
    path_buf[rest_len + 1] = '\0';
    *path = path_buf;
    *path_len = rest_len + 1;
    return 0;
}

int
pc_target_parse_absolute(const char *s, size_t len, pc_target_t *out, const char **path,
                         size_t *path_len, char *path_buf, size_t path_buf_cap)
{
    size_t slen, auth, auth_len, i;
    int rc;

    memset(out, 0, sizeof(*out));
    if (s == NULL) {
        return PC_E_BAD_REQUEST;
    }
    for (i = 0; i < len; i++) {
        if (!is_uri_char(s[i])) {
            return PC_E_BAD_REQUEST;
        }
    }
    slen = scheme_len(s, len);
    if (slen == 0) {
        return PC_E_BAD_REQUEST;
    }
    if (!is_http_scheme(s, slen)) {
        return PC_E_NOT_IMPLEMENTED;
    }
    auth = slen + 3;
    for (auth_len = 0; auth + auth_len < len; auth_len++) {
        char c = s[auth + auth_len];

        if (c == '/' || c == '?') {
            break;
        }
    }
    rc = pc_target_parse_authority(s + auth, auth_len, 80, out);
    if (rc != 0) {
        return rc;
    }
    return set_path(s + auth + auth_len, len - auth - auth_len, path, path_len, path_buf,
                    path_buf_cap);
}

int
pc_target_check_host_fields(const pc_http_header_t *fields, size_t n)
{
    pc_target_t t;
    int i = pc_http_find_header(fields, n, "Host", 4, 0);

    if (i < 0) {
        return 0;
    }
    if (pc_http_find_header(fields, n, "Host", 4, (size_t)i + 1) >= 0) {
        return PC_E_BAD_HOST;
    }
    return pc_target_parse_authority(fields[i].value, fields[i].value_len, 80, &t);
}

/* Writes the decimal port at out; returns the digits written. */
static size_t
put_port(char *out, uint16_t port)
{
    char digits[5];
    size_t n = 0, i;
    unsigned v = port;

    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    for (i = 0; i < n; i++) {
        out[i] = digits[n - 1 - i];
    }
    return n;
}

size_t
pc_target_format_host(const pc_target_t *t, uint16_t default_port, char *out, size_t cap)
{
    /* Brackets, host, ':' and five digits: never more than this. */
    char tmp[PC_HOST_MAX + 9];
    size_t n = 0;

    if (t->host_len == 0 || t->host_len > PC_HOST_MAX) {
        return 0;
    }
    if (t->is_ipv6) {
        tmp[n++] = '[';
    }
    memcpy(tmp + n, t->host, t->host_len);
    n += t->host_len;
    if (t->is_ipv6) {
        tmp[n++] = ']';
    }
    if (t->port != default_port) {
        tmp[n++] = ':';
        n += put_port(tmp + n, t->port);
    }
    if (n + 1 > cap) {
        return 0;
    }
    memcpy(out, tmp, n);
    out[n] = '\0';
    return n;
}
