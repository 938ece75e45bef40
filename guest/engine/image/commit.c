/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker commit, and each step of a build: a container's read-write layer (its overlay upper
 * directory) becomes a layer on top of its image, with a config as dockerd's NewChildImage
 * writes it. A commit that changed no file adds no layer: its history entry says empty_layer.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "guest/engine/image/image-internal.h"
#include "shared/archive/archive.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/base/path.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

/* Whether a path of the upper directory is only a mount point the runtime made: an empty
 * directory or empty file at one of the container's mount destinations, which dockerd keeps in
 * its init layer and never commits. */
static bool is_mount_point(const char *rel, const struct stat *st, char *const *skip)
{
    for (size_t i = 0; skip && skip[i]; i++) {
        const char *d = skip[i][0] == '/' ? skip[i] + 1 : skip[i];
        if (strcmp(rel, d) != 0)
            continue;
        if (S_ISREG(st->st_mode) && st->st_size == 0)
            return true;
        if (S_ISDIR(st->st_mode))
            return true; /* its contents (if any) are the mount's, not the layer's */
    }
    return false;
}

struct walk {
    const char *upper;
    char *const *skip;
};

static bool is_mount_parent(const char *rel, char *const *skip)
{
    size_t n = strlen(rel);
    for (size_t i = 0; skip && skip[i]; i++) {
        const char *d = skip[i][0] == '/' ? skip[i] + 1 : skip[i];
        if (strncmp(d, rel, n) == 0 && d[n] == '/')
            return true;
    }
    return false;
}

/* Whether dir (relative; "" for the top) holds anything to commit: anything but mount points
 * and the directories above them that only hold those (made, or copied up, for them). */
static bool has_changes(const struct walk *w, const char *rel)
{
    bt_autofree char *path = *rel ? bt_xasprintf("%s/%s", w->upper, rel) : bt_xstrdup(w->upper);
    DIR *d = opendir(path);
    if (!d)
        return false;
    bool found = false;
    for (struct dirent *e; !found && (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        bt_autofree char *sub =
                *rel ? bt_xasprintf("%s/%s", rel, e->d_name) : bt_xstrdup(e->d_name);
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            is_mount_point(sub, &st, w->skip))
            continue;
        found = S_ISDIR(st.st_mode) && is_mount_parent(sub, w->skip) ? has_changes(w, sub) : true;
    }
    closedir(d);
    return found;
}

static int skip_mount_points(const struct bt_tar_entry *e, void *ctx, bt_err **err)
{
    (void)err;
    const struct walk *w = ctx;
    struct stat st = {.st_mode = e->type == BT_TAR_DIR ? S_IFDIR : S_IFREG, .st_size = e->size};
    if (e->type != BT_TAR_DIR && e->type != BT_TAR_FILE)
        return 0;
    return is_mount_point(e->name, &st, w->skip) ? 1 : 0;
}

/* Pack the upper directory into path as a layer tar (overlay whiteouts as OCI ones); digest and
 * size are those of the tar. */
static int pack_upper(const struct walk *w, const char *path, char *digest, int64_t *size,
                      bt_err **err)
{
    bt_autoclose int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return bt_err_errno(err, errno, "create %s", path);
    bt_autoptr(bt_tar_writer) tw = bt_tar_writer_new(fd, BT_TAR_PLAIN, err);
    if (!tw)
        return -1;
    struct bt_pack_opts po = {
            .overlay_whiteouts = true, .filter = skip_mount_points, .ctx = (void *)w, .mtime = -1};
    DIR *d = opendir(w->upper);
    if (!d)
        return bt_err_errno(err, errno, "open %s", w->upper);
    /* the entries of the top directory, not the directory itself: a layer has no "." */
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        names = bt_xreallocarray(names, n + 1, sizeof(*names));
        names[n++] = bt_xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), bt_strp_cmp);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        bt_autofree char *src = bt_xasprintf("%s/%s", w->upper, names[i]);
        if (rc == 0)
            rc = bt_tar_writer_add_tree(tw, src, names[i], &po, err);
        free(names[i]);
    }
    free(names);
    if (rc == 0)
        rc = bt_tar_writer_finish(tw, digest, size, err);
    return rc;
}

/* One entry of an upper directory made into what unpacking its tar gives: no overlayfs
 * bookkeeping but the opaque mark of directories (the tar's .wh..wh..opq), and the tar's times
 * (atime = mtime, whole seconds). */
