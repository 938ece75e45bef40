/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth volume create, ls, inspect, rm, prune: the docker CLI 28's volume commands (its
 * cli/command/volume), their output and their errors. Cluster (swarm) volumes and their
 * flags are left out: berthd has none.
 */
#include <stdlib.h>
#include <string.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/util.h"
#include "host/cli/volume-format.h"
#include "host/format/list.h"
#include "host/format/template.h"
#include "host/format/units.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

#define VOLUME_TABLE "table {{.Driver}}\t{{.Name}}"
/* NewVolumeFormat's "raw"; the \n are the two characters, as a user would type them */
#define VOLUME_RAW       "name: {{.Name}}\\ndriver: {{.Driver}}\\n"
#define VOLUME_RAW_QUIET "name: {{.Name}}"

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

/* The path of a volume, its name trimmed as the docker client's trimID does (an empty one is
 * refused before any request); NULL with *err. */
static char *volume_path(const char *name, bt_err **err)
{
    bt_autofree char *trimmed = berth_trim_id("volume", name, err);
    if (!trimmed)
        return NULL;
    bt_autofree char *escaped = berth_escape(trimmed);
    return bt_xasprintf("/volumes/%s", escaped);
}

int berth_cmd_volume_create(struct berth_cli *cli, int argc, char **argv)
{
    const char *driver = "local", *name = "";
    bt_autoptr(json_t) labels = NULL;
    bt_autoptr(json_t) opts = NULL;
    struct bt_flag flags[] = {
            {.name = "driver",
             .shorthand = 'd',
             .type = BT_FLAG_STRING,
             .value = &driver,
             .usage = "Specify volume driver name",
             .def_text = "local"},
            {.name = "label",
             .type = BT_FLAG_FUNC,
             .value = &labels,
             .set = berth_flag_label,
             .metavar = "list",
             .usage = "Set metadata for a volume"},
            {.name = "name",
             .type = BT_FLAG_STRING,
             .value = &name,
             .usage = "Specify volume name",
             .hidden = true},
            {.name = "opt",
             .shorthand = 'o',
             .type = BT_FLAG_FUNC,
             .value = &opts,
             .set = berth_flag_map,
             .metavar = "map",
             .usage = "Set driver specific options",
             .def_text = "map[]"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS] [VOLUME]", cli->prog, cli->path);
    struct bt_flagset fs = {
            .usage = usage, .description = "Create a volume", .flags = flags, .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 0, 1)) != 0)
        return rc;
    if (args[0]) {
        if (*name) {
            fprintf(cli->err, "conflicting options: cannot specify a volume-name through both "
                              "--name and as a positional arg\n");
            return BERTH_EXIT_FAIL;
        }
        name = args[0];
    }
    /* volume.CreateOptions as the docker CLI sends it: the maps are never null */
    bt_autofree char *go_driver = berth_go_utf8(driver);
    bt_autofree char *go_name = berth_go_utf8(name);
    bt_autoptr(json_t) body =
            json_pack("{s:s, s:o, s:o, s:s}", "Driver", go_driver, "DriverOpts",
                      opts ? json_incref(opts) : json_object(), "Labels",
                      labels ? json_incref(labels) : json_object(), "Name", go_name);
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_err *err = NULL;
    bt_autoptr(json_t) vol = cl_json(c, "POST", "/volumes/create", body, NULL, &err);
    if (err)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    fprintf(cli->out, "%s\n", bt_json_get_str(vol, "Name", ""));
    return 0;
}

