/* SPDX-License-Identifier: Apache-2.0 */
/*
 * From a Docker container to an OCI bundle: config.json (what the runtime creates, mirroring
 * what dockerd's daemon/oci_linux.go makes of Config and HostConfig), monitor.json (what the
 * monitor does with stdio and logs), and the container's /etc/hostname, /etc/hosts and
 * /etc/resolv.conf.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "guest/engine/container/container-internal.h"
#include "guest/engine/container/mounts.h"
#include "guest/engine/container/oci.h"
#include "guest/engine/runtime/runtime.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"
#include "shared/fs/resolve.h"
#include "shared/json/json.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define DEFAULT_SHM  67108864

/* "net_admin", "NET_ADMIN", "CAP_NET_ADMIN" -> number, or -1 */
static int cap_index(const char *name)
{
    if (!name)
        return -1;
    bt_autofree char *full =
            strncasecmp(name, "CAP_", 4) == 0 ? bt_xstrdup(name) : bt_xasprintf("CAP_%s", name);
    return rt_cap_from_name(full);
}

static bool list_has_all(const json_t *arr)
{
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v) {
        if (json_is_string(v) && strcasecmp(json_string_value(v), "ALL") == 0)
            return true;
    }
    return false;
}

int oci_capabilities(const json_t *hc, char ***out, bt_err **err)
{
    bool set[64] = {false};
    size_t avail = (size_t)rt_cap_last() + 1;
    const json_t *add = bt_json_get_arr(hc, "CapAdd");
    const json_t *drop = bt_json_get_arr(hc, "CapDrop");
    const json_t *lists[2] = {add, drop};
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *v;
        json_array_foreach (lists[l], i, v) {
            const char *name = json_string_value(v);
            if (!name || (strcasecmp(name, "ALL") != 0 && cap_index(name) < 0))
                return bt_err_set(err, BT_E_INVALID, "unknown capability: \"%s\"",
                                  name ? name : "");
        }
    }
    if (bt_json_get_bool(hc, "Privileged", false) || list_has_all(add)) {
        /* "all" is what berthd itself may hand on: its bounding set (where root lacks a
         * capability, as CAP_SYS_RESOURCE on some hosts, asking for it would fail the start) */
        for (size_t i = 0; i < avail; i++)
            set[i] = prctl(PR_CAPBSET_READ, (unsigned long)i, 0, 0, 0) == 1;
    } else if (!list_has_all(drop)) {
        for (size_t i = 0; rt_docker_default_caps[i]; i++) {
            int k = cap_index(rt_docker_default_caps[i]);
            if (k >= 0)
                set[k] = true;
        }
    }
    if (!bt_json_get_bool(hc, "Privileged", false)) {
        size_t i;
        json_t *v;
        json_array_foreach (drop, i, v) {
            int k = cap_index(json_string_value(v));
            if (k >= 0)
                set[k] = false;
        }
        if (!list_has_all(add)) {
            json_array_foreach (add, i, v) {
                int k = cap_index(json_string_value(v));
                if (k >= 0)
                    set[k] = true;
            }
        }
    }
    char **caps = bt_xzalloc((avail + 1) * sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; i < avail; i++)
        if (set[i] && rt_cap_name((int)i))
            caps[n++] = bt_xstrdup(rt_cap_name((int)i));
    *out = caps;
    return 0;
}

/* ---- environment ---- */

static bool env_has(char *const *env, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], key, kl) == 0 && env[i][kl] == '=')
            return true;
    return false;
}

/* Replace KEY=... or append: dockerd's ReplaceOrAppendEnvValues. A bare "KEY" (no '=')
 * removes KEY. */
void oci_env_set(char ***env, const char *kv)
{
    const char *eq = strchr(kv, '=');
    size_t kl = eq ? (size_t)(eq - kv) : strlen(kv);
    size_t n = bt_strv_len(*env);
    for (size_t i = 0; i < n; i++) {
        if (strncmp((*env)[i], kv, kl) == 0 && ((*env)[i][kl] == '=' || (*env)[i][kl] == '\0')) {
            free((*env)[i]);
            if (eq) {
                (*env)[i] = bt_xstrdup(kv);
            } else {
                memmove(&(*env)[i], &(*env)[i + 1], (n - i) * sizeof(char *));
            }
            return;
        }
    }
    if (eq)
        bt_strv_push(env, kv);
}

