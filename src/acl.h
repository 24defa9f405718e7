/*
 * acl.h: client access rules and the CONNECT port set.
 *
 * Client rules are an ordered list of Allow/Deny CIDR blocks; the first rule
 * that contains the address decides. With no rules at all only loopback
 * clients are admitted (secure default); with rules, an address that matches
 * none is denied.
 */
#ifndef PC_ACL_H
#define PC_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

typedef struct pc_acl_s pc_acl_t;

/* Creates an empty ACL; free with pc_acl_free(). Returns 0 or PC_E_NOMEM. */
int pc_acl_create(pc_acl_t **out);
void pc_acl_free(pc_acl_t *acl);

/* Appends a rule from CIDR text. Returns 0, PC_E_CONF_VALUE or PC_E_NOMEM. */
int pc_acl_add(pc_acl_t *acl, bool allow, const char *cidr, size_t len);

/* Number of rules added. */
size_t pc_acl_count(const pc_acl_t *acl);

/* Decides for a client address (IPv4-mapped IPv6 is treated as IPv4). */
bool pc_acl_allows(const pc_acl_t *acl, const pc_addr_t *client);

/* A set of TCP ports, one bit each. A zeroed struct is the empty set. */
typedef struct {
    uint8_t bits[65536 / 8];
} pc_portset_t;

/* Adds "N" or "N-M" (1 <= N <= M <= 65535). Returns 0 or PC_E_CONF_VALUE. */
int pc_portset_add(pc_portset_t *set, const char *s, size_t len);
bool pc_portset_has(const pc_portset_t *set, uint16_t port);

#endif
