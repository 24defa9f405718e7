/*
 * test_privileges.c: User and Group (POSIX only; the drop itself needs root).
 *
 * Started as root with "User nobody", the proxy must bind and write its pid
 * file as root, then run with every user and group id of nobody and no
 * supplementary group of root's, and still serve, and reopen its access
 * log as that user. A drop that cannot be done (unknown user, Group
 * without User) stops the start with the reason.
 */
#include "it_fixture.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static const char ok_response[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/* The four ids on a "Uid:" or "Gid:" line of /proc/PID/status all equal want. */
static void
expect_ids(pc_it_fx_t *f, int pid, const char *key, unsigned long want)
{
    char *text = NULL;
    size_t len = 0;
    const char *line;
    unsigned long a, b, c, d;

    assert_int_equal(pc_it_file_read(pc_it_fx_strf(f, "/proc/%d/status", pid), &text, &len), 0);
    pc_it_fx_defer(f, free, text);
    line = strstr(text, key);
    assert_non_null(line);
    if (sscanf(line + strlen(key), "%lu %lu %lu %lu", &a, &b, &c, &d) != 4 || a != want || b != want
        || c != want || d != want) {
        fail_msg("%.*s: want all %lu", (int)strcspn(line, "\n"), line, want);
    }
}

/* The "Groups:" line holds no 0 (root's group is gone). */
static void
expect_no_root_group(pc_it_fx_t *f, int pid)
{
    char *text = NULL;
    size_t len = 0;
    const char *line;
    char *p, *end;

    assert_int_equal(pc_it_file_read(pc_it_fx_strf(f, "/proc/%d/status", pid), &text, &len), 0);
    pc_it_fx_defer(f, free, text);
    line = strstr(text, "\nGroups:");
    assert_non_null(line);
    for (p = (char *)line + 8; *p != '\n' && *p != '\0'; p = end) {
        long g = strtol(p, &end, 10);

        if (end == p) {
            break;
        }
        if (g == 0) {
            fail_msg("supplementary group 0 kept: %.*s", (int)strcspn(line + 1, "\n"), line + 1);
        }
    }
}

static void
test_privileges_drop_to_nobody(void **state)
{
#ifdef __linux__
    static const char name[] = "privileges_drop_to_nobody";
    pc_it_fx_t *f = *state;
    struct passwd *pw = getpwnam("nobody");
    pc_it_origin_t *o;
    const char *pid_path;
    pc_it_proxy_t *p;
    struct stat st;

    if (geteuid() != 0 || pw == NULL) {
        skip(); /* the drop needs root, and a nobody to drop to */
    }
    o = pc_it_fx_http_origin(f, ok_response);
    pid_path = pc_it_fx_strf(f, "%s/p.pid", (char *)pc_it_fx_defer(f, free, pc_it_test_dir(name)));
    p = pc_it_fx_proxy(f, name, pc_it_fx_strf(f, "User nobody\nPidFile %s", pid_path));
    /* Answered requests mean start-up (pid file, drop) is over: the loop
     * only runs after it. */
    pc_it_fx_expect_200(f, pc_it_fx_get_req(f, "127.0.0.1", pc_it_origin_port(o)), "ok");
    /* The pid file was written as root, before the drop. */
    assert_int_equal(stat(pid_path, &st), 0);
    assert_int_equal(st.st_uid, 0);
    expect_ids(f, pc_it_proxy_pid(p), "\nUid:", (unsigned long)pw->pw_uid);
    expect_ids(f, pc_it_proxy_pid(p), "\nGid:", (unsigned long)pw->pw_gid);
    expect_no_root_group(f, pc_it_proxy_pid(p));
#else
    (void)state;
    skip(); /* reads /proc */
#endif
}

/* The number of lines in path (0 if it cannot be read). */
static size_t
count_lines(const char *path)
{
    char *text = NULL;
    size_t len = 0, n = 0, i;

    if (pc_it_file_read(path, &text, &len) != 0) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        n += text[i] == '\n';
    }
    free(text);
    return n;
}

/*
 * After the drop, SIGUSR1 reopens the access log as the new user: in a
 * directory that user may write, the moved file is followed by a new one it
 * owns; in one it may not, the error is logged and the lines keep going to
 * the file still open, so none is lost.
 */
