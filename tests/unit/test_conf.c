/*
 * test_conf.c: unit tests for the config parser (src/conf.c).
 *
 * Covers the defaults, every directive with valid and invalid values, the
 * file syntax (comments, blank lines, CRLF, quotes, control bytes), the
 * repeat rules and the exact "file:line: message" errors. Leaks on the error
 * paths are caught by running this under ASan and valgrind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "portcullis/error.h"
#include "util.h"

#define ORIGIN "portcullis.conf"

static pc_conf_t *
parse_ok(const char *text)
{
    pc_conf_t *conf = NULL;
    pc_conf_error_t err;
    int rc = pc_conf_parse(text, strlen(text), ORIGIN, &conf, &err);

    if (rc != 0) {
        print_message("unexpected error for \"%s\": %s\n", text, err.msg);
    }
    assert_int_equal(rc, 0);
    assert_non_null(conf);
    return conf;
}

static void
expect_error_len(const char *text, size_t len, int code, const char *msg)
{
    pc_conf_t *conf = (pc_conf_t *)&conf; /* not NULL, so the test sees it reset */
    pc_conf_error_t err;
    int rc = pc_conf_parse(text, len, ORIGIN, &conf, &err);

    if (rc != code || strcmp(err.msg, msg) != 0) {
        print_message("input \"%s\"\n", text);
    }
    assert_int_equal(rc, code);
    assert_null(conf);
    assert_string_equal(err.msg, msg);
}

static void
expect_error(const char *text, int code, const char *msg)
{
    expect_error_len(text, strlen(text), code, msg);
}

static pc_addr_t
addr(const char *s)
{
    pc_addr_t a;

    assert_int_equal(pc_addr_parse(s, strlen(s), &a), 0);
    return a;
}

static bool
allows(const pc_conf_t *conf, const char *s)
{
    pc_addr_t a = addr(s);

    return pc_acl_allows(conf->acl, &a);
}

static void
assert_listen(const pc_listen_t *l, const char *ip, uint16_t port)
{
    pc_addr_t a = addr(ip);

    assert_int_equal(l->addr.family, a.family);
    assert_memory_equal(l->addr.bytes, a.bytes, a.family == 4 ? 4 : 16);
    assert_int_equal(l->port, port);
}

static void
assert_defaults(const pc_conf_t *conf)
{
    assert_int_equal(conf->num_listen, 1);
    assert_listen(&conf->listen[0], "127.0.0.1", 3128);
    assert_non_null(conf->acl);
    assert_int_equal(pc_acl_count(conf->acl), 0);
    assert_true(allows(conf, "127.0.0.1"));
    assert_true(allows(conf, "::1"));
    assert_false(allows(conf, "192.168.1.10"));
    assert_true(pc_portset_has(&conf->connect_ports, 443));
    assert_false(pc_portset_has(&conf->connect_ports, 80));
    assert_false(pc_portset_has(&conf->connect_ports, 442));
    assert_false(pc_portset_has(&conf->connect_ports, 444));
    assert_null(conf->lists);
    assert_int_equal(conf->num_lists, 0);
    assert_non_null(conf->policy);
    assert_int_equal(pc_policy_domain_count(conf->policy), 0);
    assert_false(conf->default_deny);
    assert_false(conf->deny_private);
    assert_false(conf->policy_detail);
    assert_null(conf->access_log);
    assert_int_equal(conf->header_timeout_ms, 30000);
    assert_int_equal(conf->connect_timeout_ms, 10000);
    assert_int_equal(conf->response_timeout_ms, 60000);
    assert_int_equal(conf->idle_timeout_ms, 600000);
    assert_int_equal(conf->shutdown_timeout_ms, 10000);
    assert_int_equal(conf->max_clients, 1024);
    assert_int_equal(conf->origin_keepalive_ms, 10000);
    assert_int_equal(conf->origin_keepalive_max, 256);
    assert_int_equal(conf->log_level, PC_LOG_INFO);
    assert_string_equal(conf->via_name, "portcullis");
    assert_int_equal(conf->refs, 1);
}

static void
test_conf_defaults(void **state)
{
    pc_conf_t *conf = NULL;

    assert_int_equal(pc_conf_new_defaults(&conf), 0);
    assert_non_null(conf);
    assert_defaults(conf);
    assert_non_null(conf->origin);
    pc_conf_free(conf);

    /* Empty text, and text with only comments and blanks, give the same defaults. */
    conf = parse_ok("");
    assert_defaults(conf);
    assert_string_equal(conf->origin, ORIGIN);
    pc_conf_free(conf);
    conf = parse_ok("# nothing here\n\n   \t\n");
    assert_defaults(conf);
    pc_conf_free(conf);
    pc_conf_free(NULL);
}

static void
test_conf_listen_valid(void **state)
{
    static const struct {
        const char *text;
        const char *ip;
        uint16_t port;
    } cases[] = {
        {"Listen 127.0.0.1:3128", "127.0.0.1", 3128},
        {"Listen [::1]:3128", "::1", 3128},
        {"Listen 0.0.0.0:8080", "0.0.0.0", 8080},
        {"Listen [::]:3128", "::", 3128},
        {"Listen 10.1.2.3:0", "10.1.2.3", 0},
        {"Listen [fe80::1:2]:65535", "fe80::1:2", 65535},
        {"Listen [::ffff:192.0.2.1]:1", "::ffff:192.0.2.1", 1},
        {"listen \"192.0.2.7:80\"", "192.0.2.7", 80},
    };
    size_t i;
    pc_conf_t *conf;

    for (i = 0; i < PC_ARRAY_SIZE(cases); i++) {
        conf = parse_ok(cases[i].text);
        assert_int_equal(conf->num_listen, 1);
        assert_listen(&conf->listen[0], cases[i].ip, cases[i].port);
        pc_conf_free(conf);
    }
}

