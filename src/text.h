/*
 * text.h: untrusted text made safe to show in a message.
 *
 * Pure. Configuration and list errors quote what the admin wrote; the quote
 * must never carry terminal control sequences or a whole runaway line.
 */
#ifndef PC_TEXT_H
#define PC_TEXT_H

#include <stddef.h>

/*
 * Copies at most max bytes of s[0..len) into buf, each byte that is not
 * printable ASCII (0x20-0x7e) written as '?', and "..." after a cut; buf
 * must hold max + 4 bytes. Returns buf, NUL-terminated.
 */
const char *pc_text_quote(char *buf, const char *s, size_t len, size_t max);

#endif
