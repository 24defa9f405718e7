/*
 * dns_cache.h: a bounded cache of name resolutions, one per event loop.
 *
 * getaddrinfo() runs on libuv's thread pool and costs a thread hand-off (and,
 * without a local caching resolver, a round trip to the DNS server) per
 * request. This cache keeps, per host name, the addresses it resolved to for
 * a fixed time (getaddrinfo does not tell the record's TTL), and the fact
 * that a name does not exist for a shorter time. It holds at most a fixed
 * number of names: when full, expired entries go first, then the one that
 * would expire soonest.
 *
 * Not thread-safe: each loop (worker) has its own. Time is passed in by the
 * caller (milliseconds of a monotonic clock), so the module is pure and its
 * unit test controls the clock.
 */
#ifndef PC_DNS_CACHE_H
#define PC_DNS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#define PC_DNS_MAX_ADDRS 8 /* addresses kept per name (the first ones getaddrinfo gave) */

/* Defaults: names per loop, and how long answers and "no such name" are kept. */
#define PC_DNS_CACHE_SIZE      4096
#define PC_DNS_CACHE_TTL_MS    60000
#define PC_DNS_NEGATIVE_TTL_MS 5000

/* One IPv4 or IPv6 socket address, without the size of sockaddr_storage. */
typedef union {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
} pc_sockaddr_any_t;

typedef struct {
    unsigned count;
    pc_sockaddr_any_t addr[PC_DNS_MAX_ADDRS]; /* in getaddrinfo's order; ports as stored */
} pc_dns_addrs_t;

typedef struct pc_dns_cache_s pc_dns_cache_t;

typedef struct {
    uint64_t hits;      /* answered from the cache (positive or negative) */
    uint64_t misses;    /* not cached, or expired */
    uint64_t evictions; /* live entries pushed out because the cache was full */
    size_t entries;     /* names held now */
} pc_dns_cache_stats_t;

/*
 * A cache of at most max_entries names (1 or more), keeping addresses for
 * ttl_ms and "no such name" for negative_ttl_ms. 0 or UV_ENOMEM.
 */
int pc_dns_cache_create(size_t max_entries, uint64_t ttl_ms, uint64_t negative_ttl_ms,
                        pc_dns_cache_t **out);
void pc_dns_cache_free(pc_dns_cache_t *c);

/*
 * Looks host up (exact bytes: callers pass normalised names). Returns 1 and
 * fills *out on a cached answer with addresses, -1 and sets *err (a UV_EAI_*
 * code) on a cached "no such name", 0 when there is nothing valid (an
 * expired entry is removed).
 */
int pc_dns_cache_get(pc_dns_cache_t *c, const char *host, uint64_t now_ms, pc_dns_addrs_t *out,
                     int *err);

/*
 * Stores the addresses of host (count 1 or more), replacing what was there.
 * Names longer than 255 bytes are not stored.
 */
void pc_dns_cache_put(pc_dns_cache_t *c, const char *host, uint64_t now_ms,
                      const pc_dns_addrs_t *addrs);

/*
 * Stores that host does not exist (err: the UV_EAI_* code). Only answers
 * that are final belong here (UV_EAI_NONAME, UV_EAI_NODATA); a timeout or a
 * server failure is not cached.
 */
void pc_dns_cache_put_negative(pc_dns_cache_t *c, const char *host, uint64_t now_ms, int err);

/* True for the resolution errors that pc_dns_cache_put_negative() keeps. */
int pc_dns_cache_is_final_error(int err);

void pc_dns_cache_stats(const pc_dns_cache_t *c, pc_dns_cache_stats_t *out);

#endif
