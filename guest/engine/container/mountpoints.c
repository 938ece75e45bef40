/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A container's mount points, decided once at create as dockerd's registerMountPoints does:
 *   1. the mounts of every --volumes-from container (read-only if it says :ro), later ones
 *      replacing earlier ones at the same destination;
 *   2. the container's own Binds, Mounts and Tmpfs, replacing those at the same destination;
 *   3. an anonymous volume for every Config.Volumes path (-v /data, the image's VOLUME) that
 *      nothing is mounted on yet.
 * Volumes are created (or found) on the way; a new, empty volume is then filled from the
 * image's content at its path. The list is stored in the record ("MountPoints").
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "guest/engine/container/container-internal.h"
#include "guest/engine/container/mounts.h"
#include "guest/engine/events/events.h"
#include "guest/engine/image/image.h"
#include "guest/engine/volume/volume.h"
#include "shared/archive/archive.h"
#include "shared/base/cleanup.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"
#include "shared/crypto/digest.h"
#include "shared/fs/resolve.h"
#include "shared/json/json.h"

#define ANONYMOUS_LABEL "com.docker.volume.anonymous"

int ctr_mount_points(const json_t *rec, struct ctr_mount **out, size_t *n, bt_err **err)
{
    return ctr_mount_points_of(json_object_get(rec, "MountPoints"),
                               bt_json_get_obj(rec, "HostConfig"), out, n, err);
}

int ctr_mount_points_of(const json_t *mps, const json_t *hc, struct ctr_mount **out, size_t *n,
                        bt_err **err)
{
    if (!json_is_array(mps)) /* a container made before mount points were stored */
        return ctr_mounts_of(hc, out, n, err);
    struct ctr_mount *list = bt_xzalloc((json_array_size(mps) + 1) * sizeof(*list));
    size_t count = 0;
    size_t i;
    json_t *j;
    json_array_foreach (mps, i, j) {
        if (ctr_mount_from_json(j, &list[count], err) < 0) {
            ctr_mounts_free(list, count);
            return -1;
        }
        count++;
    }
    *out = list;
    *n = count;
    return 0;
}

static ssize_t find_dest(const struct ctr_mount *list, size_t n, const char *dst)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].destination, dst) == 0)
            return (ssize_t)i;
    return -1;
}

/* Step 1: the mounts of the --volumes-from containers. */
static int volumes_from(struct ctr_manager *m, const json_t *hc, struct ctr_mount **list, size_t *n,
                        bt_err **err)
{
    size_t i;
    json_t *v;
    json_array_foreach (bt_json_get_arr(hc, "VolumesFrom"), i, v) {
        if (!json_is_string(v))
            return bt_err_set(err, BT_E_INVALID, "invalid HostConfig.VolumesFrom: want strings");
        bt_autofree char *name = NULL;
        bool ro = false;
        if (ctr_parse_volumes_from(json_string_value(v), &name, &ro, err) < 0)
            return -1;
        bt_autoerr bt_err *e = NULL;
        bt_autoptr(ctr) from = ctr_get(m, name, &e);
        if (!from) /* a 400, not a 404: the docker CLI would read a 404 as a missing image */
            return bt_err_set(err, BT_E_INVALID, "No such container: %s", name);
        pthread_mutex_lock(&from->lock);
        struct ctr_mount *theirs = NULL;
        size_t nt = 0;
        int rc = ctr_mount_points(from->rec, &theirs, &nt, err);
        pthread_mutex_unlock(&from->lock);
        if (rc < 0)
            return -1;
        for (size_t k = 0; k < nt; k++) {
            struct ctr_mount *t = &theirs[k];
            if (t->from_tmpfs || strcmp(t->type, "tmpfs") == 0)
                continue; /* a tmpfs belongs to its container alone */
            t->rw = t->rw && !ro;
            t->copy = false;
            t->anonymous = false; /* theirs: `rm -v` of this container leaves it */
            free(t->mode);
            t->mode = bt_xstrdup(""); /* dockerd keeps no mode for these */
            free(t->options);
            t->options = bt_xasprintf("rbind,%s%s", *t->propagation ? t->propagation : "rprivate",
                                      t->rw ? "" : ",ro");
            ssize_t at = find_dest(*list, *n, t->destination);
            if (at >= 0) {
                ctr_mount_clear(&(*list)[at]);
                (*list)[at] = *t;
                memset(t, 0, sizeof(*t));
            } else {
                ctr_mounts_push(list, n, t);
            }
        }
        ctr_mounts_free(theirs, nt);
    }
    return 0;
}

