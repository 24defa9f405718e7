/*
 * it_proxy.c: spawning the portcullis binary (see it_proxy.h).
 *
 * The child's exit is observed by polling the private loop with
 * UV_RUN_NOWAIT between short sleeps; the loop never runs unbounded while
 * the child is alive. Output goes to files rather than pipes so that a
 * chatty child can never block on a full pipe nobody reads.
 */
#include "it_proxy.h"

#include "it_common.h"
#include "it_sys.h"

#include <uv.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLL_MS 5

typedef struct {
    uv_process_t proc;
    bool has_handle; /* uv_spawn was called: the handle needs uv_close */
    bool running;    /* uv_spawn succeeded: there is a pid to signal */
    bool exited;
    pc_it_exit_t how;
} child_t;

struct pc_it_proxy_s {
    uv_loop_t loop;
    child_t child;
    bool signalled; /* the test sent a signal, so an exit is expected */
    int port;
    char *dir;         /* owned */
    char *stderr_path; /* owned */
};

static void
on_child_exit(uv_process_t *proc, int64_t exit_status, int term_signal)
{
    child_t *ch = proc->data;

    ch->exited = true;
    ch->how.exit_status = exit_status;
    ch->how.term_signal = term_signal;
}

static int
open_out(uv_loop_t *loop, const char *path)
{
    uv_fs_t req;
    int fd =
        uv_fs_open(loop, &req, path, UV_FS_O_WRONLY | UV_FS_O_CREAT | UV_FS_O_TRUNC, 0644, NULL);

    uv_fs_req_cleanup(&req);
    return fd;
}

static void
close_fd(uv_loop_t *loop, int fd)
{
    uv_fs_t req;

    if (fd >= 0) {
        uv_fs_close(loop, &req, fd, NULL);
        uv_fs_req_cleanup(&req);
    }
}

/*
 * Prefixes args with the words of $PC_TEST_WRAPPER (for example
 * "valgrind --error-exitcode=99 --leak-check=full"), if set. Returns a
 * malloc'ed vector of at most 32 entries that borrows the strings; *words
 * receives the malloc'ed copy of the wrapper text (or NULL).
 */
static char **
wrap_args(char **args, char **words)
{
    const char *w = getenv("PC_TEST_WRAPPER");
    char **out = pc_it_xmalloc(32 * sizeof(char *));
    size_t n = 0, i;
    char *p;

    *words = NULL;
    if (w != NULL && w[0] != '\0') {
        *words = pc_it_strf("%s", w);
        for (p = strtok(*words, " "); p != NULL && n < 16; p = strtok(NULL, " ")) {
            out[n++] = p;
        }
    }
    for (i = 0; args[i] != NULL && n < 31; i++) {
        out[n++] = args[i];
    }
    out[n] = NULL;
    return out;
}

/*
 * Spawns args (args[0] is the binary) with stdout/stderr to the files
 * <dir>/<prefix>stdout.log and <prefix>stderr.log.
 */
static int
spawn(uv_loop_t *loop, child_t *ch, char **args0, const char *dir, const char *prefix)
{
    char *words;
    char **args = wrap_args(args0, &words);
    char *out_path = pc_it_strf("%s/%sstdout.log", dir, prefix);
    char *err_path = pc_it_strf("%s/%sstderr.log", dir, prefix);
    int out_fd = open_out(loop, out_path);
    int err_fd = open_out(loop, err_path);
    uv_process_options_t o;
    uv_stdio_container_t stdio[3];
    int rc = out_fd < 0 ? out_fd : err_fd;

    if (rc >= 0) {
        memset(&o, 0, sizeof(o));
        stdio[0].flags = UV_IGNORE;
        stdio[1].flags = UV_INHERIT_FD;
        stdio[1].data.fd = out_fd;
        stdio[2].flags = UV_INHERIT_FD;
        stdio[2].data.fd = err_fd;
        o.file = args[0];
        o.args = args;
        o.cwd = dir;
        o.exit_cb = on_child_exit;
        o.stdio_count = 3;
        o.stdio = stdio;
        o.flags = UV_PROCESS_WINDOWS_HIDE;
        ch->proc.data = ch;
        rc = uv_spawn(loop, &ch->proc, &o);
        ch->has_handle = true; /* uv_spawn inits the handle even when it fails */
        ch->running = rc == 0;
    }
    close_fd(loop, out_fd);
    close_fd(loop, err_fd);
    free(out_path);
    free(err_path);
    free(args);
    free(words);
    return rc;
}

static int
wait_child(uv_loop_t *loop, child_t *ch, uint64_t timeout_ms)
{
    uint64_t deadline = pc_it_now_ms() + timeout_ms;

    for (;;) {
        uv_run(loop, UV_RUN_NOWAIT);
        if (ch->exited) {
            return 0;
        }
        if (pc_it_now_ms() >= deadline) {
            return UV_ETIMEDOUT;
        }
        pc_it_sleep_ms(POLL_MS);
    }
}

