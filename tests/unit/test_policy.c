/*
 * test_policy.c: unit tests for policy.c and the tables behind it
 * (domain_set.c, addr_set.c), through the public calls of policy.h.
 *
 * Covers host normalisation as the policy sees it, label-boundary matching
 * of the three kinds of domain rule, address and CIDR rules, allow over
 * block, the rule each verdict names, default deny, the destination guard,
 * list loading with exact error text, Unicode names and a list of a million
 * names (counts and matches only; speed is bench/'s job).
 */
#include "policy.h"
#include "domain_set.h"
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

#define BLOCK_LIST "lists/block.txt"
#define ALLOW_LIST "lists/allow.txt"

/* Shorter names for the verdict kinds in tables. */
#define PASS  PC_VERDICT_PASS
#define ALLOW PC_VERDICT_ALLOW
#define BLOCK PC_VERDICT_BLOCK
#define DENY  PC_VERDICT_DEFAULT_DENY
#define GUARD PC_VERDICT_GUARD

static pc_policy_t *
new_policy(void)
{
    pc_policy_t *p = NULL;

    assert_int_equal(pc_policy_create(&p), 0);
    assert_non_null(p);
    return p;
}

/* Adds a list the test knows is valid; fails the test otherwise. */
static void
add_ok(pc_policy_t *p, pc_list_kind_t kind, const char *text)
{
    char err[256];
    int rc = pc_policy_add_list(p, kind, text, strlen(text),
                                kind == PC_LIST_ALLOW ? ALLOW_LIST : BLOCK_LIST, err, sizeof(err));

    if (rc != 0) {
        fail_msg("list refused: %s", err);
    }
}

/* A policy with the given block and allow lists (either may be NULL). */
static pc_policy_t *
policy_of(const char *block, const char *allow)
{
    pc_policy_t *p = new_policy();

    if (block != NULL) {
        add_ok(p, PC_LIST_BLOCK, block);
    }
    if (allow != NULL) {
        add_ok(p, PC_LIST_ALLOW, allow);
    }
    return p;
}

/* Stage 1 for an authority ("host:port"), parsed as the proxy parses it. */
static pc_verdict_t
check(const pc_policy_t *p, const char *authority)
{
    pc_target_t t;

    if (pc_target_parse_authority(authority, strlen(authority), 0, &t) != 0) {
        fail_msg("bad authority in test: %s", authority);
    }
    return pc_policy_check_host(p, &t);
}

/* Stage 2 for an address given as text, after a stage-1 verdict. */
static pc_verdict_t
check_addr(const pc_policy_t *p, pc_verdict_kind_t stage1, const char *addr)
{
    pc_verdict_t hv;
    pc_addr_t a;

    memset(&hv, 0, sizeof(hv));
    hv.kind = stage1;
    if (pc_addr_parse(addr, strlen(addr), &a) != 0) {
        fail_msg("bad address in test: %s", addr);
    }
    return pc_policy_check_addr(p, &hv, &a);
}

/* Asserts kind and, for ALLOW and BLOCK, the list and line. */
static void
assert_verdict(const pc_verdict_t *v, pc_verdict_kind_t kind, const char *list, uint32_t line)
{
    assert_int_equal(v->kind, kind);
    if (kind == ALLOW || kind == BLOCK) {
        if (list == NULL) {
            assert_null(v->rule.list);
        } else {
            assert_non_null(v->rule.list);
            assert_string_equal(v->rule.list, list);
        }
        assert_int_equal(v->rule.line, line);
    }
}

/* Line 0: asserts that v lets the target pass; else that list:line blocks it. */
static void
assert_block_or_pass(const pc_verdict_t *v, const char *list, uint32_t line)
{
    if (line == 0) {
        assert_int_equal(v->kind, PASS);
    } else {
        assert_verdict(v, BLOCK, list, line);
    }
}

/* A verdict the policy must give a target: an authority, or an address (stage 2). */
typedef struct {
    const char *target;
    pc_verdict_kind_t kind;
    const char *list;
    uint32_t line;
} verdict_case_t;

/* Stage 1 for each case's authority. */
static void
run_verdict_cases(const pc_policy_t *p, const verdict_case_t *cases, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        pc_verdict_t v = check(p, cases[i].target);

        print_message("case %zu: '%s'\n", i, cases[i].target);
        assert_verdict(&v, cases[i].kind, cases[i].list, cases[i].line);
    }
}

/* Stage 2 for each case's address, after the stage-1 verdict `stage1`. */
static void
run_addr_cases(const pc_policy_t *p, pc_verdict_kind_t stage1, const verdict_case_t *cases,
               size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        pc_verdict_t v = check_addr(p, stage1, cases[i].target);

        print_message("case %zu: '%s'\n", i, cases[i].target);
        assert_verdict(&v, cases[i].kind, cases[i].list, cases[i].line);
    }
}

/* ---- normalisation ------------------------------------------------------- */

typedef struct {
    const char *authority;
    uint32_t line; /* of the rule that must block it */
} norm_case_t;

static const norm_case_t norm_cases[] = {
    {"127.0.0.1:80", 1},
    {"2130706433:80", 1},
    {"0x7f000001:80", 1},
    {"0177.0.0.1:80", 1},
    {"127.1:80", 1},
    {"0x7f.1:80", 1},
    {"127.0.0.01:80", 1},
    {"[::ffff:127.0.0.1]:80", 1},
    {"[::FFFF:7f00:1]:80", 1},
    {"EXAMPLE.com.:80", 2},
    {"Www.Example.COM:443", 2},
    {"[2001:DB8:0:0::1]:443", 3},
    {"[2001:db8::1]:443", 3},
};

/* Every spelling resolvers accept reaches the rules as one spelling. */
static void
test_policy_normalisation(void **state)
{
    pc_policy_t *p = policy_of("127.0.0.0/8\nexample.com\n2001:db8::1\n", NULL);
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(norm_cases); i++) {
        pc_verdict_t v = check(p, norm_cases[i].authority);

        print_message("case %zu: '%s'\n", i, norm_cases[i].authority);
        assert_verdict(&v, BLOCK, BLOCK_LIST, norm_cases[i].line);
    }
    {
        pc_verdict_t v = check(p, "128.0.0.1:80");

        assert_int_equal(v.kind, PASS);
        v = check(p, "[2001:db8::2]:80");
        assert_int_equal(v.kind, PASS);
        v = check(p, "example.org:80");
        assert_int_equal(v.kind, PASS);
    }
    pc_policy_free(p);
}

