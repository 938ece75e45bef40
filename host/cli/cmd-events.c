/* SPDX-License-Identifier: Apache-2.0 */
/* berth events: the engine's events as they come (GET /events), printed as docker prints them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/timespec.h"
#include "host/cli/util.h"
#include "host/format/template.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

static const struct fmt_type event_types[] = {
        {"", "events.Message"},
        {"Actor", "events.Actor"},
        {"Actor.Attributes", "map[string]string"},
        {NULL, NULL},
};

struct event_sink {
    struct berth_cli *cli;
    const struct fmt_template *t; /* NULL: docker's own line */
    struct bt_strbuf partial;     /* a line not yet complete */
    bt_err *err;
};

/* Go's time.Format with RFC3339NanoFixed, in local time: 2006-01-02T15:04:05.000000000Z07:00 */
static void print_time(struct bt_strbuf *out, int64_t nano)
{
    time_t sec = (time_t)(nano / 1000000000);
    struct tm tm;
    localtime_r(&sec, &tm);
    char buf[64];
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    bt_strbuf_appendf(out, "%s.%09lld", buf, (long long)(nano % 1000000000));
    long off = tm.tm_gmtoff;
    if (off == 0)
        bt_strbuf_append(out, "Z ");
    else
        bt_strbuf_appendf(out, "%c%02ld:%02ld ", off < 0 ? '-' : '+', labs(off) / 3600,
                          labs(off) % 3600 / 60);
}

/* docker's prettyPrintEvent: TIME TYPE ACTION ID (k=v, ...), the attributes sorted */
static void pretty(struct bt_strbuf *out, const json_t *ev)
{
    int64_t nano = bt_json_get_int(ev, "timeNano", 0);
    if (!nano)
        nano = bt_json_get_int(ev, "time", 0) * 1000000000;
    if (nano)
        print_time(out, nano);
    const json_t *actor = bt_json_get_obj(ev, "Actor");
    bt_strbuf_appendf(out, "%s %s %s", bt_json_get_str(ev, "Type", ""),
                      bt_json_get_str(ev, "Action", ""), bt_json_get_str(actor, "ID", ""));
    const json_t *attrs = bt_json_get_obj(actor, "Attributes");
    size_t n = 0;
    bt_autofree const char **keys = berth_object_keys(attrs, &n);
    for (size_t i = 0; i < n; i++)
        bt_strbuf_appendf(out, "%s%s=%s", i ? ", " : " (", keys[i],
                          bt_json_get_str(attrs, keys[i], ""));
    bt_strbuf_append(out, n ? ")\n" : "\n");
}

static int print_event(struct event_sink *s, const char *line, size_t len)
{
    bt_autoptr(json_t) ev = bt_json_parse_object(line, len, &s->err);
    if (!ev)
        return -1;
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    if (s->t) {
        struct fmt_exec_opts eo = {.types = event_types};
        if (fmt_template_exec(s->t, ev, &eo, &out, &s->err) < 0)
            return -1;
        bt_strbuf_append_c(&out, '\n');
    } else {
        pretty(&out, ev);
    }
    fputs(bt_strbuf_str(&out), s->cli->out);
    fflush(s->cli->out);
    return 0;
}

static int sink(void *arg, const char *data, size_t len)
{
    struct event_sink *s = arg;
    bt_strbuf_append_n(&s->partial, data, len);
    const char *buf = bt_strbuf_str(&s->partial);
    size_t done = 0;
    for (const char *nl; (nl = memchr(buf + done, '\n', s->partial.len - done));) {
        size_t n = (size_t)(nl - (buf + done));
        if (n && print_event(s, buf + done, n) < 0)
            return -1;
        done += n + 1;
    }
    bt_autofree char *rest = bt_xstrdup(buf + done);
    bt_strbuf_truncate(&s->partial, 0);
    bt_strbuf_append(&s->partial, rest);
    return 0;
}

/* the query: since, until (docker's GetTimestamp forms) and filters */
static char *events_path(const char *since, const char *until, const char *filters, bt_err **err)
{
    bt_autostrbuf struct bt_strbuf path = BT_STRBUF_INIT;
    bt_strbuf_append(&path, "/events");
    const char *keys[] = {"since", "until"}, *vals[] = {since, until};
    for (size_t i = 0; i < 2; i++) {
        if (!vals[i] || !*vals[i])
            continue;
        bt_autofree char *ts = berth_timestamp(vals[i], err);
        if (!ts)
            return NULL;
        berth_query(&path, keys[i], ts);
    }
    if (filters)
        bt_strbuf_appendf(&path, "%cfilters=%s", strchr(bt_strbuf_str(&path), '?') ? '&' : '?',
                          filters);
    return bt_strbuf_steal(&path);
}

static int run_events(struct berth_cli *cli, const char *path, const struct fmt_template *t)
{
    int rc;
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    struct event_sink s = {.cli = cli, .t = t, .partial = BT_STRBUF_INIT};
    struct cl_request req = {.method = "GET", .path = path, .sink = sink, .sink_arg = &s};
    struct cl_response resp;
    bt_err *err = NULL;
    fflush(cli->out);
    rc = cl_call(c, &req, &resp, &err);
    bt_strbuf_free(&s.partial);
    if (rc < 0) {
        if (s.err) {
            bt_err_free(err);
            err = s.err;
        }
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    cl_response_clear(&resp);
    return 0;
}

int berth_cmd_events(struct berth_cli *cli, int argc, char **argv)
{
    const char *since = NULL, *until = NULL, *format = NULL;
    const char **filters = NULL;
    struct bt_flag flags[] = {
            {.name = "filter",
             .shorthand = 'f',
             .type = BT_FLAG_STRINGS,
             .value = &filters,
             .usage = "Filter output based on conditions provided",
             .metavar = "filter"},
            {.name = "format",
             .type = BT_FLAG_STRING,
             .value = &format,
             .usage = "Format output using a custom template:\n'json':             Print in JSON "
                      "format\n'TEMPLATE':         Print output using the given Go "
                      "template.\nRefer to https://docs.docker.com/go/formatting/ for more "
                      "information about formatting output with templates"},
            {.name = "since",
             .type = BT_FLAG_STRING,
             .value = &since,
             .usage = "Show all events created since timestamp"},
            {.name = "until",
             .type = BT_FLAG_STRING,
             .value = &until,
             .usage = "Stream events until this timestamp"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Get real time events from the server",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc < 0 && (rc = berth_check_args(cli, &fs, cli->path, args, 0, 0)) == 0)
        rc = -1;
    bt_err *err = NULL;
    bt_autofree char *f = rc < 0 ? berth_filters(filters, &err) : NULL;
    free(filters);
    if (rc >= 0)
        return rc;
    if (err)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    bt_autoptr(fmt_template) t = NULL;
    if (format && *format) {
        t = fmt_template_parse(strcmp(format, "json") == 0 ? "{{json .}}" : format, &err);
        if (!t) {
            bt_err_wrap(&err, "template parsing error");
            return berth_fail(cli, err, BERTH_EXIT_FAIL);
        }
    }
    bt_autofree char *path = events_path(since, until, f, &err);
    if (!path)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    return run_events(cli, path, t);
}
