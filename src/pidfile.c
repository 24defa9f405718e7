/*
 * pidfile.c: the PidFile (see pidfile.h).
 *
 * Plain stdio and uv_os_getpid(), so it is the same code on every system.
 * Written after the listeners are bound (and, with --daemon, by the child),
 * so a pid file that exists names a process that serves.
 */
#include "pidfile.h"

#include <errno.h>
#include <stdio.h>

#include <uv.h>

int
pc_pidfile_write(const char *path, char *err, size_t err_cap)
{
    FILE *fp = fopen(path, "w");
    int rc = 0;

    if (fp == NULL) {
        rc = uv_translate_sys_error(errno != 0 ? errno : EIO);
    } else {
        if (fprintf(fp, "%ld\n", (long)uv_os_getpid()) < 0) {
            rc = uv_translate_sys_error(errno != 0 ? errno : EIO);
        }
        if (fclose(fp) != 0 && rc == 0) {
            rc = uv_translate_sys_error(errno != 0 ? errno : EIO);
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
