/*
 * addr_limit.h: live connections counted per client address
 * (MaxClientsPerAddress).
 *
 * Pure and single-threaded: the caller that shares one table between
 * workers guards it with a lock of its own (server.c). A zeroed table is a
 * valid empty one.
 */
#ifndef PC_ADDR_LIMIT_H
#define PC_ADDR_LIMIT_H

#include <stddef.h>

#include "addr.h"

/* Open addressing, linear probing, deletion by backward shift; cap is a power of two. */
typedef struct {
    struct pc_addr_count_s {
        pc_addr_t addr;
        unsigned n; /* 0: empty slot */
    } * slots;      /* owned; cap entries, at most half of them used */
    size_t cap;
    size_t used; /* addresses with at least one connection */
} pc_addr_limit_t;

/*
 * Counts one more connection from a; returns how many there are now, or 0
 * when the table cannot grow (out of memory; nothing was counted).
 */
unsigned pc_addr_limit_acquire(pc_addr_limit_t *t, const pc_addr_t *a);

/* Counts one connection from a less (nothing if a has none). */
void pc_addr_limit_release(pc_addr_limit_t *t, const pc_addr_t *a);

/* The connections from a counted now. */
unsigned pc_addr_limit_count(const pc_addr_limit_t *t, const pc_addr_t *a);

/* Frees the slots; the table is empty (and valid) again. */
void pc_addr_limit_free(pc_addr_limit_t *t);

#endif
