/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berthd: the engine. This file only wires the modules under guest/engine/ together; the work
 * lives there.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "berth-version.h"
#include "shared/base/cleanup.h"
#include "shared/flags/flags.h"

int main(int argc, char **argv)
{
    bool version = false;
    struct bt_flag flags[] = {
            {.name = "version",
             .shorthand = 'v',
             .type = BT_FLAG_BOOL,
             .value = &version,
             .usage = "Print version information and quit"},
            {0},
    };
    struct bt_flagset fs = {
            .usage = "berthd [OPTIONS]",
            .description = "The Berth engine: serves the Docker Engine API and runs containers.",
            .flags = flags,
            .interspersed = true,
    };
    bt_autoerr bt_err *err = NULL;
    bt_autofree char **args = NULL;
    int rc = bt_flags_parse(&fs, argc - 1, argv + 1, &args, &err);
    if (rc < 0) {
        /* dockerd's wording and status for a bad command line */
        fprintf(stderr, "%s\nSee 'berthd --help'.\n", bt_err_msg(err));
        return 1;
    }
    if (rc == BT_FLAGS_HELP) {
        bt_flags_print_help(&fs, stdout);
        return 0;
    }
    if (version) {
        printf("Berth version %s, build %s\n", BERTH_VERSION, BERTH_GIT_COMMIT);
        return 0;
    }
    if (args[0]) {
        fprintf(stderr, "\"berthd\" accepts no arguments.\nSee 'berthd --help'.\n");
        return 1;
    }
    fprintf(stderr, "berthd: this build cannot serve the Docker Engine API yet\n");
    return 1;
}
