# SPDX-License-Identifier: Apache-2.0
# Unit tests of host/transport (included by tests/CMakeLists.txt; paths relative to tests/)
berth_unit_test(test_ssh_url unit/transport/test_ssh_url.c berth_transport)
berth_unit_test(test_ssh_known_hosts unit/transport/test_ssh_known_hosts.c berth_transport)
