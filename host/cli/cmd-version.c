/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "berth-version.h"
#include "host/cli/commands.h"
#include "shared/base/cleanup.h"
#include "shared/flags/flags.h"

/* The Docker Engine API version this client speaks (the engine serves the same). */
#define BERTH_API_VERSION "1.41"

int berth_cmd_version(struct berth_cli *cli, int argc, char **argv)
{
    struct bt_flag flags[] = {{0}};
    struct bt_flagset fs = {
            .usage = "berth version [OPTIONS]",
            .description = "Show the Berth version information",
            .flags = flags,
            .interspersed = true,
    };
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, "version", argc, argv, &args);
    if (rc >= 0)
        return rc;
    if (args[0])
        return berth_arg_error(cli, &fs, "version", "'berth version' accepts no arguments");
    struct utsname u;
    const char *arch = uname(&u) == 0 ? u.machine : "unknown";
    fprintf(cli->out,
            "Client:\n"
            " Version:           %s\n"
            " API version:       %s\n"
            " Git commit:        %s\n"
            " OS/Arch:           linux/%s\n",
            BERTH_VERSION, BERTH_API_VERSION, BERTH_GIT_COMMIT,
            strcmp(arch, "x86_64") == 0 ? "amd64" : arch);
    return 0;
}