/* ---- domain matching ------------------------------------------------------ */

static const char match_list[] = "example.com\n"     /* 1 */
                                 "ads.example.net\n" /* 2 */
                                 "tracker\n"         /* 3 */
                                 "a_b.test\n"        /* 4 */
                                 "co.uk.example\n"   /* 5 */
                                 "*.wild.test\n"     /* 6 */
                                 "=exact.test\n"     /* 7 */
                                 ".squid.test\n"     /* 8 */
                                 "||adblock.test^\n" /* 9 */
                                 "=both.test\n"      /* 10 */
                                 "*.both.test\n"     /* 11 */
                                 "x.example.com\n";  /* 12 */

typedef struct {
    const char *host;
    uint32_t line; /* 0: not blocked */
} match_case_t;

static const match_case_t match_cases[] = {
    {"example.com", 1},
    {"x.example.com", 12}, /* the longest matching name is reported */
    {"y.x.example.com", 12},
    {"a.b.example.com", 1},
    {"www.x.y.z.example.com", 1},
    {"-.example.com", 1},
    {"notexample.com", 0},
    {"badexample.com", 0},
    {"xexample.com", 0},
    {"ample.com", 0},
    {"example.com.evil", 0},
    {"example.com.evil.net", 0},
    {"example.comx", 0},
    {"example.co", 0},
    {"com", 0},
    {"example", 0},
    {"ads.example.net", 2},
    {"img.ads.example.net", 2},
    {"example.net", 0},
    {"bads.example.net", 0},
    {"ads.example.net.example.org", 0},
    {"tracker", 3},
    {"foo.tracker", 3},
    {"a.b.c.d.tracker", 3},
    {"tracker.com", 0},
    {"mytracker", 0},
    {"a_b.test", 4},
    {"x.a_b.test", 4},
    {"b.test", 0},
    {"a-b.test", 0},
    {"co.uk.example", 5},
    {"www.co.uk.example", 5},
    {"uk.example", 0},
    /* Subdomains only: never the apex. */
    {"wild.test", 0},
    {"a.wild.test", 6},
    {"a.b.wild.test", 6},
    {"xwild.test", 0},
    /* The apex only: never a subdomain. */
    {"exact.test", 7},
    {"www.exact.test", 0},
    {"xexact.test", 0},
    /* Squid and adblock spellings are the subtree. */
    {"squid.test", 8},
    {"a.squid.test", 8},
    {"adblock.test", 9},
    {"a.adblock.test", 9},
    /* Both kinds on one name: the side's first rule is reported. */
    {"both.test", 10},
    {"www.both.test", 10},
};

static void
test_policy_match_domains(void **state)
{
    pc_policy_t *p = policy_of(match_list, NULL);
    size_t i;

    (void)state;
    assert_int_equal(pc_policy_domain_count(p), 11);
    for (i = 0; i < ARRAY_LEN(match_cases); i++) {
        char auth[300];
        pc_verdict_t v;

        print_message("case %zu: '%s'\n", i, match_cases[i].host);
        snprintf(auth, sizeof(auth), "%s:443", match_cases[i].host);
        v = check(p, auth);
        assert_block_or_pass(&v, BLOCK_LIST, match_cases[i].line);
    }
    pc_policy_free(p);
}

/* A target the parser never makes: matched by its length, safely. */
static void
test_policy_match_edges(void **state)
{
    pc_policy_t *p = policy_of("example.com\n", NULL);
    pc_policy_t *empty = new_policy();
    pc_target_t t;
    pc_verdict_t v;

    (void)state;
    memset(&t, 0, sizeof(t));
    memcpy(t.host, "x.example.comzzz", 17);
    t.host_len = 13;
    v = pc_policy_check_host(p, &t);
    assert_verdict(&v, BLOCK, BLOCK_LIST, 1);
    t.host_len = 14;
    v = pc_policy_check_host(p, &t);
    assert_int_equal(v.kind, PASS);
    t.host_len = 12;
    v = pc_policy_check_host(p, &t);
    assert_int_equal(v.kind, PASS);
    t.host_len = 0;
    v = pc_policy_check_host(p, &t);
    assert_int_equal(v.kind, PASS);
    /* A length beyond the buffer is refused rather than read. */
    t.host_len = PC_HOST_MAX + 1;
    v = pc_policy_check_host(p, &t);
    assert_int_equal(v.kind, BLOCK);
    assert_null(v.rule.list);
    /* So is an "IPv6 literal" that is not an address. */
    memcpy(t.host, "example.com", 12);
    t.host_len = 11;
    t.is_ipv6 = true;
    v = pc_policy_check_host(p, &t);
    assert_int_equal(v.kind, BLOCK);
    assert_null(v.rule.list);
    t.is_ipv6 = false;
    /* Lookups expect the normalised host; they do no case folding. */
    memcpy(t.host, "EXAMPLE.COM", 12);
    t.host_len = 11;
    v = pc_policy_check_host(p, &t);
    assert_int_equal(v.kind, PASS);
    /* An empty policy lets everything through. */
    v = check(empty, "example.com:443");
    assert_int_equal(v.kind, PASS);
    v = check(empty, "127.0.0.1:443");
    assert_int_equal(v.kind, PASS);
    pc_policy_free(empty);
    pc_policy_free(p);
}

