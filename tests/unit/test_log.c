/*
 * test_log.c: time stamps and access-log lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access_log.h"
#include "portcullis/log.h"

static void
test_log_format_time_table(void **state)
{
    static const struct {
        int64_t ms;
        const char *want;
    } cases[] = {
        {0, "1970-01-01T00:00:00.000Z"},
        {999, "1970-01-01T00:00:00.999Z"},
        {86399999, "1970-01-01T23:59:59.999Z"},
        {951782400000, "2000-02-29T00:00:00.000Z"}, /* leap day of a 400-year leap year */
        {951868800000, "2000-03-01T00:00:00.000Z"},
        {4107542400000, "2100-03-01T00:00:00.000Z"}, /* 2100 is not a leap year */
        {1803382800123, "2027-02-23T11:40:00.123Z"},
        {253402300799999, "9999-12-31T23:59:59.999Z"},
    };
    char out[32];
    size_t i, n;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        n = pc_log_format_time(cases[i].ms, out, sizeof(out));
        assert_int_equal(n, 24);
        assert_string_equal(out, cases[i].want);
    }
}

static char *
read_all(const char *path)
{
    FILE *fp = fopen(path, "rb");
    char *buf = calloc(1, 65536);
    size_t n;

    assert_non_null(fp);
    assert_non_null(buf);
    n = fread(buf, 1, 65535, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

/* Bytes that could split or forge a line are written as '?'. */
static void
test_log_access_line_sanitised(void **state)
{
    const char *path = "test_log_access.log";
    pc_access_log_t *log = NULL;
    pc_access_record_t rec;
    char *text;

    (void)state;
    remove(path);
    assert_int_equal(pc_access_log_open(path, 65536, &log), 0);
    memset(&rec, 0, sizeof(rec));
    rec.start_ms = 951782400000;
    rec.id = 7;
    rec.client = "127.0.0.1:5000";
    rec.host = "";
    rec.upstream = "";
    rec.method = "GET";
    rec.target = "http://h/a b\r\n2000-01-01T00:00:00.000Z forged\x01\x80";
    rec.status = 200;
    rec.bytes_in = 10;
    rec.bytes_out = 20;
    rec.duration_ms = 3;
    pc_access_log_write(log, PC_ALOG_NATIVE, false, &rec);
    rec.method = "";
    rec.target = "";
    rec.status = 431;
    pc_access_log_write(log, PC_ALOG_NATIVE, false, &rec);
    rec.status = 403;
    rec.decision = "block:/etc/my lists/ads.txt:7\n";
    pc_access_log_write(log, PC_ALOG_NATIVE, false, &rec);
    pc_access_log_close(log);
    text = read_all(path);
    assert_string_equal(text,
                        "2000-02-29T00:00:00.000Z 127.0.0.1:5000 GET "
                        "http://h/a?b??2000-01-01T00:00:00.000Z?forged?? 200 10 20 3 - 7 - -\n"
                        "2000-02-29T00:00:00.000Z 127.0.0.1:5000 - - 431 10 20 3 - 7 - -\n"
                        "2000-02-29T00:00:00.000Z 127.0.0.1:5000 - - 403 10 20 3 "
                        "block:/etc/my?lists/ads.txt:7? 7 - -\n");
    free(text);
    remove(path);
}

static void
test_log_open_failure_is_an_error(void **state)
{
    pc_access_log_t *log = NULL;

    (void)state;
    /* A directory that does not exist, relative to where the test runs. */
    assert_true(pc_access_log_open("test_log_no_such_dir/x/access.log", 65536, &log) < 0);
    assert_null(log);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_format_time_table),
        cmocka_unit_test(test_log_access_line_sanitised),
        cmocka_unit_test(test_log_open_failure_is_an_error),
    };

    return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
