/*
 * test_connect.c: CONNECT tunnels through the real proxy.
 *
 * The origin runs in TUNNEL mode (echo, stream N pattern bytes, report on
 * EOF). What is checked: the exact "200 Connection Established" head, bytes
 * that follow the CONNECT head in the same write, half-close in both
 * directions, 10 MiB each way at once with checksums, and that a client
 * that stops reading does not make the proxy buffer the origin's stream
 * (its RSS stays bounded, the data arrives intact afterwards), and what an
 * idle tunnel costs: 2,000 tunnels held open after carrying bytes, with the
 * proxy's RSS per tunnel bounded and every tunnel still working.
 */
#include "it_fixture.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1024u * 1024u)

/* Compile-time: is this build (and so the proxy, built alike) under ASan? */
#if defined(__SANITIZE_ADDRESS__)
#define CONNECT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CONNECT_ASAN 1
#endif
#endif
#ifndef CONNECT_ASAN
#define CONNECT_ASAN 0
#endif

static const char allow_ports[] = "ConnectPort 1024-65535";

static pc_it_origin_t *
tunnel_origin(pc_it_fx_t *f, bool echo, uint64_t stream_bytes, bool report_on_eof)
{
    pc_it_origin_opts_t opts;

    memset(&opts, 0, sizeof(opts));
    opts.mode = PC_IT_ORIGIN_TUNNEL;
    opts.echo = echo;
    opts.stream_bytes = stream_bytes;
    opts.stream_seed = 77;
    opts.report_on_eof = report_on_eof;
    return pc_it_fx_origin(f, &opts);
}

/* Waits for exactly `want` to arrive in the tunnel. */
static void
expect_tunnel_bytes(pc_it_client_t *c, const char *want, size_t n)
{
    size_t len;
    const char *data;

    assert_int_equal(pc_it_client_wait_bytes(c, n, PC_IT_TIMEOUT_MS), 0);
    data = pc_it_client_data(c, &len);
    pc_it_assert_bytes("tunnel bytes", data, len, want, n);
    pc_it_client_consume(c, n);
}

/* Sends a CONNECT for host:port on c. */
static void
send_connect(pc_it_fx_t *f, pc_it_client_t *c, const char *host, int port)
{
    assert_int_equal(
        pc_it_client_send_str(c, pc_it_fx_connect_req(f, host, port), PC_IT_TIMEOUT_MS), 0);
}

/* Starts the proxy, opens a client and sends it a CONNECT for host:port. */
static pc_it_client_t *
open_connect(pc_it_fx_t *f, const char *name, const char *conf, const char *host, int port)
{
    pc_it_client_t *c;

    pc_it_fx_proxy(f, name, conf);
    c = pc_it_fx_client(f);
    send_connect(f, c, host, port);
    return c;
}

/* open_connect() that also expects the "200 Connection Established" head. */
static pc_it_client_t *
open_tunnel(pc_it_fx_t *f, const char *name, const char *conf, const char *host, int port)
{
    pc_it_client_t *c = open_connect(f, name, conf, host, port);

    pc_it_fx_expect_established(c);
    return c;
}

/* Sends s into an echoing tunnel and expects it back. */
static void
expect_echo(pc_it_client_t *c, const char *s)
{
    assert_int_equal(pc_it_client_send_str(c, s, PC_IT_TIMEOUT_MS), 0);
    expect_tunnel_bytes(c, s, strlen(s));
}

/* A CONNECT to an origin on a port that conf does not allow: 403, origin untouched. */
static void
expect_port_refused(pc_it_fx_t *f, const char *name, const char *conf)
{
    pc_it_origin_t *o = tunnel_origin(f, true, 0, false);
    pc_it_client_t *c = open_connect(f, name, conf, "127.0.0.1", pc_it_origin_port(o));

    pc_it_fx_expect_error(f, c, 403);
    assert_int_equal(pc_it_origin_accepts(o), 0);
}

static void
test_connect_established_and_echo(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = tunnel_origin(f, true, 0, false);
    pc_it_client_t *c;

    c = open_tunnel(f, "connect_established_and_echo", allow_ports, "127.0.0.1",
                    pc_it_origin_port(o));
    expect_echo(c, "ping\n");
    expect_echo(c, "GET / HTTP/1.1\r\n\r\n");
    assert_int_equal(pc_it_origin_accepts(o), 1);
}

