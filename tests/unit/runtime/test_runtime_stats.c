/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The statistics readers of `docker stats` on sample kernel files (tests/data/runtime-stats):
 * a cgroup v1 container's hierarchies, a cgroup v2 directory, /proc/<pid>/net/dev and
 * /proc/stat, and the parsers' handling of what they must skip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest/engine/runtime/cgroup.h"
#include "shared/base/cleanup.h"

#define DATA BERTH_TEST_DATA "/runtime-stats"

static const struct rt_blkio *find_blkio(const struct rt_cgroup_stats *s, uint64_t major,
                                         uint64_t minor, const char *op)
{
    for (size_t i = 0; i < s->nblkio; i++)
        if (s->blkio[i].major == major && s->blkio[i].minor == minor &&
            strcmp(s->blkio[i].op, op) == 0)
            return &s->blkio[i];
    return NULL;
}

static void test_runtime_stats_v1_cgroup(void **state)
{
    struct rt_cgroup_v1_dirs d = {DATA "/v1/cpuacct", DATA "/v1/cpu", DATA "/v1/memory",
                                  DATA "/v1/blkio", DATA "/v1/pids"};
    struct rt_cgroup_stats s = {.mem_limit = UINT64_MAX};
    rt_cgroup_v1_read_stats(&d, &s);
    assert_int_equal(s.cpu_total, 2338312442ull);
    assert_int_equal(s.npercpu, 2);
    assert_int_equal(s.percpu[0], 1113878605ull);
    assert_int_equal(s.percpu[1], 1224433837ull);
    /* cpuacct.stat counts USER_HZ ticks: 229 and 4 of them */
    assert_int_equal(s.cpu_user, 2290000000ull);
    assert_int_equal(s.cpu_system, 40000000ull);
    assert_int_equal(s.periods, 120);
    assert_int_equal(s.throttled_periods, 7);
    assert_int_equal(s.throttled_ns, 350000000ull);
    assert_int_equal(s.mem_usage, 52764672);
    assert_int_equal(s.mem_max_usage, 53989376);
    assert_int_equal(s.mem_failcnt, 3);
    assert_int_equal(s.mem_limit, 9223372036854771712ull); /* v1's "no limit" */
    /* what the docker CLI subtracts on v1 */
    assert_int_equal(rt_kv_get(s.mem_stat, s.nmem_stat, "total_inactive_file", 1), 8192);
    assert_int_equal(rt_kv_get(s.mem_stat, s.nmem_stat, "cache", 1), 52428800);
    /* the recursive file holds only "Total 0": the throttle counters are used */
    assert_int_equal(s.nblkio, 12);
    assert_int_equal(find_blkio(&s, 8, 0, "Read")->value, 4096000);
    assert_int_equal(find_blkio(&s, 8, 0, "Write")->value, 8192);
    assert_int_equal(find_blkio(&s, 253, 1, "Read")->value, 12288);
    assert_int_equal(s.pids_current, 4);
    assert_int_equal(s.pids_limit, 0); /* "max" */
    rt_cgroup_stats_clear(&s);
}

static void test_runtime_stats_v2_cgroup(void **state)
{
    struct rt_cgroup_stats s = {.mem_limit = UINT64_MAX};
    rt_cgroup_v2_read_stats(DATA "/v2", &s);
    /* microseconds in the file, nanoseconds out */
    assert_int_equal(s.cpu_total, 2338312000ull);
    assert_int_equal(s.cpu_user, 2290000000ull);
    assert_int_equal(s.cpu_system, 48312000ull);
    assert_int_equal(s.npercpu, 0);
    assert_int_equal(s.periods, 120);
    assert_int_equal(s.throttled_periods, 7);
    assert_int_equal(s.throttled_ns, 350000000ull);
    assert_int_equal(s.mem_usage, 52764672);
    assert_int_equal(s.mem_max_usage, 0);
    assert_int_equal(s.mem_limit, UINT64_MAX); /* "max" */
    assert_int_equal(rt_kv_get(s.mem_stat, s.nmem_stat, "inactive_file", 1), 4096);
    assert_int_equal(rt_kv_get(s.mem_stat, s.nmem_stat, "thp_fault_alloc", 1), 0);
    assert_int_equal(rt_kv_get(s.mem_stat, s.nmem_stat, "total_inactive_file", 1), 1);
    /* a read and a write entry per device, lower case as dockerd reports v2's */
    assert_int_equal(s.nblkio, 4);
    assert_int_equal(find_blkio(&s, 8, 0, "read")->value, 4096000);
    assert_int_equal(find_blkio(&s, 8, 0, "write")->value, 8192);
    assert_int_equal(find_blkio(&s, 253, 1, "write")->value, 0);
    assert_int_equal(s.pids_current, 4);
    assert_int_equal(s.pids_limit, 100);
    rt_cgroup_stats_clear(&s);
}

