/*
 * env.c (Windows): defaults in the process environment, for libraries that
 * read it with getenv (libuv's UV_THREADPOOL_SIZE). getenv reads the C
 * runtime's copy of the environment, which SetEnvironmentVariable (and so
 * uv_os_setenv) does not change: _putenv_s does.
 */
#include "portcullis/platform.h"

#include <stdlib.h>

void
pc_platform_env_default(const char *name, const char *value)
{
    if (getenv(name) == NULL) {
        (void)_putenv_s(name, value);
    }
}
