/*
 * server.c: listening sockets, accepting clients, draining on stop.
 *
 * The server owns its listeners and a list of live connections (intrusive,
 * doubly linked). MaxClients is enforced by pausing: when the limit is
 * reached a pending client is left in the kernel's backlog (libuv stops
 * polling the listener until uv_accept is called) and is accepted as soon as
 * another connection ends. The descriptor limit lowers that limit when it
 * cannot hold MaxClients clients, so EMFILE is not the way clients learn it.
 *
 * With several workers each server gets an even share of MaxClients and of
 * the descriptors, listens on sockets of its own (SO_REUSEPORT) or on
 * copies of worker 0's (see pc_listen_mode_t), and hands out connection ids
 * index+1, index+1+count, ... so that ids stay unique in the process. The
 * per-address counts are one table for all workers, behind a lock.
 */
#include "server.h"

#include "conf_load.h"
#include "conn.h"
#include "portcullis/error.h"
#include "portcullis/platform.h"
#include "sockaddr.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uv_tcp_t tcp;
    pc_server_t *server; /* borrowed: back-pointer */
    bool pending;        /* a client waits to be accepted (MaxClients reached) */
    bool open;
    uint16_t port; /* the port bound */
} pc_listener_t;

struct pc_server_s {
    uv_loop_t *loop;       /* borrowed */
    pc_conf_t *conf;       /* ref */
    pc_access_log_t *alog; /* borrowed */
    pc_listener_t listeners[PC_MAX_LISTEN];
    size_t num_listeners;
    pc_conn_t *conns; /* head of the live list */
    size_t num_conns;
    uint64_t next_id; /* the next connection or request id: index+1, then + count each time */
    pc_server_opts_t opts;
    uv_timer_t grace;
    bool grace_open;
    bool stopping;
    int open_handles; /* listeners + grace timer still open */
    pc_server_done_cb done_cb;
    void *done_data;
    pc_metrics_t metrics;
    pc_dns_cache_t *dns;      /* owned; NULL: no cache */
    pc_upstream_pool_t *pool; /* owned until closed at the stop; NULL: none */
    pc_buf_pool_t *bufs;      /* owned: the connections' relay blocks; freed after the last one */
    bool fd_exhausted;        /* out of file descriptors: said once, until accepting works again */
    unsigned fd_cap; /* this worker's clients the descriptor limit allows (UINT_MAX: no limit) */
    bool has_admin;  /* the admin listener's address, which the proxy never connects to */
    pc_addr_t admin_addr;
    uint16_t admin_port;
};

static void accept_one(pc_listener_t *l);
static void maybe_done(pc_server_t *s);
static void on_handle_closed(uv_handle_t *h);
static void addr_release(pc_server_t *s, const pc_addr_t *a);

/* This worker's share of MaxClients (rounded up). */
static unsigned
max_clients_share(const pc_server_t *s)
{
    return (unsigned)(((uint64_t)s->conf->max_clients + s->opts.count - 1) / s->opts.count);
}

/* MaxClients' share, or fewer if the descriptor limit cannot hold that many. */
static unsigned
client_limit(const pc_server_t *s)
{
    unsigned share = max_clients_share(s);

    return s->fd_cap < share ? s->fd_cap : share;
}

static uint64_t
new_id(pc_server_t *s)
{
    uint64_t id = s->next_id;

    s->next_id += s->opts.count;
    return id;
}

static void
on_pool_closed(void *data)
{
    pc_server_t *s = data;

    s->open_handles--;
    maybe_done(s);
}

