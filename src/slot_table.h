/*
 * slot_table.h: the open-addressing index under both rule tables.
 *
 * Pure. A slot is (ref, hash): ref names an entry in the owner's storage
 * (0 = empty slot), hash is the entry key's full 32-bit hash, so most
 * probes that miss are rejected without touching the entry. Linear probing
 * over a power-of-two table kept at most half full: lookups at run time are
 * mostly misses, and misses are what a fuller table makes slow. The owner
 * compares keys (pc_slot_find calls it back only on a full-hash match);
 * this module walks the probes, grows the table and mixes hashes.
 */
#ifndef PC_SLOT_TABLE_H
#define PC_SLOT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t ref;  /* the owner's entry reference; 0 = empty */
    uint32_t hash; /* full hash of the entry's key */
} pc_slot_t;

typedef struct {
    pc_slot_t *slots; /* owned; cap slots, cap a power of two (or 0) */
    size_t cap;
} pc_slot_table_t;

#define PC_FNV_OFFSET 2166136261u
#define PC_FNV_PRIME  16777619u

/* One FNV-1a step. */
static inline uint32_t
pc_hash_step(uint32_t h, uint8_t byte)
{
    return (h ^ byte) * PC_FNV_PRIME;
}

/*
 * FNV-1a alone leaves the low bits weak for power-of-two tables; this is
 * the murmur3 finaliser, which spreads every input bit over all 32.
 */
static inline uint32_t
pc_hash_finish(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static inline size_t
pc_slot_first(const pc_slot_table_t *t, uint32_t hash)
{
    return hash & (t->cap - 1);
}

static inline size_t
pc_slot_next(const pc_slot_table_t *t, size_t i)
{
    return (i + 1) & (t->cap - 1);
}

/* True if the entry ref holds the key (the owner's comparison). */
typedef bool (*pc_slot_eq_fn)(const void *owner, uint32_t ref, const void *key);

/* The slot holding key, or the empty slot where it would go (cap > 0). */
static inline pc_slot_t *
pc_slot_find(const pc_slot_table_t *t, uint32_t hash, pc_slot_eq_fn eq, const void *owner,
             const void *key)
{
    size_t i = pc_slot_first(t, hash);

    while (t->slots[i].ref != 0 && !(t->slots[i].hash == hash && eq(owner, t->slots[i].ref, key))) {
        i = pc_slot_next(t, i);
    }
    return &t->slots[i];
}

/*
 * Makes sure one more entry fits while the table holds count entries:
 * doubles it (first size first_cap, a power of two) when needed and
 * re-inserts every slot by its stored hash. Returns 0 or PC_E_NOMEM (the
 * table is unchanged then).
 */
int pc_slot_table_reserve(pc_slot_table_t *t, size_t count, size_t first_cap);

void pc_slot_table_free(pc_slot_table_t *t);

#endif