static void
test_conf_listen_repeat(void **state)
{
    pc_conf_t *conf = parse_ok("Listen 192.0.2.1:8080\nListen [::1]:8080\nListen 127.0.0.1:0\n"
                               "Listen 127.0.0.1:0\n");

    /* The first Listen replaced the default 127.0.0.1:3128; port 0 may repeat. */
    assert_int_equal(conf->num_listen, 4);
    assert_listen(&conf->listen[0], "192.0.2.1", 8080);
    assert_listen(&conf->listen[1], "::1", 8080);
    assert_listen(&conf->listen[2], "127.0.0.1", 0);
    assert_listen(&conf->listen[3], "127.0.0.1", 0);
    pc_conf_free(conf);
}

static void
test_conf_listen_max(void **state)
{
    char text[1024];
    size_t len = 0;
    unsigned i;
    pc_conf_t *conf;

    for (i = 0; i < PC_MAX_LISTEN; i++) {
        len += (size_t)snprintf(text + len, sizeof text - len, "Listen 127.0.0.1:%u\n", 1000 + i);
    }
    conf = parse_ok(text);
    assert_int_equal(conf->num_listen, PC_MAX_LISTEN);
    assert_listen(&conf->listen[PC_MAX_LISTEN - 1], "127.0.0.1", 1000 + PC_MAX_LISTEN - 1);
    pc_conf_free(conf);

    snprintf(text + len, sizeof text - len, "Listen 127.0.0.1:2000\n");
    expect_error(text, PC_E_CONF_VALUE, ORIGIN ":17: Listen: too many addresses (at most 16)");
}

static void
test_conf_acl(void **state)
{
    pc_conf_t *conf = parse_ok("Deny 192.168.1.13\n"
                               "Allow 192.168.1.0/24\n"
                               "Allow 10.0.0.0/8\n"
                               "Deny 0.0.0.0/0\n"
                               "Allow fd00::/8\n");

    assert_int_equal(pc_acl_count(conf->acl), 5);
    /* First match wins, in file order. */
    assert_false(allows(conf, "192.168.1.13"));
    assert_true(allows(conf, "192.168.1.12"));
    assert_true(allows(conf, "10.200.3.4"));
    assert_false(allows(conf, "172.16.0.1"));
    assert_true(allows(conf, "fd12::1"));
    /* Rules exist, so loopback is no longer implied. */
    assert_false(allows(conf, "127.0.0.1"));
    assert_false(allows(conf, "::1"));
    pc_conf_free(conf);

    conf = parse_ok("allow 127.0.0.1\nALLOW ::1/128");
    assert_int_equal(pc_acl_count(conf->acl), 2);
    assert_true(allows(conf, "127.0.0.1"));
    assert_false(allows(conf, "127.0.0.2"));
    assert_true(allows(conf, "::1"));
    pc_conf_free(conf);
}

static void
test_conf_connect_ports(void **state)
{
    pc_conf_t *conf = parse_ok("ConnectPort 8443\nConnectPort 10000-10002\nConnectPort 22\n");

    /* The first ConnectPort replaced the default {443}. */
    assert_false(pc_portset_has(&conf->connect_ports, 443));
    assert_true(pc_portset_has(&conf->connect_ports, 8443));
    assert_true(pc_portset_has(&conf->connect_ports, 22));
    assert_false(pc_portset_has(&conf->connect_ports, 9999));
    assert_true(pc_portset_has(&conf->connect_ports, 10000));
    assert_true(pc_portset_has(&conf->connect_ports, 10001));
    assert_true(pc_portset_has(&conf->connect_ports, 10002));
    assert_false(pc_portset_has(&conf->connect_ports, 10003));
    pc_conf_free(conf);

    conf = parse_ok("ConnectPort 443\nConnectPort 563");
    assert_true(pc_portset_has(&conf->connect_ports, 443));
    assert_true(pc_portset_has(&conf->connect_ports, 563));
    assert_false(pc_portset_has(&conf->connect_ports, 80));
    pc_conf_free(conf);
}

static void
test_conf_lists(void **state)
{
    pc_conf_t *conf = parse_ok("Blocklist /etc/portcullis/ads.txt\n"
                               "Allowlist /etc/portcullis/allow.txt\n"
                               "Blocklist \"C:\\Program Data\\lists\\malware list.txt\"\n"
                               "Blocklist /etc/portcullis/ads.txt\n");

    (void)state;
    assert_int_equal(conf->num_lists, 4);
    assert_string_equal(conf->lists[0].path, "/etc/portcullis/ads.txt");
    assert_int_equal(conf->lists[0].kind, PC_LIST_BLOCK);
    assert_string_equal(conf->lists[1].path, "/etc/portcullis/allow.txt");
    assert_int_equal(conf->lists[1].kind, PC_LIST_ALLOW);
    assert_string_equal(conf->lists[2].path, "C:\\Program Data\\lists\\malware list.txt");
    assert_int_equal(conf->lists[2].kind, PC_LIST_BLOCK);
    assert_string_equal(conf->lists[3].path, "/etc/portcullis/ads.txt");
    /* Only recorded: the policy exists and stays empty until conf_load fills it. */
    assert_non_null(conf->policy);
    assert_int_equal(pc_policy_domain_count(conf->policy), 0);
    pc_conf_free(conf);
}

/* Parses text as the file named origin; asserts success. */
static pc_conf_t *
parse_as(const char *origin, const char *text)
{
    pc_conf_t *conf = NULL;
    pc_conf_error_t err;

    if (pc_conf_parse(text, strlen(text), origin, &conf, &err) != 0) {
        fail_msg("%s", err.msg);
    }
    return conf;
}

