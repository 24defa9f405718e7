/*
 * fuzz_access_format.c: one access-log line per format (access_format.h).
 *
 * The input is split at 0x00 bytes into the record's text fields, in this
 * order: client, user, method, target, host, upstream, decision, referer,
 * user_agent; a missing optional field (user, decision, referer, user_agent)
 * is NULL, a missing other one "". The bytes after the ninth 0x00 give the
 * numbers (start_ms, id, port, http_minor, status, bytes_in, bytes_out,
 * duration_ms), zero-padded. The record is formatted in every format, with
 * and without the query. Besides "no crash", the target checks that nobody
 * can split, forge or overflow a line:
 *   - the line is 1..PC_ACCESS_LINE_MAX-1 bytes, ends in exactly one '\n'
 *     and holds no other '\n' or '\r';
 *   - native: only printable ASCII and exactly 11 spaces (12 fields);
 *     squid: only printable ASCII and spaces;
 *   - common and combined: only printable ASCII and spaces, every '\' inside
 *     quotes starts an escape (\\ \" \xHH), and exactly 2 (common) or 6
 *     (combined) unescaped '"', so no field can open or close a quote;
 *   - json: no byte below 0x20 or from 0x80 up appears raw, and the line is
 *     one flat JSON object (strings with valid escapes, numbers, null),
 *     checked by a small parser.
 */
#include "fuzz.h"

#include "access_format.h"

#include <stdbool.h>
#include <string.h>

#define NUM_TEXT 9

static bool
printable_or_space(unsigned char c)
{
    return c >= 0x20 && c < 0x7f;
}

static bool
is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* ---- a validator for one flat JSON object --------------------------------- */

/* A JSON string at s[*i]; advances *i past it. */
static bool
json_string(const char *s, size_t n, size_t *i)
{
    size_t p = *i;

    if (p >= n || s[p] != '"') {
        return false;
    }
    for (p++; p < n; p++) {
        unsigned char c = (unsigned char)s[p];

        if (c == '"') {
            *i = p + 1;
            return true;
        }
        if (c < 0x20 || c >= 0x80) {
            return false;
        }
        if (c == '\\') {
            if (++p >= n) {
                return false;
            }
            if (s[p] == 'u') {
                if (n - p < 5 || !is_hex(s[p + 1]) || !is_hex(s[p + 2]) || !is_hex(s[p + 3])
                    || !is_hex(s[p + 4])) {
                    return false;
                }
                p += 4;
            } else if (strchr("\"\\/bfnrt", s[p]) == NULL || s[p] == '\0') {
                return false;
            }
        }
    }
    return false;
}

static bool
json_value(const char *s, size_t n, size_t *i)
{
    size_t p = *i;

    if (p < n && s[p] == '"') {
        return json_string(s, n, i);
    }
    if (n - p >= 4 && memcmp(s + p, "null", 4) == 0) {
        *i = p + 4;
        return true;
    }
    if (p < n && s[p] == '-') {
        p++;
    }
    if (p >= n || s[p] < '0' || s[p] > '9') {
        return false;
    }
    while (p < n && s[p] >= '0' && s[p] <= '9') {
        p++;
    }
    *i = p;
    return true;
}

static void
check_json(const char *s, size_t n)
{
    size_t i = 0;

    PC_FUZZ_CHECK(n >= 2 && s[0] == '{');
    i = 1;
    if (s[i] != '}') {
        for (;;) {
            PC_FUZZ_CHECK(json_string(s, n, &i));
            PC_FUZZ_CHECK(i < n && s[i] == ':');
            i++;
            PC_FUZZ_CHECK(json_value(s, n, &i));
            PC_FUZZ_CHECK(i < n);
            if (s[i] == '}') {
                break;
            }
            PC_FUZZ_CHECK(s[i] == ',');
            i++;
        }
    }
    PC_FUZZ_CHECK(i + 1 == n); /* the '}' is the last byte */
}

/* ---- the other formats ---------------------------------------------------- */

static void
check_quoted_format(const char *s, size_t n, size_t want_quotes)
{
    size_t i, quotes = 0;
    bool in_quotes = false;

    for (i = 0; i < n; i++) {
        PC_FUZZ_CHECK(printable_or_space((unsigned char)s[i]));
        if (s[i] == '"') {
            quotes++;
            in_quotes = !in_quotes;
        } else if (s[i] == '\\' && in_quotes) {
            PC_FUZZ_CHECK(i + 1 < n);
            if (s[i + 1] == 'x') {
                PC_FUZZ_CHECK(i + 3 < n && is_hex(s[i + 2]) && is_hex(s[i + 3]));
                i += 3;
            } else {
                PC_FUZZ_CHECK(s[i + 1] == '"' || s[i + 1] == '\\');
                i++;
            }
        }
    }
    PC_FUZZ_CHECK(!in_quotes);
    PC_FUZZ_CHECK(quotes == want_quotes);
}

