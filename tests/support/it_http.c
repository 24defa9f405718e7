/*
 * it_http.c: HTTP/1.1 framing helpers for the harness (see it_http.h).
 *
 * A head is the bytes up to and including the first CRLF CRLF. Framing of
 * the body follows RFC 9112 section 6.3 in the simplified form a correct
 * peer needs: chunked Transfer-Encoding first, then Content-Length, else no
 * body (requests) or close-delimited (responses).
 */
#include "it_http.h"

#include "it_common.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

size_t
pc_it_http_head_end(const char *buf, size_t len)
{
    size_t i;

    for (i = 0; i + 4 <= len; i++) {
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
            return i + 4;
        }
    }
    return 0;
}

int
pc_it_http_status(const char *head, size_t len)
{
    int code = 0;
    size_t i;

    if (len < 12 || memcmp(head, "HTTP/1.", 7) != 0 || head[8] != ' ') {
        return -1;
    }
    for (i = 9; i < 12; i++) {
        if (!isdigit((unsigned char)head[i])) {
            return -1;
        }
        code = code * 10 + (head[i] - '0');
    }
    return code;
}

static bool
name_matches(const char *line, size_t line_len, const char *name)
{
    size_t n = strlen(name);
    size_t i;

    if (line_len <= n || line[n] != ':') {
        return false;
    }
    for (i = 0; i < n; i++) {
        if (tolower((unsigned char)line[i]) != tolower((unsigned char)name[i])) {
            return false;
        }
    }
    return true;
}

static void
trim(const char **p, size_t *n)
{
    while (*n > 0 && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*n)--;
    }
    while (*n > 0 && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t')) {
        (*n)--;
    }
}

bool
pc_it_http_field(const char *head, size_t len, const char *name, size_t idx, const char **val,
                 size_t *vlen)
{
    const char *p = memchr(head, '\n', len);
    const char *end = head + len;

    while (p != NULL && p + 1 < end) {
        const char *line = p + 1;
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        size_t line_len = eol != NULL ? (size_t)(eol - line) : (size_t)(end - line);

        if (line_len > 0 && line[line_len - 1] == '\r') {
            line_len--;
        }
        if (name_matches(line, line_len, name) && idx-- == 0) {
            *val = line + strlen(name) + 1;
            *vlen = line_len - strlen(name) - 1;
            trim(val, vlen);
            return true;
        }
        p = eol;
    }
    return false;
}

size_t
pc_it_http_field_count(const char *head, size_t len, const char *name)
{
    const char *v;
    size_t n = 0;
    size_t vlen;

    while (pc_it_http_field(head, len, name, n, &v, &vlen)) {
        n++;
    }
    return n;
}

bool
pc_it_http_field_is(const char *head, size_t len, const char *name, const char *want)
{
    const char *v;
    size_t vlen;

    return pc_it_http_field(head, len, name, 0, &v, &vlen) && vlen == strlen(want)
           && memcmp(v, want, vlen) == 0;
}

/* Parses a hex chunk size up to CRLF (extensions after ';' ignored). */
static int
chunk_size_line(const char *buf, size_t len, size_t *size, size_t *line_len)
{
    const char *lf = memchr(buf, '\n', len);
    size_t v = 0;
    size_t i;

    if (lf == NULL) {
        return PC_IT_HTTP_PARTIAL;
    }
    for (i = 0; i < (size_t)(lf - buf) && isxdigit((unsigned char)buf[i]); i++) {
        if (v > (((size_t)-1) >> 5)) {
            return PC_IT_HTTP_BAD;
        }
        v = v * 16
            + (size_t)(isdigit((unsigned char)buf[i])
                           ? buf[i] - '0'
                           : (tolower((unsigned char)buf[i]) - 'a' + 10));
    }
    if (i == 0 || lf == buf || lf[-1] != '\r') {
        return PC_IT_HTTP_BAD;
    }
    *size = v;
    *line_len = (size_t)(lf - buf) + 1;
    return PC_IT_HTTP_COMPLETE;
}

/* Frames the trailer section that follows the last chunk. */
static int
trailer_len(const char *buf, size_t len, size_t *total)
{
    size_t off = 0;

    for (;;) {
        const char *lf = memchr(buf + off, '\n', len - off);

        if (lf == NULL) {
            return PC_IT_HTTP_PARTIAL;
        }
        if ((size_t)(lf - (buf + off)) == 1) {
            *total = (size_t)(lf - buf) + 1;
            return PC_IT_HTTP_COMPLETE;
        }
        off = (size_t)(lf - buf) + 1;
    }
}

