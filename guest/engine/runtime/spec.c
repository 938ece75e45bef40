/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.json (opencontainers/runtime-spec, config.md and config-linux.md) into struct
 * rt_spec. Everything is checked here, before any fork, so that a bad spec is an error for the
 * caller with the member's name in it rather than a failure halfway through a container's
 * set-up.
 */
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/runtime/runtime-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"

static const struct {
    const char *oci_name; /* linux.namespaces[].type */
    const char *proc_name;
    int flag;
} ns_table[RT_NS_COUNT] = {
        [RT_NS_PID] = {"pid", "pid", CLONE_NEWPID},
        [RT_NS_NET] = {"network", "net", CLONE_NEWNET},
        [RT_NS_MNT] = {"mount", "mnt", CLONE_NEWNS},
        [RT_NS_IPC] = {"ipc", "ipc", CLONE_NEWIPC},
        [RT_NS_UTS] = {"uts", "uts", CLONE_NEWUTS},
        [RT_NS_CGROUP] = {"cgroup", "cgroup", CLONE_NEWCGROUP},
        [RT_NS_TIME] = {"time", "time", CLONE_NEWTIME},
};

int rt_ns_clone_flag(enum rt_ns_type t)
{
    return ns_table[t].flag;
}

const char *rt_ns_proc_name(enum rt_ns_type t)
{
    return ns_table[t].proc_name;
}

/* Bind sources and the root may be relative to the bundle (runc resolves them so). */
static char *bundle_path(const struct rt_spec *s, const char *p)
{
    return p[0] == '/' ? bt_path_clean(p) : bt_path_join(s->bundle, p);
}

static int check_abs(const char *where, const char *p, bt_err **err)
{
    if (p[0] != '/')
        return bt_err_set(err, BT_E_INVALID, "spec: %s: \"%s\" is not an absolute path", where, p);
    return 0;
}

static int parse_root(const json_t *config, struct rt_spec *s, bt_err **err)
{
    const json_t *root;
    const char *path = NULL;
    if (rt_json_obj(config, "root", "", &root, err) < 0 ||
        rt_json_str(root, "path", "root", &path, err) < 0 ||
        rt_json_bool(root, "readonly", "root", &s->root_readonly, err) < 0)
        return -1;
    if (!path || !path[0])
        return bt_err_set(err, BT_E_INVALID, "spec: root.path: missing");
    s->root = bundle_path(s, path);
    return 0;
}

static int parse_mount(const json_t *m, const char *where, struct rt_spec *s, struct rt_mount *out,
                       bt_err **err)
{
    const char *dest = NULL, *type = NULL, *source = NULL;
    bt_autostrv char **opts = NULL;
    if (!json_is_object(m))
        return bt_err_set(err, BT_E_INVALID, "spec: %s: expected an object", where);
    if (rt_json_str(m, "destination", where, &dest, err) < 0 ||
        rt_json_str(m, "type", where, &type, err) < 0 ||
        rt_json_str(m, "source", where, &source, err) < 0 ||
        rt_json_strv(m, "options", where, &opts, err) < 0)
        return -1;
    if (!dest || !dest[0])
        return bt_err_set(err, BT_E_INVALID, "spec: %s.destination: missing", where);
    bt_autofree char *wd = rt_json_where(where, "destination");
    if (check_abs(wd, dest, err) < 0)
        return -1;
    bt_autofree char *wo = rt_json_where(where, "options");
    if (rt_mount_opts_parse(opts, &out->opts, err) < 0)
        return bt_err_wrap(err, "spec: %s", wo);
    out->destination = bt_path_clean(dest);
    out->type = bt_xstrdup_or_null(type && type[0] ? type : NULL);
    if (out->type && strcmp(out->type, "bind") == 0)
        out->opts.bind = true;
    if (!out->opts.bind && !out->type)
        return bt_err_set(err, BT_E_INVALID, "spec: %s.type: missing", where);
    if (out->opts.bind) {
        if (!source || !source[0])
            return bt_err_set(err, BT_E_INVALID, "spec: %s.source: a bind mount needs one", where);
        out->source = bundle_path(s, source);
    } else {
        out->source = bt_xstrdup(source && source[0] ? source : out->type);
    }
    return 0;
}

