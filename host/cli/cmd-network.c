/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth network create, ls, inspect, rm, prune: the docker CLI 28's network commands (its
 * cli/command/network), their requests, output and errors. connect and disconnect are in
 * cmd-network-connect.c.
 */
#include <stdlib.h>
#include <string.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/network-create.h"
#include "host/cli/network-format.h"
#include "host/cli/util.h"
#include "host/format/list.h"
#include "host/format/template.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

#define NETWORK_TABLE "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"
/* NewFormat's "raw"; the \n are the two characters, as a user would type them */
#define NETWORK_RAW \
    "network_id: {{.ID}}\\nname: {{.Name}}\\ndriver: {{.Driver}}\\nscope: {{.Scope}}\\n"
#define NETWORK_RAW_QUIET "network_id: {{.ID}}"

#define FORMAT_HELP                                                                             \
    "Format output using a custom template:\n'table':            Print output in table format " \
    "with column headers (default)\n'table TEMPLATE':   Print output in table format using "    \
    "the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         "     \
    "Print output using the given Go template.\nRefer to "                                      \
    "https://docs.docker.com/go/formatting/ for more information about formatting output "      \
    "with templates"
#define INSPECT_FORMAT_HELP                                                                     \
    "Format output using a custom template:\n'json':             Print in JSON format\n"        \
    "'TEMPLATE':         Print output using the given Go template.\nRefer to "                  \
    "https://docs.docker.com/go/formatting/ for more information about formatting output with " \
    "templates"

/* /networks/NAME, the name trimmed as the docker client's trimID; NULL with *err. */
static char *network_path(const char *name, const char *suffix, bt_err **err)
{
    bt_autofree char *trimmed = berth_trim_id("network", name, err);
    if (!trimmed)
        return NULL;
    bt_autofree char *escaped = berth_escape(trimmed);
    return bt_xasprintf("/networks/%s%s", escaped, suffix);
}

/* Parse the flags and check the argument count; -1 to go on, else the exit code. */
static int parse(struct berth_cli *cli, struct bt_flagset *fs, int argc, char **argv, char ***args,
                 int min, int max)
{
    int rc = berth_parse_flags(cli, fs, cli->path, argc, argv, args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, fs, cli->path, *args, min, max)) != 0)
        return rc;
    return -1;
}

struct create_flags {
    struct berth_network_create o;
    bool ipv4, ipv6;
};

static void create_flags_clear(struct create_flags *f)
{
    json_t *objs[] = {f->o.subnets,   f->o.ip_ranges, f->o.gateways, f->o.aux_addresses,
                      f->o.ipam_opts, f->o.opts,      f->o.labels};
    for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++)
        json_decref(objs[i]);
}

#define BOOL_FLAG(n, field, u)                                          \
    {                                                                   \
        .name = n, .type = BT_FLAG_BOOL, .value = &f->field, .usage = u \
    }
#define STR_FLAG(n, field, u)                                               \
    {                                                                       \
        .name = n, .type = BT_FLAG_STRING, .value = &f->o.field, .usage = u \
    }
#define FUNC_FLAG(n, field, fn, mv, u)                                                   \
    {                                                                                    \
        .name = n, .type = BT_FLAG_FUNC, .value = &f->o.field, .set = fn, .metavar = mv, \
        .usage = u                                                                       \
    }

