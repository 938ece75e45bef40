/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Inside the client: connections (conn.c) are byte streams with a read-ahead buffer behind a
 * small vtable, so HTTP (http.c) runs the same over a plain descriptor (unix, tcp, the SSH
 * bridge) and over TLS. A hijacked request turns its connection into the caller's cl_stream.
 */
#include <sys/types.h>

#include "host/client/client.h"

struct cl_conn;

struct cl_conn_ops {
    ssize_t (*read)(struct cl_conn *c, void *buf, size_t len);
    ssize_t (*write)(struct cl_conn *c, const void *buf, size_t len);
    int (*close_write)(struct cl_conn *c);
    /* bytes the layer holds that poll() on fd cannot see (TLS records already decrypted) */
    size_t (*pending)(struct cl_conn *c);
    /* why the connection failed or ended without an answer, when the layer can say more than
     * errno (TLS: the alert the engine sent; SSH: the remote command's stderr and status), or
     * NULL; the caller frees. Optional. */
    char *(*why)(struct cl_conn *c);
    void (*free)(struct cl_conn *c);
};

/* Flags on the codes of errors this client makes (cl_err_kind() strips them): CL_ERR_DAEMON,
 * the engine's own answer; CL_ERR_FINAL, a message already in the words the user should see
 * (docker's "Cannot connect to ..."), not to be put under "error during connect". */
#define CL_ERR_DAEMON 0x100000
#define CL_ERR_FINAL  0x200000

#define CL_CONN_BUF 16384

struct cl_conn {
    const struct cl_conn_ops *ops;
    int fd;
    void *impl;
    char buf[CL_CONN_BUF]; /* read ahead: buf[off, off + len) is unread */
    size_t off, len;
};

/* Connect to the endpoint. Failing to reach it is BT_E_UNAVAILABLE with the docker CLI's
 * sentence adapted: "Cannot connect to the Berth engine at URL. Is berthd running?". */
struct cl_conn *cl_conn_open(const struct cl_endpoint *ep, bt_err **err);
/* Read into the read-ahead buffer (it must be empty); 0 at EOF, -1 with errno. */
ssize_t cl_conn_fill(struct cl_conn *c);
/* Write everything (restarting on EINTR and partial writes). */
int cl_conn_write_all(struct cl_conn *c, const void *data, size_t len, bt_err **err);
void cl_conn_free(struct cl_conn *c);

/* A plain descriptor (taken over) as a connection. */
struct cl_conn *cl_conn_from_fd(int fd);

/* TLS over a connected descriptor (tls.c, loaded on demand: module-load.c); takes fd. */
struct cl_conn *cl_conn_tls(int fd, const struct cl_endpoint *ep, bt_err **err);
/* Load a TLS endpoint's CA, certificate and key as a connection would, to report bad files
 * before anything is sent (tls.c). */
int cl_tls_check(const struct cl_endpoint *ep, bt_err **err);
/* An SSH channel to `berthd dial-stdio` (ssh.c, loaded on demand). */
struct cl_conn *cl_conn_ssh(const struct cl_endpoint *ep, bt_err **err);
/* Why a connection ended without an answer, when its transport can tell (ops->why); NULL
 * otherwise. The caller frees. */
char *cl_conn_why(struct cl_conn *c);

/* The stream handed out by cl_hijack is the connection itself. */
struct cl_stream {
    struct cl_conn *conn;
};

/* For the fuzz target: give the client this connection (as if negotiated) instead of dialling. */
void cl_client_use_conn(struct cl_client *c, struct cl_conn *conn);
