/*
 * test_addr_acl.c: unit tests for addr.c (address and CIDR text) and acl.c
 * (client rules and the CONNECT port set).
 *
 * Every table row states its exact expected result, so each row can fail on
 * its own; the failing row's text is printed before the assertion.
 */
#include "acl.h"
#include "addr.h"
#include "portcullis/error.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Parses text that the test knows is valid; fails the test otherwise. */
static pc_addr_t
addr_of(const char *text)
{
    pc_addr_t a;

    assert_int_equal(pc_addr_parse(text, strlen(text), &a), 0);
    return a;
}

typedef struct {
    const char *in;
    int family;
    const char *formatted; /* pc_addr_format of the result */
} addr_ok_case_t;

static const addr_ok_case_t addr_ok_cases[] = {
    {"0.0.0.0", 4, "0.0.0.0"},
    {"127.0.0.1", 4, "127.0.0.1"},
    {"255.255.255.255", 4, "255.255.255.255"},
    {"10.20.30.40", 4, "10.20.30.40"},
    {"192.168.0.100", 4, "192.168.0.100"},
    {"::", 6, "::"},
    {"::1", 6, "::1"},
    {"1::", 6, "1::"},
    {"fe80::1", 6, "fe80::1"},
    {"FE80::ABCD", 6, "fe80::abcd"},
    {"2001:db8::", 6, "2001:db8::"},
    {"2001:0db8:0000:0000:0000:0000:0000:0001", 6, "2001:db8::1"},
    {"1:2:3:4:5:6:7:8", 6, "1:2:3:4:5:6:7:8"},
    {"1:2:3:4:5:6:7::", 6, "1:2:3:4:5:6:7:0"},
    {"::2:3:4:5:6:7:8", 6, "0:2:3:4:5:6:7:8"},
    {"1::8", 6, "1::8"},
    {"1:0:0:0:0:0:0:8", 6, "1::8"},
    {"0:0:0:0:0:0:0:0", 6, "::"},
    {"0:0:0:0:0:0:0:1", 6, "::1"},
    {"::ffff:1.2.3.4", 6, "::ffff:1.2.3.4"},
    {"::FFFF:127.0.0.1", 6, "::ffff:127.0.0.1"},
    {"0:0:0:0:0:ffff:102:304", 6, "::ffff:1.2.3.4"},
    {"::1.2.3.4", 6, "::102:304"},
    {"1:2:3:4:5:6:1.2.3.4", 6, "1:2:3:4:5:6:102:304"},
    {"64:ff9b::192.0.2.33", 6, "64:ff9b::c000:221"},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
    /* RFC 5952: longest run wins, first on a tie, a single 0 stays. */
    {"2001:db8:0:0:1:0:0:1", 6, "2001:db8::1:0:0:1"},
    {"2001:0:0:1:0:0:0:1", 6, "2001:0:0:1::1"},
    {"2001:db8:0:1:1:1:1:1", 6, "2001:db8:0:1:1:1:1:1"},
    {"1:0:1:0:1:0:1:0", 6, "1:0:1:0:1:0:1:0"},
    {"0:0:1:0:0:1:0:0", 6, "::1:0:0:1:0:0"},
    {"1:0:0:1:0:0:0:0", 6, "1:0:0:1::"},
    {"0:1:0:0:0:0:0:0", 6, "0:1::"},
    {"00a0:0b00:c000:000d::", 6, "a0:b00:c000:d::"},
};

static void
test_addr_parse_valid(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(addr_ok_cases); i++) {
        const addr_ok_case_t *c = &addr_ok_cases[i];
        char buf[PC_ADDR_STRLEN];
        pc_addr_t a;

        print_message("case %zu: %s\n", i, c->in);
        assert_int_equal(pc_addr_parse(c->in, strlen(c->in), &a), 0);
        assert_int_equal(a.family, c->family);
        assert_int_equal(pc_addr_format(&a, buf, sizeof(buf)), strlen(c->formatted));
        assert_string_equal(buf, c->formatted);
    }
}

