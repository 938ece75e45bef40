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
berth_unit_test(test_dockerfile unit/shared/test_dockerfile.c bt_dockerfile)
# buildkit's Dockerfile parser conformance data, read in place (never copied into the tree);
# the cases skip (and ctest reports the test skipped) when the folder is missing.
set(BERTH_DOCKERFILE_CORPUS "${CMAKE_SOURCE_DIR}/../shared/corpora/dockerfile-parser"
    CACHE PATH "Folder of the Dockerfile parser conformance corpus")
berth_unit_test(test_dockerfile_corpus unit/shared/test_dockerfile_corpus.c bt_dockerfile)
target_compile_definitions(test_dockerfile_corpus PRIVATE
                           BERTH_DOCKERFILE_CORPUS="${BERTH_DOCKERFILE_CORPUS}")
set_tests_properties(unit.test_dockerfile_corpus PROPERTIES SKIP_REGULAR_EXPRESSION
                     "conformance corpus not found")
berth_unit_test(test_dockerfile_ignore unit/shared/test_dockerfile_ignore.c bt_dockerfile)
