/*
 * control.c: named events from other processes (see control.h), and
 * pc_platform_send_event(), their sending side.
 */
#include "control.h"

#include "mailbox.h"

#include <stdio.h>
#include <stdlib.h>

#include <windows.h>

#define PC__NUM_EVENTS 4

struct pc__control_s {
    HANDLE ev[PC__NUM_EVENTS + 1]; /* indexed by pc_event_t; the last one ends the thread */
    uv_thread_t thread;
};

static const char *const event_names[PC__NUM_EVENTS] = {
    [PC_EVENT_STOP] = "stop",
    [PC_EVENT_GRACEFUL_STOP] = "quit",
    [PC_EVENT_RELOAD] = "reload",
    [PC_EVENT_REOPEN_LOGS] = "reopen",
};

static void
event_name(unsigned long pid, pc_event_t ev, char *out, size_t cap)
{
    snprintf(out, cap, "Local\\portcullis-%lu-%s", pid, event_names[ev]);
}

static void
wait_thread(void *arg)
{
    pc__control_t *c = arg;

    for (;;) {
        DWORD r = WaitForMultipleObjects(PC__NUM_EVENTS + 1, c->ev, FALSE, INFINITE);

        if (r >= WAIT_OBJECT_0 + PC__NUM_EVENTS) {
            return; /* asked to end, or the wait itself failed */
        }
        pc__mailbox_post((pc_event_t)(r - WAIT_OBJECT_0));
    }
}

static void
close_events(pc__control_t *c)
{
    size_t i;

    for (i = 0; i <= PC__NUM_EVENTS; i++) {
        if (c->ev[i] != NULL) {
            CloseHandle(c->ev[i]);
        }
    }
    free(c);
}

int
pc__control_start(pc__control_t **out)
{
    pc__control_t *c = calloc(1, sizeof(*c));
    unsigned long pid = GetCurrentProcessId();
    char name[64];
    size_t i;

    if (c == NULL) {
        return UV_ENOMEM;
    }
    for (i = 0; i <= PC__NUM_EVENTS; i++) {
        if (i < PC__NUM_EVENTS) {
            event_name(pid, (pc_event_t)i, name, sizeof(name));
        }
        c->ev[i] = CreateEventA(NULL, FALSE, FALSE, i < PC__NUM_EVENTS ? name : NULL);
        if (c->ev[i] == NULL) {
            close_events(c);
            return UV_EIO;
        }
    }
    if (uv_thread_create(&c->thread, wait_thread, c) != 0) {
        close_events(c);
        return UV_EIO;
    }
    *out = c;
    return 0;
}

void
pc__control_stop(pc__control_t *c)
{
    SetEvent(c->ev[PC__NUM_EVENTS]);
    uv_thread_join(&c->thread);
    close_events(c);
}

int
pc_platform_send_event(long pid, pc_event_t ev)
{
    char name[64];
    HANDLE h;
    BOOL ok;

    if (pid <= 0 || (unsigned)ev >= PC__NUM_EVENTS) {
        return UV_EINVAL;
    }
    event_name((unsigned long)pid, ev, name, sizeof(name));
    h = OpenEventA(EVENT_MODIFY_STATE, FALSE, name);
    if (h == NULL) {
        return GetLastError() == ERROR_ACCESS_DENIED ? UV_EPERM : UV_ESRCH;
    }
    ok = SetEvent(h);
    CloseHandle(h);
    return ok ? 0 : UV_EIO;
}
