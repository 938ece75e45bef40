/* SPDX-License-Identifier: Apache-2.0 */
/* berth attach and berth start (with -a/-i the same streaming as attach). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/attach/attach.h"
#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/util.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

struct attach_req {
    const char *id;
    const char *detach_keys;
    bool in, out, err, tty, sig_proxy;
};

static int hijack(struct cl_client *c, const struct attach_req *a, struct cl_stream **s,
                  bt_err **err)
{
    bt_autostrbuf struct bt_strbuf path = BT_STRBUF_INIT;
    bt_strbuf_appendf(&path, "/containers/%s/attach", a->id);
    if (a->detach_keys)
        berth_query(&path, "detachKeys", a->detach_keys);
    if (a->err)
        berth_query(&path, "stderr", "1");
    if (a->in)
        berth_query(&path, "stdin", "1");
    if (a->out)
        berth_query(&path, "stdout", "1");
    berth_query(&path, "stream", "1");
    struct cl_request req = {.method = "POST", .path = bt_strbuf_str(&path)};
    return cl_hijack(c, &req, s, err);
}

static int stream(struct cl_client *c, struct cl_stream *s, const struct attach_req *a,
                  bt_err **err)
{
    struct at_opts ao = {.tty = a->tty,
                         .in_fd = a->in ? STDIN_FILENO : -1,
                         .out_fd = a->out ? STDOUT_FILENO : -1,
                         .err_fd = a->err ? (a->tty ? STDOUT_FILENO : STDERR_FILENO) : -1,
                         .detach_keys = a->detach_keys,
                         .client = c,
                         .id = a->id,
                         .sig_proxy = a->sig_proxy,
                         .resize = a->tty && isatty(STDOUT_FILENO)};
    if (ao.resize)
        at_resize(c, a->id, false, STDOUT_FILENO);
    return at_stream(s, &ao, err);
}

/* The container's exit code after the stream ended (docker's getExitStatus). */
static int exit_status(struct cl_client *c, const char *id)
{
    bt_autofree char *path = bt_xasprintf("/containers/%s/json", id);
    bt_autoptr(json_t) info = cl_json(c, "GET", path, NULL, NULL, NULL);
    json_t *st = bt_json_get_obj(info, "State");
    if (bt_json_get_bool(st, "Running", false))
        return 0;
    return (int)bt_json_get_int(st, "ExitCode", 0);
}

