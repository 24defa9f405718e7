/*
 * access_format.h: one access-log line from one finished transaction, in
 * each of the formats AccessLogFormat names (pure: no I/O).
 *
 * Every field is bounded and escaped for its format, so no request can
 * split, forge or overflow a line: native and squid replace spaces, '"' and
 * bytes outside printable ASCII with '?' (as do the unquoted fields of
 * common and combined); common and combined escape '"',
 * '\' and such bytes as \xHH inside their quoted fields; json escapes
 * everything JSON requires (bytes 0x80 and above as \u00HH), so any input
 * gives valid JSON. The query string is left out of the URL unless asked
 * for; userinfo ("user:password@") always is, and no header but Referer and
 * User-Agent is ever part of a record (never Proxy-Authorization).
 */
#ifndef PC_ACCESS_FORMAT_H
#define PC_ACCESS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    PC_ALOG_NATIVE,   /* the default: space-separated fields, see pc_access_format() */
    PC_ALOG_SQUID,    /* Squid's native access.log */
    PC_ALOG_COMMON,   /* NCSA Common Log Format */
    PC_ALOG_COMBINED, /* Common plus Referer and User-Agent */
    PC_ALOG_JSON      /* one JSON object per line */
} pc_alog_format_t;

/* One finished transaction, as the access log records it. */
typedef struct {
    int64_t start_ms;       /* wall clock when the request head was complete */
    uint64_t id;            /* request id, also in the error log as "#id" */
    const char *client;     /* "ip:port" ("[ip6]:port") */
    const char *user;       /* authenticated user; NULL or "" = none */
    const char *method;     /* "" if the request never got that far */
    const char *target;     /* the request target as received (bounded), "" if none */
    const char *host;       /* target host, normalised; "" if not parsed */
    unsigned port;          /* target port; 0 if not parsed */
    int http_minor;         /* HTTP/1.x of the request */
    const char *upstream;   /* the origin address used, "ip:port"; "" if none */
    int status;             /* status sent to the client; 0 if none */
    uint64_t bytes_in;      /* bytes received from the client */
    uint64_t bytes_out;     /* bytes sent to the client */
    uint64_t duration_ms;   /* from the complete head to the end */
    const char *decision;   /* policy decision ("-", "block:LIST:LINE", ...); NULL = "-" */
    const char *referer;    /* Referer field; NULL = none */
    const char *user_agent; /* User-Agent field; NULL = none */
} pc_access_record_t;

/* The longest line pc_access_format() writes, newline included. */
#define PC_ACCESS_LINE_MAX 16384

/*
 * Formats rec as one line ending in '\n' into out (PC_ACCESS_LINE_MAX
 * bytes), leaving the query out of the URL unless keep_query. Returns the
 * length.
 *
 * native:   TIME CLIENT METHOD URL STATUS IN OUT MS DECISION ID UPSTREAM USER
 * squid:    EPOCH.MS ELAPSED CLIENT-IP RESULT/STATUS OUT METHOD URL USER HIER/UPSTREAM -
 * common:   CLIENT-IP - USER [DD/Mon/YYYY:HH:MM:SS +0000] "METHOD URL HTTP/1.x" STATUS OUT
 * combined: common "REFERER" "USER-AGENT"
 * json:     {"time":..,"id":..,"client":..,"user":..,"method":..,"url":..,"host":..,
 *            "port":..,"upstream":..,"status":..,"decision":..,"bytes_in":..,
 *            "bytes_out":..,"duration_ms":..,"referer":..,"user_agent":..}
 */
size_t pc_access_format(const pc_access_record_t *rec, pc_alog_format_t fmt, bool keep_query,
                        char *out);

/* The format named s ("native", "squid", "common", "combined", "json", any case); -1 if none. */
int pc_alog_format_parse(const char *s, size_t len);

#endif
