/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store itself: opening (layout, index, crash recovery), naming images, and the image
 * records. The layout is described in docs/internals/image.md.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/engine/image/image-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/log.h"
#include "shared/base/strset.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

void store_lock(struct image_store *s)
{
    pthread_mutex_lock(&s->mu);
}

void store_unlock(struct image_store *s)
{
    pthread_mutex_unlock(&s->mu);
}

char *store_path(const struct image_store *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bt_autofree char *rel = bt_xvasprintf(fmt, ap);
    va_end(ap);
    return bt_xasprintf("%s/%s", s->root, rel);
}

char *store_mkdtemp(struct image_store *s, const char *prefix, bt_err **err)
{
    char *path = store_path(s, "tmp/%s-XXXXXX", prefix);
    if (!mkdtemp(path)) {
        bt_err_errno(err, errno, "create temporary directory in \"%s/tmp\"", s->root);
        free(path);
        return NULL;
    }
    return path;
}

void store_reap(char **doomed)
{
    for (size_t i = 0; doomed && doomed[i]; i++) {
        bt_autoerr bt_err *err = NULL;
        if (bt_rm_rf(doomed[i], &err) < 0)
            bt_warn("image store: remove %s: %s", doomed[i], bt_err_msg(err));
    }
    bt_strv_free(doomed);
}

void removed_clear(struct removed *r)
{
    bt_strv_free(r->chains);
    bt_strv_free(r->doomed);
    memset(r, 0, sizeof(*r));
}

const char *short_id(const char *id, char out[13])
{
    const char *hex = strncmp(id, "sha256:", 7) == 0 ? id + 7 : id;
    snprintf(out, 13, "%s", hex);
    return out;
}

/* ---- images ---- */

static void image_free(struct image *img)
{
    if (!img)
        return;
    json_decref(img->config);
    bt_strv_free(img->diff_ids);
    bt_strv_free(img->chains);
    free(img->last_tag_time);
    free(img);
}

struct image *store_find_image_locked(struct image_store *s, const char *id)
{
    for (size_t i = 0; i < s->nimages; i++)
        if (strcmp(s->images[i]->id, id) == 0)
            return s->images[i];
    return NULL;
}

bool store_has_children_locked(struct image_store *s, const char *id)
{
    for (size_t i = 0; i < s->nimages; i++)
        if (strcmp(s->images[i]->parent, id) == 0)
            return true;
    return false;
}

int64_t store_image_size_locked(struct image_store *s, const struct image *img)
{
    int64_t size = 0;
    for (size_t i = 0; i < img->nlayers; i++) {
        struct layer *l = layer_find_locked(s, img->chains[i]);
        if (l)
            size += l->size;
    }
    return size;
}

int image_parse_config(const json_t *config, char ***diff_ids, int64_t *created, bt_err **err)
{
    json_t *rootfs = bt_json_get_obj(config, "rootfs");
    if (!rootfs)
        return bt_err_set(err, BT_E_INVALID, "invalid image JSON, no RootFS key");
    const char *type = bt_json_get_str(rootfs, "type", "");
    if (strcmp(type, "layers") != 0)
        return bt_err_set(err, BT_E_INVALID, "invalid rootfs type \"%s\"", type);
    bt_autostrv char **ids = bt_json_to_strv(json_object_get(rootfs, "diff_ids"), err);
    if (!ids)
        return bt_err_wrap(err, "invalid image JSON: rootfs.diff_ids");
    if (bt_strv_len(ids) > MAX_LAYERS)
        return bt_err_set(err, BT_E_INVALID, "max depth exceeded");
    for (size_t i = 0; ids[i]; i++)
        if (bt_digest_validate(ids[i], err) < 0)
            return bt_err_wrap(err, "invalid image JSON: diff ID \"%s\"", ids[i]);
    *created = 0;
    const char *c = bt_json_get_str(config, "created", NULL);
    if (c && image_parse_rfc3339(c, created, err) < 0)
        return bt_err_wrap(err, "invalid image JSON: created");
    *diff_ids = bt_steal_ptr(&ids);
    return 0;
}

