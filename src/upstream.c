/*
 * upstream.c: resolve a target and connect to it, trying each address.
 *
 * Lifetime: the object is freed when nothing of it is pending any more: no
 * getaddrinfo request in the thread pool and no TCP handle open. Only then
 * does the owner's closed_cb run, so the owner may treat the whole object as
 * one open handle.
 */
#include "upstream.h"

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
    struct addrinfo *res;  /* owned; released with uv_freeaddrinfo */
    struct addrinfo *next; /* borrowed from res: next address to try */
    struct sockaddr_storage literal;
    pc_upstream_admit_cb admit;
    pc_upstream_connect_cb cb;
    void *data;
    pc_upstream_closed_cb closed_cb;
    void *closed_data;
    bool tcp_open;
    bool gai_pending;
    bool closing;
    bool literal_pending; /* the literal address has not been tried yet */
    int last_err;
    unsigned refused; /* addresses admit turned down */
    char peer[80];
};

static void try_next(pc_upstream_t *up);

static void
maybe_free(pc_upstream_t *up)
{
    if (!up->closing || up->tcp_open || up->gai_pending) {
        return;
    }
    if (up->res != NULL) {
        uv_freeaddrinfo(up->res);
        up->res = NULL;
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
    const struct sockaddr *sa = NULL;

    if (up->literal_pending) {
        up->literal_pending = false;
        return (const struct sockaddr *)&up->literal;
    }
    while (up->next != NULL && sa == NULL) {
        if (up->next->ai_family == AF_INET || up->next->ai_family == AF_INET6) {
            sa = up->next->ai_addr;
        }
        up->next = up->next->ai_next;
    }
    return sa;
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

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    pc_upstream_t *up = PC_CONTAINER_OF(req, pc_upstream_t, gai);

    up->gai_pending = false;
    up->res = res;
    if (up->closing) {
        maybe_free(up);
        return;
    }
    if (status != 0) {
        finish(up, status);
        return;
    }
    up->next = res;
    try_next(up);
}

/* Fills up->literal if the host is an IP literal. Returns true if it was. */
static bool
parse_literal(pc_upstream_t *up, const pc_target_t *t)
{
    if (t->is_ipv6) {
        return uv_ip6_addr(t->host, t->port, (struct sockaddr_in6 *)&up->literal) == 0;
    }
    return uv_ip4_addr(t->host, t->port, (struct sockaddr_in *)&up->literal) == 0;
}

int
pc_upstream_connect(uv_loop_t *loop, const pc_target_t *t, pc_upstream_admit_cb admit,
                    pc_upstream_connect_cb cb, void *data, pc_upstream_t **out)
{
    pc_upstream_t *up = calloc(1, sizeof(*up));
    struct addrinfo hints;
    char port[8];
    int err;

    if (up == NULL) {
        return UV_ENOMEM;
    }
    up->loop = loop;
    up->admit = admit;
    up->cb = cb;
    up->data = data;
    *out = up;
    if (parse_literal(up, t)) {
        up->literal_pending = true;
        try_next(up);
        return 0;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    snprintf(port, sizeof(port), "%u", (unsigned)t->port);
    err = uv_getaddrinfo(loop, &up->gai, on_resolved, t->host, port, &hints);
    if (err != 0) {
        free(up);
        *out = NULL;
        return err;
    }
    up->gai_pending = true;
    return 0;
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
