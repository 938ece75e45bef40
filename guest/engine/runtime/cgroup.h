/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Cgroups behind one interface, with the two kernel interfaces as sibling drivers:
 * cgroup-v1.c (one hierarchy per controller, /sys/fs/cgroup/<controller>/...) and
 * cgroup-v2.c (the unified hierarchy at /sys/fs/cgroup). The version is detected once per
 * process from what is mounted at /sys/fs/cgroup: cgroup2 there is v2; anything else is v1,
 * including "hybrid" hosts, whose cgroup2 at /sys/fs/cgroup/unified holds no controllers a
 * container needs.
 *
 * A container's cgroup is named by the spec's linux.cgroupsPath ("/berth/<id>"), the same path
 * below every v1 hierarchy or below the v2 root. Drivers are called by the parent (create,
 * join_open, enter, remove) and by the container's child before pivot_root (mount).
 *
 * Getting a new process into its cgroup: the obvious way, the parent writing the child's pid to
 * cgroup.procs, takes the kernel's global cgroup_threadgroup_rwsem for writing, and that waits
 * for an RCU grace period whenever no other attach happened just before: 6 to 15 ms on the
 * machines measured, most of a container start. Two ways around it, prepared by join_open in
 * the parent before the fork:
 *  - v2: clone3(CLONE_INTO_CGROUP) with the cgroup's directory fd; the child is born there.
 *  - v1: the single-threaded child writes "0" (itself) to each hierarchy's "tasks" file, which
 *    the parent opened for it. Moving only the calling thread needs no thread-group lock.
 * enter() (the pid to cgroup.procs) stays as the fallback for kernels without clone3.
 *
 * Statistics (`docker stats`) are the drivers' stats operation; the parsers of the files they
 * read are pure functions (stats.c), tested on sample files.
 *
 * Room to grow: live updates (`docker update`) belong here as a further operation of struct
 * rt_cgroup_driver.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "guest/engine/runtime/runtime-internal.h"

#define RT_CGROUP_ROOT "/sys/fs/cgroup"

enum rt_cgroup_version {
    RT_CGROUP_V1 = 1,
    RT_CGROUP_V2 = 2,
};

/* What is mounted at /sys/fs/cgroup, detected on first use. */
enum rt_cgroup_version rt_cgroup_version(void);

#define RT_CGROUP_MAX_JOIN 32

/* What a child needs to join its cgroup without the parent moving it. */
struct rt_cgroup_join {
    int fds[RT_CGROUP_MAX_JOIN]; /* v1: each managed hierarchy's "tasks" file, open to write */
    size_t n;
    int dir_fd; /* v2: the cgroup's directory, for clone3(CLONE_INTO_CGROUP); else -1 */
};

struct rt_cgroup_driver {
    /* Create the cgroup `path` (and missing parents) and apply res. On failure nothing that
     * this call created is left. */
    int (*create)(const char *path, const struct rt_resources *res, bt_err **err);
    /* Open what a child needs to join the cgroup `path` (created before) by itself; on failure
     * nothing is left open. */
    int (*join_open)(const char *path, struct rt_cgroup_join *j, bt_err **err);
    /* Move pid into it (the slow way: see above). */
    int (*enter)(const char *path, pid_t pid, bt_err **err);
    /* rmdir it; missing is fine. */
    int (*remove)(const char *path, bt_err **err);
    /* Apply res to the existing cgroup `path` (docker update: a running container's new
     * limits); the settings res does not have stay as they are. */
    int (*update)(const char *path, const struct rt_resources *res, bt_err **err);
    /* Freeze or thaw every process in it, and wait until the kernel says it is done. */
    int (*freeze)(const char *path, bool frozen, bt_err **err);
    /* Its directory for a controller (ignored by v2); NULL with ENOENT when not mounted. */
    char *(*dir)(const char *path, const char *controller, bt_err **err);
    /* Mount the container's view of cgroups at rel, an existing directory below the new root
     * open at rootfd; read-only when flags has MS_RDONLY. own_ns: the container has its own
     * cgroup namespace, so the kernel shows it its cgroup as the root; otherwise its own cgroup
     * directories are bind-mounted. */
    int (*mount)(int rootfd, const char *rel, unsigned long flags, bool own_ns, bt_err **err);
    /* Read its statistics into out (zeroed by the caller); BT_E_NOT_FOUND when it is gone. */
    int (*stats)(const char *path, struct rt_cgroup_stats *out, bt_err **err);
};

extern const struct rt_cgroup_driver rt_cgroup_v1;
extern const struct rt_cgroup_driver rt_cgroup_v2;

/* The driver for this host. */
const struct rt_cgroup_driver *rt_cgroup_driver(void);

/* Close what join_open opened. */
void rt_cgroup_join_close(struct rt_cgroup_join *j);
/* In the child, first thing: join the v1 hierarchies of j (nothing to do for v2). */
int rt_cgroup_join_self(const struct rt_cgroup_join *j, bt_err **err);

/* ---- helpers shared by the drivers (cgroup.c) ---- */

/* Write value to dir/file with one write(2), as cgroup files want. */
int rt_cgroup_write(const char *dir, const char *file, const char *value, bt_err **err);
/* Read dir/file (a small cgroup file) into buf, NUL-terminated; -1 with errno. */
int rt_cgroup_read(const char *dir, const char *file, char *buf, size_t size);

/* dir/file whole (a stat file may pass one page), or NULL with errno; the caller frees. */
char *rt_cgroup_read_text(const char *dir, const char *file);