char **oci_process_env(const json_t *cfg, const char *hostname, bool tty, const char *home)
{
    char **env = bt_xzalloc(sizeof(char *));
    bt_strv_push(&env, "PATH=" DEFAULT_PATH);
    bt_autofree char *h = bt_xasprintf("HOSTNAME=%s", hostname);
    bt_strv_push(&env, h);
    if (tty)
        bt_strv_push(&env, "TERM=xterm");
    size_t i;
    json_t *v;
    json_array_foreach (bt_json_get_arr(cfg, "Env"), i, v) {
        if (json_is_string(v))
            oci_env_set(&env, json_string_value(v));
    }
    if (home && !env_has(env, "HOME")) {
        bt_autofree char *kv = bt_xasprintf("HOME=%s", home);
        bt_strv_push(&env, kv);
    }
    return env;
}

/* ---- pieces of the spec ---- */

static json_t *mount(const char *dest, const char *type, const char *src, const char *opts)
{
    json_t *o = json_array();
    bt_autofree char *copy = bt_xstrdup(opts);
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        json_array_append_new(o, json_string(t));
    return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source", src,
                     "options", o);
}

const char *const oci_system_mounts[] = {"/proc",          "/dev",        "/dev/pts", "/sys",
                                         "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm", NULL};
const char *const oci_network_files[] = {"/etc/resolv.conf", "/etc/hostname", "/etc/hosts", NULL};

/* Whether one of the user's mounts is on dest (and so replaces Berth's). */
static bool mounted_on(const struct ctr_mount *own, size_t n, const char *dest)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(own[k].destination, dest) == 0)
            return true;
    return false;
}

static json_t *default_mounts(const char *dir, const json_t *hc, const json_t *mount_points)
{
    bool priv = bt_json_get_bool(hc, "Privileged", false);
    int64_t shm = bt_json_get_int(hc, "ShmSize", 0);
    bt_autofree char *shm_opts = bt_xasprintf("nosuid,noexec,nodev,mode=1777,size=%lld",
                                              (long long)(shm > 0 ? shm : DEFAULT_SHM));
    /* the container's own: -v, --mount, volumes */
    struct ctr_mount *own = NULL;
    size_t n = 0;
    if (ctr_mount_points_of(mount_points, hc, &own, &n, NULL) < 0)
        n = 0;
    json_t *m = json_array();
    json_t *by_dest = json_object(); /* the system mounts, which a mount of the user replaces */
    json_object_set_new(by_dest, "/proc", mount("/proc", "proc", "proc", "nosuid,noexec,nodev"));
    json_object_set_new(by_dest, "/dev",
                        mount("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"));
    json_object_set_new(by_dest, "/dev/pts",
                        mount("/dev/pts", "devpts", "devpts",
                              "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"));
    json_object_set_new(by_dest, "/sys",
                        mount("/sys", "sysfs", "sysfs",
                              priv ? "nosuid,noexec,nodev" : "nosuid,noexec,nodev,ro"));
    json_object_set_new(
            by_dest, "/sys/fs/cgroup",
            mount("/sys/fs/cgroup", "cgroup", "cgroup",
                  priv ? "nosuid,noexec,nodev,relatime" : "nosuid,noexec,nodev,relatime,ro"));
    json_object_set_new(by_dest, "/dev/mqueue",
                        mount("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"));
    json_object_set_new(by_dest, "/dev/shm", mount("/dev/shm", "tmpfs", "shm", shm_opts));
    for (size_t i = 0; oci_system_mounts[i]; i++)
        if (!mounted_on(own, n, oci_system_mounts[i]))
            json_array_append(m, json_object_get(by_dest, oci_system_mounts[i]));
    json_decref(by_dest);
    /* then the network files and the user's mounts together, parents before children as
     * dockerd sorts them (a volume on /etc goes under /etc/hosts); a mount of the user on
     * /etc/hosts replaces Berth's */
    struct ctr_mount *all = bt_xzalloc((n + 3) * sizeof(*all));
    size_t na = 0;
    char *etc_src[3] = {0};
    for (size_t i = 0; i < 3; i++) {
        const char *dst = oci_network_files[i];
        etc_src[i] = bt_xasprintf("%s/%s", dir, strrchr(dst, '/') + 1);
        if (!mounted_on(own, n, dst))
            all[na++] = (struct ctr_mount){.type = "bind",
                                           .source = etc_src[i],
                                           .destination = (char *)dst,
                                           .options = "rbind,rprivate"};
    }
    for (size_t k = 0; k < n; k++)
        all[na++] = own[k];
    ctr_mounts_sort(all, na);
    for (size_t i = 0; i < na; i++)
        json_array_append_new(m,
                              mount(all[i].destination, all[i].type,
                                    *all[i].source ? all[i].source : all[i].type, all[i].options));
    free(all); /* its strings belong to own, etc_src and oci_network_files */
    for (size_t i = 0; i < 3; i++)
        free(etc_src[i]);
    ctr_mounts_free(own, n);
    return m;
}

