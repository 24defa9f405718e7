/*
 * test_access_format.c: access-log lines in every format (src/access_format.c).
 *
 * Each format's exact line for an ordinary GET, a CONNECT and a refusal;
 * the query left out unless asked for; and hostile values (quotes, back-
 * slashes, newlines, control and 8-bit bytes, very long fields) that must
 * neither split a line nor escape their field, nor overflow the buffer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "access_format.h"

static char line[PC_ACCESS_LINE_MAX];

/* 2000-02-29T00:00:00.123Z, a GET with a query, through 10.0.0.9:80. */
static pc_access_record_t
get_record(void)
{
    pc_access_record_t r;

    memset(&r, 0, sizeof(r));
    r.start_ms = 951782400123;
    r.id = 42;
    r.client = "127.0.0.1:5000";
    r.method = "GET";
    r.target = "http://example.com/a/b?token=secret";
    r.host = "example.com";
    r.port = 80;
    r.http_minor = 1;
    r.upstream = "10.0.0.9:80";
    r.status = 200;
    r.bytes_in = 77;
    r.bytes_out = 1234;
    r.duration_ms = 45;
    r.decision = "-";
    r.referer = "http://ref.example/";
    r.user_agent = "curl/7.88.1";
    return r;
}

static const char *
fmt(const pc_access_record_t *r, pc_alog_format_t f, bool keep_query)
{
    size_t n = pc_access_format(r, f, keep_query, line);

    assert_true(n > 0 && n < sizeof(line));
    assert_int_equal(line[n - 1], '\n');
    assert_null(memchr(line, '\n', n - 1)); /* one line, always */
    line[n] = '\0';
    return line;
}

static void
test_access_format_get(void **state)
{
    pc_access_record_t r = get_record();

    (void)state;
    assert_string_equal(fmt(&r, PC_ALOG_NATIVE, false),
                        "2000-02-29T00:00:00.123Z 127.0.0.1:5000 GET http://example.com/a/b 200 "
                        "77 1234 45 - 42 10.0.0.9:80 -\n");
    assert_string_equal(fmt(&r, PC_ALOG_SQUID, false),
                        "951782400.123     45 127.0.0.1 TCP_MISS/200 1234 GET "
                        "http://example.com/a/b - HIER_DIRECT/10.0.0.9 -\n");
    assert_string_equal(fmt(&r, PC_ALOG_COMMON, false),
                        "127.0.0.1 - - [29/Feb/2000:00:00:00 +0000] "
                        "\"GET http://example.com/a/b HTTP/1.1\" 200 1234\n");
    assert_string_equal(fmt(&r, PC_ALOG_COMBINED, false),
                        "127.0.0.1 - - [29/Feb/2000:00:00:00 +0000] "
                        "\"GET http://example.com/a/b HTTP/1.1\" 200 1234 "
                        "\"http://ref.example/\" \"curl/7.88.1\"\n");
    assert_string_equal(fmt(&r, PC_ALOG_JSON, false),
                        "{\"time\":\"2000-02-29T00:00:00.123Z\",\"id\":42,"
                        "\"client\":\"127.0.0.1:5000\",\"user\":null,\"method\":\"GET\","
                        "\"url\":\"http://example.com/a/b\",\"host\":\"example.com\",\"port\":80,"
                        "\"upstream\":\"10.0.0.9:80\",\"status\":200,\"decision\":null,"
                        "\"bytes_in\":77,\"bytes_out\":1234,\"duration_ms\":45,"
                        "\"referer\":\"http://ref.example/\",\"user_agent\":\"curl/7.88.1\"}\n");
    /* AccessLogQuery yes keeps it. */
    assert_non_null(strstr(fmt(&r, PC_ALOG_NATIVE, true), " http://example.com/a/b?token=secret "));
    assert_non_null(
        strstr(fmt(&r, PC_ALOG_JSON, true), "\"url\":\"http://example.com/a/b?token=secret\""));
}

static void
test_access_format_connect_and_refusal(void **state)
{
    pc_access_record_t r = get_record();

    (void)state;
    r.method = "CONNECT";
    r.target = "example.com:443";
    r.port = 443;
    r.upstream = "[2001:db8::1]:443";
    r.client = "[::1]:6000";
    r.referer = r.user_agent = NULL;
    r.http_minor = 0;
    assert_string_equal(fmt(&r, PC_ALOG_SQUID, false),
                        "951782400.123     45 ::1 TCP_TUNNEL/200 1234 CONNECT example.com:443 - "
                        "HIER_DIRECT/2001:db8::1 -\n");
    assert_string_equal(fmt(&r, PC_ALOG_COMBINED, false),
                        "::1 - - [29/Feb/2000:00:00:00 +0000] \"CONNECT example.com:443 HTTP/1.0\" "
                        "200 1234 \"-\" \"-\"\n");

    r = get_record();
    r.status = 403;
    r.bytes_out = 0;
    r.upstream = "";
    r.decision = "block:/etc/portcullis/blocklist.txt:7";
    assert_string_equal(fmt(&r, PC_ALOG_NATIVE, false),
                        "2000-02-29T00:00:00.123Z 127.0.0.1:5000 GET http://example.com/a/b 403 "
                        "77 0 45 block:/etc/portcullis/blocklist.txt:7 42 - -\n");
    assert_string_equal(fmt(&r, PC_ALOG_SQUID, false),
                        "951782400.123     45 127.0.0.1 TCP_DENIED/403 0 GET "
                        "http://example.com/a/b - HIER_NONE/- -\n");
    assert_non_null(strstr(fmt(&r, PC_ALOG_COMMON, false), "\" 403 -\n"));
    assert_non_null(strstr(fmt(&r, PC_ALOG_JSON, false),
                           "\"upstream\":null,\"status\":403,"
                           "\"decision\":\"block:/etc/portcullis/blocklist.txt:7\""));

    /* A request that never got a line: status 0, no method. */
    r = get_record();
    r.method = r.target = r.host = r.upstream = "";
    r.port = 0;
    r.status = 0;
    r.referer = r.user_agent = NULL;
    assert_non_null(strstr(fmt(&r, PC_ALOG_SQUID, false), " NONE_NONE/000 "));
    assert_non_null(strstr(fmt(&r, PC_ALOG_COMMON, false), "] \"-\" 0 1234\n"));
    assert_non_null(strstr(fmt(&r, PC_ALOG_JSON, false),
                           "\"method\":null,\"url\":null,\"host\":null,\"port\":null"));
}

