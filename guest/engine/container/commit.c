/* SPDX-License-Identifier: Apache-2.0 */
/* docker commit: a container's changes into an image (container.h). */
#include <stdlib.h>
#include <string.h>

#include "guest/engine/container/container-internal.h"
#include "guest/engine/container/mounts.h"
#include "guest/engine/container/oci.h"
#include "guest/engine/image/changes.h"
#include "guest/engine/image/image.h"
#include "shared/base/cleanup.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/json/json.h"

char **ctr_rootfs_mount_points(const json_t *rec)
{
    char **out = bt_xzalloc(sizeof(char *));
    for (size_t i = 0; oci_system_mounts[i]; i++)
        bt_strv_push(&out, oci_system_mounts[i]);
    for (size_t i = 0; oci_network_files[i]; i++)
        bt_strv_push(&out, oci_network_files[i]);
    struct ctr_mount *list = NULL;
    size_t n = 0;
    if (ctr_mount_points(rec, &list, &n, NULL) == 0) {
        for (size_t i = 0; i < n; i++)
            bt_strv_push(&out, list[i].destination);
        ctr_mounts_free(list, n);
    }
    return out;
}

/* Go's strings.Join(Cmd, " "): the history's created_by of a commit */
static char *join_cmd(const json_t *cmd)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, "");
    size_t i;
    json_t *v;
    json_array_foreach (cmd, i, v)
        bt_strbuf_appendf(&sb, "%s%s", i ? " " : "", json_is_string(v) ? json_string_value(v) : "");
    return bt_strbuf_steal(&sb);
}

/* c->lock held and the container busy */
static char *commit_build_step(struct ctr_manager *m, struct ctr *c,
                               const struct ctr_commit_opts *o, bt_err **err)
{
    bt_autostrv char **mps = ctr_rootfs_mount_points(c->rec);
    bt_autofree char *upper = bt_xasprintf("%s/rootfs/upper", c->dir);
    struct image_commit_opts io = {
            .base = bt_json_get_str(c->rec, "Image", ""),
            .upper_dir = upper,
            .mount_points = mps,
            .config = o->config,
            .container_config = o->container_config,
            .container_id = c->id,
            .author = o->author,
            .comment = o->comment,
            .created_by = o->created_by,
            .repo = o->repo,
            .tag = o->tag,
            /* stopped: its root file system is unmounted (the runtime mounted it in the
             * container's mount namespace, gone with it) */
            .consume_upper = o->consume && c->status == CTR_EXITED,
    };
    return image_commit(m->images, &io, err);
}

/* c->lock held and the container busy */
static char *commit_locked(struct ctr_manager *m, struct ctr *c, const struct ctr_commit_opts *o,
                           bt_err **err)
{
    if (c->removed || c->status == CTR_REMOVING || c->status == CTR_DEAD) {
        bt_err_set(err, BT_E_CONFLICT, "You cannot commit container %s which is being removed",
                   c->id);
        return NULL;
    }
    bt_autoptr(json_t) ctr_cfg = json_deep_copy(bt_json_get_obj(c->rec, "Config"));
    if (o->build_step)
        return commit_build_step(m, c, o, err);
    bt_autoptr(json_t) base =
            o->config && json_is_object(o->config) ? json_deep_copy(o->config) : json_object();
    bt_autoptr(json_t) cfg = image_changes_apply(base, o->changes, err);
    if (!cfg)
        return NULL;
    ctr_merge_config(cfg, ctr_cfg);
    bt_autostrv char **mps = ctr_rootfs_mount_points(c->rec);
    bt_autofree char *upper = bt_xasprintf("%s/rootfs/upper", c->dir);
    bt_autofree char *created_by = join_cmd(bt_json_get_arr(ctr_cfg, "Cmd"));
    struct image_commit_opts io = {
            .base = bt_json_get_str(c->rec, "Image", ""),
            .upper_dir = upper,
            .mount_points = mps,
            .config = cfg,
            .container_config = ctr_cfg,
            .container_id = c->id,
            .author = o->author,
            .comment = o->comment,
            .created_by = created_by,
            .repo = o->repo,
            .tag = o->tag,
    };
    return image_commit(m->images, &io, err);
}

char *ctr_commit(struct ctr_manager *m, struct ctr *c, const struct ctr_commit_opts *o,
                 bt_err **err)
{
    bool paused_here = false;
    if (o->pause) {
        /* freeze first (pause takes the container itself); a container that is not running,
         * or a cgroup without a freezer, commits as it is */
        bt_autoerr bt_err *e = NULL;
        pthread_mutex_lock(&c->lock);
        bool running = c->status == CTR_RUNNING;
        pthread_mutex_unlock(&c->lock);
        paused_here = running && ctr_pause(m, c, &e) == 0;
    }
    pthread_mutex_lock(&c->lock);
    ctr_acquire(c);
    char *id = commit_locked(m, c, o, err);
    ctr_release(c);
    pthread_mutex_unlock(&c->lock);
    if (paused_here) {
        bt_autoerr bt_err *e = NULL;
        if (ctr_unpause(m, c, &e) < 0)
            bt_warn("commit of %s: unpause: %s", c->id, bt_err_msg(e));
    }
    return id;
}
