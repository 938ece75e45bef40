/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The image store: Docker's image model for berthd (images, layers, tags), kept under
 * <data-root>/image/ (layout and reasoning in docs/internals/image.md).
 *
 * What it owns:
 *  - blobs as received (image configs, layer tars compressed or not), named by digest and
 *    verified before they are renamed into place;
 *  - layers unpacked once each for overlayfs and shared between images, keyed by chain ID
 *    (OCI image spec: chain(L1) = diffid1, chain(Ln) = sha256(chain(Ln-1) + " " + diffidn));
 *  - images: ID = sha256 of the config JSON bytes as stored; the config document is Docker's
 *    image config (the image spec) and is returned as stored;
 *  - tags (repositories.json), normalised as distribution/reference does;
 *  - read-write layers of containers ("mounts"), which keep their image's layers alive.
 *
 * Invariants: a layer exists while an image, a container mount or a running operation refers
 * to it, and is deleted with its blob when the last one goes. Every record is replaced
 * atomically; a crash leaves the store as before or after an operation (half-made layers are
 * collected when the store opens).
 *
 * Errors carry Docker's wording where a Docker client shows them ("No such image: x:latest",
 * "conflict: unable to delete ..."), with codes the API maps to HTTP statuses (BT_E_NOT_FOUND
 * 404, BT_E_CONFLICT 409, BT_E_INVALID 400).
 *
 * Ownership: every pointer returned is the caller's and is freed with the matching *_free()
 * (each accepts NULL). Strings named *_id are "sha256:<64 hex>".
 *
 * Thread safety: all functions may be called from any thread on one store. One mutex guards
 * the index; unpacking, copying, streaming and deleting trees happen outside it.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/base/cleanup.h"
#include "shared/base/err.h"

struct image_store;

struct image_store_opts {
    const char *root; /* <data-root>/image; created when missing */
    /* Store ".wh." entries of layers as plain files instead of overlayfs whiteouts (which need
     * CAP_MKNOD and trusted.* xattrs). For tests run without root; such layers must never be
     * mounted, as deleted files would show through. */
    bool plain_whiteouts;
};

/* Open (creating the layout), empty tmp/, load the index and collect what a crash left
 * behind: layers no image or mount refers to, blobs nothing refers to. */
struct image_store *image_store_open(const struct image_store_opts *opts, bt_err **err);
void image_store_close(struct image_store *s);
BT_DEFINE_AUTOPTR(image_store, struct image_store, image_store_close);

/* ---- naming ---- */

/* The image a user's name means, as dockerd's GetImage resolves it: "sha256:<hex>" or
 * "<hex>" (full ID), a reference ("busybox" is docker.io/library/busybox:latest,
 * "name@sha256:..." a digest reference), or else a unique prefix of the ID's hex (with or
 * without "sha256:"). Errors: "No such image: busybox:latest" (BT_E_NOT_FOUND, also for an
 * ambiguous prefix, as dockerd does), "invalid reference format..." (BT_E_INVALID).
 * Returns the image ID. */
char *image_resolve(struct image_store *s, const char *name, bt_err **err);

/* A container using an image, as the caller knows it (the store knows no containers): the
 * input of the in-use checks of rmi and prune and of the containers count of the list. */
struct image_user {
    const char *container_id; /* 64 hex */
    const char *image_id;     /* "sha256:<hex>" */
    bool running;
};

/* ---- list (docker images) ---- */

/* One filter of Docker's filters argument, e.g. {"label", "a=b"}, {"dangling", "true"}. */
struct image_filter {
    const char *key;
    const char *value;
};

struct image_list_opts {
    const struct image_filter *filters; /* dangling, label, before, since, reference, until */
    size_t nfilters;
    bool all;                       /* also intermediate images (untagged with children) */
    const struct image_user *users; /* optional: fills containers; -1 without */
    size_t nusers;
    bool shared_size; /* fill shared_size: the bytes of its layers other images use too */
};

struct image_summary {
    char *id;
    char *parent_id;     /* "" when none */
    char **repo_tags;    /* familiar ("busybox:latest"), may be empty, never NULL */
    char **repo_digests; /* familiar ("busybox@sha256:..."), never NULL */
    int64_t created;     /* Unix seconds */
    int64_t size;        /* bytes: sum of the unpacked layer tars */
    int64_t shared_size; /* -1: not computed */
    int64_t containers;  /* -1 without users */
    json_t *labels;      /* Config.Labels (an object), or NULL */
};

struct image_list {
    struct image_summary *items; /* newest first */
    size_t n;
};

