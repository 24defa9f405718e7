/*
 * policy.c: the destination policy (see policy.h).
 *
 * Owns the decisions and the list names rules point to. The rules
 * themselves live in two tables, domain_set (names) and addr_set (addresses
 * and CIDR blocks), each holding allow and block rules side by side; list
 * text is read by list_parse. A rule refers to its list by index into
 * lists[], so every entry carries a 16-bit index instead of a pointer, and a
 * verdict turns the index back into the name.
 */
#include "policy.h"

#include "addr_set.h"
#include "domain_set.h"
#include "list_parse.h"
#include "rule.h"
#include "text.h"

#include "portcullis/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LISTS_MAX ((size_t)UINT16_MAX + 1) /* list indexes are 16 bits */

struct pc_policy_s {
    pc_domain_set_t *domains; /* owned */
    pc_addr_set_t *addrs;     /* owned */
    char **lists;             /* owned, with each name; an entry is NULL for no name */
    size_t n_lists;
    size_t lists_cap;
    bool default_deny;
    bool guard;
};

int
pc_policy_create(pc_policy_t **out)
{
    pc_policy_t *p = calloc(1, sizeof(*p));

    if (p == NULL) {
        return PC_E_NOMEM;
    }
    if (pc_domain_set_create(&p->domains) != 0 || pc_addr_set_create(&p->addrs) != 0) {
        pc_policy_free(p);
        return PC_E_NOMEM;
    }
    *out = p;
    return 0;
}

void
pc_policy_free(pc_policy_t *p)
{
    size_t i;

    if (p == NULL) {
        return;
    }
    pc_domain_set_free(p->domains);
    p->domains = NULL;
    pc_addr_set_free(p->addrs);
    p->addrs = NULL;
    for (i = 0; i < p->n_lists; i++) {
        free(p->lists[i]);
    }
    free(p->lists);
    p->lists = NULL;
    free(p);
}

void
pc_policy_set_default_deny(pc_policy_t *p, bool on)
{
    if (p != NULL) {
        p->default_deny = on;
    }
}

void
pc_policy_set_guard(pc_policy_t *p, bool on)
{
    if (p != NULL) {
        p->guard = on;
    }
}

size_t
pc_policy_domain_count(const pc_policy_t *p)
{
    return p != NULL ? pc_domain_set_count(p->domains) : 0;
}

size_t
pc_policy_addr_count(const pc_policy_t *p)
{
    return p != NULL ? pc_addr_set_count(p->addrs) : 0;
}

size_t
pc_policy_bytes(const pc_policy_t *p)
{
    size_t n, i;

    if (p == NULL) {
        return 0;
    }
    n = sizeof(*p) + pc_domain_set_bytes(p->domains) + pc_addr_set_bytes(p->addrs);
    n += p->lists_cap * sizeof(*p->lists);
    for (i = 0; i < p->n_lists; i++) {
        n += p->lists[i] != NULL ? strlen(p->lists[i]) + 1 : 0;
    }
    return n;
}

/* ---- loading ------------------------------------------------------------ */

/* Quoted text is cut here: enough to find the line, short enough to keep
 * one bad byte-soup line from flooding the log. */
#define QUOTE_MAX  64
#define ORIGIN_MAX 200

/* Writes "<origin>:<line>: <what>[ '<text>']" into err, bounded and safe. */
static void
list_error(char *err, size_t err_cap, const char *origin, size_t line, const char *what,
           const char *text, size_t text_len)
{
    char o[ORIGIN_MAX + 4], q[QUOTE_MAX + 4];

    if (err == NULL || err_cap == 0) {
        return;
    }
    if (origin == NULL) {
        origin = "(list)";
    }
    pc_text_quote(o, origin, strlen(origin), ORIGIN_MAX);
    if (text != NULL) {
        snprintf(err, err_cap, "%s:%zu: %s '%s'", o, line, what,
                 pc_text_quote(q, text, text_len, QUOTE_MAX));
    } else {
        snprintf(err, err_cap, "%s:%zu: %s", o, line, what);
    }
}

/* Appends a copy of origin (or NULL) to lists[]; *index receives its place. */
static int
add_origin(pc_policy_t *p, const char *origin, uint16_t *index)
{
    char *copy = NULL;

    if (p->n_lists == p->lists_cap) {
        size_t cap = p->lists_cap != 0 ? p->lists_cap * 2 : 4;
        char **grown = realloc(p->lists, cap * sizeof(*grown));

        if (grown == NULL) {
            return PC_E_NOMEM;
        }
        p->lists = grown;
        p->lists_cap = cap;
    }
    if (origin != NULL) {
        size_t n = strlen(origin);

        copy = malloc(n + 1);
        if (copy == NULL) {
            return PC_E_NOMEM;
        }
        memcpy(copy, origin, n + 1);
    }
    *index = (uint16_t)p->n_lists;
    p->lists[p->n_lists++] = copy;
    return 0;
}