static void
test_connect_data_in_same_write_as_head(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = tunnel_origin(f, true, 0, false);
    pc_it_client_t *c;

    pc_it_fx_proxy(f, "connect_data_in_same_write_as_head", allow_ports);
    c = pc_it_fx_client(f);
    assert_int_equal(
        pc_it_client_send_str(
            c,
            pc_it_fx_strf(f, "%s%s", pc_it_fx_connect_req(f, "127.0.0.1", pc_it_origin_port(o)),
                          "\x16\x03\x01 early bytes"),
            PC_IT_TIMEOUT_MS),
        0);
    pc_it_fx_expect_established(c);
    expect_tunnel_bytes(c, "\x16\x03\x01 early bytes", 15);
}

static void
test_connect_half_close(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_t *o = tunnel_origin(f, false, 0, true);
    pc_it_client_t *c;
    uint8_t data[1000];
    const char *report;

    c = open_tunnel(f, "connect_half_close", allow_ports, "127.0.0.1", pc_it_origin_port(o));
    pc_it_pattern_fill(data, sizeof(data), 0, 3);
    assert_int_equal(pc_it_client_send(c, data, sizeof(data), PC_IT_TIMEOUT_MS), 0);
    /* The origin sees EOF only through the proxy's half-close, then answers. */
    assert_int_equal(pc_it_client_shutdown(c, PC_IT_TIMEOUT_MS), 0);
    report = pc_it_fx_strf(f, "EOF 1000 %016" PRIx64 "\n",
                           pc_it_hash(PC_IT_HASH_INIT, data, sizeof(data)));
    expect_tunnel_bytes(c, report, strlen(report));
    pc_it_fx_expect_closed(c);
    assert_true(pc_it_origin_tunnel(o).peer_eof);
}

static void
test_connect_10mib_each_way(void **state)
{
    pc_it_fx_t *f = *state;
    uint64_t n = 10u * MIB;
    pc_it_origin_t *o = tunnel_origin(f, false, n, false);
    uint8_t *up = pc_it_fx_defer(f, free, pc_it_xmalloc(n));
    pc_it_client_t *c;

    pc_it_pattern_fill(up, n, 0, 11);
    c = open_tunnel(f, "connect_10mib_each_way", allow_ports, "127.0.0.1", pc_it_origin_port(o));
    pc_it_client_sink(c);
    /* The send runs the loop, so the download drains while the upload goes. */
    assert_int_equal(pc_it_client_send(c, up, n, 30000), 0);
    pc_it_fx_expect_tunnel_intact(c, o, up, n);
}

/* Samples the proxy's RSS every 250 ms for ms milliseconds; returns the peak. */
static uint64_t
peak_rss_kib(pc_it_proxy_t *p, unsigned ms)
{
    uint64_t peak = 0;
    uint64_t kib;
    unsigned t;

    for (t = 0; t < ms; t += 250) {
        pc_it_sleep_ms(250);
        if (pc_it_sys_rss_kib(pc_it_proxy_pid(p), &kib) == 0 && kib > peak) {
            peak = kib;
        }
    }
    return peak;
}

static void
test_connect_slow_reader_memory_bounded(void **state)
{
    pc_it_fx_t *f = *state;
    uint64_t n = 64u * MIB;
    pc_it_origin_t *o = tunnel_origin(f, false, n, false);
    pc_it_proxy_t *p = pc_it_fx_proxy(f, "connect_slow_reader_memory_bounded", allow_ports);
    pc_it_client_t *c;
    uint64_t idle;
    uint64_t peak;
    uint64_t hash;
    uint64_t sent_in_stall;

    if (pc_it_sys_rss_kib(pc_it_proxy_pid(p), &idle) != 0) {
        print_message("skipped: cannot read the proxy's RSS on this OS\n");
        skip();
    }
    c = pc_it_fx_client(f);
    send_connect(f, c, "127.0.0.1", pc_it_origin_port(o));
    pc_it_fx_expect_established(c);
    pc_it_client_sink(c);
    /* The client does not read for 3 s: its loop does not run. */
    peak = peak_rss_kib(p, 3000);
    sent_in_stall = pc_it_origin_tunnel(o).sent;
    print_message("proxy RSS idle %" PRIu64 " KiB, peak while stalled %" PRIu64
                  " KiB; origin sent %" PRIu64 " of %" PRIu64 " bytes meanwhile\n",
                  idle, peak, sent_in_stall, n);
    assert_true(peak <= idle + 16u * 1024u);
    assert_true(sent_in_stall < n);
    assert_int_equal(pc_it_client_wait_sunk(c, n, 60000), 0);
    assert_int_equal(pc_it_client_sunk(c, &hash), n);
    assert_true(hash == pc_it_origin_tunnel(o).sent_hash);
}

