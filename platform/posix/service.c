/*
 * service.c (POSIX): the parts of the service interface that belong to
 * Windows. On POSIX the service manager is systemd (notify.c), or --daemon
 * (daemon.c); the system log is stderr, which systemd sends to the journal.
 */
#include "portcullis/platform.h"
#include "portcullis/version.h"

#include <stdio.h>

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

const char *
pc_platform_default_conf(void)
{
    return PC_DEFAULT_CONF;
}
