/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker save: the docker-archive format dockerd wrote up to version 24, which every docker
 * load (and podman, skopeo, containerd) reads:
 *
 *   <v1-id>/VERSION      "1.0"
 *   <v1-id>/json         the layer's legacy v1 image JSON
 *   <v1-id>/layer.tar    the layer, uncompressed (sha256 = diff ID), or a symlink to the first
 *                        copy of the same diff
 *   <image-hex>.json     the config, byte for byte
 *   manifest.json        [{"Config":"<hex>.json","RepoTags":[...],"Layers":["<v1-id>/layer.tar"]}]
 *   repositories         {"busybox":{"latest":"<top v1-id>"}}
 *
 * Deterministic: entries in the order of dockerd's directory walk, times from the image (the
 * layer files, the config) or the epoch (manifest, repositories), no owners but the blobs'.
 * The layers are held for the length of the save, so a concurrent rmi can't pull them away.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/engine/image/image-internal.h"
#include "shared/archive/archive.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

struct save_layer {
    char chain[BT_DIGEST_STR_SIZE];
    char diff_id[BT_DIGEST_STR_SIZE];
    char *blob;      /* path of the stored blob */
    bool compressed; /* the blob must be inflated for layer.tar */
};

struct save_image {
    char id[BT_DIGEST_STR_SIZE];
    char parent[BT_DIGEST_STR_SIZE];
    char *config; /* the bytes */
    json_t *doc;
    int64_t created;
    char **tags;          /* familiar "name:tag" */
    struct bt_ref **refs; /* the same, parsed */
    size_t nrefs;
    struct save_layer *layers;
    size_t nlayers;
    char **v1ids; /* per layer, computed */
};

struct save {
    struct image_store *s;
    struct save_image *images;
    size_t n;
};

/* The stored blob (compressed or not) back to the layer's tar. */
static int inflate_blob(const char *path, int out_fd, char digest[BT_DIGEST_STR_SIZE], bt_err **err)
{
    bt_autoclose int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return bt_err_errno(err, errno, "open \"%s\"", path);
    if (bt_tar_decompress_fd(in, out_fd, digest, NULL, err) < 0)
        return bt_err_wrap(err, "layer blob \"%s\"", path);
    return 0;
}
static void save_clear(struct save *sv)
{
    for (size_t i = 0; i < sv->n; i++) {
        struct save_image *im = &sv->images[i];
        free(im->config);
        json_decref(im->doc);
        bt_strv_free(im->tags);
        for (size_t j = 0; j < im->nrefs; j++)
            bt_ref_free(im->refs[j]);
        free(im->refs);
        for (size_t j = 0; j < im->nlayers; j++)
            free(im->layers[j].blob);
        free(im->layers);
        bt_strv_free(im->v1ids);
    }
    free(sv->images);
}

/* ---- which images (dockerd's parseNames) ---- */

static struct save_image *add_image(struct save *sv, struct image *img, bt_err **err)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->images[i].id, img->id) == 0)
            return &sv->images[i];
    if (!img->nlayers) {
        bt_err_set(err, BT_E_UNSUPPORTED, "empty export - not implemented");
        return NULL;
    }
    bt_autofree char *path = blob_path(sv->s, img->id);
    bt_autostrbuf struct bt_strbuf cfg = BT_STRBUF_INIT;
    if (bt_file_read(path, &cfg, MAX_JSON_SIZE, err) < 0)
        return NULL;
    sv->images = bt_xreallocarray(sv->images, sv->n + 1, sizeof(*sv->images));
    struct save_image *im = &sv->images[sv->n++];
    memset(im, 0, sizeof(*im));
    snprintf(im->id, sizeof(im->id), "%s", img->id);
    snprintf(im->parent, sizeof(im->parent), "%s", img->parent);
    im->config = bt_strbuf_steal(&cfg);
    im->doc = json_deep_copy(img->config);
    im->created = img->created;
    im->tags = bt_xzalloc(sizeof(char *));
    im->nlayers = img->nlayers;
    im->layers = bt_xzalloc(img->nlayers * sizeof(*im->layers));
    for (size_t i = 0; i < img->nlayers; i++) {
        struct layer *l = layer_find_locked(sv->s, img->chains[i]);
        struct save_layer *sl = &im->layers[i];
        snprintf(sl->chain, sizeof(sl->chain), "%s", l->chain);
        snprintf(sl->diff_id, sizeof(sl->diff_id), "%s", l->diff_id);
        sl->blob = blob_path(sv->s, l->blob);
        sl->compressed =
                strcmp(l->media_type, MEDIA_LAYER_TAR) != 0 || strcmp(l->blob, l->diff_id) != 0;
    }
    layer_hold_locked(sv->s, img->chains[img->nlayers - 1]);
    return im;
}

