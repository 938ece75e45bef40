/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * lib/berth/copy-archive.so, berth cp's tars (shared/archive, libarchive's home): its one
 * exported symbol, `berth_copy_archive_module`, found by archive-load.c with dlsym(). The ABI
 * number changes whenever this struct does, so a stale module is refused, not misused.
 */
#include "shared/base/err.h"

#define COPY_ARCHIVE_MODULE_ABI 1

struct copy_archive_module {
    int abi;
    int (*pack)(int fd, const char *path, const char *top, bt_err **err);
    int (*unpack)(int fd, const char *dir, const char *from, const char *to, bt_err **err);
};

/* Write a tar of path (a symlink is stored, not followed) to fd, its top entry named top ("."
 * for a directory's contents without an entry of its own). */
int copy_archive_pack(int fd, const char *path, const char *top, bt_err **err);
/* Extract the tar read from fd into dir as the docker CLI does: the owners are the extracting
 * user's, a directory and a non-directory never replace each other, and the top element from
 * is renamed to (both NULL: names kept). */
int copy_archive_unpack(int fd, const char *dir, const char *from, const char *to, bt_err **err);
