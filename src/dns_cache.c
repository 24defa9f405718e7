/*
 * dns_cache.c: the resolution cache (see dns_cache.h).
 *
 * A chained hash table: a power-of-two array of buckets, each a singly
 * linked list of entries allocated one by one (memory follows the names
 * actually used). When the table holds max_entries names, a put first sweeps
 * out every expired entry and, if none was, evicts the one that would expire
 * soonest; that sweep is O(max_entries) but only runs on a miss of a full
 * cache, next to a getaddrinfo that costs far more.
 */
#include "dns_cache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define HOST_MAX 255

typedef struct entry_s {
    struct entry_s *next;
    uint64_t expires_ms;
    uint32_t hash;
    int err; /* 0: addrs holds the answer; else the cached UV_EAI_* error */
    pc_dns_addrs_t addrs;
    char host[]; /* NUL-terminated */
} entry_t;

struct pc_dns_cache_s {
    entry_t **buckets;
    size_t mask; /* bucket count - 1 */
    size_t count, max;
    uint64_t ttl_ms, negative_ttl_ms;
    pc_dns_cache_stats_t stats;
};

static uint32_t
hash_host(const char *host)
{
    uint32_t h = 2166136261u; /* FNV-1a */

    for (; *host != '\0'; host++) {
        h = (h ^ (unsigned char)*host) * 16777619u;
    }
    return h;
}

int
pc_dns_cache_create(size_t max_entries, uint64_t ttl_ms, uint64_t negative_ttl_ms,
                    pc_dns_cache_t **out)
{
    pc_dns_cache_t *c = calloc(1, sizeof(*c));
    size_t n = 16;

    if (max_entries == 0) {
        max_entries = 1;
    }
    while (n < max_entries && n < ((size_t)1 << 30)) {
        n <<= 1;
    }
    if (c != NULL) {
        c->buckets = calloc(n, sizeof(*c->buckets));
    }
    if (c == NULL || c->buckets == NULL) {
        free(c);
        return UV_ENOMEM;
    }
    c->mask = n - 1;
    c->max = max_entries;
    c->ttl_ms = ttl_ms;
    c->negative_ttl_ms = negative_ttl_ms;
    *out = c;
    return 0;
}

void
pc_dns_cache_free(pc_dns_cache_t *c)
{
    size_t i;

    if (c == NULL) {
        return;
    }
    for (i = 0; i <= c->mask; i++) {
        entry_t *e = c->buckets[i];

        while (e != NULL) {
            entry_t *next = e->next;

            free(e);
            e = next;
        }
    }
    free(c->buckets);
    free(c);
}

/* The link that points at host's entry (or the bucket's terminating NULL). */
static entry_t **
find_link(pc_dns_cache_t *c, const char *host, uint32_t h)
{
    entry_t **link = &c->buckets[h & c->mask];

    while (*link != NULL && ((*link)->hash != h || strcmp((*link)->host, host) != 0)) {
        link = &(*link)->next;
    }
    return link;
}

static void
unlink_entry(pc_dns_cache_t *c, entry_t **link)
{
    entry_t *e = *link;

    *link = e->next;
    free(e);
    c->count--;
}

int
pc_dns_cache_get(pc_dns_cache_t *c, const char *host, uint64_t now_ms, pc_dns_addrs_t *out,
                 int *err)
{
    entry_t **link = find_link(c, host, hash_host(host));
    entry_t *e = *link;

    if (e == NULL || now_ms >= e->expires_ms) {
        if (e != NULL) {
            unlink_entry(c, link);
        }
        c->stats.misses++;
        return 0;
    }
    c->stats.hits++;
    if (e->err != 0) {
        *err = e->err;
        return -1;
    }
    *out = e->addrs;
    return 1;
}

/* Makes room for one more name: expired entries go, else the soonest to expire. */
static void
make_room(pc_dns_cache_t *c, uint64_t now_ms)
{
    entry_t **victim = NULL;
    size_t i;
    bool swept = false;

    for (i = 0; i <= c->mask; i++) {
        entry_t **link = &c->buckets[i];

        while (*link != NULL) {
            if (now_ms >= (*link)->expires_ms) {
                unlink_entry(c, link);
                swept = true;
                continue;
            }
            if (victim == NULL || (*link)->expires_ms < (*victim)->expires_ms) {
                victim = link;
            }
            link = &(*link)->next;
        }
    }
    if (!swept && victim != NULL) {
        unlink_entry(c, victim);
        c->stats.evictions++;
    }
}

/* Puts host's answer in, replacing an older one; makes room if need be. */
static void
store(pc_dns_cache_t *c, const char *host, uint64_t now_ms, uint64_t expires_ms,
      const pc_dns_addrs_t *addrs, int err)
{
    size_t len = strlen(host);
    uint32_t h = hash_host(host);
    entry_t **link;
    entry_t *e;

    if (len > HOST_MAX) {
        return;
    }
    link = find_link(c, host, h);
    if (*link != NULL) {
        unlink_entry(c, link);
    }
    if (c->count >= c->max) {
        make_room(c, now_ms);
    }
    e = malloc(sizeof(*e) + len + 1);
    if (e == NULL) {
        return; /* not cached; the answer is still used */
    }
    memset(e, 0, sizeof(*e));
    e->hash = h;
    e->expires_ms = expires_ms;
    e->err = err;
    if (addrs != NULL) {
        e->addrs = *addrs;
    }
    memcpy(e->host, host, len + 1);
    link = &c->buckets[h & c->mask];
    e->next = *link;
    *link = e;
    c->count++;
}

void
pc_dns_cache_put(pc_dns_cache_t *c, const char *host, uint64_t now_ms, const pc_dns_addrs_t *addrs)
{
    if (addrs->count == 0 || addrs->count > PC_DNS_MAX_ADDRS) {
        return;
    }
    store(c, host, now_ms, now_ms + c->ttl_ms, addrs, 0);
}

void
pc_dns_cache_put_negative(pc_dns_cache_t *c, const char *host, uint64_t now_ms, int err)
{
    if (!pc_dns_cache_is_final_error(err)) {
        return;
    }
    store(c, host, now_ms, now_ms + c->negative_ttl_ms, NULL, err);
}

int
pc_dns_cache_is_final_error(int err)
{
    return err == UV_EAI_NONAME || err == UV_EAI_NODATA;
}

void
pc_dns_cache_stats(const pc_dns_cache_t *c, pc_dns_cache_stats_t *out)
{
    *out = c->stats;
    out->entries = c->count;
}
