/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one home of libseccomp: a parsed linux.seccomp compiled into a BPF filter and loaded,
 * with runc's reading of the OCI profile:
 *  - system calls libseccomp does not know (a profile newer than the library) are skipped;
 *  - a rule whose action is the default action is skipped (libseccomp refuses it);
 *  - conditions on distinct arguments are ANDed in one rule; several conditions on the same
 *    argument, which libseccomp cannot AND, become one rule each (ORed), as runc does.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest/engine/runtime/runtime-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"

BT_DEFINE_AUTOPTR(scmp_ctx, void, seccomp_release);

static uint32_t action_value(enum rt_scmp_action a, int errno_ret)
{
    switch (a) {
    case RT_SCMP_KILL_THREAD:
        return SCMP_ACT_KILL_THREAD;
    case RT_SCMP_KILL_PROCESS:
        return SCMP_ACT_KILL_PROCESS;
    case RT_SCMP_TRAP:
        return SCMP_ACT_TRAP;
    case RT_SCMP_ERRNO:
        return SCMP_ACT_ERRNO((uint32_t)errno_ret);
    case RT_SCMP_TRACE:
        return SCMP_ACT_TRACE((uint32_t)errno_ret);
    case RT_SCMP_LOG:
        return SCMP_ACT_LOG;
    case RT_SCMP_ALLOW:
        break;
    }
    return SCMP_ACT_ALLOW;
}

static enum scmp_compare op_value(enum rt_scmp_op op)
{
    switch (op) {
    case RT_SCMP_CMP_NE:
        return SCMP_CMP_NE;
    case RT_SCMP_CMP_LT:
        return SCMP_CMP_LT;
    case RT_SCMP_CMP_LE:
        return SCMP_CMP_LE;
    case RT_SCMP_CMP_EQ:
        return SCMP_CMP_EQ;
    case RT_SCMP_CMP_GE:
        return SCMP_CMP_GE;
    case RT_SCMP_CMP_GT:
        return SCMP_CMP_GT;
    case RT_SCMP_CMP_MASKED_EQ:
        break;
    }
    return SCMP_CMP_MASKED_EQ;
}

static struct scmp_arg_cmp arg_cmp(const struct rt_scmp_arg *a)
{
    return (struct scmp_arg_cmp){a->index, op_value(a->op), a->value, a->value_two};
}

static bool same_index_twice(const struct rt_scmp_rule *r)
{
    for (size_t i = 0; i < r->nargs; i++) {
        for (size_t k = i + 1; k < r->nargs; k++) {
            if (r->args[i].index == r->args[k].index)
                return true;
        }
    }
    return false;
}

static int add_rule(scmp_filter_ctx ctx, const struct rt_scmp_rule *r, const char *name,
                    uint32_t action, bt_err **err)
{
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR)
        return 0;
    int rc = 0;
    if (r->nargs == 0) {
        rc = seccomp_rule_add_array(ctx, action, nr, 0, NULL);
    } else if (!same_index_twice(r)) {
        struct scmp_arg_cmp cmp[6];
        for (size_t i = 0; i < r->nargs && i < 6; i++)
            cmp[i] = arg_cmp(&r->args[i]);
        rc = seccomp_rule_add_array(ctx, action, nr, (unsigned)(r->nargs < 6 ? r->nargs : 6), cmp);
    } else {
        for (size_t i = 0; i < r->nargs && rc == 0; i++) {
            struct scmp_arg_cmp cmp = arg_cmp(&r->args[i]);
            rc = seccomp_rule_add_array(ctx, action, nr, 1, &cmp);
        }
    }
    if (rc < 0)
        return bt_err_errno(err, -rc, "seccomp: add rule for \"%s\"", name);
    return 0;
}

static int add_arches(scmp_filter_ctx ctx, char *const *arches, bt_err **err)
{
    for (size_t i = 0; arches && arches[i]; i++) {
        /* "SCMP_ARCH_X86_64" is libseccomp's "x86_64". */
        bt_autofree char *name = bt_xstrdup(arches[i] + strlen("SCMP_ARCH_"));
        for (char *c = name; *c; c++)
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
        uint32_t token = seccomp_arch_resolve_name(name);
        if (token == 0)
            return bt_err_set(err, BT_E_INVALID, "seccomp: unknown architecture \"%s\"", arches[i]);
        int rc = seccomp_arch_add(ctx, token);
        if (rc < 0 && rc != -EEXIST)
            return bt_err_errno(err, -rc, "seccomp: add architecture \"%s\"", arches[i]);
    }
    return 0;
}

