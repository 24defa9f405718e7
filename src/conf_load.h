/*
 * conf_load.h: reading configuration files into refcounted snapshots.
 *
 * The I/O half of the configuration: read the file, parse it with
 * pc_conf_parse(), read every Blocklist and Allowlist file into the
 * snapshot's policy. A snapshot is shared by reference; the last
 * pc_conf_unref() frees it.
 */
#ifndef PC_CONF_LOAD_H
#define PC_CONF_LOAD_H

#include "conf.h"

/*
 * Loads path (or the built-in defaults when path is NULL) into a new snapshot
 * with one reference. On failure returns PC_E_CONF_* or UV_E* and err holds a
 * complete message ("file:line: message" or "file: reason"). Thread-safe:
 * it shares no state, so a reload may run it on the thread pool.
 */
int pc_conf_load(const char *path, pc_conf_t **out, pc_conf_error_t *err);

/* References: safe from any thread; the last unref frees (on whichever thread drops it). */
pc_conf_t *pc_conf_ref(pc_conf_t *conf);
void pc_conf_unref(pc_conf_t *conf);

#endif
