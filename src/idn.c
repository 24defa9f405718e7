/*
 * idn.c: the libidn2 wrapper (see idn.h).
 *
 * Owns the only calls into libidn2, so the rest of the policy code compiles
 * the same with or without it (PC_HAVE_LIBIDN2). libidn2 wants a NUL
 * terminated input and returns memory it allocated; both are handled here.
 */
#include "idn.h"

#include "portcullis/error.h"

#include <string.h>

#ifdef PC_HAVE_LIBIDN2
#include <idn2.h>

/* Longest UTF-8 input taken: four bytes for each byte of the longest name,
 * far more than any name that can still fit once converted. */
#define IDN_INPUT_MAX 1024

int
pc_idn_to_ascii(const char *s, size_t len, char *out, size_t cap, size_t *out_len)
{
    char in[IDN_INPUT_MAX + 1];
    char *ascii = NULL;
    size_t n;
    int rc;

    if (s == NULL || len == 0 || len > IDN_INPUT_MAX || memchr(s, '\0', len) != NULL) {
        return PC_E_BAD_HOST;
    }
    memcpy(in, s, len);
    in[len] = '\0';
    rc = idn2_to_ascii_8z(in, &ascii, IDN2_NONTRANSITIONAL);
    if (rc == IDN2_MALLOC) {
        return PC_E_NOMEM;
    }
    if (rc != IDN2_OK || ascii == NULL) {
        idn2_free(ascii);
        return PC_E_BAD_HOST;
    }
    n = strlen(ascii);
    if (n + 1 > cap) {
        idn2_free(ascii);
        return PC_E_NO_SPACE;
    }
    memcpy(out, ascii, n + 1);
    idn2_free(ascii);
    *out_len = n;
    return 0;
}

#else

int
pc_idn_to_ascii(const char *s, size_t len, char *out, size_t cap, size_t *out_len)
{
    (void)s;
    (void)len;
    (void)out;
    (void)cap;
    (void)out_len;
    return PC_E_NOT_IMPLEMENTED;
}

#endif
