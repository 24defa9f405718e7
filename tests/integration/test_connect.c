/*
 * test_connect.c: CONNECT tunnels through the real proxy.
 *
 * The origin runs in TUNNEL mode (echo, stream N pattern bytes, report on
 * EOF). What is checked: the exact "200 Connection Established" head, bytes
 * that follow the CONNECT head in the same write, half-close in both
 * directions, 10 MiB each way at once with checksums, and that a client
 * that stops reading does not make the proxy buffer the origin's stream
 * (its RSS stays bounded, the data arrives intact afterwards).
 */
#include "it_fixture.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1024u * 1024u)

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
        PC_IT_TEST(test_connect_port_not_allowed),
        PC_IT_TEST(test_connect_port_outside_configured_range),
        PC_IT_TEST(test_connect_refused_is_502),
        PC_IT_TEST(test_connect_connect_timeout_504),
        PC_IT_TEST(test_connect_ipv6_literal),
    };

    pc_it_sys_init();
    return cmocka_run_group_tests_name("connect", tests, NULL, NULL);
}
