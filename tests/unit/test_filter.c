/*
 * test_filter.c: unit tests for filter.c, the domain blocklist.
 *
 * Covers name validation and normalisation, label-boundary matching, list
 * files (comments, CRLF, exact error text with line numbers) and a load of a
 * million generated names (counts and matches only; speed is bench/'s job).
 */
#include "filter.h"
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

static bool
match(const pc_filter_t *f, const char *host)
{
    return pc_filter_match(f, host, strlen(host));
}

static int
add(pc_filter_t *f, const char *domain)
{
    return pc_filter_add(f, domain, strlen(domain));
}

static int
setup_filter(void **state)
{
    pc_filter_t *f = NULL;

    if (pc_filter_create(&f) != 0) {
        return -1;
    }
    *state = f;
    return 0;
}

static int
teardown_filter(void **state)
{
    pc_filter_free(*state);
    *state = NULL;
    return 0;
}

/* Returns a string of n copies of c (n < 1024), NUL-terminated. */
static const char *
repeat(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = '\0';
    return buf;
}

typedef struct {
    const char *in;
    const char *stored; /* the normalised name that must now match */
} add_ok_case_t;

static const add_ok_case_t add_ok_cases[] = {
    {"example.com", "example.com"},
    {"EXAMPLE.COM", "example.com"},
    {"Example.Com.", "example.com"},
    {"ads.Example.NET", "ads.example.net"},
    {"localhost", "localhost"},
    {"tracker.", "tracker"},
    {"a", "a"},
    {"x-y.z_w.test", "x-y.z_w.test"},
    {"-leading.test", "-leading.test"},
    {"_dmarc.test", "_dmarc.test"},
    {"123.example", "123.example"},
    {"1.2.3.4", "1.2.3.4"},
    {"xn--bcher-kva.example", "xn--bcher-kva.example"},
};

static void
test_filter_add_valid(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(add_ok_cases); i++) {
        pc_filter_t *f = NULL;

        print_message("case %zu: '%s'\n", i, add_ok_cases[i].in);
        assert_int_equal(pc_filter_create(&f), 0);
        assert_int_equal(add(f, add_ok_cases[i].in), 0);
        assert_int_equal(pc_filter_count(f), 1);
        assert_true(match(f, add_ok_cases[i].stored));
        pc_filter_free(f);
    }
}

static const char *const add_bad_cases[] = {
    "",
    ".",
    "..",
    "example.com..",
    ".example.com",
    "example..com",
    "*",
    "*.example.com",
    "foo bar",
    " example.com",
    "example.com ",
    "example.com/path",
    "example.com:443",
    "user@example.com",
    "ex%41mple.com",
    "[::1]",
    "::1",
    "exa\tmple.com",
    "exa\nmple.com",
    "ex!ample.com",
    "example.com\r",
    "b\303\274cher.example", /* UTF-8, octal escapes */
};

static void
test_filter_add_invalid(void **state)
{
    pc_filter_t *f = *state;
    size_t i;

    for (i = 0; i < ARRAY_LEN(add_bad_cases); i++) {
        print_message("case %zu: '%s'\n", i, add_bad_cases[i]);
        assert_int_equal(add(f, add_bad_cases[i]), PC_E_BAD_HOST);
    }
    /* An embedded NUL is a bad byte, not the end of the name. */
    assert_int_equal(pc_filter_add(f, "exam\0ple.com", 12), PC_E_BAD_HOST);
    assert_int_equal(pc_filter_add(f, NULL, 0), PC_E_BAD_HOST);
    assert_int_equal(pc_filter_count(f), 0);
}

static void
test_filter_label_limits(void **state)
{
    pc_filter_t *f = *state;
    char label63[64], label64[65], name[300];

    repeat(label63, 'a', 63);
    repeat(label64, 'b', 64);
    assert_int_equal(add(f, label63), 0);
    assert_int_equal(add(f, label64), PC_E_BAD_HOST);
    snprintf(name, sizeof(name), "x.%s.test", label64);
    assert_int_equal(add(f, name), PC_E_BAD_HOST);

    /* 253 bytes in all is the most; one trailing dot does not count. */
    snprintf(name, sizeof(name), "%s.%s.%s.%s", label63, label63, label63, label63);
    name[253] = '\0';
    assert_int_equal(strlen(name), 253);
    assert_int_equal(add(f, name), 0);
    assert_true(match(f, name));
    strcat(name, ".");
    assert_int_equal(add(f, name), 0);
    name[253] = 'c';
    name[254] = '\0';
    assert_int_equal(add(f, name), PC_E_BAD_HOST);
    assert_int_equal(pc_filter_count(f), 2);
}