/* Filter errors have Docker's words: "invalid filter 'x'", "invalid filter
 * 'dangling=[maybe]'", "No such image: x" for before/since. */
struct image_list *image_list(struct image_store *s, const struct image_list_opts *opts,
                              bt_err **err);
void image_list_free(struct image_list *l);

/* The bytes of every layer in the store, each counted once (`docker system df`'s
 * LayersSize). */
int64_t image_layers_size(struct image_store *s);

/* ---- inspect, history ---- */

struct image_inspect {
    char *id;
    char *parent_id;     /* "" when none */
    char **repo_tags;    /* familiar, never NULL */
    char **repo_digests; /* familiar, never NULL */
    json_t *config;      /* the image config document as stored (a new reference) */
    char **diff_ids;     /* RootFS.Layers, bottom first, never NULL */
    int64_t size;
    char *last_tag_time; /* RFC 3339 with nanoseconds, NULL when never tagged */
    /* GraphDriver "overlay2" data: the top layer's diff is UpperDir, the lower layers' diffs
     * are LowerDir (absolute, nearest first, ':'-joined; NULL for a single layer). All NULL
     * for an image without layers. */
    char *lower_dir;
    char *upper_dir;
    char *merged_dir;
    char *work_dir;
};

struct image_inspect *image_inspect(struct image_store *s, const char *name, bt_err **err);
void image_inspect_free(struct image_inspect *i);

struct image_history_item {
    char *id;         /* image ID, or "<missing>" where no local image has this state */
    int64_t created;  /* Unix seconds */
    char *created_by; /* "" when none */
    char **tags;      /* familiar tags of that image, never NULL */
    int64_t size;     /* size of the layer this step made, 0 for empty layers */
    char *comment;    /* "" when none */
};

struct image_history {
    struct image_history_item *items; /* newest first */
    size_t n;
};

struct image_history *image_history(struct image_store *s, const char *name, bt_err **err);
void image_history_free(struct image_history *h);

/* ---- import, tag, delete, prune ---- */

struct image_import_opts {
    const char *repo;     /* optional: tag the image repo[:tag] ("latest" by default) */
    const char *tag;      /* optional */
    const char *message;  /* the comment; NULL or "": "Imported from -", as dockerd writes */
    char *const *changes; /* Dockerfile instructions (see changes.h), NULL-terminated */
    const char *platform; /* "os[/arch[/variant]]", NULL: linux/amd64 */
};

/* docker import: read a layer tar (plain, gzip, zstd, xz or bzip2) from fd until EOF, keep
 * it as a blob, unpack it as the image's only layer, and make an image of it with a config
 * as dockerd writes one. Returns the new image ID. */
char *image_import(struct image_store *s, int fd, const struct image_import_opts *opts,
                   bt_err **err);

struct image_commit_opts {
    const char *base;               /* the image the container was made from; NULL or "": none */
    const char *upper_dir;          /* the container's changes (its overlay upper directory); NULL:
                                     * none (a config-only step) */
    char *const *mount_points;      /* destinations the runtime mounted on (NULL-terminated): their
                                     * empty files and directories are not changes */
    const json_t *config;           /* the new image's Config (the Docker API shape) */
    const json_t *container_config; /* ContainerConfig; NULL: config */
    const char *container_id;       /* "container" in the config; NULL: none */
    const char *author, *comment;
    const char *created_by; /* the history entry's created_by */
    const char *repo, *tag; /* optional: tag the image repo[:tag] */
    /* The caller gives upper_dir away (a build step's container, stopped and about to be
     * removed, its root file system unmounted): it becomes the new layer's diff as it is,
     * instead of the layer's tar being unpacked again. The directory is gone (or changed) after
     * the call, whatever the result. */
    bool consume_upper;
};

/* docker commit (and a build step): the container's changes as a new layer on top of base
 * (none when nothing changed: the history entry then says empty_layer), with the config
 * dockerd's NewChildImage writes, the base recorded as the image's parent. Returns the new
 * image ID. */
char *image_commit(struct image_store *s, const struct image_commit_opts *opts, bt_err **err);

/* The build cache (dockerd's imageCache): an image whose parent is `parent` ("" or NULL: an
 * image without parent, for FROM scratch) and whose stored container_config equals
 * container_config (the Docker API shape, compared after the normalisation commits apply);
 * the newest when several match. NULL when none. */
char *image_cache_find(struct image_store *s, const char *parent, const json_t *container_config);

/* docker tag: point repo[:tag] at the image `name` resolves to (replacing an existing tag).
 * Errors as dockerd's: "invalid reference format", "refusing to create an ambiguous tag
 * using digest algorithm as name", "No such image: x". */