/* What the list parser's callback needs to store a rule. */
typedef struct {
    pc_policy_t *p;
    unsigned side;
    uint16_t list;
} load_ctx_t;

static int
on_rule(void *ctx, const pc_list_rule_t *r)
{
    const load_ctx_t *lc = ctx;
    pc_rule_id_t id;

    id.list = lc->list;
    id.line = r->line > UINT32_MAX ? UINT32_MAX : (uint32_t)r->line;
    if (r->is_addr) {
        return pc_addr_set_add(lc->p->addrs, &r->net, r->prefix, lc->side, id);
    }
    return pc_domain_set_add(lc->p->domains, r->name, r->name_len, lc->side, r->kind, id);
}

/* Turns a parse failure into the message and the code add_list returns. */
static int
parse_failure(int rc, const pc_list_error_t *e, const char *origin, char *err, size_t err_cap)
{
    if (rc == PC_E_NOMEM) {
        list_error(err, err_cap, origin, e->line, "out of memory", NULL, 0);
        return rc;
    }
    if (e->what != NULL) {
        list_error(err, err_cap, origin, e->line, e->what, e->text, e->text_len);
    } else {
        list_error(err, err_cap, origin, e->line, "rule not accepted", e->text, e->text_len);
    }
    return PC_E_CONF_VALUE;
}

int
pc_policy_add_list(pc_policy_t *p, pc_list_kind_t kind, const char *text, size_t len,
                   const char *origin, char *err, size_t err_cap)
{
    pc_list_error_t e;
    load_ctx_t lc;
    int rc;

    if (err != NULL && err_cap > 0) {
        err[0] = '\0';
    }
    if (p == NULL || (kind != PC_LIST_BLOCK && kind != PC_LIST_ALLOW)
        || (text == NULL && len > 0)) {
        list_error(err, err_cap, origin, 0, "invalid arguments", NULL, 0);
        return PC_E_CONF_VALUE;
    }
    if (p->n_lists >= LISTS_MAX) {
        list_error(err, err_cap, origin, 0, "too many lists", NULL, 0);
        return PC_E_CONF_VALUE;
    }
    lc.p = p;
    lc.side = kind == PC_LIST_ALLOW ? PC_SIDE_ALLOW : PC_SIDE_BLOCK;
    rc = add_origin(p, origin, &lc.list);
    if (rc != 0) {
        list_error(err, err_cap, origin, 0, "out of memory", NULL, 0);
        return rc;
    }
    rc = pc_list_parse(text, len, on_rule, &lc, &e);
    pc_domain_set_trim(p->domains);
    return rc != 0 ? parse_failure(rc, &e, origin, err, err_cap) : 0;
}

/* ---- decisions ---------------------------------------------------------- */

static pc_verdict_t
verdict_of(pc_verdict_kind_t kind)
{
    pc_verdict_t v;

    memset(&v, 0, sizeof(v));
    v.kind = kind;
    return v;
}

/* A verdict that names the rule id in the policy's terms. */
static pc_verdict_t
rule_verdict(const pc_policy_t *p, pc_verdict_kind_t kind, pc_rule_id_t id)
{
    pc_verdict_t v = verdict_of(kind);

    v.rule.list = id.list < p->n_lists ? p->lists[id.list] : NULL;
    v.rule.line = id.line;
    return v;
}

/* True, with *a set, if the target's host is an IP literal: an IPv6 one
 * (bracketed in the request) or a dotted quad (every IPv4 spelling has been
 * rewritten as one by the target parser). */
static bool
host_is_literal(const pc_target_t *t, pc_addr_t *a)
{
    if (pc_addr_parse(t->host, t->host_len, a) != 0) {
        return false;
    }
    return t->is_ipv6 || a->family == 4;
}

pc_verdict_t
pc_policy_check_host(const pc_policy_t *p, const pc_target_t *t)
{
    pc_verdict_t pass = verdict_of(PC_VERDICT_PASS);
    pc_rule_match_t m;
    pc_addr_t a;

    if (p == NULL || t == NULL) {
        return pass;
    }
    /* Targets the target parser never makes are refused, never passed. */
    if (t->host_len > PC_HOST_MAX) {
        return verdict_of(PC_VERDICT_BLOCK);
    }
    if (host_is_literal(t, &a)) {
        return pc_policy_check_addr(p, &pass, &a);
    }
    if (t->is_ipv6) {
        return verdict_of(PC_VERDICT_BLOCK); /* not an address after all */
    }
    pc_domain_set_lookup(p->domains, t->host, t->host_len, &m);
    if (m.hit[PC_SIDE_ALLOW]) {
        return rule_verdict(p, PC_VERDICT_ALLOW, m.rule[PC_SIDE_ALLOW]);
    }
    if (m.hit[PC_SIDE_BLOCK]) {
        return rule_verdict(p, PC_VERDICT_BLOCK, m.rule[PC_SIDE_BLOCK]);
    }
    /* Under default deny a name no rule allows may still reach an address
     * an address allow rule admits: only stage 2 can tell. */
    if (p->default_deny && !pc_addr_set_has_side(p->addrs, PC_SIDE_ALLOW)) {
        return verdict_of(PC_VERDICT_DEFAULT_DENY);
    }
    return pass;
}

