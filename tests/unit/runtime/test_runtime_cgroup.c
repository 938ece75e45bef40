/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure parts of cgroup handling: OCI (v1) values converted to v2's, the device rules
 * replayed as v1 would, and the v2 BPF device filter, run here by a small interpreter of the
 * instructions it uses so that its decisions are checked, not its bytes.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest/engine/runtime/cgroup.h"
#include "shared/base/cleanup.h"

static void test_runtime_cgroup_cpu_shares_to_weight(void **state)
{
    /* The fixed points of runc's conversion, and values in between. */
    assert_int_equal(rt_cpu_shares_to_weight(0), 0);
    assert_int_equal(rt_cpu_shares_to_weight(2), 1);
    assert_int_equal(rt_cpu_shares_to_weight(1024), 100);
    assert_int_equal(rt_cpu_shares_to_weight(262144), 10000);
    assert_int_equal(rt_cpu_shares_to_weight(1 << 20), 10000);
    assert_int_equal(rt_cpu_shares_to_weight(3), 2);
    assert_int_equal(rt_cpu_shares_to_weight(512), 59);
    assert_int_equal(rt_cpu_shares_to_weight(2048), 174);
    assert_int_equal(rt_cpu_shares_to_weight(4096), 303);
    assert_int_equal(rt_cpu_shares_to_weight(100000), 4340);
}

static void test_runtime_cgroup_swap_to_v2(void **state)
{
    bt_autoerr bt_err *err = NULL;
    int64_t out = 0;
    assert_int_equal(rt_memory_swap_to_v2(200, true, 100, &out, &err), 0);
    assert_int_equal(out, 100); /* memory+swap 200 with memory 100: 100 of swap */
    assert_int_equal(rt_memory_swap_to_v2(100, true, 100, &out, &err), 0);
    assert_int_equal(out, 0);
    assert_int_equal(rt_memory_swap_to_v2(-1, true, 100, &out, &err), 0);
    assert_int_equal(out, -1);
    assert_int_equal(rt_memory_swap_to_v2(500, true, -1, &out, &err), 0);
    assert_int_equal(out, 500);
    assert_int_equal(rt_memory_swap_to_v2(50, true, 100, &out, &err), -1);
    assert_string_equal(bt_err_msg(err),
                        "cgroup: memory+swap limit 50 is below the memory limit 100");
    bt_err_clear(&err);
    assert_int_equal(rt_memory_swap_to_v2(50, false, 0, &out, &err), -1);
    assert_string_equal(bt_err_msg(err), "cgroup: a swap limit needs a memory limit");
}

/* ---- a BPF interpreter for the instructions the device filter uses ---- */

struct access {
    char type; /* 'b' or 'c' */
    uint32_t major, minor;
    unsigned acc; /* RT_DEV_* */
};

static int run_filter(const struct bpf_insn *prog, size_t n, struct access a)
{
    uint32_t ctx[3] = {(a.acc << 16) | (a.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR),
                       a.major, a.minor};
    uint64_t r[11] = {0};
    for (size_t pc = 0; pc < n; pc++) {
        const struct bpf_insn *i = &prog[pc];
        uint64_t src = BPF_SRC(i->code) == BPF_X ? r[i->src_reg] : (uint64_t)(int64_t)i->imm;
        switch (i->code) {
        case BPF_LDX | BPF_MEM | BPF_W:
            assert_int_equal(i->src_reg, 1);
            assert_true(i->off >= 0 && i->off <= 8 && i->off % 4 == 0);
            r[i->dst_reg] = ctx[i->off / 4];
            break;
        case BPF_ALU | BPF_AND | BPF_K:
            r[i->dst_reg] = (uint32_t)(r[i->dst_reg] & src);
            break;
        case BPF_ALU | BPF_RSH | BPF_K:
            r[i->dst_reg] = (uint32_t)r[i->dst_reg] >> i->imm;
            break;
        case BPF_ALU | BPF_MOV | BPF_X:
        case BPF_ALU | BPF_MOV | BPF_K:
            r[i->dst_reg] = (uint32_t)src;
            break;
        case BPF_JMP | BPF_JNE | BPF_K:
        case BPF_JMP | BPF_JNE | BPF_X:
            if (r[i->dst_reg] != src)
                pc += (size_t)i->off;
            assert_true(pc < n);
            break;
        case BPF_JMP | BPF_EXIT:
            return (int)r[0];
        default:
            fail_msg("unexpected instruction 0x%x at %zu", i->code, pc);
        }
    }
    fail_msg("the program ran off its end");
    return -1;
}

static int decide(const struct rt_dev_rule *rules, size_t n, struct access a)
{
    struct rt_dev_policy p;
    rt_dev_policy_build(rules, n, &p);
    bt_autofree struct bpf_insn *prog = NULL;
    size_t len;
    rt_dev_bpf_program(&p, &prog, &len);
    rt_dev_policy_clear(&p);
    assert_true(len < 4096); /* BPF_MAXINSNS for unprivileged; we stay far below */
    return run_filter(prog, len, a);
}

#define R  RT_DEV_READ
#define W  RT_DEV_WRITE
#define M  RT_DEV_MKNOD
#define RW (RT_DEV_READ | RT_DEV_WRITE)

