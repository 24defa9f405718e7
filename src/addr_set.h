/*
 * addr_set.h: the table of address rules (addresses and CIDR blocks), allow
 * and block together.
 *
 * Each distinct block (family, prefix, network bytes) is one entry that
 * keeps, per side, the first rule that named it. Built once, read-only
 * afterwards. A lookup costs one hash probe per prefix length in use for the
 * address's family (at most 33 or 129), never a scan of the rules, and
 * allocates nothing. IPv4-mapped IPv6 is IPv4, both in rules and lookups.
 */
#ifndef PC_ADDR_SET_H
#define PC_ADDR_SET_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "rule.h"

typedef struct pc_addr_set_s pc_addr_set_t;

/* Creates an empty set; free with pc_addr_set_free(). 0 or PC_E_NOMEM. */
int pc_addr_set_create(pc_addr_set_t **out);
void pc_addr_set_free(pc_addr_set_t *s);

/*
 * Adds net/prefix on side. Host bits beyond the prefix are ignored. A block
 * inside ::ffff:0:0/96 (prefix 96 or more) is stored as the IPv4 block it
 * maps. The first add of a block on a side sets that side's rule.
 * Returns 0, PC_E_CONF_VALUE (bad family or prefix) or PC_E_NOMEM.
 */
int pc_addr_set_add(pc_addr_set_t *s, const pc_addr_t *net, unsigned prefix, unsigned side,
                    pc_rule_id_t rule);

/*
 * Finds the blocks that hold a. For each side the longest matching prefix's
 * rule is reported. out is always filled (no hits for a NULL set or
 * address).
 */
void pc_addr_set_lookup(const pc_addr_set_t *s, const pc_addr_t *a, pc_rule_match_t *out);

/* True if any block has a rule on side. */
bool pc_addr_set_has_side(const pc_addr_set_t *s, unsigned side);

/* Number of distinct blocks. */
size_t pc_addr_set_count(const pc_addr_set_t *s);

/* Bytes held by the set (table and entries), for logs and tests. */
size_t pc_addr_set_bytes(const pc_addr_set_t *s);

#endif
