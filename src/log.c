/*
 * log.c: error-log lines on stderr and access-log lines on a file or stdout.
 *
 * Writes are plain buffered stdio, flushed per line. That is a blocking write
 * on the event loop; an asynchronous sink is the access-log issue's work.
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

struct pc_access_log_s {
    FILE *fp;      /* owned unless is_stdout */
    int is_stdout; /* fp is stdout: never closed */
    char *path;    /* owned; NULL for stdout */
};

static int log_level = PC_LOGL_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void
pc_log_set_level(int level)
{
    log_level = level;
}

int
pc_log_get_level(void)
{
    return log_level;
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

    if (level > log_level || level < 0) {
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

int
pc_access_log_open(const char *where, pc_access_log_t **out)
{
    pc_access_log_t *log = calloc(1, sizeof(*log));

    if (log == NULL) {
        return UV_ENOMEM;
    }
    if (strcmp(where, "stdout") == 0) {
        log->fp = stdout;
        log->is_stdout = 1;
    } else {
        log->path = malloc(strlen(where) + 1);
        log->fp = log->path != NULL ? pc_platform_fopen_log(where) : NULL;
        if (log->fp == NULL) {
            int err = log->path != NULL ? uv_translate_sys_error(errno) : UV_ENOMEM;
            free(log->path);
            free(log);
            return err;
        }
        strcpy(log->path, where);
    }
    *out = log;
    return 0;
}

void
pc_access_log_close(pc_access_log_t *log)
{
    if (log == NULL) {
        return;
    }
    if (!log->is_stdout) {
        fclose(log->fp);
    } else {
        fflush(log->fp);
    }
    free(log->path);
    log->path = NULL;
    free(log);
}

int
pc_access_log_reopen(pc_access_log_t *log)
{
    FILE *fp;

    if (log->is_stdout) {
        return 0;
    }
    fp = pc_platform_fopen_log(log->path);
    if (fp == NULL) {
        return uv_translate_sys_error(errno); /* keep writing to the old file */
    }
    fclose(log->fp);
    log->fp = fp;
    return 0;
}

void
pc_access_log_write(pc_access_log_t *log, pc_alog_format_t fmt, bool keep_query,
                    const pc_access_record_t *rec)
{
    char line[PC_ACCESS_LINE_MAX];
    size_t n;

    if (log == NULL) {
        return;
    }
    n = pc_access_format(rec, fmt, keep_query, line);
    fwrite(line, 1, n, log->fp);
    fflush(log->fp);
}
