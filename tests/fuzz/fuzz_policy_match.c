/*
 * fuzz_policy_match.c: CONNECT authorities against one fixed policy.
 *
 * The input is the authority of a CONNECT request, as a client wrote it. It
 * goes through the same two steps as in the proxy: pc_target_parse_authority()
 * (port required) and the policy decision. Besides "no crash", the target
 * checks, and aborts on any difference:
 *   - the parse result against a reference written here from target.h: a
 *     name of [A-Za-z0-9_-] labels, or an IPv4 address in any spelling a
 *     resolver reads ("0x7f.1", "2130706433", "0177.0.0.1"), which must come
 *     out as the same dotted quad, and a port 1..65535;
 *   - the normalised host: lowercase, no trailing dot, 1..253 bytes, and
 *     formatting it back to "host:port" and parsing that gives the same target;
 *   - the verdicts of two policies built from the same lists (one plain, one
 *     with DefaultPolicy deny and the destination guard) against a naive
 *     reference matcher over the rule table below, for the host and for a
 *     fixed set of resolved addresses (the stage-2 order of policy.h).
 *
 * The policies are built on the first call and kept for the life of the
 * process (a fuzz target's one exception to "no globals"); they are never
 * freed, which LeakSanitizer does not count as a leak.
 */
#include "fuzz.h"

#include "addr.h"
#include "policy.h"
#include "portcullis/error.h"
#include "target.h"

#include <stdbool.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The lists as an operator would write them: every domain form, hosts-file
 * lines, comments, a CRLF line, IPv4 and IPv6 addresses and CIDR blocks. */
static const char block_list[] = "# fuzz_policy_match: the block side\n"
                                 "example.com\n"
                                 ".dot-subtree.test\n"
                                 "||adblock.test^\r\n"
                                 "*.wild.test\n"
                                 "=exact.test\n"
                                 "\n"
                                 "0.0.0.0 hosts-a.test hosts-b.test\n"
                                 "127.0.0.1 hosts-c.test # a comment after a blank\n"
                                 "deep.a.b.c.test\n"
                                 "_srv.underscore.test\n"
                                 "10.0.0.0/8\n"
                                 "192.0.2.1\n"
                                 "198.51.100.0/24\n"
                                 "2001:db8::/32\n";

static const char allow_list[] = "# fuzz_policy_match: the allow side\n"
                                 "good.example.com\n"
                                 "=ok.wild.test\n"
                                 "*.www.adblock.test\n"
                                 "10.1.0.0/16\n"
                                 "198.51.100.7\n"
                                 "2001:db8:1::/48\n";

typedef enum { FORM_TREE, FORM_SUBS, FORM_APEX } form_t;

typedef struct {
    pc_list_kind_t kind;
    form_t form;
    const char *name;
} domain_rule_t;

typedef struct {
    pc_list_kind_t kind;
    const char *cidr;
} addr_rule_t;

/* The same rules as the lists above, for the reference matcher. */
static const domain_rule_t domain_rules[] = {
    {PC_LIST_BLOCK, FORM_TREE, "example.com"},
    {PC_LIST_BLOCK, FORM_TREE, "dot-subtree.test"},
    {PC_LIST_BLOCK, FORM_TREE, "adblock.test"},
    {PC_LIST_BLOCK, FORM_SUBS, "wild.test"},
    {PC_LIST_BLOCK, FORM_APEX, "exact.test"},
    {PC_LIST_BLOCK, FORM_TREE, "hosts-a.test"},
    {PC_LIST_BLOCK, FORM_TREE, "hosts-b.test"},
    {PC_LIST_BLOCK, FORM_TREE, "hosts-c.test"},
    {PC_LIST_BLOCK, FORM_TREE, "deep.a.b.c.test"},
    {PC_LIST_BLOCK, FORM_TREE, "_srv.underscore.test"},
    {PC_LIST_ALLOW, FORM_TREE, "good.example.com"},
    {PC_LIST_ALLOW, FORM_APEX, "ok.wild.test"},
    {PC_LIST_ALLOW, FORM_SUBS, "www.adblock.test"},
};

