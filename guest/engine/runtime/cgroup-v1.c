/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup v1: one hierarchy per mount below /sys/fs/cgroup, each with its own controllers
 * ("memory", "cpu,cpuacct", ...). The container gets the same path in every hierarchy that
 * has a controller; named hierarchies without one (name=systemd) are left to the caller.
 *
 * Hierarchies are found in /proc/self/mountinfo rather than by guessing directory names, as
 * distributions mount co-mounted controllers under different names ("cpu,cpuacct" with
 * symlinks, or separately).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/engine/runtime/cgroup.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"
#include "shared/fs/resolve.h"

struct hierarchy {
    char *mnt;         /* "/sys/fs/cgroup/memory" */
    char *controllers; /* as /proc/self/cgroup writes them: "memory", "name=systemd" */
    bool managed;      /* has a real controller: the container gets a cgroup here */
};

#define MAX_HIERARCHIES 32

static struct hierarchy hierarchies[MAX_HIERARCHIES];
_Static_assert(MAX_HIERARCHIES <= RT_CGROUP_MAX_JOIN, "a join holds one fd per hierarchy");
static size_t n_hierarchies;
static bool discovered;

/* Controllers the kernel has (/proc/cgroups), to tell them from mount options. */
static bool is_controller(const char *name)
{
    bt_autofile FILE *f = fopen("/proc/cgroups", "re");
    char line[256];
    size_t len = strlen(name);
    while (f && fgets(line, sizeof(line), f)) {
        if (strncmp(line, name, len) == 0 && (line[len] == '\t' || line[len] == ' '))
            return true;
    }
    return false;
}

/* The controllers of a cgroup super block's options ("rw,cpu,cpuacct" -> "cpu,cpuacct"). */
static char *controllers_of(char *superopts, bool *managed)
{
    bt_autostrbuf struct bt_strbuf named = BT_STRBUF_INIT;
    bt_autostrbuf struct bt_strbuf ctl = BT_STRBUF_INIT;
    char *save = NULL;
    for (char *o = strtok_r(superopts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        if (strncmp(o, "name=", 5) == 0) {
            bt_strbuf_appendf(&named, "%s%s", named.len ? "," : "", o);
        } else if (is_controller(o)) {
            bt_strbuf_appendf(&ctl, "%s%s", ctl.len ? "," : "", o);
        }
    }
    *managed = ctl.len > 0;
    /* /proc/self/cgroup lists the controllers first, then the name. */
    if (named.len)
        bt_strbuf_appendf(&ctl, "%s%s", ctl.len ? "," : "", bt_strbuf_str(&named));
    return bt_strbuf_steal(&ctl);
}

static void discover(void)
{
    if (discovered)
        return;
    discovered = true;
    bt_autofile FILE *f = fopen("/proc/self/mountinfo", "re");
    bt_autofree char *line = NULL;
    size_t cap = 0;
    while (f && getline(&line, &cap, f) > 0 && n_hierarchies < MAX_HIERARCHIES) {
        /* "id parent maj:min root mountpoint opts [optional...] - fstype source superopts" */
        char *sep = strstr(line, " - ");
        char root[4096], mnt[4096], fstype[64], source[256], superopts[1024];
        if (!sep || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2 ||
            sscanf(sep + 3, "%63s %255s %1023s", fstype, source, superopts) != 3)
            continue;
        if (strcmp(fstype, "cgroup") != 0 || strcmp(root, "/") != 0)
            continue;
        bool managed;
        char *ctl = controllers_of(superopts, &managed);
        bool dup = false;
        for (size_t i = 0; i < n_hierarchies; i++)
            dup = dup || strcmp(hierarchies[i].controllers, ctl) == 0;
        if (dup || !ctl[0]) {
            free(ctl);
            continue;
        }
        hierarchies[n_hierarchies++] = (struct hierarchy){bt_xstrdup(mnt), ctl, managed};
    }
}

/* The hierarchy with this controller, or NULL when it is not mounted. */
static const struct hierarchy *find(const char *controller)
{
    discover();
    size_t len = strlen(controller);
    for (size_t i = 0; i < n_hierarchies; i++) {
        const char *c = hierarchies[i].controllers;
        for (const char *p = strstr(c, controller); p; p = strstr(p + 1, controller)) {
            if ((p == c || p[-1] == ',') && (p[len] == ',' || p[len] == '\0'))
                return &hierarchies[i];
        }
    }
    return NULL;
}

static char *dir_of(const struct hierarchy *h, const char *path)
{
    return bt_xasprintf("%s%s", h->mnt, path);
}

/* A controller's cgroup for writing limits; a limit without its controller is an error. */
static char *need(const char *controller, const char *path, bt_err **err)
{
    const struct hierarchy *h = find(controller);
    if (!h) {
        bt_err_set(err, BT_E_UNSUPPORTED, "cgroup: the %s controller is not mounted", controller);
        return NULL;
    }
    return dir_of(h, path);
}

static int write_i64(const char *dir, const char *file, int64_t v, bt_err **err)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRId64, v);
    return rt_cgroup_write(dir, file, buf, err);
}

