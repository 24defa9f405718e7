/*
 * privileges.c: User/Group on Windows: not available. The Windows service
 * runs under the account it is installed with (issue 4).
 */
#include "portcullis/platform.h"

#include <stdio.h>

int
pc_platform_drop_privileges(const char *user, const char *group, char *err, size_t err_cap)
{
    (void)user;
    (void)group;
    snprintf(err, err_cap,
             "User and Group are not available on Windows; the service account "
             "decides");
    return UV_ENOTSUP;
}
