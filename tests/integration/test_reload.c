/*
 * test_reload.c: policy reloads (SIGHUP) under load, and list checking.
 *
 * SIGHUP re-reads the config and every list and swaps the new snapshot in
 * only if all of it is valid; stderr then says "configuration reloaded".
 * Otherwise stderr says "reload failed, keeping the running configuration:
 * <file>:<line>: <message>" and the old rules stay in force, all of them
 * (no half-applied list). What runs across a reload is not dropped:
 *
 *   - a CONNECT tunnel whose target the new rules block keeps relaying
 *     until it ends: 10 MiB each way arrive intact, checked by hash;
 *   - a plain request already sent to its origin when the reload happens is
 *     answered in full (200 and its body);
 *   - everything that starts after "configuration reloaded" sees the new
 *     rules: a new connection, and also a new request on a keep-alive
 *     connection that was opened before the reload.
 *
 * "portcullis -t" reads the lists too: a bad line is a non-zero exit with
 * "<list>:<line>:" on stderr, and so is starting with it.
 *
 * The names resolve only in the sandbox's /etc/hosts, so the reload tests
 * need it.
 */
#include "it_policy.h"

#include <stdlib.h>
#include <string.h>

#define MIB (1024u * 1024u)

/* A line every list parser must refuse: a prefix longer than 32 bits. */
static const char bad_line[] = "10.0.0.0/33";

/* Skips where the OS has no SIGHUP (the reload event comes another way there). */
static void
require_sighup(void)
{
    if (pc_it_sys_sighup() == 0) {
        print_message("skipped: no SIGHUP on this OS\n");
        skip();
    }
}

/*
 * Rewrites the running proxy's portcullis.conf the way the harness wrote
 * it (same Listen and AccessLog, so nothing needs a restart) with `extra`.
 */
static void
rewrite_conf(pc_it_fx_t *f, pc_it_proxy_t *p, const char *extra)
{
    char *path = pc_it_fx_defer(f, free, pc_it_proxy_path(p, "portcullis.conf"));
    const char *text = pc_it_fx_strf(f,
                                     "# Rewritten by test_reload.\n"
                                     "Listen 127.0.0.1:0\n"
                                     "AccessLog %s/access.log\n"
                                     "%s\n",
                                     pc_it_proxy_dir(p), extra);

    assert_int_equal(pc_it_file_write(path, text, strlen(text)), 0);
}

/* SIGHUP, then waits for "configuration reloaded" (logged once it took effect). */
static void
reload_ok(pc_it_fx_t *f, pc_it_proxy_t *p)
{
    size_t mark = pc_it_fx_stderr_mark(p);

    assert_int_equal(pc_it_proxy_signal(p, pc_it_sys_sighup()), 0);
    (void)pc_it_fx_wait_stderr_line(f, p, mark, "configuration reloaded", NULL);
}

/*
 * SIGHUP, then waits for the "reload failed" line and asserts that it names
 * where (e.g. "<list>:3:"); nothing may say "configuration reloaded".
 */
static void
reload_fails(pc_it_fx_t *f, pc_it_proxy_t *p, const char *where)
{
    size_t mark = pc_it_fx_stderr_mark(p);
    const char *line;
    char *path;
    char *text = NULL;
    size_t len = 0;

    assert_int_equal(pc_it_proxy_signal(p, pc_it_sys_sighup()), 0);
    line = pc_it_fx_wait_stderr_line(f, p, mark, "reload failed", NULL);
    if (strstr(line, "reload failed, keeping the running configuration: ") == NULL
        || strstr(line, where) == NULL) {
        fail_msg("want \"reload failed, keeping the running configuration: %s ...\", got \"%s\"",
                 where, line);
    }
    path = pc_it_fx_defer(f, free, pc_it_proxy_path(p, "stderr.log"));
    assert_int_equal(pc_it_file_read(path, &text, &len), 0);
    pc_it_fx_defer(f, free, text);
    if (len > mark && pc_it_contains(text + mark, len - mark, "configuration reloaded")) {
        fail_msg("a failed reload also logged \"configuration reloaded\": %s", text + mark);
    }
}

