/*
 * access_log.c: the access log's queue and writer thread (see access_log.h).
 *
 * The loop formats a line and copies it into a ring of bytes under a mutex;
 * the writer thread takes what is there in chunks and writes them to the
 * file descriptor with libuv's synchronous fs calls (not stdio: a writer
 * stuck in a write must not hold a stdio lock that the exit would wait on).
 * A reopen opens the new file on the loop and hands it to the writer, which
 * first writes what was queued before the reopen to the old file, then
 * switches, so no line is split across files and none lands in the wrong one. The ring's size is
 * the bound on memory; when it is full the line is dropped and counted. Dropped lines are reported
 * from the loop thread, at most every REPORT_EVERY ms; a failing write by the writer, once when it
 * starts failing and once when it works again.
 *
 * Wake-ups are batched: the loop signals the writer only when it sleeps with
 * nothing to do or when the ring is a quarter full, and the writer, once
 * woken, lets lines gather for up to COALESCE_MS before it writes. Under load
 * that is one write per COALESCE_MS instead of a thread switch per line; a
 * line reaches the file at most COALESCE_MS after its transaction ends.
 */
#include "access_log.h"

#include "portcullis/error.h"
#include "portcullis/log.h"
#include "portcullis/platform.h"

#include <uv.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MAX    65536
#define REPORT_EVERY 10000 /* ms between two reports of dropped lines */
#define CLOSE_WAIT   5000  /* ms a stop waits for the queue to be written */
#define COALESCE_MS  20    /* ms the writer lets lines gather before a write */

struct pc_access_log_s {
    uv_mutex_t lock;
    uv_cond_t cond;
    uv_thread_t thread;

    /* Under lock. */
    char *ring;
    size_t cap, head, len; /* queued bytes: ring[head .. head+len), wrapping */
    uv_file pending;       /* a reopened file for the writer to switch to; -1: none */
    size_t pending_cut;    /* queued bytes that still go to the old file before the switch */
    bool stop;
    bool finished;    /* the writer thread has written everything and ended */
    bool writer_idle; /* the writer waits for lines (no deadline) */
    uint64_t dropped; /* lines that did not fit */

    /* Only synchronous fs requests use it, which leave the loop untouched. */
    uv_loop_t fsloop;

    /* Writer thread only. */
    uv_file fd;                   /* the file, or 1 for stdout; -1 for syslog */
    pc_platform_syslog_t *syslog; /* "syslog[:SOCKET]": one message per line */
    char *carry;                  /* syslog: the start of a line cut by a chunk */
    size_t carry_len;
    bool failing_reported; /* a write failure was reported and has not ended */

    /* Loop thread only. */
    char *path; /* NULL for stdout */
    uint64_t dropped_reported;
    uint64_t last_report_ms;
};

/* Syslog: sends every whole line of carry + chunk, keeps the rest. 0 or a UV_E* code. */
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
        err = e != 0 ? uv_translate_sys_error(e) : err;
        start = i + 1;
    }
    if (start < n && log->carry_len + n - start < PC_ACCESS_LINE_MAX) {
        memcpy(log->carry + log->carry_len, chunk + start, n - start);
        log->carry_len += n - start;
    }
    return err;
}

/* Writes all of buf[0..n) to fd. 0 or a UV_E* code. */
static int
write_all(uv_loop_t *loop, uv_file fd, const char *buf, size_t n)
{
    uv_fs_t req;
    uv_buf_t b;
    int r;

    while (n > 0) {
        b = uv_buf_init((char *)buf, (unsigned)n);
        r = uv_fs_write(loop, &req, fd, &b, 1, -1, NULL);
        uv_fs_req_cleanup(&req);
        if (r < 0) {
            return r;
        }
        if (r == 0) {
            return UV_EIO;
        }
        buf += r;
        n -= (size_t)r;
    }
    return 0;
}

static void
close_fd(uv_loop_t *loop, uv_file fd)
{
    uv_fs_t req;

    if (fd > 2) {
        (void)uv_fs_close(loop, &req, fd, NULL);
        uv_fs_req_cleanup(&req);
    }
}