int berth_cmd_volume_ls(struct berth_cli *cli, int argc, char **argv)
{
    bool quiet = false;
    const char *format = NULL;
    bt_autoptr(json_t) filters = NULL;
    struct bt_flag flags[] = {
            {.name = "filter",
             .shorthand = 'f',
             .type = BT_FLAG_FUNC,
             .value = &filters,
             .set = berth_flag_filter,
             .metavar = "filter",
             .usage = "Provide filter values (e.g. \"dangling=true\")"},
            {.name = "format", .type = BT_FLAG_STRING, .value = &format, .usage = FORMAT_HELP},
            {.name = "quiet",
             .shorthand = 'q',
             .type = BT_FLAG_BOOL,
             .value = &quiet,
             .usage = "Only display volume names"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS]", cli->prog, cli->path);
    struct bt_flagset fs = {
            .usage = usage, .description = "List volumes", .flags = flags, .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 0, 0)) != 0)
        return rc;
    bt_autostrbuf struct bt_strbuf path = BT_STRBUF_INIT;
    bt_strbuf_append(&path, "/volumes");
    bt_autofree char *f = berth_filters_query(filters);
    if (f)
        bt_strbuf_appendf(&path, "?filters=%s", f);
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_err *err = NULL;
    bt_autoptr(json_t) answer = cl_json(c, "GET", bt_strbuf_str(&path), NULL, NULL, &err);
    if (err)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    json_t *vols = bt_json_get_arr(answer, "Volumes");
    berth_sort_by_name(vols);
    bt_autoptr(json_t) rows = json_array();
    for (size_t i = 0; i < json_array_size(vols); i++)
        json_array_append_new(rows, berth_volume_row(json_array_get(vols, i)));
    /* NewVolumeFormat: "table" (also the default) and "raw" have quiet variants */
    const char *fmt = format;
    if (!fmt || !*fmt || strcmp(fmt, "table") == 0)
        fmt = quiet ? "{{.Name}}" : VOLUME_TABLE;
    else if (strcmp(fmt, "raw") == 0)
        fmt = quiet ? VOLUME_RAW_QUIET : VOLUME_RAW;
    bt_autoptr(json_t) header = berth_volume_header();
    struct berth_label_ctx lc = {.rows = rows, .objs = vols};
    struct fmt_exec_opts eo = {
            .types = berth_volume_row_types, .method = berth_label_method, .method_ctx = &lc};
    struct fmt_list l = {.opts = &eo,
                         .format = fmt,
                         .default_format = VOLUME_TABLE,
                         .header = header,
                         .rows = rows};
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    if (fmt_list_render(&l, &out, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    fputs(bt_strbuf_str(&out), cli->out);
    return 0;
}

/* The inspector of the docker CLI on volume.Volume values: there is no raw fallback for
 * volumes (VolumeInspect hands the typed value only), so a template that fails on one volume
 * is that volume's error. */
static void inspect_one(struct cl_client *c, const char *name, const struct fmt_template *t,
                        json_t *all, struct bt_strbuf *out, struct bt_strbuf *errors)
{
    bt_err *err = NULL;
    bt_autofree char *path = volume_path(name, &err);
    bt_autoptr(json_t) vol = path ? cl_json(c, "GET", path, NULL, NULL, &err) : NULL;
    if (err) {
        berth_add_error(errors, err);
        return;
    }
    if (!t) {
        json_array_append_new(all, berth_volume_go_json(vol));
        return;
    }
    bt_autoptr(json_t) typed = berth_volume_typed(vol);
    struct fmt_exec_opts eo = {.types = berth_volume_types};
    size_t mark = out->len;
    if (fmt_template_exec(t, typed, &eo, out, &err) < 0) {
        bt_strbuf_truncate(out, mark);
        bt_err_wrap(&err, "template parsing error");
        berth_add_error(errors, err);
        return;
    }
    bt_strbuf_append_c(out, '\n');
}

int berth_cmd_volume_inspect(struct berth_cli *cli, int argc, char **argv)
{
    const char *format = NULL;
    struct bt_flag flags[] = {
            {.name = "format",
             .shorthand = 'f',
             .type = BT_FLAG_STRING,
             .value = &format,
             .usage = INSPECT_FORMAT_HELP},
            {0},
    };
    bt_autofree char *usage =
            bt_xasprintf("%s %s [OPTIONS] VOLUME [VOLUME...]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Display detailed information on one or more volumes",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, -1)) != 0)
        return rc;
    bt_err *err = NULL;
    bt_autoptr(fmt_template) t = NULL;
    bool json_fmt = format && strcmp(format, "json") == 0;
    if (format && *format && !json_fmt) {
        t = fmt_template_parse(format, &err);
        if (!t) {
            bt_err_wrap(&err, "template parsing error");
            return berth_fail(cli, err, 64);
        }
    }
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    bt_autostrbuf struct bt_strbuf errors = BT_STRBUF_INIT;
    bt_autoptr(json_t) all = json_array();
    for (char **n = args; *n; n++)
        inspect_one(c, *n, t, all, &out, &errors);
    if (t) {
        fputs(out.len ? bt_strbuf_str(&out) : "\n", cli->out);
    } else {
        /* json.MarshalIndent / json.Marshal of the Go values: HTML characters escaped */
        char *text = json_fmt ? bt_json_dumps(all) : bt_json_dumps_pretty(all, 4);
        bt_autofree char *go = bt_json_html_escape(text);
        fprintf(cli->out, "%s\n", go);
    }
    return berth_print_errors(cli, &errors);
}

