/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading the client's optional modules (TLS: tls.c, SSH: ssh.c) the first time an endpoint
 * needs one, from <dir of the berth binary>/../lib/berth/ (or $BERTH_LIB_DIR).
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include "host/client/ssh-module.h"
#include "host/client/tls-module.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/fs/self.h"

static const void *load(const char *file, const char *symbol, const char *what, bt_err **err)
{
    bt_autofree char *path = bt_module_path(file);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        bt_err_set(err, BT_E_UNSUPPORTED, "%s is not available: %s", what, dlerror());
        return NULL;
    }
    const void *sym = dlsym(h, symbol);
    if (!sym)
        bt_err_set(err, BT_E_UNSUPPORTED, "%s is not available: %s has no %s", what, path, symbol);
    return sym;
}

static const struct cl_tls_module *tls_mod;

static int load_tls(bt_err **err)
{
    if (tls_mod)
        return 0;
    const struct cl_tls_module *m = load("client-tls.so", "berth_client_tls_module", "TLS", err);
    if (m && m->abi != CL_TLS_MODULE_ABI)
        return bt_err_set(err, BT_E_UNSUPPORTED, "TLS is not available: a module of another build");
    if (!m)
        return -1;
    tls_mod = m;
    return 0;
}

struct cl_conn *cl_conn_tls(int fd, const struct cl_endpoint *ep, bt_err **err)
{
    if (load_tls(err) < 0) {
        close(fd);
        return NULL;
    }
    return tls_mod->connect(fd, ep, err);
}

int cl_tls_check(const struct cl_endpoint *ep, bt_err **err)
{
    return load_tls(err) < 0 ? -1 : tls_mod->check(ep, err);
}

static const struct cl_ssh_module *ssh_mod;

struct cl_conn *cl_conn_ssh(const struct cl_endpoint *ep, bt_err **err)
{
    if (!ssh_mod) {
        const struct cl_ssh_module *m =
                load("client-ssh.so", "berth_client_ssh_module", "SSH", err);
        if (!m || m->abi != CL_SSH_MODULE_ABI) {
            if (m)
                bt_err_set(err, BT_E_UNSUPPORTED,
                           "SSH is not available: a module of another build");
            return NULL;
        }
        ssh_mod = m;
    }
    return ssh_mod->dial(ep, err);
}
