/*
 * policy_bench.c: how the destination policy scales with the size of a
 * blocklist.
 *
 * For each size N it writes N generated rules into a temporary list file (a
 * fixed-seed generator, so every run and every machine sees the same names),
 * then measures:
 *   load     reading the file and pc_policy_add_list(), on a monotonic clock;
 *   held     the memory the loaded policy keeps: heap bytes in use (glibc
 *            mallinfo2) and resident set growth (Linux /proc/self/statm),
 *            "n/a" where the platform gives no such number;
 *   lookup   nanoseconds per pc_policy_check_host(), separately for hits
 *            (listed names and subdomains of them) and misses (names on no
 *            list), each over at least a million lookups.
 * The checksum of all verdicts is printed so that the compiler cannot drop
 * the lookups. Hits that do not come out BLOCK, or misses that do, are a bug:
 * the program then exits 1 (the ctest smoke test relies on that).
 *
 * Usage: policy_bench [--sizes N[,N...]] [--lookups N]
 * Defaults: --sizes 10000,100000,1000000 --lookups 1000000.
 * Build it in Release mode for numbers worth comparing (bench/README.md).
 */
#include "policy.h"
#include "target.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__linux__)
#include <unistd.h>
#define HAVE_STATM 1
#endif
#if defined(__GLIBC__) && defined(__GLIBC_PREREQ)
#if __GLIBC_PREREQ(2, 33)
#include <malloc.h>
#define HAVE_MALLINFO2 1
#endif
#endif

#define SIZES_MAX      16
#define SIZE_LIMIT     10000000u /* bounds memory and time: about 1 GB at most */
#define LOOKUPS_MIN    1000u
#define LOOKUPS_LIMIT  1000000000u
#define TARGETS_MAX    65536u /* distinct hit and miss targets, each */
#define NAME_MAX_BYTES 80

typedef struct {
    size_t sizes[SIZES_MAX];
    size_t n_sizes;
    size_t lookups;
} options_t;

typedef struct {
    size_t entries;  /* rules written */
    size_t distinct; /* pc_policy_domain_count() */
    double load_ms;
    double heap_mb; /* < 0: not available */
    double rss_mb;  /* < 0: not available */
    double ns_hit;
    double ns_miss;
    size_t bad_hits;   /* hits that were not BLOCK */
    size_t bad_misses; /* misses that were BLOCK */
    uint64_t checksum;
} result_t;

/* ---- deterministic names -------------------------------------------------- */

/* splitmix64: small, fast, and the same sequence everywhere. */
static uint64_t
rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static size_t
rng_below(uint64_t *state, size_t n)
{
    return (size_t)(rng_next(state) % n);
}

static const char *const tlds[] = {"com",    "net",  "org", "io",  "de",  "co.uk",  "info",
                                   "ru",     "fr",   "jp",  "xyz", "cn",  "com.br", "nl",
                                   "online", "site", "top", "eu",  "app", "dev"};

/*
 * One label of 3-15 bytes: a letter (a digit for unlisted names, so that no
 * miss can end in a listed name by chance), then letters and digits, maybe a
 * '-'.
 */
static size_t
gen_label(uint64_t *rng, bool unlisted, char *out)
{
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    size_t len = 3 + rng_below(rng, 13);
    size_t i;

    out[0] = unlisted ? (char)('0' + rng_below(rng, 10)) : (char)('a' + rng_below(rng, 26));
    for (i = 1; i < len; i++) {
        out[i] = alnum[rng_below(rng, sizeof(alnum) - 1)];
    }
    if (len > 4 && rng_below(rng, 4) == 0) {
        out[1 + rng_below(rng, len - 2)] = '-';
    }
    return len;
}

/* labels labels of 3-15 bytes and a common TLD: "k3x9.shop-a7.com". */
static size_t
gen_domain(uint64_t *rng, size_t labels, bool unlisted, char *out)
{
    const char *tld = tlds[rng_below(rng, sizeof(tlds) / sizeof(tlds[0]))];
    size_t n = 0;
    size_t i;

    for (i = 0; i < labels; i++) {
        n += gen_label(rng, unlisted, out + n);
        out[n++] = '.';
    }
    memcpy(out + n, tld, strlen(tld) + 1);
    return n + strlen(tld);
}

