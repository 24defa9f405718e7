/*
 * service.c (POSIX): the parts of the service interface that belong to
 * Windows. On POSIX the service manager is systemd (notify.c), or --daemon
 * (daemon.c); the system log is stderr, which systemd sends to the journal.
 * Also the descriptor limit.
 */
#include "portcullis/platform.h"
#include "portcullis/version.h"

#include <stdio.h>
#include <sys/resource.h>

int
pc_platform_service_run(int (*run)(void *data), void *data, int *status)
{
    (void)run;
    (void)data;
    (void)status;
    return UV_ENOTSUP;
}

int
pc_platform_service_admin(pc_service_op_t op, const char *name, const char *conf_path, char *msg,
                          size_t msg_cap)
{
    (void)op;
    (void)name;
    (void)conf_path;
    snprintf(msg, msg_cap,
             "'service' manages the Windows service; here use the systemd unit "
             "or --daemon (see docs/operations.md)");
    return UV_ENOTSUP;
}

void
pc_platform_system_log(pc_syslog_level_t level, const char *msg)
{
    (void)level;
    (void)msg;
}

unsigned long
pc_platform_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return 0;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit want = rl;

        want.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &want) == 0) {
            rl = want;
        }
    }
    return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1000000000ul ? 0
                                                                      : (unsigned long)rl.rlim_cur;
}

const char *
pc_platform_default_conf(void)
{
    return PC_DEFAULT_CONF;
}
