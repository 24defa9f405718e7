/*
 * test_lifecycle.c: command line, start-up errors, signals and the access log.
 *
 * -t checks a config and exits 0 ("OK") or 1 ("FILE:LINE: message" on
 * stderr); a bad config at start is the same message and a non-zero exit.
 * SIGINT/SIGTERM close the listener at once (the port can be bound while a
 * transaction is still finishing), let transactions in flight finish within
 * ShutdownTimeout, close idle connections without waiting for it, and exit 0.
 * The access log gets one line per transaction, flushed when it ends:
 *   <RFC 3339 UTC, ms> <client ip:port> <METHOD> <target> <status>
 *   <bytes from client> <bytes to client> <duration ms>
 */
#include "it_fixture.h"
#include "portcullis/version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char ok_response[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/* Writes `text` as <work>/<name>/test.conf; returns the path. */
static const char *
write_conf(pc_it_fx_t *f, const char *name, const char *text)
{
    return pc_it_fx_write_file(f, name, "test.conf", text);
}

static void
test_lifecycle_check_good_config(void **state)
{
    pc_it_fx_t *f = *state;
    const char *path = write_conf(f, "lifecycle_check_good_config",
                                  "# a complete, valid configuration\n"
                                  "Listen 127.0.0.1:0\n"
                                  "Listen [::1]:0\n"
                                  "Allow 127.0.0.0/8\n"
                                  "Deny 10.0.0.0/8\n"
                                  "ConnectPort 443\n"
                                  "ConnectPort 8000-8010\n"
                                  "AccessLog off\n"
                                  "HeaderTimeout 5\n"
                                  "ConnectTimeout 5\n"
                                  "IdleTimeout 60\n"
                                  "ShutdownTimeout 2\n"
                                  "MaxClients 50\n"
                                  "LogLevel debug\n"
                                  "ViaName gate7\n");
    const char *args[] = {"", "-t", "-c", path, NULL};
    char *out;
    char *err;
    pc_it_exit_t how = pc_it_fx_run(f, "lifecycle_check_good_config", args, &out, &err);

    if (how.exit_status != 0 || how.term_signal != 0) {
        fail_msg("-t on a good config: status %lld signal %d, stderr: %s",
                 (long long)how.exit_status, how.term_signal, err);
    }
    assert_true(strstr(out, "OK") != NULL || strstr(err, "OK") != NULL);
}

/* -t on a config whose line `line` is wrong: exit 1 and "path:line: ". */
static void
expect_check_fails(pc_it_fx_t *f, const char *name, const char *text, int line)
{
    const char *path = write_conf(f, name, text);
    const char *args[] = {"", "-t", "-c", path, NULL};
    const char *prefix = pc_it_fx_strf(f, "%s:%d: ", path, line);
    char *out;
    char *err;
    pc_it_exit_t how = pc_it_fx_run(f, name, args, &out, &err);

    assert_int_equal(how.term_signal, 0);
    assert_int_equal(how.exit_status, 1);
    if (strstr(err, prefix) == NULL) {
        fail_msg("stderr lacks \"%s\": %s", prefix, err);
    }
}

static void
test_lifecycle_check_unknown_directive(void **state)
{
    expect_check_fails(*state, "lifecycle_check_unknown_directive",
                       "# comment\nListen 127.0.0.1:0\nFrobnicate yes\n", 3);
}

static void
test_lifecycle_check_bad_value(void **state)
{
    expect_check_fails(*state, "lifecycle_check_bad_value",
                       "Listen 127.0.0.1:0\nConnectPort 99999\nLogLevel info\n", 2);
}

static void
test_lifecycle_start_with_bad_config_fails(void **state)
{
    pc_it_fx_t *f = *state;
    const char *path = write_conf(f, "lifecycle_start_with_bad_config_fails",
                                  "Listen 127.0.0.1:0\nHeaderTimeout soon\n");
    const char *args[] = {"", "-c", path, NULL};
    const char *prefix = pc_it_fx_strf(f, "%s:2: ", path);
    char *out;
    char *err;
    pc_it_exit_t how = pc_it_fx_run(f, "lifecycle_start_with_bad_config_fails", args, &out, &err);

    assert_int_equal(how.term_signal, 0);
    assert_int_not_equal(how.exit_status, 0);
    if (strstr(err, prefix) == NULL) {
        fail_msg("stderr lacks \"%s\": %s", prefix, err);
    }
}

