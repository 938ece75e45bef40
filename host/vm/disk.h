/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The machine's disks (docs/design/machine.md, "Disks"):
 *
 *  - the data disk, a qcow2 image made with qemu-img (qemu-utils), which the guest formats on
 *    its first boot;
 *  - the config disk, a raw image that is a tar archive (ustar, pax headers only when a name
 *    needs them) padded with zeros to a multiple of 1 MiB, whose first entry is the directory
 *    "berth-config/": the guest finds the disk by that first block. It is written before every
 *    start; the same files always give the same bytes (entries sorted by name, owner 0:0, a
 *    fixed mtime, directories before what they hold).
 *
 * Thread safety: all functions may be called from any thread.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared/base/err.h"
#include "shared/base/strbuf.h"

/* The directory every config disk holds its files in. */
#define VM_CONFIG_DIR "berth-config"
/* Config disks are padded to a multiple of this. */
#define VM_CONFIG_DISK_ALIGN (1024 * 1024)

/* Create a qcow2 image of size_mb MiB at path with `qemu-img create -f qcow2`. An existing
 * file is never overwritten (BT_E_CONFLICT `data disk "PATH" already exists`); the image is
 * made beside it and renamed into place, so a failure leaves nothing behind. A missing
 * qemu-img is BT_E_UNAVAILABLE naming the package to install. */
int vm_data_disk_create(const char *path, uint64_t size_mb, bt_err **err);

/* One file of the config disk. */
struct vm_config_file {
    const char *name; /* relative to berth-config/: "machine.env", "tls/ca.pem" */
    const void *data;
    size_t len;
    mode_t mode; /* permission bits: 0644, 0600 for keys */
};

/* Write the config disk at path (atomically: a temporary file renamed over it) from n files.
 * Directories named in file names ("tls/") are added. Names must be relative, without "." or
 * ".." elements or empty elements, and unique (BT_E_INVALID). */
int vm_config_disk_write(const char *path, const struct vm_config_file *files, size_t n,
                         bt_err **err);

/* Append a machine.env line, KEY='value': keys are [A-Z_][A-Z0-9_]*; a value may hold
 * anything but a single quote, a newline or a NUL (BT_E_INVALID), since the guest reads the
 * file as single-quoted assignments and nothing else. */
int vm_config_env_append(struct bt_strbuf *sb, const char *key, const char *value, bt_err **err);
