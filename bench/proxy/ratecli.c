/*
 * bench/proxy/ratecli.c: the fixed-rate client of the proxy benchmark's "rate"
 * workload (Linux, loopback only). bench.py compiles it into its scratch dir
 * at run time; it is not part of the CMake build.
 *
 * Open loop: requests are scheduled every 1/RATE s whatever the responses do,
 * spread round-robin over up to CONNS keep-alive connections (reconnecting when
 * the server closed one). Latency counts from the *scheduled* send time, so
 * queueing is not hidden (no coordinated omission); the pure service time
 * (from the actual write) is reported too. When every connection is busy,
 * requests wait in a backlog.
 *
 * Bounded: RATE*SECS requests at most, then at most 5 s to drain.
 *
 *   ratecli -a 127.0.0.1 -p 18110 -r 1000 -d 10 -c 16 \
 *           -u http://127.0.0.1:18080/100b -H 127.0.0.1:18080
 *
 * Prints one JSON object on stdout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum { CLOSED, CONNECTING, IDLE, BUSY };

#define TIMER_TAG 0xffffffffu

typedef struct {
    int fd, state, retried, hdr_done, close_after, status, got_bytes;
    uint64_t sched, sent;
    size_t wr_off, len;
    long long body_left;
    char buf[8192];
} conn_t;

/* The whole client is one process with one loop: its state is file-scope. */
static conn_t *cs;
static int nconns, ep;
static struct sockaddr_in addr;
static char req[1024];
static size_t reqlen;
static int *q, qhead, qlen; /* FIFO of connections not in use */
static uint64_t *backlog;
static size_t bl_head, bl_len, bl_max;
static uint64_t *lat, *svc;
static size_t nlat;
static long inflight, ok, non200, errs, retries, reconnects, conn_errs;

static void begin(conn_t *c);

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
q_push(int i)
{
    q[(qhead + qlen++) % nconns] = i;
}

static int
q_pop(void)
{
    int i = q[qhead];

    qhead = (qhead + 1) % nconns;
    qlen--;
    return i;
}

static void
ep_set(conn_t *c, uint32_t ev)
{
    struct epoll_event e = {.events = ev, .data.u32 = (uint32_t)(c - cs)};

    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
}

static void
close_conn(conn_t *c)
{
    if (c->fd >= 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->state = CLOSED;
}

static void
finish(conn_t *c, int failed)
{
    inflight--;
    if (failed) {
        errs++;
        close_conn(c);
    } else {
        uint64_t t = now_ns();

        lat[nlat] = t - c->sched;
        svc[nlat++] = t - c->sent;
        if (c->status == 200) {
            ok++;
        } else {
            non200++;
        }
        if (c->close_after) {
            close_conn(c);
        } else {
            c->state = IDLE;
            ep_set(c, EPOLLIN | EPOLLRDHUP);
        }
    }
    q_push((int)(c - cs)); /* the main loop hands it the next backlogged request */
}

/* A dead keep-alive connection gets one retry on a fresh one. */
static void
retry_or_fail(conn_t *c)
{
    if (!c->retried) {
        c->retried = 1;
        retries++;
        close_conn(c);
        begin(c);
        return;
    }
    finish(c, 1);
}

static void
try_write(conn_t *c)
{
    while (c->wr_off < reqlen) {
        ssize_t n = write(c->fd, req + c->wr_off, reqlen - c->wr_off);

        if (n > 0) {
            c->wr_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            ep_set(c, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
            return;
        }
        retry_or_fail(c);
        return;
    }
    ep_set(c, EPOLLIN | EPOLLRDHUP);
}

static void
begin(conn_t *c)
{
    struct epoll_event e = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP,
                            .data.u32 = (uint32_t)(c - cs)};
    int one = 1;
    int fd;

    c->wr_off = c->len = 0;
    c->hdr_done = c->close_after = c->status = c->got_bytes = 0;
    c->body_left = 0;
    if (c->state == IDLE) {
        c->state = BUSY;
        c->sent = now_ns();
        try_write(c);
        return;
    }
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        conn_errs++;
        finish(c, 1);
        return;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    reconnects++;
    c->fd = fd;
    c->sent = now_ns();
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) {
        conn_errs++;
        finish(c, 1);
        return;
    }
    c->state = CONNECTING;
}

static void
start_request(uint64_t sched)
{
    conn_t *c;

    if (!qlen) {
        backlog[(bl_head + bl_len++) % bl_max] = sched;
        return;
    }
    c = &cs[q_pop()];
    c->sched = sched;
    c->retried = 0;
    inflight++;
    begin(c);
}

