/*
 * test_http_reply.c: the responses Portcullis writes itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"
#include "http_reply.h"
#include "portcullis/error.h"

static void
test_http_reply_exact_bytes(void **state)
{
    char out[512];
    size_t len = 0;
    const char *want = "HTTP/1.1 403 Forbidden\r\n"
                       "Content-Type: text/plain; charset=utf-8\r\n"
                       "Content-Length: 45\r\n"
                       "Cache-Control: no-store\r\n"
                       "Connection: close\r\n"
                       "\r\n"
                       "403 Forbidden: destination blocked by policy\n";

    (void)state;
    assert_int_equal(
        pc_http_reply_error(403, "destination blocked by policy", out, sizeof(out), &len), 0);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len);
}

/* Every reply must parse as a valid response whose body length matches. */
static void
test_http_reply_parses_and_frames(void **state)
{
    static const int codes[] = {400, 403, 408, 414, 431, 501, 502, 504, 508};
    pc_http_header_t headers[16];
    pc_http_response_t res;
    pc_http_framing_t fr;
    char out[512];
    size_t len, i;
    int head;

    (void)state;
    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        assert_int_equal(pc_http_reply_error(codes[i], "x", out, sizeof(out), &len), 0);
        res.headers = headers;
        head = pc_http_parse_response(out, len, &res, 16);
        assert_true(head > 0);
        assert_int_equal(res.status, codes[i]);
        assert_int_equal(pc_http_response_framing(&res, false, &fr), 0);
        assert_int_equal(fr.kind, PC_BODY_LENGTH);
        assert_int_equal(fr.length, len - (size_t)head);
        assert_false(fr.keep_alive);
        assert_string_not_equal(pc_http_reason(codes[i]), "Error");
    }
}

static void
test_http_reply_without_detail(void **state)
{
    char out[512];
    size_t len;

    (void)state;
    assert_int_equal(pc_http_reply_error(502, NULL, out, sizeof(out), &len), 0);
    out[len] = '\0';
    assert_non_null(strstr(out, "\r\n\r\n502 Bad Gateway\n"));
}

static void
test_http_reply_no_space(void **state)
{
    char out[512];
    size_t len = 0, need, cap;

    (void)state;
    assert_int_equal(pc_http_reply_error(400, "bad", out, sizeof(out), &len), 0);
    need = len;
    for (cap = 0; cap <= need; cap++) {
        char *small = malloc(cap + 1);
        assert_non_null(small);
        assert_int_equal(pc_http_reply_error(400, "bad", small, cap, &len), PC_E_NO_SPACE);
        free(small);
    }
}

static void
test_http_reply_connect_ok(void **state)
{
    (void)state;
    assert_int_equal(pc_http_connect_ok_len, strlen(pc_http_connect_ok));
    assert_string_equal(pc_http_connect_ok, "HTTP/1.1 200 Connection Established\r\n\r\n");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_reply_exact_bytes),
        cmocka_unit_test(test_http_reply_parses_and_frames),
        cmocka_unit_test(test_http_reply_without_detail),
        cmocka_unit_test(test_http_reply_no_space),
        cmocka_unit_test(test_http_reply_connect_ok),
    };

    return cmocka_run_group_tests_name("http_reply", tests, NULL, NULL);
}
