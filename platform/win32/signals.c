/*
 * signals.c (Windows): console control events as platform events.
 *
 * libuv maps Ctrl-C to SIGINT, Ctrl-Break to SIGBREAK and closing the console
 * to SIGHUP; all three stop the proxy. The service manager bridge belongs to
 * the platform issue and will post through uv_async_send.
 */
#include "portcullis/platform.h"

#include "signal_bridge.h"

#include <signal.h>

static const pc__signal_map_t sigmap[] = {
    {SIGINT, PC_EVENT_STOP},
    {SIGBREAK, PC_EVENT_STOP},
    {SIGHUP, PC_EVENT_STOP},
};

int
pc_platform_events_start(uv_loop_t *loop, pc_event_cb cb, void *data, pc_platform_events_t **out)
{
    return pc__signal_bridge_start(loop, sigmap, sizeof(sigmap) / sizeof(sigmap[0]), cb, data, out);
}
