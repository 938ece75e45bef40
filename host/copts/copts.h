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
#include <stddef.h>
#include <stdint.h>

#include "shared/base/err.h"
#include "shared/flags/flags.h"

struct copts {
    const char **attach, **cap_add, **cap_drop, **env, **env_file, **labels, **label_file;
    const char **security_opt, **sysctl, **tmpfs, **ulimit, **group_add, **volumes;
    const char **dns_option, **log_opt, **publish, **expose, **link, **aliases;
    const char **link_local_ips, **device, **mounts, **volumes_from;
    /* validated and normalised as docker does (ip.String(), host:ip): json arrays */
    json_t *dns, *dns_search, *add_host;
    /* --network (opts.NetworkOpt): one object per flag, {"Target", "Aliases", "IPv4Address",
     * "IPv6Address", "MacAddress", "LinkLocalIPs", "DriverOpts", "GwPriority"} */
    json_t *networks;
    const char *ip, *ip6, *mac_address;
    const char *entrypoint, *hostname, *domainname, *user, *workdir, *restart;
    const char *stop_signal, *log_driver, *cgroupns, *ipc, *pid, *uts, *userns, *cgroup_parent;
    const char *cpuset_cpus, *cpuset_mems, *platform, *pull, *cidfile, *runtime;
    bool interactive, tty, rm, privileged, read_only, init, oom_kill_disable, publish_all;
    bool quiet, no_healthcheck;
    int64_t memory, memory_swap, memory_reservation, shm_size; /* bytes; swap -1 unlimited */
    int64_t nano_cpus, cpu_shares, cpu_period, cpu_quota, pids_limit, oom_score_adj;
    int64_t memory_swappiness, stop_timeout, blkio_weight;
    /* --health-*: the command (CMD-SHELL), durations in ns, retries */
    const char *health_cmd;
    int64_t health_interval, health_timeout, health_start_period, health_start_interval;
    int64_t health_retries;
    /* the flags, for "was it given" questions (stop-timeout, init, entrypoint) */
    struct bt_flagset *fs;
};

/* Defaults and the flag table (ending with a NULL name) writing into o. The caller frees the
 * table. */
struct bt_flag *copts_flags(struct copts *o);

/* The create body for IMAGE [CMD...]: {"Hostname": ..., "HostConfig": {...},
 * "NetworkingConfig": {...}}. */
json_t *copts_build(struct copts *o, const char *image, char **cmd, bt_err **err);

/* Free the lists the flag parser made (their arrays, not the strings, which are argv's). */
void copts_clear(struct copts *o);

/* Parsers shared with other commands. */
/* go-units RAMInBytes: "64m", "1.5g", "512k", "100" -> bytes; "invalid size: 'x'". */
int copts_parse_size(const char *s, int64_t *out, bt_err **err);
/* Go's time.ParseDuration: "1.5s", "300ms", "1h2m", "-2s", "0" -> nanoseconds;
 * "time: invalid duration \"x\"" (also "time: missing unit in duration", "time: unknown unit"). */
int copts_parse_duration(const char *s, int64_t *out, bt_err **err);
/* KEY=VALUE lines of an env file (comments, blank lines, KEY alone taken from the
 * environment), appended to *list (a vector the caller frees with bt_strv_free). */
int copts_read_env_file(const char *path, char ***list, bool env_style, bt_err **err);

/* strconv.ParseUint(s[0..n), 10, 16) with Go's error ("strconv.ParseUint: parsing \"x\":
 * invalid syntax", "... value out of range"). */
int copts_parse_port(const char *s, size_t n, unsigned *out, bt_err **err);
/* nat.ParsePortRange: "80" or "8000-8010"; "empty string specified for ports", "invalid range
 * specified for port: 9-1" or ParseUint's error. */
int copts_parse_port_range(const char *s, unsigned *start, unsigned *end, bt_err **err);
/* -p/--publish specs and --expose values into Config.ExposedPorts ({"80/tcp": {}}) and
 * HostConfig.PortBindings ({"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}), new objects with
 * their keys sorted; the docker CLI's errors ("invalid containerPort: x", "invalid proto: x",
 * "invalid ranges specified for container and host Ports: 80-81 and 90", "invalid port format
 * for --expose: 1:2", ...). */
int copts_ports(const char **publish, const char **expose, json_t **exposed, json_t **bindings,
                bt_err **err);

/* opts.ParseLink's checks of a --link value (NAME or NAME:ALIAS): "empty string specified for
 * links", "bad format for links: a:b:c". */
int copts_check_link(const char *link, bt_err **err);
/* A --link flag (value: const char ***, appended like BT_FLAG_STRINGS) checked as above. */
int copts_flag_link(void *value, const char *arg, bt_err **err);
/* opts.ValidateMACAddress: is mac, white space around it cut, a MAC address net.ParseMAC
 * takes (01:23:45:67:89:ab, 01-23-..., 0123.4567.89ab; 6, 8 or 20 octets)? */
bool copts_valid_mac(const char *mac);
/* net.ParseIP accepts s (dotted IPv4, IPv6 without zone). */
bool copts_valid_ip(const char *s);
/* net.ParseIP into 16 bytes (IPv4 as ::ffff:a.b.c.d); false when s is no address. */
bool copts_parse_ip(const char *s, unsigned char ip[16]);
/* --network's setter (opts.NetworkOpt.Set; value: json_t ** array). */
int copts_set_network(void *value, const char *arg, bt_err **err);
/* The first record of encoding/csv's Reader (comma separated; "quoted" fields, "" inside
 * them), as the docker CLI reads --network's long syntax and pflag its string slices: a
 * vector the caller frees with bt_strv_free, or NULL with Go's parse error ("parse error on
 * line 1, column 3: bare \" in non-quoted-field"). */
char **copts_csv_fields(const char *s, bt_err **err);
/* strings.TrimSpace (ASCII white space), as a new string. */
char *copts_trim_space(const char *s);

/* Flag setters into an int64_t: --memory (go-units RAMInBytes), --memory-swap (that or -1)
 * and --cpus (NanoCPUs: "failed to parse x as a rational number", "value is too precise"). */
int copts_set_size(void *value, const char *arg, bt_err **err);
int copts_set_swap(void *value, const char *arg, bt_err **err);
int copts_set_cpus(void *value, const char *arg, bt_err **err);
/* opts.ParseRestartPolicy: "no", "always", "unless-stopped", "on-failure[:N]" into
 * {"Name", "MaximumRetryCount"}; "invalid restart policy 'x'", ... */
int copts_restart_policy(const char *s, json_t **out, bt_err **err);
/* A --device value, /dev/x[:/dev/y][:rwm], checked and split as the docker CLI 28 does
 * (validateLinuxPath, then parseLinuxDevice) into {"PathOnHost", "PathInContainer",
 * "CgroupPermissions"}; errors "bad format for path: x", "bad mode specified: rwz",
 * "x is not an absolute path". (CDI names, vendor/class=name, are not supported.) */
json_t *copts_parse_device(const char *spec, bt_err **err);