/*
 * Relative list, log and pid file paths are taken from the configuration
 * file's directory (POSIX or Windows separators); absolute ones, drive
 * paths, "stdout" and a file named without a directory are kept as written.
 */
static void
test_conf_relative_paths(void **state)
{
    const char *text = "Blocklist lists/ads.txt\nAllowlist /srv/allow.txt\n"
                       "AccessLog access.log\nPidFile run/p.pid\n";
    pc_conf_t *conf = parse_as("/etc/portcullis/portcullis.conf", text);

    (void)state;
    assert_string_equal(conf->lists[0].path, "/etc/portcullis/lists/ads.txt");
    assert_string_equal(conf->lists[1].path, "/srv/allow.txt");
    assert_string_equal(conf->access_log, "/etc/portcullis/access.log");
    assert_string_equal(conf->pid_file, "/etc/portcullis/run/p.pid");
    pc_conf_free(conf);

    conf = parse_as("C:\\ProgramData\\Portcullis\\portcullis.conf",
                    "Blocklist lists\\ads.txt\nAllowlist D:\\allow.txt\n"
                    "Allowlist \\\\server\\share\\a.txt\nAccessLog stdout\n");
    assert_string_equal(conf->lists[0].path, "C:\\ProgramData\\Portcullis\\lists\\ads.txt");
    assert_string_equal(conf->lists[1].path, "D:\\allow.txt");
    assert_string_equal(conf->lists[2].path, "\\\\server\\share\\a.txt");
    assert_string_equal(conf->access_log, "stdout");
    pc_conf_free(conf);

    conf = parse_as("portcullis.conf", text); /* a file in the working directory */
    assert_string_equal(conf->lists[0].path, "lists/ads.txt");
    assert_string_equal(conf->access_log, "access.log");
    pc_conf_free(conf);
}

static void
test_conf_access_log_format(void **state)
{
    pc_conf_t *conf = parse_ok("AccessLogFormat JSON\nAccessLogQuery yes\n");

    (void)state;
    assert_int_equal(conf->access_log_format, PC_ALOG_JSON);
    assert_true(conf->access_log_query);
    pc_conf_free(conf);
    conf = parse_ok("ViaName x\n");
    assert_int_equal(conf->access_log_format, PC_ALOG_NATIVE);
    assert_false(conf->access_log_query);
    pc_conf_free(conf);
    /* The sinks that are not paths keep their spelling, never a directory. */
    conf = parse_as("/etc/portcullis/portcullis.conf", "AccessLog SYSLOG\n");
    assert_string_equal(conf->access_log, "syslog");
    pc_conf_free(conf);
    conf = parse_as("/etc/portcullis/portcullis.conf", "AccessLog Syslog:/run/log.sock\n");
    assert_string_equal(conf->access_log, "syslog:/run/log.sock");
    pc_conf_free(conf);
    conf = parse_as("/etc/portcullis/portcullis.conf", "AccessLog STDOUT\n");
    assert_string_equal(conf->access_log, "stdout");
    pc_conf_free(conf);
    expect_error("AccessLogFormat apache\n", PC_E_CONF_VALUE,
                 "portcullis.conf:1: AccessLogFormat: 'apache' is not native, squid, common, "
                 "combined or json");
}

static void
test_conf_pid_file_user_group(void **state)
{
    pc_conf_t *conf = parse_ok("PidFile \"/run/port cullis.pid\"\nUser portcullis\nGroup proxy\n");

    (void)state;
    assert_string_equal(conf->pid_file, "/run/port cullis.pid");
    assert_string_equal(conf->user, "portcullis");
    assert_string_equal(conf->group, "proxy");
    pc_conf_free(conf);
    conf = parse_ok("ViaName x\n");
    assert_null(conf->pid_file);
    assert_null(conf->user);
    assert_null(conf->group);
    pc_conf_free(conf);
    expect_error("User a\nUser b", PC_E_CONF_SYNTAX,
                 ORIGIN ":2: User: given twice (first on line 1)");
    expect_error("PidFile /a\nPidFile /b", PC_E_CONF_SYNTAX,
                 ORIGIN ":2: PidFile: given twice (first on line 1)");
}

static void
test_conf_policy_switches(void **state)
{
    pc_conf_t *conf = parse_ok("DefaultPolicy deny\nDenyPrivateDestinations yes\n"
                               "PolicyDetail On\n");

    (void)state;
    assert_true(conf->default_deny);
    assert_true(conf->deny_private);
    assert_true(conf->policy_detail);
    pc_conf_free(conf);
    conf = parse_ok("DefaultPolicy ALLOW\nDenyPrivateDestinations off\nPolicyDetail false\n");
    assert_false(conf->default_deny);
    assert_false(conf->deny_private);
    assert_false(conf->policy_detail);
    pc_conf_free(conf);
}

static void
test_conf_access_log(void **state)
{
    static const struct {
        const char *text;
        const char *expect; /* NULL = off */
    } cases[] = {
        {"AccessLog /var/log/portcullis/access.log", "/var/log/portcullis/access.log"},
        {"AccessLog stdout", "stdout"},
        {"AccessLog STDOUT", "stdout"},
        {"AccessLog off", NULL},
        {"AccessLog Off", NULL},
        {"AccessLog \"/var/log/my logs/access.log\"", "/var/log/my logs/access.log"},
        {"AccessLog \"off\"", NULL},
        {"AccessLog ./off.log", "./off.log"},
    };
    size_t i;
    pc_conf_t *conf;

    for (i = 0; i < PC_ARRAY_SIZE(cases); i++) {
        conf = parse_ok(cases[i].text);
        if (cases[i].expect == NULL) {
            assert_null(conf->access_log);
        } else {
            assert_string_equal(conf->access_log, cases[i].expect);
        }
        pc_conf_free(conf);
    }
}

