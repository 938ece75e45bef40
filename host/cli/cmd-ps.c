/* SPDX-License-Identifier: Apache-2.0 */
/* berth ps / container ls: docker's columns, --format, filters. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/rows.h"
#include "host/cli/port-format.h"
#include "host/cli/util.h"
#include "host/format/list.h"
#include "host/format/units.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"
#include "shared/reference/reference.h"

#define PS_TABLE \
    "table "     \
    "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * FMT_NS_PER_SEC + ts.tv_nsec;
}

/* Go's time.Time.String() of a Unix time, in the local zone. */
static char *go_time(int64_t sec)
{
    time_t t = (time_t)sec;
    struct tm tm;
    localtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z %Z", &tm);
    return bt_xstrdup(buf);
}

static char *image_column(const json_t *c, bool trunc)
{
    const char *image = bt_json_get_str(c, "Image", "");
    if (!*image)
        return bt_xstrdup("<no image>");
    if (!trunc)
        return bt_xstrdup(image);
    bt_autofree char *a = berth_short_id(bt_json_get_str(c, "ImageID", ""));
    bt_autofree char *b = berth_short_id(image);
    if (strcmp(a, b) == 0)
        return bt_xstrdup(a);
    bt_autoptr(bt_ref) r = bt_ref_parse(image, NULL);
    if (!r)
        return bt_xstrdup(image);
    free(r->digest);
    r->digest = NULL;
    return bt_ref_familiar_string(r);
}

/* One row: the values of docker's ContainerContext methods, keys sorted as its JSON has them. */
json_t *berth_ps_row(const json_t *c, bool trunc, int64_t now)
{
    json_t *r = json_object();
    const char *cmd = bt_json_get_str(c, "Command", "");
    bt_autofree char *cmdt = trunc ? berth_ellipsis(cmd, 20) : bt_xstrdup(cmd);
    bt_autoptr(json_t) q = json_string(cmdt);
    bt_autofree char *quoted = bt_json_dumps(q); /* strconv.Quote, near enough for commands */
    int64_t created = bt_json_get_int(c, "Created", 0);
    bt_autofree char *created_at = go_time(created);
    const char *id = bt_json_get_str(c, "Id", "");
    bt_autofree char *sid = trunc ? berth_short_id(id) : bt_xstrdup(id);
    bt_autofree char *image = image_column(c, trunc);
    json_t *labels = bt_json_get_obj(c, "Labels");
    bt_autofree char *lab = berth_join_labels(labels);
    /* names: without the leading "/"; truncated, only the first one without "/" (links) */
    bt_autostrbuf struct bt_strbuf names = BT_STRBUF_INIT;
    size_t i;
    json_t *n;
    json_array_foreach (bt_json_get_arr(c, "Names"), i, n) {
        const char *s = json_string_value(n);
        if (!s)
            continue;
        if (*s == '/')
            s++;
        if (trunc && !strchr(s, '/')) {
            bt_strbuf_reset(&names);
            bt_strbuf_append(&names, s);
            break;
        }
        bt_strbuf_appendf(&names, "%s%s", names.len ? "," : "", s);
    }
    bt_autostrbuf struct bt_strbuf mounts = BT_STRBUF_INIT;
    int local = 0;
    json_t *m;
    json_array_foreach (bt_json_get_arr(c, "Mounts"), i, m) {
        const char *name = bt_json_get_str(m, "Name", "");
        if (!*name)
            name = bt_json_get_str(m, "Source", "");
        bt_autofree char *nm = trunc ? berth_ellipsis(name, 15) : bt_xstrdup(name);
        bt_strbuf_appendf(&mounts, "%s%s", mounts.len ? "," : "", nm);
        if (strcmp(bt_json_get_str(m, "Driver", ""), "local") == 0)
            local++;
    }
    bt_autostrbuf struct bt_strbuf nets = BT_STRBUF_INIT;
    const char *k;
    json_t *v;
    json_object_foreach (bt_json_get_obj(bt_json_get_obj(c, "NetworkSettings"), "Networks"), k, v) {
        bt_strbuf_appendf(&nets, "%s%s", nets.len ? "," : "", k);
    }
    bt_autostrbuf struct bt_strbuf ago = BT_STRBUF_INIT;
    fmt_time_ago(created * FMT_NS_PER_SEC, now, &ago);
    bt_autostrbuf struct bt_strbuf size = BT_STRBUF_INIT;
    fmt_human_size((double)bt_json_get_int(c, "SizeRw", 0), 3, &size);
    if (bt_json_get_int(c, "SizeRootFs", 0) > 0) {
        bt_strbuf_append(&size, " (virtual ");
        fmt_human_size((double)bt_json_get_int(c, "SizeRootFs", 0), 3, &size);
        bt_strbuf_append(&size, ")");
    }
    bt_autofree char *ports = berth_displayable_ports(bt_json_get_arr(c, "Ports"));
    char local_s[16];
    snprintf(local_s, sizeof(local_s), "%d", local);
    bt_json_set_str(r, "Command", quoted);
    bt_json_set_str(r, "CreatedAt", created_at);
    bt_json_set_str(r, "ID", sid);
    bt_json_set_str(r, "Image", image);
    bt_json_set_str(r, "Labels", lab);
    bt_json_set_str(r, "LocalVolumes", local_s);
    bt_json_set_str(r, "Mounts", bt_strbuf_str(&mounts));
    bt_json_set_str(r, "Names", bt_strbuf_str(&names));
    bt_json_set_str(r, "Networks", bt_strbuf_str(&nets));
    json_object_set_new(r, "Platform", json_null());
    bt_json_set_str(r, "Ports", ports);
    bt_json_set_str(r, "RunningFor", bt_strbuf_str(&ago));
    bt_json_set_str(r, "Size", bt_strbuf_str(&size));
    bt_json_set_str(r, "State", bt_json_get_str(c, "State", ""));
    bt_json_set_str(r, "Status", bt_json_get_str(c, "Status", ""));
    return r;
}