static int parse_mounts(const json_t *config, struct rt_spec *s, bt_err **err)
{
    const json_t *mounts;
    if (rt_json_arr(config, "mounts", "", &mounts, err) < 0)
        return -1;
    if (!mounts)
        return 0;
    s->mounts = bt_xzalloc((json_array_size(mounts) + 1) * sizeof(*s->mounts));
    size_t i;
    const json_t *m;
    json_array_foreach (mounts, i, m) {
        bt_autofree char *w = rt_json_where_index("mounts", i);
        if (parse_mount(m, w, s, &s->mounts[s->nmounts++], err) < 0)
            return -1;
    }
    return 0;
}

static int parse_namespaces(const json_t *lnx, struct rt_spec *s, bt_err **err)
{
    const json_t *arr;
    if (rt_json_arr(lnx, "namespaces", "linux", &arr, err) < 0)
        return -1;
    size_t i;
    const json_t *n;
    json_array_foreach (arr, i, n) {
        bt_autofree char *w = rt_json_where_index("linux.namespaces", i);
        const char *type = NULL, *path = NULL;
        if (!json_is_object(n))
            return bt_err_set(err, BT_E_INVALID, "spec: %s: expected an object", w);
        if (rt_json_str(n, "type", w, &type, err) < 0 || rt_json_str(n, "path", w, &path, err) < 0)
            return -1;
        if (type && strcmp(type, "user") == 0)
            return bt_err_set(err, BT_E_UNSUPPORTED,
                              "spec: %s.type: user namespaces are not supported", w);
        int t = -1;
        for (int k = 0; k < RT_NS_COUNT && type; k++) {
            if (strcmp(type, ns_table[k].oci_name) == 0)
                t = k;
        }
        if (t < 0)
            return bt_err_set(err, BT_E_INVALID, "spec: %s.type: unknown namespace \"%s\"", w,
                              type ? type : "");
        if (s->ns[t].enabled)
            return bt_err_set(err, BT_E_INVALID, "spec: %s: namespace \"%s\" is listed twice", w,
                              type);
        s->ns[t].enabled = true;
        if (path && path[0]) {
            bt_autofree char *wp = rt_json_where(w, "path");
            if (check_abs(wp, path, err) < 0)
                return -1;
            s->ns[t].path = bt_xstrdup(path);
        }
    }
    return 0;
}

static int parse_cgroups_path(const json_t *lnx, struct rt_spec *s, bt_err **err)
{
    const char *p = NULL;
    if (rt_json_str(lnx, "cgroupsPath", "linux", &p, err) < 0)
        return -1;
    if (!p || !p[0])
        return 0;
    /* Relative paths (runc: below the caller's own cgroup) and systemd's "slice:prefix:name"
     * would make the place depend on who asks; the engine always knows the absolute one. */
    if (p[0] != '/')
        return bt_err_set(err, BT_E_INVALID,
                          "spec: linux.cgroupsPath: \"%s\" must be an absolute path", p);
    bt_autofree char *copy = bt_xstrdup(p);
    char *save = NULL;
    for (char *e = strtok_r(copy, "/", &save); e; e = strtok_r(NULL, "/", &save)) {
        if (strcmp(e, "..") == 0 || strcmp(e, ".") == 0)
            return bt_err_set(err, BT_E_INVALID,
                              "spec: linux.cgroupsPath: \"%s\" must not contain \"%s\"", p, e);
    }
    s->cgroups_path = bt_path_clean(p);
    if (strcmp(s->cgroups_path, "/") == 0)
        return bt_err_set(err, BT_E_INVALID,
                          "spec: linux.cgroupsPath: a container cannot own the root cgroup");
    return 0;
}

