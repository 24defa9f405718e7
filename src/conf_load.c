/*
 * conf_load.c: files to snapshots, and snapshot reference counting.
 *
 * Files are read whole with stdio: configuration and list files are read at
 * start and on reload, never per request. Loading touches nothing but the
 * snapshot it builds, so a reload can run it off the loop thread.
 *
 * A snapshot is shared by every worker thread: its reference count changes
 * under one process-wide mutex (made once, on first use). The count only
 * changes per connection and per reload, never per byte, so one lock is
 * cheap enough and works with every compiler.
 */
#include "conf_load.h"

#include "portcullis/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#define MAX_FILE_SIZE ((size_t)1 << 30)

static int
read_file(const char *path, char **text, size_t *len, pc_conf_error_t *err)
{
    FILE *fp = fopen(path, "rb");
    size_t cap = 65536, n = 0, got;
    char *buf = NULL, *nb;

    if (fp == NULL) {
        int e = errno != 0 ? errno : EIO;
        snprintf(err->msg, sizeof(err->msg), "%s: cannot open: %s", path,
                 uv_strerror(uv_translate_sys_error(e)));
        return uv_translate_sys_error(e);
    }
    for (;;) {
        nb = realloc(buf, cap + 1);
        if (nb == NULL) {
            break;
        }
        buf = nb;
        got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (n < cap || cap >= MAX_FILE_SIZE) {
            break;
        }
        cap *= 2;
    }
    if (nb == NULL || ferror(fp) || (n == cap && cap >= MAX_FILE_SIZE)) {
        snprintf(err->msg, sizeof(err->msg), "%s: cannot read (error or larger than 1 GiB)", path);
        free(buf);
        fclose(fp);
        return PC_E_CONF_VALUE;
    }
    fclose(fp);
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

/* Adds every list's rules and the policy switches to the snapshot's policy. */
static int
load_lists(pc_conf_t *conf, pc_conf_error_t *err)
{
    size_t i, len;
    char *text;
    int rc;

    pc_policy_set_default_deny(conf->policy, conf->default_deny);
    pc_policy_set_guard(conf->policy, conf->deny_private);
    for (i = 0; i < conf->num_lists; i++) {
        const pc_list_file_t *l = &conf->lists[i];

        rc = read_file(l->path, &text, &len, err);
        if (rc != 0) {
            return rc;
        }
        rc = pc_policy_add_list(conf->policy, l->kind, text, len, l->path, err->msg,
                                sizeof(err->msg));
        free(text);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int
pc_conf_load(const char *path, pc_conf_t **out, pc_conf_error_t *err)
{
    pc_conf_t *conf = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc;

    err->msg[0] = '\0';
    if (path == NULL) {
        rc = pc_conf_new_defaults(&conf);
        if (rc != 0) {
            snprintf(err->msg, sizeof(err->msg), "out of memory");
            return rc;
        }
    } else {
        rc = read_file(path, &text, &len, err);
        if (rc != 0) {
            return rc;
        }
        rc = pc_conf_parse(text, len, path, &conf, err);
        free(text);
        if (rc != 0) {
            return rc;
        }
        rc = load_lists(conf, err);
        if (rc != 0) {
            pc_conf_free(conf);
            return rc;
        }
    }
    conf->refs = 1;
    *out = conf;
    return 0;
}

/* The lock of every snapshot's refs (file scope: it outlives every snapshot). */
static uv_once_t refs_once = UV_ONCE_INIT;
static uv_mutex_t refs_lock;

static void
refs_lock_init(void)
{
    if (uv_mutex_init(&refs_lock) != 0) {
        abort(); /* at start-up, before any snapshot is shared: nothing can go on */
    }
}

pc_conf_t *
pc_conf_ref(pc_conf_t *conf)
{
    uv_once(&refs_once, refs_lock_init);
    uv_mutex_lock(&refs_lock);
    conf->refs++;
    uv_mutex_unlock(&refs_lock);
    return conf;
}

void
pc_conf_unref(pc_conf_t *conf)
{
    int left;

    if (conf == NULL) {
        return;
    }
    uv_once(&refs_once, refs_lock_init);
    uv_mutex_lock(&refs_lock);
    left = --conf->refs;
    uv_mutex_unlock(&refs_lock);
    if (left == 0) {
        pc_conf_free(conf);
    }
}
