/*
 * platform.h: the only operating-system interface the core uses.
 *
 * Implemented in platform/posix and platform/win32. Events from the OS
 * (signals, console control, the Windows service manager, a `portcullis -s`
 * from another process) are delivered on the event loop through libuv
 * handles; nothing runs inside a signal handler or a service control handler.
 */
#ifndef PC_PLATFORM_H
#define PC_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
 * is ignored. Windows: Ctrl-C, Ctrl-Break, console close -> STOP; the
 * service manager's STOP and SHUTDOWN -> STOP, PARAMCHANGE -> RELOAD, user
 * control PC_SERVICE_CONTROL_REOPEN_LOGS -> REOPEN_LOGS; and the events of
 * pc_platform_send_event() from another process.
 * Returns 0 or a UV_E* code (then cb is never called).
 */
int pc_platform_events_start(uv_loop_t *loop, pc_event_cb cb, void *data,
                             pc_platform_events_t **out);

/* Stops delivery and closes the handles; frees itself once they are closed. */
void pc_platform_events_stop(pc_platform_events_t *ev);

/*
 * Sends ev to the running proxy with process id pid (`portcullis -s`).
 * POSIX: the signal for it (STOP: SIGTERM). Windows: sets the named event
 * that proxy waits on (console mode and service mode alike). Returns 0, or
 * UV_ESRCH when no proxy with that pid listens, or another UV_E* code.
 */
int pc_platform_send_event(long pid, pc_event_t ev);

/* What the service manager is told about the proxy's state. */
typedef enum {
    PC_SERVICE_READY,     /* listeners bound, serving (also after a reload ends) */
    PC_SERVICE_RELOADING, /* a reload has started */
    PC_SERVICE_STOPPING   /* shutdown has started */
} pc_service_state_t;

/*
 * Tells the service manager about a state change; best effort, never
 * blocks, errors are ignored. wait_hint_ms is how long the state may last
 * (STOPPING: the drain deadline); 0 if unknown.
 * POSIX: the systemd notify protocol ("READY=1", "RELOADING=1" with
 * MONOTONIC_USEC, "STOPPING=1") sent as one datagram to $NOTIFY_SOCKET when
 * it is set (a path, or "@name" for an abstract socket); nothing otherwise.
 * No libsystemd needed. Windows service: SERVICE_RUNNING, and
 * SERVICE_STOP_PENDING with the wait hint; nothing in console mode.
 */
void pc_platform_notify(pc_service_state_t state, uint32_t wait_hint_ms);

/* ---- Windows service mode (UV_ENOTSUP elsewhere) ---------------------- */

/* The user control code that reopens the logs (`sc control NAME 128`). */
#define PC_SERVICE_CONTROL_REOPEN_LOGS 128

/* The service name `portcullis service ...` uses when given no --name. */
#define PC_SERVICE_DEFAULT_NAME "Portcullis"

/*
 * Runs run(data) as the service the service manager started this process
 * for: reports START_PENDING, registers the control handler, calls run
 * (which must call pc_platform_notify(PC_SERVICE_READY) once serving), then
 * reports STOPPED with its exit status. Returns 0 with *status set, or
 * UV_ENOTSUP when the process was not started by the service manager (the
 * caller then runs in console mode), or another UV_E* code.
 */
int pc_platform_service_run(int (*run)(void *data), void *data, int *status);

typedef enum {
    PC_SERVICE_INSTALL,   /* register (automatic start, LocalService, recovery, Event Log source) */
    PC_SERVICE_UNINSTALL, /* stop if running, then remove */
    PC_SERVICE_START,     /* start and wait until running or stopped */
    PC_SERVICE_STOP       /* stop and wait until stopped */
} pc_service_op_t;

/*
 * Administers the service called name. conf_path (install only; may be
 * NULL for the default file) is stored, made absolute, in the service's
 * command line. Returns 0 with a one-line outcome in msg, or an error code
 * with the reason in msg ("not installed", "needs an administrator", ...).
 */