/* A new cpuset cgroup has no CPUs and no memory nodes, and refuses tasks until it has: copy
 * them down from the parent at every level that has none (cgroup.clone_children would do it,
 * but only where someone set it). */
static int cpuset_init(const char *mnt, const char *path, bt_err **err)
{
    static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
    bt_autofree char *copy = bt_xstrdup(path);
    bt_autofree char *parent = bt_xstrdup(mnt);
    char *save = NULL;
    for (char *e = strtok_r(copy, "/", &save); e; e = strtok_r(NULL, "/", &save)) {
        bt_autofree char *cur = bt_xasprintf("%s/%s", parent, e);
        for (size_t i = 0; i < 2; i++) {
            bt_autostrbuf struct bt_strbuf mine = BT_STRBUF_INIT;
            bt_autostrbuf struct bt_strbuf theirs = BT_STRBUF_INIT;
            bt_autofree char *p = bt_xasprintf("%s/%s", cur, files[i]);
            bt_autofree char *pp = bt_xasprintf("%s/%s", parent, files[i]);
            if (bt_file_read(p, &mine, 4096, err) < 0)
                return -1;
            if (bt_strbuf_str(&mine)[0] != '\n' && mine.len)
                continue;
            if (bt_file_read(pp, &theirs, 4096, err) < 0 ||
                rt_cgroup_write(cur, files[i], bt_strbuf_str(&theirs), err) < 0)
                return -1;
        }
        free(parent);
        parent = bt_steal_ptr(&cur);
    }
    return 0;
}

static int apply_memory(const char *path, const struct rt_resources *r, bt_err **err)
{
    if (!r->has_memory_limit && !r->has_memory_reservation && !r->has_memory_swap)
        return 0;
    bt_autofree char *dir = need("memory", path, err);
    if (!dir)
        return -1;
    /* The limit before memory+swap: the kernel wants memsw >= limit at every step, and a new
     * cgroup starts with both unlimited. */
    if (r->has_memory_limit && write_i64(dir, "memory.limit_in_bytes", r->memory_limit, err) < 0)
        return -1;
    if (r->has_memory_reservation &&
        write_i64(dir, "memory.soft_limit_in_bytes", r->memory_reservation, err) < 0)
        return -1;
    /* memsw exists only with swap accounting (swapaccount=1); Docker then ignores swap. */
    bt_autofree char *memsw = bt_xasprintf("%s/memory.memsw.limit_in_bytes", dir);
    if (r->has_memory_swap && r->memory_swap != 0 && access(memsw, F_OK) == 0 &&
        write_i64(dir, "memory.memsw.limit_in_bytes", r->memory_swap, err) < 0)
        return -1;
    return 0;
}

