/*
 * test_target.c: unit tests for target.c, request targets and host names.
 *
 * Tables of authorities and absolute-form URIs with the exact normalised
 * host, port and path (or the exact error code) each must produce, plus
 * every truncated prefix of the valid inputs.
 */
#include "target.h"
#include "portcullis/error.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
    const char *in;
    uint16_t default_port;
    const char *host;
    uint16_t port;
    bool is_ipv6;
} auth_ok_case_t;

static const auth_ok_case_t auth_ok_cases[] = {
    {"example.com:443", 0, "example.com", 443, false},
    {"EXAMPLE.Com:443", 0, "example.com", 443, false},
    {"example.com.:443", 0, "example.com", 443, false},
    {"Example.COM.", 80, "example.com", 80, false},
    {"example.com", 80, "example.com", 80, false},
    {"example.com:8080", 80, "example.com", 8080, false},
    {"localhost:1", 0, "localhost", 1, false},
    {"h:65535", 0, "h", 65535, false},
    {"h:080", 0, "h", 80, false},
    {"h:00443", 0, "h", 443, false},
    {"_srv.x-y.test:53", 0, "_srv.x-y.test", 53, false},
    {"1e100.net:443", 0, "1e100.net", 443, false},
    {"123.example:80", 0, "123.example", 80, false},
    {"xn--bcher-kva.example:443", 0, "xn--bcher-kva.example", 443, false},
    {"[::1]:8080", 0, "::1", 8080, true},
    {"[::1]", 80, "::1", 80, true},
    {"[0:0::1]:443", 0, "::1", 443, true},
    {"[2001:DB8:0:0:0:0:0:1]:443", 0, "2001:db8::1", 443, true},
    {"[fe80::abcd]:1", 0, "fe80::abcd", 1, true},
    {"[::FFFF:1.2.3.4]:443", 0, "::ffff:1.2.3.4", 443, true},
    {"[::]:443", 0, "::", 443, true},
    /* Numeric hosts become the dotted quad a resolver would use. */
    {"127.0.0.1:8080", 0, "127.0.0.1", 8080, false},
    {"1.2.3.4.:80", 0, "1.2.3.4", 80, false},
    {"2130706433:80", 0, "127.0.0.1", 80, false},
    {"0x7f.1:80", 0, "127.0.0.1", 80, false},
    {"0X7F.0.0.1:80", 0, "127.0.0.1", 80, false},
    {"127.1:80", 0, "127.0.0.1", 80, false},
    {"127.0.0.01:80", 0, "127.0.0.1", 80, false},
    {"0177.0.0.1:80", 0, "127.0.0.1", 80, false},
    {"10.0x10.1:80", 0, "10.16.0.1", 80, false},
    {"192.168.257:80", 0, "192.168.1.1", 80, false},
    {"4294967295:80", 0, "255.255.255.255", 80, false},
    {"0:80", 0, "0.0.0.0", 80, false},
    {"0x:80", 0, "0.0.0.0", 80, false},
    {"1.16777215:80", 0, "1.255.255.255", 80, false},
    /* Not spelled as a number, so an ordinary (if odd) name. */
    {"example.0x1g:80", 0, "example.0x1g", 80, false},
    {"0x7f.1.example:80", 0, "0x7f.1.example", 80, false},
};

static void
test_target_authority_valid(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(auth_ok_cases); i++) {
        const auth_ok_case_t *c = &auth_ok_cases[i];
        pc_target_t t;

        print_message("case %zu: '%s'\n", i, c->in);
        assert_int_equal(pc_target_parse_authority(c->in, strlen(c->in), c->default_port, &t), 0);
        assert_string_equal(t.host, c->host);
        assert_int_equal(t.host_len, strlen(c->host));
        assert_int_equal(t.port, c->port);
        assert_int_equal(t.is_ipv6, c->is_ipv6);
    }
}