static int adopt_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)type;
    char list[4096];
    ssize_t n = llistxattr(path, list, sizeof(list));
    if (n < 0 && errno != ENOTSUP)
        return -1;
    for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1) {
        const char *key = list + i;
        if (strncmp(key, "trusted.overlay.", 16) != 0)
            continue;
        if (S_ISDIR(st->st_mode) && strcmp(key, "trusted.overlay.opaque") == 0) {
            char v[2];
            if (lgetxattr(path, key, v, sizeof(v)) == 1 && v[0] == 'y')
                continue;
        }
        if (lremovexattr(path, key) < 0)
            return -1;
    }
    if (ftw->level == 0) /* the layer's top: as the store makes it */
        return chmod(path, 0755);
    struct timespec ts[2] = {{.tv_sec = st->st_mtime}, {.tv_sec = st->st_mtime}};
    return utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

/* Make the upper directory what unpacking the tar pack_upper() made of it would give, so that
 * it can be the layer's diff itself: the mount points the tar leaves out removed, then each
 * entry as adopt_entry() says. */
static int adopt_upper(const struct walk *w, bt_err **err)
{
    for (size_t i = 0; w->skip && w->skip[i]; i++) {
        const char *rel = w->skip[i][0] == '/' ? w->skip[i] + 1 : w->skip[i];
        if (!*rel)
            continue;
        bt_autofree char *p = bt_xasprintf("%s/%s", w->upper, rel);
        struct stat st, parent;
        if (lstat(p, &st) < 0 || !is_mount_point(rel, &st, w->skip))
            continue;
        /* the directory keeps the time the tar has for it */
        bt_autofree char *dir = bt_path_dirname(p);
        if (lstat(dir, &parent) < 0)
            return bt_err_errno(err, errno, "stat \"%s\"", dir);
        if (S_ISDIR(st.st_mode) ? bt_rm_rf(p, err) < 0 : unlink(p) < 0)
            return err && *err ? -1 : bt_err_errno(err, errno, "remove \"%s\"", p);
        struct timespec ts[2] = {parent.st_mtim, parent.st_mtim};
        if (utimensat(AT_FDCWD, dir, ts, AT_SYMLINK_NOFOLLOW) < 0)
            return bt_err_errno(err, errno, "set the times of \"%s\"", dir);
    }
    /* depth first: a directory's time is set after its entries are done */
    if (nftw(w->upper, adopt_entry, 16, FTW_PHYS | FTW_DEPTH) != 0)
        return bt_err_errno(err, errno, "adopt \"%s\" as a layer", w->upper);
    return 0;
}

/* Stage the layer packed at path from the upper directory: with consume, the directory itself
 * becomes the layer's diff (adopt_upper()); else, or when that cannot be done, the tar is
 * unpacked as any layer is. */
static int stage_upper(struct image_store *s, const struct walk *w, const char *path, bool consume,
                       struct staged_layer *st, bt_err **err)
{
    char digest[BT_DIGEST_STR_SIZE];
    int64_t size = 0;
    if (pack_upper(w, path, digest, &size, err) < 0)
        return -1;
    if (consume) {
        bt_autoerr bt_err *e = NULL;
        if (adopt_upper(w, &e) == 0 &&
            layer_stage_tree(s, path, digest, size, w->upper, st, &e) == 0)
            return 0;
        bt_warn("commit: unpacking the layer instead of adopting %s: %s", w->upper, bt_err_msg(e));
        staged_layer_clear(st);
    }
    return layer_stage(s, path, MEDIA_LAYER_TAR, st, err);
}

/* The child config dockerd's NewChildImage writes, keys in image.Image's (sorted) order. */
static char *child_config(const json_t *base, const struct image_commit_opts *o,
                          const char *diff_id)
{
    bt_autofree char *now = image_time_now_rfc3339();
    bool empty = diff_id == NULL;
    json_t *doc = json_object();
    bt_json_set_str(doc, "architecture", bt_json_get_str(base, "architecture", "amd64"));
    if (o->author && *o->author)
        bt_json_set_str(doc, "author", o->author);
    if (o->comment && *o->comment)
        bt_json_set_str(doc, "comment", o->comment);
    json_object_set_new(doc, "config", image_container_config_go(o->config));
    if (o->container_id && *o->container_id)
        bt_json_set_str(doc, "container", o->container_id);
    json_object_set_new(
            doc, "container_config",
            image_container_config_go(o->container_config ? o->container_config : o->config));
    bt_json_set_str(doc, "created", now);
    json_t *history = json_array();
    json_t *old = bt_json_get_arr(base, "history");
    if (old)
        json_array_extend(history, old);
    json_t *h = json_object();
    bt_json_set_str(h, "created", now);
    if (o->author && *o->author)
        bt_json_set_str(h, "author", o->author);
    bt_json_set_str(h, "created_by", o->created_by ? o->created_by : "");
    if (o->comment && *o->comment)
        bt_json_set_str(h, "comment", o->comment);
    if (empty)
        bt_json_set_bool(h, "empty_layer", true);
    json_array_append_new(history, h);
    json_object_set_new(doc, "history", history);
    bt_json_set_str(doc, "os", bt_json_get_str(base, "os", "linux"));
    json_t *diff_ids = json_array();
    json_t *old_ids = bt_json_get_arr(bt_json_get_obj(base, "rootfs"), "diff_ids");
    if (old_ids)
        json_array_extend(diff_ids, old_ids);
    if (!empty)
        json_array_append_new(diff_ids, json_string(diff_id));
    json_object_set_new(doc, "rootfs",
                        json_pack("{s:s, s:o}", "type", "layers", "diff_ids", diff_ids));
    const char *variant = bt_json_get_str(base, "variant", "");
    if (*variant)
        bt_json_set_str(doc, "variant", variant);
    char *text = image_json_go(doc);
    json_decref(doc);
    return text;
}

