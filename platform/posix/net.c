/*
 * net.c (POSIX): what several workers need from the OS: how many CPUs the
 * process may use, and listening sockets they can share. Linux balances
 * connections over sockets bound with SO_REUSEPORT (one per worker); the
 * BSDs and macOS do not (their SO_REUSEPORT hands every connection to one
 * socket), so there the workers listen on dup()s of one socket and share
 * its accept queue.
 */
#if defined(__linux__)
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <sched.h>
#endif

#include "portcullis/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

unsigned
pc_platform_cpu_count(void)
{
#if defined(__linux__)
    cpu_set_t set;

    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) {
        return (unsigned)CPU_COUNT(&set);
    }
#endif
    return 0;
}

pc_listen_mode_t
pc_platform_listen_mode(void)
{
#if defined(__linux__) && defined(SO_REUSEPORT)
    return PC_LISTEN_REUSEPORT;
#else
    return PC_LISTEN_SHARED;
#endif
}

static int
set_cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFD);

    if (flags == -1 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1) {
        return uv_translate_sys_error(errno);
    }
    return 0;
}

static int
set_opt(int fd, int level, int name)
{
    int on = 1;

    if (setsockopt(fd, level, name, &on, sizeof(on)) == -1) {
        return uv_translate_sys_error(errno);
    }
    return 0;
}

/* Options and bind for a reuseport listener. */
static int
prepare(int fd, const struct sockaddr *sa)
{
    socklen_t len =
        sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    int err = set_cloexec(fd);

    if (err == 0) {
        err = set_opt(fd, SOL_SOCKET, SO_REUSEADDR);
    }
#if defined(SO_REUSEPORT)
    if (err == 0) {
        err = set_opt(fd, SOL_SOCKET, SO_REUSEPORT);
    }
#else
    err = err == 0 ? UV_ENOTSUP : err;
#endif
    if (err == 0 && sa->sa_family == AF_INET6) {
        err = set_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY);
    }
    if (err == 0 && bind(fd, sa, len) == -1) {
        err = uv_translate_sys_error(errno);
    }
    return err;
}

int
pc_platform_reuseport_socket(const struct sockaddr *sa, uv_os_sock_t *out)
{
    int fd = socket(sa->sa_family, SOCK_STREAM, 0), err;

    if (fd == -1) {
        return uv_translate_sys_error(errno);
    }
    err = prepare(fd, sa);
    if (err != 0) {
        close(fd);
        return err;
    }
    *out = fd;
    return 0;
}

int
pc_platform_dup_socket(const uv_tcp_t *tcp, uv_os_sock_t *out)
{
    uv_os_fd_t fd;
    int copy, err = uv_fileno((const uv_handle_t *)tcp, &fd);

    if (err != 0) {
        return err;
    }
    copy = dup(fd);
    if (copy == -1) {
        return uv_translate_sys_error(errno);
    }
    err = set_cloexec(copy);
    if (err != 0) {
        close(copy);
        return err;
    }
    *out = copy;
    return 0;
}

void
pc_platform_close_socket(uv_os_sock_t sock)
{
    close(sock);
}