static int apply_cpu(const char *path, const struct rt_resources *r, bt_err **err)
{
    if (r->has_cpu_shares || r->has_cpu_period || r->has_cpu_quota) {
        bt_autofree char *dir = need("cpu", path, err);
        if (!dir)
            return -1;
        if (r->has_cpu_shares && write_i64(dir, "cpu.shares", (int64_t)r->cpu_shares, err) < 0)
            return -1;
        /* The period first: the quota is checked against it. */
        if (r->has_cpu_period &&
            write_i64(dir, "cpu.cfs_period_us", (int64_t)r->cpu_period, err) < 0)
            return -1;
        if (r->has_cpu_quota && write_i64(dir, "cpu.cfs_quota_us", r->cpu_quota, err) < 0)
            return -1;
    }
    if (r->cpus || r->mems) {
        bt_autofree char *dir = need("cpuset", path, err);
        if (!dir || (r->cpus && rt_cgroup_write(dir, "cpuset.cpus", r->cpus, err) < 0) ||
            (r->mems && rt_cgroup_write(dir, "cpuset.mems", r->mems, err) < 0))
            return -1;
    }
    return 0;
}

/* "c 1:3 rwm", "b *:* m", "a" */
static char *rule_string(const struct rt_dev_rule *d)
{
    if (d->type == 'a' && d->major < 0 && d->minor < 0)
        return bt_xstrdup("a");
    char maj[24] = "*", min[24] = "*", acc[4] = "";
    if (d->major >= 0)
        snprintf(maj, sizeof(maj), "%" PRId64, d->major);
    if (d->minor >= 0)
        snprintf(min, sizeof(min), "%" PRId64, d->minor);
    size_t n = 0;
    if (d->access & RT_DEV_READ)
        acc[n++] = 'r';
    if (d->access & RT_DEV_WRITE)
        acc[n++] = 'w';
    if (d->access & RT_DEV_MKNOD)
        acc[n++] = 'm';
    acc[n] = '\0';
    return bt_xasprintf("%c %s:%s %s", d->type, maj, min, acc);
}

static int apply_devices(const char *path, const struct rt_resources *r, bt_err **err)
{
    size_t n;
    bt_autofree struct rt_dev_rule *rules = rt_cgroup_device_rules(r, &n);
    if (!rules)
        return 0;
    bt_autofree char *dir = need("devices", path, err);
    if (!dir)
        return -1;
    /* The kernel replays these exactly as the OCI list means them, one write each. */
    for (size_t i = 0; i < n; i++) {
        bt_autofree char *s = rule_string(&rules[i]);
        if (rt_cgroup_write(dir, rules[i].allow ? "devices.allow" : "devices.deny", s, err) < 0)
            return -1;
    }
    return 0;
}

static int apply(const char *path, const struct rt_resources *r, bt_err **err)
{
    if (apply_memory(path, r, err) < 0 || apply_cpu(path, r, err) < 0 ||
        apply_devices(path, r, err) < 0)
        return -1;
    if (r->has_pids_limit) {
        bt_autofree char *dir = need("pids", path, err);
        char buf[32] = "max";
        if (r->pids_limit > 0)
            snprintf(buf, sizeof(buf), "%" PRId64, r->pids_limit);
        if (!dir || rt_cgroup_write(dir, "pids.max", buf, err) < 0)
            return -1;
    }
    return 0;
}

static int v1_create(const char *path, const struct rt_resources *res, bt_err **err)
{
    discover();
    bt_autostrv char **created = NULL;
    for (size_t i = 0; i < n_hierarchies; i++) {
        const struct hierarchy *h = &hierarchies[i];
        if (!h->managed)
            continue;
        if (rt_cgroup_mkdir(h->mnt, path, &created, err) < 0)
            return -1;
        if (find("cpuset") == h && cpuset_init(h->mnt, path, err) < 0) {
            rt_cgroup_undo_mkdir(created);
            return -1;
        }
    }
    if (apply(path, res, err) < 0) {
        rt_cgroup_undo_mkdir(created);
        return -1;
    }
    return 0;
}

