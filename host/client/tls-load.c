/* SPDX-License-Identifier: Apache-2.0 */
/* Loading the TLS module (tls.c) the first time a TLS endpoint is used. */
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include "host/client/tls-module.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"

/* <dir of the berth binary>/../lib/berth/client-tls.so, or $BERTH_LIB_DIR/client-tls.so. */
static char *module_path(void)
{
    const char *dir = getenv("BERTH_LIB_DIR");
    if (dir && *dir)
        return bt_xasprintf("%s/client-tls.so", dir);
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return bt_xstrdup("client-tls.so");
    self[n] = '\0';
    bt_autofree char *bindir = bt_path_dirname(self);
    return bt_xasprintf("%s/../lib/berth/client-tls.so", bindir);
}

struct cl_conn *cl_conn_tls(int fd, const struct cl_endpoint *ep, bt_err **err)
{
    static const struct cl_tls_module *mod;
    if (!mod) {
        bt_autofree char *path = module_path();
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            close(fd);
            bt_err_set(err, BT_E_UNSUPPORTED, "TLS is not available: %s", dlerror());
            return NULL;
        }
        const struct cl_tls_module *m = dlsym(h, "berth_client_tls_module");
        if (!m || m->abi != CL_TLS_MODULE_ABI) {
            close(fd);
            bt_err_set(err, BT_E_UNSUPPORTED, "TLS is not available: %s is from another build",
                       path);
            return NULL;
        }
        mod = m;
    }
    return mod->connect(fd, ep, err);
}
