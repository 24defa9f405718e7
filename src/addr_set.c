/*
 * addr_set.c: the address rule table, a hash of CIDR blocks.
 *
 * Owns the table and the lookup. The key of a block is (family, prefix
 * length, network bytes with the host bits cleared). Entries live in one
 * growing array, indexed by a slot_table (slot ref = entry index + 1).
 * Each family keeps a bitmap
 * of the prefix lengths in use, so a lookup masks the address to each used
 * length, longest first, and probes once per length: the cost depends on how
 * many different lengths the lists use, not on how many rules they hold.
 */
#include "addr_set.h"

#include "slot_table.h"

#include "portcullis/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define V6_BITS   128u
#define LEN_WORDS 3 /* 129 prefix lengths (0..128) in 64-bit words */

typedef struct {
    uint8_t bytes[16]; /* network bytes, host bits clear; IPv4 uses 4 */
    uint8_t family;    /* 4 or 6 */
    uint8_t prefix;
    uint8_t sides; /* bit s set: side s has a rule */
    pc_rule_id_t rule[PC_SIDES];
} entry_t;

struct pc_addr_set_s {
    entry_t *entries; /* owned; count used of entries_cap */
    size_t count;
    size_t entries_cap;
    pc_slot_table_t index;       /* slot ref = entry index + 1 */
    uint64_t lens[2][LEN_WORDS]; /* [0] IPv4, [1] IPv6: prefix lengths in use */
    size_t per_side[PC_SIDES];   /* blocks with a rule on each side */
};

static unsigned
family_bits(int family)
{
    return family == 4 ? 32u : V6_BITS;
}

static unsigned
family_bytes(int family)
{
    return family == 4 ? 4u : 16u;
}

/* Copies the first prefix bits of in (nbytes long) to out, the rest zero. */
static void
mask_bytes(const uint8_t *in, unsigned nbytes, unsigned prefix, uint8_t out[16])
{
    unsigned whole = prefix / 8, rest = prefix % 8;

    memset(out, 0, 16);
    memcpy(out, in, whole);
    if (rest != 0 && whole < nbytes) {
        out[whole] = (uint8_t)(in[whole] & (0xffu << (8 - rest)));
    }
}

static uint32_t
hash_key(int family, unsigned prefix, const uint8_t *bytes)
{
    uint32_t h = PC_FNV_OFFSET;
    unsigned i, n = family_bytes(family);

    h = pc_hash_step(h, (uint8_t)family);
    h = pc_hash_step(h, (uint8_t)prefix);
    for (i = 0; i < n; i++) {
        h = pc_hash_step(h, bytes[i]);
    }
    return pc_hash_finish(h);
}

typedef struct {
    int family;
    unsigned prefix;
    const uint8_t *bytes;
} block_key_t;

static bool
entry_is(const void *owner, uint32_t ref, const void *key)
{
    const entry_t *e = &((const pc_addr_set_t *)owner)->entries[ref - 1];
    const block_key_t *k = key;

    return e->family == k->family && e->prefix == k->prefix
           && memcmp(e->bytes, k->bytes, family_bytes(k->family)) == 0;
}

/* Returns the slot holding the key, or the empty slot where it would go. */
static pc_slot_t *
find_slot(const pc_addr_set_t *s, int family, unsigned prefix, const uint8_t *bytes, uint32_t h)
{
    block_key_t k;

    k.family = family;
    k.prefix = prefix;
    k.bytes = bytes;
    return pc_slot_find(&s->index, h, entry_is, s, &k);
}

int
pc_addr_set_create(pc_addr_set_t **out)
{
    pc_addr_set_t *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        return PC_E_NOMEM;
    }
    *out = s;
    return 0;
}

void
pc_addr_set_free(pc_addr_set_t *s)
{
    if (s == NULL) {
        return;
    }
    free(s->entries);
    s->entries = NULL;
    pc_slot_table_free(&s->index);
    free(s);
}

/* Makes room for one more entry; indexes must fit in 32 bits. */
static int
reserve_entry(pc_addr_set_t *s)
{
    size_t cap;
    entry_t *grown;

    if (s->count < s->entries_cap) {
        return 0;
    }
    cap = s->entries_cap != 0 ? s->entries_cap * 2 : 16;
    if (cap >= UINT32_MAX || cap > SIZE_MAX / sizeof(*grown)) {
        return PC_E_NOMEM;
    }
    grown = realloc(s->entries, cap * sizeof(*grown));
    if (grown == NULL) {
        return PC_E_NOMEM;
    }
    s->entries = grown;
    s->entries_cap = cap;
    return 0;
}

