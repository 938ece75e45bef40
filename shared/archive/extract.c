/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading tar streams and extracting them safely (the rules are in archive.h).
 *
 * The stream goes through two libarchive readers: the outer one only decompresses (format
 * "raw", every filter), the inner one parses tar from the outer one's output. That way the
 * uncompressed bytes pass through our hands, and the diff ID (sha256 of the uncompressed tar)
 * is computed in the same pass as the extraction.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "shared/archive/archive-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/path.h"
#include "shared/base/strset.h"
#include "shared/fs/file.h"
#include "shared/fs/resolve.h"

#define BLOCK 65536

struct source {
    /* input: an fd or a memory buffer */
    int fd;
    const char *mem;
    size_t mem_len;
    bool mem_done;
    char buf[BLOCK];
    struct bt_sha256 *stored_hash;
    /* the decompressing reader and what it gives */
    struct archive *outer;
    struct bt_sha256 *tar_hash;
    int64_t tar_size;
    bt_err *err; /* an I/O error inside a callback, reported after libarchive returns */
    /* lenient_end: the zeros given after a stream that ended off a block boundary, where it
     * ended, and the last entry's header position and data size, to check it ended there */
    bool lenient, padded;
    int64_t real_end, last_pos, last_size;
};

static la_ssize_t outer_read(struct archive *a, void *data, const void **buf)
{
    struct source *s = data;
    if (s->mem) {
        if (s->mem_done)
            return 0;
        s->mem_done = true;
        *buf = s->mem;
        if (s->stored_hash)
            bt_sha256_update(s->stored_hash, s->mem, s->mem_len);
        return (la_ssize_t)s->mem_len;
    }
    for (;;) {
        ssize_t n = read(s->fd, s->buf, sizeof(s->buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            bt_err_errno(&s->err, errno, "read archive");
            archive_set_error(a, errno, "read failed");
            return -1;
        }
        if (s->stored_hash)
            bt_sha256_update(s->stored_hash, s->buf, (size_t)n);
        *buf = s->buf;
        return n;
    }
}

static la_ssize_t inner_read(struct archive *a, void *data, const void **buf)
{
    struct source *s = data;
    const void *block;
    size_t size;
    la_int64_t offset;
    int r = archive_read_data_block(s->outer, &block, &size, &offset);
    if (r == ARCHIVE_EOF && s->lenient && !s->padded && s->tar_size % 512) {
        /* the padding of the last entry and two end blocks, as a tar writer ends */
        static const char zeros[1024 + 512];
        s->padded = true;
        s->real_end = s->tar_size;
        *buf = zeros;
        return (la_ssize_t)(512 - s->tar_size % 512 + 1024);
    }
    if (r == ARCHIVE_EOF)
        return 0;
    if (r < ARCHIVE_WARN) {
        if (a)
            archive_set_error(a, archive_errno(s->outer), "%s", archive_error_string(s->outer));
        return -1;
    }
    if (s->tar_hash)
        bt_sha256_update(s->tar_hash, block, size);
    s->tar_size += (int64_t)size;
    *buf = block;
    return (la_ssize_t)size;
}

/* Consume what the tar reader left unread (end-of-archive padding, trailing bytes), so the
 * digests cover the whole stream. */
static int drain(struct source *s, bt_err **err)
{
    const void *buf;
    while (inner_read(NULL, s, &buf) > 0)
        ;
    if (!s->mem && s->stored_hash) {
        for (;;) {
            ssize_t n = read(s->fd, s->buf, sizeof(s->buf));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return bt_err_errno(err, errno, "read archive");
            if (n == 0)
                break;
            bt_sha256_update(s->stored_hash, s->buf, (size_t)n);
        }
    }
    return 0;
}

static int archive_fail(struct archive *a, struct source *s, bt_err **err, const char *what)
{
    if (s->err) {
        bt_err_move(err, &s->err);
        return bt_err_wrap(err, "%s", what);
    }
    const char *msg = archive_error_string(a);
    return bt_err_set(err, BT_E_INVALID, "%s: %s", what, msg ? msg : "unreadable archive");
}

static int open_source(struct source *s, struct archive **inner, bt_err **err)
{
    s->outer = archive_read_new();
    archive_read_support_filter_all(s->outer);
    archive_read_support_format_raw(s->outer);
    if (archive_read_open(s->outer, s, NULL, outer_read, NULL) != ARCHIVE_OK)
        return archive_fail(s->outer, s, err, "open archive");
    struct archive_entry *raw;
    if (archive_read_next_header(s->outer, &raw) != ARCHIVE_OK)
        return archive_fail(s->outer, s, err, "open archive");
    *inner = archive_read_new();
    archive_read_support_format_tar(*inner);
    if (archive_read_open(*inner, s, NULL, inner_read, NULL) != ARCHIVE_OK)
        return archive_fail(*inner, s, err, "open archive");
    return 0;
}

/* ---- extraction ---- */

struct deferred_dir {
    char *name;
    mode_t mode;
    struct timespec mtime;
};

struct extract {
    const struct bt_extract_opts *opts;
    const char *dest;
    int rootfd;
    bool chown_ok;
    struct bt_strset *seen;
    struct deferred_dir *dirs;
    size_t ndirs, cap_dirs;
};

static char *proc_path(int fd, const char *name)
{
    return name ? bt_xasprintf("/proc/self/fd/%d/%s", fd, name)
                : bt_xasprintf("/proc/self/fd/%d", fd);
}

static int apply_owner(struct extract *x, int dirfd, const char *base, const struct bt_tar_entry *e,
                       bt_err **err)
{
    if (!x->chown_ok)
        return 0;
    uid_t uid = x->opts->force_owner ? x->opts->uid : e->uid;
    gid_t gid = x->opts->force_owner ? x->opts->gid : e->gid;
    if (fchownat(dirfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == EPERM && geteuid() != 0) {
            x->chown_ok = false; /* an unprivileged extraction keeps its own ownership */
            return 0;
        }
        return bt_err_errno(err, errno, "chown \"%s\"", e->name);
    }
    return 0;
}

/* Extended attributes from the archive, except trusted.* (overlayfs and other privileged
 * machinery must not be steered by an image) and where the file system can't hold them. */
static int apply_xattrs(struct archive_entry *ae, int dirfd, const char *base, const char *name,
                        bt_err **err)
{
    if (archive_entry_xattr_reset(ae) == 0)
        return 0;
    bt_autofree char *path = proc_path(dirfd, base);
    const char *key;
    const void *value;
    size_t size;
    while (archive_entry_xattr_next(ae, &key, &value, &size) == ARCHIVE_OK) {
        if (strncmp(key, "trusted.", 8) == 0)
            continue;
        if (lsetxattr(path, key, value, size, 0) < 0) {
            if (errno == ENOTSUP || errno == EPERM)
                continue;
            return bt_err_errno(err, errno, "set xattr %s on \"%s\"", key, name);
        }
    }
    return 0;
}

static int write_file_data(struct archive *a, int fd, const char *name, bt_err **err)
{
    const void *buf;
    size_t size;
    la_int64_t offset;
    la_int64_t end = 0;
    for (;;) {
        int r = archive_read_data_block(a, &buf, &size, &offset);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN)
            return bt_err_set(err, BT_E_INVALID, "read \"%s\" from archive: %s", name,
                              archive_error_string(a));
        const char *p = buf;
        size_t left = size;
        la_int64_t off = offset;
        while (left > 0) {
            ssize_t n = pwrite(fd, p, left, off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return bt_err_errno(err, errno, "write \"%s\"", name);
            p += n;
            off += n;
            left -= (size_t)n;
        }
        if (offset + (la_int64_t)size > end)
            end = offset + (la_int64_t)size;
    }
    /* sparse files may end in a hole */
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size < end && ftruncate(fd, end) < 0)
        return bt_err_errno(err, errno, "truncate \"%s\"", name);
    return 0;
}

