/*
 * it_http.h: HTTP/1.1 message framing and field lookup for the harness.
 *
 * These are deliberately small and independent of the proxy's own parser:
 * the origin uses them to split what the proxy sends into requests, and the
 * client uses them to split responses. They accept what a correct peer sends
 * and say PC_IT_HTTP_BAD for anything else; they are not a validator.
 */
#ifndef PC_TESTS_SUPPORT_IT_HTTP_H
#define PC_TESTS_SUPPORT_IT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/* Results of the framing functions. */
#define PC_IT_HTTP_COMPLETE 1
#define PC_IT_HTTP_PARTIAL  0
#define PC_IT_HTTP_BAD      (-1)

/* Offset just past the CRLF CRLF that ends a head, or 0 if not there yet. */
size_t pc_it_http_head_end(const char *buf, size_t len);

/* The status code of a response head ("HTTP/1.x NNN ..."), or -1. */
int pc_it_http_status(const char *head, size_t len);

/*
 * The idx-th (from 0) field named name (case-insensitive) in the head
 * head[0..len). On success (*val, *vlen) is the value without surrounding
 * whitespace (pointing into head) and the result is true.
 */
bool pc_it_http_field(const char *head, size_t len, const char *name, size_t idx, const char **val,
                      size_t *vlen);

/* How many fields named name the head has. */
size_t pc_it_http_field_count(const char *head, size_t len, const char *name);

/* True when the first field named name exists and its value equals want. */
bool pc_it_http_field_is(const char *head, size_t len, const char *name, const char *want);

/*
 * Frames a chunked body (chunks, last-chunk, trailer section, final CRLF).
 * COMPLETE sets *total to its length in bytes.
 */
int pc_it_http_chunked_len(const char *buf, size_t len, size_t *total);

/* Decodes a complete chunked body; *out is malloc'd (owned by the caller). */
int pc_it_http_dechunk(const char *buf, size_t len, char **out, size_t *out_len);

/* Frames one request (head plus Content-Length or chunked body). */
int pc_it_http_request_len(const char *buf, size_t len, size_t *total);

/*
 * Frames one response. head_req: it answers a HEAD request. eof: the peer
 * has closed, which completes a close-delimited body. *close_delimited says
 * whether the body ran to the end of the connection.
 */
int pc_it_http_response_len(const char *buf, size_t len, bool head_req, bool eof, size_t *total,
                            bool *close_delimited);

#endif
