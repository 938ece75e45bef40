/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The options of `create` and `run`, parsed as the docker CLI 28 parses them (its
 * container/opts.go) into the body of POST /containers/create: the same JSON, member for member
 * and in the same order, so the engine sees a berth-made container exactly as a docker-made one.
 *
 * copts_flags() gives the flag table to add to a command's flag set; after parsing,
 * copts_build() checks the values together and makes the body. Errors are docker's words
 * ("invalid size: 'x'", "conflicting options: cannot specify both --restart and --rm").
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "shared/base/err.h"
#include "shared/flags/flags.h"

struct copts {
    const char **attach, **cap_add, **cap_drop, **env, **env_file, **labels, **label_file;
    const char **security_opt, **sysctl, **tmpfs, **ulimit, **group_add, **volumes, **dns;
    const char **dns_option, **dns_search, **add_host, **log_opt, **publish, **expose, **link;
    const char **device, **mounts, **volumes_from;
    const char *entrypoint, *hostname, *domainname, *user, *workdir, *network, *restart;
    const char *stop_signal, *log_driver, *cgroupns, *ipc, *pid, *uts, *userns, *cgroup_parent;
    const char *cpuset_cpus, *cpuset_mems, *platform, *pull, *cidfile, *runtime;
    bool interactive, tty, rm, privileged, read_only, init, oom_kill_disable, publish_all;
    bool quiet, no_healthcheck;
    int64_t memory, memory_swap, memory_reservation, shm_size; /* bytes; swap -1 unlimited */
    int64_t nano_cpus, cpu_shares, cpu_period, cpu_quota, pids_limit, oom_score_adj;
    int64_t memory_swappiness, stop_timeout, blkio_weight;
    /* the flags, for "was it given" questions (stop-timeout, init, entrypoint) */
    struct bt_flagset *fs;
};

/* Defaults and the flag table (ending with a NULL name) writing into o. The caller frees the
 * table. */
struct bt_flag *copts_flags(struct copts *o);

/* The create body for IMAGE [CMD...]: {"Hostname": ..., "HostConfig": {...},
 * "NetworkingConfig": {...}}. */
json_t *copts_build(struct copts *o, const char *image, char **cmd, bt_err **err);

/* Free the lists the flag parser made (their arrays, not the strings). */
void copts_clear(struct copts *o);

/* Parsers shared with other commands. */
/* go-units RAMInBytes: "64m", "1.5g", "512k", "100" -> bytes; "invalid size: 'x'". */
int copts_parse_size(const char *s, int64_t *out, bt_err **err);
/* KEY=VALUE lines of an env file (comments, blank lines, KEY alone taken from the
 * environment), appended to *list (a vector the caller frees with bt_strv_free). */
int copts_read_env_file(const char *path, char ***list, bool env_style, bt_err **err);