static int set_mtime(int dirfd, const char *base, const struct timespec *mtime, const char *name,
                     bt_err **err)
{
    struct timespec ts[2] = {*mtime, *mtime};
    if (utimensat(dirfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return bt_err_errno(err, errno, "set times of \"%s\"", name);
    return 0;
}

static void defer_dir(struct extract *x, const struct bt_tar_entry *e)
{
    if (x->ndirs == x->cap_dirs) {
        x->cap_dirs = x->cap_dirs ? 2 * x->cap_dirs : 32;
        x->dirs = bt_xreallocarray(x->dirs, x->cap_dirs, sizeof(*x->dirs));
    }
    x->dirs[x->ndirs++] = (struct deferred_dir){bt_xstrdup(e->name), e->mode, e->mtime};
}

/* Directories get their mode and mtime last: writing their contents would change the mtime,
 * and a read-only mode would stop an unprivileged extraction from filling them. */
static int finish_dirs(struct extract *x, bt_err **err)
{
    for (size_t i = x->ndirs; i-- > 0;) {
        struct deferred_dir *d = &x->dirs[i];
        bt_autoclose int fd = bt_open_in_root(x->rootfd, d->name, O_PATH | O_DIRECTORY, 0, 0, err);
        if (fd < 0)
            return -1;
        bt_autofree char *path = proc_path(fd, NULL);
        if (chmod(path, d->mode) < 0)
            return bt_err_errno(err, errno, "chmod \"%s\"", d->name);
        struct timespec ts[2] = {d->mtime, d->mtime};
        if (utimensat(AT_FDCWD, path, ts, 0) < 0)
            return bt_err_errno(err, errno, "set times of \"%s\"", d->name);
    }
    return 0;
}

/* BT_WHITEOUT_APPLY of ".wh..wh..opq": remove from dir what this archive did not create. */
static int apply_opaque(struct extract *x, const char *dir, bt_err **err)
{
    bt_autoclose int dfd = bt_open_in_root(x->rootfd, dir, O_RDONLY | O_DIRECTORY, 0, 0, err);
    if (dfd < 0) {
        if (bt_err_is(*err, BT_E_NOT_FOUND)) {
            bt_err_clear(err);
            return 0;
        }
        return -1;
    }
    int dup_fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!d) {
        bt_fd_close(dup_fd);
        return bt_err_errno(err, errno, "open \"%s\"", dir);
    }
    char **doomed = NULL;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        bt_autofree char *rel = strcmp(dir, ".") == 0 ? bt_xstrdup(de->d_name)
                                                      : bt_xasprintf("%s/%s", dir, de->d_name);
        if (!bt_strset_has(x->seen, rel))
            bt_strv_push(&doomed, de->d_name);
    }
    closedir(d);
    int rc = 0;
    for (size_t i = 0; doomed && doomed[i] && rc == 0; i++)
        rc = bt_rm_rf_at(dfd, doomed[i], doomed[i], err);
    bt_strv_free(doomed);
    return rc;
}

