/*
 * notify.c: service-manager notifications on POSIX (the systemd protocol).
 *
 * Owns the one datagram per state change to $NOTIFY_SOCKET: "READY=1",
 * "RELOADING=1\nMONOTONIC_USEC=<now>" (what Type=notify-reload expects) and
 * "STOPPING=1" (with EXTEND_TIMEOUT_USEC for the drain). The socket is
 * opened per message: there are a handful in a process's life. Written
 * directly (no libsystemd); a missing or broken socket costs nothing but
 * the message.
 */
#include "portcullis/platform.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <uv.h>

/* Not every POSIX system has these (macOS lacks both); the datagram is sent
 * from the loop thread, SIGPIPE is ignored, and the fd is closed at once. */
#ifndef SOCK_CLOEXEC
#define SOCK_CLOEXEC 0
#endif
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

/* Fills *sa from $NOTIFY_SOCKET. Returns its length, or 0 when unusable. */
static socklen_t
notify_address(struct sockaddr_un *sa)
{
    const char *path = getenv("NOTIFY_SOCKET");
    size_t len;

    if (path == NULL || (path[0] != '/' && path[0] != '@')) {
        return 0; /* unset, or a vsock address, which this build does not speak */
    }
    len = strlen(path);
    if (len < 2 || len >= sizeof(sa->sun_path)) {
        return 0;
    }
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, path, len);
    if (path[0] == '@') {
        sa->sun_path[0] = '\0'; /* abstract namespace: no terminating NUL counted */
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    }
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

static int
format_state(pc_service_state_t state, uint32_t wait_hint_ms, char *msg, size_t cap)
{
    switch (state) {
    case PC_SERVICE_READY:
        return snprintf(msg, cap, "READY=1");
    case PC_SERVICE_RELOADING:
        return snprintf(msg, cap, "RELOADING=1\nMONOTONIC_USEC=%llu",
                        (unsigned long long)(uv_hrtime() / 1000u));
    case PC_SERVICE_STOPPING:
        /* The drain may outlast TimeoutStopSec: ask for the time it needs. */
        if (wait_hint_ms > 0) {
            return snprintf(msg, cap, "STOPPING=1\nEXTEND_TIMEOUT_USEC=%llu",
                            (unsigned long long)wait_hint_ms * 1000u);
        }
        return snprintf(msg, cap, "STOPPING=1");
    }
    return -1;
}

void
pc_platform_notify(pc_service_state_t state, uint32_t wait_hint_ms)
{
    struct sockaddr_un sa;
    socklen_t sa_len = notify_address(&sa);
    char msg[64];
    int n, fd, saved = errno;

    n = format_state(state, wait_hint_ms, msg, sizeof(msg));
    if (sa_len == 0 || n <= 0 || (size_t)n >= sizeof(msg)) {
        return;
    }
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        errno = saved;
        return;
    }
    (void)sendto(fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa, sa_len);
    close(fd);
    errno = saved;
}
