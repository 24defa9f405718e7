/*
 * test_dns_cache.c: the resolution cache with a clock the test controls:
 * hits and misses, expiry of answers and of "no such name", which errors are
 * kept, replacement, the size bound and its eviction order, and a randomised
 * run against a reference.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_cache.h"

#define TTL    60000
#define NEGTTL 5000

/* n IPv4 addresses 10.0.<tag>.1 .. 10.0.<tag>.n */
static pc_dns_addrs_t
addrs_for(unsigned tag, unsigned n)
{
    pc_dns_addrs_t a;
    unsigned i;

    memset(&a, 0, sizeof(a));
    a.count = n;
    for (i = 0; i < n; i++) {
        unsigned char *ip = (unsigned char *)&a.addr[i].in.sin_addr;

        a.addr[i].in.sin_family = AF_INET;
        ip[0] = 10;
        ip[1] = 0;
        ip[2] = (unsigned char)(tag % 256);
        ip[3] = (unsigned char)(i + 1);
    }
    return a;
}

static void
assert_same_addrs(const pc_dns_addrs_t *a, const pc_dns_addrs_t *b)
{
    assert_int_equal(a->count, b->count);
    assert_memory_equal(a->addr, b->addr, a->count * sizeof(a->addr[0]));
}

static pc_dns_cache_t *
cache(size_t max)
{
    pc_dns_cache_t *c = NULL;

    assert_int_equal(pc_dns_cache_create(max, TTL, NEGTTL, &c), 0);
    return c;
}

static void
test_hit_after_put_and_expiry(void **state)
{
    pc_dns_cache_t *c = cache(16);
    pc_dns_addrs_t want = addrs_for(1, 3), got;
    pc_dns_cache_stats_t st;
    int err = 0;

    (void)state;
    assert_int_equal(pc_dns_cache_get(c, "example.test", 1000, &got, &err), 0);
    pc_dns_cache_put(c, "example.test", 1000, &want);
    assert_int_equal(pc_dns_cache_get(c, "example.test", 1000 + TTL - 1, &got, &err), 1);
    assert_same_addrs(&got, &want);
    assert_int_equal(pc_dns_cache_get(c, "other.test", 1000, &got, &err), 0);
    assert_int_equal(pc_dns_cache_get(c, "EXAMPLE.test", 1000, &got, &err), 0); /* exact bytes */
    pc_dns_cache_stats(c, &st);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.misses, 3);
    assert_int_equal(st.entries, 1);
    /* At the TTL the entry is gone, and removed. */
    assert_int_equal(pc_dns_cache_get(c, "example.test", 1000 + TTL, &got, &err), 0);
    pc_dns_cache_stats(c, &st);
    assert_int_equal(st.entries, 0);
    pc_dns_cache_free(c);
}

static void
test_negative_answers(void **state)
{
    pc_dns_cache_t *c = cache(16);
    pc_dns_addrs_t got;
    int err = 0;

    (void)state;
    pc_dns_cache_put_negative(c, "nx.test", 0, UV_EAI_NONAME);
    assert_int_equal(pc_dns_cache_get(c, "nx.test", NEGTTL - 1, &got, &err), -1);
    assert_int_equal(err, UV_EAI_NONAME);
    assert_int_equal(pc_dns_cache_get(c, "nx.test", NEGTTL, &got, &err), 0);
    /* Temporary failures are not kept. */
    pc_dns_cache_put_negative(c, "again.test", 0, UV_EAI_AGAIN);
    pc_dns_cache_put_negative(c, "fail.test", 0, UV_EAI_FAIL);
    pc_dns_cache_put_negative(c, "timeout.test", 0, UV_ETIMEDOUT);
    assert_int_equal(pc_dns_cache_get(c, "again.test", 1, &got, &err), 0);
    assert_int_equal(pc_dns_cache_get(c, "fail.test", 1, &got, &err), 0);
    assert_int_equal(pc_dns_cache_get(c, "timeout.test", 1, &got, &err), 0);
    assert_true(pc_dns_cache_is_final_error(UV_EAI_NODATA));
    assert_false(pc_dns_cache_is_final_error(UV_EAI_AGAIN));
    /* A name that exists again replaces its negative entry. */
    pc_dns_cache_put_negative(c, "flip.test", 0, UV_EAI_NODATA);
    {
        pc_dns_addrs_t a = addrs_for(2, 1);

        pc_dns_cache_put(c, "flip.test", 10, &a);
        assert_int_equal(pc_dns_cache_get(c, "flip.test", 20, &got, &err), 1);
        assert_same_addrs(&got, &a);
    }
    pc_dns_cache_free(c);
}

static void
test_replace_and_refuse(void **state)
{
    pc_dns_cache_t *c = cache(16);
    pc_dns_addrs_t a = addrs_for(1, 2), b = addrs_for(2, 8), got, none;
    pc_dns_cache_stats_t st;
    char longname[300];
    int err = 0;

    (void)state;
    pc_dns_cache_put(c, "h.test", 0, &a);
    pc_dns_cache_put(c, "h.test", 100, &b);
    assert_int_equal(pc_dns_cache_get(c, "h.test", TTL + 50, &got, &err), 1); /* new expiry */
    assert_same_addrs(&got, &b);
    pc_dns_cache_stats(c, &st);
    assert_int_equal(st.entries, 1);
    /* No addresses, too many, and names over 255 bytes are not stored. */
    memset(&none, 0, sizeof(none));
    pc_dns_cache_put(c, "empty.test", 0, &none);
    none.count = PC_DNS_MAX_ADDRS + 1;
    pc_dns_cache_put(c, "many.test", 0, &none);
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    pc_dns_cache_put(c, longname, 0, &a);
    pc_dns_cache_stats(c, &st);
    assert_int_equal(st.entries, 1);
    assert_int_equal(pc_dns_cache_get(c, longname, 1, &got, &err), 0);
    pc_dns_cache_free(c);
}

