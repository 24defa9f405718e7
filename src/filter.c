/*
 * filter.c: the domain blocklist as a hash set of normalised names.
 *
 * Owns the set and the list-file reader. Layout, chosen for lists of a
 * million names:
 *   - every name is stored once in a single arena as [length byte][bytes],
 *     so a million names cost a few large allocations, not a million small
 *     ones;
 *   - the table is open addressing with linear probing; a slot holds the
 *     arena offset (0 = empty) and the full 32-bit hash, so almost every
 *     probe that is not a hit is rejected without touching the arena.
 * The hash is computed over the bytes from the last one backwards. A lookup
 * can then walk the host once from the right and have the hash of each label
 * suffix ("com", "example.com", "a.example.com") ready at each dot: one probe
 * per label and no allocation. The load factor stays at or below 1/2 because
 * most probes at run time are misses, and misses are what a fuller
 * linear-probing table makes slow.
 */
#include "filter.h"

#include "target.h"
#include "text.h"

#include "portcullis/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN PC_HOST_MAX

typedef struct {
    uint32_t off;  /* arena offset of the entry's length byte; 0 = empty */
    uint32_t hash; /* full hash of the name */
} slot_t;

struct pc_filter_s {
    slot_t *slots; /* owned; cap entries, cap a power of two (or 0) */
    size_t cap;
    size_t count;
    char *arena; /* owned; entries as [len][bytes]; byte 0 unused */
    size_t arena_len;
    size_t arena_cap;
};

#define FNV_OFFSET 2166136261u
#define FNV_PRIME  16777619u

/* One step of FNV-1a. */
static uint32_t
hash_step(uint32_t h, char c)
{
    return (h ^ (uint8_t)c) * FNV_PRIME;
}

/* FNV-1a alone leaves the low bits weak for power-of-two tables; this is
 * the murmur3 finaliser, which spreads every input bit over all 32. */