static void test_runtime_stats_v2_missing_files_leave_zeros(void **state)
{
    struct rt_cgroup_stats s = {.mem_limit = UINT64_MAX};
    rt_cgroup_v2_read_stats(DATA "/nonexistent", &s);
    assert_int_equal(s.cpu_total, 0);
    assert_int_equal(s.mem_usage, 0);
    assert_int_equal(s.mem_limit, UINT64_MAX);
    assert_int_equal(s.nmem_stat, 0);
    assert_int_equal(s.nblkio, 0);
    assert_int_equal(s.pids_limit, 0);
    rt_cgroup_stats_clear(&s);
}

static void test_runtime_stats_limit(void **state)
{
    uint64_t v = 0;
    bt_autofree char *text = rt_cgroup_read_text(DATA, "v2-memory.max.limited");
    assert_non_null(text);
    assert_int_equal(rt_stats_parse_limit(text, &v), 0);
    assert_int_equal(v, 134217728);
    assert_int_equal(rt_stats_parse_limit("max\n", &v), 0);
    assert_int_equal(v, UINT64_MAX);
    assert_int_equal(rt_stats_parse_limit("", &v), -1);
    assert_int_equal(rt_stats_parse_limit("-5", &v), -1);
    assert_int_equal(rt_stats_parse_limit("junk", &v), -1);
}

static void test_runtime_stats_kv_skips_malformed_lines(void **state)
{
    struct rt_kv *kv;
    size_t n;
    rt_stats_parse_kv("a 1\nb\nc x\nd 2 3\n\ne 18446744073709551615\nf -1\ng 4", &kv, &n);
    assert_int_equal(n, 3);
    assert_string_equal(kv[0].key, "a");
    assert_int_equal(kv[0].value, 1);
    assert_int_equal(rt_kv_get(kv, n, "e", 0), UINT64_MAX);
    assert_int_equal(rt_kv_get(kv, n, "g", 0), 4); /* no final newline */
    assert_int_equal(rt_kv_get(kv, n, "f", 9), 9);
    rt_kv_free(kv, n);
}

static void test_runtime_stats_net_dev(void **state)
{
    bt_autofree char *text = rt_cgroup_read_text(DATA, "net-dev");
    assert_non_null(text);
    struct rt_netdev *d;
    size_t n;
    rt_stats_parse_net_dev(text, &d, &n);
    assert_int_equal(n, 2); /* lo is left out, as dockerd reports only the endpoints */
    assert_string_equal(d[0].name, "eth0");
    assert_int_equal(d[0].rx_bytes, 1838);
    assert_int_equal(d[0].rx_packets, 21);
    assert_int_equal(d[0].rx_errors, 1);
    assert_int_equal(d[0].rx_dropped, 2);
    assert_int_equal(d[0].tx_bytes, 586);
    assert_int_equal(d[0].tx_packets, 7);
    assert_int_equal(d[0].tx_errors, 3);
    assert_int_equal(d[0].tx_dropped, 4);
    assert_string_equal(d[1].name, "eth1");
    assert_int_equal(d[1].rx_bytes, UINT64_MAX);
    assert_int_equal(d[1].tx_bytes, 9);
    free(d);
}

static void test_runtime_stats_proc_stat(void **state)
{
    bt_autofree char *text = rt_cgroup_read_text(DATA, "proc-stat");
    assert_non_null(text);
    uint64_t ns = 0;
    uint32_t online = 0;
    assert_int_equal(rt_stats_parse_proc_stat(text, 100, &ns, &online), 0);
    /* user nice system idle iowait irq softirq; steal, guest, guest_nice left out */
    uint64_t ticks = 5703 + 126 + 2104 + 1164811 + 311 + 0 + 52;
    assert_int_equal(ns, ticks * 10000000ull);
    assert_int_equal(online, 2);
    assert_int_equal(rt_stats_parse_proc_stat("intr 1 2\n", 100, &ns, &online), -1);
    assert_int_equal(rt_stats_parse_proc_stat("cpu  1 2\n", 100, &ns, &online), -1);
}

static void test_runtime_stats_u64s(void **state)
{
    uint64_t *v;
    size_t n;
    rt_stats_parse_u64s(" 1 2\n3 x 4", &v, &n);
    assert_int_equal(n, 3);
    assert_int_equal(v[2], 3);
    free(v);
    rt_stats_parse_u64s("", &v, &n);
    assert_int_equal(n, 0);
    assert_null(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_runtime_stats_v1_cgroup),
            cmocka_unit_test(test_runtime_stats_v2_cgroup),
            cmocka_unit_test(test_runtime_stats_v2_missing_files_leave_zeros),
            cmocka_unit_test(test_runtime_stats_limit),
            cmocka_unit_test(test_runtime_stats_kv_skips_malformed_lines),
            cmocka_unit_test(test_runtime_stats_net_dev),
            cmocka_unit_test(test_runtime_stats_proc_stat),
            cmocka_unit_test(test_runtime_stats_u64s),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
