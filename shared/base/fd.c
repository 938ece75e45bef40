/* SPDX-License-Identifier: Apache-2.0 */
#include "shared/base/fd.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int bt_fd_write_all(int fd, const void *data, size_t len, bt_err **err)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return bt_err_errno(err, errno, "write");
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int bt_fd_read_all(int fd, struct bt_strbuf *out, size_t max, bt_err **err)
{
    size_t start = out->len;
    for (;;) {
        char *p = bt_strbuf_reserve(out, 65536);
        ssize_t n = read(fd, p, 65536);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return bt_err_errno(err, errno, "read");
        }
        /* commit even nothing: an empty input must still leave a terminated string */
        bt_strbuf_commit(out, (size_t)n);
        if (n == 0)
            return 0;
        if (max && out->len - start > max)
            return bt_err_set(err, BT_E_INVALID, "read: input too large (over %zu bytes)", max);
    }
}

ssize_t bt_fd_read_full(int fd, void *buf, size_t len, bt_err **err)
{
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return bt_err_errno(err, errno, "read");
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

ssize_t bt_fd_copy(int in, int out, bt_err **err)
{
    char buf[65536];
    ssize_t total = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return bt_err_errno(err, errno, "read");
        }
        if (n == 0)
            return total;
        if (bt_fd_write_all(out, buf, (size_t)n, err) < 0)
            return -1;
        total += n;
    }
}

static int set_flag(int fd, int get, int set, int flag, bool on, bt_err **err)
{
    int flags = fcntl(fd, get);
    if (flags < 0)
        return bt_err_errno(err, errno, "fcntl");
    int want = on ? (flags | flag) : (flags & ~flag);
    if (want != flags && fcntl(fd, set, want) < 0)
        return bt_err_errno(err, errno, "fcntl");
    return 0;
}

int bt_fd_set_cloexec(int fd, bool on, bt_err **err)
{
    return set_flag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, on, err);
}

int bt_fd_set_nonblock(int fd, bool on, bt_err **err)
{
    return set_flag(fd, F_GETFL, F_SETFL, O_NONBLOCK, on, err);
}

void bt_fd_close(int fd)
{
    if (fd >= 0) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
}