static const char *const addr_bad_cases[] = {
    "",
    "1",
    "1.2.3",
    "1.2.3.4.5",
    "1.2.3.",
    ".1.2.3",
    "1..2.3",
    "256.0.0.1",
    "1.2.3.256",
    "01.2.3.4",
    "1.2.3.04",
    "00.0.0.0",
    "1.2.3.4 ",
    " 1.2.3.4",
    "1.2.3.-4",
    "+1.2.3.4",
    "0x7f.0.0.1",
    "1.2.3.4/8",
    "1234.1.1.1",
    "2130706433",
    "a.b.c.d",
    ":",
    ":::",
    ":1",
    "1:",
    "1::2::3",
    "::1::",
    "1:::2",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:8::",
    "::1:2:3:4:5:6:7:8",
    "1:2:3:4::5:6:7:8",
    "12345::",
    "::12345",
    "g::1",
    "::1%eth0",
    "[::1]",
    "::ffff:1.2.3",
    "::ffff:1.2.3.4.5",
    "::ffff:256.1.1.1",
    "::ffff:01.2.3.4",
    "::1.2.3.4:5",
    "1:2:3:4:5:6:7:1.2.3.4",
    "1.2.3.4::",
    "::ffff:1a.2.3.4",
    "fe80::1 ",
};

static void
test_addr_parse_invalid(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(addr_bad_cases); i++) {
        const char *in = addr_bad_cases[i];
        pc_addr_t a;

        print_message("case %zu: '%s'\n", i, in);
        assert_int_equal(pc_addr_parse(in, strlen(in), &a), PC_E_BAD_HOST);
    }
}

/* The parser reads only len bytes: text after them must not matter. */
static void
test_addr_parse_length_bounded(void **state)
{
    static const char text[] = "10.0.0.1xyz";
    static const char text6[] = "::1]:443";
    pc_addr_t a;
    char buf[PC_ADDR_STRLEN];

    assert_int_equal(pc_addr_parse(text, 8, &a), 0);
    assert_int_equal(pc_addr_format(&a, buf, sizeof(buf)), 8);
    assert_string_equal(buf, "10.0.0.1");
    assert_int_equal(pc_addr_parse(text6, 3, &a), 0);
    assert_int_equal(a.family, 6);
    assert_int_equal(a.bytes[15], 1);
    assert_int_equal(pc_addr_parse(text, 9, &a), PC_E_BAD_HOST);
    assert_int_equal(pc_addr_parse(text, 0, &a), PC_E_BAD_HOST);
    assert_int_equal(pc_addr_parse(NULL, 0, &a), PC_E_BAD_HOST);
}

static void
test_addr_parse_bytes(void **state)
{
    static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0,    0,
                                   0,    0,    0,    0,    0, 0, 0xab, 0xcd};
    static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4};
    pc_addr_t a = addr_of("192.168.1.2");

    assert_int_equal(a.bytes[0], 192);
    assert_int_equal(a.bytes[1], 168);
    assert_int_equal(a.bytes[2], 1);
    assert_int_equal(a.bytes[3], 2);
    a = addr_of("2001:db8::abcd");
    assert_memory_equal(a.bytes, v6, 16);
    a = addr_of("::ffff:1.2.3.4");
    assert_memory_equal(a.bytes, mapped, 16);
}

