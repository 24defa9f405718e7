/*
 * upstream.h: resolving a target and connecting to it.
 *
 * Resolution runs on libuv's thread pool (uv_getaddrinfo), never on the loop;
 * IP literals and names in the loop's cache (dns_cache.h) skip it. Every resolved address the
 * caller admits is tried in turn until one connects. The object owns its TCP handle; the caller
 * reads and writes the stream once connected and closes it with pc_upstream_close().
 */
#ifndef PC_UPSTREAM_H
#define PC_UPSTREAM_H

#include <stdbool.h>

#include <uv.h>

#include "dns_cache.h"
#include "target.h"

typedef struct pc_upstream_s pc_upstream_t;

/*
 * status is 0 or the last error (UV_E*, including UV_EAI_* for resolution),
 * or PC_E_DENIED_FILTER when admit refused every address.
 */
typedef void (*pc_upstream_connect_cb)(pc_upstream_t *up, int status, void *data);
/* Asked before each address is tried; false skips it (destination policy). */
typedef bool (*pc_upstream_admit_cb)(const struct sockaddr *sa, void *data);
typedef void (*pc_upstream_closed_cb)(void *data);

/*
 * Starts resolving and connecting to t. dns (may be NULL: no cache) is the
 * loop's resolution cache: a name found there is not resolved again, and
 * what a resolution finds goes into it. admit (may be NULL) vets each
 * address before it is tried. cb runs exactly once unless the object is
 * closed first, possibly before this returns (a cached "no such name", or
 * every address refused). Both get data. Returns 0, or an error (then cb
 * never runs and nothing is allocated).
 */
int pc_upstream_connect(uv_loop_t *loop, pc_dns_cache_t *dns, const pc_target_t *t,
                        pc_upstream_admit_cb admit, pc_upstream_connect_cb cb, void *data,
                        pc_upstream_t **out);

/* The connected stream (valid after a successful connect callback). */
uv_stream_t *pc_upstream_stream(pc_upstream_t *up);

/*
 * Reading the connected stream goes through its current reader: alloc gives
 * a buffer, read gets what libuv read (as uv_read_cb), both with owner.
 * Changing the reader does not touch the read state, so a connection can go
 * from a client connection to the pool of idle ones and back while reading
 * stays on: no epoll change per request. A new, or taken, upstream has a
 * reader that stops reading at the first event.
 */
typedef void (*pc_upstream_alloc_fn)(void *owner, uv_buf_t *buf);
typedef void (*pc_upstream_read_fn)(void *owner, ssize_t nread, const uv_buf_t *buf);
void pc_upstream_set_reader(pc_upstream_t *up, pc_upstream_alloc_fn alloc, pc_upstream_read_fn read,
                            void *owner);
/* Starts or stops reading; nothing happens when it already is so. 0 or a UV_E* code. */
int pc_upstream_read(pc_upstream_t *up, bool on);

/* The address that was connected to (family AF_UNSPEC before the connect). */
const struct sockaddr *pc_upstream_peer_addr(const pc_upstream_t *up);

/*
 * Cancels whatever is pending and closes the handle. The connect callback
 * will not run after this. closed_cb(data) runs once everything is released
 * (the caller may count it as an open handle until then); it may run before
 * pc_upstream_close() returns.
 */
void pc_upstream_close(pc_upstream_t *up, pc_upstream_closed_cb closed_cb, void *data);

#endif
