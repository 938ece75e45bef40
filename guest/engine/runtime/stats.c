/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Statistics: parsers of the kernel's files (cgroup stat files, /proc/<pid>/net/dev,
 * /proc/stat) and the public entry points. The drivers (cgroup-v1.c, cgroup-v2.c) know which
 * files to read; the formats are here, pure, so that tests can feed them sample files.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest/engine/runtime/cgroup.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"

/* The next line of *p (without its newline) copied into buf; false at the end. */
static bool next_line(const char **p, char *buf, size_t size)
{
    if (!**p)
        return false;
    size_t len = strcspn(*p, "\n");
    size_t copy = len < size - 1 ? len : size - 1;
    memcpy(buf, *p, copy);
    buf[copy] = '\0';
    *p += len + ((*p)[len] == '\n');
    return true;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-')
        return false;
    *out = v;
    return true;
}

void rt_stats_parse_kv(const char *text, struct rt_kv **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    char line[512];
    while (next_line(&text, line, sizeof(line))) {
        char key[256];
        char value[64];
        char extra;
        if (sscanf(line, "%255s %63s %c", key, value, &extra) != 2)
            continue;
        uint64_t v;
        if (!parse_u64(value, &v))
            continue;
        *out = bt_xreallocarray(*out, *n + 1, sizeof(**out));
        (*out)[(*n)++] = (struct rt_kv){bt_xstrdup(key), v};
    }
}

void rt_kv_free(struct rt_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(kv[i].key);
    free(kv);
}

uint64_t rt_kv_get(const struct rt_kv *kv, size_t n, const char *key, uint64_t def)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0)
            return kv[i].value;
    return def;
}

void rt_stats_parse_u64s(const char *text, uint64_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    const char *p = text;
    for (;;) {
        p += strspn(p, " \t\n");
        if (!*p)
            break;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p || errno)
            break;
        *out = bt_xreallocarray(*out, *n + 1, sizeof(**out));
        (*out)[(*n)++] = v;
        p = end;
    }
}

int rt_stats_parse_limit(const char *text, uint64_t *out)
{
    char word[32] = "";
    if (sscanf(text, "%31s", word) != 1)
        return -1;
    if (strcmp(word, "max") == 0) {
        *out = UINT64_MAX;
        return 0;
    }
    return parse_u64(word, out) ? 0 : -1;
}

static void blkio_push(struct rt_blkio **out, size_t *n, uint64_t major, uint64_t minor,
                       const char *op, uint64_t value)
{
    *out = bt_xreallocarray(*out, *n + 1, sizeof(**out));
    (*out)[(*n)++] = (struct rt_blkio){major, minor, bt_xstrdup(op), value};
}

void rt_stats_parse_blkio_v1(const char *text, struct rt_blkio **out, size_t *n)
{
    char line[256];
    while (next_line(&text, line, sizeof(line))) {
        unsigned long long major, minor, value;
        char op[32];
        if (sscanf(line, "%llu:%llu %31s %llu", &major, &minor, op, &value) == 4)
            blkio_push(out, n, major, minor, op, value);
    }
}

void rt_stats_parse_io_stat(const char *text, struct rt_blkio **out, size_t *n)
{
    char line[512];
    while (next_line(&text, line, sizeof(line))) {
        unsigned long long major, minor;
        int off = 0;
        if (sscanf(line, "%llu:%llu%n", &major, &minor, &off) != 2)
            continue;
        uint64_t rbytes = 0, wbytes = 0;
        char *save = NULL;
        for (char *f = strtok_r(line + off, " \t", &save); f; f = strtok_r(NULL, " \t", &save)) {
            if (strncmp(f, "rbytes=", 7) == 0)
                parse_u64(f + 7, &rbytes);
            else if (strncmp(f, "wbytes=", 7) == 0)
                parse_u64(f + 7, &wbytes);
        }
        blkio_push(out, n, major, minor, "read", rbytes);
        blkio_push(out, n, major, minor, "write", wbytes);
    }
}

void rt_blkio_free(struct rt_blkio *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(b[i].op);
    free(b);
}

/* "  eth0: 1296 16 0 0 0 0 0 0 1296 16 0 0 0 0 0 0": receive bytes packets errs drop fifo
 * frame compressed multicast, then transmit bytes packets errs drop ... */
