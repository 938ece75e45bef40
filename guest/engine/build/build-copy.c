/* SPDX-License-Identifier: Apache-2.0 */
/*
 * COPY and ADD (dockerd's copier.go and performCopy): the sources found in the context (or in
 * another stage's or image's file system for --from), hashed for the cache, then written into
 * a read-write layer of the current image, which is committed. No container runs: like dockerd
 * 20.10 the step works on the layer directly. Every write into the layer goes through file
 * descriptors opened beneath its root, refusing symlinks on the way, so an image's links can't
 * send a copy outside it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/engine/build/build-internal.h"
#include "guest/engine/image/image.h"
#include "shared/archive/archive.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"
#include "shared/crypto/digest.h"
#include "shared/fs/file.h"
#include "shared/fs/resolve.h"
#include "shared/json/json.h"

struct src_info {
    char *path; /* on the host */
    char *name; /* the base name it is copied under */
    bool dir;
    bool archive; /* ADD: a local archive to unpack */
    time_t mtime; /* downloads: Last-Modified, else 0 */
    char *hash;
};

struct copy {
    struct build *b;
    const struct bt_df_inst *x;
    bool add;
    const char *cmd; /* "COPY" / "ADD" */
    char *src_root;  /* the context, or a mounted image */
    char *src_key;   /* the read-write layer mounted for --from */
    struct src_info *infos;
    size_t n;
    bool chown;
    uid_t uid;
    gid_t gid;
    long chmod; /* -1: keep */
};

static bool is_url(const char *s)
{
    return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

static void add_info(struct copy *c, const char *path, const char *name, bool add_archive,
                     bt_err **err)
{
    (void)err;
    struct stat st;
    bool dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    c->infos = bt_xreallocarray(c->infos, c->n + 1, sizeof(*c->infos));
    struct src_info *i = &c->infos[c->n++];
    memset(i, 0, sizeof(*i));
    i->path = bt_xstrdup(path);
    i->name = bt_xstrdup(name);
    i->dir = dir;
    if (add_archive && !dir) {
        bt_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
        bt_autoerr bt_err *e = NULL;
        struct bt_extract_opts eo = {.whiteouts = BT_WHITEOUT_KEEP};
        i->archive = fd >= 0 && bt_tar_list_fd(fd, &eo, &e) == 0;
    }
}

/* Wildcard sources: every path of the source root that the pattern matches (filepath.Match on
 * the whole relative path, as dockerd's copyWithWildcards). */
static void walk_match(struct copy *c, const char *dir, const char *rel, const char *pattern)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char **names = bt_xzalloc(sizeof(char *));
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            bt_strv_push(&names, e->d_name);
    closedir(d);
    size_t n = bt_strv_len(names);
    qsort(names, n, sizeof(char *), bt_strp_cmp);
    for (size_t i = 0; i < n; i++) {
        bt_autofree char *path = bt_xasprintf("%s/%s", dir, names[i]);
        bt_autofree char *sub = *rel ? bt_xasprintf("%s/%s", rel, names[i]) : bt_xstrdup(names[i]);
        if (build_match(pattern, sub)) {
            add_info(c, path, names[i], c->add, NULL);
            continue;
        }
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            walk_match(c, path, sub, pattern);
    }
    bt_strv_free(names);
}

/* A source written as a heredoc (COPY <<EOF /dst): a file of that name holding the body, mode
 * 0664 as buildkit's Mkfile makes it; ADD does not unpack it. */
static int heredoc_source(struct copy *c, const struct bt_df_content *h, bt_err **err)
{
    if (!*h->path || strchr(h->path, '/') || !strcmp(h->path, ".") || !strcmp(h->path, ".."))
        return bt_err_set(err, BT_E_INVALID, "%s failed: invalid heredoc name: %s", c->cmd,
                          h->path);
    bt_autofree char *rnd = bt_random_hex(8);
    bt_autofree char *dir = bt_xasprintf("%s/heredoc-%s", c->b->dir, rnd);
    if (mkdir(dir, 0700) < 0)
        return bt_err_errno(err, errno, "create %s", dir);
    bt_autofree char *path = bt_xasprintf("%s/%s", dir, h->path);
    bt_autoclose int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0664);
    if (fd < 0)
        return bt_err_errno(err, errno, "create %s", path);
    if (bt_fd_write_all(fd, h->data, strlen(h->data), err) < 0)
        return -1;
    if (fchmod(fd, 0664) < 0)
        return bt_err_errno(err, errno, "chmod %s", path);
    add_info(c, path, h->path, false, NULL);
    return 0;
}

