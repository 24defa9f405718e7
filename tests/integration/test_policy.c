/*
 * test_policy.c: destination blocklist and client ACL.
 *
 * Blocklist: a listed domain blocks itself and every subdomain, whatever the
 * case and with or without a trailing dot, for plain requests and CONNECT,
 * and never a name that merely ends with the same letters. A blocked request
 * gets 403 and the origin never sees a connection. The names resolve only in
 * the sandbox's /etc/hosts, so these tests need it.
 *
 * ACL: the client's address is checked before anything else. With
 * "Deny 127.0.0.1/32" followed by "Allow 0.0.0.0/0" a loopback client is
 * denied. What is asserted is the spec's error answer: 403 (text/plain,
 * Content-Length, Connection: close) and then the connection closes; the
 * origin is never contacted.
 */
#include "it_fixture.h"

#include <stdlib.h>
#include <string.h>

static const char ok_response[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/* Writes the blocklist into the test's directory and starts the proxy. */
static void
start_with_blocklist(pc_it_fx_t *f, const char *name)
{
    static const char list[] = "# domains blocked by the integration tests\n"
                               "\n"
                               "blocked.test\n";
    char *dir = pc_it_fx_defer(f, free, pc_it_test_dir(name));
    char *path = pc_it_fx_strf(f, "%s/blocklist.txt", dir);

    assert_int_equal(pc_it_file_write(path, list, strlen(list)), 0);
    pc_it_fx_proxy(f, name, pc_it_fx_strf(f, "Blocklist %s\nConnectPort 1024-65535", path));
}

static void
expect_blocked(pc_it_fx_t *f, const char *req)
{
    pc_it_client_t *c = pc_it_fx_client(f);

    assert_int_equal(pc_it_client_send_str(c, req, PC_IT_TIMEOUT_MS), 0);
    pc_it_fx_expect_error(f, c, 403);
    pc_it_fx_close_client(f, c);
}

static void
test_policy_blocklist_blocks_domain_and_subdomains(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o;
    int port;

    PC_IT_REQUIRE_SANDBOX();
    o = pc_it_fx_http_origin(f, ok_response);
    port = pc_it_origin_port(o);
    start_with_blocklist(f, "policy_blocklist_blocks_domain_and_subdomains");
    expect_blocked(
        f, pc_it_fx_strf(f, "GET http://blocked.test:%d/ HTTP/1.1\r\nHost: h\r\n\r\n", port));
    expect_blocked(
        f, pc_it_fx_strf(f, "GET http://www.blocked.test:%d/ HTTP/1.1\r\nHost: h\r\n\r\n", port));
    expect_blocked(
        f, pc_it_fx_strf(f, "GET http://WWW.Blocked.Test.:%d/ HTTP/1.1\r\nHost: h\r\n\r\n", port));
    expect_blocked(
        f, pc_it_fx_strf(f, "CONNECT www.blocked.test:%d HTTP/1.1\r\nHost: h\r\n\r\n", port));
    expect_blocked(f,
                   pc_it_fx_strf(f, "CONNECT BLOCKED.test.:%d HTTP/1.1\r\nHost: h\r\n\r\n", port));
    assert_int_equal(pc_it_origin_accepts(o), 0);
}

static void
test_policy_blocklist_spares_lookalike_names(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o;
    pc_it_client_t *c;
    pc_it_response_t *r;
    int port;

    PC_IT_REQUIRE_SANDBOX();
    o = pc_it_fx_http_origin(f, ok_response);
    port = pc_it_origin_port(o);
    start_with_blocklist(f, "policy_blocklist_spares_lookalike_names");
    c = pc_it_fx_client(f);
    r = pc_it_fx_exchange(
        f, c, pc_it_fx_strf(f, "GET http://badblocked.test:%d/ HTTP/1.1\r\nHost: h\r\n\r\n", port),
        false);
    assert_int_equal(r->status, 200);
    pc_it_assert_bytes("body", r->body, r->body_len, "ok", 2);
    assert_int_equal(pc_it_origin_accepts(o), 1);
}

/* Starts the proxy with an ACL and expects a loopback client to be denied. */
static void
expect_client_denied(pc_it_fx_t *f, const char *name, const char *acl)
{
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);
    pc_it_client_t *c;

    pc_it_fx_proxy(f, name, acl);
    c = pc_it_fx_client(f);
    /* The proxy may answer before reading the request: ignore send errors. */
    (void)pc_it_client_send_str(
        c,
        pc_it_fx_strf(f, "GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: h\r\n\r\n",
                      pc_it_origin_port(o)),
        PC_IT_TIMEOUT_MS);
    pc_it_fx_expect_error(f, c, 403);
    assert_int_equal(pc_it_origin_accepts(o), 0);
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
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);
    pc_it_client_t *c;

    pc_it_fx_proxy(f, "policy_acl_allows_listed_client", "Allow 10.0.0.0/8\nAllow 127.0.0.0/8");
    c = pc_it_fx_client(f);
    assert_int_equal(
        pc_it_fx_exchange(f, c,
                          pc_it_fx_strf(f, "GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: h\r\n\r\n",
                                        pc_it_origin_port(o)),
                          false)
            ->status,
        200);
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
    };

    pc_it_sys_init();
    return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
