/*
 * policy.h: the destination policy (blocklists, allowlists, default policy,
 * destination guard) and its decisions.
 *
 * Built once per config snapshot from list files, read-only afterwards (safe
 * to share between threads). Pure: no I/O; list text comes in as bytes.
 *
 * Rules come from list files. Each list is either an allowlist or a
 * blocklist; every rule remembers its list and line so a refusal can name it.
 * Domain rules:
 *   example.com      the domain and every subdomain (also ".example.com" and
 *                    "||example.com^", the Squid and adblock spellings)
 *   *.example.com    subdomains only, never the apex
 *   =example.com     the apex only, never a subdomain
 * Address rules: an IPv4/IPv6 address or CIDR block, matched against an IP
 * literal host and against every resolved address.
 *
 * Decisions, in two stages:
 *   pc_policy_check_host() on the normalised target host before any DNS;
 *   pc_policy_check_addr() on each address the connector is about to use.
 * Allow beats block at each stage; the destination guard is lifted only by
 * an address allow rule, never by a name allow rule (so DNS rebinding of an
 * allowed name cannot reach an internal address).
 */
#ifndef PC_POLICY_H
#define PC_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "target.h"

typedef struct pc_policy_s pc_policy_t;

typedef enum { PC_LIST_BLOCK = 0, PC_LIST_ALLOW = 1 } pc_list_kind_t;

typedef enum {
    PC_VERDICT_PASS = 0,     /* no rule decided: go on (resolve, connect) */
    PC_VERDICT_ALLOW,        /* an allow rule matched (rule says which) */
    PC_VERDICT_BLOCK,        /* a block rule matched (rule says which) */
    PC_VERDICT_DEFAULT_DENY, /* DefaultPolicy deny and no allow rule matched */
    PC_VERDICT_GUARD         /* a guarded address (guard says which range) */
} pc_verdict_kind_t;

typedef struct {
    const char *list; /* the list's file name (owned by the policy); NULL if none */
    uint32_t line;    /* 1-based line in that list; 0 if none */
} pc_rule_ref_t;

typedef struct {
    pc_verdict_kind_t kind;
    pc_rule_ref_t rule; /* for ALLOW and BLOCK */
    const char *guard;  /* for GUARD: a static name such as "loopback" */
} pc_verdict_t;

/* True for the verdicts that refuse the request (BLOCK, DEFAULT_DENY, GUARD). */
static inline bool
pc_verdict_refuses(const pc_verdict_t *v)
{
    return v->kind == PC_VERDICT_BLOCK || v->kind == PC_VERDICT_DEFAULT_DENY
           || v->kind == PC_VERDICT_GUARD;
}

/* Creates an empty policy (allow everything); free with pc_policy_free(). */
int pc_policy_create(pc_policy_t **out);
void pc_policy_free(pc_policy_t *p);

/* DefaultPolicy deny: only what an allow rule matches goes through. */
void pc_policy_set_default_deny(pc_policy_t *p, bool on);

/* DenyPrivateDestinations: refuse guarded addresses (see pc_policy_guarded). */
void pc_policy_set_guard(pc_policy_t *p, bool on);

/*
 * Adds every rule of one list file's text. origin is the file name (copied;
 * rules refer to it). Lines: see the top of this file, plus hosts-file lines
 * ("0.0.0.0 ads.example.com [more names]": each name is a domain rule; the
 * boilerplate names of hosts files such as "localhost" are skipped), blank
 * lines, '#' comments (whole line, or after a blank), CRLF or LF ends.
 * Names in Unicode are converted to punycode when libidn2 is built in, and
 * refused otherwise. Any bad line stops the load: err receives
 * "<origin>:<line>: <message>" and PC_E_CONF_VALUE is returned (or
 * PC_E_NOMEM, also with a message). Rules already added stay added.
 */
int pc_policy_add_list(pc_policy_t *p, pc_list_kind_t kind, const char *text, size_t len,
                       const char *origin, char *err, size_t err_cap);

/* Numbers of distinct domain entries and of address entries (for logs). */
size_t pc_policy_domain_count(const pc_policy_t *p);
size_t pc_policy_addr_count(const pc_policy_t *p);

/* Bytes held by the rule tables (for logs; a million names stay far below
 * 100 MB). */
size_t pc_policy_bytes(const pc_policy_t *p);

/*
 * Stage 1, before DNS, for a target as produced by the target parser
 * (normalised host; an IPv4 host is always a dotted quad). A name is matched
 * against the domain rules: ALLOW, BLOCK, DEFAULT_DENY (default deny and no
 * address allow rule could still admit it after DNS) or PASS. An IP literal
 * is decided as pc_policy_check_addr() would decide it. Costs one hash probe
 * per label and allocates nothing.
 */
pc_verdict_t pc_policy_check_host(const pc_policy_t *p, const pc_target_t *t);

/*
 * Stage 2, for one address about to be connected to, given the stage-1
 * verdict of its host name. IPv4-mapped IPv6 is treated as IPv4. Order:
 * address allow rule -> ALLOW; guard on and guarded -> GUARD; stage-1 ALLOW
 * -> ALLOW; address block rule -> BLOCK; default deny -> DEFAULT_DENY;
 * else PASS. A refusing stage-1 verdict (which should have stopped the
 * request already) is returned unchanged; a NULL one counts as PASS.
 */
pc_verdict_t pc_policy_check_addr(const pc_policy_t *p, const pc_verdict_t *host_verdict,
                                  const pc_addr_t *a);

/*
 * The destination guard's ranges: loopback, unspecified, private (RFC 1918,
 * unique local), shared (100.64/10), link-local (which holds the cloud
 * metadata address 169.254.169.254), multicast, reserved and broadcast;
 * IPv6 forms that embed IPv4 (mapped, NAT64 64:ff9b::/96, 6to4 2002::/16)
 * are judged by the embedded address. Returns the range's name, or NULL.
 */
const char *pc_policy_guarded(const pc_addr_t *a);

#endif
