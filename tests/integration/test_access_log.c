/*
 * test_access_log.c: the access log's writer never holds up the proxy
 * (POSIX only: a FIFO and /dev/full stand in for a slow and a full disk).
 *
 * A FIFO nobody reads stops the writer after the pipe's 64 KiB; the proxy
 * must keep answering at full speed, drop the lines its AccessLogBuffer
 * cannot hold, say so, and write the rest once the reader catches up. On
 * /dev/full every write fails: the proxy says so once and keeps serving.
 * "AccessLog syslog:SOCKET" sends each line as one syslog message.
 */
#include "it_fixture.h"
#include "it_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static const char ok_response[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

static void
close_fd(void *p)
{
    close((int)(intptr_t)p);
}

/* n requests on one keep-alive connection, each answered 200 within the usual timeout. */
static void
requests(pc_it_fx_t *f, pc_it_origin_t *o, unsigned n)
{
    const char *req = pc_it_fx_get_req(f, "127.0.0.1", pc_it_origin_port(o));
    pc_it_client_t *c = pc_it_fx_client(f);
    pc_it_response_t r;
    unsigned i;

    for (i = 0; i < n; i++) {
        memset(&r, 0, sizeof(r));
        assert_int_equal(pc_it_client_send_str(c, req, PC_IT_TIMEOUT_MS), 0);
        if (pc_it_client_response(c, false, &r, PC_IT_TIMEOUT_MS) != 0 || r.status != 200) {
            fail_msg("request %u of %u: no 200 in time (the loop waits for the log?)", i + 1, n);
        }
        pc_it_response_free(&r);
    }
    pc_it_fx_close_client(f, c);
}

/* Reads what the FIFO holds until it stays empty for 1 s; returns the number of lines. */
static size_t
drain_lines(int fd)
{
    char buf[65536];
    uint64_t quiet_since = pc_it_now_ms();
    size_t lines = 0;
    ssize_t n, i;

    while (pc_it_now_ms() - quiet_since < 1000) {
        n = read(fd, buf, sizeof(buf));
        if (n > 0) {
            for (i = 0; i < n; i++) {
                lines += buf[i] == '\n';
            }
            quiet_since = pc_it_now_ms();
        } else {
            pc_it_sleep_ms(10);
        }
    }
    return lines;
}

static void
test_access_log_slow_disk_costs_lines_not_time(void **state)
{
    static const char name[] = "access_log_slow_disk";
    static const unsigned total = 3000;
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);
    char *dir = pc_it_fx_defer(f, free, pc_it_test_dir(name));
    const char *fifo = pc_it_fx_strf(f, "%s/slow.log", dir);
    pc_it_proxy_t *p;
    size_t lines;
    int fd;

    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    /* Open for reading first, so the proxy's open for writing does not wait. */
    fd = open(fifo, O_RDONLY | O_NONBLOCK);
    assert_true(fd >= 0);
    pc_it_fx_defer(f, close_fd, (void *)(intptr_t)fd); /* after the proxy has stopped */
    p = pc_it_fx_proxy(f, name, pc_it_fx_strf(f, "AccessLog %s\nAccessLogBuffer 16", fifo));

    requests(f, o, total); /* the pipe fills after ~500 lines; nobody reads it yet */
    (void)pc_it_fx_wait_stderr_line(f, p, 0, "line(s) dropped", NULL);

    lines = drain_lines(fd);
    print_message("%zu of %u lines written, the rest dropped\n", lines, total);
    assert_true(lines > 0);
    assert_true(lines < total);
    /* Once the reader keeps up, every line gets through again. */
    requests(f, o, 10);
    assert_int_equal(drain_lines(fd), 10);
}