/* sub-labels in front of name: "x1y.name". */
static size_t
add_subdomain(uint64_t *rng, size_t labels, const char *name, size_t len, char *out)
{
    size_t n = 0;
    size_t i;

    for (i = 0; i < labels; i++) {
        n += gen_label(rng, false, out + n);
        out[n++] = '.';
    }
    memcpy(out + n, name, len + 1);
    return n + len;
}

static void
set_target(pc_target_t *t, const char *name, size_t len)
{
    if (pc_target_parse_authority(name, len, 443, t) != 0) {
        fprintf(stderr, "policy_bench: generated a bad name: %s\n", name);
        exit(1);
    }
}

/*
 * Writes n rules into f: 70% "name", 10% hosts-file "0.0.0.0 name", 10%
 * "*.name" and 10% "=name". Every stride-th rule also becomes a hit target
 * that the rule covers (the name itself or a subdomain, 2-5 labels in all).
 * Returns the number of hit targets.
 */
static size_t
write_list(FILE *f, size_t n, pc_target_t *hits, size_t hits_cap)
{
    uint64_t rng = 0x706f727463756c6cu; /* "portcull" */
    size_t stride = n / hits_cap + 1;
    size_t n_hits = 0;
    size_t i;

    fputs("# policy_bench: generated blocklist\n", f);
    for (i = 0; i < n; i++) {
        char name[NAME_MAX_BYTES];
        char sub[2 * NAME_MAX_BYTES];
        size_t form = rng_below(&rng, 10);
        size_t len = gen_domain(&rng, 1 + rng_below(&rng, 3), false, name);
        bool apex_ok = true;
        bool subs_ok = true;

        if (form < 7) {
            fprintf(f, "%s\n", name);
        } else if (form == 7) {
            fprintf(f, "0.0.0.0 %s\n", name);
        } else if (form == 8) {
            fprintf(f, "*.%s\n", name);
            apex_ok = false;
        } else {
            fprintf(f, "=%s\n", name);
            subs_ok = false;
        }
        if (i % stride != 0 || n_hits == hits_cap) {
            continue;
        }
        if (subs_ok && (!apex_ok || rng_below(&rng, 2) == 0)) {
            size_t sub_len = add_subdomain(&rng, 1 + rng_below(&rng, 2), name, len, sub);

            set_target(&hits[n_hits++], sub, sub_len);
        } else {
            set_target(&hits[n_hits++], name, len);
        }
    }
    return n_hits;
}

/* Names on no list: another seed, 2-6 labels (every label but the TLD
 * starts with a digit, which no listed label does). */
static void
gen_misses(pc_target_t *misses, size_t n)
{
    uint64_t rng = 0x6d69737365730000u; /* "misses" */
    size_t i;

    for (i = 0; i < n; i++) {
        char name[NAME_MAX_BYTES];
        size_t len = gen_domain(&rng, 1 + rng_below(&rng, 4), true, name);

        set_target(&misses[i], name, len);
    }
}

/* ---- clocks and memory ---------------------------------------------------- */

static double
now_ns(void)
{
#if defined(CLOCK_MONOTONIC) && !defined(_WIN32)
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
#else
    /* mingw declares clock_gettime but only winpthreads has it: processor
     * time instead, which for this single-threaded loop is the same thing. */
    return (double)clock() / CLOCKS_PER_SEC * 1e9;
#endif
}

/* Heap bytes in use, or -1. Also gives freed pages back first, so that the
 * resident set measured next does not count memory the heap merely keeps. */
static double
heap_bytes(void)
{
#if defined(HAVE_MALLINFO2)
    struct mallinfo2 mi;

    malloc_trim(0);
    mi = mallinfo2();
    return (double)mi.uordblks + (double)mi.hblkhd;
#else
    return -1.0;
#endif
}

/* Resident set size in bytes, or -1. */
static double
rss_bytes(void)
{
#if defined(HAVE_STATM)
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    int n;

    if (f == NULL) {
        return -1.0;
    }
    n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    return n == 2 ? (double)resident * (double)sysconf(_SC_PAGESIZE) : -1.0;
#else
    return -1.0;
#endif
}

