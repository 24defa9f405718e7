/*
 * metrics.c: counting and rendering (see metrics.h). The names follow the
 * Prometheus conventions: a portcullis_ prefix, _total for counters, base
 * units (seconds, bytes), and label values escaped as the format requires.
 */
#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Upper bounds of the duration buckets, in milliseconds. */
static const uint64_t bucket_ms[PC_METRICS_BUCKETS] = {1,   5,   10,   25,   50,   100,
                                                       250, 500, 1000, 2500, 5000, 10000};

static const char *const refusal_names[5] = {"block", "default-deny", "guard", "port", "acl"};
static const char *const uperr_names[PC_UPERR_COUNT] = {"dns", "connect", "connect_timeout",
                                                        "response_timeout"};

void
pc_metrics_init(pc_metrics_t *m, int64_t start_time_ms)
{
    memset(m, 0, sizeof(*m));
    m->start_time_ms = start_time_ms;
}

void
pc_metrics_free(pc_metrics_t *m)
{
    size_t i;

    for (i = 0; i < m->num_blocks; i++) {
        free(m->blocks[i].list);
    }
    m->num_blocks = 0;
}

/* Adds n to the count of the list list[0..len). */
static void
add_block(pc_metrics_t *m, const char *list, size_t len, uint64_t n)
{
    size_t i;

    for (i = 0; i < m->num_blocks; i++) {
        if (strlen(m->blocks[i].list) == len && memcmp(m->blocks[i].list, list, len) == 0) {
            m->blocks[i].n += n;
            return;
        }
    }
    if (m->num_blocks < PC_METRICS_MAX_LISTS) {
        m->blocks[i].list = malloc(len + 1);
        if (m->blocks[i].list != NULL) {
            memcpy(m->blocks[i].list, list, len);
            m->blocks[i].list[len] = '\0';
            m->blocks[i].n = n;
            m->num_blocks++;
            return;
        }
    }
    m->blocks[PC_METRICS_MAX_LISTS].n += n; /* "other" */
}

/* The list of "block:LIST:LINE" counted once more. */
static void
count_block(pc_metrics_t *m, const char *decision)
{
    const char *list = decision + 6, *end = strrchr(list, ':');

    add_block(m, list, end != NULL && end > list ? (size_t)(end - list) : strlen(list), 1);
}

static void
count_refusal(pc_metrics_t *m, const char *d)
{
    if (strncmp(d, "block:", 6) == 0) {
        m->refusals[0]++;
        count_block(m, d);
    } else if (strcmp(d, "default-deny") == 0) {
        m->refusals[1]++;
    } else if (strncmp(d, "guard:", 6) == 0) {
        m->refusals[2]++;
    } else if (strcmp(d, "port") == 0) {
        m->refusals[3]++;
    } else if (strcmp(d, "acl") == 0) {
        m->refusals[4]++;
    }
}

/* n more refusals for host; when the table is full, the rarest host makes room. */
static void
add_host(pc_metrics_t *m, const char *host, uint64_t n)
{
    size_t i, rarest = 0, len = strlen(host);

    if (len == 0 || len >= sizeof(m->top[0].host)) {
        return;
    }
    for (i = 0; i < m->num_top; i++) {
        if (strcmp(m->top[i].host, host) == 0) {
            m->top[i].n += n;
            return;
        }
        if (m->top[i].n < m->top[rarest].n) {
            rarest = i;
        }
    }
    i = m->num_top < PC_METRICS_TOP_HOSTS ? m->num_top++ : rarest;
    memcpy(m->top[i].host, host, len + 1);
    m->top[i].n = n;
}

static void
count_host(pc_metrics_t *m, const char *host)
{
    add_host(m, host, 1);
}

