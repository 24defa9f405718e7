/*
 * mailbox.c: the cross-thread event mailbox (see mailbox.h).
 */
#include "mailbox.h"

#include <windows.h>

static SRWLOCK lock = SRWLOCK_INIT;
static uv_async_t *target; /* under lock */
static volatile LONG pending;

void
pc__mailbox_post(pc_event_t ev)
{
    InterlockedOr(&pending, (LONG)(1u << ev));
    AcquireSRWLockShared(&lock);
    if (target != NULL) {
        uv_async_send(target);
    }
    ReleaseSRWLockShared(&lock);
}

void
pc__mailbox_attach(uv_async_t *async)
{
    AcquireSRWLockExclusive(&lock);
    target = async;
    if (pending != 0) {
        uv_async_send(async);
    }
    ReleaseSRWLockExclusive(&lock);
}

void
pc__mailbox_detach(void)
{
    AcquireSRWLockExclusive(&lock);
    target = NULL;
    ReleaseSRWLockExclusive(&lock);
}

unsigned
pc__mailbox_take(void)
{
    return (unsigned)InterlockedExchange(&pending, 0);
}
