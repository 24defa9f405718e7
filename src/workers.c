/*
 * workers.c: the worker threads (see workers.h). It owns every worker's
 * server, mailbox and wake-up handle, the loops and threads of workers
 * 1..N-1, the table the servers share, and the metric gathers in flight.
 *
 * Threads meet only here, through the pool's mutex and uv_async_send:
 *   main -> worker (w->wake):    a snapshot to apply, a stop, a gather
 *   worker -> main (p->reap):    a snapshot applied, a loop ended
 *   worker -> main (g->async):   the last worker added its counters to g
 * A worker's server, connections and counters are touched on its own
 * thread only; the main thread never reads them (a gather asks the worker).
 */
#include "workers.h"

#include "conf_load.h"
#include "portcullis/error.h"
#include "portcullis/log.h"
#include "portcullis/platform.h"
#include "server.h"

#include <stdlib.h>
#include <string.h>

typedef struct gather_s gather_t;

/* One sum of every worker's counters in the making. */
struct gather_s {
    uv_async_t async; /* on the main loop: every worker has added its counters */
    uv_mutex_t lock;  /* guards acc (each worker adds under it) */
    pc_metrics_t acc; /* the sum */
    unsigned pending; /* workers still to add (pool lock) */
    gather_t *next;   /* the pool's list of gathers in flight (pool lock) */
    pc_workers_gather_cb cb;
    void *data;
    bool merged[PC_MAX_WORKERS]; /* (pool lock) */
};

typedef struct {
    struct pc_workers_s *pool; /* borrowed: back-pointer */
    unsigned index;
    uv_loop_t own;   /* workers 1..N-1: their loop */
    uv_loop_t *loop; /* the main loop or &own */
    uv_thread_t thread;
    bool thread_started;  /* main thread only */
    bool ended;           /* main thread only: loop closed, thread joined */
    uv_async_t wake;      /* on loop: there is mail */
    pc_server_t *server;  /* owned; the worker's thread only; NULL once done */
    unsigned stops_taken; /* the worker's thread only */

    /* The mailbox and what the main thread learns back (pool lock). */
    pc_conf_t *mail_conf; /* ref: a snapshot to apply */
    uint64_t mail_seq, applied_seq;
    unsigned mail_stops; /* stop requests posted */
    bool finished;       /* the server is done: no more mail */
    bool exited;         /* the thread's loop has returned */
} worker_t;

struct pc_workers_s {
    uv_loop_t *main;      /* borrowed */
    unsigned count;       /* workers created */
    worker_t *w;          /* owned: count of them */
    pc_conf_t *conf;      /* ref: the last snapshot given (main thread) */
    uv_mutex_t lock;      /* guards the mailboxes, the gathers list, deadline_ns */
    uv_async_t reap;      /* on the main loop: a worker applied a snapshot or ended */
    gather_t *gathers;    /* in flight */
    uint64_t deadline_ns; /* the latest stop's end of grace (uv_hrtime; UINT64_MAX: none) */
    pc_server_shared_t shared;

    /* The main thread only. */
    uint64_t conf_seq;
    pc_workers_conf_cb conf_cb;
    void *conf_data;
    unsigned ended;
    bool stopping, reap_closing, clean;
    pc_workers_done_cb done_cb;
    void *done_data;
};

/* ---- sums of counters ---------------------------------------------------- */

/* Worker i is in g's sum (pool lock held); the last one wakes the main loop. */
static void
gather_count(pc_workers_t *p, gather_t *g, unsigned i)
{
    gather_t **pp;

    g->merged[i] = true;
    if (--g->pending > 0) {
        return;
    }
    for (pp = &p->gathers; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == g) {
            *pp = g->next;
            break;
        }
    }
    uv_async_send(&g->async);
}

/*
 * The worker's thread, pool lock held: its counters into every gather that
 * waits for them (a worker that has finished counts with nothing).
 */
