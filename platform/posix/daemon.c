/*
 * daemon.c: --daemon on POSIX, for init systems that do not supervise.
 *
 * Owns the fork and the readiness pipe. The parent blocks on the pipe and
 * exits with the outcome the child reports: one byte, '1' for serving, '0'
 * for a failed start; end of file without a byte means the child died. So
 * "portcullis --daemon" returns 0 only once the proxy listens (and its pid
 * file exists), which is what an init script needs to know.
 */
#include "portcullis/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <uv.h>

static int ready_fd = -1; /* the child's end of the pipe, until it reports */

/* The parent: waits for the child's word and exits with it. */
static void
wait_for_child(int fd)
{
    char c = 0;
    ssize_t n;

    do {
        n = read(fd, &c, 1);
    } while (n < 0 && errno == EINTR);
    if (n == 1 && c == '1') {
        _exit(0);
    }
    fprintf(stderr, "portcullis: the daemon did not start (see the messages above)\n");
    _exit(1);
}

/* The child: new session, no terminal input or output. */
static void
detach(void)
{
    int null = open("/dev/null", O_RDWR);

    (void)setsid();
    if (null >= 0) {
        (void)dup2(null, STDIN_FILENO);
        (void)dup2(null, STDOUT_FILENO);
        if (null > STDERR_FILENO) {
            close(null);
        }
    }
}

int
pc_platform_daemonize(void)
{
    int fds[2];
    pid_t pid;

    fflush(NULL);
    if (pipe(fds) != 0) {
        return uv_translate_sys_error(errno);
    }
    pid = fork();
    if (pid < 0) {
        int err = uv_translate_sys_error(errno);

        close(fds[0]);
        close(fds[1]);
        return err;
    }
    if (pid > 0) {
        close(fds[1]);
        wait_for_child(fds[0]);
    }
    close(fds[0]);
    (void)fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    ready_fd = fds[1];
    detach();
    return 0;
}

void
pc_platform_daemon_ready(bool ok)
{
    char c = ok ? '1' : '0';

    if (ready_fd < 0) {
        return;
    }
    while (write(ready_fd, &c, 1) < 0 && errno == EINTR) {
    }
    close(ready_fd);
    ready_fd = -1;
}
