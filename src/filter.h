/*
 * filter.h: the domain blocklist.
 *
 * A listed domain blocks itself and every subdomain, on label boundaries:
 * "example.com" blocks "example.com" and "a.b.example.com", never
 * "badexample.com". Built once when the config loads, read-only afterwards
 * (safe to share between threads). Lookups cost one hash probe per label of
 * the host and allocate nothing. This is the first engine; the policy issue
 * replaces it behind the same calls.
 */
#ifndef PC_FILTER_H
#define PC_FILTER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct pc_filter_s pc_filter_t;

/* Creates an empty filter; free with pc_filter_free(). 0 or PC_E_NOMEM. */
int pc_filter_create(pc_filter_t **out);
void pc_filter_free(pc_filter_t *f);

/*
 * Adds one domain. It is normalised first (ASCII lowercase, one trailing dot
 * removed) and must be a valid host name: labels of letters, digits, '-' and
 * '_', 1-63 bytes each, 253 bytes in all. Duplicates are fine.
 * Returns 0, PC_E_BAD_HOST or PC_E_NOMEM.
 */
int pc_filter_add(pc_filter_t *f, const char *domain, size_t len);

/*
 * Adds every domain of a list file's text: one domain per line, blank lines
 * and lines starting with '#' ignored, surrounding spaces/tabs trimmed, CRLF
 * or LF line ends. A bad line stops the load: err receives
 * "<origin>:<line>: <message>" and PC_E_CONF_VALUE is returned.
 */
int pc_filter_add_list(pc_filter_t *f, const char *text, size_t len, const char *origin, char *err,
                       size_t err_cap);

/* Number of distinct domains. */
size_t pc_filter_count(const pc_filter_t *f);

/*
 * True if host, already normalised (lowercase, no trailing dot, as produced by
 * the target parser), is a listed domain or a subdomain of one.
 */
bool pc_filter_match(const pc_filter_t *f, const char *host, size_t len);

#endif
