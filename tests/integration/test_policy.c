/*
 * test_policy.c: the destination policy (blocklists, allowlists, default
 * policy, destination guard) and the client ACL.
 *
 * Blocklist: a listed domain blocks itself and every subdomain, whatever the
 * case and with or without a trailing dot, for plain requests and CONNECT,
 * and never a name that merely ends with the same letters. "*.name" blocks
 * only subdomains, "=name" only the apex; ".name", "||name^" and hosts-file
 * lines are other accepted spellings. Address and CIDR rules match an
 * IP-literal host in every spelling resolvers accept (2130706433, 0x7f.1,
 * ...) and every resolved address. A blocked request gets 403 and the
 * origin never sees a connection; a blocked name is refused without a DNS
 * lookup (in the sandbox a name that is not in /etc/hosts fails at once
 * with 504, so a lookup would show).
 *
 * Allowlist: an allow rule beats every block rule; with DefaultPolicy deny
 * only what an allow rule matches goes through. DenyPrivateDestinations
 * refuses guarded addresses (loopback, private, link-local, ...) after DNS;
 * only an address allow rule lifts it, never a name allow rule.
 *
 * Refusal bodies are "403 Forbidden: <detail>\n"; PolicyDetail yes adds
 * " (<list>:<line>)" for a rule match. The access log's 9th field is the
 * decision ("-", "allow:<list>:<line>", "block:<list>:<line>",
 * "default-deny", "guard:<range>", "acl", "port"), and the error log has a
 * line with "blocked" and the host. Invalid hosts get 400 and are never
 * resolved.
 *
 * ACL: the client's address is checked before anything else. With
 * "Deny 127.0.0.1/32" followed by "Allow 0.0.0.0/0" a loopback client is
 * denied. What is asserted is the spec's error answer: 403 (text/plain,
 * Content-Length, Connection: close) and then the connection closes; the
 * origin is never contacted.
 *
 * Names (blocked.test, origin-a.test, ...) resolve only in the sandbox's
 * /etc/hosts, so the tests that use them need it; the tests that use only
 * IP literals run anywhere.
 */
#include "it_policy.h"

#include <stdio.h>
#include <string.h>

/* Admits the origins' ports to CONNECT, so that only the policy can refuse. */
#define HIGH_PORTS "ConnectPort 1024-65535"

static void
expect_blocked(pc_it_fx_t *f, const char *req)
{
    pc_it_client_t *c = pc_it_fx_client(f);

    assert_int_equal(pc_it_client_send_str(c, req, PC_IT_TIMEOUT_MS), 0);
    pc_it_fx_expect_error(f, c, 403);
    pc_it_fx_close_client(f, c);
}

/* The blocklist of the first tests: "blocked.test" on line 3. */
static const char blocked_test_list[] = "# domains blocked by the integration tests\n"
                                        "\n"
                                        "blocked.test\n";

static void
test_policy_blocklist_blocks_domain_and_subdomains(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_pol_t t;

    PC_IT_REQUIRE_SANDBOX();
    t = pc_it_pol_start(f, "policy_blocklist_blocks_domain_and_subdomains", blocked_test_list, NULL,
                        HIGH_PORTS);
    expect_blocked(f, pc_it_fx_get_req(f, "blocked.test", t.port));
    expect_blocked(f, pc_it_fx_get_req(f, "www.blocked.test", t.port));
    expect_blocked(f, pc_it_fx_get_req(f, "WWW.Blocked.Test.", t.port));
    expect_blocked(
        f, pc_it_fx_strf(f, "CONNECT www.blocked.test:%d HTTP/1.1\r\nHost: h\r\n\r\n", t.port));
    expect_blocked(
        f, pc_it_fx_strf(f, "CONNECT BLOCKED.test.:%d HTTP/1.1\r\nHost: h\r\n\r\n", t.port));
    assert_int_equal(pc_it_origin_request_count(t.origin), 0);
}

