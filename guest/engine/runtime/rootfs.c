/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The container's file system view, built in the child inside its new mount namespace.
 *
 * Before pivot_root every destination is a path inside an image the user controls: a symlink
 * in it ("/proc -> /"), swapped in or not, must never make us mount over the host. So each
 * destination is resolved inside the root (shared/fs/resolve.h: symlinks are followed as if
 * the root were "/"), created there, opened component by component with O_NOFOLLOW, and the
 * mount goes onto that fd through /proc/self/fd/N. Nothing is resolved by a plain path string
 * on the host side except the spec's own bind sources.
 *
 * After pivot_root the process's root is the container's, so the kernel itself confines every
 * lookup, and the remaining steps (sysctls, masked and read-only paths) use plain paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "guest/engine/runtime/cgroup.h"
#include "guest/engine/runtime/runtime-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"
#include "shared/fs/resolve.h"

int rt_mount_at(const char *source, int target, const char *fstype, unsigned long flags,
                const char *data, bt_err **err)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", target);
    if (mount(source, path, fstype, flags, data) == 0)
        return 0;
    int e = errno;
    const char *what = "mount";
    if (flags & MS_REMOUNT)
        what = "remount";
    else if (flags & MS_BIND)
        what = "bind";
    else if (!source)
        what = "set the propagation of";
    bt_err_errno(err, e, "%s %s%s%s", what, fstype ? fstype : "", fstype ? " " : "",
                 source ? source : "the mount");
    errno = e; /* callers look at it to choose a fallback */
    return -1;
}

/* The per-mount flags a bind remount must keep: without them it would clear nosuid and
 * friends that the mount already has (and that a user namespace would lock). */
static unsigned long kept_flags(int fd)
{
    struct statvfs sv;
    if (fstatvfs(fd, &sv) < 0)
        return 0;
    unsigned long f = 0;
    if (sv.f_flag & ST_NOSUID)
        f |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV)
        f |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC)
        f |= MS_NOEXEC;
    return f;
}

/* Resolve dest inside the root and make it exist: a directory, or an empty file when the
 * mount's source is not a directory. Returns an O_PATH fd on it, and the resolved path. */
