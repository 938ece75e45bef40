/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth stats and berth system df figures from engine JSON, checked against what the docker
 * CLI 28 prints for the same answers (its formatter_stats.go and disk_usage.go arithmetic).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/cli/stats-format.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);
    if (!v)
        fail_msg("bad test JSON: %s", e.text);
    return v;
}

static void expect_row(const json_t *row, const char *key, const char *want)
{
    assert_string_equal(bt_json_get_str(row, key, "<missing>"), want);
}

/* cgroup v1: no online_cpus, so the number of CPUs is percpu_usage's length; memory less
 * total_inactive_file; block I/O from Read/Write only. */
static void test_stats_format_v1_sample(void **state)
{
    bt_autoptr(json_t) s =
            parse("{\"id\":\"0123456789abcdef0123\",\"name\":\"/web\","
                  "\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":3000000000,"
                  "\"percpu_usage\":[1,2]},\"system_cpu_usage\":20000000000},"
                  "\"precpu_stats\":{\"cpu_usage\":{\"total_usage\":2000000000},"
                  "\"system_cpu_usage\":18000000000},"
                  "\"memory_stats\":{\"usage\":104857600,\"limit\":209715200,"
                  "\"stats\":{\"total_inactive_file\":52428800,\"inactive_file\":1,\"cache\":9}},"
                  "\"networks\":{\"eth0\":{\"rx_bytes\":1500,\"tx_bytes\":500},"
                  "\"eth1\":{\"rx_bytes\":130,\"tx_bytes\":16}},"
                  "\"blkio_stats\":{\"io_service_bytes_recursive\":["
                  "{\"op\":\"Read\",\"value\":4096000},{\"op\":\"Write\",\"value\":8192},"
                  "{\"op\":\"Sync\",\"value\":7},{\"op\":\"Total\",\"value\":9},"
                  "{\"op\":\"read\",\"value\":4000}]},"
                  "\"pids_stats\":{\"current\":7}}");
    struct berth_stats_values v;
    berth_stats_compute(s, NULL, &v);
    /* (1e9 / 2e9) * 2 CPUs * 100 */
    assert_true(v.cpu_percent > 99.99 && v.cpu_percent < 100.01);
    bt_autoptr(json_t) row = berth_stats_row("web", s, &v, true);
    expect_row(row, "CPUPerc", "100.00%");
    expect_row(row, "MemUsage", "50MiB / 200MiB");
    expect_row(row, "MemPerc", "25.00%");
    expect_row(row, "NetIO", "1.63kB / 516B");
    expect_row(row, "BlockIO", "4.1MB / 8.19kB");
    expect_row(row, "PIDs", "7");
    expect_row(row, "ID", "0123456789ab");
    expect_row(row, "Name", "web");
    expect_row(row, "Container", "web");
}

/* cgroup v2: online_cpus given, memory less inactive_file; an explicit previous sample wins
 * over precpu_stats. */
static void test_stats_format_v2_sample_with_previous(void **state)
{
    bt_autoptr(json_t) s = parse(
            "{\"id\":\"abc\",\"name\":\"/x\",\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":500},"
            "\"system_cpu_usage\":4000,\"online_cpus\":4},"
            "\"precpu_stats\":{\"cpu_usage\":{\"total_usage\":499},\"system_cpu_usage\":1},"
            "\"memory_stats\":{\"usage\":3000,\"limit\":0,\"stats\":{\"inactive_file\":1000}}}");
    bt_autoptr(json_t) prev = parse("{\"cpu_usage\":{\"total_usage\":100},"
                                    "\"system_cpu_usage\":2000}");
    struct berth_stats_values v;
    berth_stats_compute(s, prev, &v);
    /* (400 / 2000) * 4 * 100 */
    assert_true(v.cpu_percent > 79.99 && v.cpu_percent < 80.01);
    bt_autoptr(json_t) row = berth_stats_row("abc", s, &v, false);
    expect_row(row, "MemUsage", "1.953KiB / 0B");
    expect_row(row, "MemPerc", "0.00%"); /* no limit: no percentage */
    expect_row(row, "NetIO", "0B / 0B");
    expect_row(row, "ID", "abc");
}

