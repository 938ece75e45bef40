/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ssh:// engines: the SSH transport (host/transport, libssh2) runs `berthd dial-stdio` on the
 * far host and gives a local socket bridged to it; HTTP then runs over that socket as over a
 * unix socket. Built into lib/berth/client-ssh.so (see ssh-module.h).
 */
#include <stdlib.h>
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/client/ssh-module.h"
#include "host/transport/transport.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

struct ssh_impl {
    struct tp_ssh_conn *conn;
};

static ssize_t ssh_read(struct cl_conn *c, void *buf, size_t len)
{
    ssize_t n;
    do {
        n = read(c->fd, buf, len);
    } while (n < 0 && errno == EINTR);
    return n;
}

static ssize_t ssh_write(struct cl_conn *c, const void *buf, size_t len)
{
    ssize_t n;
    do {
        n = send(c->fd, buf, len, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
}

static int ssh_close_write(struct cl_conn *c)
{
    return shutdown(c->fd, SHUT_WR);
}

static size_t ssh_pending(struct cl_conn *c)
{
    return 0;
}

static void ssh_free(struct cl_conn *c)
{
    struct ssh_impl *s = c->impl;
    c->fd = -1; /* the transport owns and closes it */
    if (s) {
        tp_ssh_conn_free(s->conn);
        free(s);
    }
}

static char *ssh_why(struct cl_conn *c);

static const struct cl_conn_ops ssh_ops = {
        .read = ssh_read,
        .write = ssh_write,
        .close_write = ssh_close_write,
        .pending = ssh_pending,
        .why = ssh_why,
        .free = ssh_free,
};

static struct cl_conn *ssh_dial(const struct cl_endpoint *ep, bt_err **err)
{
    struct tp_ssh_url u;
    if (tp_ssh_url_parse(ep->url, &u, err) < 0)
        return NULL;
    char **cmd = tp_ssh_url_command(&u);
    struct tp_ssh_opts o = {
            .host = u.host,
            .port = u.port,
            .user = u.user,
            .command = (const char *const *)cmd,
            .identity_file = ep->ssh_identity,
            .known_hosts = ep->ssh_known_hosts,
    };
    struct tp_ssh_conn *conn = tp_ssh_connect(&o, err);
    bt_strv_free(cmd);
    tp_ssh_url_free(&u);
    if (!conn)
        return NULL;
    struct cl_conn *c = bt_xzalloc(sizeof(*c));
    struct ssh_impl *s = bt_xzalloc(sizeof(*s));
    s->conn = conn;
    c->ops = &ssh_ops;
    c->fd = tp_ssh_conn_fd(conn);
    c->impl = s;
    return c;
}

static char *ssh_why(struct cl_conn *c)
{
    if (c->ops != &ssh_ops)
        return NULL;
    struct ssh_impl *s = c->impl;
    bt_autoerr bt_err *err = NULL;
    /* give the far side a moment to report how the command ended */
    for (int i = 0; i < 20; i++) {
        bt_err_clear(&err);
        if (tp_ssh_conn_check(s->conn, &err) == 0)
            return NULL;
        if (!bt_err_is(err, BT_E_CONFLICT))
            return bt_xstrdup(bt_err_msg(err));
        usleep(50000);
    }
    return NULL;
}

const struct cl_ssh_module berth_client_ssh_module = {
        .abi = CL_SSH_MODULE_ABI,
        .dial = ssh_dial,
};