/* Create (or find) the volume a mount names; an anonymous one gets a random name. */
static int attach_volume(struct vol_store *vs, struct ctr_mount *mt, char ***made, bt_err **err)
{
    bt_autoptr(json_t) labels = mt->labels ? json_deep_copy(mt->labels) : json_object();
    if (!*mt->name) {
        free(mt->name);
        mt->name = bt_random_hex(32);
        bt_json_set_str(labels, ANONYMOUS_LABEL, "");
    }
    bool existed = vol_exists(vs, mt->name);
    bt_autoptr(json_t) v = vol_create(vs, mt->name, mt->driver, labels, mt->driver_opts, err);
    if (!v)
        return -1;
    if (!existed)
        bt_strv_push(made, mt->name);
    free(mt->source);
    mt->source = bt_xstrdup(bt_json_get_str(v, "Mountpoint", ""));
    free(mt->driver);
    mt->driver = bt_xstrdup(bt_json_get_str(v, "Driver", "local"));
    return 0;
}

int ctr_mount_points_make(struct ctr_manager *m, const json_t *cfg, const json_t *hc, json_t **out,
                          char ***made, bt_err **err)
{
    struct ctr_mount *list = NULL, *own = NULL;
    size_t n = 0, nown = 0;
    *made = bt_xzalloc(sizeof(char *));
    int rc = volumes_from(m, hc, &list, &n, err);
    if (rc == 0)
        rc = ctr_mounts_parse(hc, &own, &nown, err);
    for (size_t i = 0; rc == 0 && i < nown; i++) {
        ssize_t at = find_dest(list, n, own[i].destination);
        if (at >= 0) {
            ctr_mount_clear(&list[at]);
            memmove(&list[at], &list[at + 1], (n - (size_t)at - 1) * sizeof(*list));
            n--;
        }
        ctr_mounts_push(&list, &n, &own[i]);
    }
    ctr_mounts_free(own, nown);
    const char *path;
    json_t *v;
    json_object_foreach ((json_t *)bt_json_get_obj(cfg, "Volumes"), path, v) {
        if (rc < 0)
            break;
        bt_autofree char *dst = bt_path_clean(path);
        if (path[0] != '/' || strcmp(dst, "/") == 0) {
            rc = bt_err_set(err, BT_E_INVALID,
                            "invalid volume specification: '%s': invalid mount config for type "
                            "\"volume\": invalid mount path: '%s' mount path must be absolute",
                            path, path);
            if (path[0] == '/')
                rc = bt_err_set(err, BT_E_INVALID,
                                "invalid volume specification: '%s': invalid mount config for "
                                "type \"volume\": invalid specification: destination can't be "
                                "'/'",
                                path);
            break;
        }
        if (find_dest(list, n, dst) >= 0)
            continue;
        struct ctr_mount anon = {
                .type = "volume",
                .source = "",
                .destination = dst,
                .mode = "",
                .rw = true,
                .propagation = "",
                .options = "rbind,rprivate",
                .name = "",
                .driver = "local",
                .anonymous = true,
                .copy = true,
        };
        ctr_mounts_push(&list, &n, &anon);
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (strcmp(list[i].type, "volume") == 0 && !*list[i].source)
            rc = attach_volume(m->volumes, &list[i], made, err);
    if (rc == 0)
        rc = ctr_mounts_prepare(list, n, err);
    if (rc < 0) {
        ctr_mount_points_unmake(m, *made);
        ctr_mounts_free(list, n);
        return -1;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *j = ctr_mount_to_json(&list[i]);
        if (list[i].copy)
            bt_json_set_bool(j, "CopyData", true);
        json_array_append_new(arr, j);
    }
    ctr_mounts_free(list, n);
    *out = arr;
    return 0;
}

void ctr_mount_points_unmake(struct ctr_manager *m, char **made)
{
    for (size_t i = 0; made && made[i]; i++) {
        bt_autoerr bt_err *e = NULL;
        if (vol_remove(m->volumes, made[i], &e) < 0 && !bt_err_is(e, BT_E_NOT_FOUND))
            bt_warn("remove volume %s: %s", made[i], bt_err_msg(e));
    }
}

static bool dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return false;
    bool empty = true;
    for (struct dirent *e; empty && (e = readdir(d));)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    return empty;
}

/* Fill the new volumes from the image's content (rootfs mounted at merged). */
static int copy_up(struct vol_store *vs, const json_t *mps, const char *merged, bt_err **err)
{
    size_t i;
    json_t *j;
    json_array_foreach (mps, i, j) {
        if (!bt_json_get_bool(j, "CopyData", false))
            continue;
        const char *dst = bt_json_get_str(j, "Destination", "");
        const char *src = bt_json_get_str(j, "Source", "");
        bt_autofree char *at = bt_resolve_in_root(merged, dst, 0, err);
        if (!at)
            return -1;
        struct stat st;
        if (lstat(at, &st) < 0)
            continue; /* nothing in the image there */
        if (!S_ISDIR(st.st_mode))
            return bt_err_set(err, BT_E_INVALID,
                              "cannot mount volume over existing file, file exists %s", at);
        if (!dir_is_empty(src))
            continue; /* a volume with data keeps it */
        if (vol_has_mount(vs, bt_json_get_str(j, "Name", "")))
            continue; /* its content is what gets mounted there, not this directory */
        if (bt_tar_copy_tree(at, src, err) < 0)
            return bt_err_wrap(err, "copy the image's %s into volume %s", dst,
                               bt_json_get_str(j, "Name", ""));
    }
    return 0;
}

