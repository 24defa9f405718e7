/*
 * http_parse.c: the strict HTTP/1.x parser. It owns request and response head
 * parsing, body framing decisions, field lookup, token-list matching and the
 * streaming chunked-body validator declared in http_parse.h.
 *
 * Everything here is a pure function of the caller's bytes: no allocation, no
 * I/O, no state outside the caller's structs. Heads are re-parsed from the
 * start on every call, so the scanner walks forward once and answers
 * PC_HTTP_INCOMPLETE only when it runs out of bytes; a byte that can never be
 * part of a valid head is reported the moment it is reached. The accepted
 * language is deliberately narrower than what RFC 9112 lets a recipient
 * tolerate: the proxy relays what it parsed, so anything a second parser could
 * read another way (request smuggling) is refused instead of repaired.
 */
#include "http_parse.h"

#include <limits.h>
#include <string.h>

#define CR '\r'
#define LF '\n'

/* Character classes, one bit each; a byte may belong to several. */
#define C_TOKEN  0x01 /* tchar (RFC 9110 5.6.2): method, field name, coding */
#define C_FIELD  0x02 /* field-vchar, SP, HTAB: field value, reason phrase */
#define C_TARGET 0x04 /* 0x21-0x7E: request-target */
#define C_QDTEXT 0x08 /* qdtext (RFC 9110 5.6.4): inside a quoted string */

/* Shorthands for the table below, so each row can be checked by eye. */
#define NO 0
#define TK (C_TOKEN | C_FIELD | C_TARGET | C_QDTEXT) /* token character */
#define VC (C_FIELD | C_TARGET | C_QDTEXT)           /* visible delimiter */
#define QS (C_FIELD | C_TARGET)                      /* DQUOTE and backslash */
#define WO (C_FIELD | C_QDTEXT)                      /* SP, HTAB, obs-text */

/* clang-format off */
static const unsigned char cclass[256] = {
    NO, NO, NO, NO, NO, NO, NO, NO, NO, WO, NO, NO, NO, NO, NO, NO, /* 0x00 */
    NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, /* 0x10 */
    WO, TK, QS, TK, TK, TK, TK, TK, VC, VC, TK, TK, VC, TK, TK, VC, /* 0x20 */
    TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, VC, VC, VC, VC, VC, VC, /* 0x30 */
    VC, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, /* 0x40 */
    TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, VC, QS, VC, TK, TK, /* 0x50 */
    TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, /* 0x60 */
    TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, TK, VC, TK, VC, TK, NO, /* 0x70 */
    WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, /* 0x80 */
    WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, /* 0x90 */
    WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, /* 0xa0 */
    WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, /* 0xb0 */
    WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, /* 0xc0 */
    WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, /* 0xd0 */
    WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, /* 0xe0 */
    WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, WO, /* 0xf0 */
};
/* clang-format on */

#undef NO
#undef TK
#undef VC
#undef QS
#undef WO

/* The largest Content-Length or chunk size accepted: 2^63-1, as a signed off_t. */
#define MAX_LENGTH UINT64_C(0x7fffffffffffffff)

/* 2^63-1 has 19 decimal digits; more is refused even with leading zeros. */
#define MAX_CL_DIGITS 19

static bool
is_class(unsigned char c, int cls)
{
    return (cclass[c] & cls) != 0;
}

static bool
is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* ASCII-only folding: field names and tokens never depend on the locale. */
static unsigned char
lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

static bool
eq_nocase(const char *a, const char *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i])) {
            return false;
        }
    }
    return true;
}

/* Removes leading and trailing OWS from the slice v[*start..*end). */
static void
trim_ows(const char *v, size_t *start, size_t *end)
{
    while (*start < *end && is_ows(v[*start])) {
        (*start)++;
    }
    while (*end > *start && is_ows(v[*end - 1])) {
        (*end)--;
    }
}

/* ---- heads ------------------------------------------------------------- */