static int parse_access(const char *access, const char *where, unsigned *out, bt_err **err)
{
    *out = 0;
    for (const char *c = access; *c; c++) {
        switch (*c) {
        case 'r':
            *out |= RT_DEV_READ;
            break;
        case 'w':
            *out |= RT_DEV_WRITE;
            break;
        case 'm':
            *out |= RT_DEV_MKNOD;
            break;
        default:
            return bt_err_set(err, BT_E_INVALID, "spec: %s.access: \"%s\" is not made of r, w, m",
                              where, access);
        }
    }
    return 0;
}

static int parse_dev_rule(const json_t *d, const char *where, struct rt_dev_rule *out, bt_err **err)
{
    const char *type = NULL, *access = NULL;
    if (!json_is_object(d))
        return bt_err_set(err, BT_E_INVALID, "spec: %s: expected an object", where);
    out->major = out->minor = -1;
    if (rt_json_bool(d, "allow", where, &out->allow, err) < 0 ||
        rt_json_str(d, "type", where, &type, err) < 0 ||
        rt_json_int(d, "major", where, -1, INT32_MAX, NULL, &out->major, err) < 0 ||
        rt_json_int(d, "minor", where, -1, INT32_MAX, NULL, &out->minor, err) < 0 ||
        rt_json_str(d, "access", where, &access, err) < 0)
        return -1;
    /* A missing type or access means all of them (config-linux.md, "Device allowlist"). */
    out->type = type && type[0] ? type[0] : 'a';
    if (type && (strlen(type) > 1 || !strchr("abc", out->type)))
        return bt_err_set(err, BT_E_INVALID, "spec: %s.type: \"%s\" is not a, b or c", where, type);
    if (!access || !access[0]) {
        out->access = RT_DEV_RWM;
        return 0;
    }
    return parse_access(access, where, &out->access, err);
}

static int parse_memory(const json_t *res, struct rt_resources *r, bt_err **err)
{
    const json_t *mem;
    const char *w = "linux.resources.memory";
    if (rt_json_obj(res, "memory", "linux.resources", &mem, err) < 0)
        return -1;
    if (rt_json_int(mem, "limit", w, -1, INT64_MAX, &r->has_memory_limit, &r->memory_limit, err) <
                0 ||
        rt_json_int(mem, "reservation", w, -1, INT64_MAX, &r->has_memory_reservation,
                    &r->memory_reservation, err) < 0 ||
        rt_json_int(mem, "swap", w, -1, INT64_MAX, &r->has_memory_swap, &r->memory_swap, err) < 0)
        return -1;
    return 0;
}

static int parse_cpu(const json_t *res, struct rt_resources *r, bt_err **err)
{
    const json_t *cpu;
    const char *w = "linux.resources.cpu";
    int64_t shares = 0, period = 0;
    const char *cpus = NULL, *mems = NULL;
    if (rt_json_obj(res, "cpu", "linux.resources", &cpu, err) < 0)
        return -1;
    if (rt_json_int(cpu, "shares", w, 0, INT64_MAX, &r->has_cpu_shares, &shares, err) < 0 ||
        rt_json_int(cpu, "quota", w, -1, INT64_MAX, &r->has_cpu_quota, &r->cpu_quota, err) < 0 ||
        rt_json_int(cpu, "period", w, 0, INT64_MAX, &r->has_cpu_period, &period, err) < 0 ||
        rt_json_str(cpu, "cpus", w, &cpus, err) < 0 || rt_json_str(cpu, "mems", w, &mems, err) < 0)
        return -1;
    /* Go writes unset uint64 values as 0: treat them as not given. */
    r->has_cpu_shares = r->has_cpu_shares && shares > 0;
    r->has_cpu_period = r->has_cpu_period && period > 0;
    r->has_cpu_quota = r->has_cpu_quota && r->cpu_quota != 0;
    r->cpu_shares = (uint64_t)shares;
    r->cpu_period = (uint64_t)period;
    r->cpus = bt_xstrdup_or_null(cpus && cpus[0] ? cpus : NULL);
    r->mems = bt_xstrdup_or_null(mems && mems[0] ? mems : NULL);
    return 0;
}