static void
test_policy_blocklist_spares_lookalike_names(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_pol_t t;

    PC_IT_REQUIRE_SANDBOX();
    t = pc_it_pol_start(f, "policy_blocklist_spares_lookalike_names", blocked_test_list, NULL,
                        HIGH_PORTS);
    pc_it_pol_expect_get_ok(f, "badblocked.test", t.port);
    assert_int_equal(pc_it_origin_request_count(t.origin), 1);
}

/* Starts the proxy with an ACL and expects a loopback client to be denied. */
static void
expect_client_denied(pc_it_fx_t *f, const char *name, const char *acl)
{
    pc_it_pol_t t = pc_it_pol_start(f, name, NULL, NULL, acl);

    pc_it_fx_expect_refused(f, pc_it_fx_get_req(f, "127.0.0.1", t.port), 403, NULL);
    assert_int_equal(pc_it_origin_request_count(t.origin), 0);
}

static void
test_policy_acl_deny_before_allow_all(void **state)
{
    expect_client_denied(*state, "policy_acl_deny_before_allow_all",
                         "Deny 127.0.0.1/32\nAllow 0.0.0.0/0");
}

static void
test_policy_acl_rules_replace_loopback_default(void **state)
{
    expect_client_denied(*state, "policy_acl_rules_replace_loopback_default", "Allow 10.0.0.0/8");
}

static void
test_policy_acl_allows_listed_client(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_pol_t t = pc_it_pol_start(f, "policy_acl_allows_listed_client", NULL, NULL,
                                    "Allow 10.0.0.0/8\nAllow 127.0.0.0/8");

    pc_it_pol_expect_get_ok(f, "127.0.0.1", t.port);
}

/* A GET and a CONNECT for each of the hosts (NULL-terminated) are refused: 403, detail. */
static void
expect_all_refused(pc_it_fx_t *f, const char *const *hosts, int port, const char *detail)
{
    for (; *hosts != NULL; hosts++) {
        pc_it_pol_expect_both_refused(f, *hosts, port, detail);
    }
}

/* A GET for each of the hosts (NULL-terminated) gets 200 "ok". */
static void
expect_all_get_ok(pc_it_fx_t *f, const char *const *hosts, int port)
{
    for (; *hosts != NULL; hosts++) {
        pc_it_pol_expect_get_ok(f, *hosts, port);
    }
}

/* Every spelling of 127.0.0.1 that resolvers accept, as a URL host, then [::1]. */
static const char *const loopback_hosts[] = {
    "127.0.0.1", "2130706433",         "0x7f000001", "0177.0.0.1", "127.1",
    "0x7f.1",    "[::ffff:127.0.0.1]", "[::1]",      NULL,
};

/*
 * An address rule and a CIDR rule catch the IP-literal host however it is
 * spelled, over plain HTTP and CONNECT (ConnectPort admits the origin's
 * port, so only the policy can refuse).
 */
static void
test_policy_address_rule_every_ip_spelling(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_pol_t t = pc_it_pol_start(f, "policy_address_rule_every_ip_spelling",
                                    "# loopback, by address\n127.0.0.0/8\n::1\n", NULL, HIGH_PORTS);

    expect_all_refused(f, loopback_hosts, t.port, PC_IT_DETAIL_BLOCKED);
    pc_it_pol_expect_both_refused(f, "[0:0:0:0:0:0:0:1]", t.port, PC_IT_DETAIL_BLOCKED);
    assert_int_equal(pc_it_origin_request_count(t.origin), 0);
}

/* A name whose address is in a blocked CIDR is refused after DNS. */
static void
test_policy_address_rule_checks_resolved_address(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_pol_t t;

    PC_IT_REQUIRE_SANDBOX();
    t = pc_it_pol_start(f, "policy_address_rule_checks_resolved_address", "127.0.0.0/8\n", NULL,
                        HIGH_PORTS);
    pc_it_pol_expect_both_refused(f, "origin-a.test", t.port, PC_IT_DETAIL_BLOCKED);
    assert_int_equal(pc_it_origin_request_count(t.origin), 0);
}

