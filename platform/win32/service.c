/*
 * service.c (Windows): running under the service control manager.
 *
 * pc_platform_service_run() hands the main thread to the dispatcher, which
 * calls service_main() on a thread of its own; that thread runs the proxy
 * (the callback) and reports its states. The control handler runs on the
 * main thread again and only posts events to the loop (mailbox.c).
 * pc_platform_notify() turns the proxy's states into SERVICE_STATUS.
 */
#include "portcullis/platform.h"

#include "eventlog.h"
#include "mailbox.h"

#include <stdio.h>
#include <string.h>

#include <windows.h>

#define PC__START_HINT_MS 30000u /* loading a million-entry list takes about a second */
#define PC__STOP_HINT_MS  15000u /* until the proxy says how long its drain may take */

static SRWLOCK status_lock = SRWLOCK_INIT;
static SERVICE_STATUS_HANDLE status_handle; /* NULL: not a service (console mode) */
static SERVICE_STATUS status;               /* under status_lock */

static int (*service_fn)(void *data);
static void *service_data;
static int service_status;
static char service_name[257];

/* Reports state; a pending state counts its checkpoint up. */
static void
set_state(DWORD state, uint32_t wait_hint_ms, int exit_status)
{
    AcquireSRWLockExclusive(&status_lock);
    if (status_handle != NULL) {
        status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
        status.dwCurrentState = state;
        status.dwControlsAccepted =
            state == SERVICE_RUNNING
                ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_PARAMCHANGE
                : 0;
        status.dwWin32ExitCode = exit_status == 0 ? NO_ERROR : ERROR_SERVICE_SPECIFIC_ERROR;
        status.dwServiceSpecificExitCode = (DWORD)exit_status;
        status.dwWaitHint = wait_hint_ms;
        status.dwCheckPoint = state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING
                                  ? status.dwCheckPoint + 1
                                  : 0;
        SetServiceStatus(status_handle, &status);
    }
    ReleaseSRWLockExclusive(&status_lock);
}

static DWORD
current_state(void)
{
    DWORD state;

    AcquireSRWLockShared(&status_lock);
    state = status_handle != NULL ? status.dwCurrentState : 0;
    ReleaseSRWLockShared(&status_lock);
    return state;
}

static DWORD WINAPI
control_handler(DWORD control, DWORD event_type, LPVOID event_data, LPVOID context)
{
    (void)event_type;
    (void)event_data;
    (void)context;
    switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
        set_state(SERVICE_STOP_PENDING, PC__STOP_HINT_MS, 0);
        pc__mailbox_post(PC_EVENT_STOP);
        return NO_ERROR;
    case SERVICE_CONTROL_PARAMCHANGE:
        pc__mailbox_post(PC_EVENT_RELOAD);
        return NO_ERROR;
    case PC_SERVICE_CONTROL_REOPEN_LOGS:
        pc__mailbox_post(PC_EVENT_REOPEN_LOGS);
        return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
        return NO_ERROR;
    default:
        return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

static void WINAPI
service_main(DWORD argc, LPSTR *argv)
{
    char msg[320];
    SERVICE_STATUS_HANDLE h;

    snprintf(service_name, sizeof(service_name), "%s",
             argc > 0 && argv[0][0] != '\0' ? argv[0] : PC_SERVICE_DEFAULT_NAME);
    h = RegisterServiceCtrlHandlerExA(service_name, control_handler, NULL);
    if (h == NULL) {
        service_status = 1;
        return;
    }
    AcquireSRWLockExclusive(&status_lock);
    status_handle = h;
    ReleaseSRWLockExclusive(&status_lock);
    pc__eventlog_open(service_name);
    set_state(SERVICE_START_PENDING, PC__START_HINT_MS, 0);

    service_status = service_fn(service_data);

    if (service_status == 0) {
        snprintf(msg, sizeof(msg), "service %s stopped", service_name);
        pc_platform_system_log(PC_SYSLOG_INFO, msg);
    } else {
        snprintf(msg, sizeof(msg),
                 "service %s stopped with exit status %d; the events before this one say why",
                 service_name, service_status);
        pc_platform_system_log(PC_SYSLOG_ERROR, msg);
    }
    pc__eventlog_close();
    /* Last: after STOPPED the service manager may end the process. */
    set_state(SERVICE_STOPPED, 0, service_status);
}

int
pc_platform_service_run(int (*run)(void *data), void *data, int *status_out)
{
    static char empty[] = "";
    SERVICE_TABLE_ENTRYA table[] = {{empty, service_main}, {NULL, NULL}};

    service_fn = run;
    service_data = data;
    if (!StartServiceCtrlDispatcherA(table)) {
        return GetLastError() == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT ? UV_ENOTSUP : UV_EIO;
    }
    *status_out = service_status;
    return 0;
}

void
pc_platform_notify(pc_service_state_t state, uint32_t wait_hint_ms)
{
    char msg[320];

    switch (state) {
    case PC_SERVICE_READY:
        if (current_state() == SERVICE_START_PENDING) {
            snprintf(msg, sizeof(msg), "service %s is running", service_name);
            pc_platform_system_log(PC_SYSLOG_INFO, msg);
        }
        set_state(SERVICE_RUNNING, 0, 0);
        break;
    case PC_SERVICE_RELOADING:
        break; /* the service manager has no such state: it stays RUNNING */
    case PC_SERVICE_STOPPING:
        set_state(SERVICE_STOP_PENDING, wait_hint_ms ? wait_hint_ms : PC__STOP_HINT_MS, 0);
        break;
    }
}
