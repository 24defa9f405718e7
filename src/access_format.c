/*
 * access_format.c: access-log lines in each format (see access_format.h).
 *
 * A line is built in a bounded writer: each field has its own output budget,
 * an escape is never cut in half, and the sum of the budgets stays under
 * PC_ACCESS_LINE_MAX, so a line always ends with its newline (and a JSON
 * object with its closing brace).
 */
#include "access_format.h"

#include "civil_time.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    char *p;
    size_t len;
} out_t;

/* Budgets for the fields that come from the client or the network. */
#define URL_MAX      4096
#define HEADER_MAX   1024 /* Referer, User-Agent */
#define DECISION_MAX 1024
#define SHORT_MAX    256 /* method, host, client, upstream, user */

static void
put_raw(out_t *o, const char *s, size_t n)
{
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

/* What snprintf put in b (cap bytes): never more than it holds, even when it cut. */
static void
put_printed(out_t *o, const char *b, int n, size_t cap)
{
    if (n > 0) {
        put_raw(o, b, (size_t)n < cap ? (size_t)n : cap - 1);
    }
}

static void
put_str(out_t *o, const char *s)
{
    put_raw(o, s, strlen(s));
}

static void
put_fmt_u64(out_t *o, uint64_t v)
{
    char b[128];
    int n = snprintf(b, sizeof(b), "%llu", (unsigned long long)v);

    put_printed(o, b, n, sizeof(b));
}

static bool
is_printable(unsigned char c)
{
    return c > 0x20 && c < 0x7f;
}

/*
 * The URL as logged, into out (URL_MAX + 1 bytes): without userinfo
 * ("user:password@" in the authority: credentials never go to a log, even
 * in a request that was refused for them) and, unless keep_query, without
 * the query. Returns the length.
 */
static size_t
clean_url(const char *t, bool keep_query, char *out)
{
    const char *scheme = strstr(t, "://");
    const char *q = keep_query ? NULL : strchr(t, '?');
    size_t n = q != NULL ? (size_t)(q - t) : strlen(t), start = 0, end, at = 0, len;
    bool has_at = false;

    if (scheme != NULL && (size_t)(scheme - t) < n
        && memchr(t, '/', (size_t)(scheme - t)) == NULL) {
        start = (size_t)(scheme - t) + 3;
    }
    for (end = start; end < n && t[end] != '/' && t[end] != '?' && t[end] != '#'; end++) {
        if (t[end] == '@') {
            has_at = true;
            at = end;
        }
    }
    len = 0;
    if (has_at) {
        memcpy(out, t, start < URL_MAX ? start : URL_MAX);
        len = start < URL_MAX ? start : URL_MAX;
        t += at + 1;
        n -= at + 1;
    }
    if (n > URL_MAX - len) {
        n = URL_MAX - len;
    }
    memcpy(out + len, t, n);
    len += n;
    out[len] = '\0';
    return len;
}

/* A bare field: '"' and anything but printable ASCII become '?'; "-" when empty. */
static void
put_word(out_t *o, const char *s, size_t n, size_t budget)
{
    size_t i;

    if (s == NULL || n == 0) {
        put_raw(o, "-", 1);
        return;
    }
    for (i = 0; i < n && i < budget; i++) {
        /* '"' too: in common and combined a bare field must not open a quote. */
        o->p[o->len++] = is_printable((unsigned char)s[i]) && s[i] != '"' ? s[i] : '?';
    }
}

/* Inside "...": '"', '\' and bytes outside printable ASCII (space kept) as \xHH or \" \\. */
static void
put_quoted_body(out_t *o, const char *s, size_t n, size_t budget)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, start = o->len;

    for (i = 0; i < n && o->len - start + 4 <= budget; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\') {
            o->p[o->len++] = '\\';
            o->p[o->len++] = (char)c;
        } else if (c == ' ' || is_printable(c)) {
            o->p[o->len++] = (char)c;
        } else {
            o->p[o->len++] = '\\';
            o->p[o->len++] = 'x';
            o->p[o->len++] = hex[c >> 4];
            o->p[o->len++] = hex[c & 15];
        }
    }
}

/* "..." of s, or "-" (quoted) when s is NULL or empty. */
static void
put_quoted(out_t *o, const char *s, size_t budget)
{
    put_raw(o, "\"", 1);
    if (s == NULL || s[0] == '\0') {
        put_raw(o, "-", 1);
    } else {
        put_quoted_body(o, s, strlen(s), budget);
    }
    put_raw(o, "\"", 1);
}

