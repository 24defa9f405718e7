/*
 * syslog.c (POSIX): access-log lines to the syslog daemon.
 *
 * The messages are written to the socket directly, in the traditional
 * (RFC 3164) form glibc's syslog() uses, rather than through syslog(3),
 * whose socket is fixed and shared by the whole process: here the socket
 * can be named ("AccessLog syslog:/path"), errors come back to the caller,
 * and the error log keeps stderr.
 */
#include "portcullis/platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct pc_platform_syslog_s {
    int fd;
    long pid;
};

int
pc_platform_syslog_open(const char *path, pc_platform_syslog_t **out)
{
    struct sockaddr_un sa;
    pc_platform_syslog_t *s;
    int err;

    if (path == NULL) {
        path = "/dev/log";
    }
    if (strlen(path) >= sizeof(sa.sun_path)) {
        return UV_ENAMETOOLONG;
    }
    s = malloc(sizeof(*s));
    if (s == NULL) {
        return UV_ENOMEM;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, path);
    s->pid = (long)getpid();
    s->fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (s->fd < 0 || connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        err = uv_translate_sys_error(errno);
        if (s->fd >= 0) {
            close(s->fd);
        }
        free(s);
        return err;
    }
    *out = s;
    return 0;
}

int
pc_platform_syslog_send(pc_platform_syslog_t *s, const char *line, size_t len)
{
    char msg[17000];
    char stamp[32];
    struct tm tm;
    time_t now = time(NULL);
    int n;

    if (localtime_r(&now, &tm) == NULL
        || strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm) == 0) {
        strcpy(stamp, "Jan  1 00:00:00");
    }
    while (len > 0 && line[len - 1] == '\n') {
        len--;
    }
    n = snprintf(msg, sizeof(msg), "<30>%s portcullis[%ld]: %.*s", stamp, s->pid, (int)len, line);
    if (n < 0) {
        return EIO;
    }
    if ((size_t)n >= sizeof(msg)) {
        n = (int)sizeof(msg) - 1;
    }
    return send(s->fd, msg, (size_t)n, 0) == n ? 0 : (errno != 0 ? errno : EIO);
}

void
pc_platform_syslog_close(pc_platform_syslog_t *s)
{
    if (s != NULL) {
        close(s->fd);
        free(s);
    }
}
