/*
 * app.c: one run of the proxy, the composition root.
 *
 * Loads the configuration, opens the logs, starts the workers (worker 0 on
 * the main loop, the others on threads: workers.c), routes platform events
 * (stop, reload, reopen logs) to them, tells the service manager what state
 * it is in, and returns the exit status once every loop has closed cleanly.
 * Signals, reloads and the admin listener stay on the main loop. The same
 * run serves the console, --daemon, and the Windows service (main.c
 * decides which).
 */
#include "app.h"

#include "access_log.h"
#include "admin.h"

#include "portcullis/error.h"
#include "portcullis/log.h"
#include "portcullis/platform.h"
#include "pidfile.h"
#include "workers.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

typedef struct {
    uv_loop_t *loop;
    pc_app_args_t args;
    pc_conf_t *conf;              /* ref: the current snapshot */
    pc_access_log_t *alog;        /* owned */
    pc_workers_t *workers;        /* owned until their done callback */
    pc_admin_t *admin;            /* owned; NULL without Admin */
    pc_platform_events_t *events; /* owned until stopped */
    char *pid_file;               /* owned: the pid file written at start, removed at exit */
    int stops;
    bool unclean; /* a worker's loop did not close cleanly */

    /* A reload loads on the thread pool and is applied on the loop. */
    uv_work_t reload_work;
    bool reload_running;
    bool reload_again;      /* another RELOAD arrived while one was running */
    pc_conf_t *reload_conf; /* the loaded snapshot, NULL on failure */
    pc_conf_error_t reload_err;
    const char *reload_path;
} pc_app_t;

int
pc_app_load_conf(const pc_app_args_t *a, pc_conf_t **out, pc_conf_error_t *err, const char **path)
{
    int rc;

    *path = a->conf_path != NULL ? a->conf_path : pc_platform_default_conf();
    rc = pc_conf_load(*path, out, err);
    if (rc == UV_ENOENT && a->conf_path == NULL) {
        *path = NULL;
        rc = pc_conf_load(NULL, out, err);
    }
    return rc;
}

/* Every worker has closed everything: the events go too, and the loop ends. */
static void
on_workers_done(bool clean, void *data)
{
    pc_app_t *app = data;

    app->workers = NULL;
    app->unclean = !clean;
    if (app->admin != NULL) {
        pc_admin_stop(app->admin);
        app->admin = NULL;
    }
    if (app->events != NULL) {
        pc_platform_events_stop(app->events);
        app->events = NULL;
    }
}

static bool
same_listen(const pc_conf_t *a, const pc_conf_t *b)
{
    size_t i;

    if (a->num_listen != b->num_listen) {
        return false;
    }
    for (i = 0; i < a->num_listen; i++) {
        if (a->listen[i].port != b->listen[i].port
            || a->listen[i].addr.family != b->listen[i].addr.family
            || memcmp(a->listen[i].addr.bytes, b->listen[i].addr.bytes, 16) != 0) {
            return false;
        }
    }
    return true;
}

static void reload_finished(pc_app_t *app);

/* Every worker has the new snapshot: the reload is over. */
static void
on_reload_applied(void *data)
{
    pc_app_t *app = data;
    const char *path = app->reload_path;

    if (app->stops > 0) {
        app->reload_running = false;
        return;
    }
    PC_LOG(PC_LOGL_INFO, 0, "configuration reloaded from %s (%zu domain and %zu address rules)",
           path ? path : "built-in defaults", pc_policy_domain_count(app->conf->policy),
           pc_policy_addr_count(app->conf->policy));
    reload_finished(app);
}

static void
apply_reload(pc_app_t *app, pc_conf_t *conf)
{
    if (conf->workers != app->conf->workers) {
        PC_LOG(PC_LOGL_WARN, 0, "Workers changes take effect after a restart (%u running)",
               pc_workers_num(app->workers));
    }
    if (!same_listen(conf, app->conf)) {
        PC_LOG(PC_LOGL_WARN, 0, "Listen changes take effect after a restart");
    }
    if ((conf->access_log == NULL) != (app->conf->access_log == NULL)
        || (conf->access_log != NULL && strcmp(conf->access_log, app->conf->access_log) != 0)) {
        PC_LOG(PC_LOGL_WARN, 0, "AccessLog changes take effect after a restart");
    }
    pc_conf_unref(app->conf);
    app->conf = conf;
    pc_log_set_level((int)conf->log_level);
    /* Logged as reloaded once every worker has it (on_reload_applied). */
    pc_workers_set_conf(app->workers, conf, on_reload_applied, app);
}

/* Thread pool: reads and parses the files; touches nothing shared. */
static void
reload_work(uv_work_t *req)
{
    pc_app_t *app = req->data;

    app->reload_conf = NULL;
    if (pc_app_load_conf(&app->args, &app->reload_conf, &app->reload_err, &app->reload_path) != 0) {
        app->reload_conf = NULL;
    }
}

