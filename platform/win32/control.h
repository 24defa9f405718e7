/*
 * control.h: the named events through which another process sends this one
 * a platform event (internal to platform/win32).
 *
 * Windows has no SIGHUP or SIGUSR1, so `portcullis -s reload` (and the test
 * harness) set an auto-reset event named "Local\portcullis-<pid>-<what>",
 * what being stop, quit, reload or reopen. A thread waits on the four and
 * posts to the mailbox. "Local\" is the caller's session: a service runs in
 * session 0 and takes its controls from the service manager instead.
 */
#ifndef PC_WIN32_CONTROL_H
#define PC_WIN32_CONTROL_H

#include "portcullis/platform.h"

typedef struct pc__control_s pc__control_t;

/* Creates the events of this process and starts the waiting thread. */
int pc__control_start(pc__control_t **out);

/* Ends the thread and closes the events. */
void pc__control_stop(pc__control_t *c);

#endif
