/*
 * test_buf_pool.c: the per-loop pool of I/O blocks: reuse through the free
 * list (no malloc on the way back), the counters, the bound on free blocks
 * (min_free when quiet, the number in use when busy, shrinking back when a
 * burst ends), blocks that stay usable, and a randomised run checked
 * against the bound after every step.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf_pool.h"

#define BLOCK 16384
#define MAXB  600

static pc_buf_pool_t *
make_pool(size_t min_free)
{
    pc_buf_pool_t *p = NULL;

    assert_int_equal(pc_buf_pool_create(BLOCK, min_free, &p), 0);
    assert_non_null(p);
    assert_int_equal(pc_buf_pool_block_size(p), BLOCK);
    return p;
}

static pc_buf_pool_stats_t
stats_of(const pc_buf_pool_t *p)
{
    pc_buf_pool_stats_t st;

    pc_buf_pool_stats(p, &st);
    return st;
}

static size_t
bound(const pc_buf_pool_stats_t *st, size_t min_free)
{
    return st->in_use > min_free ? st->in_use : min_free;
}

static void
test_buf_pool_reuses_blocks(void **state)
{
    pc_buf_pool_t *p = make_pool(4);
    char *a, *b, *c;
    pc_buf_pool_stats_t st;

    (void)state;
    a = pc_buf_pool_get(p);
    b = pc_buf_pool_get(p);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    memset(a, 'a', BLOCK); /* the whole block is usable */
    memset(b, 'b', BLOCK);
    st = stats_of(p);
    assert_int_equal(st.in_use, 2);
    assert_int_equal(st.free, 0);
    assert_int_equal(st.allocs, 2);
    pc_buf_pool_put(p, a);
    st = stats_of(p);
    assert_int_equal(st.in_use, 1);
    assert_int_equal(st.free, 1);
    /* The block just returned comes back, without a new allocation. */
    c = pc_buf_pool_get(p);
    assert_ptr_equal(c, a);
    st = stats_of(p);
    assert_int_equal(st.allocs, 2);
    assert_int_equal(st.gets, 3);
    assert_int_equal(st.puts, 1);
    pc_buf_pool_put(p, b);
    pc_buf_pool_put(p, c);
    st = stats_of(p);
    assert_int_equal(st.in_use, 0);
    assert_int_equal(st.free, 2);
    assert_int_equal(st.releases, 0);
    pc_buf_pool_free(p);
}

/* A steady get/put cycle within min_free costs no allocation after the first. */
static void
test_buf_pool_cycle_allocates_once(void **state)
{
    pc_buf_pool_t *p = make_pool(2);
    int i;

    (void)state;
    for (i = 0; i < 10000; i++) {
        char *x = pc_buf_pool_get(p);
        char *y = pc_buf_pool_get(p);

        x[0] = y[BLOCK - 1] = 1;
        pc_buf_pool_put(p, x);
        pc_buf_pool_put(p, y);
    }
    assert_int_equal(stats_of(p).allocs, 2);
    pc_buf_pool_free(p);
}

/* Quiet: never more than min_free free blocks. */
static void
test_buf_pool_min_free_bound(void **state)
{
    pc_buf_pool_t *p = make_pool(3);
    char *b[5];
    pc_buf_pool_stats_t st;
    int i;

    (void)state;
    for (i = 0; i < 5; i++) {
        b[i] = pc_buf_pool_get(p);
    }
    for (i = 0; i < 5; i++) {
        pc_buf_pool_put(p, b[i]);
    }
    st = stats_of(p);
    assert_int_equal(st.in_use, 0);
    assert_int_equal(st.free, 3);
    assert_int_equal(st.releases, 2);
    pc_buf_pool_free(p);
}

/* Busy: as many free blocks as in use are kept; the list shrinks back after. */
static void
test_buf_pool_follows_activity(void **state)
{
    pc_buf_pool_t *p = make_pool(2);
    char *b[100];
    pc_buf_pool_stats_t st;
    int i;

    (void)state;
    for (i = 0; i < 100; i++) {
        b[i] = pc_buf_pool_get(p);
    }
    for (i = 0; i < 50; i++) {
        pc_buf_pool_put(p, b[i]);
    }
    st = stats_of(p);
    assert_int_equal(st.in_use, 50);
    assert_int_equal(st.free, 50);
    /* The burst comes back: served from the list, no new allocation. */
    for (i = 0; i < 50; i++) {
        b[i] = pc_buf_pool_get(p);
    }
    assert_int_equal(stats_of(p).allocs, 100);
    for (i = 0; i < 100; i++) {
        pc_buf_pool_put(p, b[i]);
        st = stats_of(p);
        assert_true(st.free <= bound(&st, 2));
    }
    assert_int_equal(st.in_use, 0);
    assert_int_equal(st.free, 2);
    assert_int_equal(st.releases, 98);
    pc_buf_pool_free(p);
}

/* min_free 0: every block goes back to the allocator when returned. */
static void
test_buf_pool_no_free_list(void **state)
{
    pc_buf_pool_t *p = make_pool(0);
    char *a = pc_buf_pool_get(p);

    (void)state;
    pc_buf_pool_put(p, a);
    assert_int_equal(stats_of(p).free, 0);
    assert_int_equal(stats_of(p).releases, 1);
    pc_buf_pool_free(p);
}

/* Random gets and puts: the counters add up and the bound holds at every step. */
static void
test_buf_pool_random(void **state)
{
    pc_buf_pool_t *p = make_pool(8);
    char *held[MAXB];
    size_t n = 0, i;
    uint64_t allocs_seen = 0;
    pc_buf_pool_stats_t st;
    unsigned seed = 12345;

    (void)state;
    for (i = 0; i < 200000; i++) {
        seed = seed * 1103515245u + 12345u;
        /* Drift up and down in long waves so the bound moves both ways. */
        if (n < MAXB && (n == 0 || ((seed >> 16) % 100) < ((i / 20000) % 2 == 0 ? 60u : 40u))) {
            held[n] = pc_buf_pool_get(p);
            assert_non_null(held[n]);
            held[n][0] = (char)n;
            n++;
        } else {
            size_t k = (seed >> 8) % n;

            pc_buf_pool_put(p, held[k]);
            held[k] = held[--n];
        }
        st = stats_of(p);
        assert_int_equal(st.in_use, n);
        assert_true(st.free <= bound(&st, 8));
        assert_true(st.allocs >= allocs_seen);
        allocs_seen = st.allocs;
        assert_int_equal(st.allocs - st.releases, st.in_use + st.free);
        assert_int_equal(st.gets - st.puts, st.in_use);
    }
    while (n > 0) {
        pc_buf_pool_put(p, held[--n]);
    }
    st = stats_of(p);
    assert_int_equal(st.free, 8);
    pc_buf_pool_free(p);
    pc_buf_pool_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_pool_reuses_blocks),
        cmocka_unit_test(test_buf_pool_cycle_allocates_once),
        cmocka_unit_test(test_buf_pool_min_free_bound),
        cmocka_unit_test(test_buf_pool_follows_activity),
        cmocka_unit_test(test_buf_pool_no_free_list),
        cmocka_unit_test(test_buf_pool_random),
    };

    return cmocka_run_group_tests_name("buf_pool", tests, NULL, NULL);
}