static int v1_update(const char *path, const struct rt_resources *r, bt_err **err)
{
    discover();
    /* The kernel keeps memory+swap >= the limit at every step: a limit raised above the old
     * memory+swap needs the new memory+swap first, a lowered one after (apply()'s order). Best
     * effort first; apply() writes it again in its own order. */
    if (r->has_memory_swap && r->memory_swap != 0 && find("memory")) {
        bt_autofree char *dir = need("memory", path, NULL);
        bt_autofree char *memsw = dir ? bt_xasprintf("%s/memory.memsw.limit_in_bytes", dir) : NULL;
        if (memsw && access(memsw, F_OK) == 0)
            (void)write_i64(dir, "memory.memsw.limit_in_bytes", r->memory_swap, NULL);
    }
    return apply(path, r, err);
}

static int v1_enter(const char *path, pid_t pid, bt_err **err)
{
    discover();
    char buf[32];
    snprintf(buf, sizeof(buf), "%d", (int)pid);
    for (size_t i = 0; i < n_hierarchies; i++) {
        if (!hierarchies[i].managed)
            continue;
        bt_autofree char *dir = dir_of(&hierarchies[i], path);
        if (rt_cgroup_write(dir, "cgroup.procs", buf, err) < 0)
            return -1;
    }
    return 0;
}

static int v1_join_open(const char *path, struct rt_cgroup_join *j, bt_err **err)
{
    discover();
    *j = (struct rt_cgroup_join){.dir_fd = -1};
    for (size_t i = 0; i < n_hierarchies; i++) {
        if (!hierarchies[i].managed)
            continue;
        bt_autofree char *dir = dir_of(&hierarchies[i], path);
        bt_autofree char *file = bt_xasprintf("%s/tasks", dir);
        int fd = open(file, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
            bt_err_errno(err, errno, "open \"%s\"", file);
            rt_cgroup_join_close(j);
            return -1;
        }
        j->fds[j->n++] = fd;
    }
    return 0;
}

static int v1_freeze(const char *path, bool frozen, bt_err **err)
{
    const struct hierarchy *h = find("freezer");
    if (!h)
        return bt_err_set(err, BT_E_UNSUPPORTED, "cgroup: the freezer controller is not mounted");
    bt_autofree char *dir = dir_of(h, path);
    const char *want = frozen ? "FROZEN" : "THAWED";
    if (rt_cgroup_write(dir, "freezer.state", want, err) < 0)
        return -1;
    /* FREEZING until every task stopped; writing again pushes stragglers (runc does so) */
    for (int i = 0; i < 5000; i++) {
        char buf[32];
        if (rt_cgroup_read(dir, "freezer.state", buf, sizeof(buf)) < 0)
            return bt_err_errno(err, errno, "read \"%s/freezer.state\"", dir);
        if (strncmp(buf, want, strlen(want)) == 0)
            return 0;
        if (i % 100 == 99 && rt_cgroup_write(dir, "freezer.state", want, err) < 0)
            return -1;
        usleep(1000);
    }
    return bt_err_set(err, BT_E_TIMEOUT, "cgroup: %s did not become %s", dir, want);
}

static int v1_remove(const char *path, bt_err **err)
{
    discover();
    int rc = 0;
    for (size_t i = 0; i < n_hierarchies; i++) {
        if (!hierarchies[i].managed)
            continue;
        bt_autofree char *dir = dir_of(&hierarchies[i], path);
        /* Keep going after a failure: leave as little behind as possible. */
        if (rt_cgroup_rmdir(dir, rc == 0 ? err : NULL) < 0)
            rc = -1;
    }
    return rc;
}

static char *v1_dir(const char *path, const char *controller, bt_err **err)
{
    const struct hierarchy *h = find(controller);
    if (!h) {
        bt_err_set(err, ENOENT, "cgroup: the %s controller is not mounted", controller);
        return NULL;
    }
    return dir_of(h, path);
}