static void
test_full_cache_evicts_soonest_expiry(void **state)
{
    pc_dns_cache_t *c = cache(4);
    pc_dns_addrs_t a = addrs_for(1, 1), got;
    pc_dns_cache_stats_t st;
    int err = 0;

    (void)state;
    pc_dns_cache_put(c, "n1.test", 10, &a);
    pc_dns_cache_put(c, "n2.test", 20, &a);
    pc_dns_cache_put_negative(c, "n3.test", 30, UV_EAI_NONAME); /* expires first: 30 + NEGTTL */
    pc_dns_cache_put(c, "n4.test", 40, &a);
    pc_dns_cache_put(c, "n5.test", 50, &a);
    pc_dns_cache_stats(c, &st);
    assert_int_equal(st.entries, 4);
    assert_int_equal(st.evictions, 1);
    assert_int_equal(pc_dns_cache_get(c, "n3.test", 60, &got, &err), 0);
    pc_dns_cache_put(c, "n6.test", 60, &a); /* now n1, the oldest positive, goes */
    assert_int_equal(pc_dns_cache_get(c, "n1.test", 70, &got, &err), 0);
    assert_int_equal(pc_dns_cache_get(c, "n2.test", 70, &got, &err), 1);
    assert_int_equal(pc_dns_cache_get(c, "n6.test", 70, &got, &err), 1);
    /* When entries have expired, they make the room and nothing live is evicted. */
    pc_dns_cache_put(c, "late.test", 40 + TTL, &a);
    pc_dns_cache_stats(c, &st);
    assert_int_equal(st.evictions, 2);
    assert_true(st.entries <= 4);
    assert_int_equal(pc_dns_cache_get(c, "n6.test", 40 + TTL, &got, &err), 1);
    assert_int_equal(pc_dns_cache_get(c, "late.test", 40 + TTL, &got, &err), 1);
    pc_dns_cache_free(c);
}

/* Random puts and gets over 3000 names in a cache of 500, against a reference. */
static void
test_random_against_reference(void **state)
{
    enum { NAMES = 3000, MAX = 500, STEPS = 200000 };
    pc_dns_cache_t *c = cache(MAX);
    static uint64_t expires[NAMES]; /* 0: never stored */
    static int negative[NAMES];
    uint32_t seed = 12345;
    uint64_t now = 1;
    pc_dns_cache_stats_t st;
    long step;

    (void)state;
    memset(expires, 0, sizeof(expires));
    for (step = 0; step < STEPS; step++) {
        unsigned k, r;
        char name[32];
        pc_dns_addrs_t got;
        int err = 0, rc;

        seed = seed * 1103515245u + 12345u;
        r = seed >> 8;
        k = r % NAMES;
        snprintf(name, sizeof(name), "host%u.example", k);
        now += r % 7;
        if ((r >> 12) % 3 == 0) {
            if ((r >> 14) % 5 == 0) {
                pc_dns_cache_put_negative(c, name, now, UV_EAI_NONAME);
                expires[k] = now + NEGTTL;
                negative[k] = 1;
            } else {
                pc_dns_addrs_t a = addrs_for(k, 1 + k % PC_DNS_MAX_ADDRS);

                pc_dns_cache_put(c, name, now, &a);
                expires[k] = now + TTL;
                negative[k] = 0;
            }
            continue;
        }
        rc = pc_dns_cache_get(c, name, now, &got, &err);
        if (rc == 0) {
            continue; /* evicted or expired: allowed, the reference cannot tell evictions */
        }
        assert_true(expires[k] != 0 && now < expires[k]); /* never a stale or invented answer */
        if (negative[k]) {
            assert_int_equal(rc, -1);
            assert_int_equal(err, UV_EAI_NONAME);
        } else {
            pc_dns_addrs_t want = addrs_for(k, 1 + k % PC_DNS_MAX_ADDRS);

            assert_int_equal(rc, 1);
            assert_same_addrs(&got, &want);
        }
        pc_dns_cache_stats(c, &st);
        assert_true(st.entries <= MAX);
    }
    pc_dns_cache_stats(c, &st);
    print_message("%llu hits, %llu misses, %llu evictions, %zu entries\n",
                  (unsigned long long)st.hits, (unsigned long long)st.misses,
                  (unsigned long long)st.evictions, st.entries);
    assert_true(st.hits > 1000);
    assert_true(st.evictions > 0);
    pc_dns_cache_free(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_after_put_and_expiry),
        cmocka_unit_test(test_negative_answers),
        cmocka_unit_test(test_replace_and_refuse),
        cmocka_unit_test(test_full_cache_evicts_soonest_expiry),
        cmocka_unit_test(test_random_against_reference),
    };

    return cmocka_run_group_tests_name("dns_cache", tests, NULL, NULL);
}
