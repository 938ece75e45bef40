/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth stats [OPTIONS] [CONTAINER...]: docker's table (stats-format.c).
 *
 * stats takes one-shot samples of every container (GET /containers/{id}/stats?stream=0&
 * one-shot=1) a second apart and computes CPU % from the two, so that any number of
 * containers costs one second; the docker CLI opens a stream per container instead. Without
 * --no-stream it redraws the table every second in place, as docker 28 does. With it, one pass
 * is enough when berthd answered every one-shot request with a sample it kept as precpu (its
 * stats collector, docs/internals/stats.md); else a second pass a tenth of a second later
 * (the engine counts the host's CPU time to the nanosecond, so that is as exact).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/stats-format.h"
#include "host/cli/util.h"
#include "host/format/list.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

/* The containers to show: those named, or those running (all with --all). */
static char **targets(struct cl_client *c, char **args, bool all, bt_err **err)
{
    char **names = bt_xzalloc(sizeof(char *));
    if (args[0]) {
        for (char **a = args; *a; a++)
            bt_strv_push(&names, *a);
        return names;
    }
    bt_autoptr(json_t) list =
            cl_json(c, "GET", all ? "/containers/json?all=1" : "/containers/json", NULL, NULL, err);
    if (!list) {
        bt_strv_free(names);
        return NULL;
    }
    size_t i;
    json_t *ctr;
    json_array_foreach (list, i, ctr)
        bt_strv_push(&names, bt_json_get_str(ctr, "Id", ""));
    return names;
}

/* One sample of each container, in order (an array). */
static json_t *sample(struct cl_client *c, char **names, bt_err **err)
{
    json_t *out = json_array();
    for (char **n = names; *n; n++) {
        bt_autofree char *esc = berth_escape(*n);
        bt_autofree char *path = bt_xasprintf("/containers/%s/stats?stream=0&one-shot=1", esc);
        json_t *s = cl_json(c, "GET", path, NULL, NULL, err);
        if (!s) {
            json_decref(out);
            return NULL;
        }
        json_array_append_new(out, s);
    }
    return out;
}

/* Whether every running container's sample has its precpu_stats. */
static bool all_have_precpu(const json_t *samples)
{
    size_t i;
    const json_t *s;
    json_array_foreach (samples, i, s) {
        double cur = json_number_value(
                json_object_get(bt_json_get_obj(s, "cpu_stats"), "system_cpu_usage"));
        double pre = json_number_value(
                json_object_get(bt_json_get_obj(s, "precpu_stats"), "system_cpu_usage"));
        if (cur > 0 && pre <= 0)
            return false;
    }
    return true;
}

/* A redrawn frame as docker 28 draws it: cursor home, each line cleared to its end, the rest
 * of the screen cleared below. */
static void put_frame(FILE *out, const char *text)
{
    fputs("\033[H", out);
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\n");
        fprintf(out, "%.*s\033[K\n", (int)len, p);
        p += len + (p[len] == '\n');
    }
    fputs("\033[J", out);
}

static int render(struct berth_cli *cli, const char *format, char **names, const json_t *prev,
                  const json_t *cur, bool trunc, bool frame)
{
    bt_autoptr(json_t) rows = json_array();
    for (size_t i = 0; names[i]; i++) {
        const json_t *s = json_array_get(cur, i);
        struct berth_stats_values v;
        berth_stats_compute(s, bt_json_get_obj(json_array_get(prev, i), "cpu_stats"), &v);
        json_array_append_new(rows, berth_stats_row(names[i], s, &v, trunc));
    }
    bt_autoptr(json_t) header = berth_stats_header();
    struct fmt_exec_opts eo = {.types = berth_stats_row_types};
    struct fmt_list l = {.format = format,
                         .default_format = BERTH_STATS_TABLE,
                         .header = header,
                         .rows = rows,
                         .opts = &eo};
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    bt_err *err = NULL;
    if (fmt_list_render(&l, &out, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    if (frame)
        put_frame(cli->out, bt_strbuf_str(&out));
    else
        fputs(bt_strbuf_str(&out), cli->out);
    fflush(cli->out);
    return 0;
}

int berth_cmd_stats(struct berth_cli *cli, int argc, char **argv)
{
    bool all = false, no_stream = false, no_trunc = false;
    const char *format = NULL;
    struct bt_flag flags[] = {
            {.name = "all",
             .shorthand = 'a',
             .type = BT_FLAG_BOOL,
             .value = &all,
             .usage = "Show all containers (default shows just running)"},
            {.name = "format",
             .type = BT_FLAG_STRING,
             .value = &format,
             .usage = BERTH_FORMAT_USAGE},
            {.name = "no-stream",
             .type = BT_FLAG_BOOL,
             .value = &no_stream,
             .usage = "Disable streaming stats and only pull the first result"},
            {.name = "no-trunc",
             .type = BT_FLAG_BOOL,
             .value = &no_trunc,
             .usage = "Do not truncate output"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS] [CONTAINER...]", cli->prog, cli->path);
    struct bt_flagset fs = {
            .usage = usage,
            .description = "Display a live stream of container(s) resource usage statistics",
            .flags = flags,
            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_err *err = NULL;
    bt_autostrv char **names = targets(c, args, all, &err);
    if (!names)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    bt_autoptr(json_t) prev = sample(c, names, &err);
    if (!prev)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    /* berthd answers a one-shot sample with the one its collector kept as precpu when it has
     * one (a second old at most): then one pass is enough */
    if (no_stream && all_have_precpu(prev))
        return render(cli, format, names, NULL, prev, !no_trunc, false);
    for (;;) {
        usleep(no_stream ? 100 * 1000 : 1000 * 1000);
        bt_autoptr(json_t) cur = sample(c, names, &err);
        if (!cur)
            return berth_fail(cli, err, BERTH_EXIT_FAIL);
        if ((rc = render(cli, format, names, prev, cur, !no_trunc, !no_stream)) != 0 || no_stream)
            return rc;
        json_decref(prev);
        prev = bt_steal_ptr(&cur);
    }
}
