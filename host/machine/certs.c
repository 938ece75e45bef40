/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The machines' certificates with OpenSSL 3 (EVP keys, X509 building and signing), as
 * docker-machine's libmachine/cert makes them; see certs.h for the choices.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "host/machine/crypto-module.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"

BT_DEFINE_AUTOPTR(evp_pkey, EVP_PKEY, EVP_PKEY_free);
BT_DEFINE_AUTOPTR(x509, X509, X509_free);
BT_DEFINE_AUTOPTR(bio, BIO, BIO_free);
BT_DEFINE_AUTOPTR(bignum, BIGNUM, BN_free);

/* docker-machine: valid from 5 minutes ago (a VM's clock may be behind) for 1080 days */
#define SKEW_SECONDS     (5 * 60)
#define VALIDITY_SECONDS (1080L * 24 * 60 * 60)

int mcrypto_err(bt_err **err, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "unknown error";
    if (e)
        ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    return bt_err_set(err, BT_E_INTERNAL, "%s: %s", what, buf);
}

static char *path_in(const char *dir, const char *file)
{
    return bt_xasprintf("%s/%s", dir, file);
}

/* ---- files ---- */

static int write_bio(const char *path, BIO *b, mode_t mode, bt_err **err)
{
    char *data = NULL;
    long len = BIO_get_mem_data(b, &data);
    return bt_file_write_atomic(path, data, (size_t)len, mode, err);
}

static int write_cert(const char *path, X509 *x, bt_err **err)
{
    bt_autoptr(bio) b = BIO_new(BIO_s_mem());
    if (!PEM_write_bio_X509(b, x))
        return mcrypto_err(err, "encode certificate");
    return write_bio(path, b, 0644, err);
}

static int write_key(const char *path, EVP_PKEY *k, bt_err **err)
{
    bt_autoptr(bio) b = BIO_new(BIO_s_mem());
    /* PKCS#8 ("BEGIN PRIVATE KEY"), unencrypted: what Go's tls.LoadX509KeyPair, GnuTLS and
     * OpenSSL all read */
    if (!PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL))
        return mcrypto_err(err, "encode private key");
    return write_bio(path, b, 0600, err);
}

static X509 *read_cert(const char *path, bt_err **err)
{
    bt_autoptr(bio) b = BIO_new_file(path, "r");
    if (!b) {
        ERR_clear_error();
        bt_err_errno(err, errno ? errno : ENOENT, "open \"%s\"", path);
        return NULL;
    }
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    if (!x) {
        bt_autofree char *what = bt_xasprintf("read certificate \"%s\"", path);
        mcrypto_err(err, what);
    }
    return x;
}

static EVP_PKEY *read_key(const char *path, bt_err **err)
{
    bt_autoptr(bio) b = BIO_new_file(path, "r");
    if (!b) {
        ERR_clear_error();
        bt_err_errno(err, errno ? errno : ENOENT, "open \"%s\"", path);
        return NULL;
    }
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    if (!k) {
        bt_autofree char *what = bt_xasprintf("read private key \"%s\"", path);
        mcrypto_err(err, what);
    }
    return k;
}

static int copy_file(const char *from, const char *to, mode_t mode, bt_err **err)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (bt_file_read(from, &sb, 1 << 20, err) < 0)
        return -1;
    return bt_file_write_atomic(to, sb.buf ? sb.buf : "", sb.len, mode, err);
}

/* ---- building ---- */

struct cert_spec {
    const char *cn;
    bool ca;
    const char *ext_key_usage; /* "serverAuth", "clientAuth", NULL */
    const char *san;           /* "IP:...,DNS:..." or NULL */
    EVP_PKEY *key;             /* the certificate's key */
    X509 *issuer;              /* NULL: self-signed */
    EVP_PKEY *issuer_key;
};

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value, bt_err **err)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    if (!ext)
        return mcrypto_err(err, "certificate extension");
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : mcrypto_err(err, "certificate extension");
}

static int set_serial(X509 *x, bt_err **err)
{
    /* 128 random bits as docker-machine's, made positive (RFC 5280 4.1.2.2) */
    unsigned char buf[16];
    if (RAND_bytes(buf, sizeof(buf)) != 1)
        return mcrypto_err(err, "serial number");
    buf[0] &= 0x7f;
    bt_autoptr(bignum) bn = BN_bin2bn(buf, sizeof(buf), NULL);
    if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
        return mcrypto_err(err, "serial number");
    return 0;
}

