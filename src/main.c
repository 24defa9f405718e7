/*
 * main.c: the command line.
 *
 * Parses the arguments and picks what this process does: run the proxy
 * (app.c) in the console, with --daemon, or under the Windows service
 * manager (--service); send an event to a running proxy (-s); or administer
 * the Windows service (`portcullis service ...`).
 */
#include "app.h"
#include "pidfile.h"
#include "portcullis/error.h"
#include "portcullis/platform.h"
#include "portcullis/version.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    pc_app_args_t app;
    const char *send; /* -s ACTION, or NULL */
    bool service;     /* --service: started by the Windows service manager */
} pc_args_t;

static const struct {
    const char *name;
    pc_event_t ev;
} actions[] = {
    {"stop", PC_EVENT_STOP},
    {"quit", PC_EVENT_GRACEFUL_STOP},
    {"reload", PC_EVENT_RELOAD},
    {"reopen", PC_EVENT_REOPEN_LOGS},
};

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: portcullis [-c FILE] [-t] [--daemon] [-V] [-h]\n"
            "       portcullis [-c FILE] -s stop|quit|reload|reopen\n"
            "       portcullis service install [--config FILE] [--name NAME]   (Windows)\n"
            "       portcullis service uninstall|start|stop [--name NAME]      (Windows)\n"
            "  -c FILE   configuration file (default: %s if it exists,\n"
            "            otherwise the built-in defaults)\n"
            "  -t        check the configuration and exit\n"
            "  --daemon  run in the background; return once serving (POSIX)\n"
            "  -s ACTION tell the proxy whose PidFile FILE names to stop (drain with\n"
            "            ShutdownTimeout), quit (drain without deadline), reload the\n"
            "            configuration, or reopen the access log\n"
            "  -V        print the version and exit\n"
            "  -h        print this help and exit\n",
            pc_platform_default_conf());
}

/* Returns -1 to continue, or an exit status. */
static int
parse_args(int argc, char **argv, pc_args_t *a)
{
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            a->app.conf_path = argv[++i];
        } else if (strcmp(argv[i], "-t") == 0) {
            a->app.test_only = true;
        } else if (strcmp(argv[i], "--daemon") == 0) {
            a->app.daemon = true;
        } else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
            a->send = argv[++i];
        } else if (strcmp(argv[i], "--service") == 0) {
            a->service = true;
        } else if (strcmp(argv[i], "-V") == 0) {
            printf("portcullis %s\n", PC_VERSION_STRING);
            return 0;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "portcullis: unknown or incomplete option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    return -1;
}

/* -s ACTION: the event, to the pid in the configuration's PidFile. */
static int
send_action(const pc_args_t *a)
{
    pc_conf_error_t cerr;
    pc_conf_t *conf;
    const char *path;
    char msg[512];
    size_t i;
    long pid;
    int rc;

    for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        if (strcmp(a->send, actions[i].name) == 0) {
            break;
        }
    }
    if (i == sizeof(actions) / sizeof(actions[0])) {
        fprintf(stderr, "portcullis: -s %s: use stop, quit, reload or reopen\n", a->send);
        return 2;
    }
    if (pc_app_load_conf(&a->app, &conf, &cerr, &path) != 0) {
        fprintf(stderr, "%s\n", cerr.msg);
        return 1;
    }
    if (conf->pid_file == NULL) {
        fprintf(stderr, "portcullis: -s needs the running proxy's PidFile, and %s sets none\n",
                path != NULL ? path : "the built-in configuration");
        pc_conf_unref(conf);
        return 1;
    }
    rc = pc_pidfile_read(conf->pid_file, &pid, msg, sizeof(msg));
    if (rc == 0) {
        rc = pc_platform_send_event(pid, actions[i].ev);
        if (rc != 0) {
            snprintf(msg, sizeof(msg), "cannot send %s to process %ld (from %s): %s", a->send, pid,
                     conf->pid_file,
                     rc == UV_ESRCH ? "no such proxy; a stale pid file?" : pc_strerror(rc));
        }
    }
    if (rc != 0) {
        fprintf(stderr, "portcullis: %s\n", msg);
    }
    pc_conf_unref(conf);
    return rc == 0 ? 0 : 1;
}

/* portcullis service OP [--config FILE] [--name NAME] */
static int
service_command(int argc, char **argv)
{
    static const char *const ops[] = {"install", "uninstall", "start", "stop"};
    const char *name = PC_SERVICE_DEFAULT_NAME, *conf_path = NULL;
    pc_app_args_t check = {0};
    pc_conf_error_t cerr;
    pc_conf_t *conf;
    const char *path;
    char msg[1024];
    int i, op = -1, rc;

    for (i = 0; i < 4 && argc > 0; i++) {
        if (strcmp(argv[0], ops[i]) == 0) {
            op = i;
        }
    }
    for (i = 1; op >= 0 && i < argc; i++) {
        if (strcmp(argv[i], "--name") == 0 && i + 1 < argc && argv[i + 1][0] != '\0') {
            name = argv[++i];
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc && op == PC_SERVICE_INSTALL) {
            conf_path = argv[++i];
        } else {
            op = -1;
        }
    }
    if (op < 0) {
        fprintf(stderr, "usage: portcullis service install [--config FILE] [--name NAME]\n"
                        "       portcullis service uninstall|start|stop [--name NAME]\n");
        return 2;
    }
    if (op == PC_SERVICE_INSTALL) {
        /* A service that cannot start is no use: check the file first. */
        check.conf_path = conf_path;
        if (pc_app_load_conf(&check, &conf, &cerr, &path) != 0) {
            fprintf(stderr, "%s\n", cerr.msg);
            return 1;
        }
        pc_conf_unref(conf);
    }
    rc = pc_platform_service_admin((pc_service_op_t)op, name, conf_path, msg, sizeof(msg));
    fprintf(rc == 0 ? stdout : stderr, "portcullis: %s\n", msg);
    return rc == 0 ? 0 : rc == UV_ENOTSUP ? 2 : 1;
}

static int
run_app(void *data)
{
    return pc_app_run(data);
}

/*
 * Name resolution runs on libuv's thread pool, 4 threads unless
 * UV_THREADPOOL_SIZE says otherwise: four lookups waiting on a slow or
 * silent DNS server would hold every other lookup, however fast (a name in
 * /etc/hosts included), for the resolver's whole timeout. A larger pool,
 * set before libuv starts it, keeps lookups independent. The environment
 * still wins.
 */
#define THREADPOOL_SIZE "32"

int
main(int argc, char **argv)
{
    pc_args_t args;
    int rc, status;

    if (argc >= 2 && strcmp(argv[1], "service") == 0) {
        return service_command(argc - 2, argv + 2);
    }
    memset(&args, 0, sizeof(args));
    rc = parse_args(argc, argv, &args);
    if (rc >= 0) {
        return rc;
    }
    if (args.send != NULL) {
        return send_action(&args);
    }
    pc_platform_env_default("UV_THREADPOOL_SIZE", THREADPOOL_SIZE);
    if (args.service) {
        rc = pc_platform_service_run(run_app, &args.app, &status);
        if (rc == 0) {
            return status;
        }
        if (rc != UV_ENOTSUP) {
            fprintf(stderr, "portcullis: cannot run as a service: %s\n", pc_strerror(rc));
            return 1;
        }
        /* Not started by the service manager: the console it is, then. */
    }
    return pc_app_run(&args.app);
}
