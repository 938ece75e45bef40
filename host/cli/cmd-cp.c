/* SPDX-License-Identifier: Apache-2.0 */
/* berth cp CONTAINER:SRC DEST|-  and  berth cp SRC|- CONTAINER:DEST (the work: host/copy) */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/util.h"
#include "host/copy/copy.h"
#include "host/format/units.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"

int berth_cmd_cp(struct berth_cli *cli, int argc, char **argv)
{
    struct copy_opts o = {0};
    bool quiet = false;
    struct bt_flag flags[] = {
            {.name = "archive",
             .shorthand = 'a',
             .type = BT_FLAG_BOOL,
             .value = &o.copy_uid_gid,
             .usage = "Archive mode (copy all uid/gid information)"},
            {.name = "follow-link",
             .shorthand = 'L',
             .type = BT_FLAG_BOOL,
             .value = &o.follow_link,
             .usage = "Always follow symbol link in SRC_PATH"},
            {.name = "quiet",
             .shorthand = 'q',
             .type = BT_FLAG_BOOL,
             .value = &quiet,
             .usage = "Suppress progress output during copy. Progress output is automatically "
                      "suppressed if no terminal is attached"},
            {0},
    };
    bt_autofree char *usage =
            bt_xasprintf("%s %s [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\t%s %s [OPTIONS] "
                         "SRC_PATH|- CONTAINER:DEST_PATH",
                         cli->prog, cli->path, cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Copy files/folders between a container and the local "
                                           "filesystem\n\nUse '-' as the source to read a tar "
                                           "archive from stdin\nand extract it to a directory "
                                           "destination in a container.\nUse '-' as the "
                                           "destination to stream a tar archive of a\ncontainer "
                                           "source to stdout.",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 2, 2)) != 0)
        return rc;
    bt_err *err = NULL;
    if (!*args[0] || !*args[1]) {
        bt_err_set(&err, BT_E_INVALID, "%s can not be empty", !*args[0] ? "source" : "destination");
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    bt_autofree char *src_ctr = NULL, *src = NULL, *dst_ctr = NULL, *dst = NULL;
    copy_split_arg(args[0], &src_ctr, &src);
    copy_split_arg(args[1], &dst_ctr, &dst);
    if (src_ctr && dst_ctr)
        bt_err_set(&err, BT_E_INVALID, "copying between containers is not supported");
    else if (!src_ctr && !dst_ctr)
        bt_err_set(&err, BT_E_INVALID, "must specify at least one container source");
    if (err)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    fflush(cli->out);
    o.stdio_fd = src_ctr ? fileno(cli->out) : STDIN_FILENO;
    int64_t copied = 0;
    bt_autofree char *shown = NULL;
    rc = src_ctr ? copy_from_container(c, src_ctr, src, dst, &o, &copied, &shown, &err)
                 : copy_to_container(c, src, dst_ctr, dst, &o, &copied, &shown, &err);
    /* the docker CLI reports progress only to a terminal (or never with -q), and not when the
     * archive itself goes to stdout */
    bool report = !quiet && isatty(fileno(cli->out)) && strcmp(dst, "-") != 0;
    if (report && (rc == 0 || dst_ctr)) {
        bt_autostrbuf struct bt_strbuf size = BT_STRBUF_INIT;
        fmt_human_size((double)copied, 3, &size);
        fprintf(cli->err, "Successfully copied %s to %s\n", bt_strbuf_str(&size), shown);
    }
    if (rc < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    return 0;
}
