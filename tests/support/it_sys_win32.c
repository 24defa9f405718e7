/*
 * it_sys_win32.c: it_sys.h for Windows. There is no SIGPIPE to ignore, and
 * RSS sampling is not implemented (the slow-reader test skips). The POSIX
 * signals the tests send become the proxy's named control events, set by
 * pc_platform_send_event() as `portcullis -s` does.
 */
#include "it_sys.h"

#include "portcullis/platform.h"

#include <signal.h>

/* Windows has no SIGUSR1 or SIGQUIT; numbers outside the others stand for them. */
#define PC_IT_SIGUSR1 30
#define PC_IT_SIGQUIT 3

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
pc_it_sys_raise_nofile(uint64_t want, uint64_t *got)
{
    (void)want;
    (void)got;
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
    return SIGHUP; /* defined by uv/win.h */
}

int
pc_it_sys_sigusr1(void)
{
    return PC_IT_SIGUSR1;
}

int
pc_it_sys_sigquit(void)
{
    return PC_IT_SIGQUIT;
}

int
pc_it_sys_kill(uv_process_t *proc, int signum)
{
    switch (signum) {
    case SIGTERM:
    case SIGINT:
        return pc_platform_send_event(proc->pid, PC_EVENT_STOP);
    case SIGHUP:
        return pc_platform_send_event(proc->pid, PC_EVENT_RELOAD);
    case PC_IT_SIGUSR1:
        return pc_platform_send_event(proc->pid, PC_EVENT_REOPEN_LOGS);
    case PC_IT_SIGQUIT:
        return pc_platform_send_event(proc->pid, PC_EVENT_GRACEFUL_STOP);
    default:
        return uv_process_kill(proc, signum);
    }
}

char *
pc_it_sys_socket_dir(void)
{
    return NULL;
}

void
pc_it_sys_socket_dir_remove(void *dir)
{
    (void)dir;
}
