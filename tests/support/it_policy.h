/*
 * it_policy.h: helpers for the destination-policy tests (test_policy.c,
 * test_reload.c).
 *
 * pc_it_pol_start() starts what nearly every such test needs: an HTTP
 * origin that answers PC_IT_OK_RESPONSE and the fixture's proxy with the
 * test's blocklist and allowlist files. Each expectation sends one request
 * on a new connection to the fixture's proxy. They assert, like the
 * pc_it_fx_* helpers.
 */
#ifndef PC_TESTS_SUPPORT_IT_POLICY_H
#define PC_TESTS_SUPPORT_IT_POLICY_H

#include "it_fixture.h"

/* What the policy tests' origin answers: 200 with the body "ok". */
#define PC_IT_OK_RESPONSE "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

/* The details of the proxy's policy refusals ("403 Forbidden: <detail>\n"). */
#define PC_IT_DETAIL_BLOCKED     "destination blocked by policy"
#define PC_IT_DETAIL_NOT_ALLOWED "destination not on the allowlist"
#define PC_IT_DETAIL_LOOPBACK    "destination address not allowed (loopback)"

typedef struct {
    pc_it_origin_t *origin; /* answers PC_IT_OK_RESPONSE */
    int port;               /* the origin's */
    pc_it_proxy_t *proxy;   /* the fixture's */
    const char *blocklist;  /* the path of blocklist.txt, or NULL */
    const char *allowlist;  /* the path of allowlist.txt, or NULL */
} pc_it_pol_t;

/*
 * Starts the origin, then the proxy of test `name` with the config lines
 * "Blocklist <dir>/blocklist.txt", that file holding block (unless block is
 * NULL), "Allowlist <dir>/allowlist.txt" likewise for allow, then extra
 * (unless NULL). <dir> is the test's directory (pc_it_fx_write_file()).
 */
pc_it_pol_t pc_it_pol_start(pc_it_fx_t *f, const char *name, const char *block, const char *allow,
                            const char *extra);

/* A GET for http://host:port/ gets 200 with the body "ok". */
void pc_it_pol_expect_get_ok(pc_it_fx_t *f, const char *host, int port);

/* A GET for http://host:port/ is refused: 403 with PC_IT_DETAIL_BLOCKED. */
void pc_it_pol_expect_get_blocked(pc_it_fx_t *f, const char *host, int port);

/* A GET and a CONNECT for host:port are both refused: 403 with detail. */
void pc_it_pol_expect_both_refused(pc_it_fx_t *f, const char *host, int port, const char *detail);

#endif
