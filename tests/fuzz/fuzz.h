/*
 * fuzz.h: what every fuzz target shares.
 *
 * A target is one file that defines LLVMFuzzerTestOneInput(). It is linked
 * either with libFuzzer (-fsanitize=fuzzer, PORTCULLIS_FUZZ=ON, clang only) or with
 * replay.c, which feeds it the checked-in corpus as an ordinary test under any
 * compiler. A target must not crash, leak or read outside the input for any
 * input, and calls PC_FUZZ_CHECK() on every property it can state: a false
 * check aborts, which libFuzzer reports as a crash and saves the input.
 */
#ifndef PC_FUZZ_H
#define PC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The libFuzzer entry point. Returns 0 (other values are reserved). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void
pc_fuzz_fail(const char *what, const char *file, int line)
{
    fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, what);
    abort();
}

#define PC_FUZZ_CHECK(cond)                          \
    do {                                             \
        if (!(cond)) {                               \
            pc_fuzz_fail(#cond, __FILE__, __LINE__); \
        }                                            \
    } while (0)

#endif