void
pc_metrics_txn(pc_metrics_t *m, bool tunnel, int status, uint64_t bytes_in, uint64_t bytes_out,
               uint64_t duration_ms, const char *decision, const char *host)
{
    size_t b;

    m->requests[tunnel ? 1 : 0][status >= 100 && status <= 599 ? status / 100 : 0]++;
    m->bytes_in += bytes_in;
    m->bytes_out += bytes_out;
    for (b = 0; b < PC_METRICS_BUCKETS && duration_ms > bucket_ms[b]; b++) {
    }
    m->duration_buckets[b]++;
    m->duration_ms_sum += duration_ms;
    if (decision != NULL) {
        count_refusal(m, decision);
        if (host != NULL) {
            count_host(m, host);
        }
    }
}

static void
add_array(uint64_t *dst, const uint64_t *src, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        dst[i] += src[i];
    }
}

/* src is a sum already: its per-worker entries add up entry by entry. */
static void
merge_workers(pc_metrics_t *dst, const pc_metrics_t *src)
{
    unsigned w;

    for (w = 0; w < src->num_workers; w++) {
        dst->per_worker[w].active += src->per_worker[w].active;
        dst->per_worker[w].total += src->per_worker[w].total;
    }
    if (dst->num_workers < src->num_workers) {
        dst->num_workers = src->num_workers;
    }
}

void
pc_metrics_merge(pc_metrics_t *dst, const pc_metrics_t *src)
{
    size_t i;

    dst->conns_active += src->conns_active;
    dst->conns_total += src->conns_total;
    add_array(&dst->requests[0][0], &src->requests[0][0], 2 * 6);
    add_array(dst->refusals, src->refusals, 5);
    for (i = 0; i < src->num_blocks; i++) {
        add_block(dst, src->blocks[i].list, strlen(src->blocks[i].list), src->blocks[i].n);
    }
    dst->blocks[PC_METRICS_MAX_LISTS].n += src->blocks[PC_METRICS_MAX_LISTS].n;
    dst->bytes_in += src->bytes_in;
    dst->bytes_out += src->bytes_out;
    add_array(dst->upstream_errors, src->upstream_errors, PC_UPERR_COUNT);
    add_array(dst->duration_buckets, src->duration_buckets, PC_METRICS_BUCKETS + 1);
    dst->duration_ms_sum += src->duration_ms_sum;
    dst->reloads_ok += src->reloads_ok;
    dst->reloads_failed += src->reloads_failed;
    dst->dns_hits += src->dns_hits;
    dst->dns_misses += src->dns_misses;
    dst->dns_evictions += src->dns_evictions;
    dst->dns_entries += src->dns_entries;
    dst->origin_connects += src->origin_connects;
    dst->origin_reused += src->origin_reused;
    dst->origin_idle += src->origin_idle;
    dst->origin_retries += src->origin_retries;
    for (i = 0; i < src->num_top; i++) {
        add_host(dst, src->top[i].host, src->top[i].n);
    }
    if (src->num_workers > 0) {
        merge_workers(dst, src);
    } else if (src->worker < PC_METRICS_WORKERS) {
        dst->per_worker[src->worker].active += src->conns_active;
        dst->per_worker[src->worker].total += src->conns_total;
        if (dst->num_workers <= src->worker) {
            dst->num_workers = src->worker + 1;
        }
    }
}

void
pc_metrics_clear_counters(pc_metrics_t *m)
{
    pc_metrics_free(m);
    m->conns_active = m->conns_total = 0;
    memset(m->requests, 0, sizeof(m->requests));
    memset(m->refusals, 0, sizeof(m->refusals));
    memset(m->blocks, 0, sizeof(m->blocks));
    m->bytes_in = m->bytes_out = 0;
    memset(m->upstream_errors, 0, sizeof(m->upstream_errors));
    memset(m->duration_buckets, 0, sizeof(m->duration_buckets));
    m->duration_ms_sum = 0;
    m->reloads_ok = m->reloads_failed = 0;
    m->dns_hits = m->dns_misses = m->dns_evictions = m->dns_entries = 0;
    m->origin_connects = m->origin_reused = m->origin_idle = m->origin_retries = 0;
    memset(m->per_worker, 0, sizeof(m->per_worker));
    m->num_workers = 0;
    m->num_top = 0;
}

