/*
 * test_addr_limit.c: the per-address connection counts (src/addr_limit.c):
 * counting up and down, IPv4 and IPv6 kept apart, growth, emptied slots
 * reused, and a randomised run against a plain array as the reference
 * (which exercises the backward-shift deletion through long probe runs).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "addr_limit.h"

#define UNIVERSE 700

/* Address number i: IPv4 10.x.y.z for even i, IPv6 2001:db8::i for odd i. */
static pc_addr_t
addr_n(unsigned i)
{
    pc_addr_t a;

    memset(&a, 0, sizeof(a));
    if (i % 2 == 0) {
        a.family = 4;
        a.bytes[0] = 10;
        a.bytes[1] = (uint8_t)(i >> 16);
        a.bytes[2] = (uint8_t)(i >> 8);
        a.bytes[3] = (uint8_t)i;
    } else {
        a.family = 6;
        a.bytes[0] = 0x20;
        a.bytes[1] = 0x01;
        a.bytes[2] = 0x0d;
        a.bytes[3] = 0xb8;
        a.bytes[14] = (uint8_t)(i >> 8);
        a.bytes[15] = (uint8_t)i;
    }
    return a;
}

static void
test_addr_limit_counts(void **state)
{
    pc_addr_limit_t t;
    pc_addr_t a = addr_n(2), b = addr_n(3);

    (void)state;
    memset(&t, 0, sizeof(t));
    assert_int_equal(pc_addr_limit_count(&t, &a), 0);
    pc_addr_limit_release(&t, &a); /* nothing counted: no effect */
    assert_int_equal(pc_addr_limit_acquire(&t, &a), 1);
    assert_int_equal(pc_addr_limit_acquire(&t, &a), 2);
    assert_int_equal(pc_addr_limit_acquire(&t, &b), 1);
    assert_int_equal(t.used, 2);
    pc_addr_limit_release(&t, &a);
    assert_int_equal(pc_addr_limit_count(&t, &a), 1);
    pc_addr_limit_release(&t, &a);
    assert_int_equal(pc_addr_limit_count(&t, &a), 0);
    pc_addr_limit_release(&t, &a);
    assert_int_equal(pc_addr_limit_count(&t, &b), 1);
    assert_int_equal(t.used, 1);
    pc_addr_limit_free(&t);
    assert_int_equal(pc_addr_limit_count(&t, &b), 0);
}

/* The same bytes in another family are another address. */
static void
test_addr_limit_families_apart(void **state)
{
    pc_addr_limit_t t;
    pc_addr_t v4 = addr_n(0), v6 = v4;

    (void)state;
    memset(&t, 0, sizeof(t));
    v6.family = 6;
    assert_int_equal(pc_addr_limit_acquire(&t, &v4), 1);
    assert_int_equal(pc_addr_limit_acquire(&t, &v6), 1);
    assert_int_equal(pc_addr_limit_count(&t, &v4), 1);
    pc_addr_limit_free(&t);
}

/* Many addresses: the table grows, keeps every count, and stays at most half full. */
static void
test_addr_limit_grows(void **state)
{
    pc_addr_limit_t t;
    unsigned i;

    (void)state;
    memset(&t, 0, sizeof(t));
    for (i = 0; i < UNIVERSE; i++) {
        pc_addr_t a = addr_n(i);

        assert_int_equal(pc_addr_limit_acquire(&t, &a), 1);
        assert_int_equal(pc_addr_limit_acquire(&t, &a), 2);
    }
    assert_int_equal(t.used, UNIVERSE);
    assert_true(t.used * 2 <= t.cap);
    for (i = 0; i < UNIVERSE; i++) {
        pc_addr_t a = addr_n(i);

        assert_int_equal(pc_addr_limit_count(&t, &a), 2);
    }
    pc_addr_limit_free(&t);
}

static void
check_all(const pc_addr_limit_t *t, const unsigned *ref)
{
    size_t used = 0;
    unsigned i;

    for (i = 0; i < UNIVERSE; i++) {
        pc_addr_t a = addr_n(i);

        if (pc_addr_limit_count(t, &a) != ref[i]) {
            fail_msg("address %u: counted %u, reference %u", i, pc_addr_limit_count(t, &a), ref[i]);
        }
        used += ref[i] > 0;
    }
    assert_int_equal(t->used, used);
}

/* Random acquires and releases against a plain array of counts. */
static void
test_addr_limit_random_against_reference(void **state)
{
    static unsigned ref[UNIVERSE];
    pc_addr_limit_t t;
    unsigned step, seed;

    (void)state;
    for (seed = 1; seed <= 4; seed++) {
        memset(&t, 0, sizeof(t));
        memset(ref, 0, sizeof(ref));
        srand(seed);
        for (step = 0; step < 40000; step++) {
            /* A narrow range per phase gives long runs of neighbours to shift. */
            unsigned i = (unsigned)rand() % (UNIVERSE / (1 + step / 10000 % 3));
            pc_addr_t a = addr_n(i);

            if (rand() % 100 < (step / 5000 % 2 == 0 ? 60 : 40)) {
                assert_int_equal(pc_addr_limit_acquire(&t, &a), ++ref[i]);
            } else {
                pc_addr_limit_release(&t, &a);
                ref[i] -= ref[i] > 0;
            }
            assert_int_equal(pc_addr_limit_count(&t, &a), ref[i]);
            if (step % 997 == 0) {
                check_all(&t, ref);
            }
        }
        check_all(&t, ref);
        pc_addr_limit_free(&t);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_limit_counts),
        cmocka_unit_test(test_addr_limit_families_apart),
        cmocka_unit_test(test_addr_limit_grows),
        cmocka_unit_test(test_addr_limit_random_against_reference),
    };

    return cmocka_run_group_tests_name("addr_limit", tests, NULL, NULL);
}