/* Sends the signal and expects exit status 0 within ms. */
static void
expect_clean_exit(pc_it_proxy_t *p, int signum, uint64_t ms)
{
    pc_it_exit_t how;

    if (signum != 0) {
        assert_int_equal(pc_it_proxy_signal(p, signum), 0);
    }
    if (pc_it_proxy_wait_exit(p, ms, &how) != 0) {
        fail_msg("the proxy did not exit within %llu ms", (unsigned long long)ms);
    }
    if (how.exit_status != 0 || how.term_signal != 0) {
        pc_it_proxy_dump_stderr(p);
        fail_msg("exit status %lld, signal %d", (long long)how.exit_status, how.term_signal);
    }
}

static void
test_lifecycle_sigterm_idle_proxy(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_proxy_t *p = pc_it_fx_proxy(f, "lifecycle_sigterm_idle_proxy", NULL);
    int port = pc_it_proxy_port(p);

    expect_clean_exit(p, pc_it_sys_sigterm(), 3000);
    assert_int_equal(pc_it_port_bindable("127.0.0.1", port), 0);
}

/* Idle connections are not transactions: no waiting for ShutdownTimeout. */
static void
test_lifecycle_sigint_idle_clients(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);
    pc_it_proxy_t *p = pc_it_fx_proxy(f, "lifecycle_sigint_idle_clients", "ShutdownTimeout 10");
    int port = pc_it_proxy_port(p);
    pc_it_client_t *used = pc_it_fx_client(f);
    pc_it_client_t *silent = pc_it_fx_client(f);

    assert_int_equal(
        pc_it_fx_exchange(f, used,
                          pc_it_fx_strf(f, "GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: h\r\n\r\n",
                                        pc_it_origin_port(o)),
                          false)
            ->status,
        200);
    expect_clean_exit(p, pc_it_sys_sigint(), 3000);
    assert_int_equal(pc_it_port_bindable("127.0.0.1", port), 0);
    assert_int_equal(pc_it_client_wait_close(used, 1000), 0);
    assert_int_equal(pc_it_client_wait_close(silent, 1000), 0);
}

/* Polls until the port can be bound; 0 or the last bind error. */
static int
wait_port_free(int port, uint64_t ms)
{
    uint64_t deadline = pc_it_now_ms() + ms;
    int rc;

    while ((rc = pc_it_port_bindable("127.0.0.1", port)) != 0 && pc_it_now_ms() < deadline) {
        pc_it_sleep_ms(20);
    }
    return rc;
}

static void
test_lifecycle_sigint_in_flight_completes(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_opts_t opts;
    pc_it_origin_t *o;
    pc_it_proxy_t *p;
    pc_it_client_t *c;
    pc_it_response_t *r;
    int port;

    memset(&opts, 0, sizeof(opts));
    opts.responses[0] = ok_response;
    opts.delay_ms = 1500;
    o = pc_it_fx_origin(f, &opts);
    p = pc_it_fx_proxy(f, "lifecycle_sigint_in_flight_completes", "ShutdownTimeout 5");
    port = pc_it_proxy_port(p);
    c = pc_it_fx_client(f);
    assert_int_equal(pc_it_client_send_str(
                         c,
                         pc_it_fx_strf(f, "GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: h\r\n\r\n",
                                       pc_it_origin_port(o)),
                         PC_IT_TIMEOUT_MS),
                     0);
    assert_int_equal(pc_it_origin_wait_requests(o, 1, PC_IT_TIMEOUT_MS), 0);
    assert_int_equal(pc_it_proxy_signal(p, pc_it_sys_sigint()), 0);
    /* The listener closes at once, while the transaction still runs. */
    assert_int_equal(wait_port_free(port, 1000), 0);
    assert_false(pc_it_proxy_exited(p, NULL));
    r = pc_it_fx_exchange(f, c, NULL, false);
    assert_int_equal(r->status, 200);
    pc_it_assert_bytes("body", r->body, r->body_len, "ok", 2);
    expect_clean_exit(p, 0, 3000);
}

static void
test_lifecycle_grace_period_ends(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_opts_t opts;
    pc_it_origin_t *o;
    pc_it_proxy_t *p;
    pc_it_client_t *c;
    uint64_t start;

    memset(&opts, 0, sizeof(opts));
    opts.silent = true;
    o = pc_it_fx_origin(f, &opts);
    p = pc_it_fx_proxy(f, "lifecycle_grace_period_ends", "ShutdownTimeout 1");
    c = pc_it_fx_client(f);
    assert_int_equal(pc_it_client_send_str(
                         c,
                         pc_it_fx_strf(f, "GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: h\r\n\r\n",
                                       pc_it_origin_port(o)),
                         PC_IT_TIMEOUT_MS),
                     0);
    assert_int_equal(pc_it_origin_wait_requests(o, 1, PC_IT_TIMEOUT_MS), 0);
    start = pc_it_now_ms();
    expect_clean_exit(p, pc_it_sys_sigint(), 4000);
    assert_true(pc_it_now_ms() - start >= 800);
    assert_int_equal(pc_it_client_wait_close(c, 1000), 0);
}

