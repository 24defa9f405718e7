/*
 * upstream.c: resolve a target and connect to it, trying each address.
 *
 * Lifetime: the object is freed when nothing of it is pending any more: no
 * getaddrinfo request in the thread pool and no TCP handle open. Only then
 * does the owner's closed_cb run, so the owner may treat the whole object as
 * one open handle.
 *
 * Memory: what only resolving and connecting need (the getaddrinfo and
 * connect requests, the name, the addresses to try) is a separate block, the
 * dial, freed as soon as an address connects; a connected upstream (held
 * by a tunnel, a transaction or the pool) keeps only its handle and the
 * peer's address. Until then the dial lives as long as the object: a
 * cancelled getaddrinfo still calls back into it, and closing the handle
 * during a connect cancels that request in it.
 */
#include "upstream.h"

#include "dns_cache.h"

#include "portcullis/error.h"
#include "util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What resolving and connecting need; freed once connected (or with the object). */
typedef struct {
    uv_connect_t creq;    /* the connect in flight; data: the upstream */
    uv_getaddrinfo_t gai; /* data: the upstream */
    pc_dns_addrs_t addrs; /* the addresses to try, in order (ports set) */
    unsigned next;        /* index into addrs of the next one to try */
    unsigned refused;     /* addresses admit turned down */
    int last_err;
    char host[]; /* the name being resolved (for the cache), NUL-terminated */
} pc_dial_t;

struct pc_upstream_s {
    uv_loop_t *loop;     /* borrowed */
    uv_tcp_t tcp;        /* open while tcp_open */
    pc_dial_t *dial;     /* owned; NULL once connected */
    pc_dns_cache_t *dns; /* borrowed; NULL: no cache */
    pc_upstream_admit_cb admit;
    pc_upstream_connect_cb cb;
    void *data;
    pc_upstream_closed_cb closed_cb;
    void *closed_data;
    uint16_t port;
    bool tcp_open;
    bool gai_pending;
    bool closing;
    bool reading;
    pc_upstream_alloc_fn ralloc;
    pc_upstream_read_fn rread;
    void *rowner;
    pc_sockaddr_any_t peer_sa;
};

static void try_next(pc_upstream_t *up);

static void
maybe_free(pc_upstream_t *up)
{
    if (!up->closing || up->tcp_open || up->gai_pending) {
        return;
    }
    if (up->closed_cb != NULL) {
        up->closed_cb(up->closed_data);
    }
    free(up->dial);
    free(up);
}

static void
finish(pc_upstream_t *up, int status)
{
    pc_upstream_connect_cb cb = up->cb;

    up->cb = NULL;
    if (cb != NULL) {
        cb(up, status, up->data);
    }
}

static void
on_attempt_closed(uv_handle_t *h)
{
    pc_upstream_t *up = PC_CONTAINER_OF(h, pc_upstream_t, tcp);

    up->tcp_open = false;
    if (up->closing) {
        maybe_free(up);
        return;
    }
    try_next(up);
}

static void
on_connect(uv_connect_t *req, int status)
{
    pc_upstream_t *up = req->data;
    struct sockaddr_storage ss;
    int len = (int)sizeof(ss);

    if (up->closing) {
        return; /* pc_upstream_close() owns the rest */
    }
    if (status == 0) {
        if (uv_tcp_getpeername(&up->tcp, (struct sockaddr *)&ss, &len) == 0
            && (size_t)len <= sizeof(up->peer_sa)) {
            memcpy(&up->peer_sa, &ss, (size_t)len);
        }
        /* libuv is done with the request once its callback runs. */
        free(up->dial);
        up->dial = NULL;
        finish(up, 0);
        return;
    }
    up->dial->last_err = status;
    uv_close((uv_handle_t *)&up->tcp, on_attempt_closed);
}

static const struct sockaddr *
next_candidate(pc_dial_t *d)
{
    return d->next < d->addrs.count ? &d->addrs.addr[d->next++].sa : NULL;
}

/* The next address to try that the caller admits, or NULL. */
static const struct sockaddr *
next_address(pc_upstream_t *up)
{
    const struct sockaddr *sa;

    while ((sa = next_candidate(up->dial)) != NULL) {
        if (up->admit == NULL || up->admit(sa, up->data)) {
            return sa;
        }
        up->dial->refused++;
    }
    return NULL;
}

