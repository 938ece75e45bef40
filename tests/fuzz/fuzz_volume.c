/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What `berth volume` reads from an engine and from its user: the first byte picks the input,
 * the rest is it.
 *   0: an answer to GET /volumes (any JSON), through ls' sort, rows and formats and inspect's
 *      Go value, printed as docker would;
 *   1: lines of flag values (--label, --opt, --filter) and the natural order of two names.
 * Each either succeeds or fails with a message; none may touch memory it does not own, and
 * the order must be a strict weak one (never a < b and b < a).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/cli/util.h"
#include "host/cli/volume-format.h"
#include "host/format/list.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void render(const char *format, json_t *rows, json_t *vols)
{
    bt_autoptr(json_t) header = berth_volume_header();
    struct berth_label_ctx lc = {.rows = rows, .objs = vols};
    struct fmt_exec_opts eo = {.types = berth_volume_row_types,
                               .method = berth_label_method,
                               .method_ctx = &lc,
                               .max_steps = 100000};
    struct fmt_list l = {.opts = &eo,
                         .format = format,
                         .default_format = "table {{.Driver}}\t{{.Name}}",
                         .header = header,
                         .rows = rows};
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    bt_err *err = NULL;
    fmt_list_render(&l, &out, &err);
    bt_err_free(err);
}

static void volumes(const char *text, size_t len)
{
    bt_autoptr(json_t) answer = bt_json_parse(text, len, NULL);
    json_t *vols = bt_json_get_arr(answer, "Volumes");
    if (!vols)
        return;
    berth_sort_by_name(vols);
    bt_autoptr(json_t) rows = json_array();
    bt_autoptr(json_t) all = json_array();
    for (size_t i = 0; i < json_array_size(vols); i++) {
        json_t *v = json_array_get(vols, i);
        json_array_append_new(rows, berth_volume_row(v));
        json_array_append_new(all, berth_volume_go_json(v));
        bt_autoptr(json_t) typed = berth_volume_typed(v);
        bt_autoptr(fmt_template) t = fmt_template_parse("{{.}} {{json .}}", NULL);
        struct fmt_exec_opts eo = {.types = berth_volume_types};
        bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
        fmt_template_exec(t, typed, &eo, &out, NULL);
    }
    render("table {{.Name}}\t{{.Labels}}\t{{.Label \"a\"}}\t{{.Links}}\t{{.Size}}\t{{.Status}}",
           rows, vols);
    render("json", rows, vols);
    char *pretty = bt_json_dumps_pretty(all, 4);
    free(bt_json_html_escape(pretty));
}

static void values(const char *text)
{
    bt_autofree char *copy = bt_xstrdup(text);
    bt_autoptr(json_t) labels = NULL;
    bt_autoptr(json_t) opts = NULL;
    bt_autoptr(json_t) filters = NULL;
    char *save = NULL;
    const char *prev = "";
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        bt_err *err = NULL;
        if (berth_flag_label(&labels, line, &err) < 0)
            bt_err_free(err);
        berth_flag_map(&opts, line, NULL);
        err = NULL;
        if (berth_flag_filter(&filters, line, &err) < 0)
            bt_err_free(err);
        if (berth_natural_less(prev, line) && berth_natural_less(line, prev))
            abort();
        prev = line;
    }
    free(berth_filters_query(filters));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 100000)
        return 0;
    bt_autofree char *text = bt_xstrndup((const char *)data + 1, size - 1);
    if (data[0] % 2 == 0)
        volumes((const char *)data + 1, size - 1);
    else
        values(text);
    return 0;
}
