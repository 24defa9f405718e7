/*
 * fuzz_chunked.c: the chunked-body scanner pc_chunked_scan() on its own, the
 * way the proxy runs it over a body that arrives in pieces.
 *
 * The input is a body (what follows a head that said "chunked"). Besides "no
 * crash", the target checks the contract of http_parse.h:
 *   - the result is 0 (all bytes consumed, not finished), 1 (finished after
 *     *consumed bytes, 0 < consumed <= size) or -1;
 *   - the body is judged the same in one piece, in two pieces split at an
 *     input-chosen point, in three pieces, and one byte at a time, and ends
 *     at the same byte;
 *   - an independent reference decoder written from RFC 9112 section 7.1
 *     agrees where it can judge: a body it finds malformed (a chunk size of
 *     more than 16 hex digits or over 2^63-1, a non-hex size, a bare CR or LF
 *     in a size line, data not followed by CRLF) is refused, and the end of
 *     the body is where the reference says; the sum of the chunk sizes of an
 *     accepted body never exceeds the input.
 */
#include "fuzz.h"

#include "http_parse.h"

#include <stdbool.h>
#include <string.h>

/*
 * Scans body[0..len) cut at the points in cuts[0..ncuts) (ascending, each
 * <= len). Returns the result and sets *end to the offset where it ended.
 */
static int
scan_pieces(const char *body, size_t len, const size_t *cuts, size_t ncuts, size_t *end)
{
    pc_chunked_t st;
    size_t from = 0;
    size_t i;

    memset(&st, 0, sizeof(st));
    for (i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : len;
        size_t consumed = (size_t)-1;
        int rc = pc_chunked_scan(&st, body + from, to - from, &consumed);

        PC_FUZZ_CHECK(rc == 0 || rc == 1 || rc == -1);
        if (rc == 1) {
            PC_FUZZ_CHECK(consumed <= to - from);
            *end = from + consumed;
            PC_FUZZ_CHECK(*end > 0);
            return 1;
        }
        if (rc == -1) {
            *end = 0;
            return -1;
        }
        PC_FUZZ_CHECK(consumed == to - from);
        from = to;
    }
    *end = len;
    return 0;
}

static bool
hexval(char c, unsigned *v)
{
    if (c >= '0' && c <= '9') {
        *v = (unsigned)(c - '0');
    } else if (c >= 'a' && c <= 'f') {
        *v = (unsigned)(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
        *v = (unsigned)(c - 'A' + 10);
    } else {
        return false;
    }
    return true;
}

/* Reference verdicts: what it can tell without judging extensions or trailers. */
#define REF_BAD     (-1) /* certainly malformed */
#define REF_UNKNOWN 0    /* ran out of input or reached something it does not judge */
#define REF_END     1    /* last chunk "0" followed directly by CRLF: ends at *end */

/*
 * Walks chunks "HEX CRLF data CRLF" with no extensions. Sets *data_sum to the
 * sum of the sizes of the complete chunks seen.
 */
static int
ref_scan(const char *b, size_t len, size_t *end, uint64_t *data_sum)
{
    size_t p = 0;

    *data_sum = 0;
    for (;;) {
        uint64_t size = 0;
        int digits = 0;
        unsigned v;

        while (p < len && hexval(b[p], &v)) {
            if (digits == 16 || size > (UINT64_C(0x7fffffffffffffff) - v) / 16) {
                return REF_BAD;
            }
            size = size * 16 + v;
            digits++;
            p++;
        }
        if (p == len) {
            return REF_UNKNOWN;
        }
        if (digits == 0) {
            return REF_BAD;
        }
        if (b[p] == '\n') {
            return REF_BAD;
        }
        if (b[p] != '\r') {
            return REF_UNKNOWN; /* an extension (or junk): not judged here */
        }
        p++;
        if (p == len) {
            return REF_UNKNOWN;
        }
        if (b[p] != '\n') {
            return REF_BAD;
        }
        p++;
        if (size == 0) {
            if (len - p >= 2 && b[p] == '\r' && b[p + 1] == '\n') {
                *end = p + 2;
                return REF_END;
            }
            return REF_UNKNOWN; /* trailers: not judged here */
        }
        if (size > len - p) {
            return REF_UNKNOWN;
        }
        p += (size_t)size;
        *data_sum += size;
        if (len - p < 2) {
            return REF_UNKNOWN;
        }
        if (b[p] != '\r' || b[p + 1] != '\n') {
            return REF_BAD;
        }
        p += 2;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    size_t salt = size * 131u + (size > 0 ? data[0] * 7u + data[size - 1] : 0u);
    size_t cuts[2];
    size_t end_whole, end_two, end_three, end_bytes, ref_end = 0;
    uint64_t ref_sum;
    int whole, two, three, bytes, ref;

    whole = scan_pieces(body, size, NULL, 0, &end_whole);

    cuts[0] = salt % (size + 1);
    two = scan_pieces(body, size, cuts, 1, &end_two);

    cuts[0] = size / 3;
    cuts[1] = cuts[0] + (salt % (size - cuts[0] + 1));
    three = scan_pieces(body, size, cuts, 2, &end_three);

    {
        pc_chunked_t st;
        size_t i;

        memset(&st, 0, sizeof(st));
        bytes = 0;
        end_bytes = size;
        for (i = 0; i < size; i++) {
            size_t consumed = (size_t)-1;
            int rc = pc_chunked_scan(&st, body + i, 1, &consumed);

            if (rc == 1) {
                PC_FUZZ_CHECK(consumed == 1);
                end_bytes = i + 1;
                bytes = 1;
                break;
            }
            if (rc == -1) {
                end_bytes = 0;
                bytes = -1;
                break;
            }
            PC_FUZZ_CHECK(rc == 0 && consumed == 1);
        }
    }

    PC_FUZZ_CHECK(two == whole && three == whole && bytes == whole);
    PC_FUZZ_CHECK(end_two == end_whole && end_three == end_whole && end_bytes == end_whole);

    ref = ref_scan(body, size, &ref_end, &ref_sum);
    if (ref == REF_BAD) {
        PC_FUZZ_CHECK(whole == -1);
    }
    if (ref == REF_END) {
        PC_FUZZ_CHECK(whole == 1 && end_whole == ref_end);
    }
    if (whole == 1 && ref == REF_END) {
        PC_FUZZ_CHECK(ref_sum <= (uint64_t)end_whole);
    }
    return 0;
}
