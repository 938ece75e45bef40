# SPDX-License-Identifier: Apache-2.0
# Unit tests of host/copy/ (berth cp's path rules; paths relative to tests/)
berth_unit_test(test_copy_path unit/copy/test_copy_path.c berth_copy)
