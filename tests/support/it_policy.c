/*
 * it_policy.c: helpers for the destination-policy tests (see it_policy.h).
 */
#include "it_policy.h"

pc_it_pol_t
pc_it_pol_start(pc_it_fx_t *f, const char *name, const char *block, const char *allow,
                const char *extra)
{
    pc_it_pol_t t;
    const char *conf = "";

    t.origin = pc_it_fx_http_origin(f, PC_IT_OK_RESPONSE);
    t.port = pc_it_origin_port(t.origin);
    t.blocklist = block != NULL ? pc_it_fx_write_file(f, name, "blocklist.txt", block) : NULL;
    t.allowlist = allow != NULL ? pc_it_fx_write_file(f, name, "allowlist.txt", allow) : NULL;
    if (t.blocklist != NULL) {
        conf = pc_it_fx_strf(f, "%sBlocklist %s\n", conf, t.blocklist);
    }
    if (t.allowlist != NULL) {
        conf = pc_it_fx_strf(f, "%sAllowlist %s\n", conf, t.allowlist);
    }
    t.proxy = pc_it_fx_proxy(f, name, pc_it_fx_strf(f, "%s%s", conf, extra != NULL ? extra : ""));
    return t;
}

void
pc_it_pol_expect_get_ok(pc_it_fx_t *f, const char *host, int port)
{
    pc_it_fx_expect_200(f, pc_it_fx_get_req(f, host, port), "ok");
}

void
pc_it_pol_expect_get_blocked(pc_it_fx_t *f, const char *host, int port)
{
    pc_it_fx_expect_refused(f, pc_it_fx_get_req(f, host, port), 403, PC_IT_DETAIL_BLOCKED);
}

void
pc_it_pol_expect_both_refused(pc_it_fx_t *f, const char *host, int port, const char *detail)
{
    pc_it_fx_expect_refused(f, pc_it_fx_get_req(f, host, port), 403, detail);
    pc_it_fx_expect_refused(f, pc_it_fx_connect_req(f, host, port), 403, detail);
}