static const char *const auth_bad_cases[] = {
    "",
    ":",
    ":443",
    "host:",
    "host:0",
    "host:00000",
    "host:65536",
    "host:99999",
    "host:000080",
    "host:99999999999",
    "host:-1",
    "host:+80",
    "host: 80",
    "host:80 ",
    "host:8o",
    "host:0x50",
    "host:80:80",
    "host::80",
    "::1",
    "::1:443",
    "fe80::1",
    "[::1",
    "[::1]443",
    "[::1]:",
    "[::1]:0",
    "[::1]:65536",
    "[::1] :80",
    "[]:80",
    "[1.2.3.4]:80",
    "[::1]]:80",
    "[[::1]]:80",
    "[fe80::1%eth0]:80",
    "[fe80::1%25eth0]:80",
    "[v1.x]:80",
    "[::g]:80",
    "[::1::2]:80",
    "user@host:80",
    "user:pw@host:80",
    "@host:80",
    "ho st:80",
    " host:80",
    "host :80",
    "ho%41st:80",
    "example.com..:80",
    ".example.com:80",
    "example..com:80",
    ".:80",
    "..:80",
    "exa\tmple.com:80",
    "exa\x01mple.com:80",
    "exa\x7fmple.com:80",
    "ex/ample.com:80",
    "ex\\ample.com:80",
    "*.example.com:80",
    "b\303\274cher.example:80", /* UTF-8, octal escapes */
    /* Names that can only be IPv4 but are not valid IPv4. */
    "1.2.3.256:80",
    "1.2.3.4.5:80",
    "256.1:80",
    "1.16777216:80",
    "1.2.65536:80",
    "4294967296:80",
    "0x100000000:80",
    "08.1.1.1:80",
    "1.2.3.09:80",
    "example.123:80",
    "example.0x:80",
    "0xg.1:80",
};

static void
test_target_authority_invalid(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(auth_bad_cases); i++) {
        const char *in = auth_bad_cases[i];
        pc_target_t t;

        print_message("case %zu: '%s'\n", i, in);
        assert_int_equal(pc_target_parse_authority(in, strlen(in), 0, &t), PC_E_BAD_HOST);
        assert_int_equal(pc_target_parse_authority(in, strlen(in), 80, &t), PC_E_BAD_HOST);
    }
}

static void
test_target_authority_null(void **state)
{
    pc_target_t t;

    assert_int_equal(pc_target_parse_authority(NULL, 0, 80, &t), PC_E_BAD_HOST);
    assert_int_equal(pc_target_parse_authority(NULL, 5, 80, &t), PC_E_BAD_HOST);
}

/* CONNECT passes 0: a bare host has no port and is refused. */
static void
test_target_authority_port_required(void **state)
{
    static const char *const bare[] = {"example.com", "example.com.", "[::1]", "127.0.0.1", "a"};
    size_t i;

    for (i = 0; i < ARRAY_LEN(bare); i++) {
        pc_target_t t;

        print_message("case %zu: '%s'\n", i, bare[i]);
        assert_int_equal(pc_target_parse_authority(bare[i], strlen(bare[i]), 0, &t), PC_E_BAD_HOST);
        assert_int_equal(pc_target_parse_authority(bare[i], strlen(bare[i]), 443, &t), 0);
        assert_int_equal(t.port, 443);
    }
}

static void
test_target_authority_length_limits(void **state)
{
    char label63[64], label64[65], in[400];
    pc_target_t t;
    int n;

    memset(label63, 'a', 63);
    label63[63] = '\0';
    memset(label64, 'b', 64);
    label64[64] = '\0';
    n = snprintf(in, sizeof(in), "%s.test:443", label63);
    assert_int_equal(pc_target_parse_authority(in, (size_t)n, 0, &t), 0);
    assert_int_equal(t.host_len, 68);
    n = snprintf(in, sizeof(in), "%s.test:443", label64);
    assert_int_equal(pc_target_parse_authority(in, (size_t)n, 0, &t), PC_E_BAD_HOST);

    /* 253 bytes of name fit, with or without the trailing dot; 254 do not. */
    snprintf(in, sizeof(in), "%s.%s.%s.%s", label63, label63, label63, label63);
    in[253] = '\0';
    assert_int_equal(pc_target_parse_authority(in, 253, 80, &t), 0);
    assert_int_equal(t.host_len, 253);
    assert_int_equal(t.host[253], '\0');
    assert_memory_equal(t.host, in, 253);
    in[253] = '.';
    assert_int_equal(pc_target_parse_authority(in, 254, 80, &t), 0);
    assert_int_equal(t.host_len, 253);
    in[253] = 'c';
    assert_int_equal(pc_target_parse_authority(in, 254, 80, &t), PC_E_BAD_HOST);
    memcpy(in + 254, ":80", 3);
    assert_int_equal(pc_target_parse_authority(in, 257, 0, &t), PC_E_BAD_HOST);
}