static uint32_t
hash_finish(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static uint32_t
hash_name(const char *s, size_t len)
{
    uint32_t h = FNV_OFFSET;

    while (len > 0) {
        h = hash_step(h, s[--len]);
    }
    return hash_finish(h);
}

/* Returns the slot holding name, or the empty slot where it would go. */
static slot_t *
find_slot(const pc_filter_t *f, const char *s, size_t len, uint32_t h)
{
    size_t mask = f->cap - 1;
    size_t i = h & mask;

    for (;;) {
        slot_t *slot = &f->slots[i];

        if (slot->off == 0) {
            return slot;
        }
        if (slot->hash == h) {
            const char *e = f->arena + slot->off;

            if ((uint8_t)e[0] == len && memcmp(e + 1, s, len) == 0) {
                return slot;
            }
        }
        i = (i + 1) & mask;
    }
}

int
pc_filter_create(pc_filter_t **out)
{
    pc_filter_t *f = calloc(1, sizeof(*f));

    if (f == NULL) {
        return PC_E_NOMEM;
    }
    *out = f;
    return 0;
}

void
pc_filter_free(pc_filter_t *f)
{
    if (f == NULL) {
        return;
    }
    free(f->slots);
    f->slots = NULL;
    free(f->arena);
    f->arena = NULL;
    free(f);
}

/* Doubles the table (or makes the first one) and re-inserts every entry by
 * its stored hash; the names themselves are not read. */
static int
grow_table(pc_filter_t *f)
{
    size_t cap = f->cap != 0 ? f->cap * 2 : 64;
    slot_t *slots;
    size_t i;

    if (cap > SIZE_MAX / sizeof(*slots)) {
        return PC_E_NOMEM;
    }
    slots = calloc(cap, sizeof(*slots));
    if (slots == NULL) {
        return PC_E_NOMEM;
    }
    for (i = 0; i < f->cap; i++) {
        size_t j;

        if (f->slots[i].off == 0) {
            continue;
        }
        j = f->slots[i].hash & (cap - 1);
        while (slots[j].off != 0) {
            j = (j + 1) & (cap - 1);
        }
        slots[j] = f->slots[i];
    }
    free(f->slots);
    f->slots = slots;
    f->cap = cap;
    return 0;
}

/* Makes room for need more arena bytes; offsets must fit in 32 bits. */
static int
reserve_arena(pc_filter_t *f, size_t need)
{
    size_t cap;
    char *grown;

    if (f->arena_len + need <= f->arena_cap) {
        return 0;
    }
    if (f->arena_len + need > UINT32_MAX) {
        return PC_E_NOMEM;
    }
    cap = f->arena_cap != 0 ? f->arena_cap : 4096;
    while (cap < f->arena_len + need) {
        cap *= 2;
    }
    if (cap > UINT32_MAX) {
        cap = UINT32_MAX;
    }
    grown = realloc(f->arena, cap);
    if (grown == NULL) {
        return PC_E_NOMEM;
    }
    f->arena = grown;
    f->arena_cap = cap;
    if (f->arena_len == 0) {
        f->arena_len = 1; /* offset 0 marks an empty slot */
    }
    return 0;
}

/* Inserts an already normalised, valid name. */
static int
insert_name(pc_filter_t *f, const char *s, size_t len)
{
    uint32_t h = hash_name(s, len);
    slot_t *slot;
    int rc;

    if (f->cap == 0 || (f->count + 1) * 2 > f->cap) {
        rc = grow_table(f);
        if (rc != 0) {
            return rc;
        }
    }
    slot = find_slot(f, s, len, h);
    if (slot->off != 0) {
        return 0; /* duplicate */
    }
    /* One spare byte covers the reserved offset 0 on the first insert. */
    rc = reserve_arena(f, len + 2);
    if (rc != 0) {
        return rc;
    }
    f->arena[f->arena_len] = (char)(uint8_t)len;
    memcpy(f->arena + f->arena_len + 1, s, len);
    slot->off = (uint32_t)f->arena_len;
    slot->hash = h;
    f->arena_len += len + 1;
    f->count++;
    return 0;
}

int
pc_filter_add(pc_filter_t *f, const char *domain, size_t len)
{
    char name[NAME_MAX_LEN + 1];
    size_t n;

    if (domain == NULL) {
        return PC_E_BAD_HOST;
    }
    n = pc_host_normalise(domain, len, name);
    if (n == 0) {
        return PC_E_BAD_HOST;
    }
    return insert_name(f, name, n);
}

size_t
pc_filter_count(const pc_filter_t *f)
{
    return f != NULL ? f->count : 0;
}

bool
pc_filter_match(const pc_filter_t *f, const char *host, size_t len)
{
    uint32_t h = FNV_OFFSET;
    size_t i = len;

    if (f == NULL || f->count == 0 || host == NULL) {
        return false;
    }
    /* Walk from the right; at each label start the running hash covers
     * exactly the suffix host[i..len). */
    while (i > 0) {
        i--;
        h = hash_step(h, host[i]);
        if (i == 0 || host[i - 1] == '.') {
            size_t n = len - i;
            uint32_t fh = hash_finish(h);

            if (n <= NAME_MAX_LEN && find_slot(f, host + i, n, fh)->off != 0) {
                return true;
            }
        }
    }
    return false;
}

/* Quoted line text is cut here: enough to find the line, short enough to
 * keep one bad byte-soup line from flooding the log. */
#define QUOTE_MAX  64
#define ORIGIN_MAX 200

/* Writes "<origin>:<line>: <what>[ '<text>']" into err, bounded and safe. */
static void
list_error(char *err, size_t err_cap, const char *origin, size_t line, const char *what,
           const char *text, size_t text_len)
{
    char o[ORIGIN_MAX + 4], q[QUOTE_MAX + 4];

    if (err == NULL || err_cap == 0) {
        return;
    }
    if (origin == NULL) {
        origin = "(list)";
    }
    pc_text_quote(o, origin, strlen(origin), ORIGIN_MAX);
    if (text != NULL) {
        snprintf(err, err_cap, "%s:%zu: %s '%s'", o, line, what,
                 pc_text_quote(q, text, text_len, QUOTE_MAX));
    } else {
        snprintf(err, err_cap, "%s:%zu: %s", o, line, what);
    }
}

/* Trims spaces and tabs at both ends of [*s, *s + *len). */
static void
trim_blanks(const char **s, size_t *len)
{
    while (*len > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t')) {
        (*len)--;
    }
}

int
pc_filter_add_list(pc_filter_t *f, const char *text, size_t len, const char *origin, char *err,
                   size_t err_cap)
{
    size_t pos = 0, line = 0;

    if (err != NULL && err_cap > 0) {
        err[0] = '\0';
    }
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - text) : len;
        const char *s = text + pos;
        size_t n = end - pos;
        int rc;

        line++;
        pos = nl != NULL ? end + 1 : len;
        if (n > 0 && s[n - 1] == '\r') {
            n--; /* CRLF line end */
        }
        trim_blanks(&s, &n);
        if (n == 0 || s[0] == '#') {
            continue;
        }
        rc = pc_filter_add(f, s, n);
        if (rc == PC_E_NOMEM) {
            list_error(err, err_cap, origin, line, "out of memory", NULL, 0);
            return rc;
        }
        if (rc != 0) {
            list_error(err, err_cap, origin, line, "invalid domain name", s, n);
            return PC_E_CONF_VALUE;
        }
    }
    return 0;
}