static void start_reload(pc_app_t *app);

/* The reload is over (applied everywhere, or failed): ready again, and the next one may run. */
static void
reload_finished(pc_app_t *app)
{
    app->reload_running = false;
    pc_platform_notify(PC_SERVICE_READY, 0);
    if (app->reload_again) {
        app->reload_again = false;
        start_reload(app);
    }
}

/*
 * Loop thread: hands the new snapshot to the workers, unless the load
 * failed or we are stopping. The reload runs on until they all have it.
 */
static void
reload_done(uv_work_t *req, int status)
{
    pc_app_t *app = req->data;
    pc_conf_t *conf = app->reload_conf;

    app->reload_conf = NULL;
    if (status != 0 || app->workers == NULL || app->stops > 0) {
        app->reload_running = false;
        pc_conf_unref(conf);
        return;
    }
    if (app->admin != NULL) {
        pc_admin_count_reload(app->admin, conf != NULL);
    }
    if (conf == NULL) {
        PC_LOG(PC_LOGL_ERROR, 0, "reload failed, keeping the running configuration: %s",
               app->reload_err.msg);
        reload_finished(app);
        return;
    }
    apply_reload(app, conf);
}

/*
 * Loading a million-entry list takes a fraction of a second: done on the
 * thread pool, the loop keeps serving meanwhile. Reloads asked for while one
 * runs are folded into one more run after it, which sees the latest files.
 */
static void
start_reload(pc_app_t *app)
{
    int err;

    if (app->reload_running) {
        app->reload_again = true;
        return;
    }
    app->reload_work.data = app;
    err = uv_queue_work(app->loop, &app->reload_work, reload_work, reload_done);
    if (err != 0) {
        PC_LOG(PC_LOGL_ERROR, 0, "reload failed: " PC_ERR_FMT, PC_ERR_ARGS(err));
        return;
    }
    app->reload_running = true;
    pc_platform_notify(PC_SERVICE_RELOADING, 0);
}

static void
reopen_logs(pc_app_t *app)
{
    int err;

    if (app->alog == NULL) {
        return;
    }
    err = pc_access_log_reopen(app->alog);
    if (err != 0) {
        PC_LOG(PC_LOGL_ERROR, 0, "cannot reopen access log %s: " PC_ERR_FMT, app->conf->access_log,
               PC_ERR_ARGS(err));
        return;
    }
    PC_LOG(PC_LOGL_INFO, 0, "access log reopened");
}

/*
 * STOP drains for ShutdownTimeout, GRACEFUL_STOP (QUIT) as long as any
 * transaction lasts; either way the events stay on until the workers are
 * done, so that a second stop request closes everything at once.
 */
static void
stop(pc_app_t *app, bool graceful)
{
    if (app->workers == NULL) {
        return;
    }
    app->stops++;
    if (app->stops == 1) {
        PC_LOG(PC_LOGL_INFO, 0, graceful ? "stopping once every transaction ends" : "stopping");
        /* The service manager is told how long the drain may take (0: unknown). */
        pc_platform_notify(PC_SERVICE_STOPPING,
                           graceful ? 0 : (uint32_t)app->conf->shutdown_timeout_ms + 5000u);
    } else {
        PC_LOG(PC_LOGL_INFO, 0, "stopping now");
    }
    pc_workers_stop(app->workers, graceful ? UINT64_MAX : app->conf->shutdown_timeout_ms,
                    on_workers_done, app);
}

static void
on_event(pc_event_t ev, void *data)
{
    pc_app_t *app = data;

    switch (ev) {
    case PC_EVENT_STOP:
    case PC_EVENT_GRACEFUL_STOP:
        stop(app, ev == PC_EVENT_GRACEFUL_STOP);
        break;
    case PC_EVENT_RELOAD:
        start_reload(app);
        break;
    case PC_EVENT_REOPEN_LOGS:
        reopen_logs(app);
        break;
    }
}

static int
load_config(pc_app_t *app)
{
    pc_conf_error_t err;
    const char *path;
    int rc = pc_app_load_conf(&app->args, &app->conf, &err, &path);

    if (rc != 0) {
        fprintf(stderr, "%s\n", err.msg);
        pc_platform_system_log(PC_SYSLOG_ERROR, err.msg); /* a service has no stderr */
        return 1;
    }
    if (app->args.test_only) {
        printf("%s: configuration OK (%zu domain and %zu address rules)\n",
               path ? path : "built-in defaults", pc_policy_domain_count(app->conf->policy),
               pc_policy_addr_count(app->conf->policy));
        pc_conf_unref(app->conf);
        return 0;
    }
    pc_log_set_level((int)app->conf->log_level);
    PC_LOG(PC_LOGL_INFO, 0, "configuration loaded from %s (%zu domain and %zu address rules)",
           path ? path : "built-in defaults", pc_policy_domain_count(app->conf->policy),
           pc_policy_addr_count(app->conf->policy));
    return -1;
}

