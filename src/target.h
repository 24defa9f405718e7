/*
 * target.h: request targets and host names.
 *
 * Parses the authority of a CONNECT request and the absolute-form URI of a
 * plain request, and normalises the host once, before any policy: ASCII
 * lowercase, one trailing dot removed, IPv6 brackets stripped, port split off.
 * Anything that is not a plain host name or IP literal is refused.
 */
#ifndef PC_TARGET_H
#define PC_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_parse.h"

#define PC_HOST_MAX 253

typedef struct {
    char host[PC_HOST_MAX + 1]; /* normalised, NUL-terminated, no brackets */
    size_t host_len;
    uint16_t port;
    bool is_ipv6; /* host is an IPv6 literal (was in brackets) */
} pc_target_t;

/*
 * Normalises a DNS host name into out (at least PC_HOST_MAX + 1 bytes, NUL
 * terminated): ASCII lowercase, one trailing dot removed; labels of letters,
 * digits, '-' and '_', 1-63 bytes each, 253 bytes in all. Returns the length,
 * or 0 if s is not such a name. The one normalisation every rule and lookup
 * goes through.
 */
size_t pc_host_normalise(const char *s, size_t len, char *out);

/*
 * Parses "host:port", "[v6]:port" and, when default_port is not 0, also a
 * bare "host" or "[v6]" (CONNECT passes 0: the port is required).
 * Host names are labels of letters, digits, '-' and '_' (1-63 bytes each,
 * 253 in all, no empty label except one trailing dot); IPv6 literals hold hex
 * digits, ':' and '.' only (no zone id). The port is 1*5DIGIT in 1..65535.
 * A name whose last label is numeric can only be an IPv4 address, so it is
 * read the way resolvers read it ("2130706433", "0x7f.1", "127.0.0.01") and
 * stored as a dotted quad ("127.0.0.1"), or refused if it is not one
 * ("1.2.3.999", "example.123"). IPv6 literals are stored in RFC 5952 form.
 * Returns 0 or PC_E_BAD_HOST.
 */
int pc_target_parse_authority(const char *s, size_t len, uint16_t default_port, pc_target_t *out);

/*
 * Parses an absolute-form target "http://authority[/path][?query]" (scheme
 * case-insensitive, default port 80). *path receives the origin-form
 * ("/..." including any query; "/" when the URI has no path, or "/?q" when
 * it has only a query), pointing into the input except for the "/" case.
 * A fragment or userinfo ('@' in the authority) is refused.
 * Returns 0, PC_E_BAD_HOST (bad authority), PC_E_BAD_REQUEST (not
 * absolute-form, bad characters) or PC_E_NOT_IMPLEMENTED (another scheme,
 * such as https or ftp). For "/?q" path_buf (at least len + 2 bytes) is used;
 * a smaller path_buf gives PC_E_NO_SPACE.
 */
int pc_target_parse_absolute(const char *s, size_t len, pc_target_t *out, const char **path,
                             size_t *path_len, char *path_buf, size_t path_buf_cap);

/*
 * Checks the Host fields of a request (fields[0..n)). The proxy never uses
 * Host to route: the absolute-form or CONNECT target wins and the Host sent
 * on is written from it (RFC 9112 section 3.2.2). A Host that is present must
 * still be well formed (RFC 9112 section 3.2: more than one Host field, or an
 * invalid value, is a 400): at most one field, and its value an authority
 * that pc_target_parse_authority() accepts with default port 80, so the same
 * rules apply as to the target (port 1..65535 as 1*5DIGIT when present; no
 * empty host, no "host:", no sign, no userinfo). A request without Host is
 * allowed (HTTP/1.0, and CONNECT from clients that omit it).
 * Returns 0 or PC_E_BAD_HOST.
 */
int pc_target_check_host_fields(const pc_http_header_t *fields, size_t n);

/*
 * Formats the Host field value for t: "host" when port equals default_port,
 * else "host:port"; IPv6 in brackets. Returns the length, or 0 if cap is too
 * small.
 */
size_t pc_target_format_host(const pc_target_t *t, uint16_t default_port, char *out, size_t cap);

#endif
