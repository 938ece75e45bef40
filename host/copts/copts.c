/* SPDX-License-Identifier: Apache-2.0 */
#include "host/copts/copts.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "host/copts/copts-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

/* ---- value parsers (pflag Var types of the docker CLI) ---- */

int copts_parse_size(const char *s, int64_t *out, bt_err **err)
{
    /* go-units parseSize with the binary map (RAMInBytes), message for message */
    const char *last = NULL;
    for (const char *p = s; *p; p++)
        if (strchr("01234567890. ", *p))
            last = p;
    if (!last)
        return bt_err_set(err, BT_E_INVALID, "invalid size: '%s'", s);
    size_t numlen = (size_t)(last - s) + (*last == ' ' ? 0 : 1);
    bt_autofree char *num = bt_xstrndup(s, numlen);
    const char *sfx = last + 1;
    char *end = NULL;
    errno = 0;
    double v = strtod(num, &end);
    if (!*num || *end || errno)
        return bt_err_set(err, BT_E_INVALID, "strconv.ParseFloat: parsing \"%s\": invalid syntax",
                          num);
    if (v < 0 || v >= 0x1p63) /* Go's int64() of it would be garbage */
        return bt_err_set(err, BT_E_INVALID, "invalid size: '%s'", s);
    if (!*sfx) {
        *out = (int64_t)v;
        return 0;
    }
    char low[4] = {0};
    size_t n = strlen(sfx);
    for (size_t i = 0; i < n && i < 3; i++)
        low[i] = (char)(sfx[i] >= 'A' && sfx[i] <= 'Z' ? sfx[i] - 'A' + 'a' : sfx[i]);
    bool bad = n > 3;
    double mult = 1;
    if (!bad && low[0] == 'b') {
        bad = n > 1;
    } else if (!bad) {
        const char *units = "kmgtp";
        const char *at = strchr(units, low[0]);
        if (!at || !low[0]) {
            bad = true;
        } else {
            for (const char *q = units; q <= at; q++)
                mult *= 1024;
            bad = (n == 2 && low[1] != 'b') || (n == 3 && strcmp(low + 1, "ib") != 0);
        }
    }
    if (bad) {
        bt_autofree char *lower = bt_xstrdup(sfx);
        for (char *p = lower; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        return bt_err_set(err, BT_E_INVALID, "invalid suffix: '%s'", n > 3 ? sfx : lower);
    }
    if (v * mult >= 0x1p63)
        return bt_err_set(err, BT_E_INVALID, "invalid size: '%s'", s);
    *out = (int64_t)(v * mult);
    return 0;
}

int copts_set_size(void *value, const char *arg, bt_err **err)
{
    return copts_parse_size(arg, value, err);
}

static const struct {
    const char *unit;
    double ns;
} duration_units[] = {{"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
                      {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9}};

/* one "<number><unit>" of a duration at *p; false when it is not one */
static bool duration_part(const char **p, double *ns, bool *unit_missing, const char **unit_bad)
{
    char *end = NULL;
    if (!(**p >= '0' && **p <= '9') && **p != '.')
        return false;
    double v = strtod(*p, &end);
    if (end == *p)
        return false;
    const char *u = end;
    while (*end && !(*end >= '0' && *end <= '9') && *end != '.')
        end++;
    if (end == u) {
        *unit_missing = true;
        return false;
    }
    for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
        if (strlen(duration_units[i].unit) == (size_t)(end - u) &&
            strncmp(u, duration_units[i].unit, (size_t)(end - u)) == 0) {
            *ns += v * duration_units[i].ns;
            *p = end;
            return true;
        }
    }
    *unit_bad = u;
    return false;
}

int copts_parse_duration(const char *s, int64_t *out, bt_err **err)
{
    const char *p = s;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    if (strcmp(p, "0") == 0) {
        *out = 0;
        return 0;
    }
    double ns = 0;
    bool missing = false;
    const char *bad = NULL;
    if (!*p)
        return bt_err_set(err, BT_E_INVALID, "time: invalid duration \"%s\"", s);
    while (*p)
        if (!duration_part(&p, &ns, &missing, &bad))
            break;
    if (missing)
        return bt_err_set(err, BT_E_INVALID, "time: missing unit in duration \"%s\"", s);
    if (bad) {
        size_t n = strcspn(bad, "0123456789.");
        return bt_err_set(err, BT_E_INVALID, "time: unknown unit \"%.*s\" in duration \"%s\"",
                          (int)n, bad, s);
    }
    if (*p || ns >= 0x1p63)
        return bt_err_set(err, BT_E_INVALID, "time: invalid duration \"%s\"", s);
    *out = (int64_t)(neg ? -ns : ns);
    return 0;
}

static int set_duration(void *value, const char *arg, bt_err **err)
{
    return copts_parse_duration(arg, value, err);
}

/* MemSwapBytes: a size or -1 */
int copts_set_swap(void *value, const char *arg, bt_err **err)
{
    if (strcmp(arg, "-1") == 0) {
        *(int64_t *)value = -1;
        return 0;
    }
    return copts_parse_size(arg, value, err);
}

/* NanoCPUs: a decimal number of CPUs */
int copts_set_cpus(void *value, const char *arg, bt_err **err)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(arg, &end);
    if (!*arg || *end || errno || !isfinite(v))
        return bt_err_set(err, BT_E_INVALID, "failed to parse %s as a rational number", arg);
    double nano = v * 1e9;
    if (nano != floor(nano))
        return bt_err_set(err, BT_E_INVALID, "value is too precise");
    if (nano >= 0x1p63 || nano < -0x1p63) /* past int64: no machine has that many CPUs */
        return bt_err_set(err, BT_E_INVALID, "value is out of range");
    *(int64_t *)value = (int64_t)nano;
    return 0;
}

static json_t *mount_spec(const char *spec, bt_err **err);