/* Every proper prefix of a valid authority either parses as something
 * shorter or fails cleanly; reading stops at len (ASan checks the rest). */
static void
test_target_authority_prefixes(void **state)
{
    static const char *const inputs[] = {"www.example.com:8443", "[2001:db8::1]:443", "0x7f.1:80"};
    size_t i, k;

    for (i = 0; i < ARRAY_LEN(inputs); i++) {
        size_t len = strlen(inputs[i]);

        for (k = 0; k < len; k++) {
            char *copy = malloc(k + 1);
            pc_target_t t;
            int rc;

            assert_non_null(copy);
            memcpy(copy, inputs[i], k);
            rc = pc_target_parse_authority(copy, k, 80, &t);
            assert_true(rc == 0 || rc == PC_E_BAD_HOST);
            if (rc == 0) {
                assert_true(t.host_len > 0 && t.host_len <= PC_HOST_MAX);
                assert_int_equal(strlen(t.host), t.host_len);
            }
            free(copy);
            copy = NULL;
        }
    }
}

typedef struct {
    const char *in;
    const char *host;
    uint16_t port;
    bool is_ipv6;
    const char *path;
} abs_ok_case_t;

static const abs_ok_case_t abs_ok_cases[] = {
    {"http://example.com/", "example.com", 80, false, "/"},
    {"http://example.com", "example.com", 80, false, "/"},
    {"HTTP://Example.COM:8080/a/b?c=d", "example.com", 8080, false, "/a/b?c=d"},
    {"hTtP://example.com./p", "example.com", 80, false, "/p"},
    {"http://h?x=1", "h", 80, false, "/?x=1"},
    {"http://h:81?", "h", 81, false, "/?"},
    {"http://h/?", "h", 80, false, "/?"},
    {"http://h//double", "h", 80, false, "//double"},
    {"http://h/%20a;b=c", "h", 80, false, "/%20a;b=c"},
    {"http://h/a?b=/c?d@e:f", "h", 80, false, "/a?b=/c?d@e:f"},
    {"http://[::1]:8080/x", "::1", 8080, true, "/x"},
    {"http://[::1]", "::1", 80, true, "/"},
    {"http://[2001:db8::0:1]/", "2001:db8::1", 80, true, "/"},
    {"http://h:80/", "h", 80, false, "/"},
    {"http://2130706433/", "127.0.0.1", 80, false, "/"},
    {"http://127.0.0.1:3128/", "127.0.0.1", 3128, false, "/"},
};

static void
test_target_absolute_valid(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(abs_ok_cases); i++) {
        const abs_ok_case_t *c = &abs_ok_cases[i];
        size_t len = strlen(c->in);
        char *buf = malloc(len + 2);
        const char *path = NULL;
        size_t path_len = 0;
        pc_target_t t;

        print_message("case %zu: '%s'\n", i, c->in);
        assert_non_null(buf);
        assert_int_equal(pc_target_parse_absolute(c->in, len, &t, &path, &path_len, buf, len + 2),
                         0);
        assert_string_equal(t.host, c->host);
        assert_int_equal(t.host_len, strlen(c->host));
        assert_int_equal(t.port, c->port);
        assert_int_equal(t.is_ipv6, c->is_ipv6);
        assert_non_null(path);
        assert_int_equal(path_len, strlen(c->path));
        assert_memory_equal(path, c->path, path_len);
        free(buf);
        buf = NULL;
    }
}

