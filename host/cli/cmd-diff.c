/* SPDX-License-Identifier: Apache-2.0 */
/* berth diff CONTAINER: the docker CLI's container/diff.go, "C /etc" lines in the engine's
 * order (kind 0 changed, 1 added, 2 deleted). */
#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/util.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

int berth_cmd_diff(struct berth_cli *cli, int argc, char **argv)
{
    struct bt_flag flags[] = {{0}};
    bt_autofree char *usage = bt_xasprintf("%s %s CONTAINER", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Inspect changes to files or directories on a "
                                           "container's filesystem",
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
    bt_autofree char *name = berth_escape(args[0]);
    bt_autofree char *path = bt_xasprintf("/containers/%s/changes", name);
    bt_err *err = NULL;
    bt_autoptr(json_t) changes = cl_json(c, "GET", path, NULL, NULL, &err);
    if (err)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    static const char kinds[] = {'C', 'A', 'D'};
    size_t i;
    json_t *ch;
    json_array_foreach (changes, i, ch) {
        int64_t kind = bt_json_get_int(ch, "Kind", 0);
        fprintf(cli->out, "%c %s\n", kind >= 0 && kind < 3 ? kinds[kind] : '?',
                bt_json_get_str(ch, "Path", ""));
    }
    return 0;
}
