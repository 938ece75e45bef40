/* SPDX-License-Identifier: Apache-2.0 */
#include "shared/fs/resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/base/cleanup.h"
#include "shared/base/path.h"
#include "shared/base/strbuf.h"

/* Linux gives up after 40 links in one lookup; securejoin allows 255. Either way a loop ends. */
#define MAX_SYMLINKS 255

/* Drop the last element of a root-relative path ("a/b" -> "a", "a" -> ""). */
static void pop_element(struct bt_strbuf *cur)
{
    char *slash = cur->len ? strrchr(cur->buf, '/') : NULL;
    bt_strbuf_truncate(cur, slash ? (size_t)(slash - cur->buf) : 0);
}

static char *read_link(int rootfd, const char *rel, bt_err **err)
{
    char buf[PATH_MAX];
    ssize_t n = readlinkat(rootfd, rel, buf, sizeof(buf) - 1);
    if (n < 0) {
        bt_err_errno(err, errno, "readlink \"%s\"", rel);
        return NULL;
    }
    buf[n] = '\0';
    return bt_xstrdup(buf);
}

char *bt_resolve_rel(int rootfd, const char *path, unsigned flags, bt_err **err)
{
    bt_autostrbuf struct bt_strbuf cur = BT_STRBUF_INIT; /* resolved so far, no leading / */
    bt_autofree char *todo = bt_xstrdup(path);           /* what remains to walk */
    int links = 0;
    size_t pos = 0;

    while (todo[pos]) {
        /* take the next element */
        while (todo[pos] == '/')
            pos++;
        if (!todo[pos])
            break;
        size_t end = pos;
        while (todo[end] && todo[end] != '/')
            end++;
        bool last = true;
        for (size_t k = end; todo[k]; k++) {
            if (todo[k] != '/') {
                last = false;
                break;
            }
        }
        size_t n = end - pos;
        const char *elem = todo + pos;
        pos = end;

        if (n == 1 && elem[0] == '.')
            continue;
        if (n == 2 && elem[0] == '.' && elem[1] == '.') {
            pop_element(&cur);
            continue;
        }
        size_t mark = cur.len;
        if (cur.len)
            bt_strbuf_append_c(&cur, '/');
        bt_strbuf_append_n(&cur, elem, n);
        if (last && (flags & BT_RESOLVE_NOFOLLOW_LAST))
            break;

        struct stat st;
        if (fstatat(rootfd, cur.buf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            /* Missing (or under a non-directory): nothing to follow, keep it lexically. */
            if (errno == ENOENT || errno == ENOTDIR)
                continue;
            bt_err_errno(err, errno, "stat \"%s\"", cur.buf);
            return NULL;
        }
        if (!S_ISLNK(st.st_mode))
            continue;

        if (++links > MAX_SYMLINKS) {
            bt_err_errno(err, ELOOP, "resolve \"%s\"", path);
            return NULL;
        }
        bt_autofree char *target = read_link(rootfd, cur.buf, err);
        if (!target)
            return NULL;
        /* The link is replaced by its target: absolute targets restart at the root,
         * relative ones continue from the link's directory. */
        bt_strbuf_truncate(&cur, mark);
        if (target[0] == '/')
            bt_strbuf_reset(&cur);
        char *rest = bt_xasprintf("%s/%s", target, todo + pos);
        free(todo);
        todo = rest;
        pos = 0;
    }
    if (cur.len == 0)
        return bt_xstrdup(".");
    return bt_strbuf_steal(&cur);
}

char *bt_resolve_in_root(const char *root, const char *path, unsigned flags, bt_err **err)
{
    bt_autoclose int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        bt_err_errno(err, errno, "open \"%s\"", root);
        return NULL;
    }
    bt_autofree char *rel = bt_resolve_rel(rootfd, path, flags, err);
    if (!rel)
        return NULL;
    return bt_path_join(root, rel);
}

int bt_open_beneath(int rootfd, const char *relpath, int oflags, mode_t mode, bt_err **err)
{
    bt_autofree char *p = bt_xstrdup(relpath);
    bt_autoclose int dirfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
    if (dirfd < 0)
        return bt_err_errno(err, errno, "dup");
    char *save = NULL;
    char *elem = strtok_r(p, "/", &save);
    if (!elem || strcmp(elem, ".") == 0) {
        /* the root itself */
        int fd = openat(rootfd, ".", oflags | O_CLOEXEC, mode);
        if (fd < 0)
            return bt_err_errno(err, errno, "open \"%s\"", relpath);
        return fd;
    }
    for (;;) {
        char *next = strtok_r(NULL, "/", &save);
        if (strcmp(elem, "..") == 0)
            return bt_err_errno(err, EXDEV, "open \"%s\"", relpath);
        if (!next) {
            int fd = openat(dirfd, elem, oflags | O_NOFOLLOW | O_CLOEXEC, mode);
            if (fd < 0)
                return bt_err_errno(err, errno, "open \"%s\"", relpath);
            return fd;
        }
        if (strcmp(elem, ".") != 0) {
            int sub = openat(dirfd, elem, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) {
                /* O_NOFOLLOW on a symlink: ELOOP, or ENOTDIR with O_PATH|O_DIRECTORY */
                return bt_err_errno(err, errno, "open \"%s\"", relpath);
            }
            close(dirfd);
            dirfd = sub;
        }
        elem = next;
    }
}

int bt_open_in_root(int rootfd, const char *path, int oflags, mode_t mode, unsigned rflags,
                    bt_err **err)
{
    bt_autofree char *rel = bt_resolve_rel(rootfd, path, rflags, err);
    if (!rel)
        return -1;
    return bt_open_beneath(rootfd, rel, oflags, mode, err);
}

int bt_mkdir_in_root(int rootfd, const char *path, mode_t mode, bt_err **err)
{
    bt_autofree char *rel = bt_resolve_rel(rootfd, path, 0, err);
    if (!rel)
        return -1;
    bt_autoclose int dirfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
    if (dirfd < 0)
        return bt_err_errno(err, errno, "dup");
    if (strcmp(rel, ".") == 0)
        return bt_steal_fd(&dirfd);
    char *save = NULL;
    for (char *elem = strtok_r(rel, "/", &save); elem; elem = strtok_r(NULL, "/", &save)) {
        int sub = openat(dirfd, elem, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0 && errno == ENOENT) {
            if (mkdirat(dirfd, elem, mode) < 0 && errno != EEXIST)
                return bt_err_errno(err, errno, "mkdir \"%s\"", path);
            sub = openat(dirfd, elem, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (sub < 0)
            return bt_err_errno(err, errno, "mkdir \"%s\"", path);
        close(dirfd);
        dirfd = sub;
    }
    return bt_steal_fd(&dirfd);
}
