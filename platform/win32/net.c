/*
 * net.c (Windows): the workers' OS needs. One worker only: an IOCP port
 * owns a socket, so two loops cannot accept from one, and Windows has no
 * SO_REUSEPORT balancing. The CPU count is libuv's (workers.c).
 */
#include "portcullis/platform.h"

unsigned
pc_platform_cpu_count(void)
{
    return 0; /* no affinity count here: workers.c counts libuv's CPU list */
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
