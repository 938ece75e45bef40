/* SPDX-License-Identifier: Apache-2.0 */
/* berth logs: the container's json-file log, demultiplexed unless it has a TTY. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/timespec.h"
#include "host/cli/util.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

struct log_sink {
    bool tty;
    struct cl_demux dmx;
    bt_err *err;
};

static int write_fd(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int out_stream(void *arg, int stream, const char *p, size_t n)
{
    return write_fd(stream == 2 ? STDERR_FILENO : STDOUT_FILENO, p, n);
}

static int sink(void *arg, const char *data, size_t len)
{
    struct log_sink *s = arg;
    if (s->tty)
        return write_fd(STDOUT_FILENO, data, len);
    return cl_demux_feed(&s->dmx, data, len, out_stream, NULL, &s->err);
}

int berth_cmd_logs(struct berth_cli *cli, int argc, char **argv)
{
    bool follow = false, timestamps = false, details = false;
    const char *since = NULL, *until = NULL, *tail = "all";
    struct bt_flag flags[] = {
            {.name = "details",
             .type = BT_FLAG_BOOL,
             .value = &details,
             .usage = "Show extra details provided to logs"},
            {.name = "follow",
             .shorthand = 'f',
             .type = BT_FLAG_BOOL,
             .value = &follow,
             .usage = "Follow log output"},
            {.name = "since",
             .type = BT_FLAG_STRING,
             .value = &since,
             .usage = "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative "
                      "(e.g. \"42m\" for 42 minutes)"},
            {.name = "tail",
             .shorthand = 'n',
             .type = BT_FLAG_STRING,
             .value = &tail,
             .usage = "Number of lines to show from the end of the logs",
             .def_text = "all"},
            {.name = "timestamps",
             .shorthand = 't',
             .type = BT_FLAG_BOOL,
             .value = &timestamps,
             .usage = "Show timestamps"},
            {.name = "until",
             .type = BT_FLAG_STRING,
             .value = &until,
             .usage = "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative "
                      "(e.g. \"42m\" for 42 minutes)"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS] CONTAINER", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Fetch the logs of a container",
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
    const char *id = bt_json_get_str(info, "Id", args[0]);
    bt_autostrbuf struct bt_strbuf path = BT_STRBUF_INIT;
    bt_strbuf_appendf(&path, "/containers/%s/logs", id);
    if (details)
        berth_query(&path, "details", "1");
    if (follow)
        berth_query(&path, "follow", "1");
    if (since) {
        bt_autofree char *ts = berth_timestamp(since, &err);
        if (!ts)
            return berth_fail(cli, err, BERTH_EXIT_FAIL);
        berth_query(&path, "since", ts);
    }
    berth_query(&path, "stderr", "1");
    berth_query(&path, "stdout", "1");
    if (strcmp(tail, "all") != 0)
        berth_query(&path, "tail", tail);
    if (timestamps)
        berth_query(&path, "timestamps", "1");
    if (until) {
        bt_autofree char *ts = berth_timestamp(until, &err);
        if (!ts)
            return berth_fail(cli, err, BERTH_EXIT_FAIL);
        berth_query(&path, "until", ts);
    }
    struct log_sink ls = {.tty = bt_json_get_bool(bt_json_get_obj(info, "Config"), "Tty", false)};
    struct cl_request req = {
            .method = "GET", .path = bt_strbuf_str(&path), .sink = sink, .sink_arg = &ls};
    struct cl_response resp;
    fflush(cli->out);
    if (cl_call(c, &req, &resp, &err) < 0) {
        if (ls.err) {
            bt_err_free(err);
            err = ls.err;
        }
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    cl_response_clear(&resp);
    return 0;
}