static void
maybe_done(pc_server_t *s)
{
    pc_server_done_cb cb = s->done_cb;
    void *data = s->done_data;

    if (!s->stopping || s->num_conns > 0) {
        return;
    }
    if (s->grace_open) {
        s->grace_open = false; /* drained before the grace period ended */
        uv_timer_stop(&s->grace);
        uv_close((uv_handle_t *)&s->grace, on_handle_closed);
    }
    if (s->pool != NULL) {
        pc_upstream_pool_t *pool = s->pool;

        s->pool = NULL; /* no connection is left to use it */
        s->open_handles++;
        pc_upstream_pool_close(pool, on_pool_closed, s);
        return;
    }
    if (s->open_handles > 0) {
        return;
    }
    pc_conf_unref(s->conf);
    s->conf = NULL;
    pc_metrics_free(&s->metrics);
    pc_dns_cache_free(s->dns);
    pc_buf_pool_free(s->bufs);
    free(s);
    if (cb != NULL) {
        cb(data);
    }
}

void
pc__server_conn_opened(pc_server_t *s, pc_conn_t *c)
{
    c->prev = NULL;
    c->next = s->conns;
    if (s->conns != NULL) {
        s->conns->prev = c;
    }
    s->conns = c;
    s->num_conns++;
    s->metrics.conns_active++;
    s->metrics.conns_total++;
}

void
pc__server_conn_closed(pc_server_t *s, pc_conn_t *c)
{
    size_t i;

    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        s->conns = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    }
    s->num_conns--;
    s->metrics.conns_active--;
    if (c->addr_counted) {
        addr_release(s, &c->peer_addr);
    }
    pc_conf_unref(c->conf);
    c->conf = NULL;
    for (i = 0; i < s->num_listeners && !s->stopping; i++) {
        if (s->listeners[i].pending && s->num_conns < client_limit(s)) {
            s->listeners[i].pending = false;
            accept_one(&s->listeners[i]);
        }
    }
    maybe_done(s);
}

bool
pc__server_stopping(const pc_server_t *s)
{
    return s->stopping;
}

/*
 * Out of file descriptors. libuv has already turned the waiting client away
 * (it keeps a spare descriptor for that, so the listener does not spin);
 * the proxy keeps serving the connections it has, and says so once.
 */
static void
out_of_fds(pc_server_t *s, int err)
{
    if (!s->fd_exhausted) {
        s->fd_exhausted = true;
        PC_LOG(PC_LOGL_ERROR, 0,
               "out of file descriptors (" PC_ERR_FMT "): new clients are turned away until "
               "connections close; raise the limit (LimitNOFILE=, ulimit -n)",
               PC_ERR_ARGS(err));
    }
}

static void
accept_one(pc_listener_t *l)
{
    pc_server_t *s = l->server;
    int err;

    err = pc_conn_accept(s, (uv_stream_t *)&l->tcp, pc_conf_ref(s->conf), s->alog, new_id(s));
    if (err == UV_EMFILE || err == UV_ENFILE) {
        out_of_fds(s, err);
    } else if (err != 0 && err != PC_E_DENIED_ACL && err != PC_E_DENIED_LIMIT) {
        PC_LOG(PC_LOGL_WARN, 0, "accept failed: " PC_ERR_FMT, PC_ERR_ARGS(err));
    } else if (err == 0 && s->fd_exhausted) {
        s->fd_exhausted = false;
        PC_LOG(PC_LOGL_WARN, 0, "file descriptors available again: accepting clients");
    }
}

static void
log_full(const pc_server_t *s)
{
    const char *what = client_limit(s) < max_clients_share(s)
                           ? "the descriptor limit's client count"
                           : "MaxClients";

    if (s->opts.count == 1) {
        PC_LOG(PC_LOGL_WARN, 0, "%s (%u) reached; new clients wait", what, client_limit(s));
    } else {
        PC_LOG(PC_LOGL_WARN, 0,
               "worker %u: its share of %s (%u of %u workers) reached; "
               "new clients wait",
               s->opts.index, what, client_limit(s), s->opts.count);
    }
}

