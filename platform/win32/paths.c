/*
 * paths.c (Windows): where the proxy's files live by default:
 * %ProgramData%\Portcullis\ (the configuration; the packaged config puts the
 * logs there too), how log files are opened, and the absent syslog sink.
 */
#include "portcullis/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <string.h>

#include <windows.h>

FILE *
pc_platform_fopen_log(const char *path)
{
    HANDLE h =
        CreateFileA(path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    FILE *fp;
    int fd;

    if (h == INVALID_HANDLE_VALUE) {
        errno = GetLastError() == ERROR_ACCESS_DENIED ? EACCES : ENOENT;
        return NULL;
    }
    fd = _open_osfhandle((intptr_t)h, _O_APPEND | _O_BINARY);
    if (fd < 0) {
        CloseHandle(h);
        errno = EMFILE;
        return NULL;
    }
    fp = _fdopen(fd, "ab");
    if (fp == NULL) {
        _close(fd); /* closes h too */
    }
    return fp;
}

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
