/*
 * text.c: quoting untrusted text for messages (see text.h).
 */
#include "text.h"

#include <string.h>

const char *
pc_text_quote(char *buf, const char *s, size_t len, size_t max)
{
    size_t i, n = len > max ? max : len;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (n < len) {
        memcpy(buf + n, "...", sizeof "...");
    } else {
        buf[n] = '\0';
    }
    return buf;
}
