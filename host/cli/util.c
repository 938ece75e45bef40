/* SPDX-License-Identifier: Apache-2.0 */
#include "host/cli/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "host/copts/copts.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/utf8.h"
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
    return berth_filters_query(f);
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

/* Go's strings.TrimSpace, for the ASCII spaces */
static const char *trim_space(const char *s, size_t *len)
{
    static const char ws[] = " \t\n\v\f\r";
    size_t n = strlen(s);
    while (n && strchr(ws, s[n - 1]))
        n--;
    while (n && strchr(ws, *s)) {
        s++;
        n--;
    }
    *len = n;
    return s;
}

bool berth_confirm(struct berth_cli *cli, const char *message)
{
    fprintf(cli->out, "%s [y/N] ", message);
    fflush(cli->out);
    bt_autofree char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0)
        return false;
    line[strcspn(line, "\n")] = '\0';
    size_t len;
    const char *answer = trim_space(line, &len);
    return len == 1 && (*answer == 'y' || *answer == 'Y');
}

char *berth_go_utf8(const char *s)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t w = bt_utf8_decode((const unsigned char *)s + i, n - i, NULL);
        if (w == 0) {
            bt_strbuf_append(&sb, "\xef\xbf\xbd");
            i++;
            continue;
        }
        bt_strbuf_append_n(&sb, s + i, w);
        i += w;
    }
    return sb.buf ? bt_strbuf_steal(&sb) : bt_xstrdup("");
}

/* obj[key] = value, both made valid UTF-8 as Go would send them */
static void set_go_str(json_t *obj, const char *key, const char *value)
{
    bt_autofree char *k = berth_go_utf8(key);
    bt_autofree char *v = berth_go_utf8(value);
    json_object_set_new(obj, k, json_string(v));
}

static json_t *flag_object(void *value)
{
    json_t **obj = value;
    if (!*obj)
        *obj = json_object();
    return *obj;
}

int berth_flag_filter(void *value, const char *arg, bt_err **err)
{
    if (!*arg)
        return 0;
    const char *eq = strchr(arg, '=');
    if (!eq)
        return bt_err_set(err, BT_E_INVALID, "bad format of filter (expected name=value)");
    bt_autofree char *k = bt_xstrndup(arg, (size_t)(eq - arg));
    size_t kn, vn;
    const char *kt = trim_space(k, &kn);
    const char *vt = trim_space(eq + 1, &vn);
    bt_autofree char *raw_name = bt_xstrndup(kt, kn);
    bt_autofree char *name = berth_go_utf8(raw_name);
    for (char *p = name; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    json_t *f = flag_object(value);
    json_t *vals = json_object_get(f, name);
    if (!vals) {
        vals = json_object();
        json_object_set_new(f, name, vals);
    }
    bt_autofree char *raw_v = bt_xstrndup(vt, vn);
    bt_autofree char *v = berth_go_utf8(raw_v);
    json_object_set_new(vals, v, json_true());
    return 0;
}

static int put_kv(void *value, const char *arg)
{
    const char *eq = strchr(arg, '=');
    bt_autofree char *k = bt_xstrndup(arg, eq ? (size_t)(eq - arg) : strlen(arg));
    set_go_str(flag_object(value), k, eq ? eq + 1 : "");
    return 0;
}

int berth_flag_label(void *value, const char *arg, bt_err **err)
{
    /* ValidateLabel checks the key with leading spaces and tabs cut, but keeps it as given */
    size_t kn = strcspn(arg, "=");
    bt_autofree char *key = bt_xstrndup(arg, kn);
    const char *k = key + strspn(key, " \t");
    if (!*k)
        return bt_err_set(err, BT_E_INVALID, "invalid label '%s': empty name", arg);
    if (strpbrk(k, " \t"))
        return bt_err_set(err, BT_E_INVALID, "label '%s' contains whitespaces", k);
    return put_kv(value, arg);
}

int berth_flag_map(void *value, const char *arg, bt_err **err)
{
    (void)err;
    return put_kv(value, arg);
}

char *berth_filters_query(const json_t *filters)
{
    if (!filters || json_object_size(filters) == 0)
        return NULL;
    /* filters.ToJSON: json.Marshal of Go maps, keys sorted and HTML characters escaped */
    char *text = json_dumps(filters, JSON_COMPACT | JSON_SORT_KEYS);
    bt_autofree char *go = bt_json_html_escape(text ? text : bt_xstrdup("{}"));
    return berth_escape(go);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool berth_natural_less(const char *a, const char *b)
{
    size_t i = 0, j = 0, na = strlen(a), nb = strlen(b);
    while (i < na && j < nb) {
        bool da = is_digit(a[i]), db = is_digit(b[j]);
        if (da != db)
            return da;
        if (!da) {
            if (a[i] != b[j])
                return (unsigned char)a[i] < (unsigned char)b[j];
            i++;
            j++;
            continue;
        }
        while (i < na && a[i] == '0')
            i++;
        while (j < nb && b[j] == '0')
            j++;
        size_t ia = i, jb = j;
        while (i < na && is_digit(a[i]))
            i++;
        while (j < nb && is_digit(b[j]))
            j++;
        if (i - ia != j - jb)
            return i - ia < j - jb;
        int c = memcmp(a + ia, b + jb, i - ia);
        if (c != 0)
            return c < 0;
        if (ia != jb)
            return ia < jb;
    }
    return na < nb;
}

static int cmp_names(const void *a, const void *b)
{
    const char *na = bt_json_get_str(*(json_t *const *)a, "Name", "");
    const char *nb = bt_json_get_str(*(json_t *const *)b, "Name", "");
    return berth_natural_less(na, nb) ? -1 : berth_natural_less(nb, na) ? 1 : 0;
}

void berth_sort_by_name(json_t *objs)
{
    size_t n = json_array_size(objs);
    if (n < 2)
        return;
    json_t **v = bt_xzalloc(n * sizeof(json_t *));
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(objs, i));
    qsort(v, n, sizeof(json_t *), cmp_names);
    json_array_clear(objs);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(objs, v[i]);
    free(v);
}

int berth_label_method(void *ctx, const char *name, const char *receiver_path,
                       const json_t *receiver, const json_t *const *args, size_t nargs,
                       json_t **result, bt_err **err)
{
    const struct berth_label_ctx *lc = ctx;
    (void)receiver_path;
    if (strcmp(name, "Label") != 0)
        return 0;
    if (nargs != 1 || !json_is_string(args[0]))
        return bt_err_set(err, BT_E_INVALID, "wrong number of args for Label: want 1 got %zu",
                          nargs);
    for (size_t i = 0; i < json_array_size(lc->rows); i++) {
        if (json_array_get(lc->rows, i) == receiver) {
            json_t *labels = bt_json_get_obj(json_array_get(lc->objs, i), "Labels");
            *result = json_string(bt_json_get_str(labels, json_string_value(args[0]), ""));
            return 1;
        }
    }
    /* the header row: SubHeaderContext.Label */
    bt_autofree char *h = berth_header_label(json_string_value(args[0]));
    *result = json_string(h);
    return 1;
}

const char **berth_object_keys(const json_t *obj, size_t *n)
{
    *n = json_object_size(obj);
    const char **keys = bt_xzalloc((*n + 1) * sizeof(char *));
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach ((json_t *)obj, k, v)
        keys[i++] = k;
    qsort(keys, *n, sizeof(char *), bt_strp_cmp);
    return keys;
}

char *berth_join_labels(const json_t *labels)
{
    size_t n;
    bt_autofree const char **keys = berth_object_keys(labels, &n);
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    for (size_t i = 0; i < n; i++)
        bt_strbuf_appendf(&sb, "%s%s=%s", i ? "," : "", keys[i],
                          bt_json_get_str(labels, keys[i], ""));
    return bt_strbuf_steal(&sb);
}

json_t *berth_string_map(const json_t *obj)
{
    if (!json_is_object(obj))
        return json_null();
    json_t *m = json_object();
    size_t n;
    bt_autofree const char **keys = berth_object_keys(obj, &n);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(obj, keys[i]);
        if (json_is_string(v))
            json_object_set(m, keys[i], v);
    }
    return m;
}