static uint64_t
total_requests(const pc_metrics_t *m)
{
    uint64_t n = 0;
    size_t k, c;

    for (k = 0; k < 2; k++) {
        for (c = 0; c < 6; c++) {
            n += m->requests[k][c];
        }
    }
    return n;
}

static uint64_t
total_refusals(const pc_metrics_t *m)
{
    return m->refusals[0] + m->refusals[1] + m->refusals[2] + m->refusals[3] + m->refusals[4];
}

void
pc_metrics_sample(pc_metrics_t *m, int64_t now_s)
{
    pc_metrics_sample_t *s = &m->samples[m->next_sample];
    uint64_t req = total_requests(m), blocks = total_refusals(m);

    s->t = now_s;
    s->connections = m->conns_active;
    s->requests = req - m->last_requests;
    s->blocks = blocks - m->last_blocks;
    s->bytes_in = m->bytes_in - m->last_in;
    s->bytes_out = m->bytes_out - m->last_out;
    m->last_requests = req;
    m->last_blocks = blocks;
    m->last_in = m->bytes_in;
    m->last_out = m->bytes_out;
    m->next_sample = (m->next_sample + 1) % PC_METRICS_SAMPLES;
    if (m->num_samples < PC_METRICS_SAMPLES) {
        m->num_samples++;
    }
}

typedef struct {
    char *p;
    size_t len, cap;
    bool overflow;
} out_t;

#if defined(__GNUC__)
#define METRICS_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define METRICS_PRINTF(fmt, args)
#endif

static void put(out_t *o, const char *fmt, ...) METRICS_PRINTF(2, 3);

static void
put(out_t *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (o->overflow) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len) {
        o->overflow = true;
        return;
    }
    o->len += (size_t)n;
}

/* A label value: '\', '"' and newline escaped; bytes outside printable ASCII as '?'. */
static void
put_label(out_t *o, const char *s)
{
    for (; *s != '\0' && !o->overflow; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '\\' || c == '"') {
            put(o, "\\%c", c);
        } else if (c == '\n') {
            put(o, "\\n");
        } else {
            put(o, "%c", c >= 0x20 && c < 0x7f ? c : '?');
        }
    }
}

