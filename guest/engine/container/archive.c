/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker cp's engine side (archive.h): a session holds the container busy and its file system
 * mounted and open (archive-fs.c) for one stat, archive or extraction.
 *
 * Path semantics are dockerd's (daemon/archive*.go, pkg/archive/copy.go): the path is taken as
 * absolute in the container; a trailing "/" or "/." asserts a directory and makes the last
 * element followed; "dir/." names the contents of dir. Stat and archive do not follow a
 * symlink in the last element; extraction does (a link to a directory is a fine destination).
 */
#include "guest/engine/container/archive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/engine/container/container-internal.h"
#include "guest/engine/container/mounts.h"
#include "guest/engine/image/image.h"
#include "shared/archive/archive.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"
#include "shared/fs/resolve.h"
#include "shared/json/json.h"

void ctr_path_stat_clear(struct ctr_path_stat *st)
{
    free(st->name);
    free(st->link_target);
    *st = (struct ctr_path_stat){0};
}

/* ---- paths as dockerd reads them ---- */

char *cp_base(const char *path)
{
    size_t n = strlen(path);
    if (n == 0)
        return bt_xstrdup(".");
    while (n > 0 && path[n - 1] == '/')
        n--;
    if (n == 0)
        return bt_xstrdup("/");
    size_t start = n;
    while (start > 0 && path[start - 1] != '/')
        start--;
    return bt_xstrndup(path + start, n - start);
}

static bool current_dir(const char *path)
{
    bt_autofree char *b = cp_base(path);
    return strcmp(b, ".") == 0;
}

static bool trailing_slash(const char *path)
{
    size_t n = strlen(path);
    return n > 0 && path[n - 1] == '/';
}

char *cp_abs_path(const char *path)
{
    bt_autofree char *rooted = bt_xasprintf("/%s", path);
    bt_autofree char *clean = bt_path_clean(rooted);
    /* archive.PreserveTrailingDotOrSeparator */
    bt_autofree char *dot = NULL;
    if (!current_dir(clean) && current_dir(path))
        dot = bt_xasprintf("%s%s.", clean, trailing_slash(clean) ? "" : "/");
    const char *p = dot ? dot : clean;
    if (!trailing_slash(p) && trailing_slash(path))
        return bt_xasprintf("%s/", p);
    return bt_xstrdup(p);
}

/* ---- sessions ---- */

struct cp_session {
    struct ctr *c;
    bool mounted_here; /* the root file system was mounted for this copy */
    bool readonly_rootfs;
    char *user; /* Config.User */
    struct cp_fs fs;
};

/* The mounts a copy honours, in the order the runtime makes them: the container's stored mount
 * points (a volume's source is its directory on the host), parents before children. */
static int container_mounts(const json_t *rec, struct ctr_mount **list, size_t *n, bt_err **err)
{
    if (ctr_mount_points(rec, list, n, err) < 0)
        return -1;
    ctr_mounts_sort(*list, *n);
    return 0;
}

static int open_dir(const char *path, bt_err **err)
{
    int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return bt_err_errno(err, errno, "open %s", path);
    return fd;
}

/* cp_mount's kind: a static string */
static const char *kind_of(const char *type)
{
    static const char *const kinds[] = {"bind", "tmpfs", "volume"};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(type, kinds[i]) == 0)
            return kinds[i];
    return "other";
}

/* The mount point in the container's file system, made as the runtime makes it at a start
 * (rootfs.c) and dockerd for a copy: a container that never ran has none yet, and a copy of a
 * directory above it would miss the mount. Best effort: without it the mount is still found by
 * its path. */
