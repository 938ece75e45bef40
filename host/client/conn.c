/* SPDX-License-Identifier: Apache-2.0 */
/* Connections to an engine: unix and tcp sockets here, TLS (tls.c) and SSH (ssh.c) on top. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "host/client/client-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

static ssize_t fd_read(struct cl_conn *c, void *buf, size_t len)
{
    ssize_t n;
    do {
        n = read(c->fd, buf, len);
    } while (n < 0 && errno == EINTR);
    return n;
}

static ssize_t fd_write(struct cl_conn *c, const void *buf, size_t len)
{
    ssize_t n;
    do {
        /* MSG_NOSIGNAL: an engine that went away is an error, not a SIGPIPE */
        n = send(c->fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == ENOTSOCK)
            n = write(c->fd, buf, len);
    } while (n < 0 && errno == EINTR);
    return n;
}

static int fd_close_write(struct cl_conn *c)
{
    return shutdown(c->fd, SHUT_WR);
}

static size_t fd_pending(struct cl_conn *c)
{
    return 0;
}

static void fd_free(struct cl_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
}

static const struct cl_conn_ops fd_ops = {
        .read = fd_read,
        .write = fd_write,
        .close_write = fd_close_write,
        .pending = fd_pending,
        .free = fd_free,
};

struct cl_conn *cl_conn_from_fd(int fd)
{
    struct cl_conn *c = bt_xzalloc(sizeof(*c));
    c->ops = &fd_ops;
    c->fd = fd;
    return c;
}

/* A connect() that failed. As the docker client: any failure on a unix socket, and a refused
 * or timed-out TCP connection, is "Cannot connect ..."; no permission says so; other TCP errors
 * are Go's dial error, which the request puts under "error during connect". */
static int unreachable(const struct cl_endpoint *ep, int e, bt_err **err)
{
    if (e == EACCES || e == EPERM)
        return bt_err_set(err, BT_E_UNAVAILABLE | CL_ERR_FINAL,
                          "permission denied while trying to connect to the Berth engine at %s",
                          ep->url);
    if (ep->proto == CL_TCP && e != ECONNREFUSED && e != ETIMEDOUT) {
        char why[128];
        bool v6 = strchr(ep->host, ':') != NULL;
        return bt_err_set(err, BT_E_UNAVAILABLE, "dial tcp %s%s%s:%d: connect: %s", v6 ? "[" : "",
                          ep->host, v6 ? "]" : "", ep->port, bt_go_strerror(e, why, sizeof(why)));
    }
    return bt_err_set(err, BT_E_UNAVAILABLE | CL_ERR_FINAL,
                      "Cannot connect to the Berth engine at %s. Is berthd running?\n"
                      "Start one with `berth quickstart` (a VM) or `berth machine start`, or "
                      "point -H, BERTH_HOST or DOCKER_HOST at a running engine.",
                      ep->url);
}

static int connect_unix(const struct cl_endpoint *ep, bt_err **err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(ep->path) >= sizeof(sa.sun_path))
        return bt_err_set(err, BT_E_INVALID, "socket path too long: %s", ep->path);
    strcpy(sa.sun_path, ep->path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return bt_err_errno(err, errno, "socket");
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        return unreachable(ep, e, err);
    }
    return fd;
}

static int connect_tcp(const struct cl_endpoint *ep, bt_err **err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    char port[16];
    snprintf(port, sizeof(port), "%d", ep->port);
    int rc = getaddrinfo(ep->host, port, &hints, &res);
    if (rc != 0)
        return bt_err_set(err, BT_E_UNAVAILABLE, "dial tcp: lookup %s: %s", ep->host,
                          rc == EAI_NONAME ? "no such host" : gai_strerror(rc));
    int fd = -1, e = ECONNREFUSED;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        if (connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
            e = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        return unreachable(ep, e, err);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

struct cl_conn *cl_conn_open(const struct cl_endpoint *ep, bt_err **err)
{
    int fd;
    switch (ep->proto) {
    case CL_UNIX:
        fd = connect_unix(ep, err);
        break;
    case CL_TCP:
        fd = connect_tcp(ep, err);
        if (fd >= 0 && ep->tls)
            return cl_conn_tls(fd, ep, err); /* takes fd */
        break;
    case CL_SSH:
        return cl_conn_ssh(ep, err);
    default:
        bt_err_set(err, BT_E_INVALID, "invalid bind address format: %s", ep->url);
        return NULL;
    }
    return fd < 0 ? NULL : cl_conn_from_fd(fd);
}

int cl_endpoint_check(const struct cl_endpoint *ep, bt_err **err)
{
    return ep->proto == CL_TCP && ep->tls ? cl_tls_check(ep, err) : 0;
}

char *cl_conn_why(struct cl_conn *c)
{
    return c && c->ops->why ? c->ops->why(c) : NULL;
}

ssize_t cl_conn_fill(struct cl_conn *c)
{
    c->off = 0;
    ssize_t n = c->ops->read(c, c->buf, sizeof(c->buf));
    c->len = n > 0 ? (size_t)n : 0;
    return n;
}

int cl_conn_write_all(struct cl_conn *c, const void *data, size_t len, bt_err **err)
{
    const char *p = data;
    while (len) {
        ssize_t n = c->ops->write(c, p, len);
        if (n < 0)
            return bt_err_errno(err, errno, "write to the engine");
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

void cl_conn_free(struct cl_conn *c)
{
    if (!c)
        return;
    c->ops->free(c);
    free(c);
}

/* ---- the hijacked stream ---- */

ssize_t cl_stream_read(struct cl_stream *s, void *buf, size_t len)
{
    struct cl_conn *c = s->conn;
    if (c->len) {
        size_t n = len < c->len ? len : c->len;
        memcpy(buf, c->buf + c->off, n);
        c->off += n;
        c->len -= n;
        return (ssize_t)n;
    }
    return c->ops->read(c, buf, len);
}

ssize_t cl_stream_write(struct cl_stream *s, const void *buf, size_t len)
{
    return s->conn->ops->write(s->conn, buf, len);
}

int cl_stream_close_write(struct cl_stream *s)
{
    return s->conn->ops->close_write(s->conn);
}

int cl_stream_fd(const struct cl_stream *s)
{
    return s->conn->fd;
}

size_t cl_stream_pending(const struct cl_stream *s)
{
    return s->conn->len + s->conn->ops->pending(s->conn);
}

void cl_stream_free(struct cl_stream *s)
{
    if (!s)
        return;
    cl_conn_free(s->conn);
    free(s);
}
