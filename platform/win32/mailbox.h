/*
 * mailbox.h: platform events posted from other threads to the loop
 * (internal to platform/win32).
 *
 * The service control handler runs on the dispatcher's thread and the named
 * events are waited for on a thread of their own; neither may touch the
 * proxy. They post here: a bit per event and a uv_async_send() wake-up. An
 * event posted before a loop is attached (a STOP during START_PENDING) is
 * kept and delivered once one is.
 */
#ifndef PC_WIN32_MAILBOX_H
#define PC_WIN32_MAILBOX_H

#include "portcullis/platform.h"

/* Any thread. */
void pc__mailbox_post(pc_event_t ev);

/* Loop thread: async is woken for every post from now on (and at once if any is pending). */
void pc__mailbox_attach(uv_async_t *async);

/* Loop thread: no more wake-ups; posts are kept. */
void pc__mailbox_detach(void);

/* Loop thread: the pending events as a bit set (1 << pc_event_t), cleared. */
unsigned pc__mailbox_take(void);

#endif
