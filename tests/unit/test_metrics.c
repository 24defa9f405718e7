/*
 * test_metrics.c: counting and the exposition text (src/metrics.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static char out[262144];

static void
expect_line(const char *text, const char *line)
{
    char *want = malloc(strlen(line) + 3);

    assert_non_null(want);
    sprintf(want, "\n%s\n", line);
    if (strstr(text, want) == NULL) {
        fail_msg("no line \"%s\" in:\n%s", line, text);
    }
    free(want);
}

static void
test_metrics_counts(void **state)
{
    pc_metrics_t m;
    size_t n;

    (void)state;
    pc_metrics_init(&m, 1700000000123);
    pc_metrics_txn(&m, false, 200, 100, 1000, 0, NULL, NULL);
    pc_metrics_txn(&m, false, 200, 100, 1000, 7, NULL, NULL);
    pc_metrics_txn(&m, false, 403, 50, 120, 2, "block:/etc/p/ads.txt:7", "ads.example");
    pc_metrics_txn(&m, false, 403, 50, 120, 2, "block:/etc/p/ads.txt:9", "ads.example");
    pc_metrics_txn(&m, true, 403, 50, 120, 2, "port", "ads.example");
    pc_metrics_txn(&m, true, 200, 10, 20, 20000, NULL, NULL);
    pc_metrics_txn(&m, false, 0, 5, 0, 1, NULL, NULL);
    m.upstream_errors[PC_UPERR_DNS] = 3;
    m.reloads_ok = 2;
    n = pc_metrics_render(&m, 4, "1.2.3", out, sizeof(out));
    assert_true(n > 0 && out[n - 1] == '\n');
    out[n] = '\0';
    expect_line(out, "portcullis_build_info{version=\"1.2.3\"} 1");
    expect_line(out, "portcullis_start_time_seconds 1700000000.123");
    expect_line(out, "portcullis_requests_total{kind=\"http\",class=\"2xx\"} 2");
    expect_line(out, "portcullis_requests_total{kind=\"http\",class=\"4xx\"} 2");
    expect_line(out, "portcullis_requests_total{kind=\"http\",class=\"none\"} 1");
    expect_line(out, "portcullis_requests_total{kind=\"tunnel\",class=\"4xx\"} 1");
    expect_line(out, "portcullis_requests_total{kind=\"tunnel\",class=\"2xx\"} 1");
    expect_line(out, "portcullis_refusals_total{reason=\"block\"} 2");
    expect_line(out, "portcullis_refusals_total{reason=\"port\"} 1");
    expect_line(out, "portcullis_blocks_total{list=\"/etc/p/ads.txt\"} 2");
    expect_line(out, "portcullis_received_bytes_total 365");
    expect_line(out, "portcullis_sent_bytes_total 2380");
    expect_line(out, "portcullis_upstream_errors_total{kind=\"dns\"} 3");
    /* Cumulative buckets: 0 and 1 ms fall in le=0.001, 2 ms (x3) in 0.005, 7 ms in 0.010. */
    expect_line(out, "portcullis_request_duration_seconds_bucket{le=\"0.001\"} 2");
    expect_line(out, "portcullis_request_duration_seconds_bucket{le=\"0.005\"} 5");
    expect_line(out, "portcullis_request_duration_seconds_bucket{le=\"0.010\"} 6");
    expect_line(out, "portcullis_request_duration_seconds_bucket{le=\"10.000\"} 6");
    expect_line(out, "portcullis_request_duration_seconds_bucket{le=\"+Inf\"} 7");
    expect_line(out, "portcullis_request_duration_seconds_sum 20.014");
    expect_line(out, "portcullis_request_duration_seconds_count 7");
    expect_line(out, "portcullis_config_reloads_total{result=\"success\"} 2");
    expect_line(out, "portcullis_access_log_dropped_lines_total 4");
    expect_line(out, "# TYPE portcullis_request_duration_seconds histogram");
    /* Too small a buffer: 0, never a cut exposition. */
    assert_int_equal(pc_metrics_render(&m, 0, "1", out, 100), 0);
    pc_metrics_free(&m);
}