/* The table itself walks any host safely, even one longer than a name. */
static void
test_policy_domain_set_long_host(void **state)
{
    pc_domain_set_t *s = NULL;
    pc_rule_id_t id = {7, 0};
    pc_rule_match_t m;
    char host[600];

    (void)state;
    assert_int_equal(pc_domain_set_create(&s), 0);
    pc_domain_set_lookup(s, "example.com", 11, &m);
    assert_false(m.hit[PC_SIDE_BLOCK] || m.hit[PC_SIDE_ALLOW]);
    assert_int_equal(pc_domain_set_add(s, "example.com", 11, PC_SIDE_BLOCK, PC_KIND_SUBTREE, id),
                     0);
    assert_int_equal(pc_domain_set_add(s, "", 0, PC_SIDE_BLOCK, PC_KIND_SUBTREE, id),
                     PC_E_BAD_HOST);
    assert_int_equal(pc_domain_set_add(s, "x.test", 6, PC_SIDE_BLOCK, 0, id), PC_E_BAD_HOST);
    assert_int_equal(pc_domain_set_add(s, "x.test", 6, PC_SIDES, PC_KIND_SUBTREE, id),
                     PC_E_BAD_HOST);
    memset(host, 'a', sizeof(host));
    memcpy(host + sizeof(host) - 13, ".example.com", 13);
    pc_domain_set_lookup(s, host, strlen(host), &m);
    assert_true(m.hit[PC_SIDE_BLOCK]);
    assert_false(m.hit[PC_SIDE_ALLOW]);
    assert_int_equal(m.rule[PC_SIDE_BLOCK].line, 7);
    host[sizeof(host) - 13] = 'a';
    pc_domain_set_lookup(s, host, strlen(host), &m);
    assert_false(m.hit[PC_SIDE_BLOCK]);
    pc_domain_set_lookup(s, NULL, 0, &m);
    assert_false(m.hit[PC_SIDE_BLOCK]);
    pc_domain_set_lookup(NULL, "example.com", 11, &m);
    assert_false(m.hit[PC_SIDE_BLOCK]);
    assert_int_equal(pc_domain_set_count(s), 1);
    pc_domain_set_free(s);
}

/* ---- allow over block ------------------------------------------------------ */

/*
 * Allow beats block whatever the specificity: an allowlisted subdomain of a
 * blocked domain passes, and a blocked subdomain of an allowed domain passes
 * too, because any allow match wins over any block match.
 */
static const verdict_case_t allow_block_cases[] = {
    {"ads.example:443", BLOCK, BLOCK_LIST, 1},
    {"x.ads.example:443", BLOCK, BLOCK_LIST, 1},
    {"good.ads.example:443", ALLOW, ALLOW_LIST, 2},
    {"a.good.ads.example:443", ALLOW, ALLOW_LIST, 2},
    {"bad.good.ads.example:443", ALLOW, ALLOW_LIST, 2},
    {"allowed.test:443", ALLOW, ALLOW_LIST, 3},
    {"tracker.allowed.test:443", ALLOW, ALLOW_LIST, 3},
    {"x.tracker.allowed.test:443", ALLOW, ALLOW_LIST, 3},
    {"exact.ads.example:443", ALLOW, ALLOW_LIST, 4},
    {"www.exact.ads.example:443", BLOCK, BLOCK_LIST, 1},
    {"sub.wild.test:443", ALLOW, ALLOW_LIST, 5},
    {"wild.test:443", BLOCK, BLOCK_LIST, 4},
    {"other.test:443", PASS, NULL, 0},
};

static void
test_policy_allow_beats_block(void **state)
{
    pc_policy_t *p = policy_of("ads.example\n"
                               "bad.good.ads.example\n"
                               "tracker.allowed.test\n"
                               "wild.test\n",
                               "# allow\n"
                               "good.ads.example\n"
                               "allowed.test\n"
                               "=exact.ads.example\n"
                               "*.wild.test\n");

    (void)state;
    run_verdict_cases(p, allow_block_cases, ARRAY_LEN(allow_block_cases));
    assert_int_equal(pc_policy_domain_count(p), 7);
    pc_policy_free(p);
}

/* Verdicts name the list (a copy owned by the policy) and line. */
static const verdict_case_t rule_ref_cases[] = {
    {"one.test:443", BLOCK, "/etc/portcullis/one.txt", 4},
    {"x.test:443", BLOCK, "/etc/portcullis/two.txt", 1},
    {"a.y.test:443", BLOCK, "/etc/portcullis/two.txt", 4},
    {"10.2.3.4:443", BLOCK, "/etc/portcullis/two.txt", 3},
    /* A list added without a name: NULL list, line still given. */
    {"10.1.3.4:443", ALLOW, NULL, 1},
};

static void
test_policy_rule_refs(void **state)
{
    pc_policy_t *p = new_policy();
    char origin[64];
    char err[128];

    (void)state;
    strcpy(origin, "/etc/portcullis/one.txt");
    assert_int_equal(
        pc_policy_add_list(p, PC_LIST_BLOCK, "\n\n# c\none.test\n", 15, origin, err, sizeof(err)),
        0);
    strcpy(origin, "/etc/portcullis/two.txt");
    assert_int_equal(pc_policy_add_list(p, PC_LIST_BLOCK,
                                        "x.test\r\none.test\r\n10.0.0.0/8\r\ny.test", 36, origin,
                                        err, sizeof(err)),
                     0);
    strcpy(origin, "overwritten");
    assert_int_equal(
        pc_policy_add_list(p, PC_LIST_ALLOW, "10.1.0.0/16\n", 12, NULL, err, sizeof(err)), 0);
    run_verdict_cases(p, rule_ref_cases, ARRAY_LEN(rule_ref_cases));
    assert_int_equal(pc_policy_domain_count(p), 3);
    assert_int_equal(pc_policy_addr_count(p), 2);
    pc_policy_free(p);
}

/* ---- address rules --------------------------------------------------------- */

static const char addr_list[] = "10.0.0.0/8\n"              /* 1 */
                                "10.1.0.0/16\n"             /* 2 */
                                "192.0.2.7\n"               /* 3 */
                                "172.16.0.0/12\n"           /* 4 */
                                "2001:db8::/32\n"           /* 5 */
                                "2001:db8:1::1\n"           /* 6 */
                                "2001:db8:1::1/128\n"       /* 7, same block */
                                "::ffff:198.51.100.0/120\n" /* 8 */
                                "203.0.113.9/32\n"          /* 9 */
                                "2001:db8:8000::/33\n"      /* 10 */
                                "fd00::/7\n";               /* 11 */

typedef struct {
    const char *addr;
    uint32_t line; /* 0: not blocked */
} addr_case_t;

