/*
 * signals.c (POSIX): which signal means which platform event.
 *
 * SIGPIPE is ignored so that a write to a closed socket is an EPIPE error,
 * not the end of the daemon.
 */
#include "portcullis/platform.h"

#include "signal_bridge.h"

#include <signal.h>

static const pc__signal_map_t sigmap[] = {
    {SIGINT, PC_EVENT_STOP},   {SIGTERM, PC_EVENT_STOP},        {SIGQUIT, PC_EVENT_GRACEFUL_STOP},
    {SIGHUP, PC_EVENT_RELOAD}, {SIGUSR1, PC_EVENT_REOPEN_LOGS},
};

int
pc_platform_events_start(uv_loop_t *loop, pc_event_cb cb, void *data, pc_platform_events_t **out)
{
    signal(SIGPIPE, SIG_IGN);
    return pc__signal_bridge_start(loop, sigmap, sizeof(sigmap) / sizeof(sigmap[0]), cb, data, out);
}