/* --mount: checked when parsed, as the docker CLI does (its errors are flag errors), and kept
 * as given; copts_build() turns it into HostConfig.Mounts. */
static int set_mount(void *value, const char *arg, bt_err **err)
{
    json_t *m = mount_spec(arg, err);
    if (!m)
        return -1;
    json_decref(m);
    const char ***list = value;
    size_t n = 0;
    while (*list && (*list)[n])
        n++;
    *list = bt_xreallocarray(*list, n + 2, sizeof(**list));
    (*list)[n] = arg;
    (*list)[n + 1] = NULL;
    return 0;
}

/* ---- the table ---- */

#define LIST(n, s, field, u)                                                                \
    {                                                                                       \
        .name = n, .shorthand = s, .type = BT_FLAG_STRINGS, .value = &o->field, .usage = u, \
        .metavar = "list"                                                                   \
    }
#define STR(n, s, field, u)                                                               \
    {                                                                                     \
        .name = n, .shorthand = s, .type = BT_FLAG_STRING, .value = &o->field, .usage = u \
    }
#define BOOL(n, s, field, u)                                                            \
    {                                                                                   \
        .name = n, .shorthand = s, .type = BT_FLAG_BOOL, .value = &o->field, .usage = u \
    }
#define INT(n, s, field, u)                                                            \
    {                                                                                  \
        .name = n, .shorthand = s, .type = BT_FLAG_INT, .value = &o->field, .usage = u \
    }
#define DURATION(n, field, u)                                                     \
    {                                                                             \
        .name = n, .type = BT_FLAG_FUNC, .value = &o->field, .set = set_duration, \
        .metavar = "duration", .def_text = "0s", .usage = u                       \
    }
#define FUNC(n, s, field, fn, mv, u)                                                    \
    {                                                                                   \
        .name = n, .shorthand = s, .type = BT_FLAG_FUNC, .value = &o->field, .set = fn, \
        .metavar = mv, .usage = u                                                       \
    }