static void
on_close_noop(uv_handle_t *h)
{
    (void)h;
}

/* Kills the child if it still runs, then releases the handle and loop. */
static void
child_reap(uv_loop_t *loop, child_t *ch)
{
    if (ch->running && !ch->exited) {
        uv_process_kill(&ch->proc, pc_it_sys_sigkill());
        (void)wait_child(loop, ch, PC_IT_TIMEOUT_MS);
    }
    if (ch->has_handle) {
        uv_close((uv_handle_t *)&ch->proc, on_close_noop);
    }
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
}

char *
pc_it_test_dir(const char *name)
{
    char *dir = pc_it_strf("%s/%s", pc_it_work_dir(), name);

    if (pc_it_mkdir_p(dir) != 0) {
        fprintf(stderr, "harness: cannot create %s\n", dir);
    }
    return dir;
}

/* The test's lines set their own AccessLog (at the start of a line). */
static bool
sets_access_log(const char *conf_extra)
{
    const char *at = conf_extra;

    while (at != NULL && (at = strstr(at, "AccessLog ")) != NULL) {
        if (at == conf_extra || at[-1] == '\n') {
            return true;
        }
        at++;
    }
    return false;
}

static int
write_config(const char *dir, const char *conf_extra)
{
    char *path = pc_it_strf("%s/portcullis.conf", dir);
    char *alog = sets_access_log(conf_extra) ? pc_it_strf("%s", "")
                                             : pc_it_strf("AccessLog %s/access.log\n", dir);
    char *text = pc_it_strf("# Generated by the integration harness.\n"
                            "Listen 127.0.0.1:0\n"
                            "%s"
                            "%s\n",
                            alog, conf_extra != NULL ? conf_extra : "");
    int rc = pc_it_file_write(path, text, strlen(text));

    free(alog);

    free(text);
    free(path);
    return rc;
}

/* Parses the port from "listening on 127.0.0.1:PORT", or returns 0. */
static int
listening_port(const char *text)
{
    static const char marker[] = "listening on 127.0.0.1:";
    const char *p = strstr(text, marker);
    long port = 0;

    if (p == NULL) {
        return 0;
    }
    for (p += sizeof(marker) - 1; *p >= '0' && *p <= '9' && port < 65536; p++) {
        port = port * 10 + (*p - '0');
    }
    return (port > 0 && port < 65536) ? (int)port : 0;
}

static int
wait_listening(pc_it_proxy_t *p, uint64_t timeout_ms)
{
    uint64_t deadline = pc_it_now_ms() + timeout_ms;
    char *text;
    size_t len;

    for (;;) {
        uv_run(&p->loop, UV_RUN_NOWAIT);
        if (pc_it_file_read(p->stderr_path, &text, &len) == 0) {
            p->port = listening_port(text);
            free(text);
            if (p->port != 0) {
                return 0;
            }
        }
        if (p->child.exited) {
            return UV_ESRCH;
        }
        if (pc_it_now_ms() >= deadline) {
            return UV_ETIMEDOUT;
        }
        pc_it_sleep_ms(POLL_MS);
    }
}

const char pc_it_no_config[] = "";

static int
proxy_launch(pc_it_proxy_t *p, const char *conf_extra, uint64_t timeout_ms)
{
    char *conf = pc_it_strf("%s/portcullis.conf", p->dir);
    char *args[4];
    int rc;

    args[0] = (char *)pc_it_proxy_binary();
    args[1] = (char *)"-c";
    args[2] = conf;
    args[3] = NULL;
    if (conf_extra == pc_it_no_config) {
        args[1] = NULL; /* the built-in defaults */
        rc = 0;
    } else {
        rc = write_config(p->dir, conf_extra);
    }
    if (rc == 0) {
        rc = spawn(&p->loop, &p->child, args, p->dir, "");
    }
    if (rc == 0) {
        rc = wait_listening(p, timeout_ms);
    }
    free(conf);
    return rc;
}

