/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * A container's own mounts from its HostConfig, as dockerd reads them: `Binds` ("SRC:DST[:MODE]",
 * what `docker run -v /host:/ctr:ro` sends), `Mounts` (`--mount type=bind|tmpfs,...`) and
 * `Tmpfs` (`--tmpfs /run:size=64m`: noexec, nosuid and nodev unless the options say otherwise).
 * Named and anonymous volumes are not supported yet (the volumes issue): they are refused with a
 * clear error rather than ignored.
 *
 * The list is derived from the stored HostConfig whenever it is needed (the OCI spec at start,
 * `Mounts` in inspect and ps), so nothing else is stored.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "shared/base/err.h"

struct ctr_mount {
    char *type;        /* "bind" or "tmpfs" */
    char *source;      /* bind: the host path; tmpfs: "" */
    char *destination; /* absolute, cleaned */
    char *mode;        /* Binds' mode as given ("ro", "z"...), "" otherwise */
    bool rw;
    char *propagation; /* bind: "rprivate" unless asked; tmpfs: "" */
    char *options;     /* OCI options, comma-separated: "rbind,rprivate,ro", "size=65536k" */
    bool from_tmpfs;   /* HostConfig.Tmpfs (--tmpfs), which inspect's Mounts does not list */
};

/* Parse and check HostConfig's Binds and Mounts. Errors in dockerd's words (BT_E_INVALID):
 * `invalid volume specification: '/tmp:rel': invalid mount config for type "bind": invalid mount
 * path: 'rel' mount path must be absolute`, `Duplicate mount point: /data`, `invalid mode: x`,
 * `invalid mount config for type "bind": bind source path does not exist: /x`. */
int ctr_mounts_parse(const json_t *host_config, struct ctr_mount **out, size_t *n, bt_err **err);
void ctr_mounts_free(struct ctr_mount *list, size_t n);

/* The same for a stored HostConfig (checked at create): sources are not looked at again. */
int ctr_mounts_of(const json_t *host_config, struct ctr_mount **out, size_t *n, bt_err **err);

/* Create the missing host directories of Binds (dockerd does for -v, never for --mount). */
int ctr_mounts_prepare(const struct ctr_mount *list, size_t n, bt_err **err);

/* Inspect's `Mounts`: [{"Type", "Source", "Destination", "Mode", "RW", "Propagation"}]. */
json_t *ctr_mounts_inspect(const json_t *host_config);