int image_tag(struct image_store *s, const char *name, const char *repo, const char *tag,
              bt_err **err);

/* Remove one tag or digest reference ("busybox" means busybox:latest); the image stays,
 * dangling if that was its last name. BT_E_NOT_FOUND when there was no such reference. */
int image_untag(struct image_store *s, const char *ref, bt_err **err);

/* Record a digest reference ("busybox@sha256:<manifest digest>", a RepoDigest) for the image
 * `name` resolves to: what a pull does once it knows the manifest's digest. The reference then
 * resolves to the image and is listed in its repo digests. */
int image_add_digest_ref(struct image_store *s, const char *name, const char *ref, bt_err **err);

enum image_delete_kind {
    IMAGE_UNTAGGED, /* "Untagged": a familiar reference */
    IMAGE_DELETED,  /* "Deleted": an image ID or a layer's chain ID */
};

struct image_delete_item {
    enum image_delete_kind kind;
    char *what;
};

struct image_delete_result {
    struct image_delete_item *items; /* in dockerd's order */
    size_t n;
    int64_t space_reclaimed; /* prune: bytes of the layers deleted */
};

void image_delete_result_free(struct image_delete_result *r);

struct image_delete_opts {
    bool force;
    bool noprune; /* keep untagged parents */
    const struct image_user *users;
    size_t nusers;
};

/* docker rmi, with dockerd's rules: a name removes that reference only while the image has
 * others (["Untagged: x"]); the last reference, or an ID, deletes the image and then the
 * layers nothing else uses (["Untagged: x", "Deleted: sha256:<id>", "Deleted:
 * sha256:<chain>"...]). Conflicts (BT_E_CONFLICT), in dockerd's words:
 *   conflict: unable to delete <12> (must be forced) - image is referenced in multiple repositories
 *   conflict: unable to delete <12> (cannot be forced) - image is being used by running container
 * <12> conflict: unable to delete <12> (must be forced) - image is being used by stopped container
 * <12> conflict: unable to delete <12> (cannot be forced) - image has dependent child images
 *   conflict: unable to remove repository reference "x" (must force) - container <12> is using its
 * referenced image <12> */
struct image_delete_result *image_delete(struct image_store *s, const char *name,
                                         const struct image_delete_opts *opts, bt_err **err);

struct image_prune_opts {
    const struct image_filter *filters; /* dangling (default true; false = docker image prune
                                           -a), label, label!, until */
    size_t nfilters;
    const struct image_user *users;
    size_t nusers;
};

/* docker image prune: delete dangling images (or every image no container uses), skipping
 * those in conflict. space_reclaimed counts the layers deleted. */
struct image_delete_result *image_prune(struct image_store *s, const struct image_prune_opts *opts,
                                        bt_err **err);

/* ---- save, load ---- */

/* docker save: write a docker-archive tar (manifest.json, repositories, <id>.json configs,
 * <v1-id>/{VERSION,json,layer.tar} with uncompressed layers) of the images `names` mean to fd.
 * A repository name without tag means all its tags. The same images give the same bytes. */
int image_save(struct image_store *s, char *const *names, int out_fd, bt_err **err);

/* What image_save() would say about names without writing anything: 0 when it would write
 * an archive, else its error (for an API that must answer before the stream starts). */
int image_save_check(struct image_store *s, char *const *names, bt_err **err);

/* Called with each line dockerd prints during a load ("Loaded image: busybox:latest",
 * "Loaded image ID: sha256:...", "The image x already exists, renaming the old one ..."). */
typedef void (*image_load_report_fn)(const char *line, void *ctx);

/* docker load: read a docker-archive (manifest.json) or an OCI image layout (oci-layout,
 * index.json; linux/amd64 picked from an index) tar from fd. Every digest is verified (configs,
 * manifests, blobs, layer diff IDs) before anything is stored: a mismatch stores nothing.
 * Layers already present are not unpacked again. */
int image_load(struct image_store *s, int in_fd, image_load_report_fn report, void *ctx,
               bt_err **err);

/* ---- pull and push: the store's side (the registry module does the network) ---- */

struct image_pull;

/* A pull of the image whose config is these bytes (verified by the caller against the
 * manifest's config digest) and whose manifest has nlayers layers (the config's diff IDs must
 * be as many). The layers the store has are held for the pull from here on. */
struct image_pull *image_pull_begin(struct image_store *s, const char *config, size_t len,
                                    size_t nlayers, bt_err **err);
