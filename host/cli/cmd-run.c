/* SPDX-License-Identifier: Apache-2.0 */
/* berth run and berth create: docker's flags (host/copts), create, attach, start, wait. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/attach/attach.h"
#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/create.h"
#include "host/cli/util.h"
#include "host/copts/copts.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

struct run_flags {
    struct copts co;
    const char *name;
    const char *detach_keys;
    bool detach;
    bool sig_proxy;
};

/* docker: "docker: <error>\n\nRun 'docker run --help' for more information" */
static int fail_with_help(struct berth_cli *cli, bt_err *err, int code)
{
    fprintf(cli->err, "%s: %s%s\n\nRun '%s %s --help' for more information\n", cli->prog,
            cl_err_is_daemon(err) ? "Error response from daemon: " : "", bt_err_msg(err), cli->prog,
            cli->path);
    bt_err_free(err);
    return code;
}

/* toStatusError: 127 for a command that is not there, 126 for one that cannot run. */
static int status_of(const bt_err *err)
{
    const char *m = bt_err_msg(err);
    if (strstr(m, "executable file not found") || strstr(m, "no such file or directory"))
        return 127;
    if (strstr(m, "permission denied") || strstr(m, "is a directory"))
        return 126;
    return 125;
}

static struct bt_flag *flags_for(struct run_flags *rf, bool run, size_t *n)
{
    bt_autofree struct bt_flag *co = copts_flags(&rf->co);
    size_t nco = 0;
    while (co[nco].name)
        nco++;
    struct bt_flag extra[] = {
            {.name = "detach",
             .shorthand = 'd',
             .type = BT_FLAG_BOOL,
             .value = &rf->detach,
             .usage = "Run container in background and print container ID"},
            {.name = "detach-keys",
             .type = BT_FLAG_STRING,
             .value = &rf->detach_keys,
             .usage = "Override the key sequence for detaching a container"},
            {.name = "sig-proxy",
             .type = BT_FLAG_BOOL,
             .value = &rf->sig_proxy,
             .usage = "Proxy received signals to the process",
             .def_text = "true"},
            {.name = "name",
             .type = BT_FLAG_STRING,
             .value = &rf->name,
             .usage = "Assign a name to the container"},
    };
    size_t first = run ? 0 : 3; /* create has only --name of these */
    size_t nx = sizeof(extra) / sizeof(extra[0]) - first;
    struct bt_flag *all = bt_xzalloc((nco + nx + 1) * sizeof(*all));
    memcpy(all, co, nco * sizeof(*all));
    memcpy(all + nco, extra + first, nx * sizeof(*all));
    *n = nco + nx;
    return all;
}