static int parse_resources(const json_t *lnx, struct rt_resources *r, bt_err **err)
{
    const json_t *res, *pids, *devs;
    if (rt_json_obj(lnx, "resources", "linux", &res, err) < 0)
        return -1;
    if (!res)
        return 0;
    if (parse_memory(res, r, err) < 0 || parse_cpu(res, r, err) < 0 ||
        rt_json_obj(res, "pids", "linux.resources", &pids, err) < 0 ||
        rt_json_int(pids, "limit", "linux.resources.pids", INT64_MIN, INT64_MAX, &r->has_pids_limit,
                    &r->pids_limit, err) < 0 ||
        rt_json_arr(res, "devices", "linux.resources", &devs, err) < 0)
        return -1;
    if (!devs)
        return 0;
    r->has_devices = true;
    r->devices = bt_xzalloc((json_array_size(devs) + 1) * sizeof(*r->devices));
    size_t i;
    const json_t *d;
    json_array_foreach (devs, i, d) {
        bt_autofree char *w = rt_json_where_index("linux.resources.devices", i);
        if (parse_dev_rule(d, w, &r->devices[r->ndevices++], err) < 0)
            return -1;
    }
    return 0;
}

int rt_resources_from_json(const json_t *resources, struct rt_resources *r, bt_err **err)
{
    json_t *lnx = json_pack("{s:O}", "resources", resources);
    int rc = parse_resources(lnx, r, err);
    json_decref(lnx);
    return rc;
}

static int parse_device(const json_t *d, const char *where, struct rt_device *out, bt_err **err)
{
    const char *path = NULL, *type = NULL;
    int64_t mode = 0, uid = 0, gid = 0;
    if (!json_is_object(d))
        return bt_err_set(err, BT_E_INVALID, "spec: %s: expected an object", where);
    if (rt_json_str(d, "path", where, &path, err) < 0 ||
        rt_json_str(d, "type", where, &type, err) < 0 ||
        rt_json_int(d, "major", where, 0, UINT32_MAX, NULL, &out->major, err) < 0 ||
        rt_json_int(d, "minor", where, 0, UINT32_MAX, NULL, &out->minor, err) < 0 ||
        rt_json_int(d, "fileMode", where, 0, 07777, &out->has_mode, &mode, err) < 0 ||
        rt_json_int(d, "uid", where, 0, UINT32_MAX - 1, &out->has_uid, &uid, err) < 0 ||
        rt_json_int(d, "gid", where, 0, UINT32_MAX - 1, &out->has_gid, &gid, err) < 0)
        return -1;
    bt_autofree char *wp = rt_json_where(where, "path");
    if (!path || check_abs(wp, path, err) < 0)
        return path ? -1 : bt_err_set(err, BT_E_INVALID, "spec: %s: missing", wp);
    if (!type || strlen(type) != 1 || !strchr("cbup", type[0]))
        return bt_err_set(err, BT_E_INVALID, "spec: %s.type: \"%s\" is not c, b, u or p", where,
                          type ? type : "");
    out->path = bt_path_clean(path);
    out->type = type[0];
    out->mode = (mode_t)mode;
    out->uid = (uid_t)uid;
    out->gid = (gid_t)gid;
    return 0;
}

static int parse_devices(const json_t *lnx, struct rt_spec *s, bt_err **err)
{
    const json_t *arr;
    if (rt_json_arr(lnx, "devices", "linux", &arr, err) < 0)
        return -1;
    if (!arr)
        return 0;
    s->devices = bt_xzalloc((json_array_size(arr) + 1) * sizeof(*s->devices));
    size_t i;
    const json_t *d;
    json_array_foreach (arr, i, d) {
        bt_autofree char *w = rt_json_where_index("linux.devices", i);
        if (parse_device(d, w, &s->devices[s->ndevices++], err) < 0)
            return -1;
    }
    return 0;
}

