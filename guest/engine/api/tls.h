/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * TLS for berthd's tcp:// listeners: GnuTLS, through libmicrohttpd's MHD_USE_TLS. Internal to
 * api/; tls.c and tls-relay.c are the only files that call GnuTLS. The public side (loading
 * the files, handing them to the server) is in server.h.
 *
 * What dockerd does, and so berthd: the server presents its certificate; with verification
 * (--tlsverify, dockerd's tls.RequireAndVerifyClientCert) the client must present one that
 * chains to the CA file and is good for client authentication, or the handshake fails with the
 * alert Go's crypto/tls sends, which is what the docker CLI prints ("remote error: tls:
 * certificate required", "... unknown certificate authority", "... expired certificate",
 * "... bad certificate").
 */
#include <stdbool.h>

#include "guest/engine/api/server.h"

struct api_tls {
    char *cert_pem; /* the server's certificate (chain), PEM, NUL-terminated */
    char *key_pem;
    char *ca_pem; /* NULL without client verification */
    bool verify;
};

/* GnuTLS priority string: TLS 1.2 and 1.3 only, as dockerd (go-connections' ServerDefault has
 * MinVersion TLS 1.2). */
#define API_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* Apply the client-certificate policy to a new connection's session (a gnutls_session_t, from
 * MHD_CONNECTION_INFO_GNUTLS_SESSION, before its handshake). */
void api_tls_session_start(const struct api_tls *t, void *session);

/* Relay an upgraded (hijacked) connection: plaintext between the TLS session (on the
 * non-blocking socket tcp) and app, our end of a socketpair whose other end the application
 * holds. Half-closes go through both ways: the client's close_notify shuts app down for
 * writing; app's end of stream is sent to the client as close_notify. The end of the client's
 * TCP stream without close_notify means the client is gone. Returns when app has nothing more
 * to say and all of it was sent, or the client is gone; the caller then shuts app down, which
 * the application sees as the hang-up of a unix-socket client. Runs on the connection's
 * thread; MHD must not use the session meanwhile (it does not: it waits in the upgrade
 * handler). */
void api_tls_relay(void *session, int tcp, int app);
