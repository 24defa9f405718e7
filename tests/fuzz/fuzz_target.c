/*
 * fuzz_target.c: host normalisation and request-target parsing (target.h).
 *
 * The whole input is given to pc_host_normalise(), to
 * pc_target_parse_authority() with default port 0 (CONNECT) and 80 (a Host
 * field), and to pc_target_parse_absolute(). Besides "no crash", the target
 * checks:
 *   - pc_host_normalise() accepts exactly what a reference written from
 *     target.h accepts (one trailing dot removed, labels of [A-Za-z0-9-_] of
 *     1..63 bytes, 253 bytes in all), writes the lowercased name NUL-terminated,
 *     and normalising its output again gives the same name (idempotent);
 *   - every parsed target has a host of 1..253 bytes, NUL-terminated, no
 *     trailing dot, no uppercase; a name holds only [a-z0-9-_.] and is its
 *     own normalisation, an IPv4 result is a dotted quad of 0..255, an IPv6
 *     result holds only [0-9a-f:.]; the port is non-zero (and the default
 *     when none was given);
 *   - the formatted Host value of a target parses back to the same target;
 *   - an absolute target's path starts with '/', holds no '#', lies inside
 *     the input or the caller's path buffer, and the URI had an http scheme;
 *     a path buffer one byte too small never gives a different target.
 */
#include "fuzz.h"

#include "portcullis/error.h"
#include "target.h"

#include <stdbool.h>
#include <string.h>

static char
lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Reference: the normalised length of s as pc_host_normalise() documents it, or 0. */
static size_t
ref_normalise(const char *s, size_t len)
{
    size_t i, label = 0;

    if (len > 0 && s[len - 1] == '.') {
        len--;
    }
    if (len == 0 || len > PC_HOST_MAX) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        char c = lower(s[i]);

        if (c == '.') {
            if (label == 0) {
                return 0;
            }
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
            if (++label > 63) {
                return 0;
            }
        } else {
            return 0;
        }
    }
    return label == 0 ? 0 : len;
}

static bool
is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

static void
check_normalise(const char *s, size_t len)
{
    char out[PC_HOST_MAX + 1];
    char again[PC_HOST_MAX + 1];
    size_t n = pc_host_normalise(s, len, out);
    size_t i;

    PC_FUZZ_CHECK(n == ref_normalise(s, len));
    if (n == 0) {
        return;
    }
    PC_FUZZ_CHECK(n <= PC_HOST_MAX && out[n] == '\0' && out[n - 1] != '.');
    for (i = 0; i < n; i++) {
        PC_FUZZ_CHECK(is_name_char(out[i]));
        PC_FUZZ_CHECK(out[i] == lower(s[i]));
    }
    PC_FUZZ_CHECK(pc_host_normalise(out, n, again) == n);
    PC_FUZZ_CHECK(memcmp(again, out, n + 1) == 0);
}

/* True if s is a dotted quad of four decimal parts 0..255 without leading zeros. */
static bool
is_dotted_quad(const char *s)
{
    int parts = 0;

    for (;;) {
        unsigned v = 0;
        int digits = 0;

        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (unsigned)(*s - '0');
            if (++digits > 3 || (digits == 2 && v < 10)) {
                return false;
            }
            s++;
        }
        if (digits == 0 || v > 255) {
            return false;
        }
        parts++;
        if (*s == '\0') {
            return parts == 4;
        }
        if (*s != '.' || parts == 4) {
            return false;
        }
        s++;
    }
}

