/* SPDX-License-Identifier: Apache-2.0 */
#include "host/cli/stats-format.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "host/cli/util.h"
#include "host/format/units.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/json/json.h"

const struct fmt_type berth_stats_row_types[] = {
        {"", "*container.statsContext"},
        {NULL, NULL},
};

const struct fmt_type berth_df_row_types[] = {
        {"", "*formatter.diskUsageContext"},
        {NULL, NULL},
};

static double num(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : 0;
}

static double total_usage(const json_t *cpu)
{
    return num(bt_json_get_obj(cpu, "cpu_usage"), "total_usage");
}

/* docker's calculateCPUPercentUnix */
static double cpu_percent(const json_t *cpu, const json_t *prev)
{
    double cpu_delta = total_usage(cpu) - total_usage(prev);
    double system_delta = num(cpu, "system_cpu_usage") - num(prev, "system_cpu_usage");
    double online = num(cpu, "online_cpus");
    if (online == 0)
        online = (double)json_array_size(
                json_object_get(bt_json_get_obj(cpu, "cpu_usage"), "percpu_usage"));
    if (system_delta > 0 && cpu_delta > 0)
        return cpu_delta / system_delta * online * 100.0;
    return 0;
}

/* docker's calculateMemUsageUnixNoCache: v1's total_inactive_file when the stats have it,
 * else v2's inactive_file, each only when below the usage. */
static double memory_used(const json_t *mem)
{
    double usage = num(mem, "usage");
    const json_t *st = bt_json_get_obj(mem, "stats");
    json_t *v1 = json_object_get(st, "total_inactive_file");
    if (json_is_number(v1)) {
        if (json_number_value(v1) < usage)
            return usage - json_number_value(v1);
    }
    double v2 = num(st, "inactive_file");
    return v2 < usage ? usage - v2 : usage;
}

void berth_stats_compute(const json_t *cur, const json_t *prev_cpu, struct berth_stats_values *v)
{
    *v = (struct berth_stats_values){0};
    const json_t *cpu = bt_json_get_obj(cur, "cpu_stats");
    v->cpu_percent = cpu_percent(cpu, prev_cpu ? prev_cpu : bt_json_get_obj(cur, "precpu_stats"));
    const json_t *mem = bt_json_get_obj(cur, "memory_stats");
    v->memory = memory_used(mem);
    v->memory_limit = num(mem, "limit");
    if (v->memory_limit != 0)
        v->memory_percent = v->memory / v->memory_limit * 100.0;
    const char *key;
    json_t *net;
    json_object_foreach ((json_t *)bt_json_get_obj(cur, "networks"), key, net) {
        v->net_rx += num(net, "rx_bytes");
        v->net_tx += num(net, "tx_bytes");
    }
    size_t i;
    json_t *e;
    json_array_foreach (
            json_object_get(bt_json_get_obj(cur, "blkio_stats"), "io_service_bytes_recursive"), i,
            e) {
        const char *op = bt_json_get_str(e, "op", "");
        if (tolower((unsigned char)op[0]) == 'r')
            v->block_read += num(e, "value");
        else if (tolower((unsigned char)op[0]) == 'w')
            v->block_write += num(e, "value");
    }
    v->pids = (int64_t)num(bt_json_get_obj(cur, "pids_stats"), "current");
}

static char *two_sizes(double a, double b, bool binary)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (binary)
        fmt_bytes_size(a, &sb);
    else
        fmt_human_size(a, 3, &sb);
    bt_strbuf_append(&sb, " / ");
    if (binary)
        fmt_bytes_size(b, &sb);
    else
        fmt_human_size(b, 3, &sb);
    return bt_strbuf_steal(&sb);
}

json_t *berth_stats_row(const char *container, const json_t *cur,
                        const struct berth_stats_values *v, bool trunc)
{
    const char *id = bt_json_get_str(cur, "id", "");
    const char *name = bt_json_get_str(cur, "name", "");
    bt_autofree char *short_id = trunc ? berth_short_id(id) : bt_xstrdup(id);
    bt_autofree char *mem = two_sizes(v->memory, v->memory_limit, true);
    bt_autofree char *net = two_sizes(v->net_rx, v->net_tx, false);
    bt_autofree char *blk = two_sizes(v->block_read, v->block_write, false);
    char cpu[64], memp[64], pids[32];
    snprintf(cpu, sizeof(cpu), "%.2f%%", v->cpu_percent);
    snprintf(memp, sizeof(memp), "%.2f%%", v->memory_percent);
    snprintf(pids, sizeof(pids), "%lld", (long long)v->pids);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "BlockIO", blk, "CPUPerc",
                     cpu, "Container", container, "ID", short_id, "MemPerc", memp, "MemUsage", mem,
                     "Name", strlen(name) > 1 ? name + 1 : "--", "NetIO", net, "PIDs", pids);
}

