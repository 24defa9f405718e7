/*
 * fuzz_policy_list.c: list files, as pc_policy_add_list() reads them.
 *
 * The first input byte chooses the setup, the rest is the list text:
 *   bit 0  the list is an allowlist (else a blocklist);
 *   bit 1  the same text is also added as a list of the other kind;
 *   bit 2  the same text is added a second time as the same kind;
 *   bit 3  DefaultPolicy deny;  bit 4  the destination guard;
 *   bit 5  a short error buffer (4 bytes), to test truncation.
 * Then a few fixed targets, and every name that a plain domain line of the
 * text spells, are looked up. Besides "no crash, no leak", the target checks
 * the contract of policy.h:
 *   - a refused list reports "<origin>:<line>: ..." within err_cap bytes,
 *     NUL-terminated, and never writes past err_cap;
 *   - adding the same text again changes no count and gives the same error;
 *   - a verdict only comes from what was configured (no BLOCK without a
 *     blocklist, no GUARD without the guard ...), and names its list and a
 *     line that exists;
 *   - when the whole text was accepted, each "name", ".name", "||name^",
 *     "*.name" and "=name" line decides the names it covers: the apex and/or
 *     a subdomain, as a block or, when allowed too, as an allow.
 */
#include "fuzz.h"

#include "addr.h"
#include "policy.h"
#include "portcullis/error.h"
#include "target.h"

#include <stdbool.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define F_ALLOW     0x01
#define F_BOTH      0x02
#define F_TWICE     0x04
#define F_DENY      0x08
#define F_GUARD     0x10
#define F_SHORT_ERR 0x20
#define ERR_BUF     256
#define ERR_SHORT   4
#define CANARY      0xa5

static const char *const origins[2] = {"block.list", "allow.list"};

/* Targets looked up whatever the list says. */
static const char *const fixed_targets[] = {
    "example.com:443",
    "www.example.com:443",
    "ads.example.net:443",
    "localhost:443",
    "a.b.c.d.e.f.g:443",
    "xn--bcher-kva.example:443",
    "0.0.0.0:443",
    "127.0.0.1:443",
    "10.1.2.3:443",
    "169.254.169.254:80",
    "[::1]:443",
    "[2001:db8::1]:443",
    "[::ffff:192.0.2.1]:443",
};

typedef struct {
    const char *text;
    size_t len;
    size_t lines; /* number of lines the text has */
    bool has[2];  /* a list of this kind was added */
    bool deny;
    bool guard;
} setup_t;

static size_t
count_lines(const char *s, size_t len)
{
    size_t n = 1;
    size_t i;

    for (i = 0; i < len; i++) {
        n += s[i] == '\n';
    }
    return n;
}

/* Checks err after a refused add: "<origin>:<line>: ..." or a message. */
static void
check_error(const unsigned char *err, size_t cap, const setup_t *su, const char *origin, int rc)
{
    size_t i, n, olen = strlen(origin);
    size_t line = 0;

    PC_FUZZ_CHECK(rc == PC_E_CONF_VALUE || rc == PC_E_NOMEM);
    for (i = cap; i < ERR_BUF; i++) {
        PC_FUZZ_CHECK(err[i] == CANARY);
    }
    PC_FUZZ_CHECK(memchr(err, '\0', cap) != NULL);
    n = strlen((const char *)err);
    if (cap < ERR_BUF || rc != PC_E_CONF_VALUE) {
        return;
    }
    PC_FUZZ_CHECK(n > olen + 1 && memcmp(err, origin, olen) == 0 && err[olen] == ':');
    for (i = olen + 1; i < n && err[i] >= '0' && err[i] <= '9'; i++) {
        line = line * 10 + (size_t)(err[i] - '0');
    }
    PC_FUZZ_CHECK(i < n && err[i] == ':');
    PC_FUZZ_CHECK(line >= 1 && line <= su->lines);
}