static const addr_rule_t addr_rules[] = {
    {PC_LIST_BLOCK, "10.0.0.0/8"},      {PC_LIST_BLOCK, "192.0.2.1"},
    {PC_LIST_BLOCK, "198.51.100.0/24"}, {PC_LIST_BLOCK, "2001:db8::/32"},
    {PC_LIST_ALLOW, "10.1.0.0/16"},     {PC_LIST_ALLOW, "198.51.100.7"},
    {PC_LIST_ALLOW, "2001:db8:1::/48"},
};

/* Addresses a name could resolve to, for the stage-2 checks. */
static const char *const resolved[] = {
    "10.1.2.3",     "10.9.9.9",         "127.0.0.1",       "192.0.2.1",     "198.51.100.7",
    "198.51.100.8", "8.8.8.8",          "169.254.169.254", "2001:db8:1::5", "2001:db8:2::5",
    "::1",          "::ffff:192.0.2.1", "2606:4700::1111",
};

typedef struct {
    pc_policy_t *plain;  /* no default deny, no guard */
    pc_policy_t *strict; /* default deny and the destination guard */
    pc_addr_t nets[ARRAY_LEN(addr_rules)];
    unsigned prefixes[ARRAY_LEN(addr_rules)];
    pc_addr_t resolved[ARRAY_LEN(resolved)];
} fixture_t;

static pc_policy_t *
build_policy(bool strict)
{
    pc_policy_t *p = NULL;
    char err[256];

    PC_FUZZ_CHECK(pc_policy_create(&p) == 0 && p != NULL);
    pc_policy_set_default_deny(p, strict);
    pc_policy_set_guard(p, strict);
    err[0] = '\0';
    if (pc_policy_add_list(p, PC_LIST_BLOCK, block_list, sizeof(block_list) - 1, "block.list", err,
                           sizeof(err))
            != 0
        || pc_policy_add_list(p, PC_LIST_ALLOW, allow_list, sizeof(allow_list) - 1, "allow.list",
                              err, sizeof(err))
               != 0) {
        fprintf(stderr, "fixed policy refused: %s\n", err);
        abort();
    }
    PC_FUZZ_CHECK(pc_policy_domain_count(p) == ARRAY_LEN(domain_rules));
    PC_FUZZ_CHECK(pc_policy_addr_count(p) == ARRAY_LEN(addr_rules));
    return p;
}

static const fixture_t *
fixture(void)
{
    static fixture_t fx;
    static bool ready;
    size_t i;

    if (ready) {
        return &fx;
    }
    for (i = 0; i < ARRAY_LEN(addr_rules); i++) {
        const char *c = addr_rules[i].cidr;

        PC_FUZZ_CHECK(pc_cidr_parse(c, strlen(c), &fx.nets[i], &fx.prefixes[i]) == 0);
    }
    for (i = 0; i < ARRAY_LEN(resolved); i++) {
        PC_FUZZ_CHECK(pc_addr_parse(resolved[i], strlen(resolved[i]), &fx.resolved[i]) == 0);
    }
    fx.plain = build_policy(false);
    fx.strict = build_policy(true);
    ready = true;
    return &fx;
}

/* ---- the reference target parser ---------------------------------------- */

