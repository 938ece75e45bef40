/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Names and removal: docker tag, untag, docker rmi and docker image prune, with the rules and
 * the messages of dockerd's daemon/images/image_delete.go (docs/internals/image.md explains
 * how rmi decides).
 *
 * Conflicts come in two strengths. Hard ones can't be forced: a child image, a running
 * container. Soft ones can: other references to the image, a stopped container.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guest/engine/image/image-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/log.h"
#include "shared/json/json.h"

void delete_result_add(struct image_delete_result *r, enum image_delete_kind kind, const char *what)
{
    r->items = bt_xreallocarray(r->items, r->n + 1, sizeof(*r->items));
    r->items[r->n++] = (struct image_delete_item){kind, bt_xstrdup(what)};
}

void image_delete_result_free(struct image_delete_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->items[i].what);
    free(r->items);
    free(r);
}

/* ---- tag, untag ---- */

int image_tag(struct image_store *s, const char *name, const char *repo, const char *tag,
              bt_err **err)
{
    bt_autoptr(bt_ref) ref = NULL;
    if (refs_repo_tag(repo ? repo : "", tag, &ref, err) < 0)
        return -1;
    if (!ref)
        return bt_err_set(err, BT_E_INVALID, "repository name must have at least one component");
    store_lock(s);
    struct image *img = store_resolve_locked(s, name, NULL, err);
    int rc = -1;
    if (img && refs_add_locked(s, ref, img->id, NULL, err) == 0)
        rc = refs_touch_image_locked(s, img, err);
    store_unlock(s);
    return rc;
}

int image_add_digest_ref(struct image_store *s, const char *name, const char *ref, bt_err **err)
{
    bt_autoptr(bt_ref) r = bt_ref_parse(ref, err);
    if (!r)
        return -1;
    if (!r->digest)
        return bt_err_set(err, BT_E_INVALID, "\"%s\" is not a digest reference", ref);
    store_lock(s);
    struct image *img = store_resolve_locked(s, name, NULL, err);
    int rc = img ? refs_add_locked(s, r, img->id, NULL, err) : -1;
    store_unlock(s);
    return rc;
}

int image_untag(struct image_store *s, const char *ref, bt_err **err)
{
    bt_autoptr(bt_ref) parsed = bt_ref_parse(ref, err);
    if (!parsed)
        return -1;
    bt_autofree char *key = refs_key(parsed);
    store_lock(s);
    bool found = refs_delete_locked(s, key, err);
    store_unlock(s);
    if (!found)
        return bt_err_set(err, BT_E_NOT_FOUND, "reference does not exist");
    return 0;
}

/* ---- rmi ---- */

enum conflict {
    CONFLICT_CHILD = 1 << 0,
    CONFLICT_RUNNING = 1 << 1,
    CONFLICT_REFERENCE = 1 << 2,
    CONFLICT_STOPPED = 1 << 3,
    CONFLICT_HARD = CONFLICT_CHILD | CONFLICT_RUNNING,
    CONFLICT_SOFT = CONFLICT_REFERENCE | CONFLICT_STOPPED,
};

/* The first container using id: running only (1), stopped only (0), either (-1). */
static const char *user_of(const struct delete_ctx *c, const char *id, int running)
{
    for (size_t i = 0; i < c->nusers; i++) {
        const struct image_user *u = &c->users[i];
        if (u->image_id && strcmp(u->image_id, id) == 0 &&
            (running < 0 || (running == 1) == u->running))
            return u->container_id;
    }
    return NULL;
}

/* checkImageDeleteConflict: 0 when none of the conflicts in mask applies; else the error is
 * set and *used tells whether a container is the reason. */