static void
merge_gathers_locked(worker_t *w, bool finished)
{
    pc_workers_t *p = w->pool;
    gather_t *g, *next;

    for (g = p->gathers; g != NULL; g = next) {
        next = g->next;
        if (g->merged[w->index]) {
            continue;
        }
        if (!finished && w->server != NULL) {
            pc_server_refresh_metrics(w->server);
            uv_mutex_lock(&g->lock);
            pc_metrics_merge(&g->acc, pc_server_metrics(w->server));
            uv_mutex_unlock(&g->lock);
        }
        gather_count(p, g, w->index);
    }
}

static void
on_gather_closed(uv_handle_t *h)
{
    gather_t *g = h->data;

    pc_metrics_free(&g->acc);
    uv_mutex_destroy(&g->lock);
    free(g);
}

/* The main loop: every worker has added its counters. */
static void
on_gathered(uv_async_t *a)
{
    gather_t *g = a->data;

    uv_mutex_lock(&g->lock); /* what the workers wrote is visible */
    uv_mutex_unlock(&g->lock);
    g->cb(&g->acc, g->data);
    uv_close((uv_handle_t *)&g->async, on_gather_closed);
}

int
pc_workers_gather(pc_workers_t *p, pc_workers_gather_cb cb, void *data)
{
    gather_t *g = calloc(1, sizeof(*g));
    unsigned i;

    if (g == NULL || uv_mutex_init(&g->lock) != 0) {
        free(g);
        return UV_ENOMEM;
    }
    pc_metrics_init(&g->acc, 0);
    g->cb = cb;
    g->data = data;
    uv_async_init(p->main, &g->async, on_gathered);
    g->async.data = g;
    uv_mutex_lock(&p->lock);
    g->pending = p->count + 1; /* held by this call until every worker is asked */
    g->next = p->gathers;
    p->gathers = g;
    for (i = 0; i < p->count; i++) {
        if (p->w[i].finished) {
            gather_count(p, g, i);
        } else {
            uv_async_send(&p->w[i].wake);
        }
    }
    g->pending--;
    if (g->pending == 0) {
        p->gathers = g->next; /* it is still first: nothing else was added meanwhile */
        uv_async_send(&g->async);
    }
    uv_mutex_unlock(&p->lock);
    return 0;
}

/* ---- the end ------------------------------------------------------------- */

static void
on_reap_closed(uv_handle_t *h)
{
    pc_workers_t *p = h->data;
    pc_workers_done_cb cb = p->done_cb;
    void *data = p->done_data;
    bool clean = p->clean;

    pc_addr_limit_free(&p->shared.addrs);
    uv_mutex_destroy(&p->shared.lock);
    uv_mutex_destroy(&p->lock);
    pc_conf_unref(p->conf);
    free(p->w);
    free(p);
    if (cb != NULL) {
        cb(clean, data);
    }
}

static void
maybe_all_ended(pc_workers_t *p)
{
    if (p->ended < p->count || p->reap_closing) {
        return;
    }
    p->reap_closing = true;
    p->conf_cb = NULL; /* a snapshot handed out meanwhile needs no word any more */
    uv_close((uv_handle_t *)&p->reap, on_reap_closed);
}

/* A worker 1..N-1 whose loop has returned: its thread is joined, its loop closed. */
static void
end_thread_worker(pc_workers_t *p, worker_t *w)
{
    if (w->thread_started) {
        uv_thread_join(&w->thread);
    }
    if (uv_loop_close(&w->own) != 0) {
        PC_LOG(PC_LOGL_ERROR, 0, "worker %u: event loop closed with handles still open", w->index);
        p->clean = false;
    }
    w->ended = true;
    p->ended++;
}

/* Worker 0's wake-up handle is closed: it has ended. */
static void
on_main_wake_closed(uv_handle_t *h)
{
    worker_t *w = h->data;

    w->ended = true;
    w->pool->ended++;
    maybe_all_ended(w->pool);
}

