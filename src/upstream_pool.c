/*
 * upstream_pool.c: the idle origin connections of one loop (see
 * upstream_pool.h).
 *
 * Entries are on two lists: a hash chain by host and port (for take) and
 * one list in the order they were put, newest first (for expiry and for
 * making room, which both start from the oldest). One repeating timer runs
 * while the pool holds anything. Every connection the pool closes is counted
 * until libuv releases it, so that pc_upstream_pool_close() can say when
 * the last one is gone.
 */
#include "upstream_pool.h"

#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS  256 /* power of two */
#define SWEEP_MS 1000

typedef struct entry_s entry_t;

struct entry_s {
    entry_t *newer, *older; /* the put-order list */
    entry_t *chain;         /* the hash bucket */
    pc_upstream_pool_t *pool;
    pc_upstream_t *up; /* owned */
    uint64_t since;    /* loop time of the put */
    uint32_t hash;
    uint16_t port;
    char host[256];
};

struct pc_upstream_pool_s {
    uv_loop_t *loop;
    uv_timer_t timer;
    entry_t *buckets[BUCKETS];
    entry_t *newest, *oldest;
    size_t max_idle;
    uint64_t idle_ms;
    int releasing; /* connections closed and not yet released, plus the timer */
    bool timer_running;
    bool closing;
    void (*done)(void *);
    void *done_data;
    char scratch[64]; /* read buffer for idle connections: what arrives ends them */
    pc_upstream_pool_stats_t stats;
};

static uint32_t
hash_key(const char *host, uint16_t port)
{
    uint32_t h = 2166136261u ^ port; /* FNV-1a over the name, seeded with the port */

    for (; *host != '\0'; host++) {
        h = (h ^ (unsigned char)*host) * 16777619u;
    }
    return h;
}

static void
maybe_done(pc_upstream_pool_t *p)
{
    void (*done)(void *) = p->done;

    if (!p->closing || p->releasing > 0) {
        return;
    }
    p->done = NULL;
    if (done != NULL) {
        done(p->done_data);
    }
    free(p);
}

static void
on_released(void *data)
{
    pc_upstream_pool_t *p = data;

    p->releasing--;
    maybe_done(p);
}

static void
on_timer_closed(uv_handle_t *h)
{
    on_released(h->data);
}

/* Takes e off both lists and frees it; returns its connection. */
static pc_upstream_t *
remove_entry(pc_upstream_pool_t *p, entry_t *e)
{
    entry_t **link = &p->buckets[e->hash & (BUCKETS - 1)];
    pc_upstream_t *up = e->up;

    while (*link != e) {
        link = &(*link)->chain;
    }
    *link = e->chain;
    if (e->newer != NULL) {
        e->newer->older = e->older;
    } else {
        p->newest = e->older;
    }
    if (e->older != NULL) {
        e->older->newer = e->newer;
    } else {
        p->oldest = e->newer;
    }
    p->stats.idle--;
    free(e);
    if (p->stats.idle == 0 && p->timer_running) {
        uv_timer_stop(&p->timer);
        p->timer_running = false;
    }
    return up;
}

static void
close_up(pc_upstream_pool_t *p, pc_upstream_t *up)
{
    p->releasing++;
    pc_upstream_close(up, on_released, p);
}

static void
on_idle_alloc(void *owner, uv_buf_t *buf)
{
    entry_t *e = owner;

    *buf = uv_buf_init(e->pool->scratch, sizeof(e->pool->scratch));
}

/* Anything from an idle origin (its close, a reset, bytes nobody asked for) ends it. */
static void
on_idle_read(void *owner, ssize_t nread, const uv_buf_t *buf)
{
    entry_t *e = owner;
    pc_upstream_pool_t *p = e->pool;

    (void)buf;
    if (nread == 0) {
        return;
    }
    (void)pc_upstream_read(e->up, false);
    p->stats.dropped++;
    close_up(p, remove_entry(p, e));
}

static void
on_sweep(uv_timer_t *t)
{
    pc_upstream_pool_t *p = t->data;
    uint64_t now = uv_now(p->loop);

    while (p->oldest != NULL && now - p->oldest->since >= p->idle_ms) {
        p->stats.expired++;
        close_up(p, remove_entry(p, p->oldest));
    }
}

