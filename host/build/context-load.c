/* SPDX-License-Identifier: Apache-2.0 */
/*
 * build_context_pack(), forwarded to lib/berth/build-context.so, loaded on first use from
 * <dir of the berth binary>/../lib/berth/ (or $BERTH_LIB_DIR): only berth build maps
 * libarchive.
 */
#include <dlfcn.h>
#include <stdlib.h>

#include "host/build/context-module.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/fs/self.h"

#define MODULE_FILE "build-context.so"

int build_context_pack(int fd, const struct build_archive_src *src, bt_err **err)
{
    static const struct build_context_module *mod;
    if (!mod) {
        bt_autofree char *path = bt_module_path(MODULE_FILE);
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h)
            return bt_err_set(err, BT_E_UNSUPPORTED, "building is not available: %s", dlerror());
        const struct build_context_module *m = dlsym(h, "berth_build_context_module");
        if (!m || m->abi != BUILD_CONTEXT_MODULE_ABI)
            return bt_err_set(err, BT_E_UNSUPPORTED, "building is not available: %s is %s", path,
                              m ? "a module of another build" : "no build module");
        mod = m;
    }
    return mod->pack(fd, src, err);
}
