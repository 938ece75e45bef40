/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Inside the image store: the in-memory index and the helpers its files share. Not for other
 * modules (they use image.h); tests include it to look at internals.
 *
 * Locking: functions named *_locked expect s->mu held; the others take it themselves or touch
 * nothing shared. The index owns every struct below; pointers into it are valid only while
 * the lock is held.
 *
 * Layer references ("holds"): a hold on chain C counts on C and on every layer below it, so a
 * layer lives while anything holds it or a layer above it. Images hold their top layer,
 * container mounts hold their image's top layer, and import/load/save hold the layers they
 * work with until they are done (so a concurrent rmi can't delete them underneath).
 */
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "guest/engine/image/image.h"
#include "shared/base/strbuf.h"
#include "shared/crypto/digest.h"
#include "shared/reference/reference.h"

#define LINK_LEN      26        /* l/<26 chars>, as dockerd's overlay2 names its short links */
#define MAX_LAYERS    128       /* dockerd's overlay2 limit: the lowerdirs must fit one page */
#define MAX_JSON_SIZE (8 << 20) /* configs, manifests, indexes from outside */

#define MEDIA_LAYER_TAR  "application/vnd.oci.image.layer.v1.tar"
#define MEDIA_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MEDIA_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"

struct layer {
    char chain[BT_DIGEST_STR_SIZE];
    char diff_id[BT_DIGEST_STR_SIZE];
    char parent[BT_DIGEST_STR_SIZE]; /* "" for a base layer */
    char blob[BT_DIGEST_STR_SIZE];   /* the blob as received */
    char *media_type;
    char link[LINK_LEN + 1];
    int64_t size; /* bytes of the uncompressed tar */
    unsigned refs;
};

struct image {
    char id[BT_DIGEST_STR_SIZE];
    char parent[BT_DIGEST_STR_SIZE]; /* "" when none */
    json_t *config;
    char **diff_ids; /* bottom first */
    char **chains;   /* chain IDs, same order */
    size_t nlayers;
    int64_t created; /* Unix seconds; 0 when the config has none */
    char *last_tag_time;
};

struct ref {
    char *key;  /* normalised: "docker.io/library/busybox:latest" or "...@sha256:..." */
    char *name; /* "docker.io/library/busybox" */
    char *familiar;
    bool digest; /* a digest (canonical) reference */
    char id[BT_DIGEST_STR_SIZE];
};

struct mount_rec {
    char *key;
    char *dir;
    char image_id[BT_DIGEST_STR_SIZE];
    char top[BT_DIGEST_STR_SIZE]; /* the chain held, "" for an image without layers */
};

struct image_store {
    pthread_mutex_t mu;
    char *root;
    bool plain_whiteouts;
    bool index_off; /* the kernel knows overlay's index option: turn it off, as dockerd does */
    struct image **images;
    size_t nimages;
    struct layer **layers;
    size_t nlayers;
    struct ref **refs;
    size_t nrefs;
    struct mount_rec **mounts;
    size_t nmounts;
};

/* Chain IDs and layers removed by a release, top first, for "Deleted:" lines and prune's
 * space accounting; `doomed` are directories in tmp/ to delete once the lock is dropped. */
struct removed {
    char **chains;
    int64_t bytes;
    char **doomed;
};

void removed_clear(struct removed *r);

/* ---- store.c ---- */

void store_lock(struct image_store *s);
void store_unlock(struct image_store *s);
/* root + "/" + rel */
char *store_path(const struct image_store *s, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* A new empty directory tmp/<prefix>-XXXXXX (returned path) */
char *store_mkdtemp(struct image_store *s, const char *prefix, bt_err **err);
/* rm -rf each path (outside the lock) and free the vector */
void store_reap(char **doomed);

struct image *store_find_image_locked(struct image_store *s, const char *id);
/* The image a name means (see image_resolve()); *by_id tells whether it matched as an ID. */
struct image *store_resolve_locked(struct image_store *s, const char *name, bool *by_id,
                                   bt_err **err);
/* Store config (the exact bytes) as an image, whose layers (diff IDs in the config) must be
 * present; takes its hold on them. An image already there is returned as it is. */
struct image *store_create_image_locked(struct image_store *s, const char *config, size_t len,
                                        bt_err **err);
int store_save_image_record_locked(struct image_store *s, const struct image *img, bt_err **err);
/* Remove the image and its record, and release its layers into r. */
int store_delete_image_locked(struct image_store *s, struct image *img, struct removed *r,
                              bt_err **err);
bool store_has_children_locked(struct image_store *s, const char *id);
int64_t store_image_size_locked(struct image_store *s, const struct image *img);
/* Parse the parts of a config the index needs. */
int image_parse_config(const json_t *config, char ***diff_ids, int64_t *created, bt_err **err);

/* ---- refs.c ---- */

void ref_free(struct ref *r);
int refs_load_locked(struct image_store *s, bt_err **err);
int refs_save_locked(struct image_store *s, bt_err **err);
/* The key a reference is stored under: tag or digest (a digest wins over a tag), "latest" when
 * it has neither (TagNameOnly). */
char *refs_key(const struct bt_ref *r);
struct ref *refs_get_locked(struct image_store *s, const char *key);
/* httputils.RepoTagReference: repo[:tag] with "latest" by default; *out NULL without repo.
 * "cannot import digest reference" for a repo with a digest. */
int refs_repo_tag(const char *repo, const char *tag, struct bt_ref **out, bt_err **err);
/* Point r at id, replacing what it pointed at. *old_id (optional) receives the previous image
 * when it was another one. Saves repositories.json. */
int refs_add_locked(struct image_store *s, const struct bt_ref *r, const char *id,
                    char old_id[BT_DIGEST_STR_SIZE], bt_err **err);
/* Remove the reference stored under key; false when there was none. Saves. */
bool refs_delete_locked(struct image_store *s, const char *key, bt_err **err);
/* The references of an image, sorted by key (as dockerd's References()). */
struct ref **refs_of_image_locked(struct image_store *s, const char *id, size_t *n);
size_t refs_count_locked(struct image_store *s, const char *id);
/* Familiar tags / digests of an image, sorted by key; never NULL. */
char **refs_familiar_locked(struct image_store *s, const char *id, bool digests);
/* Set the image's last tag time to now and save its record. */
int refs_touch_image_locked(struct image_store *s, struct image *img, bt_err **err);

/* ---- layers.c ---- */

/* chain = sha256(parent + " " + diff_id), or diff_id when there is no parent */
void layer_chain_id(const char *parent, const char *diff_id, char out[BT_DIGEST_STR_SIZE]);
/* Chain IDs of a stack of diff IDs; NULL-terminated */
char **layer_chain_ids(char *const *diff_ids);

void layer_free(struct layer *l);
int layers_load_locked(struct image_store *s, bt_err **err);
struct layer *layer_find_locked(struct image_store *s, const char *chain);
void layer_hold_locked(struct image_store *s, const char *chain);
/* Drop a hold on chain; layers whose count reaches 0 are deleted into r. */
void layer_release_locked(struct image_store *s, const char *chain, struct removed *r);
/* Delete layers with no references (after open) */
void layers_collect_locked(struct image_store *s, struct removed *r);

/* A layer unpacked in tmp/ but not yet in the store. */
struct staged_layer {
    char *dir;  /* tmp/stage-XXXXXX: holds diff/ and blob */
    char *blob; /* the blob file (a hard link to or the copy of the input) */
    char blob_digest[BT_DIGEST_STR_SIZE];
    char diff_id[BT_DIGEST_STR_SIZE];
    char *media_type;
    int64_t size;
};

void staged_layer_clear(struct staged_layer *st);

/* Unpack the layer blob at path (hard-linked as the staged blob, or copied when it can't be)
 * and compute its digests (blob_digest, diff_id) for the caller to check. media_type NULL:
 * guessed from the first bytes. */
int layer_stage(struct image_store *s, const char *path, const char *media_type,
                struct staged_layer *out, bt_err **err);
/* Stage a layer whose tar (at path, plain, of the given digest and size, hard-linked or copied
 * as the blob) was packed from the directory tree: the tree itself, already in the form
 * unpacking the tar would give, is renamed to be the layer's diff instead of unpacking the tar
 * again. Fails (EXDEV and the like) with tree left where it was. */
int layer_stage_tree(struct image_store *s, const char *path, const char *digest, int64_t size,
                     const char *tree, struct staged_layer *out, bt_err **err);
/* Put a staged layer into the store on top of parent (held by the caller; "" for none), unless
 * its chain is there already. Either way the caller gets one hold on the chain. */
struct layer *layer_commit_locked(struct image_store *s, const char *parent,
                                  struct staged_layer *st, bt_err **err);
/* "l/A:l/B..." for the stack below and including chain (nearest first) */
char *layer_lowers_locked(struct image_store *s, const char *chain);
char *layer_diff_path(const struct image_store *s, const char *chain);

/* ---- rwlayer.c ---- */

void mount_rec_free(struct mount_rec *m);
/* mounts/<key>.json into the index, each holding its layers */
int mounts_load_locked(struct image_store *s, bt_err **err);

/* ---- blobs.c ---- */

char *blob_path(const struct image_store *s, const char *digest);
/* Move the file at tmp (already verified to have this digest, and synced) to blobs/; an
 * existing blob of the same digest wins and tmp is removed. */
int blob_commit(struct image_store *s, const char *tmp, const char *digest, bt_err **err);
/* Write data as a blob (atomically); digest receives its name. */
int blob_put(struct image_store *s, const void *data, size_t len, char digest[BT_DIGEST_STR_SIZE],
             bt_err **err);
/* Copy fd to a new file at path, hashing it. */
int blob_copy_fd(int fd, const char *path, char digest[BT_DIGEST_STR_SIZE], int64_t *size,
                 bt_err **err);
void blob_remove(struct image_store *s, const char *digest);
/* The media type of a layer blob from its first bytes */
const char *blob_sniff_media_type(const char *path);

/* ---- timeparse.c ---- */

/* Go's time.ParseDuration: nanoseconds. BT_E_INVALID `time: invalid duration "x"`. */
int image_parse_duration(const char *s, int64_t *ns, bt_err **err);
/* dockerd's timestamp.Parse (until=, before=): a Go duration before now, an RFC 3339 date or
 * time (local time without a zone), or Unix seconds[.nanoseconds]. Unix seconds out. */
int image_parse_timestamp(const char *s, int64_t now, int64_t *out, bt_err **err);
/* RFC 3339 with nanoseconds ("2024-05-01T10:00:00.5Z"); the Unix seconds out. */
int image_parse_rfc3339(const char *s, int64_t *sec, bt_err **err);
/* now as Go marshals a UTC time.Time: RFC 3339, trailing zeros of the fraction dropped */
char *image_time_now_rfc3339(void);

/* ---- changes-words.c: the Dockerfile word rules changes.c needs ---- */

/* Join the changes with newlines and cut them into logical lines: continuations joined,
 * blank and comment lines dropped. */
char **changes_logical_lines(char *const *changes);
/* parseWords: split on unquoted blanks, keeping quotes and escapes */
char **changes_split_words(const char *rest);
/* extractBuilderFlags: the leading "--flag" words; *args is where the arguments start */
char **changes_builder_flags(const char *rest, const char **args);
/* ProcessWord: quotes removed, escapes applied, $variables expanded from env (["K=V"...]) */
char *changes_expand(const char *word, const json_t *env, bt_err **err);
/* ProcessWords: the same, split into words where unquoted expansions have blanks */
char **changes_expand_words(const char *word, const json_t *env, bt_err **err);

/* ---- filters (query.c) ---- */

/* Docker's filters.Args semantics over a list of key/value pairs. */
bool filters_has(const struct image_filter *f, size_t n, const char *key);
/* Every key must be one of accepted (NULL-terminated): "invalid filter 'key'" */
int filters_validate(const struct image_filter *f, size_t n, const char *const *accepted,
                     bt_err **err);
int filters_get_bool(const struct image_filter *f, size_t n, const char *key, bool def, bool *out,
                     bt_err **err);
/* MatchKVList: every "k" / "k=v" value of key is in labels (an object or NULL) */
bool filters_match_labels(const struct image_filter *f, size_t n, const char *key,
                          const json_t *labels);
/* The labels of an image config (Config.Labels), or NULL */
json_t *image_labels(const struct image *img);

/* ---- delete.c ---- */

struct delete_ctx {
    struct image_store *s;
    const struct image_user *users;
    size_t nusers;
    struct image_delete_result *res;
    struct removed removed;
};
/* rmi with the store locked; results appended to ctx->res */
int delete_locked(struct delete_ctx *c, const char *name, bool force, bool prune, bt_err **err);
void delete_result_add(struct image_delete_result *r, enum image_delete_kind kind,
                       const char *what);

/* ---- import.c: JSON as dockerd's Go code writes it ---- */

/* Compact, with <, > and & escaped as encoding/json does */
char *image_json_go(const json_t *v);
/* A copy of an object with sorted keys (a Go map); NULL for a non-object */
json_t *image_json_sorted(const json_t *obj);
/* container.Config in its struct order, zero values and omitempty as Go marshals it */
json_t *image_container_config_go(const json_t *config);

/* ---- misc ---- */

/* "sha256:<hex>" -> first 12 hex, as stringid.TruncateID */
const char *short_id(const char *id, char out[13]);
