/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The low-level container runtime: Berth's crun/runc. Given an OCI runtime spec (a bundle's
 * config.json, opencontainers/runtime-spec) it creates and starts the container's first
 * process, execs further processes into a running container, and manages the container's
 * cgroup (v1 or v2, detected at run time).
 *
 * Who uses it: the per-container monitor (rt_start, rt_exec, rt_cgroup_remove) and berthd
 * (the Docker defaults below, when it builds a spec; the cgroup functions).
 *
 * Contract:
 *  - Specs and processes are parsed once into immutable values (rt_spec_from_json,
 *    rt_process_from_json) that keep no reference to the JSON they came from. Malformed
 *    members fail with BT_E_INVALID and a message naming the member ("spec: mounts[2].options:
 *    expected an array of strings"); members this runtime does not know are ignored, as the
 *    OCI spec asks. rt_spec_free()/rt_process_free() accept NULL.
 *  - rt_start() and rt_exec() fork. Their caller must be single-threaded (setns(2) into a
 *    mount namespace and the fork itself require it), must be root, and becomes the parent
 *    of the new process: it reaps it with waitpid(2) (so it must not ignore SIGCHLD), and it
 *    owns the returned pty master. Signal dispositions and the signal mask are reset in the
 *    new process; only its stdio is inherited.
 *  - Either the process has exec'd when they return 0, or they return -1 and nothing is left
 *    behind: no process, no cgroup created by the call, no mount outside the container.
 *  - Failures to find or run the command read like runc's, because the docker CLI derives
 *    `docker run`'s exit code (127, 126) from the wording:
 *      exec: "nonexistent": executable file not found in $PATH     (BT_E_NOT_FOUND)
 *      exec: "/nope": stat /nope: no such file or directory         (BT_E_NOT_FOUND)
 *      exec: "/etc": permission denied                              (EACCES)
 *  - Errors of the container's set-up name the step ("mount \"/proc\": ...").
 *
 * Thread safety: parsed specs are read-only and may be shared; everything else follows the
 * single-threaded caller rule above.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared/base/cleanup.h"
#include "shared/base/err.h"

/* A parsed OCI config.json. */
struct rt_spec;

/* Parse config (the whole config.json). bundle_dir is where relative paths in it (root.path,
 * bind-mount sources) are resolved from; it is copied. */
struct rt_spec *rt_spec_from_json(const json_t *config, const char *bundle_dir, bt_err **err);
void rt_spec_free(struct rt_spec *s);
BT_DEFINE_AUTOPTR(rt_spec, struct rt_spec, rt_spec_free);

/* A parsed OCI "process" object: what `exec` runs in a running container. */
struct rt_process;

struct rt_process *rt_process_from_json(const json_t *process, bt_err **err);
void rt_process_free(struct rt_process *p);
BT_DEFINE_AUTOPTR(rt_process, struct rt_process, rt_process_free);

/* stdin, stdout, stderr of the new process; -1 gives /dev/null. The fds are not closed or
 * taken over. Ignored when the process has a terminal (process.terminal). */
struct rt_stdio {
    int fds[3];
};

/* What a successful start or exec hands back. */
struct rt_started {
    pid_t pid;      /* in the caller's pid namespace; the caller reaps it */
    int pty_master; /* the terminal's master side when process.terminal, else -1; the
                       caller's to close. Its slave is the process's controlling terminal. */
};

/* Create and start the container: cgroup (created, limits applied, the child placed in it
 * before it runs any of its set-up), namespaces (new ones, or joined by path), mounts inside
 * the root with symlinks resolved inside it, /dev, pivot_root, hostname, sysctls, masked and
 * read-only paths, rlimits, the user and groups, capabilities, no_new_privs, seccomp, the
 * working directory, then execve(process.args) after a $PATH lookup inside the container.
 * Returns 0 once the process has exec'd (out filled in), or -1 with nothing left behind.
 * io may be NULL (all three are /dev/null). */
int rt_start(const struct rt_spec *spec, const struct rt_stdio *io, struct rt_started *out,
             bt_err **err);

/* Run proc inside the running container whose first process is init_pid (a pid in the
 * caller's pid namespace). spec is that container's spec: the process joins the namespaces it
 * lists (those of init_pid), its cgroup, and gets its seccomp profile; proc gives the rest
 * (user, capabilities, rlimits, env, cwd, terminal, no_new_privs). Same return and cleanup
 * contract as rt_start(). */
int rt_exec(const struct rt_spec *spec, pid_t init_pid, const struct rt_process *proc,
            const struct rt_stdio *io, struct rt_started *out, bt_err **err);

/* Keep compiled seccomp filters in dir (created 0700 when missing; it must belong to the
 * caller and be writable by no one else, or BT_E_FORBIDDEN). Compiling Docker's default
 * profile takes longer than the rest of a container's start; with the cache, every start after
 * the first with the same profile loads the stored program. Process-wide; call it once before
 * rt_start()/rt_exec(). Without it, every start compiles. The engine's exec root
 * (/run/berth/seccomp) is the place: it is gone after a reboot, as it should be after a
 * kernel or library upgrade. */
int rt_seccomp_cache_init(const char *dir, bt_err **err);

/*
 * Cgroups. cgroupsPath (linux.cgroupsPath) must be absolute; it names the container's cgroup
 * below the root of every v1 hierarchy, or below the cgroup2 root. Without it the container
 * stays in its caller's cgroups (and may not ask for resources).
 */

/* The spec's linux.cgroupsPath, or NULL. A copy of it is all the cgroup calls below need:
 * a monitor keeps that, not the spec, for the container's exit. */
const char *rt_spec_cgroups_path(const struct rt_spec *spec);

/* Freeze (pause) or thaw (unpause) every process of the container's cgroup, as `docker pause`
 * does with the freezer (v1 freezer.state, v2 cgroup.freeze), and wait until the kernel reports
 * the new state (BT_E_TIMEOUT after a few seconds). */
int rt_cgroup_freeze(const char *cgroups_path, bool frozen, bt_err **err);

/* docker update: apply resources (an OCI linux.resources object) to the running container's
 * cgroup; what it does not name stays as it is. */
int rt_cgroup_update(const char *cgroups_path, const json_t *resources, bt_err **err);

/* Remove the container's cgroup (a cgroupsPath, NULL for none) after its processes exited
 * (retrying briefly while the kernel still counts exiting tasks). A cgroup that is already
 * gone is not an error. Parent cgroups are left alone: other containers share them. */
int rt_cgroup_remove(const char *cgroups_path, bt_err **err);

/* The container's cgroup directory on the host for a v1 controller ("memory", "pids", ...);
 * the controller is ignored on a cgroup v2 host. NULL with BT_E_NOT_FOUND when cgroups_path
 * is NULL or the controller is not mounted. The caller frees. */
char *rt_cgroup_dir(const char *cgroups_path, const char *controller, bt_err **err);

/*
 * Statistics, for `docker stats` (GET /containers/{id}/stats). Values are the kernel's, in the
 * units dockerd reports them (nanoseconds of CPU, bytes); shaping them into Docker's JSON is
 * the API's business.
 */

/* A "key value" line of a flat-keyed cgroup file (memory.stat, cpu.stat). */
struct rt_kv {
    char *key;
    uint64_t value;
};
/* The value of key in kv, or def. */
uint64_t rt_kv_get(const struct rt_kv *kv, size_t n, const char *key, uint64_t def);

/* One line of blkio's io_service_bytes (v1: op "Read", "Write", ... as the kernel spells it;
 * v2: "read" and "write" from io.stat's rbytes/wbytes, as dockerd reports them). */
struct rt_blkio {
    uint64_t major, minor;
    char *op;
    uint64_t value;
};

/* A container's cgroup, read at one moment. Missing files leave their fields 0 (a controller
 * that is not mounted, a kernel without the file). */
struct rt_cgroup_stats {
    int version;                              /* 1 or 2 */
    uint64_t cpu_total, cpu_user, cpu_system; /* ns */
    uint64_t *percpu;                         /* ns per CPU; v1 only */
    size_t npercpu;
    uint64_t periods, throttled_periods, throttled_ns; /* CFS bandwidth */
    uint64_t mem_usage, mem_max_usage, mem_failcnt;    /* max_usage, failcnt: v1 only */
    uint64_t mem_limit;                                /* UINT64_MAX: none set */
    struct rt_kv *mem_stat;                            /* memory.stat as the kernel has it */
    size_t nmem_stat;
    struct rt_blkio *blkio; /* io_service_bytes_recursive */
    size_t nblkio;
    uint64_t pids_current, pids_limit; /* limit 0: none */
};

/* Read the cgroup of cgroupsPath (v1 or v2, as the host has). BT_E_NOT_FOUND when
 * cgroups_path is NULL or the cgroup is gone (the container stopped). Clear out with
 * rt_cgroup_stats_clear() after success or failure. */
int rt_cgroup_stats(const char *cgroups_path, struct rt_cgroup_stats *out, bt_err **err);
void rt_cgroup_stats_clear(struct rt_cgroup_stats *s);

/* One interface of /proc/<pid>/net/dev. */
struct rt_netdev {
    char name[32];
    uint64_t rx_bytes, rx_packets, rx_errors, rx_dropped;
    uint64_t tx_bytes, tx_packets, tx_errors, tx_dropped;
};

/* The interfaces of pid's network namespace but "lo" (dockerd reports the sandbox's
 * endpoints only); *out is the caller's to free. */
int rt_net_dev_read(pid_t pid, struct rt_netdev **out, size_t *n, bt_err **err);

/* The host's CPU time in nanoseconds (what dockerd sums from /proc/stat's "cpu" line: the time
 * since boot times the online CPUs, taken from CLOCK_BOOTTIME for nanoseconds rather than clock
 * ticks) and the number of CPUs /proc/stat lists (online CPUs). */
int rt_host_cpu(uint64_t *system_ns, uint32_t *online, bt_err **err);

/* Capability names ("CAP_CHOWN") and numbers, for the engine's --cap-add/--cap-drop. */
/* The capability number for "CAP_CHOWN" (case-insensitive, "CAP_" required), or -1. */
int rt_cap_from_name(const char *name);
/* "CAP_CHOWN" for 0; NULL beyond the table. */
const char *rt_cap_name(int cap);
/* The highest capability this kernel knows (probed once with PR_CAPBSET_READ). */
int rt_cap_last(void);

/*
 * Docker's defaults, as data for the engine when it builds a spec (moby's
 * daemon/pkg/oci/defaults.go and caps/defaults.go). NULL-terminated. moby also masks
 * /sys/devices/system/cpu/cpuN/thermal_throttle for each CPU where it exists: that depends on
 * the host, so the engine adds those paths itself.
 */
extern const char *const rt_docker_default_caps[];   /* the 14 capabilities of `docker run` */
extern const char *const rt_docker_masked_paths[];   /* /proc/acpi, /proc/kcore, ... */
extern const char *const rt_docker_readonly_paths[]; /* /proc/bus, /proc/sys, ... */

/* The OCI "linux.seccomp" object equal to what moby makes of its default profile
 * (profiles/seccomp/default.json) for a container whose bounding set is caps (names like
 * "CAP_SYS_ADMIN", NULL-terminated), on this machine's architecture and kernel. New
 * reference; never NULL. */
json_t *rt_docker_default_seccomp(const char *const *caps);

/* This build's architecture in moby's (Go's) words ("amd64"), and the seccomp architectures
 * moby's default archMap gives it, the native one first (NULL-terminated). */
const char *rt_seccomp_go_arch(void);
const char *const *rt_seccomp_arch_map(void);

/* The OCI "linux.seccomp" object of a profile in Docker's format, as `docker run
 * --security-opt seccomp=FILE` sends it (the file's text): "defaultAction",
 * "defaultErrnoRet", "architectures" or "archMap", "syscalls" with "names" (or the older
 * "name"), "action", "errnoRet", "args" and "includes"/"excludes" ("caps", "arches",
 * "minKernel"), resolved as moby does for a container whose bounding set is caps and for this
 * machine's architecture and kernel. Errors in dockerd's words ("Decoding seccomp profile
 * failed: ..."). New reference. */
json_t *rt_docker_seccomp_profile(const char *text, const char *const *caps, bt_err **err);
