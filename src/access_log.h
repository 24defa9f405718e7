/*
 * access_log.h: the access log's sink (see access_log.c): lines are queued
 * on the event loop and written by a thread of their own, so a slow or
 * full disk costs log lines (counted and reported), never the loop's time.
 */
#ifndef PC_ACCESS_LOG_H
#define PC_ACCESS_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access_format.h"

typedef struct pc_access_log_s pc_access_log_t;

/*
 * Opens the access log: "stdout", "syslog" or "syslog:SOCKET" (one message
 * per line, see pc_platform_syslog_open), or a file opened for appending
 * (created if missing), with queue_bytes of memory for lines not yet written (a line
 * that does not fit is dropped and counted). Starts the writer thread.
 * Returns 0 or a UV_E* code.
 */
int pc_access_log_open(const char *where, size_t queue_bytes, pc_access_log_t **out);

/*
 * Writes what is queued, stops the thread, closes the file. NULL is fine.
 * Waits at most 5 s for a sink that takes nothing, then gives the rest up
 * (and leaves the blocked thread and its memory to the exiting process).
 */
void pc_access_log_close(pc_access_log_t *log);

/*
 * Reopens the file by name (after logrotate moved it): lines queued from
 * now on go to the new file. On failure the old file stays in use and a
 * UV_E* code is returned.
 */
int pc_access_log_reopen(pc_access_log_t *log);

/*
 * Queues rec as one line in format fmt, the URL without its query unless
 * keep_query. Never waits for the disk. Logs (at most every 10 s) how many
 * lines were dropped, and once when writing fails and when it works again.
 */
void pc_access_log_write(pc_access_log_t *log, pc_alog_format_t fmt, bool keep_query,
                         const pc_access_record_t *rec);

/* Lines dropped so far because the queue was full. */
uint64_t pc_access_log_dropped(pc_access_log_t *log);

#endif
