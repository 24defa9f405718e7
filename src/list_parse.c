/*
 * list_parse.c: the rule-list grammar (see list_parse.h).
 *
 * Owns what a list line may say. The grammar, one rule or one hosts-file
 * line per line:
 *
 *   list        = [BOM] *(line (LF / CRLF)) [line]  ; a UTF-8 BOM is skipped
 *   line        = blanks [content blanks] [comment]
 *   comment     = "#" *byte          ; at the start, or after a blank
 *   blanks      = *(SP / HTAB)
 *   content     = domain-rule / addr-rule / hosts-line
 *   domain-rule = name               ; SUBTREE: the name and every subdomain
 *               / "." name           ; SUBTREE (Squid spelling)
 *               / "||" name "^"      ; SUBTREE (adblock spelling, no "$" options)
 *               / "*." name          ; SUBS_ONLY: subdomains, never the name
 *               / "=" name           ; EXACT: the name, never a subdomain
 *   addr-rule   = address ["/" prefix]   ; strict text (addr.h), host bits cleared
 *   hosts-line  = address ["%" zone] 1*(1*(SP / HTAB) host-name)
 *   host-name   = name               ; SUBTREE
 *               / address            ; an address rule (full length)
 *   address     = IPv4 / IPv6
 *
 * A name is normalised with pc_host_normalise() (lowercase, one trailing dot
 * dropped, labels of [a-z0-9_-]). A name holding any byte >= 0x80 is first
 * converted to punycode (idn.h); without libidn2 it is refused with advice.
 * A name whose last label is spelled as a number ("1.2.3", "x.0x10") can
 * only be an IPv4 address to a resolver, so it must be a strict address
 * (and is then an address rule) or it is refused; the request-target parser
 * refuses such hosts too, so the rule could never match. '*' is allowed only
 * as the leading "*." label. The zone id ("fe80::1%lo0") is accepted, and
 * ignored, only on the address that starts a hosts-file line: hosts files
 * carry it, rules do not. On hosts-file lines the leading address itself is
 * not a rule, and the boilerplate names of hosts files ("localhost",
 * "broadcasthost", "ip6-allnodes", "0.0.0.0", ...) are skipped.
 *
 * Every other line is an error naming the offending text: the whole rule,
 * or on a hosts-file line the one bad word.
 */
#include "list_parse.h"

#include "idn.h"
#include "rule.h"
#include "target.h"

#include "portcullis/error.h"

#include <string.h>

static const char msg_name[] = "invalid domain name";
static const char msg_star[] = "'*' is only allowed as a leading '*.' label";
static const char msg_adblock[] = "an adblock rule must be '||name^'";
static const char msg_options[] = "adblock options ('$') are not supported";
static const char msg_cidr[] = "not a valid address or CIDR block";
static const char msg_numeric[] = "not a valid address or name";
static const char msg_zone[] = "a zone id is only allowed on the address that starts a "
                               "hosts-file line";
static const char msg_hosts[] = "several words, and the first is not an IP address "
                                "(as a hosts-file line would start)";
static const char msg_idn_missing[] = "internationalised name needs libidn2, which this build "
                                      "lacks; write it in punycode (xn--...)";
static const char msg_idn_bad[] = "invalid internationalised name";
static const char msg_nomem[] = "out of memory";

/* Names a hosts file maps for the machine itself, never ad servers. */
static const char *const hosts_boilerplate[] = {
    "localhost",     "localhost.localdomain", "local",        "broadcasthost",
    "ip6-localhost", "ip6-loopback",          "ip6-localnet", "ip6-mcastprefix",
    "ip6-allnodes",  "ip6-allrouters",        "ip6-allhosts", "0.0.0.0",
};

/* What one line's parse carries around. */
typedef struct {
    pc_list_rule_cb cb;
    void *ctx;
    size_t line;
    pc_list_error_t *err;
} line_ctx_t;

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f');
}