int berth_cmd_attach(struct berth_cli *cli, int argc, char **argv)
{
    bool no_stdin = false, sig_proxy = true;
    const char *keys = NULL;
    struct bt_flag flags[] = {
            {.name = "detach-keys",
             .type = BT_FLAG_STRING,
             .value = &keys,
             .usage = "Override the key sequence for detaching a container"},
            {.name = "no-stdin",
             .type = BT_FLAG_BOOL,
             .value = &no_stdin,
             .usage = "Do not attach STDIN"},
            {.name = "sig-proxy",
             .type = BT_FLAG_BOOL,
             .value = &sig_proxy,
             .usage = "Proxy all received signals to the process",
             .def_text = "true"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS] CONTAINER", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Attach local standard input, output, and error "
                                           "streams to a running container",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, 1)) != 0)
        return rc;
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_err *err = NULL;
    bt_autofree char *name = berth_escape(args[0]);
    bt_autofree char *ipath = bt_xasprintf("/containers/%s/json", name);
    bt_autoptr(json_t) info = cl_json(c, "GET", ipath, NULL, NULL, &err);
    if (!info)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    json_t *st = bt_json_get_obj(info, "State");
    json_t *cfg = bt_json_get_obj(info, "Config");
    if (!bt_json_get_bool(st, "Running", false)) {
        fprintf(cli->err, "You cannot attach to a stopped container, start it first\n");
        return BERTH_EXIT_FAIL;
    }
    if (bt_json_get_bool(st, "Paused", false)) {
        fprintf(cli->err, "You cannot attach to a paused container, unpause it first\n");
        return BERTH_EXIT_FAIL;
    }
    if (bt_json_get_bool(st, "Restarting", false)) {
        fprintf(cli->err, "You cannot attach to a restarting container, wait until it is "
                          "running\n");
        return BERTH_EXIT_FAIL;
    }
    struct attach_req a = {.id = args[0],
                           .detach_keys = keys,
                           .in = !no_stdin && bt_json_get_bool(cfg, "OpenStdin", false),
                           .out = true,
                           .err = true,
                           .tty = bt_json_get_bool(cfg, "Tty", false),
                           .sig_proxy = sig_proxy && !bt_json_get_bool(cfg, "Tty", false)};
    if (a.tty && a.in && !isatty(STDIN_FILENO)) {
        fprintf(cli->err, "the input device is not a TTY\n");
        return BERTH_EXIT_FAIL;
    }
    struct cl_stream *s = NULL;
    if (hijack(c, &a, &s, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    int end = stream(c, s, &a, &err);
    cl_stream_free(s);
    if (end < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    if (end == AT_END_DETACHED)
        return 0;
    return exit_status(c, args[0]);
}

static int start_attached(struct berth_cli *cli, struct cl_client *c, const char *name,
                          bool interactive, const char *keys)
{
    bt_err *err = NULL;
    bt_autofree char *en = berth_escape(name);
    bt_autofree char *ipath = bt_xasprintf("/containers/%s/json", en);
    bt_autoptr(json_t) info = cl_json(c, "GET", ipath, NULL, NULL, &err);
    if (!info)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    const char *id = bt_json_get_str(info, "Id", name);
    json_t *cfg = bt_json_get_obj(info, "Config");
    struct attach_req a = {.id = id,
                           .detach_keys = keys,
                           .in = interactive && bt_json_get_bool(cfg, "OpenStdin", false),
                           .out = true,
                           .err = true,
                           .tty = bt_json_get_bool(cfg, "Tty", false),
                           .sig_proxy = !bt_json_get_bool(cfg, "Tty", false)};
    if (a.tty && a.in && !isatty(STDIN_FILENO)) {
        fprintf(cli->err, "the input device is not a TTY\n");
        return BERTH_EXIT_FAIL;
    }
    struct cl_stream *s = NULL;
    if (hijack(c, &a, &s, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    bool autoremove = bt_json_get_bool(bt_json_get_obj(info, "HostConfig"), "AutoRemove", false);
    struct at_wait *w =
            at_wait_start(cl_client_endpoint(c), id, autoremove ? "removed" : "next-exit");
    bt_autofree char *spath = bt_xasprintf("/containers/%s/start", id);
    struct cl_request req = {.method = "POST", .path = spath};
    struct cl_response resp;
    if (cl_call(c, &req, &resp, &err) < 0) {
        cl_stream_free(s);
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    cl_response_clear(&resp);
    int end = stream(c, s, &a, &err);
    cl_stream_free(s);
    if (end < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    if (end == AT_END_DETACHED)
        return 0;
    int status = 0;
    if (at_wait_finish(w, &status, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    return status;
}

int berth_cmd_start(struct berth_cli *cli, int argc, char **argv)
{
    bool attach = false, interactive = false;
    const char *keys = NULL;
    struct bt_flag flags[] = {
            {.name = "attach",
             .shorthand = 'a',
             .type = BT_FLAG_BOOL,
             .value = &attach,
             .usage = "Attach STDOUT/STDERR and forward signals"},
            {.name = "detach-keys",
             .type = BT_FLAG_STRING,
             .value = &keys,
             .usage = "Override the key sequence for detaching a container"},
            {.name = "interactive",
             .shorthand = 'i',
             .type = BT_FLAG_BOOL,
             .value = &interactive,
             .usage = "Attach container's STDIN"},
            {0},
    };
    bt_autofree char *usage =
            bt_xasprintf("%s %s [OPTIONS] CONTAINER [CONTAINER...]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Start one or more stopped containers",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, -1)) != 0)
        return rc;
    if (!attach && !interactive)
        return berth_each_container(cli, args, "POST", "/start", true);
    if (args[1]) {
        fprintf(cli->err, "you cannot start and attach multiple containers at once\n");
        return BERTH_EXIT_FAIL;
    }
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    return start_attached(cli, c, args[0], interactive, keys);
}