/* Why nothing connected: the last connect error, else the policy, else no address. */
static int
no_more_status(const pc_dial_t *d)
{
    if (d->last_err != 0) {
        return d->last_err;
    }
    return d->refused > 0 ? PC_E_DENIED_FILTER : UV_EAI_NONAME;
}

static void
try_next(pc_upstream_t *up)
{
    pc_dial_t *d = up->dial;
    const struct sockaddr *sa;
    int err;

    for (;;) {
        sa = next_address(up);
        if (sa == NULL) {
            finish(up, no_more_status(d));
            return;
        }
        err = uv_tcp_init(up->loop, &up->tcp);
        if (err != 0) {
            d->last_err = err;
            continue;
        }
        up->tcp_open = true;
        d->creq.data = up;
        err = uv_tcp_connect(&d->creq, &up->tcp, sa, on_connect);
        if (err == 0) {
            return;
        }
        d->last_err = err;
        uv_close((uv_handle_t *)&up->tcp, on_attempt_closed);
        return;
    }
}

/* Keeps the IPv4 and IPv6 addresses of res, in order, at most PC_DNS_MAX_ADDRS. */
static void
collect_addrs(const struct addrinfo *res, pc_dns_addrs_t *out)
{
    out->count = 0;
    for (; res != NULL && out->count < PC_DNS_MAX_ADDRS; res = res->ai_next) {
        if (res->ai_family == AF_INET && res->ai_addrlen >= sizeof(struct sockaddr_in)) {
            memcpy(&out->addr[out->count++].in, res->ai_addr, sizeof(struct sockaddr_in));
        } else if (res->ai_family == AF_INET6 && res->ai_addrlen >= sizeof(struct sockaddr_in6)) {
            memcpy(&out->addr[out->count++].in6, res->ai_addr, sizeof(struct sockaddr_in6));
        }
    }
}

/* Sets the port of every address to try (the cache keeps names, not ports). */
static void
set_ports(pc_upstream_t *up)
{
    pc_dns_addrs_t *a = &up->dial->addrs;
    unsigned i;

    for (i = 0; i < a->count; i++) {
        if (a->addr[i].sa.sa_family == AF_INET) {
            a->addr[i].in.sin_port = htons(up->port);
        } else {
            a->addr[i].in6.sin6_port = htons(up->port);
        }
    }
}

/* Remembers what a resolution found, unless it was cancelled (then it found nothing). */
static void
cache_answer(pc_upstream_t *up, int status)
{
    pc_dial_t *d = up->dial;

    if (up->dns == NULL || status == UV_EAI_CANCELED || status == UV_ECANCELED) {
        return;
    }
    if (status == 0) {
        pc_dns_cache_put(up->dns, d->host, uv_now(up->loop), &d->addrs);
    } else {
        pc_dns_cache_put_negative(up->dns, d->host, uv_now(up->loop), status);
    }
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    pc_upstream_t *up = req->data;

    up->gai_pending = false;
    collect_addrs(res, &up->dial->addrs);
    uv_freeaddrinfo(res);
    if (status == 0 && up->dial->addrs.count == 0) {
        status = UV_EAI_NODATA; /* names with no IPv4 or IPv6 address */
    }
    cache_answer(up, status);
    if (up->closing) {
        maybe_free(up);
        return;
    }
    if (status != 0) {
        finish(up, status);
        return;
    }
    set_ports(up);
    try_next(up);
}

/* Fills the addresses to try with the target if it is an IP literal. True if it was. */
static bool
parse_literal(pc_upstream_t *up, const pc_target_t *t)
{
    pc_dns_addrs_t *a = &up->dial->addrs;
    int err = t->is_ipv6 ? uv_ip6_addr(t->host, t->port, &a->addr[0].in6)
                         : uv_ip4_addr(t->host, t->port, &a->addr[0].in);

    a->count = err == 0 ? 1 : 0;
    return err == 0;
}

/*
 * Answers from the cache: 1 and the addresses filled (try them), -1 and
 * *err set (a cached "no such name"), 0 (resolve).
 */
static int
from_cache(pc_upstream_t *up, int *err)
{
    int rc;

    if (up->dns == NULL) {
        return 0;
    }
    rc = pc_dns_cache_get(up->dns, up->dial->host, uv_now(up->loop), &up->dial->addrs, err);
    if (rc == 1) {
        set_ports(up);
    }
    return rc;
}

