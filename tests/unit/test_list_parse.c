/*
 * test_list_parse.c: unit tests for list_parse.c, the rule-list grammar.
 *
 * Each row is one list text and the exact rules it must produce, written as
 * "<line> <kind> <name or block>;" per rule, or the exact error (line,
 * message, offending text). Internationalised names expect punycode when the
 * build has libidn2 and the refusal otherwise.
 */
#include "list_parse.h"
#include "rule.h"
#include "portcullis/error.h"
#include "policy_fixtures.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Rules seen so far, as text; fail_at > 0 makes that rule fail. */
typedef struct {
    char out[4096];
    size_t len;
    size_t count;
    size_t fail_at;
} collect_t;

static const char *
kind_name(unsigned kind)
{
    switch (kind) {
    case PC_KIND_SUBTREE:
        return "tree";
    case PC_KIND_SUBS_ONLY:
        return "subs";
    case PC_KIND_EXACT:
        return "exact";
    default:
        return "?";
    }
}

static int
collect(void *ctx, const pc_list_rule_t *r)
{
    collect_t *c = ctx;
    char a[PC_ADDR_STRLEN];
    int n;

    c->count++;
    if (c->fail_at != 0 && c->count == c->fail_at) {
        return PC_E_NOMEM;
    }
    if (r->is_addr) {
        pc_addr_format(&r->net, a, sizeof(a));
        n = snprintf(c->out + c->len, sizeof(c->out) - c->len, "%zu addr %s/%u;", r->line, a,
                     r->prefix);
    } else {
        assert_int_equal(strlen(r->name), r->name_len);
        n = snprintf(c->out + c->len, sizeof(c->out) - c->len, "%zu %s %s;", r->line,
                     kind_name(r->kind), r->name);
    }
    assert_true(n > 0 && (size_t)n < sizeof(c->out) - c->len);
    c->len += (size_t)n;
    return 0;
}

/* Parses text (len 0 = strlen) and returns the collected rules. */
static int
parse(const char *text, size_t len, collect_t *c, pc_list_error_t *err)
{
    memset(c, 0, sizeof(*c));
    return pc_list_parse(text, len != 0 ? len : strlen(text), collect, c, err);
}

#ifdef PC_HAVE_LIBIDN2
#define IDN(ok, refused) ok
#else
#define IDN(ok, refused) refused
#endif

#define MSG_NAME    "invalid domain name"
#define MSG_STAR    "'*' is only allowed as a leading '*.' label"
#define MSG_ADBLOCK "an adblock rule must be '||name^'"
#define MSG_OPTIONS "adblock options ('$') are not supported"
#define MSG_CIDR    "not a valid address or CIDR block"
#define MSG_NUMERIC "not a valid address or name"
#define MSG_ZONE                                              \
    "a zone id is only allowed on the address that starts a " \
    "hosts-file line"
#define MSG_HOSTS                                        \
    "several words, and the first is not an IP address " \
    "(as a hosts-file line would start)"
#define MSG_IDN_MISSING                                       \
    "internationalised name needs libidn2, which this build " \
    "lacks; write it in punycode (xn--...)"
#define MSG_IDN_BAD "invalid internationalised name"

typedef struct {
    const char *text;
    const char *rules;
} ok_case_t;

