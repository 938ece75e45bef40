/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker's formatter.Context: the table directive, the json format, the header row and the
 * tabwriter, as in cli/command/formatter/formatter.go.
 */
#include <string.h>

#include "host/format/list.h"
#include "host/format/tabwriter.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"
#include "shared/base/mem.h"

char *fmt_list_template_text(const char *format)
{
    if (strcmp(format, "table") == 0)
        return bt_xstrdup("");
    if (strcmp(format, "json") == 0)
        return bt_xstrdup("{{json .}}");
    if (strncmp(format, "table", 5) == 0)
        format += 5;
    size_t n = strlen(format);
    while (n > 0 && format[n - 1] == ' ')
        n--;
    while (n > 0 && *format == ' ')
        format++, n--;
    struct bt_strbuf sb = BT_STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (format[i] == '\\' && i + 1 < n && (format[i + 1] == 't' || format[i + 1] == 'n')) {
            bt_strbuf_append_c(&sb, format[i + 1] == 't' ? '\t' : '\n');
            i++;
        } else {
            bt_strbuf_append_c(&sb, format[i]);
        }
    }
    bt_strbuf_append(&sb, "");
    return bt_strbuf_steal(&sb);
}

/* The header row: the same template on the header object, a map[string]string, with
 * HeaderFunctions. docker ignores its errors and keeps what was written before one. */
static void render_header(const struct fmt_template *t, const json_t *header,
                          const struct fmt_exec_opts *row_opts, struct bt_strbuf *buf)
{
    static const struct fmt_type header_types[] = {{"", "map[string]string"}, {NULL, NULL}};
    /* methods with arguments answer on the header too (SubHeaderContext.Label) */
    struct fmt_exec_opts o = {
            .types = header_types,
            .header = true,
            .method = row_opts ? row_opts->method : NULL,
            .method_ctx = row_opts ? row_opts->method_ctx : NULL,
            .max_output = row_opts ? row_opts->max_output : 0,
    };
    bt_autoptr(json_t) empty = header ? NULL : json_object();
    fmt_template_exec(t, header ? header : empty, &o, buf, NULL);
    bt_strbuf_append_c(buf, '\n');
}

int fmt_list_render(const struct fmt_list *l, struct bt_strbuf *out, bt_err **err)
{
    const char *format = l->format && *l->format && strcmp(l->format, "table") != 0
                                 ? l->format
                                 : l->default_format;
    bt_autofree char *text = fmt_list_template_text(format);
    bt_autoerr bt_err *e = NULL;
    bt_autoptr(fmt_template) t = fmt_template_parse(text, &e);
    if (!t)
        return bt_err_set(err, BT_E_INVALID, "template parsing error: %s", bt_err_msg(e));
    bool table = strncmp(format, "table", 5) == 0;
    bt_autostrbuf struct bt_strbuf buf = BT_STRBUF_INIT;
    if (table)
        render_header(t, l->header, l->opts, &buf);
    for (size_t i = 0; i < json_array_size(l->rows); i++) {
        if (fmt_template_exec(t, json_array_get(l->rows, i), l->opts, &buf, &e) < 0)
            return bt_err_set(err, BT_E_INVALID, "template parsing error: %s", bt_err_msg(e));
        bt_strbuf_append_c(&buf, '\n');
    }
    if (table)
        fmt_tabwriter_format(buf.buf ? buf.buf : "", buf.len, &FMT_TAB_DOCKER, out);
    else
        bt_strbuf_append_n(out, buf.buf ? buf.buf : "", buf.len);
    bt_strbuf_append(out, "");
    return 0;
}