char *berth_trim_id(const char *kind, const char *name, bt_err **err)
{
    static const char ws[] = " \t\n\v\f\r";
    size_t n = strlen(name);
    while (n && strchr(ws, name[n - 1]))
        n--;
    while (n && strchr(ws, *name)) {
        name++;
        n--;
    }
    if (n == 0) {
        bt_err_set(err, BT_E_INVALID, "invalid %s name or ID: value is empty", kind);
        return NULL;
    }
    return bt_xstrndup(name, n);
}

void berth_add_error(struct bt_strbuf *errors, bt_err *err)
{
    bt_strbuf_appendf(errors, "%s%s%s", errors->len ? "\n" : "",
                      cl_err_is_daemon(err) ? "Error response from daemon: " : "", bt_err_msg(err));
    bt_err_free(err);
}

int berth_print_errors(struct berth_cli *cli, const struct bt_strbuf *errors)
{
    if (!errors->len)
        return 0;
    fflush(cli->out);
    fprintf(cli->err, "%s\n", bt_strbuf_str(errors));
    return BERTH_EXIT_FAIL;
}

int berth_inspect_exec(const struct fmt_template *t, const json_t *typed,
                       const struct fmt_type *types, const json_t *raw, struct bt_strbuf *out,
                       bt_err **err)
{
    struct fmt_exec_opts typed_opts = {.types = types};
    size_t mark = out->len;
    bt_autoerr bt_err *first = NULL;
    if (fmt_template_exec(t, typed, &typed_opts, out, &first) < 0) {
        bt_strbuf_truncate(out, mark);
        struct fmt_exec_opts raw_opts = {.objects_are_maps = true, .missing_key_error = true};
        if (fmt_template_exec(t, raw, &raw_opts, out, err) < 0) {
            bt_strbuf_truncate(out, mark);
            return bt_err_wrap(err, "template parsing error");
        }
    }
    bt_strbuf_append_c(out, '\n');
    return 0;
}

int berth_flag_string_slice(void *value, const char *arg, bt_err **err)
{
    json_t **list = value;
    if (!*arg) {
        if (!*list)
            *list = json_array();
        return 0;
    }
    bt_autostrv char **fields = copts_csv_fields(arg, err);
    if (!fields)
        return -1;
    if (!*list)
        *list = json_array();
    for (char **f = fields; *f; f++)
        json_array_append_new(*list, json_string(*f));
    return 0;
}