/* A sink that takes nothing at all does not hold the exit: 5 s, then the rest is given up. */
static void
test_access_log_stuck_sink_does_not_hold_the_exit(void **state)
{
    static const char name[] = "access_log_stuck_sink";
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);
    char *dir = pc_it_fx_defer(f, free, pc_it_test_dir(name));
    const char *fifo = pc_it_fx_strf(f, "%s/stuck.log", dir);
    pc_it_proxy_t *p;
    pc_it_exit_t how;
    uint64_t start;
    int fd;

    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    fd = open(fifo, O_RDONLY | O_NONBLOCK);
    assert_true(fd >= 0);
    pc_it_fx_defer(f, close_fd, (void *)(intptr_t)fd);
    p = pc_it_fx_proxy(f, name, pc_it_fx_strf(f, "AccessLog %s\nAccessLogBuffer 16", fifo));
    requests(f, o, 1000); /* the pipe and the queue fill; nobody ever reads */
    start = pc_it_now_ms();
    assert_int_equal(pc_it_proxy_signal(p, pc_it_sys_sigterm()), 0);
    assert_int_equal(pc_it_proxy_wait_exit(p, 15000, &how), 0);
    print_message("exit %llu ms after SIGTERM\n", (unsigned long long)(pc_it_now_ms() - start));
    assert_int_equal(how.exit_status, 0);
    (void)pc_it_fx_wait_stderr_line(f, p, 0, "the writer is stuck", "given up at exit");
}

static void
test_access_log_full_disk_reported_once(void **state)
{
    static const char name[] = "access_log_full_disk";
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o;
    pc_it_proxy_t *p;
    char *text;
    size_t len;
    const char *at;
    int count = 0;

    if (access("/dev/full", W_OK) != 0) {
        skip(); /* Linux and the BSDs have it */
    }
    o = pc_it_fx_http_origin(f, ok_response);
    p = pc_it_fx_proxy(f, name, "AccessLog /dev/full");
    /* Still serving; the failure is reported by the lines that follow it. */
    requests(f, o, 20);
    (void)pc_it_fx_wait_stderr_line(f, p, 0, "cannot write the access log /dev/full",
                                    "no space left on device");
    requests(f, o, 20);
    assert_int_equal(
        pc_it_file_read(pc_it_fx_defer(f, free, pc_it_proxy_path(p, "stderr.log")), &text, &len),
        0);
    for (at = text; (at = strstr(at, "cannot write the access log")) != NULL; at++) {
        count++;
    }
    free(text);
    assert_int_equal(count, 1); /* said once, not per line */
}

/* A datagram socket bound at path, as a syslog daemon's /dev/log is. */
static int
syslog_listener(pc_it_fx_t *f, const char *path)
{
    struct sockaddr_un sa;
    int fd;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    assert_true(strlen(path) < sizeof(sa.sun_path));
    strcpy(sa.sun_path, path);
    unlink(path);
    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    pc_it_fx_defer(f, close_fd, (void *)(intptr_t)fd);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

static void
test_access_log_to_syslog(void **state)
{
    static const char name[] = "access_log_syslog";
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);
    char *dir = pc_it_fx_defer(f, pc_it_sys_socket_dir_remove, pc_it_sys_socket_dir());
    const char *sock = pc_it_fx_strf(f, "%s/log.sock", dir != NULL ? dir : "(no directory)");
    int fd = syslog_listener(f, sock);
    pc_it_proxy_t *p = pc_it_fx_proxy(
        f, name, pc_it_fx_strf(f, "AccessLog syslog:%s\nAccessLogFormat json", sock));
    const char *want_ident = pc_it_fx_strf(f, " portcullis[%d]: {", pc_it_proxy_pid(p));
    struct pollfd pfd = {fd, POLLIN, 0};
    char msg[20000];
    ssize_t n;
    int i;

    requests(f, o, 2);
    for (i = 0; i < 2; i++) {
        assert_int_equal(poll(&pfd, 1, (int)PC_IT_TIMEOUT_MS), 1);
        n = recv(fd, msg, sizeof(msg) - 1, 0);
        assert_true(n > 0);
        msg[n] = '\0';
        /* "<30>Mmm dd hh:mm:ss portcullis[PID]: {...}": daemon.info, one line, no newline. */
        if (strncmp(msg, "<30>", 4) != 0 || strstr(msg, want_ident) == NULL || msg[n - 1] != '}'
            || strchr(msg, '\n') != NULL || strstr(msg, "\"status\":200") == NULL) {
            fail_msg("not a syslog message with an access-log line: \"%s\"", msg);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        PC_IT_TEST(test_access_log_slow_disk_costs_lines_not_time),
        PC_IT_TEST(test_access_log_stuck_sink_does_not_hold_the_exit),
        PC_IT_TEST(test_access_log_full_disk_reported_once),
        PC_IT_TEST(test_access_log_to_syslog),
    };

    pc_it_sys_init();
    return cmocka_run_group_tests_name("access_log", tests, NULL, NULL);
}
