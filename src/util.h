/*
 * util.h: small helpers shared by the core modules.
 */
#ifndef PC_UTIL_H
#define PC_UTIL_H

#include <stddef.h>

#define PC_CONTAINER_OF(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#define PC_ARRAY_SIZE(a)                   (sizeof(a) / sizeof((a)[0]))

#endif
