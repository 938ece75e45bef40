/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLS to an engine (tcp:// with --tls or --tlsverify), with OpenSSL. This file is built into a
 * module of its own (lib/berth/client-tls.so, loaded by module-load.c) so that OpenSSL is only
 * loaded by the commands that need it: loading libssl alone costs a berth process 1.6 ms and
 * 3 MB of resident memory, more than the rest of a local `berth ps`.
 *
 * As the docker CLI: --tlsverify checks the engine's certificate against --tlscacert (the
 * system's roots without one) and its name or IP against the host; --tls alone encrypts but
 * trusts any certificate. A client certificate is sent when cert and key are given.
 */
#include <arpa/inet.h>
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
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"

struct tls {
    SSL_CTX *ctx;
    SSL *ssl;
    int alert; /* the fatal alert the engine sent, + 1; 0 for none */
    char *why; /* why the connection failed, in Go's crypto/tls words, or NULL */
};

/* ---- errors in the words of Go's crypto/tls and crypto/x509, as the docker CLI shows them ---- */

/* crypto/tls's alert texts (alert.go) */
static const struct {
    int desc;
    const char *text;
} alerts[] = {
        {0, "close notify"},
        {10, "unexpected message"},
        {20, "bad record MAC"},
        {21, "decryption failed"},
        {22, "record overflow"},
        {30, "decompression failure"},
        {40, "handshake failure"},
        {42, "bad certificate"},
        {43, "unsupported certificate"},
        {44, "revoked certificate"},
        {45, "expired certificate"},
        {46, "unknown certificate"},
        {47, "illegal parameter"},
        {48, "unknown certificate authority"},
        {49, "access denied"},
        {50, "error decoding message"},
        {51, "error decrypting message"},
        {70, "protocol version not supported"},
        {71, "insufficient security level"},
        {80, "internal error"},
        {86, "inappropriate fallback"},
        {90, "user canceled"},
        {100, "no renegotiation"},
        {109, "missing extension"},
        {110, "unsupported extension"},
        {112, "unrecognized name"},
        {116, "certificate required"},
        {120, "no application protocol"},
};

static const char *alert_text(int desc)
{
    for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
        if (alerts[i].desc == desc)
            return alerts[i].text;
    return NULL;
}

static void info_callback(const SSL *ssl, int where, int ret)
{
    struct tls *t = SSL_get_app_data(ssl);
    /* ret: the alert's level (1 warning, 2 fatal) in the high byte, its description below */
    if (t && (where & SSL_CB_READ_ALERT) && (ret >> 8) == 2 && !t->alert)
        t->alert = (ret & 0xff) + 1;
}

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

/* The names a certificate is valid for, as Go's x509.HostnameError lists them: its IP SANs
 * when the host is an address, else its DNS SANs; "" for none. */
static char *san_list(X509 *cert, bool want_ip)
{
    struct bt_strbuf out = BT_STRBUF_INIT;
    GENERAL_NAMES *names = cert ? X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL) : NULL;
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *n = sk_GENERAL_NAME_value(names, i);
        char text[INET6_ADDRSTRLEN] = "";
        if (want_ip && n->type == GEN_IPADD) {
            int len = ASN1_STRING_length(n->d.iPAddress);
            const unsigned char *a = ASN1_STRING_get0_data(n->d.iPAddress);
            if (len == 4 || len == 16)
                inet_ntop(len == 4 ? AF_INET : AF_INET6, a, text, sizeof(text));
            if (text[0])
                bt_strbuf_appendf(&out, "%s%s", out.len ? ", " : "", text);
        } else if (!want_ip && n->type == GEN_DNS) {
            bt_strbuf_appendf(&out, "%s%.*s", out.len ? ", " : "", ASN1_STRING_length(n->d.dNSName),
                              (const char *)ASN1_STRING_get0_data(n->d.dNSName));
        }
    }
    GENERAL_NAMES_free(names);
    return bt_strbuf_steal(&out);
}

/* A failed verification of the engine's certificate, as crypto/x509 words it. */
static char *verify_text(SSL *ssl, long v, const char *host, bool is_ip)
{
    switch (v) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        return bt_xstrdup("x509: certificate signed by unknown authority");
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return bt_xstrdup("x509: certificate has expired or is not yet valid");
    case X509_V_ERR_INVALID_PURPOSE:
        return bt_xstrdup("x509: certificate specifies an incompatible key usage");
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH: {
        bt_autofree char *valid = san_list(SSL_get0_peer_certificate(ssl), is_ip);
        if (is_ip && !*valid)
            return bt_xasprintf("x509: cannot validate certificate for %s because it doesn't "
                                "contain any IP SANs",
                                host);
        if (!*valid)
            return bt_xasprintf("x509: certificate is not valid for any names, but wanted to "
                                "match %s",
                                host);
        return bt_xasprintf("x509: certificate is valid for %s, not %s", valid, host);
    }
    default:
        return bt_xasprintf("x509: %s", X509_verify_cert_error_string(v));
    }
}

