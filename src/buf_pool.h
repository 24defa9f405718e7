/*
 * buf_pool.h: fixed-size I/O blocks for one loop (worker), recycled through
 * a free list.
 *
 * A connection holds a relay block only while the block holds bytes: it is
 * taken when a read needs room and given back as soon as the bytes have
 * been written on. Without the pool every read of a busy connection would
 * cost a malloc and a free; with it, a block comes off the free list.
 *
 * The free list is bounded so that a burst does not pin its peak for ever:
 * it keeps at most max(min_free, in_use) blocks. min_free covers the
 * ordinary churn of a quiet worker; the in_use term lets a busy worker,
 * whose blocks come and go by the hundred, recycle them without going back
 * to malloc, while capping what it keeps at as many blocks as are in use
 * (half of the peak footprint). When the traffic goes, the list shrinks
 * back to min_free as the blocks are returned.
 *
 * Not thread-safe: each loop has its own pool. Pure C, no libuv.
 */
#ifndef PC_BUF_POOL_H
#define PC_BUF_POOL_H

#include <stddef.h>
#include <stdint.h>

typedef struct pc_buf_pool_s pc_buf_pool_t;

typedef struct {
    size_t in_use;       /* blocks handed out and not returned */
    size_t free;         /* blocks on the free list */
    uint64_t allocs;     /* blocks obtained from malloc */
    uint64_t releases;   /* blocks given back to free() (over the bound, or at the end) */
    uint64_t gets, puts; /* every take and every return */
} pc_buf_pool_stats_t;

/*
 * A pool of block_size blocks (at least sizeof(void *)) whose free list
 * keeps up to max(min_free, blocks in use) blocks. 0 or PC_E_NOMEM.
 */
int pc_buf_pool_create(size_t block_size, size_t min_free, pc_buf_pool_t **out);

/* Frees the pool and its free blocks; every block must have been returned. NULL is allowed. */
void pc_buf_pool_free(pc_buf_pool_t *p);

/* A block of the pool's size (contents undefined), or NULL when memory ran out. */
char *pc_buf_pool_get(pc_buf_pool_t *p);

/* Returns a block that pc_buf_pool_get() of the same pool handed out. */
void pc_buf_pool_put(pc_buf_pool_t *p, char *block);

size_t pc_buf_pool_block_size(const pc_buf_pool_t *p);

void pc_buf_pool_stats(const pc_buf_pool_t *p, pc_buf_pool_stats_t *out);

#endif