/* The worker's thread: its server is done (or never started); no more mail. */
static void
worker_finish(worker_t *w)
{
    pc_workers_t *p = w->pool;
    pc_conf_t *conf;

    w->server = NULL;
    uv_mutex_lock(&p->lock);
    merge_gathers_locked(w, true); /* with finished, in one hold: no gather waits for it */
    w->finished = true;
    conf = w->mail_conf;
    w->mail_conf = NULL;
    uv_mutex_unlock(&p->lock);
    pc_conf_unref(conf);
    uv_close((uv_handle_t *)&w->wake, w->index == 0 ? on_main_wake_closed : NULL);
    uv_async_send(&p->reap); /* a snapshot waits for one worker fewer */
}

static void
on_server_done(void *data)
{
    worker_finish(data);
}

/* ---- mail ---------------------------------------------------------------- */

static void
apply_conf(worker_t *w, pc_conf_t *conf, uint64_t seq)
{
    pc_workers_t *p = w->pool;

    if (w->server != NULL) {
        pc_server_set_conf(w->server, conf);
    }
    pc_conf_unref(conf);
    uv_mutex_lock(&p->lock);
    w->applied_seq = seq;
    uv_mutex_unlock(&p->lock);
    uv_async_send(&p->reap);
}

static void
stop_server(worker_t *w, uint64_t deadline_ns)
{
    uint64_t now = uv_hrtime(), grace_ms;

    if (deadline_ns == UINT64_MAX) {
        grace_ms = UINT64_MAX;
    } else {
        grace_ms = deadline_ns > now ? (deadline_ns - now) / 1000000u : 0;
    }
    pc_server_stop(w->server, grace_ms, on_server_done, w);
}

/* The worker's thread: reads its mailbox. */
static void
on_wake(uv_async_t *a)
{
    worker_t *w = a->data;
    pc_workers_t *p = w->pool;
    pc_conf_t *conf;
    uint64_t seq, deadline;
    unsigned stops;

    uv_mutex_lock(&p->lock);
    conf = w->mail_conf;
    w->mail_conf = NULL;
    seq = w->mail_seq;
    stops = w->mail_stops - w->stops_taken;
    w->stops_taken = w->mail_stops;
    deadline = p->deadline_ns;
    merge_gathers_locked(w, false);
    uv_mutex_unlock(&p->lock);
    if (conf != NULL) {
        apply_conf(w, conf, seq);
    }
    if (stops > 0 && w->server == NULL) {
        worker_finish(w); /* its server never started */
        return;
    }
    for (; stops > 0 && w->server != NULL; stops--) {
        stop_server(w, deadline);
    }
}

/* The main loop: reports an applied snapshot; joins the threads whose loop ended. */
static void
on_reap(uv_async_t *a)
{
    pc_workers_t *p = a->data;
    pc_workers_conf_cb cb = NULL;
    bool all_applied = true;
    unsigned i;

    uv_mutex_lock(&p->lock);
    for (i = 0; i < p->count; i++) {
        all_applied = all_applied && (p->w[i].finished || p->w[i].applied_seq >= p->conf_seq);
    }
    uv_mutex_unlock(&p->lock);
    if (all_applied && p->conf_cb != NULL) {
        cb = p->conf_cb;
        p->conf_cb = NULL;
        cb(p->conf_data);
    }
    for (i = 1; i < p->count; i++) {
        bool exited;

        uv_mutex_lock(&p->lock);
        exited = p->w[i].exited;
        uv_mutex_unlock(&p->lock);
        if (exited && !p->w[i].ended) {
            end_thread_worker(p, &p->w[i]);
        }
    }
    maybe_all_ended(p);
}

