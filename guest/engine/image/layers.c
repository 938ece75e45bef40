/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Layers: each unpacked once under layers/<chain-hex>/ and shared by every image whose stack
 * contains it.
 *
 *   layers/<chain-hex>/diff/       the layer's files, whiteouts in overlayfs form
 *   layers/<chain-hex>/link        its short name; l/<short> -> ../layers/<chain-hex>/diff
 *   layers/<chain-hex>/lower       "l/<parent>:l/<grandparent>..." (dockerd's overlay2 file)
 *   layers/<chain-hex>/meta.json   diff_id, parent, size, blob, media_type
 *
 * A layer is unpacked in tmp/ and renamed into place complete, so layers/ holds only whole
 * layers. Keyed by chain ID, not diff ID: the same diff on another parent is another overlay
 * stack position and, like dockerd, another directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/engine/image/image-internal.h"
#include "shared/archive/archive.h"
#include "shared/base/cleanup.h"
#include "shared/base/log.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

void layer_chain_id(const char *parent, const char *diff_id, char out[BT_DIGEST_STR_SIZE])
{
    if (!parent || !*parent) {
        snprintf(out, BT_DIGEST_STR_SIZE, "%s", diff_id);
        return;
    }
    bt_autofree char *text = bt_xasprintf("%s %s", parent, diff_id);
    bt_sha256_digest(text, strlen(text), out);
}

char **layer_chain_ids(char *const *diff_ids)
{
    char **out = bt_xzalloc(sizeof(char *));
    char chain[BT_DIGEST_STR_SIZE] = "";
    for (size_t i = 0; diff_ids && diff_ids[i]; i++) {
        char next[BT_DIGEST_STR_SIZE];
        layer_chain_id(chain, diff_ids[i], next);
        memcpy(chain, next, sizeof(chain));
        bt_strv_push(&out, chain);
    }
    return out;
}

void layer_free(struct layer *l)
{
    if (!l)
        return;
    free(l->media_type);
    free(l);
}

struct layer *layer_find_locked(struct image_store *s, const char *chain)
{
    for (size_t i = 0; i < s->nlayers; i++)
        if (strcmp(s->layers[i]->chain, chain) == 0)
            return s->layers[i];
    return NULL;
}

char *layer_diff_path(const struct image_store *s, const char *chain)
{
    return store_path(s, "layers/%s/diff", bt_digest_hex(chain));
}

char *layer_lowers_locked(struct image_store *s, const char *chain)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    for (struct layer *l = layer_find_locked(s, chain); l; l = layer_find_locked(s, l->parent))
        bt_strbuf_appendf(&sb, "%sl/%s", sb.len ? ":" : "", l->link);
    return bt_strbuf_steal(&sb);
}

void layer_hold_locked(struct image_store *s, const char *chain)
{
    for (struct layer *l = layer_find_locked(s, chain); l; l = layer_find_locked(s, l->parent))
        l->refs++;
}

static void index_remove_layer(struct image_store *s, struct layer *l)
{
    for (size_t i = 0; i < s->nlayers; i++) {
        if (s->layers[i] == l) {
            memmove(&s->layers[i], &s->layers[i + 1], (s->nlayers - i - 1) * sizeof(*s->layers));
            s->nlayers--;
            return;
        }
    }
}

/* Take the layer out of the index and out of layers/ (a rename into tmp/, deleted later by
 * whoever holds r, without the lock); its blob goes when no other layer has it. */
static void delete_layer(struct image_store *s, struct layer *l, struct removed *r)
{
    const char *hex = bt_digest_hex(l->chain);
    bt_autofree char *link = store_path(s, "l/%s", l->link);
    unlink(link);
    bt_autofree char *dir = store_path(s, "layers/%s", hex);
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *grave = store_mkdtemp(s, "del", &err);
    bt_autofree char *dest = grave ? bt_xasprintf("%s/%s", grave, hex) : NULL;
    if (!grave || rename(dir, dest) < 0) {
        bt_warn("image store: remove layer %s: %s", l->chain,
                err ? bt_err_msg(err) : strerror(errno));
    }
    if (grave)
        bt_strv_push(&r->doomed, grave);
    bt_strv_push(&r->chains, l->chain);
    r->bytes += l->size;
    index_remove_layer(s, l);
    bool blob_used = false;
    for (size_t i = 0; i < s->nlayers && !blob_used; i++)
        blob_used = strcmp(s->layers[i]->blob, l->blob) == 0;
    if (!blob_used && l->blob[0])
        blob_remove(s, l->blob);
    layer_free(l);
}