/* A JSON string of s[0..n), or null when s is NULL. */
static void
put_json_n(out_t *o, const char *s, size_t n, size_t budget)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, start;

    if (s == NULL) {
        put_str(o, "null");
        return;
    }
    put_raw(o, "\"", 1);
    start = o->len;
    for (i = 0; i < n && o->len - start + 6 <= budget; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\') {
            o->p[o->len++] = '\\';
            o->p[o->len++] = (char)c;
        } else if (c >= 0x20 && c < 0x7f) {
            o->p[o->len++] = (char)c;
        } else {
            /* Controls, DEL, and every byte >= 0x80 (so any input is valid UTF-8 JSON). */
            put_str(o, "\\u00");
            o->p[o->len++] = hex[c >> 4];
            o->p[o->len++] = hex[c & 15];
        }
    }
    put_raw(o, "\"", 1);
}

static void
put_json(out_t *o, const char *key, const char *s, size_t budget)
{
    put_str(o, key);
    put_json_n(o, s, s != NULL ? strlen(s) : 0, budget);
}

/* "-" and "" count as none. */
static const char *
or_null(const char *s)
{
    return s != NULL && s[0] != '\0' && strcmp(s, "-") != 0 ? s : NULL;
}

/* The client's address without its port ("[::1]:80" -> "::1"). */
static void
put_client_ip(out_t *o, const char *client)
{
    const char *end = strrchr(client, ':');
    size_t n = end != NULL ? (size_t)(end - client) : strlen(client);

    if (n >= 2 && client[0] == '[' && client[n - 1] == ']') {
        client++;
        n -= 2;
    }
    put_word(o, client, n, SHORT_MAX);
}

static void
format_native(out_t *o, const pc_access_record_t *r, bool keep_query)
{
    char url[URL_MAX + 1];
    pc_civil_t t;
    char b[128];
    int n;

    pc_civil_from_ms(r->start_ms, &t);
    n = snprintf(b, sizeof(b), "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ ", (long long)t.year, t.month,
                 t.day, t.hour, t.min, t.sec, t.ms);
    put_printed(o, b, n, sizeof(b));
    put_word(o, r->client, strlen(r->client), SHORT_MAX);
    put_raw(o, " ", 1);
    put_word(o, r->method, strlen(r->method), SHORT_MAX);
    put_raw(o, " ", 1);
    put_word(o, url, clean_url(r->target, keep_query, url), URL_MAX);
    n = snprintf(b, sizeof(b), " %d %llu %llu %llu ", r->status, (unsigned long long)r->bytes_in,
                 (unsigned long long)r->bytes_out, (unsigned long long)r->duration_ms);
    put_printed(o, b, n, sizeof(b));
    put_word(o, r->decision, r->decision != NULL ? strlen(r->decision) : 0, DECISION_MAX);
    put_raw(o, " ", 1);
    put_fmt_u64(o, r->id);
    put_raw(o, " ", 1);
    put_word(o, r->upstream, strlen(r->upstream), SHORT_MAX);
    put_raw(o, " ", 1);
    put_word(o, r->user, r->user != NULL ? strlen(r->user) : 0, SHORT_MAX);
}

/* Squid's result code: DENIED for a policy refusal, TUNNEL for CONNECT, MISS otherwise. */
static const char *
squid_result(const pc_access_record_t *r)
{
    if (r->status == 0) {
        return "NONE_NONE";
    }
    if (or_null(r->decision) != NULL && strncmp(r->decision, "allow:", 6) != 0) {
        return "TCP_DENIED";
    }
    return strcmp(r->method, "CONNECT") == 0 ? "TCP_TUNNEL" : "TCP_MISS";
}

static void
format_squid(out_t *o, const pc_access_record_t *r, bool keep_query)
{
    char url[URL_MAX + 1];
    char b[128];
    int n;

    n = snprintf(b, sizeof(b), "%lld.%03u %6llu ", (long long)(r->start_ms / 1000),
                 (unsigned)(r->start_ms % 1000), (unsigned long long)r->duration_ms);
    put_printed(o, b, n, sizeof(b));
    put_client_ip(o, r->client);
    n = snprintf(b, sizeof(b), " %s/%03d %llu ", squid_result(r), r->status,
                 (unsigned long long)r->bytes_out);
    put_printed(o, b, n, sizeof(b));
    put_word(o, r->method, strlen(r->method), SHORT_MAX);
    put_raw(o, " ", 1);
    put_word(o, url, clean_url(r->target, keep_query, url), URL_MAX);
    put_raw(o, " ", 1);
    put_word(o, r->user, r->user != NULL ? strlen(r->user) : 0, SHORT_MAX);
    if (r->upstream[0] != '\0') {
        put_str(o, " HIER_DIRECT/");
        put_client_ip(o, r->upstream);
    } else {
        put_str(o, " HIER_NONE/-");
    }
    put_str(o, " -");
}

