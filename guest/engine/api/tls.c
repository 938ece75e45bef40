/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TLS material of the tcp:// listeners and the client-certificate policy, on GnuTLS.
 *
 * Loading checks what libmicrohttpd would otherwise only report as "cannot start", and words
 * the failures as dockerd does (go-connections' tlsconfig.Server around Go's
 * tls.LoadX509KeyPair), because users and scripts match on them:
 *   Could not load X509 key pair (cert: "c", key: "k"): open c: no such file or directory
 *   Error reading X509 key pair (cert: "c", key: "k"): tls: ... . Make sure the key is not
 *   encrypted.
 *   could not read CA certificate "ca": open ca: no such file or directory
 *   failed to append certificates from PEM file: "ca"
 */
#include "guest/engine/api/tls.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/base/strbuf.h"

/* PEM files are small; a bigger one is not what the user meant to give. */
#define MAX_PEM (1u << 20)
/* How long a refused client may take to close after its alert. */
#define LINGER_MS 2000

/* ---- loading ---- */

/* Go's words for a failed os.ReadFile: "open PATH: no such file or directory" (the syscall's
 * message in lower case), "read PATH: is a directory". */
static int read_error(bt_err **err, int e, const char *op, const char *path)
{
    char msg[128];
    snprintf(msg, sizeof(msg), "%s", strerror(e));
    msg[0] = (char)tolower((unsigned char)msg[0]);
    return bt_err_set(err, e, "%s %s: %s", op, path, msg);
}

static char *read_pem(const char *path, bt_err **err)
{
    bt_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        read_error(err, errno, "open", path);
        return NULL;
    }
    struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_autoerr bt_err *e = NULL;
    if (bt_fd_read_all(fd, &sb, MAX_PEM, &e) < 0) {
        bt_strbuf_free(&sb);
        int code = bt_err_code(e);
        read_error(err, code < BT_E_BASE ? code : EFBIG, "read", path);
        return NULL;
    }
    return bt_strbuf_steal(&sb);
}

static gnutls_datum_t datum(const char *pem)
{
    return (gnutls_datum_t){.data = (unsigned char *)pem, .size = (unsigned)strlen(pem)};
}

/* How many certificates the PEM text holds (0 for none or junk). */
static unsigned count_certs(const char *pem)
{
    gnutls_datum_t d = datum(pem);
    gnutls_x509_crt_t *crts = NULL;
    unsigned n = 0;
    if (gnutls_x509_crt_list_import2(&crts, &n, &d, GNUTLS_X509_FMT_PEM, 0) < 0)
        return 0;
    for (unsigned i = 0; i < n; i++)
        gnutls_x509_crt_deinit(crts[i]);
    gnutls_free(crts);
    return n;
}

/* What tls.X509KeyPair would say about the pair, or NULL when it is usable. */
static const char *key_pair_problem(const char *cert, const char *key)
{
    if (count_certs(cert) == 0)
        return "tls: failed to find any PEM data in certificate input";
    gnutls_datum_t c = datum(cert), k = datum(key);
    gnutls_certificate_credentials_t cred;
    if (gnutls_certificate_allocate_credentials(&cred) < 0)
        return "tls: cannot allocate credentials";
    int rc = gnutls_certificate_set_x509_key_mem2(cred, &c, &k, GNUTLS_X509_FMT_PEM, NULL, 0);
    gnutls_certificate_free_credentials(cred);
    if (rc >= 0)
        return NULL;
    if (rc == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
        return "tls: private key does not match public key";
    if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE || rc == GNUTLS_E_BASE64_DECODING_ERROR)
        return "tls: failed to find any PEM data in key input";
    return "tls: failed to parse private key"; /* an encrypted key among others */
}

static int load_key_pair(struct api_tls *t, const struct api_tls_files *f, bt_err **err)
{
    bt_autoerr bt_err *e = NULL;
    t->cert_pem = read_pem(f->cert, &e);
    if (t->cert_pem)
        t->key_pem = read_pem(f->key, &e);
    if (!t->key_pem) {
        /* go-connections tells a missing file from the rest */
        if (bt_err_code(e) == ENOENT)
            return bt_err_set(err, ENOENT,
                              "Could not load X509 key pair (cert: \"%s\", key: "
                              "\"%s\"): %s",
                              f->cert, f->key, bt_err_msg(e));
        return bt_err_set(err, BT_E_INVALID,
                          "Error reading X509 key pair (cert: \"%s\", key: "
                          "\"%s\"): %s. Make sure the key is not encrypted.",
                          f->cert, f->key, bt_err_msg(e));
    }
    const char *problem = key_pair_problem(t->cert_pem, t->key_pem);
    if (problem)
        return bt_err_set(err, BT_E_INVALID,
                          "Error reading X509 key pair (cert: \"%s\", key: "
                          "\"%s\"): %s. Make sure the key is not encrypted.",
                          f->cert, f->key, problem);
    return 0;
}

static int load_ca(struct api_tls *t, const char *path, bt_err **err)
{
    bt_autoerr bt_err *e = NULL;
    t->ca_pem = read_pem(path, &e);
    if (!t->ca_pem)
        return bt_err_set(err, bt_err_code(e), "could not read CA certificate \"%s\": %s", path,
                          bt_err_msg(e));
    if (count_certs(t->ca_pem) == 0)
        return bt_err_set(err, BT_E_INVALID, "failed to append certificates from PEM file: \"%s\"",
                          path);
    return 0;
}