/* ---- many idle tunnels ------------------------------------------------------ */

#define HOLD_TUNNELS    2000 /* held at once */
#define HOLD_TUNNELS_VG 40   /* under valgrind: only that they work */
#define HOLD_BATCH      100  /* tunnels opened or pinged at once */
#define HOLD_MSG_LEN    12
#define HOLD_MAX_BYTES  4096 /* bound on the proxy's RSS per idle tunnel (issue 8) */

static const char established_head[] = "HTTP/1.1 200 Connection Established\r\n\r\n";

typedef struct hold_s hold_t;

/* One client end of a tunnel, on the test's own loop. */
typedef struct {
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_write_t wreq;
    hold_t *h;
    char out[HOLD_MSG_LEN + 1];
    char in[128];
    size_t in_len;
    size_t want; /* bytes the current step waits for (0: not waiting) */
    bool head;   /* the step waits for the CONNECT reply */
    bool open;
    bool failed;
} held_t;

struct hold_s {
    uv_loop_t loop;
    uv_timer_t tick; /* wakes the loop so that a step's deadline is seen */
    held_t *t;
    size_t n;
    size_t waiting; /* tunnels the current step still waits for */
    size_t failed;
    int proxy_port;
    const char *connect_req;
};

static void
held_done(held_t *t, bool ok)
{
    if (t->want > 0 || t->head) {
        t->want = 0;
        t->head = false;
        t->h->waiting--;
    }
    if (!ok && !t->failed) {
        t->failed = true;
        t->h->failed++;
    }
}

static void
held_alloc(uv_handle_t *hd, size_t suggested, uv_buf_t *buf)
{
    held_t *t = hd->data;

    (void)suggested;
    *buf = uv_buf_init(t->in + t->in_len, (unsigned)(sizeof(t->in) - t->in_len));
}

/* The step is over when the reply head, or the echo of out, is all here. */
static void
held_check(held_t *t)
{
    size_t hl = sizeof(established_head) - 1;

    if (t->head && t->in_len >= hl) {
        held_done(t, memcmp(t->in, established_head, hl) == 0 && t->in_len == hl);
        t->in_len = 0;
    } else if (t->want > 0 && t->in_len >= t->want) {
        held_done(t, memcmp(t->in, t->out, t->want) == 0 && t->in_len == t->want);
        t->in_len = 0;
    } else if (!t->head && t->want == 0) {
        held_done(t, false); /* bytes nobody asked for */
    }
}

static void
held_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    held_t *t = s->data;

    (void)buf;
    if (nread < 0) { /* EOF, an error, or more bytes than any step expects */
        uv_read_stop(s);
        held_done(t, false);
    } else if (nread > 0) {
        t->in_len += (size_t)nread;
        held_check(t);
    }
}

static void
held_written(uv_write_t *req, int status)
{
    if (status != 0) {
        held_done(req->data, false);
    }
}

static void
held_send(held_t *t, const char *p, size_t n)
{
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);

    t->wreq.data = t;
    if (uv_write(&t->wreq, (uv_stream_t *)&t->tcp, &b, 1, held_written) != 0) {
        held_done(t, false);
    }
}

static void
held_connected(uv_connect_t *req, int status)
{
    held_t *t = req->data;

    if (status != 0 || uv_read_start((uv_stream_t *)&t->tcp, held_alloc, held_read) != 0) {
        held_done(t, false);
        return;
    }
    held_send(t, t->h->connect_req, strlen(t->h->connect_req));
}

static void
held_open(held_t *t)
{
    struct sockaddr_in sa;

    uv_tcp_init(&t->h->loop, &t->tcp);
    t->tcp.data = t;
    t->open = true;
    t->head = true;
    t->h->waiting++;
    t->creq.data = t;
    uv_ip4_addr("127.0.0.1", t->h->proxy_port, &sa);
    if (uv_tcp_connect(&t->creq, &t->tcp, (const struct sockaddr *)&sa, held_connected) != 0) {
        held_done(t, false);
    }
}