/* A tag reference to write into RepoTags (digests are not saved, as in dockerd) */
static void add_tag(struct save_image *im, const char *key)
{
    struct bt_ref *r = bt_ref_parse_docker(key, NULL);
    if (!r || r->digest) {
        bt_ref_free(r);
        return;
    }
    bt_autofree char *familiar = bt_ref_familiar_string(r);
    for (size_t i = 0; im->tags[i]; i++) {
        if (strcmp(im->tags[i], familiar) == 0) {
            bt_ref_free(r);
            return;
        }
    }
    bt_strv_push(&im->tags, familiar);
    im->refs = bt_xreallocarray(im->refs, im->nrefs + 1, sizeof(*im->refs));
    im->refs[im->nrefs++] = r;
}

static int cmp_refs(const void *a, const void *b)
{
    return strcmp((*(struct ref *const *)a)->key, (*(struct ref *const *)b)->key);
}

/* A bare repository name: every reference of it (ReferencesByName), in order. */
static int add_repository(struct save *sv, const char *name, const struct bt_ref *ref, bt_err **err)
{
    struct image_store *s = sv->s;
    bt_autofree char *rname = bt_ref_name(ref);
    bt_autofree struct ref **refs = bt_xzalloc((s->nrefs + 1) * sizeof(*refs));
    size_t n = 0;
    for (size_t i = 0; i < s->nrefs; i++)
        if (strcmp(s->refs[i]->name, rname) == 0)
            refs[n++] = s->refs[i];
    qsort(refs, n, sizeof(*refs), cmp_refs);
    for (size_t i = 0; i < n; i++) {
        struct image *img = store_find_image_locked(s, refs[i]->id);
        struct save_image *im = img ? add_image(sv, img, err) : NULL;
        if (!im)
            return -1;
        add_tag(im, refs[i]->key);
    }
    if (n > 0)
        return 0;
    struct image *img = store_resolve_locked(s, name, NULL, err);
    return img && add_image(sv, img, err) ? 0 : -1;
}

static int add_name(struct save *sv, const char *name, bt_err **err)
{
    const char *hex = strncmp(name, "sha256:", 7) == 0 ? name + 7 : name;
    if (bt_is_hex64(hex)) {
        struct image *img = store_resolve_locked(sv->s, name, NULL, err);
        return img && add_image(sv, img, err) ? 0 : -1;
    }
    bt_autoptr(bt_ref) ref = bt_ref_parse(name, err);
    if (!ref)
        return -1;
    bt_autofree char *familiar_name = bt_ref_familiar_name(ref);
    if (strcmp(familiar_name, "sha256") == 0) {
        struct image *img = store_resolve_locked(sv->s, name, NULL, err);
        return img && add_image(sv, img, err) ? 0 : -1;
    }
    if (!ref->tag && !ref->digest)
        return add_repository(sv, name, ref, err);
    bt_autofree char *key = refs_key(ref);
    struct ref *r = refs_get_locked(sv->s, key);
    struct image *img = r ? store_find_image_locked(sv->s, r->id) : NULL;
    if (!img)
        return bt_err_set(err, BT_E_NOT_FOUND, "reference does not exist");
    struct save_image *im = add_image(sv, img, err);
    if (!im)
        return -1;
    add_tag(im, key);
    return 0;
}

/* ---- legacy v1 JSON (image/v1 in moby) ---- */

#define EPOCH "1970-01-01T00:00:00Z"