/* The profile as text that names it exactly (strings length-prefixed, so that no two profiles
 * read the same), with what else decides the program: libseccomp's version and the kernel
 * features it found (its API level). */
static char *cache_key(const struct rt_seccomp *s)
{
    const struct scmp_version *v = seccomp_version();
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_appendf(&sb, "libseccomp %u.%u.%u api %u\ndefault %d %d\n", v->major, v->minor,
                      v->micro, seccomp_api_get(), (int)s->default_action, s->default_errno);
    for (size_t i = 0; s->arches && s->arches[i]; i++)
        bt_strbuf_appendf(&sb, "arch %zu:%s\n", strlen(s->arches[i]), s->arches[i]);
    for (size_t i = 0; i < s->nrules; i++) {
        const struct rt_scmp_rule *r = &s->rules[i];
        bt_strbuf_appendf(&sb, "rule %d %d", (int)r->action, r->errno_ret);
        for (size_t k = 0; r->names[k]; k++)
            bt_strbuf_appendf(&sb, " %zu:%s", strlen(r->names[k]), r->names[k]);
        for (size_t k = 0; k < r->nargs; k++)
            bt_strbuf_appendf(&sb, " arg %u %d %" PRIu64 " %" PRIu64, r->args[k].index,
                              (int)r->args[k].op, r->args[k].value, r->args[k].value_two);
        bt_strbuf_append_c(&sb, '\n');
    }
    return bt_strbuf_steal(&sb);
}

int rt_seccomp_compile(const struct rt_seccomp *s, bt_err **err)
{
    bt_autofree char *key = cache_key(s);
    int cached = rt_seccomp_cache_get(key);
    if (cached >= 0)
        return cached;
    uint32_t def = action_value(s->default_action, s->default_errno);
    bt_autoptr(scmp_ctx) ctx = seccomp_init(def);
    if (!ctx)
        return bt_err_set(err, BT_E_INVALID, "seccomp: cannot create a filter");
    /* no_new_privs is the process's own setting (process.noNewPrivileges); libseccomp must not
     * force it. */
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    if (rc < 0)
        return bt_err_errno(err, -rc, "seccomp: set attribute");
    if (add_arches(ctx, s->arches, err) < 0)
        return -1;
    for (size_t i = 0; i < s->nrules; i++) {
        const struct rt_scmp_rule *r = &s->rules[i];
        uint32_t action = action_value(r->action, r->errno_ret);
        if (action == def)
            continue;
        for (size_t k = 0; r->names[k]; k++) {
            if (add_rule(ctx, r, r->names[k], action, err) < 0)
                return -1;
        }
    }
    bt_autoclose int fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
    if (fd < 0)
        return bt_err_errno(err, errno, "seccomp: memfd_create");
    rc = seccomp_export_bpf(ctx, fd);
    if (rc < 0)
        return bt_err_errno(err, -rc, "seccomp: compile the filter");
    rt_seccomp_cache_put(key, fd);
    return bt_steal_fd(&fd);
}

int rt_seccomp_load_bpf(int fd, bt_err **err)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return bt_err_errno(err, errno, "seccomp: stat the filter");
    size_t len = (size_t)st.st_size;
    if (len == 0 || len % sizeof(struct sock_filter) || len / sizeof(struct sock_filter) > 0xffff)
        return bt_err_set(err, BT_E_INTERNAL, "seccomp: the filter has %zu bytes", len);
    bt_autofree struct sock_filter *insns = bt_xmalloc(len);
    ssize_t n = pread(fd, insns, len, 0);
    if (n < 0 || (size_t)n != len)
        return bt_err_errno(err, n < 0 ? errno : EIO, "seccomp: read the filter");
    struct sock_fprog prog = {.len = (unsigned short)(len / sizeof(struct sock_filter)),
                              .filter = insns};
    /* No flags: what seccomp_load() does with libseccomp's default attributes. */
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
        return bt_err_errno(err, errno, "seccomp: load the filter");
    return 0;
}