static void
parse_headers(conn_t *c, char *end)
{
    long long cl = 0;
    char *l;

    c->status = atoi(c->buf + 9);
    for (l = strstr(c->buf, "\r\n"); l && l < end; l = strstr(l + 2, "\r\n")) {
        char *h = l + 2;

        if (!strncasecmp(h, "content-length:", 15)) {
            cl = atoll(h + 15);
        } else if (!strncasecmp(h, "connection:", 11)) {
            char *v = h + 11;

            while (*v == ' ') {
                v++;
            }
            if (!strncasecmp(v, "close", 5)) {
                c->close_after = 1;
            }
        }
    }
    if (!strncmp(c->buf, "HTTP/1.0", 8)) {
        c->close_after = 1;
    }
    c->hdr_done = 1;
    c->body_left = cl - (long long)(c->len - (size_t)(end + 4 - c->buf));
}

/* Returns 1 when the response is complete or failed, 0 to keep reading. */
static int
take_bytes(conn_t *c, ssize_t n)
{
    c->got_bytes = 1;
    if (c->hdr_done) {
        c->body_left -= n;
    } else {
        char *end;

        c->len += (size_t)n;
        c->buf[c->len] = 0;
        end = strstr(c->buf, "\r\n\r\n");
        if (end) {
            parse_headers(c, end);
        } else if (c->len >= sizeof c->buf - 1) {
            finish(c, 1);
            return 1;
        }
    }
    if (c->hdr_done && c->body_left <= 0) {
        finish(c, 0);
        return 1;
    }
    if (c->hdr_done) {
        c->len = 0;
    }
    return 0;
}

static void
do_read(conn_t *c)
{
    for (;;) {
        ssize_t n = read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);

        if (n > 0) {
            if (take_bytes(c, n)) {
                return;
            }
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            return;
        }
        /* EOF or error before the response was complete */
        if (!c->got_bytes) {
            retry_or_fail(c);
            return;
        }
        finish(c, 1);
        return;
    }
}

static void
on_event(conn_t *c, uint32_t ev)
{
    if (c->state == CONNECTING) {
        int err = 0;
        socklen_t l = sizeof err;

        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err) {
            conn_errs++;
            finish(c, 1);
            return;
        }
        if (!(ev & EPOLLOUT)) {
            return;
        }
        c->state = BUSY;
        c->sent = now_ns();
        try_write(c);
        return;
    }
    if (c->state == IDLE) { /* the server closed an idle keep-alive connection */
        char b[256];
        ssize_t n = read(c->fd, b, sizeof b);

        if (n < 0 && errno == EAGAIN) {
            return;
        }
        close_conn(c);
        return;
    }
    if (c->state == BUSY) {
        if ((ev & EPOLLOUT) && c->wr_off < reqlen) {
            try_write(c);
            if (c->state != BUSY) {
                return;
            }
        }
        if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
            do_read(c);
        }
    }
}

static int
cmp64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static double
pct(const uint64_t *v, size_t n, double p)
{
    size_t i;

    if (!n) {
        return -1;
    }
    i = (size_t)(p * (double)n);
    if (i >= n) {
        i = n - 1;
    }
    return (double)v[i] / 1e6;
}

static void
arm_timer(int tfd, uint64_t at)
{
    struct itimerspec its;

    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = (time_t)(at / 1000000000ull);
    its.it_value.tv_nsec = (long)(at % 1000000000ull);
    timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Runs the schedule; returns the number of requests started. */
static size_t
run_load(size_t total, double rate, double secs, size_t *max_backlog, uint64_t *t0_out)
{
    uint64_t interval = (uint64_t)(1e9 / rate);
    uint64_t t0 = now_ns() + 20000000ull, t_end = t0 + (uint64_t)(secs * 1e9);
    uint64_t drain_until = t_end + 5000000000ull;
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct epoll_event te = {.events = EPOLLIN, .data.u32 = TIMER_TAG};
    struct epoll_event evs[256];
    size_t k = 0;

    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &te);
    arm_timer(tfd, t0);
    *t0_out = t0;
    while (!(k >= total && inflight == 0 && bl_len == 0) && now_ns() <= drain_until) {
        int i, n = epoll_wait(ep, evs, 256, 100);

        for (i = 0; i < n; i++) {
            uint64_t x, t;

            if (evs[i].data.u32 != TIMER_TAG) {
                on_event(&cs[evs[i].data.u32], evs[i].events);
                continue;
            }
            if (read(tfd, &x, sizeof x) < 0) { /* spurious wake-up */
            }
            t = now_ns();
            while (k < total && t0 + k * interval <= t) {
                start_request(t0 + k * interval);
                k++;
            }
            if (bl_len > *max_backlog) {
                *max_backlog = bl_len;
            }
            if (k < total) {
                arm_timer(tfd, t0 + k * interval);
            }
        }
        while (bl_len && qlen) { /* requests that waited for a free connection */
            uint64_t s = backlog[bl_head];

            bl_head = (bl_head + 1) % bl_max;
            bl_len--;
            start_request(s);
        }
    }
    close(tfd);
    return k;
}