/* V1Image in its struct order; doc is the image config for the top layer, NULL below it. */
static json_t *v1_image(const json_t *doc, const char *id, const char *parent, const char *os)
{
    json_t *o = json_object();
    if (id)
        bt_json_set_str(o, "id", id);
    if (parent)
        bt_json_set_str(o, "parent", parent);
    const char *comment = bt_json_get_str(doc, "comment", "");
    if (*comment)
        bt_json_set_str(o, "comment", comment);
    bt_json_set_str(o, "created",
                    doc ? bt_json_get_str(doc, "created", "0001-01-01T00:00:00Z") : EPOCH);
    static const char *const strs[] = {"container", "docker_version", "author"};
    const char *container = bt_json_get_str(doc, strs[0], "");
    if (*container)
        bt_json_set_str(o, strs[0], container);
    json_object_set_new(o, "container_config",
                        image_container_config_go(bt_json_get_obj(doc, "container_config")));
    for (size_t i = 1; i < 3; i++) {
        const char *v = bt_json_get_str(doc, strs[i], "");
        if (*v)
            bt_json_set_str(o, strs[i], v);
    }
    if (bt_json_get_obj(doc, "config"))
        json_object_set_new(o, "config", image_container_config_go(bt_json_get_obj(doc, "config")));
    static const char *const tail[] = {"architecture", "variant"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = bt_json_get_str(doc, tail[i], "");
        if (*v)
            bt_json_set_str(o, tail[i], v);
    }
    if (os && *os)
        bt_json_set_str(o, "os", os);
    return o;
}

/* v1.CreateID: the digest of the v1 JSON without id, plus layer_id and parent, keys sorted */
static void v1_id(const json_t *doc, const char *chain, const char *parent_hex,
                  char out[BT_SHA256_HEX_LEN + 1])
{
    const char *os = doc ? bt_json_get_str(doc, "os", "") : NULL;
    bt_autoptr(json_t) o = v1_image(doc, NULL, NULL, os);
    bt_json_set_str(o, "layer_id", chain);
    if (parent_hex) {
        bt_autofree char *p = bt_xasprintf("sha256:%s", parent_hex);
        bt_json_set_str(o, "parent", p);
    }
    bt_autoptr(json_t) sorted = image_json_sorted(o);
    bt_autofree char *text = image_json_go(sorted);
    char d[BT_DIGEST_STR_SIZE];
    bt_sha256_digest(text, strlen(text), d);
    snprintf(out, BT_SHA256_HEX_LEN + 1, "%s", bt_digest_hex(d));
}

static void compute_v1ids(struct save_image *im)
{
    im->v1ids = bt_xzalloc(sizeof(char *));
    for (size_t i = 0; i < im->nlayers; i++) {
        char id[BT_SHA256_HEX_LEN + 1];
        const char *parent = i ? im->v1ids[i - 1] : NULL;
        v1_id(i == im->nlayers - 1 ? im->doc : NULL, im->layers[i].chain, parent, id);
        bt_strv_push(&im->v1ids, id);
    }
}

/* ---- the archive ---- */

/* One top-level entry: a file, or a layer directory with its three files. */
struct item {
    char *name;
    char *data; /* a file's content */
    size_t len;
    int64_t mtime;
    const struct save_image *im; /* a layer directory: */
    size_t layer;
    char *link_to; /* the v1 ID holding the same diff's layer.tar */
};

static void add_item(struct item **items, size_t *n, struct item it)
{
    *items = bt_xreallocarray(*items, *n + 1, sizeof(**items));
    (*items)[(*n)++] = it;
}

static int cmp_items(const void *a, const void *b)
{
    return strcmp(((const struct item *)a)->name, ((const struct item *)b)->name);
}

static char *manifest_json(const struct save *sv)
{
    bt_autoptr(json_t) arr = json_array();
    for (size_t i = 0; i < sv->n; i++) {
        const struct save_image *im = &sv->images[i];
        json_t *m = json_object();
        bt_autofree char *cfg = bt_xasprintf("%s.json", bt_digest_hex(im->id));
        bt_json_set_str(m, "Config", cfg);
        json_object_set_new(m, "RepoTags", im->tags[0] ? bt_json_strv(im->tags) : json_null());
        json_t *layers = json_array();
        for (size_t j = 0; j < im->nlayers; j++) {
            bt_autofree char *p = bt_xasprintf("%s/layer.tar", im->v1ids[j]);
            json_array_append_new(layers, json_string(p));
        }
        json_object_set_new(m, "Layers", layers);
        /* a parent is recorded only when it is in the archive too */
        for (size_t k = 0; k < sv->n && im->parent[0]; k++)
            if (k != i && strcmp(sv->images[k].id, im->parent) == 0)
                bt_json_set_str(m, "Parent", im->parent);
        json_array_append_new(arr, m);
    }
    bt_autofree char *text = image_json_go(arr);
    return bt_xasprintf("%s\n", text);
}

