/*
 * log.c: the error log: one line per event on stderr (the journal under
 * systemd), errors and warnings also to the system log; and its time stamps.
 * The access log is access_log.c.
 */
#include "portcullis/log.h"
#include "civil_time.h"
#include "portcullis/platform.h"

#include <uv.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Read by every worker thread before each line, written on reload: an
 * atomic where the compiler has C11 atomics (relaxed: a line logged at the
 * old level around a reload is fine), a plain int elsewhere (MSVC without
 * C11 atomics; the Windows build runs one worker).
 */
#if !defined(__STDC_NO_ATOMICS__)
#include <stdatomic.h>
static atomic_int log_level = PC_LOGL_INFO;
#define LEVEL_GET()  atomic_load_explicit(&log_level, memory_order_relaxed)
#define LEVEL_SET(l) atomic_store_explicit(&log_level, (l), memory_order_relaxed)
#else
static int log_level = PC_LOGL_INFO;
#define LEVEL_GET()  log_level
#define LEVEL_SET(l) (log_level = (l))
#endif

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void
pc_log_set_level(int level)
{
    LEVEL_SET(level);
}

int
pc_log_get_level(void)
{
    return LEVEL_GET();
}

int64_t
pc_log_now_ms(void)
{
    uv_timeval64_t tv;

    if (uv_gettimeofday(&tv) != 0) {
        return 0;
    }
    return tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

size_t
pc_log_format_time(int64_t epoch_ms, char *out, size_t cap)
{
    pc_civil_t t;
    int n;

    pc_civil_from_ms(epoch_ms, &t);
    n = snprintf(out, cap, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", (long long)t.year, t.month,
                 t.day, t.hour, t.min, t.sec, t.ms);
    return n < 0 ? 0 : (size_t)n;
}

void
pc_log(int level, uint64_t connid, const char *fmt, ...)
{
    char ts[32];
    char msg[1024];
    va_list ap;

    if (level > LEVEL_GET() || level < 0) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pc_log_format_time(pc_log_now_ms(), ts, sizeof(ts));
    if (connid != 0) {
        fprintf(stderr, "%s %s #%llu %s\n", ts, level_names[level], (unsigned long long)connid,
                msg);
    } else {
        fprintf(stderr, "%s %s %s\n", ts, level_names[level], msg);
    }
    fflush(stderr);
    /* A service has no stderr anyone reads: errors and warnings go to the system log too. */
    if (level <= PC_LOGL_WARN) {
        pc_platform_system_log(level == PC_LOGL_ERROR ? PC_SYSLOG_ERROR : PC_SYSLOG_WARNING, msg);
    }
}
