/*
 * conf.h: the configuration snapshot and its parser.
 *
 * The file is flat "Directive value" lines (tinyproxy/sshd style): directive
 * names are case-insensitive, one directive per line, '#' starts a comment
 * line, blank lines are ignored, a value may be double-quoted (for paths with
 * spaces). Parsing is pure (text in, snapshot out); reading the files and
 * loading blocklists is conf_load's job. Errors read "<origin>:<line>: message".
 *
 * A snapshot is immutable once built and shared by reference: connections
 * keep the snapshot they started with (refcount managed by conf_load).
 */
#ifndef PC_CONF_H
#define PC_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access_format.h"
#include "acl.h"
#include "addr.h"
#include "policy.h"

#define PC_MAX_LISTEN  16
#define PC_MAX_WORKERS 64 /* Workers: the cap, also of auto */

typedef struct {
    pc_addr_t addr; /* an IP literal; host names are not accepted */
    uint16_t port;  /* 0 = any free port (used by tests) */
} pc_listen_t;

/* One Blocklist or Allowlist directive. */
typedef struct {
    char *path; /* owned */
    pc_list_kind_t kind;
} pc_list_file_t;

typedef enum {
    PC_LOG_ERROR = 0,
    PC_LOG_WARN = 1,
    PC_LOG_INFO = 2,
    PC_LOG_DEBUG = 3
} pc_log_level_t;

typedef struct pc_conf_s {
    int refs; /* managed by conf_load (pc_conf_ref / pc_conf_unref) */

    pc_listen_t listen[PC_MAX_LISTEN]; /* default: 127.0.0.1:3128 */
    size_t num_listen;

    pc_acl_t *acl; /* owned; empty = loopback clients only */

    bool has_admin;             /* Admin ADDR:PORT given: the admin listener (metrics, health) */
    pc_listen_t admin;          /* its address */
    pc_acl_t *admin_acl;        /* owned: AdminAllow/AdminDeny; empty = loopback clients only */
    pc_portset_t connect_ports; /* default: {443} */

    pc_list_file_t *lists; /* owned: Blocklist and Allowlist files, in file order */
    size_t num_lists;
    pc_policy_t *policy; /* owned; conf_load adds the lists' rules and the two switches */
    bool default_deny;   /* DefaultPolicy deny */
    bool deny_private;   /* DenyPrivateDestinations */
    bool policy_detail;  /* PolicyDetail: 403 bodies name the rule's list and line */

    char *access_log;                   /* owned; NULL = off, "stdout", or a file path */
    pc_alog_format_t access_log_format; /* AccessLogFormat, default native */
    bool access_log_query;              /* AccessLogQuery: keep the query in URLs, default no */
    size_t access_log_queue; /* AccessLogBuffer in bytes: lines not yet written, default 1 MiB */
    char *pid_file;          /* owned; PidFile, NULL = none */
    char *user;              /* owned; User (drop root to it), NULL = none */
    char *group;             /* owned; Group, NULL = the user's own */

    uint64_t header_timeout_ms;   /* HeaderTimeout, default 30 s */
    uint64_t connect_timeout_ms;  /* ConnectTimeout, default 10 s */
    uint64_t response_timeout_ms; /* ResponseTimeout: request sent -> response head, default 60 s */
    uint64_t idle_timeout_ms;     /* IdleTimeout, default 600 s */
    uint64_t shutdown_timeout_ms; /* ShutdownTimeout (grace period), default 10 s */
    uint64_t origin_keepalive_ms; /* OriginKeepAlive: idle origin connections kept, 10 s; 0 off */
    unsigned origin_keepalive_max; /* OriginKeepAliveMax: idle origin connections per worker, 256 */
    unsigned max_clients;          /* MaxClients, default 1024 */
    unsigned max_per_address;      /* MaxClientsPerAddress, default 0 = no limit */
    unsigned workers;              /* Workers 1..PC_MAX_WORKERS; default 0 = auto (one per CPU) */
    pc_log_level_t log_level;      /* LogLevel, default info */
    char via_name[64];             /* ViaName, default "portcullis" */

    char *origin; /* owned: the file name the snapshot came from, for messages */
} pc_conf_t;

typedef struct {
    char msg[512]; /* "<origin>:<line>: <message>" */
} pc_conf_error_t;

/* A snapshot holding only the built-in defaults. 0 or PC_E_NOMEM. */
int pc_conf_new_defaults(pc_conf_t **out);

/*
 * Parses text[0..len) (need not be NUL-terminated) on top of the defaults.
 * Repeatable directives (Listen, Allow, Deny, ConnectPort, Blocklist,
 * Allowlist): the first occurrence in a file replaces the default, later ones
 * add. On error returns PC_E_CONF_SYNTAX or PC_E_CONF_VALUE, fills err, and
 * sets *out to NULL. The list files are only recorded, not read.
 */
int pc_conf_parse(const char *text, size_t len, const char *origin, pc_conf_t **out,
                  pc_conf_error_t *err);

/* Frees a snapshot and everything it owns (whatever refs says). */
void pc_conf_free(pc_conf_t *conf);

#endif
