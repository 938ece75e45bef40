/* SPDX-License-Identifier: Apache-2.0 */
/* berth images / image ls: one row per repository and tag, as docker's image formatter. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/rows.h"
#include "host/cli/util.h"
#include "host/format/list.h"
#include "host/format/units.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"
#include "shared/reference/reference.h"

#define IMAGES_TABLE                                                                             \
    "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/" \
    "A{{end}}\t{{.Size}}"
#define IMAGES_TABLE_DIGEST                                                      \
    "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince " \
    "}}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"

static char *go_time(int64_t sec)
{
    time_t t = (time_t)sec;
    struct tm tm;
    localtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z %Z", &tm);
    return bt_xstrdup(buf);
}

json_t *berth_image_row(const json_t *img, const char *repo, const char *tag, const char *digest,
                        bool trunc, int64_t now)
{
    json_t *r = json_object();
    int64_t created = bt_json_get_int(img, "Created", 0);
    int64_t size = bt_json_get_int(img, "Size", 0);
    int64_t shared = bt_json_get_int(img, "SharedSize", -1);
    int64_t containers = bt_json_get_int(img, "Containers", -1);
    const char *id = bt_json_get_str(img, "Id", "");
    bt_autofree char *sid = trunc ? berth_short_id(id) : bt_xstrdup(id);
    bt_autofree char *cat = go_time(created);
    bt_autostrbuf struct bt_strbuf since = BT_STRBUF_INIT, sz = BT_STRBUF_INIT,
                                   vsz = BT_STRBUF_INIT, shsz = BT_STRBUF_INIT,
                                   usz = BT_STRBUF_INIT;
    fmt_time_ago(created * FMT_NS_PER_SEC, now, &since);
    fmt_human_size((double)size, 3, &sz);
    fmt_human_size((double)size, 4, &vsz);
    if (shared == -1)
        bt_strbuf_append(&shsz, "N/A");
    else
        fmt_human_size((double)shared, 4, &shsz);
    if (size == -1 || shared == -1)
        bt_strbuf_append(&usz, "N/A");
    else
        fmt_human_size((double)(size - shared), 4, &usz);
    char ctrs[32];
    if (containers == -1)
        snprintf(ctrs, sizeof(ctrs), "N/A");
    else
        snprintf(ctrs, sizeof(ctrs), "%lld", (long long)containers);
    bt_json_set_str(r, "Containers", ctrs);
    bt_json_set_str(r, "CreatedAt", cat);
    bt_json_set_str(r, "CreatedSince", bt_strbuf_str(&since));
    bt_json_set_str(r, "Digest", digest);
    bt_json_set_str(r, "ID", sid);
    bt_json_set_str(r, "Repository", repo);
    bt_json_set_str(r, "SharedSize", bt_strbuf_str(&shsz));
    bt_json_set_str(r, "Size", bt_strbuf_str(&sz));
    bt_json_set_str(r, "Tag", tag);
    bt_json_set_str(r, "UniqueSize", bt_strbuf_str(&usz));
    bt_json_set_str(r, "VirtualSize", bt_strbuf_str(&vsz));
    return r;
}

json_t *berth_image_header(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "IMAGE ID",
                     "Repository", "REPOSITORY", "Tag", "TAG", "Digest", "DIGEST", "CreatedSince",
                     "CREATED", "CreatedAt", "CREATED AT", "Size", "SIZE", "Containers",
                     "CONTAINERS", "VirtualSize", "VIRTUAL SIZE", "SharedSize", "SHARED SIZE",
                     "UniqueSize", "UNIQUE SIZE");
}

static void add_row(json_t *rows, const json_t *img, const char *repo, const char *tag,
                    const char *digest, bool trunc, int64_t now)
{
    json_array_append_new(rows, berth_image_row(img, repo, tag, digest, trunc, now));
}

/* imageFormatTaggedAndDigest: rows per repository and tag, digests shown when asked. */
static void image_rows(json_t *rows, const json_t *img, bool digests, bool trunc, int64_t now)
{
    json_t *tags = bt_json_get_arr(img, "RepoTags");
    json_t *dgs = bt_json_get_arr(img, "RepoDigests");
    if (json_array_size(tags) == 0 && json_array_size(dgs) == 0) {
        add_row(rows, img, "<none>", "<none>", "<none>", trunc, now);
        return;
    }
    bt_autoptr(json_t) digest_repos = json_object(); /* repo -> [digests] */
    size_t i;
    json_t *v;
    json_array_foreach (dgs, i, v) {
        bt_autoptr(bt_ref) r = bt_ref_parse(json_string_value(v) ? json_string_value(v) : "", NULL);
        if (!r || !r->digest)
            continue;
        bt_autofree char *repo = bt_ref_familiar_name(r);
        json_t *list = json_object_get(digest_repos, repo);
        if (!list) {
            list = json_array();
            json_object_set_new(digest_repos, repo, list);
        }
        json_array_append_new(list, json_string(r->digest));
    }
    bt_autoptr(json_t) tagged_repos = json_object();
    json_array_foreach (tags, i, v) {
        bt_autoptr(bt_ref) r = bt_ref_parse(json_string_value(v) ? json_string_value(v) : "", NULL);
        if (!r || !r->tag)
            continue;
        bt_autofree char *repo = bt_ref_familiar_name(r);
        json_object_set_new(tagged_repos, repo, json_true());
        json_t *ds = digests ? json_object_get(digest_repos, repo) : NULL;
        if (json_array_size(ds) == 0) {
            add_row(rows, img, repo, r->tag, "<none>", trunc, now);
            continue;
        }
        size_t k;
        json_t *d;
        json_array_foreach (ds, k, d)
            add_row(rows, img, repo, r->tag, json_string_value(d), trunc, now);
    }
    const char *repo;
    json_t *ds;
    json_object_foreach (digest_repos, repo, ds) {
        if (json_object_get(tagged_repos, repo))
            continue;
        if (!digests) {
            add_row(rows, img, repo, "<none>", "", trunc, now);
            continue;
        }
        size_t k;
        json_t *d;
        json_array_foreach (ds, k, d)
            add_row(rows, img, repo, "<none>", json_string_value(d), trunc, now);
    }
}

