# SPDX-License-Identifier: Apache-2.0
# Unit tests of host/cli (included by tests/CMakeLists.txt; paths relative to tests/)
berth_unit_test(test_volume_format unit/cli/test_volume_format.c berth_cli)
