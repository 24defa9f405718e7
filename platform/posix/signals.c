/*
 * signals.c (POSIX): turns signals into platform events on the loop.
 *
 * libuv's uv_signal_t does the async-signal-safe part (a self-pipe); the
 * callbacks below run on the loop like any other event. SIGPIPE is ignored so
 * that a write to a closed socket is an EPIPE error, not the end of the daemon.
 */
#include "portcullis/platform.h"

#include <signal.h>
#include <stdlib.h>

#define NUM_SIGNALS 5

struct pc_platform_events_s {
    uv_signal_t sig[NUM_SIGNALS];
    int open_handles; /* handles not yet closed; frees the struct at 0 */
    pc_event_cb cb;
    void *data;
};

static const struct {
    int signum;
    pc_event_t ev;
} sigmap[NUM_SIGNALS] = {
    {SIGINT, PC_EVENT_STOP},   {SIGTERM, PC_EVENT_STOP},        {SIGQUIT, PC_EVENT_GRACEFUL_STOP},
    {SIGHUP, PC_EVENT_RELOAD}, {SIGUSR1, PC_EVENT_REOPEN_LOGS},
};

static void
on_signal(uv_signal_t *h, int signum)
{
    pc_platform_events_t *ev = h->data;
    int i;

    for (i = 0; i < NUM_SIGNALS; i++) {
        if (sigmap[i].signum == signum) {
            ev->cb(sigmap[i].ev, ev->data);
            return;
        }
    }
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
    signal(SIGPIPE, SIG_IGN);
    for (i = 0; i < NUM_SIGNALS; i++) {
        uv_signal_init(loop, &ev->sig[i]);
        ev->sig[i].data = ev;
        ev->open_handles++;
        err = uv_signal_start(&ev->sig[i], on_signal, sigmap[i].signum);
        if (err != 0) {
            break;
        }
    }
    if (err != 0) {
        /* The callback must never run after an error return: close everything. */
        ev->cb = NULL;
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