/*
 * The other list spellings: ".name" and "||name^" (domain and subdomains),
 * hosts-file lines (every name after the address; the boilerplate
 * "localhost" is skipped and the sink address is not a rule), comments
 * after a blank, and blank lines.
 */
static void
test_policy_list_line_syntaxes(void **state)
{
    static const char text[] = "# adblock, Squid and hosts-file spellings\n"
                               ".origin-a.test\n"
                               "||origin-b.test^\n"
                               "\n"
                               "127.0.0.1 localhost\n"
                               "0.0.0.0 hosts-a.test hosts-b.test # two names\n";
    static const char *const blocked[] = {"origin-a.test",
                                          "www.origin-a.test",
                                          "origin-b.test",
                                          "x.y.origin-b.test",
                                          "hosts-a.test",
                                          "Hosts-B.test.",
                                          NULL};
    static const char *const passed[] = {"localhost", "127.0.0.1", NULL};
    pc_it_fx_t *f = *state;
    pc_it_pol_t t;

    PC_IT_REQUIRE_SANDBOX();
    t = pc_it_pol_start(f, "policy_list_line_syntaxes", text, NULL, HIGH_PORTS);
    expect_all_refused(f, blocked, t.port, PC_IT_DETAIL_BLOCKED);
    assert_int_equal(pc_it_origin_request_count(t.origin), 0);
    expect_all_get_ok(f, passed, t.port);
    assert_int_equal(pc_it_origin_request_count(t.origin), 2);
}

/* "*.wild.test" spares wild.test itself; "=exact.test" spares subdomains. */
static void
test_policy_wildcard_and_exact_forms(void **state)
{
    static const char *const blocked[] = {"www.wild.test", "a.b.WILD.test.", "exact.test",
                                          "EXACT.test.", NULL};
    static const char *const passed[] = {"wild.test", "www.exact.test", NULL};
    pc_it_fx_t *f = *state;
    pc_it_pol_t t;

    PC_IT_REQUIRE_SANDBOX();
    t = pc_it_pol_start(f, "policy_wildcard_and_exact_forms", "*.wild.test\n=exact.test\n", NULL,
                        HIGH_PORTS);
    expect_all_refused(f, blocked, t.port, PC_IT_DETAIL_BLOCKED);
    assert_int_equal(pc_it_origin_request_count(t.origin), 0);
    expect_all_get_ok(f, passed, t.port);
    assert_int_equal(pc_it_origin_request_count(t.origin), 2);
}

/*
 * An allow rule beats every block rule: good.blocked.test is allowed
 * although both the name rule "blocked.test" and the address rule
 * "127.0.0.0/8" (its resolved address) block it; its siblings stay blocked,
 * and another name is still caught by the address rule after DNS.
 */
static void
test_policy_allow_beats_block(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_pol_t t;

    PC_IT_REQUIRE_SANDBOX();
    t = pc_it_pol_start(f, "policy_allow_beats_block", "blocked.test\n127.0.0.0/8\n",
                        "good.blocked.test\n", NULL);
    pc_it_pol_expect_get_ok(f, "good.blocked.test", t.port);
    pc_it_pol_expect_get_ok(f, "GOOD.Blocked.Test.", t.port);
    assert_int_equal(pc_it_origin_request_count(t.origin), 2);
    pc_it_pol_expect_get_blocked(f, "www.blocked.test", t.port);
    pc_it_pol_expect_get_blocked(f, "blocked.test", t.port);
    pc_it_pol_expect_get_blocked(f, "origin-a.test", t.port);
    assert_int_equal(pc_it_origin_request_count(t.origin), 2);
}

/*
 * DefaultPolicy deny: only the allowed name goes through. Anything else,
 * an IP literal included, is refused; a name is refused before DNS
 * (nosuch.invalid would fail to resolve with 504).
 */
