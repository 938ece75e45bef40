/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The machine crypto module (lib/berth/machine-crypto.so, OpenSSL's home for certificates and
 * keys): its one exported symbol, `berth_machine_crypto_module`, found by crypto-load.c with
 * dlsym(). The functions are those of certs.h, which crypto-load.c forwards to them. The ABI
 * number changes whenever this struct does, so a stale module is refused, not misused.
 */
#include <stdbool.h>

#include "shared/base/err.h"

#define MACHINE_CRYPTO_MODULE_ABI 2

struct machine_crypto_module {
    int abi;
    int (*certs_bootstrap)(const char *certs_dir, const char *user, bool regenerate, bt_err **err);
    int (*certs_issue_server)(const char *certs_dir, const char *machine_dir, const char *name,
                              const char *ip, const char *host_name, const char *user,
                              bt_err **err);
    int (*certs_server_ok)(const char *machine_dir, const char *ip, bool *ok, char **why,
                           bt_err **err);
    int (*sshkey_generate)(const char *dir, const char *comment, bt_err **err);
};

/* The implementations (certs.c, sshkey.c), with certs.h's contracts. */
int mcrypto_certs_bootstrap(const char *certs_dir, const char *user, bool regenerate, bt_err **err);
int mcrypto_certs_issue_server(const char *certs_dir, const char *machine_dir, const char *name,
                               const char *ip, const char *host_name, const char *user,
                               bt_err **err);
int mcrypto_certs_server_ok(const char *machine_dir, const char *ip, bool *ok, char **why,
                            bt_err **err);
int mcrypto_sshkey_generate(const char *dir, const char *comment, bt_err **err);

/* OpenSSL's error queue as one message, the queue cleared: "what: reason". Returns -1. */
int mcrypto_err(bt_err **err, const char *what);