/*
 * A client whose request waits on a silent origin, through a proxy started
 * with conf; returns the client.
 */
static pc_it_client_t *
stuck_request(pc_it_fx_t *f, const char *name, const char *conf)
{
    pc_it_origin_opts_t opts;
    pc_it_origin_t *o;
    pc_it_client_t *c;

    memset(&opts, 0, sizeof(opts));
    opts.silent = true;
    o = pc_it_fx_origin(f, &opts);
    pc_it_fx_proxy(f, name, conf);
    c = pc_it_fx_client(f);
    assert_int_equal(pc_it_client_send_str(c,
                                           pc_it_fx_get_req(f, "127.0.0.1", pc_it_origin_port(o)),
                                           PC_IT_TIMEOUT_MS),
                     0);
    assert_int_equal(pc_it_origin_wait_requests(o, 1, PC_IT_TIMEOUT_MS), 0);
    return c;
}

/* A second TERM during a long drain closes everything at once, still a clean exit. */
static void
test_lifecycle_second_signal_forces(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_client_t *c = stuck_request(f, "lifecycle_second_signal", "ShutdownTimeout 60");
    pc_it_proxy_t *p = f->proxy;
    size_t mark = pc_it_fx_stderr_mark(p);
    uint64_t start;

    assert_int_equal(pc_it_proxy_signal(p, pc_it_sys_sigterm()), 0);
    (void)pc_it_fx_wait_stderr_line(f, p, mark, "info stopping", NULL);
    pc_it_sleep_ms(300);
    assert_false(pc_it_proxy_exited(p, NULL)); /* draining: 60 s allowed */
    start = pc_it_now_ms();
    expect_clean_exit(p, pc_it_sys_sigterm(), 3000);
    assert_true(pc_it_now_ms() - start < 3000);
    (void)pc_it_fx_wait_stderr_line(f, p, mark, "stopping now", NULL);
    assert_int_equal(pc_it_client_wait_close(c, 1000), 0);
}

/* QUIT drains with no deadline: past ShutdownTimeout it still waits; TERM then ends it. */
static void
test_lifecycle_quit_waits_past_deadline(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_client_t *c = stuck_request(f, "lifecycle_quit_no_deadline", "ShutdownTimeout 1");
    pc_it_proxy_t *p = f->proxy;
    size_t mark = pc_it_fx_stderr_mark(p);

    assert_int_equal(pc_it_proxy_signal(p, pc_it_sys_sigquit()), 0);
    (void)pc_it_fx_wait_stderr_line(f, p, mark, "stopping once every transaction ends", NULL);
    pc_it_sleep_ms(1800);
    assert_false(pc_it_proxy_exited(p, NULL));
    assert_int_equal(pc_it_client_wait_bytes(c, 1, 10), UV_ETIMEDOUT); /* still open, unanswered */
    expect_clean_exit(p, pc_it_sys_sigterm(), 3000);
    assert_int_equal(pc_it_client_wait_close(c, 1000), 0);
}

/*
 * A proxy with IdleTimeout 1 and a client whose CONNECT tunnel to an echo
 * origin is established (the 200 line read); `first` is sent with the head.
 */
static pc_it_client_t *
open_echo_tunnel(pc_it_fx_t *f, const char *name, const char *first)
{
    pc_it_origin_opts_t opts;
    pc_it_origin_t *o;
    pc_it_client_t *c;

    memset(&opts, 0, sizeof(opts));
    opts.mode = PC_IT_ORIGIN_TUNNEL;
    opts.echo = true;
    o = pc_it_fx_origin(f, &opts);
    pc_it_fx_proxy(f, name, "IdleTimeout 1\nConnectPort 1024-65535");
    c = pc_it_fx_client(f);
    assert_int_equal(
        pc_it_client_send_str(c,
                              pc_it_fx_strf(f, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n%s",
                                            pc_it_origin_port(o), first),
                              PC_IT_TIMEOUT_MS),
        0);
    assert_int_equal(pc_it_client_wait_bytes(c, 39 + strlen(first), PC_IT_TIMEOUT_MS), 0);
    return c;
}

/*
 * A CONNECT tunnel with no traffic either way is closed after IdleTimeout.
 * (The brief does not define IdleTimeout further; an idle keep-alive
 * connection waiting for its next head is governed by HeaderTimeout in
 * this proxy, which this test does not assume either way.)
 */
static void
test_lifecycle_idle_tunnel_closed(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_client_t *c = open_echo_tunnel(f, "lifecycle_idle_tunnel_closed", "x");
    uint64_t start = pc_it_now_ms();
    uint64_t took;

    assert_int_equal(pc_it_client_wait_close(c, 4000), 0);
    took = pc_it_now_ms() - start;
    print_message("idle tunnel closed after %llu ms\n", (unsigned long long)took);
    assert_true(took >= 800);
}

