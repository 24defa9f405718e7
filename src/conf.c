/*
 * conf.c: the configuration file parser (text in, pc_conf_t snapshot out).
 *
 * Owns the file syntax (lines, comments, quoting), the directive table, each
 * directive's value checks and the built-in defaults. Pure: C library only;
 * reading files and loading the block and allow lists is conf_load's job.
 *
 * Directives are looked up in one table (nginx ngx_command_t, Redis
 * standardConfig) rather than a chain of comparisons or one regex each
 * (tinyproxy), so adding a directive is adding a row and a setter.
 */
#include "conf.h"

#include "text.h"

#include "portcullis/error.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define CONF_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CONF_PRINTF(fmt, args)
#endif

#define DEFAULT_LISTEN_PORT 3128
#define DEFAULT_ORIGIN      "(defaults)"
#define MS_PER_S            1000u

/* User text quoted in a message is cut here, so one bad line cannot fill err->msg. */
#define QUOTE_MAX 48
#define QUOTE_BUF (QUOTE_MAX + sizeof "...")

/* Numbers saturate here while parsing: bigger than every range, far from overflow. */
#define NUM_SATURATE 100000000000000000ull

typedef struct parse_s parse_t;
typedef struct directive_s directive_t;

/* Applies one value (unquoted, non-empty) to p->conf. Returns 0 or an error already reported. */
typedef int (*directive_fn)(parse_t *p, const directive_t *d, const char *v, size_t len);

struct directive_s {
    const char *name;  /* canonical spelling; also used in messages */
    directive_fn set;  /* checks the value and stores it */
    bool repeatable;   /* may be given on several lines; the first replaces the default */
    size_t offset;     /* *Timeout: offsetof the uint64_t millisecond field; flags: offsetof
                          the bool; strings: offsetof the char *; lists: the pc_list_kind_t */
    uint64_t min, max; /* numeric directives: accepted range */
};

static int set_listen(parse_t *p, const directive_t *d, const char *v, size_t len);
static int set_admin(parse_t *p, const directive_t *d, const char *v, size_t len);
static int set_allow(parse_t *p, const directive_t *d, const char *v, size_t len);
static int set_deny(parse_t *p, const directive_t *d, const char *v, size_t len);
static int set_connect_port(parse_t *p, const directive_t *d, const char *v, size_t len);
static int set_list(parse_t *p, const directive_t *d, const char *v, size_t len);
static int set_default_policy(parse_t *p, const directive_t *d, const char *v, size_t len);
static int set_flag(parse_t *p, const directive_t *d, const char *v, size_t len);
static int set_access_log(parse_t *p, const directive_t *d, const char *v, size_t len);
static int set_path(parse_t *p, const directive_t *d, const char *v, size_t len);
static int set_string(parse_t *p, const directive_t *d, const char *v, size_t len);
static int set_seconds(parse_t *p, const directive_t *d, const char *v, size_t len);
static int set_count(parse_t *p, const directive_t *d, const char *v, size_t len);
static int set_log_level(parse_t *p, const directive_t *d, const char *v, size_t len);
static int set_workers(parse_t *p, const directive_t *d, const char *v, size_t len);
static int set_alog_format(parse_t *p, const directive_t *d, const char *v, size_t len);
static int set_kib(parse_t *p, const directive_t *d, const char *v, size_t len);
static int set_via_name(parse_t *p, const directive_t *d, const char *v, size_t len);