json_t *berth_stats_header(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Container", "CONTAINER",
                     "ID", "CONTAINER ID", "Name", "NAME", "CPUPerc", "CPU %", "MemUsage",
                     "MEM USAGE / LIMIT", "MemPerc", "MEM %", "NetIO", "NET I/O", "BlockIO",
                     "BLOCK I/O", "PIDs", "PIDS");
}

/* ---- system df ---- */

static char *human(double size)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    fmt_human_size(size, 4, &sb);
    return bt_strbuf_steal(&sb);
}

/* "1.2MB (50%)", the share in whole percent rounded down; just the size when total is 0 */
static char *reclaimable(int64_t reclaim, int64_t total)
{
    bt_autofree char *h = human((double)reclaim);
    if (total > 0)
        return bt_xasprintf("%s (%lld%%)", h, (long long)(reclaim * 100 / total));
    return bt_xstrdup(h);
}

static json_t *df_row(const char *type, size_t total, size_t active, int64_t size, char *reclaim)
{
    bt_autofree char *r = reclaim;
    bt_autofree char *s = human((double)size);
    char t[32], a[32];
    snprintf(t, sizeof(t), "%zu", total);
    snprintf(a, sizeof(a), "%zu", active);
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "Active", a, "Reclaimable", r, "Size", s,
                     "TotalCount", t, "Type", type);
}

static json_t *images_row(const json_t *df)
{
    const json_t *images = bt_json_get_arr(df, "Images");
    int64_t total = bt_json_get_int(df, "LayersSize", 0);
    int64_t used = 0;
    size_t active = 0, i;
    json_t *img;
    json_array_foreach (images, i, img) {
        if (bt_json_get_int(img, "Containers", 0) == 0)
            continue;
        active++;
        int64_t size = bt_json_get_int(img, "Size", -1);
        int64_t shared = bt_json_get_int(img, "SharedSize", -1);
        if (size != -1 && shared != -1)
            used += size - shared;
    }
    return df_row("Images", json_array_size(images), active, total,
                  reclaimable(total - used, total));
}

static bool active_state(const char *state)
{
    return strstr(state, "running") || strstr(state, "paused") || strstr(state, "restarting");
}

static json_t *containers_row(const json_t *df)
{
    const json_t *list = bt_json_get_arr(df, "Containers");
    int64_t total = 0, reclaim = 0;
    size_t active = 0, i;
    json_t *c;
    json_array_foreach (list, i, c) {
        int64_t rw = bt_json_get_int(c, "SizeRw", 0);
        total += rw;
        if (active_state(bt_json_get_str(c, "State", "")))
            active++;
        else
            reclaim += rw;
    }
    return df_row("Containers", json_array_size(list), active, total, reclaimable(reclaim, total));
}

static json_t *volumes_row(const json_t *df)
{
    const json_t *list = bt_json_get_arr(df, "Volumes");
    int64_t total = 0, reclaim = 0;
    size_t active = 0, i;
    json_t *v;
    json_array_foreach (list, i, v) {
        const json_t *u = bt_json_get_obj(v, "UsageData");
        int64_t refs = bt_json_get_int(u, "RefCount", 0);
        int64_t size = bt_json_get_int(u, "Size", 0);
        if (refs > 0)
            active++;
        if (size == -1)
            continue;
        total += size;
        if (refs == 0)
            reclaim += size;
    }
    return df_row("Local Volumes", json_array_size(list), active, total,
                  reclaimable(reclaim, total));
}

static json_t *build_cache_row(const json_t *df)
{
    const json_t *list = bt_json_get_arr(df, "BuildCache");
    int64_t total = 0, in_use = 0;
    size_t active = 0, i;
    json_t *b;
    json_array_foreach (list, i, b) {
        bool used = bt_json_get_bool(b, "InUse", false);
        bool shared = bt_json_get_bool(b, "Shared", false);
        active += used;
        if (shared)
            continue;
        total += bt_json_get_int(b, "Size", 0);
        if (used)
            in_use += bt_json_get_int(b, "Size", 0);
    }
    return df_row("Build Cache", json_array_size(list), active, total,
                  human((double)(total - in_use)));
}

json_t *berth_df_rows(const json_t *df)
{
    json_t *rows = json_array();
    json_array_append_new(rows, images_row(df));
    json_array_append_new(rows, containers_row(df));
    json_array_append_new(rows, volumes_row(df));
    json_array_append_new(rows, build_cache_row(df));
    return rows;
}

json_t *berth_df_header(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "Type", "TYPE", "TotalCount", "TOTAL", "Active",
                     "ACTIVE", "Size", "SIZE", "Reclaimable", "RECLAIMABLE");
}