static char
lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool
is_dec(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_hex(char c)
{
    return is_dec(c) || (c >= 'a' && c <= 'f');
}

/* One part of a numeric host: "0x" hex (digits optional), "0" octal, decimal. */
static bool
ref_number(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;
    size_t i = 0;

    if (len >= 2 && s[0] == '0' && s[1] == 'x') {
        base = 16;
        i = 2;
    } else if (len >= 2 && s[0] == '0') {
        base = 8;
        i = 1;
    } else if (len == 0) {
        return false;
    }
    for (; i < len; i++) {
        unsigned d;

        if (base == 16 ? !is_hex(s[i]) : !is_dec(s[i])) {
            return false;
        }
        d = is_dec(s[i]) ? (unsigned)(s[i] - '0') : (unsigned)(s[i] - 'a' + 10);
        if (d >= base) {
            return false;
        }
        v = v * base + d;
        if (v > 0xffffffffu) {
            return false;
        }
    }
    *out = v;
    return true;
}

/* True if the label is spelled as a number: digits, or "0x" and hex digits. */
static bool
ref_numeric_label(const char *s, size_t len)
{
    size_t i = 0;

    if (len >= 2 && s[0] == '0' && s[1] == 'x') {
        for (i = 2; i < len && is_hex(s[i]); i++) {
        }
        return i == len;
    }
    for (i = 0; i < len && is_dec(s[i]); i++) {
    }
    return len > 0 && i == len;
}

/*
 * The host part of a non-bracketed authority, written from target.h alone.
 * Returns -1 (refused), 0 (a name: out holds it in lowercase) or 4 (IPv4:
 * out holds the dotted quad).
 */
static int
ref_host(const char *s, size_t len, char *out)
{
    char h[PC_HOST_MAX + 2];
    uint64_t parts[4];
    size_t n = 0, i, start = 0, label;

    if (len > 0 && s[len - 1] == '.') {
        len--;
    }
    if (len == 0 || len > PC_HOST_MAX) {
        return -1;
    }
    for (i = 0, label = 0; i < len; i++) {
        char c = lower(s[i]);

        if (c == '.') {
            if (label == 0) {
                return -1;
            }
            label = 0;
        } else if (!(is_dec(c) || (c >= 'a' && c <= 'z') || c == '-' || c == '_') || ++label > 63) {
            return -1;
        }
        h[i] = c;
    }
    if (label == 0) {
        return -1;
    }
    h[len] = '\0';
    if (!ref_numeric_label(h + len - label, label)) {
        memcpy(out, h, len + 1);
        return 0;
    }
    /* It ends in a number, so it is an IPv4 address or nothing. */
    for (i = 0; i <= len; i++) {
        if (i == len || h[i] == '.') {
            if (n == 4 || !ref_number(h + start, i - start, &parts[n])) {
                return -1;
            }
            n++;
            start = i + 1;
        }
    }
    for (i = 0; i + 1 < n; i++) {
        if (parts[i] > 255) {
            return -1;
        }
    }
    if (parts[n - 1] >= (uint64_t)1 << (8 * (5 - n))) {
        return -1;
    }
    {
        uint8_t b[4];
        uint64_t last = parts[n - 1];

        for (i = 0; i + 1 < n; i++) {
            b[i] = (uint8_t)parts[i];
        }
        for (i = n - 1; i < 4; i++) {
            b[i] = (uint8_t)(last >> (8 * (3 - i)));
        }
        snprintf(out, PC_HOST_MAX + 1, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
    }
    return 4;
}

/* The port: 1*5DIGIT, 1..65535. Returns it or 0. */
static unsigned
ref_port(const char *s, size_t len)
{
    unsigned v = 0;
    size_t i;

    if (len == 0 || len > 5) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (!is_dec(s[i])) {
            return 0;
        }
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    return v <= 65535 ? v : 0;
}

/* Compares a non-bracketed authority's parse result with the reference. */
static void
check_name_parse(const char *s, size_t len, int rc, const pc_target_t *t)
{
    const char *colon = memchr(s, ':', len);
    char want[PC_HOST_MAX + 1];
    unsigned port;
    int kind;

    if (colon == NULL) {
        PC_FUZZ_CHECK(rc != 0); /* CONNECT needs a port */
        return;
    }
    kind = ref_host(s, (size_t)(colon - s), want);
    port = ref_port(colon + 1, len - (size_t)(colon - s) - 1);
    PC_FUZZ_CHECK((rc == 0) == (kind >= 0 && port != 0));
    if (rc == 0) {
        PC_FUZZ_CHECK(strcmp(t->host, want) == 0);
        PC_FUZZ_CHECK(t->port == port);
        PC_FUZZ_CHECK(!t->is_ipv6);
    }
}

/* Invariants of any parsed target, and that its printed form parses back. */
static void
check_target(const pc_target_t *t)
{
    char buf[PC_HOST_MAX + 16];
    pc_target_t again;
    size_t n, i;

    PC_FUZZ_CHECK(t->host_len > 0 && t->host_len <= PC_HOST_MAX);
    PC_FUZZ_CHECK(strlen(t->host) == t->host_len);
    PC_FUZZ_CHECK(t->host[t->host_len - 1] != '.');
    PC_FUZZ_CHECK(t->port != 0);
    for (i = 0; i < t->host_len; i++) {
        PC_FUZZ_CHECK(!(t->host[i] >= 'A' && t->host[i] <= 'Z'));
    }
    if (!t->is_ipv6) {
        char norm[PC_HOST_MAX + 1];

        PC_FUZZ_CHECK(pc_host_normalise(t->host, t->host_len, norm) == t->host_len);
        PC_FUZZ_CHECK(strcmp(norm, t->host) == 0);
    }
    n = pc_target_format_host(t, 0, buf, sizeof(buf));
    PC_FUZZ_CHECK(n > 0 && n < sizeof(buf));
    PC_FUZZ_CHECK(pc_target_parse_authority(buf, n, 0, &again) == 0);
    PC_FUZZ_CHECK(again.host_len == t->host_len && strcmp(again.host, t->host) == 0);
    PC_FUZZ_CHECK(again.port == t->port && again.is_ipv6 == t->is_ipv6);
    /* Without the port when it is the default, as in a Host field. */
    n = pc_target_format_host(t, t->port, buf, sizeof(buf));
    PC_FUZZ_CHECK(n > 0 && n < sizeof(buf));
    PC_FUZZ_CHECK(pc_target_parse_authority(buf, n, t->port, &again) == 0);
    PC_FUZZ_CHECK(strcmp(again.host, t->host) == 0 && again.port == t->port);
}

/* ---- the reference policy ------------------------------------------------ */

static bool
ends_with_label(const char *host, size_t host_len, const char *name)
{
    size_t n = strlen(name);

    return host_len > n && host[host_len - n - 1] == '.'
           && memcmp(host + host_len - n, name, n) == 0;
}

static bool
domain_hit(const pc_target_t *t, pc_list_kind_t kind)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(domain_rules); i++) {
        const domain_rule_t *r = &domain_rules[i];
        bool apex = strcmp(t->host, r->name) == 0;
        bool sub = ends_with_label(t->host, t->host_len, r->name);

        if (r->kind != kind) {
            continue;
        }
        if ((r->form == FORM_TREE && (apex || sub)) || (r->form == FORM_SUBS && sub)
            || (r->form == FORM_APEX && apex)) {
            return true;
        }
    }
    return false;
}

