/* SPDX-License-Identifier: Apache-2.0 */
/* berth commit CONTAINER [REPOSITORY[:TAG]] */
#include <stdlib.h>
#include <string.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/util.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"
#include "shared/reference/reference.h"

int berth_cmd_commit(struct berth_cli *cli, int argc, char **argv)
{
    const char *author = NULL, *message = NULL;
    const char **changes = NULL;
    bool pause = true;
    struct bt_flag flags[] = {
            {.name = "author",
             .shorthand = 'a',
             .type = BT_FLAG_STRING,
             .value = &author,
             .usage = "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")"},
            {.name = "change",
             .shorthand = 'c',
             .type = BT_FLAG_STRINGS,
             .value = &changes,
             .usage = "Apply Dockerfile instruction to the created image"},
            {.name = "message",
             .shorthand = 'm',
             .type = BT_FLAG_STRING,
             .value = &message,
             .usage = "Commit message"},
            {.name = "pause",
             .shorthand = 'p',
             .type = BT_FLAG_BOOL,
             .value = &pause,
             .usage = "Pause container during commit",
             .def_text = "true"},
            {0},
    };
    bt_autofree char *usage =
            bt_xasprintf("%s %s [OPTIONS] CONTAINER [REPOSITORY[:TAG]]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Create a new image from a container's changes",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0) {
        free(changes);
        return rc;
    }
    bt_autofree const char **changes_owned = changes; /* frees the list on every return */
    (void)changes_owned;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, 2)) != 0)
        return rc;
    bt_err *err = NULL;
    bt_autoptr(bt_ref) ref = NULL;
    if (args[1]) {
        ref = bt_ref_parse(args[1], &err);
        if (!ref)
            return berth_fail(cli, err, BERTH_EXIT_FAIL);
        if (ref->digest) {
            fprintf(cli->err, "refusing to create a tag with a digest reference\n");
            return BERTH_EXIT_FAIL;
        }
    }
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_autostrbuf struct bt_strbuf path = BT_STRBUF_INIT;
    bt_strbuf_append(&path, "/commit");
    berth_query(&path, "container", args[0]);
    if (ref) {
        bt_autofree char *name = bt_ref_name(ref);
        berth_query(&path, "repo", name);
        berth_query(&path, "tag", ref->tag ? ref->tag : "latest");
    }
    berth_query(&path, "comment", message ? message : "");
    berth_query(&path, "author", author ? author : "");
    for (const char **ch = changes; ch && *ch; ch++)
        berth_query(&path, "changes", *ch);
    berth_query(&path, "pause", pause ? "1" : "0");
    struct cl_request req = {.method = "POST", .path = bt_strbuf_str(&path)};
    struct cl_response resp;
    if (cl_call(c, &req, &resp, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    bt_autoptr(json_t) doc = bt_json_parse(bt_strbuf_str(&resp.body), resp.body.len, NULL);
    cl_response_clear(&resp);
    fprintf(cli->out, "%s\n", bt_json_get_str(doc, "Id", ""));
    return 0;
}