static const directive_t directives[] = {
    {"Listen", set_listen, true, 0, 0, 0},
    {"Allow", set_allow, true, 0, 0, 0},
    {"Deny", set_deny, true, 0, 0, 0},
    {"Admin", set_admin, false, 0, 0, 0},
    {"AdminAllow", set_allow, true, 1, 0, 0},
    {"AdminDeny", set_deny, true, 1, 0, 0},
    {"ConnectPort", set_connect_port, true, 0, 0, 0},
    {"Blocklist", set_list, true, PC_LIST_BLOCK, 0, 0},
    {"Allowlist", set_list, true, PC_LIST_ALLOW, 0, 0},
    {"DefaultPolicy", set_default_policy, false, 0, 0, 0},
    {"DenyPrivateDestinations", set_flag, false, offsetof(pc_conf_t, deny_private), 0, 0},
    {"PolicyDetail", set_flag, false, offsetof(pc_conf_t, policy_detail), 0, 0},
    {"AccessLog", set_access_log, false, 0, 0, 0},
    {"AccessLogFormat", set_alog_format, false, 0, 0, 0},
    {"AccessLogQuery", set_flag, false, offsetof(pc_conf_t, access_log_query), 0, 0},
    {"AccessLogBuffer", set_kib, false, offsetof(pc_conf_t, access_log_queue), 16, 1048576},
    {"PidFile", set_path, false, offsetof(pc_conf_t, pid_file), 0, 0},
    {"User", set_string, false, offsetof(pc_conf_t, user), 0, 0},
    {"Group", set_string, false, offsetof(pc_conf_t, group), 0, 0},
    {"HeaderTimeout", set_seconds, false, offsetof(pc_conf_t, header_timeout_ms), 1, 86400},
    {"ConnectTimeout", set_seconds, false, offsetof(pc_conf_t, connect_timeout_ms), 1, 86400},
    {"ResponseTimeout", set_seconds, false, offsetof(pc_conf_t, response_timeout_ms), 1, 86400},
    {"IdleTimeout", set_seconds, false, offsetof(pc_conf_t, idle_timeout_ms), 1, 86400},
    {"ShutdownTimeout", set_seconds, false, offsetof(pc_conf_t, shutdown_timeout_ms), 0, 3600},
    {"OriginKeepAlive", set_seconds, false, offsetof(pc_conf_t, origin_keepalive_ms), 0, 3600},
    {"OriginKeepAliveMax", set_count, false, offsetof(pc_conf_t, origin_keepalive_max), 0, 100000},
    {"MaxClients", set_count, false, offsetof(pc_conf_t, max_clients), 1, 1000000},
    {"MaxClientsPerAddress", set_count, false, offsetof(pc_conf_t, max_per_address), 0, 1000000},
    {"LogLevel", set_log_level, false, 0, 0, 0},
    {"Workers", set_workers, false, 0, 1, PC_MAX_WORKERS},
    {"ViaName", set_via_name, false, 0, 0, 0},
};

#define NUM_DIRECTIVES PC_ARRAY_SIZE(directives)

struct parse_s {
    pc_conf_t *conf;                     /* borrowed: the snapshot being built */
    pc_conf_error_t *err;                /* borrowed; may be NULL */
    const char *origin;                  /* borrowed: for messages */
    unsigned line;                       /* 1-based number of the current line */
    bool is_first;                       /* the current directive was not seen before */
    unsigned first_line[NUM_DIRECTIVES]; /* where each directive first appeared; 0 = not yet */
};

static const struct {
    const char *name;
    pc_log_level_t level;
} log_levels[] = {
    {"error", PC_LOG_ERROR},
    {"warn", PC_LOG_WARN},
    {"info", PC_LOG_INFO},
    {"debug", PC_LOG_DEBUG},
};