/* Where path points: into the input, at path_buf, or a static "/". */
static void
test_target_absolute_path_storage(void **state)
{
    static const char with_path[] = "http://h/p?q";
    static const char query_only[] = "http://h?q=1";
    static const char no_path[] = "http://h";
    char buf[64];
    const char *path = NULL;
    size_t path_len = 0;
    pc_target_t t;

    assert_int_equal(
        pc_target_parse_absolute(with_path, strlen(with_path), &t, &path, &path_len, NULL, 0), 0);
    assert_ptr_equal(path, with_path + 8);
    assert_int_equal(path_len, 4);

    memset(buf, 'x', sizeof(buf));
    assert_int_equal(pc_target_parse_absolute(query_only, strlen(query_only), &t, &path, &path_len,
                                              buf, sizeof(buf)),
                     0);
    assert_ptr_equal(path, buf);
    assert_int_equal(path_len, 5);
    assert_string_equal(buf, "/?q=1");

    /* path_buf must hold len + 2 bytes; anything less is refused. */
    assert_int_equal(pc_target_parse_absolute(query_only, 12, &t, &path, &path_len, buf, 14), 0);
    assert_int_equal(pc_target_parse_absolute(query_only, 12, &t, &path, &path_len, buf, 6), 0);
    assert_int_equal(pc_target_parse_absolute(query_only, 12, &t, &path, &path_len, buf, 5),
                     PC_E_NO_SPACE);
    assert_int_equal(pc_target_parse_absolute(query_only, 12, &t, &path, &path_len, NULL, 0),
                     PC_E_NO_SPACE);

    assert_int_equal(
        pc_target_parse_absolute(no_path, strlen(no_path), &t, &path, &path_len, NULL, 0), 0);
    assert_int_equal(path_len, 1);
    assert_memory_equal(path, "/", 1);
}

typedef struct {
    const char *in;
    int rc;
} abs_bad_case_t;

static const abs_bad_case_t abs_bad_cases[] = {
    {"", PC_E_BAD_REQUEST},
    {"/", PC_E_BAD_REQUEST},
    {"/path", PC_E_BAD_REQUEST},
    {"*", PC_E_BAD_REQUEST},
    {"example.com/", PC_E_BAD_REQUEST},
    {"example.com:80", PC_E_BAD_REQUEST},
    {"http:/x", PC_E_BAD_REQUEST},
    {"http:x", PC_E_BAD_REQUEST},
    {"http//x", PC_E_BAD_REQUEST},
    {"http:", PC_E_BAD_REQUEST},
    {"http", PC_E_BAD_REQUEST},
    {"://x", PC_E_BAD_REQUEST},
    {"1http://x", PC_E_BAD_REQUEST},
    {"ht_tp://x", PC_E_BAD_REQUEST},
    {"ht tp://x", PC_E_BAD_REQUEST},
    {" http://x/", PC_E_BAD_REQUEST},
    {"http://x/ ", PC_E_BAD_REQUEST},
    {"http://h/#frag", PC_E_BAD_REQUEST},
    {"http://h#frag", PC_E_BAD_REQUEST},
    {"http://h/a?b#c", PC_E_BAD_REQUEST},
    {"http://h/a b", PC_E_BAD_REQUEST},
    {"http://h/\t", PC_E_BAD_REQUEST},
    {"http://h/\x01", PC_E_BAD_REQUEST},
    {"http://h/\x7f", PC_E_BAD_REQUEST},
    {"http://h/\x80", PC_E_BAD_REQUEST},
    {"http://h/a\r\nX: y", PC_E_BAD_REQUEST},
    {"http://ho st/", PC_E_BAD_REQUEST},
    {"https://example.com/", PC_E_NOT_IMPLEMENTED},
    {"HTTPS://example.com:443/", PC_E_NOT_IMPLEMENTED},
    {"ftp://example.com/file", PC_E_NOT_IMPLEMENTED},
    {"ws://example.com/", PC_E_NOT_IMPLEMENTED},
    {"httpx://example.com/", PC_E_NOT_IMPLEMENTED},
    {"htt://example.com/", PC_E_NOT_IMPLEMENTED},
    {"git+ssh://example.com/", PC_E_NOT_IMPLEMENTED},
    {"http://", PC_E_BAD_HOST},
    {"http:///x", PC_E_BAD_HOST},
    {"http://?x", PC_E_BAD_HOST},
    {"http://user@h/", PC_E_BAD_HOST},
    {"http://u:p@h/", PC_E_BAD_HOST},
    {"http://@h/", PC_E_BAD_HOST},
    {"http://h:0/", PC_E_BAD_HOST},
    {"http://h:65536/", PC_E_BAD_HOST},
    {"http://h:99999999999/", PC_E_BAD_HOST},
    {"http://h:-1/", PC_E_BAD_HOST},
    {"http://h:+80/", PC_E_BAD_HOST},
    {"http://h:/", PC_E_BAD_HOST},
    {"http://::1/", PC_E_BAD_HOST},
    {"http://[::1/", PC_E_BAD_HOST},
    {"http://[::1]x/", PC_E_BAD_HOST},
    {"http://[fe80::1%25eth0]/", PC_E_BAD_HOST},
    {"http://h..com/", PC_E_BAD_HOST},
    {"http://h.com../", PC_E_BAD_HOST},
    {"http://%41/", PC_E_BAD_HOST},
    {"http://1.2.3.256/", PC_E_BAD_HOST},
};

