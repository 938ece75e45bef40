/* SPDX-License-Identifier: Apache-2.0 */
/*
 * certs.h's functions, forwarded to lib/berth/machine-crypto.so, loaded on first use from
 * <dir of the berth binary>/../lib/berth/ (or $BERTH_LIB_DIR), as the client's TLS module is:
 * only the machine commands that make or check certificates and keys map OpenSSL.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include "host/machine/certs.h"
#include "host/machine/crypto-module.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/fs/self.h"

#define MODULE_FILE "machine-crypto.so"

static const struct machine_crypto_module *mod;

static const struct machine_crypto_module *load(bt_err **err)
{
    if (mod)
        return mod;
    bt_autofree char *path = bt_module_path(MODULE_FILE);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        bt_err_set(err, BT_E_UNSUPPORTED, "machine certificates are not available: %s", dlerror());
        return NULL;
    }
    const struct machine_crypto_module *m = dlsym(h, "berth_machine_crypto_module");
    if (!m || m->abi != MACHINE_CRYPTO_MODULE_ABI) {
        bt_err_set(err, BT_E_UNSUPPORTED, "machine certificates are not available: %s is %s", path,
                   m ? "a module of another build" : "no machine crypto module");
        return NULL;
    }
    mod = m;
    return mod;
}

int machine_certs_bootstrap(const char *certs_dir, const char *user, bool regenerate, bt_err **err)
{
    const struct machine_crypto_module *m = load(err);
    return m ? m->certs_bootstrap(certs_dir, user, regenerate, err) : -1;
}

int machine_certs_issue_server(const char *certs_dir, const char *machine_dir, const char *name,
                               const char *ip, const char *host_name, const char *user,
                               bt_err **err)
{
    const struct machine_crypto_module *m = load(err);
    return m ? m->certs_issue_server(certs_dir, machine_dir, name, ip, host_name, user, err) : -1;
}

int machine_certs_server_ok(const char *machine_dir, const char *ip, bool *ok, char **why,
                            bt_err **err)
{
    const struct machine_crypto_module *m = load(err);
    return m ? m->certs_server_ok(machine_dir, ip, ok, why, err) : -1;
}

int machine_sshkey_generate(const char *dir, const char *comment, bt_err **err)
{
    const struct machine_crypto_module *m = load(err);
    return m ? m->sshkey_generate(dir, comment, err) : -1;
}