int berth_cmd_volume_rm(struct berth_cli *cli, int argc, char **argv)
{
    bool force = false;
    struct bt_flag flags[] = {
            {.name = "force",
             .shorthand = 'f',
             .type = BT_FLAG_BOOL,
             .value = &force,
             .usage = "Force the removal of one or more volumes"},
            {0},
    };
    bt_autofree char *usage =
            bt_xasprintf("%s %s [OPTIONS] VOLUME [VOLUME...]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Remove one or more volumes. You cannot remove a "
                                           "volume that is in use by a container.",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, -1)) != 0)
        return rc;
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_autostrbuf struct bt_strbuf errors = BT_STRBUF_INIT;
    for (char **n = args; *n; n++) {
        bt_err *err = NULL;
        bt_autofree char *path = volume_path(*n, &err);
        bt_autofree char *full = path ? bt_xasprintf("%s%s", path, force ? "?force=1" : "") : NULL;
        struct cl_request req = {.method = "DELETE", .path = full};
        struct cl_response resp;
        if (full && cl_call(c, &req, &resp, &err) >= 0) {
            cl_response_clear(&resp);
            fprintf(cli->out, "%s\n", *n);
            continue;
        }
        berth_add_error(&errors, err);
    }
    return berth_print_errors(cli, &errors);
}

/* Is the API version the client speaks (negotiated) at least major.minor? */
static bool api_at_least(struct cl_client *c, int major, int minor)
{
    int ma = 0, mi = 0;
    if (sscanf(cl_api_version(c), "%d.%d", &ma, &mi) != 2)
        return false;
    return ma > major || (ma == major && mi >= minor);
}

#define PRUNE_ANONYMOUS                                                                       \
    "WARNING! This will remove anonymous local volumes not used by at least one container.\n" \
    "Are you sure you want to continue?"
#define PRUNE_ALL                                                                       \
    "WARNING! This will remove all local volumes not used by at least one container.\n" \
    "Are you sure you want to continue?"

int berth_cmd_volume_prune(struct berth_cli *cli, int argc, char **argv)
{
    bool all = false, force = false;
    bt_autoptr(json_t) filters = NULL;
    struct bt_flag flags[] = {
            {.name = "all",
             .shorthand = 'a',
             .type = BT_FLAG_BOOL,
             .value = &all,
             .usage = "Remove all unused volumes, not just anonymous ones"},
            {.name = "filter",
             .type = BT_FLAG_FUNC,
             .value = &filters,
             .set = berth_flag_filter,
             .metavar = "filter",
             .usage = "Provide filter values (e.g. \"label=<label>\")"},
            {.name = "force",
             .shorthand = 'f',
             .type = BT_FLAG_BOOL,
             .value = &force,
             .usage = "Do not prompt for confirmation"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Remove unused local volumes",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 0, 0)) != 0)
        return rc;
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    /* As the docker CLI: the version decides before the question, and an engine that cannot
     * be asked is taken to speak ours (the prune request then fails as any would). */
    bt_err *err = NULL;
    if (cl_negotiate(c, &err) < 0)
        bt_err_free(err);
    err = NULL;
    /*
     * API 1.42 made the engine prune only anonymous volumes unless the filter all is true;
     * before it, an engine prunes every unused volume and the CLI warns so. The docker CLI
     * refuses --all below 1.42 (the flag's version annotation); berth sends all=true there
     * too, which asks an older engine for what it does anyway.
     */
    const char *warning = PRUNE_ALL;
    if (api_at_least(c, 1, 42) && !all)
        warning = PRUNE_ANONYMOUS;
    if (all) {
        if (json_object_get(filters, "all")) {
            fprintf(cli->err,
                    "conflicting options: cannot specify both --all and --filter all=1\n");
            return BERTH_EXIT_FAIL;
        }
        berth_flag_filter(&filters, "all=true", NULL);
    }
    if (!force && !berth_confirm(cli, warning))
        return 0; /* docker: cancelled, quietly */
    bt_autostrbuf struct bt_strbuf path = BT_STRBUF_INIT;
    bt_strbuf_append(&path, "/volumes/prune");
    bt_autofree char *f = berth_filters_query(filters);
    if (f)
        bt_strbuf_appendf(&path, "?filters=%s", f);
    bt_autoptr(json_t) report = cl_json(c, "POST", bt_strbuf_str(&path), NULL, NULL, &err);
    if (err)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    json_t *deleted = bt_json_get_arr(report, "VolumesDeleted");
    int64_t reclaimed = 0;
    if (json_array_size(deleted)) {
        fprintf(cli->out, "Deleted Volumes:\n");
        for (size_t i = 0; i < json_array_size(deleted); i++)
            fprintf(cli->out, "%s\n", json_string_value(json_array_get(deleted, i)) ?: "");
        fprintf(cli->out, "\n");
        reclaimed = bt_json_get_int(report, "SpaceReclaimed", 0);
    }
    bt_autostrbuf struct bt_strbuf size = BT_STRBUF_INIT;
    fmt_human_size((double)reclaimed, 4, &size);
    fprintf(cli->out, "Total reclaimed space: %s\n", bt_strbuf_str(&size));
    return 0;
}
