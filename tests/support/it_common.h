/*
 * it_common.h: small helpers shared by the integration harness.
 *
 * Clocks, whole-file reads and writes, formatted strings, the deterministic
 * data pattern and the checksum used to verify bulk transfers, and loopback
 * port helpers. Everything here is portable C on libuv; the few things that
 * differ per OS live behind it_sys.h.
 */
#ifndef PC_TESTS_SUPPORT_IT_COMMON_H
#define PC_TESTS_SUPPORT_IT_COMMON_H

#include <uv.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define PC_IT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define PC_IT_PRINTF(fmt, args)
#endif

/* Default bound for one harness operation that should be quick. */
#define PC_IT_TIMEOUT_MS 5000u
/* How long a stopping proxy may take (valgrind makes exits slow). */
#define PC_IT_STOP_TIMEOUT_MS 20000u

/* Monotonic milliseconds. */
uint64_t pc_it_now_ms(void);

/* Sleeps the calling thread. */
void pc_it_sleep_ms(unsigned ms);

/* A malloc'd formatted string; aborts the process on allocation failure. */
char *pc_it_strf(const char *fmt, ...) PC_IT_PRINTF(1, 2);

/* malloc/realloc that abort on failure (the harness has no OOM strategy). */
void *pc_it_xmalloc(size_t n);
void *pc_it_xrealloc(void *p, size_t n);

/*
 * Reads a whole file into a malloc'd, NUL-terminated buffer (*out, owned by
 * the caller). Returns 0, or UV_ENOENT / UV_EIO.
 */
int pc_it_file_read(const char *path, char **out, size_t *len);

/* Creates or truncates path and writes data[0..len). 0 or UV_EIO. */
int pc_it_file_write(const char *path, const char *data, size_t len);

/* Removes a file if it exists. */
void pc_it_file_remove(const char *path);

/* Creates path and its missing parents. 0 or a UV_E* code. */
int pc_it_mkdir_p(const char *path);

/*
 * The test data pattern: byte number `offset + i` of stream `seed` goes to
 * buf[i]. Any offset may be used, so a stream can be produced in pieces.
 */
void pc_it_pattern_fill(uint8_t *buf, size_t len, uint64_t offset, uint64_t seed);

/* FNV-1a (64 bit), fed in any number of pieces. */
#define PC_IT_HASH_INIT 0xcbf29ce484222325ull
uint64_t pc_it_hash(uint64_t h, const void *data, size_t len);

/* True when data[0..len) contains needle. */
bool pc_it_contains(const char *data, size_t len, const char *needle);

/* A malloc'd printable copy of data (\r, \n, \t and non-ASCII escaped). */
char *pc_it_escape(const char *data, size_t len);

/*
 * Finds a loopback port that is free at the moment of the call (bind to port
 * 0, read the port, close). ip is "127.0.0.1" or "::1".
 */
int pc_it_free_port(const char *ip, int *port);

/* 0 if a listener can be bound to ip:port right now, else a UV_E* code. */
int pc_it_port_bindable(const char *ip, int port);

/* Fills a sockaddr_storage from an IP literal and port. 0 or UV_EINVAL. */
int pc_it_sockaddr(const char *ip, int port, struct sockaddr_storage *ss);

/* The port of an AF_INET or AF_INET6 address. */
int pc_it_sockaddr_port(const struct sockaddr_storage *ss);

/* True when sandbox.sh set up the private network namespace. */
bool pc_it_sandboxed(void);

/* The proxy binary ($PC_TEST_PROXY overrides the path compiled in). */
const char *pc_it_proxy_binary(void);

/* Root directory for generated files (under the build tree). */
const char *pc_it_work_dir(void);

#endif
