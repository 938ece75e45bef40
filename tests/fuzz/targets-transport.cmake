# SPDX-License-Identifier: Apache-2.0
# Fuzz targets for host/transport (included by tests/fuzz/CMakeLists.txt)
berth_fuzz_target(fuzz_ssh_url fuzz_ssh_url.c berth_transport)
berth_fuzz_target(fuzz_known_hosts fuzz_known_hosts.c berth_transport)
