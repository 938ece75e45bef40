/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writing tar streams: PAX-restricted format (plain ustar unless a name, size or xattr needs
 * PAX headers), no padding to 10 KiB records, times truncated to seconds and atime/ctime left
 * out, as Docker writes layers, so the same tree always gives the same bytes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

struct bt_tar_writer {
    struct archive *a;
    int fd;
    struct bt_sha256 *hash;
    int64_t written;
    struct archive_entry_linkresolver *links;
    bt_err *err; /* an error inside the write callback */
};

static la_ssize_t write_cb(struct archive *a, void *data, const void *buf, size_t len)
{
    struct bt_tar_writer *w = data;
    if (bt_fd_write_all(w->fd, buf, len, &w->err) < 0) {
        archive_set_error(a, bt_err_code(w->err), "%s", bt_err_msg(w->err));
        return -1;
    }
    bt_sha256_update(w->hash, buf, len);
    w->written += (int64_t)len;
    return (la_ssize_t)len;
}

static int writer_fail(struct bt_tar_writer *w, bt_err **err, const char *what, const char *name)
{
    if (w->err) {
        bt_err_move(err, &w->err);
        return bt_err_wrap(err, "%s \"%s\"", what, name);
    }
    return bt_err_set(err, BT_E_INTERNAL, "%s \"%s\": %s", what, name,
                      archive_error_string(w->a) ? archive_error_string(w->a) : "failed");
}

struct bt_tar_writer *bt_tar_writer_new(int out_fd, enum bt_tar_compression comp, bt_err **err)
{
    struct bt_tar_writer *w = bt_xzalloc(sizeof(*w));
    w->fd = out_fd;
    w->hash = bt_sha256_new();
    w->a = archive_write_new();
    archive_write_set_format_pax_restricted(w->a);
    archive_write_set_bytes_in_last_block(w->a, 1);
    if (comp == BT_TAR_GZIP) {
        archive_write_add_filter_gzip(w->a);
        /* no timestamp in the gzip header: same input, same bytes */
        archive_write_set_filter_option(w->a, "gzip", "timestamp", NULL);
    }
    w->links = archive_entry_linkresolver_new();
    archive_entry_linkresolver_set_strategy(w->links, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
    if (archive_write_open(w->a, w, NULL, write_cb, NULL) != ARCHIVE_OK) {
        writer_fail(w, err, "open", "archive");
        bt_tar_writer_free(w);
        return NULL;
    }
    return w;
}

void bt_tar_writer_free(struct bt_tar_writer *w)
{
    if (!w)
        return;
    archive_write_free(w->a);
    archive_entry_linkresolver_free(w->links);
    bt_sha256_free(w->hash);
    bt_err_free(w->err);
    free(w);
}

int bt_tar_writer_finish(struct bt_tar_writer *w, char *digest, int64_t *size, bt_err **err)
{
    if (archive_write_close(w->a) != ARCHIVE_OK)
        return writer_fail(w, err, "finish", "archive");
    if (digest)
        bt_sha256_final(w->hash, digest);
    if (size)
        *size = w->written;
    return 0;
}

static void normalise_times(struct archive_entry *ae, time_t mtime)
{
    time_t t = mtime >= 0 ? mtime : archive_entry_mtime(ae);
    archive_entry_set_mtime(ae, t, 0);
    archive_entry_unset_atime(ae);
    archive_entry_unset_ctime(ae);
    archive_entry_unset_birthtime(ae);
}

static int write_header(struct bt_tar_writer *w, struct archive_entry *ae, bt_err **err)
{
    int r = archive_write_header(w->a, ae);
    if (r < ARCHIVE_WARN)
        return writer_fail(w, err, "write", archive_entry_pathname(ae));
    return 0;
}

int bt_tar_writer_add_data(struct bt_tar_writer *w, const char *name, const void *data, size_t len,
                           mode_t mode, time_t mtime, bt_err **err)
{
    struct archive_entry *ae = archive_entry_new();
    archive_entry_set_pathname(ae, name);
    archive_entry_set_filetype(ae, AE_IFREG);
    archive_entry_set_perm(ae, mode);
    archive_entry_set_size(ae, (la_int64_t)len);
    normalise_times(ae, mtime >= 0 ? mtime : 0);
    int rc = write_header(w, ae, err);
    if (rc == 0 && len && archive_write_data(w->a, data, len) < 0)
        rc = writer_fail(w, err, "write", name);
    archive_entry_free(ae);
    return rc;
}

int bt_tar_writer_add_entry(struct bt_tar_writer *w, const struct bt_tar_entry *e, bt_err **err)
{
    static const mode_t types[] = {
            [BT_TAR_FILE] = AE_IFREG,     [BT_TAR_DIR] = AE_IFDIR,  [BT_TAR_SYMLINK] = AE_IFLNK,
            [BT_TAR_HARDLINK] = AE_IFREG, [BT_TAR_CHAR] = AE_IFCHR, [BT_TAR_BLOCK] = AE_IFBLK,
            [BT_TAR_FIFO] = AE_IFIFO,
    };
    struct archive_entry *ae = archive_entry_new();
    archive_entry_set_pathname(ae, e->name);
    archive_entry_set_filetype(ae, types[e->type]);
    archive_entry_set_perm(ae, e->mode);
    archive_entry_set_uid(ae, e->uid);
    archive_entry_set_gid(ae, e->gid);
    archive_entry_set_rdev(ae, e->rdev);
    if (e->type == BT_TAR_SYMLINK)
        archive_entry_set_symlink(ae, e->linkname);
    if (e->type == BT_TAR_HARDLINK)
        archive_entry_set_hardlink(ae, e->linkname);
    archive_entry_set_size(ae, 0);
    archive_entry_set_mtime(ae, e->mtime.tv_sec, 0);
    int rc = write_header(w, ae, err);
    archive_entry_free(ae);
    return rc;
}

/* ---- trees ---- */

struct pack {
    struct bt_tar_writer *w;
    const struct bt_pack_opts *opts;
};

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory, sorted bytewise, without "." and "..". */
static char **list_dir(int dfd, const char *what, bt_err **err)
{
    int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        bt_fd_close(fd);
        bt_err_errno(err, errno, "open \"%s\"", what);
        return NULL;
    }
    char **names = bt_xzalloc(sizeof(char *));
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            bt_strv_push(&names, de->d_name);
    closedir(d);
    qsort(names, bt_strv_len(names), sizeof(char *), cmp_names);
    return names;
}

