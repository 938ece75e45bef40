# SPDX-License-Identifier: Apache-2.0
# Fuzz targets for host/format (included by tests/fuzz/CMakeLists.txt)
berth_fuzz_target(fuzz_template fuzz_template.c berth_format)
