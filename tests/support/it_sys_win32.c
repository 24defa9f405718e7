/*
 * it_sys_win32.c: it_sys.h for Windows. There is no SIGPIPE to ignore, and
 * RSS sampling is not implemented (the slow-reader test skips).
 */
#include "it_sys.h"

#include <uv.h>

#include <signal.h>

void
pc_it_sys_init(void)
{
}

int
pc_it_sys_rss_kib(int pid, uint64_t *kib)
{
    (void)pid;
    (void)kib;
    return UV_ENOTSUP;
}

int
pc_it_sys_sigint(void)
{
    return SIGINT;
}

int
pc_it_sys_sigterm(void)
{
    return SIGTERM;
}

int
pc_it_sys_sigkill(void)
{
    /* libuv maps SIGKILL (defined by uv/win.h) to TerminateProcess. */
    return SIGKILL;
}

int
pc_it_sys_sighup(void)
{
    return 0; /* reload arrives from the service manager on Windows */
}

int
pc_it_sys_sigusr1(void)
{
    return 0;
}
