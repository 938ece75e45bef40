/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/engine/monproto/monproto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int monproto_send(int sock, int fd, bt_err **err, const char *fmt, ...)
{
    char buf[MONPROTO_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return bt_err_set(err, BT_E_INTERNAL, "format control message");
    if ((size_t)n >= sizeof(buf))
        n = sizeof(buf) - 1; /* long free text is cut, never a protocol error */
    struct iovec iov = {.iov_base = buf, .iov_len = (size_t)n};
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        memset(&u, 0, sizeof(u));
        msg.msg_control = u.b;
        msg.msg_controllen = sizeof(u.b);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    for (;;) {
        if (sendmsg(sock, &msg, MSG_NOSIGNAL) >= 0)
            return 0;
        if (errno != EINTR)
            return bt_err_errno(err, errno, "send control message");
    }
}

ssize_t monproto_recv(int sock, char *buf, size_t size, int *fd, bt_err **err)
{
    *fd = -1;
    struct iovec iov = {.iov_base = buf, .iov_len = size - 1};
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)};
    ssize_t n;
    do {
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return bt_err_errno(err, errno, "receive control message");
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len >= CMSG_LEN(sizeof(int))) {
            /* take the first descriptor; close any others a confused peer sent */
            size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            int fds[8];
            if (count > 8)
                count = 8;
            memcpy(fds, CMSG_DATA(c), count * sizeof(int));
            if (*fd < 0)
                *fd = fds[0];
            else
                close(fds[0]);
            for (size_t i = 1; i < count; i++)
                close(fds[i]);
        }
    }
    buf[n] = '\0';
    return n;
}

size_t monproto_split(char *buf, char **words, size_t max)
{
    size_t n = 0;
    char *p = buf;
    while (*p && n < max) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        words[n++] = p;
        if (n == max)
            break;
        while (*p && *p != ' ')
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

int monproto_socketpair(int sv[2], bt_err **err)
{
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return bt_err_errno(err, errno, "socketpair");
    return 0;
}
