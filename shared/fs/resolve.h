/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Paths inside a root that never lead out of it: the basis of image layer extraction, COPY in
 * builds, `docker cp` and volume population.
 *
 * A path is resolved as if the root were "/" (chroot semantics, like Go's
 * filepath-securejoin and openat2's RESOLVE_IN_ROOT): ".." at the root stays at the root, an
 * absolute symlink target starts again at the root, a relative one continues from the link's
 * directory, and a symlink loop fails with ELOOP after 255 links. Components that do not exist
 * are kept as they are, so the result can name something to create.
 *
 * Resolving a string and then opening it leaves a window in which a directory could be swapped
 * for a symlink (a running container can do that). The fd functions close it: they walk the
 * resolved path one component at a time with O_NOFOLLOW, so such a race fails with ELOOP
 * instead of escaping.
 *
 * Returned strings are the caller's; returned fds are O_CLOEXEC and the caller's to close.
 */
#include <sys/types.h>

#include "shared/base/err.h"

enum {
    /* Do not follow a symlink in the last component: operate on the link itself
     * (lstat semantics; used for entries being extracted, removed or renamed). */
    BT_RESOLVE_NOFOLLOW_LAST = 1 << 0,
};

/* The path of `path` relative to the root open at rootfd, cleaned, without a leading "/"; the
 * root itself is ".". */
char *bt_resolve_rel(int rootfd, const char *path, unsigned flags, bt_err **err);

/* The same for a root given by name; returns root + "/" + the resolved relative path. */
char *bt_resolve_in_root(const char *root, const char *path, unsigned flags, bt_err **err);

/* Open a path already resolved by bt_resolve_rel() beneath rootfd, refusing every symlink on
 * the way (ELOOP) and every ".." (EXDEV). oflags as for openat(2); O_NOFOLLOW is implied for the
 * last component. */
int bt_open_beneath(int rootfd, const char *relpath, int oflags, mode_t mode, bt_err **err);

/* Resolve, then open (bt_resolve_rel + bt_open_beneath). */
int bt_open_in_root(int rootfd, const char *path, int oflags, mode_t mode, unsigned rflags,
                    bt_err **err);

/* mkdir -p inside the root, following symlinks inside the root (a dangling link to "/x" makes
 * root/x). Returns an O_PATH directory fd of the result. A non-directory in the way is ENOTDIR. */
int bt_mkdir_in_root(int rootfd, const char *path, mode_t mode, bt_err **err);
