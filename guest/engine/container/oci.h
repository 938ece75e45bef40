/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Building OCI runtime specs from Docker configuration (internal to container/). */
#include <jansson.h>
#include <stdbool.h>
#include <sys/resource.h>

#include "guest/engine/container/container-internal.h"

struct oci_input {
    const char *dir; /* where the container's hostname, hosts and resolv.conf files are */
    const char *id;
    const json_t *config;       /* Docker Config */
    const json_t *host_config;  /* Docker HostConfig */
    const json_t *mount_points; /* the record's MountPoints (mounts.h); NULL: HostConfig's */
    char *const *args;
    char *const *env;
    const struct ctr_user *user;
    const char *hostname;
    const char *netns; /* the network namespace to join (a file), or NULL: a new one */
    const char *rootfs;
    /* HostConfig.Init: the init program (berth-init) to bind-mount at /sbin/docker-init and
     * run as PID 1 with the command after "--", as dockerd runs docker-init; NULL: none */
    const char *init_path;
};

/* What the runtime mounts on in every container, NULL-terminated: the system file systems
 * (a mount of the user on one of these paths replaces it) and the network files, which live
 * in the run directory under their base names. A commit leaves their mount points out. */
extern const char *const oci_system_mounts[];
extern const char *const oci_network_files[];

/* The OCI linux.resources of a HostConfig (device rules, memory, cpu, pids). New reference. */
json_t *oci_resources(const json_t *host_config);
/* HostConfig.Ulimits as OCI process.rlimits (new array). own: berthd's limits, indexed by
 * resource (NULL: not checked); a hard limit above its own is refused with runc's words, as
 * the kernel would refuse it without CAP_SYS_RESOURCE. */
int oci_rlimits(const json_t *host_config, const struct rlimit *own, json_t **out, bt_err **err);
/* HostConfig.Devices: the host nodes (stat()ed now, symlinks followed) appended to devices
 * (linux.devices) and their allow rules to rules (linux.resources.devices). dockerd's words
 * for a missing path or one that is no device node. */
int oci_devices(const json_t *host_config, json_t *devices, json_t *rules, bt_err **err);
/* The create-time checks of the two (go-units' and dockerd's words): known ulimit names, soft
 * not above hard; a device's PathOnHost given, PathInContainer absolute, permissions rwm. */
int oci_check_ulimits(const json_t *host_config, bt_err **err);
int oci_check_devices(const json_t *host_config, bt_err **err);
/* Where --init's program is in the container, as dockerd puts docker-init. */
#define OCI_INIT_PATH "/sbin/docker-init"

/* The whole config.json. */
int oci_build(const struct oci_input *in, json_t **out, bt_err **err);
/* The capability set of a HostConfig: Docker's defaults, CapAdd/CapDrop ("ALL" allowed),
 * everything when Privileged. Errors: unknown capability: "CAP_FOO". */
int oci_capabilities(const json_t *host_config, char ***out, bt_err **err);
/* The process environment as dockerd makes it: PATH, HOSTNAME, TERM (with a tty), then
 * Config.Env over them, and HOME from the user's entry if still unset. */
char **oci_process_env(const json_t *config, const char *hostname, bool tty, const char *home);
/* dockerd's ReplaceOrAppendEnvValues for one "KEY=value" ("KEY" alone removes KEY). */
void oci_env_set(char ***env, const char *kv);