static void
test_policy_default_deny_allowlist_only(void **state)
{
    static const char *const not_allowed[] = {"origin-b.test", "127.0.0.1", "2130706433", NULL};
    pc_it_fx_t *f = *state;
    pc_it_pol_t t;

    PC_IT_REQUIRE_SANDBOX();
    t = pc_it_pol_start(f, "policy_default_deny_allowlist_only", NULL, "origin-a.test\n",
                        "DefaultPolicy deny\n" HIGH_PORTS);
    pc_it_pol_expect_get_ok(f, "origin-a.test", t.port);
    assert_int_equal(pc_it_origin_request_count(t.origin), 1);
    expect_all_refused(f, not_allowed, t.port, PC_IT_DETAIL_NOT_ALLOWED);
    pc_it_fx_expect_refused(f, pc_it_fx_get_req(f, "nosuch.invalid", t.port), 403,
                            PC_IT_DETAIL_NOT_ALLOWED);
    assert_int_equal(pc_it_origin_request_count(t.origin), 1);
}

/* DefaultPolicy deny with an address allow rule: a name resolving into it passes. */
static void
test_policy_default_deny_address_allow_admits_name(void **state)
{
    static const char *const passed[] = {"origin-b.test", "127.0.0.1", "0x7f.1", NULL};
    pc_it_fx_t *f = *state;
    pc_it_pol_t t;

    PC_IT_REQUIRE_SANDBOX();
    t = pc_it_pol_start(f, "policy_default_deny_address_allow_admits_name", NULL, "127.0.0.0/8\n",
                        "DefaultPolicy deny");
    expect_all_get_ok(f, passed, t.port);
    assert_int_equal(pc_it_origin_request_count(t.origin), 3);
}

/* DenyPrivateDestinations yes: loopback literals, however spelled. */
static void
test_policy_guard_refuses_loopback_literals(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_pol_t t = pc_it_pol_start(f, "policy_guard_refuses_loopback_literals", NULL, NULL,
                                    "DenyPrivateDestinations yes\n" HIGH_PORTS);

    expect_all_refused(f, loopback_hosts, t.port, PC_IT_DETAIL_LOOPBACK);
    assert_int_equal(pc_it_origin_request_count(t.origin), 0);
}

/*
 * The guard judges the resolved address: a name that resolves to 127.0.0.1
 * (DNS rebinding) is refused, even when a name allow rule lists it. Private,
 * shared, unique-local and link-local (metadata) literals are refused too,
 * named by their range (docs/policy.md); in the sandbox there is no route to
 * them, so a missing guard shows as a 502/504, not a packet leaving the
 * machine.
 */
static void
test_policy_guard_checks_resolved_address(void **state)
{
    static const char *const guarded[][2] = {
        {"10.1.2.3", "private"},           {"192.168.0.1", "private"},
        {"172.16.0.1", "private"},         {"100.100.100.200", "shared"},
        {"169.254.169.254", "link-local"}, {"0xa9fea9fe", "link-local"},
        {"[fe80::1]", "link-local"},       {"[fd00::1]", "unique-local"},
    };
    static const char *const resolving_to_loopback[] = {"origin-a.test", "origin-b.test",
                                                        "localhost", NULL};
    pc_it_fx_t *f = *state;
    pc_it_pol_t t;
    size_t i;

    PC_IT_REQUIRE_SANDBOX();
    t = pc_it_pol_start(f, "policy_guard_checks_resolved_address", NULL, "origin-a.test\n",
                        "DenyPrivateDestinations yes\n" HIGH_PORTS);
    expect_all_refused(f, resolving_to_loopback, t.port, PC_IT_DETAIL_LOOPBACK);
    assert_int_equal(pc_it_origin_request_count(t.origin), 0);
    for (i = 0; i < sizeof(guarded) / sizeof(guarded[0]); i++) {
        pc_it_fx_expect_refused(
            f, pc_it_fx_get_req(f, guarded[i][0], 80), 403,
            pc_it_fx_strf(f, "destination address not allowed (%s)", guarded[i][1]));
    }
}

/*
 * Only an address allow rule lifts the guard, and only for its own range:
 * with "127.0.0.0/8" allowed, 127.0.0.1 and a name resolving to it pass
 * (GET and CONNECT), ::1 is still refused.
 */