/* ---- one size ---------------------------------------------------------- */

/* Reads all of f into buf (len bytes), then loads it as a blocklist. */
static pc_policy_t *
load(FILE *f, char *buf, size_t len)
{
    pc_policy_t *p = NULL;
    char err[256];

    rewind(f);
    if (fread(buf, 1, len, f) != len) {
        fprintf(stderr, "policy_bench: cannot read the list back\n");
        exit(1);
    }
    if (pc_policy_create(&p) != 0) {
        fprintf(stderr, "policy_bench: out of memory\n");
        exit(1);
    }
    if (pc_policy_add_list(p, PC_LIST_BLOCK, buf, len, "bench.list", err, sizeof(err)) != 0) {
        fprintf(stderr, "policy_bench: list refused: %s\n", err);
        exit(1);
    }
    return p;
}

/* Runs `lookups` lookups cycling over targets; returns ns per lookup. */
static double
time_lookups(const pc_policy_t *p, const pc_target_t *targets, size_t n, size_t lookups,
             bool want_block, size_t *bad, uint64_t *checksum)
{
    double t0;
    size_t i, j = 0;

    /* One untimed pass warms the caches and counts wrong verdicts. */
    for (i = 0; i < n; i++) {
        pc_verdict_t v = pc_policy_check_host(p, &targets[i]);

        *bad += (v.kind == PC_VERDICT_BLOCK) != want_block;
    }
    t0 = now_ns();
    for (i = 0; i < lookups; i++) {
        pc_verdict_t v = pc_policy_check_host(p, &targets[j]);

        *checksum = *checksum * 31u + (uint64_t)v.kind + v.rule.line;
        if (++j == n) {
            j = 0;
        }
    }
    return (now_ns() - t0) / (double)lookups;
}

static int
run_size(size_t n, size_t lookups, result_t *r)
{
    size_t cap = n < TARGETS_MAX ? (n > 0 ? n : 1) : TARGETS_MAX;
    pc_target_t *hits = malloc(cap * sizeof(*hits));
    pc_target_t *misses = malloc(cap * sizeof(*misses));
    FILE *f = tmpfile();
    pc_policy_t *p;
    char *buf = NULL;
    size_t n_hits, len;
    long end;
    double heap0, rss0, t0, t1;

    memset(r, 0, sizeof(*r));
    r->entries = n;
    if (hits == NULL || misses == NULL || f == NULL) {
        fprintf(stderr, "policy_bench: %s\n", f == NULL ? "no temporary file" : "out of memory");
        goto fail;
    }
    n_hits = write_list(f, n, hits, cap);
    gen_misses(misses, cap);
    end = ftell(f);
    if (fflush(f) != 0 || end <= 0) {
        fprintf(stderr, "policy_bench: cannot write the temporary list\n");
        goto fail;
    }
    len = (size_t)end;
    /* The read buffer is touched before the first measurement, so the
     * memory figures count the policy alone. */
    buf = malloc(len);
    if (buf == NULL) {
        fprintf(stderr, "policy_bench: out of memory\n");
        goto fail;
    }
    memset(buf, 0, len);
    heap0 = heap_bytes();
    rss0 = rss_bytes();

    t0 = now_ns();
    p = load(f, buf, len);
    t1 = now_ns();

    r->load_ms = (t1 - t0) / 1e6;
    r->heap_mb = heap0 < 0 ? -1.0 : (heap_bytes() - heap0) / (1024.0 * 1024.0);
    r->rss_mb = rss0 < 0 ? -1.0 : (rss_bytes() - rss0) / (1024.0 * 1024.0);
    r->distinct = pc_policy_domain_count(p);
    free(buf);
    fclose(f); /* removes the temporary file */
    f = NULL;

    r->ns_hit = time_lookups(p, hits, n_hits, lookups, true, &r->bad_hits, &r->checksum);
    r->ns_miss = time_lookups(p, misses, cap, lookups, false, &r->bad_misses, &r->checksum);
    pc_policy_free(p);
    free(hits);
    free(misses);
    return 0;

fail:
    if (f != NULL) {
        fclose(f);
    }
    free(hits);
    free(misses);
    return -1;
}

