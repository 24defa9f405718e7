/*
 * server.h: listeners, accepting, the set of live connections, draining.
 *
 * One server runs on one loop (a worker; workers.c runs one per worker). It
 * owns its listening sockets and knows every live connection, so it can
 * stop accepting at once and then drain: idle connections close, busy ones
 * finish their transaction, and whatever is left when the grace period ends
 * is closed. Everything in it is touched on its own loop's thread only,
 * except the pc_server_shared_t, which has a lock.
 */
#ifndef PC_SERVER_H
#define PC_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "access_log.h"
#include "conf.h"
#include "addr_limit.h"
#include "metrics.h"
#include "portcullis/log.h"
#include "portcullis/platform.h"

typedef struct pc_server_s pc_server_t;
typedef void (*pc_server_done_cb)(void *data);

/* What the servers of all workers share; owned by their creator, outlives them. */
typedef struct {
    uv_mutex_t lock;       /* guards addrs */
    pc_addr_limit_t addrs; /* connections per client address, all workers (MaxClientsPerAddress) */
} pc_server_shared_t;

/* Which worker a server is, among how many. */
typedef struct {
    unsigned index;             /* 0 .. count-1; worker 0 logs what concerns the process */
    unsigned count;             /* workers running: each gets 1/count of MaxClients */
    pc_listen_mode_t mode;      /* how the workers share the Listen addresses (count > 1) */
    const pc_server_t *first;   /* index > 0: worker 0's server, started, whose ports to share */
    pc_server_shared_t *shared; /* borrowed */
} pc_server_opts_t;

/*
 * Binds and listens on every Listen address of conf, logging
 * "listening on ADDR:PORT" for each (worker 0; the others at debug level).
 * Worker 0 starts first; the others bind the ports it got (Listen ...:0).
 * conf: the server takes a reference. access_log: borrowed, may be NULL.
 * opts: copied. Returns 0 or UV_E* (with the failing address logged); on
 * error nothing is left open (once the loop runs the close callbacks).
 * Call it on the thread that will run loop, or before that thread starts.
 */
int pc_server_start(uv_loop_t *loop, pc_conf_t *conf, pc_access_log_t *access_log,
                    const pc_server_opts_t *opts, pc_server_t **out);

/*
 * Stops accepting (listening sockets closed at once), closes idle
 * connections, lets busy ones finish for grace_ms, then closes the rest.
 * done_cb runs once every handle of the server is closed; the server is
 * freed right after. Calling it again forces the remaining connections closed.
 */
void pc_server_stop(pc_server_t *s, uint64_t grace_ms, pc_server_done_cb done_cb, void *data);

/*
 * Makes conf (the server takes a reference) the snapshot for connections
 * accepted from now on; existing connections keep theirs until their next
 * request begins (pc__server_conf). Listen addresses are not changed.
 */
void pc_server_set_conf(pc_server_t *s, pc_conf_t *conf);

/*
 * The admin listener's bound address: the proxy refuses to connect there,
 * so a proxy client cannot reach /metrics through the proxy (where the
 * admin would see the proxy's own loopback address).
 */
void pc_server_set_admin_address(pc_server_t *s, const struct sockaddr *sa);

/* The server's counters (metrics.h), fed on the loop; valid until it is done. */
pc_metrics_t *pc_server_metrics(pc_server_t *s);
/* Copies the figures kept elsewhere (the resolution cache's) into the metrics. */
void pc_server_refresh_metrics(pc_server_t *s);

#endif
