/*
 * log.h: the error log and the access log.
 *
 * The error log goes to stderr (the journal under systemd), one line per
 * event: "<RFC 3339 UTC time> <level> [#<conn id>] <message>". The level is
 * checked before anything is formatted. The access log gets one line per
 * transaction; see pc_access_log_write().
 */
#ifndef PC_LOG_H
#define PC_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access_format.h"

#if defined(__GNUC__) || defined(__clang__)
#define PC_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define PC_PRINTF(fmt, args)
#endif

enum { PC_LOGL_ERROR = 0, PC_LOGL_WARN = 1, PC_LOGL_INFO = 2, PC_LOGL_DEBUG = 3 };

/* Sets the most verbose level that is written (default PC_LOGL_INFO). */
void pc_log_set_level(int level);
int pc_log_get_level(void);

/* Writes one error-log line if level is enabled. connid 0 means none. */
void pc_log(int level, uint64_t connid, const char *fmt, ...) PC_PRINTF(3, 4);

#define PC_LOG(level, connid, ...)                  \
    do {                                            \
        if ((level) <= pc_log_get_level()) {        \
            pc_log((level), (connid), __VA_ARGS__); \
        }                                           \
    } while (0)

/*
 * Formats a wall-clock time (milliseconds since the Unix epoch) as
 * "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (at least 25 bytes). Returns the length.
 */
size_t pc_log_format_time(int64_t epoch_ms, char *out, size_t cap);

/* Milliseconds since the Unix epoch, from the system clock. */
int64_t pc_log_now_ms(void);

typedef struct pc_access_log_s pc_access_log_t;

/*
 * Opens the access log: "stdout", or a file opened for appending. Returns 0,
 * or a negative code (UV_E*) when the file cannot be opened.
 */
int pc_access_log_open(const char *where, pc_access_log_t **out);
void pc_access_log_close(pc_access_log_t *log);

/*
 * Reopens the file by name (after logrotate moved it). On failure the old
 * file stays in use and a UV_E* code is returned.
 */
int pc_access_log_reopen(pc_access_log_t *log);

/*
 * Writes rec as one line in format fmt (see access_format.h), the URL
 * without its query unless keep_query.
 */
void pc_access_log_write(pc_access_log_t *log, pc_alog_format_t fmt, bool keep_query,
                         const pc_access_record_t *rec);

#endif
