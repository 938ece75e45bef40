# SPDX-License-Identifier: Apache-2.0
# Fuzz targets for host/vm (included by tests/fuzz/CMakeLists.txt)
berth_fuzz_target(fuzz_vm_console fuzz_vm_console.c berth_vm)
berth_fuzz_target(fuzz_vm_cidr fuzz_vm_cidr.c berth_vm)
berth_fuzz_target(fuzz_generic_facts fuzz_generic_facts.c berth_machine)