/* dockerd's getFilenameForDownload: the last element of the URL's path, else the
 * Content-Disposition filename; NULL when neither names a file. */
static char *url_file_name(const char *url, const char *disposition)
{
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    bt_autofree char *path = bt_xstrndup(p ? p : "", p ? strcspn(p, "?#") : 0);
    const char *cands[] = {path, disposition};
    for (size_t i = 0; i < 2; i++) {
        const char *s = cands[i];
        size_t n = s ? strlen(s) : 0;
        if (!n || s[n - 1] == '/')
            continue;
        const char *base = strrchr(s, '/');
        base = base ? base + 1 : s;
        if (*base && strcmp(base, ".") && strcmp(base, ".."))
            return bt_xstrdup(base);
    }
    return NULL;
}

static int find_source(struct copy *c, const char *src, bt_err **err)
{
    if (is_url(src)) {
        if (!c->add)
            return bt_err_set(err, BT_E_INVALID, "source can't be a URL for %s", c->cmd);
        bt_autofree char *rnd = bt_random_hex(8); /* unique across the build's steps */
        bt_autofree char *dir = bt_xasprintf("%s/dl-%s", c->b->dir, rnd);
        if (mkdir(dir, 0700) < 0)
            return bt_err_errno(err, errno, "create %s", dir);
        bt_autofree char *tmp = bt_xasprintf("%s/.download", dir);
        bt_autofree char *disposition = NULL;
        time_t mtime = 0;
        if (build_fetch(src, tmp, &disposition, &mtime, err) < 0)
            return -1;
        bt_autofree char *name = url_file_name(src, disposition);
        if (!name)
            return bt_err_set(err, BT_E_INVALID, "cannot determine filename from url: %s", src);
        bt_autofree char *path = bt_xasprintf("%s/%s", dir, name);
        if (rename(tmp, path) < 0)
            return bt_err_errno(err, errno, "rename %s", tmp);
        add_info(c, path, name, false, NULL);
        c->infos[c->n - 1].mtime = mtime;
        return 0;
    }
    bt_autofree char *clean = bt_path_clean(src);
    if (strcmp(clean, "..") == 0 || strncmp(clean, "../", 3) == 0)
        return bt_err_set(err, BT_E_INVALID,
                          "%s failed: forbidden path outside the build context: %s ()", c->cmd,
                          src);
    const char *rel = clean[0] == '/' ? clean + 1 : clean;
    if (build_has_wildcard(rel)) {
        size_t before = c->n;
        walk_match(c, c->src_root, "", rel);
        if (c->n == before)
            return bt_err_set(err, BT_E_INVALID, "%s failed: no source files were specified",
                              c->cmd);
        return 0;
    }
    bt_autoerr bt_err *e = NULL;
    bt_autofree char *path = bt_resolve_in_root(c->src_root, *rel ? rel : ".", 0, &e);
    struct stat st;
    if (!path || lstat(path, &st) < 0)
        return bt_err_set(err, BT_E_INVALID,
                          "%s failed: file not found in build context or excluded by "
                          ".dockerignore: stat %s: file does not exist",
                          c->cmd, src);
    bt_autofree char *base = bt_path_basename(clean);
    add_info(c, path, base, c->add, NULL);
    return 0;
}

/* ---- writing into the layer ---- */

static int copy_data(int in, int out, bt_err **err)
{
    for (;;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
        if (n == 0)
            return 0;
        if (n < 0) {
            if (errno == EXDEV || errno == ENOSYS || errno == EINVAL)
                return bt_fd_copy(in, out, err) < 0 ? -1 : 0;
            return bt_err_errno(err, errno, "copy");
        }
    }
}

static int copy_entry(struct copy *c, const char *src, int dirfd, const char *name,
                      time_t mtime_override, bt_err **err);

static int copy_dir_contents(struct copy *c, const char *src, int dirfd, bt_err **err)
{
    DIR *d = opendir(src);
    if (!d)
        return bt_err_errno(err, errno, "open %s", src);
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        bt_autofree char *sub = bt_xasprintf("%s/%s", src, e->d_name);
        rc = copy_entry(c, sub, dirfd, e->d_name, 0, err);
    }
    closedir(d);
    return rc;
}