/* Adds the text once. Returns the result; err_out receives the message. */
static int
add(pc_policy_t *p, const setup_t *su, pc_list_kind_t kind, size_t cap, char *err_out)
{
    unsigned char err[ERR_BUF];
    int rc;

    memset(err, CANARY, sizeof(err));
    rc = pc_policy_add_list(p, kind, su->text, su->len, origins[kind], (char *)err, cap);
    if (rc != 0) {
        check_error(err, cap, su, origins[kind], rc);
        memcpy(err_out, err, cap);
    } else {
        err_out[0] = '\0';
    }
    return rc;
}

static void
check_refs(const setup_t *su, const pc_verdict_t *v, bool literal)
{
    switch (v->kind) {
    case PC_VERDICT_PASS:
        break;
    case PC_VERDICT_ALLOW:
    case PC_VERDICT_BLOCK: {
        pc_list_kind_t k = v->kind == PC_VERDICT_ALLOW ? PC_LIST_ALLOW : PC_LIST_BLOCK;

        PC_FUZZ_CHECK(su->has[k]);
        PC_FUZZ_CHECK(v->rule.list != NULL && strcmp(v->rule.list, origins[k]) == 0);
        PC_FUZZ_CHECK(v->rule.line >= 1 && v->rule.line <= su->lines);
        break;
    }
    case PC_VERDICT_DEFAULT_DENY:
        PC_FUZZ_CHECK(su->deny);
        break;
    case PC_VERDICT_GUARD:
        PC_FUZZ_CHECK(su->guard && literal);
        PC_FUZZ_CHECK(v->guard != NULL);
        break;
    default:
        pc_fuzz_fail("unknown verdict kind", __FILE__, __LINE__);
    }
}

/*
 * Looks t up as the proxy would: stage 1, then (unless refused) stage 2 for
 * the literal itself or, for a name, for two addresses it could resolve to.
 */
static void
lookup(const pc_policy_t *p, const setup_t *su, const pc_target_t *t)
{
    static const char *const resolved[] = {"127.0.0.1", "93.184.216.34"};
    pc_verdict_t v = pc_policy_check_host(p, t);
    pc_addr_t a;
    bool literal = pc_addr_parse(t->host, t->host_len, &a) == 0;
    size_t i;

    PC_FUZZ_CHECK(literal || !t->is_ipv6);
    check_refs(su, &v, literal);
    if (pc_verdict_refuses(&v)) {
        return;
    }
    if (literal) {
        v = pc_policy_check_addr(p, &v, &a);
        check_refs(su, &v, true);
        return;
    }
    for (i = 0; i < ARRAY_LEN(resolved); i++) {
        pc_verdict_t v2;

        PC_FUZZ_CHECK(pc_addr_parse(resolved[i], strlen(resolved[i]), &a) == 0);
        v2 = pc_policy_check_addr(p, &v, &a);
        check_refs(su, &v2, true);
    }
}

/* True for a label spelled as a number: digits, or "0x" and hex digits. */
static bool
numeric_label(const char *s, size_t len)
{
    size_t i = 0;

    if (len >= 2 && s[0] == '0' && s[1] == 'x') {
        for (i = 2; i < len && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'));
             i++) {
        }
        return i == len;
    }
    for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
    }
    return len > 0 && i == len;
}

/*
 * If line[0..len) is a domain line in one of the plain forms, sets *apex and
 * *subs to what it covers and host to the name. Returns false otherwise
 * (hosts-file lines, comments, addresses, Unicode, anything unusual).
 */
static bool
plain_domain_line(const char *line, size_t len, bool *apex, bool *subs, char *host,
                  size_t *host_len)
{
    size_t i, dots = 0, last = 0;

    *apex = true;
    *subs = true;
    if (len >= 2 && line[0] == '*' && line[1] == '.') {
        line += 2, len -= 2, *apex = false;
    } else if (len >= 1 && line[0] == '=') {
        line += 1, len -= 1, *subs = false;
    } else if (len >= 3 && line[0] == '|' && line[1] == '|' && line[len - 1] == '^') {
        line += 2, len -= 3;
    } else if (len >= 1 && line[0] == '.') {
        line += 1, len -= 1;
    }
    for (i = 0; i < len; i++) {
        char c = line[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
              || c == '_' || c == '.')) {
            return false;
        }
        if (c == '.' && i + 1 < len) {
            dots++;
            last = i + 1;
        }
    }
    *host_len = pc_host_normalise(line, len, host);
    if (*host_len == 0 || dots == 0) {
        return false;
    }
    /* A numeric last label ("1", "0x1f") makes it an address; the boilerplate
     * names of hosts files may be skipped: neither is a plain domain rule. */
    if (numeric_label(host + last, *host_len - last)) {
        return false;
    }
    return strncmp(host, "localhost", 9) != 0 && strncmp(host, "ip6-", 4) != 0;
}