/* One parsed access log line. */
typedef struct {
    char time[64];
    char client[64];
    char method[16];
    char target[256];
    int status;
    unsigned long long in;
    unsigned long long out;
    unsigned long long ms;
    char decision[320];
    unsigned long long id;
    char upstream[64];
    char user[64];
} log_line_t;

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
    long long era;
    unsigned yoe;
    unsigned doy;
    unsigned doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

/* Checks "YYYY-MM-DDTHH:MM:SS.mmmZ" and that it is within 10 minutes of now. */
static void
expect_recent_utc(const char *t)
{
    unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
    char z = 0;
    long long when;
    long long now = (long long)time(NULL);

    if (strlen(t) != 24
        || sscanf(t, "%4u-%2u-%2uT%2u:%2u:%2u.%3u%c", &y, &mo, &d, &h, &mi, &s, &ms, &z) != 8
        || z != 'Z' || t[4] != '-' || t[10] != 'T' || t[19] != '.') {
        fail_msg("bad time stamp \"%s\"", t);
    }
    when = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    if (when < now - 600 || when > now + 600) {
        fail_msg("time stamp \"%s\" is not close to now (UTC)", t);
    }
}

static void
parse_line(const char *line, log_line_t *l)
{
    char tail;

    memset(l, 0, sizeof(*l));
    if (sscanf(line, "%63s %63s %15s %255s %d %llu %llu %llu %319s %llu %63s %63s%c", l->time,
               l->client, l->method, l->target, &l->status, &l->in, &l->out, &l->ms, l->decision,
               &l->id, l->upstream, l->user, &tail)
        != 12) {
        fail_msg("malformed access log line \"%s\"", line);
    }
    expect_recent_utc(l->time);
}

static void
test_lifecycle_access_log_get_line(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);
    pc_it_proxy_t *p = pc_it_fx_proxy(f, "lifecycle_access_log_get_line", NULL);
    pc_it_client_t *c = pc_it_fx_client(f);
    const char *target = pc_it_fx_strf(f, "http://127.0.0.1:%d/x?y=1", pc_it_origin_port(o));
    const char *req =
        pc_it_fx_strf(f, "GET %s HTTP/1.1\r\nHost: h\r\nUser-Agent: t\r\n\r\n", target);
    pc_it_response_t *r = pc_it_fx_exchange(f, c, req, false);
    log_line_t l;

    assert_int_equal(r->status, 200);
    parse_line(pc_it_fx_wait_log_lines(f, p, 1)[0], &l);
    assert_string_equal(l.client, pc_it_fx_strf(f, "127.0.0.1:%d", pc_it_client_local_port(c)));
    assert_string_equal(l.method, "GET");
    /* The query is left out unless AccessLogQuery says otherwise. */
    assert_string_equal(l.target, pc_it_fx_strf(f, "http://127.0.0.1:%d/x", pc_it_origin_port(o)));
    assert_int_equal(l.status, 200);
    assert_int_equal(l.in, strlen(req));
    assert_int_equal(l.out, r->raw_len);
    assert_true(l.ms < 5000);
    assert_string_equal(l.decision, "-");
    assert_true(l.id > 0);
    assert_string_equal(l.upstream, pc_it_fx_strf(f, "127.0.0.1:%d", pc_it_origin_port(o)));
    assert_string_equal(l.user, "-");
}

static void
test_lifecycle_access_log_line_per_transaction(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);
    pc_it_proxy_t *p = pc_it_fx_proxy(f, "lifecycle_access_log_line_per_transaction",
                                      pc_it_fx_strf(f, "ConnectPort %d", pc_it_origin_port(o)));
    pc_it_client_t *c = pc_it_fx_client(f);
    const char *req = pc_it_fx_strf(f, "GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: h\r\n\r\n",
                                    pc_it_origin_port(o));
    unsigned long long last_id = 0;
    char **lines;
    log_line_t l;
    size_t i;
    unsigned connects = 0;

    pc_it_fx_exchange(f, c, req, false);
    pc_it_fx_exchange(f, c, req, false);
    pc_it_fx_exchange(f, c, req, false);
    c = pc_it_fx_client(f);
    assert_int_equal(pc_it_client_send_str(c, "CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: h\r\n\r\n",
                                           PC_IT_TIMEOUT_MS),
                     0);
    pc_it_fx_expect_error(f, c, 403);
    lines = pc_it_fx_wait_log_lines(f, p, 4);
    /* The two connections may be on different workers: the CONNECT's line
     * may come before the last GET's; one connection's lines are in order. */
    for (i = 0; i < 4; i++) {
        parse_line(lines[i], &l);
        if (strcmp(l.method, "CONNECT") == 0) {
            assert_string_equal(l.target, "127.0.0.1:1");
            assert_int_equal(l.status, 403);
            assert_string_equal(l.decision, "port");
            connects++;
            continue;
        }
        assert_string_equal(l.method, "GET");
        assert_int_equal(l.status, 200);
        assert_int_equal(l.in, strlen(req));
        /* Each request on the keep-alive connection has an id of its own. */
        assert_true(l.id > last_id);
        last_id = l.id;
    }
    assert_int_equal(connects, 1);
}