/* ASCII only: names must not compare differently under another locale. */
static int
lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool
eq_nocase(const char *a, size_t a_len, const char *b)
{
    size_t i;

    for (i = 0; i < a_len; i++) {
        if (b[i] == '\0' || lower((unsigned char)a[i]) != lower((unsigned char)b[i])) {
            return false;
        }
    }
    return b[a_len] == '\0';
}

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static char *
dup_text(const char *s, size_t len)
{
    char *d = malloc(len + 1);

    if (d == NULL) {
        return NULL;
    }
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

/* User text quoted in a message: see pc_text_quote(). */
static const char *
quote(char buf[QUOTE_BUF], const char *s, size_t len)
{
    return pc_text_quote(buf, s, len, QUOTE_MAX);
}

/* Reports "<origin>:<line>: <message>" and returns code, so callers can `return fail(...)`. */
static int CONF_PRINTF(3, 4) fail(parse_t *p, int code, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (p->err == NULL) {
        return code;
    }
    if (p->line > 0) {
        n = snprintf(p->err->msg, sizeof p->err->msg, "%s:%u: ", p->origin, p->line);
    } else {
        n = snprintf(p->err->msg, sizeof p->err->msg, "%s: ", p->origin);
    }
    if (n < 0 || (size_t)n >= sizeof p->err->msg) {
        return code; /* the origin alone filled the buffer; snprintf truncated it safely */
    }
    va_start(ap, fmt);
    vsnprintf(p->err->msg + n, sizeof p->err->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return code;
}

static int
fail_nomem(parse_t *p)
{
    return fail(p, PC_E_NOMEM, "out of memory");
}

/*
 * Parses 1*DIGIT. Values beyond every range saturate instead of wrapping, so
 * "99999999999999999999" is reported as out of range, not as a small number.
 */
static bool
parse_uint(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (len == 0) {
        return false;
    }
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        if (v < NUM_SATURATE) {
            v = v * 10 + (uint64_t)(s[i] - '0');
        }
    }
    *out = v;
    return true;
}

/* A whole number within [d->min, d->max]. */
static int
parse_ranged(parse_t *p, const directive_t *d, const char *v, size_t len, uint64_t *out)
{
    char q[QUOTE_BUF];

    if (!parse_uint(v, len, out)) {
        return fail(p, PC_E_CONF_VALUE, "%s: '%s' is not a whole number", d->name,
                    quote(q, v, len));
    }
    if (*out < d->min || *out > d->max) {
        return fail(p, PC_E_CONF_VALUE, "%s: '%s' is out of range (%llu..%llu)", d->name,
                    quote(q, v, len), (unsigned long long)d->min, (unsigned long long)d->max);
    }
    return 0;
}

static int
listen_form_error(parse_t *p, const directive_t *d)
{
    return fail(p, PC_E_CONF_VALUE, "%s: expected ADDR:PORT, e.g. 127.0.0.1:3128 or [::1]:3128",
                d->name);
}

/* "A.B.C.D:PORT" or "[IPv6]:PORT". IPv6 needs brackets so the port is never ambiguous. */
static int
parse_listen(parse_t *p, const directive_t *d, const char *v, size_t len, pc_listen_t *out)
{
    const char *addr = v;
    const char *colon = NULL;
    const char *end = v + len;
    const char *c;
    size_t addr_len;
    uint64_t port = 0;
    bool bracketed = len > 0 && v[0] == '[';
    char q[QUOTE_BUF];

    if (bracketed) {
        c = memchr(v, ']', len);
        if (c == NULL || c + 1 == end || c[1] != ':') {
            return listen_form_error(p, d);
        }
        addr = v + 1;
        colon = c + 1;
    } else {
        for (c = v; c < end; c++) {
            colon = *c == ':' ? c : colon;
        }
        if (colon == NULL || memchr(v, ':', (size_t)(colon - v)) != NULL) {
            return listen_form_error(p, d);
        }
    }
    addr_len = (size_t)((bracketed ? colon - 1 : colon) - addr);
    if (addr_len == 0 || !parse_uint(colon + 1, (size_t)(end - colon - 1), &port)) {
        return listen_form_error(p, d);
    }
    if (port > 65535) {
        return fail(p, PC_E_CONF_VALUE, "%s: port '%s' is out of range (0..65535)", d->name,
                    quote(q, colon + 1, (size_t)(end - colon - 1)));
    }
    if (pc_addr_parse(addr, addr_len, &out->addr) != 0) {
        return fail(p, PC_E_CONF_VALUE,
                    "%s: '%s' is not an IP address (host names are not accepted)", d->name,
                    quote(q, addr, addr_len));
    }
    if (bracketed != (out->addr.family == 6)) {
        return listen_form_error(p, d);
    }
    out->port = (uint16_t)port;
    return 0;
}

static bool
same_listen(const pc_listen_t *a, const pc_listen_t *b)
{
    return a->port == b->port && a->addr.family == b->addr.family
           && memcmp(a->addr.bytes, b->addr.bytes, sizeof a->addr.bytes) == 0;
}

static int
set_listen(parse_t *p, const directive_t *d, const char *v, size_t len)
{
    pc_conf_t *conf = p->conf;
    pc_listen_t l;
    size_t i;
    int rc;
    char q[QUOTE_BUF];

    memset(&l, 0, sizeof l);
    rc = parse_listen(p, d, v, len, &l);
    if (rc != 0) {
        return rc;
    }
    if (p->is_first) {
        conf->num_listen = 0; /* the file's first Listen replaces the default address */
    }
    if (conf->num_listen == PC_MAX_LISTEN) {
        return fail(p, PC_E_CONF_VALUE, "%s: too many addresses (at most %d)", d->name,
                    PC_MAX_LISTEN);
    }
    /* Port 0 asks for a fresh ephemeral port each time, so only fixed ports can clash. */
    for (i = 0; l.port != 0 && i < conf->num_listen; i++) {
        if (same_listen(&conf->listen[i], &l)) {
            return fail(p, PC_E_CONF_VALUE, "%s: '%s' is already listed", d->name,
                        quote(q, v, len));
        }
    }
    conf->listen[conf->num_listen++] = l;
    return 0;
}

/* Admin ADDR:PORT, or off. */
static int
set_admin(parse_t *p, const directive_t *d, const char *v, size_t len)
{
    if (eq_nocase(v, len, "off")) {
        p->conf->has_admin = false;
        return 0;
    }
    memset(&p->conf->admin, 0, sizeof p->conf->admin);
    p->conf->has_admin = true;
    return parse_listen(p, d, v, len, &p->conf->admin);
}

static int
add_rule(parse_t *p, const directive_t *d, bool allow, const char *v, size_t len)
{
    char q[QUOTE_BUF];
    /* Allow/Deny (offset 0) or AdminAllow/AdminDeny (offset 1). */
    int rc = pc_acl_add(d->offset == 1 ? p->conf->admin_acl : p->conf->acl, allow, v, len);

    if (rc == PC_E_NOMEM) {
        return fail_nomem(p);
    }
    if (rc != 0) {
        return fail(p, PC_E_CONF_VALUE,
                    "%s: '%s' is not an address or CIDR block, e.g. 192.168.0.0/16 or fd00::/8",
                    d->name, quote(q, v, len));
    }
    return 0;
}

static int
set_allow(parse_t *p, const directive_t *d, const char *v, size_t len)
{
    return add_rule(p, d, true, v, len);
}

static int
set_deny(parse_t *p, const directive_t *d, const char *v, size_t len)
{
    return add_rule(p, d, false, v, len);
}

static int
set_connect_port(parse_t *p, const directive_t *d, const char *v, size_t len)
{
    char q[QUOTE_BUF];

    if (p->is_first) {
        memset(&p->conf->connect_ports, 0, sizeof p->conf->connect_ports); /* drop the 443 */
    }
    if (pc_portset_add(&p->conf->connect_ports, v, len) != 0) {
        return fail(p, PC_E_CONF_VALUE, "%s: '%s' is not a port or range (N or N-M, 1..65535)",
                    d->name, quote(q, v, len));
    }
    return 0;
}

/* Absolute: "/x", "\\x" (and UNC "\\\\host"), or a drive "C:..." (Windows). */
static bool
is_absolute(const char *v, size_t len)
{
    return (len > 0 && (v[0] == '/' || v[0] == '\\'))
           || (len > 1 && v[1] == ':'
               && ((v[0] >= 'A' && v[0] <= 'Z') || (v[0] >= 'a' && v[0] <= 'z')));
}

/*
 * A path from the file: a relative one is taken relative to the directory
 * of the configuration file (not the working directory, which is / under
 * systemd and the system directory for a Windows service).
 */
static char *
dup_path(const parse_t *p, const char *v, size_t len)
{
    const char *slash = strrchr(p->origin, '/'), *bslash = strrchr(p->origin, '\\');
    size_t dir_len;
    char *out;

    if (bslash != NULL && (slash == NULL || bslash > slash)) {
        slash = bslash;
    }
    if (is_absolute(v, len) || slash == NULL) {
        return dup_text(v, len);
    }
    dir_len = (size_t)(slash - p->origin) + 1; /* with the separator */
    out = malloc(dir_len + len + 1);
    if (out != NULL) {
        memcpy(out, p->origin, dir_len);
        memcpy(out + dir_len, v, len);
        out[dir_len + len] = '\0';
    }
    return out;
}

static int
set_list(parse_t *p, const directive_t *d, const char *v, size_t len)
{
    pc_conf_t *conf = p->conf;
    pc_list_file_t *lists;
    char *path = dup_path(p, v, len);

    if (path == NULL) {
        return fail_nomem(p);
    }
    /* One more slot each time: a config names a handful of lists, not thousands. */
    lists = realloc(conf->lists, (conf->num_lists + 1) * sizeof *lists);
    if (lists == NULL) {
        free(path);
        return fail_nomem(p);
    }
    conf->lists = lists;
    conf->lists[conf->num_lists].path = path;
    conf->lists[conf->num_lists].kind = (pc_list_kind_t)d->offset;
    conf->num_lists++;
    return 0;
}

static int
set_default_policy(parse_t *p, const directive_t *d, const char *v, size_t len)
{
    char q[QUOTE_BUF];

    if (eq_nocase(v, len, "allow") || eq_nocase(v, len, "deny")) {
        p->conf->default_deny = eq_nocase(v, len, "deny");
        return 0;
    }
    return fail(p, PC_E_CONF_VALUE, "%s: '%s' is not allow or deny", d->name, quote(q, v, len));
}

/* yes/no, on/off, true/false, any case. */
static int
set_flag(parse_t *p, const directive_t *d, const char *v, size_t len)
{
    static const char *const words[] = {"yes", "no", "on", "off", "true", "false"};
    bool *flag = (bool *)(void *)((char *)p->conf + d->offset);
    size_t i;
    char q[QUOTE_BUF];

    for (i = 0; i < PC_ARRAY_SIZE(words); i++) {
        if (eq_nocase(v, len, words[i])) {
            *flag = i % 2 == 0;
            return 0;
        }
    }
    return fail(p, PC_E_CONF_VALUE, "%s: '%s' is not yes or no", d->name, quote(q, v, len));
}

static int
set_access_log(parse_t *p, const directive_t *d, const char *v, size_t len)
{
    char *path = NULL;

    /* The keywords are case-insensitive like the directive names; anything
     * else is a path. "syslog:SOCKET" names the syslog socket (its path is
     * taken as written). */
    if (!eq_nocase(v, len, "off")) {
        if (eq_nocase(v, len, "stdout") || eq_nocase(v, len, "syslog")) {
            path = dup_text(v[1] == 't' || v[1] == 'T' ? "stdout" : "syslog", 6);
        } else if (len > 7 && eq_nocase(v, 7, "syslog:")) {
            path = dup_text(v, len);
            if (path != NULL) {
                memcpy(path, "syslog", 6);
            }
        } else {
            path = dup_path(p, v, len);
        }
        if (path == NULL) {
            return fail_nomem(p);
        }
    }
    free(p->conf->access_log);
    p->conf->access_log = path;
    return 0;
}

static int
set_alog_format(parse_t *p, const directive_t *d, const char *v, size_t len)
{
    int fmt = pc_alog_format_parse(v, len);
    char q[QUOTE_BUF];

    if (fmt < 0) {
        return fail(p, PC_E_CONF_VALUE, "%s: '%s' is not native, squid, common, combined or json",
                    d->name, quote(q, v, len));
    }
    p->conf->access_log_format = (pc_alog_format_t)fmt;
    return 0;
}

/* Replaces the text at d->offset with text (NULL: out of memory). */
static int
store_text(parse_t *p, const directive_t *d, char *text)
{
    char **field = (char **)(void *)((char *)p->conf + d->offset);

    if (text == NULL) {
        return fail_nomem(p);
    }
    free(*field);
    *field = text;
    return 0;
}

/* A path kept at d->offset, made relative to the configuration's directory. */
static int
set_path(parse_t *p, const directive_t *d, const char *v, size_t len)
{
    return store_text(p, d, dup_path(p, v, len));
}

/* A free-form value (a user name) kept as text at d->offset. */
static int
set_string(parse_t *p, const directive_t *d, const char *v, size_t len)
{
    return store_text(p, d, dup_text(v, len));
}

static int
set_seconds(parse_t *p, const directive_t *d, const char *v, size_t len)
{
    uint64_t n = 0;
    int rc = parse_ranged(p, d, v, len, &n);

    if (rc != 0) {
        return rc;
    }
    *(uint64_t *)(void *)((char *)p->conf + d->offset) = n * MS_PER_S;
    return 0;
}

/* A size in KiB, kept in bytes at d->offset. */
static int
set_kib(parse_t *p, const directive_t *d, const char *v, size_t len)
{
    uint64_t n = 0;
    int rc = parse_ranged(p, d, v, len, &n);

    if (rc != 0) {
        return rc;
    }
    *(size_t *)(void *)((char *)p->conf + d->offset) = (size_t)n * 1024u;
    return 0;
}

/* A count, kept as an unsigned at d->offset. */
static int
set_count(parse_t *p, const directive_t *d, const char *v, size_t len)
{
    uint64_t n = 0;
    int rc = parse_ranged(p, d, v, len, &n);

    if (rc != 0) {
        return rc;
    }
    *(unsigned *)(void *)((char *)p->conf + d->offset) = (unsigned)n;
    return 0;
}

/* "auto" (0: one per CPU) or a count. */
static int
set_workers(parse_t *p, const directive_t *d, const char *v, size_t len)
{
    uint64_t n = 0;
    int rc;

    if (eq_nocase(v, len, "auto")) {
        p->conf->workers = 0;
        return 0;
    }
    rc = parse_ranged(p, d, v, len, &n);
    if (rc == 0) {
        p->conf->workers = (unsigned)n;
    }
    return rc;
}

static int
set_log_level(parse_t *p, const directive_t *d, const char *v, size_t len)
{
    size_t i;
    char q[QUOTE_BUF];

    for (i = 0; i < PC_ARRAY_SIZE(log_levels); i++) {
        if (eq_nocase(v, len, log_levels[i].name)) {
            p->conf->log_level = log_levels[i].level;
            return 0;
        }
    }
    return fail(p, PC_E_CONF_VALUE, "%s: '%s' is not one of error, warn, info, debug", d->name,
                quote(q, v, len));
}

/* RFC 9110 tchar: the name goes on the wire as a Via pseudonym, which is a token. */
static bool
is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
set_via_name(parse_t *p, const directive_t *d, const char *v, size_t len)
{
    size_t i;
    char q[QUOTE_BUF];

    for (i = 0; i < len && is_tchar((unsigned char)v[i]); i++) {
    }
    if (len >= sizeof p->conf->via_name || i < len) {
        return fail(p, PC_E_CONF_VALUE,
                    "%s: '%s' must be 1 to %u token characters (letters, digits, "
                    "!#$%%&'*+-.^_`|~)",
                    d->name, quote(q, v, len), (unsigned)(sizeof p->conf->via_name - 1));
    }
    memcpy(p->conf->via_name, v, len);
    p->conf->via_name[len] = '\0';
    return 0;
}

/*
 * Splits what follows the directive name (blanks skipped, line trimmed) into
 * exactly one value: a run of non-blank bytes, or a double-quoted string
 * that may hold blanks. Anything after the value is an error, so a stray word
 * or an inline "# comment" never silently changes the meaning.
 */
static int
split_value(parse_t *p, const directive_t *d, const char *s, size_t len, const char **v,
            size_t *v_len)
{
    const char *close;
    size_t n = 0;
    char q[QUOTE_BUF];

    if (len > 0 && s[0] == '"') {
        close = memchr(s + 1, '"', len - 1);
        if (close == NULL) {
            return fail(p, PC_E_CONF_SYNTAX, "%s: unterminated quoted value", d->name);
        }
        *v = s + 1;
        *v_len = (size_t)(close - *v);
        n = (size_t)(close - s) + 1;
    } else {
        while (n < len && !is_blank(s[n])) {
            n++;
        }
        *v = s;
        *v_len = n;
        if (memchr(s, '"', n) != NULL) {
            return fail(p, PC_E_CONF_SYNTAX, "%s: unexpected '\"' inside a value", d->name);
        }
    }
    if (*v_len == 0) {
        return fail(p, PC_E_CONF_SYNTAX, "%s: missing value", d->name);
    }
    while (n < len && is_blank(s[n])) {
        n++;
    }
    if (n < len) {
        return fail(p, PC_E_CONF_SYNTAX,
                    "%s: unexpected '%s' after the value (quote a value that has spaces)", d->name,
                    quote(q, s + n, len - n));
    }
    return 0;
}

static int
apply(parse_t *p, const char *name, size_t name_len, const char *rest, size_t rest_len)
{
    const directive_t *d = NULL;
    const char *v = NULL; /* set by split_value; gcc -O2 cannot see that on its own */
    size_t i;
    size_t v_len = 0;
    int rc;
    char q[QUOTE_BUF];

    for (i = 0; i < NUM_DIRECTIVES && d == NULL; i++) {
        d = eq_nocase(name, name_len, directives[i].name) ? &directives[i] : NULL;
    }
    if (d == NULL) {
        return fail(p, PC_E_CONF_SYNTAX, "unknown directive '%s'", quote(q, name, name_len));
    }
    i = (size_t)(d - directives);
    rc = split_value(p, d, rest, rest_len, &v, &v_len);
    if (rc != 0) {
        return rc;
    }
    if (p->first_line[i] != 0 && !d->repeatable) {
        return fail(p, PC_E_CONF_SYNTAX, "%s: given twice (first on line %u)", d->name,
                    p->first_line[i]);
    }
    p->is_first = p->first_line[i] == 0;
    if (p->is_first) {
        p->first_line[i] = p->line;
    }
    return d->set(p, d, v, v_len);
}

/* One line without its line end. */
static int
parse_line(parse_t *p, const char *s, size_t len)
{
    size_t i;
    size_t name_len = 0;

    /* Control bytes (NUL, a stray CR, escape sequences) are refused everywhere, even in
     * comments: a file holding them is not a text file, or something is hiding in it. */
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return fail(p, PC_E_CONF_SYNTAX, "control character 0x%02X in line", (unsigned)c);
        }
    }
    while (len > 0 && is_blank(s[0])) {
        s++;
        len--;
    }
    while (len > 0 && is_blank(s[len - 1])) {
        len--;
    }
    if (len == 0 || s[0] == '#') {
        return 0;
    }
    while (name_len < len && !is_blank(s[name_len])) {
        name_len++;
    }
    for (i = name_len; i < len && is_blank(s[i]); i++) {
    }
    return apply(p, s, name_len, s + i, len - i);
}

