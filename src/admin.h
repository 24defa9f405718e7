/*
 * admin.h: the admin listener (Admin ADDR:PORT): /metrics and /healthz on
 * an address of their own, with their own ACL (AdminAllow/AdminDeny). It is
 * never reachable through the proxy port: nothing there looks at Host or any
 * other request field to pick it.
 */
#ifndef PC_ADMIN_H
#define PC_ADMIN_H

#include <uv.h>

#include <stdbool.h>

#include "access_log.h"
#include "conf.h"
#include "workers.h"

typedef struct pc_admin_s pc_admin_t;

/*
 * Listens on conf->admin (logs "admin listening on ADDR:PORT") on the main
 * loop, and tells the workers its address (before pc_workers_run). workers
 * and alog (may be NULL) are used per request: stop the admin when the
 * workers are done, not before (during the drain /healthz answers 503).
 * Returns 0 or a UV_E* code (logged).
 */
int pc_admin_start(uv_loop_t *loop, const pc_conf_t *conf, pc_workers_t *workers,
                   pc_access_log_t *alog, pc_admin_t **out);

/* A reload ended (ok: applied; else the running configuration was kept): counted in /metrics. */
void pc_admin_count_reload(pc_admin_t *a, bool ok);

/* Closes the listener and every admin connection; frees itself once closed. */
void pc_admin_stop(pc_admin_t *a);

#endif
