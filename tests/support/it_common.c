/*
 * it_common.c: clocks, files, strings, pattern/checksum and port helpers for
 * the integration harness (see it_common.h).
 */
#include "it_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PC_TEST_PROXY_BIN
#define PC_TEST_PROXY_BIN "portcullis"
#endif
#ifndef PC_TEST_WORK_DIR
#define PC_TEST_WORK_DIR "."
#endif

uint64_t
pc_it_now_ms(void)
{
    return uv_hrtime() / 1000000u;
}

void
pc_it_sleep_ms(unsigned ms)
{
    uv_sleep(ms);
}

void *
pc_it_xmalloc(size_t n)
{
    void *p = malloc(n == 0 ? 1 : n);

    if (p == NULL) {
        fprintf(stderr, "harness: out of memory\n");
        abort();
    }
    return p;
}

void *
pc_it_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n == 0 ? 1 : n);

    if (q == NULL) {
        fprintf(stderr, "harness: out of memory\n");
        abort();
    }
    return q;
}

char *
pc_it_strf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *s;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        abort();
    }
    s = pc_it_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

int
pc_it_file_read(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t used = 0;
    size_t n;

    *out = NULL;
    *len = 0;
    if (f == NULL) {
        return UV_ENOENT;
    }
    buf = pc_it_xmalloc(4097);
    while ((n = fread(buf + used, 1, 4096, f)) > 0) {
        used += n;
        buf = pc_it_xrealloc(buf, used + 4097);
    }
    if (ferror(f)) {
        fclose(f);
        free(buf);
        return UV_EIO;
    }
    fclose(f);
    buf[used] = '\0';
    *out = buf;
    *len = used;
    return 0;
}

int
pc_it_file_write(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    int ok;

    if (f == NULL) {
        return UV_EIO;
    }
    ok = fwrite(data, 1, len, f) == len;
    if (fclose(f) != 0) {
        ok = 0;
    }
    return ok ? 0 : UV_EIO;
}

void
pc_it_file_remove(const char *path)
{
    (void)remove(path);
}

static int
mkdir_one(uv_loop_t *loop, const char *path)
{
    uv_fs_t req;
    int rc = uv_fs_mkdir(loop, &req, path, 0755, NULL);

    uv_fs_req_cleanup(&req);
    return rc == UV_EEXIST ? 0 : rc;
}

int
pc_it_mkdir_p(const char *path)
{
    uv_loop_t loop;
    char *copy = pc_it_strf("%s", path);
    int rc = 0;
    size_t i;

    if (uv_loop_init(&loop) != 0) {
        free(copy);
        return UV_EIO;
    }
    for (i = 1; copy[i] != '\0' && rc == 0; i++) {
        if (copy[i] == '/' || copy[i] == '\\') {
            char saved = copy[i];

            copy[i] = '\0';
            rc = mkdir_one(&loop, copy);
            copy[i] = saved;
        }
    }
    if (rc == 0) {
        rc = mkdir_one(&loop, copy);
    }
    uv_loop_close(&loop);
    free(copy);
    return rc;
}

static uint64_t
splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void
pc_it_pattern_fill(uint8_t *buf, size_t len, uint64_t offset, uint64_t seed)
{
    uint64_t word = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        uint64_t pos = offset + i;

        if (i == 0 || (pos & 7u) == 0) {
            word = splitmix64(seed * 0x100000001b3ull + (pos >> 3));
        }
        buf[i] = (uint8_t)(word >> ((pos & 7u) * 8u));
    }
}

uint64_t
pc_it_hash(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

bool
pc_it_contains(const char *data, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    size_t i;

    if (n == 0) {
        return true;
    }
    for (i = 0; i + n <= len; i++) {
        if (memcmp(data + i, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

char *
pc_it_escape(const char *data, size_t len)
{
    char *out = pc_it_xmalloc(len * 4 + 1);
    size_t o = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)data[i];

        if (ch == '\r') {
            memcpy(out + o, "\\r", 2);
            o += 2;
        } else if (ch == '\n') {
            memcpy(out + o, "\\n\n", 3);
            o += 3;
        } else if (ch == '\t') {
            memcpy(out + o, "\\t", 2);
            o += 2;
        } else if (ch < 0x20 || ch >= 0x7f) {
            snprintf(out + o, 5, "\\x%02x", ch);
            o += 4;
        } else {
            out[o++] = (char)ch;
        }
    }
    out[o] = '\0';
    return out;
}

int
pc_it_sockaddr(const char *ip, int port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (strchr(ip, ':') != NULL) {
        return uv_ip6_addr(ip, port, (struct sockaddr_in6 *)ss);
    }
    return uv_ip4_addr(ip, port, (struct sockaddr_in *)ss);
}

int
pc_it_sockaddr_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET6) {
        return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    }
    return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

static void
on_probe_close(uv_handle_t *h)
{
    (void)h;
}

static void
on_probe_connection(uv_stream_t *server, int status)
{
    (void)server;
    (void)status;
}

/* Binds (and optionally listens on) ip:port; reports the bound port. */
static int
probe_bind(const char *ip, int port, bool listen, int *bound_port)
{
    uv_loop_t loop;
    uv_tcp_t tcp;
    struct sockaddr_storage ss;
    int len = (int)sizeof(ss);
    int rc;

    rc = pc_it_sockaddr(ip, port, &ss);
    if (rc != 0 || (rc = uv_loop_init(&loop)) != 0) {
        return rc;
    }
    uv_tcp_init(&loop, &tcp);
    rc = uv_tcp_bind(&tcp, (const struct sockaddr *)&ss, 0);
    if (rc == 0 && listen) {
        rc = uv_listen((uv_stream_t *)&tcp, 8, on_probe_connection);
    }
    if (rc == 0 && bound_port != NULL) {
        rc = uv_tcp_getsockname(&tcp, (struct sockaddr *)&ss, &len);
        *bound_port = pc_it_sockaddr_port(&ss);
    }
    uv_close((uv_handle_t *)&tcp, on_probe_close);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return rc;
}

int
pc_it_free_port(const char *ip, int *port)
{
    return probe_bind(ip, 0, false, port);
}

int
pc_it_port_bindable(const char *ip, int port)
{
    return probe_bind(ip, port, true, NULL);
}

bool
pc_it_sandboxed(void)
{
    const char *v = getenv("PC_TEST_SANDBOX");

    return v != NULL && strcmp(v, "1") == 0;
}

const char *
pc_it_proxy_binary(void)
{
    const char *v = getenv("PC_TEST_PROXY");

    return (v != NULL && v[0] != '\0') ? v : PC_TEST_PROXY_BIN;
}

const char *
pc_it_work_dir(void)
{
    return PC_TEST_WORK_DIR;
}
