/* SPDX-License-Identifier: Apache-2.0 */
/* lib/berth/machine-crypto.so: the table crypto-load.c looks up. */
#include "host/machine/crypto-module.h"

__attribute__((visibility("default")))
const struct machine_crypto_module berth_machine_crypto_module = {
        .abi = MACHINE_CRYPTO_MODULE_ABI,
        .certs_bootstrap = mcrypto_certs_bootstrap,
        .certs_issue_server = mcrypto_certs_issue_server,
        .certs_server_ok = mcrypto_certs_server_ok,
        .sshkey_generate = mcrypto_sshkey_generate,
};