static void
test_policy_guard_lifted_by_address_allow(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_opts_t opts;
    pc_it_pol_t t;
    pc_it_origin_t *tunnel;
    pc_it_client_t *c;
    size_t len;

    PC_IT_REQUIRE_SANDBOX();
    memset(&opts, 0, sizeof(opts));
    opts.mode = PC_IT_ORIGIN_TUNNEL;
    opts.echo = true;
    tunnel = pc_it_fx_origin(f, &opts);
    t = pc_it_pol_start(f, "policy_guard_lifted_by_address_allow", NULL, "127.0.0.0/8\n",
                        "DenyPrivateDestinations yes\n" HIGH_PORTS);
    pc_it_pol_expect_get_ok(f, "127.0.0.1", t.port);
    pc_it_pol_expect_get_ok(f, "origin-a.test", t.port);
    assert_int_equal(pc_it_origin_request_count(t.origin), 2);
    c = pc_it_fx_client(f);
    assert_int_equal(
        pc_it_client_send_str(
            c,
            pc_it_fx_strf(f, "%sping",
                          pc_it_fx_connect_req(f, "origin-b.test", pc_it_origin_port(tunnel))),
            PC_IT_TIMEOUT_MS),
        0);
    assert_int_equal(pc_it_client_wait_bytes(c, 39 + 4, PC_IT_TIMEOUT_MS), 0);
    pc_it_assert_bytes("tunnel", pc_it_client_data(c, &len), 39 + 4,
                       "HTTP/1.1 200 Connection Established\r\n\r\nping", 39 + 4);
    pc_it_fx_close_client(f, c);
    pc_it_fx_expect_refused(f, pc_it_fx_get_req(f, "[::1]", t.port), 403, PC_IT_DETAIL_LOOPBACK);
}

/* Two blocklists; the rule that matches is line 3 of the second one. */
static const char *
start_with_two_lists(pc_it_fx_t *f, const char *name, const char *extra)
{
    const char *first = pc_it_fx_write_file(f, name, "first.txt", "10.0.0.0/8\n");
    const char *second =
        pc_it_fx_write_file(f, name, "second.txt", "# loopback\n\n127.0.0.0/8\n::1\n");

    pc_it_fx_proxy(f, name,
                   pc_it_fx_strf(f, "Blocklist %s\nBlocklist %s\n%s", first, second, extra));
    return second;
}

static void
test_policy_detail_names_list_and_line(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, PC_IT_OK_RESPONSE);
    const char *second =
        start_with_two_lists(f, "policy_detail_names_list_and_line", "PolicyDetail yes");

    pc_it_fx_expect_refused(f, pc_it_fx_get_req(f, "127.0.0.1", pc_it_origin_port(o)), 403,
                            pc_it_fx_strf(f, "%s (%s:3)", PC_IT_DETAIL_BLOCKED, second));
    pc_it_fx_expect_refused(f, pc_it_fx_get_req(f, "[::1]", pc_it_origin_port(o)), 403,
                            pc_it_fx_strf(f, "%s (%s:4)", PC_IT_DETAIL_BLOCKED, second));
    assert_int_equal(pc_it_origin_accepts(o), 0);
}

/* Without PolicyDetail the body does not name the list (exact body). */
static void
test_policy_detail_off_by_default(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, PC_IT_OK_RESPONSE);

    (void)start_with_two_lists(f, "policy_detail_off_by_default", "");
    pc_it_pol_expect_get_blocked(f, "127.0.0.1", pc_it_origin_port(o));
    assert_int_equal(pc_it_origin_accepts(o), 0);
}

/* One access log line: the eight fields the lifecycle tests check, then the decision. */
typedef struct {
    char method[16];
    char target[256];
    int status;
    char decision[512];
} decision_line_t;

