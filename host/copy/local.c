/* SPDX-License-Identifier: Apache-2.0 */
/* The local side of docker cp: where the copy comes from or goes, checked as the docker CLI
 * checks it, with its messages (Go's "lstat PATH: no such file or directory"). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/copy/copy.h"
#include "shared/base/cleanup.h"
#include "shared/base/path.h"

static int go_err(bt_err **err, int e, const char *op, const char *path)
{
    char why[128];
    return bt_err_set(err, e, "%s %s: %s", op, path, bt_go_strerror(e, why, sizeof(why)));
}

char *copy_local_abs(const char *path, bt_err **err)
{
    bt_autofree char *joined = NULL;
    if (path[0] == '/') {
        joined = bt_xstrdup(path);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd))) {
            bt_err_errno(err, errno, "getwd");
            return NULL;
        }
        joined = bt_xasprintf("%s/%s", cwd, path);
    }
    bt_autofree char *clean = bt_path_clean(joined);
    return copy_preserve_trailing(clean, path);
}

int copy_validate_output(const char *path, bt_err **err)
{
    bt_autofree char *clean = bt_path_clean(path);
    bt_autofree char *dir = copy_dir(clean);
    struct stat st;
    if (strcmp(dir, ".") != 0 && stat(dir, &st) < 0 && errno == ENOENT)
        return bt_err_set(err, BT_E_INVALID, "invalid output path: directory \"%s\" does not exist",
                          dir);
    if (stat(path, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        return go_err(err, errno, "stat", path);
    }
    if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))
        return 0;
    if (S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode))
        return bt_err_set(err, BT_E_INVALID,
                          "invalid output path: \"%s\" must be a directory or a regular file: got "
                          "a device",
                          path);
    return 0;
}

/* filepath.EvalSymlinks, for a path that must exist */
static char *eval_symlinks(const char *path, bt_err **err)
{
    char buf[PATH_MAX];
    if (!realpath(*path ? path : ".", buf)) {
        bt_autofree char *clean = bt_path_clean(path);
        go_err(err, errno, "lstat", clean);
        return NULL;
    }
    return bt_xstrdup(buf);
}

int copy_source_info(const char *path, bool follow, struct copy_info *info, bt_err **err)
{
    *info = (struct copy_info){0};
    char *resolved = NULL;
    if (follow) {
        bt_autofree char *r = eval_symlinks(path, err);
        if (!r)
            return -1;
        resolved = copy_rebase_name(path, r, &info->rebase_name);
    } else {
        /* symlinks before the last element only: a link is copied as a link */
        const char *slash = strrchr(path, '/');
        bt_autofree char *dir = slash ? bt_xstrndup(path, (size_t)(slash - path + 1)) : NULL;
        const char *base = slash ? slash + 1 : path;
        bt_autofree char *rdir = eval_symlinks(dir ? dir : ".", err);
        if (!rdir)
            return -1;
        resolved = bt_xasprintf("%s%s%s", rdir, strcmp(rdir, "/") == 0 ? "" : "/", base);
        size_t n = strlen(path);
        bt_autofree char *pb = copy_base(path);
        bt_autofree char *rb = copy_base(resolved);
        if (n && path[n - 1] == '/' && strcmp(pb, rb) != 0)
            info->rebase_name = bt_steal_ptr(&pb);
    }
    info->path = resolved;
    struct stat st;
    if (lstat(resolved, &st) < 0) {
        go_err(err, errno, "lstat", resolved);
        copy_info_clear(info);
        return -1;
    }
    info->exists = true;
    info->is_dir = S_ISDIR(st.st_mode);
    return 0;
}

int copy_dest_info(const char *path, struct copy_info *info, bt_err **err)
{
    *info = (struct copy_info){0};
    bt_autofree char *p = bt_xstrdup(path);
    struct stat st;
    int rc = lstat(p, &st);
    for (int n = 0; rc == 0 && S_ISLNK(st.st_mode); n++) {
        if (n > 10)
            return bt_err_set(err, BT_E_INVALID, "too many symlinks in %s", path);
        /* the destination is the link's target, not the link (which may dangle: the copy then
         * creates the target) */
        char target[PATH_MAX];
        ssize_t len = readlink(p, target, sizeof(target) - 1);
        if (len < 0)
            return go_err(err, errno, "readlink", p);
        target[len] = '\0';
        char *next;
        if (target[0] == '/') {
            next = bt_xstrdup(target);
        } else {
            bt_autofree char *d = NULL, *b = NULL;
            copy_split_dir_entry(p, &d, &b);
            next = bt_path_join(d, target);
        }
        free(p);
        p = next;
        rc = lstat(p, &st);
    }
    if (rc < 0) {
        if (errno != ENOENT)
            return go_err(err, errno, "lstat", p);
        bt_autofree char *d = NULL, *b = NULL;
        copy_split_dir_entry(p, &d, &b);
        struct stat ps;
        if (stat(d, &ps) < 0)
            return go_err(err, errno, "stat", d);
        if (!S_ISDIR(ps.st_mode))
            return bt_err_set(err, BT_E_INVALID, "not a directory");
        info->path = bt_steal_ptr(&p);
        return 0;
    }
    info->path = bt_steal_ptr(&p);
    info->exists = true;
    info->is_dir = S_ISDIR(st.st_mode);
    return 0;
}