static const addr_case_t addr_cases[] = {
    {"10.0.0.0", 1},
    {"10.255.255.255", 1},
    {"10.1.2.3", 2},
    {"10.1.255.255", 2},
    {"10.2.0.0", 1},
    {"11.0.0.0", 0},
    {"9.255.255.255", 0},
    {"192.0.2.7", 3},
    {"192.0.2.6", 0},
    {"192.0.2.8", 0},
    {"172.16.0.0", 4},
    {"172.31.255.255", 4},
    {"172.32.0.0", 0},
    {"172.15.255.255", 0},
    {"2001:db8::", 5},
    {"2001:db8:ffff::1", 10},
    {"2001:db8:7fff::1", 5},
    {"2001:db8:1::1", 6},
    {"2001:db8:1::2", 5},
    {"2001:db9::", 0},
    {"2001:db7:ffff::", 0},
    {"198.51.100.0", 8},
    {"198.51.100.255", 8},
    {"198.51.101.0", 0},
    {"::ffff:198.51.100.3", 8},
    {"::ffff:10.1.0.1", 2},
    {"::ffff:11.0.0.1", 0},
    {"203.0.113.9", 9},
    {"203.0.113.8", 0},
    {"fc00::1", 11},
    {"fdff:ffff::1", 11},
    {"fe00::1", 0},
    /* IPv4-compatible and other embeddings are not IPv4. */
    {"::10.0.0.1", 0},
    {"64:ff9b::a00:1", 0},
};

static void
test_policy_addresses(void **state)
{
    pc_policy_t *p = policy_of(addr_list, NULL);
    size_t i;

    (void)state;
    assert_int_equal(pc_policy_addr_count(p), 10);
    assert_int_equal(pc_policy_domain_count(p), 0);
    for (i = 0; i < ARRAY_LEN(addr_cases); i++) {
        pc_verdict_t v = check_addr(p, PASS, addr_cases[i].addr);

        print_message("case %zu: '%s'\n", i, addr_cases[i].addr);
        assert_block_or_pass(&v, BLOCK_LIST, addr_cases[i].line);
    }
    pc_policy_free(p);
}

/* /0 holds its whole family, never the other one; /32 and /128 one address. */
static const verdict_case_t v4all_cases[] = {
    {"0.0.0.0", BLOCK, BLOCK_LIST, 1},
    {"255.255.255.255", BLOCK, BLOCK_LIST, 1},
    {"::ffff:8.8.8.8", BLOCK, BLOCK_LIST, 1},
    {"2001:db8::1", PASS, NULL, 0},
};

static const verdict_case_t v6all_cases[] = {
    {"2001:db8::1", BLOCK, BLOCK_LIST, 1},
    {"::", BLOCK, BLOCK_LIST, 1},
    {"8.8.8.8", PASS, NULL, 0},
    {"::ffff:8.8.8.8", PASS, NULL, 0}, /* matched as IPv4 */
};

static const verdict_case_t one_addr_cases[] = {
    {"1.2.3.4", BLOCK, BLOCK_LIST, 1},
    {"1.2.3.5", PASS, NULL, 0},
    {"::1:2", BLOCK, BLOCK_LIST, 2},
    {"::1:3", PASS, NULL, 0},
};

static void
test_policy_address_extremes(void **state)
{
    pc_policy_t *v4all = policy_of("0.0.0.0/0\n", NULL);
    pc_policy_t *v6all = policy_of("::/0\n", NULL);
    pc_policy_t *hosts = policy_of("1.2.3.4/32\n::1:2/128\n", NULL);
    pc_verdict_t v;

    (void)state;
    run_addr_cases(v4all, PASS, v4all_cases, ARRAY_LEN(v4all_cases));
    run_addr_cases(v6all, PASS, v6all_cases, ARRAY_LEN(v6all_cases));
    run_addr_cases(hosts, PASS, one_addr_cases, ARRAY_LEN(one_addr_cases));
    /* NULL-safe. */
    v = pc_policy_check_addr(hosts, NULL, NULL);
    assert_int_equal(v.kind, PASS);
    pc_policy_free(v4all);
    pc_policy_free(v6all);
    pc_policy_free(hosts);
}

/* IP-literal targets are decided by the address rules at stage 1. */
static const verdict_case_t literal_cases[] = {
    {"10.9.9.9:443", BLOCK, BLOCK_LIST, 1},
    {"10.20.0.1:443", ALLOW, ALLOW_LIST, 1},
    {"167772161:443", BLOCK, BLOCK_LIST, 1}, /* 10.0.0.1 */
    {"[::ffff:10.20.1.1]:443", ALLOW, ALLOW_LIST, 1},
    {"[2001:db8::5]:443", BLOCK, BLOCK_LIST, 2},
    {"[2001:db8::]:443", PASS, NULL, 0},
    {"8.8.8.8:443", PASS, NULL, 0},
    /* A name rule never matches an address, nor the reverse. */
    {"10.example:443", PASS, NULL, 0},
};

static void
test_policy_literal_targets(void **state)
{
    pc_policy_t *p = policy_of("10.0.0.0/8\n2001:db8::5\n", "10.20.0.0/16\n");

    (void)state;
    run_verdict_cases(p, literal_cases, ARRAY_LEN(literal_cases));
    pc_policy_free(p);
}

/* ---- default deny ---------------------------------------------------------- */

/* No address allow rule: names are settled before DNS. */
static const verdict_case_t deny_by_name_cases[] = {
    {"allowed.test:443", ALLOW, ALLOW_LIST, 1}, {"www.allowed.test:443", ALLOW, ALLOW_LIST, 1},
    {"other.test:443", DENY, NULL, 0},          {"blocked.test:443", BLOCK, BLOCK_LIST, 1},
    {"192.0.2.1:443", DENY, NULL, 0},
};

/* An address allow rule exists: names pass stage 1, stage 2 decides on the address. */
static const verdict_case_t deny_by_addr_cases[] = {
    {"other.test:443", PASS, NULL, 0},
    {"192.0.2.200:443", ALLOW, ALLOW_LIST, 2},
    {"198.51.100.1:443", DENY, NULL, 0},
    {"allowed.test:443", ALLOW, ALLOW_LIST, 1},
};

static const verdict_case_t deny_by_addr_stage2_cases[] = {
    {"192.0.2.9", ALLOW, ALLOW_LIST, 2},
    {"198.51.100.1", DENY, NULL, 0},
};

