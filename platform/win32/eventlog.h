/*
 * eventlog.h: the Windows Event Log (internal to platform/win32): the event
 * source a service install registers, and the handle a running service
 * reports through (pc_platform_system_log()).
 */
#ifndef PC_WIN32_EVENTLOG_H
#define PC_WIN32_EVENTLOG_H

/* Registers source name in the Application log, messages from exe_path. 0 or a Win32 error. */
unsigned long pc__eventlog_register(const char *name, const char *exe_path);

/* Removes the registration. 0 or a Win32 error (none when it was absent). */
unsigned long pc__eventlog_unregister(const char *name);

/* Opens and closes the handle that pc_platform_system_log() writes to. */
void pc__eventlog_open(const char *name);
void pc__eventlog_close(void);

#endif
