# SPDX-License-Identifier: Apache-2.0
# Unit tests of guest/engine/runtime (included by tests/CMakeLists.txt; paths relative to tests/)
berth_unit_test(test_runtime_spec unit/runtime/test_runtime_spec.c eng_runtime)
berth_unit_test(test_runtime_cgroup unit/runtime/test_runtime_cgroup.c eng_runtime)
berth_unit_test(test_runtime_seccomp unit/runtime/test_runtime_seccomp.c eng_runtime)
berth_unit_test(test_runtime_process unit/runtime/test_runtime_process.c eng_runtime)
berth_unit_test(test_runtime_stats unit/runtime/test_runtime_stats.c eng_runtime)
