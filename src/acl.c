/*
 * acl.c: the client Allow/Deny list and the CONNECT port set.
 *
 * Owns the ordered rule array (first match wins) and the port bitmap parser.
 * Rules are parsed once at config load and only read afterwards, so a rule
 * check is a short loop over pre-parsed binary CIDR blocks.
 */
#include "acl.h"

#include "portcullis/error.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    pc_addr_t net;
    unsigned prefix;
    bool allow;
} acl_rule_t;

struct pc_acl_s {
    acl_rule_t *rules; /* owned; count used, cap allocated */
    size_t count;
    size_t cap;
};

int
pc_acl_create(pc_acl_t **out)
{
    pc_acl_t *acl = calloc(1, sizeof(*acl));

    if (acl == NULL) {
        return PC_E_NOMEM;
    }
    *out = acl;
    return 0;
}

void
pc_acl_free(pc_acl_t *acl)
{
    if (acl == NULL) {
        return;
    }
    free(acl->rules);
    acl->rules = NULL;
    free(acl);
}

int
pc_acl_add(pc_acl_t *acl, bool allow, const char *cidr, size_t len)
{
    acl_rule_t rule;

    if (pc_cidr_parse(cidr, len, &rule.net, &rule.prefix) != 0) {
        return PC_E_CONF_VALUE;
    }
    /* Clients in the mapped block are matched as IPv4, so a rule written as
     * "::ffff:10.0.0.0/104" is stored as 10.0.0.0/8 or it could never match. */
    if (rule.prefix >= 96) {
        pc_addr_t probe = rule.net;

        pc_addr_unmap(&probe);
        if (probe.family == 4) {
            rule.net = probe;
            rule.prefix -= 96;
        }
    }
    rule.allow = allow;
    if (acl->count == acl->cap) {
        size_t cap = acl->cap != 0 ? acl->cap * 2 : 8;
        acl_rule_t *grown;

        if (cap > SIZE_MAX / sizeof(*grown)) {
            return PC_E_NOMEM;
        }
        grown = realloc(acl->rules, cap * sizeof(*grown));
        if (grown == NULL) {
            return PC_E_NOMEM;
        }
        acl->rules = grown;
        acl->cap = cap;
    }
    acl->rules[acl->count++] = rule;
    return 0;
}

size_t
pc_acl_count(const pc_acl_t *acl)
{
    return acl != NULL ? acl->count : 0;
}

bool
pc_acl_allows(const pc_acl_t *acl, const pc_addr_t *client)
{
    pc_addr_t a = *client;
    size_t i;

    pc_addr_unmap(&a);
    /* Secure default: until the admin writes a rule, only this host may use
     * the proxy. */
    if (acl == NULL || acl->count == 0) {
        return pc_addr_is_loopback(&a);
    }
    for (i = 0; i < acl->count; i++) {
        const acl_rule_t *r = &acl->rules[i];

        if (pc_addr_in_cidr(&a, &r->net, r->prefix)) {
            return r->allow;
        }
    }
    return false;
}

/*
 * Parses a port number: 1-5 digits, no sign, no leading zero, 1..65535.
 * Returns the port, or 0 when the text is not one.
 */
static unsigned
parse_port(const char *s, size_t len)
{
    unsigned value = 0;
    size_t i;

    if (len == 0 || len > 5 || s[0] == '0') {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        value = value * 10 + (unsigned)(s[i] - '0');
    }
    return value <= 65535 ? value : 0;
}

int
pc_portset_add(pc_portset_t *set, const char *s, size_t len)
{
    const char *dash;
    unsigned lo, hi, p;

    if (s == NULL || len == 0) {
        return PC_E_CONF_VALUE;
    }
    dash = memchr(s, '-', len);
    if (dash == NULL) {
        lo = parse_port(s, len);
        hi = lo;
    } else {
        lo = parse_port(s, (size_t)(dash - s));
        hi = parse_port(dash + 1, len - (size_t)(dash - s) - 1);
    }
    if (lo == 0 || hi == 0 || lo > hi) {
        return PC_E_CONF_VALUE;
    }
    for (p = lo; p <= hi; p++) {
        set->bits[p / 8] |= (uint8_t)(1u << (p % 8));
    }
    return 0;
}

bool
pc_portset_has(const pc_portset_t *set, uint16_t port)
{
    return (set->bits[port / 8] >> (port % 8) & 1u) != 0;
}
