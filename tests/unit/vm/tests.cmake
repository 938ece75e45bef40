# SPDX-License-Identifier: Apache-2.0
# Unit tests of host/vm (included by tests/CMakeLists.txt; paths relative to tests/)
berth_unit_test(test_vm_domain_xml unit/vm/test_vm_domain_xml.c berth_vm)
berth_unit_test(test_vm_qemu_argv unit/vm/test_vm_qemu_argv.c berth_vm)
berth_unit_test(test_vm_disk unit/vm/test_vm_disk.c berth_vm)
berth_unit_test(test_vm_network unit/vm/test_vm_network.c berth_vm)
berth_unit_test(test_vm_console unit/vm/test_vm_console.c berth_vm)
berth_unit_test(test_vm_spec unit/vm/test_vm_spec.c berth_vm)
berth_unit_test(test_vm_libvirt unit/vm/test_vm_libvirt.c berth_vm)