static const ok_case_t ok_cases[] = {
    /* Domain rules in every spelling. */
    {"example.com", "1 tree example.com;"},
    {".example.com", "1 tree example.com;"},
    {"||example.com^", "1 tree example.com;"},
    {"*.example.com", "1 subs example.com;"},
    {"=example.com", "1 exact example.com;"},
    {"  Example.COM.  ", "1 tree example.com;"},
    {"\t=WWW.Example.com.\t", "1 exact www.example.com;"},
    {"*.A.B", "1 subs a.b;"},
    {"||Ads.Example^", "1 tree ads.example;"},
    {"localhost", "1 tree localhost;"},
    {"_dmarc.x-y.test", "1 tree _dmarc.x-y.test;"},
    {"123.example", "1 tree 123.example;"},
    {"xn--bcher-kva.example", "1 tree xn--bcher-kva.example;"},
    /* Comments, blanks and line ends. */
    {"", ""},
    {"\n", ""},
    {"\r\n", ""},
    {"# comment", ""},
    {"   # indented comment with * @ / and 10.0.0.0/33", ""},
    {" \t \r", ""},
    {"example.com # comment", "1 tree example.com;"},
    {"example.com\t#comment", "1 tree example.com;"},
    {"example.com\r", "1 tree example.com;"},
    {"example.com  # c\r\n", "1 tree example.com;"},
    {"a.test\nb.test\r\n\n# c\r\n*.c.test", "1 tree a.test;2 tree b.test;5 subs c.test;"},
    {"\xef\xbb\xbf"
     "bom.test\r\n",
     "1 tree bom.test;"},
    {"\xef\xbb\xbf", ""},
    /* Address rules. */
    {"10.0.0.0/8", "1 addr 10.0.0.0/8;"},
    {"10.1.2.3/8", "1 addr 10.0.0.0/8;"},
    {"172.16.0.0/12", "1 addr 172.16.0.0/12;"},
    {"192.0.2.7", "1 addr 192.0.2.7/32;"},
    {"192.0.2.7.", "1 addr 192.0.2.7/32;"},
    {"0.0.0.0/0", "1 addr 0.0.0.0/0;"},
    {"0.0.0.0", "1 addr 0.0.0.0/32;"},
    {"2001:db8::/32", "1 addr 2001:db8::/32;"},
    {"2001:DB8::7", "1 addr 2001:db8::7/128;"},
    {"::/0", "1 addr ::/0;"},
    {"::ffff:10.0.0.0/104", "1 addr ::ffff:10.0.0.0/104;"},
    {"192.0.2.0/24 # test net", "1 addr 192.0.2.0/24;"},
    /* Hosts-file lines. */
    {"0.0.0.0 ads.example.com", "1 tree ads.example.com;"},
    {"0.0.0.0\tads.example.com", "1 tree ads.example.com;"},
    {"127.0.0.1  A.example   b.EXAMPLE\tc.example. # c",
     "1 tree a.example;1 tree b.example;1 tree c.example;"},
    {"::1 tracker.example", "1 tree tracker.example;"},
    {"fe80::1%lo0 tracker.example", "1 tree tracker.example;"},
    {"0.0.0.0 192.0.2.1", "1 addr 192.0.2.1/32;"},
    {"0.0.0.0 2001:db8::1 x.example", "1 addr 2001:db8::1/128;1 tree x.example;"},
    {"0.0.0.0 localhost ads.example", "1 tree ads.example;"},
    {"0.0.0.0 LocalHost", ""},
    {"127.0.0.1 localhost", ""},
    {"127.0.0.1 localhost.localdomain local", ""},
    {"::1 localhost ip6-localhost ip6-loopback", ""},
    {"fe80::1%lo0 localhost", ""},
    {"0.0.0.0 0.0.0.0", ""},
    {"255.255.255.255 broadcasthost", ""},
    {"fe00::0 ip6-localnet", ""},
    {"ff00::0 ip6-mcastprefix", ""},
    {"ff02::1 ip6-allnodes", ""},
    {"ff02::2 ip6-allrouters", ""},
    {"ff02::3 ip6-allhosts", ""},
};

static void
test_list_parse_ok(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(ok_cases); i++) {
        pc_list_error_t err;
        collect_t c;
        int rc;

        print_message("case %zu: '%s'\n", i, ok_cases[i].text);
        rc = parse(ok_cases[i].text, 0, &c, &err);
        assert_int_equal(rc, 0);
        assert_string_equal(c.out, ok_cases[i].rules);
    }
}

/* Unicode names: punycode with libidn2, refused with advice without it. */
static const ok_case_t idn_cases[] = {
    {"b\xc3\xbc"
     "cher.example",
     "1 tree xn--bcher-kva.example;"},
    {"B\xc3\x9c"
     "CHER.Example.",
     "1 tree xn--bcher-kva.example;"},
    {"*.b\xc3\xbc"
     "cher.example",
     "1 subs xn--bcher-kva.example;"},
    {"=b\xc3\xbc"
     "cher.example",
     "1 exact xn--bcher-kva.example;"},
    {"0.0.0.0 b\xc3\xbc"
     "cher.example",
     "1 tree xn--bcher-kva.example;"},
    {"caf\xc3\xa9.test", "1 tree xn--caf-dma.test;"},
};