/* Trims spaces and tabs at both ends of [*s, *s + *len). */
static void
trim_blanks(const char **s, size_t *len)
{
    while (*len > 0 && is_blank(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_blank((*s)[*len - 1])) {
        (*len)--;
    }
}

/* Cuts a comment: '#' at the start or after a blank. */
static size_t
cut_comment(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] == '#' && (i == 0 || is_blank(s[i - 1]))) {
            return i;
        }
    }
    return len;
}

/* Length of the word at s (up to the first blank). */
static size_t
word_len(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len && !is_blank(s[i])) {
        i++;
    }
    return i;
}

/* Records an error (what may be NULL for a callback failure). */
static int
fail(line_ctx_t *lc, int rc, const char *what, const char *text, size_t text_len)
{
    if (lc->err != NULL) {
        lc->err->line = lc->line;
        lc->err->what = what;
        lc->err->text = text;
        lc->err->text_len = text_len;
    }
    return rc;
}

/*
 * True if the last label is spelled as a number: all digits, or "0x" and
 * hex digits (the same reading as the request-target parser's).
 */
static bool
ends_in_number(const char *h, size_t len)
{
    size_t start = len, i;

    while (start > 0 && h[start - 1] != '.') {
        start--;
    }
    i = start;
    if (len - start >= 2 && h[start] == '0' && h[start + 1] == 'x') {
        i += 2;
        while (i < len && is_hex(h[i])) {
            i++;
        }
        return i == len;
    }
    while (i < len && is_digit(h[i])) {
        i++;
    }
    return i == len && i > start;
}

static bool
has_high_byte(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if ((unsigned char)s[i] >= 0x80) {
            return true;
        }
    }
    return false;
}

/*
 * Normalises a name into out (PC_HOST_MAX + 1 bytes), through punycode if
 * it is not ASCII. Returns the length, or 0 with *what set (and *rc set to
 * the error code).
 */
static size_t
name_to_ascii(const char *s, size_t len, char *out, const char **what, int *rc)
{
    char ascii[PC_HOST_MAX + 2];
    size_t n = 0;
    int r;

    *rc = PC_E_CONF_VALUE;
    *what = msg_name;
    if (!has_high_byte(s, len)) {
        return pc_host_normalise(s, len, out);
    }
    r = pc_idn_to_ascii(s, len, ascii, sizeof(ascii), &n);
    if (r == PC_E_NOT_IMPLEMENTED) {
        *what = msg_idn_missing;
        return 0;
    }
    if (r == PC_E_NOMEM) {
        *rc = PC_E_NOMEM;
        *what = msg_nomem;
        return 0;
    }
    if (r == PC_E_BAD_HOST) {
        *what = msg_idn_bad;
        return 0;
    }
    return r == 0 ? pc_host_normalise(ascii, n, out) : 0;
}

static int
emit_domain(line_ctx_t *lc, const char *name, size_t len, unsigned kind, const char *text,
            size_t text_len)
{
    pc_list_rule_t r;
    int rc;

    memset(&r, 0, sizeof(r));
    r.kind = kind;
    r.name = name;
    r.name_len = len;
    r.line = lc->line;
    rc = lc->cb(lc->ctx, &r);
    return rc != 0 ? fail(lc, rc, NULL, text, text_len) : 0;
}

static int
emit_addr(line_ctx_t *lc, const pc_addr_t *net, unsigned prefix, const char *text, size_t text_len)
{
    pc_list_rule_t r;
    int rc;

    memset(&r, 0, sizeof(r));
    r.is_addr = true;
    r.net = *net;
    r.prefix = prefix;
    r.line = lc->line;
    rc = lc->cb(lc->ctx, &r);
    return rc != 0 ? fail(lc, rc, NULL, text, text_len) : 0;
}

/* A normalised name that ends in a number: a strict IPv4 address or bad. */
static int
numeric_name(line_ctx_t *lc, const char *name, size_t len, const char *text, size_t text_len)
{
    pc_addr_t a;

    if (pc_addr_parse(name, len, &a) != 0) {
        return fail(lc, PC_E_CONF_VALUE, msg_numeric, text, text_len);
    }
    return emit_addr(lc, &a, 32, text, text_len);
}