/* rmdir, retrying for a while on EBUSY: a cgroup is busy until the kernel has finished
 * tearing down its last exiting task, a little after waitpid() returned. ENOENT is success. */
int rt_cgroup_rmdir(const char *dir, bt_err **err);
/* mkdir -p of root + path, recording the directories this call made (deepest last) in
 * *created, so that a failure can take exactly those away again. */
int rt_cgroup_mkdir(const char *root, const char *path, char ***created, bt_err **err);
/* rmdir the directories in created, deepest first. */
void rt_cgroup_undo_mkdir(char **created);

/* The calling process's cgroup in the hierarchy whose /proc/self/cgroup controller field is
 * `controllers` ("" for v2); the caller frees. */
char *rt_cgroup_self(const char *controllers, bt_err **err);

/* The spec's device rules followed by those every container gets (runc's defaults): mknod of
 * any node, and the standard nodes /dev/null, zero, full, random, urandom, tty, console,
 * ptmx and pts/N. NULL (n = 0) when the spec has no device rules: devices are then left alone.
 * The caller frees. */
struct rt_dev_rule *rt_cgroup_device_rules(const struct rt_resources *res, size_t *n);

/* ---- conversions from the OCI values (v1 terms) to v2's (cgroup.c) ---- */

/* cpu.shares [2, 262144] to cpu.weight [1, 10000], as runc (opencontainers/cgroups) converts:
 * the quadratic in log2 that maps 2 -> 1, 1024 -> 100 and 262144 -> 10000. 0 stays 0 (unset). */
uint64_t rt_cpu_shares_to_weight(uint64_t shares);

/* OCI's memory.swap is memory + swap; v2's memory.swap.max is the swap alone. -1 is
 * unlimited. Fails when it cannot be computed (swap without a memory limit, swap < limit). */
int rt_memory_swap_to_v2(int64_t swap, bool has_limit, int64_t limit, int64_t *out, bt_err **err);

/* ---- the v2 device filter (cgroup-bpf.c) ---- */

/* The device policy a rule list leaves in cgroup v1 terms: a default (allow or deny
 * everything) and the exceptions to it, which all have the opposite effect. */
struct rt_dev_policy {
    bool default_allow;
    struct rt_dev_rule *exceptions;
    size_t n;
};

/* Replay rules the way the v1 devices controller would: "a" resets the default and drops the
 * exceptions; a rule against the default adds an exception; a rule with the default's effect
 * removes access from an identical exception. */
void rt_dev_policy_build(const struct rt_dev_rule *rules, size_t n, struct rt_dev_policy *out);
void rt_dev_policy_clear(struct rt_dev_policy *p);

struct bpf_insn;
/* The BPF_PROG_TYPE_CGROUP_DEVICE program that enforces p; the caller frees *out. */
void rt_dev_bpf_program(const struct rt_dev_policy *p, struct bpf_insn **out, size_t *n);

/* Load the program for rules and attach it to the cgroup directory (v2). */
int rt_dev_bpf_attach(const char *cgroup_dir, const struct rt_dev_rule *rules, size_t n,
                      bt_err **err);

/* ---- what the drivers' stats operations read, from given directories (for the tests) ---- */

/* A v1 container's directory in each hierarchy; NULL where the controller is not mounted. */
struct rt_cgroup_v1_dirs {
    const char *cpuacct, *cpu, *memory, *blkio, *pids;
};
/* Fill out (zeroed, mem_limit UINT64_MAX) from those directories; missing files leave 0. */
void rt_cgroup_v1_read_stats(const struct rt_cgroup_v1_dirs *d, struct rt_cgroup_stats *out);
/* The same from a v2 cgroup directory. */
void rt_cgroup_v2_read_stats(const char *dir, struct rt_cgroup_stats *out);

/* ---- parsers of statistics files (stats.c); pure, for the drivers and the tests ---- */

/* "key value" lines (memory.stat, cpu.stat, cpuacct.stat); lines that are not are skipped.
 * *out is freed with rt_kv_free. */
void rt_stats_parse_kv(const char *text, struct rt_kv **out, size_t *n);
void rt_kv_free(struct rt_kv *kv, size_t n);
/* Space-separated numbers (cpuacct.usage_percpu); *out is the caller's to free. */
void rt_stats_parse_u64s(const char *text, uint64_t **out, size_t *n);
/* One number, or "max" (v2 limits) as UINT64_MAX; -1 when text is neither. */
int rt_stats_parse_limit(const char *text, uint64_t *out);
/* v1 blkio "MAJ:MIN Op value" lines; the closing "Total N" line is skipped. Appends to
 * *out; free with rt_blkio_free. */
void rt_stats_parse_blkio_v1(const char *text, struct rt_blkio **out, size_t *n);
/* v2 io.stat "MAJ:MIN rbytes=.. wbytes=.. rios=.. ..." lines, as dockerd reports them: a
 * "read" and a "write" entry per device. Appends to *out. */
void rt_stats_parse_io_stat(const char *text, struct rt_blkio **out, size_t *n);
void rt_blkio_free(struct rt_blkio *b, size_t n);
/* /proc/<pid>/net/dev without "lo"; *out is the caller's to free. */
void rt_stats_parse_net_dev(const char *text, struct rt_netdev **out, size_t *n);
/* /proc/stat: the sum of the "cpu" line's first seven fields (user .. steal, clock ticks)
 * in ns at clk_tck ticks a second, and the number of "cpuN" lines. -1 without a "cpu" line. */
int rt_stats_parse_proc_stat(const char *text, long clk_tck, uint64_t *system_ns, uint32_t *online);
