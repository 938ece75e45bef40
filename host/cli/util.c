/* SPDX-License-Identifier: Apache-2.0 */
#include "host/cli/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"
#include "host/format/tabwriter.h"

char *berth_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    struct bt_strbuf sb = BT_STRBUF_INIT;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p)) {
            bt_strbuf_append_c(&sb, (char)*p);
        } else {
            bt_strbuf_append_c(&sb, '%');
            bt_strbuf_append_c(&sb, hex[*p >> 4]);
            bt_strbuf_append_c(&sb, hex[*p & 15]);
        }
    }
    return sb.buf ? bt_strbuf_steal(&sb) : bt_xstrdup("");
}

struct cl_client *berth_need_client(struct berth_cli *cli, int *rc)
{
    bt_err *err = NULL;
    struct cl_client *c = berth_client(cli, &err);
    if (!c)
        *rc = berth_fail(cli, err, BERTH_EXIT_FAIL);
    return c;
}

void berth_query(struct bt_strbuf *path, const char *key, const char *value)
{
    bt_autofree char *v = berth_escape(value);
    bt_strbuf_appendf(path, "%c%s=%s", strchr(bt_strbuf_str(path), '?') ? '&' : '?', key, v);
}

int berth_each_container(struct berth_cli *cli, char **names, const char *method,
                         const char *suffix, bool print_name)
{
    return berth_each_container_opts(cli, names, method, suffix, print_name, false);
}

int berth_each_container_opts(struct berth_cli *cli, char **names, const char *method,
                              const char *suffix, bool print_name, bool missing_ok)
{
    int rc = 0;
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    bt_autostrbuf struct bt_strbuf errors = BT_STRBUF_INIT;
    for (char **n = names; n && *n; n++) {
        bt_autofree char *id = berth_escape(*n);
        bt_autofree char *path = bt_xasprintf("/containers/%s%s", id, suffix);
        struct cl_request req = {.method = method, .path = path};
        struct cl_response resp;
        bt_autoerr bt_err *err = NULL;
        if (cl_call(c, &req, &resp, &err) < 0) {
            if (missing_ok && cl_err_kind(err) == BT_E_NOT_FOUND) {
                fprintf(cli->err, "Error response from daemon: %s\n", bt_err_msg(err));
                continue;
            }
            if (errors.len)
                bt_strbuf_append_c(&errors, '\n');
            if (cl_err_is_daemon(err))
                bt_strbuf_appendf(&errors, "Error response from daemon: %s", bt_err_msg(err));
            else
                bt_strbuf_append(&errors, bt_err_msg(err));
            rc = BERTH_EXIT_FAIL;
            continue;
        }
        cl_response_clear(&resp);
        if (print_name)
            fprintf(cli->out, "%s\n", *n);
    }
    if (errors.len) {
        fflush(cli->out);
        fprintf(cli->err, "%s\n", bt_strbuf_str(&errors));
    }
    return rc;
}

char *berth_short_id(const char *id)
{
    const char *colon = strchr(id, ':');
    if (colon)
        id = colon + 1;
    return bt_xstrndup(id, 12);
}

char *berth_ellipsis(const char *s, size_t max)
{
    if (max == 0)
        return bt_xstrdup("");
    size_t width = fmt_display_width(s, strlen(s));
    if (width <= max)
        return bt_xstrdup(s);
    /* keep whole characters while they fit in max - 1 columns */
    size_t keep = 0, w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (p[keep]) {
        size_t n = 1;
        if (p[keep] >= 0xf0)
            n = 4;
        else if (p[keep] >= 0xe0)
            n = 3;
        else if (p[keep] >= 0xc0)
            n = 2;
        size_t cw = fmt_display_width(s + keep, n);
        if (w + cw > max - 1)
            break;
        w += cw;
        keep += n;
    }
    return bt_xasprintf("%.*s…", (int)keep, s);
}

char *berth_filters(const char **list, bt_err **err)
{
    if (!list || !list[0])
        return NULL;
    bt_autoptr(json_t) f = json_object();
    for (const char **l = list; *l; l++) {
        const char *eq = strchr(*l, '=');
        if (!eq) {
            bt_err_set(err, BT_E_INVALID, "bad format of filter (expected name=value)");
            return NULL;
        }
        bt_autofree char *k = bt_xstrndup(*l, (size_t)(eq - *l));
        for (char *p = k; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        json_t *vals = json_object_get(f, k);
        if (!vals) {
            vals = json_object();
            json_object_set_new(f, k, vals);
        }
        json_object_set_new(vals, eq + 1, json_true());
    }
    bt_autofree char *text = bt_json_dumps(f);
    return berth_escape(text);
}

char *berth_header_label(const char *name)
{
    const char *dot = strrchr(name, '.');
    char *h = bt_xstrdup(dot ? dot + 1 : name);
    for (char *p = h; *p; p++)
        if (*p == '-' || *p == '_')
            *p = ' ';
    return h;
}