static int set_names_and_times(X509 *x, const struct cert_spec *s, bt_err **err)
{
    X509_NAME *n = X509_get_subject_name(x);
    if (!X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)"berth", -1, -1,
                                    0) ||
        !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)s->cn, -1, -1,
                                    0))
        return mcrypto_err(err, "certificate subject");
    if (!X509_set_issuer_name(x, s->issuer ? X509_get_subject_name(s->issuer) : n))
        return mcrypto_err(err, "certificate issuer");
    time_t now = time(NULL);
    time_t from = now - now % 60 - SKEW_SECONDS; /* whole minutes, as docker-machine's */
    if (!ASN1_TIME_set(X509_getm_notBefore(x), from) ||
        !ASN1_TIME_set(X509_getm_notAfter(x), from + VALIDITY_SECONDS))
        return mcrypto_err(err, "certificate validity");
    return 0;
}

static int set_extensions(X509 *x, const struct cert_spec *s, bt_err **err)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, s->issuer ? s->issuer : x, x, NULL, NULL, 0);
    if (add_ext(x, &ctx, NID_basic_constraints, s->ca ? "critical,CA:TRUE" : "critical,CA:FALSE",
                err) < 0 ||
        add_ext(x, &ctx, NID_key_usage,
                s->ca ? "critical,keyCertSign,cRLSign,digitalSignature"
                      : "critical,digitalSignature,keyAgreement",
                err) < 0 ||
        add_ext(x, &ctx, NID_subject_key_identifier, "hash", err) < 0)
        return -1;
    if (s->issuer && add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always", err) < 0)
        return -1;
    if (s->ext_key_usage && add_ext(x, &ctx, NID_ext_key_usage, s->ext_key_usage, err) < 0)
        return -1;
    if (s->san && add_ext(x, &ctx, NID_subject_alt_name, s->san, err) < 0)
        return -1;
    return 0;
}

static X509 *make_cert(const struct cert_spec *s, bt_err **err)
{
    bt_autoptr(x509) x = X509_new();
    if (!x || !X509_set_version(x, X509_VERSION_3) || !X509_set_pubkey(x, s->key)) {
        mcrypto_err(err, "new certificate");
        return NULL;
    }
    if (set_serial(x, err) < 0 || set_names_and_times(x, s, err) < 0 ||
        set_extensions(x, s, err) < 0)
        return NULL;
    if (!X509_sign(x, s->issuer_key ? s->issuer_key : s->key, EVP_sha256())) {
        mcrypto_err(err, "sign certificate");
        return NULL;
    }
    return bt_steal_ptr(&x);
}

static EVP_PKEY *new_key(bt_err **err)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!k)
        mcrypto_err(err, "generate an ECDSA P-256 key");
    return k;
}

/* A key and a certificate for it, written key first: a certificate on disk always has its
 * key beside it. */
static int issue(const char *cert_path, const char *key_path, struct cert_spec *s, bt_err **err)
{
    bt_autoptr(evp_pkey) key = new_key(err);
    if (!key)
        return -1;
    s->key = key;
    bt_autoptr(x509) x = make_cert(s, err);
    if (!x)
        return -1;
    if (write_key(key_path, key, err) < 0 || write_cert(cert_path, x, err) < 0)
        return -1;
    return 0;
}

/* ---- the shared CA and client certificate ---- */

static bool cert_current(const char *path)
{
    bt_autoptr(x509) x = read_cert(path, NULL);
    ERR_clear_error();
    return x && X509_cmp_current_time(X509_get0_notAfter(x)) > 0;
}

static int make_client(const char *certs_dir, const char *user, bt_err **err)
{
    bt_autofree char *ca_path = path_in(certs_dir, "ca.pem");
    bt_autofree char *ca_key_path = path_in(certs_dir, "ca-key.pem");
    bt_autoptr(x509) ca = read_cert(ca_path, err);
    bt_autoptr(evp_pkey) ca_key = ca ? read_key(ca_key_path, err) : NULL;
    if (!ca_key)
        return -1;
    bt_autofree char *cn = bt_xasprintf("%s.<bootstrap>", user);
    struct cert_spec s = {
            .cn = cn, .ext_key_usage = "clientAuth", .issuer = ca, .issuer_key = ca_key};
    bt_autofree char *cert = path_in(certs_dir, "cert.pem");
    bt_autofree char *key = path_in(certs_dir, "key.pem");
    return issue(cert, key, &s, err);
}

int mcrypto_certs_bootstrap(const char *certs_dir, const char *user, bool regenerate, bt_err **err)
{
    if (bt_mkdir_p(certs_dir, 0700, err) < 0)
        return -1;
    bt_autofree char *ca = path_in(certs_dir, "ca.pem");
    bt_autofree char *ca_key = path_in(certs_dir, "ca-key.pem");
    bt_autofree char *cert = path_in(certs_dir, "cert.pem");
    bt_autofree char *key = path_in(certs_dir, "key.pem");
    bool ca_ok = !regenerate && bt_path_exists(ca_key) && cert_current(ca);
    if (!ca_ok) {
        struct cert_spec s = {.cn = user, .ca = true};
        if (issue(ca, ca_key, &s, err) < 0)
            return bt_err_wrap(err, "make the CA in \"%s\"", certs_dir);
    }
    if (ca_ok && bt_path_exists(key) && cert_current(cert))
        return 0;
    if (make_client(certs_dir, user, err) < 0)
        return bt_err_wrap(err, "make the client certificate in \"%s\"", certs_dir);
    return 0;
}