static bool
addr_hit(const fixture_t *fx, const pc_addr_t *addr, pc_list_kind_t kind)
{
    pc_addr_t a = *addr;
    size_t i;

    pc_addr_unmap(&a);
    for (i = 0; i < ARRAY_LEN(addr_rules); i++) {
        if (addr_rules[i].kind == kind && pc_addr_in_cidr(&a, &fx->nets[i], fx->prefixes[i])) {
            return true;
        }
    }
    return false;
}

/* Stage 2 as policy.h orders it. */
static pc_verdict_kind_t
expect_addr(const fixture_t *fx, bool strict, pc_verdict_kind_t host, const pc_addr_t *a)
{
    if (addr_hit(fx, a, PC_LIST_ALLOW)) {
        return PC_VERDICT_ALLOW;
    }
    if (strict && pc_policy_guarded(a) != NULL) {
        return PC_VERDICT_GUARD;
    }
    if (host == PC_VERDICT_ALLOW) {
        return PC_VERDICT_ALLOW;
    }
    if (addr_hit(fx, a, PC_LIST_BLOCK)) {
        return PC_VERDICT_BLOCK;
    }
    return strict ? PC_VERDICT_DEFAULT_DENY : PC_VERDICT_PASS;
}

/* What every verdict must carry: a rule for ALLOW/BLOCK, a range for GUARD. */
static void
check_verdict_refs(const pc_verdict_t *v)
{
    if (v->kind == PC_VERDICT_ALLOW || v->kind == PC_VERDICT_BLOCK) {
        const char *want = v->kind == PC_VERDICT_ALLOW ? "allow.list" : "block.list";

        PC_FUZZ_CHECK(v->rule.list != NULL && strcmp(v->rule.list, want) == 0);
        PC_FUZZ_CHECK(v->rule.line >= 1 && v->rule.line <= 16);
    }
    if (v->kind == PC_VERDICT_GUARD) {
        PC_FUZZ_CHECK(v->guard != NULL && v->guard[0] != '\0');
    }
}