static void
test_lifecycle_access_log_connect_line(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_opts_t opts;
    pc_it_origin_t *o;
    pc_it_proxy_t *p;
    pc_it_client_t *c;
    log_line_t l;
    char data[100];

    memset(&opts, 0, sizeof(opts));
    opts.mode = PC_IT_ORIGIN_TUNNEL;
    opts.echo = true;
    o = pc_it_fx_origin(f, &opts);
    p = pc_it_fx_proxy(f, "lifecycle_access_log_connect_line", "ConnectPort 1024-65535");
    c = pc_it_fx_client(f);
    memset(data, 'd', sizeof(data));
    assert_int_equal(pc_it_client_send_str(c,
                                           pc_it_fx_strf(f, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n",
                                                         pc_it_origin_port(o)),
                                           PC_IT_TIMEOUT_MS),
                     0);
    assert_int_equal(pc_it_client_send(c, data, sizeof(data), PC_IT_TIMEOUT_MS), 0);
    assert_int_equal(pc_it_client_wait_bytes(c, 39 + sizeof(data), PC_IT_TIMEOUT_MS), 0);
    assert_int_equal(pc_it_client_shutdown(c, PC_IT_TIMEOUT_MS), 0);
    assert_int_equal(pc_it_client_wait_close(c, PC_IT_TIMEOUT_MS), 0);
    parse_line(pc_it_fx_wait_log_lines(f, p, 1)[0], &l);
    assert_string_equal(l.method, "CONNECT");
    assert_string_equal(l.target, pc_it_fx_strf(f, "127.0.0.1:%d", pc_it_origin_port(o)));
    assert_string_equal(l.upstream, pc_it_fx_strf(f, "127.0.0.1:%d", pc_it_origin_port(o)));
    assert_int_equal(l.status, 200);
    /* Whether the heads are counted is not specified; the payload must be. */
    assert_true(l.in >= sizeof(data));
    assert_true(l.out >= sizeof(data));
}

/*
 * Waits until the proxy's stderr contains needle (bounded); returns where it
 * is in the text, which is freed at teardown. Fails the test on time-out.
 */
static const char *
wait_stderr(pc_it_fx_t *f, pc_it_proxy_t *p, const char *needle)
{
    char *path = pc_it_fx_defer(f, free, pc_it_proxy_path(p, "stderr.log"));
    uint64_t deadline = pc_it_now_ms() + PC_IT_TIMEOUT_MS;
    const char *at = NULL;
    char *text = NULL;
    size_t len;

    for (;;) {
        if (pc_it_file_read(path, &text, &len) == 0) {
            at = strstr(text, needle);
            if (at != NULL) {
                pc_it_fx_defer(f, free, text);
                return at;
            }
            free(text);
        }
        if (pc_it_now_ms() >= deadline) {
            fail_msg("the proxy never logged \"%s\"", needle);
        }
        pc_it_sleep_ms(20);
    }
}

/* The port of the "listening on <prefix>PORT" line (the harness only waited
 * for the first listener's line). */
static int
listening_port_of(pc_it_fx_t *f, pc_it_proxy_t *p, const char *prefix)
{
    const char *marker = pc_it_fx_strf(f, "listening on %s", prefix);
    int port = atoi(wait_stderr(f, p, marker) + strlen(marker));

    assert_true(port > 0 && port < 65536);
    return port;
}

/* One GET through the proxy listening on ip:port; returns the status. */
static int
get_via(pc_it_fx_t *f, const char *ip, int port, int origin_port)
{
    pc_it_client_t *c;
    pc_it_response_t *r;

    assert_int_equal(pc_it_client_connect(&c, ip, port, PC_IT_TIMEOUT_MS), 0);
    pc_it_fx_defer(f, (void (*)(void *))pc_it_client_close, c);
    r = pc_it_fx_exchange(
        f, c, pc_it_fx_strf(f, "GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: h\r\n\r\n", origin_port),
        false);
    return r->status;
}