static void set_owner_mode(struct copy *c, int fd, mode_t mode)
{
    if (fchown(fd, c->chown ? c->uid : 0, c->chown ? c->gid : 0) < 0) {
        /* not root (tests): the files stay the builder's */
    }
    fchmod(fd, c->chmod >= 0 ? (mode_t)c->chmod : mode & 07777);
}

static int copy_entry(struct copy *c, const char *src, int dirfd, const char *name,
                      time_t mtime_override, bt_err **err)
{
    struct stat st;
    if (lstat(src, &st) < 0)
        return bt_err_errno(err, errno, "stat %s", src);
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    if (mtime_override) {
        ts[0].tv_sec = ts[1].tv_sec = mtime_override;
        ts[0].tv_nsec = ts[1].tv_nsec = 0;
    }
    struct stat old;
    bool exists = fstatat(dirfd, name, &old, AT_SYMLINK_NOFOLLOW) == 0;
    if (S_ISDIR(st.st_mode)) {
        if (exists && !S_ISDIR(old.st_mode) && unlinkat(dirfd, name, 0) < 0)
            return bt_err_errno(err, errno, "remove %s", name);
        if ((!exists || !S_ISDIR(old.st_mode)) && mkdirat(dirfd, name, 0755) < 0)
            return bt_err_errno(err, errno, "mkdir %s", name);
        bt_autoclose int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return bt_err_errno(err, errno, "open %s", name);
        set_owner_mode(c, fd, st.st_mode);
        if (copy_dir_contents(c, src, fd, err) < 0)
            return -1;
        futimens(fd, ts);
        return 0;
    }
    if (exists && (S_ISDIR(old.st_mode) ? unlinkat(dirfd, name, AT_REMOVEDIR) < 0
                                        : unlinkat(dirfd, name, 0) < 0))
        return bt_err_errno(err, errno, "replace %s", name);
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlink(src, target, sizeof(target) - 1);
        if (n < 0)
            return bt_err_errno(err, errno, "readlink %s", src);
        target[n] = 0;
        if (symlinkat(target, dirfd, name) < 0)
            return bt_err_errno(err, errno, "symlink %s", name);
        fchownat(dirfd, name, c->chown ? c->uid : 0, c->chown ? c->gid : 0, AT_SYMLINK_NOFOLLOW);
        utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW);
        return 0;
    }
    if (!S_ISREG(st.st_mode))
        return 0; /* devices and fifos of a context are not copied */
    bt_autoclose int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (in < 0)
        return bt_err_errno(err, errno, "open %s", src);
    bt_autoclose int out =
            openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0)
        return bt_err_errno(err, errno, "create %s", name);
    if (copy_data(in, out, err) < 0)
        return -1;
    set_owner_mode(c, out, st.st_mode);
    futimens(out, ts);
    return 0;
}

static bool exists_in_root(int rootfd, const char *path)
{
    bt_autoerr bt_err *e = NULL;
    bt_autoclose int fd = bt_open_in_root(rootfd, path, O_PATH | O_CLOEXEC, 0, 0, &e);
    return fd >= 0;
}

