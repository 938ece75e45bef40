/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A container's file system as `docker cp` sees it: the root file system with the container's
 * mounts on it, each reached through a descriptor held here, and paths resolved across them as
 * the container would resolve them.
 *
 * Why not shared/fs/resolve.h on the root file system alone: a path below a bind mount must
 * lead into the mount's source, and a symlink found there must be read there and then resolve
 * against the container's root (a link to "/" inside a bind mount is the container's "/", not
 * the host's). So the walk is resolve.c's, with one change: at every step the element is looked
 * up in the mount that covers the path so far. Opening what was resolved still goes through
 * bt_open_beneath() (one component at a time, no symlinks), so a container that swaps a
 * directory for a symlink meanwhile makes the open fail instead of escaping.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/engine/container/container-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/path.h"
#include "shared/base/strbuf.h"
#include "shared/fs/resolve.h"

#define MAX_SYMLINKS 255 /* as resolve.c */

void cp_fs_free(struct cp_fs *fs)
{
    for (size_t i = 0; i < fs->n; i++) {
        free(fs->m[i].dest);
        free(fs->m[i].leaf);
        free(fs->m[i].why);
        if (fs->m[i].fd >= 0)
            close(fs->m[i].fd);
    }
    free(fs->m);
    *fs = (struct cp_fs){0};
}

void cp_where_clear(struct cp_where *w)
{
    free(w->path);
    free(w->rel);
    *w = (struct cp_where){0};
}

/* The visible mount that holds cur (root-relative, "" for the root): the one with the longest
 * destination that is cur or one of its parents. */
static size_t lookup(const struct cp_fs *fs, const char *cur, const char **sub)
{
    size_t best = 0, best_len = 0;
    for (size_t i = 1; i < fs->n; i++) {
        if (fs->m[i].hidden)
            continue;
        const char *d = fs->m[i].dest + 1;
        size_t len = strlen(d);
        if (len >= best_len && strncmp(cur, d, len) == 0 && (cur[len] == '\0' || cur[len] == '/')) {
            best = i;
            best_len = len;
        }
    }
    const char *s = cur + best_len;
    *sub = *s == '/' ? s + 1 : s;
    return best;
}

static int unreachable(const struct cp_mount *m, const char *path, bt_err **err)
{
    return bt_err_set(err, BT_E_CONFLICT, "\"%s\" is on the %s mount \"%s\", %s", path, m->kind,
                      m->dest, m->why ? m->why : "which berthd cannot reach");
}

static void pop_element(struct bt_strbuf *cur)
{
    char *slash = cur->len ? strrchr(cur->buf, '/') : NULL;
    bt_strbuf_truncate(cur, slash ? (size_t)(slash - cur->buf) : 0);
}

