/* SPDX-License-Identifier: Apache-2.0 */
/* berth exec: create the exec, start it hijacked (or detached), report its exit code. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/attach/attach.h"
#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/util.h"
#include "host/copts/copts.h"
#include "host/term/term.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

struct exec_flags {
    bool detach, interactive, tty, privileged;
    const char *keys, *user, *workdir;
    const char **env, **env_file;
};

static json_t *exec_body(struct exec_flags *f, char **cmd, bt_err **err)
{
    bt_autostrv char **env = NULL;
    for (const char **e = f->env_file; e && *e; e++)
        if (copts_read_env_file(*e, &env, true, err) < 0)
            return NULL;
    for (const char **e = f->env; e && *e; e++) {
        if (strchr(*e, '=')) {
            bt_strv_push(&env, *e);
        } else if (getenv(*e)) {
            bt_autofree char *kv = bt_xasprintf("%s=%s", *e, getenv(*e));
            bt_strv_push(&env, kv);
        }
    }
    json_t *b = json_object();
    bt_json_set_str(b, "User", f->user ? f->user : "");
    bt_json_set_bool(b, "Privileged", f->privileged);
    bt_json_set_bool(b, "Tty", f->tty);
    bt_json_set_bool(b, "AttachStdin", f->interactive && !f->detach);
    bt_json_set_bool(b, "AttachStderr", !f->detach);
    bt_json_set_bool(b, "AttachStdout", !f->detach);
    bt_json_set_bool(b, "Detach", f->detach);
    bt_json_set_str(b, "DetachKeys", f->keys ? f->keys : "");
    json_object_set_new(b, "Env", env && env[0] ? bt_json_strv(env) : json_null());
    bt_json_set_str(b, "WorkingDir", f->workdir ? f->workdir : "");
    json_object_set_new(b, "Cmd", bt_json_strv(cmd));
    unsigned rows, cols;
    if (f->tty && term_size(STDOUT_FILENO, &rows, &cols))
        json_object_set_new(b, "ConsoleSize", json_pack("[i, i]", (int)rows, (int)cols));
    return b;
}

static int run_exec(struct berth_cli *cli, struct cl_client *c, const char *name,
                    struct exec_flags *f, char **cmd)
{
    bt_err *err = NULL;
    bt_autofree char *en = berth_escape(name);
    bt_autofree char *ipath = bt_xasprintf("/containers/%s/json", en);
    bt_autoptr(json_t) info = cl_json(c, "GET", ipath, NULL, NULL, &err);
    if (!info)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    if (f->tty && f->interactive && !f->detach && !isatty(STDIN_FILENO)) {
        fprintf(cli->err, "the input device is not a TTY\n");
        return BERTH_EXIT_FAIL;
    }
    bt_autoptr(json_t) body = exec_body(f, cmd, &err);
    if (!body)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    bt_autofree char *cpath = bt_xasprintf("/containers/%s/exec", en);
    bt_autoptr(json_t) created = cl_json(c, "POST", cpath, body, NULL, &err);
    if (!created)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    const char *id = bt_json_get_str(created, "Id", "");
    bt_autofree char *spath = bt_xasprintf("/exec/%s/start", id);
    bt_autoptr(json_t) sbody = json_pack("{s:b, s:b}", "Detach", f->detach, "Tty", f->tty);
    if (json_object_get(body, "ConsoleSize"))
        json_object_set(sbody, "ConsoleSize", json_object_get(body, "ConsoleSize"));
    if (f->detach) {
        struct cl_request req = {.method = "POST", .path = spath, .json = sbody};
        struct cl_response resp;
        if (cl_call(c, &req, &resp, &err) < 0)
            return berth_fail(cli, err, BERTH_EXIT_FAIL);
        cl_response_clear(&resp);
        return 0;
    }
    struct cl_request req = {.method = "POST", .path = spath, .json = sbody};
    struct cl_stream *s = NULL;
    if (cl_hijack(c, &req, &s, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    struct at_opts ao = {.tty = f->tty,
                         .in_fd = f->interactive ? STDIN_FILENO : -1,
                         .out_fd = STDOUT_FILENO,
                         .err_fd = f->tty ? STDOUT_FILENO : STDERR_FILENO,
                         .detach_keys = f->keys,
                         .client = c,
                         .id = id,
                         .is_exec = true,
                         .resize = f->tty && isatty(STDOUT_FILENO)};
    if (ao.resize)
        at_resize(c, id, true, STDOUT_FILENO);
    int end = at_stream(s, &ao, &err);
    cl_stream_free(s);
    if (end < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    if (end == AT_END_DETACHED)
        return 0;
    bt_autofree char *jpath = bt_xasprintf("/exec/%s/json", id);
    bt_autoptr(json_t) ex = cl_json(c, "GET", jpath, NULL, NULL, &err);
    if (!ex)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    return (int)bt_json_get_int(ex, "ExitCode", 0);
}

int berth_cmd_exec(struct berth_cli *cli, int argc, char **argv)
{
    struct exec_flags f = {0};
    struct bt_flag flags[] = {
            {.name = "detach",
             .shorthand = 'd',
             .type = BT_FLAG_BOOL,
             .value = &f.detach,
             .usage = "Detached mode: run command in the background"},
            {.name = "detach-keys",
             .type = BT_FLAG_STRING,
             .value = &f.keys,
             .usage = "Override the key sequence for detaching a container"},
            {.name = "env",
             .shorthand = 'e',
             .type = BT_FLAG_STRINGS,
             .value = &f.env,
             .usage = "Set environment variables",
             .metavar = "list"},
            {.name = "env-file",
             .type = BT_FLAG_STRINGS,
             .value = &f.env_file,
             .usage = "Read in a file of environment variables",
             .metavar = "list"},
            {.name = "interactive",
             .shorthand = 'i',
             .type = BT_FLAG_BOOL,
             .value = &f.interactive,
             .usage = "Keep STDIN open even if not attached"},
            {.name = "privileged",
             .type = BT_FLAG_BOOL,
             .value = &f.privileged,
             .usage = "Give extended privileges to the command"},
            {.name = "tty",
             .shorthand = 't',
             .type = BT_FLAG_BOOL,
             .value = &f.tty,
             .usage = "Allocate a pseudo-TTY"},
            {.name = "user",
             .shorthand = 'u',
             .type = BT_FLAG_STRING,
             .value = &f.user,
             .usage = "Username or UID (format: \"<name|uid>[:<group|gid>]\")"},
            {.name = "workdir",
             .shorthand = 'w',
             .type = BT_FLAG_STRING,
             .value = &f.workdir,
             .usage = "Working directory inside the container"},
            {0},
    };
    bt_autofree char *usage =
            bt_xasprintf("%s %s [OPTIONS] CONTAINER COMMAND [ARG...]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Execute a command in a running container",
                            .flags = flags,
                            .interspersed = false};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc < 0 && (rc = berth_check_args(cli, &fs, cli->path, args, 2, -1)) == 0) {
        struct cl_client *c = berth_need_client(cli, &rc);
        if (c)
            rc = run_exec(cli, c, args[0], &f, args + 1);
    }
    free(f.env);
    free(f.env_file);
    return rc;
}
