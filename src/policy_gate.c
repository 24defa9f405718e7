/*
 * policy_gate.c: applying the destination policy to a transaction.
 *
 * Owns the two checkpoints of a request and what follows from them: the
 * stage-1 check on the parsed target (before any DNS), the stage-2 check on
 * each address the connector is about to use, the 403 answers that name
 * the reason (and, with PolicyDetail, the list and line), the info line in
 * the error log, and the decision field of the access log. The decisions
 * themselves are policy.c's; this module only carries them to the wire.
 */
#include "conn.h"

#include "sockaddr.h"
#include "text.h"

#include <stdio.h>
#include <string.h>

/* A list path quoted in a reply or log line is cut here. */
#define PATH_QUOTE_MAX 200

static const char *
rule_path(const pc_verdict_t *v, char *buf)
{
    const char *list = v->rule.list != NULL ? v->rule.list : "?";

    return pc_text_quote(buf, list, strlen(list), PATH_QUOTE_MAX);
}

/* The 403 detail for a refusing verdict. */
static void
refusal_detail(const pc_conn_t *c, const pc_verdict_t *v, char *out, size_t cap)
{
    char path[PATH_QUOTE_MAX + 4];

    switch (v->kind) {
    case PC_VERDICT_BLOCK:
        if (c->conf->policy_detail) {
            snprintf(out, cap, "destination blocked by policy (%s:%u)", rule_path(v, path),
                     (unsigned)v->rule.line);
        } else {
            snprintf(out, cap, "destination blocked by policy");
        }
        break;
    case PC_VERDICT_DEFAULT_DENY:
        snprintf(out, cap, "destination not on the allowlist");
        break;
    case PC_VERDICT_GUARD:
        snprintf(out, cap, "destination address not allowed (%s)", v->guard);
        break;
    default:
        snprintf(out, cap, "destination refused by policy");
        break;
    }
}

static void
refuse(pc_conn_t *c)
{
    char detail[PATH_QUOTE_MAX + 64], decision[PATH_QUOTE_MAX + 64];

    if (PC_LOGL_INFO <= pc_log_get_level()) {
        pc__gate_decision(c, decision, sizeof(decision));
        pc_log(PC_LOGL_INFO, c->id, "%s: blocked %s %s:%u (%s)", c->peer, pc__conn_method(c),
               c->target.host, (unsigned)c->target.port, decision);
    }
    if (c->refused_by != NULL && strcmp(c->refused_by, "admin") == 0) {
        snprintf(detail, sizeof(detail), "the admin listener is not reachable through the proxy");
    } else {
        refusal_detail(c, &c->verdict, detail, sizeof(detail));
    }
    pc__conn_reply_error(c, 403, detail);
}

bool
pc__gate_host(pc_conn_t *c)
{
    c->verdict = pc_policy_check_host(c->conf->policy, &c->target);
    c->host_verdict = c->verdict;
    if (pc_verdict_refuses(&c->verdict)) {
        refuse(c);
        return false;
    }
    return true;
}

bool
pc__gate_addr(const struct sockaddr *sa, void *data)
{
    pc_conn_t *c = data;
    pc_addr_t a;
    pc_verdict_t v;

    if (pc__server_is_admin(c->server, sa)) {
        c->admin_refused = true; /* never through the proxy, whatever the policy */
        return false;
    }
    pc__sockaddr_to_addr(sa, &a);
    v = pc_policy_check_addr(c->conf->policy, &c->host_verdict, &a);
    if (pc_verdict_refuses(&v)) {
        if (!pc_verdict_refuses(&c->verdict)) {
            c->verdict = v; /* the first refusal is the one reported */
        }
        return false;
    }
    c->verdict = v;
    return true;
}

void
pc__gate_refuse_addresses(pc_conn_t *c)
{
    if (c->admin_refused && !pc_verdict_refuses(&c->verdict)) {
        c->refused_by = "admin";
    }
    refuse(c);
}

void
pc__gate_refuse_port(pc_conn_t *c)
{
    c->refused_by = "port";
    PC_LOG(PC_LOGL_INFO, c->id, "%s: blocked CONNECT %s:%u (port)", c->peer, c->target.host,
           (unsigned)c->target.port);
    pc__conn_reply_error(c, 403, "CONNECT to this port is not allowed");
}

void
pc__gate_decision(const pc_conn_t *c, char *out, size_t cap)
{
    const pc_verdict_t *v = &c->verdict;
    char path[PATH_QUOTE_MAX + 4];

    if (c->refused_by != NULL) {
        snprintf(out, cap, "%s", c->refused_by);
        return;
    }
    switch (v->kind) {
    case PC_VERDICT_ALLOW:
    case PC_VERDICT_BLOCK:
        snprintf(out, cap, "%s:%s:%u", v->kind == PC_VERDICT_ALLOW ? "allow" : "block",
                 rule_path(v, path), (unsigned)v->rule.line);
        break;
    case PC_VERDICT_DEFAULT_DENY:
        snprintf(out, cap, "default-deny");
        break;
    case PC_VERDICT_GUARD:
        snprintf(out, cap, "guard:%s", v->guard);
        break;
    default:
        snprintf(out, cap, "-");
        break;
    }
}