static void
test_addr_format_small_buffer(void **state)
{
    pc_addr_t a = addr_of("192.168.100.200");
    char buf[PC_ADDR_STRLEN];

    memset(buf, 'x', sizeof(buf));
    assert_int_equal(pc_addr_format(&a, buf, 15), 0);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(pc_addr_format(&a, buf, 16), 15);
    assert_string_equal(buf, "192.168.100.200");
    assert_int_equal(pc_addr_format(&a, buf, 0), 0);
    a = addr_of("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    assert_int_equal(pc_addr_format(&a, buf, 39), 0);
    assert_int_equal(pc_addr_format(&a, buf, 40), 39);
}

typedef struct {
    const char *in;
    int rc;
    const char *net; /* formatted network address when rc == 0 */
    unsigned prefix;
} cidr_case_t;

static const cidr_case_t cidr_cases[] = {
    {"10.0.0.0/8", 0, "10.0.0.0", 8},
    {"10.1.2.3/8", 0, "10.0.0.0", 8},
    {"192.168.1.255/24", 0, "192.168.1.0", 24},
    {"172.16.255.1/12", 0, "172.16.0.0", 12},
    {"1.2.3.4/31", 0, "1.2.3.4", 31},
    {"1.2.3.5/31", 0, "1.2.3.4", 31},
    {"1.2.3.4", 0, "1.2.3.4", 32},
    {"1.2.3.4/32", 0, "1.2.3.4", 32},
    {"255.255.255.255/0", 0, "0.0.0.0", 0},
    {"::1", 0, "::1", 128},
    {"::/0", 0, "::", 0},
    {"2001:db8:ffff::1/32", 0, "2001:db8::", 32},
    {"fe80::1234/10", 0, "fe80::", 10},
    {"febf:ffff::/10", 0, "fe80::", 10},
    {"2001:db8::ff/127", 0, "2001:db8::fe", 127},
    {"::ffff:10.9.8.7/104", 0, "::ffff:10.0.0.0", 104},
    {"1.2.3.4/33", PC_E_CONF_VALUE, NULL, 0},
    {"::/129", PC_E_CONF_VALUE, NULL, 0},
    {"1.2.3.4/", PC_E_CONF_VALUE, NULL, 0},
    {"1.2.3.4/-1", PC_E_CONF_VALUE, NULL, 0},
    {"1.2.3.4/+8", PC_E_CONF_VALUE, NULL, 0},
    {"1.2.3.4/08", PC_E_CONF_VALUE, NULL, 0},
    {"1.2.3.4/8 ", PC_E_CONF_VALUE, NULL, 0},
    {"1.2.3.4/ 8", PC_E_CONF_VALUE, NULL, 0},
    {"1.2.3.4/1000", PC_E_CONF_VALUE, NULL, 0},
    {"1.2.3.4/8/8", PC_E_CONF_VALUE, NULL, 0},
    {"1.2.3/8", PC_E_CONF_VALUE, NULL, 0},
    {"/8", PC_E_CONF_VALUE, NULL, 0},
    {"", PC_E_CONF_VALUE, NULL, 0},
    {"example.com/8", PC_E_CONF_VALUE, NULL, 0},
    {"fe80::1%eth0/64", PC_E_CONF_VALUE, NULL, 0},
};

static void
test_addr_cidr_parse(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(cidr_cases); i++) {
        const cidr_case_t *c = &cidr_cases[i];
        char buf[PC_ADDR_STRLEN];
        pc_addr_t net;
        unsigned prefix = 999;

        print_message("case %zu: '%s'\n", i, c->in);
        assert_int_equal(pc_cidr_parse(c->in, strlen(c->in), &net, &prefix), c->rc);
        if (c->rc != 0) {
            continue;
        }
        assert_int_equal(prefix, c->prefix);
        pc_addr_format(&net, buf, sizeof(buf));
        assert_string_equal(buf, c->net);
    }
}

typedef struct {
    const char *addr;
    const char *cidr;
    bool inside;
} in_cidr_case_t;

static const in_cidr_case_t in_cidr_cases[] = {
    {"10.0.0.1", "10.0.0.0/8", true},
    {"10.255.255.255", "10.0.0.0/8", true},
    {"11.0.0.0", "10.0.0.0/8", false},
    {"9.255.255.255", "10.0.0.0/8", false},
    {"192.168.1.7", "192.168.1.6/31", true},
    {"192.168.1.8", "192.168.1.6/31", false},
    {"1.2.3.4", "1.2.3.4", true},
    {"1.2.3.5", "1.2.3.4", false},
    {"8.8.8.8", "0.0.0.0/0", true},
    {"172.31.255.255", "172.16.0.0/12", true},
    {"172.32.0.0", "172.16.0.0/12", false},
    {"2001:db8::1", "2001:db8::/32", true},
    {"2001:db8:ffff:ffff::1", "2001:db8::/32", true},
    {"2001:db9::1", "2001:db8::/32", false},
    {"fe80::1", "fe80::/10", true},
    {"febf::1", "fe80::/10", true},
    {"fec0::1", "fe80::/10", false},
    {"::1", "::1/128", true},
    {"::2", "::1/128", false},
    {"2001:db8::1", "::/0", true},
    {"2001:db8::ff", "2001:db8::fe/127", true},
    {"2001:db8::fd", "2001:db8::fe/127", false},
    /* Families never mix, not even with /0. */
    {"10.0.0.1", "::/0", false},
    {"::1", "0.0.0.0/0", false},
    {"::ffff:10.0.0.1", "10.0.0.0/8", false},
};