static int
parse_text(parse_t *p, const char *text, size_t len)
{
    const char *nl;
    size_t pos = 0;
    size_t end;
    size_t line_len;
    int rc;

    /* Windows editors may start a UTF-8 file with a byte order mark; it is not content. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        pos = 3;
    }
    while (pos < len) {
        nl = memchr(text + pos, '\n', len - pos);
        end = nl != NULL ? (size_t)(nl - text) : len;
        line_len = end - pos;
        if (line_len > 0 && text[end - 1] == '\r') {
            line_len--; /* CRLF line end */
        }
        p->line++;
        rc = parse_line(p, text + pos, line_len);
        if (rc != 0) {
            return rc;
        }
        pos = end + 1;
    }
    return 0;
}

int
pc_conf_new_defaults(pc_conf_t **out)
{
    pc_conf_t *conf;
    int rc;

    *out = NULL;
    conf = calloc(1, sizeof *conf);
    if (conf == NULL) {
        return PC_E_NOMEM;
    }
    conf->refs = 1; /* the creator's reference */
    conf->listen[0].addr.family = 4;
    memcpy(conf->listen[0].addr.bytes, "\x7f\x00\x00\x01", 4); /* 127.0.0.1 */
    conf->listen[0].port = DEFAULT_LISTEN_PORT;
    conf->num_listen = 1;
    conf->header_timeout_ms = 30 * MS_PER_S;
    conf->connect_timeout_ms = 10 * MS_PER_S;
    conf->response_timeout_ms = 60 * MS_PER_S;
    conf->idle_timeout_ms = 600 * MS_PER_S;
    conf->shutdown_timeout_ms = 10 * MS_PER_S;
    conf->origin_keepalive_ms = 10 * MS_PER_S;
    conf->origin_keepalive_max = 256;
    conf->max_clients = 1024;
    conf->access_log_queue = 1024 * 1024;
    conf->log_level = PC_LOG_INFO;
    memcpy(conf->via_name, "portcullis", sizeof "portcullis");

    rc = pc_portset_add(&conf->connect_ports, "443", 3);
    if (rc == 0) {
        rc = pc_acl_create(&conf->acl);
    }
    if (rc == 0) {
        rc = pc_acl_create(&conf->admin_acl);
    }
    if (rc == 0) {
        rc = pc_policy_create(&conf->policy);
    }
    if (rc == 0) {
        conf->origin = dup_text(DEFAULT_ORIGIN, sizeof DEFAULT_ORIGIN - 1);
        rc = conf->origin == NULL ? PC_E_NOMEM : 0;
    }
    if (rc != 0) {
        pc_conf_free(conf);
        return rc;
    }
    *out = conf;
    return 0;
}