/* docker network create's flags; the caller frees the table */
static struct bt_flag *create_table(struct create_flags *f)
{
    struct bt_flag flags[] = {
            BOOL_FLAG("attachable", o.attachable, "Enable manual container attachment"),
            FUNC_FLAG("aux-address", aux_addresses, berth_flag_map, "map",
                      "Auxiliary IPv4 or IPv6 addresses used by Network driver"),
            STR_FLAG("config-from", config_from,
                     "The network from which to copy the configuration"),
            BOOL_FLAG("config-only", o.config_only, "Create a configuration only network"),
            STR_FLAG("driver", driver, "Driver to manage the Network"),
            FUNC_FLAG("gateway", gateways, berth_flag_string_slice, "strings",
                      "IPv4 or IPv6 Gateway for the master subnet"),
            BOOL_FLAG("ingress", o.ingress, "Create swarm routing-mesh network"),
            BOOL_FLAG("internal", o.internal, "Restrict external access to the network"),
            FUNC_FLAG("ip-range", ip_ranges, berth_flag_string_slice, "strings",
                      "Allocate container ip from a sub-range"),
            STR_FLAG("ipam-driver", ipam_driver, "IP Address Management Driver"),
            FUNC_FLAG("ipam-opt", ipam_opts, berth_flag_map, "map",
                      "Set IPAM driver specific options"),
            BOOL_FLAG("ipv4", ipv4, "Enable or disable IPv4 address assignment"),
            BOOL_FLAG("ipv6", ipv6, "Enable or disable IPv6 address assignment"),
            FUNC_FLAG("label", labels, berth_flag_label, "list", "Set metadata on a network"),
            FUNC_FLAG("opt", opts, berth_flag_map, "map", "Set driver specific options"),
            STR_FLAG("scope", scope, "Control the network's scope"),
            FUNC_FLAG("subnet", subnets, berth_flag_string_slice, "strings",
                      "Subnet in CIDR format that represents a network segment"),
            {0},
    };
    struct bt_flag *t = bt_xmalloc(sizeof(flags));
    memcpy(t, flags, sizeof(flags));
    for (struct bt_flag *fl = t; fl->name; fl++) {
        if (fl->metavar && strcmp(fl->metavar, "map") == 0)
            fl->def_text = "map[]";
        if (strcmp(fl->name, "driver") == 0) {
            fl->shorthand = 'd';
            fl->def_text = "bridge";
        } else if (strcmp(fl->name, "opt") == 0) {
            fl->shorthand = 'o';
        } else if (strcmp(fl->name, "ipam-driver") == 0) {
            fl->def_text = "default";
        } else if (strcmp(fl->name, "ipv4") == 0) {
            fl->def_text = "true";
        }
    }
    return t;
}

static int create_run(struct berth_cli *cli, struct create_flags *f, struct bt_flagset *fs)
{
    if (bt_flags_find(fs, "ipv4")->changed)
        f->o.ipv4 = &f->ipv4;
    if (bt_flags_find(fs, "ipv6")->changed)
        f->o.ipv6 = &f->ipv6;
    bt_err *err = NULL;
    bt_autoptr(json_t) body = berth_network_create_body(&f->o, &err);
    if (!body)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    int rc;
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_autoptr(json_t) answer = cl_json(c, "POST", "/networks/create", body, NULL, &err);
    if (err)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    fprintf(cli->out, "%s\n", bt_json_get_str(answer, "Id", ""));
    return 0;
}

int berth_cmd_network_create(struct berth_cli *cli, int argc, char **argv)
{
    struct create_flags f = {.o = {.driver = "bridge", .scope = "", .ipam_driver = "default"},
                             .ipv4 = true};
    bt_autofree struct bt_flag *flags = create_table(&f);
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS] NETWORK", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Create a network",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = parse(cli, &fs, argc, argv, &args, 1, 1);
    if (rc < 0) {
        f.o.name = args[0];
        rc = create_run(cli, &f, &fs);
    }
    create_flags_clear(&f);
    return rc;
}

