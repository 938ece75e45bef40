/* SPDX-License-Identifier: Apache-2.0 */
/*
 * archive-module.h's functions, forwarded to lib/berth/copy-archive.so, loaded on first use
 * from <dir of the berth binary>/../lib/berth/ (or $BERTH_LIB_DIR), as the client's TLS module
 * is: only berth cp maps libarchive and its compression libraries.
 */
#include <dlfcn.h>
#include <stdlib.h>

#include "host/copy/archive-module.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/fs/self.h"

#define MODULE_FILE "copy-archive.so"

static const struct copy_archive_module *mod;

static const struct copy_archive_module *load(bt_err **err)
{
    if (mod)
        return mod;
    bt_autofree char *path = bt_module_path(MODULE_FILE);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        bt_err_set(err, BT_E_UNSUPPORTED, "copying is not available: %s", dlerror());
        return NULL;
    }
    const struct copy_archive_module *m = dlsym(h, "berth_copy_archive_module");
    if (!m || m->abi != COPY_ARCHIVE_MODULE_ABI) {
        bt_err_set(err, BT_E_UNSUPPORTED, "copying is not available: %s is %s", path,
                   m ? "a module of another build" : "no copy module");
        return NULL;
    }
    mod = m;
    return mod;
}

int copy_archive_pack(int fd, const char *path, const char *top, bt_err **err)
{
    const struct copy_archive_module *m = load(err);
    return m ? m->pack(fd, path, top, err) : -1;
}

int copy_archive_unpack(int fd, const char *dir, const char *from, const char *to, bt_err **err)
{
    const struct copy_archive_module *m = load(err);
    return m ? m->unpack(fd, dir, from, to, err) : -1;
}