static void
family(out_t *o, const char *name, const char *type, const char *help)
{
    put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family of one unlabelled sample. */
static void
single(out_t *o, const char *name, const char *type, const char *help, uint64_t value)
{
    family(o, name, type, help);
    put(o, "%s %llu\n", name, (unsigned long long)value);
}

/* The connections of each worker (only from a merged sum). */
static void
render_workers(out_t *o, const pc_metrics_t *m)
{
    unsigned w;

    if (m->num_workers == 0) {
        return;
    }
    family(o, "portcullis_worker_connections_active", "gauge",
           "Client connections open now, by worker thread.");
    for (w = 0; w < m->num_workers; w++) {
        put(o, "portcullis_worker_connections_active{worker=\"%u\"} %llu\n", w,
            (unsigned long long)m->per_worker[w].active);
    }
    family(o, "portcullis_worker_connections_total", "counter",
           "Client connections accepted, by worker thread.");
    for (w = 0; w < m->num_workers; w++) {
        put(o, "portcullis_worker_connections_total{worker=\"%u\"} %llu\n", w,
            (unsigned long long)m->per_worker[w].total);
    }
}

size_t
pc_metrics_render(const pc_metrics_t *m, uint64_t log_lines_dropped, const char *version, char *out,
                  size_t cap)
{
    static const char *const classes[6] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
    out_t o = {out, 0, cap, false};
    uint64_t cum = 0;
    size_t k, c, i;

    family(&o, "portcullis_build_info", "gauge", "The running version.");
    put(&o, "portcullis_build_info{version=\"");
    put_label(&o, version);
    put(&o, "\"} 1\n");
    family(&o, "portcullis_start_time_seconds", "gauge", "When the process started, Unix time.");
    put(&o, "portcullis_start_time_seconds %lld.%03d\n", (long long)(m->start_time_ms / 1000),
        (int)(m->start_time_ms % 1000));
    single(&o, "portcullis_connections_active", "gauge", "Client connections open now.",
           m->conns_active);
    single(&o, "portcullis_connections_total", "counter", "Client connections accepted.",
           m->conns_total);
    render_workers(&o, m);
    family(&o, "portcullis_requests_total", "counter",
           "Finished transactions by kind (http, tunnel) and status class (none: no response).");
    for (k = 0; k < 2; k++) {
        for (c = 0; c < 6; c++) {
            put(&o, "portcullis_requests_total{kind=\"%s\",class=\"%s\"} %llu\n",
                k == 0 ? "http" : "tunnel", classes[c], (unsigned long long)m->requests[k][c]);
        }
    }
    family(&o, "portcullis_refusals_total", "counter",
           "Requests refused by the policy, by reason.");
    for (i = 0; i < 5; i++) {
        put(&o, "portcullis_refusals_total{reason=\"%s\"} %llu\n", refusal_names[i],
            (unsigned long long)m->refusals[i]);
    }
    family(&o, "portcullis_blocks_total", "counter",
           "Requests refused by a blocklist, by list file.");
    for (i = 0; i < m->num_blocks; i++) {
        put(&o, "portcullis_blocks_total{list=\"");
        put_label(&o, m->blocks[i].list);
        put(&o, "\"} %llu\n", (unsigned long long)m->blocks[i].n);
    }
    if (m->blocks[PC_METRICS_MAX_LISTS].n > 0) {
        put(&o, "portcullis_blocks_total{list=\"other\"} %llu\n",
            (unsigned long long)m->blocks[PC_METRICS_MAX_LISTS].n);
    }
    single(&o, "portcullis_received_bytes_total", "counter", "Bytes received from clients.",
           m->bytes_in);
    single(&o, "portcullis_sent_bytes_total", "counter", "Bytes sent to clients.", m->bytes_out);
    family(&o, "portcullis_upstream_errors_total", "counter",
           "Origins not reached: DNS failures, connect failures and timeouts.");
    for (i = 0; i < PC_UPERR_COUNT; i++) {
        put(&o, "portcullis_upstream_errors_total{kind=\"%s\"} %llu\n", uperr_names[i],
            (unsigned long long)m->upstream_errors[i]);
    }
    family(&o, "portcullis_origin_connections_total", "counter",
           "Origin connections used for plain HTTP requests and tunnels: opened, or taken "
           "from the idle ones (OriginKeepAlive).");
    put(&o, "portcullis_origin_connections_total{how=\"new\"} %llu\n",
        (unsigned long long)m->origin_connects);
    put(&o, "portcullis_origin_connections_total{how=\"reused\"} %llu\n",
        (unsigned long long)m->origin_reused);
    single(&o, "portcullis_origin_connections_idle", "gauge",
           "Idle origin connections kept for reuse now.", m->origin_idle);
    single(&o, "portcullis_origin_retries_total", "counter",
           "Requests resent on a new connection because the reused one had been closed.",
           m->origin_retries);
    family(&o, "portcullis_dns_cache_lookups_total", "counter",
           "Name lookups answered from the resolution cache (hit) or resolved (miss).");
    put(&o, "portcullis_dns_cache_lookups_total{result=\"hit\"} %llu\n",
        (unsigned long long)m->dns_hits);
    put(&o, "portcullis_dns_cache_lookups_total{result=\"miss\"} %llu\n",
        (unsigned long long)m->dns_misses);
    single(&o, "portcullis_dns_cache_evictions_total", "counter",
           "Live names pushed out of the full resolution cache.", m->dns_evictions);
    single(&o, "portcullis_dns_cache_entries", "gauge", "Names in the resolution cache.",
           m->dns_entries);
    family(&o, "portcullis_request_duration_seconds", "histogram",
           "Transaction durations, from the complete request head to the end.");
    for (i = 0; i <= PC_METRICS_BUCKETS; i++) {
        cum += m->duration_buckets[i];
        if (i < PC_METRICS_BUCKETS) {
            put(&o, "portcullis_request_duration_seconds_bucket{le=\"%llu.%03llu\"} %llu\n",
                (unsigned long long)(bucket_ms[i] / 1000),
                (unsigned long long)(bucket_ms[i] % 1000), (unsigned long long)cum);
        } else {
            put(&o, "portcullis_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                (unsigned long long)cum);
        }
    }
    put(&o, "portcullis_request_duration_seconds_sum %llu.%03llu\n",
        (unsigned long long)(m->duration_ms_sum / 1000),
        (unsigned long long)(m->duration_ms_sum % 1000));
    put(&o, "portcullis_request_duration_seconds_count %llu\n", (unsigned long long)cum);
    family(&o, "portcullis_config_reloads_total", "counter", "Configuration reloads, by result.");
    put(&o, "portcullis_config_reloads_total{result=\"success\"} %llu\n",
        (unsigned long long)m->reloads_ok);
    put(&o, "portcullis_config_reloads_total{result=\"failure\"} %llu\n",
        (unsigned long long)m->reloads_failed);
    single(&o, "portcullis_access_log_dropped_lines_total", "counter",
           "Access-log lines dropped because the disk could not keep up.", log_lines_dropped);
    return o.overflow ? 0 : o.len;
}

/* A JSON string of s: '"', '\\' and bytes outside printable ASCII escaped. */
static void
put_json_str(out_t *o, const char *s)
{
    put(o, "\"");
    for (; *s != '\0' && !o->overflow; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\') {
            put(o, "\\%c", c);
        } else if (c < 0x20 || c >= 0x7f) {
            put(o, "\\u%04x", c);
        } else {
            put(o, "%c", c);
        }
    }
    put(o, "\"");
}

size_t
pc_metrics_status_json(const pc_metrics_t *m, const char *version, int64_t now_ms,
                       unsigned interval_s, char *out, size_t cap)
{
    out_t o = {out, 0, cap, false};
    bool used[PC_METRICS_TOP_HOSTS] = {false};
    size_t i, k, best;

    put(&o, "{\"version\":");
    put_json_str(&o, version);
    put(&o,
        ",\"uptime_s\":%lld,\"interval_s\":%u,\"now\":{\"connections\":%llu,"
        "\"requests_total\":%llu,\"blocks_total\":%llu,\"bytes_in_total\":%llu,"
        "\"bytes_out_total\":%llu},\"series\":[",
        (long long)((now_ms - m->start_time_ms) / 1000), interval_s,
        (unsigned long long)m->conns_active, (unsigned long long)total_requests(m),
        (unsigned long long)total_refusals(m), (unsigned long long)m->bytes_in,
        (unsigned long long)m->bytes_out);
    for (i = 0; i < m->num_samples; i++) {
        const pc_metrics_sample_t *s =
            &m->samples[(m->next_sample + PC_METRICS_SAMPLES - m->num_samples + i)
                        % PC_METRICS_SAMPLES];

        put(&o,
            "%s{\"t\":%lld,\"connections\":%llu,\"requests\":%llu,\"blocks\":%llu,"
            "\"bytes_in\":%llu,\"bytes_out\":%llu}",
            i > 0 ? "," : "", (long long)s->t, (unsigned long long)s->connections,
            (unsigned long long)s->requests, (unsigned long long)s->blocks,
            (unsigned long long)s->bytes_in, (unsigned long long)s->bytes_out);
    }
    put(&o, "],\"top_blocked\":[");
    /* The ten most refused hosts, by selection (the table is small). */
    for (k = 0; k < 10 && k < m->num_top; k++) {
        best = PC_METRICS_TOP_HOSTS;
        for (i = 0; i < m->num_top; i++) {
            if (!used[i] && (best == PC_METRICS_TOP_HOSTS || m->top[i].n > m->top[best].n)) {
                best = i;
            }
        }
        used[best] = true;
        put(&o, "%s{\"host\":", k > 0 ? "," : "");
        put_json_str(&o, m->top[best].host);
        put(&o, ",\"count\":%llu}", (unsigned long long)m->top[best].n);
    }
    put(&o, "]}\n");
    return o.overflow ? 0 : o.len;
}