static struct image *image_from_config(const char *id, const char *text, size_t len, bt_err **err)
{
    bt_autoptr(json_t) config = bt_json_parse_object(text, len, err);
    if (!config)
        return NULL;
    char **diff_ids = NULL;
    int64_t created;
    if (image_parse_config(config, &diff_ids, &created, err) < 0)
        return NULL;
    struct image *img = bt_xzalloc(sizeof(*img));
    snprintf(img->id, sizeof(img->id), "%s", id);
    img->config = bt_steal_ptr(&config);
    img->diff_ids = diff_ids;
    img->chains = layer_chain_ids(diff_ids);
    img->nlayers = bt_strv_len(diff_ids);
    img->created = created;
    return img;
}

int store_save_image_record_locked(struct image_store *s, const struct image *img, bt_err **err)
{
    bt_autoptr(json_t) rec = json_object();
    if (img->parent[0])
        bt_json_set_str(rec, "parent", img->parent);
    if (img->last_tag_time)
        bt_json_set_str(rec, "last_tag_time", img->last_tag_time);
    bt_autofree char *path = store_path(s, "images/%s.json", bt_digest_hex(img->id));
    return bt_json_save_file(path, rec, 0600, err);
}

static void index_add_image(struct image_store *s, struct image *img)
{
    s->images = bt_xreallocarray(s->images, s->nimages + 1, sizeof(*s->images));
    s->images[s->nimages++] = img;
    if (img->nlayers)
        layer_hold_locked(s, img->chains[img->nlayers - 1]);
}

struct image *store_create_image_locked(struct image_store *s, const char *config, size_t len,
                                        bt_err **err)
{
    char id[BT_DIGEST_STR_SIZE];
    bt_sha256_digest(config, len, id);
    struct image *found = store_find_image_locked(s, id);
    if (found)
        return found;
    struct image *img = image_from_config(id, config, len, err);
    if (!img)
        return NULL;
    for (size_t i = 0; i < img->nlayers; i++) {
        if (!layer_find_locked(s, img->chains[i])) {
            bt_err_set(err, BT_E_INTERNAL, "create image %s: layer %s is missing", id,
                       img->chains[i]);
            image_free(img);
            return NULL;
        }
    }
    char written[BT_DIGEST_STR_SIZE];
    if (blob_put(s, config, len, written, err) < 0 ||
        store_save_image_record_locked(s, img, err) < 0) {
        image_free(img);
        return NULL;
    }
    index_add_image(s, img);
    return img;
}

int store_delete_image_locked(struct image_store *s, struct image *img, struct removed *r,
                              bt_err **err)
{
    bt_autofree char *path = store_path(s, "images/%s.json", bt_digest_hex(img->id));
    if (unlink(path) < 0 && errno != ENOENT)
        return bt_err_errno(err, errno, "remove \"%s\"", path);
    blob_remove(s, img->id);
    for (size_t i = 0; i < s->nimages; i++) {
        if (s->images[i] == img) {
            memmove(&s->images[i], &s->images[i + 1], (s->nimages - i - 1) * sizeof(*s->images));
            s->nimages--;
            break;
        }
    }
    if (img->nlayers)
        layer_release_locked(s, img->chains[img->nlayers - 1], r);
    image_free(img);
    return 0;
}

/* ---- naming ---- */