/* Writes the PidFile, if one is configured; remembers it for removal at exit. */
static int
write_pid_file(pc_app_t *app)
{
    const char *path = app->conf->pid_file;
    char msg[512];
    int err;

    if (path == NULL) {
        return 0;
    }
    err = pc_pidfile_write(path, msg, sizeof(msg));
    if (err != 0) {
        PC_LOG(PC_LOGL_ERROR, 0, "%s", msg);
        return err;
    }
    app->pid_file = malloc(strlen(path) + 1);
    if (app->pid_file != NULL) {
        strcpy(app->pid_file, path);
    }
    return 0;
}

/* User/Group: after the bind and the pid file, for good. */
static int
drop_privileges(pc_app_t *app)
{
    const pc_conf_t *conf = app->conf;
    char msg[256];
    int err;

    if (conf->user == NULL) {
        if (conf->group != NULL) {
            PC_LOG(PC_LOGL_ERROR, 0, "Group %s needs a User", conf->group);
            return UV_EINVAL;
        }
        return 0;
    }
    err = pc_platform_drop_privileges(conf->user, conf->group, msg, sizeof(msg));
    if (err != 0) {
        PC_LOG(PC_LOGL_ERROR, 0, "%s", msg);
        return err;
    }
    PC_LOG(PC_LOGL_INFO, 0, "running as user %s", conf->user);
    return 0;
}

/*
 * Signals, listeners (every worker's), admin listener, pid file, privilege
 * drop, then the worker threads. Returns 0, or an error already logged.
 */
static int
start_serving(pc_app_t *app)
{
    /* Signals first: once "listening on" is logged, a stop request must
     * already take the graceful path. */
    int err = pc_platform_events_start(app->loop, on_event, app, &app->events);

    if (err != 0) {
        PC_LOG(PC_LOGL_ERROR, 0, "cannot install signal handlers: " PC_ERR_FMT, PC_ERR_ARGS(err));
        return err;
    }
    err = pc_workers_start(app->loop, app->conf, app->alog, &app->workers);
    if (err == 0 && app->conf->has_admin) {
        err = pc_admin_start(app->loop, app->conf, app->workers, app->alog, &app->admin);
    }
    if (err == 0) {
        err = write_pid_file(app);
    }
    if (err == 0) {
        err = drop_privileges(app);
    }
    if (err == 0) {
        err = pc_workers_run(app->workers); /* no worker thread ever runs as root */
    }
    if (err != 0 && app->workers != NULL) {
        pc_workers_stop(app->workers, 0, on_workers_done, app); /* the admin goes with them */
    }
    if (err != 0 && app->events != NULL) {
        pc_platform_events_stop(app->events);
        app->events = NULL;
    }
    return err;
}

static int
run(pc_app_t *app)
{
    int err = 0;

    if (app->conf->access_log != NULL) {
        err = pc_access_log_open(app->conf->access_log, app->conf->access_log_queue, &app->alog);
        if (err != 0) {
            PC_LOG(PC_LOGL_ERROR, 0, "cannot open access log %s: " PC_ERR_FMT,
                   app->conf->access_log, PC_ERR_ARGS(err));
        }
    }
    if (err == 0) {
        err = start_serving(app);
    }
    pc_platform_daemon_ready(err == 0);
    if (err == 0) {
        pc_platform_notify(PC_SERVICE_READY, 0);
    }
    /* On failure this only runs the close callbacks of what was opened. */
    uv_run(app->loop, UV_RUN_DEFAULT);
    return err == 0 && !app->unclean ? 0 : 1;
}

int
pc_app_run(const pc_app_args_t *args)
{
    pc_app_t app;
    uv_loop_t loop;
    int rc;

    memset(&app, 0, sizeof(app));
    app.args = *args;
    rc = load_config(&app);
    if (rc >= 0) {
        return rc;
    }
    /* After the configuration is known good, before any libuv object exists. */
    if (app.args.daemon) {
        rc = pc_platform_daemonize();
        if (rc != 0) {
            fprintf(stderr, "portcullis: --daemon: %s\n", pc_strerror(rc));
            pc_conf_unref(app.conf);
            return 1;
        }
    }
    if (uv_loop_init(&loop) != 0) {
        fprintf(stderr, "portcullis: cannot create the event loop\n");
        return 1;
    }
    app.loop = &loop;
    rc = run(&app);
    if (uv_loop_close(&loop) != 0) {
        PC_LOG(PC_LOGL_ERROR, 0, "event loop closed with handles still open");
        rc = 1;
    }
    pc_access_log_close(app.alog);
    if (app.pid_file != NULL) {
        pc_pidfile_remove(app.pid_file);
        free(app.pid_file);
    }
    pc_conf_unref(app.conf);
    if (rc == 0) {
        PC_LOG(PC_LOGL_INFO, 0, "stopped");
    }
    return rc;
}
