/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * `docker stats` and `docker system df` as the docker CLI 28 computes and shows them, from the
 * engine's JSON (GET /containers/{id}/stats, GET /system/df):
 *
 *  - a stats row is docker's statsContext (cli/command/container/formatter_stats.go): CPU %
 *    from the difference of two samples' cpu_usage.total_usage over that of system_cpu_usage,
 *    times online_cpus (or the length of percpu_usage); memory usage less the page cache the
 *    kernel can drop (v1 total_inactive_file, v2 inactive_file); NET I/O summed over the
 *    interfaces; BLOCK I/O summed over io_service_bytes_recursive's reads and writes;
 *  - df rows are docker's diskUsage*Context (cli/command/formatter/disk_usage.go): one row per
 *    type (Images, Containers, Local Volumes, Build Cache) with TotalCount, Active, Size and
 *    Reclaimable.
 *
 * The engine's JSON may have any shape: missing or mistyped members read as zero. Functions
 * return new references and only read their arguments.
 */
#include <stdbool.h>

#include <jansson.h>

#include "host/format/template.h"

/* What a stats row shows, computed. */
struct berth_stats_values {
    double cpu_percent;
    double memory, memory_limit, memory_percent;
    double net_rx, net_tx;
    double block_read, block_write;
    int64_t pids;
};

/* The values of cur (a StatsJSON) against prev_cpu, the cpu_stats of the sample before; NULL
 * takes cur's own precpu_stats (as docker does with a stream). */
void berth_stats_compute(const json_t *cur, const json_t *prev_cpu, struct berth_stats_values *v);

/* docker's statsContext row: BlockIO, CPUPerc, Container (as the user named it), ID (12
 * characters unless !trunc), MemPerc, MemUsage, Name (without its "/"), NetIO, PIDs. */
json_t *berth_stats_row(const char *container, const json_t *cur,
                        const struct berth_stats_values *v, bool trunc);
json_t *berth_stats_header(void);
extern const struct fmt_type berth_stats_row_types[];
#define BERTH_STATS_TABLE                                                                  \
    "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{." \
    "BlockIO}}\t{{.PIDs}}"

/* The four rows of `docker system df` from a GET /system/df answer. */
json_t *berth_df_rows(const json_t *df);
json_t *berth_df_header(void);
extern const struct fmt_type berth_df_row_types[];
#define BERTH_DF_TABLE "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"

/* The --format help text of the list commands. */
#define BERTH_FORMAT_USAGE                                                                    \
    "Format output using a custom template:\n'table':            Print output in table "      \
    "format with column headers (default)\n'table TEMPLATE':   Print output in table format " \
    "using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':     " \
    "    Print output using the given Go template.\nRefer to "                                \
    "https://docs.docker.com/go/formatting/ for more information about formatting output "    \
    "with templates"
