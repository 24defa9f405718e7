/*
 * paths.c (Windows): where the proxy's files live by default:
 * %ProgramData%\Portcullis\ (the configuration; the packaged config puts the
 * logs there too), and the absent syslog sink. (Log files are opened by
 * libuv, which shares them for delete, so rotation by rename works.)
 */
#include "portcullis/platform.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <windows.h>

const char *
pc_platform_default_conf(void)
{
    static char path[MAX_PATH + 64];
    char base[MAX_PATH];
    DWORD n;

    if (path[0] == '\0') {
        n = GetEnvironmentVariableA("ProgramData", base, sizeof(base));
        if (n == 0 || n >= sizeof(base)) {
            strcpy(base, "C:\\ProgramData");
        }
        snprintf(path, sizeof(path), "%s\\Portcullis\\portcullis.conf", base);
    }
    return path;
}

/* No syslog daemon on Windows: the access log goes to a file there. */
int
pc_platform_syslog_open(const char *path, pc_platform_syslog_t **out)
{
    (void)path;
    (void)out;
    return UV_ENOTSUP;
}

int
pc_platform_syslog_send(pc_platform_syslog_t *s, const char *line, size_t len)
{
    (void)s;
    (void)line;
    (void)len;
    return ENOSYS;
}

void
pc_platform_syslog_close(pc_platform_syslog_t *s)
{
    (void)s;
}

/* Sockets are not CRT descriptors on Windows: no small limit to plan for. */
unsigned long
pc_platform_fd_limit(void)
{
    return 0;
}
