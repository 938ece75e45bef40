# SPDX-License-Identifier: Apache-2.0
# Fuzz targets for the host client (included by tests/fuzz/CMakeLists.txt)
berth_fuzz_target(fuzz_client fuzz_client.c berth_cli)
berth_fuzz_target(fuzz_copts fuzz_copts.c berth_copts)
berth_fuzz_target(fuzz_volume fuzz_volume.c berth_cli)
berth_fuzz_target(fuzz_copy_stat fuzz_copy_stat.c berth_copy)
berth_fuzz_target(fuzz_network fuzz_network.c berth_cli)
berth_fuzz_target(fuzz_auth fuzz_auth.c berth_auth)