struct bt_flag *copts_flags(struct copts *o)
{
    *o = (struct copts){.memory_swappiness = -1, .restart = "no", .pull = "missing"};
    struct bt_flag flags[] = {
            FUNC("add-host", 0, add_host, copts_flag_add_host, "list",
                 "Add a custom host-to-IP mapping (host:ip)"),
            LIST("attach", 'a', attach, "Attach to STDIN, STDOUT or STDERR"),
            INT("blkio-weight", 0, blkio_weight,
                "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)"),
            LIST("cap-add", 0, cap_add, "Add Linux capabilities"),
            LIST("cap-drop", 0, cap_drop, "Drop Linux capabilities"),
            STR("cgroup-parent", 0, cgroup_parent, "Optional parent cgroup for the container"),
            STR("cgroupns", 0, cgroupns,
                "Cgroup namespace to use (host|private)\n'host':    Run the container in the "
                "Docker host's cgroup namespace\n'private': Run the container in its own "
                "private cgroup namespace\n'':        Use the cgroup namespace as configured "
                "by the\n           default-cgroupns-mode option on the daemon (default)"),
            STR("cidfile", 0, cidfile, "Write the container ID to the file"),
            INT("cpu-period", 0, cpu_period, "Limit CPU CFS (Completely Fair Scheduler) period"),
            INT("cpu-quota", 0, cpu_quota, "Limit CPU CFS (Completely Fair Scheduler) quota"),
            INT("cpu-shares", 'c', cpu_shares, "CPU shares (relative weight)"),
            FUNC("cpus", 0, nano_cpus, copts_set_cpus, "decimal", "Number of CPUs"),
            STR("cpuset-cpus", 0, cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)"),
            STR("cpuset-mems", 0, cpuset_mems, "MEMs in which to allow execution (0-3, 0,1)"),
            LIST("device", 0, device, "Add a host device to the container"),
            FUNC("dns", 0, dns, copts_flag_ip, "list", "Set custom DNS servers"),
            LIST("dns-opt", 0, dns_option, "Set DNS options"),
            LIST("dns-option", 0, dns_option, "Set DNS options"),
            FUNC("dns-search", 0, dns_search, copts_flag_dns_search, "list",
                 "Set custom DNS search domains"),
            STR("domainname", 0, domainname, "Container NIS domain name"),
            STR("entrypoint", 0, entrypoint, "Overwrite the default ENTRYPOINT of the image"),
            LIST("env", 'e', env, "Set environment variables"),
            LIST("env-file", 0, env_file, "Read in a file of environment variables"),
            LIST("expose", 0, expose, "Expose a port or a range of ports"),
            LIST("group-add", 0, group_add, "Add additional groups to join"),
            STR("health-cmd", 0, health_cmd, "Command to run to check health"),
            DURATION("health-interval", health_interval,
                     "Time between running the check (ms|s|m|h)"),
            INT("health-retries", 0, health_retries,
                "Consecutive failures needed to report unhealthy"),
            DURATION("health-start-interval", health_start_interval,
                     "Time between running the check during the start period (ms|s|m|h)"),
            DURATION("health-start-period", health_start_period,
                     "Start period for the container to initialize before starting "
                     "health-retries countdown (ms|s|m|h)"),
            DURATION("health-timeout", health_timeout,
                     "Maximum time to allow one check to run (ms|s|m|h)"),
            STR("hostname", 'h', hostname, "Container host name"),
            BOOL("init", 0, init,
                 "Run an init inside the container that forwards signals and reaps processes"),
            BOOL("interactive", 'i', interactive, "Keep STDIN open even if not attached"),
            STR("ip", 0, ip, "IPv4 address (e.g., 172.30.100.104)"),
            STR("ip6", 0, ip6, "IPv6 address (e.g., 2001:db8::33)"),
            STR("ipc", 0, ipc, "IPC mode to use"),
            LIST("label", 'l', labels, "Set meta data on a container"),
            LIST("label-file", 0, label_file, "Read in a line delimited file of labels"),
            FUNC("link", 0, link, copts_flag_link, "list", "Add link to another container"),
            LIST("link-local-ip", 0, link_local_ips, "Container IPv4/IPv6 link-local addresses"),
            STR("log-driver", 0, log_driver, "Logging driver for the container"),
            LIST("log-opt", 0, log_opt, "Log driver options"),
            STR("mac-address", 0, mac_address, "Container MAC address (e.g., 92:d0:c6:0a:29:33)"),
            FUNC("mount", 0, mounts, set_mount, "mount",
                 "Attach a filesystem mount to the container"),
            FUNC("memory", 'm', memory, copts_set_size, "bytes", "Memory limit"),
            FUNC("memory-reservation", 0, memory_reservation, copts_set_size, "bytes",
                 "Memory soft limit"),
            FUNC("memory-swap", 0, memory_swap, copts_set_swap, "bytes",
                 "Swap limit equal to memory plus swap: '-1' to enable unlimited swap"),
            INT("memory-swappiness", 0, memory_swappiness,
                "Tune container memory swappiness (0 to 100)"),
            FUNC("net", 0, networks, copts_set_network, "network",
                 "Connect a container to a network"),
            LIST("net-alias", 0, aliases, "Add network-scoped alias for the container"),
            FUNC("network", 0, networks, copts_set_network, "network",
                 "Connect a container to a network"),
            LIST("network-alias", 0, aliases, "Add network-scoped alias for the container"),
            BOOL("no-healthcheck", 0, no_healthcheck,
                 "Disable any container-specified HEALTHCHECK"),
            BOOL("oom-kill-disable", 0, oom_kill_disable, "Disable OOM Killer"),
            INT("oom-score-adj", 0, oom_score_adj, "Tune host's OOM preferences (-1000 to 1000)"),
            STR("pid", 0, pid, "PID namespace to use"),
            INT("pids-limit", 0, pids_limit, "Tune container pids limit (set -1 for unlimited)"),
            STR("platform", 0, platform, "Set platform if server is multi-platform capable"),
            BOOL("privileged", 0, privileged, "Give extended privileges to this container"),
            LIST("publish", 'p', publish, "Publish a container's port(s) to the host"),
            BOOL("publish-all", 'P', publish_all, "Publish all exposed ports to random ports"),
            STR("pull", 0, pull, "Pull image before running (\"always\", \"missing\", \"never\")"),
            BOOL("quiet", 'q', quiet, "Suppress the pull output"),
            BOOL("read-only", 0, read_only, "Mount the container's root filesystem as read only"),
            STR("restart", 0, restart, "Restart policy to apply when a container exits"),
            BOOL("rm", 0, rm,
                 "Automatically remove the container and its associated anonymous volumes when "
                 "it exits"),
            STR("runtime", 0, runtime, "Runtime to use for this container"),
            LIST("security-opt", 0, security_opt, "Security Options"),
            FUNC("shm-size", 0, shm_size, copts_set_size, "bytes", "Size of /dev/shm"),
            STR("stop-signal", 0, stop_signal, "Signal to stop the container"),
            INT("stop-timeout", 0, stop_timeout, "Timeout (in seconds) to stop a container"),
            LIST("sysctl", 0, sysctl, "Sysctl options"),
            LIST("tmpfs", 0, tmpfs, "Mount a tmpfs directory"),
            BOOL("tty", 't', tty, "Allocate a pseudo-TTY"),
            LIST("ulimit", 0, ulimit, "Ulimit options"),
            LIST("volume", 'v', volumes, "Bind mount a volume"),
            LIST("volumes-from", 0, volumes_from, "Mount volumes from the specified container(s)"),
            STR("user", 'u', user, "Username or UID (format: <name|uid>[:<group|gid>])"),
            STR("userns", 0, userns, "User namespace to use"),
            STR("uts", 0, uts, "UTS namespace to use"),
            STR("workdir", 'w', workdir, "Working directory inside the container"),
            {0},
    };
    struct bt_flag *t = bt_xmalloc(sizeof(flags));
    memcpy(t, flags, sizeof(flags));
    for (struct bt_flag *f = t; f->name; f++) {
        if (strcmp(f->name, "restart") == 0)
            f->def_text = "no";
        else if (strcmp(f->name, "pull") == 0)
            f->def_text = "missing";
        else if (strcmp(f->name, "memory-swappiness") == 0)
            f->def_text = "-1";
        /* docker keeps these spellings for old command lines, out of --help */
        f->hidden = !strcmp(f->name, "net") || !strcmp(f->name, "net-alias") ||
                    !strcmp(f->name, "dns-opt");
    }
    return t;
}

void copts_clear(struct copts *o)
{
    const char ***lists[] = {&o->attach,   &o->cap_add, &o->cap_drop,    &o->env,
                             &o->env_file, &o->labels,  &o->label_file,  &o->security_opt,
                             &o->sysctl,   &o->tmpfs,   &o->ulimit,      &o->group_add,
                             &o->volumes,  &o->aliases, &o->dns_option,  &o->link_local_ips,
                             &o->log_opt,  &o->publish, &o->expose,      &o->link,
                             &o->device,   &o->mounts,  &o->volumes_from};
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        free(*lists[i]);
        *lists[i] = NULL;
    }
    json_t **objs[] = {&o->dns, &o->dns_search, &o->add_host, &o->networks};
    for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
        json_decref(*objs[i]);
        *objs[i] = NULL;
    }
}

/* ---- files of variables and labels ---- */