static void
test_conf_numbers_valid(void **state)
{
    static const struct {
        const char *text;
        size_t offset; /* of a uint64_t field, or of max_clients when is_clients */
        bool is_clients;
        uint64_t expect;
    } cases[] = {
        {"HeaderTimeout 1", offsetof(pc_conf_t, header_timeout_ms), false, 1000},
        {"HeaderTimeout 86400", offsetof(pc_conf_t, header_timeout_ms), false, 86400000},
        {"ConnectTimeout 1", offsetof(pc_conf_t, connect_timeout_ms), false, 1000},
        {"ConnectTimeout 86400", offsetof(pc_conf_t, connect_timeout_ms), false, 86400000},
        {"ResponseTimeout 1", offsetof(pc_conf_t, response_timeout_ms), false, 1000},
        {"ResponseTimeout 86400", offsetof(pc_conf_t, response_timeout_ms), false, 86400000},
        {"IdleTimeout 1", offsetof(pc_conf_t, idle_timeout_ms), false, 1000},
        {"IdleTimeout 86400", offsetof(pc_conf_t, idle_timeout_ms), false, 86400000},
        {"ShutdownTimeout 0", offsetof(pc_conf_t, shutdown_timeout_ms), false, 0},
        {"ShutdownTimeout 3600", offsetof(pc_conf_t, shutdown_timeout_ms), false, 3600000},
        {"OriginKeepAlive 0", offsetof(pc_conf_t, origin_keepalive_ms), false, 0},
        {"OriginKeepAlive 3600", offsetof(pc_conf_t, origin_keepalive_ms), false, 3600000},
        {"headertimeout 045", offsetof(pc_conf_t, header_timeout_ms), false, 45000},
        {"MaxClients 1", offsetof(pc_conf_t, max_clients), true, 1},
        {"MaxClients 1000000", offsetof(pc_conf_t, max_clients), true, 1000000},
        {"MAXCLIENTS 50", offsetof(pc_conf_t, max_clients), true, 50},
    };
    size_t i;
    pc_conf_t *conf;
    uint64_t got;

    for (i = 0; i < PC_ARRAY_SIZE(cases); i++) {
        conf = parse_ok(cases[i].text);
        if (cases[i].is_clients) {
            got = conf->max_clients;
        } else {
            memcpy(&got, (const char *)conf + cases[i].offset, sizeof got);
        }
        assert_int_equal(got, cases[i].expect);
        pc_conf_free(conf);
    }
}

/* Workers: auto (0, the default) or 1..64. */
static void
test_conf_workers(void **state)
{
    static const struct {
        const char *text;
        unsigned expect;
    } cases[] = {
        {"", 0}, {"Workers auto", 0}, {"workers AUTO", 0}, {"Workers 1", 1}, {"Workers 64", 64},
    };
    size_t i;
    pc_conf_t *conf;

    (void)state;
    for (i = 0; i < PC_ARRAY_SIZE(cases); i++) {
        conf = parse_ok(cases[i].text);
        assert_int_equal(conf->workers, cases[i].expect);
        pc_conf_free(conf);
    }
}

static void
test_conf_origin_keepalive_max(void **state)
{
    pc_conf_t *conf = parse_ok("OriginKeepAliveMax 0");

    (void)state;
    assert_int_equal(conf->origin_keepalive_max, 0);
    pc_conf_free(conf);
    conf = parse_ok("originkeepalivemax 100000");
    assert_int_equal(conf->origin_keepalive_max, 100000);
    pc_conf_free(conf);
}

static void
test_conf_log_level_and_via(void **state)
{
    static const struct {
        const char *text;
        pc_log_level_t level;
    } levels[] = {
        {"LogLevel error", PC_LOG_ERROR}, {"LogLevel warn", PC_LOG_WARN},
        {"LogLevel info", PC_LOG_INFO},   {"LogLevel debug", PC_LOG_DEBUG},
        {"loglevel DEBUG", PC_LOG_DEBUG},
    };
    static const struct {
        const char *text;
        const char *name;
    } vias[] = {
        {"ViaName gate", "gate"},
        {"ViaName proxy-1.example.com", "proxy-1.example.com"},
        {"ViaName !#$%&'*+-.^_`|~09azAZ", "!#$%&'*+-.^_`|~09azAZ"},
        {"ViaName x", "x"},
        {"ViaName 123456789012345678901234567890123456789012345678901234567890123",
         "123456789012345678901234567890123456789012345678901234567890123"},
    };
    size_t i;
    pc_conf_t *conf;

    for (i = 0; i < PC_ARRAY_SIZE(levels); i++) {
        conf = parse_ok(levels[i].text);
        assert_int_equal(conf->log_level, levels[i].level);
        pc_conf_free(conf);
    }
    for (i = 0; i < PC_ARRAY_SIZE(vias); i++) {
        conf = parse_ok(vias[i].text);
        assert_string_equal(conf->via_name, vias[i].name);
        pc_conf_free(conf);
    }
}

