/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Tar streams through libarchive: reading (any compression libarchive detects), safe
 * extraction into a directory, and writing directory trees.
 *
 * Safety of extraction (the rule every caller relies on): no entry lands outside the
 * destination. Entry names are cleaned and a name that climbs out ("../x") is refused;
 * absolute names are taken relative to the destination; symlinks in the way are followed as if
 * the destination were "/" (shared/fs/resolve.h), so "link -> /etc" followed by "link/passwd"
 * writes dest/etc/passwd; hard links may only point at entries inside; the last component of
 * every entry is created with O_NOFOLLOW semantics, replacing what was there. Ownership, modes
 * (setuid included), mtimes and extended attributes (except trusted.*) are kept; directories get
 * their mode and mtime after their contents are written.
 *
 * Whiteouts (the OCI image spec's layer changes): ".wh.NAME" deletes NAME, ".wh..wh..opq" makes
 * a directory opaque. What extraction does with them is the caller's choice (enum below).
 *
 * Digests: extraction can hash the stream as it reads, both as stored (the blob digest) and
 * uncompressed (the layer's diff ID), so a layer is read once.
 *
 * Thread safety: each call uses its own libarchive handles; concurrent calls are fine.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "shared/base/cleanup.h"
#include "shared/base/err.h"
#include "shared/crypto/digest.h"

#define BT_WHITEOUT_PREFIX ".wh."
#define BT_WHITEOUT_OPAQUE ".wh..wh..opq"

enum bt_whiteout_mode {
    /* Extract ".wh.*" entries as ordinary files: the tar is plain data (docker cp). */
    BT_WHITEOUT_KEEP,
    /* Turn them into overlayfs whiteouts: a 0/0 character device for ".wh.NAME" and the
     * trusted.overlay.opaque=y xattr for ".wh..wh..opq" (unpacking a layer for overlay). */
    BT_WHITEOUT_OVERLAY,
    /* Apply them: delete NAME; empty the directory of everything this archive did not put
     * there (flattening layers onto one tree). */
    BT_WHITEOUT_APPLY,
};

enum bt_tar_type {
    BT_TAR_FILE,
    BT_TAR_DIR,
    BT_TAR_SYMLINK,
    BT_TAR_HARDLINK,
    BT_TAR_CHAR,
    BT_TAR_BLOCK,
    BT_TAR_FIFO,
};

/* One entry as seen by callbacks. Strings live until the callback returns. */
struct bt_tar_entry {
    const char *name; /* cleaned, relative: "etc/passwd"; "." for the root */
    enum bt_tar_type type;
    mode_t mode; /* permission bits, setuid/setgid/sticky included */
    uid_t uid;
    gid_t gid;
    int64_t size;
    const char *linkname; /* symlink target, or hard link target (cleaned, relative) */
    dev_t rdev;
    struct timespec mtime;
};

/* Return 0 to extract the entry, 1 to skip it, -1 (with *err set) to stop. */
typedef int (*bt_tar_entry_fn)(const struct bt_tar_entry *e, void *ctx, bt_err **err);

struct bt_extract_opts {
    enum bt_whiteout_mode whiteouts;
    /* Do not apply the archive's owners (files belong to the extracting user). Also implied
     * when not running as root and a chown fails with EPERM. */
    bool no_chown;
    bt_tar_entry_fn on_entry; /* optional filter/observer, called before each entry */
    void *ctx;
    /* Rename entries as docker cp's RebaseArchiveEntries does: a (cleaned) name whose first
     * element is rebase_from gets rebase_to in its place ("data/x" -> "copy/x"); rebase_from
     * "." (an archive of "dir/." or of "/") puts rebase_to in front of every name ("x" ->
     * "copy/x", "." -> "copy"). Hard link targets are renamed alike. on_entry sees the new
     * names. Unset: names are kept. */
    const char *rebase_from, *rebase_to;
    /* docker cp's noOverwriteDirNonDir: refuse to replace an existing directory with a
     * non-directory, or the reverse, with dockerd's BT_E_INVALID "cannot overwrite directory
     * "<label>/<name>" with non-directory "<label>"" (label: how messages name the
     * destination; dest when NULL). */
    bool no_overwrite_dir_nondir;
    /* Go's archive/tar tolerance, which dockerd reads build contexts with: a tar that ends right
     * after its last entry's data, without the padding to 512 bytes and the end-of-archive
     * blocks, is whole (the docker CLI sends one for `build -f -`, whose Dockerfile entry it
     * appends last). A stream cut inside an entry's data is still an error. */
    bool lenient_end;
    const char *label;
    /* Give every entry this owner instead of the archive's (docker cp -a into a container whose
     * Config.User is set). Ignores no_chown. */
    bool force_owner;
    uid_t uid;
    gid_t gid;
    /* Optional: filled with the digests of the stream as read (compressed) and of the
     * uncompressed tar (the diff ID), and with the uncompressed size. */
    char *stored_digest; /* BT_DIGEST_STR_SIZE bytes */
    char *diff_id;       /* BT_DIGEST_STR_SIZE bytes */
    int64_t *tar_size;
};

/* Extract the tar stream read from in_fd (plain, gzip, zstd, xz or bzip2) into dest, which
 * must exist. On error the destination may hold part of the archive. */
int bt_tar_extract_fd(int in_fd, const char *dest, const struct bt_extract_opts *opts,
                      bt_err **err);
/* The same from memory. */
int bt_tar_extract_mem(const void *data, size_t len, const char *dest,
                       const struct bt_extract_opts *opts, bt_err **err);

/* Copy the contents of directory src into directory dst (which must exist) as extraction of
 * a tar of src would: owners, modes, times, xattrs, links and devices kept, nothing written
 * outside dst. dst then gets src's own owner and mode. Filling a new volume from an image. */
int bt_tar_copy_tree(const char *src, const char *dst, bt_err **err);

/* Walk a tar stream without extracting: on_entry sees every entry (its return value other
 * than -1 is ignored). Digests as for extraction. */
int bt_tar_list_fd(int in_fd, const struct bt_extract_opts *opts, bt_err **err);

/* Decompress a stream (gzip, zstd, xz, bzip2, or plain, as detected) from in_fd to out_fd:
 * a stored layer blob back to its tar (docker save wants the uncompressed layer). digest
 * (BT_DIGEST_STR_SIZE, optional) receives the sha256 of what was written, size (optional) its
 * length. Data that does not decompress is BT_E_CORRUPT. */
int bt_tar_decompress_fd(int in_fd, int out_fd, char *digest, int64_t *size, bt_err **err);

/* ---- writing ---- */

enum bt_tar_compression {
    BT_TAR_PLAIN,
    BT_TAR_GZIP,
};

struct bt_tar_writer;

/* A writer onto out_fd (not owned). When digest is non-NULL the bytes written (after
 * compression) are hashed; bt_tar_writer_finish() fills it. */
struct bt_tar_writer *bt_tar_writer_new(int out_fd, enum bt_tar_compression comp, bt_err **err);

struct bt_pack_opts {
    /* Convert overlayfs whiteouts found in the tree (0/0 character devices,
     * trusted.overlay.opaque=y directories) to OCI ".wh." entries (committing an upper dir). */
    bool overlay_whiteouts;
    /* Called for every file found; 1 skips it (and a directory's contents). */
    bt_tar_entry_fn filter;
    void *ctx;
    /* Fixed mtime for every entry (reproducible output), or -1 to keep the files' own. */
    time_t mtime;
    /* Use prefix as written, not cleaned: the top entry is named prefix (written even when it
     * is "." ) and the names below it prefix + "/" + path ("./a" under "./" or ".", "/a"
     * under "/"), which is how dockerd names the entries of `GET /containers/{id}/archive`
     * for "dir/." and "/". */
    bool verbatim_prefix;
    /* Give every entry this owner instead of the file's (docker build's context: ChownOpts
     * {0, 0}). */
    bool force_owner;
    uid_t uid;
    gid_t gid;
};

/* Add the tree at src_dir (or a single non-directory) under the archive name `prefix`
 * ("" or "." for the top). Directories are walked in byte order of names, so the same tree
 * gives the same archive; symlinks are stored, never followed; hard links inside the tree are
 * stored as links. */
int bt_tar_writer_add_tree(struct bt_tar_writer *w, const char *src, const char *prefix,
                           const struct bt_pack_opts *opts, bt_err **err);

/* The same for the entry `name` of the directory open at dirfd ("." for dirfd itself, which
 * is then a directory), never following a symlink there: the form for paths resolved inside a
 * root (shared/fs/resolve.h). prefix must be given. */
int bt_tar_writer_add_at(struct bt_tar_writer *w, int dirfd, const char *name, const char *prefix,
                         const struct bt_pack_opts *opts, bt_err **err);

/* Add one regular file from memory. */
int bt_tar_writer_add_data(struct bt_tar_writer *w, const char *name, const void *data, size_t len,
                           mode_t mode, time_t mtime, bt_err **err);

/* Add an entry described by e (no data: directories, links, devices, or size 0 files). */
int bt_tar_writer_add_entry(struct bt_tar_writer *w, const struct bt_tar_entry *e, bt_err **err);

/* Write the end-of-archive blocks. digest (BT_DIGEST_STR_SIZE, optional) receives the sha256 of
 * every byte written; size (optional) their count. */
int bt_tar_writer_finish(struct bt_tar_writer *w, char *digest, int64_t *size, bt_err **err);
void bt_tar_writer_free(struct bt_tar_writer *w);
BT_DEFINE_AUTOPTR(bt_tar_writer, struct bt_tar_writer, bt_tar_writer_free);
