# SPDX-License-Identifier: Apache-2.0
# Unit tests of guest/engine/image (included by tests/CMakeLists.txt; paths relative to tests/)
berth_unit_test(test_image_changes unit/image/test_image_changes.c eng_image)
foreach(t test_image_store test_image_archive test_image_overlay)
  berth_unit_test(${t} unit/image/${t}.c eng_image)
  target_sources(${t} PRIVATE unit/image/helpers.c)
endforeach()
