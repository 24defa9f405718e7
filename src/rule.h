/*
 * rule.h: what a destination rule is, shared by the list parser and the two
 * rule tables (domain_set, addr_set).
 *
 * Header only. A rule belongs to one side (allow or block, the same values
 * as pc_list_kind_t) and remembers where it was written: the index of its
 * list in the policy and its line there.
 */
#ifndef PC_RULE_H
#define PC_RULE_H

#include <stdbool.h>
#include <stdint.h>

/* Sides, equal to PC_LIST_BLOCK and PC_LIST_ALLOW. */
#define PC_SIDE_BLOCK 0u
#define PC_SIDE_ALLOW 1u
#define PC_SIDES      2u

/* Kinds of domain rule, as bits so one name can carry several. */
#define PC_KIND_SUBTREE   0x1u /* "example.com": the name and every subdomain */
#define PC_KIND_SUBS_ONLY 0x2u /* "*.example.com": subdomains only */
#define PC_KIND_EXACT     0x4u /* "=example.com": the name only */
#define PC_KIND_ALL       0x7u

/* Where a rule was written: list index (in the policy) and 1-based line. */
typedef struct {
    uint32_t line;
    uint16_t list;
} pc_rule_id_t;

/* What a lookup found, per side: whether a rule matched and which one. */
typedef struct {
    bool hit[PC_SIDES];
    pc_rule_id_t rule[PC_SIDES];
} pc_rule_match_t;

#endif