struct api_tls *api_tls_load(const struct api_tls_files *f, bt_err **err)
{
    struct api_tls *t = bt_xzalloc(sizeof(*t));
    t->verify = f->verify;
    /* the order of tlsconfig.Server: the key pair, then (only when verifying) the CA */
    if (load_key_pair(t, f, err) < 0 || (t->verify && load_ca(t, f->ca, err) < 0)) {
        api_tls_free(t);
        return NULL;
    }
    return t;
}

void api_tls_free(struct api_tls *t)
{
    if (!t)
        return;
    free(t->cert_pem);
    if (t->key_pem) {
        explicit_bzero(t->key_pem, strlen(t->key_pem));
        free(t->key_pem);
    }
    free(t->ca_pem);
    free(t);
}

/* ---- client certificates ---- */

static void peer_text(gnutls_session_t s, char *out, size_t size)
{
    struct sockaddr_storage a;
    socklen_t len = sizeof(a);
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (getpeername(gnutls_transport_get_int(s), (struct sockaddr *)&a, &len) == 0) {
        if (a.ss_family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&a;
            inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
            port = ntohs(in->sin_port);
        } else if (a.ss_family == AF_INET6) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a;
            inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
            port = ntohs(in6->sin6_port);
        }
    }
    snprintf(out, size, a.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
}

/* Let the alert reach the client before the connection closes. libmicrohttpd closes it as
 * soon as the handshake failed, with the client's later records (its Finished, or a request
 * sent right after its side of a TLS 1.3 handshake) still unread in the socket; the kernel
 * then answers with a reset, which can overtake the alert, and the client only sees its
 * connection dropped. So, as HTTP servers linger on close: our end of the stream after the
 * alert, then whatever the client still sends is read and dropped until it closes too (it
 * does on the alert), for at most LINGER_MS. */
static void linger(int fd)
{
    shutdown(fd, SHUT_WR);
    char buf[4096];
    for (int waited = 0; waited < LINGER_MS;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, 100);
        if (n < 0 && errno != EINTR)
            return;
        if (n <= 0) {
            waited += 100;
            continue;
        }
        ssize_t got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
            return;
    }
}

/* Refuse the handshake as Go's crypto/tls does (processCertsFromClient): the alert tells the
 * client why, and the docker CLI prints it ("remote error: tls: unknown certificate
 * authority"). Logged as Go's http.Server logs a failed handshake. */
static int refuse(gnutls_session_t s, gnutls_alert_description_t alert, const char *why)
{
    char peer[INET6_ADDRSTRLEN + 16];
    peer_text(s, peer, sizeof(peer));
    bt_info("http: TLS handshake error from %s: %s", peer, why);
    gnutls_alert_send(s, GNUTLS_AL_FATAL, alert);
    linger(gnutls_transport_get_int(s));
    return -1;
}

/* Called by GnuTLS in the handshake, once the client's Certificate message is in (with or
 * without a certificate). Non-zero fails the handshake. */
static int verify_client(gnutls_session_t s)
{
    unsigned n = 0;
    if (!gnutls_certificate_get_peers(s, &n) || n == 0) {
        bool tls13 = gnutls_protocol_get_version(s) == GNUTLS_TLS1_3;
        return refuse(s, tls13 ? GNUTLS_A_CERTIFICATE_REQUIRED : GNUTLS_A_BAD_CERTIFICATE,
                      "tls: client didn't provide a certificate");
    }
    /* against the CA file only (MHD_OPTION_HTTPS_MEM_TRUST; dockerd's ExclusiveRootPools), and
     * for client authentication (Go's ExtKeyUsageClientAuth; no extended key usage at all is
     * accepted by both) */
    gnutls_typed_vdata_st purpose = {.type = GNUTLS_DT_KEY_PURPOSE_OID,
                                     .data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT};
    unsigned status = 0;
    if (gnutls_certificate_verify_peers(s, &purpose, 1, &status) < 0)
        return refuse(s, GNUTLS_A_BAD_CERTIFICATE, "tls: failed to verify certificate");
    if (status == 0)
        return 0;
    if (status & GNUTLS_CERT_SIGNER_NOT_FOUND)
        return refuse(s, GNUTLS_A_UNKNOWN_CA,
                      "tls: failed to verify certificate: x509: certificate signed by unknown "
                      "authority");
    if (status & GNUTLS_CERT_EXPIRED)
        return refuse(s, GNUTLS_A_CERTIFICATE_EXPIRED,
                      "tls: failed to verify certificate: x509: certificate has expired or is "
                      "not yet valid");
    gnutls_datum_t text = {0};
    gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0);
    bt_autofree char *why = bt_xasprintf("tls: failed to verify certificate: %s",
                                         text.data ? (char *)text.data : "rejected");
    gnutls_free(text.data);
    return refuse(s, GNUTLS_A_BAD_CERTIFICATE, why);
}

void api_tls_session_start(const struct api_tls *t, void *session)
{
    gnutls_session_t s = session;
    if (!t->verify)
        return;
    /* REQUEST, not REQUIRE: with REQUIRE GnuTLS fails a handshake without a certificate before
     * verify_client runs, and sends no alert, so the client would only see its connection
     * close. verify_client refuses the missing certificate itself, with the alert. */
    gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUEST);
    gnutls_session_set_verify_function(s, verify_client);
}