/* A read position in the caller's buffer. */
typedef struct {
    const unsigned char *buf; /* borrowed */
    size_t len;
    size_t pos;
} scan_t;

static int
expect_crlf(scan_t *s)
{
    if (s->pos >= s->len) {
        return PC_HTTP_INCOMPLETE;
    }
    if (s->buf[s->pos] != CR) {
        return PC_HTTP_ERROR;
    }
    if (s->pos + 1 >= s->len) {
        return PC_HTTP_INCOMPLETE;
    }
    if (s->buf[s->pos + 1] != LF) {
        return PC_HTTP_ERROR; /* a bare CR */
    }
    s->pos += 2;
    return 0;
}

/* Matches lit byte by byte as far as data has arrived, so "HTX" fails at X. */
static int
expect_literal(scan_t *s, const char *lit, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (s->pos + i >= s->len) {
            return PC_HTTP_INCOMPLETE;
        }
        if (s->buf[s->pos + i] != (unsigned char)lit[i]) {
            return PC_HTTP_ERROR;
        }
    }
    s->pos += n;
    return 0;
}

/* Exactly "HTTP/1.0" or "HTTP/1.1": case-sensitive, no other versions. */
static int
parse_version(scan_t *s, int *minor)
{
    int rc = expect_literal(s, "HTTP/1.", 7);

    if (rc != 0) {
        return rc;
    }
    if (s->pos >= s->len) {
        return PC_HTTP_INCOMPLETE;
    }
    if (s->buf[s->pos] != '0' && s->buf[s->pos] != '1') {
        return PC_HTTP_ERROR;
    }
    *minor = s->buf[s->pos] - '0';
    s->pos++;
    return 0;
}

/* Advances over bytes of class cls; returns how many there were. */
static size_t
span(scan_t *s, int cls)
{
    size_t start = s->pos;

    while (s->pos < s->len && is_class(s->buf[s->pos], cls)) {
        s->pos++;
    }
    return s->pos - start;
}

/* A non-empty run of class cls, then the byte term, which is consumed. */
static int
parse_word(scan_t *s, int cls, unsigned char term, const char **out, size_t *out_len)
{
    size_t start = s->pos;
    size_t n = span(s, cls);

    if (s->pos >= s->len) {
        return PC_HTTP_INCOMPLETE;
    }
    if (n == 0 || s->buf[s->pos] != term) {
        return PC_HTTP_ERROR;
    }
    *out = (const char *)s->buf + start;
    *out_len = n;
    s->pos++;
    return 0;
}

/*
 * RFC 9112 2.2 lets a server skip empty lines before a request (clients send
 * them after a POST body). Only CRLF pairs are skipped; a bare LF falls through
 * to the method parser, which refuses it.
 */
