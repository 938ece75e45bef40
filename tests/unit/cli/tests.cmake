# SPDX-License-Identifier: Apache-2.0
# Unit tests of host/cli (included by tests/CMakeLists.txt; paths relative to tests/)
berth_unit_test(test_volume_format unit/cli/test_volume_format.c berth_cli)
berth_unit_test(test_network_format unit/cli/test_network_format.c berth_cli)
berth_unit_test(test_copts unit/cli/test_copts.c berth_copts)
berth_unit_test(test_auth unit/cli/test_auth.c berth_auth)
berth_unit_test(test_jsonmsg unit/cli/test_jsonmsg.c berth_cli)
berth_unit_test(test_stats_format unit/cli/test_stats_format.c berth_cli)