static int handle_whiteout(struct extract *x, const struct bt_tar_entry *e, const char *dir,
                           const char *base, bt_err **err)
{
    bool opaque = strcmp(base, BT_WHITEOUT_OPAQUE) == 0;
    const char *target = base + strlen(BT_WHITEOUT_PREFIX);
    if (!opaque && (!*target || strcmp(target, ".") == 0 || strcmp(target, "..") == 0))
        return bt_err_set(err, BT_E_INVALID, "invalid whiteout entry \"%s\"", e->name);

    if (x->opts->whiteouts == BT_WHITEOUT_APPLY) {
        if (opaque)
            return apply_opaque(x, dir, err);
        bt_autoclose int dfd = bt_open_in_root(x->rootfd, dir, O_PATH | O_DIRECTORY, 0, 0, err);
        if (dfd < 0) {
            if (!bt_err_is(*err, BT_E_NOT_FOUND) && bt_err_code(*err) != ENOTDIR)
                return -1;
            bt_err_clear(err);
            return 0;
        }
        return bt_rm_rf_at(dfd, target, e->name, err);
    }

    /* BT_WHITEOUT_OVERLAY: the forms overlayfs understands */
    bt_autoclose int dfd = bt_mkdir_in_root(x->rootfd, dir, 0755, err);
    if (dfd < 0)
        return -1;
    if (opaque) {
        bt_autofree char *path = proc_path(dfd, NULL);
        if (setxattr(path, "trusted.overlay.opaque", "y", 1, 0) < 0)
            return bt_err_errno(err, errno, "mark \"%s\" opaque", dir);
        return 0;
    }
    if (bt_rm_rf_at(dfd, target, e->name, err) < 0)
        return -1;
    if (mknodat(dfd, target, S_IFCHR | 0, makedev(0, 0)) < 0)
        return bt_err_errno(err, errno, "create whiteout for \"%s\"", e->name);
    return apply_owner(x, dfd, target, e, err);
}