/* moby's default linux.resources.devices, plus the runtime's own defaults. */
static struct rt_dev_rule *docker_rules(size_t *n)
{
    static const struct rt_dev_rule moby[] = {
            {false, 'a', -1, -1, RT_DEV_RWM}, {true, 'c', 1, 5, RT_DEV_RWM},
            {true, 'c', 1, 3, RT_DEV_RWM},    {true, 'c', 1, 9, RT_DEV_RWM},
            {true, 'c', 1, 8, RT_DEV_RWM},    {true, 'c', 5, 0, RT_DEV_RWM},
            {true, 'c', 5, 1, RT_DEV_RWM},    {false, 'c', 10, 229, RT_DEV_RWM},
    };
    struct rt_resources res = {.has_devices = true,
                               .devices = (struct rt_dev_rule *)moby,
                               .ndevices = sizeof(moby) / sizeof(moby[0])};
    return rt_cgroup_device_rules(&res, n);
}

static void test_runtime_cgroup_device_filter_docker_defaults(void **state)
{
    size_t n;
    bt_autofree struct rt_dev_rule *rules = docker_rules(&n);
    assert_non_null(rules);
    assert_int_equal(decide(rules, n, (struct access){'c', 1, 3, RW}), 1);    /* /dev/null */
    assert_int_equal(decide(rules, n, (struct access){'c', 1, 9, R}), 1);     /* urandom */
    assert_int_equal(decide(rules, n, (struct access){'c', 1, 7, W}), 1);     /* full */
    assert_int_equal(decide(rules, n, (struct access){'c', 136, 4, RW}), 1);  /* pts/4 */
    assert_int_equal(decide(rules, n, (struct access){'c', 5, 2, RW}), 1);    /* ptmx */
    assert_int_equal(decide(rules, n, (struct access){'b', 8, 0, R}), 0);     /* /dev/sda */
    assert_int_equal(decide(rules, n, (struct access){'b', 8, 0, M}), 1);     /* but mknod it */
    assert_int_equal(decide(rules, n, (struct access){'c', 10, 229, RW}), 0); /* fuse */
    assert_int_equal(decide(rules, n, (struct access){'c', 4, 1, W}), 0);     /* tty1 */
    assert_int_equal(decide(rules, n, (struct access){'c', 1, 1, R}), 0);     /* /dev/mem */
}

static void test_runtime_cgroup_device_filter_replays_v1(void **state)
{
    /* allow all (privileged) */
    struct rt_dev_rule all[] = {{true, 'a', -1, -1, RT_DEV_RWM}};
    assert_int_equal(decide(all, 1, (struct access){'b', 8, 0, RW}), 1);

    /* allow all but one: a deny exception in allow mode */
    struct rt_dev_rule deny_one[] = {{true, 'a', -1, -1, RT_DEV_RWM},
                                     {false, 'c', 1, 1, RT_DEV_RWM}};
    assert_int_equal(decide(deny_one, 2, (struct access){'c', 1, 1, R}), 0);
    assert_int_equal(decide(deny_one, 2, (struct access){'c', 1, 3, R}), 1);

    /* a later "a" wipes what came before */
    struct rt_dev_rule reset[] = {{true, 'c', 1, 3, RT_DEV_RWM}, {false, 'a', -1, -1, RT_DEV_RWM}};
    assert_int_equal(decide(reset, 2, (struct access){'c', 1, 3, R}), 0);

    /* access is a subset check: "r" does not grant "w"; a deny takes "w" away again */
    struct rt_dev_rule partial[] = {{false, 'a', -1, -1, RT_DEV_RWM},
                                    {true, 'c', 1, 3, RT_DEV_RWM},
                                    {false, 'c', 1, 3, W},
                                    {true, 'b', -1, -1, R}};
    assert_int_equal(decide(partial, 4, (struct access){'c', 1, 3, R}), 1);
    assert_int_equal(decide(partial, 4, (struct access){'c', 1, 3, RW}), 0);
    assert_int_equal(decide(partial, 4, (struct access){'b', 259, 1, R}), 1);
    assert_int_equal(decide(partial, 4, (struct access){'b', 259, 1, RW}), 0);
    assert_int_equal(decide(partial, 4, (struct access){'c', 259, 1, R}), 0);

    /* no rules at all: deny everything, as runc's emulator starts */
    assert_int_equal(decide(NULL, 0, (struct access){'c', 1, 3, R}), 0);
}

static void test_runtime_cgroup_default_device_rules_only_with_rules(void **state)
{
    struct rt_resources none = {0};
    size_t n = 99;
    assert_null(rt_cgroup_device_rules(&none, &n));
    assert_int_equal(n, 0);
    /* an empty list is still a device policy: deny all but the standard nodes */
    struct rt_resources empty = {.has_devices = true};
    bt_autofree struct rt_dev_rule *rules = rt_cgroup_device_rules(&empty, &n);
    assert_true(n > 0);
    assert_int_equal(decide(rules, n, (struct access){'c', 1, 5, RW}), 1);
    assert_int_equal(decide(rules, n, (struct access){'b', 7, 0, R}), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_runtime_cgroup_cpu_shares_to_weight),
            cmocka_unit_test(test_runtime_cgroup_swap_to_v2),
            cmocka_unit_test(test_runtime_cgroup_device_filter_docker_defaults),
            cmocka_unit_test(test_runtime_cgroup_device_filter_replays_v1),
            cmocka_unit_test(test_runtime_cgroup_default_device_rules_only_with_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