static int check_conflict(struct delete_ctx *c, const char *id, int mask, bool *used, bt_err **err)
{
    char sid[13], cid[13];
    short_id(id, sid);
    *used = false;
    const char *ctr;
    if ((mask & CONFLICT_CHILD) && store_has_children_locked(c->s, id))
        return bt_err_set(err, BT_E_CONFLICT,
                          "conflict: unable to delete %s (cannot be forced) - image has "
                          "dependent child images",
                          sid);
    if ((mask & CONFLICT_RUNNING) && (ctr = user_of(c, id, 1))) {
        *used = true;
        return bt_err_set(err, BT_E_CONFLICT,
                          "conflict: unable to delete %s (cannot be forced) - image is being "
                          "used by running container %s",
                          sid, short_id(ctr, cid));
    }
    if ((mask & CONFLICT_REFERENCE) && refs_count_locked(c->s, id) > 0)
        return bt_err_set(err, BT_E_CONFLICT,
                          "conflict: unable to delete %s (must be forced) - image is "
                          "referenced in multiple repositories",
                          sid);
    if ((mask & CONFLICT_STOPPED) && (ctr = user_of(c, id, 0))) {
        *used = true;
        return bt_err_set(err, BT_E_CONFLICT,
                          "conflict: unable to delete %s (must be forced) - image is being used "
                          "by stopped container %s",
                          sid, short_id(ctr, cid));
    }
    return 0;
}

/* isSingleReference: all references in one repository, at most one of them a tag */
static bool single_reference(struct ref **refs, size_t n)
{
    if (n <= 1)
        return n == 1;
    const struct ref *tag = NULL;
    const char *digest_repo = NULL;
    for (size_t i = 0; i < n; i++) {
        if (refs[i]->digest) {
            if (digest_repo && strcmp(digest_repo, refs[i]->name) != 0)
                return false;
            digest_repo = refs[i]->name;
        } else if (!tag) {
            tag = refs[i];
        } else {
            return false;
        }
    }
    const char *name = tag ? tag->name : refs[0]->name;
    return digest_repo && strcmp(digest_repo, name) == 0;
}

static void untag(struct delete_ctx *c, const struct ref *r, bt_err **err)
{
    bt_autofree char *familiar = bt_xstrdup(r->familiar);
    bt_autofree char *key = bt_xstrdup(r->key);
    refs_delete_locked(c->s, key, err);
    delete_result_add(c->res, IMAGE_UNTAGGED, familiar);
}

static bool dangling(struct delete_ctx *c, const char *id)
{
    return refs_count_locked(c->s, id) == 0 && !store_has_children_locked(c->s, id);
}

/* imageDeleteHelper */
static int delete_image(struct delete_ctx *c, const char *id, bool force, bool prune, bool quiet,
                        bt_err **err)
{
    bool used;
    bt_autoerr bt_err *conflict = NULL;
    if (check_conflict(c, id, CONFLICT_HARD | (force ? 0 : CONFLICT_SOFT), &used, &conflict) < 0) {
        /* quietly keep an image that still has a use, unless nothing else would show it */
        if (quiet && (!dangling(c, id) || used))
            return 0;
        bt_err_move(err, &conflict);
        return -1;
    }
    struct image *img = store_find_image_locked(c->s, id);
    char parent[BT_DIGEST_STR_SIZE];
    snprintf(parent, sizeof(parent), "%s", img->parent);
    size_t n;
    bt_autofree struct ref **refs = refs_of_image_locked(c->s, id, &n);
    for (size_t i = 0; i < n; i++)
        untag(c, refs[i], err);
    char deleted[BT_DIGEST_STR_SIZE];
    snprintf(deleted, sizeof(deleted), "%s", id);
    size_t before = bt_strv_len(c->removed.chains);
    if (store_delete_image_locked(c->s, img, &c->removed, err) < 0)
        return -1;
    delete_result_add(c->res, IMAGE_DELETED, deleted);
    for (size_t i = before; c->removed.chains && c->removed.chains[i]; i++)
        delete_result_add(c->res, IMAGE_DELETED, c->removed.chains[i]);
    if (!prune || !parent[0] || !store_find_image_locked(c->s, parent))
        return 0;
    return delete_image(c, parent, false, true, true, err);
}

static bool is_id_prefix(const char *id, const char *name)
{
    return strncmp(id, name, strlen(name)) == 0 ||
           strncmp(bt_digest_hex(id), name, strlen(name)) == 0;
}