static void
test_policy_default_deny(void **state)
{
    pc_policy_t *p = policy_of("blocked.test\n", "allowed.test\n");
    pc_policy_t *q = policy_of(NULL, "allowed.test\n192.0.2.0/24\n");
    pc_verdict_t v;

    (void)state;
    pc_policy_set_default_deny(p, true);
    run_verdict_cases(p, deny_by_name_cases, ARRAY_LEN(deny_by_name_cases));
    v = check_addr(p, ALLOW, "192.0.2.1");
    assert_verdict(&v, ALLOW, NULL, 0);
    v = check_addr(p, PASS, "192.0.2.1");
    assert_int_equal(v.kind, DENY);
    pc_policy_set_default_deny(p, false);
    v = check(p, "other.test:443");
    assert_int_equal(v.kind, PASS);

    pc_policy_set_default_deny(q, true);
    run_verdict_cases(q, deny_by_addr_cases, ARRAY_LEN(deny_by_addr_cases));
    run_addr_cases(q, PASS, deny_by_addr_stage2_cases, ARRAY_LEN(deny_by_addr_stage2_cases));
    pc_policy_free(p);
    pc_policy_free(q);
}

/* ---- stage 2 order ---------------------------------------------------------- */

static void
test_policy_stage2_order(void **state)
{
    pc_policy_t *p = policy_of("203.0.113.0/24\n127.0.0.2\n", "127.0.0.0/24\n198.51.100.0/24\n");
    pc_verdict_t hv, v;
    pc_addr_t a;

    (void)state;
    pc_policy_set_guard(p, true);
    /* Address allow rule first: it lifts the guard. */
    v = check_addr(p, PASS, "127.0.0.1");
    assert_verdict(&v, ALLOW, ALLOW_LIST, 1);
    v = check_addr(p, PASS, "127.0.0.2"); /* allow beats block here too */
    assert_verdict(&v, ALLOW, ALLOW_LIST, 1);
    /* Then the guard, even after an allowed name. */
    v = check_addr(p, ALLOW, "127.0.1.1");
    assert_int_equal(v.kind, GUARD);
    assert_string_equal(v.guard, "loopback");
    /* Then an allowed name, over an address block rule. */
    memset(&hv, 0, sizeof(hv));
    hv.kind = ALLOW;
    hv.rule.list = "names.txt";
    hv.rule.line = 7;
    assert_int_equal(pc_addr_parse("203.0.113.5", 11, &a), 0);
    v = pc_policy_check_addr(p, &hv, &a);
    assert_verdict(&v, ALLOW, "names.txt", 7);
    /* Then address block rules, then the default. */
    v = check_addr(p, PASS, "203.0.113.5");
    assert_verdict(&v, BLOCK, BLOCK_LIST, 1);
    v = check_addr(p, PASS, "198.51.100.1");
    assert_verdict(&v, ALLOW, ALLOW_LIST, 2);
    v = check_addr(p, PASS, "8.8.8.8");
    assert_int_equal(v.kind, PASS);
    pc_policy_set_default_deny(p, true);
    v = check_addr(p, PASS, "8.8.8.8");
    assert_int_equal(v.kind, DENY);
    /* A refused name stays refused whatever the address. */
    hv.kind = BLOCK;
    assert_int_equal(pc_addr_parse("198.51.100.1", 12, &a), 0);
    v = pc_policy_check_addr(p, &hv, &a);
    assert_verdict(&v, BLOCK, "names.txt", 7);
    v = check_addr(p, DENY, "198.51.100.1");
    assert_int_equal(v.kind, DENY);
    pc_policy_free(p);
}

/* ---- the destination guard -------------------------------------------------- */

typedef struct {
    const char *addr;
    const char *range; /* NULL: not guarded */
} guard_case_t;

static const guard_case_t guard_cases[] = {
    {"0.0.0.0", "unspecified"},
    {"0.1.2.3", "this-network"},
    {"0.255.255.255", "this-network"},
    {"1.0.0.0", NULL},
    {"10.0.0.1", "private"},
    {"10.255.255.255", "private"},
    {"11.0.0.0", NULL},
    {"100.63.255.255", NULL},
    {"100.64.0.0", "shared"},
    {"100.100.100.200", "shared"},
    {"100.127.255.255", "shared"},
    {"100.128.0.0", NULL},
    {"127.0.0.1", "loopback"},
    {"127.255.255.254", "loopback"},
    {"169.254.169.254", "link-local"},
    {"169.255.0.0", NULL},
    {"172.15.255.255", NULL},
    {"172.16.0.0", "private"},
    {"172.31.255.255", "private"},
    {"172.32.0.0", NULL},
    {"192.0.0.8", "reserved"},
    {"192.0.1.1", NULL},
    {"192.0.2.1", NULL},
    {"192.168.1.1", "private"},
    {"192.169.0.0", NULL},
    {"198.17.255.255", NULL},
    {"198.18.0.1", "benchmarking"},
    {"198.19.255.255", "benchmarking"},
    {"198.20.0.0", NULL},
    {"223.255.255.255", NULL},
    {"224.0.0.1", "multicast"},
    {"239.255.255.255", "multicast"},
    {"240.0.0.1", "reserved"},
    {"255.255.255.254", "reserved"},
    {"255.255.255.255", "broadcast"},
    {"8.8.8.8", NULL},
    {"93.184.216.34", NULL},
    {"::", "unspecified"},
    {"::1", "loopback"},
    {"::2", NULL},
    {"fc00::1", "unique-local"},
    {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "unique-local"},
    {"fbff::1", NULL},
    {"fe7f::1", NULL},
    {"fe80::1", "link-local"},
    {"febf::1", "link-local"},
    {"fec0::1", "site-local"},
    {"feff::1", "site-local"},
    {"ff02::1", "multicast"},
    {"2001:4860:4860::8888", NULL},
    {"2606:4700::1111", NULL},
    /* Embedded IPv4: judged by the IPv4 address. */
    {"::ffff:127.0.0.1", "loopback"},
    {"::ffff:169.254.169.254", "link-local"},
    {"::ffff:8.8.8.8", NULL},
    {"64:ff9b::10.0.0.1", "private"},
    {"64:ff9b::127.0.0.1", "loopback"},
    {"64:ff9b::8.8.8.8", NULL},
    {"64:ff9b:1::8.8.8.8", NULL},
    {"2002:a9fe:a9fe::1", "link-local"},
    {"2002:7f00:1::", "loopback"},
    {"2002:c0a8:101::5", "private"},
    {"2002:808:808::1", NULL},
};

