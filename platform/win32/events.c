/*
 * events.c (Windows): every source of platform events, delivered on the loop.
 *
 * Console: libuv maps Ctrl-C to SIGINT, Ctrl-Break to SIGBREAK and closing
 * the console to SIGHUP; all three stop the proxy (signal bridge). The
 * service control handler (service.c) and the named events (control.c) post
 * to the mailbox, whose uv_async_t wakes the loop here.
 */
#include "portcullis/platform.h"

#include "control.h"
#include "mailbox.h"
#include "signal_bridge.h"

#include <signal.h>
#include <stdlib.h>

struct pc_platform_events_s {
    uv_async_t async;
    pc__sigbridge_t *sig;
    pc__control_t *control;
    pc_event_cb cb; /* NULL once stopped */
    void *data;
};

static const pc__signal_map_t sigmap[] = {
    {SIGINT, PC_EVENT_STOP},
    {SIGBREAK, PC_EVENT_STOP},
    {SIGHUP, PC_EVENT_STOP},
};

static void
on_async(uv_async_t *h)
{
    /* Reload and reopen before a stop that came with them; a stop last. */
    static const pc_event_t order[] = {PC_EVENT_RELOAD, PC_EVENT_REOPEN_LOGS,
                                       PC_EVENT_GRACEFUL_STOP, PC_EVENT_STOP};
    pc_platform_events_t *ev = h->data;
    unsigned bits = pc__mailbox_take();
    size_t i;

    for (i = 0; i < sizeof(order) / sizeof(order[0]) && ev->cb != NULL; i++) {
        if (bits & (1u << order[i])) {
            ev->cb(order[i], ev->data); /* may stop ev: cb is then NULL */
        }
    }
}

static void
on_close(uv_handle_t *h)
{
    free(h->data);
}

int
pc_platform_events_start(uv_loop_t *loop, pc_event_cb cb, void *data, pc_platform_events_t **out)
{
    pc_platform_events_t *ev = calloc(1, sizeof(*ev));
    int err;

    if (ev == NULL) {
        return UV_ENOMEM;
    }
    err = uv_async_init(loop, &ev->async, on_async);
    if (err != 0) {
        free(ev);
        return err;
    }
    ev->async.data = ev;
    ev->cb = cb;
    ev->data = data;
    err = pc__signal_bridge_start(loop, sigmap, sizeof(sigmap) / sizeof(sigmap[0]), cb, data,
                                  &ev->sig);
    if (err == 0) {
        err = pc__control_start(&ev->control);
        if (err != 0) {
            pc__signal_bridge_stop(ev->sig);
        }
    }
    if (err != 0) {
        ev->cb = NULL;
        uv_close((uv_handle_t *)&ev->async, on_close);
        return err;
    }
    pc__mailbox_attach(&ev->async);
    *out = ev;
    return 0;
}

void
pc_platform_events_stop(pc_platform_events_t *ev)
{
    pc__mailbox_detach();
    pc__control_stop(ev->control);
    pc__signal_bridge_stop(ev->sig);
    ev->cb = NULL;
    uv_close((uv_handle_t *)&ev->async, on_close);
}
