/*
 * it_proxy.h: starts and stops the real portcullis binary.
 *
 * pc_it_proxy_start() makes a work directory <work>/<name>/, writes
 * portcullis.conf there (Listen 127.0.0.1:0, AccessLog <dir>/access.log
 * unless the test's lines name another, then the test's own lines), spawns the binary with stdout
 * and stderr redirected to files in that directory, and polls stderr for the line "listening on
 * 127.0.0.1:PORT". The process handle lives on a private uv loop that is polled (never left
 * running) while the harness waits, so every wait has a deadline.
 *
 * pc_it_run() runs the binary once with arguments (e.g. -t) and collects
 * its exit status and output.
 */
#ifndef PC_TESTS_SUPPORT_IT_PROXY_H
#define PC_TESTS_SUPPORT_IT_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pc_it_proxy_s pc_it_proxy_t;

/* How a process ended. */
typedef struct {
    int64_t exit_status;
    int term_signal;
} pc_it_exit_t;

/*
 * Starts the proxy for the test `name` with extra config lines conf_extra
 * (may be NULL; lines separated by '\n'). On success *out is owned by the
 * caller (pc_it_proxy_free). Returns 0, UV_ETIMEDOUT if no listening line
 * came within timeout_ms, UV_ESRCH if the process exited first, or the
 * spawn error. On failure the proxy's stderr is printed. With conf_extra ==
 * pc_it_no_config the binary runs with no -c at all (built-in defaults).
 */
extern const char pc_it_no_config[];

int pc_it_proxy_start(pc_it_proxy_t **out, const char *name, const char *conf_extra,
                      uint64_t timeout_ms);

/* Kills the process if it still runs (SIGKILL), waits, frees; NULL is allowed. */
void pc_it_proxy_free(pc_it_proxy_t *p);

/* The port from the listening line. */
int pc_it_proxy_port(const pc_it_proxy_t *p);

/* The process id. */
int pc_it_proxy_pid(const pc_it_proxy_t *p);

/* The work directory (config, stderr.log, stdout.log, access.log). */
const char *pc_it_proxy_dir(const pc_it_proxy_t *p);

/* A malloc'd path <dir>/<file>. */
char *pc_it_proxy_path(const pc_it_proxy_t *p, const char *file);

/* Sends a signal. 0 or a UV_E* code. */
int pc_it_proxy_signal(pc_it_proxy_t *p, int signum);

/* The test is about to make the proxy exit by other means (`-s stop`): not a crash. */
void pc_it_proxy_expect_exit(pc_it_proxy_t *p);

/* True once the process has exited (polls without blocking). */
bool pc_it_proxy_exited(pc_it_proxy_t *p, pc_it_exit_t *how);

/*
 * True when the process exited although the test never signalled it (a
 * crash or an early exit), with how it ended.
 */
bool pc_it_proxy_died(pc_it_proxy_t *p, pc_it_exit_t *how);

/* Waits for the exit. 0 or UV_ETIMEDOUT. */
/*
 * Ends the proxy the way an admin would: SIGTERM, then waits up to
 * PC_IT_STOP_TIMEOUT_MS. Returns 0 if it had already exited or exits now
 * with status 0; -1 otherwise (how tells what happened).
 */
int pc_it_proxy_stop_clean(pc_it_proxy_t *p, pc_it_exit_t *how);

int pc_it_proxy_wait_exit(pc_it_proxy_t *p, uint64_t timeout_ms, pc_it_exit_t *how);

/* Prints the last bytes of the proxy's stderr through print_fn's stream (stderr). */
void pc_it_proxy_dump_stderr(const pc_it_proxy_t *p);

/*
 * Runs the binary with argv (argv[0] is replaced by the binary path; the
 * array ends with NULL) in the work directory <work>/<name>/, waiting at
 * most timeout_ms. *out_text and *err_text (malloc'd, may be passed NULL)
 * receive what it printed (kept in run-stdout.log and run-stderr.log, beside
 * the files of a proxy of the same test). Returns 0 or UV_ETIMEDOUT (the process is
 * killed) or the spawn error.
 */
int pc_it_run(const char *name, const char *const *argv, uint64_t timeout_ms, pc_it_exit_t *how,
              char **out_text, char **err_text);

/* <work>/<name>, created. malloc'd. */
char *pc_it_test_dir(const char *name);

#endif
