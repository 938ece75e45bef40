# SPDX-License-Identifier: Apache-2.0
# Unit tests of host/machine (included by tests/CMakeLists.txt; paths relative to tests/).
# The certificate and key tests load the real lib/berth/machine-crypto.so of this build and
# check its output with OpenSSL (and, where installed, the openssl and ssh-keygen programs).
set(MACHINE_CRYPTO_DIR ${PROJECT_BINARY_DIR}/lib/berth)
berth_unit_test(test_machine_store unit/machine/test_machine_store.c berth_machine)
berth_unit_test(test_machine_env unit/machine/test_machine_env.c berth_machine)
berth_unit_test(test_machine_certs unit/machine/test_machine_certs.c berth_machine
                PkgConfig::OPENSSL)
foreach(t test_machine_store test_machine_certs)
  target_compile_definitions(${t} PRIVATE MACHINE_CRYPTO_DIR="${MACHINE_CRYPTO_DIR}")
  add_dependencies(${t} berth_machine_crypto_so)
endforeach()
berth_unit_test(test_machine_generic unit/machine/test_machine_generic.c berth_machine berth_vm)
