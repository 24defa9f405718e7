/*
 * privileges.c: User/Group on POSIX, the one-way drop from root.
 *
 * Owns the name lookups, the order of the calls (groups before the user
 * id, which takes away the right to change them) and the proof that the
 * drop held: every id is checked afterwards, and setuid(0) must fail. A
 * proxy that was asked to drop root and could not must not serve.
 */
#define _DEFAULT_SOURCE  /* initgroups() on glibc */
#define _DARWIN_C_SOURCE /* and on macOS */

#include "portcullis/platform.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <uv.h>

/* macOS declares initgroups(const char *, int), glibc (const char *, gid_t). */
#ifdef __APPLE__
#define PC_INITGROUPS_GID(g) ((int)(g))
#else
#define PC_INITGROUPS_GID(g) (g)
#endif

/* Looks up the user (and the group, if named); fills the ids. */
static int
lookup(const char *user, const char *group, uid_t *uid, gid_t *gid, char *err, size_t cap)
{
    struct passwd *pw;
    struct group *gr;

    errno = 0;
    pw = getpwnam(user);
    if (pw == NULL) {
        snprintf(err, cap, "unknown user '%s'", user);
        return UV_EINVAL;
    }
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    if (group != NULL) {
        errno = 0;
        gr = getgrnam(group);
        if (gr == NULL) {
            snprintf(err, cap, "unknown group '%s'", group);
            return UV_EINVAL;
        }
        *gid = gr->gr_gid;
    }
    return 0;
}

/* The call sequence; returns the first failure with its name in err. */
static int
switch_ids(const char *user, uid_t uid, gid_t gid, char *err, size_t cap)
{
    const char *step = NULL;

    if (setgid(gid) != 0) {
        step = "setgid";
    } else if (initgroups(user, PC_INITGROUPS_GID(gid)) != 0) {
        step = "initgroups";
    } else if (setuid(uid) != 0) {
        step = "setuid";
    }
    if (step != NULL) {
        int e = errno;

        snprintf(err, cap, "cannot drop privileges to %s: %s: %s", user, step, strerror(e));
        return uv_translate_sys_error(e);
    }
    return 0;
}

/* Proof: every id is the target's and root is gone for good. */
static int
verify(const char *user, uid_t uid, gid_t gid, char *err, size_t cap)
{
    if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid
        || (uid != 0 && setuid(0) == 0)) {
        snprintf(err, cap, "dropping privileges to %s did not hold; refusing to run", user);
        return UV_EPERM;
    }
    return 0;
}

int
pc_platform_drop_privileges(const char *user, const char *group, char *err, size_t err_cap)
{
    uid_t uid;
    gid_t gid;
    int rc = lookup(user, group, &uid, &gid, err, err_cap);

    if (rc != 0) {
        return rc;
    }
    if (geteuid() != 0) {
        if (getuid() == uid && geteuid() == uid && getegid() == gid) {
            return 0; /* started as that user already */
        }
        snprintf(err, err_cap, "User %s needs the proxy to start as root", user);
        return UV_EPERM;
    }
    rc = switch_ids(user, uid, gid, err, err_cap);
    return rc != 0 ? rc : verify(user, uid, gid, err, err_cap);
}
