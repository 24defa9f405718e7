/*
 * replay.c: runs a fuzz target over the files named on the command line.
 *
 * This is how the checked-in corpus is replayed as an ordinary ctest under
 * every compiler (gcc, MSVC, clang with or without sanitizers), without
 * libFuzzer: CMake lists the corpus files when it configures, so no directory
 * walking (and no OS header) is needed here. It is also the way to reproduce a
 * crash that libFuzzer saved: fuzz_replay_<target> crash-<sha1>.
 *
 * Each input is copied into a heap block of exactly its size, as libFuzzer
 * does, so that a read past the end is caught by ASan or valgrind.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest input replayed; the seeds are small, this only bounds a mistake. */
#define REPLAY_MAX (16u * 1024u * 1024u)

/*
 * Reads the whole file into a new heap block of exactly its size (one byte
 * for an empty file, so the pointer is never NULL). Returns 0 or -1.
 */
static int
read_file(const char *path, uint8_t **out, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    uint8_t *exact;
    size_t len = 0;
    size_t cap = 0;

    if (f == NULL) {
        perror(path);
        return -1;
    }
    for (;;) {
        size_t n;

        if (len == cap) {
            uint8_t *grown;

            if (cap >= REPLAY_MAX) {
                fprintf(stderr, "%s: larger than %u bytes\n", path, REPLAY_MAX);
                goto fail;
            }
            cap = cap == 0 ? 4096 : cap * 2;
            grown = realloc(buf, cap);
            if (grown == NULL) {
                fprintf(stderr, "%s: out of memory\n", path);
                goto fail;
            }
            buf = grown;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            break;
        }
    }
    if (ferror(f)) {
        perror(path);
        goto fail;
    }
    fclose(f);
    exact = malloc(len > 0 ? len : 1);
    if (exact == NULL) {
        fprintf(stderr, "%s: out of memory\n", path);
        free(buf);
        return -1;
    }
    if (len > 0) {
        memcpy(exact, buf, len);
    }
    free(buf);
    *out = exact;
    *out_len = len;
    return 0;

fail:
    fclose(f);
    free(buf);
    return -1;
}

int
main(int argc, char **argv)
{
    int i;
    int failed = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE...\n(runs the fuzz target once on each file)\n", argv[0]);
        return 2;
    }
    for (i = 1; i < argc; i++) {
        uint8_t *data;
        size_t len;

        if (read_file(argv[i], &data, &len) != 0) {
            failed = 1;
            continue;
        }
        /* A crash or a failed check aborts here; the log above names the file. */
        fprintf(stderr, "replay %s (%zu bytes)\n", argv[i], len);
        (void)LLVMFuzzerTestOneInput(data, len);
        free(data);
    }
    if (failed) {
        return 1;
    }
    printf("replayed %d inputs\n", argc - 1);
    return 0;
}
