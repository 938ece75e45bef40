# SPDX-License-Identifier: Apache-2.0
# Unit tests of guest/engine/ modules that need no root (paths relative to tests/)
berth_unit_test(test_router unit/engine/test_router.c eng_router)
berth_unit_test(test_container_config unit/engine/test_container_config.c eng_container)
berth_unit_test(test_container_archive unit/engine/test_container_archive.c eng_container)
berth_unit_test(test_build_keys unit/engine/test_build_keys.c eng_build)
berth_unit_test(test_network_store unit/engine/test_network_store.c eng_network)
berth_unit_test(test_ipam unit/engine/test_ipam.c eng_network)
berth_unit_test(test_nat unit/engine/test_nat.c eng_network bt_fs)
# root only (it skips otherwise), in network and mount namespaces of its own
berth_unit_test(test_netdev unit/engine/test_netdev.c eng_network)
berth_unit_test(test_dns unit/engine/test_dns.c eng_network)
# the server on port 53 of a network namespace of its own (skipped where none can be made)
berth_unit_test(test_dns_server unit/engine/test_dns_server.c eng_network)
