/*
 * domain_set.c: the domain rule table as a hash set of normalised names.
 *
 * Owns the table and the lookup walk. Layout, chosen for lists of a million
 * names:
 *   - every name is stored once in a single arena, with its rule data in
 *     front of it:
 *         [len:1][kinds:1][block rule:6][allow rule:6][name:len]
 *     kinds holds the block side's PC_KIND_* bits in the low nibble and the
 *     allow side's in the high nibble; a rule is a 32-bit line and a 16-bit
 *     list index, copied in and out with memcpy (the arena is not aligned).
 *     A million names cost a few large allocations, not a million small ones;
 *   - the index is a slot_table: a slot holds the arena offset of the entry
 *     and the full hash of its name.
 * The hash is computed over the bytes from the last one backwards. A lookup
 * then walks the host once from the right and has the hash of each label
 * suffix ("com", "example.com", "a.example.com") ready at each dot: one probe
 * per label and no allocation.
 */
#include "domain_set.h"

#include "slot_table.h"
#include "target.h"

#include "portcullis/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Offsets inside an arena entry. */
#define E_LEN     0
#define E_KINDS   1
#define E_RULE    2 /* side s's rule at E_RULE + s * RULE_SIZE */
#define RULE_SIZE 6
#define E_NAME    (E_RULE + PC_SIDES * RULE_SIZE)

struct pc_domain_set_s {
    pc_slot_table_t index; /* slot ref = arena offset of the entry */
    size_t count;
    uint8_t *arena; /* owned; entries as above; byte 0 unused */
    size_t arena_len;
    size_t arena_cap;
};

static uint32_t
hash_name(const char *s, size_t len)
{
    uint32_t h = PC_FNV_OFFSET;

    while (len > 0) {
        h = pc_hash_step(h, (uint8_t)s[--len]);
    }
    return pc_hash_finish(h);
}

typedef struct {
    const char *name;
    size_t len;
} name_key_t;

static bool
entry_is(const void *owner, uint32_t ref, const void *key)
{
    const uint8_t *e = ((const pc_domain_set_t *)owner)->arena + ref;
    const name_key_t *k = key;

    return e[E_LEN] == k->len && memcmp(e + E_NAME, k->name, k->len) == 0;
}

/* Returns the slot holding name, or the empty slot where it would go. */
static pc_slot_t *
find_slot(const pc_domain_set_t *s, const char *name, size_t len, uint32_t h)
{
    name_key_t k;

    k.name = name;
    k.len = len;
    return pc_slot_find(&s->index, h, entry_is, s, &k);
}

int
pc_domain_set_create(pc_domain_set_t **out)
{
    pc_domain_set_t *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        return PC_E_NOMEM;
    }
    *out = s;
    return 0;
}

void
pc_domain_set_free(pc_domain_set_t *s)
{
    if (s == NULL) {
        return;
    }
    pc_slot_table_free(&s->index);
    free(s->arena);
    s->arena = NULL;
    free(s);
}

/* Makes room for need more arena bytes; offsets must fit in 32 bits. */
static int
reserve_arena(pc_domain_set_t *s, size_t need)
{
    size_t cap;
    uint8_t *grown;

    if (s->arena_len + need <= s->arena_cap) {
        return 0;
    }
    if (s->arena_len + need > UINT32_MAX) {
        return PC_E_NOMEM;
    }
    cap = s->arena_cap != 0 ? s->arena_cap : 4096;
    while (cap < s->arena_len + need) {
        cap *= 2;
    }
    if (cap > UINT32_MAX) {
        cap = UINT32_MAX;
    }
    grown = realloc(s->arena, cap);
    if (grown == NULL) {
        return PC_E_NOMEM;
    }
    s->arena = grown;
    s->arena_cap = cap;
    if (s->arena_len == 0) {
        s->arena_len = 1; /* offset 0 marks an empty slot */
    }
    return 0;
}

/* Appends a new entry with no kinds on either side; returns its offset. */
static uint32_t
append_entry(pc_domain_set_t *s, const char *name, size_t len)
{
    uint8_t *e = s->arena + s->arena_len;
    uint32_t off = (uint32_t)s->arena_len;

    memset(e, 0, E_NAME);
    e[E_LEN] = (uint8_t)len;
    memcpy(e + E_NAME, name, len);
    s->arena_len += E_NAME + len;
    return off;
}

static void
put_rule(uint8_t *e, unsigned side, pc_rule_id_t rule)
{
    memcpy(e + E_RULE + side * RULE_SIZE, &rule.line, 4);
    memcpy(e + E_RULE + side * RULE_SIZE + 4, &rule.list, 2);
}