/* ---- servers ---- */

/* "IP:x" for an address, "DNS:x" for a name. */
static char *san_entry(const char *host)
{
    unsigned char buf[16];
    bool ip = inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
    return bt_xasprintf("%s:%s", ip ? "IP" : "DNS", host);
}

int mcrypto_certs_issue_server(const char *certs_dir, const char *machine_dir, const char *name,
                               const char *ip, const char *host_name, const char *user,
                               bt_err **err)
{
    bt_autofree char *ca_path = path_in(certs_dir, "ca.pem");
    bt_autofree char *ca_key_path = path_in(certs_dir, "ca-key.pem");
    bt_autoptr(x509) ca = read_cert(ca_path, err);
    bt_autoptr(evp_pkey) ca_key = ca ? read_key(ca_key_path, err) : NULL;
    if (!ca_key)
        return bt_err_wrap(err, "issue the server certificate of \"%s\"", name);
    /* the address, the name, the host's own name, and the loopback names (for forwards from
     * 127.0.0.1) */
    bt_autofree char *addr = san_entry(ip);
    bt_autofree char *own =
            host_name && *host_name && strcmp(host_name, name) != 0 && strcmp(host_name, ip) != 0
                    ? bt_xasprintf(",DNS:%s", host_name)
                    : bt_xstrdup("");
    bt_autofree char *san =
            strcmp(ip, "127.0.0.1") == 0
                    ? bt_xasprintf("IP:127.0.0.1,DNS:%s%s,DNS:localhost", name, own)
                    : bt_xasprintf("%s,DNS:%s%s,DNS:localhost,IP:127.0.0.1", addr, name, own);
    bt_autofree char *cn = bt_xasprintf("%s.%s", user, name);
    struct cert_spec s = {.cn = cn,
                          .ext_key_usage = "serverAuth",
                          .san = san,
                          .issuer = ca,
                          .issuer_key = ca_key};
    bt_autofree char *cert = path_in(machine_dir, "server.pem");
    bt_autofree char *key = path_in(machine_dir, "server-key.pem");
    if (issue(cert, key, &s, err) < 0)
        return bt_err_wrap(err, "issue the server certificate of \"%s\"", name);
    /* DOCKER_CERT_PATH is the machine's directory: the client's files beside the server's */
    static const struct {
        const char *file;
        mode_t mode;
    } copies[] = {{"ca.pem", 0644}, {"cert.pem", 0644}, {"key.pem", 0600}};
    for (size_t i = 0; i < sizeof(copies) / sizeof(copies[0]); i++) {
        bt_autofree char *from = path_in(certs_dir, copies[i].file);
        bt_autofree char *to = path_in(machine_dir, copies[i].file);
        if (copy_file(from, to, copies[i].mode, err) < 0)
            return bt_err_wrap(err, "copy %s to the machine's directory", copies[i].file);
    }
    return 0;
}

int mcrypto_certs_server_ok(const char *machine_dir, const char *ip, bool *ok, char **why,
                            bt_err **err)
{
    *ok = false;
    *why = NULL;
    bt_autofree char *cert_path = path_in(machine_dir, "server.pem");
    bt_autofree char *ca_path = path_in(machine_dir, "ca.pem");
    bt_autoptr(x509) x = read_cert(cert_path, err);
    bt_autoptr(x509) ca = x ? read_cert(ca_path, err) : NULL;
    if (!ca)
        return -1;
    bt_autofree char *addr = san_entry(ip);
    bool names_it = strncmp(addr, "IP:", 3) == 0 ? X509_check_ip_asc(x, ip, 0) == 1
                                                 : X509_check_host(x, ip, 0, 0, NULL) == 1;
    if (!names_it)
        *why = bt_xasprintf("x509: certificate is not valid for %s", ip);
    else if (X509_check_issued(ca, x) != X509_V_OK || X509_verify(x, X509_get0_pubkey(ca)) != 1)
        *why = bt_xstrdup("x509: certificate signed by unknown authority");
    else if (X509_cmp_current_time(X509_get0_notAfter(x)) <= 0)
        *why = bt_xstrdup("x509: certificate has expired");
    else
        *ok = true;
    ERR_clear_error();
    return 0;
}