int ctr_mount_points_populate(struct ctr_manager *m, const json_t *mps,
                              const struct image_mount *mnt, bt_err **err)
{
    bool any = false;
    size_t i;
    json_t *j;
    json_array_foreach (mps, i, j)
        any |= bt_json_get_bool(j, "CopyData", false);
    if (!any)
        return 0;
    if (image_mount_overlay(mnt, mnt->merged, err) < 0)
        return -1;
    int rc = copy_up(m->volumes, mps, mnt->merged, err);
    if (umount2(mnt->merged, MNT_DETACH) < 0 && rc == 0)
        rc = bt_err_errno(err, errno, "unmount %s", mnt->merged);
    return rc;
}

void ctr_mounts_inspect(const json_t *rec, json_t **mounts, json_t **volumes)
{
    struct ctr_mount *list = NULL;
    size_t n = 0;
    if (ctr_mount_points(rec, &list, &n, NULL) < 0)
        n = 0;
    *mounts = ctr_mounts_view(list, n);
    *volumes = json_object();
    for (size_t i = 0; i < n; i++)
        if (!list[i].from_tmpfs && strcmp(list[i].type, "tmpfs") != 0)
            bt_json_set_str(*volumes, list[i].destination, list[i].source);
    ctr_mounts_free(list, n);
}

json_t *ctr_volume_users(struct ctr_manager *m)
{
    json_t *users = json_object();
    size_t count;
    struct ctr **all = ctr_list(m, &count);
    for (size_t i = 0; i < count; i++) {
        pthread_mutex_lock(&all[i]->lock);
        struct ctr_mount *list = NULL;
        size_t n = 0;
        if (!all[i]->removed && ctr_mount_points(all[i]->rec, &list, &n, NULL) == 0) {
            for (size_t k = 0; k < n; k++) {
                if (strcmp(list[k].type, "volume") != 0)
                    continue;
                json_t *ids = json_object_get(users, list[k].name);
                if (!ids) {
                    ids = json_array();
                    json_object_set_new(users, list[k].name, ids);
                }
                json_array_append_new(ids, json_string(all[i]->id));
            }
            ctr_mounts_free(list, n);
        }
        pthread_mutex_unlock(&all[i]->lock);
    }
    ctr_list_free(all, count);
    return users;
}

void ctr_mount_points_release(struct ctr_manager *m, const json_t *rec)
{
    struct ctr_mount *list = NULL;
    size_t n = 0;
    if (ctr_mount_points(rec, &list, &n, NULL) < 0)
        return;
    bt_autoptr(json_t) users = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i].type, "volume") != 0 || !list[i].anonymous)
            continue;
        if (!users)
            users = ctr_volume_users(m);
        if (json_array_size(json_object_get(users, list[i].name)) > 0) {
            bt_info("volume %s stays: another container uses it", list[i].name);
            continue;
        }
        bt_autoerr bt_err *e = NULL;
        if (vol_remove(m->volumes, list[i].name, &e) < 0 && !bt_err_is(e, BT_E_NOT_FOUND))
            bt_warn("remove volume %s: %s", list[i].name, bt_err_msg(e));
    }
    ctr_mounts_free(list, n);
}

int ctr_volumes_acquire(struct ctr *c, bt_err **err)
{
    struct ctr_mount *list = NULL;
    size_t n = 0;
    if (ctr_mount_points(c->rec, &list, &n, err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (strcmp(list[i].type, "volume") != 0)
            continue;
        rc = vol_mount(c->m->volumes, list[i].name, err);
        if (rc == 0)
            bt_strv_push(&c->volumes_in_use, list[i].name);
        if (rc == 0) /* dockerd's attributes of a volume mount */
            events_emit("volume", "mount", list[i].name,
                        (const char *const[]){"container", c->id, "destination",
                                              list[i].destination, "driver", "local", "propagation",
                                              list[i].propagation, "read/write",
                                              list[i].rw ? "true" : "false", NULL});
    }
    ctr_mounts_free(list, n);
    return rc;
}

void ctr_volumes_release(struct ctr *c)
{
    for (size_t i = 0; c->volumes_in_use && c->volumes_in_use[i]; i++) {
        vol_unmount(c->m->volumes, c->volumes_in_use[i]);
        events_emit("volume", "unmount", c->volumes_in_use[i],
                    (const char *const[]){"container", c->id, "driver", "local", NULL});
    }
    bt_strv_free(c->volumes_in_use);
    c->volumes_in_use = NULL;
}