static bool all_hex(const char *s)
{
    if (!*s || strlen(s) > BT_SHA256_HEX_LEN)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

/* digestset.Lookup: the one image whose hex starts with prefix; NULL when none or several. */
static struct image *find_by_prefix(struct image_store *s, const char *prefix)
{
    struct image *match = NULL;
    size_t n = strlen(prefix);
    for (size_t i = 0; i < s->nimages; i++) {
        if (strncmp(bt_digest_hex(s->images[i]->id), prefix, n) == 0) {
            if (match)
                return NULL;
            match = s->images[i];
        }
    }
    return match;
}

static struct image *not_found(const char *what, bt_err **err)
{
    bt_err_set(err, BT_E_NOT_FOUND, "No such image: %s", what);
    return NULL;
}

struct image *store_resolve_locked(struct image_store *s, const char *name, bool *by_id,
                                   bt_err **err)
{
    bool dummy;
    by_id = by_id ? by_id : &dummy;
    *by_id = true;
    /* ParseAnyReference: 64 hex digits or a digest are IDs, nothing else is */
    const char *hex = strncmp(name, "sha256:", 7) == 0 ? name + 7 : name;
    if (bt_is_hex64(hex)) {
        bt_autofree char *id = bt_xasprintf("sha256:%s", hex);
        struct image *img = store_find_image_locked(s, id);
        return img ? img : not_found(id, err);
    }
    bt_autoptr(bt_ref) ref = bt_ref_parse(name, err);
    if (!ref)
        return NULL;
    bt_autofree char *key = refs_key(ref);
    struct ref *r = refs_get_locked(s, key);
    struct image *img = r ? store_find_image_locked(s, r->id) : NULL;
    if (img) {
        *by_id = false;
        return img;
    }
    if (all_hex(hex) && (img = find_by_prefix(s, hex)))
        return img;
    /* ErrImageDoesNotExist names the reference with its default tag */
    bt_autoptr(bt_ref) shown = bt_ref_parse_docker(name, NULL);
    bt_autofree char *familiar = bt_ref_familiar_string(shown ? shown : ref);
    return not_found(familiar, err);
}

char *image_resolve(struct image_store *s, const char *name, bt_err **err)
{
    store_lock(s);
    struct image *img = store_resolve_locked(s, name, NULL, err);
    char *id = img ? bt_xstrdup(img->id) : NULL;
    store_unlock(s);
    return id;
}

/* ---- opening ---- */

static int make_layout(struct image_store *s, bt_err **err)
{
    static const char *const dirs[] = {"blobs/sha256", "layers", "l", "images", "mounts", "empty"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        bt_autofree char *p = store_path(s, "%s", dirs[i]);
        if (bt_mkdir_p(p, 0700, err) < 0)
            return -1;
    }
    /* overlayfs must be able to traverse to the layers as any user the container runs as */
    bt_autofree char *l = store_path(s, "l");
    bt_autofree char *layers = store_path(s, "layers");
    bt_autofree char *empty = store_path(s, "empty");
    if (chmod(s->root, 0711) < 0 || chmod(l, 0711) < 0 || chmod(layers, 0711) < 0 ||
        chmod(empty, 0755) < 0)
        return bt_err_errno(err, errno, "chmod \"%s\"", s->root);
    /* staging from a previous run is garbage: its operations never finished */
    bt_autofree char *tmp = store_path(s, "tmp");
    if (bt_rm_rf(tmp, err) < 0 || bt_mkdir_p(tmp, 0700, err) < 0)
        return -1;
    return 0;
}

/* Each images/<hex>.json with its config blob (verified) becomes an index entry. */
static int load_images(struct image_store *s, bt_err **err)
{
    bt_autofree char *dir = store_path(s, "images");
    DIR *d = opendir(dir);
    if (!d)
        return bt_err_errno(err, errno, "open \"%s\"", dir);
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n != BT_SHA256_HEX_LEN + 5 || strcmp(de->d_name + BT_SHA256_HEX_LEN, ".json") != 0)
            continue;
        bt_autofree char *hex = bt_xstrndup(de->d_name, BT_SHA256_HEX_LEN);
        bt_autofree char *id = bt_xasprintf("sha256:%s", hex);
        bt_autofree char *rec_path = bt_xasprintf("%s/%s", dir, de->d_name);
        bt_autofree char *cfg_path = blob_path(s, id);
        bt_autostrbuf struct bt_strbuf cfg = BT_STRBUF_INIT;
        bt_autoerr bt_err *e = NULL;
        bt_autoptr(json_t) rec = bt_json_load_file(rec_path, &e);
        char sum[BT_DIGEST_STR_SIZE] = "";
        if (rec && bt_file_read(cfg_path, &cfg, MAX_JSON_SIZE, &e) == 0)
            bt_sha256_digest(cfg.buf, cfg.len, sum);
        if (!e && strcmp(sum, id) != 0)
            bt_err_set(&e, BT_E_CORRUPT, "config blob does not match its digest");
        struct image *img = e ? NULL : image_from_config(id, cfg.buf, cfg.len, &e);
        if (img && img->nlayers && !layer_find_locked(s, img->chains[img->nlayers - 1]))
            bt_err_set(&e, BT_E_CORRUPT, "layer %s is missing", img->chains[img->nlayers - 1]);
        if (e) {
            bt_warn("image store: skipping image %s: %s", id, bt_err_msg(e));
            image_free(img);
            continue;
        }
        snprintf(img->parent, sizeof(img->parent), "%s", bt_json_get_str(rec, "parent", ""));
        img->last_tag_time = bt_xstrdup_or_null(bt_json_get_str(rec, "last_tag_time", NULL));
        index_add_image(s, img);
    }
    closedir(d);
    return 0;
}

