/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker diff (GET /containers/{id}/changes): what moby's archive.OverlayChanges reads from an
 * overlay upper directory. A 0/0 character device is a whiteout (the name was deleted); an
 * opaque directory (trusted.overlay.opaque=y) that a lower layer has was deleted and made
 * anew; anything else is added, or modified when a lower layer has the name: a directory
 * copied up for a child too, as dockerd 20.10 reports it (`echo >> /usr/bin/x` shows C /usr,
 * C /usr/bin, C /usr/bin/x there). The engine's mount points (files and directories made in
 * the upper directory to mount on) are not changes, nor are the directories above them unless
 * something else under them is (C /etc for a modified /etc/passwd, as dockerd, whose mount
 * points are in an init layer). Order: a walk of the upper directory, names in byte order,
 * each directory before its contents (dockerd walks in readdir order).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "guest/engine/container/container-internal.h"
#include "guest/engine/image/image.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

struct diff {
    const char *upper;
    char *const *lowers;
    char *const *skip;
    struct ctr_change *list;
    size_t n;
};

static void add(struct diff *d, const char *path, enum ctr_change_kind kind)
{
    d->list = bt_xreallocarray(d->list, d->n + 1, sizeof(*d->list));
    d->list[d->n++] = (struct ctr_change){.path = bt_xstrdup(path), .kind = kind};
}

static bool is_skipped(const struct diff *d, const char *path, const struct stat *st)
{
    for (size_t i = 0; d->skip && d->skip[i]; i++)
        if (strcmp(d->skip[i], path) == 0)
            return S_ISDIR(st->st_mode) || (S_ISREG(st->st_mode) && st->st_size == 0);
    return false;
}

static bool is_mount_parent(const struct diff *d, const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 0; d->skip && d->skip[i]; i++)
        if (strncmp(d->skip[i], path, n) == 0 && d->skip[i][n] == '/')
            return true;
    return false;
}

/* The first lower layer that has path (not followed), its stat in *st. */
static bool in_lower(const struct diff *d, const char *path, struct stat *st)
{
    for (size_t i = 0; d->lowers && d->lowers[i]; i++) {
        bt_autofree char *p = bt_xasprintf("%s%s", d->lowers[i], path);
        if (lstat(p, st) == 0)
            return true;
    }
    return false;
}

static bool is_deleted(const struct diff *d, const char *full, const char *path,
                       const struct stat *st)
{
    if (S_ISCHR(st->st_mode) && major(st->st_rdev) == 0 && minor(st->st_rdev) == 0)
        return true;
    if (!S_ISDIR(st->st_mode))
        return false;
    char v[2];
    struct stat lst;
    return lgetxattr(full, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y' &&
           in_lower(d, path, &lst);
}

/* The kind of an entry that is no whiteout; -1: an unchanged directory (not recorded) */
static int kind_of(const struct diff *d, const char *path, const struct stat *st)
{
    if (S_ISDIR(st->st_mode) && is_mount_parent(d, path))
        return -1;
    struct stat lst;
    return in_lower(d, path, &lst) ? CTR_CHANGE_MODIFY : CTR_CHANGE_ADD;
}

static int walk(struct diff *d, const char *dir, bool dir_recorded, bt_err **err);

static int visit(struct diff *d, const char *dir, bool *dir_recorded, const char *name,
                 bt_err **err)
{
    bt_autofree char *path = bt_xasprintf("%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name);
    bt_autofree char *full = bt_xasprintf("%s%s", d->upper, path);
    struct stat st;
    if (lstat(full, &st) < 0)
        return errno == ENOENT ? 0 : bt_err_errno(err, errno, "stat %s", full);
    if (is_skipped(d, path, &st))
        return 0;
    int kind = is_deleted(d, full, path, &st) ? CTR_CHANGE_DELETE : kind_of(d, path, &st);
    /* a directory left out (above a mount point) that has a change under it */
    if (kind >= 0 && !*dir_recorded && strcmp(dir, "/") != 0) {
        add(d, dir, CTR_CHANGE_MODIFY);
        *dir_recorded = true;
    }
    if (kind >= 0)
        add(d, path, (enum ctr_change_kind)kind);
    if (!S_ISDIR(st.st_mode))
        return 0;
    return walk(d, path, kind >= 0, err);
}

static int walk(struct diff *d, const char *dir, bool dir_recorded, bt_err **err)
{
    bt_autofree char *full = bt_xasprintf("%s%s", d->upper, strcmp(dir, "/") == 0 ? "" : dir);
    DIR *dh = opendir(full);
    if (!dh)
        return bt_err_errno(err, errno, "open %s", full);
    char **names = bt_xzalloc(sizeof(char *));
    size_t n = 0;
    for (struct dirent *e; (e = readdir(dh));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            bt_strv_push(&names, e->d_name);
            n++;
        }
    closedir(dh);
    qsort(names, n, sizeof(*names), bt_strp_cmp);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = visit(d, dir, &dir_recorded, names[i], err);
    bt_strv_free(names);
    return rc;
}

int ctr_diff_compute(const char *upper, char *const *lowers, char *const *skip,
                     struct ctr_change **out, size_t *n, bt_err **err)
{
    struct diff d = {.upper = upper, .lowers = lowers, .skip = skip};
    if (walk(&d, "/", true, err) < 0) {
        ctr_changes_free(d.list, d.n);
        return -1;
    }
    *out = d.list;
    *n = d.n;
    return 0;
}

void ctr_changes_free(struct ctr_change *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i].path);
    free(list);
}

/* The lower directories of the mount's data ("...lowerdir=l/A:l/B,...", relative to its
 * dir), absolute, top first. */
static char **lower_dirs(const struct image_mount *mnt)
{
    char **out = bt_xzalloc(sizeof(char *));
    const char *p = strstr(mnt->data, "lowerdir=");
    if (!p)
        return out;
    p += strlen("lowerdir=");
    while (*p && *p != ',') {
        size_t len = strcspn(p, ":,");
        bt_autofree char *rel = bt_xstrndup(p, len);
        bt_autofree char *abs =
                rel[0] == '/' ? bt_xstrdup(rel) : bt_xasprintf("%s/%s", mnt->dir, rel);
        bt_strv_push(&out, abs);
        p += len;
        p += *p == ':';
    }
    return out;
}

int ctr_changes(struct ctr_manager *m, struct ctr *c, struct ctr_change **out, size_t *n,
                bt_err **err)
{
    pthread_mutex_lock(&c->lock);
    bool gone = c->removed || c->status == CTR_REMOVING || c->status == CTR_DEAD;
    bt_autostrv char **skip = ctr_rootfs_mount_points(c->rec);
    pthread_mutex_unlock(&c->lock);
    if (gone)
        return bt_err_set(err, BT_E_CONFLICT, "container %s is being removed", c->id);
    bt_autoptr(image_mount) mnt = image_rw_layer_get(m->images, c->id, err);
    if (!mnt)
        return bt_err_wrap(err, "RWLayer of container %s", c->id);
    bt_autostrv char **lowers = lower_dirs(mnt);
    bt_autofree char *upper = bt_xasprintf("%s/rootfs/upper", c->dir);
    return ctr_diff_compute(upper, lowers, skip, out, n, err);
}