static int make_mountpoint(int rootfd, const char *dest, bool dir, char **rel, bt_err **err)
{
    bt_autofree char *r = bt_resolve_rel(rootfd, dest, 0, err);
    if (!r)
        return -1;
    if (dir) {
        bt_autoclose int fd = bt_mkdir_in_root(rootfd, r, 0755, err);
        if (fd < 0)
            return -1;
        *rel = bt_steal_ptr(&r);
        return bt_steal_fd(&fd);
    }
    bt_autofree char *parent = bt_path_dirname(r);
    bt_autofree char *base = bt_path_basename(r);
    bt_autoclose int pfd = bt_mkdir_in_root(rootfd, parent, 0755, err);
    if (pfd < 0)
        return -1;
    int fd = openat(pfd, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd >= 0)
        close(fd);
    else if (errno != EEXIST)
        return bt_err_errno(err, errno, "create \"%s\"", dest);
    fd = openat(pfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return bt_err_errno(err, errno, "open \"%s\"", dest);
    *rel = bt_steal_ptr(&r);
    return fd;
}

/* Remount and set propagation on what is now mounted at rel. */
static int finish_mount(int rootfd, const char *rel, const struct rt_mount *m, bool remount,
                        bt_err **err)
{
    unsigned long flags = m->opts.flags;
    if (!remount && !m->opts.propagation)
        return 0;
    /* Opened again, now that the mount covers it: the fd used to mount names the directory
     * underneath. */
    bt_autoclose int fd = bt_open_beneath(rootfd, rel, O_PATH, 0, err);
    if (fd < 0)
        return -1;
    if (remount &&
        rt_mount_at(NULL, fd, NULL, MS_REMOUNT | MS_BIND | flags | kept_flags(fd), NULL, err) < 0)
        return -1;
    if (m->opts.propagation && rt_mount_at(NULL, fd, NULL, m->opts.propagation, NULL, err) < 0)
        return -1;
    return 0;
}

static int mount_bind(int rootfd, const struct rt_mount *m, bt_err **err)
{
    struct stat st;
    if (stat(m->source, &st) < 0)
        return bt_err_errno(err, errno, "stat \"%s\"", m->source);
    bt_autofree char *rel = NULL;
    bt_autoclose int fd = make_mountpoint(rootfd, m->destination, S_ISDIR(st.st_mode), &rel, err);
    if (fd < 0)
        return -1;
    unsigned long flags = MS_BIND | (m->opts.recursive ? MS_REC : 0);
    if (rt_mount_at(m->source, fd, NULL, flags, NULL, err) < 0)
        return -1;
    /* A bind mount takes no other flags at first: read-only and friends need a remount. */
    return finish_mount(rootfd, rel, m, m->opts.flags != 0, err);
}

static int mount_fs(int rootfd, const struct rt_spec *spec, const struct rt_mount *m, bt_err **err)
{
    bt_autofree char *rel = NULL;
    bt_autoclose int fd = make_mountpoint(rootfd, m->destination, true, &rel, err);
    if (fd < 0)
        return -1;
    if (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0) {
        bool own_ns = spec->ns[RT_NS_CGROUP].enabled;
        return rt_cgroup_driver()->mount(rootfd, rel, m->opts.flags, own_ns, err);
    }
    bt_autoerr bt_err *e = NULL;
    if (rt_mount_at(m->source, fd, m->type, m->opts.flags, m->opts.data, &e) == 0)
        return finish_mount(rootfd, rel, m, false, err);
    if (strcmp(m->type, "sysfs") != 0 || (errno != EPERM && errno != EBUSY)) {
        bt_err_move(err, &e);
        return -1;
    }
    /* In a user namespace, a new sysfs needs a network namespace owned by it; without one
     * (--network host) runc binds the host's /sys instead. */
    if (rt_mount_at("/sys", fd, NULL, MS_BIND | MS_REC, NULL, err) < 0)
        return -1;
    return finish_mount(rootfd, rel, m, true, err);
}

static int do_mount(int rootfd, const struct rt_spec *spec, const struct rt_mount *m, bt_err **err)
{
    if (strcmp(m->destination, "/") == 0)
        return bt_err_set(err, BT_E_INVALID, "mount \"/\": the root is root.path");
    int rc = m->opts.bind ? mount_bind(rootfd, m, err) : mount_fs(rootfd, spec, m, err);
    if (rc < 0)
        return bt_err_wrap(err, "mount \"%s\"", m->destination);
    return 0;
}

/* ---- /dev ---- */

struct dev_node {
    const char *name;
    unsigned major, minor;
};

/* config-linux.md "Default Devices"; /dev/console is the terminal's, see terminal.c. */
static const struct dev_node default_nodes[] = {
        {"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
        {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

static const struct {
    const char *name, *target;
} default_links[] = {
        {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
        {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},         {"core", "/proc/kcore"},
};

/* A node named `name` in the directory open at dirfd. mknod can be refused (a devices cgroup
 * that does not allow "m"); then the host's node of the same path is bind-mounted instead, as
 * runc does in user namespaces. */
static int make_node(int dirfd, const char *name, mode_t type, mode_t mode, dev_t dev,
                     const char *host_path, bt_err **err)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if ((st.st_mode & S_IFMT) == type && st.st_rdev == dev)
            return 0;
        if (S_ISDIR(st.st_mode) || unlinkat(dirfd, name, 0) < 0)
            return bt_err_errno(err, S_ISDIR(st.st_mode) ? EISDIR : errno, "replace \"%s\"",
                                host_path);
    }
    if (mknodat(dirfd, name, type | mode, dev) == 0)
        return 0;
    if (errno != EPERM || type == S_IFIFO)
        return bt_err_errno(err, errno, "mknod \"%s\"", host_path);
    int fd = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0);
    if (fd < 0)
        return bt_err_errno(err, errno, "create \"%s\"", host_path);
    close(fd);
    bt_autoclose int target = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (target < 0)
        return bt_err_errno(err, errno, "open \"%s\"", host_path);
    return rt_mount_at(host_path, target, NULL, MS_BIND, NULL, err);
}

static int default_dev(int rootfd, bt_err **err)
{
    bt_autoclose int dev = bt_open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, 0, 0, err);
    if (dev < 0)
        return -1;
    for (size_t i = 0; i < sizeof(default_nodes) / sizeof(default_nodes[0]); i++) {
        const struct dev_node *n = &default_nodes[i];
        char host[64];
        snprintf(host, sizeof(host), "/dev/%s", n->name);
        if (make_node(dev, n->name, S_IFCHR, 0666, makedev(n->major, n->minor), host, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < sizeof(default_links) / sizeof(default_links[0]); i++) {
        if (symlinkat(default_links[i].target, dev, default_links[i].name) < 0 && errno != EEXIST)
            return bt_err_errno(err, errno, "symlink \"/dev/%s\"", default_links[i].name);
    }
    return 0;
}

static int spec_device(int rootfd, const struct rt_device *d, bt_err **err)
{
    bt_autofree char *rel = bt_resolve_rel(rootfd, d->path, BT_RESOLVE_NOFOLLOW_LAST, err);
    if (!rel)
        return -1;
    bt_autofree char *parent = bt_path_dirname(rel);
    bt_autofree char *base = bt_path_basename(rel);
    bt_autoclose int dir = bt_mkdir_in_root(rootfd, parent, 0755, err);
    if (dir < 0)
        return -1;
    mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
    mode_t mode = d->has_mode ? d->mode & 07777 : 0666;
    dev_t dev = d->type == 'p' ? 0 : makedev((unsigned)d->major, (unsigned)d->minor);
    if (make_node(dir, base, type, mode, dev, d->path, err) < 0)
        return -1;
    /* mknod applied the umask (0 here) but not ownership. */
    if (fchownat(dir, base, d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, AT_SYMLINK_NOFOLLOW) <
        0)
        return bt_err_errno(err, errno, "chown \"%s\"", d->path);
    return 0;
}

static int setup_dev(int rootfd, const struct rt_spec *spec, bt_err **err)
{
    /* The standard nodes go into a /dev the runtime mounted (a tmpfs), never into a /dev
     * bind-mounted from the host (privileged containers). */
    bool own_dev = false;
    for (size_t i = 0; i < spec->nmounts; i++) {
        if (strcmp(spec->mounts[i].destination, "/dev") == 0)
            own_dev = !spec->mounts[i].opts.bind;
    }
    if (own_dev && default_dev(rootfd, err) < 0)
        return -1;
    for (size_t i = 0; i < spec->ndevices; i++) {
        if (spec_device(rootfd, &spec->devices[i], err) < 0)
            return -1;
    }
    return 0;
}

/* ---- the root ---- */

static int pivot(const char *root, bt_err **err)
{
    bt_autoclose int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    bt_autoclose int newroot = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldroot < 0 || newroot < 0)
        return bt_err_errno(err, errno, "open \"%s\"", oldroot < 0 ? "/" : root);
    /* pivot_root(".", "."): the old root ends up stacked on the new one, where it can be
     * detached without a directory to put it in (runc's trick; no put_old in the image). */
    if (fchdir(newroot) < 0)
        return bt_err_errno(err, errno, "chdir \"%s\"", root);
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return bt_err_errno(err, errno, "pivot_root \"%s\"", root);
    if (fchdir(oldroot) < 0)
        return bt_err_errno(err, errno, "chdir to the old root");
    /* Slave first, so that detaching it cannot propagate an unmount to the host. */
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return bt_err_errno(err, errno, "make the old root a slave");
    if (umount2(".", MNT_DETACH) < 0)
        return bt_err_errno(err, errno, "detach the old root");
    if (chdir("/") < 0)
        return bt_err_errno(err, errno, "chdir \"/\"");
    return 0;
}

int rt_rootfs_enter(const struct rt_spec *spec, bt_err **err)
{
    /* Nothing done from here on may reach the host's mount table: private (or, when the spec
     * asks for it, slave: the host's new mounts still come in, ours never go out). */
    unsigned long prop =
            spec->rootfs_propagation & MS_SLAVE ? MS_SLAVE | MS_REC : MS_PRIVATE | MS_REC;
    if (mount(NULL, "/", NULL, prop, NULL) < 0)
        return bt_err_errno(err, errno, "make \"/\" private");
    /* pivot_root needs the new root to be a mount point. */
    if (mount(spec->root, spec->root, NULL, MS_BIND | MS_REC, NULL) < 0)
        return bt_err_errno(err, errno, "bind \"%s\"", spec->root);
    bt_autoclose int rootfd = open(spec->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return bt_err_errno(err, errno, "open \"%s\"", spec->root);
    for (size_t i = 0; i < spec->nmounts; i++) {
        if (do_mount(rootfd, spec, &spec->mounts[i], err) < 0)
            return -1;
    }
    if (setup_dev(rootfd, spec, err) < 0)
        return -1;
    /* runc makes a missing working directory, as Docker's WORKDIR expects. */
    bt_autoclose int cwd = bt_mkdir_in_root(rootfd, spec->process.cwd, 0755, err);
    if (cwd < 0)
        return bt_err_wrap(err, "create the working directory");
    return pivot(spec->root, err);
}

/* ---- after pivot_root ---- */

static int write_sysctl(const struct rt_sysctl *s, bt_err **err)
{
    bt_autofree char *path = bt_xasprintf("/proc/sys/%s", s->key);
    for (char *c = path + strlen("/proc/sys/"); *c; c++) {
        if (*c == '.')
            *c = '/';
    }
    bt_autoclose int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return bt_err_errno(err, errno, "sysctl \"%s\"", s->key);
    if (write(fd, s->value, strlen(s->value)) < 0)
        return bt_err_errno(err, errno, "sysctl \"%s\" = \"%s\"", s->key, s->value);
    return 0;
}

static int mask_path(const char *path, bt_err **err)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return errno == ENOENT ? 0 : bt_err_errno(err, errno, "mask \"%s\"", path);
    /* A directory disappears under an empty read-only tmpfs, a file under /dev/null. */
    int rc = S_ISDIR(st.st_mode) ? mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL)
                                 : mount("/dev/null", path, NULL, MS_BIND, NULL);
    if (rc < 0)
        return bt_err_errno(err, errno, "mask \"%s\"", path);
    return 0;
}

static int readonly_path(const char *path, bt_err **err)
{
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
        return errno == ENOENT ? 0 : bt_err_errno(err, errno, "make \"%s\" read-only", path);
    bt_autoclose int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0)
        return bt_err_errno(err, errno, "open \"%s\"", path);
    if (rt_mount_at(NULL, fd, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | kept_flags(fd), NULL, err) <
        0)
        return bt_err_wrap(err, "make \"%s\" read-only", path);
    return 0;
}