/* A stopped container's object (name and ID, the rest zero) and junk. */
static void test_stats_format_zeros_and_junk(void **state)
{
    bt_autoptr(json_t) s = parse("{\"id\":\"abc\",\"name\":\"/\",\"read\":\"0001-01-01T00:00:00Z\","
                                 "\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":0}},"
                                 "\"memory_stats\":{},\"networks\":[1],"
                                 "\"blkio_stats\":{\"io_service_bytes_recursive\":[{\"op\":\"\"},"
                                 "3,{\"value\":\"x\"}]}}");
    struct berth_stats_values v;
    berth_stats_compute(s, NULL, &v);
    bt_autoptr(json_t) row = berth_stats_row("abc", s, &v, true);
    expect_row(row, "CPUPerc", "0.00%");
    expect_row(row, "MemUsage", "0B / 0B");
    expect_row(row, "BlockIO", "0B / 0B");
    expect_row(row, "PIDs", "0");
    expect_row(row, "Name", "--");
    bt_autoptr(json_t) empty = parse("[]");
    berth_stats_compute(empty, empty, &v);
    assert_true(v.cpu_percent == 0 && v.memory == 0);
}

static const json_t *row_of(const json_t *rows, const char *type)
{
    size_t i;
    json_t *r;
    json_array_foreach (rows, i, r)
        if (strcmp(bt_json_get_str(r, "Type", ""), type) == 0)
            return r;
    fail_msg("no row %s", type);
    return NULL;
}

static void test_stats_format_df_rows(void **state)
{
    bt_autoptr(json_t) df =
            parse("{\"LayersSize\":3000000,"
                  "\"Images\":[{\"Size\":2000000,\"SharedSize\":1000000,\"Containers\":2},"
                  "{\"Size\":1500000,\"SharedSize\":1000000,\"Containers\":0}],"
                  "\"Containers\":[{\"State\":\"running\",\"SizeRw\":1000},"
                  "{\"State\":\"exited\",\"SizeRw\":3000},{\"State\":\"paused\",\"SizeRw\":0}],"
                  "\"Volumes\":[{\"UsageData\":{\"Size\":100000,\"RefCount\":1}},"
                  "{\"UsageData\":{\"Size\":50000,\"RefCount\":0}},"
                  "{\"UsageData\":{\"Size\":-1,\"RefCount\":0}}],"
                  "\"BuildCache\":[]}");
    bt_autoptr(json_t) rows = berth_df_rows(df);
    assert_int_equal(json_array_size(rows), 4);
    const json_t *img = row_of(rows, "Images");
    expect_row(img, "TotalCount", "2");
    expect_row(img, "Active", "1");
    expect_row(img, "Size", "3MB");
    /* in use: 2 MB less its 1 MB shared: 2 MB of 3 reclaimable */
    expect_row(img, "Reclaimable", "2MB (66%)");
    const json_t *ctr = row_of(rows, "Containers");
    expect_row(ctr, "TotalCount", "3");
    expect_row(ctr, "Active", "2");
    expect_row(ctr, "Size", "4kB");
    expect_row(ctr, "Reclaimable", "3kB (75%)");
    const json_t *vol = row_of(rows, "Local Volumes");
    expect_row(vol, "TotalCount", "3");
    expect_row(vol, "Active", "1");
    expect_row(vol, "Size", "150kB");
    expect_row(vol, "Reclaimable", "50kB (33%)");
    const json_t *bc = row_of(rows, "Build Cache");
    expect_row(bc, "TotalCount", "0");
    expect_row(bc, "Size", "0B");
    expect_row(bc, "Reclaimable", "0B");
}

static void test_stats_format_df_empty(void **state)
{
    bt_autoptr(json_t) df = parse("{}");
    bt_autoptr(json_t) rows = berth_df_rows(df);
    expect_row(row_of(rows, "Images"), "Reclaimable", "0B");
    expect_row(row_of(rows, "Containers"), "Reclaimable", "0B");
    expect_row(row_of(rows, "Local Volumes"), "Size", "0B");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_stats_format_v1_sample),
            cmocka_unit_test(test_stats_format_v2_sample_with_previous),
            cmocka_unit_test(test_stats_format_zeros_and_junk),
            cmocka_unit_test(test_stats_format_df_rows),
            cmocka_unit_test(test_stats_format_df_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