static void add_xattrs(struct archive_entry *ae, const char *path, bool skip_overlay)
{
    char list[4096];
    ssize_t n = llistxattr(path, list, sizeof(list));
    for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1) {
        const char *key = list + i;
        /* overlayfs bookkeeping is not content; a layer must not carry it */
        if (strncmp(key, "trusted.overlay.", 16) == 0 && skip_overlay)
            continue;
        char value[4096];
        ssize_t vn = lgetxattr(path, key, value, sizeof(value));
        if (vn >= 0)
            archive_entry_xattr_add_entry(ae, key, value, (size_t)vn);
    }
}

static bool is_opaque(const char *path)
{
    char v[2];
    ssize_t n = lgetxattr(path, "trusted.overlay.opaque", v, sizeof(v));
    return n == 1 && v[0] == 'y';
}

static int write_with_data(struct pack *p, struct archive_entry *ae, int dfd, const char *base,
                           bt_err **err)
{
    struct archive_entry *sparse = NULL;
    archive_entry_linkify(p->w->links, &ae, &sparse);
    if (!ae)
        return 0; /* a later link of this inode will carry it */
    if (write_header(p->w, ae, err) < 0)
        return -1;
    if (archive_entry_size(ae) <= 0 || archive_entry_hardlink(ae))
        return 0;
    bt_autoclose int fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return bt_err_errno(err, errno, "open \"%s\"", archive_entry_pathname(ae));
    char buf[65536];
    la_int64_t left = archive_entry_size(ae);
    while (left > 0) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return bt_err_errno(err, errno, "read \"%s\"", archive_entry_pathname(ae));
        if (n == 0)
            break; /* the file shrank: libarchive pads the entry with zeros */
        if (archive_write_data(p->w->a, buf, (size_t)n) < 0)
            return writer_fail(p->w, err, "write", archive_entry_pathname(ae));
        left -= n;
    }
    return 0;
}

static int add_one(struct pack *p, int dfd, const char *base, const char *name, bt_err **err);

static int add_children(struct pack *p, int dfd, const char *base, const char *name, bt_err **err)
{
    bt_autoclose int sub = openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
        return bt_err_errno(err, errno, "open \"%s\"", name);
    bt_autostrv char **names = list_dir(sub, name, err);
    if (!names)
        return -1;
    size_t n = strlen(name);
    for (size_t i = 0; names[i]; i++) {
        bt_autofree char *child = NULL;
        if (p->opts->verbatim_prefix)
            child = bt_xasprintf("%s%s%s", name, n && name[n - 1] == '/' ? "" : "/", names[i]);
        else
            child = strcmp(name, ".") == 0 ? bt_xstrdup(names[i])
                                           : bt_xasprintf("%s/%s", name, names[i]);
        if (add_one(p, sub, names[i], child, err) < 0)
            return -1;
    }
    return 0;
}