static void
print_result(double rate, double secs, size_t scheduled, size_t max_backlog, double elapsed)
{
    long unfinished = inflight + (long)bl_len;

    qsort(lat, nlat, sizeof *lat, cmp64);
    qsort(svc, nlat, sizeof *svc, cmp64);
    printf("{\"target_rps\": %.0f, \"scheduled\": %zu, \"completed\": %zu, \"ok\": %ld, "
           "\"non_200\": %ld, \"errors\": %ld, \"connect_errors\": %ld, \"unfinished\": %ld, "
           "\"retries\": %ld, \"connects\": %ld, \"max_backlog\": %zu, \"achieved_rps\": %.1f, "
           "\"p50_ms\": %.4f, \"p90_ms\": %.4f, \"p99_ms\": %.4f, \"p999_ms\": %.4f, "
           "\"max_ms\": %.4f, \"svc_p50_ms\": %.4f, \"svc_p99_ms\": %.4f}\n",
           rate, scheduled, nlat, ok, non200, errs, conn_errs, unfinished, retries, reconnects,
           max_backlog, (double)nlat / (elapsed > secs ? elapsed : secs), pct(lat, nlat, .5),
           pct(lat, nlat, .9), pct(lat, nlat, .99), pct(lat, nlat, .999),
           nlat ? (double)lat[nlat - 1] / 1e6 : -1, pct(svc, nlat, .5), pct(svc, nlat, .99));
}

static int
usage(const char *argv0)
{
    fprintf(stderr, "usage: %s -a 127.0.0.1 -p PORT -r RATE -d SECS -c CONNS -u URL -H HOST\n",
            argv0);
    return 2;
}

int
main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *url = "/100b", *hosthdr = "127.0.0.1:18080";
    int port = 18080, opt, i, n;
    double rate = 1000, secs = 10;
    size_t total, k, max_backlog = 0;
    uint64_t t0;

    nconns = 16;
    while ((opt = getopt(argc, argv, "a:p:r:d:c:u:H:")) != -1) {
        switch (opt) {
        case 'a':
            host = optarg;
            break;
        case 'p':
            port = atoi(optarg);
            break;
        case 'r':
            rate = atof(optarg);
            break;
        case 'd':
            secs = atof(optarg);
            break;
        case 'c':
            nconns = atoi(optarg);
            break;
        case 'u':
            url = optarg;
            break;
        case 'H':
            hosthdr = optarg;
            break;
        default:
            return usage(argv[0]);
        }
    }
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1
        || (ntohl(addr.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "ratecli: only 127.0.0.0/8 addresses are allowed\n");
        return 2;
    }
    if (rate < 1 || rate > 200000 || secs <= 0 || secs > 300 || nconns < 1 || nconns > 10000
        || port < 1 || port > 65535) {
        fprintf(stderr, "ratecli: bad arguments\n");
        return 2;
    }
    n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ratecli\r\n\r\n", url,
                 hosthdr);
    if (n < 0 || (size_t)n >= sizeof req) {
        return 2;
    }
    reqlen = (size_t)n;
    total = (size_t)(rate * secs);
    bl_max = total + 1;
    cs = calloc((size_t)nconns, sizeof *cs);
    q = calloc((size_t)nconns, sizeof *q);
    backlog = calloc(bl_max, sizeof *backlog);
    lat = calloc(total + 1, sizeof *lat);
    svc = calloc(total + 1, sizeof *svc);
    if (!cs || !q || !backlog || !lat || !svc) {
        return 1;
    }
    for (i = 0; i < nconns; i++) {
        cs[i].fd = -1;
        q_push(i);
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    k = run_load(total, rate, secs, &max_backlog, &t0);
    print_result(rate, secs, k, max_backlog, (double)(now_ns() - t0) / 1e9);
    for (i = 0; i < nconns; i++) {
        close_conn(&cs[i]);
    }
    return 0;
}
