/*
 * access_log.c: the access log's queue and writer thread (see access_log.h).
 *
 * The loop formats a line and copies it into a ring of bytes under a mutex;
 * the writer thread takes what is there in chunks and writes them with
 * stdio, flushing after each. A reopen opens the new file on the loop and
 * hands it to the writer, which switches between two chunks, so no line is
 * split across files. The ring's size is the bound on memory; when it is
 * full the line is dropped and counted. Problems are reported from the
 * loop thread, where logging is safe to rate-limit.
 */
#include "access_log.h"

#include "portcullis/error.h"
#include "portcullis/log.h"
#include "portcullis/platform.h"

#include <uv.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MAX    65536
#define REPORT_EVERY 10000 /* ms between two reports of dropped lines */

struct pc_access_log_s {
    uv_mutex_t lock;
    uv_cond_t cond;
    uv_thread_t thread;

    /* Under lock. */
    char *ring;
    size_t cap, head, len; /* queued bytes: ring[head .. head+len), wrapping */
    FILE *pending;         /* a reopened file for the writer to switch to */
    bool stop;
    uint64_t dropped;      /* lines that did not fit */
    uint64_t write_errors; /* failed writes, growing while writing fails */
    int write_errno;       /* errno of the last failed write; 0 after a good one */

    /* Writer thread only. */
    FILE *fp;                     /* the file, or stdout; NULL for syslog */
    pc_platform_syslog_t *syslog; /* "syslog[:SOCKET]": one message per line */
    char *carry;                  /* syslog: the start of a line cut by a chunk */
    size_t carry_len;

    /* Loop thread only. */
    char *path; /* NULL for stdout */
    uint64_t dropped_reported;
    uint64_t last_report_ms;
    bool failing_reported; /* a write failure was reported and has not ended */
};

/* Syslog: sends every whole line of carry + chunk, keeps the rest. 0 or an errno. */
static int
send_lines(pc_access_log_t *log, const char *chunk, size_t n)
{
    size_t i, start = 0;
    int err = 0, e;

    for (i = 0; i < n; i++) {
        if (chunk[i] != '\n') {
            continue;
        }
        if (log->carry_len > 0) {
            if (log->carry_len + i - start < PC_ACCESS_LINE_MAX) {
                memcpy(log->carry + log->carry_len, chunk + start, i - start);
                log->carry_len += i - start;
            }
            e = pc_platform_syslog_send(log->syslog, log->carry, log->carry_len);
            log->carry_len = 0;
        } else {
            e = pc_platform_syslog_send(log->syslog, chunk + start, i - start);
        }
        err = e != 0 ? e : err;
        start = i + 1;
    }
    if (start < n && log->carry_len + n - start < PC_ACCESS_LINE_MAX) {
        memcpy(log->carry + log->carry_len, chunk + start, n - start);
        log->carry_len += n - start;
    }
    return err;
}

/* One chunk to the sink. 0 or an errno value. */
static int
write_chunk(pc_access_log_t *log, const char *chunk, size_t n)
{
    bool ok;

    if (log->syslog != NULL) {
        return send_lines(log, chunk, n);
    }
    errno = 0;
    ok = fwrite(chunk, 1, n, log->fp) == n;
    ok = fflush(log->fp) == 0 && ok;
    if (!ok) {
        clearerr(log->fp);
        return errno != 0 ? errno : EIO;
    }
    return 0;
}

static void
writer_main(void *arg)
{
    pc_access_log_t *log = arg;
    char *chunk = malloc(CHUNK_MAX);
    size_t n;
    int err;
    FILE *old;

    uv_mutex_lock(&log->lock);
    for (;;) {
        while (log->len == 0 && log->pending == NULL && !log->stop) {
            uv_cond_wait(&log->cond, &log->lock);
        }
        if (log->pending != NULL) {
            old = log->fp;
            log->fp = log->pending;
            log->pending = NULL;
            uv_mutex_unlock(&log->lock);
            if (old != NULL && old != stdout) {
                fclose(old);
            }
            uv_mutex_lock(&log->lock);
            continue;
        }
        if (log->len == 0 || chunk == NULL) {
            break; /* stopping, and everything is written */
        }
        n = log->len < CHUNK_MAX ? log->len : CHUNK_MAX;
        if (n > log->cap - log->head) {
            n = log->cap - log->head; /* up to the wrap; the rest next time */
        }
        memcpy(chunk, log->ring + log->head, n);
        log->head = (log->head + n) % log->cap;
        log->len -= n;
        uv_mutex_unlock(&log->lock);
        err = write_chunk(log, chunk, n);
        uv_mutex_lock(&log->lock);
        if (err == 0) {
            log->write_errno = 0;
        } else {
            log->write_errors++;
            log->write_errno = err;
        }
    }
    uv_mutex_unlock(&log->lock);
    free(chunk);
}

