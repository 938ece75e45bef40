/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>

#include "host/cli/commands.h"
#include "shared/base/cleanup.h"
#include "shared/flags/flags.h"

/* The launcher of SPEC.md flow 1. The VM image (boot2vm/) and `berth machine` are not built
 * yet; until they are, quickstart says so plainly and fails rather than pretending. */
int berth_cmd_quickstart(struct berth_cli *cli, int argc, char **argv)
{
    struct bt_flag flags[] = {{0}};
    struct bt_flagset fs = {
            .usage = "berth quickstart",
            .description = "Create and start the default machine, then open a shell for it",
            .flags = flags,
            .interspersed = true,
    };
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, "quickstart", argc, argv, &args);
    if (rc >= 0)
        return rc;
    fprintf(cli->err,
            "berth quickstart: the Berth VM is not there yet.\n"
            "This build has no VM image (boot2vm) and no `berth machine` to start one, so there\n"
            "is no machine \"default\" to create. Both come with a later release.\n");
    return BERTH_EXIT_FAIL;
}