static void
test_addr_in_cidr(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(in_cidr_cases); i++) {
        const in_cidr_case_t *c = &in_cidr_cases[i];
        pc_addr_t a = addr_of(c->addr);
        pc_addr_t net;
        unsigned prefix;

        print_message("case %zu: %s in %s\n", i, c->addr, c->cidr);
        assert_int_equal(pc_cidr_parse(c->cidr, strlen(c->cidr), &net, &prefix), 0);
        assert_int_equal(pc_addr_in_cidr(&a, &net, prefix), c->inside);
    }
}

static void
test_addr_unmap(void **state)
{
    pc_addr_t a = addr_of("::ffff:192.0.2.1");
    pc_addr_t b;
    char buf[PC_ADDR_STRLEN];

    pc_addr_unmap(&a);
    assert_int_equal(a.family, 4);
    pc_addr_format(&a, buf, sizeof(buf));
    assert_string_equal(buf, "192.0.2.1");
    b = addr_of("192.0.2.1");
    assert_memory_equal(a.bytes, b.bytes, 16);

    /* Not mapped: left alone. */
    a = addr_of("::192.0.2.1");
    pc_addr_unmap(&a);
    assert_int_equal(a.family, 6);
    a = addr_of("::fffe:192.0.2.1");
    pc_addr_unmap(&a);
    assert_int_equal(a.family, 6);
    a = addr_of("1::ffff:192.0.2.1");
    pc_addr_unmap(&a);
    assert_int_equal(a.family, 6);
    a = addr_of("10.0.0.1");
    pc_addr_unmap(&a);
    assert_int_equal(a.family, 4);
    assert_int_equal(a.bytes[0], 10);
}

typedef struct {
    const char *addr;
    bool loopback;
} loopback_case_t;

static const loopback_case_t loopback_cases[] = {
    {"127.0.0.1", true},
    {"127.255.255.254", true},
    {"127.1.2.3", true},
    {"128.0.0.1", false},
    {"126.255.255.255", false},
    {"0.0.0.0", false},
    {"::1", true},
    {"::", false},
    {"::2", false},
    {"1::1", false},
    {"::ffff:127.0.0.1", true},
    {"::ffff:127.9.9.9", true},
    {"::ffff:10.0.0.1", false},
    {"::127.0.0.1", false},
    {"fe80::1", false},
};

static void
test_addr_is_loopback(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(loopback_cases); i++) {
        pc_addr_t a = addr_of(loopback_cases[i].addr);

        print_message("case %zu: %s\n", i, loopback_cases[i].addr);
        assert_int_equal(pc_addr_is_loopback(&a), loopback_cases[i].loopback);
    }
}

/* ---- acl -------------------------------------------------------------- */

typedef struct {
    bool allow;
    const char *cidr;
} rule_t;

typedef struct {
    const char *client;
    bool allowed;
} probe_t;

/* Builds an ACL from rules, checks every probe, frees it. */
static void
check_acl(const rule_t *rules, size_t nrules, const probe_t *probes, size_t nprobes)
{
    pc_acl_t *acl = NULL;
    size_t i;

    assert_int_equal(pc_acl_create(&acl), 0);
    assert_non_null(acl);
    for (i = 0; i < nrules; i++) {
        assert_int_equal(pc_acl_add(acl, rules[i].allow, rules[i].cidr, strlen(rules[i].cidr)), 0);
    }
    assert_int_equal(pc_acl_count(acl), nrules);
    for (i = 0; i < nprobes; i++) {
        pc_addr_t a = addr_of(probes[i].client);

        print_message("probe %zu: %s\n", i, probes[i].client);
        assert_int_equal(pc_acl_allows(acl, &a), probes[i].allowed);
    }
    pc_acl_free(acl);
}