/* List names are label values: escaped; past 64 lists the rest count as "other". */
static void
test_metrics_list_labels(void **state)
{
    pc_metrics_t m;
    char d[64];
    size_t n;
    int i;

    (void)state;
    pc_metrics_init(&m, 0);
    pc_metrics_txn(&m, false, 403, 0, 0, 0, "block:C:\\lists\\a \"b\".txt:1", "ads.example");
    for (i = 0; i < 70; i++) {
        snprintf(d, sizeof(d), "block:/l/%d.txt:1", i);
        pc_metrics_txn(&m, false, 403, 0, 0, 0, d, NULL);
    }
    n = pc_metrics_render(&m, 0, "1", out, sizeof(out));
    out[n] = '\0';
    expect_line(out, "portcullis_blocks_total{list=\"C:\\\\lists\\\\a \\\"b\\\".txt\"} 1");
    expect_line(out, "portcullis_blocks_total{list=\"/l/62.txt\"} 1");
    assert_null(strstr(out, "/l/63.txt"));
    expect_line(out, "portcullis_blocks_total{list=\"other\"} 7");
    pc_metrics_free(&m);
}

/* The status page's data: samples with deltas, oldest first, and the most refused hosts. */
static void
test_metrics_status_json(void **state)
{
    pc_metrics_t m;
    size_t n;
    int i;

    (void)state;
    pc_metrics_init(&m, 1000000);
    pc_metrics_txn(&m, false, 200, 10, 100, 1, NULL, NULL);
    pc_metrics_sample(&m, 1005);
    pc_metrics_txn(&m, false, 403, 10, 50, 1, "block:/l.txt:1", "ads.example");
    pc_metrics_txn(&m, false, 403, 10, 50, 1, "block:/l.txt:1", "ads.example");
    pc_metrics_txn(&m, false, 403, 10, 50, 1, "default-deny", "x\"y\\z\x01");
    m.conns_active = 2;
    pc_metrics_sample(&m, 1010);
    n = pc_metrics_status_json(&m, "1.2.3", 1012000, 5, out, sizeof(out));
    assert_true(n > 0);
    out[n] = '\0';
    assert_string_equal(
        out,
        "{\"version\":\"1.2.3\",\"uptime_s\":12,\"interval_s\":5,\"now\":{\"connections\":2,"
        "\"requests_total\":4,\"blocks_total\":3,\"bytes_in_total\":40,\"bytes_out_total\":250},"
        "\"series\":[{\"t\":1005,\"connections\":0,\"requests\":1,\"blocks\":0,\"bytes_in\":10,"
        "\"bytes_out\":100},{\"t\":1010,\"connections\":2,\"requests\":3,\"blocks\":3,"
        "\"bytes_in\":30,\"bytes_out\":150}],\"top_blocked\":[{\"host\":\"ads.example\",\"count\":"
        "2},"
        "{\"host\":\"x\\\"y\\\\z\\u0001\",\"count\":1}]}\n");
    /* The ring keeps the last 60 samples. */
    for (i = 0; i < 100; i++) {
        pc_metrics_sample(&m, 2000 + i);
    }
    n = pc_metrics_status_json(&m, "1", 0, 5, out, sizeof(out));
    out[n] = '\0';
    assert_non_null(strstr(out, "\"series\":[{\"t\":2040,"));
    assert_non_null(strstr(out, "{\"t\":2099,"));
    assert_null(strstr(out, "\"t\":2039,"));
    pc_metrics_free(&m);
}

