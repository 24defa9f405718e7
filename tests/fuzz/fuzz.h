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
#include <string.h>

#include "http_parse.h"

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

/*
 * The HTTP head parsers' targets: checks that r, what a parser returned
 * for buf[0..size), is one of its documented results and, for a head, that
 * the head ends with CRLF CRLF inside the input. Returns the head length,
 * or 0 when there is no complete head.
 */
static inline size_t
pc_fuzz_head_len(int r, const char *buf, size_t size)
{
    size_t n;

    PC_FUZZ_CHECK(r > 0 || r == PC_HTTP_INCOMPLETE || r == PC_HTTP_ERROR
                  || r == PC_HTTP_TOO_MANY_HEADERS);
    if (r <= 0) {
        return 0;
    }
    n = (size_t)r;
    PC_FUZZ_CHECK(n >= 4 && n <= size);
    PC_FUZZ_CHECK(memcmp(buf + n - 4, "\r\n\r\n", 4) == 0);
    return n;
}

/*
 * Five prefix lengths of an input of limit bytes (limit > 0) that a parser
 * must find incomplete: none, one byte, half, all but one, and one picked
 * by salt.
 */
static inline void
pc_fuzz_prefix_cuts(size_t limit, size_t salt, size_t cut[5])
{
    cut[0] = 0;
    cut[1] = 1 % limit;
    cut[2] = limit / 2;
    cut[3] = limit - 1;
    cut[4] = salt % limit;
}

#endif