const json_t *berth_ps_header(void)
{
    static json_t *h;
    if (!h)
        h = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
                      "s:s}",
                      "ID", "CONTAINER ID", "Names", "NAMES", "Image", "IMAGE", "Command",
                      "COMMAND", "CreatedAt", "CREATED AT", "RunningFor", "CREATED", "Ports",
                      "PORTS", "State", "STATE", "Status", "STATUS", "Size", "SIZE", "Labels",
                      "LABELS", "Mounts", "MOUNTS", "Networks", "NETWORKS", "LocalVolumes",
                      "LOCAL VOLUMES", "Platform", "PLATFORM");
    return h;
}

int berth_cmd_ps(struct berth_cli *cli, int argc, char **argv)
{
    bool quiet = false, size = false, all = false, no_trunc = false, latest = false;
    int64_t last = -1;
    const char *format = NULL;
    const char **filters = NULL;
    struct bt_flag flags[] = {
            {.name = "all",
             .shorthand = 'a',
             .type = BT_FLAG_BOOL,
             .value = &all,
             .usage = "Show all containers (default shows just running)"},
            {.name = "filter",
             .shorthand = 'f',
             .type = BT_FLAG_STRINGS,
             .value = &filters,
             .usage = "Filter output based on conditions provided",
             .metavar = "filter"},
            {.name = "format",
             .type = BT_FLAG_STRING,
             .value = &format,
             .usage = "Format output using a custom template:\n'table':            Print output "
                      "in table format with column headers (default)\n'table TEMPLATE':   Print "
                      "output in table format using the given Go template\n'json':             "
                      "Print in JSON format\n'TEMPLATE':         Print output using the given Go "
                      "template.\nRefer to https://docs.docker.com/go/formatting/ for more "
                      "information about formatting output with templates"},
            {.name = "last",
             .shorthand = 'n',
             .type = BT_FLAG_INT,
             .value = &last,
             .usage = "Show n last created containers (includes all states)",
             .def_text = "-1"},
            {.name = "latest",
             .shorthand = 'l',
             .type = BT_FLAG_BOOL,
             .value = &latest,
             .usage = "Show the latest created container (includes all states)"},
            {.name = "no-trunc",
             .type = BT_FLAG_BOOL,
             .value = &no_trunc,
             .usage = "Don't truncate output"},
            {.name = "quiet",
             .shorthand = 'q',
             .type = BT_FLAG_BOOL,
             .value = &quiet,
             .usage = "Only display container IDs"},
            {.name = "size",
             .shorthand = 's',
             .type = BT_FLAG_BOOL,
             .value = &size,
             .usage = "Display total file sizes"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS]", cli->prog, cli->path);
    struct bt_flagset fs = {
            .usage = usage, .description = "List containers", .flags = flags, .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc < 0 && (rc = berth_check_args(cli, &fs, cli->path, args, 0, 0)) == 0)
        rc = -1;
    if (rc >= 0) {
        free(filters);
        return rc;
    }
    bt_err *err = NULL;
    bt_autofree char *f = berth_filters(filters, &err);
    free(filters);
    if (err)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    if (latest)
        last = 1;
    bt_autostrbuf struct bt_strbuf path = BT_STRBUF_INIT;
    bt_strbuf_append(&path, "/containers/json");
    if (all || last > 0)
        berth_query(&path, "all", "1");
    if (last > 0) {
        char n[32];
        snprintf(n, sizeof(n), "%lld", (long long)last);
        berth_query(&path, "limit", n);
    }
    /* docker asks for sizes when the format shows them */
    bool want_size = size || (format && strstr(format, ".Size"));
    if (want_size)
        berth_query(&path, "size", "1");
    if (f)
        bt_strbuf_appendf(&path, "%cfilters=%s", strchr(bt_strbuf_str(&path), '?') ? '&' : '?', f);
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_autoptr(json_t) list = cl_json(c, "GET", bt_strbuf_str(&path), NULL, NULL, &err);
    if (!list)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    bt_autoptr(json_t) rows = json_array();
    int64_t now = now_ns();
    size_t i;
    json_t *ctr;
    json_array_foreach (list, i, ctr)
        json_array_append_new(rows, berth_ps_row(ctr, !no_trunc, now));
    const char *deflt = PS_TABLE;
    bt_autofree char *with_size = bt_xasprintf("%s\t{{.Size}}", PS_TABLE);
    if (size)
        deflt = with_size;
    const char *fmt = format;
    if (quiet && (!format || !*format || strcmp(format, "table") == 0))
        fmt = "{{.ID}}";
    struct berth_label_ctx lc = {.rows = rows, .objs = list};
    static const struct fmt_type types[] = {{"", "*formatter.ContainerContext"}, {NULL, NULL}};
    struct fmt_exec_opts eo = {.types = types, .method = berth_label_method, .method_ctx = &lc};
    struct fmt_list l = {.format = fmt,
                         .default_format = deflt,
                         .header = berth_ps_header(),
                         .rows = rows,
                         .opts = &eo};
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    if (fmt_list_render(&l, &out, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    fputs(bt_strbuf_str(&out), cli->out);
    return 0;
}