/*
 * A tunnel to origin-a.test carries 10 MiB each way. Half of the upload is
 * sent, then the config gains a Blocklist that blocks origin-a.test and the
 * proxy reloads; new CONNECTs and GETs to the name are refused at once,
 * while the old tunnel goes on: the second half is sent and both
 * directions arrive complete and intact.
 */
static void
test_reload_tunnel_survives_block_of_its_target(void **state)
{
    static const char name[] = "reload_tunnel_survives_block_of_its_target";
    pc_it_fx_t *f = *state;
    uint64_t n = 10u * MIB;
    pc_it_origin_opts_t opts;
    pc_it_origin_t *t;
    pc_it_origin_t *h;
    pc_it_proxy_t *p;
    pc_it_client_t *c;
    uint8_t *up;
    const char *list;

    PC_IT_REQUIRE_SANDBOX();
    require_sighup();
    memset(&opts, 0, sizeof(opts));
    opts.mode = PC_IT_ORIGIN_TUNNEL;
    opts.stream_bytes = n;
    opts.stream_seed = 21;
    t = pc_it_fx_origin(f, &opts);
    h = pc_it_fx_http_origin(f, PC_IT_OK_RESPONSE);
    up = pc_it_fx_defer(f, free, pc_it_xmalloc(n));
    pc_it_pattern_fill(up, n, 0, 12);
    list = pc_it_fx_write_file(f, name, "blocklist.txt", "origin-a.test\n");
    p = pc_it_fx_proxy(f, name, "ConnectPort 1024-65535");

    c = pc_it_fx_client(f);
    assert_int_equal(
        pc_it_client_send_str(c, pc_it_fx_connect_req(f, "origin-a.test", pc_it_origin_port(t)),
                              PC_IT_TIMEOUT_MS),
        0);
    pc_it_fx_expect_established(c);
    pc_it_client_sink(c);
    /* The send runs the client's loop, so the download drains meanwhile. */
    assert_int_equal(pc_it_client_send(c, up, n / 2, 30000), 0);

    rewrite_conf(f, p, pc_it_fx_strf(f, "ConnectPort 1024-65535\nBlocklist %s", list));
    reload_ok(f, p);
    pc_it_fx_expect_refused(f, pc_it_fx_connect_req(f, "origin-a.test", pc_it_origin_port(t)), 403,
                            PC_IT_DETAIL_BLOCKED);
    pc_it_pol_expect_get_blocked(f, "origin-a.test", pc_it_origin_port(h));
    assert_int_equal(pc_it_origin_accepts(h), 0);

    assert_int_equal(pc_it_client_send(c, up + n / 2, n - n / 2, 30000), 0);
    pc_it_fx_expect_tunnel_intact(c, t, up, n);
    assert_int_equal(pc_it_origin_accepts(t), 1);
}

/*
 * A keep-alive connection to origin-b.test: request 1 is answered; request
 * 2 goes to an origin that holds its answer for 3 s, and while it waits the
 * proxy reloads with origin-b.test blocked. Request 2 still gets its 200
 * and body; request 3 on the same connection, sent after the reload, is
 * refused (403, then the connection closes), and so is a new connection.
 */
