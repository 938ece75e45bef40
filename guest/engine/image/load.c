/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker load: a docker-archive (manifest.json) or an OCI image layout (index.json).
 *
 * The archive is untrusted. It is unpacked into tmp/ by the safe extractor (nothing lands
 * outside; devices and FIFOs are skipped) and every name it mentions is looked up inside that
 * directory with symlinks resolved as if it were "/" (bt_open_in_root / bt_resolve_in_root),
 * so "../../etc/passwd" or a symlink to /etc reads nothing outside it. JSON documents are read
 * with a size bound.
 *
 * Two phases, so that a bad archive stores nothing: first every image is planned and every
 * missing layer unpacked in tmp/ and checked (config digests, manifest and blob digests,
 * diff IDs); only when all of it holds are layers, configs and tags put into the store.
 * Layers already present are held, not unpacked again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/engine/image/image-internal.h"
#include "shared/archive/archive.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/fs/file.h"
#include "shared/fs/resolve.h"
#include "shared/json/json.h"

#define MAX_INDEX_DEPTH 4

#define MEDIA_OCI_INDEX       "application/vnd.oci.image.index.v1+json"
#define MEDIA_OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

struct load_layer {
    char *path;       /* the blob, resolved inside the unpacked archive */
    char *want_blob;  /* OCI: the descriptor's digest */
    char *media_type; /* OCI: the descriptor's type; NULL: sniffed */
};

struct load_image {
    char id[BT_DIGEST_STR_SIZE];
    char *config;
    size_t len;
    json_t *doc;
    char **diff_ids;
    char **chains;
    size_t nlayers;
    struct load_layer *layers;
    struct bt_ref **tags;
    size_t ntags;
    char *parent; /* docker-archive "Parent" */
};

struct staged {
    char chain[BT_DIGEST_STR_SIZE];
    char parent[BT_DIGEST_STR_SIZE];
    struct staged_layer st;
    bool held; /* present already: held instead of staged */
};

struct load {
    struct image_store *s;
    char *root; /* the unpacked archive */
    int rootfd;
    struct load_image *images;
    size_t n;
    struct staged *layers;
    size_t nlayers;
};

static void load_clear(struct load *ld)
{
    for (size_t i = 0; i < ld->n; i++) {
        struct load_image *im = &ld->images[i];
        free(im->config);
        json_decref(im->doc);
        bt_strv_free(im->diff_ids);
        bt_strv_free(im->chains);
        for (size_t j = 0; j < im->nlayers; j++) {
            free(im->layers[j].path);
            free(im->layers[j].want_blob);
            free(im->layers[j].media_type);
        }
        free(im->layers);
        for (size_t j = 0; j < im->ntags; j++)
            bt_ref_free(im->tags[j]);
        free(im->tags);
        free(im->parent);
    }
    free(ld->images);
    for (size_t i = 0; i < ld->nlayers; i++)
        staged_layer_clear(&ld->layers[i].st);
    free(ld->layers);
    bt_fd_close(ld->rootfd);
    free(ld->root);
}

/* ---- reading the archive ---- */

/* Only files, directories and links are of use in an image archive. */
static int archive_filter(const struct bt_tar_entry *e, void *ctx, bt_err **err)
{
    return e->type == BT_TAR_CHAR || e->type == BT_TAR_BLOCK || e->type == BT_TAR_FIFO;
}

/* A file of the archive, looked up inside it; a regular file of at most max bytes. */
static int read_member(struct load *ld, const char *name, size_t max, struct bt_strbuf *out,
                       bt_err **err)
{
    bt_autoclose int fd = bt_open_in_root(ld->rootfd, name, O_RDONLY, 0, 0, err);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return bt_err_errno(err, errno, "stat \"%s\"", name);
    if (!S_ISREG(st.st_mode))
        return bt_err_set(err, BT_E_INVALID, "\"%s\" is not a regular file", name);
    if ((size_t)st.st_size > max)
        return bt_err_set(err, BT_E_INVALID, "\"%s\" is too large (%lld bytes)", name,
                          (long long)st.st_size);
    return bt_fd_read_all(fd, out, max, err);
}

static json_t *read_json(struct load *ld, const char *name, bt_err **err)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (read_member(ld, name, MAX_JSON_SIZE, &sb, err) < 0)
        return NULL;
    return bt_json_parse(sb.buf ? sb.buf : "", sb.len, err);
}

