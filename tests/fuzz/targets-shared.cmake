# SPDX-License-Identifier: Apache-2.0
# Fuzz targets for shared/ (included by tests/fuzz/CMakeLists.txt)
berth_fuzz_target(fuzz_reference fuzz_reference.c bt_reference)
berth_fuzz_target(fuzz_resolve fuzz_resolve.c bt_fs)
berth_fuzz_target(fuzz_tar_extract fuzz_tar_extract.c bt_archive)
berth_fuzz_target(fuzz_dockerfile fuzz_dockerfile.c bt_dockerfile)
berth_fuzz_target(fuzz_dockerignore fuzz_dockerignore.c bt_dockerfile)