static void
test_reload_keepalive_request_in_flight(void **state)
{
    static const char name[] = "reload_keepalive_request_in_flight";
    static const unsigned delay_ms = 3000;
    pc_it_fx_t *f = *state;
    pc_it_origin_opts_t opts;
    pc_it_pol_t fast; /* its origin answers at once */
    pc_it_origin_t *slow;
    pc_it_client_t *c;
    pc_it_response_t *r;
    uint64_t sent_at;
    uint64_t took;

    PC_IT_REQUIRE_SANDBOX();
    require_sighup();
    fast = pc_it_pol_start(f, name, "# nothing yet\n", NULL, NULL);
    memset(&opts, 0, sizeof(opts));
    opts.responses[0] = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow";
    opts.delay_ms = delay_ms;
    slow = pc_it_fx_origin(f, &opts);

    c = pc_it_fx_client(f);
    r = pc_it_fx_exchange(f, c, pc_it_fx_get_req(f, "origin-b.test", fast.port), false);
    assert_int_equal(r->status, 200);
    assert_int_equal(
        pc_it_client_send_str(c, pc_it_fx_get_req(f, "origin-b.test", pc_it_origin_port(slow)),
                              PC_IT_TIMEOUT_MS),
        0);
    assert_int_equal(pc_it_origin_wait_requests(slow, 1, PC_IT_TIMEOUT_MS), 0);
    sent_at = pc_it_now_ms();

    (void)pc_it_fx_write_file(f, name, "blocklist.txt", "origin-b.test\n");
    reload_ok(f, fast.proxy);
    took = pc_it_now_ms() - sent_at;
    if (took >= delay_ms - 500) {
        fail_msg("the reload took %llu ms: too slow to overlap the %u ms request",
                 (unsigned long long)took, delay_ms);
    }
    r = pc_it_fx_exchange(f, c, NULL, false);
    assert_int_equal(r->status, 200);
    pc_it_assert_bytes("in-flight body", r->body, r->body_len, "slow", 4);

    assert_int_equal(
        pc_it_client_send_str(c, pc_it_fx_get_req(f, "origin-b.test", fast.port), PC_IT_TIMEOUT_MS),
        0);
    pc_it_fx_expect_error(f, c, 403);
    pc_it_pol_expect_get_blocked(f, "origin-b.test", fast.port);
    assert_int_equal(pc_it_origin_request_count(fast.origin), 1);
    assert_int_equal(pc_it_origin_request_count(slow), 1);
}

/*
 * The rules test_reload_broken_list_keeps_old_rules starts with are in
 * force: blocked.test is blocked but good.blocked.test allowed, and
 * origin-a.test is not blocked.
 */
static void
expect_first_rules(pc_it_fx_t *f, int port)
{
    pc_it_pol_expect_get_blocked(f, "www.blocked.test", port);
    pc_it_pol_expect_get_ok(f, "good.blocked.test", port);
    pc_it_pol_expect_get_ok(f, "origin-a.test", port);
}

/*
 * A reload with a bad line in a blocklist, then in an allowlist, changes
 * nothing: the name blocked before is still blocked, the name allowed
 * before is still allowed, and the good lines of the new files are not in
 * force either. A corrected file then reloads.
 */
static void
test_reload_broken_list_keeps_old_rules(void **state)
{
    static const char name[] = "reload_broken_list_keeps_old_rules";
    pc_it_fx_t *f = *state;
    pc_it_pol_t t;

    PC_IT_REQUIRE_SANDBOX();
    require_sighup();
    t = pc_it_pol_start(f, name, "blocked.test\n", "good.blocked.test\n", NULL);
    expect_first_rules(f, t.port);

    /* Line 3 of the blocklist is bad; the allowlist would drop good.blocked.test. */
    (void)pc_it_fx_write_file(f, name, "blocklist.txt",
                              pc_it_fx_strf(f, "origin-a.test\n# next\n%s\n", bad_line));
    (void)pc_it_fx_write_file(f, name, "allowlist.txt", "# nothing allowed now\n");
    reload_fails(f, t.proxy, pc_it_fx_strf(f, "%s:3: ", t.blocklist));
    expect_first_rules(f, t.port);

    /* Now the blocklist is good and line 2 of the allowlist is bad. */
    (void)pc_it_fx_write_file(f, name, "blocklist.txt", "origin-a.test\n");
    (void)pc_it_fx_write_file(f, name, "allowlist.txt",
                              pc_it_fx_strf(f, "good.blocked.test\n%s\n", bad_line));
    reload_fails(f, t.proxy, pc_it_fx_strf(f, "%s:2: ", t.allowlist));
    expect_first_rules(f, t.port);

    /* Both good: the new rules take over. */
    (void)pc_it_fx_write_file(f, name, "allowlist.txt", "good.blocked.test\n");
    reload_ok(f, t.proxy);
    pc_it_pol_expect_get_ok(f, "www.blocked.test", t.port);
    pc_it_pol_expect_get_blocked(f, "origin-a.test", t.port);
    assert_int_equal(pc_it_origin_request_count(t.origin), 7);
}