char *image_commit(struct image_store *s, const struct image_commit_opts *o, bt_err **err)
{
    bt_autoptr(bt_ref) ref = NULL;
    if (refs_repo_tag(o->repo, o->tag, &ref, err) < 0)
        return NULL;
    /* the base: its config and its top layer, held while we work */
    char top[BT_DIGEST_STR_SIZE] = "";
    char base_id[BT_DIGEST_STR_SIZE] = "";
    bt_autoptr(json_t) base = NULL;
    store_lock(s);
    if (o->base && *o->base) {
        struct image *img = store_find_image_locked(s, o->base);
        if (!img) {
            store_unlock(s);
            bt_err_set(err, BT_E_NOT_FOUND, "No such image: %s", o->base);
            return NULL;
        }
        base = json_deep_copy(img->config);
        snprintf(base_id, sizeof(base_id), "%s", img->id);
        if (img->nlayers) {
            snprintf(top, sizeof(top), "%s", img->chains[img->nlayers - 1]);
            layer_hold_locked(s, top);
        }
    }
    store_unlock(s);

    struct walk w = {.upper = o->upper_dir, .skip = o->mount_points};
    bool changed = o->upper_dir && has_changes(&w, "");
    char *dir = store_mkdtemp(s, "commit", err);
    struct staged_layer st = {0};
    struct removed r = {0};
    char *id = NULL;
    int rc = dir ? 0 : -1;
    bt_autofree char *path = dir ? bt_xasprintf("%s/layer.tar", dir) : NULL;
    if (rc == 0 && changed)
        rc = stage_upper(s, &w, path, o->consume_upper, &st, err);
    if (rc == 0) {
        bt_autofree char *config = child_config(base, o, changed ? st.diff_id : NULL);
        store_lock(s);
        struct layer *l = changed ? layer_commit_locked(s, top, &st, err) : NULL;
        struct image *img =
                !changed || l ? store_create_image_locked(s, config, strlen(config), err) : NULL;
        if (img && base_id[0] && !img->parent[0]) {
            snprintf(img->parent, sizeof(img->parent), "%s", base_id);
            if (store_save_image_record_locked(s, img, err) < 0)
                img = NULL;
        }
        if (img && ref &&
            (refs_add_locked(s, ref, img->id, NULL, err) < 0 ||
             refs_touch_image_locked(s, img, err) < 0))
            img = NULL;
        if (img)
            id = bt_xstrdup(img->id);
        if (l)
            layer_release_locked(s, l->chain, &r);
        store_unlock(s);
    }
    if (top[0]) {
        store_lock(s);
        layer_release_locked(s, top, &r);
        store_unlock(s);
    }
    staged_layer_clear(&st);
    if (dir)
        bt_strv_push(&r.doomed, dir);
    free(dir);
    store_reap(bt_steal_ptr(&r.doomed));
    removed_clear(&r);
    return id;
}

/* dockerd's local image cache (daemon/images/cache.go getLocalCachedImage): the children of
 * the parent (for FROM scratch: the images without parent) whose container_config equals the
 * step's, the most recently created winning. Both sides are compared in the Go shape the
 * commit stored, so a config that round-trips through a commit matches itself. */
char *image_cache_find(struct image_store *s, const char *parent, const json_t *container_config)
{
    bt_autoptr(json_t) want = image_container_config_go(container_config);
    const char *pid = parent ? parent : "";
    char *found = NULL;
    int64_t best = INT64_MIN;
    store_lock(s);
    for (size_t i = 0; i < s->nimages; i++) {
        const struct image *img = s->images[i];
        if (strcmp(img->parent, pid) != 0)
            continue;
        json_t *cc = json_object_get(img->config, "container_config");
        if (!cc || !json_equal(cc, want) || img->created < best)
            continue;
        best = img->created;
        free(found);
        found = bt_xstrdup(img->id);
    }
    store_unlock(s);
    return found;
}
