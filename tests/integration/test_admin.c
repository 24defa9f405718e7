/*
 * test_admin.c: the admin listener: /metrics, /healthz, and nothing else.
 *
 * Traffic of known shape goes through the proxy (two 200s, a blocklisted
 * name, a CONNECT to a port not allowed, an origin that refuses), then
 * /metrics is read, checked line by line against the Prometheus text
 * format by a parser here, and its values against that traffic; reloads
 * are counted by result. /healthz answers "ok"; other paths 404, other
 * methods 405. The proxy port never serves these, whatever the Host says.
 */
#include "it_fixture.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char ok_response[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/* The port of the "admin listening on 127.0.0.1:PORT" line. */
static int
admin_port(pc_it_fx_t *f, pc_it_proxy_t *p)
{
    const char *line = pc_it_fx_wait_stderr_line(f, p, 0, "admin listening on 127.0.0.1:", NULL);

    return atoi(strstr(line, "127.0.0.1:") + 10);
}

/* One request to port, read to the close; the whole response (freed at teardown). */
static const char *
http_get(pc_it_fx_t *f, int port, const char *req)
{
    pc_it_client_t *c;
    const char *data;
    size_t len;

    assert_int_equal(pc_it_client_connect(&c, "127.0.0.1", port, PC_IT_TIMEOUT_MS), 0);
    assert_int_equal(pc_it_client_send_str(c, req, PC_IT_TIMEOUT_MS), 0);
    if (pc_it_client_wait_close(c, PC_IT_TIMEOUT_MS) != 0) {
        data = pc_it_client_data(c, &len);
        fail_msg("no close after \"%s\"; got \"%.*s\"", req, (int)len, data != NULL ? data : "");
    }
    data = pc_it_client_data(c, &len);
    data = pc_it_fx_strf(f, "%.*s", (int)len, data != NULL ? data : "");
    pc_it_client_close(c);
    return data;
}

static bool
is_name(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!(isalpha((unsigned char)s[i]) || s[i] == '_' || s[i] == ':'
              || (i > 0 && isdigit((unsigned char)s[i])))) {
            return false;
        }
    }
    return n > 0;
}

/* Checks one sample line "name{k="v",...} value"; fails the test naming it. */
static void
check_sample(const char *line, size_t n, const char *typed)
{
    const char *p = line, *end = line + n, *brace;
    size_t name_len;
    char value[64], *vend;
    char fam[128];

    brace = memchr(line, '{', n);
    name_len = (size_t)((brace != NULL ? brace : (const char *)memchr(line, ' ', n)) - line);
    if (!is_name(line, name_len)) {
        fail_msg("bad metric name in \"%.*s\"", (int)n, line);
    }
    /* The family was typed before its samples (histogram suffixes belong to it). */
    snprintf(fam, sizeof(fam), "\n%.*s\n", (int)name_len, line);
    if (strstr(typed, fam) == NULL) {
        const char *suf[] = {"_bucket", "_sum", "_count"};
        size_t k;
        bool found = false;

        for (k = 0; k < 3 && !found; k++) {
            size_t sl = strlen(suf[k]);

            if (name_len > sl && memcmp(line + name_len - sl, suf[k], sl) == 0) {
                snprintf(fam, sizeof(fam), "\n%.*s\n", (int)(name_len - sl), line);
                found = strstr(typed, fam) != NULL;
            }
        }
        if (!found) {
            fail_msg("sample before its # TYPE: \"%.*s\"", (int)n, line);
        }
    }
    p = line + name_len;
    if (*p == '{') {
        p++;
        while (*p != '}') {
            const char *eq = memchr(p, '=', (size_t)(end - p));

            if (eq == NULL || !is_name(p, (size_t)(eq - p)) || eq[1] != '"') {
                fail_msg("bad label in \"%.*s\"", (int)n, line);
            }
            for (p = eq + 2; p < end && *p != '"'; p++) {
                if (*p == '\\') {
                    p++;
                }
            }
            if (p >= end) {
                fail_msg("unterminated label value in \"%.*s\"", (int)n, line);
            }
            p++;
            if (*p == ',') {
                p++;
            }
        }
        p++;
    }
    if (*p != ' ' || (size_t)(end - p - 1) >= sizeof(value)) {
        fail_msg("no value in \"%.*s\"", (int)n, line);
    }
    memcpy(value, p + 1, (size_t)(end - p - 1));
    value[end - p - 1] = '\0';
    strtod(value, &vend);
    if (vend == value || *vend != '\0') {
        fail_msg("value \"%s\" is not a number in \"%.*s\"", value, (int)n, line);
    }
}