static void
test_filter_normalise_and_duplicates(void **state)
{
    pc_filter_t *f = *state;

    assert_int_equal(add(f, "Example.ORG."), 0);
    assert_int_equal(add(f, "example.org"), 0);
    assert_int_equal(add(f, "EXAMPLE.org"), 0);
    assert_int_equal(pc_filter_count(f), 1);
    assert_true(match(f, "example.org"));
    assert_true(match(f, "www.example.org"));
    /* Lookups expect a normalised host; they do no case folding. */
    assert_false(match(f, "EXAMPLE.ORG"));
    assert_int_equal(add(f, "example.org.."), PC_E_BAD_HOST);
    assert_int_equal(pc_filter_count(f), 1);
    /* A parent and its child are two distinct entries. */
    assert_int_equal(add(f, "sub.example.org"), 0);
    assert_int_equal(pc_filter_count(f), 2);
}

typedef struct {
    const char *host;
    bool blocked;
} match_case_t;

static const char *const match_list[] = {
    "example.com", "ads.example.net", "tracker", "a_b.test", "co.uk.example",
};

static const match_case_t match_cases[] = {
    {"example.com", true},
    {"x.example.com", true},
    {"a.b.example.com", true},
    {"www.x.y.z.example.com", true},
    {"-.example.com", true},
    {"badexample.com", false},
    {"xexample.com", false},
    {"ample.com", false},
    {"example.com.evil.net", false},
    {"example.comx", false},
    {"example.co", false},
    {"com", false},
    {"example", false},
    {"", false},
    {"ads.example.net", true},
    {"img.ads.example.net", true},
    {"example.net", false},
    {"net", false},
    {"bads.example.net", false},
    {"ads.example.net.example.org", false},
    {"tracker", true},
    {"foo.tracker", true},
    {"a.b.c.d.tracker", true},
    {"tracker.com", false},
    {"mytracker", false},
    {"a_b.test", true},
    {"x.a_b.test", true},
    {"b.test", false},
    {"a-b.test", false},
    {"co.uk.example", true},
    {"www.co.uk.example", true},
    {"uk.example", false},
    {"co.uk", false},
};

static void
test_filter_match_label_boundaries(void **state)
{
    pc_filter_t *f = *state;
    size_t i;

    for (i = 0; i < ARRAY_LEN(match_list); i++) {
        assert_int_equal(add(f, match_list[i]), 0);
    }
    assert_int_equal(pc_filter_count(f), ARRAY_LEN(match_list));
    for (i = 0; i < ARRAY_LEN(match_cases); i++) {
        print_message("case %zu: '%s'\n", i, match_cases[i].host);
        assert_int_equal(match(f, match_cases[i].host), match_cases[i].blocked);
    }
}

static void
test_filter_match_edges(void **state)
{
    pc_filter_t *f = *state;
    char host[600];
    static const char text[] = "x.example.comzzz";

    assert_false(match(f, "example.com"));
    assert_false(pc_filter_match(NULL, "example.com", 11));
    assert_int_equal(pc_filter_count(NULL), 0);
    assert_int_equal(add(f, "example.com"), 0);
    assert_false(pc_filter_match(f, NULL, 0));
    /* Only len bytes count. */
    assert_true(pc_filter_match(f, text, 13));
    assert_false(pc_filter_match(f, text, 14));
    assert_false(pc_filter_match(f, text, 12));
    /* A host longer than any valid name is still walked safely. */
    memset(host, 'a', sizeof(host));
    memcpy(host + sizeof(host) - 13, ".example.com", 13);
    assert_true(pc_filter_match(f, host, strlen(host)));
    host[sizeof(host) - 13] = 'a';
    assert_false(pc_filter_match(f, host, strlen(host)));
}

#define MILLION 1000000u

static size_t
gen_name(char *buf, size_t cap, unsigned i)
{
    return (size_t)snprintf(buf, cap, "h%u.zone%u.example", i, i % 1000u);
}

