/*
 * admin.h: the admin listener (Admin ADDR:PORT): /metrics and /healthz on
 * an address of their own, with their own ACL (AdminAllow/AdminDeny). It is
 * never reachable through the proxy port: nothing there looks at Host or any
 * other request field to pick it.
 */
#ifndef PC_ADMIN_H
#define PC_ADMIN_H

#include <uv.h>

#include "access_log.h"
#include "server.h"

typedef struct pc_admin_s pc_admin_t;

/*
 * Listens on conf->admin (logs "admin listening on ADDR:PORT"). server and
 * alog (may be NULL) are read per request: stop the admin when the server
 * is done, not before (during the drain /healthz answers 503). Returns 0 or
 * a UV_E* code (logged).
 */
int pc_admin_start(uv_loop_t *loop, const pc_conf_t *conf, pc_server_t *server,
                   pc_access_log_t *alog, pc_admin_t **out);

/* Closes the listener and every admin connection; frees itself once closed. */
void pc_admin_stop(pc_admin_t *a);

#endif
