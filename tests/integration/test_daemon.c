/*
 * test_daemon.c: --daemon and PidFile (POSIX only).
 *
 * "portcullis --daemon" must return 0 only once the background process
 * serves, with its pid in the PidFile; it must return 1, with the reason
 * on stderr, when the background process cannot start. A PidFile is
 * removed at a clean exit, and one that cannot be written stops the start.
 */
#include "it_fixture.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>

static const char ok_response[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/* <work>/<name>/<file> (freed at teardown). */
static const char *
test_path(pc_it_fx_t *f, const char *name, const char *file)
{
    char *dir = pc_it_fx_defer(f, free, pc_it_test_dir(name));

    return pc_it_fx_strf(f, "%s/%s", dir, file);
}

/*
 * The pid in the file, or fails the test. The file appears just after the
 * "listening on" line, so it is waited for.
 */
static int
read_pid(const char *path)
{
    uint64_t deadline = pc_it_now_ms() + PC_IT_TIMEOUT_MS;
    char *text = NULL;
    size_t len = 0;
    char *end = NULL;
    long pid;

    while (pc_it_file_read(path, &text, &len) != 0 && pc_it_now_ms() < deadline) {
        pc_it_sleep_ms(20);
    }
    assert_non_null(text);
    pid = strtol(text, &end, 10);
    if (pid <= 0 || end == NULL || strcmp(end, "\n") != 0) {
        fail_msg("pid file holds \"%s\"", text);
    }
    free(text);
    return (int)pid;
}

/*
 * Waits until the process is gone. In the sandbox this test is the
 * namespace's init, so the orphaned daemon is its child and is reaped here
 * (its exit status must be 0); elsewhere init reaps it.
 */
static void
wait_gone(int pid)
{
    uint64_t deadline = pc_it_now_ms() + PC_IT_TIMEOUT_MS;
    int status = 0;

    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);

        if (r == pid) {
            assert_true(WIFEXITED(status));
            assert_int_equal(WEXITSTATUS(status), 0);
            return;
        }
        if (r < 0 && kill(pid, 0) != 0 && errno == ESRCH) {
            return;
        }
        if (pc_it_now_ms() > deadline) {
            fail_msg("process %d still runs", pid);
        }
        pc_it_sleep_ms(20);
    }
}

static void
close_client(void *c)
{
    pc_it_client_close(c);
}

static bool
file_exists(const char *path)
{
    char *text = NULL;
    size_t len = 0;
    bool ok = pc_it_file_read(path, &text, &len) == 0;

    free(text);
    return ok;
}

static void
test_daemon_returns_once_serving(void **state)
{
    static const char name[] = "daemon_returns_once_serving";
    static const char marker[] = "listening on 127.0.0.1:";
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);
    const char *pid_path = test_path(f, name, "portcullis.pid");
    const char *conf = pc_it_fx_write_file(
        f, name, "portcullis.conf", pc_it_fx_strf(f, "Listen 127.0.0.1:0\nPidFile %s\n", pid_path));
    const char *args[] = {"", "--daemon", "-c", conf, NULL};
    char *err = NULL;
    pc_it_exit_t how = pc_it_fx_run(f, name, args, NULL, &err);
    const char *listening;
    pc_it_client_t *c;
    int pid;

    assert_int_equal(how.term_signal, 0);
    assert_int_equal(how.exit_status, 0);
    /* Returned only once serving: the pid file and the listener exist now. */
    pid = read_pid(pid_path);
    assert_int_equal(kill(pid, 0), 0);
    listening = strstr(err, marker);
    assert_non_null(listening);
    assert_int_equal(
        pc_it_client_connect(&c, "127.0.0.1", atoi(listening + strlen(marker)), PC_IT_TIMEOUT_MS),
        0);
    pc_it_fx_defer(f, close_client, c);
    assert_int_equal(
        pc_it_fx_exchange(f, c, pc_it_fx_get_req(f, "127.0.0.1", pc_it_origin_port(o)), false)
            ->status,
        200);
    assert_int_equal(kill(pid, SIGTERM), 0);
    wait_gone(pid);
    assert_false(file_exists(pid_path));
}

static void
test_daemon_start_error_reported(void **state)
{
    static const char name[] = "daemon_start_error_reported";
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response); /* holds the port */
    const char *pid_path = test_path(f, name, "portcullis.pid");
    const char *conf = pc_it_fx_write_file(
        f, name, "portcullis.conf",
        pc_it_fx_strf(f, "Listen 127.0.0.1:%d\nPidFile %s\n", pc_it_origin_port(o), pid_path));
    const char *args[] = {"", "--daemon", "-c", conf, NULL};
    char *err = NULL;
    pc_it_exit_t how = pc_it_fx_run(f, name, args, NULL, &err);

    assert_int_equal(how.term_signal, 0);
    assert_int_equal(how.exit_status, 1);
    if (strstr(err, "the daemon did not start") == NULL
        || strstr(err, "address already in use") == NULL) {
        fail_msg("stderr does not say why: %s", err);
    }
    assert_false(file_exists(pid_path));
}

/* Foreground: the pid file names the process and is gone after a clean stop. */
static void
test_daemon_pid_file_foreground(void **state)
{
    static const char name[] = "daemon_pid_file_foreground";
    pc_it_fx_t *f = *state;
    const char *pid_path = test_path(f, name, "p.pid");
    pc_it_proxy_t *p = pc_it_fx_proxy(f, name, pc_it_fx_strf(f, "PidFile %s", pid_path));
    pc_it_exit_t how;

    assert_int_equal(read_pid(pid_path), pc_it_proxy_pid(p));
    assert_int_equal(pc_it_proxy_stop_clean(p, &how), 0);
    assert_false(file_exists(pid_path));
}

static void
test_daemon_pid_file_unwritable(void **state)
{
    static const char name[] = "daemon_pid_file_unwritable";
    pc_it_fx_t *f = *state;
    const char *conf = pc_it_fx_write_file(
        f, name, "portcullis.conf", "Listen 127.0.0.1:0\nPidFile no-such-dir/portcullis.pid\n");
    const char *args[] = {"", "-c", conf, NULL};
    char *err = NULL;
    pc_it_exit_t how = pc_it_fx_run(f, name, args, NULL, &err);
    /* A relative PidFile is in the configuration file's directory. */
    const char *want = pc_it_fx_strf(f, "cannot write pid file %.*s/no-such-dir/portcullis.pid",
                                     (int)(strrchr(conf, '/') - conf), conf);

    assert_int_equal(how.term_signal, 0);
    assert_int_equal(how.exit_status, 1);
    if (strstr(err, want) == NULL) {
        fail_msg("stderr does not say why: %s", err);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        PC_IT_TEST(test_daemon_returns_once_serving),
        PC_IT_TEST(test_daemon_start_error_reported),
        PC_IT_TEST(test_daemon_pid_file_foreground),
        PC_IT_TEST(test_daemon_pid_file_unwritable),
    };

    pc_it_sys_init();
    return cmocka_run_group_tests_name("daemon", tests, NULL, NULL);
}
