/* SPDX-License-Identifier: Apache-2.0 */
/* berth port CONTAINER [PRIVATE_PORT[/PROTO]]: the docker CLI's container/port.go. */
#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/port-format.h"
#include "host/cli/util.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

int berth_cmd_port(struct berth_cli *cli, int argc, char **argv)
{
    struct bt_flag flags[] = {{0}};
    bt_autofree char *usage =
            bt_xasprintf("%s %s CONTAINER [PRIVATE_PORT[/PROTO]]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description =
                                    "List port mappings or a specific mapping for the container",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, 2)) != 0)
        return rc;
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_autofree char *name = berth_escape(args[0]);
    bt_autofree char *path = bt_xasprintf("/containers/%s/json", name);
    bt_err *err = NULL;
    bt_autoptr(json_t) ctr = cl_json(c, "GET", path, NULL, NULL, &err);
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    if (!ctr || berth_port_lines(ctr, args[1], args[0], &out, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    fputs(bt_strbuf_str(&out), cli->out);
    return 0;
}