static void
format_common(out_t *o, const pc_access_record_t *r, bool keep_query, bool combined)
{
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char url[URL_MAX + 1];
    pc_civil_t t;
    char b[128];
    int n;

    pc_civil_from_ms(r->start_ms, &t);
    put_client_ip(o, r->client);
    put_str(o, " - ");
    put_word(o, r->user, r->user != NULL ? strlen(r->user) : 0, SHORT_MAX);
    n = snprintf(b, sizeof(b), " [%02u/%s/%04lld:%02u:%02u:%02u +0000] \"", t.day,
                 months[(t.month - 1) % 12], (long long)t.year, t.hour, t.min, t.sec);
    put_printed(o, b, n, sizeof(b));
    if (r->method[0] == '\0') {
        put_raw(o, "-", 1); /* no request line was read */
    } else {
        put_quoted_body(o, r->method, strlen(r->method), SHORT_MAX);
        put_raw(o, " ", 1);
        put_quoted_body(o, url, clean_url(r->target, keep_query, url), URL_MAX);
        n = snprintf(b, sizeof(b), " HTTP/1.%d", r->http_minor == 0 ? 0 : 1);
        put_printed(o, b, n, sizeof(b));
    }
    n = snprintf(b, sizeof(b), "\" %d ", r->status);
    put_printed(o, b, n, sizeof(b));
    if (r->bytes_out == 0) {
        put_raw(o, "-", 1);
    } else {
        put_fmt_u64(o, r->bytes_out);
    }
    if (combined) {
        put_raw(o, " ", 1);
        put_quoted(o, r->referer, HEADER_MAX);
        put_raw(o, " ", 1);
        put_quoted(o, r->user_agent, HEADER_MAX);
    }
}

static void
format_json(out_t *o, const pc_access_record_t *r, bool keep_query)
{
    char url[URL_MAX + 1];
    size_t len;
    pc_civil_t t;
    char b[128];
    int n;

    pc_civil_from_ms(r->start_ms, &t);
    n = snprintf(b, sizeof(b),
                 "{\"time\":\"%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ\",\"id\":", (long long)t.year,
                 t.month, t.day, t.hour, t.min, t.sec, t.ms);
    put_printed(o, b, n, sizeof(b));
    put_fmt_u64(o, r->id);
    put_json(o, ",\"client\":", r->client, SHORT_MAX);
    put_json(o, ",\"user\":", or_null(r->user), SHORT_MAX);
    put_json(o, ",\"method\":", or_null(r->method), SHORT_MAX);
    put_str(o, ",\"url\":");
    len = clean_url(r->target, keep_query, url);
    put_json_n(o, r->target[0] != '\0' ? url : NULL, len, URL_MAX);
    put_json(o, ",\"host\":", or_null(r->host), SHORT_MAX);
    put_str(o, ",\"port\":");
    if (r->port != 0) {
        put_fmt_u64(o, r->port);
    } else {
        put_str(o, "null");
    }
    put_json(o, ",\"upstream\":", or_null(r->upstream), SHORT_MAX);
    n = snprintf(b, sizeof(b), ",\"status\":%d", r->status);
    put_printed(o, b, n, sizeof(b));
    put_json(o, ",\"decision\":", or_null(r->decision), DECISION_MAX);
    n = snprintf(b, sizeof(b), ",\"bytes_in\":%llu,\"bytes_out\":%llu,\"duration_ms\":%llu",
                 (unsigned long long)r->bytes_in, (unsigned long long)r->bytes_out,
                 (unsigned long long)r->duration_ms);
    put_printed(o, b, n, sizeof(b));
    put_json(o, ",\"referer\":", or_null(r->referer), HEADER_MAX);
    put_json(o, ",\"user_agent\":", or_null(r->user_agent), HEADER_MAX);
    put_raw(o, "}", 1);
}

size_t
pc_access_format(const pc_access_record_t *rec, pc_alog_format_t fmt, bool keep_query, char *out)
{
    out_t o = {out, 0};
    pc_access_record_t r = *rec;

    /* Out-of-range numbers (never from the proxy) still give a sane line. */
    if (r.start_ms < 0) {
        r.start_ms = 0;
    }
    if (r.status < 0 || r.status > 999) {
        r.status = 0;
    }
    rec = &r;

    switch (fmt) {
    case PC_ALOG_SQUID:
        format_squid(&o, rec, keep_query);
        break;
    case PC_ALOG_COMMON:
    case PC_ALOG_COMBINED:
        format_common(&o, rec, keep_query, fmt == PC_ALOG_COMBINED);
        break;
    case PC_ALOG_JSON:
        format_json(&o, rec, keep_query);
        break;
    case PC_ALOG_NATIVE:
    default:
        format_native(&o, rec, keep_query);
        break;
    }
    out[o.len++] = '\n';
    return o.len;
}

int
pc_alog_format_parse(const char *s, size_t len)
{
    static const char *const names[] = {"native", "squid", "common", "combined", "json"};
    size_t i, k;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strlen(names[i]) != len) {
            continue;
        }
        for (k = 0; k < len; k++) {
            char c = s[k];

            if ((c >= 'A' && c <= 'Z' ? (char)(c + 32) : c) != names[i][k]) {
                break;
            }
        }
        if (k == len) {
            return (int)i;
        }
    }
    return -1;
}