static void
test_filter_million(void **state)
{
    pc_filter_t *f = *state;
    char name[64];
    unsigned i;

    for (i = 0; i < MILLION; i++) {
        size_t n = gen_name(name, sizeof(name), i);

        if (pc_filter_add(f, name, n) != 0) {
            fail_msg("add %u failed", i);
        }
    }
    assert_int_equal(pc_filter_count(f), MILLION);
    /* Duplicates are not counted twice. */
    for (i = 0; i < 1000; i++) {
        size_t n = gen_name(name, sizeof(name), i * 997u);

        assert_int_equal(pc_filter_add(f, name, n), 0);
    }
    assert_int_equal(pc_filter_count(f), MILLION);
    assert_true(match(f, "h0.zone0.example"));
    assert_true(match(f, "h999999.zone999.example"));
    assert_true(match(f, "www.h123456.zone456.example"));
    assert_true(match(f, "a.b.c.h500000.zone0.example"));
    assert_false(match(f, "h1000000.zone0.example"));
    assert_false(match(f, "h123456.zone457.example"));
    assert_false(match(f, "zone456.example"));
    assert_false(match(f, "example"));
    assert_false(match(f, "xh123456.zone456.example"));
    assert_false(match(f, "h123456.zone456.example.org"));
    for (i = 0; i < MILLION; i += 9973u) {
        gen_name(name, sizeof(name), i);
        assert_true(match(f, name));
        name[0] = 'g';
        assert_false(match(f, name));
    }
}

static void
test_filter_list_ok(void **state)
{
    static const char text[] = "# ads and trackers\n"
                               "\n"
                               "ads.example.com\n"
                               "   Tracker.Example.NET.  \r\n"
                               "\t\tspaced.test\t\r\n"
                               "  # indented comment with spaces and * @ /\n"
                               "\r\n"
                               "   \t  \n"
                               "ads.example.com\n"
                               "last.test";
    pc_filter_t *f = *state;
    char err[256];

    memset(err, 'x', sizeof(err));
    assert_int_equal(pc_filter_add_list(f, text, strlen(text), "lists/ads.txt", err, sizeof(err)),
                     0);
    assert_string_equal(err, "");
    assert_int_equal(pc_filter_count(f), 4);
    assert_true(match(f, "ads.example.com"));
    assert_true(match(f, "x.tracker.example.net"));
    assert_true(match(f, "spaced.test"));
    assert_true(match(f, "last.test"));
    assert_false(match(f, "example.com"));
    /* An empty text is an empty list. */
    assert_int_equal(pc_filter_add_list(f, "", 0, "empty.txt", err, sizeof(err)), 0);
    assert_int_equal(pc_filter_add_list(f, "\n\n# x\n", 6, "c.txt", NULL, 0), 0);
    assert_int_equal(pc_filter_count(f), 4);
}

typedef struct {
    const char *text;
    size_t len; /* 0 = strlen(text) */
    const char *err;
} list_err_case_t;

static const list_err_case_t list_err_cases[] = {
    {"foo bar\n", 0, "lists/ads.txt:1: invalid domain name 'foo bar'"},
    {"ok.test\n# c\nfoo bar\nok2.test\n", 0, "lists/ads.txt:3: invalid domain name 'foo bar'"},
    {"a.test\r\nb.test\r\n\r\n*.c.test\r\n", 0, "lists/ads.txt:4: invalid domain name '*.c.test'"},
    {"\n\n\n\n\nexample.com..\n", 0, "lists/ads.txt:6: invalid domain name 'example.com..'"},
    {"ok.test\nhttp://x.test/\n", 0, "lists/ads.txt:2: invalid domain name 'http://x.test/'"},
    {"0.0.0.0 ads.test\n", 0, "lists/ads.txt:1: invalid domain name '0.0.0.0 ads.test'"},
    {"ads.test # inline\n", 0, "lists/ads.txt:1: invalid domain name 'ads.test # inline'"},
    {"ok.test\nlast bad", 0, "lists/ads.txt:2: invalid domain name 'last bad'"},
    {"bad\x1b[31mred\n", 0, "lists/ads.txt:1: invalid domain name 'bad?[31mred'"},
    {"a\rb.test\n", 0, "lists/ads.txt:1: invalid domain name 'a?b.test'"},
    {"caf\xc3\xa9.test\n", 0, "lists/ads.txt:1: invalid domain name 'caf??.test'"},
    {"nul\0byte.test\n", 14, "lists/ads.txt:1: invalid domain name 'nul?byte.test'"},
    {"..\n", 0, "lists/ads.txt:1: invalid domain name '..'"},
};