static bool is_dir_in_root(int rootfd, const char *path)
{
    bt_autoerr bt_err *e = NULL;
    bt_autoclose int fd = bt_open_in_root(rootfd, path, O_PATH | O_CLOEXEC, 0, 0, &e);
    struct stat st;
    return fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The first prefix of path ("/a", "/a/b", ...) missing in the layer, or NULL. */
static char *first_missing(int rootfd, const char *path)
{
    bt_autofree char *p = bt_xstrdup(path);
    for (char *c = p + 1;; c++) {
        if (*c != '/' && *c)
            continue;
        char saved = *c;
        *c = 0;
        if (!exists_in_root(rootfd, p))
            return bt_xstrdup(p);
        if (!saved)
            return NULL;
        *c = saved;
    }
}

static void chown_in_root(const struct copy *c, int rootfd, const char *path)
{
    bt_autoerr bt_err *e = NULL;
    bt_autoclose int fd = bt_open_in_root(rootfd, path, O_PATH | O_CLOEXEC, 0, 0, &e);
    if (fd >= 0 && fchownat(fd, "", c->uid, c->gid, AT_EMPTY_PATH) < 0) {
        /* not root (tests): the directories stay the builder's */
    }
}

/*
 * The directory path of the layer (absolute in the image), created when missing. With --chown
 * the directories made here get the owner the way dockerd's copier gives it: a file's parents
 * all (copyFile's MkdirAllAndChownNew), a directory source's destination only, its own
 * parents staying root's (CopyWithTar, then fixPermissions of the destination when new).
 */
static int open_dir_owned(struct copy *c, int rootfd, const char *path, bool parents_too,
                          bt_err **err)
{
    bt_autofree char *missing = c->chown ? first_missing(rootfd, path) : NULL;
    bt_autoclose int p = bt_mkdir_in_root(rootfd, path, 0755, err);
    if (p < 0)
        return -1;
    if (missing && parents_too) {
        size_t n = strlen(missing);
        bt_autofree char *q = bt_xstrdup(path);
        for (char *c2 = q + n;; c2++) {
            if (*c2 != '/' && *c2)
                continue;
            char saved = *c2;
            *c2 = 0;
            chown_in_root(c, rootfd, q);
            if (!saved)
                break;
            *c2 = saved;
        }
    } else if (missing) {
        chown_in_root(c, rootfd, path);
    }
    /* an O_PATH fd: reopen it to read and create in it */
    bt_autofree char *proc = bt_xasprintf("/proc/self/fd/%d", p);
    int fd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return bt_err_errno(err, errno, "open %s", path);
    return fd;
}

static int open_dir(int rootfd, const char *path, bt_err **err)
{
    struct copy none = {0};
    return open_dir_owned(&none, rootfd, path, false, err);
}

static int copy_one(struct copy *c, int rootfd, const struct src_info *i, const char *dest,
                    bool dest_dir, bt_err **err)
{
    if (i->dir || i->archive) {
        bt_autoclose int fd = i->archive ? open_dir(rootfd, dest, err)
                                         : open_dir_owned(c, rootfd, dest, false, err);
        if (fd < 0)
            return -1;
        if (i->archive) {
            bt_autofree char *proc = bt_xasprintf("/proc/self/fd/%d", fd);
            bt_autofree char *target = realpath(proc, NULL);
            bt_autoclose int in = open(i->path, O_RDONLY | O_CLOEXEC);
            struct bt_extract_opts eo = {.whiteouts = BT_WHITEOUT_KEEP};
            if (in < 0 || !target)
                return bt_err_errno(err, errno, "open %s", i->path);
            return bt_tar_extract_fd(in, target, &eo, err);
        }
        return copy_dir_contents(c, i->path, fd, err);
    }
    bt_autofree char *target = dest_dir || is_dir_in_root(rootfd, dest)
                                       ? bt_path_join(dest, i->name)
                                       : bt_xstrdup(dest);
    bt_autofree char *parent = bt_path_dirname(target);
    bt_autofree char *base = bt_path_basename(target);
    bt_autoclose int fd = open_dir_owned(c, rootfd, parent, true, err);
    if (fd < 0)
        return -1;
    return copy_entry(c, i->path, fd, base, i->mtime, err);
}

static char *read_in_root(int rootfd, const char *path)
{
    bt_autoerr bt_err *e = NULL;
    bt_autoclose int fd = bt_open_in_root(rootfd, path, O_RDONLY | O_CLOEXEC, 0, 0, &e);
    if (fd < 0)
        return NULL;
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (bt_fd_read_all(fd, &sb, 16 << 20, &e) < 0)
        return NULL;
    return bt_strbuf_steal(&sb);
}

/* Write every source into root (the mounted layer, or a plain directory for scratch). */
static int write_all(struct copy *c, const char *root, bt_err **err)
{
    bt_autoclose int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return bt_err_errno(err, errno, "open %s", root);
    const char *chown = bt_df_flag(c->x, "chown");
    if (chown && *chown) {
        bt_autofree char *passwd = read_in_root(rootfd, "/etc/passwd");
        bt_autofree char *group = read_in_root(rootfd, "/etc/group");
        if (build_parse_chown(chown, passwd, group, &c->uid, &c->gid, err) < 0)
            return -1;
        c->chown = true;
    }
    const char *dest = c->x->dest;
    size_t dl = strlen(dest);
    bool dest_dir = dl && (dest[dl - 1] == '/' || (dl >= 2 && !strcmp(dest + dl - 2, "/.")) ||
                           !strcmp(dest, "."));
    const char *wd = bt_json_get_str(c->b->st.config, "WorkingDir", "");
    bt_autofree char *abs =
            dest[0] == '/' ? bt_xstrdup(dest) : bt_xasprintf("%s/%s", *wd ? wd : "", dest);
    bt_autofree char *clean = bt_path_clean(abs);
    for (size_t i = 0; i < c->n; i++)
        if (copy_one(c, rootfd, &c->infos[i], clean, dest_dir, err) < 0)
            return -1;
    return 0;
}

static const char *stage_or_image(struct build *b, const char *from)
{
    char *end;
    long idx = strtol(from, &end, 10);
    if (*from && !*end && idx >= 0 && (size_t)idx < b->nresults)
        return b->results[idx].image_id;
    for (size_t i = 0; i < b->nresults; i++)
        if (b->results[i].name && strcasecmp(b->results[i].name, from) == 0)
            return b->results[i].image_id;
    return NULL;
}

static void copy_clear(struct copy *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->infos[i].path);
        free(c->infos[i].name);
        free(c->infos[i].hash);
    }
    free(c->infos);
    if (c->src_key) {
        bt_autofree char *merged = bt_xasprintf("%s/%s/merged", c->b->dir, c->src_key);
        umount2(merged, MNT_DETACH);
        bt_autoerr bt_err *e = NULL;
        image_rw_layer_remove(c->b->deps.images, c->src_key, &e);
        free(c->src_key);
    }
    free(c->src_root);
}