/* ---- command line and report -------------------------------------------- */

static int
parse_count(const char *s, size_t min, size_t max, size_t *out)
{
    char *end;
    unsigned long long v;

    if (*s < '0' || *s > '9') {
        return -1;
    }
    v = strtoull(s, &end, 10);
    if (end == s || (*end != '\0' && *end != ',') || v < min || v > max) {
        return -1;
    }
    *out = (size_t)v;
    return (int)(end - s);
}

static int
parse_sizes(const char *s, options_t *o)
{
    o->n_sizes = 0;
    for (;;) {
        int used;

        if (o->n_sizes == SIZES_MAX) {
            return -1;
        }
        used = parse_count(s, 1, SIZE_LIMIT, &o->sizes[o->n_sizes]);
        if (used < 0) {
            return -1;
        }
        o->n_sizes++;
        s += used;
        if (*s == '\0') {
            return 0;
        }
        s++; /* the ',' */
    }
}

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: policy_bench [--sizes N[,N...]] [--lookups N]\n"
            "  --sizes    rules per list to measure (1..%u, at most %d sizes;\n"
            "             default 10000,100000,1000000)\n"
            "  --lookups  timed lookups per column (%u..%u, default 1000000)\n",
            SIZE_LIMIT, SIZES_MAX, LOOKUPS_MIN, LOOKUPS_LIMIT);
}

static int
parse_options(int argc, char **argv, options_t *o)
{
    int i;

    o->sizes[0] = 10000;
    o->sizes[1] = 100000;
    o->sizes[2] = 1000000;
    o->n_sizes = 3;
    o->lookups = 1000000;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(argv[i], "--sizes") == 0 && i + 1 < argc) {
            if (parse_sizes(argv[++i], o) != 0) {
                return -1;
            }
        } else if (strcmp(argv[i], "--lookups") == 0 && i + 1 < argc) {
            if (parse_count(argv[++i], LOOKUPS_MIN, LOOKUPS_LIMIT, &o->lookups) < 0
                || strchr(argv[i], ',') != NULL) {
                return -1;
            }
        } else {
            return -1;
        }
    }
    return 0;
}

static void
print_mb(double mb)
{
    if (mb < 0) {
        printf(" | %8s", "n/a");
    } else {
        printf(" | %8.1f", mb);
    }
}

int
main(int argc, char **argv)
{
    options_t o;
    size_t i;
    int status = 0;
    uint64_t checksum = 0;

    if (parse_options(argc, argv, &o) != 0) {
        usage(stderr);
        return 2;
    }
    printf("policy_bench: one blocklist per size; rules 70%% \"name\", 10%% \"0.0.0.0 name\",\n"
           "10%% \"*.name\", 10%% \"=name\"; %zu timed lookups per column\n\n",
           o.lookups);
    printf("%10s | %8s | %9s | %8s | %8s | %13s | %14s\n", "entries", "distinct", "load ms",
           "MB held", "MB RSS", "ns/lookup hit", "ns/lookup miss");
    printf("-----------+----------+-----------+----------+----------+---------------+"
           "---------------\n");
    for (i = 0; i < o.n_sizes; i++) {
        result_t r;

        if (run_size(o.sizes[i], o.lookups, &r) != 0) {
            return 1;
        }
        printf("%10zu | %8zu | %9.1f", r.entries, r.distinct, r.load_ms);
        print_mb(r.heap_mb);
        print_mb(r.rss_mb);
        printf(" | %13.1f | %14.1f\n", r.ns_hit, r.ns_miss);
        fflush(stdout);
        if (r.bad_hits != 0 || r.bad_misses != 0) {
            fprintf(stderr, "policy_bench: %zu hits not blocked, %zu misses blocked\n", r.bad_hits,
                    r.bad_misses);
            status = 1;
        }
        checksum ^= r.checksum;
    }
    printf("\nMB held: heap in use by the policy; MB RSS: resident set growth; "
           "checksum %016llx\n",
           (unsigned long long)checksum);
    return status;
}
