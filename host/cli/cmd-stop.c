/* SPDX-License-Identifier: Apache-2.0 */
/* berth stop / restart / kill: docker's words and flags. */
#include <stdlib.h>
#include <string.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/util.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

static int stop_like(struct berth_cli *cli, int argc, char **argv, const char *verb,
                     const char *summary)
{
    const char *sig = NULL;
    int64_t timeout = 0;
    struct bt_flag flags[] = {
            {.name = "signal",
             .shorthand = 's',
             .type = BT_FLAG_STRING,
             .value = &sig,
             .usage = "Signal to send to the container"},
            {.name = "timeout",
             .shorthand = 't',
             .type = BT_FLAG_INT,
             .value = &timeout,
             .usage = "Seconds to wait before killing the container"},
            {.name = "time",
             .type = BT_FLAG_INT,
             .value = &timeout,
             .hidden = true,
             .usage = "Seconds to wait before killing the container (deprecated: use --timeout)"},
            {0},
    };
    bt_autofree char *usage =
            bt_xasprintf("%s %s [OPTIONS] CONTAINER [CONTAINER...]", cli->prog, cli->path);
    struct bt_flagset fs = {
            .usage = usage, .description = summary, .flags = flags, .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, -1)) != 0)
        return rc;
    if (flags[1].changed && flags[2].changed) {
        fprintf(cli->err, "conflicting options: cannot specify both --timeout and --time\n");
        return BERTH_EXIT_FAIL;
    }
    bt_autostrbuf struct bt_strbuf q = BT_STRBUF_INIT;
    bt_strbuf_appendf(&q, "/%s", verb);
    if (sig && *sig)
        berth_query(&q, "signal", sig);
    if (flags[1].changed || flags[2].changed) {
        char t[32];
        snprintf(t, sizeof(t), "%lld", (long long)timeout);
        berth_query(&q, "t", t);
    }
    return berth_each_container(cli, args, "POST", bt_strbuf_str(&q), true);
}

int berth_cmd_stop(struct berth_cli *cli, int argc, char **argv)
{
    return stop_like(cli, argc, argv, "stop", "Stop one or more running containers");
}

int berth_cmd_restart(struct berth_cli *cli, int argc, char **argv)
{
    return stop_like(cli, argc, argv, "restart", "Restart one or more containers");
}

int berth_cmd_kill(struct berth_cli *cli, int argc, char **argv)
{
    const char *sig = NULL;
    struct bt_flag flags[] = {
            {.name = "signal",
             .shorthand = 's',
             .type = BT_FLAG_STRING,
             .value = &sig,
             .usage = "Signal to send to the container"},
            {0},
    };
    bt_autofree char *usage =
            bt_xasprintf("%s %s [OPTIONS] CONTAINER [CONTAINER...]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Kill one or more running containers",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, -1)) != 0)
        return rc;
    bt_autostrbuf struct bt_strbuf q = BT_STRBUF_INIT;
    bt_strbuf_append(&q, "/kill");
    if (sig && *sig)
        berth_query(&q, "signal", sig);
    return berth_each_container(cli, args, "POST", bt_strbuf_str(&q), true);
}

static int simple(struct berth_cli *cli, int argc, char **argv, const char *suffix,
                  const char *summary)
{
    struct bt_flag flags[] = {{0}};
    bt_autofree char *usage = bt_xasprintf("%s %s CONTAINER [CONTAINER...]", cli->prog, cli->path);
    struct bt_flagset fs = {
            .usage = usage, .description = summary, .flags = flags, .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, -1)) != 0)
        return rc;
    return berth_each_container(cli, args, "POST", suffix, true);
}

int berth_cmd_pause(struct berth_cli *cli, int argc, char **argv)
{
    return simple(cli, argc, argv, "/pause", "Pause all processes within one or more containers");
}

int berth_cmd_unpause(struct berth_cli *cli, int argc, char **argv)
{
    return simple(cli, argc, argv, "/unpause",
                  "Unpause all processes within one or more containers");
}

