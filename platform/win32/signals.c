/*
 * signals.c (Windows): turns console control events into platform events.
 *
 * libuv maps Ctrl-C to SIGINT, Ctrl-Break to SIGBREAK and closing the console
 * to SIGHUP; all three stop the proxy. The service manager bridge belongs to
 * the platform issue and will post through uv_async_send.
 */
#include "portcullis/platform.h"

#include <signal.h>
#include <stdlib.h>

#define NUM_SIGNALS 3

struct pc_platform_events_s {
    uv_signal_t sig[NUM_SIGNALS];
    int open_handles; /* handles not yet closed; frees the struct at 0 */
    pc_event_cb cb;
    void *data;
};

static const int signums[NUM_SIGNALS] = {SIGINT, SIGBREAK, SIGHUP};

static void
on_signal(uv_signal_t *h, int signum)
{
    pc_platform_events_t *ev = h->data;

    (void)signum;
    ev->cb(PC_EVENT_STOP, ev->data);
}

static void
on_close(uv_handle_t *h)
{
    pc_platform_events_t *ev = h->data;

    if (--ev->open_handles == 0) {
        free(ev);
    }
}

int
pc_platform_events_start(uv_loop_t *loop, pc_event_cb cb, void *data, pc_platform_events_t **out)
{
    pc_platform_events_t *ev = calloc(1, sizeof(*ev));
    int i, err = 0;

    if (ev == NULL) {
        return UV_ENOMEM;
    }
    ev->cb = cb;
    ev->data = data;
    for (i = 0; i < NUM_SIGNALS; i++) {
        uv_signal_init(loop, &ev->sig[i]);
        ev->sig[i].data = ev;
        ev->open_handles++;
        err = uv_signal_start(&ev->sig[i], on_signal, signums[i]);
        if (err != 0) {
            break;
        }
    }
    if (err != 0) {
        pc_platform_events_stop(ev);
        return err;
    }
    *out = ev;
    return 0;
}

void
pc_platform_events_stop(pc_platform_events_t *ev)
{
    int i, n = ev->open_handles;

    for (i = 0; i < n; i++) {
        uv_close((uv_handle_t *)&ev->sig[i], on_close);
    }
}