static void
test_policy_guard_ranges(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(guard_cases); i++) {
        pc_addr_t a;
        const char *got;

        print_message("case %zu: '%s'\n", i, guard_cases[i].addr);
        assert_int_equal(pc_addr_parse(guard_cases[i].addr, strlen(guard_cases[i].addr), &a), 0);
        got = pc_policy_guarded(&a);
        if (guard_cases[i].range == NULL) {
            assert_null(got);
        } else {
            assert_non_null(got);
            assert_string_equal(got, guard_cases[i].range);
        }
    }
    assert_null(pc_policy_guarded(NULL));
}

static void
test_policy_guard_decisions(void **state)
{
    pc_policy_t *p = policy_of(NULL, "internal.example\n10.20.0.0/16\n");
    pc_verdict_t v;

    (void)state;
    /* Off by default. */
    v = check(p, "127.0.0.1:80");
    assert_int_equal(v.kind, PASS);
    v = check_addr(p, PASS, "169.254.169.254");
    assert_int_equal(v.kind, PASS);
    pc_policy_set_guard(p, true);
    v = check(p, "127.0.0.1:80");
    assert_int_equal(v.kind, GUARD);
    assert_string_equal(v.guard, "loopback");
    v = check(p, "[::1]:80");
    assert_string_equal(v.guard, "loopback");
    v = check(p, "0x7f.1:80");
    assert_string_equal(v.guard, "loopback");
    v = check(p, "[::ffff:a9fe:a9fe]:80");
    assert_string_equal(v.guard, "link-local");
    v = check(p, "8.8.8.8:443");
    assert_int_equal(v.kind, PASS);
    /* A name passes stage 1; its address is judged in stage 2. */
    v = check(p, "metadata.test:80");
    assert_int_equal(v.kind, PASS);
    v = check_addr(p, PASS, "169.254.169.254");
    assert_int_equal(v.kind, GUARD);
    assert_string_equal(v.guard, "link-local");
    v = check_addr(p, PASS, "64:ff9b::a9fe:a9fe");
    assert_string_equal(v.guard, "link-local");
    /* A name allow rule does not lift the guard (DNS can point anywhere)... */
    v = check(p, "internal.example:443");
    assert_verdict(&v, ALLOW, ALLOW_LIST, 1);
    v = pc_policy_check_addr(p, &v, &(pc_addr_t){4, {10, 0, 0, 1}});
    assert_int_equal(v.kind, GUARD);
    assert_string_equal(v.guard, "private");
    /* ...an address allow rule does, for its range only. */
    v = check_addr(p, ALLOW, "10.20.3.4");
    assert_verdict(&v, ALLOW, ALLOW_LIST, 2);
    v = check(p, "10.20.3.4:443");
    assert_verdict(&v, ALLOW, ALLOW_LIST, 2);
    v = check(p, "10.21.3.4:443");
    assert_int_equal(v.kind, GUARD);
    assert_true(pc_verdict_refuses(&v));
    pc_policy_free(p);
}

/* ---- list loading ------------------------------------------------------------- */

static const verdict_case_t list_ok_cases[] = {
    {"ads.example.com:443", BLOCK, "lists/ads.txt", 3},
    {"x.tracker.example.net:443", BLOCK, "lists/ads.txt", 4},
    {"spaced.test:443", BLOCK, "lists/ads.txt", 5},
    {"last.test:443", BLOCK, "lists/ads.txt", 11},
    {"example.com:443", PASS, NULL, 0},
};

static void
test_policy_list_ok(void **state)
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
                               "ADS.example.com.\n"
                               "last.test";
    pc_policy_t *p = new_policy();
    char err[256];

    (void)state;
    memset(err, 'x', sizeof(err));
    assert_int_equal(
        pc_policy_add_list(p, PC_LIST_BLOCK, text, strlen(text), "lists/ads.txt", err, sizeof(err)),
        0);
    assert_string_equal(err, "");
    assert_int_equal(pc_policy_domain_count(p), 4);
    run_verdict_cases(p, list_ok_cases, ARRAY_LEN(list_ok_cases));
    /* An empty text is an empty list; NULL err is fine. */
    assert_int_equal(pc_policy_add_list(p, PC_LIST_BLOCK, "", 0, "empty.txt", err, sizeof(err)), 0);
    assert_int_equal(pc_policy_add_list(p, PC_LIST_ALLOW, NULL, 0, "null.txt", err, sizeof(err)),
                     0);
    assert_int_equal(pc_policy_add_list(p, PC_LIST_BLOCK, "\n\n# x\n", 6, "c.txt", NULL, 0), 0);
    assert_int_equal(pc_policy_domain_count(p), 4);
    pc_policy_free(p);
}

typedef struct {
    const char *text;
    size_t len; /* 0 = strlen(text) */
    const char *err;
} list_err_case_t;

#define AT "lists/ads.txt:"

static const list_err_case_t list_err_cases[] = {
    {"foo bar\n", 0,
     AT "1: several words, and the first is not an IP address (as a hosts-file line would "
        "start) 'foo bar'"},
    {"ok.test\n# c\n*\nok2.test\n", 0, AT "3: '*' is only allowed as a leading '*.' label '*'"},
    {"a.test\r\nb.test\r\n\r\n*.*.c.test\r\n", 0,
     AT "4: '*' is only allowed as a leading '*.' label '*.*.c.test'"},
    {"\n\n\n\n\nexample.com..\n", 0, AT "6: invalid domain name 'example.com..'"},
    {"ok.test\n=*.x.test\n", 0, AT "2: '*' is only allowed as a leading '*.' label '=*.x.test'"},
    {"||x.test^$third-party\n", 0,
     AT "1: adblock options ('$') are not supported '||x.test^$third-party'"},
    {"||x.test\n", 0, AT "1: an adblock rule must be '||name^' '||x.test'"},
    {"10.0.0.0/33\n", 0, AT "1: not a valid address or CIDR block '10.0.0.0/33'"},
    {"ok.test\nhttp://x.test/\n", 0, AT "2: not a valid address or CIDR block 'http://x.test/'"},
    {"1.2.3\n", 0, AT "1: not a valid address or name '1.2.3'"},
    {"0.0.0.0 ok.test 1.2.3\n", 0, AT "1: not a valid address or name '1.2.3'"},
    {"fe80::1%lo0\n", 0,
     AT "1: a zone id is only allowed on the address that starts a hosts-file line "
        "'fe80::1%lo0'"},
    {"ads.test # inline\nads.test#inline\n", 0, AT "2: invalid domain name 'ads.test#inline'"},
    {"bad\x1b[31mred\n", 0, AT "1: invalid domain name 'bad?[31mred'"},
    {"a\rb.test\n", 0, AT "1: invalid domain name 'a?b.test'"},
    {"nul\0byte.test\n", 14, AT "1: invalid domain name 'nul?byte.test'"},
    {"..\n", 0, AT "1: invalid domain name '..'"},
#ifndef PC_HAVE_LIBIDN2
    {"caf\xc3\xa9.test\n", 0,
     AT "1: internationalised name needs libidn2, which this build lacks; write it in punycode "
        "(xn--...) 'caf??.test'"},
#else
    {"\xff\xfe.test\n", 0, AT "1: invalid internationalised name '??.test'"},
#endif
};

