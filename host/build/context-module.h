/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * lib/berth/build-context.so, berth build's context tar (shared/archive, libarchive's home):
 * its one exported symbol, `berth_build_context_module`, found by context-load.c with dlsym().
 * The ABI number changes whenever this struct or build_archive_src does.
 */
#include "host/build/build.h"

#define BUILD_CONTEXT_MODULE_ABI 1

struct build_context_module {
    int abi;
    int (*pack)(int fd, const struct build_archive_src *src, bt_err **err);
};
