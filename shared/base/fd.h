/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * File-descriptor helpers: whole reads and writes that survive EINTR and short transfers, and
 * descriptor flags. None of them closes the fd it is given.
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "shared/base/err.h"
#include "shared/base/strbuf.h"

/* Write all len bytes (retrying short writes and EINTR). */
int bt_fd_write_all(int fd, const void *data, size_t len, bt_err **err);

/* Read until EOF, appending to out. Fails with BT_E_INVALID ("... too large") when more than
 * max bytes arrive (max 0: no limit). */
int bt_fd_read_all(int fd, struct bt_strbuf *out, size_t max, bt_err **err);

/* Read up to len bytes, retrying EINTR and short reads; returns the count (< len only at EOF)
 * or -1. */
ssize_t bt_fd_read_full(int fd, void *buf, size_t len, bt_err **err);

/* Copy everything from in to out until EOF; returns the bytes copied or -1. */
ssize_t bt_fd_copy(int in, int out, bt_err **err);

int bt_fd_set_cloexec(int fd, bool on, bt_err **err);
int bt_fd_set_nonblock(int fd, bool on, bt_err **err);

/* Close fd if >= 0, keeping errno. */
void bt_fd_close(int fd);