static void
parse_decision_line(const char *line, decision_line_t *l)
{
    char time[64];
    char client[64];
    unsigned long long in;
    unsigned long long out;
    unsigned long long ms, id;
    char upstream[64], user[64];
    char tail;

    memset(l, 0, sizeof(*l));
    if (sscanf(line, "%63s %63s %15s %255s %d %llu %llu %llu %511s %llu %63s %63s%c", time, client,
               l->method, l->target, &l->status, &in, &out, &ms, l->decision, &id, upstream, user,
               &tail)
        != 12) {
        fail_msg("want 12 fields in the access log line \"%s\"", line);
    }
}

/* Waits for access log line number n (from 1) and checks it. */
static void
expect_decision(pc_it_fx_t *f, size_t n, const char *method, int status, const char *decision)
{
    decision_line_t l;

    parse_decision_line(pc_it_fx_wait_log_lines(f, f->proxy, n)[n - 1], &l);
    assert_string_equal(l.method, method);
    assert_int_equal(l.status, status);
    assert_string_equal(l.decision, decision);
}

/*
 * A `method` ("GET" or "CONNECT") for host:port is refused with 403 and
 * detail, logged as access log line n with `decision`, and the error log
 * gets a line with "blocked" and the host.
 */
static void
expect_logged_refusal(pc_it_fx_t *f, const char *method, const char *host, int port,
                      const char *detail, size_t n, const char *decision)
{
    bool get = strcmp(method, "GET") == 0;
    size_t mark = pc_it_fx_stderr_mark(f->proxy);

    pc_it_fx_expect_refused(
        f, get ? pc_it_fx_get_req(f, host, port) : pc_it_fx_connect_req(f, host, port), 403,
        detail);
    expect_decision(f, n, method, 403, decision);
    (void)pc_it_fx_wait_stderr_line(f, f->proxy, mark, "blocked", host);
}

/*
 * Decisions of the rules: "-" (no rule involved), "block:<list>:<line>",
 * "allow:<list>:<line>", "port"; refusals are logged with "blocked" and
 * the host at info level.
 */
static void
test_policy_access_log_rule_decisions(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_pol_t t;
    const char *blocked_by;

    PC_IT_REQUIRE_SANDBOX();
    t = pc_it_pol_start(f, "policy_access_log_rule_decisions", "# blocked\nblocked.test\n",
                        "good.blocked.test\n", HIGH_PORTS);
    blocked_by = pc_it_fx_strf(f, "block:%s:2", t.blocklist);
    pc_it_pol_expect_get_ok(f, "127.0.0.1", t.port);
    expect_decision(f, 1, "GET", 200, "-");
    expect_logged_refusal(f, "GET", "blocked.test", t.port, PC_IT_DETAIL_BLOCKED, 2, blocked_by);
    pc_it_pol_expect_get_ok(f, "badblocked.test", t.port);
    expect_decision(f, 3, "GET", 200, "-");
    pc_it_pol_expect_get_ok(f, "good.blocked.test", t.port);
    expect_decision(f, 4, "GET", 200, pc_it_fx_strf(f, "allow:%s:1", t.allowlist));
    expect_logged_refusal(f, "CONNECT", "www.blocked.test", t.port, PC_IT_DETAIL_BLOCKED, 5,
                          blocked_by);
    pc_it_fx_expect_refused(f, pc_it_fx_connect_req(f, "127.0.0.1", 1), 403,
                            "CONNECT to this port is not allowed");
    expect_decision(f, 6, "CONNECT", 403, "port");
}

static void
test_policy_access_log_default_deny(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_pol_t t = pc_it_pol_start(f, "policy_access_log_default_deny", NULL, "10.0.0.0/8\n",
                                    "DefaultPolicy deny");

    expect_logged_refusal(f, "GET", "127.0.0.1", t.port, PC_IT_DETAIL_NOT_ALLOWED, 1,
                          "default-deny");
    assert_int_equal(pc_it_origin_request_count(t.origin), 0);
}

static void
test_policy_access_log_guard(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_pol_t t =
        pc_it_pol_start(f, "policy_access_log_guard", NULL, NULL, "DenyPrivateDestinations yes");

    expect_logged_refusal(f, "GET", "127.0.0.1", t.port, PC_IT_DETAIL_LOOPBACK, 1,
                          "guard:loopback");
    assert_int_equal(pc_it_origin_request_count(t.origin), 0);
}

