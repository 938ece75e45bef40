/* SPDX-License-Identifier: Apache-2.0 */
/* Copying a tree: packed by one thread into a pipe, unpacked by the caller (archive.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/archive/archive.h"
#include "shared/base/fd.h"

struct packer {
    const char *src;
    int fd;
    bt_err *err;
};

static void *pack_main(void *arg)
{
    struct packer *p = arg;
    struct bt_tar_writer *w = bt_tar_writer_new(p->fd, BT_TAR_PLAIN, &p->err);
    if (w && bt_tar_writer_add_tree(w, p->src, ".", NULL, &p->err) == 0)
        bt_tar_writer_finish(w, NULL, NULL, &p->err);
    bt_tar_writer_free(w);
    /* the reader sees the end of the stream, or a short one when packing failed */
    bt_fd_close(p->fd);
    return NULL;
}

int bt_tar_copy_tree(const char *src, const char *dst, bt_err **err)
{
    struct stat st;
    if (stat(src, &st) < 0)
        return bt_err_errno(err, errno, "copy \"%s\"", src);
    if (!S_ISDIR(st.st_mode))
        return bt_err_set(err, BT_E_INVALID, "copy \"%s\": not a directory", src);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return bt_err_errno(err, errno, "copy \"%s\": pipe", src);
    struct packer p = {.src = src, .fd = fds[1]};
    pthread_t t;
    int rc = pthread_create(&t, NULL, pack_main, &p);
    if (rc != 0) {
        bt_fd_close(fds[0]);
        bt_fd_close(fds[1]);
        return bt_err_errno(err, rc, "copy \"%s\": thread", src);
    }
    struct bt_extract_opts xo = {.whiteouts = BT_WHITEOUT_KEEP};
    rc = bt_tar_extract_fd(fds[0], dst, &xo, err);
    /* a failed extraction stops reading: the packer then fails on the closed pipe */
    bt_fd_close(fds[0]);
    pthread_join(t, NULL);
    if (rc == 0 && p.err) {
        bt_err_move(err, &p.err);
        return bt_err_wrap(err, "copy \"%s\"", src);
    }
    bt_err_free(p.err);
    if (rc < 0)
        return -1;
    /* the top directory's own owner and mode, which extraction leaves to the destination */
    if (chown(dst, st.st_uid, st.st_gid) < 0 && errno != EPERM)
        return bt_err_errno(err, errno, "chown \"%s\"", dst);
    if (chmod(dst, st.st_mode & 07777) < 0)
        return bt_err_errno(err, errno, "chmod \"%s\"", dst);
    return 0;
}
