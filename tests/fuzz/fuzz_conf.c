/*
 * fuzz_conf.c: the configuration file parser pc_conf_parse().
 *
 * The input is a whole configuration file. Besides "no crash, no leak", the
 * target checks the contract of conf.h:
 *   - the result is 0 with a snapshot, or PC_E_CONF_SYNTAX, PC_E_CONF_VALUE
 *     (or PC_E_NOMEM) with *out set to NULL;
 *   - a refused file's message is NUL-terminated inside err.msg, reads
 *     "fuzz.conf:<line>: <message>" with a line that exists in the input and
 *     a non-empty message, and holds no control character (user text is
 *     quoted, never copied raw into a log line);
 *   - parsing the same text again gives the same result and the same message;
 *   - an accepted snapshot is sane: its origin is the name given, 1..16
 *     listeners, a non-empty NUL-terminated ViaName of tokens, a known log
 *     level and access-log format, non-zero MaxClients and timeouts in
 *     their documented ranges.
 */
#include "fuzz.h"

#include "conf.h"
#include "portcullis/error.h"

#include <stdbool.h>
#include <string.h>

#define ORIGIN "fuzz.conf"

static size_t
count_lines(const char *s, size_t len)
{
    size_t n = 1;
    size_t i;

    for (i = 0; i < len; i++) {
        n += s[i] == '\n';
    }
    return n;
}

static void
check_error(const pc_conf_error_t *err, int rc, const char *text, size_t len)
{
    const char *msg = err->msg;
    size_t olen = strlen(ORIGIN);
    size_t n, i, line = 0;

    PC_FUZZ_CHECK(rc == PC_E_CONF_SYNTAX || rc == PC_E_CONF_VALUE || rc == PC_E_NOMEM);
    PC_FUZZ_CHECK(memchr(msg, '\0', sizeof(err->msg)) != NULL);
    n = strlen(msg);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)msg[i];

        PC_FUZZ_CHECK(c >= 0x20 && c != 0x7f);
    }
    if (rc == PC_E_NOMEM) {
        return;
    }
    PC_FUZZ_CHECK(n > olen + 1 && memcmp(msg, ORIGIN, olen) == 0 && msg[olen] == ':');
    for (i = olen + 1; i < n && msg[i] >= '0' && msg[i] <= '9' && line < 1000000000; i++) {
        line = line * 10 + (size_t)(msg[i] - '0');
    }
    PC_FUZZ_CHECK(i > olen + 1); /* at least one digit */
    PC_FUZZ_CHECK(line >= 1 && line <= count_lines(text, len));
    PC_FUZZ_CHECK(i + 2 < n && msg[i] == ':' && msg[i + 1] == ' ');
}

static bool
is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static void
check_conf(const pc_conf_t *c)
{
    size_t i;

    PC_FUZZ_CHECK(c->origin != NULL && strcmp(c->origin, ORIGIN) == 0);
    PC_FUZZ_CHECK(c->num_listen >= 1 && c->num_listen <= PC_MAX_LISTEN);
    PC_FUZZ_CHECK(memchr(c->via_name, '\0', sizeof(c->via_name)) != NULL);
    PC_FUZZ_CHECK(c->via_name[0] != '\0');
    for (i = 0; c->via_name[i] != '\0'; i++) {
        PC_FUZZ_CHECK(is_tchar((unsigned char)c->via_name[i]));
    }
    PC_FUZZ_CHECK(c->log_level >= PC_LOG_ERROR && c->log_level <= PC_LOG_DEBUG);
    PC_FUZZ_CHECK(c->access_log_format >= PC_ALOG_NATIVE && c->access_log_format <= PC_ALOG_JSON);
    PC_FUZZ_CHECK(c->max_clients >= 1 && c->max_clients <= 1000000);
    PC_FUZZ_CHECK(c->header_timeout_ms >= 1000 && c->header_timeout_ms <= 86400000);
    PC_FUZZ_CHECK(c->connect_timeout_ms >= 1000 && c->connect_timeout_ms <= 86400000);
    PC_FUZZ_CHECK(c->idle_timeout_ms >= 1000 && c->idle_timeout_ms <= 86400000);
    PC_FUZZ_CHECK(c->shutdown_timeout_ms <= 3600000);
    PC_FUZZ_CHECK(c->response_timeout_ms >= 1000 && c->response_timeout_ms <= 86400000);
    PC_FUZZ_CHECK(c->origin_keepalive_ms <= 3600000);
    PC_FUZZ_CHECK(c->origin_keepalive_max <= 100000);
    PC_FUZZ_CHECK(c->num_lists == 0 || c->lists != NULL);
    for (i = 0; i < c->num_lists; i++) {
        PC_FUZZ_CHECK(c->lists[i].path != NULL && c->lists[i].path[0] != '\0');
        PC_FUZZ_CHECK(c->lists[i].kind == PC_LIST_BLOCK || c->lists[i].kind == PC_LIST_ALLOW);
    }
    PC_FUZZ_CHECK(c->access_log == NULL || c->access_log[0] != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    pc_conf_t *conf = (pc_conf_t *)&conf; /* not NULL: the parser must set it */
    pc_conf_t *again = NULL;
    pc_conf_error_t err;
    pc_conf_error_t err2;
    int rc, rc2;

    memset(&err, 0, sizeof(err));
    memset(&err2, 0, sizeof(err2));
    rc = pc_conf_parse(text, size, ORIGIN, &conf, &err);
    if (rc == 0) {
        PC_FUZZ_CHECK(conf != NULL);
        check_conf(conf);
    } else {
        PC_FUZZ_CHECK(conf == NULL);
        check_error(&err, rc, text, size);
    }
    rc2 = pc_conf_parse(text, size, ORIGIN, &again, &err2);
    PC_FUZZ_CHECK(rc2 == rc);
    if (rc2 == 0) {
        PC_FUZZ_CHECK(again != NULL && again != conf);
        pc_conf_free(again);
        pc_conf_free(conf);
    } else {
        PC_FUZZ_CHECK(again == NULL);
        PC_FUZZ_CHECK(strcmp(err.msg, err2.msg) == 0);
    }
    return 0;
}