int berth_cmd_images(struct berth_cli *cli, int argc, char **argv)
{
    bool quiet = false, all = false, no_trunc = false, digests = false;
    const char *format = NULL;
    const char **filters = NULL;
    struct bt_flag flags[] = {
            {.name = "all",
             .shorthand = 'a',
             .type = BT_FLAG_BOOL,
             .value = &all,
             .usage = "Show all images (default hides intermediate images)"},
            {.name = "digests", .type = BT_FLAG_BOOL, .value = &digests, .usage = "Show digests"},
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
            {.name = "no-trunc",
             .type = BT_FLAG_BOOL,
             .value = &no_trunc,
             .usage = "Don't truncate output"},
            {.name = "quiet",
             .shorthand = 'q',
             .type = BT_FLAG_BOOL,
             .value = &quiet,
             .usage = "Only show image IDs"},
            {0},
    };
    bt_autofree char *usage =
            bt_xasprintf("%s %s [OPTIONS] [REPOSITORY[:TAG]]", cli->prog, cli->path);
    struct bt_flagset fs = {
            .usage = usage, .description = "List images", .flags = flags, .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc < 0 && (rc = berth_check_args(cli, &fs, cli->path, args, 0, 1)) == 0)
        rc = -1;
    if (rc >= 0) {
        free(filters);
        return rc;
    }
    bt_autofree char *ref = args[0] ? bt_xasprintf("reference=%s", args[0]) : NULL;
    size_t nf = 0;
    while (filters && filters[nf])
        nf++;
    const char **all_filters = bt_xzalloc((nf + 2) * sizeof(char *));
    for (size_t k = 0; k < nf; k++)
        all_filters[k] = filters[k];
    all_filters[nf] = ref;
    free(filters);
    bt_err *err = NULL;
    bt_autofree char *f = berth_filters(all_filters, &err);
    free(all_filters);
    if (err)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    bt_autostrbuf struct bt_strbuf path = BT_STRBUF_INIT;
    bt_strbuf_append(&path, "/images/json");
    if (all)
        berth_query(&path, "all", "1");
    if (f)
        bt_strbuf_appendf(&path, "%cfilters=%s", all ? '&' : '?', f);
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_autoptr(json_t) list = cl_json(c, "GET", bt_strbuf_str(&path), NULL, NULL, &err);
    if (!list)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    bt_autoptr(json_t) rows = json_array();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * FMT_NS_PER_SEC + ts.tv_nsec;
    size_t i;
    json_t *img;
    json_array_foreach (list, i, img)
        image_rows(rows, img, digests, !no_trunc, now);
    const char *fmt = format;
    if (quiet && (!format || !*format || strcmp(format, "table") == 0))
        fmt = "{{.ID}}";
    bt_autoptr(json_t) header = berth_image_header();
    static const struct fmt_type types[] = {{"", "*formatter.imageContext"}, {NULL, NULL}};
    struct fmt_exec_opts eo = {.types = types};
    struct fmt_list l = {.opts = &eo,
                         .format = fmt,
                         .default_format = digests ? IMAGES_TABLE_DIGEST : IMAGES_TABLE,
                         .header = header,
                         .rows = rows};
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    if (fmt_list_render(&l, &out, &err) < 0)
        return berth_fail(cli, err, BERTH_EXIT_FAIL);
    fputs(bt_strbuf_str(&out), cli->out);
    return 0;
}