static int run_attached(struct berth_cli *cli, struct cl_client *c, const char *id,
                        struct run_flags *rf, json_t *body)
{
    bool tty = bt_json_get_bool(body, "Tty", false);
    bool a_in = bt_json_get_bool(body, "AttachStdin", false);
    bool a_out = bt_json_get_bool(body, "AttachStdout", false);
    bool a_err = bt_json_get_bool(body, "AttachStderr", false);
    bool attach = a_in || a_out || a_err;
    if (tty && a_in && !isatty(STDIN_FILENO)) {
        fprintf(cli->err, "the input device is not a TTY\n");
        return BERTH_EXIT_FAIL;
    }
    bt_err *err = NULL;
    struct cl_stream *s = NULL;
    if (attach) {
        bt_autostrbuf struct bt_strbuf path = BT_STRBUF_INIT;
        bt_strbuf_appendf(&path, "/containers/%s/attach", id);
        if (rf->detach_keys)
            berth_query(&path, "detachKeys", rf->detach_keys);
        if (a_err)
            berth_query(&path, "stderr", "1");
        if (a_in)
            berth_query(&path, "stdin", "1");
        if (a_out)
            berth_query(&path, "stdout", "1");
        berth_query(&path, "stream", "1");
        struct cl_request req = {.method = "POST", .path = bt_strbuf_str(&path)};
        if (cl_hijack(c, &req, &s, &err) < 0)
            return berth_fail(cli, err, BERTH_EXIT_USAGE);
    }
    bool autoremove = bt_json_get_bool(bt_json_get_obj(body, "HostConfig"), "AutoRemove", false);
    struct at_wait *w =
            at_wait_start(cl_client_endpoint(c), id, autoremove ? "removed" : "next-exit");
    if (!attach) {
        /* docker prints the id while the start is on its way (a goroutine): a start that fails
         * leaves it on stdout before the error */
        fprintf(cli->out, "%s\n", id);
        fflush(cli->out);
    }
    bt_autofree char *start = bt_xasprintf("/containers/%s/start", id);
    struct cl_request sreq = {.method = "POST", .path = start};
    struct cl_response sresp;
    if (cl_call(c, &sreq, &sresp, &err) < 0) {
        cl_stream_free(s);
        if (autoremove) {
            /* the engine removes a container that failed to start: wait for that, as docker */
            int status;
            bt_err *werr = NULL;
            at_wait_finish(w, &status, &werr);
            bt_err_free(werr);
        }
        /* else the wait thread stays blocked; the process ends under it */
        return fail_with_help(cli, err, status_of(err));
    }
    cl_response_clear(&sresp);
    if (!attach)
        return 0;
    if (tty && isatty(STDOUT_FILENO))
        at_resize(c, id, false, STDOUT_FILENO);
    struct at_opts ao = {.tty = tty,
                         .in_fd = a_in ? STDIN_FILENO : -1,
                         .out_fd = a_out ? STDOUT_FILENO : -1,
                         .err_fd = a_err ? (tty ? STDOUT_FILENO : STDERR_FILENO) : -1,
                         .detach_keys = rf->detach_keys,
                         .client = c,
                         .id = id,
                         .sig_proxy = rf->sig_proxy,
                         .resize = tty && isatty(STDOUT_FILENO)};
    int end = at_stream(s, &ao, &err);
    cl_stream_free(s);
    if (end == AT_END_DETACHED) {
        /* the wait thread stays blocked; the process exits under it */
        return 0;
    }
    if (end < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    int status = 0;
    if (at_wait_finish(w, &status, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_USAGE);
    return status;
}

static int run_or_create(struct berth_cli *cli, int argc, char **argv, bool run)
{
    struct run_flags rf = {.sig_proxy = true};
    size_t n;
    bt_autofree struct bt_flag *flags = flags_for(&rf, run, &n);
    bt_autofree char *usage =
            bt_xasprintf("%s %s [OPTIONS] IMAGE [COMMAND] [ARG...]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = run ? "Create and run a new container from an image"
                                               : "Create a new container",
                            .flags = flags,
                            .interspersed = false};
    rf.co.fs = &fs;
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0) {
        copts_clear(&rf.co);
        return rc;
    }
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 1, -1)) != 0) {
        copts_clear(&rf.co);
        return rc;
    }
    bt_err *err = NULL;
    bt_autoptr(json_t) body = copts_build(&rf.co, args[0], args + 1, &err);
    if (!body) {
        copts_clear(&rf.co);
        return fail_with_help(cli, err, BERTH_EXIT_USAGE);
    }
    if (run && rf.detach) {
        if (rf.co.attach && rf.co.attach[0]) {
            copts_clear(&rf.co);
            fprintf(cli->err, "conflicting options: cannot specify both --attach and --detach\n");
            return BERTH_EXIT_FAIL;
        }
        bt_json_set_bool(body, "AttachStdin", false);
        bt_json_set_bool(body, "AttachStdout", false);
        bt_json_set_bool(body, "AttachStderr", false);
        bt_json_set_bool(body, "StdinOnce", false);
    }
    struct berth_create_opts o = {.name = rf.name,
                                  .platform = rf.co.platform,
                                  .pull = rf.co.pull,
                                  .cidfile = rf.co.cidfile,
                                  .quiet = rf.co.quiet};
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c) {
        copts_clear(&rf.co);
        return rc;
    }
    bt_autofree char *id = berth_create(cli, c, body, &o, &err);
    if (!id) {
        copts_clear(&rf.co);
        if (run)
            return fail_with_help(cli, err, BERTH_EXIT_USAGE);
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    if (!run) {
        fprintf(cli->out, "%s\n", id);
        copts_clear(&rf.co);
        return 0;
    }
    rc = run_attached(cli, c, id, &rf, body);
    copts_clear(&rf.co);
    return rc;
}

int berth_cmd_run(struct berth_cli *cli, int argc, char **argv)
{
    return run_or_create(cli, argc, argv, true);
}

int berth_cmd_create(struct berth_cli *cli, int argc, char **argv)
{
    return run_or_create(cli, argc, argv, false);
}