static void
test_acl_default_loopback_only(void **state)
{
    static const probe_t probes[] = {
        {"127.0.0.1", true},        {"127.8.9.10", true},   {"::1", true},
        {"::ffff:127.0.0.1", true}, {"10.0.0.1", false},    {"192.168.1.1", false},
        {"0.0.0.0", false},         {"::", false},          {"::2", false},
        {"::ffff:10.0.0.1", false}, {"2001:db8::1", false}, {"fe80::1", false},
        {"255.255.255.255", false}, {"128.0.0.1", false},   {"::127.0.0.1", false},
    };
    pc_addr_t lo = addr_of("127.0.0.1");
    pc_addr_t other = addr_of("10.0.0.1");

    check_acl(NULL, 0, probes, ARRAY_LEN(probes));
    /* A missing ACL behaves like an empty one. */
    assert_true(pc_acl_allows(NULL, &lo));
    assert_false(pc_acl_allows(NULL, &other));
    assert_int_equal(pc_acl_count(NULL), 0);
}

static void
test_acl_first_match_wins(void **state)
{
    static const rule_t rules[] = {
        {false, "10.1.0.0/16"},   {true, "10.0.0.0/8"},
        {false, "10.2.3.4"},   /* shadowed by the /8 above */
        {true, "10.1.2.3/32"}, /* shadowed by the first deny */
        {true, "192.168.0.0/24"},
    };
    static const probe_t probes[] = {
        {"10.1.2.3", false},
        {"10.1.255.255", false},
        {"10.2.3.4", true},
        {"10.255.0.1", true},
        {"10.0.0.0", true},
        {"192.168.0.77", true},
        {"192.168.1.77", false},
        {"11.0.0.1", false},
        /* With rules present, loopback is not special any more. */
        {"127.0.0.1", false},
        {"::1", false},
    };

    check_acl(rules, ARRAY_LEN(rules), probes, ARRAY_LEN(probes));
}

static void
test_acl_order_matters(void **state)
{
    static const rule_t allow_first[] = {{true, "0.0.0.0/0"}, {false, "10.0.0.0/8"}};
    static const rule_t deny_first[] = {{false, "10.0.0.0/8"}, {true, "0.0.0.0/0"}};
    static const probe_t probes_allow[] = {{"10.0.0.1", true}, {"8.8.8.8", true}};
    static const probe_t probes_deny[] = {{"10.0.0.1", false}, {"8.8.8.8", true}};

    check_acl(allow_first, 2, probes_allow, ARRAY_LEN(probes_allow));
    check_acl(deny_first, 2, probes_deny, ARRAY_LEN(probes_deny));
}

static void
test_acl_ipv6_rules(void **state)
{
    static const rule_t rules[] = {
        {false, "2001:db8:bad::/48"},
        {true, "2001:db8::/32"},
        {true, "::1"},
        {true, "fe80::/10"},
    };
    static const probe_t probes[] = {
        {"2001:db8::1", true},
        {"2001:db8:bad::1", false},
        {"2001:db8:bad:1::1", false},
        {"2001:db8:bae::1", true},
        {"2001:db9::1", false},
        {"::1", true},
        {"::2", false},
        {"fe80::abcd", true},
        {"fec0::1", false},
        {"10.0.0.1", false},
        {"127.0.0.1", false},
    };

    check_acl(rules, ARRAY_LEN(rules), probes, ARRAY_LEN(probes));
}

