/* SPDX-License-Identifier: Apache-2.0 */
/* berth top CONTAINER [ps OPTIONS] */
#include <stdlib.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/util.h"
#include "host/format/tabwriter.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

static void join_row(struct bt_strbuf *sb, const json_t *arr)
{
    size_t i;
    json_t *v;
    json_array_foreach (arr, i, v)
        bt_strbuf_appendf(sb, "%s%s", i ? "\t" : "",
                          json_string_value(v) ? json_string_value(v) : "");
    bt_strbuf_append_c(sb, '\n');
}

int berth_cmd_top(struct berth_cli *cli, int argc, char **argv)
{
    struct bt_flag flags[] = {{0}};
    bt_autofree char *usage = bt_xasprintf("%s %s CONTAINER [ps OPTIONS]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Display the running processes of a container",
                            .flags = flags,
                            .interspersed = false};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, -1)) != 0)
        return rc;
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_autofree char *name = berth_escape(args[0]);
    bt_autostrbuf struct bt_strbuf path = BT_STRBUF_INIT;
    bt_strbuf_appendf(&path, "/containers/%s/top", name);
    if (args[1]) {
        bt_autostrbuf struct bt_strbuf ps = BT_STRBUF_INIT;
        for (char **a = args + 1; *a; a++)
            bt_strbuf_appendf(&ps, "%s%s", ps.len ? " " : "", *a);
        berth_query(&path, "ps_args", bt_strbuf_str(&ps));
    }
    bt_err *err = NULL;
    bt_autoptr(json_t) top = cl_json(c, "GET", bt_strbuf_str(&path), NULL, NULL, &err);
    if (!top)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    bt_autostrbuf struct bt_strbuf text = BT_STRBUF_INIT;
    join_row(&text, bt_json_get_arr(top, "Titles"));
    size_t i;
    json_t *p;
    json_array_foreach (bt_json_get_arr(top, "Processes"), i, p)
        join_row(&text, p);
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    struct fmt_tab_opts tab = {20, 1, 3, ' ', 0};
    fmt_tabwriter_format(text.buf, text.len, &tab, &out);
    fputs(bt_strbuf_str(&out), cli->out);
    return 0;
}