static int parse_sysctl(const json_t *lnx, struct rt_spec *s, bt_err **err)
{
    const json_t *obj;
    if (rt_json_obj(lnx, "sysctl", "linux", &obj, err) < 0)
        return -1;
    if (!obj)
        return 0;
    s->sysctl = bt_xzalloc((json_object_size(obj) + 1) * sizeof(*s->sysctl));
    const char *key;
    const json_t *v;
    json_object_foreach ((json_t *)obj, key, v) {
        /* The key becomes a path under /proc/sys: no way out of it. */
        if (!key[0] || key[0] == '.' || strchr(key, '/') || strstr(key, ".."))
            return bt_err_set(err, BT_E_INVALID, "spec: linux.sysctl: invalid key \"%s\"", key);
        if (!json_is_string(v))
            return bt_err_set(err, BT_E_INVALID, "spec: linux.sysctl.%s: expected a string", key);
        s->sysctl[s->nsysctl].key = bt_xstrdup(key);
        s->sysctl[s->nsysctl++].value = bt_xstrdup(json_string_value(v));
    }
    return 0;
}

static int parse_paths(const json_t *lnx, const char *key, char ***out, bt_err **err)
{
    bt_autofree char *w = rt_json_where("linux", key);
    if (rt_json_strv(lnx, key, "linux", out, err) < 0)
        return -1;
    for (size_t i = 0; *out && (*out)[i]; i++) {
        if (check_abs(w, (*out)[i], err) < 0)
            return -1;
    }
    return 0;
}

static int parse_linux(const json_t *config, struct rt_spec *s, bt_err **err)
{
    const json_t *lnx, *seccomp;
    const char *prop = NULL;
    if (rt_json_obj(config, "linux", "", &lnx, err) < 0)
        return -1;
    if (!lnx)
        return 0;
    if (parse_namespaces(lnx, s, err) < 0 || parse_cgroups_path(lnx, s, err) < 0 ||
        parse_resources(lnx, &s->res, err) < 0 || parse_devices(lnx, s, err) < 0 ||
        parse_sysctl(lnx, s, err) < 0 ||
        parse_paths(lnx, "maskedPaths", &s->masked_paths, err) < 0 ||
        parse_paths(lnx, "readonlyPaths", &s->readonly_paths, err) < 0 ||
        rt_json_obj(lnx, "seccomp", "linux", &seccomp, err) < 0 ||
        rt_json_str(lnx, "rootfsPropagation", "linux", &prop, err) < 0)
        return -1;
    if (seccomp && !(s->seccomp = rt_seccomp_parse(seccomp, "linux.seccomp", err)))
        return -1;
    if (prop && prop[0] && !(s->rootfs_propagation = rt_propagation_flags(prop)))
        return bt_err_set(err, BT_E_INVALID,
                          "spec: linux.rootfsPropagation: unknown propagation \"%s\"", prop);
    return 0;
}

/* The namespace a sysctl belongs to, as runc's validator and the kernel see it; -1 for the
 * host-wide ones a container must not change. */
static int sysctl_namespace(const char *key)
{
    static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                      "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                      "kernel.shmmni", "kernel.shm_rmid_forced"};
    for (size_t i = 0; i < sizeof(ipc) / sizeof(ipc[0]); i++) {
        if (strcmp(key, ipc[i]) == 0)
            return RT_NS_IPC;
    }
    if (strncmp(key, "fs.mqueue.", 10) == 0)
        return RT_NS_IPC;
    if (strncmp(key, "net.", 4) == 0)
        return RT_NS_NET;
    if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0)
        return RT_NS_UTS;
    return -1;
}