static void
test_list_parse_idn(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(idn_cases); i++) {
        pc_list_error_t err;
        collect_t c;
        int rc;

        print_message("case %zu: '%s'\n", i, idn_cases[i].text);
        rc = parse(idn_cases[i].text, 0, &c, &err);
#ifdef PC_HAVE_LIBIDN2
        assert_int_equal(rc, 0);
        assert_string_equal(c.out, idn_cases[i].rules);
#else
        assert_int_equal(rc, PC_E_CONF_VALUE);
        assert_string_equal(err.what, MSG_IDN_MISSING);
        assert_string_equal(c.out, "");
#endif
    }
}

typedef struct {
    const char *text;
    size_t len; /* 0 = strlen(text) */
    size_t line;
    const char *what;
    const char *bad; /* the offending text (strlen, unless it holds a NUL) */
    const char *rules_before;
} err_case_t;

static const err_case_t err_cases[] = {
    {"foo bar", 0, 1, MSG_HOSTS, "foo bar", ""},
    {"ads.test # inline\nfoo  bar baz # c\n", 0, 2, MSG_HOSTS, "foo  bar baz", "1 tree ads.test;"},
    {"*", 0, 1, MSG_STAR, "*", ""},
    {"*example.com", 0, 1, MSG_STAR, "*example.com", ""},
    {"a.*.example.com", 0, 1, MSG_STAR, "a.*.example.com", ""},
    {"*.*.example.com", 0, 1, MSG_STAR, "*.*.example.com", ""},
    {"example.*", 0, 1, MSG_STAR, "example.*", ""},
    {"=*.example.com", 0, 1, MSG_STAR, "=*.example.com", ""},
    {"||*.example.com^", 0, 1, MSG_STAR, "||*.example.com^", ""},
    {".*.example.com", 0, 1, MSG_STAR, ".*.example.com", ""},
    {"||example.com^$third-party", 0, 1, MSG_OPTIONS, "||example.com^$third-party", ""},
    {"||example.com^$", 0, 1, MSG_OPTIONS, "||example.com^$", ""},
    {"||example.com", 0, 1, MSG_ADBLOCK, "||example.com", ""},
    {"||example.com^|", 0, 1, MSG_ADBLOCK, "||example.com^|", ""},
    {"||a^b^", 0, 1, MSG_ADBLOCK, "||a^b^", ""},
    {"||", 0, 1, MSG_ADBLOCK, "||", ""},
    {"||^", 0, 1, MSG_NAME, "||^", ""},
    {"@@||example.com^", 0, 1, MSG_NAME, "@@||example.com^", ""},
    {"=", 0, 1, MSG_NAME, "=", ""},
    {"*.", 0, 1, MSG_NAME, "*.", ""},
    {".", 0, 1, MSG_NAME, ".", ""},
    {"..", 0, 1, MSG_NAME, "..", ""},
    {"example..com", 0, 1, MSG_NAME, "example..com", ""},
    {"example.com..", 0, 1, MSG_NAME, "example.com..", ""},
    {"=.example.com", 0, 1, MSG_NAME, "=.example.com", ""},
    {"==example.com", 0, 1, MSG_NAME, "==example.com", ""},
    {"ex!ample.com", 0, 1, MSG_NAME, "ex!ample.com", ""},
    {"ex%41mple.com", 0, 1, MSG_NAME, "ex%41mple.com", ""},
    {"user@example.com", 0, 1, MSG_NAME, "user@example.com", ""},
    {"example.com#frag", 0, 1, MSG_NAME, "example.com#frag", ""},
    {"exa\tmple.com", 0, 1, MSG_HOSTS, "exa\tmple.com", ""},
    {"example.com/path", 0, 1, MSG_CIDR, "example.com/path", ""},
    {"[::1]", 0, 1, MSG_CIDR, "[::1]", ""},
    {"[::1]:443", 0, 1, MSG_CIDR, "[::1]:443", ""},
    {"nul\0byte.test\n", 14, 1, MSG_NAME, "nul\0byte.test", ""}, /* bad: 13 bytes */
    {"a\rb.test\n", 0, 1, MSG_NAME, "a\rb.test", ""},
    {"10.0.0.0/33", 0, 1, MSG_CIDR, "10.0.0.0/33", ""},
    {"10.0.0.0/", 0, 1, MSG_CIDR, "10.0.0.0/", ""},
    {"10.0.0.0/08", 0, 1, MSG_CIDR, "10.0.0.0/08", ""},
    {"10.0.0/8", 0, 1, MSG_CIDR, "10.0.0/8", ""},
    {"2001:db8::/129", 0, 1, MSG_CIDR, "2001:db8::/129", ""},
    {"2001:db8:::1", 0, 1, MSG_CIDR, "2001:db8:::1", ""},
    {"example.com:443", 0, 1, MSG_CIDR, "example.com:443", ""},
    {"http://x.test/", 0, 1, MSG_CIDR, "http://x.test/", ""},
    {"fe80::1%lo0", 0, 1, MSG_ZONE, "fe80::1%lo0", ""},
    {"1.2.3", 0, 1, MSG_NUMERIC, "1.2.3", ""},
    {"1.2.3.999", 0, 1, MSG_NUMERIC, "1.2.3.999", ""},
    {"010.0.0.1", 0, 1, MSG_NUMERIC, "010.0.0.1", ""},
    {"0x7f.1", 0, 1, MSG_NUMERIC, "0x7f.1", ""},
    {"2130706433", 0, 1, MSG_NUMERIC, "2130706433", ""},
    {"example.123", 0, 1, MSG_NUMERIC, "example.123", ""},
    {"example.0x1f", 0, 1, MSG_NUMERIC, "example.0x1f", ""},
    {"example.0x", 0, 1, MSG_NUMERIC, "example.0x", ""},
    {"=1.2.3.4", 0, 1, MSG_NUMERIC, "=1.2.3.4", ""},
    {"*.1.2.3", 0, 1, MSG_NUMERIC, "*.1.2.3", ""},
    {".10", 0, 1, MSG_NUMERIC, ".10", ""},
    /* Hosts-file lines: the one bad word is named. */
    {"0.0.0.0 1.2.3", 0, 1, MSG_NUMERIC, "1.2.3", ""},
    {"0.0.0.0 good.example bad!name later.example", 0, 1, MSG_NAME, "bad!name",
     "1 tree good.example;"},
    {"0.0.0.0 *.example.com", 0, 1, MSG_NAME, "*.example.com", ""},
    {"0.0.0.0 ::1%lo", 0, 1, MSG_NUMERIC, "::1%lo", ""},
    {"0.0.0.0 10.0.0.0/8", 0, 1, MSG_NAME, "10.0.0.0/8", ""},
    {"127.0.0.1%lo0 x.example", 0, 1, MSG_HOSTS, "127.0.0.1%lo0 x.example", ""},
    {"fe80::1% x.example", 0, 1, MSG_HOSTS, "fe80::1% x.example", ""},
    {"10.0.0.0/8 x.example", 0, 1, MSG_HOSTS, "10.0.0.0/8 x.example", ""},
    {"0 x.example", 0, 1, MSG_HOSTS, "0 x.example", ""},
    {"=example.com example.org", 0, 1, MSG_HOSTS, "=example.com example.org", ""},
    /* Line numbers, LF and CRLF. */
    {"ok.test\n# c\nfoo bar\nok2.test\n", 0, 3, MSG_HOSTS, "foo bar", "1 tree ok.test;"},
    {"a.test\r\nb.test\r\n\r\n*.*.c.test\r\n", 0, 4, MSG_STAR, "*.*.c.test",
     "1 tree a.test;2 tree b.test;"},
    {"\n\n\n\n\nexample.com..\n", 0, 6, MSG_NAME, "example.com..", ""},
    {"\r\n\r\n# x\r\n  1.2.3  \r\n", 0, 4, MSG_NUMERIC, "1.2.3", ""},
    {"ok.test\nlast bad", 0, 2, MSG_HOSTS, "last bad", "1 tree ok.test;"},
    /* Internationalised names. */
    {"caf\xc3\xa9.test\n", 0, 1, IDN(NULL, MSG_IDN_MISSING), "caf\xc3\xa9.test", ""},
    {"\xff.test", 0, 1, IDN(MSG_IDN_BAD, MSG_IDN_MISSING), "\xff.test", ""},
    {"0.0.0.0 \xc3\x28.test", 0, 1, IDN(MSG_IDN_BAD, MSG_IDN_MISSING), "\xc3\x28.test", ""},
};