/* Checks and converts the name s[0..len) of rule tok into name (*n bytes). */
static int
rule_name(line_ctx_t *lc, const char *s, size_t len, const char *tok, size_t tok_len,
          char name[PC_HOST_MAX + 1], size_t *n)
{
    const char *what;
    int rc = 0;

    if (memchr(s, '*', len) != NULL) {
        return fail(lc, PC_E_CONF_VALUE, msg_star, tok, tok_len);
    }
    *n = name_to_ascii(s, len, name, &what, &rc);
    return *n == 0 ? fail(lc, rc, what, tok, tok_len) : 0;
}

/*
 * Emits the converted name of a domain rule of the given kind; tok is the
 * whole rule, for errors. A name ending in a number is an IPv4 address rule
 * when written bare (may_be_addr), and an error after a prefix ("=", "*.",
 * ".", "||...^").
 */
static int
emit_name(line_ctx_t *lc, const char *name, size_t n, unsigned kind, bool may_be_addr,
          const char *tok, size_t tok_len)
{
    if (ends_in_number(name, n)) {
        return may_be_addr ? numeric_name(lc, name, n, tok, tok_len)
                           : fail(lc, PC_E_CONF_VALUE, msg_numeric, tok, tok_len);
    }
    return emit_domain(lc, name, n, kind, tok, tok_len);
}

/* A domain rule whose name is s[0..len) (see emit_name). */
static int
name_rule(line_ctx_t *lc, const char *s, size_t len, unsigned kind, bool may_be_addr,
          const char *tok, size_t tok_len)
{
    char name[PC_HOST_MAX + 1];
    size_t n = 0;
    int rc = rule_name(lc, s, len, tok, tok_len, name, &n);

    return rc != 0 ? rc : emit_name(lc, name, n, kind, may_be_addr, tok, tok_len);
}

/* "||name^", nothing after the '^'. */
static int
adblock_rule(line_ctx_t *lc, const char *tok, size_t len)
{
    if (memchr(tok, '$', len) != NULL) {
        return fail(lc, PC_E_CONF_VALUE, msg_options, tok, len);
    }
    if (len < 3 || tok[len - 1] != '^' || memchr(tok + 2, '^', len - 3) != NULL) {
        return fail(lc, PC_E_CONF_VALUE, msg_adblock, tok, len);
    }
    return name_rule(lc, tok + 2, len - 3, PC_KIND_SUBTREE, false, tok, len);
}

/* An address or CIDR block written as a rule of its own. */
static int
cidr_rule(line_ctx_t *lc, const char *tok, size_t len)
{
    pc_addr_t net;
    unsigned prefix;

    if (memchr(tok, '%', len) != NULL) {
        return fail(lc, PC_E_CONF_VALUE, msg_zone, tok, len);
    }
    if (pc_cidr_parse(tok, len, &net, &prefix) != 0) {
        return fail(lc, PC_E_CONF_VALUE, msg_cidr, tok, len);
    }
    return emit_addr(lc, &net, prefix, tok, len);
}

/* A line of one word: a domain rule or an address rule. */
static int
single_rule(line_ctx_t *lc, const char *tok, size_t len)
{
    if (len >= 2 && tok[0] == '|' && tok[1] == '|') {
        return adblock_rule(lc, tok, len);
    }
    if (tok[0] == '=') {
        return name_rule(lc, tok + 1, len - 1, PC_KIND_EXACT, false, tok, len);
    }
    if (len >= 2 && tok[0] == '*' && tok[1] == '.') {
        return name_rule(lc, tok + 2, len - 2, PC_KIND_SUBS_ONLY, false, tok, len);
    }
    if (tok[0] == '.') {
        return name_rule(lc, tok + 1, len - 1, PC_KIND_SUBTREE, false, tok, len);
    }
    if (memchr(tok, ':', len) != NULL || memchr(tok, '/', len) != NULL) {
        return cidr_rule(lc, tok, len);
    }
    return name_rule(lc, tok, len, PC_KIND_SUBTREE, true, tok, len);
}