static void
held_ping(held_t *t, unsigned round)
{
    snprintf(t->out, sizeof(t->out), "%05u-%05u\n", (unsigned)(t - t->h->t), round);
    t->want = HOLD_MSG_LEN;
    t->h->waiting++;
    held_send(t, t->out, HOLD_MSG_LEN);
}

static void
hold_tick(uv_timer_t *timer)
{
    (void)timer;
}

/* Runs the loop until no tunnel is waiting, or timeout_ms. 0 or UV_ETIMEDOUT. */
static int
hold_run(hold_t *h, uint64_t timeout_ms)
{
    uint64_t end = pc_it_now_ms() + timeout_ms;

    while (h->waiting > 0 && pc_it_now_ms() < end) {
        uv_run(&h->loop, UV_RUN_ONCE);
    }
    return h->waiting == 0 ? 0 : UV_ETIMEDOUT;
}

static void
hold_on_closed(uv_handle_t *hd)
{
    (void)hd;
}

/* Deferred to the fixture's teardown: closes every tunnel and frees. */
static void
hold_free(void *p)
{
    hold_t *h = p;
    size_t i;

    for (i = 0; i < h->n; i++) {
        if (h->t[i].open) {
            uv_close((uv_handle_t *)&h->t[i].tcp, hold_on_closed);
        }
    }
    uv_close((uv_handle_t *)&h->tick, hold_on_closed);
    uv_run(&h->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&h->loop), 0);
    free(h->t);
    free(h);
}

static hold_t *
hold_new(pc_it_fx_t *f, size_t n, int proxy_port, const char *connect_req)
{
    hold_t *h = pc_it_xmalloc(sizeof(*h));

    memset(h, 0, sizeof(*h));
    h->t = pc_it_xmalloc(n * sizeof(*h->t));
    memset(h->t, 0, n * sizeof(*h->t));
    h->n = n;
    h->proxy_port = proxy_port;
    h->connect_req = connect_req;
    assert_int_equal(uv_loop_init(&h->loop), 0);
    uv_timer_init(&h->loop, &h->tick);
    uv_timer_start(&h->tick, hold_tick, 20, 20);
    return pc_it_fx_defer(f, hold_free, h);
}

/* Opens every tunnel (HOLD_BATCH at a time) and expects each CONNECT reply. */
static void
hold_open_all(hold_t *h)
{
    size_t i, j;

    for (i = 0; i < h->n; i += HOLD_BATCH) {
        for (j = i; j < h->n && j < i + HOLD_BATCH; j++) {
            h->t[j].h = h;
            held_open(&h->t[j]);
        }
        assert_int_equal(hold_run(h, 20000), 0);
        assert_int_equal(h->failed, 0);
    }
}

/* Sends a line through every tunnel (HOLD_BATCH at a time) and expects its echo. */
static void
hold_ping_all(hold_t *h, unsigned round)
{
    size_t i, j;

    for (i = 0; i < h->n; i += HOLD_BATCH) {
        for (j = i; j < h->n && j < i + HOLD_BATCH; j++) {
            held_ping(&h->t[j], round);
        }
        assert_int_equal(hold_run(h, 20000), 0);
        if (h->failed > 0) {
            fail_msg("%zu of %zu tunnels failed in round %u", h->failed, h->n, round);
        }
    }
}

/* Raises the descriptor limit for n tunnels, or skips the test. */
static void
hold_limit_or_skip(size_t n)
{
    uint64_t want = 2 * (uint64_t)n + 256, got = 0;

    /* This process holds both ends of the origin's side and the clients
     * (2n); the proxy, which inherits the limit, holds 2n plus its own. */
    if (pc_it_sys_raise_nofile(want, &got) != 0 || got < want) {
        print_message("skipped: the descriptor limit (%" PRIu64 ") cannot hold %zu tunnels\n", got,
                      n);
        skip();
    }
}

/*
 * The proxy's memory per idle tunnel: tunnels that carried bytes both ways
 * and went quiet hold no relay buffer, only the connection's state.
 */