/* repositories: {familiar name: {tag: top v1 ID}}, or NULL without tags */
static char *repositories_json(const struct save *sv)
{
    bt_autoptr(json_t) repos = json_object();
    for (size_t i = 0; i < sv->n; i++) {
        const struct save_image *im = &sv->images[i];
        for (size_t j = 0; j < im->nrefs; j++) {
            bt_autofree char *name = bt_ref_familiar_name(im->refs[j]);
            json_t *repo = json_object_get(repos, name);
            if (!repo) {
                repo = json_object();
                json_object_set_new(repos, name, repo);
            }
            bt_json_set_str(repo, im->refs[j]->tag, im->v1ids[im->nlayers - 1]);
        }
    }
    if (!json_object_size(repos))
        return NULL;
    bt_autoptr(json_t) sorted = json_object();
    const char *k;
    json_t *v;
    bt_autoptr(json_t) keys_sorted = image_json_sorted(repos);
    json_object_foreach (keys_sorted, k, v)
        json_object_set_new(sorted, k, image_json_sorted(v));
    bt_autofree char *text = image_json_go(sorted);
    return bt_xasprintf("%s\n", text);
}

/* The items: layer directories (each diff once), configs, manifest.json, repositories. */
static void collect_items(struct save *sv, struct item **items, size_t *n)
{
    bt_autostrv char **seen_v1 = bt_xzalloc(sizeof(char *));
    bt_autostrv char **seen_diff = bt_xzalloc(sizeof(char *)); /* "diff_id v1id" */
    for (size_t i = 0; i < sv->n; i++) {
        const struct save_image *im = &sv->images[i];
        for (size_t j = 0; j < im->nlayers; j++) {
            bool dup = false;
            for (size_t k = 0; seen_v1[k] && !dup; k++)
                dup = strcmp(seen_v1[k], im->v1ids[j]) == 0;
            if (dup)
                continue;
            bt_strv_push(&seen_v1, im->v1ids[j]);
            char *link_to = NULL;
            size_t dl = strlen(im->layers[j].diff_id);
            for (size_t k = 0; seen_diff[k] && !link_to; k++)
                if (strncmp(seen_diff[k], im->layers[j].diff_id, dl) == 0)
                    link_to = bt_xstrdup(seen_diff[k] + dl + 1);
            if (!link_to) {
                bt_autofree char *e = bt_xasprintf("%s %s", im->layers[j].diff_id, im->v1ids[j]);
                bt_strv_push(&seen_diff, e);
            }
            add_item(items, n,
                     (struct item){.name = bt_xstrdup(im->v1ids[j]),
                                   .mtime = im->created,
                                   .im = im,
                                   .layer = j,
                                   .link_to = link_to});
        }
        add_item(items, n,
                 (struct item){.name = bt_xasprintf("%s.json", bt_digest_hex(im->id)),
                               .data = bt_xstrdup(im->config),
                               .len = strlen(im->config),
                               .mtime = im->created});
    }
    char *m = manifest_json(sv);
    add_item(items, n,
             (struct item){.name = bt_xstrdup("manifest.json"), .data = m, .len = strlen(m)});
    char *r = repositories_json(sv);
    if (r)
        add_item(items, n,
                 (struct item){.name = bt_xstrdup("repositories"), .data = r, .len = strlen(r)});
    qsort(*items, *n, sizeof(**items), cmp_items);
}

/* layer.tar from a compressed blob: inflated into tmp/, checked against the diff ID */
static int add_inflated(struct image_store *s, struct bt_tar_writer *w, const struct item *it,
                        const char *name, const struct bt_pack_opts *po, bt_err **err)
{
    const struct save_layer *l = &it->im->layers[it->layer];
    bt_autofree char *dir = store_mkdtemp(s, "save", err);
    if (!dir)
        return -1;
    bt_autofree char *path = bt_xasprintf("%s/layer.tar", dir);
    int rc = -1;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    char digest[BT_DIGEST_STR_SIZE];
    if (fd < 0) {
        bt_err_errno(err, errno, "create \"%s\"", path);
    } else if (inflate_blob(l->blob, fd, digest, err) == 0) {
        if (strcmp(digest, l->diff_id) != 0)
            bt_err_set(err, BT_E_CORRUPT, "layer %s: stored blob does not give its diff ID %s",
                       l->chain, l->diff_id);
        else
            rc = bt_tar_writer_add_tree(w, path, name, po, err);
    }
    bt_fd_close(fd);
    bt_autoerr bt_err *e = NULL;
    bt_rm_rf(dir, &e);
    return rc;
}