static void
test_acl_mapped_clients(void **state)
{
    static const rule_t rules[] = {
        {false, "192.168.1.66"},
        {true, "192.168.1.0/24"},
        /* A rule written in mapped form applies to mapped and plain IPv4. */
        {true, "::ffff:172.16.0.0/112"},
        /* An IPv6 catch-all does not catch IPv4 clients, mapped or not. */
        {true, "::/0"},
    };
    static const probe_t probes[] = {
        {"::ffff:192.168.1.5", true}, {"192.168.1.5", true},         {"::ffff:192.168.1.66", false},
        {"192.168.1.66", false},      {"::ffff:192.168.2.5", false}, {"172.16.1.1", true},
        {"::ffff:172.16.1.1", true},  {"172.17.0.1", false},         {"::ffff:172.17.0.1", false},
        {"2001:db8::1", true},        {"::192.168.1.5", true},       {"10.0.0.1", false},
    };

    check_acl(rules, ARRAY_LEN(rules), probes, ARRAY_LEN(probes));
}

static void
test_acl_invalid_rules(void **state)
{
    static const char *const bad[] = {
        "",  "10.0.0.0/33", "10.0.0/8",   "10.0.0.0/", "localhost", "::/129", "10.0.0.0/8 ",
        "*", "any",         "1.2.3.4/-1", "01.2.3.4",  "fe80::1%1",
    };
    pc_acl_t *acl = NULL;
    size_t i;

    assert_int_equal(pc_acl_create(&acl), 0);
    for (i = 0; i < ARRAY_LEN(bad); i++) {
        print_message("case %zu: '%s'\n", i, bad[i]);
        assert_int_equal(pc_acl_add(acl, true, bad[i], strlen(bad[i])), PC_E_CONF_VALUE);
    }
    assert_int_equal(pc_acl_count(acl), 0);
    pc_acl_free(acl);
}

/* Many rules exercise the array growth; the last one still decides. */
static void
test_acl_many_rules(void **state)
{
    pc_acl_t *acl = NULL;
    pc_addr_t a;
    char cidr[32];
    int i, n;

    assert_int_equal(pc_acl_create(&acl), 0);
    for (i = 0; i < 1000; i++) {
        n = snprintf(cidr, sizeof(cidr), "10.%d.%d.0/24", i / 256, i % 256);
        assert_int_equal(pc_acl_add(acl, false, cidr, (size_t)n), 0);
    }
    assert_int_equal(pc_acl_add(acl, true, "10.0.0.0/8", 10), 0);
    assert_int_equal(pc_acl_count(acl), 1001);
    a = addr_of("10.3.231.9");
    assert_false(pc_acl_allows(acl, &a));
    a = addr_of("10.3.232.9");
    assert_true(pc_acl_allows(acl, &a));
    pc_acl_free(acl);
}

/* ---- portset ---------------------------------------------------------- */

typedef struct {
    const char *in;
    int rc;
    unsigned lo, hi; /* the range that must now be set when rc == 0 */
} port_case_t;

static const port_case_t port_cases[] = {
    {"443", 0, 443, 443},
    {"1", 0, 1, 1},
    {"65535", 0, 65535, 65535},
    {"8000-8100", 0, 8000, 8100},
    {"1-1", 0, 1, 1},
    {"65534-65535", 0, 65534, 65535},
    {"1-65535", 0, 1, 65535},
    {"", PC_E_CONF_VALUE, 0, 0},
    {"0", PC_E_CONF_VALUE, 0, 0},
    {"0-10", PC_E_CONF_VALUE, 0, 0},
    {"65536", PC_E_CONF_VALUE, 0, 0},
    {"99999", PC_E_CONF_VALUE, 0, 0},
    {"100000", PC_E_CONF_VALUE, 0, 0},
    {"99999999999", PC_E_CONF_VALUE, 0, 0},
    {"1-65536", PC_E_CONF_VALUE, 0, 0},
    {"8100-8000", PC_E_CONF_VALUE, 0, 0},
    {"-1", PC_E_CONF_VALUE, 0, 0},
    {"+80", PC_E_CONF_VALUE, 0, 0},
    {"80-", PC_E_CONF_VALUE, 0, 0},
    {"-", PC_E_CONF_VALUE, 0, 0},
    {"80--90", PC_E_CONF_VALUE, 0, 0},
    {"80-90-100", PC_E_CONF_VALUE, 0, 0},
    {"80 - 90", PC_E_CONF_VALUE, 0, 0},
    {"80 ", PC_E_CONF_VALUE, 0, 0},
    {" 80", PC_E_CONF_VALUE, 0, 0},
    {"8 0", PC_E_CONF_VALUE, 0, 0},
    {"0443", PC_E_CONF_VALUE, 0, 0},
    {"0x50", PC_E_CONF_VALUE, 0, 0},
    {"http", PC_E_CONF_VALUE, 0, 0},
    {"80,443", PC_E_CONF_VALUE, 0, 0},
};

