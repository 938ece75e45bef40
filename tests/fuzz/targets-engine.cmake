# SPDX-License-Identifier: Apache-2.0
# Fuzz targets for guest/engine/ (included by tests/fuzz/CMakeLists.txt)
berth_fuzz_target(fuzz_api_request fuzz_api_request.c eng_api)
berth_fuzz_target(fuzz_mounts fuzz_mounts.c eng_container)
berth_fuzz_target(fuzz_net_request fuzz_net_request.c eng_network)
berth_fuzz_target(fuzz_ipam fuzz_ipam.c eng_network)
berth_fuzz_target(fuzz_dns fuzz_dns.c eng_network)
berth_fuzz_target(fuzz_host_config fuzz_host_config.c eng_container)