int
pc_conf_parse(const char *text, size_t len, const char *origin, pc_conf_t **out,
              pc_conf_error_t *err)
{
    parse_t p;
    pc_conf_t *conf;
    char *name;
    int rc;

    *out = NULL;
    memset(&p, 0, sizeof p);
    p.err = err;
    p.origin = origin != NULL ? origin : "(config)";
    if (err != NULL) {
        err->msg[0] = '\0';
    }
    rc = pc_conf_new_defaults(&conf);
    if (rc != 0) {
        return fail(&p, rc, "%s", rc == PC_E_NOMEM ? "out of memory" : "cannot build defaults");
    }
    name = dup_text(p.origin, strlen(p.origin));
    if (name == NULL) {
        pc_conf_free(conf);
        return fail_nomem(&p);
    }
    free(conf->origin);
    conf->origin = name;
    p.conf = conf;
    rc = len > 0 ? parse_text(&p, text, len) : 0;
    if (rc != 0) {
        pc_conf_free(conf);
        return rc;
    }
    *out = conf;
    return 0;
}

void
pc_conf_free(pc_conf_t *conf)
{
    size_t i;

    if (conf == NULL) {
        return;
    }
    /* The builders may fail half-way, so a member can still be NULL here; the other
     * modules' free functions are not promised to accept NULL. */
    if (conf->acl != NULL) {
        pc_acl_free(conf->acl);
        conf->acl = NULL;
    }
    if (conf->admin_acl != NULL) {
        pc_acl_free(conf->admin_acl);
        conf->admin_acl = NULL;
    }
    if (conf->policy != NULL) {
        pc_policy_free(conf->policy);
        conf->policy = NULL;
    }
    for (i = 0; i < conf->num_lists; i++) {
        free(conf->lists[i].path);
        conf->lists[i].path = NULL;
    }
    free(conf->lists);
    conf->lists = NULL;
    free(conf->access_log);
    conf->access_log = NULL;
    free(conf->pid_file);
    conf->pid_file = NULL;
    free(conf->user);
    conf->user = NULL;
    free(conf->group);
    conf->group = NULL;
    free(conf->origin);
    conf->origin = NULL;
    free(conf);
}