/* A whole file touching every directive, with comments, blanks, tabs, CRLF and quotes. */
static void
test_conf_full_file(void **state)
{
    static const char text[] = "\xEF\xBB\xBF# Portcullis test configuration\r\n"
                               "\r\n"
                               "  # indented comment\r\n"
                               "Listen\t[::]:3129\r\n"
                               "  listen   0.0.0.0:3128  \r\n"
                               "Allow 10.0.0.0/8\r\n"
                               "Deny 10.9.0.0/16\n"
                               "Deny 192.168.0.0/16\n"
                               "Allow 192.168.0.0/16\n"
                               "ConnectPort 443\n"
                               "ConnectPort \"8443-8444\"\n"
                               "Blocklist \"/etc/portcullis/block list.txt\"\t\n"
                               "AccessLog stdout\n"
                               "HeaderTimeout 5\n"
                               "ConnectTimeout 6\n"
                               "ResponseTimeout 11\n"
                               "IdleTimeout 7\n"
                               "ShutdownTimeout 8\n"
                               "MaxClients 9\n"
                               "LogLevel warn\n"
                               "ViaName \"edge\"\n"
                               "#Listen 1.2.3.4:5\n"
                               "\t\n"
                               "# no line end after this comment";
    pc_conf_t *conf = parse_ok(text);

    assert_int_equal(conf->num_listen, 2);
    assert_listen(&conf->listen[0], "::", 3129);
    assert_listen(&conf->listen[1], "0.0.0.0", 3128);
    assert_int_equal(pc_acl_count(conf->acl), 4);
    /* First match wins: the broad Allow precedes the narrower Deny, and the Deny of
     * 192.168/16 precedes the Allow of the same block. */
    assert_true(allows(conf, "10.1.2.3"));
    assert_true(allows(conf, "10.9.2.3"));
    assert_false(allows(conf, "192.168.1.1"));
    assert_false(allows(conf, "127.0.0.1"));
    assert_true(pc_portset_has(&conf->connect_ports, 443));
    assert_true(pc_portset_has(&conf->connect_ports, 8443));
    assert_true(pc_portset_has(&conf->connect_ports, 8444));
    assert_false(pc_portset_has(&conf->connect_ports, 8445));
    assert_int_equal(conf->num_lists, 1);
    assert_string_equal(conf->lists[0].path, "/etc/portcullis/block list.txt");
    assert_string_equal(conf->access_log, "stdout");
    assert_int_equal(conf->header_timeout_ms, 5000);
    assert_int_equal(conf->connect_timeout_ms, 6000);
    assert_int_equal(conf->response_timeout_ms, 11000);
    assert_int_equal(conf->idle_timeout_ms, 7000);
    assert_int_equal(conf->shutdown_timeout_ms, 8000);
    assert_int_equal(conf->max_clients, 9);
    assert_int_equal(conf->log_level, PC_LOG_WARN);
    assert_string_equal(conf->via_name, "edge");
    pc_conf_free(conf);
}

typedef struct {
    const char *text;
    int code;
    const char *msg;
} error_case_t;

static void
run_error_cases(const error_case_t *cases, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        expect_error(cases[i].text, cases[i].code, cases[i].msg);
    }
}

#define SYNTAX PC_E_CONF_SYNTAX
#define VALUE  PC_E_CONF_VALUE
#define AT(n)  ORIGIN ":" #n ": "

/* ResponseTimeout: its own default, the range ends, and errors named by file and line. */
static void
test_conf_response_timeout(void **state)
{
    static const error_case_t cases[] = {
        {"ResponseTimeout 0", VALUE, AT(1) "ResponseTimeout: '0' is out of range (1..86400)"},
        {"# c\n\nResponseTimeout 86401", VALUE,
         AT(3) "ResponseTimeout: '86401' is out of range (1..86400)"},
        {"ResponseTimeout 99999999999999999999", VALUE,
         AT(1) "ResponseTimeout: '99999999999999999999' is out of range (1..86400)"},
        {"IdleTimeout 5\nResponseTimeout 1m", VALUE,
         AT(2) "ResponseTimeout: '1m' is not a whole number"},
        {"ResponseTimeout -3", VALUE, AT(1) "ResponseTimeout: '-3' is not a whole number"},
        {"ResponseTimeout", SYNTAX, AT(1) "ResponseTimeout: missing value"},
    };
    pc_conf_t *conf = parse_ok("HeaderTimeout 2\nresponsetimeout \"45\"\n");

    (void)state;
    assert_int_equal(conf->response_timeout_ms, 45000);
    assert_int_equal(conf->idle_timeout_ms, 600000); /* the others keep their defaults */
    assert_int_equal(conf->header_timeout_ms, 2000);
    pc_conf_free(conf);
    conf = parse_ok("IdleTimeout 1\nResponseTimeout 86400");
    assert_int_equal(conf->response_timeout_ms, 86400000);
    pc_conf_free(conf);
    run_error_cases(cases, PC_ARRAY_SIZE(cases));
}