static json_t *device(const char *path, int major, int minor)
{
    return json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:i}", "path", path, "type", "c", "major",
                     major, "minor", minor, "fileMode", 0666, "uid", 0, "gid", 0);
}

static json_t *device_rule(bool allow, const char *type, int major, int minor, const char *access)
{
    json_t *r = json_pack("{s:b, s:s}", "allow", allow, "access", access);
    if (type)
        bt_json_set_str(r, "type", type);
    if (major >= 0)
        bt_json_set_int(r, "major", major);
    if (minor >= 0)
        bt_json_set_int(r, "minor", minor);
    return r;
}

/* Docker's device cgroup: everything denied but the standard nodes, ptys and tun, and mknod
 * of anything (a node made is still useless without access). Privileged: everything. */
static json_t *device_rules(bool privileged)
{
    json_t *r = json_array();
    if (privileged) {
        json_array_append_new(r, device_rule(true, NULL, -1, -1, "rwm"));
        return r;
    }
    json_array_append_new(r, device_rule(false, NULL, -1, -1, "rwm"));
    json_array_append_new(r, device_rule(true, "c", -1, -1, "m"));
    json_array_append_new(r, device_rule(true, "b", -1, -1, "m"));
    static const int std[][2] = {{1, 3}, {1, 5}, {1, 7}, {1, 8},   {1, 9},
                                 {5, 0}, {5, 1}, {5, 2}, {10, 200}};
    for (size_t i = 0; i < sizeof(std) / sizeof(std[0]); i++)
        json_array_append_new(r, device_rule(true, "c", std[i][0], std[i][1], "rwm"));
    json_array_append_new(r, device_rule(true, "c", 136, -1, "rwm"));
    return r;
}

json_t *oci_resources(const json_t *hc)
{
    json_t *res = json_object();
    json_object_set_new(res, "devices", device_rules(bt_json_get_bool(hc, "Privileged", false)));
    int64_t memory = bt_json_get_int(hc, "Memory", 0);
    int64_t swap = bt_json_get_int(hc, "MemorySwap", 0);
    int64_t reservation = bt_json_get_int(hc, "MemoryReservation", 0);
    if (memory > 0 || reservation > 0) {
        json_t *mem = json_object();
        if (memory > 0) {
            bt_json_set_int(mem, "limit", memory);
            /* unset swap means as much swap as memory (memory+swap = twice the limit) */
            bt_json_set_int(mem, "swap",
                            swap != 0                ? swap
                            : memory > INT64_MAX / 2 ? -1
                                                     : 2 * memory);
        }
        if (reservation > 0)
            bt_json_set_int(mem, "reservation", reservation);
        json_object_set_new(res, "memory", mem);
    }
    json_t *cpu = json_object();
    int64_t nano = bt_json_get_int(hc, "NanoCpus", 0);
    if (nano > 0) {
        bt_json_set_int(cpu, "period", 100000);
        bt_json_set_int(cpu, "quota", nano / 10000); /* nano * 100000 / 1e9, no overflow */
    } else {
        if (bt_json_get_int(hc, "CpuPeriod", 0) > 0)
            bt_json_set_int(cpu, "period", bt_json_get_int(hc, "CpuPeriod", 0));
        if (bt_json_get_int(hc, "CpuQuota", 0) > 0)
            bt_json_set_int(cpu, "quota", bt_json_get_int(hc, "CpuQuota", 0));
    }
    if (bt_json_get_int(hc, "CpuShares", 0) > 0)
        bt_json_set_int(cpu, "shares", bt_json_get_int(hc, "CpuShares", 0));
    const char *cpus = bt_json_get_str(hc, "CpusetCpus", "");
    if (*cpus)
        bt_json_set_str(cpu, "cpus", cpus);
    if (json_object_size(cpu))
        json_object_set_new(res, "cpu", cpu);
    else
        json_decref(cpu);
    int64_t pids = bt_json_get_int(hc, "PidsLimit", 0);
    if (pids > 0)
        json_object_set_new(res, "pids", json_pack("{s:I}", "limit", (json_int_t)pids));
    return res;
}