int copts_read_env_file(const char *path, char ***list, bool env_style, bt_err **err)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (bt_file_read(path, &sb, 64 << 20, err) < 0)
        return bt_err_set(err, BT_E_INVALID, "open %s: no such file or directory", path);
    char *save = NULL;
    char *text = sb.buf ? sb.buf : (char *)"";
    int lineno = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r')
            line[--n] = '\0';
        const char *l = line;
        while (*l == ' ' || *l == '\t')
            l++;
        if (!*l || *l == '#')
            continue;
        const char *eq = strchr(l, '=');
        if (eq == l)
            return bt_err_set(err, BT_E_INVALID, "no variable name on line '%s'", line);
        bt_autofree char *name = bt_xstrndup(l, eq ? (size_t)(eq - l) : strlen(l));
        if (strpbrk(name, " \t"))
            return bt_err_set(err, BT_E_INVALID, "variable '%s' contains whitespaces", name);
        if (eq) {
            bt_strv_push(list, l);
        } else if (env_style) {
            const char *v = getenv(name);
            if (v) {
                bt_autofree char *kv = bt_xasprintf("%s=%s", name, v);
                bt_strv_push(list, kv);
            }
        } else {
            bt_strv_push(list, l);
        }
    }
    return 0;
}

/* ---- building the body ---- */

static json_t *strs_or_null(const char **v)
{
    return v && v[0] ? bt_json_strv((char *const *)v) : json_null();
}

static json_t *strs_or_empty(const char **v)
{
    return v && v[0] ? bt_json_strv((char *const *)v) : json_array();
}

static bool has(const char **v, const char *s)
{
    for (; v && *v; v++)
        if (strcasecmp(*v, s) == 0)
            return true;
    return false;
}

/* "-e NAME" takes NAME from the environment, or drops it (docker's ValidateEnv). */
static json_t *env_list(struct copts *o, bt_err **err)
{
    bt_autostrv char **all = bt_xzalloc(sizeof(char *));
    for (const char **f = o->env_file; f && *f; f++)
        if (copts_read_env_file(*f, &all, true, err) < 0)
            return NULL;
    for (const char **e = o->env; e && *e; e++) {
        if (strchr(*e, '=')) {
            bt_strv_push(&all, *e);
        } else if (!**e) {
            bt_err_set(err, BT_E_INVALID, "invalid environment variable: %s", *e);
            return NULL;
        } else {
            const char *v = getenv(*e);
            if (v) {
                bt_autofree char *kv = bt_xasprintf("%s=%s", *e, v);
                bt_strv_push(&all, kv);
            }
        }
    }
    return all[0] ? bt_json_strv(all) : json_null();
}

static json_t *label_map(struct copts *o, bt_err **err)
{
    bt_autostrv char **all = bt_xzalloc(sizeof(char *));
    for (const char **f = o->label_file; f && *f; f++)
        if (copts_read_env_file(*f, &all, false, err) < 0)
            return NULL;
    for (const char **l = o->labels; l && *l; l++)
        bt_strv_push(&all, *l);
    json_t *m = json_object();
    for (char **l = all; *l; l++) {
        const char *eq = strchr(*l, '=');
        bt_autofree char *k = bt_xstrndup(*l, eq ? (size_t)(eq - *l) : strlen(*l));
        json_object_set_new(m, k, json_string(eq ? eq + 1 : ""));
    }
    return m;
}

int copts_restart_policy(const char *s, json_t **out, bt_err **err)
{
    const char *colon = strchr(s, ':');
    bt_autofree char *name = bt_xstrndup(s, colon ? (size_t)(colon - s) : strlen(s));
    int64_t max = 0;
    if (!name[0]) {
        free(name);
        name = bt_xstrdup("no");
    }
    if (strcmp(name, "no") && strcmp(name, "always") && strcmp(name, "unless-stopped") &&
        strcmp(name, "on-failure"))
        return bt_err_set(err, BT_E_INVALID, "invalid restart policy '%s'", name);
    if (colon) {
        if (strcmp(name, "on-failure") != 0)
            return bt_err_set(err, BT_E_INVALID,
                              "invalid restart policy format: maximum retry count can only be "
                              "used with 'on-failure'");
        char *end = NULL;
        max = strtoll(colon + 1, &end, 10);
        if (!colon[1] || *end)
            return bt_err_set(err, BT_E_INVALID, "invalid restart policy format: %s", s);
    }
    *out = json_pack("{s:s, s:I}", "Name", name, "MaximumRetryCount", (json_int_t)max);
    return 0;
}

static json_t *ulimits(struct copts *o, bt_err **err)
{
    json_t *a = json_array();
    for (const char **u = o->ulimit; u && *u; u++) {
        const char *eq = strchr(*u, '=');
        long long soft, hard;
        char extra;
        int n = eq ? sscanf(eq + 1, "%lld:%lld%c", &soft, &hard, &extra) : 0;
        if (n == 1)
            hard = soft;
        if (!eq || eq == *u || (n != 1 && n != 2)) {
            json_decref(a);
            bt_err_set(err, BT_E_INVALID, "invalid ulimit argument: %s", *u);
            return NULL;
        }
        if (soft > hard) {
            json_decref(a);
            bt_err_set(err, BT_E_INVALID,
                       "ulimit soft limit must be less than or equal to hard limit: %lld > %lld",
                       soft, hard);
            return NULL;
        }
        bt_autofree char *name = bt_xstrndup(*u, (size_t)(eq - *u));
        json_array_append_new(a, json_pack("{s:s, s:I, s:I}", "Name", name, "Hard",
                                           (json_int_t)hard, "Soft", (json_int_t)soft));
    }
    return a;
}

static json_t *kv_map(const char **list, const char *what, bt_err **err)
{
    json_t *m = json_object();
    for (const char **s = list; s && *s; s++) {
        const char *eq = strchr(*s, '=');
        if (!eq) {
            json_decref(m);
            bt_err_set(err, BT_E_INVALID, "invalid %s: %s", what, *s);
            return NULL;
        }
        bt_autofree char *k = bt_xstrndup(*s, (size_t)(eq - *s));
        json_object_set_new(m, k, json_string(eq + 1));
    }
    return m;
}

