/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth system prune [-a] [--volumes] [-f] [--filter]: the docker CLI 28's system/prune.go.
 * The question lists what goes; then the container, network, (volume,) image and build-cache
 * prunes in that order, each printing its "Deleted ...:" list, and the sum reclaimed.
 */
#include <stdlib.h>
#include <string.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/util.h"
#include "host/format/units.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

struct pruner {
    const char *path;    /* "/containers/prune" */
    const char *key;     /* the report's list: "ContainersDeleted" */
    const char *heading; /* "Deleted Containers:" */
};

static const struct pruner pruners[] = {
        {"/containers/prune", "ContainersDeleted", "Deleted Containers:"},
        {"/networks/prune", "NetworksDeleted", "Deleted Networks:"},
        {"/volumes/prune", "VolumesDeleted", "Deleted Volumes:"},
        {"/images/prune", "ImagesDeleted", "Deleted Images:"},
        {"/build/prune", "CachesDeleted", "Deleted build cache objects:"},
};

/* docker's question: the list of what goes and the filters. */
static char *question(bool all, bool volumes, const char **filters)
{
    bt_autostrbuf struct bt_strbuf q = BT_STRBUF_INIT;
    bt_strbuf_append(&q, "WARNING! This will remove:\n  - all stopped containers\n"
                         "  - all networks not used by at least one container\n");
    if (volumes)
        bt_strbuf_append(&q, "  - all anonymous volumes not used by at least one container\n");
    bt_strbuf_append(&q, all ? "  - all images without at least one container associated to "
                               "them\n  - all build cache\n"
                             : "  - all dangling images\n  - unused build cache\n");
    if (filters && *filters) {
        bt_strbuf_append(&q, "\n  Items to be pruned will be filtered with:\n");
        for (const char **f = filters; *f; f++)
            bt_strbuf_appendf(&q, "  - %s\n", *f);
    }
    bt_strbuf_append(&q, "\nAre you sure you want to continue?");
    return bt_strbuf_steal(&q);
}

/* One prune: print its list; *total grows by what it reclaimed. */
static int prune_one(struct berth_cli *cli, struct cl_client *c, const struct pruner *p,
                     const char *query, int64_t *total, bt_err **err)
{
    bt_autofree char *path = bt_xasprintf("%s%s", p->path, query);
    bt_autoptr(json_t) report = cl_json(c, "POST", path, NULL, NULL, err);
    if (!report)
        return *err ? -1 : 0;
    json_t *deleted = bt_json_get_arr(report, p->key);
    if (!json_array_size(deleted))
        return 0;
    fprintf(cli->out, "%s\n", p->heading);
    size_t i;
    json_t *d;
    json_array_foreach (deleted, i, d) {
        if (json_is_string(d))
            fprintf(cli->out, "%s\n", json_string_value(d));
        else if (*bt_json_get_str(d, "Untagged", ""))
            fprintf(cli->out, "untagged: %s\n", bt_json_get_str(d, "Untagged", ""));
        else
            fprintf(cli->out, "deleted: %s\n", bt_json_get_str(d, "Deleted", ""));
    }
    fprintf(cli->out, "\n");
    *total += bt_json_get_int(report, "SpaceReclaimed", 0);
    return 0;
}

/* The query of pruner i: the filters, images' dangling one, build cache's all. */
static char *prune_query(size_t i, bool all, const char **filters, bt_err **err)
{
    size_t nf = 0;
    while (filters && filters[nf])
        nf++;
    bt_autofree const char **fl = bt_xzalloc((nf + 2) * sizeof(char *));
    if (nf)
        memcpy(fl, filters, nf * sizeof(char *));
    if (i == 3)
        fl[nf] = all ? "dangling=false" : "dangling=true";
    bt_autofree char *f = berth_filters(fl, err);
    if (!f && *err)
        return NULL;
    bt_autostrbuf struct bt_strbuf q = BT_STRBUF_INIT;
    if (f)
        bt_strbuf_appendf(&q, "?filters=%s", f);
    if (i == 4 && all)
        bt_strbuf_appendf(&q, "%call=1", f ? '&' : '?');
    return bt_strbuf_steal(&q);
}

static int run_prunes(struct berth_cli *cli, bool all, bool volumes, const char **filters)
{
    int rc;
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    int64_t total = 0;
    for (size_t i = 0; i < sizeof(pruners) / sizeof(pruners[0]); i++) {
        if (i == 2 && !volumes)
            continue;
        bt_err *err = NULL;
        bt_autofree char *q = prune_query(i, all, filters, &err);
        if (!q || prune_one(cli, c, &pruners[i], q, &total, &err) < 0)
            return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    bt_autostrbuf struct bt_strbuf size = BT_STRBUF_INIT;
    fmt_human_size((double)total, 4, &size);
    fprintf(cli->out, "Total reclaimed space: %s\n", bt_strbuf_str(&size));
    return 0;
}

int berth_cmd_system_prune(struct berth_cli *cli, int argc, char **argv)
{
    bool all = false, force = false, volumes = false;
    bt_autofree const char **filters = NULL;
    struct bt_flag flags[] = {
            {.name = "all",
             .shorthand = 'a',
             .type = BT_FLAG_BOOL,
             .value = &all,
             .usage = "Remove all unused images not just dangling ones"},
            {.name = "filter",
             .type = BT_FLAG_STRINGS,
             .value = &filters,
             .usage = "Provide filter values (e.g. \"label=<key>=<value>\")",
             .metavar = "filter"},
            {.name = "force",
             .shorthand = 'f',
             .type = BT_FLAG_BOOL,
             .value = &force,
             .usage = "Do not prompt for confirmation"},
            {.name = "volumes",
             .type = BT_FLAG_BOOL,
             .value = &volumes,
             .usage = "Prune anonymous volumes"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Remove unused data",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 0, 0)) != 0)
        return rc;
    bt_autofree char *warning = question(all, volumes, filters);
    if (!force && !berth_confirm(cli, warning))
        return 0; /* docker: cancelled, quietly */
    return run_prunes(cli, all, volumes, filters);
}
