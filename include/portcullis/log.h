/*
 * log.h: the error log.
 *
 * It goes to stderr (the journal under systemd), one line per event:
 * "<RFC 3339 UTC time> <level> [#<request id>] <message>". The level is
 * checked before anything is formatted. The access log is access_log.h.
 */
#ifndef PC_LOG_H
#define PC_LOG_H

#include <stddef.h>
#include <stdint.h>

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

#endif
