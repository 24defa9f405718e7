/*
 * metrics.h: the proxy's counters and their Prometheus text exposition
 * (pure: each worker's server and connections feed their own on the
 * worker's loop thread, with no lock; the admin listener adds them up with
 * pc_metrics_merge and renders the sum).
 */
#ifndef PC_METRICS_H
#define PC_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why an origin could not be reached. */
typedef enum {
    PC_UPERR_DNS,              /* the name did not resolve */
    PC_UPERR_CONNECT,          /* refused, unreachable, reset while connecting */
    PC_UPERR_CONNECT_TIMEOUT,  /* ConnectTimeout ran out */
    PC_UPERR_RESPONSE_TIMEOUT, /* no response head within ResponseTimeout of the request's
                                  end, or the origin stopped taking the body (IdleTimeout) */
    PC_UPERR_COUNT
} pc_uperr_t;

#define PC_METRICS_BUCKETS   12  /* request-duration buckets, plus +Inf */
#define PC_METRICS_MAX_LISTS 64  /* distinct block lists counted by name; then "other" */
#define PC_METRICS_SAMPLES   60  /* the status page's window: 60 samples */
#define PC_METRICS_TOP_HOSTS 256 /* refused hosts counted (the rarest makes room) */
#define PC_METRICS_WORKERS   64  /* workers counted one by one */

/* One sample of the status page's series: a gauge and the deltas of an interval. */
typedef struct {
    int64_t t; /* Unix seconds */
    uint64_t connections;
    uint64_t requests, blocks, bytes_in, bytes_out;
} pc_metrics_sample_t;

typedef struct {
    int64_t start_time_ms; /* process start, Unix ms */
    uint64_t conns_active, conns_total;
    uint64_t requests[2][6]; /* [http, tunnel][no status, 1xx .. 5xx] */
    uint64_t refusals[5];    /* block, default-deny, guard, port, acl */
    struct {
        char *list; /* owned */
        uint64_t n;
    } blocks[PC_METRICS_MAX_LISTS + 1]; /* the last slot is "other" */
    size_t num_blocks;
    uint64_t bytes_in, bytes_out;
    uint64_t upstream_errors[PC_UPERR_COUNT];
    uint64_t duration_buckets[PC_METRICS_BUCKETS + 1]; /* per bucket, not cumulative */
    uint64_t duration_ms_sum;
    uint64_t reloads_ok, reloads_failed;
    uint64_t dns_hits, dns_misses, dns_evictions, dns_entries; /* copied from the cache */
    uint64_t origin_connects;                                  /* new connections to origins */
    uint64_t origin_reused, origin_idle; /* copied from the pool of idle origin connections */
    uint64_t origin_retries;             /* requests resent after a reused connection failed */

    /* Per worker: a worker's own metrics name it in `worker`; a merge files
     * their connection counts under it (num_workers: entries in use). */
    unsigned worker;
    struct {
        uint64_t active, total;
    } per_worker[PC_METRICS_WORKERS];
    unsigned num_workers;

    /* The status page: a ring of samples, and the refused hosts. */
    pc_metrics_sample_t samples[PC_METRICS_SAMPLES];
    size_t num_samples, next_sample;
    uint64_t last_requests, last_blocks, last_in, last_out; /* totals at the last sample */
    struct {
        char host[256];
        uint64_t n;
    } top[PC_METRICS_TOP_HOSTS];
    size_t num_top;
} pc_metrics_t;

void pc_metrics_init(pc_metrics_t *m, int64_t start_time_ms);
void pc_metrics_free(pc_metrics_t *m);

/*
 * One finished transaction: a tunnel (CONNECT) or not, the status sent (0:
 * none), the bytes each way, its duration, and, for a refusal, the access
 * log's decision ("block:LIST:LINE", "default-deny", "guard:RANGE", "port",
 * "acl") and the target host; NULL otherwise.
 */
void pc_metrics_txn(pc_metrics_t *m, bool tunnel, int status, uint64_t bytes_in, uint64_t bytes_out,
                    uint64_t duration_ms, const char *decision, const char *host);

/*
 * Adds the counters of src into dst: totals, per-list blocks, refused hosts
 * (dst's rarest make room), and the connections per worker: a worker's own
 * metrics (num_workers 0) under per_worker[src->worker], a sum's entry by
 * entry. The series and the start time stay dst's own.
 */
void pc_metrics_merge(pc_metrics_t *dst, const pc_metrics_t *src);

/* Zeroes every counter (a new sum starts); keeps the start time and the series. */
void pc_metrics_clear_counters(pc_metrics_t *m);

/* Closes an interval of the status page's series at now_s. */
void pc_metrics_sample(pc_metrics_t *m, int64_t now_s);

/*
 * The status page's data as JSON (see src/status_page.html): version,
 * uptime, totals, the series oldest first, the ten most refused hosts.
 * Returns the length, or 0 if cap was too small.
 */
size_t pc_metrics_status_json(const pc_metrics_t *m, const char *version, int64_t now_ms,
                              unsigned interval_s, char *out, size_t cap);

/*
 * The exposition (text format 0.0.4) into out, with what the caller adds:
 * the access-log lines dropped, the build version. Returns the length, or 0
 * if cap was too small.
 */
size_t pc_metrics_render(const pc_metrics_t *m, uint64_t log_lines_dropped, const char *version,
                         char *out, size_t cap);

#endif
