# SPDX-License-Identifier: Apache-2.0
# Unit tests of host/build/ (berth build's query and context walk; paths relative to tests/)
berth_unit_test(test_build_query unit/build/test_build_query.c berth_build)
berth_unit_test(test_build_context unit/build/test_build_context.c berth_build)
