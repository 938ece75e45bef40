# SPDX-License-Identifier: Apache-2.0
# Unit tests of shared/ (included by tests/CMakeLists.txt; paths relative to tests/)
berth_unit_test(test_err unit/shared/test_err.c bt_base)
berth_unit_test(test_strbuf unit/shared/test_strbuf.c bt_base)
berth_unit_test(test_log unit/shared/test_log.c bt_fs)
berth_unit_test(test_path unit/shared/test_path.c bt_base)
berth_unit_test(test_file unit/shared/test_file.c bt_fs)
berth_unit_test(test_json unit/shared/test_json.c bt_json)
berth_unit_test(test_resolve unit/shared/test_resolve.c bt_fs)
berth_unit_test(test_digest unit/shared/test_digest.c bt_crypto)
berth_unit_test(test_archive unit/shared/test_archive.c bt_archive)
berth_unit_test(test_reference unit/shared/test_reference.c bt_reference)
berth_unit_test(test_flags unit/shared/test_flags.c bt_flags)
berth_unit_test(test_utf8 unit/shared/test_utf8.c bt_base)
berth_unit_test(test_base64 unit/shared/test_base64.c bt_base)
# buildkit's Dockerfile parser conformance data, read in place (never copied into the tree);
# test_dockerfile skips its corpus cases when the folder is missing.
set(BERTH_DOCKERFILE_CORPUS "${CMAKE_SOURCE_DIR}/../shared/corpora/dockerfile-parser"
    CACHE PATH "Folder of the Dockerfile parser conformance corpus")
berth_unit_test(test_dockerfile unit/shared/test_dockerfile.c bt_dockerfile)
target_compile_definitions(test_dockerfile PRIVATE
                           BERTH_DOCKERFILE_CORPUS="${BERTH_DOCKERFILE_CORPUS}")
berth_unit_test(test_dockerfile_ignore unit/shared/test_dockerfile_ignore.c bt_dockerfile)
