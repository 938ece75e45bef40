/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup v2 device access: a BPF_PROG_TYPE_CGROUP_DEVICE program, written here instruction by
 * instruction (it is a dozen of them per rule; no libbpf, no compiler), loaded with bpf(2)
 * and attached to the container's cgroup with BPF_CGROUP_DEVICE. The kernel runs it on every
 * open and mknod of a device node by a process in the cgroup: it returns 1 to allow, 0 to
 * refuse (EPERM).
 *
 * The OCI rules are written for v1's devices controller, where their order matters. They are
 * first replayed into what v1 would end up with (a default plus exceptions, all of the other
 * effect), so the program does not depend on order: check each exception, then the default.
 * This is runc's design (opencontainers/cgroups devices/devicefilter.go, after crun's ebpf.c).
 *
 * The program's input (struct bpf_cgroup_dev_ctx): access_type (u32: access << 16 | type),
 * major (u32), minor (u32).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest/engine/runtime/cgroup.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

/* ---- the v1 replay ---- */

static bool same_node(const struct rt_dev_rule *a, const struct rt_dev_rule *b)
{
    return a->type == b->type && a->major == b->major && a->minor == b->minor;
}

void rt_dev_policy_build(const struct rt_dev_rule *rules, size_t n, struct rt_dev_policy *out)
{
    /* Before any rule: deny everything (runc's emulator starts in allow-list mode). */
    memset(out, 0, sizeof(*out));
    out->exceptions = bt_xreallocarray(NULL, n + 1, sizeof(*out->exceptions));
    for (size_t i = 0; i < n; i++) {
        const struct rt_dev_rule *r = &rules[i];
        if (r->type == 'a') {
            /* "a" in devices.allow or devices.deny: everything, whatever follows it. */
            out->default_allow = r->allow;
            out->n = 0;
            continue;
        }
        size_t k = 0;
        while (k < out->n && !same_node(&out->exceptions[k], r))
            k++;
        if (r->allow != out->default_allow) {
            if (k == out->n)
                out->exceptions[out->n++] = *r;
            else
                out->exceptions[k].access |= r->access;
            continue;
        }
        /* The default's own effect: take the access away from an identical exception. v1
         * cannot punch a hole into a wildcard exception either; it ignores such a rule. */
        if (k == out->n)
            continue;
        out->exceptions[k].access &= ~r->access;
        if (out->exceptions[k].access == 0)
            out->exceptions[k] = out->exceptions[--out->n];
    }
}

void rt_dev_policy_clear(struct rt_dev_policy *p)
{
    free(p->exceptions);
    memset(p, 0, sizeof(*p));
}

/* ---- the program ---- */

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
    return (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

#define LDX_W(dst, src, off)   insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define AND32_IMM(dst, imm)    insn(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH32_IMM(dst, imm)    insn(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src)    insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV32_IMM(dst, imm)    insn(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, off) insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define JNE_REG(dst, src, off) insn(BPF_JMP | BPF_JNE | BPF_X, dst, src, off, 0)
#define EXIT()                 insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

enum { R0, R1, R2, R3, R4, R5 };

/* One exception: at most 8 instructions, each test jumping past the block on a mismatch,
 * the block ending in "return <the exception's effect>". */
static size_t emit_exception(const struct rt_dev_rule *r, bool allow, struct bpf_insn *out)
{
    size_t n = 0;
    if (r->type != 'a')
        out[n++] = JNE_IMM(R2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
    if ((r->access & RT_DEV_RWM) != RT_DEV_RWM) {
        /* The access asked for must lie within the rule's: (asked & rule) == asked. */
        out[n++] = MOV32_REG(R1, R3);
        out[n++] = AND32_IMM(R1, (int32_t)r->access);
        out[n++] = JNE_REG(R1, R3, 0);
    }
    if (r->major >= 0)
        out[n++] = JNE_IMM(R4, (int32_t)r->major, 0);
    if (r->minor >= 0)
        out[n++] = JNE_IMM(R5, (int32_t)r->minor, 0);
    out[n++] = MOV32_IMM(R0, allow ? 1 : 0);
    out[n++] = EXIT();
    for (size_t i = 0; i < n; i++) {
        if (out[i].code == (BPF_JMP | BPF_JNE | BPF_K) ||
            out[i].code == (BPF_JMP | BPF_JNE | BPF_X))
            out[i].off = (int16_t)(n - i - 1); /* to the first instruction after the block */
    }
    return n;
}

void rt_dev_bpf_program(const struct rt_dev_policy *p, struct bpf_insn **out, size_t *n)
{
    struct bpf_insn *prog = bt_xreallocarray(NULL, 6 + 8 * p->n + 2, sizeof(*prog));
    size_t i = 0;
    prog[i++] = LDX_W(R2, R1, 0); /* type = access_type & 0xffff */
    prog[i++] = AND32_IMM(R2, 0xffff);
    prog[i++] = LDX_W(R3, R1, 0); /* access = access_type >> 16 */
    prog[i++] = RSH32_IMM(R3, 16);
    prog[i++] = LDX_W(R4, R1, 4); /* major */
    prog[i++] = LDX_W(R5, R1, 8); /* minor */
    for (size_t k = 0; k < p->n; k++)
        i += emit_exception(&p->exceptions[k], !p->default_allow, prog + i);
    prog[i++] = MOV32_IMM(R0, p->default_allow ? 1 : 0);
    prog[i++] = EXIT();
    *out = prog;
    *n = i;
}

/* ---- loading and attaching ---- */

static int load(const struct bpf_insn *prog, size_t n, bt_err **err)
{
    char log[4096] = "";
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t)(uintptr_t)prog;
    attr.insn_cnt = (uint32_t)n;
    attr.license = (uint64_t)(uintptr_t) "Apache";
    attr.log_buf = (uint64_t)(uintptr_t)log;
    attr.log_size = sizeof(log);
    attr.log_level = 1;
    int fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
    if (fd < 0 && errno == ENOSPC) {
        /* The log did not fit; the program may still be fine: retry without one. */
        attr.log_buf = 0;
        attr.log_size = 0;
        attr.log_level = 0;
        fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
    }
    if (fd < 0) {
        int e = errno;
        log[sizeof(log) - 1] = '\0';
        return bt_err_errno(err, e, "cgroup: load the device filter%s%s", log[0] ? ": " : "", log);
    }
    return fd;
}

int rt_dev_bpf_attach(const char *cgroup_dir, const struct rt_dev_rule *rules, size_t n,
                      bt_err **err)
{
    struct rt_dev_policy policy;
    rt_dev_policy_build(rules, n, &policy);
    bt_autofree struct bpf_insn *prog = NULL;
    size_t len;
    rt_dev_bpf_program(&policy, &prog, &len);
    rt_dev_policy_clear(&policy);

    bt_autoclose int progfd = load(prog, len, err);
    if (progfd < 0)
        return -1;
    bt_autoclose int cgfd = open(cgroup_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (cgfd < 0)
        return bt_err_errno(err, errno, "open \"%s\"", cgroup_dir);
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)cgfd;
    attr.attach_bpf_fd = (uint32_t)progfd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    /* ALLOW_MULTI: a program attached above (by a parent cgroup's owner) keeps running too;
     * access needs the consent of all of them. The attachment lives as long as the cgroup,
     * not our fds. */
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr)) < 0)
        return bt_err_errno(err, errno, "cgroup: attach the device filter to \"%s\"", cgroup_dir);
    return 0;
}
