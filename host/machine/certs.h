/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * A machine's keys and certificates (docs/design/machine.md, "The store"):
 *
 *   <config>/certs/ca.pem, ca-key.pem     the CA every machine's engine and the client trust
 *   <config>/certs/cert.pem, key.pem      the client certificate (extendedKeyUsage clientAuth)
 *   machines/NAME/ca.pem, cert.pem, key.pem   copies of those: DOCKER_CERT_PATH is the machine
 *                                         directory, as docker-machine has it
 *   machines/NAME/server.pem, server-key.pem  the engine's certificate (serverAuth), with the
 *                                         SANs IP, NAME, localhost, 127.0.0.1
 *   machines/NAME/id_ed25519, id_ed25519.pub  root's SSH key for the VM
 *
 * Certificates are docker-machine's (libmachine/cert): made once and kept, valid from 5
 * minutes ago (clock skew of a VM) for 1080 days, 128-bit random serials, but with ECDSA P-256
 * keys where docker-machine makes RSA 2048 ones: a key in well under a millisecond instead of
 * 50-500 ms each, and every TLS stack that meets them takes P-256 (Go's crypto/tls in the
 * docker CLI, OpenSSL in berth, GnuTLS in berthd). Subjects: the CA "O=berth, CN=<user>",
 * the client "O=berth, CN=<user>.<bootstrap>", a server "O=berth, CN=<user>.<machine>".
 * Private keys are PKCS#8 PEM files of mode 0600, written atomically.
 *
 * The SSH key is in OpenSSH's own format ("BEGIN OPENSSH PRIVATE KEY", PROTOCOL.key,
 * unencrypted): libssh2 1.10 signs with an ed25519 key only from that format (its OpenSSL
 * backend reads ed25519 keys with its OpenSSH parser alone), and OpenSSH's ssh reads it too.
 * The .pub line is `ssh-ed25519 BASE64 berth@NAME`.
 *
 * OpenSSL is loaded only for these (lib/berth/machine-crypto.so, found as the client's TLS
 * module is), so that no other berth command maps libcrypto. The functions load it on first
 * use; without it they fail with BT_E_UNSUPPORTED.
 */
#include <stdbool.h>

#include "shared/base/err.h"

/* Make the shared CA and client certificate in certs_dir when they are missing or expired
 * (both anew when the CA is; the client alone when only it is). `user` names them. With
 * regenerate, make both anew whatever they are (regenerate-certs --client-certs). */
int machine_certs_bootstrap(const char *certs_dir, const char *user, bool regenerate, bt_err **err);

/* Issue machine_dir/server.pem and server-key.pem for a machine at `ip` (an IP address, or a
 * DNS name for a generic host given by name) and also named host_name (a generic host's own
 * name; may be NULL), signed by the CA of certs_dir, and copy the CA and client files (ca.pem,
 * cert.pem, key.pem) into machine_dir. */
int machine_certs_issue_server(const char *certs_dir, const char *machine_dir, const char *name,
                               const char *ip, const char *host_name, const char *user,
                               bt_err **err);

/* Does machine_dir/server.pem still serve a machine at `ip`: it names the IP, is signed by
 * machine_dir/ca.pem and is not expired? *why gets the reason when not (caller frees). */
int machine_certs_server_ok(const char *machine_dir, const char *ip, bool *ok, char **why,
                            bt_err **err);

/* Make dir/id_ed25519 (0600) and dir/id_ed25519.pub with the comment `comment`. */
int machine_sshkey_generate(const char *dir, const char *comment, bt_err **err);