int
pc_access_log_open(const char *where, size_t queue_bytes, pc_access_log_t **out)
{
    pc_access_log_t *log = calloc(1, sizeof(*log));
    int err = UV_ENOMEM;

    if (log == NULL) {
        return UV_ENOMEM;
    }
    log->cap = queue_bytes > 0 ? queue_bytes : 1;
    log->ring = malloc(log->cap);
    if (strcmp(where, "stdout") == 0) {
        log->fp = stdout;
    } else if (strncmp(where, "syslog", 6) == 0 && (where[6] == '\0' || where[6] == ':')) {
        log->carry = malloc(PC_ACCESS_LINE_MAX);
        err = log->carry == NULL
                  ? UV_ENOMEM
                  : pc_platform_syslog_open(where[6] == ':' ? where + 7 : NULL, &log->syslog);
    } else {
        log->path = malloc(strlen(where) + 1);
        if (log->path != NULL) {
            strcpy(log->path, where);
            log->fp = pc_platform_fopen_log(where);
            err = log->fp == NULL ? uv_translate_sys_error(errno) : 0;
        }
    }
    if (log->ring != NULL && (log->fp != NULL || log->syslog != NULL)) {
        err = uv_mutex_init(&log->lock);
        if (err == 0) {
            uv_cond_init(&log->cond);
            err = uv_thread_create(&log->thread, writer_main, log);
            if (err != 0) {
                uv_cond_destroy(&log->cond);
                uv_mutex_destroy(&log->lock);
            }
        }
    }
    if (err != 0 || log->ring == NULL || (log->fp == NULL && log->syslog == NULL)) {
        if (log->fp != NULL && log->fp != stdout) {
            fclose(log->fp);
        }
        pc_platform_syslog_close(log->syslog);
        free(log->carry);
        free(log->ring);
        free(log->path);
        free(log);
        return err != 0 ? err : UV_ENOMEM;
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
    uv_mutex_lock(&log->lock);
    log->stop = true;
    uv_cond_signal(&log->cond);
    uv_mutex_unlock(&log->lock);
    uv_thread_join(&log->thread);
    if (log->fp != NULL && log->fp != stdout) {
        fclose(log->fp);
    }
    pc_platform_syslog_close(log->syslog);
    free(log->carry);
    uv_cond_destroy(&log->cond);
    uv_mutex_destroy(&log->lock);
    free(log->ring);
    free(log->path);
    free(log);
}

int
pc_access_log_reopen(pc_access_log_t *log)
{
    FILE *fp, *unused;

    if (log->path == NULL) {
        return 0; /* stdout, syslog */
    }
    fp = pc_platform_fopen_log(log->path);
    if (fp == NULL) {
        return uv_translate_sys_error(errno); /* keep writing to the old file */
    }
    uv_mutex_lock(&log->lock);
    unused = log->pending; /* two reopens in a row: the writer never saw the first */
    log->pending = fp;
    uv_cond_signal(&log->cond);
    uv_mutex_unlock(&log->lock);
    if (unused != NULL) {
        fclose(unused);
    }
    return 0;
}

/* Loop thread: says what went wrong since the last look, sparingly. */
static void
report(pc_access_log_t *log, uint64_t dropped, int write_errno)
{
    const char *name = log->path != NULL ? log->path : log->syslog != NULL ? "syslog" : "stdout";
    uint64_t now = uv_hrtime() / 1000000u;

    if (write_errno != 0 && !log->failing_reported) {
        log->failing_reported = true;
        PC_LOG(PC_LOGL_ERROR, 0,
               "cannot write the access log %s: " PC_ERR_FMT "; lines are lost until it works",
               name, PC_ERR_ARGS(uv_translate_sys_error(write_errno)));
    } else if (write_errno == 0 && log->failing_reported) {
        log->failing_reported = false;
        PC_LOG(PC_LOGL_WARN, 0, "the access log %s is written again", name);
    }
    if (dropped > log->dropped_reported && now - log->last_report_ms >= REPORT_EVERY) {
        PC_LOG(PC_LOGL_WARN, 0,
               "access log %s: %llu line(s) dropped (the disk is slower than the traffic), "
               "%llu in all",
               name, (unsigned long long)(dropped - log->dropped_reported),
               (unsigned long long)dropped);
        log->dropped_reported = dropped;
        log->last_report_ms = now;
    }
}

void
pc_access_log_write(pc_access_log_t *log, pc_alog_format_t fmt, bool keep_query,
                    const pc_access_record_t *rec)
{
    char line[PC_ACCESS_LINE_MAX];
    size_t n, tail;
    uint64_t dropped;
    int write_errno;

    if (log == NULL) {
        return;
    }
    n = pc_access_format(rec, fmt, keep_query, line);
    uv_mutex_lock(&log->lock);
    if (log->len + n > log->cap) {
        log->dropped++;
    } else {
        size_t at = (log->head + log->len) % log->cap;

        tail = log->cap - at < n ? log->cap - at : n;
        memcpy(log->ring + at, line, tail);
        memcpy(log->ring, line + tail, n - tail);
        log->len += n;
        uv_cond_signal(&log->cond);
    }
    dropped = log->dropped;
    write_errno = log->write_errno;
    uv_mutex_unlock(&log->lock);
    report(log, dropped, write_errno);
}

uint64_t
pc_access_log_dropped(pc_access_log_t *log)
{
    uint64_t n;

    uv_mutex_lock(&log->lock);
    n = log->dropped;
    uv_mutex_unlock(&log->lock);
    return n;
}