static void
check_line(const char *out, size_t len, pc_alog_format_t fmt)
{
    size_t i, spaces = 0;

    PC_FUZZ_CHECK(len >= 1 && len < PC_ACCESS_LINE_MAX);
    PC_FUZZ_CHECK(out[len - 1] == '\n');
    PC_FUZZ_CHECK(memchr(out, '\n', len - 1) == NULL);
    PC_FUZZ_CHECK(memchr(out, '\r', len) == NULL);
    len--; /* the newline */
    switch (fmt) {
    case PC_ALOG_NATIVE:
    case PC_ALOG_SQUID:
        for (i = 0; i < len; i++) {
            PC_FUZZ_CHECK(printable_or_space((unsigned char)out[i]));
            spaces += out[i] == ' ';
        }
        PC_FUZZ_CHECK(fmt != PC_ALOG_NATIVE || spaces == 11);
        break;
    case PC_ALOG_COMMON:
        check_quoted_format(out, len, 2);
        break;
    case PC_ALOG_COMBINED:
        check_quoted_format(out, len, 6);
        break;
    case PC_ALOG_JSON:
        for (i = 0; i < len; i++) {
            unsigned char c = (unsigned char)out[i];

            PC_FUZZ_CHECK(c >= 0x20 && c < 0x80);
        }
        check_json(out, len);
        break;
    }
}

static uint64_t
take_u64(const uint8_t **p, size_t *left)
{
    uint64_t v = 0;
    size_t i;

    for (i = 0; i < 8; i++) {
        v = v << 8;
        if (*left > 0) {
            v |= **p;
            (*p)++;
            (*left)--;
        }
    }
    return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const pc_alog_format_t formats[] = {PC_ALOG_NATIVE, PC_ALOG_SQUID, PC_ALOG_COMMON,
                                               PC_ALOG_COMBINED, PC_ALOG_JSON};
    const char *text[NUM_TEXT];
    pc_access_record_t rec;
    char *copy = malloc(size + 1);
    char *out = malloc(PC_ACCESS_LINE_MAX + 1);
    const uint8_t *num = NULL;
    size_t num_left = 0, pos = 0, k, f;

    PC_FUZZ_CHECK(copy != NULL && out != NULL);
    if (size > 0) {
        memcpy(copy, data, size);
    }
    copy[size] = '\0';
    for (k = 0; k < NUM_TEXT; k++) {
        if (pos <= size) {
            text[k] = copy + pos;
            pos += strlen(copy + pos) + 1;
        } else {
            text[k] = NULL;
        }
    }
    if (pos < size) {
        num = data + pos;
        num_left = size - pos;
    }

    memset(&rec, 0, sizeof(rec));
    rec.client = text[0] != NULL ? text[0] : "";
    rec.user = text[1];
    rec.method = text[2] != NULL ? text[2] : "";
    rec.target = text[3] != NULL ? text[3] : "";
    rec.host = text[4] != NULL ? text[4] : "";
    rec.upstream = text[5] != NULL ? text[5] : "";
    rec.decision = text[6];
    rec.referer = text[7];
    rec.user_agent = text[8];
    rec.start_ms = (int64_t)take_u64(&num, &num_left);
    rec.id = take_u64(&num, &num_left);
    rec.port = (unsigned)take_u64(&num, &num_left);
    rec.http_minor = (int)(take_u64(&num, &num_left) & 1u);
    rec.status = (int)(uint32_t)take_u64(&num, &num_left);
    rec.bytes_in = take_u64(&num, &num_left);
    rec.bytes_out = take_u64(&num, &num_left);
    rec.duration_ms = take_u64(&num, &num_left);

    for (f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
        int q;

        for (q = 0; q <= 1; q++) {
            size_t len;

            memset(out, 0x5a, PC_ACCESS_LINE_MAX + 1);
            len = pc_access_format(&rec, formats[f], q != 0, out);
            PC_FUZZ_CHECK((unsigned char)out[PC_ACCESS_LINE_MAX] == 0x5a);
            check_line(out, len, formats[f]);
        }
    }
    free(out);
    free(copy);
    return 0;
}
