/*
 * platform.h: the only operating-system interface the core uses.
 *
 * Implemented in platform/posix and platform/win32. Events from the OS
 * (signals, console control, later the service manager) are delivered on the
 * event loop through libuv handles; nothing runs inside a signal handler.
 */
#ifndef PC_PLATFORM_H
#define PC_PLATFORM_H

#include <stdbool.h>

#include <uv.h>

typedef enum {
    PC_EVENT_STOP,          /* stop now-ish: close listeners, drain with the grace period */
    PC_EVENT_GRACEFUL_STOP, /* stop accepting, let every transaction finish */
    PC_EVENT_RELOAD,        /* re-read the configuration */
    PC_EVENT_REOPEN_LOGS    /* reopen log files (after rotation) */
} pc_event_t;

typedef void (*pc_event_cb)(pc_event_t ev, void *data);

typedef struct pc_platform_events_s pc_platform_events_t;

/*
 * Starts delivering OS events to cb on loop. POSIX: SIGINT, SIGTERM -> STOP,
 * SIGQUIT -> GRACEFUL_STOP, SIGHUP -> RELOAD, SIGUSR1 -> REOPEN_LOGS; SIGPIPE
 * is ignored. Windows console: Ctrl-C, Ctrl-Break, close -> STOP.
 * Returns 0 or a UV_E* code (then cb is never called).
 */
int pc_platform_events_start(uv_loop_t *loop, pc_event_cb cb, void *data,
                             pc_platform_events_t **out);

/* Stops delivery and closes the handles; frees itself once they are closed. */
void pc_platform_events_stop(pc_platform_events_t *ev);

/* What the service manager is told about the proxy's state. */
typedef enum {
    PC_SERVICE_READY,     /* listeners bound, serving (also after a reload ends) */
    PC_SERVICE_RELOADING, /* a reload has started */
    PC_SERVICE_STOPPING   /* shutdown has started */
} pc_service_state_t;

/*
 * Tells the service manager about a state change; best effort, never
 * blocks, errors are ignored. POSIX: the systemd notify protocol
 * ("READY=1", "RELOADING=1" with MONOTONIC_USEC, "STOPPING=1") sent as one
 * datagram to $NOTIFY_SOCKET when it is set (a path, or "@name" for an
 * abstract socket); nothing otherwise. No libsystemd needed.
 */
void pc_platform_notify(pc_service_state_t state);

/*
 * --daemon: detaches into the background. Call it before any libuv object
 * exists (it forks). Returns 0 in the child, which continues in a new
 * session with stdin and stdout on /dev/null (stderr, the error log, and
 * the working directory are kept) and must call pc_platform_daemon_ready()
 * once start-up is over. The parent never returns: it exits 0 when the
 * child reports ready, and 1 when it reports failure or exits first (its
 * own messages on the shared stderr say why). Returns a UV_E* code if the
 * fork fails, or UV_ENOTSUP where there is no such mode (Windows: use the
 * service).
 */
int pc_platform_daemonize(void);

/* In a --daemon child, tells the waiting parent how start-up went; else nothing. */
void pc_platform_daemon_ready(bool ok);

/*
 * User/Group: drops root privileges for good once the listeners are bound
 * and the pid file is written. group may be NULL (the user's own group).
 * Order: setgid, initgroups, setuid; then verified (real and effective ids,
 * and root cannot be regained). Running as that user already is fine; any
 * other non-root start with a User is an error. Returns 0, or an error with
 * the reason in err ("unknown user 'x'", ...): the caller must not go on.
 * Windows: UV_ENOTSUP (the service runs under its own account).
 */
int pc_platform_drop_privileges(const char *user, const char *group, char *err, size_t err_cap);

#endif
