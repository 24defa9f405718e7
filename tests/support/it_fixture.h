/*
 * it_fixture.h: the cmocka side of the integration harness.
 *
 * Every integration test runs with pc_it_fx_setup/pc_it_fx_teardown. The
 * fixture owns whatever the test starts through the pc_it_fx_* helpers
 * (proxy, origins, clients, strings, responses), so a failing assertion,
 * which longjmps out of the test, still leaves no process, thread or socket
 * behind. Teardown also fails the test if the proxy exited without being
 * asked to (a crash).
 *
 * The helpers assert: they are for test bodies, where failing is the point.
 */
#ifndef PC_TESTS_SUPPORT_IT_FIXTURE_H
#define PC_TESTS_SUPPORT_IT_FIXTURE_H

/* cmocka 1.1 needs these before <cmocka.h>. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "it_client.h"
#include "it_common.h"
#include "it_http.h"
#include "it_netstub.h"
#include "it_origin.h"
#include "it_proxy.h"
#include "it_sys.h"

#define PC_IT_FX_MAX_ORIGINS  4
#define PC_IT_FX_MAX_CLIENTS  8
#define PC_IT_FX_MAX_DEFERRED 128

typedef struct {
    void (*fn)(void *);
    void *p;
} pc_it_deferred_t;

typedef struct {
    pc_it_proxy_t *proxy;                             /* owned */
    pc_it_origin_t *origins[PC_IT_FX_MAX_ORIGINS];    /* owned */
    pc_it_client_t *clients[PC_IT_FX_MAX_CLIENTS];    /* owned */
    pc_it_blackhole_t *blackhole;                     /* owned */
    pc_it_dns_t *dns;                                 /* owned */
    pc_it_deferred_t deferred[PC_IT_FX_MAX_DEFERRED]; /* run at teardown */
    size_t num_deferred;
} pc_it_fx_t;

int pc_it_fx_setup(void **state);
int pc_it_fx_teardown(void **state);

/* Registers fn(p) to run at teardown; returns p. */
void *pc_it_fx_defer(pc_it_fx_t *f, void (*fn)(void *), void *p);

/* A formatted string freed at teardown. */
char *pc_it_fx_strf(pc_it_fx_t *f, const char *fmt, ...) PC_IT_PRINTF(2, 3);

/* Starts the proxy (see pc_it_proxy_start); asserts success. */
pc_it_proxy_t *pc_it_fx_proxy(pc_it_fx_t *f, const char *name, const char *conf_extra);

/* Starts an origin; asserts success. */
pc_it_origin_t *pc_it_fx_origin(pc_it_fx_t *f, const pc_it_origin_opts_t *opts);

/* Starts an origin; returns the error instead of asserting (e.g. no ::1). */
int pc_it_fx_try_origin(pc_it_fx_t *f, const pc_it_origin_opts_t *opts, pc_it_origin_t **out);

/* An HTTP origin that answers every request with `response`. */
pc_it_origin_t *pc_it_fx_http_origin(pc_it_fx_t *f, const char *response);

/*
 * A blackhole listener (see it_netstub.h); returns its port. Skips the test
 * where connects to it do not hang.
 */
int pc_it_fx_blackhole(pc_it_fx_t *f);

/* The DNS stub on 127.0.0.1:53; call only in the sandbox. Asserts success. */
void pc_it_fx_dns(pc_it_fx_t *f, pc_it_dns_mode_t mode);

/* A client connected to the fixture's proxy; asserts success. */
pc_it_client_t *pc_it_fx_client(pc_it_fx_t *f);

/* Closes one of the fixture's clients now. */
void pc_it_fx_close_client(pc_it_fx_t *f, pc_it_client_t *c);

/* Sends req (if not NULL) and reads one response (freed at teardown). */
pc_it_response_t *pc_it_fx_exchange(pc_it_fx_t *f, pc_it_client_t *c, const char *req,
                                    bool head_req);

/*
 * Asserts that the next response is the proxy's own error `status`: a
 * text/plain body with Content-Length and "Connection: close", and that
 * the proxy then closes the connection.
 */
void pc_it_fx_expect_error(pc_it_fx_t *f, pc_it_client_t *c, int status);

/* Asserts that the peer closes the connection within the default timeout. */
void pc_it_fx_expect_closed(pc_it_client_t *c);

/* The i-th request the origin recorded (waits for it); asserts it arrives. */
const char *pc_it_fx_request(pc_it_origin_t *o, size_t i, size_t *len);

/* Asserts got[0..glen) == want[0..wlen), printing both (escaped) if not. */
void pc_it_assert_bytes(const char *what, const char *got, size_t glen, const char *want,
                        size_t wlen);

/* Asserts that the response head has field name with exactly value want. */
void pc_it_assert_field(const pc_it_response_t *r, const char *name, const char *want);

/* Skips the test unless sandbox.sh set up the private network namespace. */
#define PC_IT_REQUIRE_SANDBOX()                                                         \
    do {                                                                                \
        if (!pc_it_sandboxed()) {                                                       \
            print_message("skipped: needs the network sandbox (sandbox.sh as root)\n"); \
            skip();                                                                     \
        }                                                                               \
    } while (0)

/* A cmocka test with the standard fixture. */
#define PC_IT_TEST(fn) cmocka_unit_test_setup_teardown(fn, pc_it_fx_setup, pc_it_fx_teardown)

#endif
