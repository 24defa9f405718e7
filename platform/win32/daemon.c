/*
 * daemon.c: --daemon on Windows: not available; the Windows service mode
 * (issue 4) is what runs the proxy in the background there.
 */
#include "portcullis/platform.h"

int
pc_platform_daemonize(void)
{
    return UV_ENOTSUP;
}

void
pc_platform_daemon_ready(bool ok)
{
    (void)ok;
}