void layer_release_locked(struct image_store *s, const char *chain, struct removed *r)
{
    char cur[BT_DIGEST_STR_SIZE];
    snprintf(cur, sizeof(cur), "%s", chain);
    while (cur[0]) {
        struct layer *l = layer_find_locked(s, cur);
        if (!l)
            return;
        snprintf(cur, sizeof(cur), "%s", l->parent);
        if (l->refs > 0)
            l->refs--;
        if (l->refs == 0)
            delete_layer(s, l, r);
    }
}

void layers_collect_locked(struct image_store *s, struct removed *r)
{
    for (size_t i = s->nlayers; i-- > 0;) {
        if (i < s->nlayers && s->layers[i]->refs == 0) {
            bt_info("image store: removing unused layer %s", s->layers[i]->chain);
            delete_layer(s, s->layers[i], r);
        }
    }
}

/* ---- loading ---- */

static struct layer *layer_load(struct image_store *s, const char *hex, bt_err **err)
{
    bt_autofree char *meta_path = store_path(s, "layers/%s/meta.json", hex);
    bt_autofree char *link_path = store_path(s, "layers/%s/link", hex);
    bt_autoptr(json_t) meta = bt_json_load_file(meta_path, err);
    if (!meta)
        return NULL;
    bt_autostrbuf struct bt_strbuf link = BT_STRBUF_INIT;
    if (bt_file_read(link_path, &link, 64, err) < 0)
        return NULL;
    const char *diff_id = bt_json_get_str(meta, "diff_id", "");
    const char *parent = bt_json_get_str(meta, "parent", "");
    char chain[BT_DIGEST_STR_SIZE];
    layer_chain_id(parent, diff_id, chain);
    if (strcmp(bt_digest_hex(chain) ? bt_digest_hex(chain) : "", hex) != 0 ||
        link.len != LINK_LEN) {
        bt_err_set(err, BT_E_CORRUPT, "meta.json or link does not match the layer");
        return NULL;
    }
    struct layer *l = bt_xzalloc(sizeof(*l));
    snprintf(l->chain, sizeof(l->chain), "%s", chain);
    snprintf(l->diff_id, sizeof(l->diff_id), "%s", diff_id);
    snprintf(l->parent, sizeof(l->parent), "%s", parent);
    snprintf(l->blob, sizeof(l->blob), "%s", bt_json_get_str(meta, "blob", ""));
    l->media_type = bt_xstrdup(bt_json_get_str(meta, "media_type", MEDIA_LAYER_TAR));
    memcpy(l->link, link.buf, LINK_LEN);
    l->size = bt_json_get_int(meta, "size", 0);
    return l;
}

static void ensure_link(struct image_store *s, const struct layer *l)
{
    bt_autofree char *link = store_path(s, "l/%s", l->link);
    bt_autofree char *target = bt_xasprintf("../layers/%s/diff", bt_digest_hex(l->chain));
    char buf[256];
    ssize_t n = readlink(link, buf, sizeof(buf) - 1);
    if (n >= 0) {
        buf[n] = '\0';
        if (strcmp(buf, target) == 0)
            return;
    }
    unlink(link);
    if (symlink(target, link) < 0)
        bt_warn("image store: link %s: %s", link, strerror(errno));
}

/* Drop layers whose parent is missing (and then theirs), until none is left. */
static void drop_orphans(struct image_store *s)
{
    bool again = true;
    while (again) {
        again = false;
        for (size_t i = 0; i < s->nlayers; i++) {
            struct layer *l = s->layers[i];
            if (l->parent[0] && !layer_find_locked(s, l->parent)) {
                bt_warn("image store: skipping layer %s: parent %s is missing", l->chain,
                        l->parent);
                index_remove_layer(s, l);
                layer_free(l);
                again = true;
                break;
            }
        }
    }
}

/* Short links nothing points at any more (a crash between removing a layer and its link). */
static void collect_links(struct image_store *s)
{
    bt_autofree char *dir = store_path(s, "l");
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        bool used = false;
        for (size_t i = 0; i < s->nlayers && !used; i++)
            used = strcmp(s->layers[i]->link, de->d_name) == 0;
        if (!used)
            unlinkat(dirfd(d), de->d_name, 0);
    }
    closedir(d);
}

