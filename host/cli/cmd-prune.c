/* SPDX-License-Identifier: Apache-2.0 */
/* berth container prune / image prune: docker's question, list and total. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/util.h"
#include "host/format/units.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

static int prune(struct berth_cli *cli, int argc, char **argv, bool images)
{
    bool force = false, all = false;
    const char **filters = NULL;
    struct bt_flag flags[] = {
            {.name = "all",
             .shorthand = 'a',
             .type = BT_FLAG_BOOL,
             .value = &all,
             .usage = "Remove all unused images, not just dangling ones",
             .hidden = !images},
            {.name = "filter",
             .type = BT_FLAG_STRINGS,
             .value = &filters,
             .usage = "Provide filter values (e.g. \"until=<timestamp>\")",
             .metavar = "filter"},
            {.name = "force",
             .shorthand = 'f',
             .type = BT_FLAG_BOOL,
             .value = &force,
             .usage = "Do not prompt for confirmation"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = images ? "Remove unused images"
                                                  : "Remove all stopped containers",
                            .flags = images ? flags : flags + 1,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc < 0 && (rc = berth_check_args(cli, &fs, cli->path, args, 0, 0)) == 0)
        rc = -1;
    size_t nf = 0;
    while (filters && filters[nf])
        nf++;
    const char **fl = bt_xzalloc((nf + 2) * sizeof(char *));
    if (nf) /* filters is NULL without --filter */
        memcpy(fl, filters, nf * sizeof(char *));
    free(filters);
    if (images)
        fl[nf] = all ? "dangling=false" : "dangling=true";
    bt_err *err = NULL;
    bt_autofree char *f = rc < 0 ? berth_filters(fl, &err) : NULL;
    free(fl);
    if (rc >= 0)
        return rc;
    if (err)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    const char *warning =
            !images ? "WARNING! This will remove all stopped containers.\nAre you sure you want "
                      "to continue?"
            : all   ? "WARNING! This will remove all images without at least one container "
                      "associated to them.\nAre you sure you want to continue?"
                    : "WARNING! This will remove all dangling images.\nAre you sure you want to "
                      "continue?";
    if (!force && !berth_confirm(cli, warning))
        return 0; /* docker: cancelled, quietly */
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_autostrbuf struct bt_strbuf path = BT_STRBUF_INIT;
    bt_strbuf_appendf(&path, "/%s/prune", images ? "images" : "containers");
    if (f)
        bt_strbuf_appendf(&path, "?filters=%s", f);
    bt_autoptr(json_t) report = cl_json(c, "POST", bt_strbuf_str(&path), NULL, NULL, &err);
    if (!report)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    json_t *deleted = bt_json_get_arr(report, images ? "ImagesDeleted" : "ContainersDeleted");
    int64_t reclaimed = 0;
    if (json_array_size(deleted)) {
        fprintf(cli->out, "Deleted %s:\n", images ? "Images" : "Containers");
        size_t i;
        json_t *d;
        json_array_foreach (deleted, i, d) {
            if (!images)
                fprintf(cli->out, "%s\n", json_string_value(d));
            else if (*bt_json_get_str(d, "Untagged", ""))
                fprintf(cli->out, "untagged: %s\n", bt_json_get_str(d, "Untagged", ""));
            else
                fprintf(cli->out, "deleted: %s\n", bt_json_get_str(d, "Deleted", ""));
        }
        fprintf(cli->out, "\n");
        reclaimed = bt_json_get_int(report, "SpaceReclaimed", 0);
    }
    bt_autostrbuf struct bt_strbuf size = BT_STRBUF_INIT;
    fmt_human_size((double)reclaimed, 4, &size);
    fprintf(cli->out, "Total reclaimed space: %s\n", bt_strbuf_str(&size));
    return 0;
}

int berth_cmd_container_prune(struct berth_cli *cli, int argc, char **argv)
{
    return prune(cli, argc, argv, false);
}

int berth_cmd_image_prune(struct berth_cli *cli, int argc, char **argv)
{
    return prune(cli, argc, argv, true);
}
