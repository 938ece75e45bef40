/* SPDX-License-Identifier: Apache-2.0 */
/* lib/berth/machine-vm.so: the table vm-load.c looks up. */
#include "host/machine/vm-module.h"

__attribute__((visibility("default"))) const struct machine_vm_module berth_machine_vm_module = {
        .abi = MACHINE_VM_MODULE_ABI,
        .live = {.state = mvm_live_state,
                 .engine_version = mvm_engine_version,
                 .remove = mvm_remove,
                 .apply_certs = mvm_apply_certs},
        .create = mvm_create,
        .start = mvm_start,
        .stop = mvm_stop,
        .kill = mvm_kill,
        .ssh = mvm_ssh,
        .scp = mvm_scp,
        .upgrade = mvm_upgrade,
        .seed_image = mvm_seed_image,
        .forward = mfwd_run,
};
