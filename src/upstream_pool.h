/*
 * upstream_pool.h: idle origin connections kept for reuse, one pool per loop.
 *
 * After a plain HTTP transaction whose response framing was clear (a
 * Content-Length or chunked body read to its end, or no body), with HTTP/1.1
 * on both sides and no "Connection: close", the connection to the origin
 * goes into the pool instead of being closed. A later request to the same
 * host and port takes it and skips resolving and connecting.
 *
 * An idle connection is read while it waits: anything from the origin (its
 * close, a reset, or unasked-for bytes) ends it at once. Connections idle
 * longer than the pool's idle time are closed, and so is the oldest when the
 * pool is full. Taking one asks the caller's admit callback about its
 * address first, so a reload that blocks that address is obeyed.
 *
 * Not thread-safe: each loop (worker) has its own pool.
 */
#ifndef PC_UPSTREAM_POOL_H
#define PC_UPSTREAM_POOL_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "upstream.h"

typedef struct pc_upstream_pool_s pc_upstream_pool_t;

typedef struct {
    uint64_t reused;  /* connections taken from the pool */
    uint64_t stored;  /* connections put into the pool */
    uint64_t expired; /* closed after the idle time */
    uint64_t evicted; /* closed to make room, or refused by admit on take */
    uint64_t dropped; /* closed by the origin (or sent bytes) while idle */
    size_t idle;      /* connections in the pool now */
} pc_upstream_pool_stats_t;

/*
 * A pool on loop holding at most max_idle connections (0: the pool keeps
 * nothing; puts close), each for at most idle_ms. 0 or UV_ENOMEM.
 */
int pc_upstream_pool_create(uv_loop_t *loop, size_t max_idle, uint64_t idle_ms,
                            pc_upstream_pool_t **out);

/*
 * Closes every idle connection and the pool's timer; done(data) runs once
 * all of them are released (possibly before this returns). The pool is
 * freed then; puts after this close the connection.
 */
void pc_upstream_pool_close(pc_upstream_pool_t *p, void (*done)(void *), void *data);

/*
 * Takes ownership of up, a connected upstream between requests (nothing
 * unread, nothing being written), as a connection to host:port. Its reader
 * becomes the pool's, and reading is left on (started if it was not).
 */
void pc_upstream_pool_put(pc_upstream_pool_t *p, pc_upstream_t *up, const char *host,
                          uint16_t port);

/*
 * An idle connection to host:port whose address admit(sa, data) accepts
 * (admit may be NULL), newest first, or NULL. The caller owns it and closes
 * it with pc_upstream_close(); it is still being read (reading stays on
 * across owners, see pc_upstream_set_reader), by a reader that stops at the
 * first event until the caller sets its own. Connections
 * admit refuses are closed.
 */
pc_upstream_t *pc_upstream_pool_take(pc_upstream_pool_t *p, const char *host, uint16_t port,
                                     pc_upstream_admit_cb admit, void *data);

/*
 * Changes the bounds (a reload): connections past the new size, or idle past
 * the new time, are closed by the next put or sweep.
 */
void pc_upstream_pool_configure(pc_upstream_pool_t *p, size_t max_idle, uint64_t idle_ms);

void pc_upstream_pool_stats(const pc_upstream_pool_t *p, pc_upstream_pool_stats_t *out);

#endif