/* The path of a member to hand to the layer stager: resolved, and a regular file. */
static char *member_path(struct load *ld, const char *name, bt_err **err)
{
    char *path = bt_resolve_in_root(ld->root, name, 0, err);
    struct stat st;
    if (path && (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))) {
        bt_err_set(err, BT_E_INVALID, "invalid archive: layer \"%s\" is not a file", name);
        free(path);
        return NULL;
    }
    return path;
}

/* ---- planning ---- */

static struct load_image *new_image(struct load *ld)
{
    ld->images = bt_xreallocarray(ld->images, ld->n + 1, sizeof(*ld->images));
    struct load_image *im = &ld->images[ld->n++];
    memset(im, 0, sizeof(*im));
    return im;
}

/* The config: its ID, diff IDs, and the OS check of dockerd's Load. */
static int plan_config(struct load_image *im, struct bt_strbuf *cfg, bt_err **err)
{
    im->len = cfg->len;
    im->config = bt_strbuf_steal(cfg);
    bt_sha256_digest(im->config, im->len, im->id);
    im->doc = bt_json_parse_object(im->config, im->len, err);
    int64_t created;
    if (!im->doc || image_parse_config(im->doc, &im->diff_ids, &created, err) < 0)
        return bt_err_wrap(err, "invalid image config %s", im->id);
    const char *os = bt_json_get_str(im->doc, "os", "");
    if (*os && strcmp(os, "linux") != 0)
        return bt_err_set(err, BT_E_INVALID, "cannot load %s image on linux", os);
    im->chains = layer_chain_ids(im->diff_ids);
    im->nlayers = bt_strv_len(im->diff_ids);
    im->layers = bt_xzalloc((im->nlayers + 1) * sizeof(*im->layers));
    return 0;
}

static int add_tag(struct load_image *im, const char *s, bool need_tag, bt_err **err)
{
    struct bt_ref *r = bt_ref_parse(s, err);
    if (!r)
        return -1;
    if (r->digest || (need_tag && !r->tag)) {
        bt_ref_free(r);
        return bt_err_set(err, BT_E_INVALID, "invalid tag \"%s\"", s);
    }
    if (!r->tag)
        bt_ref_set_tag(r, "latest", NULL);
    im->tags = bt_xreallocarray(im->tags, im->ntags + 1, sizeof(*im->tags));
    im->tags[im->ntags++] = r;
    return 0;
}

/* One entry of manifest.json: {"Config", "RepoTags", "Layers", "Parent"} */
static int plan_docker_image(struct load *ld, const json_t *m, bt_err **err)
{
    const char *config = bt_json_get_str(m, "Config", NULL);
    json_t *layers = json_object_get(m, "Layers");
    json_t *tags = json_object_get(m, "RepoTags");
    if (!json_is_object(m) || !config ||
        (layers && !json_is_null(layers) && !json_is_array(layers)) ||
        (tags && !json_is_null(tags) && !json_is_array(tags)))
        return bt_err_set(err, BT_E_INVALID,
                          "invalid archive: failed to decode manifest.json: unexpected entry");
    struct load_image *im = new_image(ld);
    bt_autostrbuf struct bt_strbuf cfg = BT_STRBUF_INIT;
    if (read_member(ld, config, MAX_JSON_SIZE, &cfg, err) < 0 || plan_config(im, &cfg, err) < 0)
        return -1;
    size_t n = json_array_size(layers);
    if (n != im->nlayers)
        return bt_err_set(err, BT_E_INVALID,
                          "invalid manifest, layers length mismatch: expected %zu, got %zu", n,
                          im->nlayers);
    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(json_array_get(layers, i));
        if (!name)
            return bt_err_set(err, BT_E_INVALID, "invalid manifest: layer %zu is not a string", i);
        if (!(im->layers[i].path = member_path(ld, name, err)))
            return -1;
    }
    for (size_t i = 0; i < json_array_size(tags); i++) {
        const char *t = json_string_value(json_array_get(tags, i));
        if (!t)
            return bt_err_set(err, BT_E_INVALID, "invalid manifest: a tag is not a string");
        if (add_tag(im, t, true, err) < 0)
            return -1;
    }
    const char *parent = bt_json_get_str(m, "Parent", NULL);
    if (parent && bt_digest_validate(parent, NULL) == 0)
        im->parent = bt_xstrdup(parent);
    return 0;
}