static int link_hard(struct extract *x, int dfd, const char *base, const struct bt_tar_entry *e,
                     bt_err **err)
{
    bt_autoclose int tfd =
            bt_open_in_root(x->rootfd, e->linkname, O_PATH, 0, BT_RESOLVE_NOFOLLOW_LAST, err);
    if (tfd < 0)
        return bt_err_wrap(err, "hard link \"%s\"", e->name);
    struct stat st;
    if (fstat(tfd, &st) == 0 && S_ISDIR(st.st_mode))
        return bt_err_set(err, BT_E_INVALID, "invalid hardlink \"%s\" -> \"%s\": a directory",
                          e->name, e->linkname);
    if (linkat(tfd, "", dfd, base, AT_EMPTY_PATH) == 0)
        return 0;
    /* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the /proc link works for everybody. */
    bt_autofree char *path = proc_path(tfd, NULL);
    if (linkat(AT_FDCWD, path, dfd, base, AT_SYMLINK_FOLLOW) < 0)
        return bt_err_errno(err, errno, "hard link \"%s\" -> \"%s\"", e->name, e->linkname);
    return 0;
}

static int extract_entry(struct extract *x, struct archive *a, struct archive_entry *ae,
                         const struct bt_tar_entry *e, bt_err **err)
{
    if (strcmp(e->name, ".") == 0)
        return 0; /* the destination itself keeps its own metadata */
    bt_autofree char *dir = bt_path_dirname(e->name);
    bt_autofree char *base = bt_path_basename(e->name);

    if (x->opts->whiteouts != BT_WHITEOUT_KEEP &&
        strncmp(base, BT_WHITEOUT_PREFIX, strlen(BT_WHITEOUT_PREFIX)) == 0)
        return handle_whiteout(x, e, dir, base, err);

    bt_autoclose int dfd = bt_mkdir_in_root(x->rootfd, dir, 0755, err);
    if (dfd < 0)
        return bt_err_wrap(err, "extract \"%s\"", e->name);

    struct stat st;
    bool exists = fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && x->opts->no_overwrite_dir_nondir &&
        S_ISDIR(st.st_mode) != (e->type == BT_TAR_DIR)) {
        const char *label = x->opts->label ? x->opts->label : x->dest;
        bt_autofree char *path = bt_path_join(label, e->name);
        return bt_err_set(err, BT_E_INVALID, "cannot overwrite %s \"%s\" with %s \"%s\"",
                          S_ISDIR(st.st_mode) ? "directory" : "non-directory", path,
                          S_ISDIR(st.st_mode) ? "non-directory" : "directory", label);
    }
    bool keep_dir = exists && S_ISDIR(st.st_mode) && e->type == BT_TAR_DIR;
    if (exists && !keep_dir && bt_rm_rf_at(dfd, base, e->name, err) < 0)
        return -1;

    bt_autoclose int fd = -1;
    switch (e->type) {
    case BT_TAR_DIR:
        if (!keep_dir && mkdirat(dfd, base, 0700) < 0)
            return bt_err_errno(err, errno, "mkdir \"%s\"", e->name);
        break;
    case BT_TAR_FILE:
        fd = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
            return bt_err_errno(err, errno, "create \"%s\"", e->name);
        if (write_file_data(a, fd, e->name, err) < 0)
            return -1;
        break;
    case BT_TAR_SYMLINK:
        if (symlinkat(e->linkname, dfd, base) < 0)
            return bt_err_errno(err, errno, "symlink \"%s\"", e->name);
        break;
    case BT_TAR_HARDLINK:
        /* the link shares the target's inode and metadata: nothing more to apply */
        if (link_hard(x, dfd, base, e, err) < 0)
            return -1;
        bt_strset_add(x->seen, e->name);
        return 0;
    case BT_TAR_CHAR:
    case BT_TAR_BLOCK:
    case BT_TAR_FIFO: {
        mode_t t = e->type == BT_TAR_CHAR ? S_IFCHR : e->type == BT_TAR_BLOCK ? S_IFBLK : S_IFIFO;
        if (mknodat(dfd, base, t | 0600, e->rdev) < 0)
            return bt_err_errno(err, errno, "mknod \"%s\"", e->name);
        break;
    }
    }
    bt_strset_add(x->seen, e->name);

    if (apply_owner(x, dfd, base, e, err) < 0)
        return -1;
    if (apply_xattrs(ae, dfd, base, e->name, err) < 0)
        return -1;
    if (e->type == BT_TAR_DIR) {
        defer_dir(x, e);
        return 0;
    }
    /* chmod after chown: chown clears setuid and setgid */
    if (e->type != BT_TAR_SYMLINK) {
        int r = fd >= 0 ? fchmod(fd, e->mode) : fchmodat(dfd, base, e->mode, AT_SYMLINK_NOFOLLOW);
        if (r < 0)
            return bt_err_errno(err, errno, "chmod \"%s\"", e->name);
    }
    return set_mtime(dfd, base, &e->mtime, e->name, err);
}