/* Opens path for appending, creating it. The fd, or a UV_E* code. */
static uv_file
open_append(uv_loop_t *loop, const char *path)
{
    uv_fs_t req;
    int r =
        uv_fs_open(loop, &req, path, UV_FS_O_WRONLY | UV_FS_O_APPEND | UV_FS_O_CREAT, 0644, NULL);

    uv_fs_req_cleanup(&req);
    return r;
}

/* One chunk to the sink. 0 or a UV_E* code. */
static int
write_chunk(pc_access_log_t *log, const char *chunk, size_t n)
{
    if (log->syslog != NULL) {
        return send_lines(log, chunk, n);
    }
    return write_all(&log->fsloop, log->fd, chunk, n);
}

static const char *
sink_name(const pc_access_log_t *log)
{
    return log->path != NULL ? log->path : log->syslog != NULL ? "syslog" : "stdout";
}

/*
 * Writer thread: says once that writing fails, and once that it works again,
 * at the moment it happens (not at the next line, which may never come).
 */
static void
report_write(pc_access_log_t *log, int err)
{
    if (err != 0 && !log->failing_reported) {
        log->failing_reported = true;
        PC_LOG(PC_LOGL_ERROR, 0,
               "cannot write the access log %s: " PC_ERR_FMT "; lines are lost until it works",
               sink_name(log), PC_ERR_ARGS(err));
    } else if (err == 0 && log->failing_reported) {
        log->failing_reported = false;
        PC_LOG(PC_LOGL_WARN, 0, "the access log %s is written again", sink_name(log));
    }
}