/*
 * Lifting blocks: SIGHUP re-reads a list even when the config file did not
 * change (a name removed from it is allowed at once), and a config without
 * the Blocklist line drops that list's rules.
 */
static void
test_reload_lifts_block(void **state)
{
    static const char name[] = "reload_lifts_block";
    pc_it_fx_t *f = *state;
    pc_it_pol_t t;

    PC_IT_REQUIRE_SANDBOX();
    require_sighup();
    t = pc_it_pol_start(f, name, "origin-a.test\nblocked.test\n", NULL, NULL);
    pc_it_pol_expect_get_blocked(f, "origin-a.test", t.port);
    pc_it_pol_expect_get_blocked(f, "blocked.test", t.port);

    (void)pc_it_fx_write_file(f, name, "blocklist.txt", "blocked.test\n");
    reload_ok(f, t.proxy);
    pc_it_pol_expect_get_ok(f, "origin-a.test", t.port);
    pc_it_pol_expect_get_blocked(f, "blocked.test", t.port);

    rewrite_conf(f, t.proxy, "");
    reload_ok(f, t.proxy);
    pc_it_pol_expect_get_ok(f, "blocked.test", t.port);
    assert_int_equal(pc_it_origin_request_count(t.origin), 2);
}

/* -t -c conf exits 0. */
static void
expect_good(pc_it_fx_t *f, const char *name, const char *conf)
{
    const char *args[] = {"", "-t", "-c", conf, NULL};
    char *err;
    pc_it_exit_t how = pc_it_fx_run(f, name, args, NULL, &err);

    if (how.exit_status != 0 || how.term_signal != 0) {
        fail_msg("-t -c %s: status %lld signal %d, stderr: %s", conf, (long long)how.exit_status,
                 how.term_signal, err);
    }
}

/* Runs `portcullis [-t] -c conf` and expects a non-zero exit with `want` on stderr. */
static void
expect_bad(pc_it_fx_t *f, const char *name, bool check_only, const char *conf, const char *want)
{
    const char *check[] = {"", "-t", "-c", conf, NULL};
    const char *start[] = {"", "-c", conf, NULL};
    char *err;
    pc_it_exit_t how = pc_it_fx_run(f, name, check_only ? check : start, NULL, &err);

    if (how.term_signal != 0 || how.exit_status == 0 || strstr(err, want) == NULL) {
        fail_msg("%s%s: want a non-zero exit and \"%s\" on stderr; status %lld signal %d, "
                 "stderr: %s",
                 check_only ? "-t -c " : "-c ", conf, want, (long long)how.exit_status,
                 how.term_signal, err);
    }
}

/*
 * -t reads the lists: every line form and all the policy directives pass;
 * a bad line in a Blocklist or an Allowlist is a non-zero exit with
 * "<list>:<line>:", and so is starting with one. A missing list names
 * its path.
 */
