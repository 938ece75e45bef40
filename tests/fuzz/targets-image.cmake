# SPDX-License-Identifier: Apache-2.0
# Fuzz targets for guest/engine/image (included by tests/fuzz/CMakeLists.txt)
berth_fuzz_target(fuzz_image_changes fuzz_image_changes.c eng_image)
berth_fuzz_target(fuzz_image_load fuzz_image_load.c eng_image)