int berth_cmd_rm(struct berth_cli *cli, int argc, char **argv)
{
    bool force = false, volumes = false, link = false;
    struct bt_flag flags[] = {
            {.name = "force",
             .shorthand = 'f',
             .type = BT_FLAG_BOOL,
             .value = &force,
             .usage = "Force the removal of a running container (uses SIGKILL)"},
            {.name = "link",
             .shorthand = 'l',
             .type = BT_FLAG_BOOL,
             .value = &link,
             .usage = "Remove the specified link"},
            {.name = "volumes",
             .shorthand = 'v',
             .type = BT_FLAG_BOOL,
             .value = &volumes,
             .usage = "Remove anonymous volumes associated with the container"},
            {0},
    };
    bt_autofree char *usage =
            bt_xasprintf("%s %s [OPTIONS] CONTAINER [CONTAINER...]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Remove one or more containers",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, -1)) != 0)
        return rc;
    bt_autostrbuf struct bt_strbuf q = BT_STRBUF_INIT;
    bt_strbuf_append(&q, "");
    if (volumes)
        berth_query(&q, "v", "1");
    if (link)
        berth_query(&q, "link", "1");
    if (force)
        berth_query(&q, "force", "1");
    return berth_each_container_opts(cli, args, "DELETE", bt_strbuf_str(&q), true, force);
}

int berth_cmd_rename(struct berth_cli *cli, int argc, char **argv)
{
    struct bt_flag flags[] = {{0}};
    bt_autofree char *usage = bt_xasprintf("%s %s CONTAINER NEW_NAME", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Rename a container",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 2, 2)) != 0)
        return rc;
    const char *old = args[0], *new_name = args[1];
    while (*old == ' ')
        old++;
    while (*new_name == ' ')
        new_name++;
    if (!*old || !*new_name) {
        fprintf(cli->err, "Error: Neither old nor new names may be empty\n");
        return BERTH_EXIT_FAIL;
    }
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_autofree char *id = berth_escape(old);
    bt_autofree char *nn = berth_escape(new_name);
    bt_autofree char *path = bt_xasprintf("/containers/%s/rename?name=%s", id, nn);
    struct cl_request req = {.method = "POST", .path = path};
    struct cl_response resp;
    bt_err *err = NULL;
    if (cl_call(c, &req, &resp, &err) < 0) {
        berth_fail(cli, err, 0);
        fprintf(cli->err, "Error: failed to rename container named %s\n", old);
        return BERTH_EXIT_FAIL;
    }
    cl_response_clear(&resp);
    return 0;
}

int berth_cmd_wait(struct berth_cli *cli, int argc, char **argv)
{
    struct bt_flag flags[] = {{0}};
    bt_autofree char *usage = bt_xasprintf("%s %s CONTAINER [CONTAINER...]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Block until one or more containers stop, then print "
                                           "their exit codes",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, -1)) != 0)
        return rc;
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_autostrbuf struct bt_strbuf errors = BT_STRBUF_INIT;
    for (char **n = args; *n; n++) {
        bt_autofree char *id = berth_escape(*n);
        bt_autofree char *path = bt_xasprintf("/containers/%s/wait", id);
        bt_autoerr bt_err *err = NULL;
        bt_autoptr(json_t) doc = cl_json(c, "POST", path, NULL, NULL, &err);
        if (!doc) {
            bt_strbuf_appendf(&errors, "%s%s%s", errors.len ? "\n" : "",
                              cl_err_is_daemon(err) ? "Error response from daemon: " : "",
                              err ? bt_err_msg(err) : "empty answer");
            rc = BERTH_EXIT_FAIL;
            continue;
        }
        fprintf(cli->out, "%lld\n", (long long)bt_json_get_int(doc, "StatusCode", -1));
        fflush(cli->out);
    }
    if (errors.len) {
        fflush(cli->out);
        fprintf(cli->err, "%s\n", bt_strbuf_str(&errors));
    }
    return rc < 0 ? 0 : rc;
}
