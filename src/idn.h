/*
 * idn.h: internationalised domain names to their ASCII (punycode) form.
 *
 * A thin wrapper over libidn2 (IDNA2008 with UTS #46 non-transitional
 * mapping). Without libidn2 in the build it refuses every name, so the
 * caller can tell the admin to write the name in punycode instead.
 */
#ifndef PC_IDN_H
#define PC_IDN_H

#include <stddef.h>

/*
 * Converts the UTF-8 name s[0..len) to ASCII into out (cap bytes, NUL
 * terminated) and sets *out_len. The result is not yet normalised. Returns
 * 0; PC_E_NOT_IMPLEMENTED without libidn2; PC_E_BAD_HOST if the name is not
 * a valid IDN (or holds a NUL byte); PC_E_NO_SPACE if it does not fit;
 * PC_E_NOMEM.
 */
int pc_idn_to_ascii(const char *s, size_t len, char *out, size_t cap, size_t *out_len);

#endif
