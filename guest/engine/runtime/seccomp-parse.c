/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.seccomp, validated into plain data (no libseccomp here, so that the parser is tested
 * without it and a bad profile fails at parse time, not in the container's child).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/runtime/runtime-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

static const struct {
    const char *name;
    enum rt_scmp_action action;
} actions[] = {
        {"SCMP_ACT_KILL", RT_SCMP_KILL_THREAD},
        {"SCMP_ACT_KILL_THREAD", RT_SCMP_KILL_THREAD},
        {"SCMP_ACT_KILL_PROCESS", RT_SCMP_KILL_PROCESS},
        {"SCMP_ACT_TRAP", RT_SCMP_TRAP},
        {"SCMP_ACT_ERRNO", RT_SCMP_ERRNO},
        {"SCMP_ACT_TRACE", RT_SCMP_TRACE},
        {"SCMP_ACT_ALLOW", RT_SCMP_ALLOW},
        {"SCMP_ACT_LOG", RT_SCMP_LOG},
};

static const struct {
    const char *name;
    enum rt_scmp_op op;
} ops[] = {
        {"SCMP_CMP_NE", RT_SCMP_CMP_NE},
        {"SCMP_CMP_LT", RT_SCMP_CMP_LT},
        {"SCMP_CMP_LE", RT_SCMP_CMP_LE},
        {"SCMP_CMP_EQ", RT_SCMP_CMP_EQ},
        {"SCMP_CMP_GE", RT_SCMP_CMP_GE},
        {"SCMP_CMP_GT", RT_SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", RT_SCMP_CMP_MASKED_EQ},
};

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static int parse_action(const char *name, const char *where, enum rt_scmp_action *out, bt_err **err)
{
    for (size_t i = 0; i < N_ELEMENTS(actions); i++) {
        if (strcmp(name, actions[i].name) == 0) {
            *out = actions[i].action;
            return 0;
        }
    }
    /* SCMP_ACT_NOTIFY needs a listener to hand the fd to: not something this runtime has. */
    return bt_err_set(err, BT_E_INVALID, "spec: %s: unsupported seccomp action \"%s\"", where,
                      name);
}

static int parse_errno(const json_t *obj, const char *key, const char *where, int def, int *out,
                       bt_err **err)
{
    int64_t v = def;
    if (rt_json_int(obj, key, where, 0, 4095, NULL, &v, err) < 0)
        return -1;
    *out = (int)v;
    return 0;
}

/* The 64-bit argument values: jansson holds integers as signed 64-bit, so values above
 * INT64_MAX cannot reach us; negative ones are read as their two's complement, which is what
 * a Go uint64 that was written as a negative number by a sloppy generator would mean. */
static int parse_u64(const json_t *obj, const char *key, const char *where, uint64_t *out,
                     bt_err **err)
{
    int64_t v = 0;
    if (rt_json_int(obj, key, where, INT64_MIN, INT64_MAX, NULL, &v, err) < 0)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

static int parse_arg(const json_t *a, const char *where, struct rt_scmp_arg *out, bt_err **err)
{
    int64_t index = -1;
    const char *op = NULL;
    if (!json_is_object(a))
        return bt_err_set(err, BT_E_INVALID, "spec: %s: expected an object", where);
    if (rt_json_int(a, "index", where, 0, 5, NULL, &index, err) < 0 ||
        parse_u64(a, "value", where, &out->value, err) < 0 ||
        parse_u64(a, "valueTwo", where, &out->value_two, err) < 0 ||
        rt_json_str(a, "op", where, &op, err) < 0)
        return -1;
    if (index < 0)
        return bt_err_set(err, BT_E_INVALID, "spec: %s.index: missing", where);
    out->index = (unsigned)index;
    for (size_t i = 0; op && i < N_ELEMENTS(ops); i++) {
        if (strcmp(op, ops[i].name) == 0) {
            out->op = ops[i].op;
            return 0;
        }
    }
    return bt_err_set(err, BT_E_INVALID, "spec: %s.op: unknown operator \"%s\"", where,
                      op ? op : "");
}

static int parse_rule(const json_t *r, const char *where, struct rt_scmp_rule *out, bt_err **err)
{
    const char *action = NULL;
    const json_t *args;
    if (!json_is_object(r))
        return bt_err_set(err, BT_E_INVALID, "spec: %s: expected an object", where);
    if (rt_json_strv(r, "names", where, &out->names, err) < 0 ||
        rt_json_str(r, "action", where, &action, err) < 0 ||
        rt_json_arr(r, "args", where, &args, err) < 0)
        return -1;
    if (!out->names || !out->names[0])
        return bt_err_set(err, BT_E_INVALID, "spec: %s.names: must name system calls", where);
    bt_autofree char *wa = rt_json_where(where, "action");
    if (!action)
        return bt_err_set(err, BT_E_INVALID, "spec: %s: missing", wa);
    if (parse_action(action, wa, &out->action, err) < 0 ||
        parse_errno(r, "errnoRet", where, EPERM, &out->errno_ret, err) < 0)
        return -1;
    if (!args)
        return 0;
    out->args = bt_xzalloc((json_array_size(args) + 1) * sizeof(*out->args));
    size_t i;
    const json_t *a;
    json_array_foreach (args, i, a) {
        bt_autofree char *wi = bt_xasprintf("%s.args[%zu]", where, i);
        if (parse_arg(a, wi, &out->args[out->nargs++], err) < 0)
            return -1;
    }
    return 0;
}

struct rt_seccomp *rt_seccomp_parse(const json_t *obj, const char *where, bt_err **err)
{
    bt_autofree char *wd = rt_json_where(where, "defaultAction");
    bt_autofree char *ws = rt_json_where(where, "syscalls");
    bt_autoptr(rt_seccomp) s = bt_xzalloc(sizeof(*s));
    const char *def = NULL;
    const json_t *rules;
    if (rt_json_str(obj, "defaultAction", where, &def, err) < 0 ||
        parse_errno(obj, "defaultErrnoRet", where, EPERM, &s->default_errno, err) < 0 ||
        rt_json_strv(obj, "architectures", where, &s->arches, err) < 0 ||
        rt_json_arr(obj, "syscalls", where, &rules, err) < 0)
        return NULL;
    if (!def) {
        bt_err_set(err, BT_E_INVALID, "spec: %s: missing", wd);
        return NULL;
    }
    if (parse_action(def, wd, &s->default_action, err) < 0)
        return NULL;
    for (size_t i = 0; s->arches && s->arches[i]; i++) {
        if (strncmp(s->arches[i], "SCMP_ARCH_", 10) != 0) {
            bt_err_set(err, BT_E_INVALID, "spec: %s.architectures: unknown architecture \"%s\"",
                       where, s->arches[i]);
            return NULL;
        }
    }
    if (rules) {
        s->rules = bt_xzalloc((json_array_size(rules) + 1) * sizeof(*s->rules));
        size_t i;
        const json_t *r;
        json_array_foreach (rules, i, r) {
            bt_autofree char *wi = rt_json_where_index(ws, i);
            if (parse_rule(r, wi, &s->rules[s->nrules++], err) < 0)
                return NULL;
        }
    }
    return bt_steal_ptr(&s);
}

void rt_seccomp_free(struct rt_seccomp *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nrules; i++) {
        bt_strv_free(s->rules[i].names);
        free(s->rules[i].args);
    }
    free(s->rules);
    bt_strv_free(s->arches);
    free(s);
}
