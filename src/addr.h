/*
 * addr.h: IP addresses and CIDR blocks as bytes, parsed without the OS.
 *
 * Pure: the core hands over addresses it got from libuv as bytes, so the
 * policy modules never see a struct sockaddr.
 */
#ifndef PC_ADDR_H
#define PC_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int family;        /* 4 or 6 */
    uint8_t bytes[16]; /* network order; IPv4 uses bytes[0..3] */
} pc_addr_t;

/*
 * Parses a strict textual address: dotted quad (four decimal parts 0-255, no
 * leading zeros, no other spelling) or RFC 4291 IPv6 text (with "::" and an
 * optional dotted-quad tail; no brackets, no zone id).
 * Returns 0 or PC_E_BAD_HOST.
 */
int pc_addr_parse(const char *s, size_t len, pc_addr_t *out);

/*
 * Parses "ADDR/PREFIX" or a bare ADDR (full-length prefix). Host bits beyond
 * the prefix are cleared. Returns 0 or PC_E_CONF_VALUE.
 */
int pc_cidr_parse(const char *s, size_t len, pc_addr_t *net, unsigned *prefix);

/* True if a lies in net/prefix (families must match). */
bool pc_addr_in_cidr(const pc_addr_t *a, const pc_addr_t *net, unsigned prefix);

/* Rewrites an IPv4-mapped IPv6 address (::ffff:a.b.c.d) as plain IPv4. */
void pc_addr_unmap(pc_addr_t *a);

/* True for 127.0.0.0/8 and ::1 (and IPv4-mapped loopback). */
bool pc_addr_is_loopback(const pc_addr_t *a);

/*
 * Formats as text (IPv6 in RFC 5952 short form, no brackets) into out, which
 * should hold at least PC_ADDR_STRLEN bytes. Returns the length written.
 */
#define PC_ADDR_STRLEN 46
size_t pc_addr_format(const pc_addr_t *a, char *out, size_t cap);

#endif