static void
test_reload_check_reads_lists(void **state)
{
    static const char name[] = "reload_check_reads_lists";
    static const char good_text[] = "# every line form\n"
                                    "example.test\n"
                                    ".dot.test\n"
                                    "||adblock.test^\n"
                                    "*.wild.test\n"
                                    "=exact.test\n"
                                    "127.0.0.1 localhost\n"
                                    "0.0.0.0 ads.test tracker.test\n"
                                    "10.0.0.0/8\n"
                                    "192.0.2.1\n"
                                    "2001:db8::/32\n"
                                    "::1\n"
                                    "\n";
    pc_it_fx_t *f = *state;
    const char *good = pc_it_fx_write_file(f, name, "good.txt", good_text);
    const char *bad =
        pc_it_fx_write_file(f, name, "bad.txt", pc_it_fx_strf(f, "ok.test\n\n%s\n", bad_line));
    const char *allow = pc_it_fx_write_file(f, name, "allow.txt", "allowed.test\n");
    const char *missing = pc_it_fx_strf(f, "%s.missing", good);
    const char *conf_good = pc_it_fx_write_file(
        f, name, "good.conf",
        pc_it_fx_strf(f,
                      "Listen 127.0.0.1:0\nBlocklist %s\nAllowlist %s\nDefaultPolicy deny\n"
                      "DenyPrivateDestinations yes\nPolicyDetail yes\n",
                      good, allow));
    const char *conf_block = pc_it_fx_write_file(
        f, name, "block.conf",
        pc_it_fx_strf(f, "Listen 127.0.0.1:0\nBlocklist %s\nBlocklist %s\n", good, bad));
    const char *conf_allow = pc_it_fx_write_file(
        f, name, "allow.conf", pc_it_fx_strf(f, "Listen 127.0.0.1:0\nAllowlist %s\n", bad));
    const char *conf_missing = pc_it_fx_write_file(
        f, name, "missing.conf", pc_it_fx_strf(f, "Listen 127.0.0.1:0\nBlocklist %s\n", missing));
    const char *where = pc_it_fx_strf(f, "%s:3: ", bad);

    expect_good(f, "reload_check_good", conf_good);
    expect_bad(f, "reload_check_bad_blocklist", true, conf_block, where);
    expect_bad(f, "reload_check_bad_allowlist", true, conf_allow, where);
    expect_bad(f, "reload_check_missing_list", true, conf_missing, missing);
    expect_bad(f, "reload_start_bad_blocklist", false, conf_block, where);
}

/*
 * The new directives take their documented values (-t exits 0) and nothing
 * else (-t exits non-zero naming the line).
 */
static void
test_reload_check_policy_directive_values(void **state)
{
    static const char name[] = "reload_check_policy_directive_values";
    static const char *const good[] = {
        "DefaultPolicy allow\nDenyPrivateDestinations no\nPolicyDetail no\n",
        "DefaultPolicy deny\nDenyPrivateDestinations yes\nPolicyDetail yes\n",
    };
    static const char *const bad[] = {"DefaultPolicy maybe", "DenyPrivateDestinations perhaps",
                                      "PolicyDetail 2"};
    pc_it_fx_t *f = *state;
    const char *conf;
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        conf = pc_it_fx_write_file(f, name, "good.conf",
                                   pc_it_fx_strf(f, "Listen 127.0.0.1:0\n%s", good[i]));
        expect_good(f, pc_it_fx_strf(f, "%s_good_%zu", name, i), conf);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        conf = pc_it_fx_write_file(f, name, "bad.conf",
                                   pc_it_fx_strf(f, "Listen 127.0.0.1:0\n%s\n", bad[i]));
        expect_bad(f, pc_it_fx_strf(f, "%s_bad_%zu", name, i), true, conf,
                   pc_it_fx_strf(f, "%s:2: ", conf));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        PC_IT_TEST(test_reload_tunnel_survives_block_of_its_target),
        PC_IT_TEST(test_reload_keepalive_request_in_flight),
        PC_IT_TEST(test_reload_broken_list_keeps_old_rules),
        PC_IT_TEST(test_reload_lifts_block),
        PC_IT_TEST(test_reload_check_reads_lists),
        PC_IT_TEST(test_reload_check_policy_directive_values),
    };

    pc_it_sys_init();
    return cmocka_run_group_tests_name("reload", tests, NULL, NULL);
}
