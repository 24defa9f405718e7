/*
 * http_parse.h: strict, incremental, zero-copy HTTP/1.x parsing.
 *
 * Pure functions: no allocation, no I/O, no state kept between calls. Heads are
 * parsed in the picohttpparser style: the caller passes everything received so
 * far, and gets back the head length, PC_HTTP_INCOMPLETE, or an error. Results
 * point into the caller's buffer.
 *
 * Strictness (RFC 9112, refusing everything a peer could read two ways):
 * every line ends in CRLF (a bare CR or LF anywhere is an error), no obs-fold,
 * no whitespace between a field name and its colon, field names are tokens,
 * field values contain no control characters except HTAB, the version is
 * HTTP/1.0 or HTTP/1.1, the request line has exactly one SP between parts.
 */
#ifndef PC_HTTP_PARSE_H
#define PC_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Return values of the head parsers besides a positive head length. */
#define PC_HTTP_ERROR            (-1) /* malformed: answer 400 (request) or 502 (response) */
#define PC_HTTP_INCOMPLETE       (-2) /* need more bytes */
#define PC_HTTP_TOO_MANY_HEADERS (-3) /* more fields than the caller's array holds: 431 */

typedef struct {
    const char *name; /* borrowed: points into the parsed buffer */
    size_t name_len;
    const char *value; /* borrowed; leading and trailing SP/HTAB removed */
    size_t value_len;
} pc_http_header_t;

typedef struct {
    const char *method; /* borrowed */
    size_t method_len;
    const char *target; /* borrowed: request-target exactly as sent */
    size_t target_len;
    int minor_version;         /* 0 or 1 */
    pc_http_header_t *headers; /* borrowed: caller's array */
    size_t num_headers;        /* set by the parser */
} pc_http_request_t;

typedef struct {
    int minor_version;  /* 0 or 1 */
    int status;         /* 100 ... 999 */
    const char *reason; /* borrowed; may be empty */
    size_t reason_len;
    pc_http_header_t *headers; /* borrowed: caller's array */
    size_t num_headers;
} pc_http_response_t;

/*
 * Parses a request head from buf[0..len). req->headers must point to an array of
 * max_headers entries. Leading empty lines (CRLF pairs) before the request line
 * are skipped and counted in the returned length (RFC 9112 section 2.2).
 * Returns the number of bytes of the head including its final CRLF CRLF, or
 * PC_HTTP_INCOMPLETE, PC_HTTP_ERROR, PC_HTTP_TOO_MANY_HEADERS.
 * Any prefix of a valid head returns PC_HTTP_INCOMPLETE; an invalid byte is
 * reported as PC_HTTP_ERROR as soon as it is seen, even before the head ends.
 */
int pc_http_parse_request(const char *buf, size_t len, pc_http_request_t *req, size_t max_headers);

/*
 * Parses a response head (status line and fields). Same contract as above.
 * A status line without a reason phrase ("HTTP/1.1 204\r\n") is accepted.
 */
int pc_http_parse_response(const char *buf, size_t len, pc_http_response_t *res,
                           size_t max_headers);

/* How a message body is delimited (RFC 9112 section 6.3). */
typedef enum {
    PC_BODY_NONE,    /* no body at all */
    PC_BODY_LENGTH,  /* exactly framing.length bytes (may be 0) */
    PC_BODY_CHUNKED, /* chunked transfer coding */
    PC_BODY_CLOSE    /* response only: body ends when the origin closes */
} pc_body_kind_t;

typedef struct {
    pc_body_kind_t kind;
    uint64_t length; /* for PC_BODY_LENGTH; also the Content-Length value when has_length */
    bool has_length; /* a (valid) Content-Length field was present */
    bool keep_alive; /* the sender allows another message on this connection */
} pc_http_framing_t;

/*
 * Decides the framing of a request body from its fields, refusing ambiguity
 * with PC_HTTP_ERROR: Transfer-Encoding together with Content-Length; several
 * Content-Length fields or list members that differ; a Content-Length that is
 * not 1*DIGIT or overflows; any Transfer-Encoding other than exactly one
 * "chunked" coding (case-insensitive), and Transfer-Encoding in HTTP/1.0.
 * Several identical Content-Length values are accepted as one.
 * keep_alive follows the version default and the Connection field tokens
 * ("close", "keep-alive"). No body fields: PC_BODY_LENGTH with length 0.
 * Returns 0 or PC_HTTP_ERROR.
 */
int pc_http_request_framing(const pc_http_request_t *req, pc_http_framing_t *out);

/*
 * The same for a response to a request whose method was HEAD (is_head) or not.
 * 1xx, 204 and 304 responses and responses to HEAD have PC_BODY_NONE (their
 * Content-Length is still validated and reported in has_length/length).
 * Otherwise chunked, then Content-Length, then PC_BODY_CLOSE (keep_alive false).
 * A chunked response to an HTTP/1.0 request is the caller's business.
 * Returns 0 or PC_HTTP_ERROR.
 */
int pc_http_response_framing(const pc_http_response_t *res, bool is_head, pc_http_framing_t *out);

/*
 * Case-insensitive search for field `name` (name_len bytes). Returns the index
 * of the first match at or after `from`, or -1.
 */
int pc_http_find_header(const pc_http_header_t *h, size_t n, const char *name, size_t name_len,
                        size_t from);

/*
 * True if the comma-separated field value contains `token`, case-insensitively,
 * as a whole list member (OWS around members ignored).
 */
bool pc_http_list_has_token(const char *value, size_t value_len, const char *token,
                            size_t token_len);

/*
 * Streaming validator for a chunked body (RFC 9112 section 7.1). Zero-fill the
 * struct before the body starts. It does not copy or decode: the proxy relays
 * the raw bytes it approves, so the receiver sees exactly what was validated.
 */
typedef struct {
    int state;          /* internal; 0 at start */
    uint64_t remaining; /* bytes of chunk data left in the current chunk */
    size_t line_len;    /* bytes seen of the current size/extension or trailer line */
    size_t trailer_len; /* bytes of trailer section seen so far */
    int digits;         /* hex digits seen in the current chunk size */
} pc_chunked_t;

#define PC_CHUNKED_MAX_LINE    4096  /* chunk-size line incl. extensions */
#define PC_CHUNKED_MAX_TRAILER 16384 /* whole trailer section */

/*
 * Scans buf[0..len). Sets *consumed to the number of bytes that belong to the
 * body and returns:
 *   0  all len bytes belong to the body and it is not finished yet;
 *   1  the body ended (last chunk, trailers and final CRLF) after *consumed
 *      bytes; bytes after that belong to the next message;
 *  -1  malformed (bad hex, size over 2^63-1 or more than 16 hex digits, bare CR
 *      or LF, missing CRLF after data, over-long line or trailer section, a
 *      trailer line that is not a valid field). *consumed is undefined.
 */
int pc_chunked_scan(pc_chunked_t *st, const char *buf, size_t len, size_t *consumed);

#endif