static void
writer_main(void *arg)
{
    pc_access_log_t *log = arg;
    char *chunk = malloc(CHUNK_MAX);
    size_t n;
    int err;
    uv_file old;

    uv_mutex_lock(&log->lock);
    for (;;) {
        if (log->len == 0 && log->pending < 0 && !log->stop) {
            log->writer_idle = true;
            while (log->len == 0 && log->pending < 0 && !log->stop) {
                uv_cond_wait(&log->cond, &log->lock);
            }
            log->writer_idle = false;
            if (log->pending < 0 && !log->stop && log->len < log->cap / 4) {
                /* Let more lines gather; a full quarter, a reopen or a stop cut it short. */
                uv_cond_timedwait(&log->cond, &log->lock, (uint64_t)COALESCE_MS * 1000000u);
            }
        }
        if (log->pending >= 0 && (log->pending_cut == 0 || chunk == NULL)) {
            old = log->fd;
            log->fd = log->pending;
            log->pending = -1;
            uv_mutex_unlock(&log->lock);
            close_fd(&log->fsloop, old);
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
        if (log->pending >= 0 && n > log->pending_cut) {
            n = log->pending_cut; /* the lines from before a reopen go to the old file */
        }
        if (log->pending >= 0) {
            log->pending_cut -= n;
        }
        memcpy(chunk, log->ring + log->head, n);
        log->head = (log->head + n) % log->cap;
        log->len -= n;
        uv_mutex_unlock(&log->lock);
        err = write_chunk(log, chunk, n);
        report_write(log, err);
        uv_mutex_lock(&log->lock);
    }
    log->finished = true;
    uv_cond_broadcast(&log->cond);
    uv_mutex_unlock(&log->lock);
    free(chunk);
}

/* Opens the sink named where into log. 0 or a UV_E* code. */
static int
open_sink(pc_access_log_t *log, const char *where)
{
    if (strcmp(where, "stdout") == 0) {
        log->fd = 1;
        return 0;
    }
    if (strncmp(where, "syslog", 6) == 0 && (where[6] == '\0' || where[6] == ':')) {
        log->carry = malloc(PC_ACCESS_LINE_MAX);
        if (log->carry == NULL) {
            return UV_ENOMEM;
        }
        return pc_platform_syslog_open(where[6] == ':' ? where + 7 : NULL, &log->syslog);
    }
    log->path = malloc(strlen(where) + 1);
    if (log->path == NULL) {
        return UV_ENOMEM;
    }
    strcpy(log->path, where);
    log->fd = open_append(&log->fsloop, where);
    return log->fd < 0 ? log->fd : 0;
}

/* Everything open() made, when it did not get as far as the thread. */
static void
free_log(pc_access_log_t *log)
{
    close_fd(&log->fsloop, log->fd);
    pc_platform_syslog_close(log->syslog);
    (void)uv_loop_close(&log->fsloop);
    free(log->carry);
    free(log->ring);
    free(log->path);
    free(log);
}

int
pc_access_log_open(const char *where, size_t queue_bytes, pc_access_log_t **out)
{
    pc_access_log_t *log = calloc(1, sizeof(*log));
    int err;

    if (log == NULL) {
        return UV_ENOMEM;
    }
    log->fd = -1;
    log->pending = -1;
    log->cap = queue_bytes > 0 ? queue_bytes : 1;
    err = uv_loop_init(&log->fsloop);
    if (err != 0) {
        free(log);
        return err;
    }
    log->ring = malloc(log->cap);
    err = log->ring == NULL ? UV_ENOMEM : open_sink(log, where);
    if (err == 0) {
        err = uv_mutex_init(&log->lock);
    }
    if (err == 0) {
        uv_cond_init(&log->cond);
        err = uv_thread_create(&log->thread, writer_main, log);
        if (err != 0) {
            uv_cond_destroy(&log->cond);
            uv_mutex_destroy(&log->lock);
        }
    }
    if (err != 0) {
        free_log(log);
        return err;
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
    /* A sink that never takes the data (a hung network mount, a pipe nobody
     * reads) must not hold the exit: after CLOSE_WAIT the rest is given up
     * and the writer left behind, blocked, with everything it uses. */
    while (!log->finished) {
        if (uv_cond_timedwait(&log->cond, &log->lock, (uint64_t)CLOSE_WAIT * 1000000u) != 0) {
            break;
        }
    }
    if (!log->finished) {
        size_t left = log->len;

        uv_mutex_unlock(&log->lock);
        PC_LOG(PC_LOGL_ERROR, 0,
               "access log %s: the writer is stuck; %zu queued byte(s) given up at exit",
               log->path != NULL ? log->path : "sink", left);
        return;
    }
    uv_mutex_unlock(&log->lock);
    uv_thread_join(&log->thread);
    uv_cond_destroy(&log->cond);
    uv_mutex_destroy(&log->lock);
    free_log(log);
}

int
pc_access_log_reopen(pc_access_log_t *log)
{
    uv_file fd, unused;

    if (log->path == NULL) {
        return 0; /* stdout, syslog */
    }
    fd = open_append(&log->fsloop, log->path);
    if (fd < 0) {
        return fd; /* keep writing to the old file */
    }
    uv_mutex_lock(&log->lock);
    unused = log->pending; /* two reopens in a row: the writer never saw the first */
    log->pending = fd;
    log->pending_cut = log->len; /* lines queued before the reopen end the old file */
    uv_cond_signal(&log->cond);
    uv_mutex_unlock(&log->lock);
    if (unused >= 0) {
        close_fd(&log->fsloop, unused);
    }
    return 0;
}

/* Loop thread: says how many lines were dropped since the last look, sparingly. */
static void
report_drops(pc_access_log_t *log, uint64_t dropped)
{
    uint64_t now = uv_hrtime() / 1000000u;

    if (dropped > log->dropped_reported && now - log->last_report_ms >= REPORT_EVERY) {
        PC_LOG(PC_LOGL_WARN, 0,
               "access log %s: %llu line(s) dropped (the disk is slower than the traffic), "
               "%llu in all",
               sink_name(log), (unsigned long long)(dropped - log->dropped_reported),
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
        if (log->writer_idle || log->len >= log->cap / 4) {
            uv_cond_signal(&log->cond);
        }
    }
    dropped = log->dropped;
    uv_mutex_unlock(&log->lock);
    report_drops(log, dropped);
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
