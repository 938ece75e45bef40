/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading the store: docker images (with dockerd's filters), docker image inspect and docker
 * history. The answers are copies: nothing returned points into the index.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guest/engine/image/image-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/strbuf.h"
#include "shared/base/strset.h"
#include "shared/json/json.h"

/* ---- filters: dockerd's filters.Args over key/value pairs ---- */

bool filters_has(const struct image_filter *f, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i].key, key) == 0)
            return true;
    return false;
}

int filters_validate(const struct image_filter *f, size_t n, const char *const *accepted,
                     bt_err **err)
{
    for (size_t i = 0; i < n; i++) {
        bool ok = false;
        for (size_t j = 0; accepted[j] && !ok; j++)
            ok = strcmp(f[i].key, accepted[j]) == 0;
        if (!ok)
            return bt_err_set(err, BT_E_INVALID, "invalid filter '%s'", f[i].key);
    }
    return 0;
}

int filters_get_bool(const struct image_filter *f, size_t n, const char *key, bool def, bool *out,
                     bt_err **err)
{
    bool present = false, is_true = false, is_false = false;
    bt_autostrbuf struct bt_strbuf values = BT_STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(f[i].key, key) != 0)
            continue;
        present = true;
        is_true |= !strcmp(f[i].value, "1") || !strcmp(f[i].value, "true");
        is_false |= !strcmp(f[i].value, "0") || !strcmp(f[i].value, "false");
        bt_strbuf_appendf(&values, "%s%s", values.len ? " " : "", f[i].value);
    }
    *out = def;
    if (!present)
        return 0;
    if (is_true == is_false)
        return bt_err_set(err, BT_E_INVALID, "invalid filter '%s=[%s]'", key,
                          bt_strbuf_str(&values));
    *out = is_true;
    return 0;
}

bool filters_match_labels(const struct image_filter *f, size_t n, const char *key,
                          const json_t *labels)
{
    if (!filters_has(f, n, key))
        return true;
    if (!json_is_object(labels) || json_object_size(labels) == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(f[i].key, key) != 0)
            continue;
        const char *eq = strchr(f[i].value, '=');
        bt_autofree char *k =
                eq ? bt_xstrndup(f[i].value, (size_t)(eq - f[i].value)) : bt_xstrdup(f[i].value);
        json_t *v = json_object_get(labels, k);
        if (!v)
            return false;
        if (eq && (!json_is_string(v) || strcmp(json_string_value(v), eq + 1) != 0))
            return false;
    }
    return true;
}

json_t *image_labels(const struct image *img)
{
    json_t *labels = bt_json_get_path(img->config, "config.Labels");
    return json_is_object(labels) ? labels : NULL;
}

/* ---- list ---- */

struct list_filters {
    bool dangling_only;
    bool has_before, has_since;
    int64_t before, since;
};

static int time_filters(struct image_store *s, const struct image_list_opts *o,
                        struct list_filters *lf, bt_err **err)
{
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < o->nfilters; i++) {
        const struct image_filter *f = &o->filters[i];
        int64_t t;
        if (strcmp(f->key, "before") == 0 || strcmp(f->key, "since") == 0) {
            struct image *img = store_resolve_locked(s, f->value, NULL, err);
            if (!img)
                return -1;
            t = img->created;
        } else if (strcmp(f->key, "until") == 0) {
            if (image_parse_timestamp(f->value, now, &t, err) < 0)
                return bt_err_wrap(err, "invalid value for 'until' filter");
        } else {
            continue;
        }
        /* several values AND together: the oldest "before", the newest "since" */
        if (strcmp(f->key, "since") == 0) {
            if (!lf->has_since || t > lf->since)
                lf->since = t;
            lf->has_since = true;
        } else {
            if (!lf->has_before || t < lf->before)
                lf->before = t;
            lf->has_before = true;
        }
    }
    return 0;
}

/* The reference filter matches the familiar and the full forms, with and without tag. */
static bool reference_matches(const struct image_list_opts *o, const struct ref *r)
{
    bt_autoptr(bt_ref) parsed = bt_ref_parse(r->key, NULL);
    bt_autofree char *fam_name = parsed ? bt_ref_familiar_name(parsed) : bt_xstrdup(r->name);
    const char *targets[] = {r->familiar, fam_name, r->key, r->name};
    for (size_t i = 0; i < o->nfilters; i++) {
        if (strcmp(o->filters[i].key, "reference") != 0)
            continue;
        for (size_t t = 0; t < 4; t++)
            if (fnmatch(o->filters[i].value, targets[t], FNM_PATHNAME) == 0)
                return true;
    }
    return false;
}

static int64_t count_users(const struct image_list_opts *o, const char *id)
{
    if (!o->users)
        return -1;
    int64_t n = 0;
    for (size_t i = 0; i < o->nusers; i++)
        if (o->users[i].image_id && strcmp(o->users[i].image_id, id) == 0)
            n++;
    return n;
}

/* The chains that more than one image has (each image's chains are distinct: a chain ID
 * names the whole stack below it). One pass over the store, for every image's SharedSize. */