/* "sha256:<hex>" of the config: the image's ID */
const char *image_pull_id(const struct image_pull *p);
/* Whether layer i (bottom first) is in the store already: nothing to download. */
bool image_pull_layer_present(const struct image_pull *p, size_t i);
/* Unpack the downloaded blob of layer i (its digest checked by the caller) in tmp/ and check
 * its diff ID against the config ("failed to register layer: invalid diffID for layer ...").
 * Any order, from any thread. */
int image_pull_add_layer(struct image_pull *p, size_t i, const char *path, const char *media_type,
                         bt_err **err);
/* Store it all: the layers bottom first, the image, then tag (a normalised reference, e.g.
 * "127.0.0.1:5000/a:1"; optional) and digest_ref ("...@sha256:<manifest digest>"; optional).
 * *updated: whether the image is new or the tag moved (dockerd's "Downloaded newer image" vs
 * "Image is up to date"). Returns the image ID. */
char *image_pull_commit(struct image_pull *p, const char *tag, const char *digest_ref,
                        bool *updated, bt_err **err);
/* Drop the pull's holds and whatever it unpacked and did not store. */
void image_pull_free(struct image_pull *p);
BT_DEFINE_AUTOPTR(image_pull, struct image_pull, image_pull_free);

struct image_push_layer {
    char diff_id[72];
    char *blob; /* path of the blob as stored (read it, never change it) */
    char *blob_digest;
    char *media_type; /* of the stored blob: a plain tar, or compressed as it was received */
    int64_t blob_size;
};

/* What a push of one image needs, its layers held until image_push_free(). */
struct image_push {
    struct image_store *s;
    char *id;
    char *config;
    size_t len;
    struct image_push_layer *layers; /* bottom first */
    size_t n;
    char *top; /* the chain held, "" for an image without layers */
};

/* The image `name` resolves to, for a push ("No such image: x"). */
struct image_push *image_push_get(struct image_store *s, const char *name, bt_err **err);
void image_push_free(struct image_push *p);
BT_DEFINE_AUTOPTR(image_push, struct image_push, image_push_free);

/* The tags (normalised, "host/path:tag", sorted) of repository `name` (normalised, no tag),
 * each with the image it points at: what `docker push --all-tags` pushes. tags and ids are
 * NULL-terminated, the caller frees both. */
int image_repo_tags(struct image_store *s, const char *name, char ***tags, char ***ids,
                    bt_err **err);

/* ---- containers ---- */

/* What mounting a container's root file system takes. The lowerdirs in `data` are short and
 * relative ("l/<26 chars>"), so that images of up to 128 layers fit the one page the kernel
 * takes for mount options: the mount must be made with `dir` as working directory (see
 * image_mount_overlay()). */
struct image_mount {
    /* "lowerdir=l/A:l/B,upperdir=<abs>/upper,workdir=<abs>/work", preceded by "index=off,"
     * where the kernel's overlayfs has that option, as dockerd does (layers shared by many
     * mounts and upper dirs mounted again are not what overlayfs' index feature allows) */
    char *data;
    char *dir;      /* where to chdir before mount(2): the store's root */
    char *merged;   /* <abs>/merged: the mount point */
    char *image_id; /* the image the layer was made from */
    int64_t size;   /* the image's size (sum of its layers) */
};

void image_mount_free(struct image_mount *m);
BT_DEFINE_AUTOPTR(image_mount, struct image_mount, image_mount_free);

/* Make the read-write layer of container `key` (its ID) from image `name` in dir (created
 * when missing; upper/, work/ and merged/ made inside). The image's layers stay until
 * image_rw_layer_remove(key), even if the image is deleted. BT_E_CONFLICT if key exists. */
struct image_mount *image_rw_layer_create(struct image_store *s, const char *key, const char *name,
                                          const char *dir, bt_err **err);

/* The mount of an existing read-write layer (after a daemon restart). */
struct image_mount *image_rw_layer_get(struct image_store *s, const char *key, bt_err **err);

/* Delete the read-write layer's upper/, work/ and merged/ (which must not be mounted) and
 * release its image's layers. A missing key is not an error. */
int image_rw_layer_remove(struct image_store *s, const char *key, bt_err **err);

/* Mount m at target (absolute). berthd is multi-threaded and the working directory is
 * per-process, so the chdir() that makes the short lowerdirs resolve can't happen in berthd:
 * a forked child does chdir(m->dir) + mount(2) and exits (the mount lands in berthd's mount
 * namespace, which the child shares). */
int image_mount_overlay(const struct image_mount *m, const char *target, bt_err **err);
