/*
 * test_notify.c: the systemd notify protocol (POSIX only).
 *
 * The test binds a datagram socket, passes it to the proxy as
 * NOTIFY_SOCKET, and reads what arrives: READY=1 once the proxy listens;
 * RELOADING=1 with MONOTONIC_USEC (CLOCK_MONOTONIC, in microseconds) when a
 * reload starts and READY=1 when it ends, failed or not; STOPPING=1 with
 * EXTEND_TIMEOUT_USEC (the ShutdownTimeout drain plus a margin) when it
 * stops. On Linux the abstract-namespace form ("@name") is tried too.
 */
#include "it_fixture.h"
#include "it_sys.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int fd;
    char env[108]; /* the NOTIFY_SOCKET value */
} listener_t;

static void
close_listener(void *p)
{
    listener_t *l = p;

    close(l->fd);
    unsetenv("NOTIFY_SOCKET");
    free(l);
}

/* Binds a datagram socket (a path, or an abstract name) and exports it. */
static listener_t *
notify_listener(pc_it_fx_t *f, int abstract)
{
    listener_t *l = calloc(1, sizeof(*l));
    struct sockaddr_un sa;
    socklen_t len;
    char *dir = pc_it_sys_socket_dir();

    assert_non_null(dir);
    pc_it_fx_defer(f, pc_it_sys_socket_dir_remove, dir);
    assert_non_null(l);
    l->fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    assert_true(l->fd >= 0);
    pc_it_fx_defer(f, close_listener, l);
    if (abstract) {
        snprintf(l->env, sizeof(l->env), "@portcullis-notify-test-%ld", (long)getpid());
    } else {
        snprintf(l->env, sizeof(l->env), "%s/notify.sock", dir);
        unlink(l->env);
    }
    assert_true(strlen(l->env) < sizeof(sa.sun_path));
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, l->env, strlen(l->env));
    len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(l->env));
    if (abstract) {
        sa.sun_path[0] = '\0';
    } else {
        len++;
    }
    if (bind(l->fd, (struct sockaddr *)&sa, len) != 0) {
        fail_msg("bind %s: %s", l->env, strerror(errno));
    }
    assert_int_equal(setenv("NOTIFY_SOCKET", l->env, 1), 0);
    return l;
}

/* The next datagram, waiting at most PC_IT_TIMEOUT_MS (freed at teardown). */
static const char *
next_message(pc_it_fx_t *f, const listener_t *l)
{
    struct pollfd pfd;
    char buf[512];
    ssize_t n;

    pfd.fd = l->fd;
    pfd.events = POLLIN;
    if (poll(&pfd, 1, PC_IT_TIMEOUT_MS) != 1) {
        fail_msg("no notify message within %d ms", PC_IT_TIMEOUT_MS);
    }
    n = recv(l->fd, buf, sizeof(buf) - 1, 0);
    assert_true(n > 0);
    return pc_it_fx_strf(f, "%.*s", (int)n, buf);
}

static unsigned long long
monotonic_usec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000u + (unsigned long long)ts.tv_nsec / 1000u;
}

/* "RELOADING=1\nMONOTONIC_USEC=N", with N the monotonic clock of about now. */
static void
expect_reloading(pc_it_fx_t *f, const listener_t *l)
{
    const char *m = next_message(f, l);
    unsigned long long usec = 0, now = monotonic_usec();
    char tail = 0;

    if (sscanf(m, "RELOADING=1\nMONOTONIC_USEC=%llu%c", &usec, &tail) != 1) {
        fail_msg("not a RELOADING message: \"%s\"", m);
    }
    if (usec > now || now - usec > 10u * 1000000u) {
        fail_msg("MONOTONIC_USEC=%llu is not the monotonic clock of now (%llu)", usec, now);
    }
}

static void
reload(pc_it_fx_t *f, pc_it_proxy_t *p, const listener_t *l, const char *conf)
{
    char *path = pc_it_fx_defer(f, free, pc_it_proxy_path(p, "portcullis.conf"));

    assert_int_equal(pc_it_file_write(path, conf, strlen(conf)), 0);
    assert_int_equal(pc_it_proxy_signal(p, pc_it_sys_sighup()), 0);
    expect_reloading(f, l);
    assert_string_equal(next_message(f, l), "READY=1");
}

static void
test_notify_lifecycle(void **state)
{
    pc_it_fx_t *f = *state;
    listener_t *l = notify_listener(f, 0);
    pc_it_proxy_t *p = pc_it_fx_proxy(f, "notify_lifecycle", NULL);
    pc_it_exit_t how;

    /* pc_it_fx_proxy returned after "listening on": READY follows the bind. */
    assert_string_equal(next_message(f, l), "READY=1");
    pc_it_fx_close_client(f, pc_it_fx_client(f)); /* and it serves */
    reload(f, p, l, "Listen 127.0.0.1:0\nViaName second\n");
    reload(f, p, l, "Listen 127.0.0.1:0\nHeaderTimeout never\n"); /* a failed reload */
    pc_it_fx_close_client(f, pc_it_fx_client(f));
    assert_int_equal(pc_it_proxy_stop_clean(p, &how), 0);
    /* The fixture's ShutdownTimeout is the default 10 s; 5 s of margin. */
    assert_string_equal(next_message(f, l), "STOPPING=1\nEXTEND_TIMEOUT_USEC=15000000");
}

static void
test_notify_abstract_socket(void **state)
{
#ifdef __linux__
    pc_it_fx_t *f = *state;
    listener_t *l = notify_listener(f, 1);

    (void)pc_it_fx_proxy(f, "notify_abstract_socket", NULL);
    assert_string_equal(next_message(f, l), "READY=1");
#else
    (void)state;
    skip(); /* abstract sockets are a Linux feature */
#endif
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        PC_IT_TEST(test_notify_lifecycle),
        PC_IT_TEST(test_notify_abstract_socket),
    };

    pc_it_sys_init();
    return cmocka_run_group_tests_name("notify", tests, NULL, NULL);
}
