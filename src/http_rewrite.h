/*
 * http_rewrite.h: the heads Portcullis sends on.
 *
 * Pure. The outgoing head is always built as a new list from the parsed one
 * (never edited in place): hop-by-hop fields (Connection, Keep-Alive,
 * Proxy-Connection, Proxy-Authenticate, Proxy-Authorization, TE, Trailer,
 * Transfer-Encoding, Upgrade) and every field named in a Connection or
 * Proxy-Connection value are dropped; the framing fields are written afresh
 * from the validated framing, so a peer never sees a Content-Length or
 * Transfer-Encoding spelling other than the canonical one; a Via member is
 * appended. Every other field passes unchanged, in order, duplicates kept.
 */
#ifndef PC_HTTP_REWRITE_H
#define PC_HTTP_REWRITE_H

#include <stdbool.h>
#include <stddef.h>

#include "http_parse.h"

/*
 * Builds the request head for the origin:
 *   "<method> <path> HTTP/1.<minor>\r\n"
 *   "Host: <host>\r\n"                      (replaces any Host field)
 *   <end-to-end fields of req, in order, without Host and Content-Length>
 *   "Transfer-Encoding: chunked\r\n"        (fr->kind == PC_BODY_CHUNKED)
 *   "Content-Length: <n>\r\n"               (fr->kind == PC_BODY_LENGTH && fr->has_length)
 *   "Via: 1.<minor> <via_name>\r\n"
 *   "\r\n"
 * Returns 0 and sets *out_len, or PC_E_NO_SPACE if cap is too small.
 */
int pc_http_rewrite_request(const pc_http_request_t *req, const pc_http_framing_t *fr,
                            const char *host, size_t host_len, const char *path, size_t path_len,
                            const char *via_name, char *out, size_t cap, size_t *out_len);

/*
 * Builds the response head for the client:
 *   "HTTP/1.1 <status> <reason>\r\n"
 *   <end-to-end fields of res, in order, without Content-Length>
 *   "Transfer-Encoding: chunked\r\n"   (fr->kind == PC_BODY_CHUNKED)
 *   "Content-Length: <n>\r\n"          (fr->has_length, except for 1xx and 204)
 *   "Via: 1.<res minor> <via_name>\r\n"
 *   "Connection: close\r\n"            (when close)
 *   "Connection: keep-alive\r\n"       (when !close && client_minor == 0)
 *   "\r\n"
 * Returns 0 and sets *out_len, or PC_E_NO_SPACE.
 */
int pc_http_rewrite_response(const pc_http_response_t *res, const pc_http_framing_t *fr, bool close,
                             int client_minor, const char *via_name, char *out, size_t cap,
                             size_t *out_len);

/*
 * True if any Via field of the message lists via_name as a received-by
 * (a member "<protocol> <via_name>[ <comment>]", names compared
 * case-insensitively): the message has already passed through a proxy of
 * this name, so forwarding it again would loop.
 */
bool pc_http_via_has(const pc_http_header_t *fields, size_t n, const char *via_name);

#endif
