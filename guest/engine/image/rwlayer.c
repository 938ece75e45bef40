/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Containers' read-write layers: an overlay of the image's layers (lowerdirs) under the
 * container's upper/ and work/, mounted at merged/. The store records each in
 * mounts/<key>.json so the image's layers outlive a forced rmi of the image while a container
 * still stands on them (dockerd keeps the same in layerdb/mounts/).
 *
 * Why the lowerdirs are short and relative: mount(2) takes its options in one page (4096
 * bytes). "lowerdir=/var/lib/berth/image/layers/<64 hex>/diff:..." fits about 40 layers;
 * "l/<26 chars>" entries fit 128, if the mount is made from the store's root as working
 * directory, which is what image_mount_overlay() does (as dockerd's overlay2 driver does with
 * its l/ links and its mountfrom helper).
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/engine/image/image-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/path.h"
#include "shared/base/log.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

void mount_rec_free(struct mount_rec *m)
{
    if (!m)
        return;
    free(m->key);
    free(m->dir);
    free(m);
}

static void index_add_mount(struct image_store *s, struct mount_rec *m)
{
    s->mounts = bt_xreallocarray(s->mounts, s->nmounts + 1, sizeof(*s->mounts));
    s->mounts[s->nmounts++] = m;
    if (m->top[0])
        layer_hold_locked(s, m->top);
}

int mounts_load_locked(struct image_store *s, bt_err **err)
{
    bt_autofree char *dir = store_path(s, "mounts");
    DIR *d = opendir(dir);
    if (!d)
        return bt_err_errno(err, errno, "open \"%s\"", dir);
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n <= 5 || strcmp(de->d_name + n - 5, ".json") != 0 || de->d_name[0] == '.')
            continue;
        bt_autofree char *path = bt_xasprintf("%s/%s", dir, de->d_name);
        bt_autoerr bt_err *e = NULL;
        bt_autoptr(json_t) rec = bt_json_load_file(path, &e);
        const char *top = bt_json_get_str(rec, "layer", "");
        if (rec && top[0] && !layer_find_locked(s, top))
            bt_err_set(&e, BT_E_CORRUPT, "layer %s is missing", top);
        if (e) {
            bt_warn("image store: skipping read-write layer %s: %s", de->d_name, bt_err_msg(e));
            continue;
        }
        struct mount_rec *m = bt_xzalloc(sizeof(*m));
        m->key = bt_xstrndup(de->d_name, n - 5);
        m->dir = bt_xstrdup(bt_json_get_str(rec, "dir", ""));
        snprintf(m->image_id, sizeof(m->image_id), "%s", bt_json_get_str(rec, "image", ""));
        snprintf(m->top, sizeof(m->top), "%s", top);
        index_add_mount(s, m);
    }
    closedir(d);
    return 0;
}

static struct mount_rec *find_mount(struct image_store *s, const char *key)
{
    for (size_t i = 0; i < s->nmounts; i++)
        if (strcmp(s->mounts[i]->key, key) == 0)
            return s->mounts[i];
    return NULL;
}

void image_mount_free(struct image_mount *m)
{
    if (!m)
        return;
    free(m->data);
    free(m->dir);
    free(m->merged);
    free(m->image_id);
    free(m);
}

static struct image_mount *mount_of_locked(struct image_store *s, const struct mount_rec *rec,
                                           bt_err **err)
{
    /* an image without layers still needs a lowerdir: the store's empty directory */
    bt_autofree char *lowers = rec->top[0] ? layer_lowers_locked(s, rec->top) : bt_xstrdup("empty");
    bt_autofree char *data =
            bt_xasprintf("%slowerdir=%s,upperdir=%s/upper,workdir=%s/work",
                         s->index_off ? "index=off," : "", lowers, rec->dir, rec->dir);
    long page = sysconf(_SC_PAGESIZE);
    if (page > 0 && strlen(data) >= (size_t)page) {
        bt_err_set(err, BT_E_INVALID,
                   "mount options for %s are too long (%zu bytes): too many layers", rec->key,
                   strlen(data));
        return NULL;
    }
    struct image_mount *m = bt_xzalloc(sizeof(*m));
    m->data = bt_steal_ptr(&data);
    m->dir = bt_xstrdup(s->root);
    m->merged = bt_xasprintf("%s/merged", rec->dir);
    m->image_id = bt_xstrdup(rec->image_id);
    for (struct layer *l = layer_find_locked(s, rec->top); l; l = layer_find_locked(s, l->parent))
        m->size += l->size;
    return m;
}

static bool valid_key(const char *key)
{
    return key && *key && key[0] != '.' && !strchr(key, '/') && strlen(key) < 200;
}

static int make_dirs(const char *dir, bt_err **err)
{
    static const char *const subs[] = {"upper", "work", "merged"};
    if (bt_mkdir_p(dir, 0711, err) < 0)
        return -1;
    for (size_t i = 0; i < 3; i++) {
        bt_autofree char *p = bt_xasprintf("%s/%s", dir, subs[i]);
        if (mkdir(p, i == 0 ? 0755 : 0700) < 0 && errno != EEXIST)
            return bt_err_errno(err, errno, "mkdir \"%s\"", p);
    }
    return 0;
}

