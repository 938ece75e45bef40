/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OCI "process" object: what runs, as whom, with which privileges and limits. Shared by
 * config.json's process (rt_start) and exec's process (rt_exec).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "guest/engine/runtime/runtime-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

static const struct {
    const char *name;
    int resource;
} rlimit_names[] = {
        {"RLIMIT_AS", RLIMIT_AS},
        {"RLIMIT_CORE", RLIMIT_CORE},
        {"RLIMIT_CPU", RLIMIT_CPU},
        {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_FSIZE", RLIMIT_FSIZE},
        {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
        {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
        {"RLIMIT_NICE", RLIMIT_NICE},
        {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_NPROC", RLIMIT_NPROC},
        {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
        {"RLIMIT_RTTIME", RLIMIT_RTTIME},
        {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_STACK", RLIMIT_STACK},
};

int rt_rlimit_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof(rlimit_names) / sizeof(rlimit_names[0]); i++) {
        if (strcmp(name, rlimit_names[i].name) == 0)
            return rlimit_names[i].resource;
    }
    return -1;
}

void rt_rlimit_clamp(uint64_t cur_hard, uint64_t *soft, uint64_t *hard)
{
    if (*hard > cur_hard)
        *hard = cur_hard;
    if (*soft > *hard)
        *soft = *hard;
}

static int parse_cap_set(const json_t *caps, const char *key, const char *where, uint64_t *mask,
                         bt_err **err)
{
    bt_autostrv char **names = NULL;
    if (rt_json_strv(caps, key, where, &names, err) < 0)
        return -1;
    *mask = 0;
    for (size_t i = 0; names && names[i]; i++) {
        int c = rt_cap_from_name(names[i]);
        if (c < 0) {
            bt_autofree char *w = rt_json_where(where, key);
            return bt_err_set(err, BT_E_INVALID, "spec: %s: unknown capability \"%s\"", w,
                              names[i]);
        }
        *mask |= UINT64_C(1) << c;
    }
    return 0;
}

static int parse_caps(const json_t *proc, const char *where, struct rt_process *p, bt_err **err)
{
    const json_t *caps;
    bt_autofree char *w = rt_json_where(where, "capabilities");
    if (rt_json_obj(proc, "capabilities", where, &caps, err) < 0)
        return -1;
    if (!caps)
        return 0;
    p->has_caps = true;
    if (parse_cap_set(caps, "bounding", w, &p->caps.bounding, err) < 0 ||
        parse_cap_set(caps, "effective", w, &p->caps.effective, err) < 0 ||
        parse_cap_set(caps, "inheritable", w, &p->caps.inheritable, err) < 0 ||
        parse_cap_set(caps, "permitted", w, &p->caps.permitted, err) < 0 ||
        parse_cap_set(caps, "ambient", w, &p->caps.ambient, err) < 0)
        return -1;
    return 0;
}

static int parse_rlimits(const json_t *proc, const char *where, struct rt_process *p, bt_err **err)
{
    const json_t *arr;
    bt_autofree char *w = rt_json_where(where, "rlimits");
    if (rt_json_arr(proc, "rlimits", where, &arr, err) < 0)
        return -1;
    if (!arr)
        return 0;
    p->rlimits = bt_xzalloc((json_array_size(arr) + 1) * sizeof(*p->rlimits));
    size_t i;
    const json_t *rl;
    json_array_foreach (arr, i, rl) {
        bt_autofree char *wi = rt_json_where_index(w, i);
        const char *type = NULL;
        int64_t soft = 0, hard = 0;
        bool has_soft, has_hard;
        if (!json_is_object(rl))
            return bt_err_set(err, BT_E_INVALID, "spec: %s: expected an object", wi);
        if (rt_json_str(rl, "type", wi, &type, err) < 0 ||
            rt_json_int(rl, "soft", wi, 0, INT64_MAX, &has_soft, &soft, err) < 0 ||
            rt_json_int(rl, "hard", wi, 0, INT64_MAX, &has_hard, &hard, err) < 0)
            return -1;
        int res = type ? rt_rlimit_from_name(type) : -1;
        if (res < 0)
            return bt_err_set(err, BT_E_INVALID, "spec: %s.type: unknown rlimit \"%s\"", wi,
                              type ? type : "");
        if (!has_soft || !has_hard)
            return bt_err_set(err, BT_E_INVALID, "spec: %s: needs both soft and hard", wi);
        p->rlimits[p->nrlimits++] = (struct rt_rlimit){res, (uint64_t)soft, (uint64_t)hard};
    }
    return 0;
}

static int parse_user(const json_t *proc, const char *where, struct rt_process *p, bt_err **err)
{
    const json_t *user;
    bt_autofree char *w = rt_json_where(where, "user");
    if (rt_json_obj(proc, "user", where, &user, err) < 0)
        return -1;
    if (!user)
        return 0;
    int64_t uid = 0, gid = 0, umask = 0;
    const json_t *gids;
    if (rt_json_int(user, "uid", w, 0, UINT32_MAX - 1, NULL, &uid, err) < 0 ||
        rt_json_int(user, "gid", w, 0, UINT32_MAX - 1, NULL, &gid, err) < 0 ||
        rt_json_int(user, "umask", w, 0, 0777, &p->has_umask, &umask, err) < 0 ||
        rt_json_arr(user, "additionalGids", w, &gids, err) < 0)
        return -1;
    p->uid = (uid_t)uid;
    p->gid = (gid_t)gid;
    p->umask = (mode_t)umask;
    if (!gids)
        return 0;
    p->groups = bt_xzalloc((json_array_size(gids) + 1) * sizeof(gid_t));
    size_t i;
    const json_t *g;
    json_array_foreach (gids, i, g) {
        if (!json_is_integer(g) || json_integer_value(g) < 0 || json_integer_value(g) >= UINT32_MAX)
            return bt_err_set(err, BT_E_INVALID, "spec: %s.additionalGids: expected group ids", w);
        p->groups[p->ngroups++] = (gid_t)json_integer_value(g);
    }
    return 0;
}

static int check_env(char *const *env, const char *where, bt_err **err)
{
    for (size_t i = 0; env && env[i]; i++) {
        const char *eq = strchr(env[i], '=');
        if (!eq || eq == env[i])
            return bt_err_set(err, BT_E_INVALID,
                              "spec: %s.env[%zu]: \"%s\" is not of the form NAME=value", where, i,
                              env[i]);
    }
    return 0;
}

int rt_process_parse(const json_t *obj, const char *where, struct rt_process *p, bt_err **err)
{
    memset(p, 0, sizeof(*p));
    if (!json_is_object(obj))
        return bt_err_set(err, BT_E_INVALID, "spec: %s: expected an object", where);
    const char *cwd = NULL;
    int64_t oom = 0;
    const json_t *size;
    if (rt_json_strv(obj, "args", where, &p->args, err) < 0 ||
        rt_json_strv(obj, "env", where, &p->env, err) < 0 ||
        rt_json_str(obj, "cwd", where, &cwd, err) < 0 ||
        rt_json_bool(obj, "terminal", where, &p->terminal, err) < 0 ||
        rt_json_bool(obj, "noNewPrivileges", where, &p->no_new_privs, err) < 0 ||
        rt_json_int(obj, "oomScoreAdj", where, -1000, 1000, &p->has_oom_score_adj, &oom, err) < 0 ||
        rt_json_obj(obj, "consoleSize", where, &size, err) < 0)
        return -1;
    if (!p->args || !p->args[0])
        return bt_err_set(err, BT_E_INVALID, "spec: %s.args: must name the command to run", where);
    if (check_env(p->env, where, err) < 0)
        return -1;
    if (cwd && cwd[0] != '/')
        return bt_err_set(err, BT_E_INVALID, "spec: %s.cwd: \"%s\" is not an absolute path", where,
                          cwd);
    p->cwd = bt_xstrdup(cwd ? cwd : "/");
    p->oom_score_adj = (int)oom;
    if (size) {
        bt_autofree char *w = rt_json_where(where, "consoleSize");
        int64_t h = 0, wd = 0;
        if (rt_json_int(size, "height", w, 0, UINT16_MAX, NULL, &h, err) < 0 ||
            rt_json_int(size, "width", w, 0, UINT16_MAX, NULL, &wd, err) < 0)
            return -1;
        p->rows = (unsigned short)h;
        p->cols = (unsigned short)wd;
    }
    if (parse_user(obj, where, p, err) < 0 || parse_caps(obj, where, p, err) < 0 ||
        parse_rlimits(obj, where, p, err) < 0)
        return -1;
    return 0;
}

void rt_process_clear(struct rt_process *p)
{
    bt_strv_free(p->args);
    bt_strv_free(p->env);
    free(p->cwd);
    free(p->groups);
    free(p->rlimits);
    memset(p, 0, sizeof(*p));
}

struct rt_process *rt_process_from_json(const json_t *process, bt_err **err)
{
    struct rt_process *p = bt_xzalloc(sizeof(*p));
    if (rt_process_parse(process, "process", p, err) < 0) {
        rt_process_free(p);
        return NULL;
    }
    return p;
}

void rt_process_free(struct rt_process *p)
{
    if (!p)
        return;
    rt_process_clear(p);
    free(p);
}
