/*
 * service_admin.c (Windows): `portcullis service install|uninstall|start|stop`.
 *
 * Install registers the service: this executable with --service and the
 * absolute configuration path, automatic start, the LocalService account,
 * a description, restart-on-crash recovery actions, and the Event Log
 * source. Start and stop wait until the service gets where it was sent and
 * say how it ended. Every failure comes back with a sentence in msg.
 */
#include "portcullis/platform.h"

#include "eventlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <windows.h>

#define PC__WAIT_LIMIT_MS 120000u /* a pending state that makes no progress for this long */

typedef struct {
    const char *name;
    char *msg;
    size_t cap;
} admin_t;

static int
say(admin_t *a, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(a->msg, a->cap, fmt, ap);
    va_end(ap);
    return rc;
}

/* A Win32 failure as a sentence and an error code. */
static int
fail(admin_t *a, const char *what, DWORD err)
{
    char text[256];
    size_t n;

    switch (err) {
    case ERROR_ACCESS_DENIED:
        return say(a, UV_EPERM, "%s: access denied: run it from an elevated (administrator) prompt",
                   what);
    case ERROR_SERVICE_EXISTS:
        return say(a, UV_EEXIST,
                   "service %s is already installed (portcullis service uninstall%s%s)", a->name,
                   strcmp(a->name, PC_SERVICE_DEFAULT_NAME) ? " --name " : "",
                   strcmp(a->name, PC_SERVICE_DEFAULT_NAME) ? a->name : "");
    case ERROR_SERVICE_DOES_NOT_EXIST:
        return say(a, UV_ENOENT, "service %s is not installed", a->name);
    case ERROR_SERVICE_MARKED_FOR_DELETE:
        return say(a, UV_EBUSY,
                   "service %s is being removed; close the Services console and try again",
                   a->name);
    default:
        break;
    }
    n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, err, 0,
                       text, sizeof(text), NULL);
    while (n > 0 && (text[n - 1] == '\r' || text[n - 1] == '\n' || text[n - 1] == '.')) {
        text[--n] = '\0';
    }
    return say(a, UV_EIO, "%s: %s (error %lu)", what, n > 0 ? text : "failed", (unsigned long)err);
}

static SC_HANDLE
open_service(admin_t *a, DWORD access, int *rc)
{
    SC_HANDLE scm = OpenSCManagerA(NULL, NULL, SC_MANAGER_CONNECT);
    SC_HANDLE svc;

    if (scm == NULL) {
        *rc = fail(a, "cannot reach the service manager", GetLastError());
        return NULL;
    }
    svc = OpenServiceA(scm, a->name, access);
    if (svc == NULL) {
        *rc = fail(a, a->name, GetLastError());
    }
    CloseServiceHandle(scm);
    return svc;
}

/* Waits while the service is in a pending state that makes progress. */
static int
wait_settled(admin_t *a, SC_HANDLE svc, SERVICE_STATUS *st)
{
    DWORD last_check = 0, since = GetTickCount();

    for (;;) {
        if (!QueryServiceStatus(svc, st)) {
            return fail(a, "cannot query the service", GetLastError());
        }
        if (st->dwCurrentState != SERVICE_START_PENDING
            && st->dwCurrentState != SERVICE_STOP_PENDING) {
            return 0;
        }
        if (st->dwCheckPoint != last_check) {
            last_check = st->dwCheckPoint;
            since = GetTickCount();
        } else if (GetTickCount() - since > PC__WAIT_LIMIT_MS) {
            return say(a, UV_ETIMEDOUT, "service %s is still %s after %u s", a->name,
                       st->dwCurrentState == SERVICE_START_PENDING ? "starting" : "stopping",
                       PC__WAIT_LIMIT_MS / 1000);
        }
        Sleep(200);
    }
}

static DWORD
exit_code(const SERVICE_STATUS *st)
{
    return st->dwWin32ExitCode == ERROR_SERVICE_SPECIFIC_ERROR ? st->dwServiceSpecificExitCode
                                                               : st->dwWin32ExitCode;
}