static void make_mountpoint(const struct cp_fs *fs, const char *dest, bool dir)
{
    struct cp_where w;
    bt_autoerr bt_err *e = NULL;
    if (cp_fs_resolve(fs, dest, true, &w, &e) < 0)
        return;
    const struct cp_mount *m = &fs->m[w.mount];
    if (!m->leaf && strcmp(w.rel, ".") != 0) {
        bt_autofree char *parent = dir ? bt_xstrdup(w.rel) : bt_path_dirname(w.rel);
        bt_autoclose int pfd = bt_mkdir_in_root(m->fd, parent, 0755, &e);
        bt_autofree char *base = bt_path_basename(w.rel);
        int fd = pfd >= 0 && !dir
                         ? openat(pfd, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                                  0644)
                         : -1;
        bt_fd_close(fd);
    }
    cp_where_clear(&w);
}

/* A bind-like mount (a host path): its directory, or its file's directory and name. */
static void add_host_path(struct cp_fs *fs, const struct ctr_mount *mt, bool make_point)
{
    struct stat st;
    const char *kind = kind_of(mt->type);
    if (stat(mt->source, &st) < 0) {
        bt_autofree char *why = bt_xasprintf("whose source %s is missing", mt->source);
        cp_fs_add(fs, mt->destination, kind, mt->rw, -1, NULL, why);
        return;
    }
    bool dir = S_ISDIR(st.st_mode);
    if (make_point)
        make_mountpoint(fs, mt->destination, dir);
    bt_autofree char *parent = dir ? NULL : bt_path_dirname(mt->source);
    bt_autofree char *leaf = dir ? NULL : bt_path_basename(mt->source);
    int fd = open(dir ? mt->source : parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        bt_autofree char *why = bt_xasprintf("whose source %s cannot be opened", mt->source);
        cp_fs_add(fs, mt->destination, kind, mt->rw, -1, NULL, why);
        return;
    }
    cp_fs_add(fs, mt->destination, kind, mt->rw, fd, leaf, NULL);
}

/* A tmpfs lives in the running container's mount namespace only: reached through its
 * /proc/PID/root, the destination resolved inside it. */
static void add_tmpfs(struct cp_fs *fs, const struct ctr_mount *mt, pid_t pid)
{
    if (pid <= 0) {
        cp_fs_add(fs, mt->destination, "tmpfs", mt->rw, -1, NULL,
                  "which exists only while the container runs");
        return;
    }
    bt_autofree char *proc = bt_xasprintf("/proc/%d/root", (int)pid);
    bt_autoclose int root = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
    bt_autoerr bt_err *e = NULL;
    int fd = root < 0 ? -1 : bt_open_in_root(root, mt->destination, O_PATH | O_DIRECTORY, 0, 0, &e);
    cp_fs_add(fs, mt->destination, "tmpfs", mt->rw, fd, NULL,
              fd < 0 ? "which berthd cannot reach in the running container" : NULL);
}

/* /etc/hostname, /etc/hosts, /etc/resolv.conf: bound from the run directory while the
 * container runs (oci.c puts them first, before the container's own mounts). */
static void add_etc_files(struct cp_fs *fs, const char *run_dir)
{
    static const char *const names[] = {"hostname", "hosts", "resolv.conf"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct stat st;
        bt_autofree char *src = bt_xasprintf("%s/%s", run_dir, names[i]);
        if (stat(src, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        int fd = open(run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            continue;
        bt_autofree char *dest = bt_xasprintf("/etc/%s", names[i]);
        cp_fs_add(fs, dest, "bind", true, fd, names[i], NULL);
    }
}

/* Build the view (c->lock held, the container busy and its root file system mounted). */
static int build_fs(struct cp_session *s, const json_t *hc, bt_err **err)
{
    struct ctr *c = s->c;
    bool running = ctr_is_running(c);
    bt_autofree char *merged = bt_xasprintf("%s/rootfs/merged", c->dir);
    int rootfd = open_dir(merged, err);
    if (rootfd < 0)
        return -1;
    cp_fs_add(&s->fs, "/", "root file system", !s->readonly_rootfs, rootfd, NULL, NULL);
    if (running)
        add_etc_files(&s->fs, c->run_dir);
    struct ctr_mount *list = NULL;
    size_t n = 0;
    if (container_mounts(c->rec, &list, &n, err) < 0)
        return bt_err_wrap(err, "mounts of %s", c->id);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i].type, "tmpfs") == 0)
            add_tmpfs(&s->fs, &list[i], running ? c->pid : 0);
        else if (*list[i].source)
            add_host_path(&s->fs, &list[i], !running);
        else
            cp_fs_add(&s->fs, list[i].destination, kind_of(list[i].type), list[i].rw, -1, NULL,
                      "which berthd cannot reach");
    }
    ctr_mounts_free(list, n);
    return 0;
}