/* Blobs no image or layer names are what a crash between writing a blob and recording its
 * user leaves behind. */
static void collect_blobs(struct image_store *s)
{
    bt_autoptr(bt_strset) used = bt_strset_new();
    for (size_t i = 0; i < s->nimages; i++)
        bt_strset_add(used, bt_digest_hex(s->images[i]->id));
    for (size_t i = 0; i < s->nlayers; i++)
        bt_strset_add(used, bt_digest_hex(s->layers[i]->blob));
    bt_autofree char *dir = store_path(s, "blobs/sha256");
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || bt_strset_has(used, de->d_name))
            continue;
        bt_info("image store: removing unused blob sha256:%s", de->d_name);
        unlinkat(dirfd(d), de->d_name, 0);
    }
    closedir(d);
}

struct image_store *image_store_open(const struct image_store_opts *opts, bt_err **err)
{
    if (bt_mkdir_p(opts->root, 0711, err) < 0)
        return NULL;
    struct image_store *s = bt_xzalloc(sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    /* absolute: the root is where mounts chdir to, and the prefix of every path handed out */
    s->root = realpath(opts->root, NULL);
    if (!s->root)
        s->root = bt_xstrdup(opts->root);
    s->plain_whiteouts = opts->plain_whiteouts;
    s->index_off = access("/sys/module/overlay/parameters/index", F_OK) == 0;
    struct removed r = {0};
    if (make_layout(s, err) < 0 || layers_load_locked(s, err) < 0 || load_images(s, err) < 0 ||
        mounts_load_locked(s, err) < 0 || refs_load_locked(s, err) < 0) {
        bt_err_wrap(err, "open image store \"%s\"", opts->root);
        image_store_close(s);
        return NULL;
    }
    layers_collect_locked(s, &r);
    collect_blobs(s);
    store_reap(bt_steal_ptr(&r.doomed));
    removed_clear(&r);
    return s;
}

void image_store_close(struct image_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nimages; i++)
        image_free(s->images[i]);
    free(s->images);
    for (size_t i = 0; i < s->nlayers; i++)
        layer_free(s->layers[i]);
    free(s->layers);
    for (size_t i = 0; i < s->nrefs; i++)
        ref_free(s->refs[i]);
    free(s->refs);
    for (size_t i = 0; i < s->nmounts; i++)
        mount_rec_free(s->mounts[i]);
    free(s->mounts);
    pthread_mutex_destroy(&s->mu);
    free(s->root);
    free(s);
}
