/*
 * test_limits.c: the proxy under a small descriptor limit (Linux: prlimit).
 *
 * A proxied client costs two descriptors. With "ulimit -n 40" the proxy
 * says at start how many clients that holds (4), serves that many at once,
 * lets the others wait in the backlog instead of running into EMFILE (where
 * they could only be dropped), serves them as soon as others leave, and
 * stays up throughout. MaxClientsPerAddress refuses the extra connections
 * of one address with 503.
 */
#include "it_fixture.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char ok_response[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

enum { HELD = 30 };

/* True if prog is an executable file in one of $PATH's directories. */
static bool
on_path(pc_it_fx_t *f, const char *prog)
{
    const char *path = getenv("PATH"), *end;

    for (; path != NULL && *path != '\0'; path = *end != '\0' ? end + 1 : end) {
        end = strchr(path, ':');
        if (end == NULL) {
            end = path + strlen(path);
        }
        if (access(pc_it_fx_strf(f, "%.*s/%s", (int)(end - path), path, prog), X_OK) == 0) {
            return true;
        }
    }
    return false;
}

/* Sends req on c and expects a 200 within ms (or, with want == false, no response). */
static void
expect_answer(pc_it_client_t *c, const char *req, uint64_t ms, bool want)
{
    pc_it_response_t r;
    int rc;

    memset(&r, 0, sizeof(r));
    assert_int_equal(pc_it_client_send_str(c, req, PC_IT_TIMEOUT_MS), 0);
    rc = pc_it_client_response(c, false, &r, ms);
    if (want) {
        assert_int_equal(rc, 0);
        assert_int_equal(r.status, 200);
    } else {
        assert_int_equal(rc, UV_ETIMEDOUT);
    }
    pc_it_response_free(&r);
}

static void
test_limits_descriptor_limit_makes_clients_wait(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_client_t *held[HELD];
    pc_it_origin_t *o;
    pc_it_proxy_t *p;
    const char *req;
    int i;

    if (getenv("PC_TEST_WRAPPER") != NULL || !on_path(f, "prlimit")) {
        skip(); /* under valgrind the limit would count its descriptors too */
    }
    o = pc_it_fx_http_origin(f, ok_response);
    req = pc_it_fx_get_req(f, "127.0.0.1", pc_it_origin_port(o));
    setenv("PC_TEST_WRAPPER", "prlimit --nofile=40:40 --", 1); /* spawned via $PATH */
    /* One worker: with more, the clients (and the descriptors) are shared
     * out per worker, and which worker the kernel gives a client to is not
     * the test's to choose. */
    p = pc_it_fx_proxy(f, "limits_descriptors", "Workers 1");
    unsetenv("PC_TEST_WRAPPER");
    (void)pc_it_fx_wait_stderr_line(f, p, 0, "the descriptor limit (40,",
                                    "holds 4 clients at once");

    for (i = 0; i < HELD; i++) {
        assert_int_equal(
            pc_it_client_connect(&held[i], "127.0.0.1", pc_it_proxy_port(p), PC_IT_TIMEOUT_MS), 0);
    }
    /* The first four are served, and stay served; the fifth waits. */
    for (i = 0; i < 4; i++) {
        expect_answer(held[i], req, PC_IT_TIMEOUT_MS, true);
    }
    expect_answer(held[4], req, 500, false);
    (void)pc_it_fx_wait_stderr_line(f, p, 0, "(4) reached; new clients wait", NULL);
    /* As clients leave, the waiting ones get in, every one of them. */
    for (i = 0; i < 4; i++) {
        pc_it_client_close(held[i]);
    }
    {
        pc_it_response_t r;

        memset(&r, 0, sizeof(r));
        assert_int_equal(pc_it_client_response(held[4], false, &r, PC_IT_TIMEOUT_MS), 0);
        assert_int_equal(r.status, 200);
        pc_it_response_free(&r);
    }
    for (i = 4; i < HELD; i++) {
        if (i > 4) {
            expect_answer(held[i], req, PC_IT_TIMEOUT_MS, true);
        }
        pc_it_client_close(held[i]);
    }
    pc_it_fx_expect_200(f, req, "ok");
    assert_false(pc_it_proxy_exited(p, NULL));
}

/* MaxClientsPerAddress: the third connection from one address gets 503; a freed place is taken
 * again. */
static void
test_limits_per_address(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);
    const char *req = pc_it_fx_get_req(f, "127.0.0.1", pc_it_origin_port(o));
    pc_it_proxy_t *p = pc_it_fx_proxy(f, "limits_per_address", "MaxClientsPerAddress 2");
    pc_it_client_t *a = pc_it_fx_client(f), *b = pc_it_fx_client(f), *c;
    char **lines;

    expect_answer(a, req, PC_IT_TIMEOUT_MS, true);
    expect_answer(b, req, PC_IT_TIMEOUT_MS, true);
    c = pc_it_fx_client(f);
    pc_it_fx_expect_error(f, c, 503);
    (void)pc_it_fx_wait_stderr_line(f, p, 0, "MaxClientsPerAddress (2) reached", NULL);
    /* Until the refused client hangs up, its connection still counts. */
    pc_it_fx_close_client(f, c);
    pc_it_fx_close_client(f, a);
    pc_it_sleep_ms(100);
    c = pc_it_fx_client(f);
    expect_answer(c, req, PC_IT_TIMEOUT_MS, true);
    lines = pc_it_fx_wait_log_lines(f, p, 4);
    assert_non_null(strstr(lines[2], " 503 "));
    assert_non_null(strstr(lines[2], " limit "));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        PC_IT_TEST(test_limits_descriptor_limit_makes_clients_wait),
        PC_IT_TEST(test_limits_per_address),
    };

    pc_it_sys_init();
    return cmocka_run_group_tests_name("limits", tests, NULL, NULL);
}
