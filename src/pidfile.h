/*
 * pidfile.h: the PidFile, written once the proxy serves, removed at exit.
 */
#ifndef PC_PIDFILE_H
#define PC_PIDFILE_H

#include <stddef.h>

/*
 * Writes this process's id and a newline to path, replacing the file.
 * Returns 0, or a UV_E* code with "cannot write pid file PATH: reason" in
 * err.
 */
int pc_pidfile_write(const char *path, char *err, size_t err_cap);

/*
 * Reads the process id from path (`portcullis -s`). Returns 0, or a UV_E*
 * code with the reason in err.
 */
int pc_pidfile_read(const char *path, long *pid, char *err, size_t err_cap);

/* Removes the file (at a clean exit); a missing file is fine. */
void pc_pidfile_remove(const char *path);

#endif
