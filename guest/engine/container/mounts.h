/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * A container's own mounts from its HostConfig, as dockerd reads them: `Binds` ("SRC:DST[:MODE]",
 * what `docker run -v /host:/ctr:ro` and `-v name:/data` send), `Mounts` (`--mount
 * type=bind|volume|tmpfs,...`) and `Tmpfs` (`--tmpfs /run:size=64m`: noexec, nosuid and nodev
 * unless the options say otherwise).
 *
 * A volume entry names its volume (or none: an anonymous one, named at create); its source is
 * filled in when the container is created (mountpoints.c), which stores the whole list in the
 * container's record as its mount points.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "shared/base/err.h"

struct ctr_mount {
    char *type;        /* "bind", "volume" or "tmpfs" */
    char *source;      /* bind: the host path; volume: its _data directory once known; tmpfs: "" */
    char *destination; /* absolute, cleaned */
    char *mode;        /* Binds' mode as given ("ro", "z"...), "" otherwise */
    bool rw;
    char *propagation; /* bind: "rprivate" unless asked; tmpfs: "" */
    char *options;     /* OCI options, comma-separated: "rbind,rprivate,ro", "size=65536k" */
    bool from_tmpfs;   /* HostConfig.Tmpfs (--tmpfs), which inspect's Mounts does not list */
    /* volumes only */
    char *name;          /* "" for an anonymous volume until it is given a random name */
    char *driver;        /* "local" */
    bool anonymous;      /* made for this container: `rm -v` removes it */
    bool copy;           /* fill the volume from the image's content when it is empty */
    json_t *labels;      /* --mount's volume-label=, for a volume this creates; NULL */
    json_t *driver_opts; /* --mount's volume-opt=; NULL */
};

/* Parse and check HostConfig's Binds and Mounts. Errors in dockerd's words (BT_E_INVALID):
 * `invalid volume specification: '/tmp:rel': invalid mount config for type "bind": invalid mount
 * path: 'rel' mount path must be absolute`, `Duplicate mount point: /data`, `invalid mode: x`,
 * `invalid mount config for type "bind": bind source path does not exist: /x`. */
int ctr_mounts_parse(const json_t *host_config, struct ctr_mount **out, size_t *n, bt_err **err);
void ctr_mounts_free(struct ctr_mount *list, size_t n);
void ctr_mount_clear(struct ctr_mount *m);

/* The same for a stored HostConfig (checked at create): sources are not looked at again. */
int ctr_mounts_of(const json_t *host_config, struct ctr_mount **out, size_t *n, bt_err **err);

/* Create the missing host directories of Binds (dockerd does for -v, never for --mount). */
int ctr_mounts_prepare(const struct ctr_mount *list, size_t n, bt_err **err);

/* One of HostConfig.VolumesFrom, "NAME[:MODE]" (MODE: ro or rw, with an optional z or Z):
 * the container's name and whether its mounts come read-only. Errors in dockerd's words:
 * "invalid mode: x", "volumes-from specification cannot be an empty string". */
int ctr_parse_volumes_from(const char *spec, char **name, bool *ro, bt_err **err);

/* Order a list as mounts are made: parents before children (by the depth of the
 * destination), the list's order kept otherwise, as dockerd sorts them. */
void ctr_mounts_sort(struct ctr_mount *list, size_t n);

/* Append a copy of m to *list. */
void ctr_mounts_push(struct ctr_mount **list, size_t *n, const struct ctr_mount *m);

/* A mount as the container's record stores it (its mount points) and back. */
json_t *ctr_mount_to_json(const struct ctr_mount *m);
int ctr_mount_from_json(const json_t *j, struct ctr_mount *out, bt_err **err);

/* A container's mount points from its record: the stored list ("MountPoints"), or for a
 * container made before mount points were stored, its HostConfig's mounts. */
int ctr_mount_points(const json_t *rec, struct ctr_mount **out, size_t *n, bt_err **err);
/* The same from the record's two members. */
int ctr_mount_points_of(const json_t *mount_points, const json_t *host_config,
                        struct ctr_mount **out, size_t *n, bt_err **err);

/* Inspect's `Mounts` of a record, and the legacy `Volumes` map (destination: host path) that
 * old tutorials print with `docker inspect -f '{{ .Volumes }}'`: new references, from one read
 * of the mount points. */
void ctr_mounts_inspect(const json_t *rec, json_t **mounts, json_t **volumes);

/* Inspect's `Mounts` of a list: [{"Type", "Name", "Source", "Destination", "Driver", "Mode",
 * "RW", "Propagation"}] (Name and Driver for volumes only; --tmpfs is not listed). */
json_t *ctr_mounts_view(const struct ctr_mount *list, size_t n);
