/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Fixtures for the image store tests: a store in a fresh directory under /tmp, tars and
 * archives crafted entry by entry (with libarchive directly, so they can be malformed on
 * purpose), and short ways to import and load them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "guest/engine/image/image.h"
#include "shared/base/strbuf.h"

/* One tar entry: 'f' file (data, len 0 = strlen), 'd' directory, 'l' symlink to data, 'h' hard
 * link to data, 'c' a character device (0/0). */
struct tent {
    const char *name;
    char type;
    const char *data;
    mode_t mode;
    size_t len;
};

enum th_comp {
    TH_PLAIN,
    TH_GZIP,
    TH_ZSTD,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

void th_tar(const struct tent *e, size_t n, enum th_comp comp, struct bt_strbuf *out);
/* An fd reading data from its start (memfd). */
int th_memfd(const void *data, size_t len);
/* "sha256:<hex>" of data, for the caller to free */
char *th_sha256(const void *data, size_t len);
char *th_slurp(const char *path);
/* Entries in a directory, "." and ".." not counted; -1 when it can't be read. */
int th_count(const char *dir);

struct th_fixture {
    char base[64];
    char *root; /* base/store */
    struct image_store *s;
};

int th_setup(void **state);
int th_teardown(void **state);
/* close and open the store again */
void th_reopen(struct th_fixture *f);
/* a path under the store root */
char *th_at(struct th_fixture *f, const char *rel);

/* Import a tar of e (asserting success); returns the image ID. */
char *th_import(struct image_store *s, const struct tent *e, size_t n, enum th_comp comp,
                const char *repo, const char *tag, char *const *changes);

/* An image config with these diff IDs (NULL-terminated) and created time; history and labels
 * are JSON texts or NULL. */
char *th_config(const char *created, char *const *diff_ids, const char *history,
                const char *labels);

/* One image of a docker-archive: config text, layer tars, tags (NULL-terminated). */
struct th_image {
    const char *config;
    const struct bt_strbuf *layers;
    size_t nlayers;
    const char *const *tags;
    const char *parent;
    /* what manifest.json names (the files are stored as "<hex>.json", "<i>-<j>/layer.tar") */
    const char *config_name;
    const char *const *layer_names;
};

/* A docker-archive of the images; extra entries (e.g. malicious ones) appended. */
void th_docker_archive(const struct th_image *imgs, size_t n, const struct tent *extra,
                       size_t nextra, struct bt_strbuf *out);

/* Load archive bytes; the reported lines are joined with '\n' into *lines (optional). */
int th_load(struct image_store *s, const struct bt_strbuf *archive, char **lines, bt_err **err);

/* Everything an image store holds on disk, as a sorted list of paths (for "nothing changed"). */
char *th_tree(const char *dir);