static json_t *namespaces(const json_t *hc, const char *netns)
{
    json_t *ns = json_array();
    const char *net = bt_json_get_str(hc, "NetworkMode", "");
    const char *pid = bt_json_get_str(hc, "PidMode", "");
    const char *ipc = bt_json_get_str(hc, "IpcMode", "");
    const char *uts = bt_json_get_str(hc, "UTSMode", "");
    json_array_append_new(ns, json_pack("{s:s}", "type", "mount"));
    if (strcmp(pid, "host") != 0)
        json_array_append_new(ns, json_pack("{s:s}", "type", "pid"));
    if (strcmp(ipc, "host") != 0)
        json_array_append_new(ns, json_pack("{s:s}", "type", "ipc"));
    if (strcmp(uts, "host") != 0)
        json_array_append_new(ns, json_pack("{s:s}", "type", "uts"));
    json_array_append_new(ns, json_pack("{s:s}", "type", "cgroup"));
    /* Networks other than "host" get their own namespace: the one berthd made and plugged
     * into its networks, or X's for container:X; "none" a new one with lo only. */
    if (netns && *netns)
        json_array_append_new(ns, json_pack("{s:s, s:s}", "type", "network", "path", netns));
    else if (strcmp(net, "host") != 0)
        json_array_append_new(ns, json_pack("{s:s}", "type", "network"));
    return ns;
}

static bool has_security_opt(const json_t *hc, const char *opt)
{
    size_t i;
    json_t *v;
    size_t ol = strlen(opt);
    json_array_foreach (bt_json_get_arr(hc, "SecurityOpt"), i, v) {
        const char *s = json_string_value(v);
        if (!s)
            continue;
        /* "no-new-privileges", "no-new-privileges:true", "no-new-privileges=true" */
        if (strcmp(s, opt) == 0 || (strncmp(s, opt, ol) == 0 && (s[ol] == ':' || s[ol] == '=') &&
                                    strcmp(s + ol + 1, "true") == 0))
            return true;
    }
    return false;
}

static json_t *string_array(char *const *v)
{
    return bt_json_strv(v);
}

/* moby masks /sys/devices/system/cpu/cpu<N>/thermal_throttle too, for the CPUs there are */
static void add_thermal_throttle(json_t *masked)
{
    DIR *d = opendir("/sys/devices/system/cpu");
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, "cpu", 3) != 0 || de->d_name[3] < '0' || de->d_name[3] > '9')
            continue;
        bt_autofree char *p =
                bt_xasprintf("/sys/devices/system/cpu/%s/thermal_throttle", de->d_name);
        if (bt_path_exists(p))
            json_array_append_new(masked, json_string(p));
    }
    if (d)
        closedir(d);
}

/* The container's seccomp profile as OCI's linux.seccomp: none for seccomp=unconfined, the
 * profile `--security-opt seccomp=FILE` sent (the docker CLI sends the file's text), or
 * moby's default. The last seccomp option given wins, as in dockerd. */
static int seccomp_profile(const json_t *hc, const char *const *caps, json_t **out, bt_err **err)
{
    const char *chosen = NULL;
    size_t i;
    json_t *v;
    json_array_foreach (bt_json_get_arr(hc, "SecurityOpt"), i, v) {
        const char *s = json_string_value(v);
        if (s && (strncmp(s, "seccomp=", 8) == 0 || strncmp(s, "seccomp:", 8) == 0))
            chosen = s + 8;
    }
    *out = NULL;
    if (chosen && strcmp(chosen, "unconfined") == 0)
        return 0;
    if (!chosen || strcmp(chosen, "builtin") == 0) {
        *out = rt_docker_default_seccomp(caps);
        return 0;
    }
    *out = rt_docker_seccomp_profile(chosen, caps, err);
    return *out ? 0 : -1;
}

