/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLS to an engine (tcp:// with --tls or --tlsverify), with OpenSSL. This file is built into a
 * module of its own (lib/berth/client-tls.so, loaded by tls-load.c) so that OpenSSL is only
 * loaded by the commands that need it: loading libssl alone costs a berth process 1.6 ms and
 * 3 MB of resident memory, more than the rest of a local `berth ps`.
 *
 * As the docker CLI: --tlsverify checks the engine's certificate against --tlscacert (the
 * system's roots without one) and its name or IP against the host; --tls alone encrypts but
 * trusts any certificate. A client certificate is sent when cert and key are given.
 */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/client/client-internal.h"
#include "host/client/tls-module.h"
#include "shared/base/mem.h"

struct tls {
    SSL_CTX *ctx;
    SSL *ssl;
};

static ssize_t tls_read(struct cl_conn *c, void *buf, size_t len)
{
    struct tls *t = c->impl;
    for (;;) {
        int n = SSL_read(t->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
        if (n > 0)
            return n;
        int e = SSL_get_error(t->ssl, n);
        if (e == SSL_ERROR_ZERO_RETURN)
            return 0; /* close_notify: the engine is done */
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            errno = EAGAIN;
            return -1;
        }
        if (e == SSL_ERROR_SYSCALL && errno == EINTR)
            continue;
        if (e == SSL_ERROR_SYSCALL && n == 0)
            return 0; /* TCP EOF without close_notify: an engine that went away */
        errno = e == SSL_ERROR_SYSCALL ? errno : EPROTO;
        return -1;
    }
}

static ssize_t tls_write(struct cl_conn *c, const void *buf, size_t len)
{
    struct tls *t = c->impl;
    for (;;) {
        int n = SSL_write(t->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
        if (n > 0)
            return n;
        int e = SSL_get_error(t->ssl, n);
        if (e == SSL_ERROR_SYSCALL && errno == EINTR)
            continue;
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            errno = EAGAIN;
            return -1;
        }
        errno = e == SSL_ERROR_SYSCALL && errno ? errno : EPIPE;
        return -1;
    }
}

/* Go's tls.Conn.CloseWrite: a close_notify alert says "no more from me"; the engine's stream
 * stays readable. */
static int tls_close_write(struct cl_conn *c)
{
    struct tls *t = c->impl;
    SSL_shutdown(t->ssl);
    return 0;
}

static size_t tls_pending(struct cl_conn *c)
{
    struct tls *t = c->impl;
    int n = SSL_pending(t->ssl);
    return n > 0 ? (size_t)n : 0;
}

static void tls_free(struct cl_conn *c)
{
    struct tls *t = c->impl;
    if (t) {
        SSL_free(t->ssl);
        SSL_CTX_free(t->ctx);
        free(t);
    }
    if (c->fd >= 0)
        close(c->fd);
}

static const struct cl_conn_ops tls_ops = {
        .read = tls_read,
        .write = tls_write,
        .close_write = tls_close_write,
        .pending = tls_pending,
        .free = tls_free,
};

/* OpenSSL's error queue as one line (its last, most specific entry). */
static const char *ssl_reason(char *buf, size_t len)
{
    unsigned long e, last = 0;
    while ((e = ERR_get_error()) != 0)
        last = e;
    if (!last)
        return "handshake failed";
    ERR_error_string_n(last, buf, len);
    const char *r = strrchr(buf, ':');
    return r ? r + 1 : buf;
}

static int load_files(SSL_CTX *ctx, const struct cl_endpoint *ep, bt_err **err)
{
    char why[256];
    if (ep->tls_verify) {
        int ok = ep->ca_file ? SSL_CTX_load_verify_locations(ctx, ep->ca_file, NULL)
                             : SSL_CTX_set_default_verify_paths(ctx);
        if (ok != 1)
            return bt_err_set(err, BT_E_INVALID, "could not read CA certificate \"%s\": %s",
                              ep->ca_file ? ep->ca_file : "(system)", ssl_reason(why, sizeof(why)));
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    if (ep->cert_file && ep->key_file) {
        if (SSL_CTX_use_certificate_chain_file(ctx, ep->cert_file) != 1)
            return bt_err_set(err, BT_E_INVALID, "could not load X509 key pair: cert \"%s\": %s",
                              ep->cert_file, ssl_reason(why, sizeof(why)));
        if (SSL_CTX_use_PrivateKey_file(ctx, ep->key_file, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(ctx) != 1)
            return bt_err_set(err, BT_E_INVALID, "could not load X509 key pair: key \"%s\": %s",
                              ep->key_file, ssl_reason(why, sizeof(why)));
    }
    return 0;
}

static struct cl_conn *tls_connect(int fd, const struct cl_endpoint *ep, bt_err **err)
{
    struct tls *t = bt_xzalloc(sizeof(*t));
    struct cl_conn *c = cl_conn_from_fd(fd);
    c->ops = &tls_ops;
    c->impl = t;
    t->ctx = SSL_CTX_new(TLS_client_method());
    if (!t->ctx) {
        bt_err_set(err, BT_E_INTERNAL, "TLS: cannot create a context");
        goto fail;
    }
    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    if (load_files(t->ctx, ep, err) < 0)
        goto fail;
    t->ssl = SSL_new(t->ctx);
    SSL_set_fd(t->ssl, fd);
    bool is_ip = strspn(ep->host, "0123456789.") == strlen(ep->host) || strchr(ep->host, ':');
    if (!is_ip)
        SSL_set_tlsext_host_name(t->ssl, ep->host);
    if (ep->tls_verify) {
        X509_VERIFY_PARAM *vp = SSL_get0_param(t->ssl);
        if (is_ip)
            X509_VERIFY_PARAM_set1_ip_asc(vp, ep->host);
        else
            X509_VERIFY_PARAM_set1_host(vp, ep->host, 0);
    }
    if (SSL_connect(t->ssl) != 1) {
        char why[256];
        long v = SSL_get_verify_result(t->ssl);
        if (v != X509_V_OK)
            bt_err_set(err, BT_E_UNAVAILABLE,
                       "error during connect: %s: tls: failed to verify certificate: %s", ep->url,
                       X509_verify_cert_error_string(v));
        else
            bt_err_set(err, BT_E_UNAVAILABLE, "error during connect: %s: tls: %s", ep->url,
                       ssl_reason(why, sizeof(why)));
        goto fail;
    }
    return c;
fail:
    cl_conn_free(c);
    return NULL;
}

const struct cl_tls_module berth_client_tls_module = {
        .abi = CL_TLS_MODULE_ABI,
        .connect = tls_connect,
};