/* True for a strict address, with a zone id allowed after an IPv6 one. */
static bool
is_hosts_address(const char *tok, size_t len)
{
    const char *pct = memchr(tok, '%', len);
    pc_addr_t a;

    if (pct != NULL) {
        size_t addr_len = (size_t)(pct - tok);

        /* A zone needs a name, and belongs to IPv6 only. */
        if (addr_len + 1 == len || memchr(tok, ':', addr_len) == NULL) {
            return false;
        }
        len = addr_len;
    }
    return pc_addr_parse(tok, len, &a) == 0;
}

static bool
is_boilerplate(const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < sizeof(hosts_boilerplate) / sizeof(hosts_boilerplate[0]); i++) {
        if (strlen(hosts_boilerplate[i]) == len && memcmp(hosts_boilerplate[i], name, len) == 0) {
            return true;
        }
    }
    return false;
}

/* One name after the address of a hosts-file line. */
static int
hosts_name(line_ctx_t *lc, const char *tok, size_t len)
{
    char name[PC_HOST_MAX + 1];
    const char *what;
    size_t n;
    int rc;

    if (memchr(tok, ':', len) != NULL) {
        pc_addr_t a;

        if (pc_addr_parse(tok, len, &a) != 0) {
            return fail(lc, PC_E_CONF_VALUE, msg_numeric, tok, len);
        }
        return emit_addr(lc, &a, 128, tok, len);
    }
    /* No '*' forms here: a star is just an invalid name. */
    n = name_to_ascii(tok, len, name, &what, &rc);
    if (n == 0) {
        return fail(lc, rc, what, tok, len);
    }
    if (is_boilerplate(name, n)) {
        return 0;
    }
    return emit_name(lc, name, n, PC_KIND_SUBTREE, true, tok, len);
}

/* "ADDR name [name...]": every name is a rule, the address is not. */
static int
hosts_line(line_ctx_t *lc, const char *s, size_t len)
{
    size_t w = word_len(s, len);

    if (!is_hosts_address(s, w)) {
        return fail(lc, PC_E_CONF_VALUE, msg_hosts, s, len);
    }
    s += w;
    len -= w;
    for (;;) {
        int rc;

        trim_blanks(&s, &len);
        if (len == 0) {
            return 0;
        }
        w = word_len(s, len);
        rc = hosts_name(lc, s, w);
        if (rc != 0) {
            return rc;
        }
        s += w;
        len -= w;
    }
}

int
pc_list_parse_line(const char *s, size_t len, size_t line, pc_list_rule_cb cb, void *ctx,
                   pc_list_error_t *err)
{
    line_ctx_t lc;

    lc.cb = cb;
    lc.ctx = ctx;
    lc.line = line;
    lc.err = err;
    if (s == NULL || len == 0) {
        return 0;
    }
    if (s[len - 1] == '\r') {
        len--; /* CRLF line end */
    }
    trim_blanks(&s, &len);
    len = cut_comment(s, len);
    trim_blanks(&s, &len);
    if (len == 0) {
        return 0;
    }
    if (word_len(s, len) < len) {
        return hosts_line(&lc, s, len);
    }
    return single_rule(&lc, s, len);
}

int
pc_list_parse(const char *text, size_t len, pc_list_rule_cb cb, void *ctx, pc_list_error_t *err)
{
    size_t pos = 0, line = 0;

    if (err != NULL) {
        memset(err, 0, sizeof(*err));
    }
    if (text == NULL) {
        return 0;
    }
    /* Editors on Windows like to start UTF-8 files with a byte order mark. */
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        pos = 3;
    }
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - text) : len;
        int rc;

        line++;
        rc = pc_list_parse_line(text + pos, end - pos, line, cb, ctx, err);
        if (rc != 0) {
            return rc;
        }
        pos = nl != NULL ? end + 1 : len;
    }
    return 0;
}
