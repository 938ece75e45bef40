/* SPDX-License-Identifier: Apache-2.0 */
/* tp_ssh_exec(): a remote command with its input given and its output collected. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/transport/transport.h"
#include "shared/base/strbuf.h"

/* Feed input and collect stdout at once: a command that answers before it read all its input
 * must not block us on a full socket buffer. */
static int pump(int fd, const char *input, size_t len, struct bt_strbuf *out, size_t max,
                bt_err **err)
{
    size_t sent = 0;
    bool open_w = true;
    if (len == 0) {
        shutdown(fd, SHUT_WR);
        open_w = false;
    }
    for (;;) {
        struct pollfd p = {fd, (short)(POLLIN | (open_w ? POLLOUT : 0)), 0};
        if (poll(&p, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            return bt_err_errno(err, errno, "poll");
        }
        if (open_w && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = send(fd, input + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0)
                sent += (size_t)w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || sent == len) {
                shutdown(fd, SHUT_WR); /* the command's stdin ends (or it stopped reading) */
                open_w = false;
            }
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[16384];
            ssize_t r = read(fd, buf, sizeof(buf));
            if (r < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (r <= 0)
                return 0;
            if (out->len + (size_t)r > max)
                return bt_err_set(err, BT_E_INVALID,
                                  "the remote command wrote more than %zu "
                                  "bytes",
                                  max);
            bt_strbuf_append_n(out, buf, (size_t)r);
        }
    }
}

int tp_ssh_exec(const struct tp_ssh_opts *opts, const char *input, size_t len,
                struct tp_ssh_result *res, bt_err **err)
{
    bt_strbuf_reset(&res->out);
    bt_strbuf_reset(&res->err);
    res->status = -1;
    struct tp_ssh_opts o = *opts;
    o.pty_term = NULL;
    o.shell = false;
    struct tp_ssh_conn *c = tp_ssh_connect(&o, err);
    if (!c)
        return -1;
    int rc = pump(tp_ssh_conn_fd(c), input, len, &res->out, 64u << 20, err);
    struct tp_ssh_end end;
    if (rc == 0)
        rc = tp_ssh_conn_wait(c, -1, &end, err);
    if (rc == 0 && end.error)
        rc = bt_err_set(err, BT_E_UNAVAILABLE, "%s: %s", end.description, end.error);
    if (rc == 0) {
        bt_strbuf_append_n(&res->err, end.stderr_text, end.stderr_len);
        res->status = end.exit_status >= 0 ? end.exit_status : end.exit_signal ? 255 : -1;
    }
    tp_ssh_conn_free(c);
    return rc;
}

void tp_ssh_result_clear(struct tp_ssh_result *res)
{
    bt_strbuf_free(&res->out);
    bt_strbuf_free(&res->err);
}