static void
test_conf_listen_invalid(void **state)
{
    static const error_case_t cases[] = {
        {"# x\nListen 127.0.0.1", VALUE,
         AT(2) "Listen: expected ADDR:PORT, e.g. 127.0.0.1:3128 or [::1]:3128"},
        {"Listen 127.0.0.1:", VALUE,
         AT(1) "Listen: expected ADDR:PORT, e.g. 127.0.0.1:3128 or [::1]:3128"},
        {"Listen :3128", VALUE,
         AT(1) "Listen: expected ADDR:PORT, e.g. 127.0.0.1:3128 or [::1]:3128"},
        {"Listen ::1:3128", VALUE,
         AT(1) "Listen: expected ADDR:PORT, e.g. 127.0.0.1:3128 or [::1]:3128"},
        {"Listen [::1]", VALUE,
         AT(1) "Listen: expected ADDR:PORT, e.g. 127.0.0.1:3128 or [::1]:3128"},
        {"Listen [::1]3128", VALUE,
         AT(1) "Listen: expected ADDR:PORT, e.g. 127.0.0.1:3128 or [::1]:3128"},
        {"Listen [::1:3128", VALUE,
         AT(1) "Listen: expected ADDR:PORT, e.g. 127.0.0.1:3128 or [::1]:3128"},
        {"Listen []:3128", VALUE,
         AT(1) "Listen: expected ADDR:PORT, e.g. 127.0.0.1:3128 or [::1]:3128"},
        {"Listen [127.0.0.1]:3128", VALUE,
         AT(1) "Listen: expected ADDR:PORT, e.g. 127.0.0.1:3128 or [::1]:3128"},
        {"Listen 127.0.0.1:31a8", VALUE,
         AT(1) "Listen: expected ADDR:PORT, e.g. 127.0.0.1:3128 or [::1]:3128"},
        {"Listen 127.0.0.1:-1", VALUE,
         AT(1) "Listen: expected ADDR:PORT, e.g. 127.0.0.1:3128 or [::1]:3128"},
        {"Listen 127.0.0.1:65536", VALUE, AT(1) "Listen: port '65536' is out of range (0..65535)"},
        {"Listen [::1]:99999999999999999999999", VALUE,
         AT(1) "Listen: port '99999999999999999999999' is out of range (0..65535)"},
        {"Listen localhost:3128", VALUE,
         AT(1) "Listen: 'localhost' is not an IP address (host names are not accepted)"},
        {"Listen 127.1:3128", VALUE,
         AT(1) "Listen: '127.1' is not an IP address (host names are not accepted)"},
        {"Listen [fe80::1%eth0]:3128", VALUE,
         AT(1) "Listen: 'fe80::1%eth0' is not an IP address (host names are not accepted)"},
        {"Listen 127.0.0.1:3128\nListen 127.0.0.1:3128", VALUE,
         AT(2) "Listen: '127.0.0.1:3128' is already listed"},
    };

    run_error_cases(cases, PC_ARRAY_SIZE(cases));
}

static void
test_conf_values_invalid(void **state)
{
    static const error_case_t cases[] = {
        {"Allow 10.0.0.0/33", VALUE,
         AT(1) "Allow: '10.0.0.0/33' is not an address or CIDR block, e.g. 192.168.0.0/16 or "
               "fd00::/8"},
        {"DefaultPolicy block", VALUE, AT(1) "DefaultPolicy: 'block' is not allow or deny"},
        {"DefaultPolicy deny\nDefaultPolicy allow", SYNTAX,
         AT(2) "DefaultPolicy: given twice (first on line 1)"},
        {"# x\nDenyPrivateDestinations 1", VALUE,
         AT(2) "DenyPrivateDestinations: '1' is not yes or no"},
        {"PolicyDetail yesplease", VALUE, AT(1) "PolicyDetail: 'yesplease' is not yes or no"},
        {"Allow 10.0.0.0/8\nDeny example.com", VALUE,
         AT(2) "Deny: 'example.com' is not an address or CIDR block, e.g. 192.168.0.0/16 or "
               "fd00::/8"},
        {"ConnectPort 0", VALUE,
         AT(1) "ConnectPort: '0' is not a port or range (N or N-M, 1..65535)"},
        {"ConnectPort 65536", VALUE,
         AT(1) "ConnectPort: '65536' is not a port or range (N or N-M, 1..65535)"},
        {"ConnectPort 10-5", VALUE,
         AT(1) "ConnectPort: '10-5' is not a port or range (N or N-M, 1..65535)"},
        {"ConnectPort https", VALUE,
         AT(1) "ConnectPort: 'https' is not a port or range (N or N-M, 1..65535)"},
        {"\n\nHeaderTimeout 0", VALUE, AT(3) "HeaderTimeout: '0' is out of range (1..86400)"},
        {"HeaderTimeout 86401", VALUE, AT(1) "HeaderTimeout: '86401' is out of range (1..86400)"},
        {"HeaderTimeout 30s", VALUE, AT(1) "HeaderTimeout: '30s' is not a whole number"},
        {"HeaderTimeout -1", VALUE, AT(1) "HeaderTimeout: '-1' is not a whole number"},
        {"HeaderTimeout +5", VALUE, AT(1) "HeaderTimeout: '+5' is not a whole number"},
        {"HeaderTimeout 1.5", VALUE, AT(1) "HeaderTimeout: '1.5' is not a whole number"},
        {"ConnectTimeout 0", VALUE, AT(1) "ConnectTimeout: '0' is out of range (1..86400)"},
        {"IdleTimeout 100000", VALUE, AT(1) "IdleTimeout: '100000' is out of range (1..86400)"},
        {"IdleTimeout 18446744073709551617", VALUE,
         AT(1) "IdleTimeout: '18446744073709551617' is out of range (1..86400)"},
        {"ShutdownTimeout 3601", VALUE, AT(1) "ShutdownTimeout: '3601' is out of range (0..3600)"},
        {"OriginKeepAlive 3601", VALUE, AT(1) "OriginKeepAlive: '3601' is out of range (0..3600)"},
        {"OriginKeepAliveMax 100001", VALUE,
         AT(1) "OriginKeepAliveMax: '100001' is out of range (0..100000)"},
        {"OriginKeepAliveMax -1", VALUE, AT(1) "OriginKeepAliveMax: '-1' is not a whole number"},
        {"MaxClients 0", VALUE, AT(1) "MaxClients: '0' is out of range (1..1000000)"},
        {"MaxClients 1000001", VALUE, AT(1) "MaxClients: '1000001' is out of range (1..1000000)"},
        {"MaxClients many", VALUE, AT(1) "MaxClients: 'many' is not a whole number"},
        {"Workers 0", VALUE, AT(1) "Workers: '0' is out of range (1..64)"},
        {"Workers 65", VALUE, AT(1) "Workers: '65' is out of range (1..64)"},
        {"Workers many", VALUE, AT(1) "Workers: 'many' is not a whole number"},
        {"LogLevel verbose", VALUE,
         AT(1) "LogLevel: 'verbose' is not one of error, warn, info, debug"},
        {"LogLevel warning", VALUE,
         AT(1) "LogLevel: 'warning' is not one of error, warn, info, debug"},
        {"ViaName \"two words\"", VALUE,
         AT(1) "ViaName: 'two words' must be 1 to 63 token characters (letters, digits, "
               "!#$%&'*+-.^_`|~)"},
        {"ViaName a/b", VALUE,
         AT(1) "ViaName: 'a/b' must be 1 to 63 token characters (letters, digits, "
               "!#$%&'*+-.^_`|~)"},
        {"ViaName 1234567890123456789012345678901234567890123456789012345678901234", VALUE,
         AT(1) "ViaName: '123456789012345678901234567890123456789012345678...' must be 1 to 63 "
               "token characters (letters, digits, !#$%&'*+-.^_`|~)"},
    };

    run_error_cases(cases, PC_ARRAY_SIZE(cases));
}

