/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth system df [-v] [--format]: docker's summary (stats-format.c) and, with -v, its four
 * sections (cli/command/formatter/disk_usage.go verboseWrite): images as `docker images`
 * rows with shared and unique sizes, containers as `docker ps` rows without the virtual size,
 * volumes as `docker volume ls` rows with links and size, and the (always empty) build cache.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/rows.h"
#include "host/cli/stats-format.h"
#include "host/cli/util.h"
#include "host/cli/volume-format.h"
#include "host/format/list.h"
#include "host/format/units.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"
#include "shared/reference/reference.h"

#define DF_IMAGES                                                                                  \
    "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{." \
    "UniqueSize}}\t{{.Containers}}"
#define DF_CONTAINERS                                                                             \
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{." \
    "Status}}\t{{.Names}}"
#define DF_VOLUMES "table {{.Name}}\t{{.Links}}\t{{.Size}}"
#define DF_BUILD_CACHE                                                                     \
    "table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{." \
    "UsageCount}}\t{{.Shared}}"

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * FMT_NS_PER_SEC + ts.tv_nsec;
}

/* docker shows an image by its first tag, <none> for a dangling one. */
static json_t *image_row(const json_t *img, bool trunc, int64_t now)
{
    const char *first = json_string_value(json_array_get(bt_json_get_arr(img, "RepoTags"), 0));
    if (first && strcmp(first, "<none>:<none>") != 0) {
        bt_autoptr(bt_ref) r = bt_ref_parse(first, NULL);
        if (r && r->tag) {
            bt_autofree char *repo = bt_ref_familiar_name(r);
            return berth_image_row(img, repo, r->tag, "", trunc, now);
        }
    }
    return berth_image_row(img, "<none>", "<none>", "", trunc, now);
}

/* The rows of the four sections: {"Images": [...], "Containers": [...], ...}. */
static json_t *sections(const json_t *df, bool trunc)
{
    int64_t now = now_ns();
    json_t *images = json_array(), *ctrs = json_array(), *vols = json_array();
    size_t i;
    json_t *v;
    json_array_foreach (bt_json_get_arr(df, "Images"), i, v)
        json_array_append_new(images, image_row(v, trunc, now));
    json_array_foreach (bt_json_get_arr(df, "Containers"), i, v) {
        /* docker zeroes SizeRootFs here: no "(virtual ...)" */
        bt_autoptr(json_t) c = json_deep_copy(v);
        json_object_del(c, "SizeRootFs");
        json_array_append_new(ctrs, berth_ps_row(c, trunc, now));
    }
    json_array_foreach (bt_json_get_arr(df, "Volumes"), i, v)
        json_array_append_new(vols, berth_volume_row(v));
    return json_pack("{s:o, s:o, s:o, s:[]}", "Images", images, "Containers", ctrs, "Volumes", vols,
                     "BuildCache");
}

static int table(struct bt_strbuf *out, const char *format, const json_t *header,
                 const json_t *rows, bt_err **err)
{
    struct fmt_list l = {
            .format = format, .default_format = format, .header = header, .rows = rows};
    return fmt_list_render(&l, out, err);
}

static int verbose_tables(const json_t *s, struct bt_strbuf *out, bt_err **err)
{
    bt_autoptr(json_t) ih = berth_image_header();
    bt_autoptr(json_t) vh = berth_volume_header();
    bt_autoptr(json_t) bh =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "CACHE ID", "CacheType",
                      "CACHE TYPE", "Size", "SIZE", "CreatedSince", "CREATED", "LastUsedSince",
                      "LAST USED", "UsageCount", "USAGE", "Shared", "SHARED");
    bt_strbuf_append(out, "Images space usage:\n\n");
    if (table(out, DF_IMAGES, ih, json_object_get(s, "Images"), err) < 0)
        return -1;
    bt_strbuf_append(out, "\nContainers space usage:\n\n");
    if (table(out, DF_CONTAINERS, berth_ps_header(), json_object_get(s, "Containers"), err) < 0)
        return -1;
    bt_strbuf_append(out, "\nLocal Volumes space usage:\n\n");
    if (table(out, DF_VOLUMES, vh, json_object_get(s, "Volumes"), err) < 0)
        return -1;
    bt_strbuf_append(out, "\nBuild cache usage: 0B\n\n");
    return table(out, DF_BUILD_CACHE, bh, json_object_get(s, "BuildCache"), err);
}

static int render(const json_t *df, const char *format, bool verbose, struct bt_strbuf *out,
                  bt_err **err)
{
    bool is_table = !format || !*format || strncmp(format, "table", 5) == 0;
    if (!verbose) {
        bt_autoptr(json_t) rows = berth_df_rows(df);
        bt_autoptr(json_t) header = berth_df_header();
        struct fmt_exec_opts eo = {.types = berth_df_row_types};
        struct fmt_list l = {.format = format,
                             .default_format = BERTH_DF_TABLE,
                             .header = header,
                             .rows = rows,
                             .opts = &eo};
        return fmt_list_render(&l, out, err);
    }
    bt_autoptr(json_t) s = sections(df, is_table);
    if (is_table)
        return verbose_tables(s, out, err);
    /* any other format runs once, on the four sections */
    bt_autoptr(json_t) one = json_pack("[O]", s);
    struct fmt_list l = {.format = format, .default_format = format, .rows = one};
    return fmt_list_render(&l, out, err);
}

int berth_cmd_system_df(struct berth_cli *cli, int argc, char **argv)
{
    const char *format = NULL;
    bool verbose = false;
    struct bt_flag flags[] = {
            {.name = "format",
             .type = BT_FLAG_STRING,
             .value = &format,
             .usage = BERTH_FORMAT_USAGE},
            {.name = "verbose",
             .shorthand = 'v',
             .type = BT_FLAG_BOOL,
             .value = &verbose,
             .usage = "Show detailed information on space usage"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Show docker disk usage",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc < 0 && (rc = berth_check_args(cli, &fs, cli->path, args, 0, 0)) == 0)
        rc = -1;
    if (rc >= 0)
        return rc;
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_err *err = NULL;
    bt_autoptr(json_t) df = cl_json(c, "GET", "/system/df", NULL, NULL, &err);
    if (!df)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    if (render(df, format, verbose, &out, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    fputs(bt_strbuf_str(&out), cli->out);
    return 0;
}
