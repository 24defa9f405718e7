/*
 * list_parse.h: the text of a rule list (blocklist or allowlist) read into
 * rules.
 *
 * Pure: the list comes in as bytes and every rule goes out through a
 * callback, so the parser knows nothing of the tables that hold the rules.
 * The grammar is described at the top of list_parse.c.
 */
#ifndef PC_LIST_PARSE_H
#define PC_LIST_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

/* One rule, valid only during the callback that receives it. */
typedef struct {
    bool is_addr;     /* an address rule, else a domain rule */
    unsigned kind;    /* domain rule: one PC_KIND_* bit (rule.h) */
    const char *name; /* domain rule: normalised, NUL-terminated */
    size_t name_len;
    pc_addr_t net; /* address rule: network, host bits clear */
    unsigned prefix;
    size_t line; /* 1-based line it was written on */
} pc_list_rule_t;

/* Receives each rule; a nonzero return stops the parse and is returned. */
typedef int (*pc_list_rule_cb)(void *ctx, const pc_list_rule_t *rule);

/* Where and why a parse stopped. */
typedef struct {
    size_t line;      /* 1-based */
    const char *what; /* static message; NULL if the callback stopped it */
    const char *text; /* the offending text, inside the input (not NUL-terminated) */
    size_t text_len;
} pc_list_error_t;

/*
 * Reads every line of text[0..len). Returns 0; PC_E_CONF_VALUE at the first
 * bad line, with *err filled; PC_E_NOMEM (err->what says so); or the first
 * nonzero return of cb (err->line and err->text name the rule's line and
 * text, err->what is NULL). err may be NULL.
 */
int pc_list_parse(const char *text, size_t len, pc_list_rule_cb cb, void *ctx,
                  pc_list_error_t *err);

/*
 * Reads one line (without its LF; a final CR is dropped) numbered line.
 * Same returns as pc_list_parse().
 */
int pc_list_parse_line(const char *s, size_t len, size_t line, pc_list_rule_cb cb, void *ctx,
                       pc_list_error_t *err);

#endif