static void
test_target_absolute_invalid(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(abs_bad_cases); i++) {
        const abs_bad_case_t *c = &abs_bad_cases[i];
        char buf[64];
        const char *path = NULL;
        size_t path_len = 0;
        pc_target_t t;

        print_message("case %zu: '%s'\n", i, c->in);
        assert_int_equal(
            pc_target_parse_absolute(c->in, strlen(c->in), &t, &path, &path_len, buf, sizeof(buf)),
            c->rc);
    }
}

/* Every prefix of a valid URI is parsed within its length, without crash. */
static void
test_target_absolute_prefixes(void **state)
{
    static const char input[] = "http://[2001:db8::1]:8080/a/b?c=d";
    size_t k;

    for (k = 0; k < sizeof(input) - 1; k++) {
        char *copy = malloc(k + 2);
        char buf[64];
        const char *path = NULL;
        size_t path_len = 0;
        pc_target_t t;
        int rc;

        assert_non_null(copy);
        memcpy(copy, input, k);
        rc = pc_target_parse_absolute(copy, k, &t, &path, &path_len, buf, sizeof(buf));
        print_message("prefix %zu: rc %d\n", k, rc);
        /* "...]" (default port), "...]:8" and longer parse; "...]:" and
         * anything cut inside the scheme or the brackets does not. */
        if (k == 20 || k >= 22) {
            assert_int_equal(rc, 0);
            assert_string_equal(t.host, "2001:db8::1");
            assert_true(path_len >= 1);
        } else {
            assert_true(rc < 0);
        }
        free(copy);
        copy = NULL;
    }
}

typedef struct {
    const char *authority;
    uint16_t default_port;
    const char *host_field;
} format_case_t;

static const format_case_t format_cases[] = {
    {"example.com:80", 80, "example.com"},
    {"example.com:8080", 80, "example.com:8080"},
    {"example.com:443", 443, "example.com"},
    {"example.com:443", 80, "example.com:443"},
    {"[::1]:8080", 80, "[::1]:8080"},
    {"[::1]:80", 80, "[::1]"},
    {"[2001:db8::1]:65535", 80, "[2001:db8::1]:65535"},
    {"127.0.0.1:1", 80, "127.0.0.1:1"},
    {"EXAMPLE.com.:80", 80, "example.com"},
    {"0x7f.1:8080", 80, "127.0.0.1:8080"},
};

static void
test_target_format_host(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(format_cases); i++) {
        const format_case_t *c = &format_cases[i];
        size_t want = strlen(c->host_field);
        char out[300];
        pc_target_t t;

        print_message("case %zu: '%s'\n", i, c->authority);
        assert_int_equal(pc_target_parse_authority(c->authority, strlen(c->authority), 0, &t), 0);
        memset(out, 'x', sizeof(out));
        assert_int_equal(pc_target_format_host(&t, c->default_port, out, sizeof(out)), want);
        assert_string_equal(out, c->host_field);
        /* Exactly enough room (with the NUL) works; one byte less does not. */
        assert_int_equal(pc_target_format_host(&t, c->default_port, out, want + 1), want);
        assert_string_equal(out, c->host_field);
        assert_int_equal(pc_target_format_host(&t, c->default_port, out, want), 0);
    }
}

