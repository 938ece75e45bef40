/* SPDX-License-Identifier: Apache-2.0 */
/* berth network connect and disconnect: the docker CLI 28's, request for request. */
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

struct connect_flags {
    const char *ip, *ip6;
    const char **links;
    json_t *aliases, *link_local_ips, *driver_opts; /* string slices */
    int64_t gw_priority;
};

/* convertDriverOpt: "k=v" each, trimmed, into a map ({} when none) */
static json_t *driver_opts(const json_t *list, bt_err **err)
{
    bt_autoptr(json_t) m = json_object();
    size_t i;
    json_t *v;
    json_array_foreach (list, i, v) {
        const char *kv = json_string_value(v);
        const char *eq = strchr(kv, '=');
        bt_autofree char *k = bt_xstrndup(kv, eq ? (size_t)(eq - kv) : strlen(kv));
        bt_autofree char *key = copts_trim_space(k);
        if (!eq || !*key)
            return bt_err_set(err, BT_E_INVALID, "invalid key/value pair format in driver options"),
                   NULL;
        bt_autofree char *val = copts_trim_space(eq + 1);
        bt_json_set_str(m, key, val);
    }
    return berth_string_map(m);
}

/* network.EndpointSettings as `docker network connect` fills it */
static json_t *endpoint_config(const struct connect_flags *f, json_t *dopts)
{
    json_t *ipam = json_object();
    if (f->ip && *f->ip)
        bt_json_set_str(ipam, "IPv4Address", f->ip);
    if (f->ip6 && *f->ip6)
        bt_json_set_str(ipam, "IPv6Address", f->ip6);
    if (json_array_size(f->link_local_ips))
        json_object_set(ipam, "LinkLocalIPs", f->link_local_ips);
    return json_pack("{s:o, s:o, s:o, s:s, s:o, s:I, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, "
                     "s:n}",
                     "IPAMConfig", ipam, "Links",
                     f->links && f->links[0] ? bt_json_strv((char *const *)f->links) : json_null(),
                     "Aliases", f->aliases ? json_incref(f->aliases) : json_array(), "MacAddress",
                     "", "DriverOpts", dopts, "GwPriority", (json_int_t)f->gw_priority, "NetworkID",
                     "", "EndpointID", "", "Gateway", "", "IPAddress", "", "IPPrefixLen", 0,
                     "IPv6Gateway", "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0,
                     "DNSNames");
}

/* POST /networks/NET/ACTION with {"Container": CTR, ...more}, both names trimmed as the
 * docker client's trimID; takes more. */
static int post_action(struct berth_cli *cli, char **args, const char *action, json_t *more)
{
    bt_autoptr(json_t) extra = more;
    bt_err *err = NULL;
    bt_autofree char *net = berth_trim_id("network", args[0], &err);
    bt_autofree char *ctr = net ? berth_trim_id("container", args[1], &err) : NULL;
    if (!ctr)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    int rc;
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_autoptr(json_t) body = json_pack("{s:s}", "Container", ctr);
    json_object_update(body, extra);
    bt_autofree char *escaped = berth_escape(net);
    bt_autofree char *path = bt_xasprintf("/networks/%s/%s", escaped, action);
    struct cl_request req = {.method = "POST", .path = path, .json = body};
    struct cl_response resp;
    if (cl_call(c, &req, &resp, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    cl_response_clear(&resp);
    return 0;
}

static void connect_flags_clear(struct connect_flags *f)
{
    free(f->links);
    json_decref(f->aliases);
    json_decref(f->link_local_ips);
    json_decref(f->driver_opts);
}

#define SLICE(n, field, u)                                                                  \
    {                                                                                       \
        .name = n, .type = BT_FLAG_FUNC, .value = &f.field, .set = berth_flag_string_slice, \
        .metavar = "strings", .usage = u                                                    \
    }

int berth_cmd_network_connect(struct berth_cli *cli, int argc, char **argv)
{
    struct connect_flags f = {0};
    struct bt_flag flags[] = {
            SLICE("alias", aliases, "Add network-scoped alias for the container"),
            SLICE("driver-opt", driver_opts, "driver options for the network"),
            {.name = "gw-priority",
             .type = BT_FLAG_INT,
             .value = &f.gw_priority,
             .usage = "Highest gw-priority provides the default gateway. Accepts positive and "
                      "negative values."},
            {.name = "ip",
             .type = BT_FLAG_STRING,
             .value = &f.ip,
             .usage = "IPv4 address (e.g., \"172.30.100.104\")"},
            {.name = "ip6",
             .type = BT_FLAG_STRING,
             .value = &f.ip6,
             .usage = "IPv6 address (e.g., \"2001:db8::33\")"},
            {.name = "link",
             .type = BT_FLAG_FUNC,
             .value = &f.links,
             .set = copts_flag_link,
             .metavar = "list",
             .usage = "Add link to another container"},
            SLICE("link-local-ip", link_local_ips, "Add a link-local address for the container"),
            {0},
    };
    bt_autofree char *usage =
            bt_xasprintf("%s %s [OPTIONS] NETWORK CONTAINER", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Connect a container to a network",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc < 0 && (rc = berth_check_args(cli, &fs, cli->path, args, 2, 2)) == 0) {
        bt_err *err = NULL;
        json_t *dopts = driver_opts(f.driver_opts, &err);
        rc = dopts ? post_action(cli, args, "connect",
                                 json_pack("{s:o}", "EndpointConfig", endpoint_config(&f, dopts)))
                   : berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    connect_flags_clear(&f);
    return rc;
}

int berth_cmd_network_disconnect(struct berth_cli *cli, int argc, char **argv)
{
    bool force = false;
    struct bt_flag flags[] = {
            {.name = "force",
             .shorthand = 'f',
             .type = BT_FLAG_BOOL,
             .value = &force,
             .usage = "Force the container to disconnect from a network"},
            {0},
    };
    bt_autofree char *usage =
            bt_xasprintf("%s %s [OPTIONS] NETWORK CONTAINER", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Disconnect a container from a network",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 2, 2)) != 0)
        return rc;
    return post_action(cli, args, "disconnect", json_pack("{s:b}", "Force", force));
}
