/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * `docker cp` in the engine: stat a path of a container, archive it as a tar, extract a tar
 * into one of its directories (HEAD, GET and PUT /containers/{id}/archive), with dockerd's
 * semantics, whether the container runs, stopped or never started.
 *
 * The file system is the container's own view of it: the root file system (the overlay,
 * mounted for the duration of the copy when the container does not run) and the container's
 * mounts, so that a path below a bind mount's destination reads and writes the mount's source
 * (archive-fs.c). A tmpfs is reached through the running container (/proc/PID/root); while
 * the container does not run there is no tmpfs, and a path on one is refused with
 * BT_E_CONFLICT. Symlinks resolve as inside the container: nothing leads out of its root.
 *
 * While a copy is under way the container is busy, as during a start or a stop (dockerd holds
 * the container's lock likewise): a start, stop or remove waits until the copy is done. For an
 * archive that is until ctr_archive_close().
 *
 * Errors: a missing path is ENOENT (the API words it as dockerd: "Could not find the file P in
 * container C"); "extraction point is not a directory", "container rootfs is marked
 * read-only" and "mounted volume is marked read-only" are BT_E_INVALID, as dockerd's.
 *
 * Thread safety: any thread; copies of one container run one at a time.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "guest/engine/container/container.h"
#include "shared/base/err.h"

/* What dockerd's ContainerPathStat holds, in POSIX terms (the API converts the mode). */
struct ctr_path_stat {
    char *name; /* the last element of the path as asked: "passwd", "." for "dir/.", "/" */
    int64_t size;
    mode_t mode; /* st_mode of the path itself (not followed) */
    struct timespec mtime;
    char *link_target; /* a symlink: its target fully resolved in the container ("/etc"); "" */
};
void ctr_path_stat_clear(struct ctr_path_stat *st);

/* Stat path (its last element not followed unless it ends in "/" or "/."). */
int ctr_archive_stat(struct ctr_manager *m, struct ctr *c, const char *path,
                     struct ctr_path_stat *st, bt_err **err);

/* An archive being read: prepared by ctr_archive_open() (errors come there, before anything
 * is sent), written by ctr_archive_write(), released by ctr_archive_close(). */
struct ctr_archive;

/* Prepare the tar of path and fill st. The entries are named as dockerd names them: a
 * directory "/data" gives "data", "data/..."; "/data/." gives "./", "./..."; "/" gives "/",
 * "/bin", ...; anything else one entry named after it (a symlink is not followed). The
 * container's mounts below a directory are in the archive, as the container sees them. */
struct ctr_archive *ctr_archive_open(struct ctr_manager *m, struct ctr *c, const char *path,
                                     struct ctr_path_stat *st, bt_err **err);
/* docker export: an archive of the container's whole root file system as its image and its
 * changes make it (the overlay, mounted for the while when the container does not run),
 * without the container's mounts, written by ctr_archive_write(). */
struct ctr_archive *ctr_export_open(struct ctr_manager *m, struct ctr *c, bt_err **err);
/* Write the (uncompressed) tar to fd. */
int ctr_archive_write(struct ctr_archive *a, int fd, bt_err **err);
/* Release the container (see above). NULL is fine. */
void ctr_archive_close(struct ctr_archive *a);

struct ctr_extract_opts {
    /* refuse to replace a directory with a non-directory and the reverse */
    bool no_overwrite_dir_nondir;
    /* docker cp -a: the files belong to the container's user (Config.User) when it has one;
     * otherwise, as without it, to the owners the archive names */
    bool copy_uid_gid;
};

/* Extract the tar read from in_fd into the directory path (symlinks followed, the last one
 * too). A read-only root file system (HostConfig.ReadonlyRootfs) or read-only mount refuses.
 * Entries that would land on another of the container's mounts below the destination are
 * refused (BT_E_UNSUPPORTED): copy into that mount's directory instead. */
int ctr_archive_extract(struct ctr_manager *m, struct ctr *c, const char *path,
                        const struct ctr_extract_opts *o, int in_fd, bt_err **err);