static void
check_covered(const pc_policy_t *p, const setup_t *su, const char *host, size_t host_len)
{
    pc_target_t t;
    pc_verdict_t v;

    PC_FUZZ_CHECK(pc_target_parse_authority(host, host_len, 443, &t) == 0);
    v = pc_policy_check_host(p, &t);
    if (su->has[PC_LIST_ALLOW]) {
        PC_FUZZ_CHECK(v.kind == PC_VERDICT_ALLOW);
    } else {
        PC_FUZZ_CHECK(v.kind == PC_VERDICT_BLOCK);
    }
}

/* Looks up every name a plain domain line spells, and a subdomain of it. */
static void
check_lines(const pc_policy_t *p, const setup_t *su)
{
    const char *s = su->text;
    const char *end = s + su->len;

    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t len = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);
        char host[PC_HOST_MAX + 3];
        size_t host_len;
        bool apex, subs;

        if (len > 0 && s[len - 1] == '\r') {
            len--;
        }
        if (plain_domain_line(s, len, &apex, &subs, host + 2, &host_len)) {
            if (apex) {
                check_covered(p, su, host + 2, host_len);
            }
            if (subs && host_len + 2 <= PC_HOST_MAX) {
                host[0] = 'a';
                host[1] = '.';
                check_covered(p, su, host, host_len + 2);
            }
        }
        s = nl != NULL ? nl + 1 : end;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pc_policy_t *p = NULL;
    setup_t su;
    unsigned flags;
    pc_list_kind_t kind;
    size_t cap, i, domains, addrs;
    char err1[ERR_BUF], err2[ERR_BUF];
    int rc, rc_other = 0;

    if (size == 0) {
        return 0;
    }
    flags = data[0];
    memset(&su, 0, sizeof(su));
    su.text = (const char *)data + 1;
    su.len = size - 1;
    su.lines = count_lines(su.text, su.len);
    su.deny = (flags & F_DENY) != 0;
    su.guard = (flags & F_GUARD) != 0;
    kind = (flags & F_ALLOW) ? PC_LIST_ALLOW : PC_LIST_BLOCK;
    cap = (flags & F_SHORT_ERR) ? ERR_SHORT : ERR_BUF;

    PC_FUZZ_CHECK(pc_policy_create(&p) == 0 && p != NULL);
    pc_policy_set_default_deny(p, su.deny);
    pc_policy_set_guard(p, su.guard);
    su.has[kind] = true;
    rc = add(p, &su, kind, cap, err1);
    if (flags & F_BOTH) {
        pc_list_kind_t other = kind == PC_LIST_ALLOW ? PC_LIST_BLOCK : PC_LIST_ALLOW;

        su.has[other] = true;
        rc_other = add(p, &su, other, cap, err2);
    }
    if (flags & F_TWICE) {
        domains = pc_policy_domain_count(p);
        addrs = pc_policy_addr_count(p);
        PC_FUZZ_CHECK(add(p, &su, kind, cap, err2) == rc);
        PC_FUZZ_CHECK(rc == 0 || strncmp(err1, err2, cap) == 0);
        PC_FUZZ_CHECK(pc_policy_domain_count(p) == domains);
        PC_FUZZ_CHECK(pc_policy_addr_count(p) >= addrs);
    }

    for (i = 0; i < ARRAY_LEN(fixed_targets); i++) {
        pc_target_t t;

        PC_FUZZ_CHECK(pc_target_parse_authority(fixed_targets[i], strlen(fixed_targets[i]), 0, &t)
                      == 0);
        lookup(p, &su, &t);
    }
    if (rc == 0 && rc_other == 0) {
        check_lines(p, &su);
    }
    pc_policy_free(p);
    return 0;
}