/* (Re)starts the sweep: every second, or every idle time when that is shorter. */
static void
start_sweeping(pc_upstream_pool_t *p)
{
    uint64_t every = p->idle_ms < SWEEP_MS ? p->idle_ms : SWEEP_MS;

    if (every == 0) {
        every = 1;
    }
    uv_timer_start(&p->timer, on_sweep, every, every);
    p->timer_running = true;
}

int
pc_upstream_pool_create(uv_loop_t *loop, size_t max_idle, uint64_t idle_ms,
                        pc_upstream_pool_t **out)
{
    pc_upstream_pool_t *p = calloc(1, sizeof(*p));

    if (p == NULL) {
        return UV_ENOMEM;
    }
    p->loop = loop;
    p->max_idle = max_idle;
    p->idle_ms = idle_ms;
    uv_timer_init(loop, &p->timer);
    p->timer.data = p;
    uv_unref((uv_handle_t *)&p->timer); /* idle connections alone do not keep a loop running */
    *out = p;
    return 0;
}

void
pc_upstream_pool_close(pc_upstream_pool_t *p, void (*done)(void *), void *data)
{
    p->closing = true;
    p->done = done;
    p->done_data = data;
    while (p->newest != NULL) {
        close_up(p, remove_entry(p, p->newest));
    }
    p->releasing++;
    uv_close((uv_handle_t *)&p->timer, on_timer_closed);
}

void
pc_upstream_pool_put(pc_upstream_pool_t *p, pc_upstream_t *up, const char *host, uint16_t port)
{
    entry_t *e;

    if (p->closing || p->max_idle == 0 || p->idle_ms == 0 || strlen(host) >= sizeof(e->host)
        || (e = calloc(1, sizeof(*e))) == NULL) {
        close_up(p, up);
        return;
    }
    while (p->stats.idle >= p->max_idle) {
        p->stats.evicted++;
        close_up(p, remove_entry(p, p->oldest));
    }
    e->pool = p;
    e->up = up;
    e->since = uv_now(p->loop);
    e->port = port;
    e->hash = hash_key(host, port);
    memcpy(e->host, host, strlen(host) + 1);
    pc_upstream_set_reader(up, on_idle_alloc, on_idle_read, e);
    if (pc_upstream_read(up, true) != 0) { /* usually it still is: no system call */
        free(e);
        close_up(p, up);
        return;
    }
    e->chain = p->buckets[e->hash & (BUCKETS - 1)];
    p->buckets[e->hash & (BUCKETS - 1)] = e;
    e->older = p->newest;
    if (p->newest != NULL) {
        p->newest->newer = e;
    } else {
        p->oldest = e;
    }
    p->newest = e;
    p->stats.idle++;
    p->stats.stored++;
    if (!p->timer_running) {
        start_sweeping(p);
    }
}

pc_upstream_t *
pc_upstream_pool_take(pc_upstream_pool_t *p, const char *host, uint16_t port,
                      pc_upstream_admit_cb admit, void *data)
{
    uint32_t h = hash_key(host, port);
    entry_t *e = p->buckets[h & (BUCKETS - 1)];

    while (e != NULL) {
        entry_t *next = e->chain;

        if (e->hash == h && e->port == port && strcmp(e->host, host) == 0) {
            pc_upstream_t *up = remove_entry(p, e);

            pc_upstream_set_reader(up, NULL, NULL, NULL); /* until the taker sets its own */
            if (admit == NULL || admit(pc_upstream_peer_addr(up), data)) {
                p->stats.reused++;
                return up;
            }
            p->stats.evicted++;
            close_up(p, up);
        }
        e = next;
    }
    return NULL;
}

void
pc_upstream_pool_configure(pc_upstream_pool_t *p, size_t max_idle, uint64_t idle_ms)
{
    p->max_idle = max_idle;
    p->idle_ms = idle_ms;
    if (p->timer_running) {
        start_sweeping(p);
    }
}

void
pc_upstream_pool_stats(const pc_upstream_pool_t *p, pc_upstream_pool_stats_t *out)
{
    *out = p->stats;
}
