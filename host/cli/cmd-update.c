/* SPDX-License-Identifier: Apache-2.0 */
/* berth update [OPTIONS] CONTAINER...: the docker CLI's container/update.go. Only the flags
 * given go into the body (the engine leaves a zero value as it is, as for docker's zeroes). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/util.h"
#include "host/copts/copts.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

enum {
    U_BLKIO,
    U_PERIOD,
    U_QUOTA,
    U_RT_PERIOD,
    U_RT_RUNTIME,
    U_SHARES,
    U_CPUS,
    U_CPUSET,
    U_MEMS,
    U_MEM,
    U_RES,
    U_SWAP,
    U_PIDS,
    U_RESTART,
    U_N
};

struct update_opts {
    int64_t v[U_N];
    const char *cpuset_cpus, *cpuset_mems, *restart;
};

#define U_INT(n, s, i, u)                                                             \
    {                                                                                 \
        .name = n, .shorthand = s, .type = BT_FLAG_INT, .value = &o->v[i], .usage = u \
    }
#define U_FN(n, s, i, fn, mv, u)                                                       \
    {                                                                                  \
        .name = n, .shorthand = s, .type = BT_FLAG_FUNC, .value = &o->v[i], .set = fn, \
        .metavar = mv, .usage = u                                                      \
    }
#define U_STR(n, field, u)                                                \
    {                                                                     \
        .name = n, .type = BT_FLAG_STRING, .value = &o->field, .usage = u \
    }

/* pflag's uint16 (--blkio-weight): strconv.ParseUint's words */
static int set_uint16(void *value, const char *arg, bt_err **err)
{
    unsigned v = 0;
    if (copts_parse_port(arg, strlen(arg), &v, err) < 0)
        return -1;
    *(int64_t *)value = v;
    return 0;
}

/* The flag table in index order (U_*), as docker lists them. */
static struct bt_flag *update_flags(struct update_opts *o)
{
    struct bt_flag flags[] = {
            U_FN("blkio-weight", 0, U_BLKIO, set_uint16, "uint16",
                 "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)"),
            U_INT("cpu-period", 0, U_PERIOD, "Limit CPU CFS (Completely Fair Scheduler) period"),
            U_INT("cpu-quota", 0, U_QUOTA, "Limit CPU CFS (Completely Fair Scheduler) quota"),
            U_INT("cpu-rt-period", 0, U_RT_PERIOD,
                  "Limit the CPU real-time period in microseconds"),
            U_INT("cpu-rt-runtime", 0, U_RT_RUNTIME,
                  "Limit the CPU real-time runtime in microseconds"),
            U_INT("cpu-shares", 'c', U_SHARES, "CPU shares (relative weight)"),
            U_FN("cpus", 0, U_CPUS, copts_set_cpus, "decimal", "Number of CPUs"),
            U_STR("cpuset-cpus", cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)"),
            U_STR("cpuset-mems", cpuset_mems, "MEMs in which to allow execution (0-3, 0,1)"),
            U_FN("memory", 'm', U_MEM, copts_set_size, "bytes", "Memory limit"),
            U_FN("memory-reservation", 0, U_RES, copts_set_size, "bytes", "Memory soft limit"),
            U_FN("memory-swap", 0, U_SWAP, copts_set_swap, "bytes",
                 "Swap limit equal to memory plus swap: -1 to enable unlimited swap"),
            U_INT("pids-limit", 0, U_PIDS, "Tune container pids limit (set -1 for unlimited)"),
            U_STR("restart", restart, "Restart policy to apply when a container exits"),
            {0},
    };
    struct bt_flag *out = bt_xmalloc(sizeof(flags));
    memcpy(out, flags, sizeof(flags));
    return out;
}

/* opts.ParseRestartPolicy: NAME[:COUNT], the name left to the engine to judge (docker
 * update's words come from the daemon). */