/* Checks the whole exposition; returns it. */
static const char *
check_exposition(pc_it_fx_t *f, const char *text)
{
    char *typed = pc_it_fx_strf(f, "%s", "\n");
    const char *line = text, *nl;

    assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
    for (; *line != '\0'; line = nl + 1) {
        size_t n;

        nl = strchr(line, '\n');
        n = (size_t)(nl - line);
        if (strncmp(line, "# TYPE ", 7) == 0) {
            const char *sp = memchr(line + 7, ' ', n - 7);
            size_t tl;

            assert_non_null(sp);
            tl = (size_t)(line + n - sp - 1);
            if (!((tl == 7 && memcmp(sp + 1, "counter", 7) == 0)
                  || (tl == 5 && memcmp(sp + 1, "gauge", 5) == 0)
                  || (tl == 9 && memcmp(sp + 1, "histogram", 9) == 0))) {
                fail_msg("bad type line \"%.*s\"", (int)n, line);
            }
            typed = pc_it_fx_strf(f, "%s%.*s\n", typed, (int)(sp - line - 7), line + 7);
        } else if (strncmp(line, "# HELP ", 7) != 0) {
            check_sample(line, n, typed);
        }
    }
    return text;
}

/* The value of the sample spelled exactly `sample` ("name{labels}"); fails if absent. */
static double
value_of(const char *text, const char *sample)
{
    size_t n = strlen(sample);
    const char *at = text;

    while ((at = strstr(at, sample)) != NULL) {
        if ((at == text || at[-1] == '\n') && at[n] == ' ') {
            return strtod(at + n + 1, NULL);
        }
        at++;
    }
    fail_msg("no sample %s in:\n%s", sample, text);
    return -1;
}