/* Checks across members that no single member shows. */
static int check_spec(const struct rt_spec *s, bt_err **err)
{
    if (!s->ns[RT_NS_MNT].enabled)
        return bt_err_set(err, BT_E_INVALID,
                          "spec: linux.namespaces: a mount namespace is required");
    /* The root file system is built in a new mount namespace; another container's would
     * already have one. */
    if (s->ns[RT_NS_MNT].path)
        return bt_err_set(err, BT_E_UNSUPPORTED,
                          "spec: linux.namespaces: joining a mount namespace is not supported");
    if (!s->cgroups_path && rt_resources_any(&s->res))
        return bt_err_set(err, BT_E_INVALID,
                          "spec: linux.resources: limits need linux.cgroupsPath");
    if ((s->hostname || s->domainname) && !s->ns[RT_NS_UTS].enabled)
        return bt_err_set(err, BT_E_INVALID,
                          "spec: hostname: setting it needs a UTS namespace of its own");
    for (size_t i = 0; i < s->nsysctl; i++) {
        int ns = sysctl_namespace(s->sysctl[i].key);
        if (ns < 0 || !s->ns[ns].enabled)
            return bt_err_set(err, BT_E_INVALID,
                              "spec: linux.sysctl: \"%s\" is not in a namespace of the container",
                              s->sysctl[i].key);
    }
    return 0;
}

struct rt_spec *rt_spec_from_json(const json_t *config, const char *bundle_dir, bt_err **err)
{
    if (!json_is_object(config)) {
        bt_err_set(err, BT_E_INVALID, "spec: expected a JSON object");
        return NULL;
    }
    bt_autoptr(rt_spec) s = bt_xzalloc(sizeof(*s));
    s->bundle = bt_path_clean(bundle_dir && bundle_dir[0] ? bundle_dir : ".");
    const json_t *proc;
    const char *hostname = NULL, *domainname = NULL;
    if (parse_root(config, s, err) < 0 || rt_json_obj(config, "process", "", &proc, err) < 0 ||
        rt_json_str(config, "hostname", "", &hostname, err) < 0 ||
        rt_json_str(config, "domainname", "", &domainname, err) < 0)
        return NULL;
    if (!proc) {
        bt_err_set(err, BT_E_INVALID, "spec: process: missing");
        return NULL;
    }
    if (rt_process_parse(proc, "process", &s->process, err) < 0 ||
        parse_mounts(config, s, err) < 0 || parse_linux(config, s, err) < 0)
        return NULL;
    s->hostname = bt_xstrdup_or_null(hostname && hostname[0] ? hostname : NULL);
    s->domainname = bt_xstrdup_or_null(domainname && domainname[0] ? domainname : NULL);
    if (check_spec(s, err) < 0)
        return NULL;
    return bt_steal_ptr(&s);
}

bool rt_resources_any(const struct rt_resources *r)
{
    return r->has_memory_limit || r->has_memory_reservation || r->has_memory_swap ||
           r->has_cpu_shares || r->has_cpu_quota || r->has_cpu_period || r->cpus || r->mems ||
           r->has_pids_limit || r->has_devices;
}

void rt_spec_free(struct rt_spec *s)
{
    if (!s)
        return;
    free(s->bundle);
    free(s->root);
    free(s->hostname);
    free(s->domainname);
    rt_process_clear(&s->process);
    for (size_t i = 0; i < s->nmounts; i++) {
        free(s->mounts[i].destination);
        free(s->mounts[i].type);
        free(s->mounts[i].source);
        rt_mount_opts_clear(&s->mounts[i].opts);
    }
    free(s->mounts);
    for (int i = 0; i < RT_NS_COUNT; i++)
        free(s->ns[i].path);
    free(s->cgroups_path);
    free(s->res.cpus);
    free(s->res.mems);
    free(s->res.devices);
    for (size_t i = 0; i < s->nsysctl; i++) {
        free(s->sysctl[i].key);
        free(s->sysctl[i].value);
    }
    free(s->sysctl);
    bt_strv_free(s->masked_paths);
    bt_strv_free(s->readonly_paths);
    for (size_t i = 0; i < s->ndevices; i++)
        free(s->devices[i].path);
    free(s->devices);
    rt_seccomp_free(s->seccomp);
    free(s);
}
