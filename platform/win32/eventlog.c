/*
 * eventlog.c: the Windows Event Log (see eventlog.h). Every event uses the
 * one message of messages.mc, "%1", with the proxy's line as its string.
 */
#include "eventlog.h"

#include "portcullis/platform.h"

#include "messages.h" /* generated from messages.mc */

#include <stdio.h>
#include <string.h>

#include <windows.h>

static HANDLE source;

static void
source_key(const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\%s", name);
}

unsigned long
pc__eventlog_register(const char *name, const char *exe_path)
{
    DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
    char key[300];
    HKEY h;
    LONG rc;

    source_key(name, key, sizeof(key));
    rc = RegCreateKeyExA(HKEY_LOCAL_MACHINE, key, 0, NULL, 0, KEY_SET_VALUE, NULL, &h, NULL);
    if (rc != ERROR_SUCCESS) {
        return (unsigned long)rc;
    }
    rc = RegSetValueExA(h, "EventMessageFile", 0, REG_EXPAND_SZ, (const BYTE *)exe_path,
                        (DWORD)strlen(exe_path) + 1);
    if (rc == ERROR_SUCCESS) {
        rc = RegSetValueExA(h, "TypesSupported", 0, REG_DWORD, (const BYTE *)&types, sizeof(types));
    }
    RegCloseKey(h);
    return (unsigned long)rc;
}

unsigned long
pc__eventlog_unregister(const char *name)
{
    char key[300];
    LONG rc;

    source_key(name, key, sizeof(key));
    rc = RegDeleteKeyA(HKEY_LOCAL_MACHINE, key);
    return rc == ERROR_FILE_NOT_FOUND ? 0 : (unsigned long)rc;
}

void
pc__eventlog_open(const char *name)
{
    source = RegisterEventSourceA(NULL, name);
}

void
pc__eventlog_close(void)
{
    if (source != NULL) {
        DeregisterEventSource(source);
        source = NULL;
    }
}

void
pc_platform_system_log(pc_syslog_level_t level, const char *msg)
{
    WORD type = level == PC_SYSLOG_ERROR     ? EVENTLOG_ERROR_TYPE
                : level == PC_SYSLOG_WARNING ? EVENTLOG_WARNING_TYPE
                                             : EVENTLOG_INFORMATION_TYPE;
    const char *strings[1];

    if (source == NULL) {
        return;
    }
    strings[0] = msg;
    ReportEventA(source, type, 0, PC_MSG_TEXT, NULL, 1, 0, strings, NULL);
}