struct walk {
    struct extract *x; /* NULL: list only */
    const struct bt_extract_opts *opts;
};

/* opts' rebase_from -> rebase_to on a cleaned name; NULL when the result climbs out. */
static char *rebase(const struct bt_extract_opts *o, const char *name)
{
    if (!o->rebase_from || !o->rebase_to)
        return bt_xstrdup(name);
    bt_autofree char *from = bt_tar_clean_name(o->rebase_from);
    const char *rest = NULL;
    if (!from || strcmp(from, ".") == 0) {
        rest = name; /* every name lies below the top */
    } else {
        size_t n = strlen(from);
        if (strncmp(name, from, n) == 0 && (name[n] == '\0' || name[n] == '/'))
            rest = name[n] ? name + n + 1 : ".";
    }
    if (!rest)
        return bt_xstrdup(name);
    bt_autofree char *joined = strcmp(rest, ".") == 0 ? bt_xstrdup(o->rebase_to)
                                                      : bt_xasprintf("%s/%s", o->rebase_to, rest);
    return bt_tar_clean_name(joined);
}

static int walk_entries(struct archive *a, struct source *s, struct walk *w, bt_err **err)
{
    struct archive_entry *ae;
    for (;;) {
        int r = archive_read_next_header(a, &ae);
        if (r == ARCHIVE_EOF)
            return 0;
        if (r < ARCHIVE_WARN)
            return archive_fail(a, s, err, "read archive");
        s->last_pos = archive_read_header_position(a);
        s->last_size = archive_entry_size(ae);
        const char *raw = archive_entry_pathname(ae);
        if (!raw)
            return bt_err_set(err, BT_E_INVALID, "read archive: an entry has no name");
        bt_autofree char *clean = bt_tar_clean_name(raw);
        bt_autofree char *name = clean ? rebase(w->opts, clean) : NULL;
        if (!name)
            return bt_err_set(err, BT_E_INVALID,
                              "invalid archive entry \"%s\": outside of the "
                              "destination",
                              raw);
        bt_autofree char *linkname = NULL;
        if (archive_entry_hardlink(ae)) {
            bt_autofree char *lclean = bt_tar_clean_name(archive_entry_hardlink(ae));
            linkname = lclean ? rebase(w->opts, lclean) : NULL;
            if (!linkname || strcmp(linkname, ".") == 0)
                return bt_err_set(err, BT_E_INVALID, "invalid hardlink \"%s\" -> \"%s\"", raw,
                                  archive_entry_hardlink(ae));
        }
        struct bt_tar_entry e;
        bt_tar_entry_from_archive(&e, ae, name, linkname);
        if (e.type == BT_TAR_SYMLINK && !e.linkname)
            return bt_err_set(err, BT_E_INVALID, "invalid symlink \"%s\": no target", raw);
        if (w->opts && w->opts->on_entry) {
            int v = w->opts->on_entry(&e, w->opts->ctx, err);
            if (v < 0)
                return -1;
            if (v > 0)
                continue;
        }
        if (w->x && extract_entry(w->x, a, ae, &e, err) < 0)
            return -1;
    }
}

