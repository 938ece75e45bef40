/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/engine/daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/crypto/digest.h"
#include "shared/fs/file.h"
#include "shared/base/path.h"
#include "guest/engine/container/container.h"
#include "guest/engine/image/image.h"
#include "guest/engine/network/network.h"
#include "guest/engine/volume/volume.h"

/* flock on data_root/berthd.lock: the kernel drops it when the process dies, so a crashed
 * daemon never blocks the next one, and two live ones never share a data root. The lock file
 * holds the owner's pid for the error message. */
static int lock_data_root(const char *data_root, bt_err **err)
{
    bt_autofree char *path = bt_xasprintf("%s/berthd.lock", data_root);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return bt_err_errno(err, errno, "open \"%s\"", path);
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        char buf[32] = "";
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        close(fd);
        if (e == EWOULDBLOCK)
            return bt_err_set(err, BT_E_CONFLICT,
                              "another berthd%s%s%s is already using the data root %s",
                              *buf ? " (pid " : "", buf, *buf ? ")" : "", data_root);
        return bt_err_errno(err, e, "lock \"%s\"", path);
    }
    char pid[32];
    int len = snprintf(pid, sizeof(pid), "%d\n", getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        int e = errno;
        close(fd);
        return bt_err_errno(err, e, "write \"%s\"", path);
    }
    return fd;
}

/* dockerd refuses to start over a pid file whose process still runs. */
static int write_pidfile(const char *path, bt_err **err)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (bt_file_read(path, &sb, 64, NULL) == 0) {
        long old = strtol(bt_strbuf_str(&sb), NULL, 10);
        if (old > 0 && old != getpid() && kill((pid_t)old, 0) == 0)
            return bt_err_set(err, BT_E_CONFLICT,
                              "pid file found, ensure berthd is not running or delete %s", path);
    }
    char pid[32];
    int len = snprintf(pid, sizeof(pid), "%d", getpid());
    return bt_file_write_atomic(path, pid, (size_t)len, 0644, err);
}

static char *load_id(const char *data_root, bt_err **err)
{
    bt_autofree char *path = bt_xasprintf("%s/engine-id", data_root);
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (bt_file_read(path, &sb, 256, NULL) == 0 && sb.len >= 32)
        return bt_xstrndup(sb.buf, strcspn(sb.buf, "\n"));
    char *id = bt_random_hex(16);
    if (bt_file_write_atomic(path, id, strlen(id), 0600, err) < 0) {
        free(id);
        return NULL;
    }
    return id;
}

/* berth-monitor is installed next to berthd (build/bin/ in a build tree). */
static char *monitor_path(void)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return bt_xstrdup("berth-monitor");
    self[n] = '\0';
    bt_autofree char *dir = bt_path_dirname(self);
    return bt_xasprintf("%s/berth-monitor", dir);
}

struct daemon *daemon_open(const struct daemon_paths *paths, bt_err **err)
{
    struct daemon *d = bt_xzalloc(sizeof(*d));
    bt_autofree char *image_root = bt_xasprintf("%s/image", paths->data_root);
    bt_autofree char *monitor = monitor_path();
    bt_autofree char *networks = NULL;
    d->lock_fd = -1;
    d->started = time(NULL);
    d->data_root = bt_xstrdup(paths->data_root);
    d->exec_root = bt_xstrdup(paths->exec_root);
    if (bt_mkdir_p(d->data_root, 0711, err) < 0 || bt_mkdir_p(d->exec_root, 0700, err) < 0)
        goto fail;
    d->lock_fd = lock_data_root(d->data_root, err);
    if (d->lock_fd < 0)
        goto fail;
    if (paths->pidfile) {
        if (write_pidfile(paths->pidfile, err) < 0)
            goto fail;
        d->pidfile = bt_xstrdup(paths->pidfile); /* ours now: removed at exit */
    }
    d->id = load_id(d->data_root, err);
    if (!d->id)
        goto fail;
    struct image_store_opts io = {.root = image_root};
    d->images = image_store_open(&io, err);
    if (!d->images)
        goto fail;
    char *volumes = bt_xasprintf("%s/volumes", d->data_root);
    d->volumes = vol_store_open(volumes, err);
    free(volumes);
    if (!d->volumes)
        goto fail;
    networks = bt_xasprintf("%s/networks", d->data_root);
    struct net_store_opts no = {
            .dir = networks, .bip = paths->bip, .disable_bridge = paths->no_bridge};
    d->networks = net_store_open(&no, err);
    if (!d->networks)
        goto fail;
    struct ctr_manager_opts co = {.data_root = d->data_root,
                                  .exec_root = d->exec_root,
                                  .monitor_path = monitor,
                                  .images = d->images,
                                  .volumes = d->volumes,
                                  .networks = d->networks};
    d->containers = ctr_manager_open(&co, err);
    if (!d->containers)
        goto fail;
    /* the running containers counted their volumes; what a crash left mounted goes */
    vol_unmount_idle(d->volumes);
    return d;
fail:
    daemon_close(d);
    return NULL;
}

void daemon_close(struct daemon *d)
{
    if (!d)
        return;
    ctr_manager_close(d->containers);
    net_store_close(d->networks);
    vol_store_close(d->volumes);
    image_store_close(d->images);
    if (d->pidfile)
        unlink(d->pidfile);
    bt_fd_close(d->lock_fd);
    free(d->data_root);
    free(d->exec_root);
    free(d->pidfile);
    free(d->id);
    free(d);
}
