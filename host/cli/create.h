/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* The create request that `create` and `run` share, with docker's pull-if-missing. */
#include <jansson.h>
#include <stdbool.h>

#include "host/cli/commands.h"

struct berth_create_opts {
    const char *name;
    const char *platform;
    const char *pull; /* "missing", "always", "never" */
    const char *cidfile;
    bool quiet;
};

/* Create the container; returns its id. Warnings go to stderr ("WARNING: ..."). An image that
 * is missing is pulled ("Unable to find image 'x' locally") unless pull is "never". */
char *berth_create(struct berth_cli *cli, struct cl_client *c, json_t *body,
                   const struct berth_create_opts *o, bt_err **err);