static void
test_admin_metrics_count_the_traffic(void **state)
{
    static const char name[] = "admin_metrics";
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);
    const char *list = pc_it_fx_write_file(f, name, "block.txt", "blocked.invalid\n");
    const char *conf = pc_it_fx_strf(f, "Admin 127.0.0.1:0\nBlocklist %s\nConnectPort 443", list);
    pc_it_proxy_t *p = pc_it_fx_proxy(f, name, conf);
    int admin = admin_port(f, p), free_port;
    const char *m, *body, *r;
    size_t mark;

    assert_int_equal(pc_it_free_port("127.0.0.1", &free_port), 0);
    pc_it_fx_expect_200(f, pc_it_fx_get_req(f, "127.0.0.1", pc_it_origin_port(o)), "ok");
    pc_it_fx_expect_200(f, pc_it_fx_get_req(f, "127.0.0.1", pc_it_origin_port(o)), "ok");
    pc_it_fx_expect_refused(f, pc_it_fx_get_req(f, "blocked.invalid", 80), 403, NULL);
    pc_it_fx_expect_refused(f, pc_it_fx_connect_req(f, "127.0.0.1", 22), 403, NULL);
    pc_it_fx_expect_refused(f, pc_it_fx_get_req(f, "127.0.0.1", free_port), 502, NULL);
    /* The error log names the system error, under the request's id. */
    (void)pc_it_fx_wait_stderr_line(f, p, 0, "connection refused (ECONNREFUSED)", " info #");

    m = http_get(f, admin, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_true(strncmp(m, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_non_null(strstr(m, "Content-Type: text/plain; version=0.0.4"));
    body = check_exposition(f, strstr(m, "\r\n\r\n") + 4);
    assert_true(value_of(body, "portcullis_requests_total{kind=\"http\",class=\"2xx\"}") == 2);
    assert_true(value_of(body, "portcullis_requests_total{kind=\"http\",class=\"4xx\"}") == 1);
    assert_true(value_of(body, "portcullis_requests_total{kind=\"http\",class=\"5xx\"}") == 1);
    assert_true(value_of(body, "portcullis_requests_total{kind=\"tunnel\",class=\"4xx\"}") == 1);
    assert_true(value_of(body, "portcullis_refusals_total{reason=\"block\"}") == 1);
    assert_true(value_of(body, "portcullis_refusals_total{reason=\"port\"}") == 1);
    assert_true(value_of(body, pc_it_fx_strf(f, "portcullis_blocks_total{list=\"%s\"}", list))
                == 1);
    assert_true(value_of(body, "portcullis_upstream_errors_total{kind=\"connect\"}") == 1);
    assert_true(value_of(body, "portcullis_connections_total") >= 5);
    assert_true(value_of(body, "portcullis_request_duration_seconds_count") == 5);
    assert_true(value_of(body, "portcullis_request_duration_seconds_bucket{le=\"+Inf\"}") == 5);
    assert_true(value_of(body, "portcullis_sent_bytes_total") > 0);
    assert_true(value_of(body, "portcullis_received_bytes_total") > 0);
    assert_true(value_of(body, "portcullis_start_time_seconds") > 1.7e9);

    /* The status page and its data. */
    r = http_get(f, admin, "GET /status HTTP/1.1\r\n\r\n");
    assert_true(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_non_null(strstr(r, "Content-Type: text/html; charset=utf-8\r\n"));
    assert_non_null(strstr(r, "Content-Security-Policy: default-src 'none';"));
    assert_non_null(strstr(r, "status.json"));
    r = http_get(f, admin, "GET /status.json HTTP/1.1\r\n\r\n");
    assert_true(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_non_null(strstr(r, "Content-Type: application/json\r\n"));
    assert_non_null(strstr(r, "\"requests_total\":5,\"blocks_total\":2,"));
    assert_non_null(strstr(r, "\"top_blocked\":[{\"host\":"));
    assert_non_null(strstr(r, "{\"host\":\"blocked.invalid\",\"count\":1}"));
    assert_non_null(strstr(r, "{\"host\":\"127.0.0.1\",\"count\":1}"));

    /* Reloads, by result. */
    mark = pc_it_fx_stderr_mark(p);
    assert_int_equal(pc_it_proxy_signal(p, pc_it_sys_sighup()), 0);
    (void)pc_it_fx_wait_stderr_line(f, p, mark, "configuration reloaded", NULL);
    pc_it_fx_write_file(f, name, "portcullis.conf", "Listen nowhere\n");
    mark = pc_it_fx_stderr_mark(p);
    assert_int_equal(pc_it_proxy_signal(p, pc_it_sys_sighup()), 0);
    (void)pc_it_fx_wait_stderr_line(f, p, mark, "reload failed", NULL);
    body = check_exposition(
        f, strstr(http_get(f, admin, "GET /metrics HTTP/1.0\r\n\r\n"), "\r\n\r\n") + 4);
    assert_true(value_of(body, "portcullis_config_reloads_total{result=\"success\"}") == 1);
    assert_true(value_of(body, "portcullis_config_reloads_total{result=\"failure\"}") == 1);
}

static void
test_admin_health_and_refusals(void **state)
{
    static const char name[] = "admin_health";
    pc_it_fx_t *f = *state;
    pc_it_proxy_t *p = pc_it_fx_proxy(f, name, "Admin 127.0.0.1:0");
    int admin = admin_port(f, p);
    const char *r;

    r = http_get(f, admin, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_true(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_non_null(strstr(r, "\r\n\r\nok\n"));
    r = http_get(f, admin, "HEAD /healthz HTTP/1.1\r\n\r\n");
    assert_true(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0 && strstr(r, "\r\n\r\nok") == NULL);
    r = http_get(f, admin, "GET /status.php HTTP/1.1\r\n\r\n");
    assert_true(strncmp(r, "HTTP/1.1 404 ", 13) == 0);
    r = http_get(f, admin, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert_true(strncmp(r, "HTTP/1.1 405 ", 13) == 0);
    assert_non_null(strstr(r, "Allow: GET, HEAD\r\n"));
    r = http_get(f, admin, "GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n");
    assert_true(strncmp(r, "HTTP/1.1 ", 9) == 0);

    /* The proxy port never answers for the admin, whatever Host names. */
    r = http_get(f, pc_it_proxy_port(p),
                 pc_it_fx_strf(f, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", admin));
    assert_true(strncmp(r, "HTTP/1.1 400 ", 13) == 0);
    assert_null(strstr(r, "portcullis_"));
    r = http_get(
        f, pc_it_proxy_port(p),
        pc_it_fx_strf(
            f, "GET http://127.0.0.1:%d/metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            admin));
    /* Nor as an origin: the admin would see the proxy's own loopback address. */
    assert_true(strncmp(r, "HTTP/1.1 403 ", 13) == 0);
    assert_non_null(strstr(r, "the admin listener is not reachable through the proxy"));
    assert_null(strstr(r, "portcullis_"));
}

/*
 * The resolution cache (one per worker; here one worker): a name from the
 * sandbox's hosts file is resolved once for three requests, and a name the
 * DNS stub says does not exist is asked once for two (the second answer
 * comes from the cache: no query).
 */
static void
test_admin_dns_cache(void **state)
{
    static const char name[] = "admin_dns_cache";
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o;
    pc_it_proxy_t *p;
    const char *body;
    unsigned queries;
    int admin, i;

    PC_IT_REQUIRE_SANDBOX();
    o = pc_it_fx_http_origin(f, ok_response);
    /* Without reuse of origin connections, so that each request resolves; one
     * worker: each worker has a cache of its own, and these requests come on
     * new connections, which any worker may accept. */
    p = pc_it_fx_proxy(f, name, "Admin 127.0.0.1:0\nOriginKeepAlive 0\nWorkers 1");
    admin = admin_port(f, p);
    for (i = 0; i < 3; i++) {
        pc_it_fx_expect_200(f, pc_it_fx_get_req(f, "origin-a.test", pc_it_origin_port(o)), "ok");
    }
    pc_it_fx_dns(f, PC_IT_DNS_NXDOMAIN);
    pc_it_fx_expect_refused(f, pc_it_fx_get_req(f, "nosuch.invalid", 80), 502, NULL);
    queries = pc_it_dns_queries(f->dns);
    assert_true(queries >= 1);
    pc_it_fx_expect_refused(f, pc_it_fx_get_req(f, "nosuch.invalid", 80), 502, NULL);
    assert_int_equal(pc_it_dns_queries(f->dns), queries);

    body = check_exposition(
        f, strstr(http_get(f, admin, "GET /metrics HTTP/1.0\r\n\r\n"), "\r\n\r\n") + 4);
    assert_true(value_of(body, "portcullis_dns_cache_lookups_total{result=\"miss\"}") == 2);
    assert_true(value_of(body, "portcullis_dns_cache_lookups_total{result=\"hit\"}") == 3);
    assert_true(value_of(body, "portcullis_dns_cache_entries") == 2);
    assert_true(value_of(body, "portcullis_upstream_errors_total{kind=\"dns\"}") == 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        PC_IT_TEST(test_admin_metrics_count_the_traffic),
        PC_IT_TEST(test_admin_health_and_refusals),
        PC_IT_TEST(test_admin_dns_cache),
    };

    pc_it_sys_init();
    return cmocka_run_group_tests_name("admin", tests, NULL, NULL);
}