/* docker reads a seccomp profile given as a file and sends its content */
static json_t *security_opts(struct copts *o, bt_err **err)
{
    if (!o->security_opt || !o->security_opt[0])
        return json_null();
    json_t *a = json_array();
    for (const char **s = o->security_opt; *s; s++) {
        const char *eq = strchr(*s, '=');
        if (!eq)
            eq = strchr(*s, ':');
        if (strncmp(*s, "seccomp", 7) == 0 && eq && strcmp(eq + 1, "unconfined") &&
            strcmp(eq + 1, "builtin")) {
            bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
            if (bt_file_read(eq + 1, &sb, 16 << 20, NULL) < 0) {
                json_decref(a);
                bt_err_set(err, BT_E_INVALID,
                           "opening seccomp profile (%s) failed: open %s: "
                           "no such file or directory",
                           eq + 1, eq + 1);
                return NULL;
            }
            bt_autofree char *compact = NULL;
            bt_autoptr(json_t) doc = bt_json_parse(sb.buf ? sb.buf : "", sb.len, NULL);
            compact = doc ? bt_json_dumps(doc) : bt_xstrdup(bt_strbuf_str(&sb));
            bt_autofree char *v = bt_xasprintf("seccomp=%s", compact);
            json_array_append_new(a, json_string(v));
            continue;
        }
        if (!eq && strcmp(*s, "no-new-privileges") != 0) {
            json_decref(a);
            bt_err_set(err, BT_E_INVALID, "Invalid --security-opt: %s", *s);
            return NULL;
        }
        json_array_append_new(a, json_string(*s));
    }
    return a;
}

static json_t *tmpfs_map(const struct copts *o)
{
    json_t *m = json_object();
    for (const char **t = o->tmpfs; t && *t; t++) {
        const char *colon = strchr(*t, ':');
        bt_autofree char *k = bt_xstrndup(*t, colon ? (size_t)(colon - *t) : strlen(*t));
        json_object_set_new(m, k, json_string(colon ? colon + 1 : ""));
    }
    return m;
}

/* -v: "SRC:DST[:MODE]" binds as they are, a relative "./x" source made absolute as the docker
 * CLI does; a lone path is an anonymous volume (Config.Volumes). */
static int volume_specs(struct copts *o, json_t *binds, json_t *volumes, bt_err **err)
{
    for (const char **v = o->volumes; v && *v; v++) {
        const char *colon = strchr(*v, ':');
        if (!**v)
            return bt_err_set(err, BT_E_INVALID, "invalid empty volume spec");
        if (!colon) {
            json_object_set_new(volumes, *v, json_object());
            continue;
        }
        if (colon == *v)
            return bt_err_set(err, BT_E_INVALID, "invalid spec: %s: empty section between colons",
                              *v);
        bt_autofree char *host = bt_xstrndup(*v, (size_t)(colon - *v));
        if (host[0] == '.') {
            char cwd[4096];
            if (getcwd(cwd, sizeof(cwd))) {
                bt_autofree char *abs = bt_path_join(cwd, host);
                bt_autofree char *bind = bt_xasprintf("%s%s", abs, colon);
                json_array_append_new(binds, json_string(bind));
                continue;
            }
        }
        json_array_append_new(binds, json_string(*v));
    }
    return 0;
}

static int parse_bool_value(const char *key, const char *v, bool *out, bt_err **err)
{
    if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcmp(v, "t"))
        *out = true;
    else if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcmp(v, "f"))
        *out = false;
    else
        return bt_err_set(err, BT_E_INVALID, "invalid value for %s: %s", key, v);
    return 0;
}

/* The mount's VolumeOptions, made when missing (borrowed). */
static json_t *volume_options(json_t *m)
{
    json_t *vo = json_object_get(m, "VolumeOptions");
    if (!vo)
        json_object_set_new(m, "VolumeOptions", vo = json_object());
    return vo;
}