static pc_rule_id_t
get_rule(const uint8_t *e, unsigned side)
{
    pc_rule_id_t rule;

    memcpy(&rule.line, e + E_RULE + side * RULE_SIZE, 4);
    memcpy(&rule.list, e + E_RULE + side * RULE_SIZE + 4, 2);
    return rule;
}

/* The kinds of one side, from an entry's kinds byte. */
static unsigned
side_kinds(const uint8_t *e, unsigned side)
{
    return ((unsigned)e[E_KINDS] >> (side * 4)) & PC_KIND_ALL;
}

/* Returns the slot for name, inserting an empty entry if it is new. */
static int
find_or_insert(pc_domain_set_t *s, const char *name, size_t len, pc_slot_t **out)
{
    uint32_t h = hash_name(name, len);
    pc_slot_t *slot;
    int rc;

    rc = pc_slot_table_reserve(&s->index, s->count, 64);
    if (rc != 0) {
        return rc;
    }
    slot = find_slot(s, name, len, h);
    if (slot->ref == 0) {
        /* One spare byte covers the reserved offset 0 on the first insert. */
        rc = reserve_arena(s, E_NAME + len + 1);
        if (rc != 0) {
            return rc;
        }
        slot->ref = append_entry(s, name, len);
        slot->hash = h;
        s->count++;
    }
    *out = slot;
    return 0;
}

int
pc_domain_set_add(pc_domain_set_t *s, const char *name, size_t len, unsigned side, unsigned kind,
                  pc_rule_id_t rule)
{
    pc_slot_t *slot;
    uint8_t *e;
    int rc;

    if (s == NULL || name == NULL || len == 0 || len > PC_HOST_MAX || side >= PC_SIDES
        || (kind & PC_KIND_ALL) == 0) {
        return PC_E_BAD_HOST;
    }
    rc = find_or_insert(s, name, len, &slot);
    if (rc != 0) {
        return rc;
    }
    e = s->arena + slot->ref;
    if (side_kinds(e, side) == 0) {
        put_rule(e, side, rule);
    }
    e[E_KINDS] = (uint8_t)(e[E_KINDS] | (kind & PC_KIND_ALL) << (side * 4));
    return 0;
}

/* Records the entry's rules for every side whose kinds include one of
 * wanted. Called from the shortest suffix to the longest, so the longest
 * matching name is what is left in out. */
static void
note_hits(const uint8_t *e, unsigned wanted, pc_rule_match_t *out)
{
    unsigned side;

    for (side = 0; side < PC_SIDES; side++) {
        if ((side_kinds(e, side) & wanted) != 0) {
            out->hit[side] = true;
            out->rule[side] = get_rule(e, side);
        }
    }
}

void
pc_domain_set_lookup(const pc_domain_set_t *s, const char *host, size_t len, pc_rule_match_t *out)
{
    uint32_t h = PC_FNV_OFFSET;
    size_t i = len;

    memset(out, 0, sizeof(*out));
    if (s == NULL || s->count == 0 || host == NULL) {
        return;
    }
    /* Walk from the right; at each label start the running hash covers
     * exactly the suffix host[i..len). */
    while (i > 0) {
        i--;
        h = pc_hash_step(h, (uint8_t)host[i]);
        if (i == 0 || host[i - 1] == '.') {
            size_t n = len - i;
            const pc_slot_t *slot;

            if (n > PC_HOST_MAX) {
                continue;
            }
            slot = find_slot(s, host + i, n, pc_hash_finish(h));
            if (slot->ref != 0) {
                unsigned wanted =
                    i == 0 ? PC_KIND_SUBTREE | PC_KIND_EXACT : PC_KIND_SUBTREE | PC_KIND_SUBS_ONLY;

                note_hits(s->arena + slot->ref, wanted, out);
            }
        }
    }
}

size_t
pc_domain_set_count(const pc_domain_set_t *s)
{
    return s != NULL ? s->count : 0;
}

size_t
pc_domain_set_bytes(const pc_domain_set_t *s)
{
    if (s == NULL) {
        return 0;
    }
    return sizeof(*s) + s->index.cap * sizeof(pc_slot_t) + s->arena_cap;
}

void
pc_domain_set_trim(pc_domain_set_t *s)
{
    uint8_t *trimmed;

    if (s == NULL || s->arena == NULL || s->arena_len == s->arena_cap) {
        return;
    }
    /* Shrinking in place almost always succeeds; if it does not, the old
     * block is still valid and simply stays larger. */
    trimmed = realloc(s->arena, s->arena_len);
    if (trimmed != NULL) {
        s->arena = trimmed;
        s->arena_cap = s->arena_len;
    }
}
