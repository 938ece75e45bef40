/* SPDX-License-Identifier: Apache-2.0 */
/* The store's side of a push (image.h, "pull and push"): an image's config and blobs, held. */
#include <stdlib.h>
#include <string.h>

#include "guest/engine/image/image-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"

struct image_push *image_push_get(struct image_store *s, const char *name, bt_err **err)
{
    store_lock(s);
    struct image *img = store_resolve_locked(s, name, NULL, err);
    if (!img) {
        store_unlock(s);
        return NULL;
    }
    struct image_push *p = bt_xzalloc(sizeof(*p));
    p->s = s;
    p->id = bt_xstrdup(img->id);
    bt_autofree char *cfg_path = blob_path(s, img->id);
    bt_autostrbuf struct bt_strbuf cfg = BT_STRBUF_INIT;
    if (bt_file_read(cfg_path, &cfg, MAX_JSON_SIZE, err) < 0) {
        store_unlock(s);
        free(p->id);
        free(p);
        return NULL;
    }
    p->len = cfg.len;
    p->config = bt_strbuf_steal(&cfg);
    p->n = img->nlayers;
    p->layers = bt_xzalloc((p->n ? p->n : 1) * sizeof(*p->layers));
    p->top = bt_xstrdup(p->n ? img->chains[p->n - 1] : "");
    for (size_t i = 0; i < p->n; i++) {
        struct layer *l = layer_find_locked(s, img->chains[i]);
        struct image_push_layer *pl = &p->layers[i];
        snprintf(pl->diff_id, sizeof(pl->diff_id), "%s", img->diff_ids[i]);
        if (!l)
            continue; /* cannot be: an image holds its layers */
        pl->blob = blob_path(s, l->blob);
        pl->blob_digest = bt_xstrdup(l->blob);
        pl->media_type = bt_xstrdup(l->media_type ? l->media_type : MEDIA_LAYER_TAR);
        pl->blob_size = -1;
    }
    if (p->top[0])
        layer_hold_locked(s, p->top);
    store_unlock(s);
    return p;
}

void image_push_free(struct image_push *p)
{
    if (!p)
        return;
    if (p->top && p->top[0]) {
        struct removed r = {0};
        store_lock(p->s);
        layer_release_locked(p->s, p->top, &r);
        store_unlock(p->s);
        store_reap(bt_steal_ptr(&r.doomed));
        removed_clear(&r);
    }
    for (size_t i = 0; i < p->n; i++) {
        free(p->layers[i].blob);
        free(p->layers[i].blob_digest);
        free(p->layers[i].media_type);
    }
    free(p->layers);
    free(p->top);
    free(p->config);
    free(p->id);
    free(p);
}

int image_repo_tags(struct image_store *s, const char *name, char ***tags, char ***ids,
                    bt_err **err)
{
    bt_autoptr(bt_ref) r = bt_ref_parse(name, err);
    if (!r)
        return -1;
    bt_autofree char *want = bt_ref_name(r);
    *tags = bt_xzalloc(sizeof(char *));
    *ids = bt_xzalloc(sizeof(char *));
    store_lock(s);
    bt_autofree struct ref **sorted = bt_xzalloc((s->nrefs + 1) * sizeof(*sorted));
    size_t n = 0;
    for (size_t i = 0; i < s->nrefs; i++)
        if (!s->refs[i]->digest && strcmp(s->refs[i]->name, want) == 0)
            sorted[n++] = s->refs[i];
    for (size_t i = 0; i < n; i++) {
        /* sorted by key: few tags, a simple insertion */
        for (size_t j = i; j > 0 && strcmp(sorted[j - 1]->key, sorted[j]->key) > 0; j--) {
            struct ref *t = sorted[j - 1];
            sorted[j - 1] = sorted[j];
            sorted[j] = t;
        }
    }
    for (size_t i = 0; i < n; i++) {
        bt_strv_push(tags, sorted[i]->key);
        bt_strv_push(ids, sorted[i]->id);
    }
    store_unlock(s);
    return 0;
}