/* Two Listen lines, IPv4 and IPv6: both sockets serve. */
static void
test_lifecycle_listens_on_ipv4_and_ipv6(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);
    pc_it_proxy_t *p = pc_it_fx_proxy(f, "lifecycle_ipv4_and_ipv6", "Listen [::1]:0");
    int v6port = listening_port_of(f, p, "[::1]:");

    assert_int_equal(get_via(f, "127.0.0.1", pc_it_proxy_port(p), pc_it_origin_port(o)), 200);
    assert_int_equal(get_via(f, "::1", v6port, pc_it_origin_port(o)), 200);
}

/*
 * No configuration file at all: 127.0.0.1:3128, loopback clients, CONNECT to
 * 443 only. Needs the sandbox (port 3128 free) and no installed default
 * file (PC_DEFAULT_CONF, compiled into the binary), which would be read
 * instead.
 */
static void
test_lifecycle_builtin_defaults(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o;
    pc_it_client_t *c;
    char *installed = NULL;
    size_t len;

    PC_IT_REQUIRE_SANDBOX();
    if (pc_it_file_read(PC_DEFAULT_CONF, &installed, &len) == 0) {
        free(installed);
        skip(); /* an installed file would be used instead of the defaults */
    }
    o = pc_it_fx_http_origin(f, ok_response);
    assert_int_equal(
        pc_it_proxy_port(pc_it_fx_proxy(f, "lifecycle_builtin_defaults", pc_it_no_config)), 3128);
    assert_int_equal(get_via(f, "127.0.0.1", 3128, pc_it_origin_port(o)), 200);
    c = pc_it_fx_client(f);
    assert_int_equal(pc_it_fx_exchange(f, c,
                                       pc_it_fx_strf(f, "CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n",
                                                     pc_it_origin_port(o)),
                                       false)
                         ->status,
                     403);
    assert_int_equal(pc_it_origin_accepts(o), 1u); /* only the GET reached it */
}

/* -V prints the version, -h the usage, both exit 0; a bad option exits 2. */
static void
test_lifecycle_version_help_and_bad_option(void **state)
{
    pc_it_fx_t *f = *state;
    const char *version[] = {"", "-V", NULL};
    const char *help[] = {"", "-h", NULL};
    const char *bad[] = {"", "--frobnicate", NULL};
    const char *missing[] = {"", "-c", NULL};
    char *out;
    char *err;
    pc_it_exit_t how;

    how = pc_it_fx_run(f, "lifecycle_version", version, &out, &err);
    assert_int_equal(how.exit_status, 0);
    assert_true(strncmp(out, "portcullis ", 11) == 0);
    how = pc_it_fx_run(f, "lifecycle_help", help, &out, &err);
    assert_int_equal(how.exit_status, 0);
    assert_non_null(strstr(out, "usage: portcullis [-c FILE] [-t] [--daemon] [-V] [-h]"));
    how = pc_it_fx_run(f, "lifecycle_bad_option", bad, &out, &err);
    assert_int_equal(how.exit_status, 2);
    assert_non_null(strstr(err, "'--frobnicate'"));
    how = pc_it_fx_run(f, "lifecycle_missing_argument", missing, &out, &err);
    assert_int_equal(how.exit_status, 2);
}

/* The Via field the origin saw in its request number i. */
static bool
origin_saw_via(pc_it_fx_t *f, pc_it_origin_t *o, size_t i, const char *via)
{
    size_t len;
    const char *req = pc_it_fx_request(o, i, &len);

    return pc_it_contains(req, len, pc_it_fx_strf(f, "\r\nVia: %s\r\n", via));
}

static void
rewrite_conf(pc_it_fx_t *f, pc_it_proxy_t *p, const char *text)
{
    char *path = pc_it_fx_defer(f, free, pc_it_proxy_path(p, "portcullis.conf"));

    assert_int_equal(pc_it_file_write(path, text, strlen(text)), 0);
}

/*
 * SIGHUP: a valid file is taken for new connections; an invalid one is
 * refused with its file:line message and the running configuration stays.
 */
static void
test_lifecycle_sighup_reload(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);
    pc_it_proxy_t *p = pc_it_fx_proxy(f, "lifecycle_sighup_reload", "ViaName first");
    int port = pc_it_proxy_port(p);

    if (pc_it_sys_sighup() == 0) {
        skip();
    }
    assert_int_equal(get_via(f, "127.0.0.1", port, pc_it_origin_port(o)), 200);
    assert_true(origin_saw_via(f, o, 0, "1.1 first"));

    rewrite_conf(f, p, "Listen 127.0.0.1:0\nViaName second\n");
    assert_int_equal(pc_it_proxy_signal(p, pc_it_sys_sighup()), 0);
    (void)wait_stderr(f, p, "configuration reloaded"); /* logged once it took effect */
    assert_int_equal(get_via(f, "127.0.0.1", port, pc_it_origin_port(o)), 200);
    assert_true(origin_saw_via(f, o, 1, "1.1 second"));

    rewrite_conf(f, p, "Listen 127.0.0.1:0\nViaName third\nHeaderTimeout 0\n");
    assert_int_equal(pc_it_proxy_signal(p, pc_it_sys_sighup()), 0);
    assert_non_null(strstr(wait_stderr(f, p, "reload failed"), "portcullis.conf:3: HeaderTimeout"));
    assert_int_equal(get_via(f, "127.0.0.1", port, pc_it_origin_port(o)), 200);
    assert_true(origin_saw_via(f, o, 2, "1.1 second"));
}