/* A name was given: remove that reference; the image goes only with its last one. */
static int delete_by_ref(struct delete_ctx *c, const char *name, const char *id, bool force,
                         bool *done, bt_err **err)
{
    size_t n;
    bt_autofree struct ref **refs = refs_of_image_locked(c->s, id, &n);
    const char *ctr;
    if (!force && single_reference(refs, n) && (ctr = user_of(c, id, -1))) {
        char cid[13], sid[13];
        return bt_err_set(err, BT_E_CONFLICT,
                          "conflict: unable to remove repository reference \"%s\" (must force) "
                          "- container %s is using its referenced image %s",
                          name, short_id(ctr, cid), short_id(id, sid));
    }
    bt_autoptr(bt_ref) parsed = bt_ref_parse_docker(name, err);
    if (!parsed)
        return -1;
    bt_autofree char *key = refs_key(parsed);
    bt_autofree char *familiar = bt_ref_familiar_string(parsed);
    refs_delete_locked(c->s, key, err);
    delete_result_add(c->res, IMAGE_UNTAGGED, familiar);
    free(refs);
    refs = refs_of_image_locked(c->s, id, &n);
    if (!parsed->digest) {
        /* the last tag of a repository takes that repository's digests with it */
        bt_autofree char *rname = bt_ref_name(parsed);
        bool tag_left = false;
        for (size_t i = 0; i < n && !tag_left; i++)
            tag_left = !refs[i]->digest && strcmp(refs[i]->name, rname) == 0;
        for (size_t i = 0; i < n && !tag_left; i++)
            if (refs[i]->digest && strcmp(refs[i]->name, rname) == 0)
                untag(c, refs[i], err);
        free(refs);
        refs = refs_of_image_locked(c->s, id, &n);
    }
    *done = n > 0;
    return 0;
}

int delete_locked(struct delete_ctx *c, const char *name, bool force, bool prune, bt_err **err)
{
    struct image *img = store_resolve_locked(c->s, name, NULL, err);
    if (!img)
        return -1;
    char id[BT_DIGEST_STR_SIZE];
    snprintf(id, sizeof(id), "%s", img->id);
    bool removed_ref = false;
    if (!is_id_prefix(id, name)) {
        bool done = false;
        if (delete_by_ref(c, name, id, force, &done, err) < 0)
            return -1;
        if (done)
            return 0;
        removed_ref = true;
    } else {
        /* an ID with at most one tag (plus its digests) takes the references with it */
        size_t n;
        bt_autofree struct ref **refs = refs_of_image_locked(c->s, id, &n);
        if (single_reference(refs, n)) {
            bool used;
            int mask = CONFLICT_HARD | (force ? 0 : CONFLICT_STOPPED);
            if (check_conflict(c, id, mask, &used, err) < 0)
                return -1;
            for (size_t i = 0; i < n; i++)
                untag(c, refs[i], err);
        }
    }
    return delete_image(c, id, force, prune, removed_ref, err);
}

struct image_delete_result *image_delete(struct image_store *s, const char *name,
                                         const struct image_delete_opts *opts, bt_err **err)
{
    static const struct image_delete_opts none = {0};
    opts = opts ? opts : &none;
    if (!name || !*name) {
        bt_err_set(err, BT_E_INVALID, "image name cannot be blank");
        return NULL;
    }
    struct delete_ctx c = {.s = s, .users = opts->users, .nusers = opts->nusers};
    c.res = bt_xzalloc(sizeof(*c.res));
    store_lock(s);
    int rc = delete_locked(&c, name, opts->force, !opts->noprune, err);
    store_unlock(s);
    store_reap(bt_steal_ptr(&c.removed.doomed));
    removed_clear(&c.removed);
    if (rc < 0) {
        image_delete_result_free(c.res);
        return NULL;
    }
    return c.res;
}

/* ---- prune ---- */