static void
test_privileges_reopen_after_drop(void **state)
{
#ifdef __linux__
    static const char name[] = "privileges_reopen_after_drop";
    pc_it_fx_t *f = *state;
    struct passwd *pw = getpwnam("nobody");
    char *dir = pc_it_fx_defer(f, free, pc_it_test_dir(name));
    const char *log = pc_it_fx_strf(f, "%s/access.log", dir);
    const char *rotated = pc_it_fx_strf(f, "%s/access.log.1", dir);
    const char *req;
    pc_it_proxy_t *p;
    struct stat st;
    size_t mark;

    if (geteuid() != 0 || pw == NULL) {
        skip();
    }
    req = pc_it_fx_get_req(f, "127.0.0.1", pc_it_origin_port(pc_it_fx_http_origin(f, ok_response)));
    pc_it_file_remove(log);
    pc_it_file_remove(rotated);
    assert_int_equal(chown(dir, pw->pw_uid, pw->pw_gid), 0);
    p = pc_it_fx_proxy(f, name, "User nobody");
    pc_it_fx_expect_200(f, req, "ok");
    (void)pc_it_fx_wait_log_lines(f, p, 1);

    assert_int_equal(rename(log, rotated), 0);
    mark = pc_it_fx_stderr_mark(p);
    assert_int_equal(pc_it_proxy_signal(p, pc_it_sys_sigusr1()), 0);
    (void)pc_it_fx_wait_stderr_line(f, p, mark, "access log reopened", NULL);
    pc_it_fx_expect_200(f, req, "ok");
    (void)pc_it_fx_wait_log_lines(f, p, 1);
    assert_int_equal(stat(log, &st), 0);
    assert_int_equal(st.st_uid, pw->pw_uid);

    /* Now a directory nobody may not write to. */
    assert_int_equal(chown(dir, 0, 0), 0);
    assert_int_equal(rename(log, rotated), 0);
    mark = pc_it_fx_stderr_mark(p);
    assert_int_equal(pc_it_proxy_signal(p, pc_it_sys_sigusr1()), 0);
    (void)pc_it_fx_wait_stderr_line(f, p, mark, "cannot reopen access log", "permission denied");
    pc_it_fx_expect_200(f, req, "ok");
    {
        uint64_t deadline = pc_it_now_ms() + PC_IT_TIMEOUT_MS;

        while (count_lines(rotated) < 2 && pc_it_now_ms() < deadline) {
            pc_it_sleep_ms(20);
        }
    }
    assert_int_equal(count_lines(rotated), 2); /* the open file got the line */
#else
    (void)state;
    skip(); /* User nobody's ids checked as on Linux */
#endif
}

/* Starts with conf and expects exit status 1 with needle on stderr. */
static void
expect_start_fails(pc_it_fx_t *f, const char *name, const char *conf_text, const char *needle)
{
    const char *conf = pc_it_fx_write_file(f, name, "portcullis.conf", conf_text);
    const char *args[] = {"", "-c", conf, NULL};
    char *err = NULL;
    pc_it_exit_t how = pc_it_fx_run(f, name, args, NULL, &err);

    assert_int_equal(how.term_signal, 0);
    assert_int_equal(how.exit_status, 1);
    if (strstr(err, needle) == NULL) {
        fail_msg("stderr lacks \"%s\": %s", needle, err);
    }
}

static void
test_privileges_unknown_user(void **state)
{
    expect_start_fails(*state, "privileges_unknown_user",
                       "Listen 127.0.0.1:0\nUser no-such-user-pc\n",
                       "unknown user 'no-such-user-pc'");
}

static void
test_privileges_group_needs_user(void **state)
{
    expect_start_fails(*state, "privileges_group_needs_user", "Listen 127.0.0.1:0\nGroup nogroup\n",
                       "Group nogroup needs a User");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        PC_IT_TEST(test_privileges_drop_to_nobody),
        PC_IT_TEST(test_privileges_reopen_after_drop),
        PC_IT_TEST(test_privileges_unknown_user),
        PC_IT_TEST(test_privileges_group_needs_user),
    };

    pc_it_sys_init();
    return cmocka_run_group_tests_name("privileges", tests, NULL, NULL);
}
