/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The process's stdio: either the caller's descriptors, or a pty made inside the container.
 *
 * The pty comes from the container's own /dev/ptmx (its devpts instance, "newinstance"), so
 * the slave is /dev/pts/0 inside the container and `tty` says so; a pty from the host's devpts
 * would be invisible there. The master goes to the parent over the sync socket; the slave
 * becomes the controlling terminal of a new session.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "guest/engine/runtime/runtime-internal.h"
#include "shared/base/cleanup.h"

int rt_terminal_open(unsigned short rows, unsigned short cols, int *master, int *slave,
                     bt_err **err)
{
    bt_autoclose int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0)
        return bt_err_errno(err, errno, "open \"/dev/ptmx\"");
    int unlock = 0;
    if (ioctl(m, TIOCSPTLCK, &unlock) < 0)
        return bt_err_errno(err, errno, "unlock the pty");
    /* TIOCGPTPEER opens the slave through the master, not by a path someone could swap. */
    int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0)
        return bt_err_errno(err, errno, "open the pty's slave");
    if (rows && cols) {
        struct winsize ws = {.ws_row = rows, .ws_col = cols};
        if (ioctl(m, TIOCSWINSZ, &ws) < 0) {
            close(s);
            return bt_err_errno(err, errno, "set the console size");
        }
    }
    *master = bt_steal_fd(&m);
    *slave = s;
    return 0;
}

int rt_terminal_bind_console(int slave, bt_err **err)
{
    /* The bind needs a target: an empty file where there is no node yet. */
    int fd = open("/dev/console", O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    else if (errno != EEXIST)
        return bt_err_errno(err, errno, "create \"/dev/console\"");
    bt_autoclose int target = open("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (target < 0)
        return bt_err_errno(err, errno, "open \"/dev/console\"");
    char src[64];
    snprintf(src, sizeof(src), "/proc/self/fd/%d", slave);
    if (rt_mount_at(src, target, NULL, MS_BIND, NULL, err) < 0)
        return bt_err_wrap(err, "bind the pty to \"/dev/console\"");
    return 0;
}

int rt_terminal_become_ctty(int slave, bt_err **err)
{
    if (setsid() < 0)
        return bt_err_errno(err, errno, "setsid");
    if (ioctl(slave, TIOCSCTTY, 0) < 0)
        return bt_err_errno(err, errno, "make the pty the controlling terminal");
    for (int i = 0; i < 3; i++) {
        if (dup2(slave, i) < 0)
            return bt_err_errno(err, errno, "dup2");
    }
    if (slave > 2)
        close(slave);
    return 0;
}

int rt_stdio_install(const int fds[3], int devnull, bt_err **err)
{
    /* Copy all three out of the way first: fds[1] may well be 0. */
    int tmp[3] = {-1, -1, -1};
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++) {
        int src = fds && fds[i] >= 0 ? fds[i] : devnull;
        tmp[i] = fcntl(src, F_DUPFD_CLOEXEC, 3);
        if (tmp[i] < 0)
            rc = bt_err_errno(err, errno, "dup stdio fd %d", src);
    }
    for (int i = 0; i < 3 && rc == 0; i++) {
        if (dup2(tmp[i], i) < 0) /* dup2 clears close-on-exec on the copy */
            rc = bt_err_errno(err, errno, "dup2 stdio fd %d", i);
    }
    for (int i = 0; i < 3; i++) {
        if (tmp[i] >= 0)
            close(tmp[i]);
    }
    return rc;
}
