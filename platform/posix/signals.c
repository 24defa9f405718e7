/*
 * signals.c (POSIX): which signal means which platform event, and sending
 * one to a running proxy (`portcullis -s`).
 *
 * SIGPIPE is ignored so that a write to a closed socket is an EPIPE error,
 * not the end of the daemon.
 */
#include "portcullis/platform.h"

#include "signal_bridge.h"

#include <signal.h>
#include <stdlib.h>

struct pc_platform_events_s {
    pc__sigbridge_t *sig;
};

static const pc__signal_map_t sigmap[] = {
    {SIGINT, PC_EVENT_STOP},   {SIGTERM, PC_EVENT_STOP},        {SIGQUIT, PC_EVENT_GRACEFUL_STOP},
    {SIGHUP, PC_EVENT_RELOAD}, {SIGUSR1, PC_EVENT_REOPEN_LOGS},
};

int
pc_platform_events_start(uv_loop_t *loop, pc_event_cb cb, void *data, pc_platform_events_t **out)
{
    pc_platform_events_t *ev = malloc(sizeof(*ev));
    int err;

    if (ev == NULL) {
        return UV_ENOMEM;
    }
    signal(SIGPIPE, SIG_IGN);
    err = pc__signal_bridge_start(loop, sigmap, sizeof(sigmap) / sizeof(sigmap[0]), cb, data,
                                  &ev->sig);
    if (err != 0) {
        free(ev);
        return err;
    }
    *out = ev;
    return 0;
}

void
pc_platform_events_stop(pc_platform_events_t *ev)
{
    pc__signal_bridge_stop(ev->sig);
    free(ev);
}

int
pc_platform_send_event(long pid, pc_event_t ev)
{
    static const int signum[] = {
        [PC_EVENT_STOP] = SIGTERM,
        [PC_EVENT_GRACEFUL_STOP] = SIGQUIT,
        [PC_EVENT_RELOAD] = SIGHUP,
        [PC_EVENT_REOPEN_LOGS] = SIGUSR1,
    };

    if (pid <= 0 || (int)pid != pid || (unsigned)ev >= sizeof(signum) / sizeof(signum[0])) {
        return UV_EINVAL;
    }
    return uv_kill((int)pid, signum[ev]);
}
