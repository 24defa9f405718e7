/*
 * http_reply.h: the responses Portcullis writes itself (errors, CONNECT 200).
 *
 * Pure. Bodies are short text chosen by the proxy (at most a list file name
 * from the configuration, already quoted); no request data is ever
 * reflected into them, so there is nothing to escape.
 */
#ifndef PC_HTTP_REPLY_H
#define PC_HTTP_REPLY_H

#include <stddef.h>

/* The reason phrase for a status code Portcullis sends ("Bad Gateway"). */
const char *pc_http_reason(int status);

/*
 * Formats a complete error response with a text/plain body
 * "<status> <reason>: <detail>\n" (": <detail>" only when detail is not NULL;
 * the body is at most 511 bytes),
 * Content-Length framing and "Connection: close". Returns 0 and sets *out_len,
 * or PC_E_NO_SPACE.
 */
#define PC_REPLY_MAX 1024 /* room for any error response built below */

int pc_http_reply_error(int status, const char *detail, char *out, size_t cap, size_t *out_len);

/* The fixed answer to a CONNECT that was tunnelled. */
extern const char pc_http_connect_ok[];
extern const size_t pc_http_connect_ok_len;

#endif