static void
test_connect_idle_tunnels_memory(void **state)
{
    pc_it_fx_t *f = *state;
    bool vg = getenv("PC_TEST_WRAPPER") != NULL;
    size_t n = vg ? HOLD_TUNNELS_VG : HOLD_TUNNELS;
    pc_it_origin_t *o;
    pc_it_proxy_t *p;
    hold_t *h;
    uint64_t before, held, per, start = pc_it_now_ms();

    hold_limit_or_skip(n);
    o = tunnel_origin(f, true, 0, false);
    p = pc_it_fx_proxy(f, "connect_idle_tunnels_memory",
                       "ConnectPort 1024-65535\nMaxClients 10000\nAccessLog off");
    if (pc_it_sys_rss_kib(pc_it_proxy_pid(p), &before) != 0) {
        print_message("skipped: cannot read the proxy's RSS on this OS\n");
        skip();
    }
    h = hold_new(f, n, pc_it_proxy_port(p),
                 pc_it_fx_connect_req(f, "127.0.0.1", pc_it_origin_port(o)));
    hold_open_all(h);
    hold_ping_all(h, 1);
    pc_it_sleep_ms(500); /* the last writes complete and the buffers go back */
    assert_int_equal(pc_it_sys_rss_kib(pc_it_proxy_pid(p), &held), 0);
    per = held > before ? (held - before) * 1024u / n : 0;
    print_message("%zu idle tunnels: proxy RSS %" PRIu64 " KiB -> %" PRIu64 " KiB, %" PRIu64
                  " bytes per tunnel (%" PRIu64 " ms)\n",
                  n, before, held, per, pc_it_now_ms() - start);
    if (vg || CONNECT_ASAN) {
        print_message("RSS bound not checked here (valgrind or ASan)\n");
    } else {
        assert_true(per < HOLD_MAX_BYTES);
    }
    hold_ping_all(h, 2); /* every tunnel still works */
    assert_int_equal(pc_it_origin_accepts(o), n);
}

/* The default ConnectPort is 443 only. */
static void
test_connect_port_not_allowed(void **state)
{
    expect_port_refused(*state, "connect_port_not_allowed", NULL);
}

static void
test_connect_port_outside_configured_range(void **state)
{
    expect_port_refused(*state, "connect_port_outside_configured_range",
                        "ConnectPort 443\nConnectPort 8000-8001");
}

static void
test_connect_refused_is_502(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_client_t *c;
    int port;

    assert_int_equal(pc_it_free_port("127.0.0.1", &port), 0);
    c = open_connect(f, "connect_refused_is_502", allow_ports, "127.0.0.1", port);
    pc_it_fx_expect_error(f, c, 502);
}

static void
test_connect_connect_timeout_504(void **state)
{
    pc_it_fx_t *f = *state;
    int port = pc_it_fx_blackhole(f);
    pc_it_client_t *c;
    uint64_t start = pc_it_now_ms();

    c = open_connect(f, "connect_connect_timeout_504", "ConnectPort 1024-65535\nConnectTimeout 1",
                     "127.0.0.1", port);
    pc_it_fx_expect_error(f, c, 504);
    assert_true(pc_it_now_ms() - start >= 800);
}

static void
test_connect_ipv6_literal(void **state)
{
    pc_it_fx_t *f = *state;
    pc_it_origin_opts_t opts;
    pc_it_origin_t *o;
    pc_it_client_t *c;

    memset(&opts, 0, sizeof(opts));
    opts.mode = PC_IT_ORIGIN_TUNNEL;
    opts.bind_ip = "::1";
    opts.echo = true;
    if (pc_it_fx_try_origin(f, &opts, &o) != 0) {
        print_message("skipped: no ::1 on this host\n");
        skip();
    }
    c = open_tunnel(f, "connect_ipv6_literal", allow_ports, "[::1]", pc_it_origin_port(o));
    expect_echo(c, "six\n");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        PC_IT_TEST(test_connect_established_and_echo),
        PC_IT_TEST(test_connect_data_in_same_write_as_head),
        PC_IT_TEST(test_connect_half_close),
        PC_IT_TEST(test_connect_10mib_each_way),
        PC_IT_TEST(test_connect_slow_reader_memory_bounded),
        PC_IT_TEST(test_connect_idle_tunnels_memory),
        PC_IT_TEST(test_connect_port_not_allowed),
        PC_IT_TEST(test_connect_port_outside_configured_range),
        PC_IT_TEST(test_connect_refused_is_502),
        PC_IT_TEST(test_connect_connect_timeout_504),
        PC_IT_TEST(test_connect_ipv6_literal),
    };

    pc_it_sys_init();
    return cmocka_run_group_tests_name("connect", tests, NULL, NULL);
}
