/* SPDX-License-Identifier: Apache-2.0 */
/* berth tag SOURCE TARGET */
#include <stdlib.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/util.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/reference/reference.h"

int berth_cmd_tag(struct berth_cli *cli, int argc, char **argv)
{
    struct bt_flag flags[] = {{0}};
    bt_autofree char *usage =
            bt_xasprintf("%s %s SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 2, 2)) != 0)
        return rc;
    bt_err *err = NULL;
    bt_autoptr(bt_ref) target = bt_ref_parse(args[1], &err);
    if (!target) {
        bt_err_wrap(&err, "Error parsing reference: \"%s\" is not a valid repository/tag", args[1]);
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    if (target->digest) {
        fprintf(cli->err, "refusing to create a tag with a digest reference\n");
        return BERTH_EXIT_FAIL;
    }
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_autofree char *name = bt_ref_name(target);
    bt_autofree char *src = berth_escape(args[0]);
    bt_autostrbuf struct bt_strbuf path = BT_STRBUF_INIT;
    bt_strbuf_appendf(&path, "/images/%s/tag", src);
    berth_query(&path, "repo", name);
    berth_query(&path, "tag", target->tag ? target->tag : "latest");
    struct cl_request req = {.method = "POST", .path = bt_strbuf_str(&path)};
    struct cl_response resp;
    if (cl_call(c, &req, &resp, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    cl_response_clear(&resp);
    return 0;
}
