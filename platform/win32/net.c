/*
 * net.c (Windows): the workers' OS needs. One worker only: an IOCP port
 * owns a socket, so two loops cannot accept from one, and Windows has no
 * SO_REUSEPORT balancing. The CPU count is libuv's.
 */
#include "portcullis/platform.h"

unsigned
pc_platform_cpu_count(void)
{
    uv_cpu_info_t *info;
    int n = 0;

    if (uv_cpu_info(&info, &n) != 0) {
        return 1;
    }
    uv_free_cpu_info(info, n);
    return n > 0 ? (unsigned)n : 1;
}

pc_listen_mode_t
pc_platform_listen_mode(void)
{
    return PC_LISTEN_SINGLE;
}

int
pc_platform_reuseport_socket(const struct sockaddr *sa, uv_os_sock_t *out)
{
    (void)sa;
    (void)out;
    return UV_ENOTSUP;
}

int
pc_platform_dup_socket(const uv_tcp_t *tcp, uv_os_sock_t *out)
{
    (void)tcp;
    (void)out;
    return UV_ENOTSUP;
}

void
pc_platform_close_socket(uv_os_sock_t sock)
{
    closesocket(sock);
}