/* The rows of `network ls`, sorted by name, and their table. */
static int ls_render(struct berth_cli *cli, json_t *nets, const char *format, bool quiet,
                     bool trunc)
{
    berth_sort_by_name(nets);
    bt_autoptr(json_t) rows = json_array();
    for (size_t i = 0; i < json_array_size(nets); i++)
        json_array_append_new(rows, berth_network_row(json_array_get(nets, i), trunc));
    /* NewFormat: "table" (also the default) and "raw" have quiet variants */
    const char *fmt = format;
    if (!fmt || !*fmt || strcmp(fmt, "table") == 0)
        fmt = quiet ? "{{.ID}}" : NETWORK_TABLE;
    else if (strcmp(fmt, "raw") == 0)
        fmt = quiet ? NETWORK_RAW_QUIET : NETWORK_RAW;
    bt_autoptr(json_t) header = berth_network_header();
    struct berth_label_ctx lc = {.rows = rows, .objs = nets};
    struct fmt_exec_opts eo = {
            .types = berth_network_row_types, .method = berth_label_method, .method_ctx = &lc};
    struct fmt_list l = {.opts = &eo,
                         .format = fmt,
                         .default_format = NETWORK_TABLE,
                         .header = header,
                         .rows = rows};
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    bt_err *err = NULL;
    if (fmt_list_render(&l, &out, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    fputs(bt_strbuf_str(&out), cli->out);
    return 0;
}

int berth_cmd_network_ls(struct berth_cli *cli, int argc, char **argv)
{
    bool quiet = false, no_trunc = false;
    const char *format = NULL;
    bt_autoptr(json_t) filters = NULL;
    struct bt_flag flags[] = {
            {.name = "filter",
             .shorthand = 'f',
             .type = BT_FLAG_FUNC,
             .value = &filters,
             .set = berth_flag_filter,
             .metavar = "filter",
             .usage = "Provide filter values (e.g. \"driver=bridge\")"},
            {.name = "format", .type = BT_FLAG_STRING, .value = &format, .usage = FORMAT_HELP},
            {.name = "no-trunc",
             .type = BT_FLAG_BOOL,
             .value = &no_trunc,
             .usage = "Do not truncate the output"},
            {.name = "quiet",
             .shorthand = 'q',
             .type = BT_FLAG_BOOL,
             .value = &quiet,
             .usage = "Only display network IDs"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS]", cli->prog, cli->path);
    struct bt_flagset fs = {
            .usage = usage, .description = "List networks", .flags = flags, .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = parse(cli, &fs, argc, argv, &args, 0, 0);
    if (rc >= 0)
        return rc;
    bt_autostrbuf struct bt_strbuf path = BT_STRBUF_INIT;
    bt_strbuf_append(&path, "/networks");
    bt_autofree char *f = berth_filters_query(filters);
    if (f)
        bt_strbuf_appendf(&path, "?filters=%s", f);
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_err *err = NULL;
    bt_autoptr(json_t) nets = cl_json(c, "GET", bt_strbuf_str(&path), NULL, NULL, &err);
    if (err)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    if (!json_is_array(nets)) {
        json_decref(nets);
        nets = json_array();
    }
    return ls_render(cli, nets, format, quiet, !no_trunc);
}

/* GET one network for inspect: the engine's JSON into all (no template) or through t. */
static void inspect_one(struct cl_client *c, const char *name, bool verbose,
                        const struct fmt_template *t, json_t *all, struct bt_strbuf *out,
                        struct bt_strbuf *errors)
{
    bt_err *err = NULL;
    bt_autofree char *path = network_path(name, verbose ? "?verbose=true" : "", &err);
    bt_autoptr(json_t) net = path ? cl_json(c, "GET", path, NULL, NULL, &err) : NULL;
    if (net && !t) {
        json_array_append(all, net);
    } else if (net) {
        bt_autoptr(json_t) typed = berth_network_typed(net);
        berth_inspect_exec(t, typed, berth_network_types, net, out, &err);
    }
    if (err)
        berth_add_error(errors, err);
}

int berth_cmd_network_inspect(struct berth_cli *cli, int argc, char **argv)
{
    const char *format = NULL;
    bool verbose = false;
    struct bt_flag flags[] = {
            {.name = "format",
             .shorthand = 'f',
             .type = BT_FLAG_STRING,
             .value = &format,
             .usage = INSPECT_FORMAT_HELP},
            {.name = "verbose",
             .shorthand = 'v',
             .type = BT_FLAG_BOOL,
             .value = &verbose,
             .usage = "Verbose output for diagnostics"},
            {0},
    };
    bt_autofree char *usage =
            bt_xasprintf("%s %s [OPTIONS] NETWORK [NETWORK...]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Display detailed information on one or more networks",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = parse(cli, &fs, argc, argv, &args, 1, -1);
    if (rc >= 0)
        return rc;
    bt_err *err = NULL;
    bt_autoptr(fmt_template) t = NULL;
    bool json_fmt = format && strcmp(format, "json") == 0;
    if (format && *format && !json_fmt && !(t = fmt_template_parse(format, &err))) {
        bt_err_wrap(&err, "template parsing error");
        return berth_fail(cli, err, 64);
    }
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    bt_autostrbuf struct bt_strbuf errors = BT_STRBUF_INIT;
    bt_autoptr(json_t) all = json_array();
    for (char **n = args; *n; n++)
        inspect_one(c, *n, verbose, t, all, &out, &errors);
    if (t) {
        fputs(out.len ? bt_strbuf_str(&out) : "\n", cli->out);
    } else {
        /* the engine's own JSON, json.Indent-ed (or compacted for "json") */
        bt_autofree char *text = json_fmt ? bt_json_dumps(all) : bt_json_dumps_pretty(all, 4);
        fprintf(cli->out, "%s\n", text);
    }
    return berth_print_errors(cli, &errors);
}

#define INGRESS_WARNING                                                                         \
    "WARNING! Before removing the routing-mesh network, make sure all the nodes in your swarm " \
    "run the same docker engine version. Otherwise, removal may not be effective and "          \
    "functionality of newly create ingress networks will be impaired.\nAre you sure you want "  \
    "to continue?"

/* One network of `network rm`: 0 removed or skipped, -1 failed (the error printed). */
static int rm_one(struct berth_cli *cli, struct cl_client *c, const char *name, bool force)
{
    bt_err *err = NULL;
    bt_autofree char *path = network_path(name, "", &err);
    if (path) {
        /* docker asks before removing a swarm's routing mesh */
        bt_autoptr(json_t) net = cl_json(c, "GET", path, NULL, NULL, NULL);
        if (bt_json_get_bool(net, "Ingress", false) && !berth_confirm(cli, INGRESS_WARNING))
            return 0;
        struct cl_request req = {.method = "DELETE", .path = path};
        struct cl_response resp;
        if (cl_call(c, &req, &resp, &err) >= 0) {
            cl_response_clear(&resp);
            fprintf(cli->out, "%s\n", name);
            return 0;
        }
    }
    if (force && cl_err_kind(err) == BT_E_NOT_FOUND) {
        bt_err_free(err);
        return 0;
    }
    berth_fail(cli, err, BERTH_EXIT_FAIL);
    return -1;
}

int berth_cmd_network_rm(struct berth_cli *cli, int argc, char **argv)
{
    bool force = false;
    struct bt_flag flags[] = {
            {.name = "force",
             .shorthand = 'f',
             .type = BT_FLAG_BOOL,
             .value = &force,
             .usage = "Do not error if the network does not exist"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s NETWORK [NETWORK...]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Remove one or more networks",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = parse(cli, &fs, argc, argv, &args, 1, -1);
    if (rc >= 0)
        return rc;
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bool failed = false;
    for (char **n = args; *n; n++)
        failed |= rm_one(cli, c, *n, force) < 0;
    if (!failed)
        return 0;
    /* cli.StatusError with a Status: docker's main prints it */
    fprintf(cli->err, "exit status 1\n");
    return BERTH_EXIT_FAIL;
}

#define PRUNE_WARNING                                                                         \
    "WARNING! This will remove all custom networks not used by at least one container.\nAre " \
    "you sure you want to continue?"

int berth_cmd_network_prune(struct berth_cli *cli, int argc, char **argv)
{
    bool force = false;
    bt_autoptr(json_t) filters = NULL;
    struct bt_flag flags[] = {
            {.name = "filter",
             .type = BT_FLAG_FUNC,
             .value = &filters,
             .set = berth_flag_filter,
             .metavar = "filter",
             .usage = "Provide filter values (e.g. \"until=<timestamp>\")"},
            {.name = "force",
             .shorthand = 'f',
             .type = BT_FLAG_BOOL,
             .value = &force,
             .usage = "Do not prompt for confirmation"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Remove all unused networks",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = parse(cli, &fs, argc, argv, &args, 0, 0);
    if (rc >= 0)
        return rc;
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    if (!force && !berth_confirm(cli, PRUNE_WARNING))
        return 0; /* docker: cancelled, quietly */
    bt_autostrbuf struct bt_strbuf path = BT_STRBUF_INIT;
    bt_strbuf_append(&path, "/networks/prune");
    bt_autofree char *f = berth_filters_query(filters);
    if (f)
        bt_strbuf_appendf(&path, "?filters=%s", f);
    bt_err *err = NULL;
    bt_autoptr(json_t) report = cl_json(c, "POST", bt_strbuf_str(&path), NULL, NULL, &err);
    if (err)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    json_t *deleted = bt_json_get_arr(report, "NetworksDeleted");
    if (json_array_size(deleted) == 0)
        return 0;
    fprintf(cli->out, "Deleted Networks:\n");
    for (size_t i = 0; i < json_array_size(deleted); i++)
        fprintf(cli->out, "%s\n", json_string_value(json_array_get(deleted, i)) ?: "");
    fprintf(cli->out, "\n");
    return 0;
}
