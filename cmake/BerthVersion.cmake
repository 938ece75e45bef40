# SPDX-License-Identifier: Apache-2.0
# generated/berth-version.h carries the version and the git commit. It is regenerated on every
# build (the commit moves) but only rewritten when its content changes, so nothing rebuilds
# needlessly.
add_custom_target(berth_version_header
  COMMAND ${CMAKE_COMMAND} -DSRC=${PROJECT_SOURCE_DIR} -DOUT=${PROJECT_BINARY_DIR}/generated/berth-version.h
          -DVERSION=${PROJECT_VERSION} -P ${PROJECT_SOURCE_DIR}/cmake/write-version.cmake
  BYPRODUCTS ${PROJECT_BINARY_DIR}/generated/berth-version.h
  COMMENT "Checking berth-version.h")