static void
on_connection(uv_stream_t *server, int status)
{
    pc_listener_t *l = server->data;
    pc_server_t *s = l->server;

    if (status == UV_EMFILE || status == UV_ENFILE) {
        out_of_fds(s, status);
        return;
    }
    if (status != 0) {
        PC_LOG(PC_LOGL_WARN, 0, "listener error: " PC_ERR_FMT, PC_ERR_ARGS(status));
        return;
    }
    if (s->stopping) {
        return;
    }
    if (s->num_conns >= client_limit(s)) {
        if (!l->pending) {
            log_full(s);
        }
        l->pending = true;
        return;
    }
    accept_one(l);
}

static void
on_handle_closed(uv_handle_t *h)
{
    pc_server_t *s = h->data;

    s->open_handles--;
    maybe_done(s);
}

/*
 * Binds l for li: alone, or as worker 0 sharing by dup(), with libuv;
 * with SO_REUSEPORT every worker's own socket (the others on worker 0's
 * port); or, sharing by dup(), a copy of worker 0's socket.
 */
static int
bind_listener(pc_server_t *s, const pc_listen_t *li, size_t k, pc_listener_t *l)
{
    const pc_server_opts_t *o = &s->opts;
    struct sockaddr_storage ss;
    uv_os_sock_t sock;
    int err;

    pc__sockaddr_from_addr(&li->addr, li->port, &ss);
    if (o->count == 1 || (o->mode == PC_LISTEN_SHARED && o->index == 0)) {
        return uv_tcp_bind(&l->tcp, (const struct sockaddr *)&ss,
                           li->addr.family == 6 ? UV_TCP_IPV6ONLY : 0);
    }
    if (o->mode == PC_LISTEN_SHARED) {
        err = pc_platform_dup_socket(&o->first->listeners[k].tcp, &sock);
    } else {
        if (o->index > 0) {
            pc__sockaddr_from_addr(&li->addr, o->first->listeners[k].port, &ss);
        }
        err = pc_platform_reuseport_socket((const struct sockaddr *)&ss, &sock);
    }
    if (err == 0) {
        err = uv_tcp_open(&l->tcp, sock);
        if (err != 0) {
            pc_platform_close_socket(sock);
        }
    }
    return err;
}

static void
log_listening(const pc_server_t *s, const char *text, int err)
{
    if (err != 0) {
        PC_LOG(PC_LOGL_ERROR, 0, "cannot listen on %s: " PC_ERR_FMT, text, PC_ERR_ARGS(err));
    } else if (s->opts.index == 0) {
        PC_LOG(PC_LOGL_INFO, 0, "listening on %s", text);
    } else {
        PC_LOG(PC_LOGL_DEBUG, 0, "worker %u listening on %s", s->opts.index, text);
    }
}

static int
start_listener(pc_server_t *s, const pc_listen_t *li, size_t k, pc_listener_t *l)
{
    struct sockaddr_storage ss, bound;
    int len = (int)sizeof(bound), err;
    char text[80];

    l->server = s;
    uv_tcp_init(s->loop, &l->tcp);
    l->tcp.data = l;
    l->open = true;
    s->open_handles++;
    err = bind_listener(s, li, k, l);
    if (err == 0) {
        err = uv_listen((uv_stream_t *)&l->tcp, 511, on_connection);
    }
    if (err == 0) {
        err = uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&bound, &len);
    }
    if (err == 0) {
        l->port = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                                              : ntohs(((struct sockaddr_in *)&bound)->sin_port);
    }
    pc__sockaddr_from_addr(&li->addr, li->port, &ss);
    pc__sockaddr_format(err == 0 ? (const struct sockaddr *)&bound : (const struct sockaddr *)&ss,
                        text, sizeof(text));
    log_listening(s, text, err);
    return err;
}

static void
close_listeners(pc_server_t *s)
{
    size_t i;

    for (i = 0; i < s->num_listeners; i++) {
        if (s->listeners[i].open) {
            s->listeners[i].open = false;
            s->listeners[i].tcp.data = s;
            uv_close((uv_handle_t *)&s->listeners[i].tcp, on_handle_closed);
        }
    }
}

