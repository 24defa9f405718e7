/*
 * signal_bridge.c: the uv_signal_t handles behind the platform events.
 *
 * libuv's uv_signal_t does the async-signal-safe part (a self-pipe on POSIX,
 * the console control handler on Windows); the callbacks below run on the
 * loop like any other event, so nothing runs inside a signal handler.
 */
#include "signal_bridge.h"

#include <stdlib.h>

struct pc__sigbridge_s {
    uv_signal_t sig[PC__SIGNAL_BRIDGE_MAX];
    pc_event_t ev[PC__SIGNAL_BRIDGE_MAX]; /* the event for sig[i] */
    int open_handles;                     /* handles not yet closed; frees the struct at 0 */
    pc_event_cb cb;                       /* NULL once stopped or failed */
    void *data;
};

static void
on_signal(uv_signal_t *h, int signum)
{
    pc__sigbridge_t *ev = h->data;
    size_t i = (size_t)(h - ev->sig);

    (void)signum;
    if (ev->cb != NULL) {
        ev->cb(ev->ev[i], ev->data);
    }
}

static void
on_close(uv_handle_t *h)
{
    pc__sigbridge_t *ev = h->data;

    if (--ev->open_handles == 0) {
        free(ev);
    }
}

int
pc__signal_bridge_start(uv_loop_t *loop, const pc__signal_map_t *map, size_t n, pc_event_cb cb,
                        void *data, pc__sigbridge_t **out)
{
    pc__sigbridge_t *ev;
    size_t i;
    int err = 0;

    if (n > PC__SIGNAL_BRIDGE_MAX) {
        return UV_EINVAL;
    }
    ev = calloc(1, sizeof(*ev));
    if (ev == NULL) {
        return UV_ENOMEM;
    }
    ev->cb = cb;
    ev->data = data;
    for (i = 0; i < n && err == 0; i++) {
        uv_signal_init(loop, &ev->sig[i]);
        ev->sig[i].data = ev;
        ev->ev[i] = map[i].ev;
        ev->open_handles++;
        err = uv_signal_start(&ev->sig[i], on_signal, map[i].signum);
    }
    if (err != 0) {
        /* The callback must never run after an error return: close everything. */
        pc__signal_bridge_stop(ev);
        return err;
    }
    *out = ev;
    return 0;
}

void
pc__signal_bridge_stop(pc__sigbridge_t *ev)
{
    int i, n = ev->open_handles;

    ev->cb = NULL;
    for (i = 0; i < n; i++) {
        uv_close((uv_handle_t *)&ev->sig[i], on_close);
    }
}
