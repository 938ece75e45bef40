# SPDX-License-Identifier: Apache-2.0
# Fuzz targets for guest/engine/registry (included by tests/fuzz/CMakeLists.txt)
berth_fuzz_target(fuzz_reg_challenge fuzz_reg_challenge.c eng_registry_parse)
berth_fuzz_target(fuzz_reg_manifest fuzz_reg_manifest.c eng_registry_parse)
berth_fuzz_target(fuzz_reg_auth fuzz_reg_auth.c eng_registry_parse)