static void
test_acl_portset_add(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(port_cases); i++) {
        const port_case_t *c = &port_cases[i];
        pc_portset_t set;
        unsigned p, set_bits = 0;

        print_message("case %zu: '%s'\n", i, c->in);
        memset(&set, 0, sizeof(set));
        assert_int_equal(pc_portset_add(&set, c->in, strlen(c->in)), c->rc);
        for (p = 0; p <= 65535; p++) {
            set_bits += pc_portset_has(&set, (uint16_t)p) ? 1u : 0u;
        }
        if (c->rc != 0) {
            assert_int_equal(set_bits, 0); /* a refused value changes nothing */
            continue;
        }
        assert_int_equal(set_bits, c->hi - c->lo + 1);
        assert_true(pc_portset_has(&set, (uint16_t)c->lo));
        assert_true(pc_portset_has(&set, (uint16_t)c->hi));
        assert_false(pc_portset_has(&set, 0));
        if (c->lo > 1) {
            assert_false(pc_portset_has(&set, (uint16_t)(c->lo - 1)));
        }
        if (c->hi < 65535) {
            assert_false(pc_portset_has(&set, (uint16_t)(c->hi + 1)));
        }
    }
}

static void
test_acl_portset_accumulates(void **state)
{
    pc_portset_t set;

    memset(&set, 0, sizeof(set));
    assert_false(pc_portset_has(&set, 443));
    assert_int_equal(pc_portset_add(&set, "443", 3), 0);
    assert_int_equal(pc_portset_add(&set, "8000-8002", 9), 0);
    assert_int_equal(pc_portset_add(&set, "443", 3), 0);
    assert_true(pc_portset_has(&set, 443));
    assert_true(pc_portset_has(&set, 8000));
    assert_true(pc_portset_has(&set, 8001));
    assert_true(pc_portset_has(&set, 8002));
    assert_false(pc_portset_has(&set, 8003));
    assert_false(pc_portset_has(&set, 7999));
    assert_false(pc_portset_has(&set, 80));
    assert_false(pc_portset_has(&set, 442));
    assert_false(pc_portset_has(&set, 444));
    /* Only len bytes are read. */
    assert_int_equal(pc_portset_add(&set, "22xyz", 2), 0);
    assert_true(pc_portset_has(&set, 22));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_parse_valid),
        cmocka_unit_test(test_addr_parse_invalid),
        cmocka_unit_test(test_addr_parse_length_bounded),
        cmocka_unit_test(test_addr_parse_bytes),
        cmocka_unit_test(test_addr_format_small_buffer),
        cmocka_unit_test(test_addr_cidr_parse),
        cmocka_unit_test(test_addr_in_cidr),
        cmocka_unit_test(test_addr_unmap),
        cmocka_unit_test(test_addr_is_loopback),
        cmocka_unit_test(test_acl_default_loopback_only),
        cmocka_unit_test(test_acl_first_match_wins),
        cmocka_unit_test(test_acl_order_matters),
        cmocka_unit_test(test_acl_ipv6_rules),
        cmocka_unit_test(test_acl_mapped_clients),
        cmocka_unit_test(test_acl_invalid_rules),
        cmocka_unit_test(test_acl_many_rules),
        cmocka_unit_test(test_acl_portset_add),
        cmocka_unit_test(test_acl_portset_accumulates),
    };

    return cmocka_run_group_tests_name("addr_acl", tests, NULL, NULL);
}
