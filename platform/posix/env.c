/*
 * env.c (POSIX): defaults in the process environment, for libraries that
 * read it with getenv (libuv's UV_THREADPOOL_SIZE).
 */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include "portcullis/platform.h"

#include <stdlib.h>

void
pc_platform_env_default(const char *name, const char *value)
{
    (void)setenv(name, value, 0); /* 0: a value already set wins */
}