static void
test_target_format_host_longest(void **state)
{
    char in[300], out[300];
    pc_target_t t;
    size_t n;

    memset(in, 'a', 253);
    memcpy(in + 253, ":65535", 6);
    assert_int_equal(pc_target_parse_authority(in, 253, 80, &t), PC_E_BAD_HOST);
    in[63] = in[127] = in[191] = '.';
    assert_int_equal(pc_target_parse_authority(in, 259, 0, &t), 0);
    n = pc_target_format_host(&t, 80, out, sizeof(out));
    assert_int_equal(n, 259);
    assert_memory_equal(out, in, 259);
    assert_int_equal(out[259], '\0');
}

/* One field named name with value v (NUL-terminated literals). */
static pc_http_header_t
field(const char *name, const char *v)
{
    pc_http_header_t h;

    h.name = name;
    h.name_len = strlen(name);
    h.value = v;
    h.value_len = strlen(v);
    return h;
}

/*
 * Host never routes, but a Host that is present must be one valid authority:
 * the port overflows and signs that peers read with atoi() are refused.
 */
static void
test_target_host_fields(void **state)
{
    static const char *const good[] = {
        "h",     "example.com:8080", "EXAMPLE.com.", "[::1]:3128", "127.0.0.1:65535",
        "h:080", "wrong.example"};
    static const char *const bad[] = {
        "h:65536",   "h:99999999999", "h:-1", "h:",  "h:+80", "h:0",
        "",          "h:80x",         "u@h",  "h h", "[::1",  "::1",
        "1.2.3.999", "h:80:80",       "h%2e", "h/",  "a\\b",  "h:\t80"};
    pc_http_header_t f[3];
    size_t i;

    (void)state;
    assert_int_equal(pc_target_check_host_fields(NULL, 0), 0);
    f[0] = field("Accept", "*/*");
    assert_int_equal(pc_target_check_host_fields(f, 1), 0); /* no Host at all */
    for (i = 0; i < ARRAY_LEN(good); i++) {
        print_message("good %zu: '%s'\n", i, good[i]);
        f[1] = field(i % 2 == 0 ? "Host" : "hOST", good[i]);
        assert_int_equal(pc_target_check_host_fields(f, 2), 0);
    }
    for (i = 0; i < ARRAY_LEN(bad); i++) {
        print_message("bad %zu: '%s'\n", i, bad[i]);
        f[1] = field("Host", bad[i]);
        assert_int_equal(pc_target_check_host_fields(f, 2), PC_E_BAD_HOST);
    }
    /* Two Host fields are refused even when both are valid and equal. */
    f[1] = field("Host", "h");
    f[2] = field("host", "h");
    assert_int_equal(pc_target_check_host_fields(f, 3), PC_E_BAD_HOST);
    f[2] = field("Hostx", "h:0");
    assert_int_equal(pc_target_check_host_fields(f, 3), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target_authority_valid),
        cmocka_unit_test(test_target_authority_invalid),
        cmocka_unit_test(test_target_authority_null),
        cmocka_unit_test(test_target_authority_port_required),
        cmocka_unit_test(test_target_authority_length_limits),
        cmocka_unit_test(test_target_authority_prefixes),
        cmocka_unit_test(test_target_absolute_valid),
        cmocka_unit_test(test_target_absolute_path_storage),
        cmocka_unit_test(test_target_absolute_invalid),
        cmocka_unit_test(test_target_absolute_prefixes),
        cmocka_unit_test(test_target_format_host),
        cmocka_unit_test(test_target_format_host_longest),
        cmocka_unit_test(test_target_host_fields),
    };

    return cmocka_run_group_tests_name("target", tests, NULL, NULL);
}