pc_verdict_t
pc_policy_check_addr(const pc_policy_t *p, const pc_verdict_t *host_verdict, const pc_addr_t *a)
{
    pc_rule_match_t m;
    pc_addr_t x;
    const char *guard;

    /* A refused name stays refused: stage 2 is not meant to run after it,
     * and if it does it must not turn a refusal into a pass. */
    if (host_verdict != NULL && pc_verdict_refuses(host_verdict)) {
        return *host_verdict;
    }
    if (p == NULL || a == NULL) {
        return host_verdict != NULL ? *host_verdict : verdict_of(PC_VERDICT_PASS);
    }
    x = *a;
    pc_addr_unmap(&x);
    pc_addr_set_lookup(p->addrs, &x, &m);
    if (m.hit[PC_SIDE_ALLOW]) {
        return rule_verdict(p, PC_VERDICT_ALLOW, m.rule[PC_SIDE_ALLOW]);
    }
    guard = p->guard ? pc_policy_guarded(&x) : NULL;
    if (guard != NULL) {
        pc_verdict_t v = verdict_of(PC_VERDICT_GUARD);

        v.guard = guard;
        return v;
    }
    if (host_verdict != NULL && host_verdict->kind == PC_VERDICT_ALLOW) {
        return *host_verdict;
    }
    if (m.hit[PC_SIDE_BLOCK]) {
        return rule_verdict(p, PC_VERDICT_BLOCK, m.rule[PC_SIDE_BLOCK]);
    }
    return verdict_of(p->default_deny ? PC_VERDICT_DEFAULT_DENY : PC_VERDICT_PASS);
}

/* ---- the destination guard ------------------------------------------------ */

typedef struct {
    uint8_t net[16];
    unsigned prefix;
    const char *name;
} guard_range_t;

/* First match wins, so a range sits before any wider one that holds it. */
static const guard_range_t guard_v4[] = {
    {{0, 0, 0, 0}, 32, "unspecified"},
    {{0}, 8, "this-network"},
    {{10}, 8, "private"},
    {{100, 64}, 10, "shared"},
    {{127}, 8, "loopback"},
    {{169, 254}, 16, "link-local"},
    {{172, 16}, 12, "private"},
    {{192, 0, 0}, 24, "reserved"},
    {{192, 168}, 16, "private"},
    {{198, 18}, 15, "benchmarking"},
    {{224}, 4, "multicast"},
    {{255, 255, 255, 255}, 32, "broadcast"},
    {{240}, 4, "reserved"},
};

static const guard_range_t guard_v6[] = {
    {{0}, 128, "unspecified"},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, "loopback"},
    {{0xfc}, 7, "unique-local"},
    {{0xfe, 0x80}, 10, "link-local"},
    {{0xfe, 0xc0}, 10, "site-local"},
    {{0xff}, 8, "multicast"},
};

/* True if the first prefix bits of a and net are equal. */
static bool
prefix_equal(const uint8_t *a, const uint8_t *net, unsigned prefix)
{
    unsigned whole = prefix / 8, rest = prefix % 8;
    uint8_t mask;

    if (memcmp(a, net, whole) != 0) {
        return false;
    }
    if (rest == 0) {
        return true;
    }
    mask = (uint8_t)(0xffu << (8 - rest));
    return (a[whole] & mask) == (net[whole] & mask);
}

static const char *
find_range(const guard_range_t *ranges, size_t n, const uint8_t *bytes)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (prefix_equal(bytes, ranges[i].net, ranges[i].prefix)) {
            return ranges[i].name;
        }
    }
    return NULL;
}

static const char *
guarded_v4(const uint8_t *bytes)
{
    return find_range(guard_v4, sizeof(guard_v4) / sizeof(guard_v4[0]), bytes);
}

const char *
pc_policy_guarded(const pc_addr_t *a)
{
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b};
    static const uint8_t six_to_four[2] = {0x20, 0x02};
    pc_addr_t x;

    if (a == NULL) {
        return NULL;
    }
    x = *a;
    pc_addr_unmap(&x); /* ::ffff:0:0/96 */
    if (x.family == 4) {
        return guarded_v4(x.bytes);
    }
    if (x.family != 6) {
        return NULL;
    }
    if (memcmp(x.bytes, nat64, sizeof(nat64)) == 0) {
        return guarded_v4(x.bytes + 12); /* 64:ff9b::/96 */
    }
    if (memcmp(x.bytes, six_to_four, sizeof(six_to_four)) == 0) {
        return guarded_v4(x.bytes + 2); /* 2002::/16 */
    }
    return find_range(guard_v6, sizeof(guard_v6) / sizeof(guard_v6[0]), x.bytes);
}