int layers_load_locked(struct image_store *s, bt_err **err)
{
    bt_autofree char *dir = store_path(s, "layers");
    DIR *d = opendir(dir);
    if (!d)
        return bt_err_errno(err, errno, "open \"%s\"", dir);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        bt_autoerr bt_err *e = NULL;
        struct layer *l = bt_is_hex64(de->d_name) ? layer_load(s, de->d_name, &e) : NULL;
        if (!l) {
            bt_warn("image store: removing broken layer directory %s: %s", de->d_name,
                    e ? bt_err_msg(e) : "not a chain ID");
            bt_err_clear(&e);
            if (bt_rm_rf_at(dirfd(d), de->d_name, de->d_name, &e) < 0)
                bt_warn("image store: %s", bt_err_msg(e));
            continue;
        }
        s->layers = bt_xreallocarray(s->layers, s->nlayers + 1, sizeof(*s->layers));
        s->layers[s->nlayers++] = l;
    }
    closedir(d);
    drop_orphans(s);
    for (size_t i = 0; i < s->nlayers; i++)
        ensure_link(s, s->layers[i]);
    collect_links(s);
    return 0;
}

/* ---- adding ---- */

void staged_layer_clear(struct staged_layer *st)
{
    if (st->dir) {
        bt_autoerr bt_err *err = NULL;
        bt_rm_rf(st->dir, &err);
    }
    free(st->dir);
    free(st->blob);
    free(st->media_type);
    memset(st, 0, sizeof(*st));
}