static void
check_target(const pc_target_t *t, uint16_t default_port)
{
    char buf[PC_HOST_MAX + 16];
    pc_target_t back;
    size_t i, n;
    const char *last;

    PC_FUZZ_CHECK(t->host_len >= 1 && t->host_len <= PC_HOST_MAX);
    PC_FUZZ_CHECK(t->host[t->host_len] == '\0' && strlen(t->host) == t->host_len);
    PC_FUZZ_CHECK(t->host[t->host_len - 1] != '.');
    PC_FUZZ_CHECK(t->port != 0);
    if (t->is_ipv6) {
        PC_FUZZ_CHECK(strchr(t->host, ':') != NULL);
        for (i = 0; i < t->host_len; i++) {
            char c = t->host[i];

            PC_FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.');
        }
    } else {
        char norm[PC_HOST_MAX + 1];

        for (i = 0; i < t->host_len; i++) {
            PC_FUZZ_CHECK(is_name_char(t->host[i]));
        }
        PC_FUZZ_CHECK(pc_host_normalise(t->host, t->host_len, norm) == t->host_len);
        PC_FUZZ_CHECK(strcmp(norm, t->host) == 0);
        /* A last label that is a number means an IPv4 address, stored as a dotted quad. */
        last = strrchr(t->host, '.');
        last = last == NULL ? t->host : last + 1;
        if (*last >= '0' && *last <= '9' && strspn(last, "0123456789") == strlen(last)) {
            PC_FUZZ_CHECK(is_dotted_quad(t->host));
        }
    }
    n = pc_target_format_host(t, default_port, buf, sizeof(buf));
    PC_FUZZ_CHECK(n > 0 && n < sizeof(buf));
    PC_FUZZ_CHECK(pc_target_parse_authority(buf, n, default_port == 0 ? 1 : default_port, &back)
                  == 0);
    PC_FUZZ_CHECK(strcmp(back.host, t->host) == 0 && back.host_len == t->host_len);
    PC_FUZZ_CHECK(back.port == t->port && back.is_ipv6 == t->is_ipv6);
}

static void
check_authority(const char *s, size_t len, uint16_t default_port)
{
    pc_target_t t;
    int rc = pc_target_parse_authority(s, len, default_port, &t);

    PC_FUZZ_CHECK(rc == 0 || rc == PC_E_BAD_HOST);
    if (rc != 0) {
        return;
    }
    check_target(&t, default_port);
    if (memchr(s, ':', len) == NULL) {
        PC_FUZZ_CHECK(default_port != 0 && t.port == default_port);
    }
}

static void
check_absolute(const char *s, size_t len)
{
    char *path_buf = malloc(len + 2);
    const char *path = NULL;
    size_t path_len = 0;
    pc_target_t t;
    int rc;

    PC_FUZZ_CHECK(path_buf != NULL);
    rc = pc_target_parse_absolute(s, len, &t, &path, &path_len, path_buf, len + 2);
    PC_FUZZ_CHECK(rc == 0 || rc == PC_E_BAD_HOST || rc == PC_E_BAD_REQUEST
                  || rc == PC_E_NOT_IMPLEMENTED);
    if (rc == 0) {
        bool in_input = path >= s && path_len <= len && (size_t)(path - s) <= len - path_len;
        bool in_buf = path == path_buf && path_len <= len + 2;

        PC_FUZZ_CHECK(len >= 7 && lower(s[0]) == 'h' && lower(s[1]) == 't' && lower(s[2]) == 't'
                      && lower(s[3]) == 'p' && s[4] == ':' && s[5] == '/' && s[6] == '/');
        check_target(&t, 80);
        PC_FUZZ_CHECK(path != NULL && path_len >= 1 && path[0] == '/');
        PC_FUZZ_CHECK(in_input || in_buf || (path_len == 1 && path[0] == '/'));
        PC_FUZZ_CHECK(memchr(path, '#', path_len) == NULL);
        /* A smaller path buffer can only fail with NO_SPACE, never parse differently. */
        {
            pc_target_t t2;
            const char *p2 = NULL;
            size_t p2_len = 0;
            int rc2 = pc_target_parse_absolute(s, len, &t2, &p2, &p2_len, path_buf, len + 1);

            PC_FUZZ_CHECK(rc2 == 0 || rc2 == PC_E_NO_SPACE);
            if (rc2 == 0) {
                PC_FUZZ_CHECK(strcmp(t2.host, t.host) == 0 && t2.port == t.port);
                PC_FUZZ_CHECK(p2_len == path_len);
            }
        }
    }
    free(path_buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;

    check_normalise(s, size);
    check_authority(s, size, 0);
    check_authority(s, size, 80);
    check_absolute(s, size);
    return 0;
}