/* Starts resolving the dial's host on the thread pool. 0 or a UV_E* code. */
static int
resolve(pc_upstream_t *up)
{
    struct addrinfo hints;
    char port[8];
    int err;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    snprintf(port, sizeof(port), "%u", (unsigned)up->port);
    up->dial->gai.data = up;
    err = uv_getaddrinfo(up->loop, &up->dial->gai, on_resolved, up->dial->host, port, &hints);
    if (err == 0) {
        up->gai_pending = true;
    }
    return err;
}

int
pc_upstream_connect(uv_loop_t *loop, pc_dns_cache_t *dns, const pc_target_t *t,
                    pc_upstream_admit_cb admit, pc_upstream_connect_cb cb, void *data,
                    pc_upstream_t **out)
{
    size_t host_len = strlen(t->host);
    pc_upstream_t *up = calloc(1, sizeof(*up));
    int err = 0, rc;

    if (up != NULL) {
        up->dial = calloc(1, sizeof(*up->dial) + host_len + 1);
    }
    if (up == NULL || up->dial == NULL) {
        free(up);
        return UV_ENOMEM;
    }
    memcpy(up->dial->host, t->host, host_len + 1);
    up->loop = loop;
    up->dns = dns;
    up->admit = admit;
    up->cb = cb;
    pc_upstream_set_reader(up, NULL, NULL, NULL);
    up->data = data;
    up->port = t->port;
    *out = up;
    if (parse_literal(up, t)) {
        try_next(up);
        return 0;
    }
    rc = from_cache(up, &err);
    if (rc == 1) {
        try_next(up);
        return 0;
    }
    if (rc == -1) {
        finish(up, err);
        return 0;
    }
    err = resolve(up);
    if (err != 0) {
        free(up->dial);
        free(up);
        *out = NULL;
    }
    return err;
}

/* The reader of an upstream nobody reads yet: it stops at the first event. */
static char orphan_scratch[64];

static void
orphan_alloc(void *owner, uv_buf_t *buf)
{
    (void)owner;
    *buf = uv_buf_init(orphan_scratch, sizeof(orphan_scratch));
}

static void
orphan_read(void *owner, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    if (nread != 0) {
        (void)pc_upstream_read(owner, false);
    }
}

static void
on_read_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    pc_upstream_t *up = PC_CONTAINER_OF(h, pc_upstream_t, tcp);

    (void)suggested;
    up->ralloc(up->rowner, buf);
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    pc_upstream_t *up = PC_CONTAINER_OF(s, pc_upstream_t, tcp);

    if (nread < 0 && nread != UV_ENOBUFS) {
        up->reading = false; /* libuv stops reading at EOF and on errors */
    }
    up->rread(up->rowner, nread, buf);
}

void
pc_upstream_set_reader(pc_upstream_t *up, pc_upstream_alloc_fn alloc, pc_upstream_read_fn read,
                       void *owner)
{
    if (alloc == NULL) {
        alloc = orphan_alloc;
        read = orphan_read;
        owner = up;
    }
    up->ralloc = alloc;
    up->rread = read;
    up->rowner = owner;
}

int
pc_upstream_read(pc_upstream_t *up, bool on)
{
    int err = 0;

    if (on == up->reading) {
        return 0;
    }
    if (on) {
        err = uv_read_start((uv_stream_t *)&up->tcp, on_read_alloc, on_read);
    } else {
        err = uv_read_stop((uv_stream_t *)&up->tcp);
    }
    if (err == 0) {
        up->reading = on;
    }
    return err;
}

uv_stream_t *
pc_upstream_stream(pc_upstream_t *up)
{
    return (uv_stream_t *)&up->tcp;
}

const struct sockaddr *
pc_upstream_peer_addr(const pc_upstream_t *up)
{
    return &up->peer_sa.sa;
}

void
pc_upstream_close(pc_upstream_t *up, pc_upstream_closed_cb closed_cb, void *data)
{
    up->closing = true;
    up->cb = NULL;
    up->closed_cb = closed_cb;
    up->closed_data = data;
    if (up->gai_pending) {
        uv_cancel((uv_req_t *)&up->dial->gai);
    }
    if (up->tcp_open && !uv_is_closing((uv_handle_t *)&up->tcp)) {
        uv_close((uv_handle_t *)&up->tcp, on_attempt_closed);
    }
    maybe_free(up);
}
