/*
 * it_sys_posix.c: it_sys.h for POSIX systems. RSS comes from Linux procfs;
 * on other POSIX systems (no /proc/<pid>/status) it reports UV_ENOTSUP. The
 * descriptor limit is RLIMIT_NOFILE.
 */
#define _XOPEN_SOURCE 700 /* P_tmpdir, mkdtemp, strdup */
#include "it_sys.h"

#include <uv.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

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
pc_it_sys_raise_nofile(uint64_t want, uint64_t *got)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return UV_ENOTSUP;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            return UV_EPERM;
        }
    }
    *got = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
    return 0;
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

char *
pc_it_sys_socket_dir(void)
{
    /* The system's temporary directory (P_tmpdir), not $TMPDIR, which may be deep too. */
    size_t cap = sizeof(P_tmpdir) + sizeof("/pc-it-XXXXXX");
    char *dir = malloc(cap);

    if (dir == NULL) {
        return NULL;
    }
    snprintf(dir, cap, "%s/pc-it-XXXXXX", P_tmpdir);
    if (mkdtemp(dir) == NULL) {
        fprintf(stderr, "harness: mkdtemp %s: %s\n", dir, strerror(errno));
        free(dir);
        return NULL;
    }
    return dir;
}

void
pc_it_sys_socket_dir_remove(void *p)
{
    char *dir = p;
    DIR *d;
    struct dirent *e;

    if (dir == NULL) {
        return;
    }
    d = opendir(dir);
    while (d != NULL && (e = readdir(d)) != NULL) {
        char path[512];

        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            unlink(path);
        }
    }
    if (d != NULL) {
        closedir(d);
    }
    rmdir(dir);
    free(dir);
}