/* `portcullis -c FILE -s ACTION` in test name's directory; returns the exit status. */
static int64_t
send_action(pc_it_fx_t *f, const char *name, const char *conf, const char *action, char **err)
{
    const char *args[] = {"portcullis", "-c", conf, "-s", action, NULL};

    return pc_it_fx_run(f, name, args, NULL, err).exit_status;
}

/*
 * -s reload, reopen and stop reach the proxy named by the PidFile (a signal
 * on POSIX, a named event on Windows, where this is the only way to reload
 * a console proxy); -s with no PidFile, a stale one, or an unknown action
 * fails with a reason.
 */
static void
test_lifecycle_send_actions(void **state)
{
    static const char name[] = "lifecycle_send_actions";
    pc_it_fx_t *f = *state;
    char *dir = pc_it_fx_defer(f, free, pc_it_test_dir(name));
    const char *pid_file = pc_it_fx_strf(f, "%s/portcullis.pid", dir);
    pc_it_proxy_t *p = pc_it_fx_proxy(f, name, pc_it_fx_strf(f, "PidFile %s", pid_file));
    const char *conf = pc_it_fx_defer(f, free, pc_it_proxy_path(p, "portcullis.conf"));
    const char *bare = pc_it_fx_write_file(f, name, "bare.conf", "Listen 127.0.0.1:0\n");
    size_t mark = pc_it_fx_stderr_mark(p);
    pc_it_exit_t how;
    char *err, *text;
    size_t len;

    assert_int_equal(send_action(f, name, conf, "reload", NULL), 0);
    (void)pc_it_fx_wait_stderr_line(f, p, mark, "configuration reloaded", NULL);
    assert_int_equal(send_action(f, name, conf, "reopen", NULL), 0);
    (void)pc_it_fx_wait_stderr_line(f, p, mark, "access log reopened", NULL);

    assert_int_equal(send_action(f, name, conf, "restart", &err), 2);
    assert_non_null(strstr(err, "use stop, quit, reload or reopen"));
    assert_int_equal(send_action(f, name, bare, "stop", &err), 1);
    assert_non_null(strstr(err, "sets none"));

    pc_it_proxy_expect_exit(p);
    assert_int_equal(send_action(f, name, conf, "stop", NULL), 0);
    assert_int_equal(pc_it_proxy_wait_exit(p, PC_IT_TIMEOUT_MS, &how), 0);
    assert_int_equal(how.exit_status, 0);
    assert_int_not_equal(pc_it_file_read(pid_file, &text, &len), 0); /* removed at exit */
    assert_int_equal(send_action(f, name, conf, "stop", &err), 1);
    assert_non_null(strstr(err, "is the proxy running?"));
}

/*
 * Moves access.log to access.log.1, sends SIGUSR1, waits for the new file,
 * makes one request to the origin on oport, and checks that the new file
 * has that one line and the old one exactly one line too.
 */
static void
rotate_then_one_request(pc_it_fx_t *f, pc_it_proxy_t *p, int oport)
{
    char *log = pc_it_fx_defer(f, free, pc_it_proxy_path(p, "access.log"));
    char *rotated = pc_it_fx_defer(f, free, pc_it_proxy_path(p, "access.log.1"));
    uint64_t deadline = pc_it_now_ms() + PC_IT_TIMEOUT_MS;
    char *text = NULL;
    size_t len = 0;

    pc_it_file_remove(rotated);
    assert_int_equal(rename(log, rotated), 0);
    assert_int_equal(pc_it_proxy_signal(p, pc_it_sys_sigusr1()), 0);
    while (pc_it_file_read(log, &text, &len) != 0 && pc_it_now_ms() < deadline) {
        pc_it_sleep_ms(5); /* the reopen creates the new file */
    }
    free(text);
    assert_int_equal(get_via(f, "127.0.0.1", pc_it_proxy_port(p), oport), 200);
    (void)pc_it_fx_wait_log_lines(f, p, 1); /* exactly one line in the new file */
    assert_int_equal(pc_it_file_read(rotated, &text, &len), 0);
    pc_it_fx_defer(f, free, text);
    assert_true(len > 0 && text[len - 1] == '\n');
    assert_null(memchr(text, '\n', len - 1)); /* and one in the old one */
}

