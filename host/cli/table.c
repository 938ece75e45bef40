/* SPDX-License-Identifier: Apache-2.0 */
/* The command table: docker's commands and groups, the same function behind an alias
 * ("ps" and "container ls"). */
#include "host/cli/commands.h"
#include "host/cli/cmds.h"

static const struct berth_cmd container_cmds[] = {
        {"create", "Create a new container", berth_cmd_create, BERTH_GROUP_OTHER, NULL},
        {"kill", "Kill one or more running containers", berth_cmd_kill, BERTH_GROUP_OTHER, NULL},
        {"pause", "Pause all processes within one or more containers", berth_cmd_pause,
         BERTH_GROUP_OTHER, NULL},
        {"rename", "Rename a container", berth_cmd_rename, BERTH_GROUP_OTHER, NULL},
        {"restart", "Restart one or more containers", berth_cmd_restart, BERTH_GROUP_OTHER, NULL},
        {"rm", "Remove one or more containers", berth_cmd_rm, BERTH_GROUP_OTHER, NULL},
        {"run", "Create and run a new container from an image", berth_cmd_run, BERTH_GROUP_OTHER,
         NULL},
        {"stop", "Stop one or more running containers", berth_cmd_stop, BERTH_GROUP_OTHER, NULL},
        {"unpause", "Unpause all processes within one or more containers", berth_cmd_unpause,
         BERTH_GROUP_OTHER, NULL},
        {"wait", "Block until one or more containers stop, then print their exit codes",
         berth_cmd_wait, BERTH_GROUP_OTHER, NULL},
        {NULL, NULL, NULL, 0, NULL},
};

const struct berth_cmd berth_commands[] = {
        {"run", "Create and run a new container from an image", berth_cmd_run, BERTH_GROUP_COMMON,
         NULL},
        {"version", "Show the Berth version information", berth_cmd_version, BERTH_GROUP_COMMON,
         NULL},
        {"quickstart", "Create and start the default machine, then open a shell for it",
         berth_cmd_quickstart, BERTH_GROUP_COMMON, NULL},
        {"container", "Manage containers", NULL, BERTH_GROUP_MANAGEMENT, container_cmds},
        {"create", "Create a new container", berth_cmd_create, BERTH_GROUP_OTHER, NULL},
        {"kill", "Kill one or more running containers", berth_cmd_kill, BERTH_GROUP_OTHER, NULL},
        {"pause", "Pause all processes within one or more containers", berth_cmd_pause,
         BERTH_GROUP_OTHER, NULL},
        {"rename", "Rename a container", berth_cmd_rename, BERTH_GROUP_OTHER, NULL},
        {"restart", "Restart one or more containers", berth_cmd_restart, BERTH_GROUP_OTHER, NULL},
        {"rm", "Remove one or more containers", berth_cmd_rm, BERTH_GROUP_OTHER, NULL},
        {"stop", "Stop one or more running containers", berth_cmd_stop, BERTH_GROUP_OTHER, NULL},
        {"unpause", "Unpause all processes within one or more containers", berth_cmd_unpause,
         BERTH_GROUP_OTHER, NULL},
        {"wait", "Block until one or more containers stop, then print their exit codes",
         berth_cmd_wait, BERTH_GROUP_OTHER, NULL},
        {NULL, NULL, NULL, 0, NULL},
};
