/*
 * upstream.c: resolve a target and connect to it, trying each address.
 *
 * Lifetime: the object is freed when nothing of it is pending any more: no
 * getaddrinfo request in the thread pool and no TCP handle open. Only then
 * does the owner's closed_cb run, so the owner may treat the whole object as
 * one open handle.
 */
#include "upstream.h"

#include "dns_cache.h"

#include "portcullis/error.h"
#include "sockaddr.h"
#include "util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pc_upstream_s {
    uv_loop_t *loop;   /* borrowed */
    uv_tcp_t tcp;      /* open while tcp_open */
    uv_connect_t creq; /* the connect in flight */
    uv_getaddrinfo_t gai;
    pc_dns_cache_t *dns; /* borrowed; NULL: no cache */
    char host[256];      /* the name being resolved (for the cache) */
    uint16_t port;
    pc_dns_addrs_t addrs; /* the addresses to try, in order (ports set) */
    unsigned next;        /* index into addrs of the next one to try */
    pc_upstream_admit_cb admit;
    pc_upstream_connect_cb cb;
    void *data;
    pc_upstream_closed_cb closed_cb;
    void *closed_data;
    bool tcp_open;
    bool gai_pending;
    bool closing;
    int last_err;
    unsigned refused; /* addresses admit turned down */
    char peer[80];
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
    pc_upstream_t *up = PC_CONTAINER_OF(req, pc_upstream_t, creq);
    struct sockaddr_storage ss;
    int len = (int)sizeof(ss);

    if (up->closing) {
        return; /* pc_upstream_close() owns the rest */
    }
    if (status == 0) {
        if (uv_tcp_getpeername(&up->tcp, (struct sockaddr *)&ss, &len) == 0) {
            pc__sockaddr_format((const struct sockaddr *)&ss, up->peer, sizeof(up->peer));
            if ((size_t)len <= sizeof(up->peer_sa)) {
                memcpy(&up->peer_sa, &ss, (size_t)len);
            }
        }
        finish(up, 0);
        return;
    }
    up->last_err = status;
    uv_close((uv_handle_t *)&up->tcp, on_attempt_closed);
}

static const struct sockaddr *
next_candidate(pc_upstream_t *up)
{
    return up->next < up->addrs.count ? &up->addrs.addr[up->next++].sa : NULL;
}

/* The next address to try that the caller admits, or NULL. */
static const struct sockaddr *
next_address(pc_upstream_t *up)
{
    const struct sockaddr *sa;

    while ((sa = next_candidate(up)) != NULL) {
        if (up->admit == NULL || up->admit(sa, up->data)) {
            return sa;
        }
        up->refused++;
    }
    return NULL;
}

/* Why nothing connected: the last connect error, else the policy, else no address. */
static int
no_more_status(const pc_upstream_t *up)
{
    if (up->last_err != 0) {
        return up->last_err;
    }
    return up->refused > 0 ? PC_E_DENIED_FILTER : UV_EAI_NONAME;
}

static void
try_next(pc_upstream_t *up)
{
    const struct sockaddr *sa;
    int err;

    for (;;) {
        sa = next_address(up);
        if (sa == NULL) {
            finish(up, no_more_status(up));
            return;
        }
        err = uv_tcp_init(up->loop, &up->tcp);
        if (err != 0) {
            up->last_err = err;
            continue;
        }
        up->tcp_open = true;
        err = uv_tcp_connect(&up->creq, &up->tcp, sa, on_connect);
        if (err == 0) {
            return;
        }
        up->last_err = err;
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

/* Sets the port of every address in up->addrs (the cache keeps names, not ports). */
static void
set_ports(pc_upstream_t *up)
{
    unsigned i;

    for (i = 0; i < up->addrs.count; i++) {
        if (up->addrs.addr[i].sa.sa_family == AF_INET) {
            up->addrs.addr[i].in.sin_port = htons(up->port);
        } else {
            up->addrs.addr[i].in6.sin6_port = htons(up->port);
        }
    }
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    pc_upstream_t *up = PC_CONTAINER_OF(req, pc_upstream_t, gai);

    up->gai_pending = false;
    collect_addrs(res, &up->addrs);
    uv_freeaddrinfo(res);
    if (status == 0 && up->addrs.count == 0) {
        status = UV_EAI_NODATA; /* names with no IPv4 or IPv6 address */
    }
    if (up->dns != NULL && status != UV_ECANCELED) {
        if (status == 0) {
            pc_dns_cache_put(up->dns, up->host, uv_now(up->loop), &up->addrs);
        } else {
            pc_dns_cache_put_negative(up->dns, up->host, uv_now(up->loop), status);
        }
    }
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

/* Fills up->addrs with the target if it is an IP literal. Returns true if it was. */
static bool
parse_literal(pc_upstream_t *up, const pc_target_t *t)
{
    int err = t->is_ipv6 ? uv_ip6_addr(t->host, t->port, &up->addrs.addr[0].in6)
                         : uv_ip4_addr(t->host, t->port, &up->addrs.addr[0].in);

    up->addrs.count = err == 0 ? 1 : 0;
    return err == 0;
}

/*
 * Answers from the cache: 1 and up->addrs filled (try them), -1 and *err
 * set (a cached "no such name"), 0 (resolve).
 */
static int
from_cache(pc_upstream_t *up, int *err)
{
    int rc;

    if (up->dns == NULL) {
        return 0;
    }
    rc = pc_dns_cache_get(up->dns, up->host, uv_now(up->loop), &up->addrs, err);
    if (rc == 1) {
        set_ports(up);
    }
    return rc;
}

/* Starts resolving up->host on the thread pool. 0 or a UV_E* code. */
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
    err = uv_getaddrinfo(up->loop, &up->gai, on_resolved, up->host, port, &hints);
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
    pc_upstream_t *up = calloc(1, sizeof(*up));
    int err = 0, rc;

    if (up == NULL) {
        return UV_ENOMEM;
    }
    up->loop = loop;
    up->dns = dns;
    up->admit = admit;
    up->cb = cb;
    up->data = data;
    up->port = t->port;
    snprintf(up->host, sizeof(up->host), "%s", t->host);
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
        free(up);
        *out = NULL;
    }
    return err;
}

uv_stream_t *
pc_upstream_stream(pc_upstream_t *up)
{
    return (uv_stream_t *)&up->tcp;
}

const char *
pc_upstream_peer(const pc_upstream_t *up)
{
    return up->peer;
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
        uv_cancel((uv_req_t *)&up->gai);
    }
    if (up->tcp_open && !uv_is_closing((uv_handle_t *)&up->tcp)) {
        uv_close((uv_handle_t *)&up->tcp, on_attempt_closed);
    }
    maybe_free(up);
}