/* A read-write layer of image mounted at <build dir>/<key>/merged. */
static char *mount_image(struct build *b, const char *image, char **key, char **upper, bt_err **err)
{
    bt_autofree char *rnd = bt_random_hex(16);
    bt_autofree char *k = bt_xasprintf("build-%s", rnd);
    bt_autofree char *dir = bt_xasprintf("%s/%s", b->dir, k);
    bt_autoptr(image_mount) m = image_rw_layer_create(b->deps.images, k, image, dir, err);
    if (!m)
        return NULL;
    if (image_mount_overlay(m, m->merged, err) < 0) {
        bt_autoerr bt_err *e = NULL;
        image_rw_layer_remove(b->deps.images, k, &e);
        return NULL;
    }
    *key = bt_steal_ptr(&k);
    if (upper)
        *upper = bt_xasprintf("%s/upper", dir);
    return bt_xstrdup(m->merged);
}

static int gather(struct copy *c, bt_err **err)
{
    struct build *b = c->b;
    const char *from = bt_df_flag(c->x, "from");
    if (from && *from) {
        if (c->add)
            return bt_err_set(err, BT_E_INVALID, "ADD does not support the --from flag");
        const char *img = stage_or_image(b, from);
        bt_autofree char *resolved = NULL;
        if (!img) {
            resolved = image_resolve(b->deps.images, from, err);
            if (!resolved)
                return -1;
            img = resolved;
        }
        c->src_root = mount_image(b, img, &c->src_key, NULL, err);
        if (!c->src_root)
            return -1;
    } else {
        c->src_root = bt_xstrdup(b->context);
    }
    for (size_t i = 0; c->x->srcs[i]; i++)
        if (find_source(c, c->x->srcs[i], err) < 0)
            return -1;
    for (size_t i = 0; i < c->x->ncontents; i++)
        if (heredoc_source(c, &c->x->contents[i], err) < 0)
            return -1;
    size_t dl = strlen(c->x->dest);
    if (c->n > 1 && (!dl || c->x->dest[dl - 1] != '/'))
        return bt_err_set(err, BT_E_INVALID,
                          "When using %s with more than one source file, the destination must be "
                          "a directory and end with a /",
                          c->cmd);
    return 0;
}

