/*
 * domain_set.h: the table of domain rules, allow and block together.
 *
 * Each distinct name is one entry that keeps, per side, the kinds of rule
 * written for it (PC_KIND_* bits) and the first rule that gave that side a
 * kind. Built once, read-only afterwards. Lookups walk the host from the
 * right, one hash probe per label, and allocate nothing.
 */
#ifndef PC_DOMAIN_SET_H
#define PC_DOMAIN_SET_H

#include <stddef.h>

#include "rule.h"

typedef struct pc_domain_set_s pc_domain_set_t;

/* Creates an empty set; free with pc_domain_set_free(). 0 or PC_E_NOMEM. */
int pc_domain_set_create(pc_domain_set_t **out);
void pc_domain_set_free(pc_domain_set_t *s);

/*
 * Adds kind (one PC_KIND_* bit or several) on side for name, which must
 * already be normalised (pc_host_normalise) and at most PC_HOST_MAX bytes.
 * The first add that gives a side any kind sets that side's rule; later adds
 * only add kinds. Returns 0, PC_E_BAD_HOST (empty or too long) or
 * PC_E_NOMEM.
 */
int pc_domain_set_add(pc_domain_set_t *s, const char *name, size_t len, unsigned side,
                      unsigned kind, pc_rule_id_t rule);

/*
 * Matches a normalised host: at the whole host SUBTREE and EXACT entries
 * match, at each proper suffix on a label boundary SUBTREE and SUBS_ONLY
 * entries match. For each side the longest matching name's rule is
 * reported. out is always filled (no hits for a NULL set or host).
 */
void pc_domain_set_lookup(const pc_domain_set_t *s, const char *host, size_t len,
                          pc_rule_match_t *out);

/* Number of distinct names. */
size_t pc_domain_set_count(const pc_domain_set_t *s);

/* Bytes held by the set (table and names), for logs and tests. */
size_t pc_domain_set_bytes(const pc_domain_set_t *s);

/* Gives back the unused end of the name arena (call when a load is done). */
void pc_domain_set_trim(pc_domain_set_t *s);

#endif
