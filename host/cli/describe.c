/* SPDX-License-Identifier: Apache-2.0 */
/* Describe mode: commands record their flag sets instead of running (see commands.h). */
#include "host/cli/commands.h"
#include "shared/flags/flags.h"

void berth_describe_record(struct berth_cli *cli, const struct bt_flagset *fs, const char *cmd)
{
    if (cli->describe_fn)
        cli->describe_fn(cli->described, fs, cmd);
}