void rt_stats_parse_net_dev(const char *text, struct rt_netdev **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    char line[512];
    while (next_line(&text, line, sizeof(line))) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue; /* the two header lines */
        *colon = '\0';
        const char *name = line + strspn(line, " ");
        unsigned long long f[16];
        if (sscanf(colon + 1,
                   "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
                   "%llu",
                   &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9], &f[10],
                   &f[11], &f[12], &f[13], &f[14], &f[15]) != 16)
            continue;
        if (strcmp(name, "lo") == 0 || !*name)
            continue;
        *out = bt_xreallocarray(*out, *n + 1, sizeof(**out));
        struct rt_netdev *d = &(*out)[(*n)++];
        *d = (struct rt_netdev){
                .rx_bytes = f[0],
                .rx_packets = f[1],
                .rx_errors = f[2],
                .rx_dropped = f[3],
                .tx_bytes = f[8],
                .tx_packets = f[9],
                .tx_errors = f[10],
                .tx_dropped = f[11],
        };
        snprintf(d->name, sizeof(d->name), "%s", name);
    }
}

int rt_stats_parse_proc_stat(const char *text, long clk_tck, uint64_t *system_ns, uint32_t *online)
{
    bool found = false;
    *online = 0;
    char line[1024];
    while (next_line(&text, line, sizeof(line))) {
        if (strncmp(line, "cpu", 3) != 0)
            continue;
        if (line[3] >= '0' && line[3] <= '9') {
            (*online)++;
            continue;
        }
        /* dockerd (daemon/stats/collector_unix.go) adds user, nice, system, idle, iowait, irq
         * and softirq, and leaves steal, guest and guest_nice out. */
        unsigned long long f[7];
        if (sscanf(line + 3, "%llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1], &f[2], &f[3],
                   &f[4], &f[5], &f[6]) != 7)
            return -1;
        uint64_t ticks = 0;
        for (int i = 0; i < 7; i++)
            ticks += f[i];
        *system_ns = ticks * (1000000000ull / (uint64_t)clk_tck);
        found = true;
    }
    return found ? 0 : -1;
}

char *rt_cgroup_read_text(const char *dir, const char *file)
{
    bt_autofree char *path = bt_xasprintf("%s/%s", dir, file);
    struct bt_strbuf sb = BT_STRBUF_INIT;
    if (bt_file_read(path, &sb, 1 << 20, NULL) < 0) {
        bt_strbuf_free(&sb);
        return NULL;
    }
    return bt_strbuf_steal(&sb);
}

int rt_cgroup_stats(const char *cgroups_path, struct rt_cgroup_stats *out, bt_err **err)
{
    *out = (struct rt_cgroup_stats){.mem_limit = UINT64_MAX};
    if (!cgroups_path)
        return bt_err_set(err, BT_E_NOT_FOUND, "cgroup: the spec has no linux.cgroupsPath");
    out->version = rt_cgroup_version();
    return rt_cgroup_driver()->stats(cgroups_path, out, err);
}

void rt_cgroup_stats_clear(struct rt_cgroup_stats *s)
{
    free(s->percpu);
    rt_kv_free(s->mem_stat, s->nmem_stat);
    rt_blkio_free(s->blkio, s->nblkio);
    *s = (struct rt_cgroup_stats){0};
}

int rt_net_dev_read(pid_t pid, struct rt_netdev **out, size_t *n, bt_err **err)
{
    bt_autofree char *path = bt_xasprintf("/proc/%d/net/dev", (int)pid);
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (bt_file_read(path, &sb, 1 << 20, err) < 0)
        return -1;
    rt_stats_parse_net_dev(bt_strbuf_str(&sb), out, n);
    return 0;
}

int rt_host_cpu(uint64_t *system_ns, uint32_t *online, bt_err **err)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (bt_file_read("/proc/stat", &sb, 1 << 22, err) < 0)
        return -1;
    long tck = sysconf(_SC_CLK_TCK);
    if (rt_stats_parse_proc_stat(bt_strbuf_str(&sb), tck > 0 ? tck : 100, system_ns, online) < 0)
        return bt_err_set(err, BT_E_INTERNAL, "/proc/stat: no cpu line");
    /* The time itself rather than /proc/stat's sum: that sum is all the CPUs' time since boot
     * too, but in clock ticks (10 ms each, on every CPU), which makes the CPU % of a short
     * window coarse; the clock's nanoseconds times the CPUs give the same quantity (steal time
     * aside) to the nanosecond, so that a sample 100 ms after another is as good a measure as
     * one a second after it. */
    struct timespec ts;
    if (*online && clock_gettime(CLOCK_BOOTTIME, &ts) == 0)
        *system_ns = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) * *online;
    return 0;
}