/*
 * The command line the service manager runs: quoted exe, --service, and
 * -c with conf_path made absolute into conf (empty without conf_path).
 */
static int
command_line(admin_t *a, const char *exe, const char *conf_path, char *conf, char *out, size_t cap)
{
    DWORD n;
    int len;

    conf[0] = '\0';
    if (conf_path == NULL) {
        len = snprintf(out, cap, "\"%s\" --service", exe);
    } else {
        n = GetFullPathNameA(conf_path, MAX_PATH, conf, NULL);
        if (n == 0 || n >= MAX_PATH) {
            return say(a, UV_EINVAL, "cannot make %s an absolute path", conf_path);
        }
        if (GetFileAttributesA(conf) == INVALID_FILE_ATTRIBUTES) {
            return say(a, UV_ENOENT, "%s: no such file", conf);
        }
        len = snprintf(out, cap, "\"%s\" --service -c \"%s\"", exe, conf);
    }
    return len > 0 && (size_t)len < cap ? 0 : say(a, UV_ENAMETOOLONG, "the paths are too long");
}

/* Description and recovery (restart after 5 s, 30 s, then every 60 s; count reset daily). */
static int
configure(admin_t *a, SC_HANDLE svc, const char *conf_path)
{
    SC_ACTION actions[3] = {
        {SC_ACTION_RESTART, 5000}, {SC_ACTION_RESTART, 30000}, {SC_ACTION_RESTART, 60000}};
    SERVICE_FAILURE_ACTIONSA fa;
    SERVICE_DESCRIPTIONA desc;
    SERVICE_SID_INFO sid = {SERVICE_SID_TYPE_UNRESTRICTED};
    char text[MAX_PATH + 128];

    snprintf(text, sizeof(text), "Portcullis filtering forward HTTP/HTTPS proxy. Configuration: %s",
             conf_path != NULL ? conf_path : pc_platform_default_conf());
    desc.lpDescription = text;
    if (!ChangeServiceConfig2A(svc, SERVICE_CONFIG_DESCRIPTION, &desc)) {
        return fail(a, "cannot set the description", GetLastError());
    }
    memset(&fa, 0, sizeof(fa));
    fa.dwResetPeriod = 24 * 3600;
    fa.cActions = 3;
    fa.lpsaActions = actions;
    if (!ChangeServiceConfig2A(svc, SERVICE_CONFIG_FAILURE_ACTIONS, &fa)) {
        return fail(a, "cannot set the recovery actions", GetLastError());
    }
    /* A service SID (NT SERVICE\<name>) to grant file access to; optional. */
    (void)ChangeServiceConfig2A(svc, SERVICE_CONFIG_SERVICE_SID_INFO, &sid);
    return 0;
}

static int
install(admin_t *a, const char *conf_path)
{
    char exe[MAX_PATH], conf[MAX_PATH], cmd[2 * MAX_PATH + 32], display[300];
    SC_HANDLE scm, svc;
    DWORD n = GetModuleFileNameA(NULL, exe, sizeof(exe)), err;
    int rc;

    if (n == 0 || n >= sizeof(exe)) {
        return fail(a, "cannot find this executable's path", GetLastError());
    }
    rc = command_line(a, exe, conf_path, conf, cmd, sizeof(cmd));
    if (rc != 0) {
        return rc;
    }
    scm = OpenSCManagerA(NULL, NULL, SC_MANAGER_CREATE_SERVICE);
    if (scm == NULL) {
        return fail(a, "cannot open the service manager", GetLastError());
    }
    snprintf(display, sizeof(display),
             strcmp(a->name, PC_SERVICE_DEFAULT_NAME) == 0 ? "Portcullis proxy"
                                                           : "Portcullis proxy (%s)",
             a->name);
    svc = CreateServiceA(scm, a->name, display, SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS,
                         SERVICE_AUTO_START, SERVICE_ERROR_NORMAL, cmd, NULL, NULL, NULL,
                         "NT AUTHORITY\\LocalService", NULL);
    if (svc == NULL) {
        rc = fail(a, "cannot create the service", GetLastError());
        CloseServiceHandle(scm);
        return rc;
    }
    rc = configure(a, svc, conf[0] != '\0' ? conf : NULL);
    if (rc == 0) {
        err = pc__eventlog_register(a->name, exe);
        if (err != 0) {
            rc = fail(a, "cannot register the Event Log source", err);
        }
    }
    if (rc != 0) {
        DeleteService(svc); /* all or nothing */
    } else {
        rc = say(a, 0, "service %s installed (automatic start, LocalService): %s", a->name, cmd);
    }
    CloseServiceHandle(svc);
    CloseServiceHandle(scm);
    return rc;
}