int pc_platform_service_admin(pc_service_op_t op, const char *name, const char *conf_path,
                              char *msg, size_t msg_cap);

/* ---- system log and paths ------------------------------------------------ */

typedef enum { PC_SYSLOG_ERROR, PC_SYSLOG_WARNING, PC_SYSLOG_INFO } pc_syslog_level_t;

/*
 * Copies one message to the system's log where the error log would
 * otherwise be lost: the Windows Event Log (source: the service name) when
 * running as a service. Nothing on POSIX, where stderr is the journal.
 */
void pc_platform_system_log(pc_syslog_level_t level, const char *msg);

/*
 * The syslog daemon as a sink for the access log: a datagram socket
 * connected to path ("/dev/log" when NULL). Each line is sent as one
 * message "<30>Mmm dd hh:mm:ss portcullis[PID]: line" (facility daemon,
 * severity info). Send may block: call it from a thread that may wait.
 * POSIX only; elsewhere open returns UV_ENOTSUP.
 */
typedef struct pc_platform_syslog_s pc_platform_syslog_t;

int pc_platform_syslog_open(const char *path, pc_platform_syslog_t **out);
/* 0, or a positive errno value when the message could not be sent. */
int pc_platform_syslog_send(pc_platform_syslog_t *s, const char *line, size_t len);
void pc_platform_syslog_close(pc_platform_syslog_t *s);

/*
 * The number of file descriptors this process may open, after raising the
 * soft limit to the hard one (as daemons do); 0 when there is no such limit
 * to speak of (Windows). Call it once at start.
 */
unsigned long pc_platform_fd_limit(void);

/* ---- workers: CPUs and listening sockets --------------------------------- */

/*
 * The CPUs this process may run on where the system can tell: on Linux the
 * affinity mask (taskset, cgroup cpusets). 0 elsewhere: the caller counts
 * libuv's CPU list instead.
 */
unsigned pc_platform_cpu_count(void);

/* How several workers, one loop each, share a Listen address. */
typedef enum {
    PC_LISTEN_REUSEPORT, /* each worker binds its own socket, SO_REUSEPORT (Linux) */
    PC_LISTEN_SHARED,    /* worker 0 binds; the others listen on dup()s of its socket */
    PC_LISTEN_SINGLE     /* one worker only (Windows: IOCP ties a socket to one loop) */
} pc_listen_mode_t;

pc_listen_mode_t pc_platform_listen_mode(void);

/*
 * PC_LISTEN_REUSEPORT: a TCP socket with SO_REUSEADDR and SO_REUSEPORT
 * (IPV6_V6ONLY for an IPv6 address), close-on-exec, bound to sa, not yet
 * listening (uv_tcp_open then uv_listen). 0 or a UV_E* code (nothing open).
 */
int pc_platform_reuseport_socket(const struct sockaddr *sa, uv_os_sock_t *out);

/*
 * PC_LISTEN_SHARED: a second descriptor (close-on-exec) for the socket of
 * the listening tcp, for another loop to uv_tcp_open. 0 or a UV_E* code.
 */
int pc_platform_dup_socket(const uv_tcp_t *tcp, uv_os_sock_t *out);

/* Closes a socket from the two above that no handle took over. */
void pc_platform_close_socket(uv_os_sock_t sock);

/*
 * The configuration file read when no -c is given. POSIX: the sysconfdir
 * path compiled in (/etc/portcullis/portcullis.conf for a /usr install).
 * Windows: %ProgramData%\Portcullis\portcullis.conf.
 */
const char *pc_platform_default_conf(void);

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
 * Sets name to value in the environment that getenv() reads, unless name is
 * set already (the user's value wins). For libraries that read their
 * settings there at first use; call it before that.
 */
void pc_platform_env_default(const char *name, const char *value);

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
