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