/* Returns the entry for the key, inserting one without rules if new. */
static int
find_or_insert(pc_addr_set_t *s, int family, unsigned prefix, const uint8_t *bytes, entry_t **out)
{
    uint32_t h = hash_key(family, prefix, bytes);
    pc_slot_t *slot;
    int rc;

    rc = pc_slot_table_reserve(&s->index, s->count, 16);
    if (rc != 0) {
        return rc;
    }
    slot = find_slot(s, family, prefix, bytes, h);
    if (slot->ref == 0) {
        entry_t *e;

        rc = reserve_entry(s);
        if (rc != 0) {
            return rc;
        }
        e = &s->entries[s->count];
        memset(e, 0, sizeof(*e));
        memcpy(e->bytes, bytes, 16);
        e->family = (uint8_t)family;
        e->prefix = (uint8_t)prefix;
        s->count++;
        slot->ref = (uint32_t)s->count;
        slot->hash = h;
        s->lens[family == 4 ? 0 : 1][prefix / 64] |= UINT64_C(1) << (prefix % 64);
    }
    *out = &s->entries[slot->ref - 1];
    return 0;
}

/* A block inside ::ffff:0:0/96 becomes the IPv4 block it maps. */
static void
unmap_block(pc_addr_t *net, unsigned *prefix)
{
    if (net->family == 6 && *prefix >= 96) {
        pc_addr_unmap(net);
        if (net->family == 4) {
            *prefix -= 96;
        }
    }
}

int
pc_addr_set_add(pc_addr_set_t *s, const pc_addr_t *net, unsigned prefix, unsigned side,
                pc_rule_id_t rule)
{
    pc_addr_t key;
    uint8_t bytes[16];
    entry_t *e;
    int rc;

    if (s == NULL || net == NULL || side >= PC_SIDES || (net->family != 4 && net->family != 6)
        || prefix > family_bits(net->family)) {
        return PC_E_CONF_VALUE;
    }
    key = *net;
    unmap_block(&key, &prefix);
    mask_bytes(key.bytes, family_bytes(key.family), prefix, bytes);
    rc = find_or_insert(s, key.family, prefix, bytes, &e);
    if (rc != 0) {
        return rc;
    }
    if ((e->sides & (1u << side)) == 0) {
        e->sides = (uint8_t)(e->sides | 1u << side);
        e->rule[side] = rule;
        s->per_side[side]++;
    }
    return 0;
}

/* Probes the block of a at one prefix length; notes sides not yet hit. */
static void
probe_length(const pc_addr_set_t *s, const pc_addr_t *a, unsigned prefix, pc_rule_match_t *out)
{
    uint8_t bytes[16];
    const pc_slot_t *slot;
    const entry_t *e;
    unsigned side;

    mask_bytes(a->bytes, family_bytes(a->family), prefix, bytes);
    slot = find_slot(s, a->family, prefix, bytes, hash_key(a->family, prefix, bytes));
    if (slot->ref == 0) {
        return;
    }
    e = &s->entries[slot->ref - 1];
    for (side = 0; side < PC_SIDES; side++) {
        if (!out->hit[side] && (e->sides & (1u << side)) != 0) {
            out->hit[side] = true;
            out->rule[side] = e->rule[side];
        }
    }
}

void
pc_addr_set_lookup(const pc_addr_set_t *s, const pc_addr_t *a, pc_rule_match_t *out)
{
    pc_addr_t key;
    const uint64_t *lens;
    unsigned prefix;

    memset(out, 0, sizeof(*out));
    if (s == NULL || s->count == 0 || a == NULL || (a->family != 4 && a->family != 6)) {
        return;
    }
    key = *a;
    pc_addr_unmap(&key);
    lens = s->lens[key.family == 4 ? 0 : 1];
    /* Longest prefix first, so the most specific block names the rule. */
    for (prefix = family_bits(key.family) + 1; prefix-- > 0;) {
        if ((lens[prefix / 64] >> (prefix % 64) & 1u) == 0) {
            continue;
        }
        probe_length(s, &key, prefix, out);
        if (out->hit[PC_SIDE_ALLOW] && out->hit[PC_SIDE_BLOCK]) {
            return;
        }
    }
}

bool
pc_addr_set_has_side(const pc_addr_set_t *s, unsigned side)
{
    return s != NULL && side < PC_SIDES && s->per_side[side] > 0;
}

size_t
pc_addr_set_count(const pc_addr_set_t *s)
{
    return s != NULL ? s->count : 0;
}

size_t
pc_addr_set_bytes(const pc_addr_set_t *s)
{
    if (s == NULL) {
        return 0;
    }
    return sizeof(*s) + s->index.cap * sizeof(pc_slot_t) + s->entries_cap * sizeof(entry_t);
}
