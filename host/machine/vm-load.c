/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vm.h's functions, forwarded to lib/berth/machine-vm.so, loaded on first use (as the client's
 * TLS module is): only the machine commands that touch a VM map libvirt, libcurl and libssh2.
 * machine_image_dir() needs none of them and lives here.
 */
#include <dlfcn.h>
#include <stdlib.h>

#include "host/machine/vm-module.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"
#include "shared/fs/file.h"
#include "shared/fs/self.h"

#define MODULE_FILE "machine-vm.so"

static const struct machine_vm_module *mod;

static const struct machine_vm_module *load(bt_err **err)
{
    if (mod)
        return mod;
    bt_autofree char *path = bt_module_path(MODULE_FILE);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        bt_err_set(err, BT_E_UNSUPPORTED, "machines are not available: %s", dlerror());
        return NULL;
    }
    const struct machine_vm_module *m = dlsym(h, "berth_machine_vm_module");
    if (!m || m->abi != MACHINE_VM_MODULE_ABI) {
        bt_err_set(err, BT_E_UNSUPPORTED, "machines are not available: %s is %s", path,
                   m ? "a module of another build" : "no machine module");
        return NULL;
    }
    mod = m;
    return mod;
}

static bool image_in(const char *dir)
{
    bt_autofree char *initrd = bt_xasprintf("%s/initrd.img", dir);
    bt_autofree char *vmlinuz = bt_xasprintf("%s/vmlinuz", dir);
    bt_autofree char *vmlinux = bt_xasprintf("%s/vmlinux", dir);
    return bt_path_exists(initrd) && (bt_path_exists(vmlinuz) || bt_path_exists(vmlinux));
}

char *machine_image_dir(bt_err **err)
{
    const char *env = getenv("BERTH_VM_IMAGE");
    if (env && *env) {
        if (image_in(env))
            return bt_xstrdup(env);
        bt_err_set(err, BT_E_NOT_FOUND,
                   "BERTH_VM_IMAGE=%s holds no Berth VM image (vmlinuz or vmlinux, and "
                   "initrd.img)",
                   env);
        return NULL;
    }
    bt_autofree char *bindir = bt_self_dir();
    if (bindir) {
        static const char *const rel[] = {"../boot2vm", "../share/berth/boot2vm"};
        for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
            char *dir = bt_path_join(bindir, rel[i]);
            if (image_in(dir))
                return dir;
            free(dir);
        }
    }
    bt_err_set(err, BT_E_NOT_FOUND,
               "the Berth VM image is not there: build it with `cmake --build build --target "
               "boot2vm` (its inputs come from installer/fetch-vm-inputs.sh), or point "
               "BERTH_VM_IMAGE at its directory");
    return NULL;
}

int machine_vm_create(struct machine *m, const struct machine_io *io, bt_err **err)
{
    const struct machine_vm_module *v = load(err);
    return v ? v->create(m, io, err) : -1;
}

int machine_vm_start(struct machine *m, const struct machine_io *io, bt_err **err)
{
    const struct machine_vm_module *v = load(err);
    return v ? v->start(m, io, err) : -1;
}

int machine_vm_stop(struct machine *m, const struct machine_io *io, bt_err **err)
{
    const struct machine_vm_module *v = load(err);
    return v ? v->stop(m, io, err) : -1;
}

int machine_vm_kill(struct machine *m, bt_err **err)
{
    const struct machine_vm_module *v = load(err);
    return v ? v->kill(m, err) : -1;
}

const struct machine_live *machine_vm_live(bt_err **err)
{
    const struct machine_vm_module *v = load(err);
    return v ? &v->live : NULL;
}

int machine_vm_ssh(struct machine *m, char *const *args, int *status, bt_err **err)
{
    const struct machine_vm_module *v = load(err);
    return v ? v->ssh(m, args, status, err) : -1;
}

int machine_vm_scp(const struct machine_store *s, const char *src, const char *dst, bool recursive,
                   bt_err **err)
{
    const struct machine_vm_module *v = load(err);
    return v ? v->scp(s, src, dst, recursive, err) : -1;
}

int machine_vm_upgrade(struct machine *m, const struct machine_io *io, bt_err **err)
{
    const struct machine_vm_module *v = load(err);
    return v ? v->upgrade(m, io, err) : -1;
}

int machine_vm_seed_image(const struct machine *m, const char *busybox, const char *repo,
                          bool *made, bt_err **err)
{
    const struct machine_vm_module *v = load(err);
    return v ? v->seed_image(m, busybox, repo, made, err) : -1;
}

int machine_vm_forward(struct machine *m, bt_err **err)
{
    const struct machine_vm_module *v = load(err);
    return v ? v->forward(m, err) : -1;
}