static void
test_conf_syntax_errors(void **state)
{
    static const error_case_t cases[] = {
        {"Listen 127.0.0.1:3128\n\n\n\n\n# typo below\nLisen 127.0.0.1:3128", SYNTAX,
         AT(7) "unknown directive 'Lisen'"},
        {"Port 8080", SYNTAX, AT(1) "unknown directive 'Port'"},
        {"Listen", SYNTAX, AT(1) "Listen: missing value"},
        {"  MaxClients  \t ", SYNTAX, AT(1) "MaxClients: missing value"},
        {"AccessLog \"\"", SYNTAX, AT(1) "AccessLog: missing value"},
        {"AccessLog \"/var/log/x", SYNTAX, AT(1) "AccessLog: unterminated quoted value"},
        {"AccessLog \"", SYNTAX, AT(1) "AccessLog: unterminated quoted value"},
        {"AccessLog /var/log/my logs", SYNTAX,
         AT(1) "AccessLog: unexpected 'logs' after the value (quote a value that has spaces)"},
        {"AccessLog \"/a\" \"/b\"", SYNTAX,
         AT(1) "AccessLog: unexpected '\"/b\"' after the value (quote a value that has spaces)"},
        {"AccessLog \"/a\"b", SYNTAX,
         AT(1) "AccessLog: unexpected 'b' after the value (quote a value that has spaces)"},
        {"MaxClients 10 # ten", SYNTAX,
         AT(1) "MaxClients: unexpected '# ten' after the value (quote a value that has spaces)"},
        {"AccessLog /var/\"x\"", SYNTAX, AT(1) "AccessLog: unexpected '\"' inside a value"},
        {"Unknown", SYNTAX, AT(1) "unknown directive 'Unknown'"},
        {"\"Listen\" 127.0.0.1:1", SYNTAX, AT(1) "unknown directive '\"Listen\"'"},
        {"LogLevel info\nLogLevel debug", SYNTAX, AT(2) "LogLevel: given twice (first on line 1)"},
    };

    run_error_cases(cases, PC_ARRAY_SIZE(cases));
}

static void
test_conf_duplicate_non_repeatable(void **state)
{
    static const struct {
        const char *text;
        const char *msg;
    } cases[] = {
        {"AccessLog off\nAccessLog stdout", AT(2) "AccessLog: given twice (first on line 1)"},
        {"HeaderTimeout 1\n#\nheadertimeout 1",
         AT(3) "HeaderTimeout: given twice (first on line 1)"},
        {"ConnectTimeout 1\nConnectTimeout 2",
         AT(2) "ConnectTimeout: given twice (first on line 1)"},
        {"IdleTimeout 1\nIdleTimeout 2", AT(2) "IdleTimeout: given twice (first on line 1)"},
        {"ResponseTimeout 5\n\nresponsetimeout 5",
         AT(3) "ResponseTimeout: given twice (first on line 1)"},
        {"ShutdownTimeout 1\nShutdownTimeout 2",
         AT(2) "ShutdownTimeout: given twice (first on line 1)"},
        {"\nMaxClients 1\nMaxClients 2", AT(3) "MaxClients: given twice (first on line 2)"},
        {"LogLevel info\nLogLevel info", AT(2) "LogLevel: given twice (first on line 1)"},
        {"ViaName a\nViaName b", AT(2) "ViaName: given twice (first on line 1)"},
    };
    size_t i;

    for (i = 0; i < PC_ARRAY_SIZE(cases); i++) {
        expect_error(cases[i].text, SYNTAX, cases[i].msg);
    }
}

static void
test_conf_control_bytes(void **state)
{
    static const struct {
        const char *text;
        size_t len;
        const char *msg;
    } cases[] = {
        {"LogLevel info\0x", 15, AT(1) "control character 0x00 in line"},
        {"LogLevel info\n# a \0 in a comment\n", 33, AT(2) "control character 0x00 in line"},
        {"LogLevel\x01info", 13, AT(1) "control character 0x01 in line"},
        {"LogLevel info\rMaxClients 3", 26, AT(1) "control character 0x0D in line"},
        {"ViaName a\x1b[31m", 14, AT(1) "control character 0x1B in line"},
        {"ViaName a\x7f", 10, AT(1) "control character 0x7F in line"},
        {"LogLevel info\r\r\n", 16, AT(1) "control character 0x0D in line"},
        {"\x0c", 1, AT(1) "control character 0x0C in line"},
    };
    size_t i;

    for (i = 0; i < PC_ARRAY_SIZE(cases); i++) {
        expect_error_len(cases[i].text, cases[i].len, SYNTAX, cases[i].msg);
    }
}