static char *comment(struct copy *c, bt_err **err)
{
    char **hashes = bt_xzalloc(sizeof(char *));
    for (size_t i = 0; i < c->n; i++) {
        c->infos[i].hash = build_path_hash(c->infos[i].path, err);
        if (!c->infos[i].hash) {
            bt_strv_free(hashes);
            return NULL;
        }
        bt_strv_push(&hashes, c->infos[i].hash);
    }
    bt_autofree char *h = build_sources_hash(hashes);
    bt_strv_free(hashes);
    const char *chown = bt_df_flag(c->x, "chown");
    const char *chmod = bt_df_flag(c->x, "chmod");
    bt_autofree char *co = chown && *chown ? bt_xasprintf("--chown=%s ", chown) : bt_xstrdup("");
    bt_autofree char *cm = chmod && *chmod ? bt_xasprintf("--chmod=%s ", chmod) : bt_xstrdup("");
    return bt_xasprintf("%s %s%s%s in %s ", c->cmd, co, cm, h, c->x->dest);
}

static int perform(struct copy *c, bt_err **err)
{
    struct build *b = c->b;
    const char *chmod = bt_df_flag(c->x, "chmod");
    c->chmod = -1;
    if (chmod && *chmod) {
        char *end;
        c->chmod = strtol(chmod, &end, 8);
        if (*end || c->chmod < 0 || c->chmod > 07777)
            return bt_err_set(err, BT_E_INVALID, "invalid chmod parameter: %s", chmod);
    }
    if (gather(c, err) < 0)
        return -1;
    bt_autofree char *text = comment(c, err);
    if (!text)
        return -1;
    bt_autofree char *cmdtext = bt_xasprintf("#(nop) %s", text);
    const char *parts[] = {cmdtext, NULL};
    bt_autoptr(json_t) cc = build_comment_config(b, parts);
    if (build_probe(b, cc))
        return 0;
    if (!*b->st.image_id) {
        bt_autofree char *rnd = bt_random_hex(8);
        bt_autofree char *up = bt_xasprintf("%s/scratch-%s", b->dir, rnd);
        if (mkdir(up, 0755) < 0)
            return bt_err_errno(err, errno, "create %s", up);
        if (write_all(c, up, err) < 0)
            return -1;
        return build_commit_upper(b, up, cc, err);
    }
    bt_autofree char *key = NULL, *upper = NULL;
    bt_autofree char *merged = mount_image(b, b->st.image_id, &key, &upper, err);
    if (!merged)
        return -1;
    int rc = write_all(c, merged, err);
    umount2(merged, MNT_DETACH);
    if (rc == 0)
        rc = build_commit_upper(b, upper, cc, err);
    bt_autoerr bt_err *e = NULL;
    image_rw_layer_remove(b->deps.images, key, &e);
    return rc;
}

static bool dir_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return true;
    bool empty = true;
    for (struct dirent *e; empty && (e = readdir(d));)
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(d);
    return empty;
}

/* mkdir -p path (mode 0755, root's, as dockerd's SetupWorkingDirectory) beneath root, the
 * layer's changes committed; no layer when the directory was there already. */
static int mkdir_commit(struct build *b, const char *root, const char *upper, const char *path,
                        const json_t *cc, bt_err **err)
{
    bt_autoclose int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return bt_err_errno(err, errno, "open %s", root);
    bt_autoclose int fd = bt_mkdir_in_root(rootfd, path, 0755, err);
    if (fd < 0)
        return -1;
    return build_commit_upper(b, dir_empty(upper) ? NULL : upper, cc, err);
}

int build_workdir_step(struct build *b, const char *path, const json_t *cc, bt_err **err)
{
    if (!*b->st.image_id) {
        bt_autofree char *rnd = bt_random_hex(8);
        bt_autofree char *up = bt_xasprintf("%s/scratch-%s", b->dir, rnd);
        if (mkdir(up, 0755) < 0)
            return bt_err_errno(err, errno, "create %s", up);
        return mkdir_commit(b, up, up, path, cc, err);
    }
    bt_autofree char *key = NULL, *upper = NULL;
    bt_autofree char *merged = mount_image(b, b->st.image_id, &key, &upper, err);
    if (!merged)
        return -1;
    int rc = mkdir_commit(b, merged, upper, path, cc, err);
    umount2(merged, MNT_DETACH);
    bt_autoerr bt_err *e = NULL;
    image_rw_layer_remove(b->deps.images, key, &e);
    return rc;
}

int build_copy_step(struct build *b, const struct bt_df_inst *x, bool add, bt_err **err)
{
    struct copy c = {.b = b, .x = x, .add = add, .cmd = add ? "ADD" : "COPY"};
    int rc = perform(&c, err);
    copy_clear(&c);
    return rc;
}