int layer_stage(struct image_store *s, const char *path, const char *media_type,
                struct staged_layer *out, bt_err **err)
{
    memset(out, 0, sizeof(*out));
    out->dir = store_mkdtemp(s, "stage", err);
    if (!out->dir)
        return -1;
    out->blob = bt_xasprintf("%s/blob", out->dir);
    /* the input lives in tmp/ too: a hard link keeps it as the blob without a copy */
    if (link(path, out->blob) < 0) {
        bt_autoclose int in = open(path, O_RDONLY | O_CLOEXEC);
        if (in < 0)
            return bt_err_errno(err, errno, "open \"%s\"", path);
        if (blob_copy_fd(in, out->blob, NULL, NULL, err) < 0)
            return -1;
    }
    bt_autofree char *diff = bt_xasprintf("%s/diff", out->dir);
    if (mkdir(diff, 0755) < 0)
        return bt_err_errno(err, errno, "mkdir \"%s\"", diff);
    bt_autoclose int fd = open(out->blob, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return bt_err_errno(err, errno, "open \"%s\"", out->blob);
    /* start the blob's writeback now, so that the disk writes it while the layer is unpacked
     * and the fsync below waits for little (a 100 MiB blob: about 0.1 s here); advisory, the
     * fsync is what counts */
    (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    struct bt_extract_opts opts = {
            .whiteouts = s->plain_whiteouts ? BT_WHITEOUT_KEEP : BT_WHITEOUT_OVERLAY,
            .stored_digest = out->blob_digest,
            .diff_id = out->diff_id,
            .tar_size = &out->size,
    };
    if (bt_tar_extract_fd(fd, diff, &opts, err) < 0)
        return bt_err_wrap(err, "unpack layer");
    /* the blob's data reaches the disk here, outside the store's lock, so that committing it
     * (a rename) is quick */
    if (fchmod(fd, 0644) < 0 || fsync(fd) < 0)
        return bt_err_errno(err, errno, "sync \"%s\"", out->blob);
    out->media_type = bt_xstrdup(media_type ? media_type : blob_sniff_media_type(out->blob));
    return 0;
}

int layer_stage_tree(struct image_store *s, const char *path, const char *digest, int64_t size,
                     const char *tree, struct staged_layer *out, bt_err **err)
{
    memset(out, 0, sizeof(*out));
    out->dir = store_mkdtemp(s, "stage", err);
    if (!out->dir)
        return -1;
    out->blob = bt_xasprintf("%s/blob", out->dir);
    if (link(path, out->blob) < 0) {
        bt_autoclose int in = open(path, O_RDONLY | O_CLOEXEC);
        if (in < 0)
            return bt_err_errno(err, errno, "open \"%s\"", path);
        if (blob_copy_fd(in, out->blob, NULL, NULL, err) < 0)
            return -1;
    }
    bt_autoclose int fd = open(out->blob, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return bt_err_errno(err, errno, "open \"%s\"", out->blob);
    if (fchmod(fd, 0644) < 0 || fsync(fd) < 0)
        return bt_err_errno(err, errno, "sync \"%s\"", out->blob);
    bt_autofree char *diff = bt_xasprintf("%s/diff", out->dir);
    if (rename(tree, diff) < 0)
        return bt_err_errno(err, errno, "rename \"%s\" to \"%s\"", tree, diff);
    snprintf(out->blob_digest, sizeof(out->blob_digest), "%s", digest);
    snprintf(out->diff_id, sizeof(out->diff_id), "%s", digest);
    out->size = size;
    out->media_type = bt_xstrdup(MEDIA_LAYER_TAR);
    return 0;
}

static void new_link_name(struct image_store *s, char out[LINK_LEN + 1])
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    for (;;) {
        bt_autofree char *hex = bt_random_hex(LINK_LEN);
        for (size_t i = 0; i < LINK_LEN; i++) {
            unsigned v = 0;
            sscanf(hex + 2 * i, "%2x", &v);
            out[i] = alphabet[v % 32];
        }
        out[LINK_LEN] = '\0';
        bt_autofree char *p = store_path(s, "l/%s", out);
        if (!bt_path_exists(p))
            return;
    }
}

static int write_layer_files(struct image_store *s, const struct layer *l, const char *dir,
                             bt_err **err)
{
    bt_autofree char *link = bt_xasprintf("%s/link", dir);
    if (bt_file_write_atomic(link, l->link, LINK_LEN, 0644, err) < 0)
        return -1;
    if (l->parent[0]) {
        bt_autofree char *lowers = layer_lowers_locked(s, l->parent);
        bt_autofree char *lower = bt_xasprintf("%s/lower", dir);
        if (bt_file_write_atomic(lower, lowers, strlen(lowers), 0644, err) < 0)
            return -1;
    }
    bt_autoptr(json_t) meta = json_object();
    bt_json_set_str(meta, "diff_id", l->diff_id);
    if (l->parent[0])
        bt_json_set_str(meta, "parent", l->parent);
    bt_json_set_int(meta, "size", l->size);
    bt_json_set_str(meta, "blob", l->blob);
    bt_json_set_str(meta, "media_type", l->media_type);
    bt_autofree char *meta_path = bt_xasprintf("%s/meta.json", dir);
    return bt_json_save_file(meta_path, meta, 0600, err);
}

struct layer *layer_commit_locked(struct image_store *s, const char *parent,
                                  struct staged_layer *st, bt_err **err)
{
    char chain[BT_DIGEST_STR_SIZE];
    layer_chain_id(parent, st->diff_id, chain);
    struct layer *l = layer_find_locked(s, chain);
    if (l) {
        layer_hold_locked(s, chain);
        return l;
    }
    if (parent && *parent && !layer_find_locked(s, parent)) {
        bt_err_set(err, BT_E_INTERNAL, "add layer %s: parent %s is missing", chain, parent);
        return NULL;
    }
    l = bt_xzalloc(sizeof(*l));
    snprintf(l->chain, sizeof(l->chain), "%s", chain);
    snprintf(l->diff_id, sizeof(l->diff_id), "%s", st->diff_id);
    snprintf(l->parent, sizeof(l->parent), "%s", parent ? parent : "");
    snprintf(l->blob, sizeof(l->blob), "%s", st->blob_digest);
    l->media_type = bt_xstrdup(st->media_type);
    l->size = st->size;
    new_link_name(s, l->link);
    bt_autofree char *dest = store_path(s, "layers/%s", bt_digest_hex(chain));
    bt_autofree char *layers = store_path(s, "layers");
    bt_autofree char *link = store_path(s, "l/%s", l->link);
    bt_autofree char *target = bt_xasprintf("../layers/%s/diff", bt_digest_hex(chain));
    /* blob first: a crash leaves an unused blob (collected at open), never a layer without
     * its blob */
    if (blob_commit(s, st->blob, st->blob_digest, err) < 0 ||
        write_layer_files(s, l, st->dir, err) < 0) {
        layer_free(l);
        return NULL;
    }
    if (rename(st->dir, dest) < 0) {
        bt_err_errno(err, errno, "rename \"%s\" to \"%s\"", st->dir, dest);
        layer_free(l);
        return NULL;
    }
    free(st->dir);
    st->dir = NULL;
    int rc = bt_fsync_dir(layers, err);
    if (rc == 0 && symlink(target, link) < 0)
        rc = bt_err_errno(err, errno, "symlink \"%s\"", link);
    if (rc < 0) {
        bt_autoerr bt_err *e = NULL;
        bt_rm_rf(dest, &e);
        layer_free(l);
        return NULL;
    }
    s->layers = bt_xreallocarray(s->layers, s->nlayers + 1, sizeof(*s->layers));
    s->layers[s->nlayers++] = l;
    layer_hold_locked(s, chain);
    return l;
}
