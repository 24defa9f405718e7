/*
 * buf_pool.c: the free list of fixed-size I/O blocks of one loop (see
 * buf_pool.h).
 *
 * The free list is intrusive: a free block's first bytes hold the pointer
 * to the next one, so the list costs no memory of its own. Blocks come from
 * malloc, which aligns them for any object, the list node included.
 */
#include "buf_pool.h"

#include "portcullis/error.h"

#include <stdlib.h>

typedef struct free_block_s {
    struct free_block_s *next;
} free_block_t;

struct pc_buf_pool_s {
    size_t block_size;
    size_t min_free;
    free_block_t *free_list;
    pc_buf_pool_stats_t stats;
};

int
pc_buf_pool_create(size_t block_size, size_t min_free, pc_buf_pool_t **out)
{
    pc_buf_pool_t *p = calloc(1, sizeof(*p));

    if (p == NULL) {
        return PC_E_NOMEM;
    }
    p->block_size = block_size < sizeof(free_block_t) ? sizeof(free_block_t) : block_size;
    p->min_free = min_free;
    *out = p;
    return 0;
}

/* Takes the first free block off the list (the list is not empty). */
static char *
pop_free(pc_buf_pool_t *p)
{
    free_block_t *b = p->free_list;

    p->free_list = b->next;
    p->stats.free--;
    return (char *)b;
}

void
pc_buf_pool_free(pc_buf_pool_t *p)
{
    if (p == NULL) {
        return;
    }
    while (p->free_list != NULL) {
        free(pop_free(p));
    }
    free(p);
}

char *
pc_buf_pool_get(pc_buf_pool_t *p)
{
    char *block;

    if (p->free_list != NULL) {
        block = pop_free(p);
    } else {
        block = malloc(p->block_size);
        if (block == NULL) {
            return NULL;
        }
        p->stats.allocs++;
    }
    p->stats.in_use++;
    p->stats.gets++;
    return block;
}

/* How many free blocks the list may keep now. */
static size_t
free_bound(const pc_buf_pool_t *p)
{
    return p->stats.in_use > p->min_free ? p->stats.in_use : p->min_free;
}

void
pc_buf_pool_put(pc_buf_pool_t *p, char *block)
{
    free_block_t *b = (free_block_t *)(void *)block;

    p->stats.in_use--;
    p->stats.puts++;
    /* The bound falls with in_use: shed one more block than this one when
     * the list is over it, so the list follows the bound down. */
    if (p->stats.free > free_bound(p)) {
        free(pop_free(p));
        p->stats.releases++;
    }
    if (p->stats.free >= free_bound(p)) {
        free(block);
        p->stats.releases++;
        return;
    }
    b->next = p->free_list;
    p->free_list = b;
    p->stats.free++;
}

size_t
pc_buf_pool_block_size(const pc_buf_pool_t *p)
{
    return p->block_size;
}

void
pc_buf_pool_stats(const pc_buf_pool_t *p, pc_buf_pool_stats_t *out)
{
    *out = p->stats;
}