static void
test_list_parse_errors(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(err_cases); i++) {
        const err_case_t *e = &err_cases[i];
        size_t len = e->len != 0 ? e->len : strlen(e->text);
        pc_list_error_t err;
        collect_t c;

        if (e->what == NULL) {
            continue; /* accepted in this build (IDN) */
        }
        print_message("case %zu: '%s'\n", i, e->bad);
        assert_int_equal(parse(e->text, len, &c, &err), PC_E_CONF_VALUE);
        assert_int_equal(err.line, e->line);
        assert_string_equal(err.what, e->what);
        assert_int_equal(err.text_len, e->len != 0 ? e->len - 1 : strlen(e->bad));
        assert_memory_equal(err.text, e->bad, err.text_len);
        /* The offending text points into the input, not into a copy. */
        assert_true(err.text >= e->text && err.text + err.text_len <= e->text + len);
        assert_string_equal(c.out, e->rules_before);
    }
}

/* A name longer than any valid one, or a label over 63 bytes, is refused. */
static void
test_list_parse_lengths(void **state)
{
    char text[400];
    pc_list_error_t err;
    collect_t c;
    size_t i;

    (void)state;
    memset(text, 'a', 63);
    strcpy(text + 63, ".test");
    assert_int_equal(parse(text, 0, &c, &err), 0);
    memset(text, 'a', 64);
    strcpy(text + 64, ".test");
    assert_int_equal(parse(text, 0, &c, &err), PC_E_CONF_VALUE);
    assert_string_equal(err.what, MSG_NAME);
    /* 253 bytes in all (one trailing dot does not count), never 254. */
    memset(text, 'a', 253);
    for (i = 63; i < 253; i += 64) {
        text[i] = '.';
    }
    text[253] = '\0';
    assert_int_equal(parse(text, 0, &c, &err), 0);
    assert_int_equal(c.count, 1);
    strcpy(text + 253, ".");
    assert_int_equal(parse(text, 0, &c, &err), 0);
    text[253] = 'b';
    assert_int_equal(parse(text, 0, &c, &err), PC_E_CONF_VALUE);
    assert_string_equal(err.what, MSG_NAME);
}

