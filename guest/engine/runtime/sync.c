/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The parent-child protocol of rt_start/rt_exec (see runtime-internal.h), and the small things
 * a freshly forked child needs before it can be trusted to run someone else's program.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "guest/engine/runtime/runtime-internal.h"

int rt_sync_send(int sock, enum rt_msg_type type, int fd, bt_err **err)
{
    struct rt_msg msg = {.type = type};
    struct iovec iov = {&msg, offsetof(struct rt_msg, text) + 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        memset(&u, 0, sizeof(u));
        mh.msg_control = u.buf;
        mh.msg_controllen = sizeof(u.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    ssize_t n;
    do {
        n = sendmsg(sock, &mh, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return bt_err_errno(err, errno, "sync: send");
    return 0;
}

void rt_sync_send_error(int sock, const bt_err *e)
{
    struct rt_msg msg = {.type = RT_MSG_ERROR, .code = bt_err_code(e)};
    snprintf(msg.text, sizeof(msg.text), "%s", bt_err_msg(e));
    size_t len = offsetof(struct rt_msg, text) + strlen(msg.text) + 1;
    ssize_t n;
    do {
        n = send(sock, &msg, len, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
}

int rt_sync_recv(int sock, struct rt_msg *msg, int *fd, bt_err **err)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = {msg, sizeof(*msg)};
    struct msghdr mh = {
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = u.buf,
            .msg_controllen = sizeof(u.buf),
    };
    *fd = -1;
    memset(msg, 0, sizeof(*msg));
    ssize_t n;
    do {
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return bt_err_errno(err, errno, "sync: receive");
    if (n == 0)
        return 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            memcpy(fd, CMSG_DATA(c), sizeof(int));
    }
    if ((size_t)n < offsetof(struct rt_msg, text) + 1 || (mh.msg_flags & MSG_TRUNC)) {
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        return bt_err_set(err, BT_E_INTERNAL, "sync: malformed message");
    }
    msg->text[sizeof(msg->text) - 1] = '\0';
    return 1;
}

void rt_signals_reset(void)
{
    /* Handlers die with execve, but ignored signals and the mask survive it: a monitor that
     * ignores SIGPIPE or blocks SIGCHLD for a signalfd must not pass that on. */
    struct sigaction sa = {.sa_handler = SIG_DFL};
    sigemptyset(&sa.sa_mask);
    for (int s = 1; s < NSIG; s++) {
        if (s != SIGKILL && s != SIGSTOP)
            sigaction(s, &sa, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}