static int run(struct source *s, const char *dest, const struct bt_extract_opts *opts, bt_err **err)
{
    static const struct bt_extract_opts defaults = {0};
    if (!opts)
        opts = &defaults;
    bt_autoptr(bt_sha256) stored = opts->stored_digest ? bt_sha256_new() : NULL;
    bt_autoptr(bt_sha256) tar = opts->diff_id ? bt_sha256_new() : NULL;
    s->stored_hash = stored;
    s->tar_hash = tar;

    struct extract x = {.opts = opts,
                        .dest = dest,
                        .rootfd = -1,
                        .chown_ok = !opts->no_chown || opts->force_owner};
    struct walk w = {.x = dest ? &x : NULL, .opts = opts};
    struct archive *inner = NULL;
    int rc = -1;
    if (dest) {
        x.rootfd = open(dest, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (x.rootfd < 0) {
            bt_err_errno(err, errno, "open \"%s\"", dest);
            goto out;
        }
        x.seen = bt_strset_new();
    }
    s->lenient = opts->lenient_end;
    if (open_source(s, &inner, err) < 0)
        goto out;
    /* an uncompressed stream is its own tar, byte for byte (drain reads both to the end), so one
     * hash gives both digests: a plain 100 MiB layer is hashed once (about 65 ms here), not
     * twice. Not with lenient_end, whose zeros reach the tar's hash only. */
    bool one_hash = stored && tar && !s->lenient && archive_filter_count(s->outer) == 1 &&
                    archive_filter_code(s->outer, 0) == ARCHIVE_FILTER_NONE;
    if (one_hash)
        s->tar_hash = NULL;
    if (walk_entries(inner, s, &w, err) < 0)
        goto out;
    /* zeros were given: only where the last entry's data ended (its data starts on a block
     * boundary after its header), not inside it */
    if (s->padded &&
        ((s->real_end - s->last_size) % 512 || s->real_end - s->last_size <= s->last_pos)) {
        bt_err_set(err, BT_E_INVALID, "read archive: unexpected end of data");
        goto out;
    }
    if (dest && finish_dirs(&x, err) < 0)
        goto out;
    if (drain(s, err) < 0)
        goto out;
    if (stored)
        bt_sha256_final(stored, opts->stored_digest);
    if (one_hash)
        memcpy(opts->diff_id, opts->stored_digest, BT_DIGEST_STR_SIZE);
    else if (tar)
        bt_sha256_final(tar, opts->diff_id);
    if (opts->tar_size)
        *opts->tar_size = s->tar_size;
    rc = 0;
out:
    if (inner)
        archive_read_free(inner);
    if (s->outer)
        archive_read_free(s->outer);
    bt_err_free(s->err);
    bt_fd_close(x.rootfd);
    bt_strset_free(x.seen);
    for (size_t i = 0; i < x.ndirs; i++)
        free(x.dirs[i].name);
    free(x.dirs);
    return rc;
}

int bt_tar_extract_fd(int in_fd, const char *dest, const struct bt_extract_opts *opts, bt_err **err)
{
    struct source *s = bt_xzalloc(sizeof(*s));
    s->fd = in_fd;
    int rc = run(s, dest, opts, err);
    free(s);
    return rc;
}

int bt_tar_extract_mem(const void *data, size_t len, const char *dest,
                       const struct bt_extract_opts *opts, bt_err **err)
{
    struct source *s = bt_xzalloc(sizeof(*s));
    s->fd = -1;
    s->mem = data;
    s->mem_len = len;
    int rc = run(s, dest, opts, err);
    free(s);
    return rc;
}

int bt_tar_list_fd(int in_fd, const struct bt_extract_opts *opts, bt_err **err)
{
    return bt_tar_extract_fd(in_fd, NULL, opts, err);
}

int bt_tar_decompress_fd(int in_fd, int out_fd, char *digest, int64_t *size, bt_err **err)
{
    struct source *s = bt_xzalloc(sizeof(*s));
    s->fd = in_fd;
    bt_autoptr(bt_sha256) h = digest ? bt_sha256_new() : NULL;
    int64_t total = 0;
    int rc = -1;
    s->outer = archive_read_new();
    archive_read_support_filter_all(s->outer);
    archive_read_support_format_raw(s->outer);
    /* an empty blob is an empty stream, not an error */
    archive_read_support_format_empty(s->outer);
    struct archive_entry *raw;
    if (archive_read_open(s->outer, s, NULL, outer_read, NULL) != ARCHIVE_OK) {
        archive_fail(s->outer, s, err, "decompress");
        goto out;
    }
    int r = archive_read_next_header(s->outer, &raw);
    while (r == ARCHIVE_OK) {
        const void *buf;
        size_t len;
        la_int64_t off;
        r = archive_read_data_block(s->outer, &buf, &len, &off);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN)
            break;
        if (h)
            bt_sha256_update(h, buf, len);
        if (bt_fd_write_all(out_fd, buf, len, err) < 0)
            goto out;
        total += (int64_t)len;
        r = ARCHIVE_OK;
    }
    if (r != ARCHIVE_EOF) {
        if (s->err) {
            bt_err_move(err, &s->err);
            bt_err_wrap(err, "decompress");
        } else {
            bt_err_set(err, BT_E_CORRUPT, "decompress: %s",
                       archive_error_string(s->outer) ? archive_error_string(s->outer)
                                                      : "unreadable data");
        }
        goto out;
    }
    if (h)
        bt_sha256_final(h, digest);
    if (size)
        *size = total;
    rc = 0;
out:
    archive_read_free(s->outer);
    bt_err_free(s->err);
    free(s);
    return rc;
}
