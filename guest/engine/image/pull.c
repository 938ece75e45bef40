/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store's side of a pull (image.h, "pull"): the registry module downloads and verifies the
 * blobs; the store unpacks the layers it lacks, checks each diff ID against the config, and
 * only then puts layers, image and references in, as a load does: a bad layer stores nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "guest/engine/image/image-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

struct pull_layer {
    char chain[BT_DIGEST_STR_SIZE];
    char parent[BT_DIGEST_STR_SIZE];
    struct staged_layer st;
    bool held;   /* present, or committed: this pull holds it */
    bool staged; /* unpacked and checked, not yet committed */
};

struct image_pull {
    struct image_store *s;
    pthread_mutex_t mu; /* layers are added from several threads */
    char *config;
    size_t len;
    char id[BT_DIGEST_STR_SIZE];
    char **diff_ids;
    size_t n;
    struct pull_layer *layers;
};

struct image_pull *image_pull_begin(struct image_store *s, const char *config, size_t len,
                                    size_t nlayers, bt_err **err)
{
    bt_autoptr(json_t) doc = bt_json_parse_object(config, len, err);
    if (!doc)
        return NULL;
    char **diff_ids = NULL;
    int64_t created = 0;
    if (image_parse_config(doc, &diff_ids, &created, err) < 0)
        return NULL;
    size_t n = bt_strv_len(diff_ids);
    if (n != nlayers) {
        bt_strv_free(diff_ids);
        bt_err_set(err, BT_E_CORRUPT,
                   "the image's config has %zu layers and its manifest %zu: they must agree", n,
                   nlayers);
        return NULL;
    }
    struct image_pull *p = bt_xzalloc(sizeof(*p));
    pthread_mutex_init(&p->mu, NULL);
    p->s = s;
    p->config = bt_xmalloc(len + 1);
    memcpy(p->config, config, len);
    p->config[len] = '\0';
    p->len = len;
    bt_sha256_digest(config, len, p->id);
    p->diff_ids = diff_ids;
    p->n = n;
    p->layers = bt_xzalloc((n ? n : 1) * sizeof(*p->layers));
    bt_autostrv char **chains = layer_chain_ids(diff_ids);
    store_lock(s);
    for (size_t i = 0; i < n; i++) {
        struct pull_layer *l = &p->layers[i];
        snprintf(l->chain, sizeof(l->chain), "%s", chains[i]);
        snprintf(l->parent, sizeof(l->parent), "%s", i ? chains[i - 1] : "");
        l->held = layer_find_locked(s, l->chain) != NULL;
        if (l->held)
            layer_hold_locked(s, l->chain);
    }
    store_unlock(s);
    return p;
}

const char *image_pull_id(const struct image_pull *p)
{
    return p->id;
}

bool image_pull_layer_present(const struct image_pull *p, size_t i)
{
    return i < p->n && p->layers[i].held;
}

int image_pull_add_layer(struct image_pull *p, size_t i, const char *path, const char *media_type,
                         bt_err **err)
{
    if (i >= p->n)
        return bt_err_set(err, BT_E_INTERNAL, "pull: no layer %zu", i);
    struct staged_layer st;
    if (layer_stage(p->s, path, media_type, &st, err) < 0) {
        staged_layer_clear(&st);
        return bt_err_wrap(err, "failed to register layer");
    }
    if (strcmp(st.diff_id, p->diff_ids[i]) != 0) {
        bt_err_set(err, BT_E_CORRUPT,
                   "failed to register layer: invalid diffID for layer %zu: expected \"%s\", got "
                   "\"%s\"",
                   i, p->diff_ids[i], st.diff_id);
        staged_layer_clear(&st);
        return -1;
    }
    pthread_mutex_lock(&p->mu);
    struct pull_layer *l = &p->layers[i];
    if (l->held || l->staged) {
        pthread_mutex_unlock(&p->mu);
        staged_layer_clear(&st);
        return 0;
    }
    l->st = st;
    l->staged = true;
    pthread_mutex_unlock(&p->mu);
    return 0;
}

char *image_pull_commit(struct image_pull *p, const char *tag, const char *digest_ref,
                        bool *updated, bt_err **err)
{
    bt_autoptr(bt_ref) tref = NULL;
    bt_autoptr(bt_ref) dref = NULL;
    if (tag && !(tref = bt_ref_parse(tag, err)))
        return NULL;
    if (digest_ref && !(dref = bt_ref_parse(digest_ref, err)))
        return NULL;
    if (updated)
        *updated = false;
    char *id = NULL;
    store_lock(p->s);
    for (size_t i = 0; i < p->n; i++) {
        struct pull_layer *l = &p->layers[i];
        if (l->held)
            continue;
        if (!l->staged) {
            bt_err_set(err, BT_E_INTERNAL, "pull: layer %zu was neither present nor added", i);
            goto out;
        }
        if (!layer_commit_locked(p->s, l->parent, &l->st, err))
            goto out;
        l->held = true;
        l->staged = false;
    }
    bool existed = store_find_image_locked(p->s, p->id) != NULL;
    struct image *img = store_create_image_locked(p->s, p->config, p->len, err);
    if (!img)
        goto out;
    char old[BT_DIGEST_STR_SIZE] = "";
    bool retag = true;
    if (tref) {
        bt_autofree char *key = refs_key(tref);
        struct ref *cur = refs_get_locked(p->s, key);
        retag = !cur || strcmp(cur->id, img->id) != 0;
        if (retag && (refs_add_locked(p->s, tref, img->id, old, err) < 0 ||
                      refs_touch_image_locked(p->s, img, err) < 0))
            goto out;
    }
    if (dref && refs_add_locked(p->s, dref, img->id, NULL, err) < 0)
        goto out;
    if (updated)
        *updated = !existed || (tref && retag);
    id = bt_xstrdup(img->id);
out:
    store_unlock(p->s);
    return id;
}

void image_pull_free(struct image_pull *p)
{
    if (!p)
        return;
    struct removed r = {0};
    store_lock(p->s);
    for (size_t i = 0; i < p->n; i++)
        if (p->layers[i].held)
            layer_release_locked(p->s, p->layers[i].chain, &r);
    store_unlock(p->s);
    for (size_t i = 0; i < p->n; i++)
        staged_layer_clear(&p->layers[i].st);
    store_reap(bt_steal_ptr(&r.doomed));
    removed_clear(&r);
    pthread_mutex_destroy(&p->mu);
    bt_strv_free(p->diff_ids);
    free(p->layers);
    free(p->config);
    free(p);
}