static json_t *restart_policy(const char *s, bt_err **err)
{
    const char *colon = strchr(s, ':');
    if (colon == s) {
        bt_err_set(err, BT_E_INVALID,
                   "invalid restart policy format: no policy provided before colon");
        return NULL;
    }
    int64_t count = 0;
    if (colon && colon[1]) {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(colon + 1, &end, 10);
        if (*end || errno || v < INT32_MIN || v > INT32_MAX) {
            bt_err_set(err, BT_E_INVALID,
                       "invalid restart policy format: maximum retry count must be an integer");
            return NULL;
        }
        count = v;
    }
    bt_autofree char *name = bt_xstrndup(s, colon ? (size_t)(colon - s) : strlen(s));
    return json_pack("{s:s, s:I}", "Name", name, "MaximumRetryCount", (json_int_t)count);
}

/* The UpdateConfig body of the flags given; NULL with err for a bad --restart. */
static json_t *update_body(const struct bt_flag *f, const struct update_opts *o, bt_err **err)
{
    static const char *const keys[] = {
            "BlkioWeight",        "CpuPeriod", "CpuQuota",          "CpuRealtimePeriod",
            "CpuRealtimeRuntime", "CpuShares", "NanoCpus",          "CpusetCpus",
            "CpusetMems",         "Memory",    "MemoryReservation", "MemorySwap",
            "PidsLimit",          NULL};
    bt_autoptr(json_t) body = json_object();
    for (int i = 0; i < U_RESTART; i++) {
        if (!f[i].changed)
            continue;
        if (i == U_CPUSET || i == U_MEMS)
            bt_json_set_str(body, keys[i], i == U_CPUSET ? o->cpuset_cpus : o->cpuset_mems);
        else
            bt_json_set_int(body, keys[i], o->v[i]);
    }
    if (f[U_RESTART].changed && o->restart && *o->restart) {
        json_t *policy = restart_policy(o->restart, err);
        if (!policy)
            return NULL;
        json_object_set_new(body, "RestartPolicy", policy);
    }
    return json_incref(body);
}

/* POST the body to each container: docker prints each name, then the warnings, then the
 * errors (one line each). */
static int update_each(struct berth_cli *cli, struct cl_client *c, char **names, json_t *body)
{
    bt_autostrbuf struct bt_strbuf errors = BT_STRBUF_INIT;
    bt_autostrbuf struct bt_strbuf warns = BT_STRBUF_INIT;
    for (char **n = names; *n; n++) {
        bt_autofree char *id = berth_escape(*n);
        bt_autofree char *path = bt_xasprintf("/containers/%s/update", id);
        bt_autoerr bt_err *err = NULL;
        bt_autoptr(json_t) r = cl_json(c, "POST", path, body, NULL, &err);
        if (err) {
            bt_strbuf_appendf(&errors, "%s%s%s", errors.len ? "\n" : "",
                              cl_err_is_daemon(err) ? "Error response from daemon: " : "",
                              bt_err_msg(err));
            continue;
        }
        fprintf(cli->out, "%s\n", *n);
        size_t i;
        json_t *w;
        json_array_foreach (bt_json_get_arr(r, "Warnings"), i, w)
            bt_strbuf_appendf(&warns, "%s%s", warns.len ? "\n" : "", json_string_value(w));
    }
    if (warns.len)
        fprintf(cli->out, "%s\n", bt_strbuf_str(&warns));
    if (!errors.len)
        return 0;
    fflush(cli->out);
    fprintf(cli->err, "%s\n", bt_strbuf_str(&errors));
    return BERTH_EXIT_FAIL;
}

int berth_cmd_update(struct berth_cli *cli, int argc, char **argv)
{
    struct update_opts o = {0};
    bt_autofree struct bt_flag *flags = update_flags(&o);
    bt_autofree char *usage =
            bt_xasprintf("%s %s [OPTIONS] CONTAINER [CONTAINER...]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Update configuration of one or more containers",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, -1)) != 0)
        return rc;
    bool any = false;
    for (int i = 0; i < U_N; i++)
        any = any || flags[i].changed;
    if (!any) {
        fprintf(cli->err, "you must provide one or more flags when using this command\n");
        return BERTH_EXIT_FAIL;
    }
    bt_err *err = NULL;
    bt_autoptr(json_t) body = update_body(flags, &o, &err);
    if (!body)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    return update_each(cli, c, args, body);
}