/* The user's text in a message is cut to 48 bytes and shows non-ASCII as '?'. */
static void
test_conf_quoted_text_bounded(void **state)
{
    char text[600];
    char expect[128];

    memset(text, 'A', sizeof text);
    memcpy(text, "Z\xc3\xa9", 3);
    memcpy(text + sizeof text - 4, " 1\n", 4);
    snprintf(expect, sizeof expect, AT(1) "unknown directive 'Z??%.45s...'",
             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    expect_error(text, SYNTAX, expect);

    /* A high byte is not a control byte: a path may be UTF-8. */
    {
        pc_conf_t *conf = parse_ok("AccessLog /var/log/caf\xc3\xa9.log");
        assert_string_equal(conf->access_log, "/var/log/caf\xc3\xa9.log");
        pc_conf_free(conf);
    }
}

static void
test_conf_line_ends_and_length(void **state)
{
    static const char text[] = "LogLevel debug\r\nMaxClients 7\r\nViaName v\r\nIGNORED";
    pc_conf_t *conf = NULL;
    pc_conf_error_t err;

    /* len stops before the trailing garbage; the text need not be NUL-terminated there. */
    assert_int_equal(pc_conf_parse(text, sizeof text - 1 - 7, ORIGIN, &conf, &err), 0);
    assert_int_equal(conf->log_level, PC_LOG_DEBUG);
    assert_int_equal(conf->max_clients, 7);
    assert_string_equal(conf->via_name, "v");
    pc_conf_free(conf);

    /* A last line without a line end, and one ending in a lone CR, are still read. */
    conf = parse_ok("MaxClients 8");
    assert_int_equal(conf->max_clients, 8);
    pc_conf_free(conf);
    conf = parse_ok("MaxClients 9\r");
    assert_int_equal(conf->max_clients, 9);
    pc_conf_free(conf);

    /* Only len counts: a value cut by len is what is parsed. */
    assert_int_equal(pc_conf_parse("MaxClients 123", 12, ORIGIN, &conf, &err), 0);
    assert_int_equal(conf->max_clients, 1);
    pc_conf_free(conf);
}

/* Errors after earlier lines allocated (ACL rules, paths, access log) free everything. */
static void
test_conf_error_frees_everything(void **state)
{
    static const char *const texts[] = {
        "Allow 10.0.0.0/8\nBlocklist /a\nBlocklist /b\nAccessLog /c\nListen [::1]:1\nBogus 1",
        "Blocklist /a\nAccessLog /c\nAccessLog /d",
        "AccessLog /c\nDeny 1.2.3.4\nDeny nope",
        "Blocklist /a\nViaName \"bad name\"",
    };
    size_t i;
    pc_conf_t *conf;
    pc_conf_error_t err;

    for (i = 0; i < PC_ARRAY_SIZE(texts); i++) {
        conf = (pc_conf_t *)&conf;
        assert_true(pc_conf_parse(texts[i], strlen(texts[i]), ORIGIN, &conf, &err) < 0);
        assert_null(conf);
        assert_true(strncmp(err.msg, ORIGIN ":", strlen(ORIGIN ":")) == 0);
    }
}

static void
test_conf_origin_and_null_err(void **state)
{
    pc_conf_t *conf = NULL;
    pc_conf_error_t err;

    /* No err: the result code still tells what happened. */
    assert_int_equal(pc_conf_parse("Bogus 1", 7, ORIGIN, &conf, NULL), PC_E_CONF_SYNTAX);
    assert_null(conf);
    assert_int_equal(pc_conf_parse("MaxClients 0", 12, ORIGIN, &conf, NULL), PC_E_CONF_VALUE);
    assert_null(conf);

    /* The origin is copied: the caller's string may go away. */
    {
        char name[] = "/etc/portcullis/portcullis.conf";
        assert_int_equal(pc_conf_parse("", 0, name, &conf, &err), 0);
        memset(name, 'x', sizeof name - 1);
        assert_string_equal(conf->origin, "/etc/portcullis/portcullis.conf");
        pc_conf_free(conf);
    }
    assert_int_equal(pc_conf_parse("\nBogus", 6, "/etc/p.conf", &conf, &err), PC_E_CONF_SYNTAX);
    assert_string_equal(err.msg, "/etc/p.conf:2: unknown directive 'Bogus'");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conf_defaults),
        cmocka_unit_test(test_conf_listen_valid),
        cmocka_unit_test(test_conf_listen_repeat),
        cmocka_unit_test(test_conf_listen_max),
        cmocka_unit_test(test_conf_acl),
        cmocka_unit_test(test_conf_connect_ports),
        cmocka_unit_test(test_conf_lists),
        cmocka_unit_test(test_conf_policy_switches),
        cmocka_unit_test(test_conf_pid_file_user_group),
        cmocka_unit_test(test_conf_relative_paths),
        cmocka_unit_test(test_conf_access_log_format),
        cmocka_unit_test(test_conf_access_log),
        cmocka_unit_test(test_conf_numbers_valid),
        cmocka_unit_test(test_conf_origin_keepalive_max),
        cmocka_unit_test(test_conf_workers),
        cmocka_unit_test(test_conf_log_level_and_via),
        cmocka_unit_test(test_conf_full_file),
        cmocka_unit_test(test_conf_response_timeout),
        cmocka_unit_test(test_conf_listen_invalid),
        cmocka_unit_test(test_conf_values_invalid),
        cmocka_unit_test(test_conf_syntax_errors),
        cmocka_unit_test(test_conf_duplicate_non_repeatable),
        cmocka_unit_test(test_conf_control_bytes),
        cmocka_unit_test(test_conf_quoted_text_bounded),
        cmocka_unit_test(test_conf_line_ends_and_length),
        cmocka_unit_test(test_conf_error_frees_everything),
        cmocka_unit_test(test_conf_origin_and_null_err),
    };

    return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