/*
 * A proxied client costs two descriptors (its own and the origin's); the
 * process needs some of its own (listeners, loop, logs, resolver). Rather
 * than run into EMFILE, where new clients can only be turned away, clients
 * beyond what the limit holds wait in the backlog, as with MaxClients.
 */
static void
plan_descriptors(pc_server_t *s)
{
    unsigned long limit = pc_platform_fd_limit(), total;
    /* Each more worker: its loop (epoll, async) and its listening sockets. */
    unsigned long reserve = 32 + (s->opts.count - 1) * (4 + (unsigned long)s->conf->num_listen);

    s->fd_cap = UINT_MAX;
    if (limit == 0) {
        return;
    }
    total = limit > reserve + 2 ? (limit - reserve) / 2 : 1;
    s->fd_cap = total / s->opts.count > 0 ? (unsigned)(total / s->opts.count) : 1;
    if (s->opts.index == 0 && total < s->conf->max_clients) {
        PC_LOG(PC_LOGL_WARN, 0,
               "the descriptor limit (%lu, ulimit -n or LimitNOFILE=) holds %lu clients at once, "
               "fewer than MaxClients %u: the others wait",
               limit, total, s->conf->max_clients);
    }
}

int
pc_server_start(uv_loop_t *loop, pc_conf_t *conf, pc_access_log_t *access_log,
                const pc_server_opts_t *opts, pc_server_t **out)
{
    pc_server_t *s = calloc(1, sizeof(*s));
    size_t i;
    int err = 0;

    if (s == NULL || pc_buf_pool_create(PC_BUF_SIZE, PC_BUF_POOL_MIN_FREE, &s->bufs) != 0) {
        free(s);
        return UV_ENOMEM;
    }
    s->loop = loop;
    s->conf = pc_conf_ref(conf);
    s->alog = access_log;
    s->opts = *opts;
    s->next_id = opts->index + 1;
    pc_metrics_init(&s->metrics, pc_log_now_ms());
    s->metrics.worker = opts->index;
    if (pc_dns_cache_create(PC_DNS_CACHE_SIZE, PC_DNS_CACHE_TTL_MS, PC_DNS_NEGATIVE_TTL_MS, &s->dns)
        != 0) {
        s->dns = NULL; /* resolve every time */
    }
    if (pc_upstream_pool_create(loop, conf->origin_keepalive_max, conf->origin_keepalive_ms,
                                &s->pool)
        != 0) {
        s->pool = NULL; /* every request connects */
    }
    plan_descriptors(s);
    for (i = 0; i < conf->num_listen && err == 0; i++) {
        err = start_listener(s, &conf->listen[i], i, &s->listeners[i]);
        s->num_listeners++;
    }
    if (err != 0) {
        s->stopping = true;
        close_listeners(s);
        return err;
    }
    *out = s;
    return 0;
}

static void
close_all(pc_server_t *s)
{
    pc_conn_t *c = s->conns, *next;

    while (c != NULL) {
        next = c->next;
        pc_conn_close(c);
        c = next;
    }
}

static void
on_grace_over(uv_timer_t *t)
{
    pc_server_t *s = t->data;

    if (s->num_conns > 0) {
        PC_LOG(PC_LOGL_WARN, 0, "grace period over: closing %zu connection(s)", s->num_conns);
    }
    close_all(s);
}

void
pc_server_stop(pc_server_t *s, uint64_t grace_ms, pc_server_done_cb done_cb, void *data)
{
    pc_conn_t *c, *next;

    if (s->stopping) {
        close_all(s); /* asked twice: do not wait any longer */
        return;
    }
    s->stopping = true;
    s->done_cb = done_cb;
    s->done_data = data;
    close_listeners(s);
    for (c = s->conns; c != NULL; c = next) {
        next = c->next;
        if (pc_conn_is_idle(c)) {
            pc_conn_close(c);
        }
    }
    uv_timer_init(s->loop, &s->grace);
    s->grace.data = s;
    s->grace_open = true;
    s->open_handles++;
    uv_timer_start(&s->grace, on_grace_over, grace_ms, 0);
    maybe_done(s);
}

