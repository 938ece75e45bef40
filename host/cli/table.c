/* SPDX-License-Identifier: Apache-2.0 */
/* The command table: docker's commands and groups. One function serves a command wherever it
 * appears ("ps" and "container ls", "rmi" and "image rm"). */
#include "host/cli/cmds.h"
#include "host/cli/commands.h"

#define CMD(name, summary, fn)                     \
    {                                              \
        name, summary, fn, BERTH_GROUP_OTHER, NULL \
    }

#define S_BUILD   "Build an image from a Dockerfile"
#define S_ATTACH  "Attach local standard input, output, and error streams to a running container"
#define S_CP      "Copy files/folders between a container and the local filesystem"
#define S_COMMIT  "Create a new image from a container's changes"
#define S_CREATE  "Create a new container"
#define S_EXEC    "Execute a command in a running container"
#define S_KILL    "Kill one or more running containers"
#define S_LOGS    "Fetch the logs of a container"
#define S_PAUSE   "Pause all processes within one or more containers"
#define S_RENAME  "Rename a container"
#define S_RESTART "Restart one or more containers"
#define S_RM      "Remove one or more containers"
#define S_RUN     "Create and run a new container from an image"
#define S_START   "Start one or more stopped containers"
#define S_STOP    "Stop one or more running containers"
#define S_UNPAUSE "Unpause all processes within one or more containers"
#define S_WAIT    "Block until one or more containers stop, then print their exit codes"
#define S_IMPORT  "Import the contents from a tarball to create a filesystem image"
#define S_LOAD    "Load an image from a tar archive or STDIN"
#define S_RMI     "Remove one or more images"
#define S_SAVE    "Save one or more images to a tar archive (streamed to STDOUT by default)"
#define S_HISTORY "Show the history of an image"
#define S_TOP     "Display the running processes of a container"
#define S_TAG     "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"
#define S_PORT    "List port mappings or a specific mapping for the container"
#define S_PULL    "Download an image from a registry"
#define S_PUSH    "Upload an image to a registry"
#define S_EXPORT  "Export a container's filesystem as a tar archive"
#define S_DIFF    "Inspect changes to files or directories on a container's filesystem"
#define S_UPDATE  "Update configuration of one or more containers"
#define S_STATS   "Display a live stream of container(s) resource usage statistics"

/* clang-format off */
static const struct berth_cmd container_cmds[] = {
        CMD("attach", S_ATTACH, berth_cmd_attach),
        CMD("commit", S_COMMIT, berth_cmd_commit),
        CMD("cp", S_CP, berth_cmd_cp),
        CMD("create", S_CREATE, berth_cmd_create),
        CMD("diff", S_DIFF, berth_cmd_diff),
        CMD("exec", S_EXEC, berth_cmd_exec),
        CMD("export", S_EXPORT, berth_cmd_export),
        CMD("inspect", "Display detailed information on one or more containers",
            berth_cmd_container_inspect),
        CMD("kill", S_KILL, berth_cmd_kill),
        CMD("logs", S_LOGS, berth_cmd_logs),
        CMD("ls", "List containers", berth_cmd_ps),
        CMD("pause", S_PAUSE, berth_cmd_pause),
        CMD("port", S_PORT, berth_cmd_port),
        CMD("prune", "Remove all stopped containers", berth_cmd_container_prune),
        CMD("rename", S_RENAME, berth_cmd_rename),
        CMD("restart", S_RESTART, berth_cmd_restart),
        CMD("rm", S_RM, berth_cmd_rm),
        CMD("run", S_RUN, berth_cmd_run),
        CMD("start", S_START, berth_cmd_start),
        CMD("stats", S_STATS, berth_cmd_stats),
        CMD("stop", S_STOP, berth_cmd_stop),
        CMD("top", S_TOP, berth_cmd_top),
        CMD("unpause", S_UNPAUSE, berth_cmd_unpause),
        CMD("update", S_UPDATE, berth_cmd_update),
        CMD("wait", S_WAIT, berth_cmd_wait),
        {NULL, NULL, NULL, 0, NULL},
};

static const struct berth_cmd system_cmds[] = {
        CMD("df", "Show docker disk usage", berth_cmd_system_df),
        CMD("info", "Display system-wide information", berth_cmd_info),
        CMD("prune", "Remove unused data", berth_cmd_system_prune),
        {NULL, NULL, NULL, 0, NULL},
};

static const struct berth_cmd image_cmds[] = {
        CMD("build", S_BUILD, berth_cmd_build),
        CMD("history", S_HISTORY, berth_cmd_history),
        CMD("import", S_IMPORT, berth_cmd_import),
        CMD("inspect", "Display detailed information on one or more images",
            berth_cmd_image_inspect),
        CMD("load", S_LOAD, berth_cmd_load),
        CMD("ls", "List images", berth_cmd_images),
        CMD("prune", "Remove unused images", berth_cmd_image_prune),
        CMD("pull", S_PULL, berth_cmd_pull),
        CMD("push", S_PUSH, berth_cmd_push),
        CMD("rm", S_RMI, berth_cmd_rmi),
        CMD("save", S_SAVE, berth_cmd_save),
        CMD("tag", S_TAG, berth_cmd_tag),
        {NULL, NULL, NULL, 0, NULL},
};

static const struct berth_cmd context_cmds[] = {
        CMD("create", "Create a context", berth_cmd_context_create),
        CMD("inspect", "Display detailed information on one or more contexts",
            berth_cmd_context_inspect),
        CMD("ls", "List contexts", berth_cmd_context_ls),
        CMD("rm", "Remove one or more contexts", berth_cmd_context_rm),
        CMD("show", "Print the name of the current context", berth_cmd_context_show),
        CMD("use", "Set the current docker context", berth_cmd_context_use),
        {NULL, NULL, NULL, 0, NULL},
};