/* A failing callback stops the parse with its code at the rule's line. */
static void
test_list_parse_callback_failure(void **state)
{
    static const char text[] = "a.test\n\n0.0.0.0 b.test c.test\nd.test\n";
    pc_list_error_t err;
    collect_t c;
    int rc;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.fail_at = 3;
    rc = pc_list_parse(text, strlen(text), collect, &c, &err);
    assert_int_equal(rc, PC_E_NOMEM);
    assert_int_equal(err.line, 3);
    assert_null(err.what);
    assert_int_equal(err.text_len, 6);
    assert_memory_equal(err.text, "c.test", 6);
    assert_string_equal(c.out, "1 tree a.test;3 tree b.test;");
    /* A NULL err is fine, and NULL text is an empty list. */
    memset(&c, 0, sizeof(c));
    c.fail_at = 1;
    assert_int_equal(pc_list_parse(text, strlen(text), collect, &c, NULL), PC_E_NOMEM);
    assert_int_equal(pc_list_parse(NULL, 0, collect, &c, &err), 0);
    assert_int_equal(err.line, 0);
}

/* One line at a time, with the caller's line number. */
static void
test_list_parse_line(void **state)
{
    pc_list_error_t err;
    collect_t c;

    (void)state;
    memset(&c, 0, sizeof(c));
    assert_int_equal(pc_list_parse_line("*.x.test\r", 9, 42, collect, &c, &err), 0);
    assert_int_equal(pc_list_parse_line(NULL, 0, 43, collect, &c, &err), 0);
    assert_int_equal(pc_list_parse_line("", 0, 44, collect, &c, &err), 0);
    assert_string_equal(c.out, "42 subs x.test;");
    assert_int_equal(pc_list_parse_line("x y", 3, 7, collect, &c, &err), PC_E_CONF_VALUE);
    assert_int_equal(err.line, 7);
}

/* A StevenBlack-style hosts file: only the real entries become rules. */
static void
test_list_parse_hosts_file(void **state)
{
    pc_list_error_t err;
    collect_t c;

    (void)state;
    assert_int_equal(parse(STEVENBLACK_HOSTS, 0, &c, &err), 0);
    assert_string_equal(c.out, "24 tree ads.example.com;25 tree tracker.example.net;"
                               "26 tree a.example;26 tree b.example;");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_parse_ok),
        cmocka_unit_test(test_list_parse_idn),
        cmocka_unit_test(test_list_parse_errors),
        cmocka_unit_test(test_list_parse_lengths),
        cmocka_unit_test(test_list_parse_callback_failure),
        cmocka_unit_test(test_list_parse_line),
        cmocka_unit_test(test_list_parse_hosts_file),
    };

    return cmocka_run_group_tests_name("list_parse", tests, NULL, NULL);
}