int rt_rootfs_finish(const struct rt_spec *spec, bt_err **err)
{
    /* Sysctls before the read-only paths: /proc/sys is one of them. */
    for (size_t i = 0; i < spec->nsysctl; i++) {
        if (write_sysctl(&spec->sysctl[i], err) < 0)
            return -1;
    }
    for (size_t i = 0; spec->masked_paths && spec->masked_paths[i]; i++) {
        if (mask_path(spec->masked_paths[i], err) < 0)
            return -1;
    }
    for (size_t i = 0; spec->readonly_paths && spec->readonly_paths[i]; i++) {
        if (readonly_path(spec->readonly_paths[i], err) < 0)
            return -1;
    }
    if (spec->root_readonly) {
        bt_autoclose int fd = open("/", O_PATH | O_CLOEXEC);
        if (fd < 0)
            return bt_err_errno(err, errno, "open \"/\"");
        unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | kept_flags(fd);
        if (rt_mount_at(NULL, fd, NULL, flags, NULL, err) < 0)
            return bt_err_wrap(err, "make the root read-only");
    }
    unsigned long prop = spec->rootfs_propagation;
    if (prop & (MS_SHARED | MS_UNBINDABLE)) {
        if (mount(NULL, "/", NULL, prop, NULL) < 0)
            return bt_err_errno(err, errno, "set the propagation of \"/\"");
    }
    return 0;
}