/* c->lock held and the container busy. */
static int begin_locked(struct ctr_manager *m, struct cp_session *s, bt_err **err)
{
    struct ctr *c = s->c;
    if (c->removed)
        return bt_err_set(err, BT_E_NOT_FOUND, "No such container: %s", c->id);
    if (c->status == CTR_REMOVING || c->status == CTR_DEAD)
        return bt_err_set(err, BT_E_CONFLICT, "container %s is being removed", c->id);
    if (ctr_is_running(c)) {
        if (!c->mounted)
            return bt_err_set(err, BT_E_INTERNAL, "the root file system of %s is not mounted",
                              c->id);
    } else {
        /* what an exit left (the mount, going away) is undone first, as before a start */
        ctr_exit_cleanup(c);
        bt_autoptr(image_mount) mnt = image_rw_layer_get(m->images, c->id, err);
        if (!mnt || image_mount_overlay(mnt, mnt->merged, err) < 0)
            return bt_err_wrap(err, "mount the root file system of %s", c->id);
        c->mounted = true;
        s->mounted_here = true;
    }
    const json_t *hc = bt_json_get_obj(c->rec, "HostConfig");
    s->readonly_rootfs = bt_json_get_bool(hc, "ReadonlyRootfs", false);
    s->user = bt_xstrdup(bt_json_get_str(bt_json_get_obj(c->rec, "Config"), "User", ""));
    return build_fs(s, hc, err);
}

static void session_end(struct cp_session *s)
{
    if (!s->c)
        return;
    cp_fs_free(&s->fs); /* every descriptor on the mount closed before it goes */
    pthread_mutex_lock(&s->c->lock);
    if (s->mounted_here && ctr_unmount(s->c) < 0)
        bt_warn("copy from %s: its root file system stays mounted", s->c->id);
    ctr_release(s->c);
    pthread_mutex_unlock(&s->c->lock);
    free(s->user);
    ctr_unref(s->c);
    *s = (struct cp_session){0};
}

static int session_begin(struct ctr_manager *m, struct ctr *c, struct cp_session *s, bt_err **err)
{
    *s = (struct cp_session){.c = ctr_ref(c)};
    pthread_mutex_lock(&c->lock);
    ctr_acquire(c);
    int rc = begin_locked(m, s, err);
    pthread_mutex_unlock(&c->lock);
    if (rc < 0)
        session_end(s);
    return rc;
}

/* ---- stat ---- */

/* Resolve path for stat and archive: *w, the directory holding it (returned) and its name
 * there; st filled. */
