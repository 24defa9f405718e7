/*
 * addr_limit.c: the per-address connection counts (see addr_limit.h). It
 * owns the table's slots and nothing else.
 */
#include "addr_limit.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t
addr_len(const pc_addr_t *a)
{
    return a->family == 4 ? 4 : 16;
}

static size_t
addr_hash(const pc_addr_t *a, size_t cap)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    size_t i, n = addr_len(a);

    for (i = 0; i < n; i++) {
        h = (h ^ a->bytes[i]) * 1099511628211ull;
    }
    return (size_t)h & (cap - 1);
}

static bool
addr_equal(const pc_addr_t *a, const pc_addr_t *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, addr_len(a)) == 0;
}

/* The slot of a, or the empty slot where it would go. cap must not be 0. */
static size_t
slot_of(const pc_addr_limit_t *t, const pc_addr_t *a)
{
    size_t i = addr_hash(a, t->cap);

    while (t->slots[i].n != 0 && !addr_equal(&t->slots[i].addr, a)) {
        i = (i + 1) & (t->cap - 1);
    }
    return i;
}

/* Doubles the table (kept at most half full). false if memory ran out. */
static bool
grow(pc_addr_limit_t *t)
{
    struct pc_addr_count_s *old = t->slots;
    size_t old_cap = t->cap, i;

    t->cap = old_cap != 0 ? old_cap * 2 : 64;
    t->slots = calloc(t->cap, sizeof(*t->slots));
    if (t->slots == NULL) {
        t->slots = old;
        t->cap = old_cap;
        return false;
    }
    for (i = 0; i < old_cap; i++) {
        if (old[i].n != 0) {
            t->slots[slot_of(t, &old[i].addr)] = old[i];
        }
    }
    free(old);
    return true;
}

unsigned
pc_addr_limit_acquire(pc_addr_limit_t *t, const pc_addr_t *a)
{
    size_t i;

    if ((t->used + 1) * 2 > t->cap && !grow(t)) {
        return 0;
    }
    i = slot_of(t, a);
    if (t->slots[i].n == 0) {
        t->slots[i].addr = *a;
        t->used++;
    }
    return ++t->slots[i].n;
}

/* True if home k is cyclically within (i, j]: the entry at j may not move to i. */
static bool
stays(size_t k, size_t i, size_t j)
{
    return i <= j ? (k > i && k <= j) : (k > i || k <= j);
}

void
pc_addr_limit_release(pc_addr_limit_t *t, const pc_addr_t *a)
{
    size_t i, j;

    if (t->cap == 0) {
        return;
    }
    i = slot_of(t, a);
    if (t->slots[i].n == 0 || --t->slots[i].n > 0) {
        return;
    }
    /* Emptied: shift back the entries of the probe run that follows. */
    t->used--;
    for (j = (i + 1) & (t->cap - 1); t->slots[j].n != 0; j = (j + 1) & (t->cap - 1)) {
        if (!stays(addr_hash(&t->slots[j].addr, t->cap), i, j)) {
            t->slots[i] = t->slots[j];
            t->slots[j].n = 0;
            i = j;
        }
    }
}

unsigned
pc_addr_limit_count(const pc_addr_limit_t *t, const pc_addr_t *a)
{
    return t->cap == 0 ? 0 : t->slots[slot_of(t, a)].n;
}

void
pc_addr_limit_free(pc_addr_limit_t *t)
{
    free(t->slots);
    t->slots = NULL;
    t->cap = 0;
    t->used = 0;
}
