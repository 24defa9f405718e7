/*
 * it_netstub.c: the blackhole listener and the DNS stub (see it_netstub.h).
 *
 * The blackhole and the silent DNS stub need no thread: their sockets are
 * bound on a loop that is never run, so the kernel queues and nobody
 * answers. The NXDOMAIN stub runs its loop on a uv_thread_t and is stopped
 * through a uv_async_t, like the origin.
 */
#include "it_netstub.h"

#include "it_client.h"
#include "it_common.h"

#include <uv.h>

#include <stdlib.h>
#include <string.h>

struct pc_it_blackhole_s {
    uv_loop_t loop;
    uv_tcp_t listener;
    pc_it_client_t *filler; /* owned: the connection that fills the backlog */
};

static void
on_close_noop(uv_handle_t *h)
{
    (void)h;
}

static void
on_connection_ignored(uv_stream_t *server, int status)
{
    (void)server;
    (void)status;
}

static int
blackhole_listen(pc_it_blackhole_t *b, int *port)
{
    struct sockaddr_storage ss;
    int len = (int)sizeof(ss);
    int rc = pc_it_sockaddr("127.0.0.1", 0, &ss);

    if (rc == 0) {
        rc = uv_tcp_bind(&b->listener, (const struct sockaddr *)&ss, 0);
    }
    if (rc == 0) {
        rc = uv_listen((uv_stream_t *)&b->listener, 0, on_connection_ignored);
    }
    if (rc == 0) {
        rc = uv_tcp_getsockname(&b->listener, (struct sockaddr *)&ss, &len);
        *port = pc_it_sockaddr_port(&ss);
    }
    return rc;
}

int
pc_it_blackhole_start(pc_it_blackhole_t **out, int *port)
{
    pc_it_blackhole_t *b = calloc(1, sizeof(*b));
    pc_it_client_t *probe = NULL;
    int rc;

    *out = NULL;
    if (b == NULL || uv_loop_init(&b->loop) != 0) {
        free(b);
        return UV_ENOMEM;
    }
    uv_tcp_init(&b->loop, &b->listener);
    rc = blackhole_listen(b, port);
    if (rc == 0) {
        rc = pc_it_client_connect(&b->filler, "127.0.0.1", *port, 1000);
    }
    if (rc == 0 && pc_it_client_connect(&probe, "127.0.0.1", *port, 300) != UV_ETIMEDOUT) {
        rc = UV_ENOTSUP;
    }
    pc_it_client_close(probe);
    if (rc != 0) {
        pc_it_blackhole_stop(b);
        return rc;
    }
    *out = b;
    return 0;
}

void
pc_it_blackhole_stop(pc_it_blackhole_t *b)
{
    if (b == NULL) {
        return;
    }
    pc_it_client_close(b->filler);
    uv_close((uv_handle_t *)&b->listener, on_close_noop);
    uv_run(&b->loop, UV_RUN_DEFAULT);
    uv_loop_close(&b->loop);
    free(b);
}

struct pc_it_dns_s {
    pc_it_dns_mode_t mode;
    uv_loop_t loop;
    uv_udp_t udp;
    uv_async_t stop_async;
    uv_thread_t thread;
    bool threaded;
    char buf[1500];
    uv_mutex_t lock;  /* guards queries */
    unsigned queries; /* well-formed queries answered */
};

typedef struct {
    uv_udp_send_t req;
    char bytes[512];
} dns_send_t;

/* Length of header plus question section, or 0 if the query is malformed. */
static size_t
question_end(const unsigned char *q, size_t len)
{
    size_t off = 12;

    if (len < 12 || q[4] != 0 || q[5] != 1) {
        return 0;
    }
    while (off < len && q[off] != 0) {
        if ((q[off] & 0xc0) != 0) {
            return 0;
        }
        off += 1u + q[off];
    }
    off += 1 + 4; /* root label, QTYPE, QCLASS */
    return off <= len && off <= 512 ? off : 0;
}

static void
on_dns_sent(uv_udp_send_t *req, int status)
{
    (void)status;
    free(req);
}