static struct bt_strset *shared_chains_locked(struct image_store *s)
{
    bt_autoptr(bt_strset) once = bt_strset_new();
    struct bt_strset *multi = bt_strset_new();
    for (size_t k = 0; k < s->nimages; k++)
        for (size_t l = 0; l < s->images[k]->nlayers; l++)
            if (!bt_strset_add(once, s->images[k]->chains[l]))
                bt_strset_add(multi, s->images[k]->chains[l]);
    return multi;
}

/* dockerd's SharedSize: the bytes of img's layers that some other image has too. */
static int64_t shared_size_locked(struct image_store *s, const struct image *img,
                                  const struct bt_strset *multi)
{
    int64_t shared = 0;
    for (size_t i = 0; i < img->nlayers; i++) {
        struct layer *l =
                bt_strset_has(multi, img->chains[i]) ? layer_find_locked(s, img->chains[i]) : NULL;
        if (l)
            shared += l->size;
    }
    return shared;
}

int64_t image_layers_size(struct image_store *s)
{
    int64_t total = 0;
    store_lock(s);
    for (size_t i = 0; i < s->nlayers; i++)
        total += s->layers[i]->size;
    store_unlock(s);
    return total;
}

/* One image through the filters; false when it is not listed. */
static bool summarise(struct image_store *s, const struct image_list_opts *o,
                      const struct list_filters *lf, const struct bt_strset *multi,
                      struct image *img, struct image_summary *out)
{
    if (lf->has_before && !(img->created < lf->before))
        return false;
    if (lf->has_since && !(img->created > lf->since))
        return false;
    if (filters_has(o->filters, o->nfilters, "label") &&
        (!bt_json_get_obj(img->config, "config") ||
         !filters_match_labels(o->filters, o->nfilters, "label", image_labels(img))))
        return false;
    bool by_ref = filters_has(o->filters, o->nfilters, "reference");
    size_t n;
    bt_autofree struct ref **refs = refs_of_image_locked(s, img->id, &n);
    char **tags = bt_xzalloc(sizeof(char *));
    char **digests = bt_xzalloc(sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        if (by_ref && !reference_matches(o, refs[i]))
            continue;
        bt_strv_push(refs[i]->digest ? &digests : &tags, refs[i]->familiar);
    }
    bool keep = true;
    if (!tags[0] && !digests[0]) {
        if (o->all || !store_has_children_locked(s, img->id))
            keep = !(filters_has(o->filters, o->nfilters, "dangling") && !lf->dangling_only) &&
                   !by_ref;
        else
            keep = false;
    } else if (lf->dangling_only && tags[0]) {
        keep = false;
    }
    if (!keep) {
        bt_strv_free(tags);
        bt_strv_free(digests);
        return false;
    }
    *out = (struct image_summary){
            .id = bt_xstrdup(img->id),
            .parent_id = bt_xstrdup(img->parent),
            .repo_tags = tags,
            .repo_digests = digests,
            .created = img->created,
            .size = store_image_size_locked(s, img),
            .shared_size = multi ? shared_size_locked(s, img, multi) : -1,
            .containers = count_users(o, img->id),
            .labels = image_labels(img) ? json_deep_copy(image_labels(img)) : NULL,
    };
    return true;
}

static int newest_first(const void *a, const void *b)
{
    const struct image_summary *x = a, *y = b;
    if (x->created != y->created)
        return x->created < y->created ? 1 : -1;
    return strcmp(x->id, y->id);
}

struct image_list *image_list(struct image_store *s, const struct image_list_opts *opts,
                              bt_err **err)
{
    static const char *const accepted[] = {"dangling",  "label", "before", "since",
                                           "reference", "until", NULL};
    static const struct image_list_opts none = {0};
    const struct image_list_opts *o = opts ? opts : &none;
    struct list_filters lf = {0};
    if (filters_validate(o->filters, o->nfilters, accepted, err) < 0 ||
        filters_get_bool(o->filters, o->nfilters, "dangling", false, &lf.dangling_only, err) < 0)
        return NULL;
    store_lock(s);
    if (time_filters(s, o, &lf, err) < 0) {
        store_unlock(s);
        return NULL;
    }
    bt_autoptr(bt_strset) multi = o->shared_size ? shared_chains_locked(s) : NULL;
    struct image_list *l = bt_xzalloc(sizeof(*l));
    l->items = bt_xzalloc((s->nimages + 1) * sizeof(*l->items));
    for (size_t i = 0; i < s->nimages; i++) {
        struct image *img = s->images[i];
        if (lf.dangling_only && store_has_children_locked(s, img->id))
            continue;
        if (summarise(s, o, &lf, multi, img, &l->items[l->n]))
            l->n++;
    }
    store_unlock(s);
    qsort(l->items, l->n, sizeof(*l->items), newest_first);
    return l;
}