/* One hierarchy inside the container's cgroup tmpfs (tmpfs open at tfd). */
static int mount_hierarchy(int tfd, const struct hierarchy *h, unsigned long flags, bool own_ns,
                           bt_err **err)
{
    bt_autofree char *name = bt_path_basename(h->mnt);
    if (mkdirat(tfd, name, 0755) < 0 && errno != EEXIST)
        return bt_err_errno(err, errno, "mkdir \"%s\"", name);
    bt_autoclose int sub = openat(tfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
        return bt_err_errno(err, errno, "open \"%s\"", name);
    unsigned long base = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    if (own_ns) {
        /* In its own cgroup namespace the kernel shows the container its cgroup as "/". */
        if (rt_mount_at("cgroup", sub, "cgroup", flags | base, h->controllers, err) < 0)
            return bt_err_wrap(err, "mount \"%s\"", name);
    } else {
        bt_autofree char *self = rt_cgroup_self(h->controllers, err);
        if (!self)
            return -1;
        bt_autofree char *src = bt_xasprintf("%s%s", h->mnt, self);
        if (rt_mount_at(src, sub, NULL, MS_BIND, NULL, err) < 0)
            return -1;
        bt_autoclose int top = openat(tfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (top < 0)
            return bt_err_errno(err, errno, "open \"%s\"", name);
        if (rt_mount_at(NULL, top, NULL, MS_REMOUNT | MS_BIND | flags | base, NULL, err) < 0)
            return -1;
    }
    /* Co-mounted controllers ("cpu,cpuacct") are also reachable by each name, as on the host. */
    if (!strchr(name, ','))
        return 0;
    bt_autofree char *copy = bt_xstrdup(name);
    char *save = NULL;
    for (char *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
        if (symlinkat(name, tfd, c) < 0 && errno != EEXIST)
            return bt_err_errno(err, errno, "symlink \"%s\"", c);
    }
    return 0;
}

static int v1_mount(int rootfd, const char *rel, unsigned long flags, bool own_ns, bt_err **err)
{
    discover();
    bt_autoclose int target = bt_open_beneath(rootfd, rel, O_PATH | O_DIRECTORY, 0, err);
    if (target < 0)
        return -1;
    unsigned long base = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    if (rt_mount_at("tmpfs", target, "tmpfs", base, "mode=755", err) < 0)
        return -1;
    bt_autoclose int tfd = bt_open_beneath(rootfd, rel, O_PATH | O_DIRECTORY, 0, err);
    if (tfd < 0)
        return -1;
    for (size_t i = 0; i < n_hierarchies; i++) {
        if (mount_hierarchy(tfd, &hierarchies[i], flags & MS_RDONLY, own_ns, err) < 0)
            return -1;
    }
    if (!(flags & MS_RDONLY))
        return 0;
    return rt_mount_at(NULL, tfd, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | base, NULL, err);
}

/* ---- statistics ---- */

/* The container's directory for controller, or NULL when it is not mounted here. */
static char *stat_dir(const char *controller, const char *path)
{
    const struct hierarchy *h = find(controller);
    return h ? dir_of(h, path) : NULL;
}

static uint64_t read_u64(const char *dir, const char *file)
{
    bt_autofree char *text = dir ? rt_cgroup_read_text(dir, file) : NULL;
    uint64_t v = 0;
    if (text)
        rt_stats_parse_limit(text, &v);
    return v;
}

/* cpuacct.usage (ns), its per-CPU split, cpuacct.stat (user and system, in USER_HZ ticks:
 * dockerd multiplies by 1e9 / 100), and the CFS throttling of cpu.stat. */
static void v1_cpu_stats(const struct rt_cgroup_v1_dirs *d, struct rt_cgroup_stats *out)
{
    out->cpu_total = read_u64(d->cpuacct, "cpuacct.usage");
    bt_autofree char *percpu =
            d->cpuacct ? rt_cgroup_read_text(d->cpuacct, "cpuacct.usage_percpu") : NULL;
    if (percpu)
        rt_stats_parse_u64s(percpu, &out->percpu, &out->npercpu);
    bt_autofree char *times = d->cpuacct ? rt_cgroup_read_text(d->cpuacct, "cpuacct.stat") : NULL;
    if (times) {
        struct rt_kv *kv;
        size_t n;
        rt_stats_parse_kv(times, &kv, &n);
        out->cpu_user = rt_kv_get(kv, n, "user", 0) * 10000000ull;
        out->cpu_system = rt_kv_get(kv, n, "system", 0) * 10000000ull;
        rt_kv_free(kv, n);
    }
    bt_autofree char *cfs = d->cpu ? rt_cgroup_read_text(d->cpu, "cpu.stat") : NULL;
    if (cfs) {
        struct rt_kv *kv;
        size_t n;
        rt_stats_parse_kv(cfs, &kv, &n);
        out->periods = rt_kv_get(kv, n, "nr_periods", 0);
        out->throttled_periods = rt_kv_get(kv, n, "nr_throttled", 0);
        out->throttled_ns = rt_kv_get(kv, n, "throttled_time", 0);
        rt_kv_free(kv, n);
    }
}

static void v1_memory_stats(const char *dir, struct rt_cgroup_stats *out)
{
    out->mem_usage = read_u64(dir, "memory.usage_in_bytes");
    out->mem_max_usage = read_u64(dir, "memory.max_usage_in_bytes");
    out->mem_failcnt = read_u64(dir, "memory.failcnt");
    out->mem_limit = read_u64(dir, "memory.limit_in_bytes");
    bt_autofree char *stat = rt_cgroup_read_text(dir, "memory.stat");
    if (stat)
        rt_stats_parse_kv(stat, &out->mem_stat, &out->nmem_stat);
}

/* The recursive counters of the CFQ/BFQ schedulers are empty with other schedulers (and
 * blk-mq's none); the throttle counters are always kept. containerd reads them in that order. */
static void v1_blkio_stats(const char *dir, struct rt_cgroup_stats *out)
{
    bt_autofree char *rec = rt_cgroup_read_text(dir, "blkio.io_service_bytes_recursive");
    if (rec)
        rt_stats_parse_blkio_v1(rec, &out->blkio, &out->nblkio);
    if (out->nblkio)
        return;
    bt_autofree char *thr = rt_cgroup_read_text(dir, "blkio.throttle.io_service_bytes");
    if (thr)
        rt_stats_parse_blkio_v1(thr, &out->blkio, &out->nblkio);
}

void rt_cgroup_v1_read_stats(const struct rt_cgroup_v1_dirs *d, struct rt_cgroup_stats *out)
{
    v1_cpu_stats(d, out);
    if (d->memory)
        v1_memory_stats(d->memory, out);
    if (d->blkio)
        v1_blkio_stats(d->blkio, out);
    if (d->pids) {
        out->pids_current = read_u64(d->pids, "pids.current");
        uint64_t max = read_u64(d->pids, "pids.max");
        out->pids_limit = max == UINT64_MAX ? 0 : max;
    }
}

static int v1_stats(const char *path, struct rt_cgroup_stats *out, bt_err **err)
{
    bt_autofree char *cpuacct = stat_dir("cpuacct", path);
    bt_autofree char *cpu = stat_dir("cpu", path);
    bt_autofree char *memory = stat_dir("memory", path);
    bt_autofree char *blkio = stat_dir("blkio", path);
    bt_autofree char *pids = stat_dir("pids", path);
    const char *probe = memory ? memory : pids;
    if (probe && access(probe, F_OK) < 0)
        return bt_err_set(err, BT_E_NOT_FOUND, "cgroup: %s is gone", probe);
    struct rt_cgroup_v1_dirs d = {cpuacct, cpu, memory, blkio, pids};
    rt_cgroup_v1_read_stats(&d, out);
    return 0;
}

const struct rt_cgroup_driver rt_cgroup_v1 = {
        .create = v1_create,
        .join_open = v1_join_open,
        .enter = v1_enter,
        .remove = v1_remove,
        .update = v1_update,
        .freeze = v1_freeze,
        .dir = v1_dir,
        .mount = v1_mount,
        .stats = v1_stats,
};