static int save_mount_locked(struct image_store *s, const struct mount_rec *m, bt_err **err)
{
    bt_autoptr(json_t) rec = json_object();
    bt_json_set_str(rec, "image", m->image_id);
    if (m->top[0])
        bt_json_set_str(rec, "layer", m->top);
    bt_json_set_str(rec, "dir", m->dir);
    bt_autofree char *path = store_path(s, "mounts/%s.json", m->key);
    return bt_json_save_file(path, rec, 0600, err);
}

struct image_mount *image_rw_layer_create(struct image_store *s, const char *key, const char *name,
                                          const char *dir, bt_err **err)
{
    if (!valid_key(key)) {
        bt_err_set(err, BT_E_INVALID, "invalid read-write layer name \"%s\"", key ? key : "");
        return NULL;
    }
    if (!dir || dir[0] != '/') {
        bt_err_set(err, BT_E_INVALID, "read-write layer directory must be absolute: \"%s\"",
                   dir ? dir : "");
        return NULL;
    }
    if (make_dirs(dir, err) < 0)
        return NULL;
    store_lock(s);
    struct image_mount *out = NULL;
    struct image *img = NULL;
    if (find_mount(s, key))
        bt_err_set(err, BT_E_CONFLICT, "read-write layer %s already exists", key);
    else
        img = store_resolve_locked(s, name, NULL, err);
    if (img) {
        struct mount_rec *m = bt_xzalloc(sizeof(*m));
        m->key = bt_xstrdup(key);
        m->dir = bt_path_clean(dir);
        snprintf(m->image_id, sizeof(m->image_id), "%s", img->id);
        if (img->nlayers)
            snprintf(m->top, sizeof(m->top), "%s", img->chains[img->nlayers - 1]);
        out = mount_of_locked(s, m, err);
        if (out && save_mount_locked(s, m, err) == 0) {
            index_add_mount(s, m);
        } else {
            image_mount_free(out);
            out = NULL;
            mount_rec_free(m);
        }
    }
    store_unlock(s);
    return out;
}

struct image_mount *image_rw_layer_get(struct image_store *s, const char *key, bt_err **err)
{
    store_lock(s);
    struct mount_rec *m = key ? find_mount(s, key) : NULL;
    struct image_mount *out = NULL;
    if (!m)
        bt_err_set(err, BT_E_NOT_FOUND, "no such read-write layer: %s", key ? key : "");
    else
        out = mount_of_locked(s, m, err);
    store_unlock(s);
    return out;
}

int image_rw_layer_remove(struct image_store *s, const char *key, bt_err **err)
{
    store_lock(s);
    struct mount_rec *m = key ? find_mount(s, key) : NULL;
    bt_autofree char *dir = m ? bt_xstrdup(m->dir) : NULL;
    store_unlock(s);
    if (!dir)
        return 0;
    /* bt_rm_rf refuses to cross into a mount: a merged/ still mounted fails here */
    static const char *const subs[] = {"merged", "upper", "work"};
    for (size_t i = 0; i < 3; i++) {
        bt_autofree char *p = bt_xasprintf("%s/%s", dir, subs[i]);
        if (bt_rm_rf(p, err) < 0)
            return bt_err_wrap(err, "remove read-write layer %s", key);
    }
    rmdir(dir);
    struct removed r = {0};
    int rc = 0;
    store_lock(s);
    m = find_mount(s, key);
    if (m) {
        bt_autofree char *path = store_path(s, "mounts/%s.json", key);
        if (unlink(path) < 0 && errno != ENOENT) {
            rc = bt_err_errno(err, errno, "remove \"%s\"", path);
        } else {
            for (size_t i = 0; i < s->nmounts; i++) {
                if (s->mounts[i] == m) {
                    memmove(&s->mounts[i], &s->mounts[i + 1],
                            (s->nmounts - i - 1) * sizeof(*s->mounts));
                    s->nmounts--;
                    break;
                }
            }
            if (m->top[0])
                layer_release_locked(s, m->top, &r);
            mount_rec_free(m);
        }
    }
    store_unlock(s);
    store_reap(bt_steal_ptr(&r.doomed));
    removed_clear(&r);
    return rc;
}

/* The mount runs on a thread of its own that first takes a private copy of the filesystem
 * context (unshare(CLONE_FS)): it can chdir to the store for the short relative lowerdirs while
 * berthd's other threads keep their working directory. A thread costs tens of microseconds
 * where fork() of the whole daemon cost most of a millisecond. */
struct mount_job {
    const struct image_mount *m;
    const char *target;
    int error;
};

static void *mount_thread(void *arg)
{
    struct mount_job *j = arg;
    if (unshare(CLONE_FS) < 0 || chdir(j->m->dir) < 0 ||
        mount("overlay", j->target, "overlay", 0, j->m->data) < 0)
        j->error = errno;
    return NULL;
}

int image_mount_overlay(const struct image_mount *m, const char *target, bt_err **err)
{
    struct mount_job j = {.m = m, .target = target};
    pthread_t t;
    int rc = pthread_create(&t, NULL, mount_thread, &j);
    if (rc != 0)
        return bt_err_errno(err, rc, "mount overlay on \"%s\": thread", target);
    pthread_join(t, NULL);
    if (j.error)
        return bt_err_errno(err, j.error, "mount overlay on \"%s\"", target);
    return 0;
}