static void
test_filter_list_errors(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(list_err_cases); i++) {
        const list_err_case_t *c = &list_err_cases[i];
        size_t len = c->len != 0 ? c->len : strlen(c->text);
        pc_filter_t *f = NULL;
        char err[256];

        print_message("case %zu: %s\n", i, c->err);
        assert_int_equal(pc_filter_create(&f), 0);
        assert_int_equal(pc_filter_add_list(f, c->text, len, "lists/ads.txt", err, sizeof(err)),
                         PC_E_CONF_VALUE);
        assert_string_equal(err, c->err);
        pc_filter_free(f);
    }
}

/* A huge bad line is quoted only in part; the message stays short. */
static void
test_filter_list_error_bounded(void **state)
{
    pc_filter_t *f = *state;
    char *text = malloc(10001);
    char err[512];
    char expect[256];
    char label[65];

    assert_non_null(text);
    memset(text, 'a', 10000);
    text[5000] = ' ';
    text[10000] = '\n';
    assert_int_equal(pc_filter_add_list(f, text, 10001, "big.txt", err, sizeof(err)),
                     PC_E_CONF_VALUE);
    snprintf(expect, sizeof(expect), "big.txt:1: invalid domain name '%s...'",
             repeat(label, 'a', 64));
    assert_string_equal(err, expect);
    free(text);
    text = NULL;

    /* A small err buffer gets a cut but terminated message. */
    assert_int_equal(pc_filter_add_list(f, "foo bar", 7, "lists/ads.txt", err, 10),
                     PC_E_CONF_VALUE);
    assert_string_equal(err, "lists/ads");
    assert_int_equal(pc_filter_add_list(f, "foo bar", 7, "lists/ads.txt", err, 1), PC_E_CONF_VALUE);
    assert_string_equal(err, "");
    assert_int_equal(pc_filter_add_list(f, "foo bar", 7, "lists/ads.txt", NULL, 0),
                     PC_E_CONF_VALUE);
    /* No origin: a placeholder keeps the format. */
    assert_int_equal(pc_filter_add_list(f, "\nfoo bar", 8, NULL, err, sizeof(err)),
                     PC_E_CONF_VALUE);
    assert_string_equal(err, "(list):2: invalid domain name 'foo bar'");
    /* Control bytes in the origin are neutralised too. */
    assert_int_equal(pc_filter_add_list(f, "foo bar", 7, "a\nb.txt", err, sizeof(err)),
                     PC_E_CONF_VALUE);
    assert_string_equal(err, "a?b.txt:1: invalid domain name 'foo bar'");
}

/* Lines before the bad one are kept: the caller discards the filter. */
static void
test_filter_list_stops_at_error(void **state)
{
    static const char text[] = "one.test\ntwo.test\nbad name\nthree.test\n";
    pc_filter_t *f = *state;
    char err[128];

    assert_int_equal(pc_filter_add_list(f, text, strlen(text), "l.txt", err, sizeof(err)),
                     PC_E_CONF_VALUE);
    assert_string_equal(err, "l.txt:3: invalid domain name 'bad name'");
    assert_int_equal(pc_filter_count(f), 2);
    assert_true(match(f, "two.test"));
    assert_false(match(f, "three.test"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_add_valid),
        cmocka_unit_test_setup_teardown(test_filter_add_invalid, setup_filter, teardown_filter),
        cmocka_unit_test_setup_teardown(test_filter_label_limits, setup_filter, teardown_filter),
        cmocka_unit_test_setup_teardown(test_filter_normalise_and_duplicates, setup_filter,
                                        teardown_filter),
        cmocka_unit_test_setup_teardown(test_filter_match_label_boundaries, setup_filter,
                                        teardown_filter),
        cmocka_unit_test_setup_teardown(test_filter_match_edges, setup_filter, teardown_filter),
        cmocka_unit_test_setup_teardown(test_filter_million, setup_filter, teardown_filter),
        cmocka_unit_test_setup_teardown(test_filter_list_ok, setup_filter, teardown_filter),
        cmocka_unit_test(test_filter_list_errors),
        cmocka_unit_test_setup_teardown(test_filter_list_error_bounded, setup_filter,
                                        teardown_filter),
        cmocka_unit_test_setup_teardown(test_filter_list_stops_at_error, setup_filter,
                                        teardown_filter),
    };

    return cmocka_run_group_tests_name("filter", tests, NULL, NULL);
}
