/*
 * addr.c: IP address and CIDR text <-> bytes, without the OS.
 *
 * Owns the strict address grammar used everywhere a configuration or a
 * request names an IP literal. inet_pton() is not used on purpose: its
 * accepted spellings differ between C libraries (Windows accepts more), and
 * policy must not depend on the platform. Everything here works on
 * (pointer, length) pairs, so inputs need not be NUL-terminated.
 */
#include "addr.h"

#include "portcullis/error.h"

#include <string.h>

/* Value of one hex digit, or -1. */
static int
hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/*
 * Strict dotted quad: exactly four decimal parts 0-255, no leading zeros
 * ("01" could mean octal to some resolvers, so it has no single meaning),
 * nothing before or after.
 */
static int
parse_v4(const char *s, size_t len, uint8_t out[4])
{
    size_t i = 0;
    int part;

    for (part = 0; part < 4; part++) {
        unsigned value = 0;
        size_t digits = 0;

        if (part > 0) {
            if (i >= len || s[i] != '.') {
                return -1;
            }
            i++;
        }
        while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 4) {
            value = value * 10 + (unsigned)(s[i] - '0');
            digits++;
            i++;
        }
        if (digits == 0 || digits > 3 || value > 255) {
            return -1;
        }
        if (digits > 1 && s[i - digits] == '0') {
            return -1;
        }
        out[part] = (uint8_t)value;
    }
    return i == len ? 0 : -1;
}

/*
 * Reads up to 8 groups of RFC 4291 text into groups[], recording where "::"
 * stood in *gap (-1 if absent). A dotted-quad tail counts as two groups.
 * Returns the number of groups read, or -1.
 */
static int
read_v6_groups(const char *s, size_t len, uint16_t groups[8], int *gap)
{
    size_t i = 0;
    int n = 0;

    *gap = -1;
    if (len >= 2 && s[0] == ':' && s[1] == ':') {
        *gap = 0;
        i = 2;
    }
    while (i < len) {
        size_t start = i;
        unsigned value = 0;

        while (i < len && hex_value(s[i]) >= 0 && i - start < 5) {
            value = (value << 4) | (unsigned)hex_value(s[i]);
            i++;
        }
        if (i < len && s[i] == '.') {
            uint8_t q[4];

            /* The embedded IPv4 form is only allowed as the last 32 bits. */
            if (n > 6 || parse_v4(s + start, len - start, q) != 0) {
                return -1;
            }
            groups[n++] = (uint16_t)(q[0] << 8 | q[1]);
            groups[n++] = (uint16_t)(q[2] << 8 | q[3]);
            return n;
        }
        if (i == start || i - start > 4 || n == 8) {
            return -1;
        }
        groups[n++] = (uint16_t)value;
        if (i == len) {
            break;
        }
        if (s[i] != ':') {
            return -1;
        }
        i++;
        if (i < len && s[i] == ':') {
            if (*gap >= 0) {
                return -1; /* a second "::" would be ambiguous */
            }
            *gap = n;
            i++;
        } else if (i == len) {
            return -1; /* a single trailing ':' */
        }
    }
    return n;
}

static int
parse_v6(const char *s, size_t len, uint8_t out[16])
{
    uint16_t groups[8];
    uint16_t full[8] = {0};
    int gap;
    int n = read_v6_groups(s, len, groups, &gap);
    int i;

    if (n < 0) {
        return -1;
    }
    /* Without "::" all eight groups are spelled out; with it, "::" stands
     * for at least one zero group (RFC 4291 section 2.2). */
    if ((gap < 0 && n != 8) || (gap >= 0 && n > 7)) {
        return -1;
    }
    if (gap < 0) {
        gap = n;
    }
    for (i = 0; i < gap; i++) {
        full[i] = groups[i];
    }
    for (i = gap; i < n; i++) {
        full[8 - (n - i)] = groups[i];
    }
    for (i = 0; i < 8; i++) {
        out[2 * i] = (uint8_t)(full[i] >> 8);
        out[2 * i + 1] = (uint8_t)(full[i] & 0xff);
    }
    return 0;
}

int
pc_addr_parse(const char *s, size_t len, pc_addr_t *out)
{
    pc_addr_t a;

    memset(&a, 0, sizeof(a));
    if (s == NULL || len == 0) {
        return PC_E_BAD_HOST;
    }
    if (memchr(s, ':', len) != NULL) {
        a.family = 6;
        if (parse_v6(s, len, a.bytes) != 0) {
            return PC_E_BAD_HOST;
        }
    } else {
        a.family = 4;
        if (parse_v4(s, len, a.bytes) != 0) {
            return PC_E_BAD_HOST;
        }
    }
    *out = a;
    return 0;
}