static int plan_docker_archive(struct load *ld, const json_t *manifest, bt_err **err)
{
    if (json_is_null(manifest))
        return bt_err_set(err, BT_E_INVALID,
                          "invalid manifest, manifest cannot be null (but can be [])");
    if (!json_is_array(manifest))
        return bt_err_set(err, BT_E_INVALID,
                          "invalid archive: failed to decode manifest.json: not an array");
    size_t i;
    json_t *m;
    json_array_foreach (manifest, i, m) {
        if (plan_docker_image(ld, m, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- OCI image layout ---- */

struct descriptor {
    const char *media_type;
    const char *digest;
    int64_t size;
};

static int parse_descriptor(const json_t *d, struct descriptor *out, bt_err **err)
{
    out->media_type = bt_json_get_str(d, "mediaType", "");
    out->digest = bt_json_get_str(d, "digest", NULL);
    out->size = bt_json_get_int(d, "size", -1);
    if (!json_is_object(d) || !out->digest)
        return bt_err_set(err, BT_E_INVALID, "invalid OCI layout: a descriptor has no digest");
    if (bt_digest_validate(out->digest, err) < 0)
        return bt_err_wrap(err, "invalid OCI layout: descriptor");
    return 0;
}

static char *blob_member(const char *digest)
{
    return bt_xasprintf("blobs/sha256/%s", bt_digest_hex(digest));
}

/* A JSON blob named by a descriptor, checked against its digest and size. */
static json_t *read_blob_json(struct load *ld, const struct descriptor *d, struct bt_strbuf *raw,
                              bt_err **err)
{
    bt_autofree char *name = blob_member(d->digest);
    if (read_member(ld, name, MAX_JSON_SIZE, raw, err) < 0)
        return NULL;
    char sum[BT_DIGEST_STR_SIZE];
    bt_sha256_digest(raw->buf ? raw->buf : "", raw->len, sum);
    if (strcmp(sum, d->digest) != 0) {
        bt_err_set(err, BT_E_CORRUPT, "invalid OCI layout: blob %s has digest %s", d->digest, sum);
        return NULL;
    }
    if (d->size >= 0 && (size_t)d->size != raw->len) {
        bt_err_set(err, BT_E_CORRUPT, "invalid OCI layout: blob %s has %zu bytes, not %lld",
                   d->digest, raw->len, (long long)d->size);
        return NULL;
    }
    return bt_json_parse_object(raw->buf ? raw->buf : "", raw->len, err);
}

static const char *host_arch(void)
{
#if defined(__aarch64__)
    return "arm64";
#else
    return "amd64";
#endif
}

/* A platform this host runs: linux/<host arch>; no platform at all matches too. */
static bool platform_matches(const json_t *desc)
{
    json_t *p = bt_json_get_obj(desc, "platform");
    if (!p)
        return true;
    return strcmp(bt_json_get_str(p, "os", ""), "linux") == 0 &&
           strcmp(bt_json_get_str(p, "architecture", ""), host_arch()) == 0;
}

/* The tag of an index entry: containerd's image name, or a full reference as ref.name. */
static const char *oci_name(const json_t *desc)
{
    json_t *a = bt_json_get_obj(desc, "annotations");
    const char *name = bt_json_get_str(a, "io.containerd.image.name", NULL);
    if (name)
        return name;
    name = bt_json_get_str(a, "org.opencontainers.image.ref.name", NULL);
    return name && (strchr(name, ':') || strchr(name, '/')) ? name : NULL;
}

static int plan_oci_manifest(struct load *ld, const json_t *manifest, const char *name,
                             bt_err **err)
{
    struct descriptor cd;
    if (parse_descriptor(bt_json_get_obj(manifest, "config"), &cd, err) < 0)
        return -1;
    struct load_image *im = new_image(ld);
    bt_autofree char *cname = blob_member(cd.digest);
    bt_autostrbuf struct bt_strbuf cfg = BT_STRBUF_INIT;
    if (read_member(ld, cname, MAX_JSON_SIZE, &cfg, err) < 0)
        return -1;
    char sum[BT_DIGEST_STR_SIZE];
    bt_sha256_digest(cfg.buf ? cfg.buf : "", cfg.len, sum);
    if (strcmp(sum, cd.digest) != 0)
        return bt_err_set(err, BT_E_CORRUPT, "invalid OCI layout: config %s has digest %s",
                          cd.digest, sum);
    if (plan_config(im, &cfg, err) < 0)
        return -1;
    json_t *layers = bt_json_get_arr(manifest, "layers");
    if (json_array_size(layers) != im->nlayers)
        return bt_err_set(err, BT_E_INVALID,
                          "invalid manifest, layers length mismatch: expected %zu, got %zu",
                          json_array_size(layers), im->nlayers);
    for (size_t i = 0; i < im->nlayers; i++) {
        struct descriptor ld_desc;
        if (parse_descriptor(json_array_get(layers, i), &ld_desc, err) < 0)
            return -1;
        bt_autofree char *member = blob_member(ld_desc.digest);
        if (!(im->layers[i].path = member_path(ld, member, err)))
            return -1;
        im->layers[i].want_blob = bt_xstrdup(ld_desc.digest);
        if (*ld_desc.media_type)
            im->layers[i].media_type = bt_xstrdup(ld_desc.media_type);
    }
    return name ? add_tag(im, name, false, err) : 0;
}

static int plan_oci_descriptor(struct load *ld, const json_t *desc, const char *name, int depth,
                               bt_err **err);

/* An index: every entry for this platform (the top index.json), or the first one (a nested
 * index, the multi-platform image of one name). */
static int plan_oci_index(struct load *ld, const json_t *index, const char *name, int depth,
                          bt_err **err)
{
    json_t *list = bt_json_get_arr(index, "manifests");
    if (!list)
        return bt_err_set(err, BT_E_INVALID, "invalid OCI layout: an index has no manifests");
    size_t i;
    json_t *d;
    bool found = false;
    json_array_foreach (list, i, d) {
        if (!platform_matches(d))
            continue;
        const char *n = oci_name(d);
        if (plan_oci_descriptor(ld, d, n ? n : name, depth + 1, err) < 0)
            return -1;
        found = true;
        if (depth > 0)
            break;
    }
    if (!found && depth > 0)
        return bt_err_set(err, BT_E_NOT_FOUND,
                          "no matching manifest for linux/%s in the manifest list entries",
                          host_arch());
    return 0;
}

static int plan_oci_descriptor(struct load *ld, const json_t *desc, const char *name, int depth,
                               bt_err **err)
{
    if (depth > MAX_INDEX_DEPTH)
        return bt_err_set(err, BT_E_INVALID, "invalid OCI layout: indexes nested too deep");
    struct descriptor d;
    if (parse_descriptor(desc, &d, err) < 0)
        return -1;
    bt_autostrbuf struct bt_strbuf raw = BT_STRBUF_INIT;
    bt_autoptr(json_t) doc = read_blob_json(ld, &d, &raw, err);
    if (!doc)
        return -1;
    const char *mt = *d.media_type ? d.media_type : bt_json_get_str(doc, "mediaType", "");
    bool index = !strcmp(mt, MEDIA_OCI_INDEX) || !strcmp(mt, MEDIA_DOCKER_LIST) ||
                 (!*mt && json_object_get(doc, "manifests"));
    bool manifest = !strcmp(mt, MEDIA_OCI_MANIFEST) || !strcmp(mt, MEDIA_DOCKER_MANIFEST) ||
                    (!*mt && json_object_get(doc, "config"));
    if (index)
        return plan_oci_index(ld, doc, name, depth, err);
    if (manifest)
        return plan_oci_manifest(ld, doc, name, err);
    return bt_err_set(err, BT_E_UNSUPPORTED, "invalid OCI layout: unsupported media type \"%s\"",
                      mt);
}

static int plan_oci_layout(struct load *ld, bt_err **err)
{
    bt_autoptr(json_t) index = read_json(ld, "index.json", err);
    if (!index)
        return bt_err_wrap(err, "invalid OCI layout: index.json");
    if (!json_is_object(index))
        return bt_err_set(err, BT_E_INVALID, "invalid OCI layout: index.json is not an object");
    return plan_oci_index(ld, index, NULL, 0, err);
}

/* ---- staging and committing ---- */

static struct staged *find_staged(struct load *ld, const char *chain)
{
    for (size_t i = 0; i < ld->nlayers; i++)
        if (strcmp(ld->layers[i].chain, chain) == 0)
            return &ld->layers[i];
    return NULL;
}

static int file_digest(const char *path, char out[BT_DIGEST_STR_SIZE])
{
    bt_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
    return fd < 0 ? -1 : bt_sha256_fd(fd, out, NULL);
}

static int digest_mismatch(size_t layer, const char *want, const char *got, bt_err **err)
{
    return bt_err_set(err, BT_E_CORRUPT,
                      "invalid digest for layer %zu: expected \"%s\", got \"%s\"", layer, want,
                      got);
}

/* Hold each layer the store has; unpack and check the others. */
static int stage_layers(struct load *ld, bt_err **err)
{
    for (size_t i = 0; i < ld->n; i++) {
        struct load_image *im = &ld->images[i];
        for (size_t j = 0; j < im->nlayers; j++) {
            if (find_staged(ld, im->chains[j]))
                continue;
            ld->layers = bt_xreallocarray(ld->layers, ld->nlayers + 1, sizeof(*ld->layers));
            struct staged *sl = &ld->layers[ld->nlayers++];
            memset(sl, 0, sizeof(*sl));
            snprintf(sl->chain, sizeof(sl->chain), "%s", im->chains[j]);
            snprintf(sl->parent, sizeof(sl->parent), "%s", j ? im->chains[j - 1] : "");
            store_lock(ld->s);
            sl->held = layer_find_locked(ld->s, sl->chain) != NULL;
            if (sl->held)
                layer_hold_locked(ld->s, sl->chain);
            store_unlock(ld->s);
            if (sl->held)
                continue;
            struct load_layer *l = &im->layers[j];
            bt_autoerr bt_err *e = NULL;
            if (layer_stage(ld->s, l->path, l->media_type, &sl->st, &e) < 0) {
                /* a blob that is not what its descriptor says is reported as such, even when
                 * it is not a tar at all */
                if (l->want_blob && file_digest(l->path, sl->st.blob_digest) == 0 &&
                    strcmp(l->want_blob, sl->st.blob_digest) != 0)
                    return digest_mismatch(j, l->want_blob, sl->st.blob_digest, err);
                bt_err_move(err, &e);
                return bt_err_wrap(err, "load layer %zu of %s", j, im->id);
            }
            if (l->want_blob && strcmp(l->want_blob, sl->st.blob_digest) != 0)
                return digest_mismatch(j, l->want_blob, sl->st.blob_digest, err);
            if (strcmp(im->diff_ids[j], sl->st.diff_id) != 0)
                return bt_err_set(err, BT_E_CORRUPT,
                                  "invalid diffID for layer %zu: expected \"%s\", got \"%s\"", j,
                                  im->diff_ids[j], sl->st.diff_id);
        }
    }
    return 0;
}

/* checkValidParent: the child's history is the parent's plus one entry. */
static bool valid_parent(const json_t *child, const json_t *parent)
{
    json_t *hc = bt_json_get_arr(child, "history");
    json_t *hp = bt_json_get_arr(parent, "history");
    if (!json_array_size(hc) && !json_array_size(hp))
        return true;
    if (json_array_size(hc) != json_array_size(hp) + 1)
        return false;
    for (size_t i = 0; i < json_array_size(hp); i++)
        if (!json_equal(json_array_get(hc, i), json_array_get(hp, i)))
            return false;
    return true;
}

static void set_parent_locked(struct load *ld, struct load_image *im, struct image *img)
{
    if (!im->parent || strcmp(im->parent, im->id) == 0)
        return;
    for (size_t k = 0; k < ld->n; k++) {
        struct load_image *p = &ld->images[k];
        if (strcmp(p->id, im->parent) != 0 || !valid_parent(im->doc, p->doc))
            continue;
        snprintf(img->parent, sizeof(img->parent), "%s", p->id);
        store_save_image_record_locked(ld->s, img, NULL);
        return;
    }
}

static void report_line(image_load_report_fn report, void *ctx, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void report_line(image_load_report_fn report, void *ctx, const char *fmt, ...)
{
    if (!report)
        return;
    va_list ap;
    va_start(ap, fmt);
    bt_autofree char *line = bt_xvasprintf(fmt, ap);
    va_end(ap);
    report(line, ctx);
}

static int commit_image_locked(struct load *ld, struct load_image *im, image_load_report_fn report,
                               void *ctx, bt_err **err)
{
    for (size_t j = 0; j < im->nlayers; j++) {
        struct staged *sl = find_staged(ld, im->chains[j]);
        if (sl->held || !sl->st.dir)
            continue; /* present, or committed for an earlier image of this archive */
        if (!layer_commit_locked(ld->s, sl->parent, &sl->st, err))
            return -1;
        sl->held = true;
    }
    struct image *img = store_create_image_locked(ld->s, im->config, im->len, err);
    if (!img)
        return -1;
    for (size_t t = 0; t < im->ntags; t++) {
        char old[BT_DIGEST_STR_SIZE];
        bt_autofree char *familiar = bt_ref_familiar_string(im->tags[t]);
        if (refs_add_locked(ld->s, im->tags[t], img->id, old, err) < 0 ||
            refs_touch_image_locked(ld->s, img, err) < 0)
            return -1;
        if (old[0])
            report_line(report, ctx,
                        "The image %s already exists, renaming the old one with ID %s to empty "
                        "string",
                        familiar, old);
        report_line(report, ctx, "Loaded image: %s", familiar);
    }
    if (!im->ntags)
        report_line(report, ctx, "Loaded image ID: %s", img->id);
    return 0;
}

static int commit(struct load *ld, image_load_report_fn report, void *ctx, struct removed *r,
                  bt_err **err)
{
    int rc = 0;
    store_lock(ld->s);
    for (size_t i = 0; i < ld->n && rc == 0; i++)
        rc = commit_image_locked(ld, &ld->images[i], report, ctx, err);
    for (size_t i = 0; i < ld->n && rc == 0; i++) {
        struct image *img = store_find_image_locked(ld->s, ld->images[i].id);
        if (img)
            set_parent_locked(ld, &ld->images[i], img);
    }
    store_unlock(ld->s);
    return rc;
}

/* Every hold this load took (present layers, committed layers) is dropped; images keep theirs. */
static void release_holds(struct load *ld, struct removed *r)
{
    store_lock(ld->s);
    for (size_t i = 0; i < ld->nlayers; i++)
        if (ld->layers[i].held)
            layer_release_locked(ld->s, ld->layers[i].chain, r);
    store_unlock(ld->s);
}

static int unpack_archive(struct load *ld, int in_fd, bt_err **err)
{
    struct bt_extract_opts opts = {
            .whiteouts = BT_WHITEOUT_KEEP, .no_chown = true, .on_entry = archive_filter};
    if (bt_tar_extract_fd(in_fd, ld->root, &opts, err) < 0)
        return -1;
    ld->rootfd = open(ld->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (ld->rootfd < 0)
        return bt_err_errno(err, errno, "open \"%s\"", ld->root);
    return 0;
}

static int plan(struct load *ld, bt_err **err)
{
    bt_autoerr bt_err *e = NULL;
    bt_autoptr(json_t) manifest = read_json(ld, "manifest.json", &e);
    if (manifest || !bt_err_is(e, BT_E_NOT_FOUND)) {
        if (!manifest) {
            bt_err_move(err, &e);
            return bt_err_wrap(err, "invalid archive: failed to load manifest.json");
        }
        return plan_docker_archive(ld, manifest, err);
    }
    bt_autofree char *index = bt_xasprintf("%s/index.json", ld->root);
    if (bt_path_exists(index))
        return plan_oci_layout(ld, err);
    return bt_err_set(err, BT_E_INVALID, "invalid archive: does not contain a manifest.json");
}

int image_load(struct image_store *s, int in_fd, image_load_report_fn report, void *ctx,
               bt_err **err)
{
    struct load ld = {.s = s, .rootfd = -1};
    char *dir = store_mkdtemp(s, "load", err);
    if (!dir)
        return -1;
    ld.root = bt_xasprintf("%s/archive", dir);
    struct removed r = {0};
    int rc = -1;
    if (mkdir(ld.root, 0700) < 0)
        bt_err_errno(err, errno, "mkdir \"%s\"", ld.root);
    else if (unpack_archive(&ld, in_fd, err) == 0 && plan(&ld, err) == 0 &&
             stage_layers(&ld, err) == 0)
        rc = commit(&ld, report, ctx, &r, err);
    release_holds(&ld, &r);
    load_clear(&ld);
    bt_strv_push(&r.doomed, dir);
    free(dir);
    store_reap(bt_steal_ptr(&r.doomed));
    removed_clear(&r);
    return rc;
}