static int
skip_empty_lines(scan_t *s)
{
    int rc;

    while (s->pos < s->len && s->buf[s->pos] == CR) {
        rc = expect_crlf(s);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* method SP request-target SP HTTP-version CRLF, with exactly one SP each. */
static int
parse_request_line(scan_t *s, pc_http_request_t *req)
{
    int rc;

    rc = skip_empty_lines(s);
    if (rc != 0) {
        return rc;
    }
    rc = parse_word(s, C_TOKEN, ' ', &req->method, &req->method_len);
    if (rc != 0) {
        return rc;
    }
    rc = parse_word(s, C_TARGET, ' ', &req->target, &req->target_len);
    if (rc != 0) {
        return rc;
    }
    rc = parse_version(s, &req->minor_version);
    if (rc != 0) {
        return rc;
    }
    return expect_crlf(s);
}

/* Exactly three digits, 100-999; "2000" fails later at its fourth digit. */
static int
parse_status_code(scan_t *s, int *status)
{
    int i;
    unsigned char c;

    *status = 0;
    for (i = 0; i < 3; i++) {
        if (s->pos >= s->len) {
            return PC_HTTP_INCOMPLETE;
        }
        c = s->buf[s->pos];
        if (c < '0' || c > '9' || (i == 0 && c == '0')) {
            return PC_HTTP_ERROR;
        }
        *status = *status * 10 + (c - '0');
        s->pos++;
    }
    return 0;
}

/* HTTP-version SP status-code [ SP reason-phrase ] CRLF. */
static int
parse_status_line(scan_t *s, pc_http_response_t *res)
{
    int rc;
    size_t start;

    rc = parse_version(s, &res->minor_version);
    if (rc == 0) {
        rc = expect_literal(s, " ", 1);
    }
    if (rc == 0) {
        rc = parse_status_code(s, &res->status);
    }
    if (rc != 0) {
        return rc;
    }
    if (s->pos >= s->len) {
        return PC_HTTP_INCOMPLETE;
    }
    res->reason = (const char *)s->buf + s->pos;
    res->reason_len = 0;
    if (s->buf[s->pos] != ' ') {
        return expect_crlf(s); /* no reason phrase, and not even its SP */
    }
    s->pos++;
    start = s->pos;
    span(s, C_FIELD);
    res->reason = (const char *)s->buf + start;
    res->reason_len = s->pos - start;
    return expect_crlf(s);
}

/*
 * field-name ":" OWS field-value OWS CRLF. A line that starts with SP or HTAB
 * (obs-fold), an empty name, or whitespace before the colon all fail in
 * parse_word, because none of those bytes is a token character.
 */
static int
parse_field(scan_t *s, pc_http_header_t *h)
{
    int rc;
    size_t start;
    size_t end;

    rc = parse_word(s, C_TOKEN, ':', &h->name, &h->name_len);
    if (rc != 0) {
        return rc;
    }
    start = s->pos;
    span(s, C_FIELD);
    end = s->pos;
    /* The value ends at the first byte outside C_FIELD, which must be CRLF. */
    rc = expect_crlf(s);
    if (rc != 0) {
        return rc;
    }
    trim_ows((const char *)s->buf, &start, &end);
    h->value = (const char *)s->buf + start;
    h->value_len = end - start;
    return 0;
}

/* Field lines up to and including the empty line that ends the head. */
static int
parse_fields(scan_t *s, pc_http_header_t *headers, size_t max, size_t *num)
{
    pc_http_header_t h;
    int rc;

    for (;;) {
        if (s->pos >= s->len) {
            return PC_HTTP_INCOMPLETE;
        }
        if (s->buf[s->pos] == CR) {
            return expect_crlf(s);
        }
        /* Parse the line first, so a malformed line is reported as such. */
        rc = parse_field(s, &h);
        if (rc != 0) {
            return rc;
        }
        if (*num >= max) {
            return PC_HTTP_TOO_MANY_HEADERS;
        }
        headers[(*num)++] = h;
    }
}

/* The result must fit in an int, so only the first INT_MAX bytes are examined. */
static void
scan_init(scan_t *s, const char *buf, size_t len)
{
    s->buf = (const unsigned char *)buf;
    s->len = len > INT_MAX ? (size_t)INT_MAX : len;
    s->pos = 0;
}

static int
scan_result(const scan_t *s, size_t len, int rc)
{
    if (rc == PC_HTTP_INCOMPLETE && len > s->len) {
        return PC_HTTP_ERROR; /* a head longer than INT_MAX is no head */
    }
    return rc != 0 ? rc : (int)s->pos;
}

int
pc_http_parse_request(const char *buf, size_t len, pc_http_request_t *req, size_t max_headers)
{
    scan_t s;
    int rc;

    scan_init(&s, buf, len);
    req->num_headers = 0;
    rc = parse_request_line(&s, req);
    if (rc == 0) {
        rc = parse_fields(&s, req->headers, max_headers, &req->num_headers);
    }
    return scan_result(&s, len, rc);
}

int
pc_http_parse_response(const char *buf, size_t len, pc_http_response_t *res, size_t max_headers)
{
    scan_t s;
    int rc;

    scan_init(&s, buf, len);
    res->num_headers = 0;
    rc = parse_status_line(&s, res);
    if (rc == 0) {
        rc = parse_fields(&s, res->headers, max_headers, &res->num_headers);
    }
    return scan_result(&s, len, rc);
}

/* ---- field lookup and lists -------------------------------------------- */

int
pc_http_find_header(const pc_http_header_t *h, size_t n, const char *name, size_t name_len,
                    size_t from)
{
    size_t i;

    for (i = from; i < n && i <= INT_MAX; i++) {
        if (h[i].name_len == name_len && eq_nocase(h[i].name, name, name_len)) {
            return (int)i;
        }
    }
    return -1;
}

/*
 * Cuts the next comma-separated member out of v[*pos..len), OWS trimmed, and
 * returns false once the list is used up. Empty members are returned (as
 * length 0) so that callers which must refuse them can see them.
 */
static bool
next_member(const char *v, size_t len, size_t *pos, const char **m, size_t *m_len)
{
    size_t start = *pos;
    size_t end = start;

    if (start > len) {
        return false;
    }
    while (end < len && v[end] != ',') {
        end++;
    }
    *pos = end + 1;
    trim_ows(v, &start, &end);
    *m = v + start;
    *m_len = end - start;
    return true;
}

bool
pc_http_list_has_token(const char *value, size_t value_len, const char *token, size_t token_len)
{
    size_t pos = 0;
    const char *m;
    size_t m_len;

    if (token_len == 0) {
        return false;
    }
    while (next_member(value, value_len, &pos, &m, &m_len)) {
        if (m_len == token_len && eq_nocase(m, token, token_len)) {
            return true;
        }
    }
    return false;
}

/* ---- framing ----------------------------------------------------------- */

#define NAME(s) (s), (sizeof(s) - 1)

/* 1*DIGIT, at most MAX_CL_DIGITS digits, value at most MAX_LENGTH. */
static int
parse_decimal(const char *m, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (n == 0 || n > MAX_CL_DIGITS) {
        return PC_HTTP_ERROR;
    }
    for (i = 0; i < n; i++) {
        if (m[i] < '0' || m[i] > '9') {
            return PC_HTTP_ERROR;
        }
        v = v * 10 + (uint64_t)(m[i] - '0'); /* 19 digits cannot wrap 64 bits */
    }
    if (v > MAX_LENGTH) {
        return PC_HTTP_ERROR;
    }
    *out = v;
    return 0;
}

/*
 * Every member of every Content-Length field must be a valid number, and all
 * must be equal (RFC 9110 8.6 lets "5, 5" stand for 5); anything else is the
 * classic smuggling vector and is refused.
 */
static int
content_length(const pc_http_header_t *h, size_t n, bool *found, uint64_t *length)
{
    int i;
    size_t pos;
    const char *m;
    size_t m_len;
    uint64_t v;

    *found = false;
    *length = 0;
    for (i = pc_http_find_header(h, n, NAME("content-length"), 0); i >= 0;
         i = pc_http_find_header(h, n, NAME("content-length"), (size_t)i + 1)) {
        pos = 0;
        while (next_member(h[i].value, h[i].value_len, &pos, &m, &m_len)) {
            if (parse_decimal(m, m_len, &v) != 0 || (*found && v != *length)) {
                return PC_HTTP_ERROR;
            }
            *found = true;
            *length = v;
        }
    }
    return 0;
}

/*
 * All Transfer-Encoding fields together must list exactly one coding,
 * "chunked". Any other coding, an empty member or a repeated "chunked" is
 * refused: the proxy cannot decode other codings, and a list that does not end
 * in chunked leaves the length to the connection close, which a peer may read
 * differently. Sets *chunked when the field is present (and valid).
 */
static int
transfer_encoding(const pc_http_header_t *h, size_t n, bool *chunked)
{
    int i;
    size_t pos;
    size_t members = 0;
    const char *m;
    size_t m_len;

    *chunked = false;
    for (i = pc_http_find_header(h, n, NAME("transfer-encoding"), 0); i >= 0;
         i = pc_http_find_header(h, n, NAME("transfer-encoding"), (size_t)i + 1)) {
        pos = 0;
        while (next_member(h[i].value, h[i].value_len, &pos, &m, &m_len)) {
            if (m_len != 7 || !eq_nocase(m, "chunked", 7) || ++members > 1) {
                return PC_HTTP_ERROR;
            }
        }
        *chunked = true;
    }
    return 0;
}

/* Version default, overridden by Connection tokens; "close" always wins. */
static bool
keep_alive(const pc_http_header_t *h, size_t n, int minor_version)
{
    int i;
    bool close = false;
    bool keep = false;

    for (i = pc_http_find_header(h, n, NAME("connection"), 0); i >= 0;
         i = pc_http_find_header(h, n, NAME("connection"), (size_t)i + 1)) {
        close = close || pc_http_list_has_token(h[i].value, h[i].value_len, NAME("close"));
        keep = keep || pc_http_list_has_token(h[i].value, h[i].value_len, NAME("keep-alive"));
    }
    if (close) {
        return false;
    }
    return minor_version >= 1 || keep;
}

int
pc_http_request_framing(const pc_http_request_t *req, pc_http_framing_t *out)
{
    bool chunked;

    memset(out, 0, sizeof(*out));
    if (content_length(req->headers, req->num_headers, &out->has_length, &out->length) != 0
        || transfer_encoding(req->headers, req->num_headers, &chunked) != 0) {
        return PC_HTTP_ERROR;
    }
    /* RFC 9112 6.1: TE in HTTP/1.0 means faulty framing; TE with CL is refused. */
    if (chunked && (out->has_length || req->minor_version == 0)) {
        return PC_HTTP_ERROR;
    }
    out->kind = chunked ? PC_BODY_CHUNKED : PC_BODY_LENGTH;
    out->keep_alive = keep_alive(req->headers, req->num_headers, req->minor_version);
    return 0;
}

int
pc_http_response_framing(const pc_http_response_t *res, bool is_head, pc_http_framing_t *out)
{
    bool chunked;

    memset(out, 0, sizeof(*out));
    if (content_length(res->headers, res->num_headers, &out->has_length, &out->length) != 0) {
        return PC_HTTP_ERROR;
    }
    out->keep_alive = keep_alive(res->headers, res->num_headers, res->minor_version);
    /*
     * These never have a body whatever their fields say (RFC 9112 6.3 items 1
     * and 2); a HEAD response legitimately repeats the GET's Transfer-Encoding,
     * so that field is not examined here.
     */
    if (is_head || res->status < 200 || res->status == 204 || res->status == 304) {
        out->kind = PC_BODY_NONE;
        return 0;
    }
    if (transfer_encoding(res->headers, res->num_headers, &chunked) != 0) {
        return PC_HTTP_ERROR;
    }
    if (chunked && (out->has_length || res->minor_version == 0)) {
        return PC_HTTP_ERROR; /* the same ambiguity rules as for requests */
    }
    if (chunked) {
        out->kind = PC_BODY_CHUNKED;
    } else if (out->has_length) {
        out->kind = PC_BODY_LENGTH;
    } else {
        out->kind = PC_BODY_CLOSE;
        out->keep_alive = false;
    }
    return 0;
}

/* ---- chunked bodies ---------------------------------------------------- */

/*
 * Scanner states. The order matters: every state up to CH_SIZE_LF belongs to
 * the chunk-size line (bounded by PC_CHUNKED_MAX_LINE), and CH_TR_START to
 * CH_FINAL_LF to the trailer section (bounded by PC_CHUNKED_MAX_TRAILER).
 * Chunk extensions are checked against RFC 9112 7.1.1 without BWS: no sender
 * we know of pads them, and a parser that ignores extensions may well
 * disagree with us about where padded ones end.
 */
enum {
    CH_SIZE = 0,   /* chunk-size hex digits (state 0: a zeroed struct is valid) */
    CH_EXT_NAME0,  /* after ';': first byte of an extension name */
    CH_EXT_NAME,   /* inside an extension name */
    CH_EXT_VALUE0, /* after '=': first byte of a token or quoted-string */
    CH_EXT_TOKEN,  /* inside a token value */
    CH_EXT_QUOTED, /* inside a quoted-string value */
    CH_EXT_QPAIR,  /* after a backslash inside a quoted-string */
    CH_EXT_QEND,   /* after the closing DQUOTE */
    CH_SIZE_LF,    /* after the CR that ends the chunk-size line */
    CH_DATA,       /* chunk data; st->remaining bytes left */
    CH_DATA_CR,    /* the CR after chunk data */
    CH_DATA_LF,    /* the LF after chunk data */
    CH_TR_START,   /* start of a trailer field line, or the final CR */
    CH_TR_NAME,    /* inside a trailer field name */
    CH_TR_VALUE,   /* after the colon of a trailer field */
    CH_TR_LF,      /* the LF ending a trailer field line */
    CH_FINAL_LF,   /* the LF of the empty line that ends the body */
    CH_DONE,       /* the body has ended */
    CH_ERROR       /* a malformed body was seen; stays malformed */
};

static int
hexval(unsigned char c)
{
    unsigned char l = lower(c);

    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (l >= 'a' && l <= 'f') {
        return l - 'a' + 10;
    }
    return -1;
}

/* Where an extension name, value or the size itself may end. */
static int
ext_boundary(pc_chunked_t *st, unsigned char c)
{
    if (c == ';') {
        st->state = CH_EXT_NAME0;
        return 0;
    }
    if (c == CR) {
        st->state = CH_SIZE_LF;
        return 0;
    }
    return -1;
}

static int
size_digit(pc_chunked_t *st, unsigned char c)
{
    int d = hexval(c);

    if (d < 0) {
        return st->digits == 0 ? -1 : ext_boundary(st, c);
    }
    /* Shifting in one more digit must keep the size within 2^63-1. */
    if (st->digits >= 16 || st->remaining > (MAX_LENGTH >> 4)) {
        return -1;
    }
    st->remaining = (st->remaining << 4) | (uint64_t)d;
    st->digits++;
    return 0;
}

/* chunk-ext = *( ";" ext-name [ "=" ( token / quoted-string ) ] ). */
static int
ext_byte(pc_chunked_t *st, unsigned char c)
{
    switch (st->state) {
    case CH_EXT_NAME0:
        st->state = CH_EXT_NAME;
        return is_class(c, C_TOKEN) ? 0 : -1;
    case CH_EXT_NAME:
        if (c == '=') {
            st->state = CH_EXT_VALUE0;
            return 0;
        }
        return is_class(c, C_TOKEN) ? 0 : ext_boundary(st, c);
    case CH_EXT_VALUE0:
        st->state = c == '"' ? CH_EXT_QUOTED : CH_EXT_TOKEN;
        return (c == '"' || is_class(c, C_TOKEN)) ? 0 : -1;
    case CH_EXT_TOKEN:
        return is_class(c, C_TOKEN) ? 0 : ext_boundary(st, c);
    case CH_EXT_QUOTED:
        if (c == '"' || c == '\\') {
            st->state = c == '"' ? CH_EXT_QEND : CH_EXT_QPAIR;
            return 0;
        }
        return is_class(c, C_QDTEXT) ? 0 : -1;
    case CH_EXT_QPAIR:
        st->state = CH_EXT_QUOTED;
        return is_class(c, C_FIELD) ? 0 : -1;
    default: /* CH_EXT_QEND */
        return ext_boundary(st, c);
    }
}

/* One byte of the chunk-size line, which ends in CRLF. */
static int
line_byte(pc_chunked_t *st, unsigned char c)
{
    if (++st->line_len > PC_CHUNKED_MAX_LINE) {
        return -1;
    }
    if (st->state == CH_SIZE) {
        return size_digit(st, c);
    }
    if (st->state != CH_SIZE_LF) {
        return ext_byte(st, c);
    }
    if (c != LF) {
        return -1;
    }
    st->line_len = 0;
    st->digits = 0;
    /* A zero size is the last chunk: the trailer section follows. */
    st->state = st->remaining == 0 ? CH_TR_START : CH_DATA;
    return 0;
}

/*
 * One byte of the trailer section. Trailer lines follow the same rules as
 * head field lines: a token name, a colon, field-vchar/SP/HTAB, CRLF.
 * Returns 1 on the LF that ends the body.
 */
static int
trailer_byte(pc_chunked_t *st, unsigned char c)
{
    if (++st->trailer_len > PC_CHUNKED_MAX_TRAILER) {
        return -1;
    }
    st->line_len++;
    switch (st->state) {
    case CH_TR_START:
        st->state = c == CR ? CH_FINAL_LF : CH_TR_NAME;
        return (c == CR || is_class(c, C_TOKEN)) ? 0 : -1; /* refuses obs-fold and ":" */
    case CH_TR_NAME:
        if (c == ':') {
            st->state = CH_TR_VALUE;
            return 0;
        }
        return is_class(c, C_TOKEN) ? 0 : -1;
    case CH_TR_VALUE:
        if (c == CR) {
            st->state = CH_TR_LF;
            return 0;
        }
        return is_class(c, C_FIELD) ? 0 : -1;
    case CH_TR_LF:
        st->state = CH_TR_START;
        st->line_len = 0;
        return c == LF ? 0 : -1;
    default: /* CH_FINAL_LF */
        st->state = CH_DONE;
        return c == LF ? 1 : -1;
    }
}

/* One byte of the CRLF after chunk data: nothing else may follow the data. */
static int
data_end_byte(pc_chunked_t *st, unsigned char c)
{
    if (st->state == CH_DATA_CR) {
        st->state = CH_DATA_LF;
        return c == CR ? 0 : -1;
    }
    st->state = CH_SIZE;
    return c == LF ? 0 : -1;
}

static int
chunked_byte(pc_chunked_t *st, unsigned char c)
{
    if (st->state <= CH_SIZE_LF) {
        return line_byte(st, c);
    }
    if (st->state >= CH_TR_START && st->state <= CH_FINAL_LF) {
        return trailer_byte(st, c);
    }
    return data_end_byte(st, c);
}

/* Skips chunk data in one step: it is relayed as is, never inspected. */
static size_t
skip_data(pc_chunked_t *st, size_t avail)
{
    size_t n = avail;

    if ((uint64_t)n > st->remaining) {
        n = (size_t)st->remaining;
    }
    st->remaining -= n;
    if (st->remaining == 0) {
        st->state = CH_DATA_CR;
    }
    return n;
}

/*
 * On error, *consumed is set to the offset of the offending byte (the header
 * leaves it undefined; this is only a help for logs and tests). A finished
 * scanner returns 1 with *consumed 0; a failed one keeps returning -1.
 */
int
pc_chunked_scan(pc_chunked_t *st, const char *buf, size_t len, size_t *consumed)
{
    const unsigned char *p = (const unsigned char *)buf;
    size_t i = 0;
    int rc;

    *consumed = 0;
    if (st->state == CH_DONE) {
        return 1;
    }
    if (st->state < CH_SIZE || st->state > CH_DONE) {
        return -1;
    }
    while (i < len) {
        if (st->state == CH_DATA) {
            i += skip_data(st, len - i);
            continue;
        }
        rc = chunked_byte(st, p[i]);
        if (rc < 0) {
            st->state = CH_ERROR;
            *consumed = i;
            return -1;
        }
        i++;
        if (rc > 0) {
            *consumed = i;
            return 1;
        }
    }
    *consumed = len;
    return 0;
}
