/* SPDX-License-Identifier: Apache-2.0 */
/* berth history / image history */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/util.h"
#include "host/format/list.h"
#include "host/format/units.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

#define HISTORY_TABLE     "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
#define HISTORY_TABLE_RAW "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
#define EPOCH_2000        946684800

static char *rfc3339(int64_t sec)
{
    time_t t = (time_t)sec;
    struct tm tm;
    localtime_r(&t, &tm);
    char buf[64], zone[8];
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(zone, sizeof(zone), "%z", &tm);
    if (strcmp(zone, "+0000") == 0)
        return bt_xasprintf("%sZ", buf);
    return bt_xasprintf("%s%.3s:%s", buf, zone, zone + 3);
}

static json_t *row(const json_t *h, bool human, bool trunc, int64_t now)
{
    json_t *r = json_object();
    int64_t created = bt_json_get_int(h, "Created", 0);
    const char *id = bt_json_get_str(h, "Id", "");
    bt_autofree char *sid = trunc ? berth_short_id(id) : bt_xstrdup(id);
    bt_autofree char *at = rfc3339(created);
    bt_autostrbuf struct bt_strbuf since = BT_STRBUF_INIT, size = BT_STRBUF_INIT;
    if (!human)
        bt_strbuf_append(&since, at);
    else if (created <= EPOCH_2000)
        bt_strbuf_append(&since, "N/A");
    else
        fmt_time_ago(created * FMT_NS_PER_SEC, now, &since);
    bt_autofree char *by = bt_xstrdup(bt_json_get_str(h, "CreatedBy", ""));
    for (char *p = by; *p; p++)
        if (*p == '\t')
            *p = ' ';
    bt_autofree char *byt = trunc ? berth_ellipsis(by, 45) : bt_xstrdup(by);
    if (human)
        fmt_human_size((double)bt_json_get_int(h, "Size", 0), 3, &size);
    else
        bt_strbuf_appendf(&size, "%lld", (long long)bt_json_get_int(h, "Size", 0));
    bt_json_set_str(r, "Comment", bt_json_get_str(h, "Comment", ""));
    bt_json_set_str(r, "CreatedAt", at);
    bt_json_set_str(r, "CreatedBy", byt);
    bt_json_set_str(r, "CreatedSince", bt_strbuf_str(&since));
    bt_json_set_str(r, "ID", sid);
    bt_json_set_str(r, "Size", bt_strbuf_str(&size));
    return r;
}

int berth_cmd_history(struct berth_cli *cli, int argc, char **argv)
{
    bool human = true, quiet = false, no_trunc = false;
    const char *format = NULL, *platform = NULL;
    struct bt_flag flags[] = {
            {.name = "format",
             .type = BT_FLAG_STRING,
             .value = &format,
             .usage = "Format output using a custom template:\n'table':            Print output "
                      "in table format with column headers (default)\n'table TEMPLATE':   Print "
                      "output in table format using the given Go template\n'json':             "
                      "Print in JSON format\n'TEMPLATE':         Print output using the given Go "
                      "template.\nRefer to https://docs.docker.com/go/formatting/ for more "
                      "information about formatting output with templates"},
            {.name = "human",
             .shorthand = 'H',
             .type = BT_FLAG_BOOL,
             .value = &human,
             .usage = "Print sizes and dates in human readable format",
             .def_text = "true"},
            {.name = "no-trunc",
             .type = BT_FLAG_BOOL,
             .value = &no_trunc,
             .usage = "Don't truncate output"},
            {.name = "platform",
             .type = BT_FLAG_STRING,
             .value = &platform,
             .usage = "Show history for the given platform. Formatted as "
                      "\"os[/arch[/variant]]\" (e.g., \"linux/amd64\")"},
            {.name = "quiet",
             .shorthand = 'q',
             .type = BT_FLAG_BOOL,
             .value = &quiet,
             .usage = "Only show image IDs"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS] IMAGE", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Show the history of an image",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, 1)) != 0)
        return rc;
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_err *err = NULL;
    bt_autofree char *name = berth_escape(args[0]);
    bt_autostrbuf struct bt_strbuf path = BT_STRBUF_INIT;
    bt_strbuf_appendf(&path, "/images/%s/history", name);
    bt_autoptr(json_t) list = cl_json(c, "GET", bt_strbuf_str(&path), NULL, NULL, &err);
    if (!list)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * FMT_NS_PER_SEC + ts.tv_nsec;
    bt_autoptr(json_t) rows = json_array();
    size_t i;
    json_t *h;
    json_array_foreach (list, i, h)
        json_array_append_new(rows, row(h, human, !no_trunc, now));
    const char *fmt = format;
    if (quiet && (!format || !*format || strcmp(format, "table") == 0))
        fmt = "{{.ID}}";
    bt_autoptr(json_t) header = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "IMAGE", "CreatedSince", "CREATED", "CreatedAt",
            "CREATED AT", "CreatedBy", "CREATED BY", "Size", "SIZE", "Comment", "COMMENT");
    static const struct fmt_type types[] = {{"", "*image.historyContext"}, {NULL, NULL}};
    struct fmt_exec_opts eo = {.types = types};
    struct fmt_list l = {.opts = &eo,
                         .format = fmt,
                         .default_format = human ? HISTORY_TABLE : HISTORY_TABLE_RAW,
                         .header = header,
                         .rows = rows};
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    if (fmt_list_render(&l, &out, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    fputs(bt_strbuf_str(&out), cli->out);
    return 0;
}