/* Answers a query with its own question and RCODE 3 (NXDOMAIN). */
static void
on_dns_recv(uv_udp_t *udp, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
            unsigned flags)
{
    const unsigned char *q = (const unsigned char *)buf->base;
    size_t n = nread > 0 ? question_end(q, (size_t)nread) : 0;
    dns_send_t *s;
    uv_buf_t out;

    (void)flags;
    if (n == 0 || addr == NULL) {
        return;
    }
    {
        pc_it_dns_t *d = udp->data;

        uv_mutex_lock(&d->lock);
        d->queries++;
        uv_mutex_unlock(&d->lock);
    }
    s = pc_it_xmalloc(sizeof(*s));
    memcpy(s->bytes, q, n);
    s->bytes[2] = (char)(0x80 | (q[2] & 0x79)); /* QR, opcode, RD */
    s->bytes[3] = (char)(0x80 | 3);             /* RA, NXDOMAIN */
    memset(s->bytes + 6, 0, 6);                 /* no answer, authority, additional */
    out = uv_buf_init(s->bytes, (unsigned)n);
    if (uv_udp_send(&s->req, udp, &out, 1, addr, on_dns_sent) != 0) {
        free(s);
    }
}

static void
on_dns_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    pc_it_dns_t *d = h->data;

    (void)hint;
    *buf = uv_buf_init(d->buf, sizeof(d->buf));
}

static void
on_dns_stop(uv_async_t *a)
{
    pc_it_dns_t *d = a->data;

    uv_close((uv_handle_t *)&d->udp, on_close_noop);
    uv_close((uv_handle_t *)&d->stop_async, on_close_noop);
}

static void
dns_thread(void *arg)
{
    pc_it_dns_t *d = arg;

    uv_run(&d->loop, UV_RUN_DEFAULT);
}

/* Starts answering on the stub's own thread (NXDOMAIN mode). */
static int
dns_serve(pc_it_dns_t *d)
{
    int rc = uv_udp_recv_start(&d->udp, on_dns_alloc, on_dns_recv);

    if (rc == 0 && (rc = uv_async_init(&d->loop, &d->stop_async, on_dns_stop)) == 0) {
        d->stop_async.data = d;
        rc = uv_thread_create(&d->thread, dns_thread, d);
        if (rc != 0) {
            uv_close((uv_handle_t *)&d->stop_async, on_close_noop);
        }
    }
    d->threaded = rc == 0;
    return rc;
}

int
pc_it_dns_start(pc_it_dns_t **out, pc_it_dns_mode_t mode)
{
    pc_it_dns_t *d = calloc(1, sizeof(*d));
    struct sockaddr_storage ss;
    int rc;

    *out = NULL;
    if (d == NULL || uv_loop_init(&d->loop) != 0) {
        free(d);
        return UV_ENOMEM;
    }
    uv_mutex_init(&d->lock);
    d->mode = mode;
    uv_udp_init(&d->loop, &d->udp);
    d->udp.data = d;
    rc = pc_it_sockaddr("127.0.0.1", 53, &ss);
    if (rc == 0) {
        rc = uv_udp_bind(&d->udp, (const struct sockaddr *)&ss, 0);
    }
    if (rc == 0 && mode == PC_IT_DNS_NXDOMAIN) {
        rc = dns_serve(d);
    }
    if (rc != 0) {
        pc_it_dns_stop(d);
        return rc;
    }
    *out = d;
    return 0;
}

void
pc_it_dns_stop(pc_it_dns_t *d)
{
    if (d == NULL) {
        return;
    }
    if (d->threaded) {
        uv_async_send(&d->stop_async);
        uv_thread_join(&d->thread);
    } else {
        uv_close((uv_handle_t *)&d->udp, on_close_noop);
        uv_run(&d->loop, UV_RUN_DEFAULT);
    }
    uv_loop_close(&d->loop);
    uv_mutex_destroy(&d->lock);
    free(d);
}

unsigned
pc_it_dns_queries(pc_it_dns_t *d)
{
    unsigned n;

    uv_mutex_lock(&d->lock);
    n = d->queries;
    uv_mutex_unlock(&d->lock);
    return n;
}