static void
test_access_format_hostile(void **state)
{
    static const char evil[] = "a\"b\\c d\r\n{\"x\":1}\t\x01\x7f\xc3\xa9\xff";
    pc_access_record_t r = get_record();
    const char *l;

    (void)state;
    r.target = evil;
    r.user_agent = evil;
    r.referer = evil;
    r.decision = evil;
    l = fmt(&r, PC_ALOG_NATIVE, false);
    assert_non_null(strstr(l, " a?b\\c?d??{?x?:1}?????? 200 "));
    l = fmt(&r, PC_ALOG_COMBINED, false);
    assert_non_null(strstr(
        l, "\"GET a\\\"b\\\\c d\\x0d\\x0a{\\\"x\\\":1}\\x09\\x01\\x7f\\xc3\\xa9\\xff HTTP/1.1\""));
    r.user = evil; /* a bare field in common: no quote may open there */
    l = fmt(&r, PC_ALOG_COMMON, false);
    assert_non_null(strstr(l, "127.0.0.1 - a?b\\c?d??{?x?:1}?????? ["));
    r.user = NULL;
    l = fmt(&r, PC_ALOG_JSON, false);
    assert_non_null(strstr(l, "\"url\":\"a\\\"b\\\\c d\\u000d\\u000a{\\\"x\\\":1}\\u0009\\u0001"
                              "\\u007f\\u00c3\\u00a9\\u00ff\""));
}

/* Fields far longer than any budget: cut, never overflowing, still one line. */
static void
test_access_format_long_fields(void **state)
{
    static const pc_alog_format_t all[] = {PC_ALOG_NATIVE, PC_ALOG_SQUID, PC_ALOG_COMMON,
                                           PC_ALOG_COMBINED, PC_ALOG_JSON};
    size_t big = 100000, i;
    char *s = malloc(big + 1);
    pc_access_record_t r = get_record();

    (void)state;
    assert_non_null(s);
    for (i = 0; i < big; i++) {
        s[i] = (char)(i % 3 == 0 ? '"' : i % 3 == 1 ? '\x01' : '\\'); /* each escapes to the max */
    }
    s[big] = '\0';
    r.target = r.method = r.decision = r.referer = r.user_agent = r.user = s;
    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        const char *l = fmt(&r, all[i], false);

        if (all[i] == PC_ALOG_JSON) {
            assert_int_equal(l[strlen(l) - 2], '}');
        }
    }
    free(s);
}

/* Credentials in the URL never reach the log, in any format, whatever the spelling. */
static void
test_access_format_no_userinfo(void **state)
{
    static const pc_alog_format_t all[] = {PC_ALOG_NATIVE, PC_ALOG_SQUID, PC_ALOG_COMMON,
                                           PC_ALOG_COMBINED, PC_ALOG_JSON};
    static const struct {
        const char *target;
        const char *want;
    } cases[] = {
        {"http://user:secret@example.com/a?b", "http://example.com/a"},
        {"http://a@b:secret@example.com:8080/", "http://example.com:8080/"},
        {"HTTP://secret@example.com", "HTTP://example.com"},
        {"secret@example.com:443", "example.com:443"},                  /* CONNECT authority-form */
        {"http://example.com/p@th/x@y", "http://example.com/p@th/x@y"}, /* '@' in the path stays */
    };
    pc_access_record_t r = get_record();
    size_t i, k;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        r.target = cases[i].target;
        for (k = 0; k < sizeof(all) / sizeof(all[0]); k++) {
            const char *l = fmt(&r, all[k], false);

            if (strstr(l, "secret") != NULL || strstr(l, cases[i].want) == NULL) {
                fail_msg("%s logged as: %s", cases[i].target, l);
            }
        }
    }
}

static void
test_access_format_names(void **state)
{
    (void)state;
    assert_int_equal(pc_alog_format_parse("native", 6), PC_ALOG_NATIVE);
    assert_int_equal(pc_alog_format_parse("Squid", 5), PC_ALOG_SQUID);
    assert_int_equal(pc_alog_format_parse("COMMON", 6), PC_ALOG_COMMON);
    assert_int_equal(pc_alog_format_parse("combined", 8), PC_ALOG_COMBINED);
    assert_int_equal(pc_alog_format_parse("json", 4), PC_ALOG_JSON);
    assert_int_equal(pc_alog_format_parse("jso", 3), -1);
    assert_int_equal(pc_alog_format_parse("jsonl", 5), -1);
    assert_int_equal(pc_alog_format_parse("", 0), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_access_format_get),
        cmocka_unit_test(test_access_format_connect_and_refusal),
        cmocka_unit_test(test_access_format_hostile),
        cmocka_unit_test(test_access_format_long_fields),
        cmocka_unit_test(test_access_format_no_userinfo),
        cmocka_unit_test(test_access_format_names),
    };

    return cmocka_run_group_tests_name("access_format", tests, NULL, NULL);
}