static void
test_policy_access_log_acl(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_pol_t t = pc_it_pol_start(f, "policy_access_log_acl", NULL, NULL,
                                    "Deny 127.0.0.1/32\nAllow 0.0.0.0/0");
    decision_line_t l;

    pc_it_fx_expect_refused(f, pc_it_fx_get_req(f, "127.0.0.1", t.port), 403,
                            "client address not allowed");
    /* The request may not have been read: only status and decision count. */
    parse_decision_line(pc_it_fx_wait_log_lines(f, f->proxy, 1)[0], &l);
    assert_int_equal(l.status, 403);
    assert_string_equal(l.decision, "acl");
    assert_int_equal(pc_it_origin_request_count(t.origin), 0);
}

/*
 * Hosts that are not host names get 400 and are never resolved or
 * connected to: percent-encoding (even one that would decode to the
 * origin's address), empty labels, a 64-byte label, a 255-byte name,
 * userinfo and a control byte. (test_errors.c has no host cases.)
 */
static void
test_policy_invalid_hosts_400(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_pol_t t;
    char label[65];
    char *longname;
    const char *hosts[8];
    size_t i;

    PC_IT_REQUIRE_SANDBOX();
    memset(label, 'a', 64);
    label[64] = '\0';
    longname = pc_it_fx_strf(f, "%.63s.%.63s.%.63s.%.63s", label, label, label, label);
    assert_int_equal(strlen(longname), 255);
    hosts[0] = "127.0.0.%31";
    hosts[1] = "ex%61mple.test";
    hosts[2] = "a..b";
    hosts[3] = "blocked.test..";
    hosts[4] = pc_it_fx_strf(f, "%s.test", label);
    hosts[5] = longname;
    hosts[6] = "user@127.0.0.1";
    hosts[7] = "a\x01"
               "b.test";
    t = pc_it_pol_start(f, "policy_invalid_hosts_400", NULL, NULL, HIGH_PORTS);
    for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        pc_it_fx_expect_refused(f, pc_it_fx_get_req(f, hosts[i], t.port), 400, NULL);
        pc_it_fx_expect_refused(f, pc_it_fx_connect_req(f, hosts[i], t.port), 400, NULL);
    }
    assert_int_equal(pc_it_origin_request_count(t.origin), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        PC_IT_TEST(test_policy_blocklist_blocks_domain_and_subdomains),
        PC_IT_TEST(test_policy_blocklist_spares_lookalike_names),
        PC_IT_TEST(test_policy_acl_deny_before_allow_all),
        PC_IT_TEST(test_policy_acl_rules_replace_loopback_default),
        PC_IT_TEST(test_policy_acl_allows_listed_client),
        PC_IT_TEST(test_policy_address_rule_every_ip_spelling),
        PC_IT_TEST(test_policy_address_rule_checks_resolved_address),
        PC_IT_TEST(test_policy_list_line_syntaxes),
        PC_IT_TEST(test_policy_wildcard_and_exact_forms),
        PC_IT_TEST(test_policy_allow_beats_block),
        PC_IT_TEST(test_policy_default_deny_allowlist_only),
        PC_IT_TEST(test_policy_default_deny_address_allow_admits_name),
        PC_IT_TEST(test_policy_guard_refuses_loopback_literals),
        PC_IT_TEST(test_policy_guard_checks_resolved_address),
        PC_IT_TEST(test_policy_guard_lifted_by_address_allow),
        PC_IT_TEST(test_policy_detail_names_list_and_line),
        PC_IT_TEST(test_policy_detail_off_by_default),
        PC_IT_TEST(test_policy_access_log_rule_decisions),
        PC_IT_TEST(test_policy_access_log_default_deny),
        PC_IT_TEST(test_policy_access_log_guard),
        PC_IT_TEST(test_policy_access_log_acl),
        PC_IT_TEST(test_policy_invalid_hosts_400),
    };

    pc_it_sys_init();
    return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