/* --mount "type=bind,source=/x,target=/y,readonly": the docker CLI's fields (opts/mount.go). */
static json_t *mount_spec(const char *spec, bt_err **err)
{
    bt_autoptr(json_t) m = json_pack("{s:s}", "Type", "volume");
    bt_autofree char *copy = bt_xstrdup(spec);
    char *save = NULL;
    for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(f, '=');
        const char *key = f, *val = eq ? eq + 1 : NULL;
        if (eq)
            *eq = '\0';
        bool b = false;
        if (!val) {
            if (strcmp(key, "readonly") && strcmp(key, "ro") && strcmp(key, "volume-nocopy"))
                return bt_err_set(err, BT_E_INVALID, "invalid field '%s' must be a key=value pair",
                                  key),
                       NULL;
            if (strcmp(key, "volume-nocopy") != 0)
                bt_json_set_bool(m, "ReadOnly", true);
            else
                bt_json_set_bool(volume_options(m), "NoCopy", true);
            continue;
        }
        if (!strcmp(key, "type")) {
            bt_json_set_str(m, "Type", val);
        } else if (!strcmp(key, "source") || !strcmp(key, "src")) {
            bt_json_set_str(m, "Source", val);
        } else if (!strcmp(key, "target") || !strcmp(key, "dst") || !strcmp(key, "destination")) {
            bt_json_set_str(m, "Target", val);
        } else if (!strcmp(key, "readonly") || !strcmp(key, "ro")) {
            if (parse_bool_value(key, val, &b, err) < 0)
                return NULL;
            bt_json_set_bool(m, "ReadOnly", b);
        } else if (!strcmp(key, "bind-propagation")) {
            json_object_set_new(m, "BindOptions", json_pack("{s:s}", "Propagation", val));
        } else if (!strcmp(key, "tmpfs-size") || !strcmp(key, "tmpfs-mode")) {
            json_t *t = json_object_get(m, "TmpfsOptions");
            if (!t) {
                t = json_object();
                json_object_set_new(m, "TmpfsOptions", t);
            }
            if (!strcmp(key, "tmpfs-size")) {
                int64_t size;
                if (copts_parse_size(val, &size, err) < 0)
                    return NULL;
                bt_json_set_int(t, "SizeBytes", size);
            } else {
                char *end;
                long mode = strtol(val, &end, 8);
                if (!*val || *end || mode < 0)
                    return bt_err_set(err, BT_E_INVALID, "invalid value for %s: %s", key, val),
                           NULL;
                bt_json_set_int(t, "Mode", mode);
            }
        } else if (!strcmp(key, "volume-nocopy")) {
            if (parse_bool_value(key, val, &b, err) < 0)
                return NULL;
            bt_json_set_bool(volume_options(m), "NoCopy", b);
        } else if (!strcmp(key, "volume-label") || !strcmp(key, "volume-opt")) {
            json_t *vo = volume_options(m);
            json_t *to = NULL;
            if (!strcmp(key, "volume-label")) {
                to = json_object_get(vo, "Labels");
                if (!to)
                    json_object_set_new(vo, "Labels", to = json_object());
            } else {
                json_t *dc = json_object_get(vo, "DriverConfig");
                if (!dc)
                    json_object_set_new(vo, "DriverConfig", dc = json_pack("{s:s}", "Name", ""));
                to = json_object_get(dc, "Options");
                if (!to)
                    json_object_set_new(dc, "Options", to = json_object());
            }
            char *kv = strchr(val, '=');
            if (kv)
                *kv = '\0';
            bt_json_set_str(to, val, kv ? kv + 1 : "");
        } else if (!strcmp(key, "volume-driver")) {
            json_t *vo = volume_options(m);
            json_t *dc = json_object_get(vo, "DriverConfig");
            if (!dc)
                json_object_set_new(vo, "DriverConfig", dc = json_object());
            bt_json_set_str(dc, "Name", val);
        } else if (!strcmp(key, "volume-subpath")) {
            bt_json_set_str(volume_options(m), "Subpath", val);
        } else if (!strcmp(key, "consistency")) {
            bt_json_set_str(m, "Consistency", val);
        } else {
            return bt_err_set(err, BT_E_INVALID, "unexpected key '%s' in '%s=%s'", key, key, val),
                   NULL;
        }
    }
    if (!*bt_json_get_str(m, "Target", ""))
        return bt_err_set(err, BT_E_INVALID, "target is required"), NULL;
    const char *type = bt_json_get_str(m, "Type", "");
    if (json_object_get(m, "VolumeOptions") && strcmp(type, "volume") != 0)
        return bt_err_set(err, BT_E_INVALID, "cannot mix 'volume-*' options with mount type '%s'",
                          type),
               NULL;
    return bt_steal_ptr(&m);
}

static int check(struct copts *o, bt_err **err)
{
    /* docker's parse() looks at the MAC address first */
    if (o->mac_address && *o->mac_address && !copts_valid_mac(o->mac_address))
        return bt_err_set(err, BT_E_INVALID, "%s is not a valid mac address", o->mac_address);
    if (o->memory_swappiness != -1 && (o->memory_swappiness < 0 || o->memory_swappiness > 100))
        return bt_err_set(err, BT_E_INVALID,
                          "invalid value: %lld. Valid memory swappiness range is 0-100",
                          (long long)o->memory_swappiness);
    if (strcmp(o->pull, "always") && strcmp(o->pull, "missing") && strcmp(o->pull, "never"))
        return bt_err_set(err, BT_E_INVALID,
                          "invalid pull option: '%s': must be one of \"always\", \"missing\" or "
                          "\"never\"",
                          o->pull);
    for (const char **a = o->attach; a && *a; a++)
        if (strcasecmp(*a, "stdin") && strcasecmp(*a, "stdout") && strcasecmp(*a, "stderr"))
            return bt_err_set(err, BT_E_INVALID, "valid streams are STDIN, STDOUT and STDERR");
    return 0;
}

/* The values copts_build() puts together, each checked and converted; all owned. */
struct parts {
    json_t *env, *labels, *restart, *ulimits, *sysctls, *log_opts, *security_opts;
    json_t *binds, *volumes, *mounts, *exposed, *bindings, *endpoints, *devices;
    char *network_mode, *mac_address;
};

static void parts_clear(struct parts *p)
{
    json_t *objs[] = {p->env,      p->labels,        p->restart,   p->ulimits, p->sysctls,
                      p->log_opts, p->security_opts, p->binds,     p->volumes, p->mounts,
                      p->exposed,  p->bindings,      p->endpoints, p->devices};
    for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++)
        json_decref(objs[i]);
    free(p->network_mode);
    free(p->mac_address);
}

/* The flags that stand on their own, in docker's order of complaints. */
static int parse_parts(struct copts *o, struct parts *p, bt_err **err)
{
    if (check(o, err) < 0 || !(p->env = env_list(o, err)) || !(p->labels = label_map(o, err)) ||
        copts_restart_policy(o->restart, &p->restart, err) < 0)
        return -1;
    if (o->rm && strcmp(bt_json_get_str(p->restart, "Name", "no"), "no") != 0)
        return bt_err_set(err, BT_E_INVALID,
                          "conflicting options: cannot specify both --restart and --rm");
    if (!(p->ulimits = ulimits(o, err)) ||
        !(p->sysctls = kv_map(o->sysctl, "value for sysctl", err)) ||
        !(p->log_opts = kv_map(o->log_opt, "log opt format", err)) ||
        !(p->security_opts = security_opts(o, err)))
        return -1;
    p->binds = json_array();
    p->volumes = json_object();
    p->mounts = json_array();
    if (volume_specs(o, p->binds, p->volumes, err) < 0)
        return -1;
    for (const char **m = o->mounts; m && *m; m++) {
        json_t *one = mount_spec(*m, err);
        if (!one)
            return -1;
        json_array_append_new(p->mounts, one);
    }
    p->devices = json_array();
    for (const char **d = o->device; d && *d; d++) {
        json_t *one = copts_parse_device(*d, err);
        if (!one)
            return -1;
        json_array_append_new(p->devices, one);
    }
    if (copts_ports(o->publish, o->expose, &p->exposed, &p->bindings, err) < 0)
        return -1;
    p->endpoints = copts_networking(o, &p->network_mode, &p->mac_address, err);
    return p->endpoints ? 0 : -1;
}