static int
stop(admin_t *a, SC_HANDLE svc, bool quiet_if_stopped)
{
    SERVICE_STATUS st;
    int rc;

    if (!ControlService(svc, SERVICE_CONTROL_STOP, &st)) {
        DWORD err = GetLastError();

        if (err == ERROR_SERVICE_NOT_ACTIVE) {
            return say(a, 0, "service %s is not running", a->name);
        }
        if (err != ERROR_SERVICE_CANNOT_ACCEPT_CTRL || !quiet_if_stopped) {
            return fail(a, "cannot stop the service", err);
        }
    }
    rc = wait_settled(a, svc, &st);
    if (rc != 0) {
        return rc;
    }
    if (exit_code(&st) != 0) {
        return say(a, 0, "service %s stopped, exit code %lu", a->name,
                   (unsigned long)exit_code(&st));
    }
    return say(a, 0, "service %s stopped", a->name);
}

static int
uninstall(admin_t *a)
{
    int rc = 0;
    SC_HANDLE svc = open_service(a, DELETE | SERVICE_STOP | SERVICE_QUERY_STATUS, &rc);
    DWORD err;

    if (svc == NULL) {
        return rc;
    }
    rc = stop(a, svc, true);
    if (rc == 0 && !DeleteService(svc)) {
        rc = fail(a, "cannot remove the service", GetLastError());
    }
    CloseServiceHandle(svc);
    if (rc != 0) {
        return rc;
    }
    err = pc__eventlog_unregister(a->name);
    if (err != 0) {
        return fail(a, "service removed, but not its Event Log source", err);
    }
    return say(a, 0, "service %s removed", a->name);
}

static int
start(admin_t *a)
{
    int rc = 0;
    SC_HANDLE svc = open_service(a, SERVICE_START | SERVICE_QUERY_STATUS, &rc);
    SERVICE_STATUS st;

    if (svc == NULL) {
        return rc;
    }
    if (!StartServiceA(svc, 0, NULL)) {
        DWORD err = GetLastError();

        CloseServiceHandle(svc);
        if (err == ERROR_SERVICE_ALREADY_RUNNING) {
            return say(a, 0, "service %s is already running", a->name);
        }
        return fail(a, "cannot start the service", err);
    }
    rc = wait_settled(a, svc, &st);
    CloseServiceHandle(svc);
    if (rc != 0) {
        return rc;
    }
    if (st.dwCurrentState != SERVICE_RUNNING) {
        return say(a, UV_ECANCELED,
                   "service %s did not start (exit code %lu): see the Application event log, "
                   "source %s",
                   a->name, (unsigned long)exit_code(&st), a->name);
    }
    return say(a, 0, "service %s is running", a->name);
}

int
pc_platform_service_admin(pc_service_op_t op, const char *name, const char *conf_path, char *msg,
                          size_t msg_cap)
{
    admin_t a = {name, msg, msg_cap};
    SC_HANDLE svc;
    int rc = 0;

    switch (op) {
    case PC_SERVICE_INSTALL:
        return install(&a, conf_path);
    case PC_SERVICE_UNINSTALL:
        return uninstall(&a);
    case PC_SERVICE_START:
        return start(&a);
    case PC_SERVICE_STOP:
        svc = open_service(&a, SERVICE_STOP | SERVICE_QUERY_STATUS, &rc);
        if (svc != NULL) {
            rc = stop(&a, svc, false);
            CloseServiceHandle(svc);
        }
        return rc;
    }
    return say(&a, UV_EINVAL, "unknown service operation");
}