/* Add dfd/base as archive entry `name`, and below it for a directory. */
static int add_one(struct pack *p, int dfd, const char *base, const char *name, bt_err **err)
{
    struct stat st;
    if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0; /* removed while we walked (a running container) */
        return bt_err_errno(err, errno, "stat \"%s\"", name);
    }
    bt_autofree char *path = bt_xasprintf("/proc/self/fd/%d/%s", dfd, base);
    bool whiteout = p->opts->overlay_whiteouts && S_ISCHR(st.st_mode) && st.st_rdev == 0;
    bt_autofree char *dir = bt_path_dirname(name);
    bt_autofree char *leaf = bt_path_basename(name);
    bt_autofree char *entry_name =
            whiteout ? (strcmp(dir, ".") == 0 ? bt_xasprintf(".wh.%s", leaf)
                                              : bt_xasprintf("%s/.wh.%s", dir, leaf))
                     : bt_xstrdup(name);

    struct archive_entry *ae = archive_entry_new();
    archive_entry_copy_stat(ae, &st);
    archive_entry_set_pathname(ae, entry_name);
    normalise_times(ae, p->opts->mtime);
    if (p->opts->force_owner) {
        archive_entry_set_uid(ae, p->opts->uid);
        archive_entry_set_gid(ae, p->opts->gid);
    }
    if (whiteout) {
        /* Docker's form of an overlay whiteout: an empty regular file, mode 0600 */
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, 0600);
        archive_entry_set_size(ae, 0);
        archive_entry_set_rdev(ae, 0);
        archive_entry_set_nlink(ae, 1);
    } else if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlinkat(dfd, base, target, sizeof(target) - 1);
        if (n < 0) {
            archive_entry_free(ae);
            return bt_err_errno(err, errno, "readlink \"%s\"", name);
        }
        target[n] = '\0';
        archive_entry_set_symlink(ae, target);
        add_xattrs(ae, path, true);
    } else {
        add_xattrs(ae, path, true);
    }
    if (!S_ISREG(st.st_mode) && !whiteout)
        archive_entry_set_size(ae, 0);

    if (p->opts->filter) {
        struct bt_tar_entry e;
        bt_tar_entry_from_archive(&e, ae, name, NULL);
        int v = p->opts->filter(&e, p->opts->ctx, err);
        if (v != 0) {
            archive_entry_free(ae);
            return v < 0 ? -1 : 0;
        }
    }

    int rc;
    if (S_ISDIR(st.st_mode)) {
        bool top_dot = strcmp(name, ".") == 0 && !p->opts->verbatim_prefix;
        rc = top_dot ? 0 : write_header(p->w, ae, err);
        if (rc == 0 && p->opts->overlay_whiteouts && is_opaque(path)) {
            bt_autofree char *opq = strcmp(name, ".") == 0
                                            ? bt_xstrdup(BT_WHITEOUT_OPAQUE)
                                            : bt_xasprintf("%s/" BT_WHITEOUT_OPAQUE, name);
            struct bt_tar_entry e = {.name = opq,
                                     .type = BT_TAR_FILE,
                                     .mode = st.st_mode & 0777,
                                     .uid = st.st_uid,
                                     .gid = st.st_gid};
            e.mtime.tv_sec = p->opts->mtime >= 0 ? p->opts->mtime : st.st_mtime;
            rc = bt_tar_writer_add_entry(p->w, &e, err);
        }
        archive_entry_free(ae);
        return rc < 0 ? -1 : add_children(p, dfd, base, name, err);
    }
    rc = write_with_data(p, ae, dfd, base, err);
    archive_entry_free(ae);
    return rc;
}

static const struct bt_pack_opts pack_defaults = {.mtime = -1};

int bt_tar_writer_add_at(struct bt_tar_writer *w, int dirfd, const char *name, const char *prefix,
                         const struct bt_pack_opts *opts, bt_err **err)
{
    struct pack p = {.w = w, .opts = opts ? opts : &pack_defaults};
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return bt_err_errno(err, errno, "stat \"%s\"", prefix);
    bt_autofree char *entry =
            p.opts->verbatim_prefix ? bt_xstrdup(prefix) : bt_tar_clean_name(prefix);
    if (!entry || !*entry)
        return bt_err_set(err, BT_E_INVALID, "invalid archive name \"%s\"", prefix);
    return add_one(&p, dirfd, name, entry, err);
}

int bt_tar_writer_add_tree(struct bt_tar_writer *w, const char *src, const char *prefix,
                           const struct bt_pack_opts *opts, bt_err **err)
{
    struct pack p = {.w = w, .opts = opts ? opts : &pack_defaults};
    bt_autofree char *clean = bt_path_clean(src);
    bt_autofree char *dir = bt_path_dirname(clean);
    bt_autofree char *base = strcmp(clean, "/") == 0 ? bt_xstrdup(".") : bt_path_basename(clean);
    bt_autoclose int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return bt_err_errno(err, errno, "open \"%s\"", dir);
    struct stat st;
    if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return bt_err_errno(err, errno, "stat \"%s\"", src);
    /* A lone file is named after itself unless the caller says otherwise. */
    const char *want = prefix && *prefix ? prefix : S_ISDIR(st.st_mode) ? "." : base;
    bt_autofree char *name = p.opts->verbatim_prefix ? bt_xstrdup(want) : bt_tar_clean_name(want);
    if (!name)
        return bt_err_set(err, BT_E_INVALID, "invalid archive name \"%s\"", want);
    return add_one(&p, dfd, base, name, err);
}