static int locate(struct cp_session *s, const char *path, struct ctr_path_stat *st,
                  struct cp_where *w, char **name, bt_err **err)
{
    bt_autofree char *abs = cp_abs_path(path);
    *st = (struct ctr_path_stat){.name = cp_base(abs), .link_target = bt_xstrdup("")};
    bool asserts_dir = trailing_slash(abs) || strcmp(st->name, ".") == 0;
    if (cp_fs_resolve(&s->fs, abs, asserts_dir, w, err) < 0)
        return -1;
    bt_autoclose int fd = cp_fs_open_parent(&s->fs, w, name, err);
    if (fd < 0)
        return -1;
    struct stat sb;
    if (fstatat(fd, *name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
        return bt_err_errno(err, errno, "lstat %s", abs);
    if (asserts_dir && !S_ISDIR(sb.st_mode))
        return bt_err_errno(err, ENOTDIR, "lstat %s", abs);
    st->size = sb.st_size;
    st->mode = sb.st_mode;
    st->mtime = sb.st_mtim;
    if (S_ISLNK(sb.st_mode)) {
        /* dockerd: fully evaluated in the container, as far as it goes */
        struct cp_where t;
        bt_autoerr bt_err *e = NULL;
        if (cp_fs_resolve(&s->fs, abs, true, &t, &e) == 0) {
            free(st->link_target);
            st->link_target = bt_steal_ptr(&t.path);
            cp_where_clear(&t);
        }
    }
    return bt_steal_fd(&fd);
}

int ctr_archive_stat(struct ctr_manager *m, struct ctr *c, const char *path,
                     struct ctr_path_stat *st, bt_err **err)
{
    struct cp_session s;
    if (session_begin(m, c, &s, err) < 0)
        return -1;
    struct cp_where w;
    bt_autofree char *name = NULL;
    int fd = locate(&s, path, st, &w, &name, err);
    bt_fd_close(fd);
    cp_where_clear(&w);
    session_end(&s);
    if (fd < 0)
        ctr_path_stat_clear(st);
    return fd < 0 ? -1 : 0;
}

/* ---- archive ---- */

struct ctr_archive {
    struct cp_session s;
    struct cp_where w;
    int dirfd;
    char *name;
    char *top; /* the archive name of the path: st.name */
    bool dir;
    bool export_; /* docker export: the root file system alone (ctr_export_open) */
};

/* prefix + "/" + rel, as dockerd joins names below a rebased top ("./a", "/a", "data/a") */
static char *below(const char *prefix, const char *rel)
{
    return bt_xasprintf("%s%s%s", prefix, trailing_slash(prefix) ? "" : "/", rel);
}

/* While one tree is written: its top's path in the container and name in the archive, so that
 * the mount points of other mounts below it are left for their own trees. */
struct walk {
    const struct cp_fs *fs;
    size_t mount;
    const char *path;
    const char *top;
};

static int skip_mount_points(const struct bt_tar_entry *e, void *ctx, bt_err **err)
{
    const struct walk *wk = ctx;
    size_t n = strlen(wk->top);
    if (strncmp(e->name, wk->top, n) != 0)
        return 0;
    const char *rel = e->name + n;
    rel += *rel == '/';
    if (!*rel)
        return 0;
    bt_autofree char *path = bt_path_join(wk->path, rel);
    size_t k = cp_fs_mount_at(wk->fs, path);
    return k != 0 && k != wk->mount ? 1 : 0;
}

static int cmp_dest(const void *a, const void *b)
{
    const struct cp_mount *const *x = a, *const *y = b;
    return strcmp((*x)->dest, (*y)->dest);
}

static int write_tree(struct bt_tar_writer *tw, const struct cp_fs *fs, size_t mount, int dirfd,
                      const char *name, const char *path, const char *top, bt_err **err)
{
    struct walk wk = {.fs = fs, .mount = mount, .path = path, .top = top};
    struct bt_pack_opts po = {
            .mtime = -1, .verbatim_prefix = true, .filter = skip_mount_points, .ctx = &wk};
    return bt_tar_writer_add_at(tw, dirfd, name, top, &po, err);
}

/* The container's mounts below the archived directory, each as its own tree under the name it
 * has in the archive (parents first). */
static int write_mounts_below(struct ctr_archive *a, struct bt_tar_writer *tw, bt_err **err)
{
    const struct cp_fs *fs = &a->s.fs;
    const struct cp_mount **below_list = bt_xzalloc(fs->n * sizeof(*below_list));
    size_t k = 0;
    for (size_t i = 1; i < fs->n; i++) {
        const struct cp_mount *m = &fs->m[i];
        if (!m->hidden && m->fd >= 0 && strcmp(m->dest, a->w.path) != 0 &&
            bt_path_within(m->dest, a->w.path))
            below_list[k++] = m;
    }
    qsort(below_list, k, sizeof(*below_list), cmp_dest);
    int rc = 0;
    for (size_t i = 0; i < k && rc == 0; i++) {
        const struct cp_mount *m = below_list[i];
        const char *rel = m->dest + strlen(a->w.path);
        rel += *rel == '/';
        bt_autofree char *top = below(a->top, rel);
        rc = write_tree(tw, fs, (size_t)(m - fs->m), m->fd, m->leaf ? m->leaf : ".", m->dest, top,
                        err);
    }
    free(below_list);
    return rc;
}

struct ctr_archive *ctr_archive_open(struct ctr_manager *m, struct ctr *c, const char *path,
                                     struct ctr_path_stat *st, bt_err **err)
{
    struct ctr_archive *a = bt_xzalloc(sizeof(*a));
    a->dirfd = -1;
    if (session_begin(m, c, &a->s, err) < 0) {
        free(a);
        return NULL;
    }
    a->dirfd = locate(&a->s, path, st, &a->w, &a->name, err);
    if (a->dirfd < 0) {
        ctr_path_stat_clear(st);
        ctr_archive_close(a);
        return NULL;
    }
    a->top = bt_xstrdup(st->name);
    a->dir = S_ISDIR(st->mode);
    return a;
}

struct ctr_archive *ctr_export_open(struct ctr_manager *m, struct ctr *c, bt_err **err)
{
    struct ctr_archive *a = bt_xzalloc(sizeof(*a));
    a->dirfd = -1;
    a->export_ = true;
    if (session_begin(m, c, &a->s, err) < 0) {
        free(a);
        return NULL;
    }
    a->dirfd = fcntl(a->s.fs.m[0].fd, F_DUPFD_CLOEXEC, 0);
    if (a->dirfd < 0) {
        bt_err_errno(err, errno, "export %s", c->id);
        ctr_archive_close(a);
        return NULL;
    }
    return a;
}

/* dockerd's export is archive.Tar of the mounted layer: the entries of the top directory named
 * relative to it ("bin", "bin/sh"), no entry for the top itself, none of the mounts */
static int write_export(struct ctr_archive *a, struct bt_tar_writer *tw, bt_err **err)
{
    bt_autofree char *root = bt_xasprintf("/proc/self/fd/%d", a->dirfd);
    DIR *d = opendir(root);
    if (!d)
        return bt_err_errno(err, errno, "export %s", a->s.c->id);
    char **names = bt_xzalloc(sizeof(char *));
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            bt_strv_push(&names, e->d_name);
    closedir(d);
    size_t n = 0;
    while (names[n])
        n++;
    qsort(names, n, sizeof(*names), bt_strp_cmp);
    struct bt_pack_opts po = {.mtime = -1};
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = bt_tar_writer_add_at(tw, a->dirfd, names[i], names[i], &po, err);
    bt_strv_free(names);
    return rc;
}

int ctr_archive_write(struct ctr_archive *a, int fd, bt_err **err)
{
    bt_autoptr(bt_tar_writer) tw = bt_tar_writer_new(fd, BT_TAR_PLAIN, err);
    if (!tw)
        return -1;
    if (a->export_)
        return write_export(a, tw, err) < 0 ? -1 : bt_tar_writer_finish(tw, NULL, NULL, err);
    if (write_tree(tw, &a->s.fs, a->w.mount, a->dirfd, a->name, a->w.path, a->top, err) < 0)
        return -1;
    if (a->dir && write_mounts_below(a, tw, err) < 0)
        return -1;
    return bt_tar_writer_finish(tw, NULL, NULL, err);
}

void ctr_archive_close(struct ctr_archive *a)
{
    if (!a)
        return;
    bt_fd_close(a->dirfd);
    cp_where_clear(&a->w);
    free(a->name);
    free(a->top);
    session_end(&a->s);
    free(a);
}

/* ---- extraction ---- */

struct guard {
    const struct cp_fs *fs;
    const char *path; /* the destination directory in the container */
};

/* One extraction writes into one directory tree: an entry that would land on another mount
 * below it (which the container sees there) is refused rather than written underneath it,
 * where the container would not see it. The mount point itself, as a directory entry, is left
 * alone. */
static int guard_mounts(const struct bt_tar_entry *e, void *ctx, bt_err **err)
{
    const struct guard *g = ctx;
    bt_autofree char *path = bt_path_join(g->path, e->name);
    for (size_t i = 1; i < g->fs->n; i++) {
        const struct cp_mount *m = &g->fs->m[i];
        if (m->hidden || m->fd < 0 || strcmp(m->dest, g->path) == 0 ||
            !bt_path_within(m->dest, g->path) || !bt_path_within(path, m->dest))
            continue;
        if (strcmp(path, m->dest) == 0 && e->type == BT_TAR_DIR && !m->leaf)
            return 1;
        return bt_err_set(err, BT_E_UNSUPPORTED,
                          "cannot copy \"%s\" into %s: %s is another mount of the container "
                          "(%s); copy to it directly",
                          e->name, g->path, m->dest, m->kind);
    }
    return 0;
}

static int check_writable(const struct cp_session *s, const struct cp_where *w, bt_err **err)
{
    const struct cp_mount *m = &s->fs.m[w->mount];
    if (w->mount == 0 && s->readonly_rootfs)
        return bt_err_set(err, BT_E_INVALID, "container rootfs is marked read-only");
    if (w->mount != 0 && !m->rw)
        return bt_err_set(err, BT_E_INVALID, "mounted volume is marked read-only");
    return 0;
}

static int extract_at(struct cp_session *s, const struct cp_where *w, const char *abs,
                      const struct ctr_extract_opts *o, int in_fd, bt_err **err)
{
    bt_autofree char *name = NULL;
    bt_autoclose int pfd = cp_fs_open_parent(&s->fs, w, &name, err);
    if (pfd < 0)
        return -1;
    struct stat st;
    if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return bt_err_errno(err, errno, "lstat %s", abs);
    if (!S_ISDIR(st.st_mode))
        return bt_err_set(err, BT_E_INVALID, "extraction point is not a directory");
    if (check_writable(s, w, err) < 0)
        return -1;
    bt_autoclose int dfd = openat(pfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return bt_err_errno(err, errno, "open %s", w->path);
    struct guard g = {.fs = &s->fs, .path = w->path};
    struct bt_extract_opts eo = {.whiteouts = BT_WHITEOUT_KEEP,
                                 .on_entry = guard_mounts,
                                 .ctx = &g,
                                 .no_overwrite_dir_nondir = o && o->no_overwrite_dir_nondir,
                                 .label = w->path};
    if (o && o->copy_uid_gid && *s->user) {
        /* dockerd's tarCopyOptions: the container's user owns what is copied in */
        struct ctr_user u = {0};
        if (ctr_resolve_user(s->fs.m[0].fd, s->user, NULL, &u, err) < 0)
            return -1;
        eo.force_owner = true;
        eo.uid = u.uid;
        eo.gid = u.gid;
        ctr_user_free(&u);
    }
    /* the directory by its descriptor: nothing is resolved by name again */
    bt_autofree char *dest = bt_xasprintf("/proc/self/fd/%d", dfd);
    return bt_tar_extract_fd(in_fd, dest, &eo, err);
}

int ctr_archive_extract(struct ctr_manager *m, struct ctr *c, const char *path,
                        const struct ctr_extract_opts *o, int in_fd, bt_err **err)
{
    struct cp_session s;
    if (session_begin(m, c, &s, err) < 0)
        return -1;
    bt_autofree char *abs = cp_abs_path(path);
    struct cp_where w;
    int rc = cp_fs_resolve(&s.fs, abs, true, &w, err);
    if (rc == 0) {
        rc = extract_at(&s, &w, abs, o, in_fd, err);
        cp_where_clear(&w);
    }
    session_end(&s);
    return rc;
}