/* Two workers' counters added up: totals, lists, hosts, per-worker connections. */
static void
test_metrics_merge(void **state)
{
    static pc_metrics_t w0, w1, sum;
    size_t n;

    (void)state;
    pc_metrics_init(&w0, 1000);
    pc_metrics_init(&w1, 2000);
    pc_metrics_init(&sum, 500);
    w1.worker = 1;
    w0.conns_active = 1;
    w0.conns_total = 5;
    w1.conns_total = 3;
    pc_metrics_txn(&w0, false, 200, 100, 1000, 7, NULL, NULL);
    pc_metrics_txn(&w0, false, 403, 1, 2, 1, "block:/l/a.txt:3", "ads.example");
    pc_metrics_txn(&w1, false, 403, 1, 2, 1, "block:/l/a.txt:9", "ads.example");
    pc_metrics_txn(&w1, false, 403, 1, 2, 1, "block:/l/b.txt:1", "b.example");
    pc_metrics_txn(&w1, true, 200, 10, 20, 20000, NULL, NULL);
    w1.upstream_errors[PC_UPERR_DNS] = 2;
    w0.dns_hits = 4;
    w1.dns_hits = 6;
    w0.origin_reused = 7;
    w1.origin_reused = 5;
    w1.origin_retries = 1;
    pc_metrics_merge(&sum, &w0);
    pc_metrics_merge(&sum, &w1);
    assert_int_equal(sum.start_time_ms, 500); /* the sum's own */
    assert_int_equal(sum.num_workers, 2);
    n = pc_metrics_render(&sum, 0, "1", out, sizeof(out));
    assert_true(n > 0);
    out[n] = '\0';
    expect_line(out, "portcullis_connections_active 1");
    expect_line(out, "portcullis_connections_total 8");
    expect_line(out, "portcullis_worker_connections_total{worker=\"0\"} 5");
    expect_line(out, "portcullis_worker_connections_total{worker=\"1\"} 3");
    expect_line(out, "portcullis_worker_connections_active{worker=\"0\"} 1");
    expect_line(out, "portcullis_requests_total{kind=\"http\",class=\"4xx\"} 3");
    expect_line(out, "portcullis_requests_total{kind=\"tunnel\",class=\"2xx\"} 1");
    expect_line(out, "portcullis_blocks_total{list=\"/l/a.txt\"} 2");
    expect_line(out, "portcullis_blocks_total{list=\"/l/b.txt\"} 1");
    expect_line(out, "portcullis_received_bytes_total 113");
    expect_line(out, "portcullis_upstream_errors_total{kind=\"dns\"} 2");
    expect_line(out, "portcullis_dns_cache_lookups_total{result=\"hit\"} 10");
    expect_line(out, "portcullis_origin_connections_total{how=\"reused\"} 12");
    expect_line(out, "portcullis_origin_retries_total 1");
    expect_line(out, "portcullis_request_duration_seconds_count 5");
    expect_line(out, "portcullis_request_duration_seconds_sum 20.010");
    n = pc_metrics_status_json(&sum, "1", 500, 5, out, sizeof(out));
    out[n] = '\0';
    assert_non_null(strstr(out, "{\"host\":\"ads.example\",\"count\":2}"));
    /* A worker's own exposition has no per-worker family. */
    n = pc_metrics_render(&w1, 0, "1", out, sizeof(out));
    out[n] = '\0';
    assert_null(strstr(out, "portcullis_worker_connections"));
    /* Cleared: every counter back to 0, the series kept. */
    pc_metrics_sample(&sum, 600);
    pc_metrics_clear_counters(&sum);
    assert_int_equal(sum.num_samples, 1);
    assert_int_equal(sum.num_blocks, 0);
    assert_int_equal(sum.num_workers, 0);
    assert_int_equal(sum.num_top, 0);
    n = pc_metrics_render(&sum, 0, "1", out, sizeof(out));
    out[n] = '\0';
    expect_line(out, "portcullis_connections_total 0");
    expect_line(out, "portcullis_received_bytes_total 0");
    pc_metrics_merge(&sum, &w1);
    n = pc_metrics_render(&sum, 0, "1", out, sizeof(out));
    out[n] = '\0';
    expect_line(out, "portcullis_connections_total 3");
    expect_line(out, "portcullis_blocks_total{list=\"/l/a.txt\"} 1");
    /* A sum merged into another keeps its per-worker entries apart. */
    pc_metrics_free(&w0);
    pc_metrics_init(&w0, 0);
    pc_metrics_merge(&w0, &sum);
    assert_int_equal(w0.num_workers, 2);
    assert_int_equal(w0.per_worker[1].total, 3);
    assert_int_equal(w0.per_worker[0].total, 0);
    pc_metrics_free(&w0);
    pc_metrics_free(&w1);
    pc_metrics_free(&sum);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_counts),
        cmocka_unit_test(test_metrics_list_labels),
        cmocka_unit_test(test_metrics_status_json),
        cmocka_unit_test(test_metrics_merge),
    };

    return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
