/* SPDX-License-Identifier: Apache-2.0 */
#include "shared/fs/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/path.h"

int bt_file_read(const char *path, struct bt_strbuf *out, size_t max, bt_err **err)
{
    bt_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return bt_err_errno(err, errno, "open \"%s\"", path);
    if (bt_fd_read_all(fd, out, max, err) < 0)
        return bt_err_wrap(err, "\"%s\"", path);
    return 0;
}

int bt_fsync_dir(const char *dir, bt_err **err)
{
    bt_autoclose int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return bt_err_errno(err, errno, "open \"%s\"", dir);
    if (fsync(fd) < 0)
        return bt_err_errno(err, errno, "fsync \"%s\"", dir);
    return 0;
}

int bt_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, bt_err **err)
{
    return bt_file_write_atomic_flags(path, data, len, mode, 0, err);
}

int bt_file_write_atomic_flags(const char *path, const void *data, size_t len, mode_t mode,
                               unsigned flags, bt_err **err)
{
    bt_autofree char *dir = bt_path_dirname(path);
    bt_autofree char *base = bt_path_basename(path);
    bt_autofree char *tmp = bt_xasprintf("%s/.%s.tmp-XXXXXX", dir, base);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return bt_err_errno(err, errno, "create temp file for \"%s\"", path);
    if (fchmod(fd, mode) < 0) {
        bt_err_errno(err, errno, "chmod \"%s\"", tmp);
        goto fail;
    }
    if (bt_fd_write_all(fd, data, len, err) < 0) {
        bt_err_wrap(err, "write \"%s\"", tmp);
        goto fail;
    }
    if (!(flags & BT_FILE_NO_SYNC) && fsync(fd) < 0) {
        bt_err_errno(err, errno, "fsync \"%s\"", tmp);
        goto fail;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, path) < 0) {
        bt_err_errno(err, errno, "rename \"%s\" to \"%s\"", tmp, path);
        goto fail;
    }
    return flags & BT_FILE_NO_SYNC ? 0 : bt_fsync_dir(dir, err);
fail:
    bt_fd_close(fd);
    unlink(tmp);
    return -1;
}

int bt_mkdir_p(const char *path, mode_t mode, bt_err **err)
{
    bt_autofree char *p = bt_path_clean(path);
    size_t n = strlen(p);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char saved = p[i];
        p[i] = '\0';
        if (mkdir(p, mode) < 0 && errno != EEXIST)
            return bt_err_errno(err, errno, "mkdir \"%s\"", p);
        p[i] = saved;
    }
    struct stat st;
    if (stat(p, &st) < 0)
        return bt_err_errno(err, errno, "stat \"%s\"", p);
    if (!S_ISDIR(st.st_mode))
        return bt_err_errno(err, ENOTDIR, "mkdir \"%s\"", p);
    return 0;
}

/* Remove everything inside the directory open at dfd (which is consumed). */
static int rm_dir_contents(int dfd, dev_t dev, const char *path, bt_err **err)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return bt_err_errno(err, errno, "opendir \"%s\"", path);
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT)
                continue;
            rc = bt_err_errno(err, errno, "stat \"%s/%s\"", path, de->d_name);
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            bt_autofree char *sub = bt_xasprintf("%s/%s", path, de->d_name);
            if (st.st_dev != dev) {
                rc = bt_err_errno(err, EBUSY, "remove \"%s\": a file system is mounted there", sub);
                break;
            }
            int sfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sfd < 0) {
                rc = bt_err_errno(err, errno, "open \"%s\"", sub);
                break;
            }
            rc = rm_dir_contents(sfd, dev, sub, err);
            if (rc == 0 && unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                rc = bt_err_errno(err, errno, "rmdir \"%s\"", sub);
        } else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
            rc = bt_err_errno(err, errno, "unlink \"%s/%s\"", path, de->d_name);
        }
    }
    closedir(d);
    return rc;
}

int bt_rm_rf_at(int dirfd, const char *name, const char *what, bt_err **err)
{
    struct stat st, pst;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0;
        return bt_err_errno(err, errno, "stat \"%s\"", what);
    }
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
            return bt_err_errno(err, errno, "unlink \"%s\"", what);
        return 0;
    }
    if (fstat(dirfd, &pst) == 0 && pst.st_dev != st.st_dev)
        return bt_err_errno(err, EBUSY, "remove \"%s\": a file system is mounted there", what);
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return bt_err_errno(err, errno, "open \"%s\"", what);
    if (rm_dir_contents(fd, st.st_dev, what, err) < 0)
        return -1;
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return bt_err_errno(err, errno, "rmdir \"%s\"", what);
    return 0;
}

int bt_rm_rf(const char *path, bt_err **err)
{
    bt_autofree char *parent = bt_path_dirname(path);
    bt_autofree char *base = bt_path_basename(path);
    bt_autoclose int pfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0) {
        if (errno == ENOENT)
            return 0;
        return bt_err_errno(err, errno, "open \"%s\"", parent);
    }
    return bt_rm_rf_at(pfd, base, path, err);
}

bool bt_path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

bool bt_path_is_dir(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int64_t tree_size(int dfd)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return 0;
    }
    int64_t total = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISREG(st.st_mode))
            total += st.st_size;
        else if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                total += tree_size(sub);
        }
    }
    closedir(d);
    return total;
}

int64_t bt_dir_size(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? 0 : tree_size(fd);
}
