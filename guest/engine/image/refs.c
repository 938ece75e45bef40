/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tags and digest references (dockerd's refstore): repositories.json maps each normalised
 * repository name to its references and their image IDs:
 *
 *   {"Repositories":{"docker.io/library/busybox":
 *       {"docker.io/library/busybox:latest":"sha256:..."}}}
 *
 * dockerd keys the file by familiar names; Berth keeps the normalised forms, which are
 * unambiguous, and derives the familiar ones when it shows them.
 */
#include <stdlib.h>
#include <string.h>

#include "guest/engine/image/image-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/log.h"
#include "shared/json/json.h"

void ref_free(struct ref *r)
{
    if (!r)
        return;
    free(r->key);
    free(r->name);
    free(r->familiar);
    free(r);
}

char *refs_key(const struct bt_ref *r)
{
    bt_autofree char *name = bt_ref_name(r);
    if (r->digest)
        return bt_xasprintf("%s@%s", name, r->digest);
    return bt_xasprintf("%s:%s", name, r->tag ? r->tag : "latest");
}

static struct ref *ref_new(const struct bt_ref *parsed, const char *id)
{
    struct bt_ref copy = *parsed;
    if (copy.digest)
        copy.tag = NULL; /* favorDigest: a reference with both is stored by its digest */
    else if (!copy.tag)
        copy.tag = "latest";
    struct ref *r = bt_xzalloc(sizeof(*r));
    r->key = refs_key(&copy);
    r->name = bt_ref_name(&copy);
    r->familiar = bt_ref_familiar_string(&copy);
    r->digest = copy.digest != NULL;
    snprintf(r->id, sizeof(r->id), "%s", id);
    return r;
}

/* httputils.RepoTagReference: repo[:tag], "latest" by default; NULL ref when no repo. */
int refs_repo_tag(const char *repo, const char *tag, struct bt_ref **out, bt_err **err)
{
    *out = NULL;
    if (!repo || !*repo)
        return 0;
    bt_autoptr(bt_ref) r = bt_ref_parse(repo, err);
    if (!r)
        return -1;
    if (r->digest)
        return bt_err_set(err, BT_E_INVALID, "cannot import digest reference");
    /* refused by the tag store too, but checked before anything is made */
    bt_autofree char *familiar = bt_ref_familiar_name(r);
    if (strcmp(familiar, "sha256") == 0)
        return bt_err_set(err, BT_E_INVALID,
                          "refusing to create an ambiguous tag using digest algorithm as name");
    if (tag && *tag && bt_ref_set_tag(r, tag, err) < 0)
        return -1;
    if (!r->tag)
        bt_ref_set_tag(r, "latest", NULL);
    *out = bt_steal_ptr(&r);
    return 0;
}

struct ref *refs_get_locked(struct image_store *s, const char *key)
{
    for (size_t i = 0; i < s->nrefs; i++)
        if (strcmp(s->refs[i]->key, key) == 0)
            return s->refs[i];
    return NULL;
}

int refs_load_locked(struct image_store *s, bt_err **err)
{
    bt_autofree char *path = store_path(s, "repositories.json");
    bt_autoerr bt_err *e = NULL;
    bt_autoptr(json_t) doc = bt_json_load_file(path, &e);
    if (!doc) {
        if (bt_err_is(e, BT_E_NOT_FOUND))
            return 0;
        bt_err_move(err, &e);
        return -1;
    }
    bool dropped = false;
    const char *name;
    json_t *repo;
    json_object_foreach (bt_json_get_obj(doc, "Repositories"), name, repo) {
        const char *key;
        json_t *id;
        json_object_foreach (repo, key, id) {
            bt_autoptr(bt_ref) parsed = bt_ref_parse(key, NULL);
            const char *idstr = json_string_value(id);
            if (!parsed || !idstr || !store_find_image_locked(s, idstr)) {
                bt_warn("image store: dropping reference %s (no such image)", key);
                dropped = true;
                continue;
            }
            s->refs = bt_xreallocarray(s->refs, s->nrefs + 1, sizeof(*s->refs));
            s->refs[s->nrefs++] = ref_new(parsed, idstr);
        }
    }
    return dropped ? refs_save_locked(s, err) : 0;
}

int refs_save_locked(struct image_store *s, bt_err **err)
{
    bt_autoptr(json_t) repos = json_object();
    for (size_t i = 0; i < s->nrefs; i++) {
        json_t *repo = json_object_get(repos, s->refs[i]->name);
        if (!repo) {
            repo = json_object();
            json_object_set_new(repos, s->refs[i]->name, repo);
        }
        bt_json_set_str(repo, s->refs[i]->key, s->refs[i]->id);
    }
    bt_autoptr(json_t) doc = json_object();
    json_object_set(doc, "Repositories", repos);
    bt_autofree char *path = store_path(s, "repositories.json");
    return bt_json_save_file(path, doc, 0600, err);
}

int refs_add_locked(struct image_store *s, const struct bt_ref *r, const char *id,
                    char old_id[BT_DIGEST_STR_SIZE], bt_err **err)
{
    if (old_id)
        old_id[0] = '\0';
    bt_autofree char *familiar = bt_ref_familiar_name(r);
    if (strcmp(familiar, "sha256") == 0)
        return bt_err_set(err, BT_E_INVALID,
                          "refusing to create an ambiguous tag using digest algorithm as name");
    struct ref *fresh = ref_new(r, id);
    struct ref *cur = refs_get_locked(s, fresh->key);
    if (cur && strcmp(cur->id, id) == 0) {
        ref_free(fresh);
        return 0;
    }
    if (cur && cur->digest) {
        bt_err_set(err, BT_E_CONFLICT, "cannot overwrite digest %s", r->digest);
        ref_free(fresh);
        return -1;
    }
    if (cur) {
        if (old_id)
            snprintf(old_id, BT_DIGEST_STR_SIZE, "%s", cur->id);
        snprintf(cur->id, sizeof(cur->id), "%s", id);
        ref_free(fresh);
    } else {
        s->refs = bt_xreallocarray(s->refs, s->nrefs + 1, sizeof(*s->refs));
        s->refs[s->nrefs++] = fresh;
    }
    return refs_save_locked(s, err);
}

bool refs_delete_locked(struct image_store *s, const char *key, bt_err **err)
{
    for (size_t i = 0; i < s->nrefs; i++) {
        if (strcmp(s->refs[i]->key, key) != 0)
            continue;
        ref_free(s->refs[i]);
        memmove(&s->refs[i], &s->refs[i + 1], (s->nrefs - i - 1) * sizeof(*s->refs));
        s->nrefs--;
        refs_save_locked(s, err);
        return true;
    }
    return false;
}

static int cmp_refs(const void *a, const void *b)
{
    return strcmp((*(struct ref *const *)a)->key, (*(struct ref *const *)b)->key);
}

struct ref **refs_of_image_locked(struct image_store *s, const char *id, size_t *n)
{
    struct ref **out = bt_xzalloc((s->nrefs + 1) * sizeof(*out));
    *n = 0;
    for (size_t i = 0; i < s->nrefs; i++)
        if (strcmp(s->refs[i]->id, id) == 0)
            out[(*n)++] = s->refs[i];
    qsort(out, *n, sizeof(*out), cmp_refs);
    return out;
}

size_t refs_count_locked(struct image_store *s, const char *id)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nrefs; i++)
        n += strcmp(s->refs[i]->id, id) == 0;
    return n;
}

char **refs_familiar_locked(struct image_store *s, const char *id, bool digests)
{
    size_t n;
    bt_autofree struct ref **refs = refs_of_image_locked(s, id, &n);
    char **out = bt_xzalloc(sizeof(char *));
    for (size_t i = 0; i < n; i++)
        if (refs[i]->digest == digests)
            bt_strv_push(&out, refs[i]->familiar);
    return out;
}

int refs_touch_image_locked(struct image_store *s, struct image *img, bt_err **err)
{
    free(img->last_tag_time);
    img->last_tag_time = image_time_now_rfc3339();
    return store_save_image_record_locked(s, img, err);
}