static void
test_policy_list_errors(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(list_err_cases); i++) {
        const list_err_case_t *c = &list_err_cases[i];
        size_t len = c->len != 0 ? c->len : strlen(c->text);
        pc_policy_t *p = new_policy();
        char err[256];

        print_message("case %zu: %s\n", i, c->err);
        assert_int_equal(
            pc_policy_add_list(p, PC_LIST_BLOCK, c->text, len, "lists/ads.txt", err, sizeof(err)),
            PC_E_CONF_VALUE);
        assert_string_equal(err, c->err);
        pc_policy_free(p);
    }
}

/* Returns a string of n copies of c (n < 1024), NUL-terminated. */
static const char *
repeat(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = '\0';
    return buf;
}

/* A huge bad line is quoted only in part; the message stays short. */
static void
test_policy_list_error_bounded(void **state)
{
    pc_policy_t *p = new_policy();
    char *text = malloc(10001);
    char err[512];
    char expect[256];
    char label[65];
    char origin[400];

    (void)state;
    assert_non_null(text);
    memset(text, 'a', 10000);
    text[5000] = '!';
    text[10000] = '\n';
    assert_int_equal(pc_policy_add_list(p, PC_LIST_BLOCK, text, 10001, "big.txt", err, sizeof(err)),
                     PC_E_CONF_VALUE);
    snprintf(expect, sizeof(expect), "big.txt:1: invalid domain name '%s...'",
             repeat(label, 'a', 64));
    assert_string_equal(err, expect);
    free(text);
    text = NULL;

    /* A small err buffer gets a cut but terminated message. */
    assert_int_equal(pc_policy_add_list(p, PC_LIST_BLOCK, "foo!", 4, "lists/ads.txt", err, 10),
                     PC_E_CONF_VALUE);
    assert_string_equal(err, "lists/ads");
    assert_int_equal(pc_policy_add_list(p, PC_LIST_BLOCK, "foo!", 4, "lists/ads.txt", err, 1),
                     PC_E_CONF_VALUE);
    assert_string_equal(err, "");
    assert_int_equal(pc_policy_add_list(p, PC_LIST_BLOCK, "foo!", 4, "lists/ads.txt", NULL, 0),
                     PC_E_CONF_VALUE);
    /* No origin: a placeholder keeps the format. */
    assert_int_equal(pc_policy_add_list(p, PC_LIST_BLOCK, "\nfoo!", 5, NULL, err, sizeof(err)),
                     PC_E_CONF_VALUE);
    assert_string_equal(err, "(list):2: invalid domain name 'foo!'");
    /* Control bytes in the origin are neutralised, a long one is cut. */
    assert_int_equal(pc_policy_add_list(p, PC_LIST_BLOCK, "foo!", 4, "a\nb.txt", err, sizeof(err)),
                     PC_E_CONF_VALUE);
    assert_string_equal(err, "a?b.txt:1: invalid domain name 'foo!'");
    repeat(origin, 'o', 300);
    assert_int_equal(pc_policy_add_list(p, PC_LIST_BLOCK, "foo!", 4, origin, err, sizeof(err)),
                     PC_E_CONF_VALUE);
    snprintf(expect, sizeof(expect), "%.200s...:1: invalid domain name 'foo!'", origin);
    assert_string_equal(err, expect);
    pc_policy_free(p);
}

/* Lines before the bad one are kept: the caller discards the policy. */
static void
test_policy_list_stops_at_error(void **state)
{
    static const char text[] = "one.test\n10.0.0.0/8\nbad name\nthree.test\n";
    pc_policy_t *p = new_policy();
    char err[256];
    pc_verdict_t v;

    (void)state;
    assert_int_equal(
        pc_policy_add_list(p, PC_LIST_BLOCK, text, strlen(text), "l.txt", err, sizeof(err)),
        PC_E_CONF_VALUE);
    assert_string_equal(err, "l.txt:3: several words, and the first is not an IP address (as a "
                             "hosts-file line would start) 'bad name'");
    assert_int_equal(pc_policy_domain_count(p), 1);
    assert_int_equal(pc_policy_addr_count(p), 1);
    v = check(p, "one.test:443");
    assert_verdict(&v, BLOCK, "l.txt", 1);
    v = check(p, "three.test:443");
    assert_int_equal(v.kind, PASS);
    pc_policy_free(p);
}

/* Bad arguments are refused with a message, never a crash. */
static void
test_policy_null_safety(void **state)
{
    pc_policy_t *p = new_policy();
    pc_target_t t;
    pc_verdict_t v;
    char err[128];

    (void)state;
    pc_policy_free(NULL);
    pc_policy_set_default_deny(NULL, true);
    pc_policy_set_guard(NULL, true);
    assert_int_equal(pc_policy_domain_count(NULL), 0);
    assert_int_equal(pc_policy_addr_count(NULL), 0);
    assert_int_equal(pc_policy_add_list(NULL, PC_LIST_BLOCK, "a.test", 6, "x", err, sizeof(err)),
                     PC_E_CONF_VALUE);
    assert_string_equal(err, "x:0: invalid arguments");
    assert_int_equal(pc_policy_add_list(p, (pc_list_kind_t)7, "a.test", 6, "x", err, sizeof(err)),
                     PC_E_CONF_VALUE);
    assert_int_equal(pc_policy_add_list(p, PC_LIST_BLOCK, NULL, 6, "x", err, sizeof(err)),
                     PC_E_CONF_VALUE);
    assert_int_equal(pc_target_parse_authority("a.test:1", 8, 0, &t), 0);
    v = pc_policy_check_host(NULL, &t);
    assert_int_equal(v.kind, PASS);
    v = pc_policy_check_host(p, NULL);
    assert_int_equal(v.kind, PASS);
    v = pc_policy_check_addr(NULL, NULL, &(pc_addr_t){4, {127, 0, 0, 1}});
    assert_int_equal(v.kind, PASS);
    pc_policy_free(p);
}