static int prune_until(const struct image_prune_opts *o, bool *set, int64_t *until, bt_err **err)
{
    *set = false;
    for (size_t i = 0; i < o->nfilters; i++) {
        if (strcmp(o->filters[i].key, "until") != 0)
            continue;
        if (*set)
            return bt_err_set(err, BT_E_INVALID, "more than one until filter specified");
        if (image_parse_timestamp(o->filters[i].value, (int64_t)time(NULL), until, err) < 0)
            return bt_err_wrap(err, "invalid value for 'until' filter");
        *set = true;
    }
    return 0;
}

static bool prune_candidate(struct image_store *s, const struct image_prune_opts *o,
                            struct image *img, bool until_set, int64_t until)
{
    if (refs_count_locked(s, img->id) == 0 && store_has_children_locked(s, img->id))
        return false; /* an intermediate image: its child takes care of it */
    if (until_set && img->created > until)
        return false;
    if (bt_json_get_obj(img->config, "config")) {
        json_t *labels = image_labels(img);
        if (!filters_match_labels(o->filters, o->nfilters, "label", labels))
            return false;
        if (filters_has(o->filters, o->nfilters, "label!") &&
            filters_match_labels(o->filters, o->nfilters, "label!", labels))
            return false;
    }
    return true;
}

/* Delete one candidate as dockerd's ImagePrune does: by each of its references, or by ID. */
static void prune_one(struct delete_ctx *c, const char *id, bool dangling_only)
{
    size_t n;
    bt_autofree struct ref **refs = refs_of_image_locked(c->s, id, &n);
    bt_autostrv char **names = bt_xzalloc(sizeof(char *));
    bool has_tag = false;
    for (size_t i = 0; i < n; i++) {
        has_tag |= !refs[i]->digest;
        bt_strv_push(&names, refs[i]->key);
    }
    if (n == 0)
        bt_strv_push(&names, bt_digest_hex(id));
    else if (dangling_only && has_tag)
        return;
    for (size_t i = 0; names[i]; i++) {
        bt_autoerr bt_err *e = NULL;
        size_t mark = c->res->n;
        if (delete_locked(c, names[i], false, true, &e) < 0) {
            if (!bt_err_is(e, BT_E_CONFLICT) && !bt_err_is(e, BT_E_NOT_FOUND))
                bt_warn("failed to prune image %s: %s", names[i], bt_err_msg(e));
            /* a failed delete reports nothing */
            for (size_t j = mark; j < c->res->n; j++)
                free(c->res->items[j].what);
            c->res->n = mark;
        }
    }
}

struct image_delete_result *image_prune(struct image_store *s, const struct image_prune_opts *opts,
                                        bt_err **err)
{
    static const char *const accepted[] = {"dangling", "label", "label!", "until", NULL};
    static const struct image_prune_opts none = {0};
    const struct image_prune_opts *o = opts ? opts : &none;
    bool dangling_only, until_set;
    int64_t until = 0;
    if (filters_validate(o->filters, o->nfilters, accepted, err) < 0 ||
        filters_get_bool(o->filters, o->nfilters, "dangling", true, &dangling_only, err) < 0 ||
        prune_until(o, &until_set, &until, err) < 0)
        return NULL;
    struct delete_ctx c = {.s = s, .users = o->users, .nusers = o->nusers};
    c.res = bt_xzalloc(sizeof(*c.res));
    store_lock(s);
    bt_autostrv char **ids = bt_xzalloc(sizeof(char *));
    for (size_t i = 0; i < s->nimages; i++) {
        struct image *img = s->images[i];
        if (dangling_only && store_has_children_locked(s, img->id))
            continue;
        if (prune_candidate(s, o, img, until_set, until))
            bt_strv_push(&ids, img->id);
    }
    for (size_t i = 0; ids[i]; i++)
        if (store_find_image_locked(s, ids[i]))
            prune_one(&c, ids[i], dangling_only);
    store_unlock(s);
    c.res->space_reclaimed = c.removed.bytes;
    store_reap(bt_steal_ptr(&c.removed.doomed));
    removed_clear(&c.removed);
    return c.res;
}