/* SIGUSR1 after the access log was moved away: new lines go to a new file. */
static void
test_lifecycle_sigusr1_reopens_access_log(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);
    pc_it_proxy_t *p = pc_it_fx_proxy(f, "lifecycle_sigusr1_reopen", NULL);

    if (pc_it_sys_sigusr1() == 0) {
        skip();
    }
    (void)pc_it_fx_wait_log_lines(f, p, 0); /* nothing logged yet */
    assert_int_equal(get_via(f, "127.0.0.1", pc_it_proxy_port(p), pc_it_origin_port(o)), 200);
    (void)pc_it_fx_wait_log_lines(f, p, 1);
    rotate_then_one_request(f, p, pc_it_origin_port(o));
}

/*
 * A reopen right after a request, before its line was written: the line
 * still goes to the old file (the writer batches lines for up to 20 ms, so
 * it is usually queued when the signal comes), the next one to the new.
 */
static void
test_lifecycle_reopen_keeps_lines_in_their_file(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = pc_it_fx_http_origin(f, ok_response);
    pc_it_proxy_t *p = pc_it_fx_proxy(f, "lifecycle_reopen_order", NULL);

    if (pc_it_sys_sigusr1() == 0 || getenv("PC_TEST_WRAPPER") != NULL) {
        /* Under valgrind the proxy may not have queued the line yet when the
         * signal comes; it then rightly goes to the new file. */
        skip();
    }
    assert_int_equal(get_via(f, "127.0.0.1", pc_it_proxy_port(p), pc_it_origin_port(o)), 200);
    pc_it_sleep_ms(5); /* the line is queued (the write callback ran), not yet written */
    rotate_then_one_request(f, p, pc_it_origin_port(o));
}

/* Traffic keeps a tunnel alive past IdleTimeout; only silence ends it. */
static void
test_lifecycle_active_tunnel_outlives_idle_timeout(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_client_t *c = open_echo_tunnel(f, "lifecycle_active_tunnel", "");
    size_t got = 39; /* the 200 line */
    uint64_t start = pc_it_now_ms();
    int i;

    for (i = 0; i < 6; i++) { /* 2.4 s of traffic, a byte every 400 ms */
        pc_it_sleep_ms(400);
        assert_int_equal(pc_it_client_send(c, "x", 1, PC_IT_TIMEOUT_MS), 0);
        assert_int_equal(pc_it_client_wait_bytes(c, ++got, PC_IT_TIMEOUT_MS), 0);
    }
    assert_true(pc_it_now_ms() - start >= 2000);
    assert_int_equal(pc_it_client_wait_close(c, 4000), 0); /* then silence ends it */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        PC_IT_TEST(test_lifecycle_check_good_config),
        PC_IT_TEST(test_lifecycle_check_unknown_directive),
        PC_IT_TEST(test_lifecycle_check_bad_value),
        PC_IT_TEST(test_lifecycle_start_with_bad_config_fails),
        PC_IT_TEST(test_lifecycle_version_help_and_bad_option),
        PC_IT_TEST(test_lifecycle_listens_on_ipv4_and_ipv6),
        PC_IT_TEST(test_lifecycle_builtin_defaults),
        PC_IT_TEST(test_lifecycle_sighup_reload),
        PC_IT_TEST(test_lifecycle_sigusr1_reopens_access_log),
        PC_IT_TEST(test_lifecycle_reopen_keeps_lines_in_their_file),
        PC_IT_TEST(test_lifecycle_send_actions),
        PC_IT_TEST(test_lifecycle_sigterm_idle_proxy),
        PC_IT_TEST(test_lifecycle_sigint_idle_clients),
        PC_IT_TEST(test_lifecycle_sigint_in_flight_completes),
        PC_IT_TEST(test_lifecycle_grace_period_ends),
        PC_IT_TEST(test_lifecycle_second_signal_forces),
        PC_IT_TEST(test_lifecycle_quit_waits_past_deadline),
        PC_IT_TEST(test_lifecycle_idle_tunnel_closed),
        PC_IT_TEST(test_lifecycle_active_tunnel_outlives_idle_timeout),
        PC_IT_TEST(test_lifecycle_access_log_get_line),
        PC_IT_TEST(test_lifecycle_access_log_line_per_transaction),
        PC_IT_TEST(test_lifecycle_access_log_connect_line),
    };

    pc_it_sys_init();
    return cmocka_run_group_tests_name("lifecycle", tests, NULL, NULL);
}