void
pc_workers_set_conf(pc_workers_t *p, pc_conf_t *conf, pc_workers_conf_cb applied_cb, void *data)
{
    pc_conf_t *old = p->conf, *drop;
    unsigned i;

    p->conf = pc_conf_ref(conf);
    pc_conf_unref(old);
    p->conf_seq++;
    p->conf_cb = applied_cb;
    p->conf_data = data;
    for (i = 0; i < p->count; i++) {
        uv_mutex_lock(&p->lock);
        drop = p->w[i].mail_conf;
        p->w[i].mail_conf = NULL;
        if (!p->w[i].finished) {
            p->w[i].mail_conf = pc_conf_ref(conf);
            p->w[i].mail_seq = p->conf_seq;
            uv_async_send(&p->w[i].wake);
        }
        uv_mutex_unlock(&p->lock);
        pc_conf_unref(drop);
    }
    uv_async_send(&p->reap); /* every worker may have stopped already */
}

pc_conf_t *
pc_workers_conf(const pc_workers_t *p)
{
    return p->conf;
}

/* ---- threads ------------------------------------------------------------- */

static void
worker_main(void *arg)
{
    worker_t *w = arg;
    pc_workers_t *p = w->pool;

    uv_run(w->loop, UV_RUN_DEFAULT);
    uv_mutex_lock(&p->lock);
    w->exited = true;
    uv_mutex_unlock(&p->lock);
    uv_async_send(&p->reap);
}

int
pc_workers_run(pc_workers_t *p)
{
    unsigned i;
    int err;

    for (i = 1; i < p->count; i++) {
        err = uv_thread_create(&p->w[i].thread, worker_main, &p->w[i]);
        if (err != 0) {
            PC_LOG(PC_LOGL_ERROR, 0, "cannot start worker %u: " PC_ERR_FMT, i, PC_ERR_ARGS(err));
            return err;
        }
        p->w[i].thread_started = true;
    }
    return 0;
}

/*
 * A worker 1..N-1 whose thread never started: stopped here, on the main
 * thread, its loop run until everything in it has closed.
 */
static void
stop_unstarted(pc_workers_t *p, worker_t *w)
{
    if (w->server != NULL) {
        pc_server_stop(w->server, 0, on_server_done, w);
    } else if (!w->finished) {
        worker_finish(w);
    }
    uv_run(&w->own, UV_RUN_DEFAULT);
    end_thread_worker(p, w);
}

void
pc_workers_stop(pc_workers_t *p, uint64_t grace_ms, pc_workers_done_cb done_cb, void *data)
{
    unsigned i;

    if (!p->stopping) {
        p->stopping = true;
        p->done_cb = done_cb;
        p->done_data = data;
    }
    uv_mutex_lock(&p->lock);
    p->deadline_ns = grace_ms == UINT64_MAX ? UINT64_MAX : uv_hrtime() + grace_ms * 1000000u;
    for (i = 0; i < p->count; i++) {
        p->w[i].mail_stops++;
        if ((i == 0 || p->w[i].thread_started) && !p->w[i].finished) {
            uv_async_send(&p->w[i].wake);
        }
    }
    uv_mutex_unlock(&p->lock);
    for (i = 1; i < p->count; i++) {
        if (!p->w[i].thread_started && !p->w[i].ended) {
            stop_unstarted(p, &p->w[i]);
        }
    }
    maybe_all_ended(p);
}

bool
pc_workers_stopping(const pc_workers_t *p)
{
    return p->stopping;
}

unsigned
pc_workers_num(const pc_workers_t *p)
{
    return p->count;
}

void
pc_workers_set_admin_address(pc_workers_t *p, const struct sockaddr *sa)
{
    unsigned i;

    for (i = 0; i < p->count; i++) {
        if (p->w[i].server != NULL) {
            pc_server_set_admin_address(p->w[i].server, sa);
        }
    }
}

/* ---- start --------------------------------------------------------------- */