int
pc_it_http_chunked_len(const char *buf, size_t len, size_t *total)
{
    size_t off = 0;
    size_t size;
    size_t line;
    size_t tlen;
    int rc;

    for (;;) {
        rc = chunk_size_line(buf + off, len - off, &size, &line);
        if (rc != PC_IT_HTTP_COMPLETE) {
            return rc;
        }
        off += line;
        if (size == 0) {
            break;
        }
        if (len - off < size + 2) {
            return PC_IT_HTTP_PARTIAL;
        }
        if (memcmp(buf + off + size, "\r\n", 2) != 0) {
            return PC_IT_HTTP_BAD;
        }
        off += size + 2;
    }
    rc = trailer_len(buf + off, len - off, &tlen);
    if (rc == PC_IT_HTTP_COMPLETE) {
        *total = off + tlen;
    }
    return rc;
}

int
pc_it_http_dechunk(const char *buf, size_t len, char **out, size_t *out_len)
{
    char *dst = pc_it_xmalloc(len + 1);
    size_t off = 0;
    size_t n = 0;
    size_t size;
    size_t line;

    for (;;) {
        if (chunk_size_line(buf + off, len - off, &size, &line) != PC_IT_HTTP_COMPLETE
            || len - off - line < size + 2) {
            free(dst);
            return PC_IT_HTTP_BAD;
        }
        off += line;
        if (size == 0) {
            break;
        }
        memcpy(dst + n, buf + off, size);
        n += size;
        off += size + 2;
    }
    dst[n] = '\0';
    *out = dst;
    *out_len = n;
    return PC_IT_HTTP_COMPLETE;
}

static bool
is_chunked(const char *head, size_t len)
{
    const char *v;
    size_t vlen;
    size_t i;

    for (i = 0; pc_it_http_field(head, len, "Transfer-Encoding", i, &v, &vlen); i++) {
        if (vlen >= 7 && pc_it_contains(v, vlen, "chunked")) {
            return true;
        }
    }
    return false;
}

/* Content-Length of the head: 1 and *n if present, 0 if absent, -1 if bad. */
static int
content_length(const char *head, size_t len, size_t *n)
{
    const char *v;
    size_t vlen;
    size_t i;

    if (!pc_it_http_field(head, len, "Content-Length", 0, &v, &vlen)) {
        return 0;
    }
    *n = 0;
    for (i = 0; i < vlen; i++) {
        if (!isdigit((unsigned char)v[i])) {
            return -1;
        }
        *n = *n * 10 + (size_t)(v[i] - '0');
    }
    return vlen > 0 ? 1 : -1;
}

/* Frames the body that starts at buf+head; shared by requests and responses. */
static int
body_len(const char *buf, size_t len, size_t head, size_t *total)
{
    size_t n = 0;
    size_t clen;
    int rc;

    if (is_chunked(buf, head)) {
        rc = pc_it_http_chunked_len(buf + head, len - head, &n);
        *total = head + n;
        return rc;
    }
    rc = content_length(buf, head, &clen);
    if (rc < 0) {
        return PC_IT_HTTP_BAD;
    }
    if (rc == 0) {
        clen = 0;
    }
    *total = head + clen;
    return len - head >= clen ? PC_IT_HTTP_COMPLETE : PC_IT_HTTP_PARTIAL;
}

int
pc_it_http_request_len(const char *buf, size_t len, size_t *total)
{
    size_t head = pc_it_http_head_end(buf, len);

    if (head == 0) {
        return PC_IT_HTTP_PARTIAL;
    }
    return body_len(buf, len, head, total);
}

int
pc_it_http_response_len(const char *buf, size_t len, bool head_req, bool eof, size_t *total,
                        bool *close_delimited)
{
    size_t head = pc_it_http_head_end(buf, len);
    size_t clen;
    int status;

    *close_delimited = false;
    if (head == 0) {
        return eof ? PC_IT_HTTP_BAD : PC_IT_HTTP_PARTIAL;
    }
    status = pc_it_http_status(buf, head);
    if (status < 100) {
        return PC_IT_HTTP_BAD;
    }
    if (head_req || status < 200 || status == 204 || status == 304) {
        *total = head;
        return PC_IT_HTTP_COMPLETE;
    }
    if (is_chunked(buf, head) || content_length(buf, head, &clen) != 0) {
        return body_len(buf, len, head, total);
    }
    *close_delimited = true;
    *total = len;
    return eof ? PC_IT_HTTP_COMPLETE : PC_IT_HTTP_PARTIAL;
}
