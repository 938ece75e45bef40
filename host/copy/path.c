/* SPDX-License-Identifier: Apache-2.0 */
/* Go's path rules as docker cp applies them (pkg/archive copy.go, cli cp.go); no I/O. */
#include <stdlib.h>
#include <string.h>

#include "host/copy/copy.h"
#include "shared/base/cleanup.h"
#include "shared/base/path.h"

static bool trailing_sep(const char *p)
{
    size_t n = strlen(p);
    return n > 0 && p[n - 1] == '/';
}

char *copy_base(const char *path)
{
    size_t n = strlen(path);
    if (n == 0)
        return bt_xstrdup(".");
    while (n > 0 && path[n - 1] == '/')
        n--;
    if (n == 0)
        return bt_xstrdup("/");
    size_t start = n;
    while (start > 0 && path[start - 1] != '/')
        start--;
    return bt_xstrndup(path + start, n - start);
}

char *copy_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    bt_autofree char *head = slash ? bt_xstrndup(path, (size_t)(slash - path + 1)) : bt_xstrdup("");
    return bt_path_clean(head);
}

static bool current_dir(const char *path)
{
    bt_autofree char *b = copy_base(path);
    return strcmp(b, ".") == 0;
}

bool copy_asserts_dir(const char *path)
{
    return trailing_sep(path) || current_dir(path);
}

char *copy_preserve_trailing(const char *cleaned, const char *original)
{
    bt_autofree char *dot = NULL;
    if (!current_dir(cleaned) && current_dir(original))
        dot = bt_xasprintf("%s%s.", cleaned, trailing_sep(cleaned) ? "" : "/");
    const char *p = dot ? dot : cleaned;
    if (!trailing_sep(p) && trailing_sep(original))
        return bt_xasprintf("%s/", p);
    return bt_xstrdup(p);
}

void copy_split_dir_entry(const char *path, char **dir, char **base)
{
    bt_autofree char *clean = bt_path_clean(path);
    bt_autofree char *p = current_dir(path) ? bt_xasprintf("%s/.", clean) : bt_xstrdup(clean);
    *dir = copy_dir(p);
    *base = copy_base(p);
}

void copy_split_arg(const char *arg, char **ctr, char **path)
{
    const char *colon = arg[0] == '/' ? NULL : strchr(arg, ':');
    if (!colon || arg[0] == '.') {
        /* a local path: absolute, without ':', or explicitly relative ("./file:name") */
        *ctr = NULL;
        *path = bt_xstrdup(arg);
        return;
    }
    *ctr = bt_xstrndup(arg, (size_t)(colon - arg));
    *path = bt_xstrdup(colon + 1);
}

char *copy_rebase_name(const char *path, const char *resolved, char **rebase)
{
    char *r = bt_xstrdup(resolved);
    if (current_dir(path) && !current_dir(r)) {
        char *t = bt_xasprintf("%s/.", r);
        free(r);
        r = t;
    }
    if (trailing_sep(path) && !trailing_sep(r)) {
        char *t = bt_xasprintf("%s/", r);
        free(r);
        r = t;
    }
    bt_autofree char *pb = copy_base(path);
    bt_autofree char *rb = copy_base(r);
    *rebase = strcmp(pb, rb) != 0 ? bt_steal_ptr(&pb) : NULL;
    return r;
}

void copy_info_clear(struct copy_info *i)
{
    free(i->path);
    free(i->rebase_name);
    *i = (struct copy_info){0};
}

int copy_prepare(const struct copy_info *src, const struct copy_info *dst, char **dst_dir,
                 char **top, bt_err **err)
{
    bt_autofree char *ddir = NULL, *dbase = NULL;
    copy_split_dir_entry(dst->path, &ddir, &dbase);
    *dst_dir = NULL;
    *top = NULL;
    if (dst->exists && dst->is_dir) {
        /* into the directory, under the source's own name */
        *dst_dir = bt_xstrdup(dst->path);
        *top = bt_xstrdup_or_null(src->rebase_name);
        return 0;
    }
    if (dst->exists && src->is_dir)
        return bt_err_set(err, BT_E_INVALID, "cannot copy directory");
    if (!dst->exists && !src->is_dir && copy_asserts_dir(dst->path))
        return bt_err_set(err, BT_E_INVALID, "no such directory");
    /* a file onto a file, or anything to a new name: the copy takes the destination's name */
    *dst_dir = bt_steal_ptr(&ddir);
    *top = bt_steal_ptr(&dbase);
    return 0;
}
