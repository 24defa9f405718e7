/*
 * pidfile.c: the PidFile (see pidfile.h).
 *
 * Plain stdio and uv_os_getpid(), so it is the same code on every system.
 * Written after the listeners are bound (and, with --daemon, by the child),
 * so a pid file that exists names a process that serves; it appears just
 * after the "listening on" lines.
 */
#include "pidfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <uv.h>

/* Writes "<pid>\n" to path. Returns 0 or a UV_E* code. */
static int
write_pid(const char *path)
{
    FILE *fp = fopen(path, "w");
    int rc = 0;

    if (fp == NULL) {
        return uv_translate_sys_error(errno != 0 ? errno : EIO);
    }
    if (fprintf(fp, "%ld\n", (long)uv_os_getpid()) < 0) {
        rc = uv_translate_sys_error(errno != 0 ? errno : EIO);
    }
    if (fclose(fp) != 0 && rc == 0) {
        rc = uv_translate_sys_error(errno != 0 ? errno : EIO);
    }
    return rc;
}

/*
 * Written beside the target and renamed over it, so a reader never sees an
 * empty or half-written file. (Where rename cannot replace a file, as on
 * Windows, the old one is removed first.)
 */
int
pc_pidfile_write(const char *path, char *err, size_t err_cap)
{
    char tmp[4096];
    int rc;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        rc = UV_ENAMETOOLONG;
    } else {
        rc = write_pid(tmp);
        if (rc == 0 && rename(tmp, path) != 0) {
            (void)remove(path);
            if (rename(tmp, path) != 0) {
                rc = uv_translate_sys_error(errno != 0 ? errno : EIO);
            }
        }
        if (rc != 0) {
            (void)remove(tmp);
        }
    }
    if (rc != 0) {
        snprintf(err, err_cap, "cannot write pid file %s: %s", path, uv_strerror(rc));
    }
    return rc;
}

void
pc_pidfile_remove(const char *path)
{
    (void)remove(path);
}

int
pc_pidfile_read(const char *path, long *pid, char *err, size_t err_cap)
{
    FILE *fp = fopen(path, "r");
    char line[32], *end;
    long v = 0;
    int rc = 0;

    if (fp == NULL) {
        rc = uv_translate_sys_error(errno != 0 ? errno : EIO);
        snprintf(err, err_cap, "cannot read pid file %s: %s (is the proxy running?)", path,
                 uv_strerror(rc));
        return rc;
    }
    if (fgets(line, sizeof(line), fp) == NULL) {
        rc = UV_EINVAL;
    } else {
        v = strtol(line, &end, 10);
        if (end == line || v <= 0 || (*end != '\n' && *end != '\0')) {
            rc = UV_EINVAL;
        }
    }
    fclose(fp);
    if (rc != 0) {
        snprintf(err, err_cap, "pid file %s does not hold a process id", path);
        return rc;
    }
    *pid = v;
    return 0;
}