void
pc_server_set_admin_address(pc_server_t *s, const struct sockaddr *sa)
{
    s->has_admin = true;
    pc__sockaddr_to_addr(sa, &s->admin_addr);
    s->admin_port = sa->sa_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)sa)->sin6_port)
                                              : ntohs(((const struct sockaddr_in *)sa)->sin_port);
}

static bool
is_unspecified(const pc_addr_t *a)
{
    static const uint8_t zero[16];

    return memcmp(a->bytes, zero, a->family == 4 ? 4 : 16) == 0;
}

bool
pc__server_is_admin(const pc_server_t *s, const struct sockaddr *sa)
{
    pc_addr_t a;
    uint16_t port;

    if (!s->has_admin) {
        return false;
    }
    port = sa->sa_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)sa)->sin6_port)
                                     : ntohs(((const struct sockaddr_in *)sa)->sin_port);
    if (port != s->admin_port) {
        return false;
    }
    pc__sockaddr_to_addr(sa, &a);
    if (is_unspecified(&s->admin_addr)) {
        /* Listening on every address: any address of this machine reaches it;
         * loopback and the unspecified address are the ones a client can name. */
        return pc_addr_is_loopback(&a) || is_unspecified(&a);
    }
    return a.family == s->admin_addr.family
           && memcmp(a.bytes, s->admin_addr.bytes, a.family == 4 ? 4 : 16) == 0;
}

/* ---- connections per client address: one table for all workers ---------- */

unsigned
pc__server_addr_acquire(pc_server_t *s, const pc_addr_t *a)
{
    pc_server_shared_t *sh = s->opts.shared;
    unsigned n;

    uv_mutex_lock(&sh->lock);
    n = pc_addr_limit_acquire(&sh->addrs, a);
    uv_mutex_unlock(&sh->lock);
    return n;
}

static void
addr_release(pc_server_t *s, const pc_addr_t *a)
{
    pc_server_shared_t *sh = s->opts.shared;

    uv_mutex_lock(&sh->lock);
    pc_addr_limit_release(&sh->addrs, a);
    uv_mutex_unlock(&sh->lock);
}

pc_metrics_t *
pc_server_metrics(pc_server_t *s)
{
    return &s->metrics;
}

void
pc_server_refresh_metrics(pc_server_t *s)
{
    pc_dns_cache_stats_t st;
    pc_upstream_pool_stats_t ps;

    if (s->pool != NULL) {
        pc_upstream_pool_stats(s->pool, &ps);
        s->metrics.origin_reused = ps.reused;
        s->metrics.origin_idle = ps.idle;
    }
    if (s->dns != NULL) {
        pc_dns_cache_stats(s->dns, &st);
        s->metrics.dns_hits = st.hits;
        s->metrics.dns_misses = st.misses;
        s->metrics.dns_evictions = st.evictions;
        s->metrics.dns_entries = st.entries;
    }
}

uint64_t
pc__server_next_id(pc_server_t *s)
{
    return new_id(s);
}

pc_dns_cache_t *
pc__server_dns(pc_server_t *s)
{
    return s->dns;
}

pc_buf_pool_t *
pc__server_bufs(pc_server_t *s)
{
    return s->bufs;
}

pc_upstream_pool_t *
pc__server_pool(pc_server_t *s)
{
    return s->stopping ? NULL : s->pool;
}

pc_conf_t *
pc__server_conf(const pc_server_t *s)
{
    return s->conf;
}

void
pc_server_set_conf(pc_server_t *s, pc_conf_t *conf)
{
    pc_conf_t *old = s->conf;

    s->conf = pc_conf_ref(conf);
    pc_conf_unref(old);
    if (s->pool != NULL) {
        pc_upstream_pool_configure(s->pool, conf->origin_keepalive_max, conf->origin_keepalive_ms);
    }
}