static void
check_stage2(const fixture_t *fx, bool strict, const pc_verdict_t *host)
{
    const pc_policy_t *p = strict ? fx->strict : fx->plain;
    size_t i;

    for (i = 0; i < ARRAY_LEN(resolved); i++) {
        pc_verdict_t v = pc_policy_check_addr(p, host, &fx->resolved[i]);

        check_verdict_refs(&v);
        PC_FUZZ_CHECK(v.kind == expect_addr(fx, strict, host->kind, &fx->resolved[i]));
        if (v.kind == PC_VERDICT_GUARD) {
            PC_FUZZ_CHECK(strcmp(v.guard, pc_policy_guarded(&fx->resolved[i])) == 0);
        }
    }
}

static void
check_policy_name(const fixture_t *fx, const pc_target_t *t)
{
    bool allow = domain_hit(t, PC_LIST_ALLOW);
    bool block = domain_hit(t, PC_LIST_BLOCK);
    pc_verdict_kind_t want = allow ? PC_VERDICT_ALLOW : block ? PC_VERDICT_BLOCK : PC_VERDICT_PASS;
    pc_verdict_t v = pc_policy_check_host(fx->plain, t);
    pc_verdict_t s = pc_policy_check_host(fx->strict, t);

    check_verdict_refs(&v);
    check_verdict_refs(&s);
    PC_FUZZ_CHECK(v.kind == want);
    /* Default deny cannot refuse a name here yet: the allow list has
     * address rules that may still admit it after DNS. */
    PC_FUZZ_CHECK(s.kind == want || (want == PC_VERDICT_PASS && s.kind == PC_VERDICT_DEFAULT_DENY));
    if (!pc_verdict_refuses(&v)) {
        check_stage2(fx, false, &v);
    }
    if (!pc_verdict_refuses(&s)) {
        check_stage2(fx, true, &s);
    }
}

static void
check_policy_literal(const fixture_t *fx, const pc_target_t *t)
{
    pc_verdict_t pass = {PC_VERDICT_PASS, {NULL, 0}, NULL};
    pc_addr_t a;
    pc_verdict_t v;
    int strict;

    PC_FUZZ_CHECK(pc_addr_parse(t->host, t->host_len, &a) == 0);
    PC_FUZZ_CHECK(a.family == (t->is_ipv6 ? 6 : 4));
    for (strict = 0; strict <= 1; strict++) {
        const pc_policy_t *p = strict ? fx->strict : fx->plain;
        pc_verdict_kind_t want = expect_addr(fx, strict != 0, PC_VERDICT_PASS, &a);

        v = pc_policy_check_host(p, t);
        check_verdict_refs(&v);
        PC_FUZZ_CHECK(v.kind == want);
        v = pc_policy_check_addr(p, &pass, &a);
        check_verdict_refs(&v);
        PC_FUZZ_CHECK(v.kind == want);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const fixture_t *fx = fixture();
    const char *s = (const char *)data;
    pc_target_t t;
    int rc;

    rc = pc_target_parse_authority(s, size, 0, &t);
    PC_FUZZ_CHECK(rc == 0 || rc == PC_E_BAD_HOST);
    if (size > 0 && s[0] != '[') {
        check_name_parse(s, size, rc, &t);
    }
    if (rc != 0) {
        return 0;
    }
    check_target(&t);
    {
        pc_addr_t a;
        bool literal = t.is_ipv6 || pc_addr_parse(t.host, t.host_len, &a) == 0;

        if (literal) {
            check_policy_literal(fx, &t);
        } else {
            check_policy_name(fx, &t);
        }
    }
    return 0;
}