/* Is the element just added (cur, in mount mi at sub) a symlink? Its target in *target. */
static int read_link_at(const struct cp_mount *m, const char *sub, const char *path, char **target,
                        bt_err **err)
{
    *target = NULL;
    if (!*sub || m->leaf)
        return 0; /* a mount's top, or below a mounted file: no link there */
    if (m->fd < 0)
        return unreachable(m, path, err);
    struct stat st;
    if (fstatat(m->fd, sub, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        /* missing (or under a non-directory): nothing to follow, kept as it is */
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        return bt_err_errno(err, errno, "lstat %s", path);
    }
    if (!S_ISLNK(st.st_mode))
        return 0;
    char buf[PATH_MAX];
    ssize_t n = readlinkat(m->fd, sub, buf, sizeof(buf) - 1);
    if (n < 0)
        return bt_err_errno(err, errno, "readlink %s", path);
    buf[n] = '\0';
    *target = bt_xstrdup(buf);
    return 0;
}

int cp_fs_resolve(const struct cp_fs *fs, const char *path, bool follow_last, struct cp_where *w,
                  bt_err **err)
{
    bt_autostrbuf struct bt_strbuf cur = BT_STRBUF_INIT; /* resolved so far, no leading / */
    bt_autofree char *todo = bt_xstrdup(path);
    int links = 0;
    size_t pos = 0;
    *w = (struct cp_where){0};
    while (todo[pos]) {
        while (todo[pos] == '/')
            pos++;
        if (!todo[pos])
            break;
        size_t end = pos;
        while (todo[end] && todo[end] != '/')
            end++;
        bool last = todo[end + strspn(todo + end, "/")] == '\0';
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
        if (last && !follow_last)
            break;
        const char *sub;
        const struct cp_mount *m = &fs->m[lookup(fs, bt_strbuf_str(&cur), &sub)];
        bt_autofree char *shown = bt_xasprintf("/%s", bt_strbuf_str(&cur));
        bt_autofree char *target = NULL;
        if (read_link_at(m, sub, shown, &target, err) < 0)
            return -1;
        if (!target)
            continue;
        if (++links > MAX_SYMLINKS)
            return bt_err_errno(err, ELOOP, "resolve %s", path);
        /* the link is replaced by its target: absolute targets restart at the container's
         * root (whatever mount the link is on), relative ones go on from its directory */
        bt_strbuf_truncate(&cur, mark);
        if (target[0] == '/')
            bt_strbuf_reset(&cur);
        char *rest = bt_xasprintf("%s/%s", target, todo + pos);
        free(todo);
        todo = rest;
        pos = 0;
    }
    const char *sub;
    w->mount = lookup(fs, bt_strbuf_str(&cur), &sub);
    w->path = bt_xasprintf("/%s", bt_strbuf_str(&cur));
    w->rel = bt_xstrdup(*sub ? sub : ".");
    if (fs->m[w->mount].fd < 0) {
        unreachable(&fs->m[w->mount], w->path, err);
        cp_where_clear(w);
        return -1;
    }
    return 0;
}

int cp_fs_add(struct cp_fs *fs, const char *dest, const char *kind, bool rw, int fd,
              const char *leaf, const char *why)
{
    char *resolved = NULL;
    if (fs->n == 0) {
        resolved = bt_xstrdup("/");
    } else {
        /* where the runtime mounts it: the destination resolved in the container, with the
         * mounts made before it in place (rootfs.c's make_mountpoint) */
        struct cp_where w;
        bt_autoerr bt_err *e = NULL;
        if (cp_fs_resolve(fs, dest, true, &w, &e) == 0) {
            resolved = bt_steal_ptr(&w.path);
            cp_where_clear(&w);
        } else {
            resolved = bt_path_clean(dest);
        }
    }
    /* a later mount on the same directory or above it covers the earlier ones */
    for (size_t i = 1; i < fs->n; i++)
        if (bt_path_within(fs->m[i].dest, resolved))
            fs->m[i].hidden = true;
    fs->m = bt_xreallocarray(fs->m, fs->n + 1, sizeof(*fs->m));
    fs->m[fs->n++] = (struct cp_mount){.dest = resolved,
                                       .kind = kind,
                                       .rw = rw,
                                       .fd = fd,
                                       .leaf = bt_xstrdup_or_null(leaf),
                                       .why = bt_xstrdup_or_null(why)};
    return 0;
}

int cp_fs_open_parent(const struct cp_fs *fs, const struct cp_where *w, char **name, bt_err **err)
{
    const struct cp_mount *m = &fs->m[w->mount];
    *name = NULL;
    if (m->leaf) {
        if (strcmp(w->rel, ".") != 0)
            return bt_err_errno(err, ENOTDIR, "lstat %s", w->path);
        int fd = fcntl(m->fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
            return bt_err_errno(err, errno, "dup");
        *name = bt_xstrdup(m->leaf);
        return fd;
    }
    if (strcmp(w->rel, ".") == 0) {
        int fd = fcntl(m->fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
            return bt_err_errno(err, errno, "dup");
        *name = bt_xstrdup(".");
        return fd;
    }
    bt_autofree char *parent = bt_path_dirname(w->rel);
    bt_autoerr bt_err *e = NULL;
    int fd = bt_open_beneath(m->fd, parent, O_PATH | O_DIRECTORY, 0, &e);
    if (fd < 0)
        return bt_err_errno(err, bt_err_code(e), "lstat %s", w->path);
    *name = bt_path_basename(w->rel);
    return fd;
}

size_t cp_fs_mount_at(const struct cp_fs *fs, const char *path)
{
    for (size_t i = 1; i < fs->n; i++)
        if (!fs->m[i].hidden && fs->m[i].fd >= 0 && strcmp(fs->m[i].dest, path) == 0)
            return i;
    return 0;
}
