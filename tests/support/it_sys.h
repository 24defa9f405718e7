/*
 * it_sys.h: the few harness needs that differ per operating system.
 *
 * it_sys_posix.c and it_sys_win32.c implement this; CMake picks one. Anything
 * an OS cannot provide returns UV_ENOTSUP so that a test can skip() instead of
 * failing.
 */
#ifndef PC_TESTS_SUPPORT_IT_SYS_H
#define PC_TESTS_SUPPORT_IT_SYS_H

#include <stdint.h>

#include <uv.h>

/*
 * Process-wide set-up, once per test executable before any socket is used
 * (POSIX: ignore SIGPIPE so that a write to a closed socket is an error
 * return, not a crash of the test).
 */
void pc_it_sys_init(void);

/*
 * The resident set size of process pid in KiB. Linux reads VmRSS from
 * /proc/<pid>/status; elsewhere UV_ENOTSUP.
 */
int pc_it_sys_rss_kib(int pid, uint64_t *kib);

/*
 * Raises this process's soft limit on open descriptors to at least want
 * (up to the hard limit), so that it and the processes it starts can hold
 * that many sockets. *got is the soft limit afterwards. POSIX: setrlimit
 * RLIMIT_NOFILE; elsewhere UV_ENOTSUP.
 */
int pc_it_sys_raise_nofile(uint64_t want, uint64_t *got);

/* The signal numbers the harness sends (SIGINT, SIGTERM, SIGKILL). */
int pc_it_sys_sigint(void);
int pc_it_sys_sigterm(void);
int pc_it_sys_sigkill(void);

/* SIGHUP (reload), SIGUSR1 (reopen logs) and SIGQUIT (stop without deadline). */
int pc_it_sys_sighup(void);
int pc_it_sys_sigusr1(void);
int pc_it_sys_sigquit(void);

/*
 * Delivers one of the signals above to the proxy. POSIX: the signal.
 * Windows, which has no such signals: SIGKILL terminates the process; the
 * others become the platform event the proxy maps them to on POSIX (TERM
 * and INT stop, QUIT stops without deadline, HUP reloads, USR1 reopens), sent the way `portcullis
 * -s` sends it. 0 or a UV_E* code.
 */
int pc_it_sys_kill(uv_process_t *proc, int signum);

/*
 * A fresh, empty directory with a short path, for unix sockets: a socket
 * path may not exceed 107 bytes, and a build directory can be deeper than
 * that. POSIX: under the system's temporary directory (P_tmpdir); Windows: NULL. Free it with
 * pc_it_sys_socket_dir_remove(), which also removes the files in it.
 */
char *pc_it_sys_socket_dir(void);
void pc_it_sys_socket_dir_remove(void *dir);

#endif