static const struct berth_cmd network_cmds[] = {
        CMD("connect", "Connect a container to a network", berth_cmd_network_connect),
        CMD("create", "Create a network", berth_cmd_network_create),
        CMD("disconnect", "Disconnect a container from a network", berth_cmd_network_disconnect),
        CMD("inspect", "Display detailed information on one or more networks",
            berth_cmd_network_inspect),
        CMD("ls", "List networks", berth_cmd_network_ls),
        CMD("prune", "Remove all unused networks", berth_cmd_network_prune),
        CMD("rm", "Remove one or more networks", berth_cmd_network_rm),
        {NULL, NULL, NULL, 0, NULL},
};

static const struct berth_cmd volume_cmds[] = {
        CMD("create", "Create a volume", berth_cmd_volume_create),
        CMD("inspect", "Display detailed information on one or more volumes",
            berth_cmd_volume_inspect),
        CMD("ls", "List volumes", berth_cmd_volume_ls),
        CMD("prune", "Remove unused local volumes", berth_cmd_volume_prune),
        CMD("rm", "Remove one or more volumes", berth_cmd_volume_rm),
        {NULL, NULL, NULL, 0, NULL},
};

const struct berth_cmd berth_commands[] = {
        {"run", S_RUN, berth_cmd_run, BERTH_GROUP_COMMON, NULL},
        {"exec", S_EXEC, berth_cmd_exec, BERTH_GROUP_COMMON, NULL},
        {"ps", "List containers", berth_cmd_ps, BERTH_GROUP_COMMON, NULL},
        {"build", S_BUILD, berth_cmd_build, BERTH_GROUP_COMMON, NULL},
        {"pull", S_PULL, berth_cmd_pull, BERTH_GROUP_COMMON, NULL},
        {"push", S_PUSH, berth_cmd_push, BERTH_GROUP_COMMON, NULL},
        {"images", "List images", berth_cmd_images, BERTH_GROUP_COMMON, NULL},
        {"login", "Authenticate to a registry", berth_cmd_login, BERTH_GROUP_COMMON, NULL},
        {"logout", "Log out from a registry", berth_cmd_logout, BERTH_GROUP_COMMON, NULL},
        {"version", "Show the Berth version information", berth_cmd_version, BERTH_GROUP_COMMON, NULL},
        {"info", "Display system-wide information", berth_cmd_info, BERTH_GROUP_COMMON, NULL},
        {"quickstart", "Create and start the default machine, then open a shell for it",
         berth_cmd_quickstart, BERTH_GROUP_COMMON, NULL},
        {"container", "Manage containers", NULL, BERTH_GROUP_MANAGEMENT, container_cmds},
        {"context", "Manage contexts", NULL, BERTH_GROUP_MANAGEMENT, context_cmds},
        {"image", "Manage images", NULL, BERTH_GROUP_MANAGEMENT, image_cmds},
        {"machine", "Manage Berth's VMs (docker-machine's commands)", NULL,
         BERTH_GROUP_MANAGEMENT, berth_machine_cmds},
        {"network", "Manage networks", NULL, BERTH_GROUP_MANAGEMENT, network_cmds, "COMMAND"},
        {"system", "Manage Docker", NULL, BERTH_GROUP_MANAGEMENT, system_cmds},
        {"volume", "Manage volumes", NULL, BERTH_GROUP_MANAGEMENT, volume_cmds, "COMMAND"},
        CMD("attach", S_ATTACH, berth_cmd_attach),
        CMD("commit", S_COMMIT, berth_cmd_commit),
        CMD("completion", "Generate the autocompletion script for the specified shell",
            berth_cmd_completion),
        CMD("cp", S_CP, berth_cmd_cp),
        CMD("create", S_CREATE, berth_cmd_create),
        CMD("diff", S_DIFF, berth_cmd_diff),
        CMD("events", "Get real time events from the server", berth_cmd_events),
        CMD("export", S_EXPORT, berth_cmd_export),
        CMD("history", S_HISTORY, berth_cmd_history),
        CMD("import", S_IMPORT, berth_cmd_import),
        CMD("inspect", "Return low-level information on Docker objects", berth_cmd_inspect),
        CMD("kill", S_KILL, berth_cmd_kill),
        CMD("load", S_LOAD, berth_cmd_load),
        CMD("logs", S_LOGS, berth_cmd_logs),
        CMD("pause", S_PAUSE, berth_cmd_pause),
        CMD("port", S_PORT, berth_cmd_port),
        CMD("rename", S_RENAME, berth_cmd_rename),
        CMD("restart", S_RESTART, berth_cmd_restart),
        CMD("rm", S_RM, berth_cmd_rm),
        CMD("rmi", S_RMI, berth_cmd_rmi),
        CMD("save", S_SAVE, berth_cmd_save),
        CMD("start", S_START, berth_cmd_start),
        CMD("stats", S_STATS, berth_cmd_stats),
        CMD("stop", S_STOP, berth_cmd_stop),
        CMD("tag", S_TAG, berth_cmd_tag),
        CMD("top", S_TOP, berth_cmd_top),
        CMD("unpause", S_UNPAUSE, berth_cmd_unpause),
        CMD("update", S_UPDATE, berth_cmd_update),
        CMD("wait", S_WAIT, berth_cmd_wait),
        {"__docs", "The command reference in Markdown (docs/cli.md)", berth_cmd_docs,
         BERTH_GROUP_HIDDEN, NULL},
        {NULL, NULL, NULL, 0, NULL},
};
/* clang-format on */
