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

/* tmpl with every "PORT" replaced by port; freed at teardown. */
char *pc_it_fx_with_port(pc_it_fx_t *f, const char *tmpl, int port);

/* n copies of ch, NUL-terminated; freed at teardown. */
char *pc_it_fx_filled(pc_it_fx_t *f, char ch, size_t n);

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

/*
 * pc_it_fx_expect_error() that also returns the response (freed at
 * teardown), for tests that check the body text.
 */
pc_it_response_t *pc_it_fx_expect_error_response(pc_it_fx_t *f, pc_it_client_t *c, int status);

/* Asserts that the peer closes the connection within the default timeout. */
void pc_it_fx_expect_closed(pc_it_client_t *c);

/* The i-th request the origin recorded (waits for it); asserts it arrives. */
const char *pc_it_fx_request(pc_it_origin_t *o, size_t i, size_t *len);

/* Asserts got[0..glen) == want[0..wlen), printing both (escaped) if not. */
void pc_it_assert_bytes(const char *what, const char *got, size_t glen, const char *want,
                        size_t wlen);

/* Asserts that the response head has field name with exactly value want. */
void pc_it_assert_field(const pc_it_response_t *r, const char *name, const char *want);

/*
 * The size of the proxy's stderr.log now: a mark to pass as `from` to
 * pc_it_fx_wait_stderr_line(), so that only what is logged later counts.
 */
size_t pc_it_fx_stderr_mark(const pc_it_proxy_t *p);

/*
 * Waits (PC_IT_TIMEOUT_MS) until a line of the proxy's stderr at or after
 * byte `from` contains needle and, unless also is NULL, also; returns a
 * copy of that line without its newline (freed at teardown). Fails the test
 * on time-out, printing the stderr.
 */
const char *pc_it_fx_wait_stderr_line(pc_it_fx_t *f, const pc_it_proxy_t *p, size_t from,
                                      const char *needle, const char *also);

/*
 * Waits (3 s) until the proxy's access log has n lines and asserts that it
 * has exactly n; returns them as n NUL-terminated strings plus a NULL
 * (freed at teardown).
 */
char **pc_it_fx_wait_log_lines(pc_it_fx_t *f, const pc_it_proxy_t *p, size_t n);

/*
 * Writes text as <work>/<test>/<file> (the directory the proxy of test
 * `test` uses); returns the path (freed at teardown).
 */
const char *pc_it_fx_write_file(pc_it_fx_t *f, const char *test, const char *file,
                                const char *text);

/*
 * Sends req on a new connection to the fixture's proxy and asserts a 200
 * response whose body is `body`; closes the connection.
 */
void pc_it_fx_expect_200(pc_it_fx_t *f, const char *req, const char *body);

/*
 * Sends req on a new connection (send errors ignored: the proxy may answer
 * early) and asserts the proxy's own error `status` as
 * pc_it_fx_expect_error() does; unless detail is NULL, the body must be
 * exactly "<status> <reason>: <detail>\n" with the reason phrase of the
 * status line. Failure messages name the request's first line.
 */
void pc_it_fx_expect_refused(pc_it_fx_t *f, const char *req, int status, const char *detail);

/* "GET http://<host>:<port>/ HTTP/1.1" with "Host: h" (freed at teardown). */
const char *pc_it_fx_get_req(pc_it_fx_t *f, const char *host, int port);

/* "CONNECT <host>:<port> HTTP/1.1" with a matching Host field (freed at teardown). */
const char *pc_it_fx_connect_req(pc_it_fx_t *f, const char *host, int port);

/*
 * Waits for the exact "HTTP/1.1 200 Connection Established\r\n\r\n" head
 * and removes it from the client's buffer; fails the test naming the error
 * if it does not arrive.
 */
void pc_it_fx_expect_established(pc_it_client_t *c);

/*
 * For a tunnel to origin o through which the client sent up[0..n) while
 * sinking what came back (pc_it_client_sink): waits (30 s each) until the
 * client has sunk n bytes and o has received n, then asserts that both
 * directions arrived intact, by hash: the client got exactly what o sent
 * and o got exactly up[0..n).
 */
void pc_it_fx_expect_tunnel_intact(pc_it_client_t *c, pc_it_origin_t *o, const uint8_t *up,
                                   uint64_t n);

/*
 * Runs the binary once (see pc_it_run) with args (NULL-terminated, argv[0]
 * ignored) in test `name`'s directory; unless out or err is NULL, it
 * receives what the binary printed on stdout or stderr (freed at teardown).
 * Fails the test if the binary cannot be run or times out; returns how it
 * exited.
 */
pc_it_exit_t pc_it_fx_run(pc_it_fx_t *f, const char *name, const char *const *args, char **out,
                          char **err);

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
