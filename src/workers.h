/*
 * workers.h: the proxy's worker threads, one libuv loop and one server each.
 *
 * Worker 0 runs on the main loop (with one worker the proxy is exactly the
 * single-loop program); workers 1..N-1 are threads with loops of their own.
 * A connection stays on the worker that accepted it. Workers share only the
 * configuration snapshot (reference counted under a lock), the access log
 * (thread-safe) and the per-address connection table (under a lock); each
 * has its own connection list, counters and resolution cache.
 *
 * Everything here is called on the main loop's thread. Requests to workers
 * (a new snapshot, stop, add your counters) go through a mailbox: a field
 * under the pool's mutex and a uv_async_send to the worker's loop.
 */
#ifndef PC_WORKERS_H
#define PC_WORKERS_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "access_log.h"
#include "conf.h"
#include "metrics.h"

typedef struct pc_workers_s pc_workers_t;

typedef void (*pc_workers_done_cb)(bool clean, void *data);
typedef void (*pc_workers_conf_cb)(void *data);
typedef void (*pc_workers_gather_cb)(const pc_metrics_t *sum, void *data);

/*
 * The number of workers conf asks for: Workers N, or with auto one per CPU
 * the process may use, at most PC_MAX_WORKERS; 1 where sockets cannot be
 * shared between loops (Windows: an explicit Workers > 1 logs a warning).
 */
unsigned pc_workers_count(const pc_conf_t *conf);

/*
 * Creates the workers and starts every server (all listening sockets bound,
 * "listening on ..." logged); the threads do not run yet (pc_workers_run).
 * conf: each server takes a reference, and so does the pool. alog:
 * borrowed, may be NULL. Returns 0 or a UV_E* code, logged; on error what
 * was opened closes once main runs.
 */
int pc_workers_start(uv_loop_t *main, pc_conf_t *conf, pc_access_log_t *alog, pc_workers_t **out);

/* The admin listener's address, which no worker connects to. Before pc_workers_run only. */
void pc_workers_set_admin_address(pc_workers_t *p, const struct sockaddr *sa);

/* Starts the threads of workers 1..N-1. 0 or a UV_E* code (logged): then stop the pool. */
int pc_workers_run(pc_workers_t *p);

/* How many workers run. */
unsigned pc_workers_num(const pc_workers_t *p);

/*
 * Hands conf (each worker takes a reference) to every worker, which applies
 * it to connections accepted from then on. applied_cb runs on the main loop
 * once every worker has (or has stopped), unless the pool is done first.
 * Call it again only after applied_cb ran.
 */
void pc_workers_set_conf(pc_workers_t *p, pc_conf_t *conf, pc_workers_conf_cb applied_cb,
                         void *data);

/* The snapshot given last (borrowed), for the main loop's own use (the admin ACL). */
pc_conf_t *pc_workers_conf(const pc_workers_t *p);

/*
 * Every worker stops its server with the same deadline, grace_ms from now
 * (UINT64_MAX: none). Calling it again makes them close what is left at
 * once. done_cb (of the first call) runs once every worker's loop has ended
 * and every thread is joined; clean is false if a worker's loop did not
 * close cleanly. The pool is freed right after.
 */
void pc_workers_stop(pc_workers_t *p, uint64_t grace_ms, pc_workers_done_cb done_cb, void *data);

/* True once pc_workers_stop was called. */
bool pc_workers_stopping(const pc_workers_t *p);

/*
 * Asks every worker to add its counters (and its resolution cache's) into
 * a fresh sum, each on its own thread; cb gets the sum on the main loop
 * once all have (workers already stopped count with nothing). The sum is
 * valid during cb only. Returns 0 or UV_ENOMEM (cb is then never called).
 */
int pc_workers_gather(pc_workers_t *p, pc_workers_gather_cb cb, void *data);

#endif