/* Why a read or the handshake failed: the engine's alert, or OpenSSL's reason. */
static char *failure_text(struct tls *t)
{
    char buf[256];
    const char *text = t->alert ? alert_text(t->alert - 1) : NULL;
    if (text) {
        ERR_clear_error();
        return bt_xasprintf("remote error: tls: %s", text);
    }
    if (t->alert) {
        ERR_clear_error();
        return bt_xasprintf("remote error: tls: alert(%d)", t->alert - 1);
    }
    return bt_xasprintf("tls: %s", ssl_reason(buf, sizeof(buf)));
}

/* ---- the connection ---- */

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
        if (e == SSL_ERROR_SSL && !t->why)
            t->why = failure_text(t); /* (TLS 1.3 refuses a client certificate here) */
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
        if (e == SSL_ERROR_SSL && !t->why)
            t->why = failure_text(t);
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

static char *tls_why(struct cl_conn *c)
{
    struct tls *t = c->impl;
    return t && t->why ? bt_xstrdup(t->why) : NULL;
}

static void tls_free(struct cl_conn *c)
{
    struct tls *t = c->impl;
    if (t) {
        SSL_free(t->ssl);
        SSL_CTX_free(t->ctx);
        free(t->why);
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
        .why = tls_why,
        .free = tls_free,
};

/* ---- the CA, certificate and key ---- */

/* Each file named must open, as the docker CLI reads them before it dials. */
static int check_open(const char *path, bt_err **err)
{
    if (!path)
        return 0;
    FILE *f = fopen(path, "re");
    if (!f) {
        char why[128];
        return bt_err_set(err, BT_E_INVALID, "unable to resolve docker endpoint: open %s: %s", path,
                          bt_go_strerror(errno, why, sizeof(why)));
    }
    fclose(f);
    return 0;
}

/* Load the endpoint's files into ctx. Bad contents are told in the docker CLI's words. */
static int load_files(SSL_CTX *ctx, const struct cl_endpoint *ep, bt_err **err)
{
    if (check_open(ep->ca_file, err) < 0 || check_open(ep->cert_file, err) < 0 ||
        check_open(ep->key_file, err) < 0)
        return -1;
    if (ep->tls_verify) {
        int ok = ep->ca_file ? SSL_CTX_load_verify_locations(ctx, ep->ca_file, NULL)
                             : SSL_CTX_set_default_verify_paths(ctx);
        ERR_clear_error();
        if (ok != 1)
            return bt_err_set(err, BT_E_INVALID,
                              "failed to retrieve context tls info: %s seems invalid",
                              ep->ca_file ? ep->ca_file : "the system's CA bundle");
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    if (ep->cert_file && ep->key_file) {
        int ok = SSL_CTX_use_certificate_chain_file(ctx, ep->cert_file);
        ERR_clear_error();
        if (ok != 1)
            return bt_err_set(err, BT_E_INVALID,
                              "failed to retrieve context tls info: tls: failed to find any PEM "
                              "data in certificate input");
        ok = SSL_CTX_use_PrivateKey_file(ctx, ep->key_file, SSL_FILETYPE_PEM);
        if (ok != 1) {
            unsigned long e = ERR_peek_last_error();
            ERR_clear_error();
            if (ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH)
                return bt_err_set(err, BT_E_INVALID,
                                  "failed to retrieve context tls info: tls: private key does "
                                  "not match public key");
            return bt_err_set(err, BT_E_INVALID, "no valid private key found");
        }
        ok = SSL_CTX_check_private_key(ctx);
        ERR_clear_error();
        if (ok != 1)
            return bt_err_set(err, BT_E_INVALID,
                              "failed to retrieve context tls info: tls: private key does not "
                              "match public key");
    } /* one without the other: no client certificate, as the docker CLI */
    return 0;
}

static SSL_CTX *new_ctx(const struct cl_endpoint *ep, bt_err **err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        bt_err_set(err, BT_E_INTERNAL, "TLS: cannot create a context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (load_files(ctx, ep, err) < 0) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static int tls_check(const struct cl_endpoint *ep, bt_err **err)
{
    SSL_CTX *ctx = new_ctx(ep, err);
    SSL_CTX_free(ctx);
    return ctx ? 0 : -1;
}

static struct cl_conn *tls_connect(int fd, const struct cl_endpoint *ep, bt_err **err)
{
    struct tls *t = bt_xzalloc(sizeof(*t));
    struct cl_conn *c = cl_conn_from_fd(fd);
    c->ops = &tls_ops;
    c->impl = t;
    t->ctx = new_ctx(ep, err);
    if (!t->ctx)
        goto fail;
    t->ssl = SSL_new(t->ctx);
    SSL_set_app_data(t->ssl, t);
    SSL_set_info_callback(t->ssl, info_callback);
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
        long v = SSL_get_verify_result(t->ssl);
        if (v != X509_V_OK) {
            ERR_clear_error();
            bt_autofree char *why = verify_text(t->ssl, v, ep->host, is_ip);
            bt_err_set(err, BT_E_UNAVAILABLE, "tls: failed to verify certificate: %s", why);
        } else if (!t->alert && ERR_peek_error() == 0) {
            bt_err_set(err, BT_E_UNAVAILABLE, "EOF"); /* the engine hung up: Go says no more */
        } else {
            bt_autofree char *why = failure_text(t);
            bt_err_set(err, BT_E_UNAVAILABLE, "%s", why);
        }
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
        .check = tls_check,
};