/* Clears every bit after the first prefix bits. */
static void
mask_host_bits(pc_addr_t *a, unsigned prefix)
{
    unsigned total = a->family == 4 ? 32u : 128u;
    unsigned bit;

    for (bit = prefix; bit < total; bit++) {
        a->bytes[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
    }
}

int
pc_cidr_parse(const char *s, size_t len, pc_addr_t *net, unsigned *prefix)
{
    const char *slash = s != NULL ? memchr(s, '/', len) : NULL;
    size_t addr_len = slash != NULL ? (size_t)(slash - s) : len;
    pc_addr_t a;
    unsigned bits;
    size_t i;

    if (s == NULL || pc_addr_parse(s, addr_len, &a) != 0) {
        return PC_E_CONF_VALUE;
    }
    bits = a.family == 4 ? 32u : 128u;
    if (slash != NULL) {
        size_t plen = len - addr_len - 1;
        unsigned value = 0;

        /* One to three digits, no sign, no leading zero: "/024" is refused
         * rather than guessed at. */
        if (plen == 0 || plen > 3 || (plen > 1 && slash[1] == '0')) {
            return PC_E_CONF_VALUE;
        }
        for (i = 1; i <= plen; i++) {
            if (slash[i] < '0' || slash[i] > '9') {
                return PC_E_CONF_VALUE;
            }
            value = value * 10 + (unsigned)(slash[i] - '0');
        }
        if (value > bits) {
            return PC_E_CONF_VALUE;
        }
        bits = value;
    }
    mask_host_bits(&a, bits);
    *net = a;
    *prefix = bits;
    return 0;
}

bool
pc_addr_in_cidr(const pc_addr_t *a, const pc_addr_t *net, unsigned prefix)
{
    unsigned whole = prefix / 8;
    unsigned rest = prefix % 8;
    uint8_t mask;

    if (a->family != net->family || (a->family != 4 && a->family != 6)) {
        return false;
    }
    if (prefix > (a->family == 4 ? 32u : 128u)) {
        return false;
    }
    if (memcmp(a->bytes, net->bytes, whole) != 0) {
        return false;
    }
    if (rest == 0) {
        return true;
    }
    mask = (uint8_t)(0xffu << (8 - rest));
    return (a->bytes[whole] & mask) == (net->bytes[whole] & mask);
}

/* True for ::ffff:0:0/96, the IPv4-mapped block (RFC 4291 section 2.5.5.2). */
static bool
is_mapped(const pc_addr_t *a)
{
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    return a->family == 6 && memcmp(a->bytes, prefix, sizeof(prefix)) == 0;
}

void
pc_addr_unmap(pc_addr_t *a)
{
    uint8_t v4[4];

    if (!is_mapped(a)) {
        return;
    }
    memcpy(v4, a->bytes + 12, 4);
    memset(a->bytes, 0, sizeof(a->bytes));
    memcpy(a->bytes, v4, 4);
    a->family = 4;
}

bool
pc_addr_is_loopback(const pc_addr_t *a)
{
    static const uint8_t v6_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

    if (a->family == 4) {
        return a->bytes[0] == 127;
    }
    if (a->family != 6) {
        return false;
    }
    if (is_mapped(a)) {
        return a->bytes[12] == 127;
    }
    return memcmp(a->bytes, v6_loopback, 16) == 0;
}

/* Appends the decimal form of v (< 1000) at out; returns the digits written. */
static size_t
put_dec(char *out, unsigned v)
{
    size_t n = 0;

    if (v >= 100) {
        out[n++] = (char)('0' + v / 100);
    }
    if (v >= 10) {
        out[n++] = (char)('0' + v / 10 % 10);
    }
    out[n++] = (char)('0' + v % 10);
    return n;
}

static size_t
format_v4(const uint8_t *b, char *out)
{
    size_t n = 0;
    int i;

    for (i = 0; i < 4; i++) {
        if (i > 0) {
            out[n++] = '.';
        }
        n += put_dec(out + n, b[i]);
    }
    return n;
}

/* Finds the longest run of two or more zero groups, the first on a tie. */
static void
longest_zero_run(const uint16_t g[8], int *start, int *count)
{
    int i = 0;

    *start = -1;
    *count = 0;
    while (i < 8) {
        int j = i;

        while (j < 8 && g[j] == 0) {
            j++;
        }
        if (j - i >= 2 && j - i > *count) {
            *start = i;
            *count = j - i;
        }
        i = j > i ? j : i + 1;
    }
}

/* RFC 5952: lowercase hex, no leading zeros, "::" for the longest zero run. */
static size_t
format_v6(const uint8_t *b, char *out)
{
    static const char hex[] = "0123456789abcdef";
    uint16_t g[8];
    int start, count, i;
    size_t n = 0;

    for (i = 0; i < 8; i++) {
        g[i] = (uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);
    }
    longest_zero_run(g, &start, &count);
    for (i = 0; i < 8; i++) {
        int shift;
        bool seen = false;

        if (i == start) {
            out[n++] = ':';
            out[n++] = ':';
            i += count - 1;
            continue;
        }
        if (i > 0 && i != start + count) {
            out[n++] = ':';
        }
        for (shift = 12; shift >= 0; shift -= 4) {
            unsigned nib = (g[i] >> shift) & 0xfu;

            if (nib != 0 || seen || shift == 0) {
                out[n++] = hex[nib];
                seen = true;
            }
        }
    }
    return n;
}

size_t
pc_addr_format(const pc_addr_t *a, char *out, size_t cap)
{
    char tmp[PC_ADDR_STRLEN];
    size_t n;

    if (a->family == 4) {
        n = format_v4(a->bytes, tmp);
    } else if (a->family == 6 && is_mapped(a)) {
        /* RFC 5952 section 5: mapped addresses keep the dotted tail. */
        memcpy(tmp, "::ffff:", 7);
        n = 7 + format_v4(a->bytes + 12, tmp + 7);
    } else if (a->family == 6) {
        n = format_v6(a->bytes, tmp);
    } else {
        n = 0;
    }
    /* A buffer that cannot hold the whole text gets an empty string rather
     * than a truncated address that might name another host. */
    if (cap == 0) {
        return 0;
    }
    if (n + 1 > cap) {
        out[0] = '\0';
        return 0;
    }
    memcpy(out, tmp, n);
    out[n] = '\0';
    return n;
}
