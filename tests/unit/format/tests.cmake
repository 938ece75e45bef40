# SPDX-License-Identifier: Apache-2.0
# Unit tests of host/format (included by tests/CMakeLists.txt; paths relative to tests/)
berth_unit_test(test_template unit/format/test_template.c berth_format)
berth_unit_test(test_tabwriter unit/format/test_tabwriter.c berth_format)
berth_unit_test(test_units unit/format/test_units.c berth_format)
berth_unit_test(test_list unit/format/test_list.c berth_format)