/* HostConfig's resources (container.Resources), as docker 28 fills them. */
static void set_resources(json_t *hc, const struct copts *o, const struct parts *p)
{
    bt_json_set_int(hc, "CpuShares", o->cpu_shares);
    bt_json_set_int(hc, "Memory", o->memory);
    bt_json_set_int(hc, "NanoCpus", o->nano_cpus);
    bt_json_set_str(hc, "CgroupParent", o->cgroup_parent ? o->cgroup_parent : "");
    bt_json_set_int(hc, "BlkioWeight", o->blkio_weight);
    const char *empties[] = {"BlkioWeightDevice", "BlkioDeviceReadBps", "BlkioDeviceWriteBps",
                             "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps"};
    for (size_t i = 0; i < 5; i++)
        json_object_set_new(hc, empties[i], json_array());
    bt_json_set_int(hc, "CpuPeriod", o->cpu_period);
    bt_json_set_int(hc, "CpuQuota", o->cpu_quota);
    bt_json_set_int(hc, "CpuRealtimePeriod", 0);
    bt_json_set_int(hc, "CpuRealtimeRuntime", 0);
    bt_json_set_str(hc, "CpusetCpus", o->cpuset_cpus ? o->cpuset_cpus : "");
    bt_json_set_str(hc, "CpusetMems", o->cpuset_mems ? o->cpuset_mems : "");
    json_object_set(hc, "Devices", p->devices);
    json_object_set_new(hc, "DeviceCgroupRules", json_null());
    json_object_set_new(hc, "DeviceRequests", json_null());
    bt_json_set_int(hc, "MemoryReservation", o->memory_reservation);
    bt_json_set_int(hc, "MemorySwap", o->memory_swap);
    bt_json_set_int(hc, "MemorySwappiness", o->memory_swappiness);
    bt_json_set_bool(hc, "OomKillDisable", o->oom_kill_disable);
    bt_json_set_int(hc, "PidsLimit", o->pids_limit);
    json_object_set(hc, "Ulimits", p->ulimits);
    bt_json_set_int(hc, "CpuCount", 0);
    bt_json_set_int(hc, "CpuPercent", 0);
    bt_json_set_int(hc, "IOMaximumIOps", 0);
    bt_json_set_int(hc, "IOMaximumBandwidth", 0);
}

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

/* The JSON array of a validated list, [] when the flag was not given. */
static json_t *list_or_empty(json_t *list)
{
    return list ? json_incref(list) : json_array();
}

/* HostConfig's members up to the resources, in container.HostConfig's order. */
static void set_host_options(json_t *hc, const struct copts *o, const struct parts *p)
{
    json_object_set(hc, "Binds", json_array_size(p->binds) ? p->binds : json_null());
    if (json_array_size(p->mounts))
        json_object_set(hc, "Mounts", p->mounts);
    bt_json_set_str(hc, "ContainerIDFile", str_or_empty(o->cidfile));
    json_object_set_new(
            hc, "LogConfig",
            json_pack("{s:s, s:O}", "Type", str_or_empty(o->log_driver), "Config", p->log_opts));
    bt_json_set_str(hc, "NetworkMode", p->network_mode);
    json_object_set(hc, "PortBindings", p->bindings);
    json_object_set(hc, "RestartPolicy", p->restart);
    bt_json_set_bool(hc, "AutoRemove", o->rm);
    bt_json_set_str(hc, "VolumeDriver", "");
    json_object_set_new(hc, "VolumesFrom", strs_or_null(o->volumes_from));
    json_object_set_new(hc, "ConsoleSize", json_pack("[i, i]", 0, 0));
    json_object_set_new(hc, "CapAdd", strs_or_null(o->cap_add));
    json_object_set_new(hc, "CapDrop", strs_or_null(o->cap_drop));
    bt_json_set_str(hc, "CgroupnsMode", str_or_empty(o->cgroupns));
    json_object_set_new(hc, "Dns", list_or_empty(o->dns));
    json_object_set_new(hc, "DnsOptions", strs_or_empty(o->dns_option));
    json_object_set_new(hc, "DnsSearch", list_or_empty(o->dns_search));
    json_object_set(hc, "ExtraHosts", o->add_host ? o->add_host : json_null());
    json_object_set_new(hc, "GroupAdd", strs_or_null(o->group_add));
    bt_json_set_str(hc, "IpcMode", str_or_empty(o->ipc));
    bt_json_set_str(hc, "Cgroup", "");
    json_object_set_new(hc, "Links", strs_or_null(o->link));
    bt_json_set_int(hc, "OomScoreAdj", o->oom_score_adj);
    bt_json_set_str(hc, "PidMode", str_or_empty(o->pid));
    bt_json_set_bool(hc, "Privileged", o->privileged);
    bt_json_set_bool(hc, "PublishAllPorts", o->publish_all);
    bt_json_set_bool(hc, "ReadonlyRootfs", o->read_only);
    json_object_set(hc, "SecurityOpt", p->security_opts);
    if (json_object_size(p->sysctls))
        json_object_set(hc, "Sysctls", p->sysctls);
    if (o->tmpfs && o->tmpfs[0])
        json_object_set_new(hc, "Tmpfs", tmpfs_map(o));
    bt_json_set_str(hc, "UTSMode", str_or_empty(o->uts));
    bt_json_set_str(hc, "UsernsMode", str_or_empty(o->userns));
    bt_json_set_int(hc, "ShmSize", o->shm_size);
    if (o->runtime && *o->runtime)
        bt_json_set_str(hc, "Runtime", o->runtime);
    bt_json_set_str(hc, "Isolation", "");
}