/* A StevenBlack-style hosts file drops straight in. */
static const verdict_case_t hosts_file_cases[] = {
    {"localhost:80", PASS, NULL, 0},
    {"0.0.0.0:80", PASS, NULL, 0},
    {"www.ads.example.com:443", BLOCK, BLOCK_LIST, 24},
    {"tracker.example.net:443", BLOCK, BLOCK_LIST, 25},
    {"b.example:443", BLOCK, BLOCK_LIST, 26},
};

static void
test_policy_hosts_file(void **state)
{
    pc_policy_t *p = policy_of(STEVENBLACK_HOSTS, NULL);

    (void)state;
    assert_int_equal(pc_policy_domain_count(p), 4);
    assert_int_equal(pc_policy_addr_count(p), 0);
    run_verdict_cases(p, hosts_file_cases, ARRAY_LEN(hosts_file_cases));
    pc_policy_free(p);
}

/* Unicode names are stored as punycode (or refused without libidn2). */
static void
test_policy_idn(void **state)
{
    static const char text[] = "b\xc3\xbc"
                               "cher.example\n";
    pc_policy_t *p = new_policy();
    char err[256];
    int rc;
    pc_verdict_t v;

    (void)state;
    rc = pc_policy_add_list(p, PC_LIST_BLOCK, text, strlen(text), "idn.txt", err, sizeof(err));
#ifdef PC_HAVE_LIBIDN2
    assert_int_equal(rc, 0);
    v = check(p, "xn--bcher-kva.example:443");
    assert_verdict(&v, BLOCK, "idn.txt", 1);
    v = check(p, "www.XN--BCHER-KVA.example:443");
    assert_verdict(&v, BLOCK, "idn.txt", 1);
    v = check(p, "bcher.example:443");
    assert_int_equal(v.kind, PASS);
#else
    assert_int_equal(rc, PC_E_CONF_VALUE);
    assert_string_equal(err, "idn.txt:1: internationalised name needs libidn2, which this build "
                             "lacks; write it in punycode (xn--...) 'b??cher.example'");
    v = check(p, "xn--bcher-kva.example:443");
    assert_int_equal(v.kind, PASS);
#endif
    pc_policy_free(p);
}

/* ---- a million names --------------------------------------------------------- */

#define MILLION 1000000u

static size_t
gen_name(char *buf, size_t cap, unsigned i)
{
    return (size_t)snprintf(buf, cap, "h%u.zone%u.example", i, i % 1000u);
}

/* The list text: the million names, one per line, then some duplicates. */
static char *
million_list(size_t *len)
{
    size_t cap = (size_t)MILLION * 32, n = 0;
    char *text = malloc(cap);
    unsigned i;

    assert_non_null(text);
    for (i = 0; i < MILLION; i++) {
        n += gen_name(text + n, cap - n, i);
        text[n++] = '\n';
    }
    for (i = 0; i < 1000; i++) {
        n += gen_name(text + n, cap - n, i * 997u);
        text[n++] = '\n';
    }
    *len = n;
    return text;
}

static void
assert_blocked(const pc_policy_t *p, const char *host, uint32_t line)
{
    pc_target_t t;
    pc_verdict_t v;

    assert_int_equal(pc_target_parse_authority(host, strlen(host), 443, &t), 0);
    v = pc_policy_check_host(p, &t);
    assert_block_or_pass(&v, "million.txt", line);
}

static void
test_policy_million(void **state)
{
    pc_policy_t *p = new_policy();
    size_t len;
    char *text = million_list(&len);
    char name[64];
    char err[256];
    unsigned i;

    (void)state;
    assert_int_equal(
        pc_policy_add_list(p, PC_LIST_BLOCK, text, len, "million.txt", err, sizeof(err)), 0);
    free(text);
    /* Duplicates are not counted twice. */
    assert_int_equal(pc_policy_domain_count(p), MILLION);
    assert_true(pc_policy_bytes(p) < (size_t)100 * 1024 * 1024);
    assert_blocked(p, "h0.zone0.example", 1);
    assert_blocked(p, "h999999.zone999.example", MILLION);
    assert_blocked(p, "www.h123456.zone456.example", 123457);
    assert_blocked(p, "a.b.c.h500000.zone0.example", 500001);
    assert_blocked(p, "h1000000.zone0.example", 0);
    assert_blocked(p, "h123456.zone457.example", 0);
    assert_blocked(p, "zone456.example", 0);
    assert_blocked(p, "example", 0);
    assert_blocked(p, "xh123456.zone456.example", 0);
    assert_blocked(p, "h123456.zone456.example.org", 0);
    for (i = 0; i < MILLION; i += 9973u) {
        gen_name(name, sizeof(name), i);
        assert_blocked(p, name, i + 1);
        name[0] = 'g';
        assert_blocked(p, name, 0);
    }
    pc_policy_free(p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_normalisation),
        cmocka_unit_test(test_policy_match_domains),
        cmocka_unit_test(test_policy_match_edges),
        cmocka_unit_test(test_policy_domain_set_long_host),
        cmocka_unit_test(test_policy_allow_beats_block),
        cmocka_unit_test(test_policy_rule_refs),
        cmocka_unit_test(test_policy_addresses),
        cmocka_unit_test(test_policy_address_extremes),
        cmocka_unit_test(test_policy_literal_targets),
        cmocka_unit_test(test_policy_default_deny),
        cmocka_unit_test(test_policy_stage2_order),
        cmocka_unit_test(test_policy_guard_ranges),
        cmocka_unit_test(test_policy_guard_decisions),
        cmocka_unit_test(test_policy_list_ok),
        cmocka_unit_test(test_policy_list_errors),
        cmocka_unit_test(test_policy_list_error_bounded),
        cmocka_unit_test(test_policy_list_stops_at_error),
        cmocka_unit_test(test_policy_null_safety),
        cmocka_unit_test(test_policy_hosts_file),
        cmocka_unit_test(test_policy_idn),
        cmocka_unit_test(test_policy_million),
    };

    return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
