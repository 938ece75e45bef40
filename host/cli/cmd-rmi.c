/* SPDX-License-Identifier: Apache-2.0 */
/* berth rmi / image rm: "Untagged: ..." and "Deleted: ..." lines, errors gathered at the end. */
#include <stdlib.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/util.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

int berth_cmd_rmi(struct berth_cli *cli, int argc, char **argv)
{
    bool force = false, no_prune = false;
    struct bt_flag flags[] = {
            {.name = "force",
             .shorthand = 'f',
             .type = BT_FLAG_BOOL,
             .value = &force,
             .usage = "Force removal of the image"},
            {.name = "no-prune",
             .type = BT_FLAG_BOOL,
             .value = &no_prune,
             .usage = "Do not delete untagged parents"},
            {0},
    };
    bt_autofree char *usage =
            bt_xasprintf("%s %s [OPTIONS] IMAGE [IMAGE...]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Remove one or more images",
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
        bt_autofree char *name = berth_escape(*n);
        bt_autostrbuf struct bt_strbuf path = BT_STRBUF_INIT;
        bt_strbuf_appendf(&path, "/images/%s", name);
        if (force)
            berth_query(&path, "force", "1");
        if (no_prune)
            berth_query(&path, "noprune", "1");
        bt_autoerr bt_err *err = NULL;
        bt_autoptr(json_t) doc = cl_json(c, "DELETE", bt_strbuf_str(&path), NULL, NULL, &err);
        if (err) {
            bt_strbuf_appendf(&errors, "%s%s%s", errors.len ? "\n" : "",
                              cl_err_is_daemon(err) ? "Error response from daemon: " : "",
                              bt_err_msg(err));
            rc = BERTH_EXIT_FAIL;
            continue;
        }
        size_t i;
        json_t *item;
        json_array_foreach (doc, i, item) {
            const char *u = bt_json_get_str(item, "Untagged", NULL);
            const char *d = bt_json_get_str(item, "Deleted", NULL);
            if (u)
                fprintf(cli->out, "Untagged: %s\n", u);
            else if (d)
                fprintf(cli->out, "Deleted: %s\n", d);
        }
    }
    if (errors.len) {
        fflush(cli->out);
        fprintf(cli->err, "%s\n", bt_strbuf_str(&errors));
    }
    return rc < 0 ? 0 : rc;
}
