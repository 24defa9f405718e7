/*
 * it_sys_posix.c: it_sys.h for POSIX systems. RSS comes from Linux procfs;
 * on other POSIX systems (no /proc/<pid>/status) it reports UV_ENOTSUP.
 */
#include "it_sys.h"

#include <uv.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

void
pc_it_sys_init(void)
{
    signal(SIGPIPE, SIG_IGN);
}

int
pc_it_sys_rss_kib(int pid, uint64_t *kib)
{
    char path[64];
    char line[256];
    FILE *f;
    int rc = UV_ENOTSUP;
    unsigned long long v;

    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    f = fopen(path, "r");
    if (f == NULL) {
        return UV_ENOTSUP;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0 && sscanf(line + 6, "%llu", &v) == 1) {
            *kib = v;
            rc = 0;
            break;
        }
    }
    fclose(f);
    return rc;
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
    return SIGKILL;
}

int
pc_it_sys_sighup(void)
{
    return SIGHUP;
}

int
pc_it_sys_sigusr1(void)
{
    return SIGUSR1;
}

int
pc_it_sys_sigquit(void)
{
    return SIGQUIT;
}

int
pc_it_sys_kill(uv_process_t *proc, int signum)
{
    return uv_process_kill(proc, signum);
}
