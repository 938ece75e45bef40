/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Whole-file operations on host paths: reading, atomic replacement, directory trees.
 *
 * Atomicity: bt_file_write_atomic() writes a temp file in the same directory, fsyncs it,
 * renames it over the target and fsyncs the directory, so after a crash the target holds
 * either the old or the new content, never a mix (the rule for every record Berth stores).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared/base/err.h"
#include "shared/base/strbuf.h"

/* Append the content of path to out; more than max bytes (0: no limit) is an error. */
int bt_file_read(const char *path, struct bt_strbuf *out, size_t max, bt_err **err);

/* Replace path with data, atomically and durably (see above). */
int bt_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, bt_err **err);

enum {
    /* Atomic but not durable: no fsync of the file or its directory. For state that only
     * matters while the machine is up (a container's running state: after a reboot nothing
     * runs anyway); a crash of the process still leaves the old or the new content, never a
     * mix. Each fsync costs milliseconds on a real disk. */
    BT_FILE_NO_SYNC = 1 << 0,
};

/* bt_file_write_atomic() with flags (BT_FILE_NO_SYNC). */
int bt_file_write_atomic_flags(const char *path, const void *data, size_t len, mode_t mode,
                               unsigned flags, bt_err **err);

/* fsync a directory, making renames and creations inside it durable. */
int bt_fsync_dir(const char *dir, bt_err **err);

/* mkdir -p: create path and its missing parents with mode; existing directories are fine. */
int bt_mkdir_p(const char *path, mode_t mode, bt_err **err);

/* rm -rf without following symlinks. It refuses (EBUSY) to descend into another file system
 * mounted below path, so a forgotten bind mount never loses the data behind it. A missing
 * path is not an error. */
int bt_rm_rf(const char *path, bt_err **err);

/* rm -rf of name inside the directory open at dirfd (an O_PATH fd is fine), with the same
 * rules as bt_rm_rf(); `what` names it in errors. */
int bt_rm_rf_at(int dirfd, const char *name, const char *what, bt_err **err);

/* The bytes of the regular files below path (a directory), without following symlinks;
 * what cannot be read counts 0. `du --apparent-size -b` less the directories, as dockerd's
 * directory.Size reports volume and container sizes. */
int64_t bt_dir_size(const char *path);

/* lstat-based checks that treat any error as "no". */
bool bt_path_exists(const char *path);
bool bt_path_is_dir(const char *path);
