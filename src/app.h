/*
 * app.h: one run of the proxy, from loading the configuration to the exit
 * status (see app.c).
 */
#ifndef PC_APP_H
#define PC_APP_H

#include "conf_load.h"

#include <stdbool.h>

typedef struct {
    const char *conf_path; /* -c; NULL: the default file if it exists, else built-in defaults */
    bool test_only;        /* -t */
    bool daemon;           /* --daemon */
} pc_app_args_t;

/*
 * Loads -c FILE; without -c, the default file (pc_platform_default_conf()),
 * or the built-in defaults when that file does not exist. *path names what
 * was used (NULL: the defaults). Same returns as pc_conf_load().
 */
int pc_app_load_conf(const pc_app_args_t *a, pc_conf_t **out, pc_conf_error_t *err,
                     const char **path);

/*
 * Loads and checks the configuration (-t: says so and returns), detaches
 * with --daemon, then serves until stopped. Returns the exit status: 0 after
 * a clean stop, 1 when it could not start or did not close cleanly.
 */
int pc_app_run(const pc_app_args_t *args);

#endif
