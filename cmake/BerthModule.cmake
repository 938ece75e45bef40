# SPDX-License-Identifier: Apache-2.0
# One static library per module. Include paths are rooted at the source tree, so code names
# what it uses by its place: #include "shared/base/err.h".

# berth_module(NAME SOURCES a.c b.c [DEPS lib...] [PKG PkgConfig::X...])
function(berth_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PKG" ${ARGN})
  add_library(${name} STATIC ${M_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/generated)
  target_link_libraries(${name} PUBLIC ${M_DEPS} ${M_PKG})
endfunction()
