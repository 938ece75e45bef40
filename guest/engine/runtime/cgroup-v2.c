/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup v2: one tree at /sys/fs/cgroup. A controller works in a cgroup only when every
 * ancestor lists it in cgroup.subtree_control, so creating a container's cgroup enables the
 * controllers on the way down; the leaf itself enables nothing (processes may only live in
 * cgroups that do not distribute controllers: the "no internal processes" rule).
 *
 * There is no devices controller: device access is decided by BPF programs attached to the
 * cgroup (cgroup-bpf.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "guest/engine/runtime/cgroup.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"
#include "shared/fs/resolve.h"

static char *dir_of(const char *path)
{
    return bt_xasprintf("%s%s", RT_CGROUP_ROOT, path);
}

/* The controllers a container's cgroup gets, when the parent has them: those its limits and
 * its statistics use. Others (hugetlb, rdma, misc) stay as the host set them. */
static const char *const wanted[] = {"cpu", "cpuset", "io", "memory", "pids"};

/* Enable the wanted controllers dir has in its subtree_control. All at once first; if one of
 * them refuses (cpu, while a real-time task sits in the cgroup), one by one, keeping those
 * that work, as runc does. */
static void enable_controllers(const char *dir)
{
    bt_autostrbuf struct bt_strbuf avail = BT_STRBUF_INIT;
    bt_autofree char *path = bt_xasprintf("%s/cgroup.controllers", dir);
    if (bt_file_read(path, &avail, 4096, NULL) < 0 || avail.len == 0)
        return;
    bt_autostrbuf struct bt_strbuf all = BT_STRBUF_INIT;
    char *save = NULL;
    for (char *c = strtok_r(avail.buf, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
        for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
            if (strcmp(c, wanted[i]) == 0)
                bt_strbuf_appendf(&all, "%s+%s", all.len ? " " : "", c);
        }
    }
    if (all.len == 0 || rt_cgroup_write(dir, "cgroup.subtree_control", all.buf, NULL) == 0)
        return;
    save = NULL;
    for (char *c = strtok_r(all.buf, " ", &save); c; c = strtok_r(NULL, " ", &save))
        rt_cgroup_write(dir, "cgroup.subtree_control", c, NULL);
}

/* A missing interface file means its controller is not enabled here. */
static int write_ctl(const char *dir, const char *file, const char *value, bt_err **err)
{
    bt_autoerr bt_err *e = NULL;
    if (rt_cgroup_write(dir, file, value, &e) == 0)
        return 0;
    if (bt_err_code(e) == ENOENT) {
        bt_autofree char *ctl = bt_xstrndup(file, strcspn(file, "."));
        return bt_err_set(err, BT_E_UNSUPPORTED,
                          "cgroup: the %s controller is not available in \"%s\"", ctl, dir);
    }
    bt_err_move(err, &e);
    return -1;
}

static int write_limit(const char *dir, const char *file, int64_t v, bt_err **err)
{
    char buf[32] = "max";
    if (v >= 0)
        snprintf(buf, sizeof(buf), "%" PRId64, v);
    return write_ctl(dir, file, buf, err);
}

static int apply_memory(const char *dir, const struct rt_resources *r, bt_err **err)
{
    if (r->has_memory_limit && write_limit(dir, "memory.max", r->memory_limit, err) < 0)
        return -1;
    if (r->has_memory_reservation && write_limit(dir, "memory.low", r->memory_reservation, err) < 0)
        return -1;
    if (!r->has_memory_swap || r->memory_swap == 0)
        return 0;
    int64_t swap;
    if (rt_memory_swap_to_v2(r->memory_swap, r->has_memory_limit, r->memory_limit, &swap, err) < 0)
        return -1;
    /* Without swap accounting there is no memory.swap.max: asking for no swap, or for
     * unlimited swap, then asks for nothing (runc's rule); a real limit is an error. */
    bt_autofree char *file = bt_xasprintf("%s/memory.swap.max", dir);
    if ((swap == 0 || swap == -1) && access(file, F_OK) < 0 && errno == ENOENT)
        return 0;
    return write_limit(dir, "memory.swap.max", swap, err);
}

static int apply_cpu(const char *dir, const struct rt_resources *r, bt_err **err)
{
    char buf[64];
    if (r->has_cpu_shares) {
        snprintf(buf, sizeof(buf), "%" PRIu64, rt_cpu_shares_to_weight(r->cpu_shares));
        if (write_ctl(dir, "cpu.weight", buf, err) < 0)
            return -1;
    }
    if (r->has_cpu_quota || r->has_cpu_period) {
        /* "$QUOTA $PERIOD"; a quota of -1 (or none) is "max". */
        int n = snprintf(buf, sizeof(buf), "max");
        if (r->has_cpu_quota && r->cpu_quota > 0)
            n = snprintf(buf, sizeof(buf), "%" PRId64, r->cpu_quota);
        if (r->has_cpu_period)
            snprintf(buf + n, sizeof(buf) - (size_t)n, " %" PRIu64, r->cpu_period);
        if (write_ctl(dir, "cpu.max", buf, err) < 0)
            return -1;
    }
    if (r->cpus && write_ctl(dir, "cpuset.cpus", r->cpus, err) < 0)
        return -1;
    if (r->mems && write_ctl(dir, "cpuset.mems", r->mems, err) < 0)
        return -1;
    return 0;
}

static int apply(const char *dir, const struct rt_resources *r, bt_err **err)
{
    if (apply_memory(dir, r, err) < 0 || apply_cpu(dir, r, err) < 0)
        return -1;
    if (r->has_pids_limit &&
        write_limit(dir, "pids.max", r->pids_limit > 0 ? r->pids_limit : -1, err) < 0)
        return -1;
    size_t n;
    bt_autofree struct rt_dev_rule *rules = rt_cgroup_device_rules(r, &n);
    if (rules && rt_dev_bpf_attach(dir, rules, n, err) < 0)
        return -1;
    return 0;
}

static int v2_create(const char *path, const struct rt_resources *res, bt_err **err)
{
    bt_autostrv char **created = NULL;
    if (rt_cgroup_mkdir(RT_CGROUP_ROOT, path, &created, err) < 0)
        return -1;
    /* Controllers down to the leaf's parent: the root, then each ancestor. */
    bt_autofree char *cur = bt_xstrdup(RT_CGROUP_ROOT);
    bt_autofree char *copy = bt_xstrdup(path);
    char *save = NULL;
    char *e = strtok_r(copy, "/", &save);
    while (e) {
        enable_controllers(cur);
        char *next = bt_xasprintf("%s/%s", cur, e);
        free(cur);
        cur = next;
        e = strtok_r(NULL, "/", &save);
    }
    if (apply(cur, res, err) < 0) {
        rt_cgroup_undo_mkdir(created);
        return -1;
    }
    return 0;
}

static int v2_update(const char *path, const struct rt_resources *r, bt_err **err)
{
    bt_autofree char *dir = dir_of(path);
    return apply(dir, r, err);
}

static int v2_enter(const char *path, pid_t pid, bt_err **err)
{
    bt_autofree char *dir = dir_of(path);
    char buf[32];
    snprintf(buf, sizeof(buf), "%d", (int)pid);
    return rt_cgroup_write(dir, "cgroup.procs", buf, err);
}

static int v2_join_open(const char *path, struct rt_cgroup_join *j, bt_err **err)
{
    *j = (struct rt_cgroup_join){.dir_fd = -1};
    bt_autofree char *dir = dir_of(path);
    j->dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (j->dir_fd < 0)
        return bt_err_errno(err, errno, "open \"%s\"", dir);
    return 0;
}

static int v2_freeze(const char *path, bool frozen, bt_err **err)
{
    bt_autofree char *dir = dir_of(path);
    if (rt_cgroup_write(dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
        return -1;
    const char *want = frozen ? "frozen 1" : "frozen 0";
    for (int i = 0; i < 5000; i++) {
        char buf[256];
        if (rt_cgroup_read(dir, "cgroup.events", buf, sizeof(buf)) < 0)
            return bt_err_errno(err, errno, "read \"%s/cgroup.events\"", dir);
        if (strstr(buf, want))
            return 0;
        usleep(1000);
    }
    return bt_err_set(err, BT_E_TIMEOUT, "cgroup: %s did not become %s", dir,
                      frozen ? "frozen" : "thawed");
}

static int v2_remove(const char *path, bt_err **err)
{
    bt_autofree char *dir = dir_of(path);
    return rt_cgroup_rmdir(dir, err);
}

static char *v2_dir(const char *path, const char *controller, bt_err **err)
{
    return dir_of(path);
}

static int v2_mount(int rootfd, const char *rel, unsigned long flags, bool own_ns, bt_err **err)
{
    unsigned long base = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    bt_autoclose int target = bt_open_beneath(rootfd, rel, O_PATH | O_DIRECTORY, 0, err);
    if (target < 0)
        return -1;
    if (own_ns)
        return rt_mount_at("cgroup2", target, "cgroup2", (flags & MS_RDONLY) | base, NULL, err);
    /* Without a cgroup namespace a new cgroup2 mount would show the whole host tree: show the
     * container its own directory instead. */
    bt_autofree char *self = rt_cgroup_self("", err);
    if (!self)
        return -1;
    bt_autofree char *src = dir_of(self);
    if (rt_mount_at(src, target, NULL, MS_BIND, NULL, err) < 0)
        return -1;
    bt_autoclose int top = bt_open_beneath(rootfd, rel, O_PATH | O_DIRECTORY, 0, err);
    if (top < 0)
        return -1;
    return rt_mount_at(NULL, top, NULL, MS_REMOUNT | MS_BIND | (flags & MS_RDONLY) | base, NULL,
                       err);
}

/* ---- statistics ---- */

static uint64_t read_u64(const char *dir, const char *file, uint64_t def)
{
    bt_autofree char *text = rt_cgroup_read_text(dir, file);
    uint64_t v = def;
    if (text && rt_stats_parse_limit(text, &v) < 0)
        v = def;
    return v;
}

/* cpu.stat counts microseconds; dockerd reports nanoseconds and has no per-CPU split. */
static void v2_cpu_stats(const char *dir, struct rt_cgroup_stats *out)
{
    bt_autofree char *text = rt_cgroup_read_text(dir, "cpu.stat");
    if (!text)
        return;
    struct rt_kv *kv;
    size_t n;
    rt_stats_parse_kv(text, &kv, &n);
    out->cpu_total = rt_kv_get(kv, n, "usage_usec", 0) * 1000;
    out->cpu_user = rt_kv_get(kv, n, "user_usec", 0) * 1000;
    out->cpu_system = rt_kv_get(kv, n, "system_usec", 0) * 1000;
    out->periods = rt_kv_get(kv, n, "nr_periods", 0);
    out->throttled_periods = rt_kv_get(kv, n, "nr_throttled", 0);
    out->throttled_ns = rt_kv_get(kv, n, "throttled_usec", 0) * 1000;
    rt_kv_free(kv, n);
}

static int v2_stats(const char *path, struct rt_cgroup_stats *out, bt_err **err)
{
    bt_autofree char *dir = dir_of(path);
    if (access(dir, F_OK) < 0)
        return bt_err_set(err, BT_E_NOT_FOUND, "cgroup: %s is gone", dir);
    rt_cgroup_v2_read_stats(dir, out);
    return 0;
}

void rt_cgroup_v2_read_stats(const char *dir, struct rt_cgroup_stats *out)
{
    v2_cpu_stats(dir, out);
    out->mem_usage = read_u64(dir, "memory.current", 0);
    out->mem_limit = read_u64(dir, "memory.max", UINT64_MAX);
    bt_autofree char *stat = rt_cgroup_read_text(dir, "memory.stat");
    if (stat)
        rt_stats_parse_kv(stat, &out->mem_stat, &out->nmem_stat);
    bt_autofree char *io = rt_cgroup_read_text(dir, "io.stat");
    if (io)
        rt_stats_parse_io_stat(io, &out->blkio, &out->nblkio);
    out->pids_current = read_u64(dir, "pids.current", 0);
    uint64_t max = read_u64(dir, "pids.max", UINT64_MAX);
    out->pids_limit = max == UINT64_MAX ? 0 : max;
}

const struct rt_cgroup_driver rt_cgroup_v2 = {
        .create = v2_create,
        .join_open = v2_join_open,
        .enter = v2_enter,
        .remove = v2_remove,
        .update = v2_update,
        .freeze = v2_freeze,
        .dir = v2_dir,
        .mount = v2_mount,
        .stats = v2_stats,
};