/* The CPUs this process may use: the platform's affinity count, else libuv's CPU list. */
static unsigned
cpu_count(void)
{
    unsigned n = pc_platform_cpu_count();
    uv_cpu_info_t *info;
    int k = 0;

    if (n > 0) {
        return n;
    }
    if (uv_cpu_info(&info, &k) != 0) {
        return 1;
    }
    uv_free_cpu_info(info, k);
    return k > 0 ? (unsigned)k : 1;
}

unsigned
pc_workers_count(const pc_conf_t *conf)
{
    unsigned n = conf->workers != 0 ? conf->workers : cpu_count();

    if (n > PC_MAX_WORKERS) {
        n = PC_MAX_WORKERS;
    }
    if (n > 1 && pc_platform_listen_mode() == PC_LISTEN_SINGLE) {
        if (conf->workers > 1) {
            PC_LOG(PC_LOGL_WARN, 0, "Workers %u: this system runs one worker", conf->workers);
        }
        n = 1;
    }
    return n;
}

/* Worker i: its loop (1..N-1), its wake-up handle, its server. */
static int
start_worker(pc_workers_t *p, unsigned i, unsigned n, pc_conf_t *conf, pc_access_log_t *alog)
{
    worker_t *w = &p->w[i];
    pc_server_opts_t o;
    int err;

    w->pool = p;
    w->index = i;
    w->loop = p->main;
    if (i > 0) {
        err = uv_loop_init(&w->own);
        if (err != 0) {
            PC_LOG(PC_LOGL_ERROR, 0, "worker %u: cannot create its loop: " PC_ERR_FMT, i,
                   PC_ERR_ARGS(err));
            return err;
        }
        w->loop = &w->own;
    }
    uv_async_init(w->loop, &w->wake, on_wake);
    w->wake.data = w;
    p->count = i + 1; /* from here on it is stopped with the others */
    memset(&o, 0, sizeof(o));
    o.index = i;
    o.count = n;
    o.mode = pc_platform_listen_mode();
    o.first = p->w[0].server;
    o.shared = &p->shared;
    return pc_server_start(w->loop, conf, alog, &o, &w->server);
}

static pc_workers_t *
pool_new(uv_loop_t *main, pc_conf_t *conf, unsigned n)
{
    pc_workers_t *p = calloc(1, sizeof(*p));

    if (p == NULL) {
        return NULL;
    }
    p->w = calloc(n, sizeof(*p->w));
    if (p->w == NULL || uv_mutex_init(&p->lock) != 0) {
        free(p->w);
        free(p);
        return NULL;
    }
    if (uv_mutex_init(&p->shared.lock) != 0) {
        uv_mutex_destroy(&p->lock);
        free(p->w);
        free(p);
        return NULL;
    }
    p->main = main;
    p->conf = pc_conf_ref(conf);
    p->clean = true;
    p->deadline_ns = UINT64_MAX;
    uv_async_init(main, &p->reap, on_reap);
    p->reap.data = p;
    return p;
}

int
pc_workers_start(uv_loop_t *main, pc_conf_t *conf, pc_access_log_t *alog, pc_workers_t **out)
{
    unsigned n = pc_workers_count(conf), i;
    pc_workers_t *p = pool_new(main, conf, n);
    int err = 0;

    if (p == NULL) {
        PC_LOG(PC_LOGL_ERROR, 0, "cannot create the workers: out of memory");
        return UV_ENOMEM;
    }
    for (i = 0; i < n && err == 0; i++) {
        err = start_worker(p, i, n, conf, alog);
    }
    if (err != 0) {
        pc_workers_stop(p, 0, NULL, NULL); /* frees itself once main runs */
        return err;
    }
    if (n > 1) {
        PC_LOG(PC_LOGL_INFO, 0, "%u workers, %s", n,
               pc_platform_listen_mode() == PC_LISTEN_REUSEPORT
                   ? "each with its own listening sockets (SO_REUSEPORT)"
                   : "sharing the listening sockets");
    }
    *out = p;
    return 0;
}