int
pc_it_proxy_start(pc_it_proxy_t **out, const char *name, const char *conf_extra,
                  uint64_t timeout_ms)
{
    pc_it_proxy_t *p = pc_it_xmalloc(sizeof(*p));
    char *access = NULL;
    int rc;

    memset(p, 0, sizeof(*p));
    *out = NULL;
    if (uv_loop_init(&p->loop) != 0) {
        free(p);
        return UV_EIO;
    }
    p->dir = pc_it_test_dir(name);
    p->stderr_path = pc_it_strf("%s/stderr.log", p->dir);
    access = pc_it_strf("%s/access.log", p->dir);
    pc_it_file_remove(access);
    pc_it_file_remove(p->stderr_path);
    free(access);
    rc = proxy_launch(p, conf_extra, timeout_ms);
    if (rc != 0) {
        fprintf(stderr, "harness: proxy start failed (%s) for %s\n", uv_err_name(rc), name);
        pc_it_proxy_dump_stderr(p);
        pc_it_proxy_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

void
pc_it_proxy_free(pc_it_proxy_t *p)
{
    if (p == NULL) {
        return;
    }
    child_reap(&p->loop, &p->child);
    free(p->dir);
    free(p->stderr_path);
    free(p);
}

int
pc_it_proxy_port(const pc_it_proxy_t *p)
{
    return p->port;
}

int
pc_it_proxy_pid(const pc_it_proxy_t *p)
{
    return p->child.proc.pid;
}

const char *
pc_it_proxy_dir(const pc_it_proxy_t *p)
{
    return p->dir;
}

char *
pc_it_proxy_path(const pc_it_proxy_t *p, const char *file)
{
    return pc_it_strf("%s/%s", p->dir, file);
}

int
pc_it_proxy_signal(pc_it_proxy_t *p, int signum)
{
    if (!p->child.running || pc_it_proxy_exited(p, NULL)) {
        return UV_ESRCH;
    }
    p->signalled = true;
    return pc_it_sys_kill(&p->child.proc, signum);
}

void
pc_it_proxy_expect_exit(pc_it_proxy_t *p)
{
    p->signalled = true;
}

bool
pc_it_proxy_exited(pc_it_proxy_t *p, pc_it_exit_t *how)
{
    uv_run(&p->loop, UV_RUN_NOWAIT);
    if (p->child.exited && how != NULL) {
        *how = p->child.how;
    }
    return p->child.exited;
}

bool
pc_it_proxy_died(pc_it_proxy_t *p, pc_it_exit_t *how)
{
    return !p->signalled && pc_it_proxy_exited(p, how);
}

int
pc_it_proxy_stop_clean(pc_it_proxy_t *p, pc_it_exit_t *how)
{
    memset(how, 0, sizeof(*how));
    if (!p->child.running) {
        return 0;
    }
    if (!pc_it_proxy_exited(p, how)) {
        if (pc_it_proxy_signal(p, pc_it_sys_sigterm()) != 0
            || pc_it_proxy_wait_exit(p, PC_IT_STOP_TIMEOUT_MS, how) != 0) {
            how->exit_status = -1;
            return -1;
        }
    }
    return how->exit_status == 0 && how->term_signal == 0 ? 0 : -1;
}

int
pc_it_proxy_wait_exit(pc_it_proxy_t *p, uint64_t timeout_ms, pc_it_exit_t *how)
{
    int rc = wait_child(&p->loop, &p->child, timeout_ms);

    if (rc == 0 && how != NULL) {
        *how = p->child.how;
    }
    return rc;
}

void
pc_it_proxy_dump_stderr(const pc_it_proxy_t *p)
{
    char *text;
    size_t len;

    if (pc_it_file_read(p->stderr_path, &text, &len) != 0) {
        return;
    }
    fprintf(stderr, "---- proxy stderr (%s), last bytes ----\n%s\n----\n", p->stderr_path,
            len > 4096 ? text + len - 4096 : text);
    free(text);
}

static char *
read_or_empty(const char *dir, const char *file)
{
    char *path = pc_it_strf("%s/%s", dir, file);
    char *text;
    size_t len;

    if (pc_it_file_read(path, &text, &len) != 0) {
        text = pc_it_strf("%s", "");
    }
    free(path);
    return text;
}

int
pc_it_run(const char *name, const char *const *argv, uint64_t timeout_ms, pc_it_exit_t *how,
          char **out_text, char **err_text)
{
    char *args[16];
    char *dir = pc_it_test_dir(name);
    uv_loop_t loop;
    child_t ch;
    size_t i;
    int rc;

    memset(&ch, 0, sizeof(ch));
    args[0] = (char *)pc_it_proxy_binary();
    for (i = 1; i < 15 && argv[i] != NULL; i++) {
        args[i] = (char *)argv[i];
    }
    args[i] = NULL;
    if (uv_loop_init(&loop) != 0) {
        free(dir);
        return UV_EIO;
    }
    /* run-*.log: a proxy of the same test may be writing to stderr.log. */
    rc = spawn(&loop, &ch, args, dir, "run-");
    if (rc == 0) {
        rc = wait_child(&loop, &ch, timeout_ms);
    }
    child_reap(&loop, &ch);
    *how = ch.how;
    if (out_text != NULL) {
        *out_text = read_or_empty(dir, "run-stdout.log");
    }
    if (err_text != NULL) {
        *err_text = read_or_empty(dir, "run-stderr.log");
    }
    free(dir);
    return rc;
}