int oci_build(const struct oci_input *in, json_t **out, bt_err **err)
{
    const json_t *cfg = in->config;
    const json_t *hc = in->host_config;
    bool priv = bt_json_get_bool(hc, "Privileged", false);
    bool tty = bt_json_get_bool(cfg, "Tty", false);

    bt_autostrv char **caps = NULL;
    if (oci_capabilities(hc, &caps, err) < 0)
        return -1;
    bt_autoptr(json_t) seccomp = NULL;
    if (!priv && seccomp_profile(hc, (const char *const *)caps, &seccomp, err) < 0)
        return -1;
    struct rlimit own[RLIM_NLIMITS];
    for (int r = 0; r < RLIM_NLIMITS; r++)
        if (getrlimit(r, &own[r]) < 0)
            own[r].rlim_max = RLIM_INFINITY;
    bt_autoptr(json_t) rlimits = NULL;
    bt_autoptr(json_t) host_devs = json_array();
    bt_autoptr(json_t) host_rules = json_array();
    if (oci_rlimits(hc, own, &rlimits, err) < 0 || oci_devices(hc, host_devs, host_rules, err) < 0)
        return -1;
    json_t *capset = json_pack("{s:o}", "bounding", string_array(caps));
    /* dockerd's SetCapabilities: a non-root user gets only the bounding set, as execve would
     * leave it */
    if (in->user->uid == 0) {
        json_object_set_new(capset, "effective", string_array(caps));
        json_object_set_new(capset, "permitted", string_array(caps));
    }

    json_t *gids = json_array();
    for (size_t i = 0; i < in->user->ngroups; i++)
        json_array_append_new(gids, json_integer(in->user->groups[i]));
    json_t *user = json_pack("{s:i, s:i, s:o}", "uid", (int)in->user->uid, "gid",
                             (int)in->user->gid, "additionalGids", gids);

    json_t *process = json_object();
    bt_json_set_bool(process, "terminal", tty);
    /* the docker CLI sends the terminal's size with the create, so the first program sees it
     * before its resize call arrives */
    json_t *cs = bt_json_get_arr(hc, "ConsoleSize");
    if (tty && json_array_size(cs) == 2 && json_integer_value(json_array_get(cs, 0)) > 0 &&
        json_integer_value(json_array_get(cs, 1)) > 0)
        json_object_set_new(process, "consoleSize",
                            json_pack("{s:O, s:O}", "height", json_array_get(cs, 0), "width",
                                      json_array_get(cs, 1)));
    json_object_set_new(process, "user", user);
    json_t *args = string_array(in->args);
    if (in->init_path) {
        json_array_insert_new(args, 0, json_string("--"));
        json_array_insert_new(args, 0, json_string(OCI_INIT_PATH));
    }
    json_object_set_new(process, "args", args);
    json_object_set_new(process, "env", string_array(in->env));
    const char *cwd = bt_json_get_str(cfg, "WorkingDir", "");
    bt_json_set_str(process, "cwd", *cwd ? cwd : "/");
    json_object_set_new(process, "capabilities", capset);
    bt_json_set_bool(process, "noNewPrivileges", has_security_opt(hc, "no-new-privileges"));
    if (json_array_size(rlimits))
        json_object_set(process, "rlimits", rlimits);
    int64_t oom = bt_json_get_int(hc, "OomScoreAdj", 0);
    if (oom)
        bt_json_set_int(process, "oomScoreAdj", oom);

    json_t *linux_ = json_object();
    json_object_set_new(linux_, "namespaces", namespaces(hc, in->netns));
    json_object_set_new(linux_, "resources", oci_resources(hc));
    json_array_extend(json_object_get(json_object_get(linux_, "resources"), "devices"), host_rules);
    bt_autofree char *cg = bt_xasprintf("/berth/%s", in->id);
    bt_json_set_str(linux_, "cgroupsPath", cg);
    json_t *devs = json_array();
    static const struct {
        const char *path;
        int major, minor;
    } std_devs[] = {{"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
                    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0}};
    for (size_t i = 0; i < sizeof(std_devs) / sizeof(std_devs[0]); i++)
        json_array_append_new(devs, device(std_devs[i].path, std_devs[i].major, std_devs[i].minor));
    json_array_extend(devs, host_devs);
    json_object_set_new(linux_, "devices", devs);
    json_t *sysctl = bt_json_get_obj(hc, "Sysctls");
    if (sysctl)
        json_object_set(linux_, "sysctl", sysctl);
    if (!priv) {
        json_t *masked = string_array((char **)rt_docker_masked_paths);
        add_thermal_throttle(masked);
        json_object_set_new(linux_, "maskedPaths", masked);
        json_object_set_new(linux_, "readonlyPaths",
                            string_array((char **)rt_docker_readonly_paths));
        if (seccomp)
            json_object_set_new(linux_, "seccomp", bt_steal_ptr(&seccomp));
    }

    json_t *spec = json_object();
    bt_json_set_str(spec, "ociVersion", "1.0.2");
    json_object_set_new(spec, "process", process);
    json_object_set_new(spec, "root",
                        json_pack("{s:s, s:b}", "path", in->rootfs, "readonly",
                                  bt_json_get_bool(hc, "ReadonlyRootfs", false)));
    bt_json_set_str(spec, "hostname", in->hostname);
    const char *domain = bt_json_get_str(cfg, "Domainname", "");
    if (*domain)
        bt_json_set_str(spec, "domainname", domain);
    json_t *mounts = default_mounts(in->dir, hc, in->mount_points);
    if (in->init_path)
        json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:[s, s]}", "destination",
                                                OCI_INIT_PATH, "type", "bind", "source",
                                                in->init_path, "options", "bind", "ro"));
    json_object_set_new(spec, "mounts", mounts);
    json_object_set_new(spec, "linux", linux_);
    *out = spec;
    return 0;
}