void image_list_free(struct image_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        struct image_summary *m = &l->items[i];
        free(m->id);
        free(m->parent_id);
        bt_strv_free(m->repo_tags);
        bt_strv_free(m->repo_digests);
        json_decref(m->labels);
    }
    free(l->items);
    free(l);
}

/* ---- inspect ---- */

static void graph_driver(struct image_store *s, const struct image *img, struct image_inspect *out)
{
    if (!img->nlayers)
        return;
    const char *top = img->chains[img->nlayers - 1];
    out->upper_dir = layer_diff_path(s, top);
    out->merged_dir = store_path(s, "layers/%s/merged", bt_digest_hex(top));
    out->work_dir = store_path(s, "layers/%s/work", bt_digest_hex(top));
    if (img->nlayers < 2)
        return;
    bt_autostrbuf struct bt_strbuf lower = BT_STRBUF_INIT;
    for (size_t i = img->nlayers - 1; i-- > 0;) {
        bt_autofree char *p = layer_diff_path(s, img->chains[i]);
        bt_strbuf_appendf(&lower, "%s%s", lower.len ? ":" : "", p);
    }
    out->lower_dir = bt_strbuf_steal(&lower);
}

struct image_inspect *image_inspect(struct image_store *s, const char *name, bt_err **err)
{
    store_lock(s);
    struct image *img = store_resolve_locked(s, name, NULL, err);
    if (!img) {
        store_unlock(s);
        return NULL;
    }
    struct image_inspect *out = bt_xzalloc(sizeof(*out));
    out->id = bt_xstrdup(img->id);
    out->parent_id = bt_xstrdup(img->parent);
    out->repo_tags = refs_familiar_locked(s, img->id, false);
    out->repo_digests = refs_familiar_locked(s, img->id, true);
    out->config = json_deep_copy(img->config);
    out->diff_ids = bt_strv_dup(img->diff_ids);
    out->size = store_image_size_locked(s, img);
    out->last_tag_time = bt_xstrdup_or_null(img->last_tag_time);
    graph_driver(s, img, out);
    store_unlock(s);
    return out;
}

void image_inspect_free(struct image_inspect *i)
{
    if (!i)
        return;
    free(i->id);
    free(i->parent_id);
    bt_strv_free(i->repo_tags);
    bt_strv_free(i->repo_digests);
    json_decref(i->config);
    bt_strv_free(i->diff_ids);
    free(i->last_tag_time);
    free(i->lower_dir);
    free(i->upper_dir);
    free(i->merged_dir);
    free(i->work_dir);
    free(i);
}

/* ---- history ---- */

static int history_items(struct image_store *s, struct image *img, struct image_history *h,
                         bt_err **err)
{
    json_t *hist = bt_json_get_arr(img->config, "history");
    size_t n = json_array_size(hist);
    h->items = bt_xzalloc((n + 1) * sizeof(*h->items));
    size_t layer = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(hist, i);
        int64_t size = 0;
        if (!bt_json_get_bool(e, "empty_layer", false)) {
            if (layer >= img->nlayers)
                return bt_err_set(err, BT_E_INVALID,
                                  "too many non-empty layers in History section");
            struct layer *l = layer_find_locked(s, img->chains[layer++]);
            size = l ? l->size : 0;
        }
        int64_t created = 0;
        const char *c = bt_json_get_str(e, "created", NULL);
        if (c)
            image_parse_rfc3339(c, &created, NULL);
        struct image_history_item *it = &h->items[i];
        it->id = bt_xstrdup("<missing>");
        it->created = created;
        it->created_by = bt_xstrdup(bt_json_get_str(e, "created_by", ""));
        it->comment = bt_xstrdup(bt_json_get_str(e, "comment", ""));
        it->size = size;
        it->tags = bt_xzalloc(sizeof(char *));
        h->n++;
    }
    /* newest first */
    for (size_t i = 0; i < n / 2; i++) {
        struct image_history_item t = h->items[i];
        h->items[i] = h->items[n - 1 - i];
        h->items[n - 1 - i] = t;
    }
    return 0;
}

struct image_history *image_history(struct image_store *s, const char *name, bt_err **err)
{
    store_lock(s);
    struct image *img = store_resolve_locked(s, name, NULL, err);
    struct image_history *h = img ? bt_xzalloc(sizeof(*h)) : NULL;
    if (h && history_items(s, img, h, err) < 0) {
        image_history_free(h);
        h = NULL;
    }
    /* the newest entries are the images of the parent chain, as far as it is known here */
    for (size_t i = 0; h && img && i < h->n; i++) {
        free(h->items[i].id);
        h->items[i].id = bt_xstrdup(img->id);
        bt_strv_free(h->items[i].tags);
        h->items[i].tags = refs_familiar_locked(s, img->id, false);
        img = img->parent[0] ? store_find_image_locked(s, img->parent) : NULL;
    }
    store_unlock(s);
    return h;
}

void image_history_free(struct image_history *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++) {
        free(h->items[i].id);
        free(h->items[i].created_by);
        free(h->items[i].comment);
        bt_strv_free(h->items[i].tags);
    }
    free(h->items);
    free(h);
}