static json_t *host_config(const struct copts *o, const struct parts *p)
{
    json_t *hc = json_object();
    set_host_options(hc, o, p);
    set_resources(hc, o, p);
    json_object_set_new(hc, "MaskedPaths", json_null());
    json_object_set_new(hc, "ReadonlyPaths", json_null());
    struct bt_flag *init = bt_flags_find(o->fs, "init");
    if (init && init->changed)
        bt_json_set_bool(hc, "Init", o->init);
    return hc;
}

static json_t *entrypoint(const struct copts *o)
{
    if (o->entrypoint && *o->entrypoint)
        return json_pack("[s]", o->entrypoint);
    struct bt_flag *f = bt_flags_find(o->fs, "entrypoint");
    /* --entrypoint= resets the image's */
    return f && f->changed ? json_pack("[s]", "") : json_null();
}

/* The docker CLI's Healthcheck from --health-* and --no-healthcheck (NULL: none given). */
static int healthcheck(const struct copts *o, json_t **out, bt_err **err)
{
    *out = NULL;
    bool any = (o->health_cmd && *o->health_cmd) || o->health_interval || o->health_timeout ||
               o->health_start_period || o->health_retries || o->health_start_interval;
    if (o->no_healthcheck) {
        if (any)
            return bt_err_set(err, BT_E_INVALID,
                              "--no-healthcheck conflicts with --health-* options");
        *out = json_pack("{s:[s]}", "Test", "NONE");
        return 0;
    }
    if (!any)
        return 0;
    static const char *const names[] = {"interval", "timeout", "retries", "start-period",
                                        "start-interval"};
    const int64_t vals[] = {o->health_interval, o->health_timeout, o->health_retries,
                            o->health_start_period, o->health_start_interval};
    for (size_t i = 0; i < 5; i++)
        if (vals[i] < 0)
            return bt_err_set(err, BT_E_INVALID, "--health-%s cannot be negative", names[i]);
    json_t *h = json_object();
    if (o->health_cmd && *o->health_cmd)
        json_object_set_new(h, "Test", json_pack("[s, s]", "CMD-SHELL", o->health_cmd));
    static const char *const keys[] = {"Interval", "Timeout", "StartPeriod", "StartInterval",
                                       "Retries"};
    const int64_t kv[] = {o->health_interval, o->health_timeout, o->health_start_period,
                          o->health_start_interval, o->health_retries};
    for (size_t i = 0; i < 5; i++)
        if (kv[i])
            bt_json_set_int(h, keys[i], kv[i]);
    *out = h;
    return 0;
}

/* container.Config, members in its order, omitempty ones left out when empty. */
static json_t *container_config(const struct copts *o, const struct parts *p, const char *image,
                                char **cmd, json_t *health)
{
    bool a_in = has(o->attach, "stdin") || o->interactive;
    bool a_out = !o->attach || !o->attach[0] || has(o->attach, "stdout");
    bool a_err = !o->attach || !o->attach[0] || has(o->attach, "stderr");
    json_t *body = json_object();
    bt_json_set_str(body, "Hostname", str_or_empty(o->hostname));
    bt_json_set_str(body, "Domainname", str_or_empty(o->domainname));
    bt_json_set_str(body, "User", str_or_empty(o->user));
    bt_json_set_bool(body, "AttachStdin", a_in);
    bt_json_set_bool(body, "AttachStdout", a_out);
    bt_json_set_bool(body, "AttachStderr", a_err);
    if (json_object_size(p->exposed))
        json_object_set(body, "ExposedPorts", p->exposed);
    bt_json_set_bool(body, "Tty", o->tty);
    bt_json_set_bool(body, "OpenStdin", o->interactive);
    bt_json_set_bool(body, "StdinOnce", o->interactive && a_in);
    json_object_set(body, "Env", p->env);
    json_object_set_new(body, "Cmd", cmd && cmd[0] ? bt_json_strv(cmd) : json_null());
    if (health)
        json_object_set_new(body, "Healthcheck", health);
    bt_json_set_str(body, "Image", image);
    json_object_set(body, "Volumes", p->volumes);
    bt_json_set_str(body, "WorkingDir", str_or_empty(o->workdir));
    json_object_set_new(body, "Entrypoint", entrypoint(o));
    if (*p->mac_address)
        bt_json_set_str(body, "MacAddress", p->mac_address);
    json_object_set_new(body, "OnBuild", json_null());
    json_object_set(body, "Labels", p->labels);
    if (o->stop_signal && *o->stop_signal)
        bt_json_set_str(body, "StopSignal", o->stop_signal);
    struct bt_flag *st = bt_flags_find(o->fs, "stop-timeout");
    if (st && st->changed)
        bt_json_set_int(body, "StopTimeout", o->stop_timeout);
    return body;
}

json_t *copts_build(struct copts *o, const char *image, char **cmd, bt_err **err)
{
    struct parts p = {0};
    json_t *health = NULL;
    if (healthcheck(o, &health, err) < 0 || parse_parts(o, &p, err) < 0) {
        json_decref(health);
        parts_clear(&p);
        return NULL;
    }
    json_t *body = container_config(o, &p, image, cmd, health);
    json_object_set_new(body, "HostConfig", host_config(o, &p));
    json_object_set_new(body, "NetworkingConfig",
                        json_pack("{s:O}", "EndpointsConfig", p.endpoints));
    parts_clear(&p);
    return body;
}