static int write_layer_dir(struct image_store *s, struct bt_tar_writer *w, const struct item *it,
                           bt_err **err)
{
    const struct save_image *im = it->im;
    size_t j = it->layer;
    struct bt_tar_entry dir = {.name = it->name, .type = BT_TAR_DIR, .mode = 0755};
    dir.mtime.tv_sec = it->mtime;
    bt_autofree char *version = bt_xasprintf("%s/VERSION", it->name);
    bt_autofree char *json_name = bt_xasprintf("%s/json", it->name);
    bt_autofree char *tar_name = bt_xasprintf("%s/layer.tar", it->name);
    bool top = j == im->nlayers - 1;
    bt_autoptr(json_t) v1 =
            v1_image(top ? im->doc : NULL, im->v1ids[j], j ? im->v1ids[j - 1] : NULL,
                     bt_json_get_str(im->doc, "os", ""));
    bt_autofree char *v1_text = image_json_go(v1);
    if (bt_tar_writer_add_entry(w, &dir, err) < 0 ||
        bt_tar_writer_add_data(w, version, "1.0", 3, 0644, it->mtime, err) < 0 ||
        bt_tar_writer_add_data(w, json_name, v1_text, strlen(v1_text), 0644, it->mtime, err) < 0)
        return -1;
    if (it->link_to) {
        bt_autofree char *target = bt_xasprintf("../%s/layer.tar", it->link_to);
        struct bt_tar_entry ln = {
                .name = tar_name, .type = BT_TAR_SYMLINK, .mode = 0777, .linkname = target};
        ln.mtime.tv_sec = it->mtime;
        return bt_tar_writer_add_entry(w, &ln, err);
    }
    struct bt_pack_opts po = {.mtime = (time_t)it->mtime};
    if (im->layers[j].compressed)
        return add_inflated(s, w, it, tar_name, &po, err);
    return bt_tar_writer_add_tree(w, im->layers[j].blob, tar_name, &po, err);
}

static int write_archive(struct save *sv, int out_fd, bt_err **err)
{
    struct item *items = NULL;
    size_t n = 0;
    for (size_t i = 0; i < sv->n; i++)
        compute_v1ids(&sv->images[i]);
    collect_items(sv, &items, &n);
    bt_autoptr(bt_tar_writer) w = bt_tar_writer_new(out_fd, BT_TAR_PLAIN, err);
    int rc = w ? 0 : -1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (items[i].im)
            rc = write_layer_dir(sv->s, w, &items[i], err);
        else
            rc = bt_tar_writer_add_data(w, items[i].name, items[i].data, items[i].len, 0644,
                                        items[i].mtime, err);
    }
    if (rc == 0)
        rc = bt_tar_writer_finish(w, NULL, NULL, err);
    for (size_t i = 0; i < n; i++) {
        free(items[i].name);
        free(items[i].data);
        free(items[i].link_to);
    }
    free(items);
    return rc;
}

/* Which images (held) the names mean. */
static int collect(struct save *sv, char *const *names, bt_err **err)
{
    int rc = 0;
    store_lock(sv->s);
    for (size_t i = 0; names && names[i] && rc == 0; i++)
        rc = add_name(sv, names[i], err);
    store_unlock(sv->s);
    if (rc == 0 && sv->n == 0)
        rc = bt_err_set(err, BT_E_INVALID, "no images to save");
    return rc;
}

static void release(struct image_store *s, struct save *sv)
{
    struct removed r = {0};
    store_lock(s);
    for (size_t i = 0; i < sv->n; i++)
        layer_release_locked(s, sv->images[i].layers[sv->images[i].nlayers - 1].chain, &r);
    store_unlock(s);
    store_reap(bt_steal_ptr(&r.doomed));
    removed_clear(&r);
    save_clear(sv);
}

int image_save_check(struct image_store *s, char *const *names, bt_err **err)
{
    struct save sv = {.s = s};
    int rc = collect(&sv, names, err);
    release(s, &sv);
    return rc;
}

int image_save(struct image_store *s, char *const *names, int out_fd, bt_err **err)
{
    struct save sv = {.s = s};
    int rc = collect(&sv, names, err);
    if (rc == 0)
        rc = write_archive(&sv, out_fd, err);
    release(s, &sv);
    return rc;
}
