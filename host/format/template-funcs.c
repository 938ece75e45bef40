/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The functions templates can call: Go's builtins (text/template/funcs.go: and, or, not, len,
 * index, slice, print, printf, println, html, js, urlquery, eq, ne, lt, le, gt, ge) and the
 * docker CLI's (templates/templates.go: json, split, join, title, lower, upper, pad,
 * truncate), with docker's HeaderFunctions variants for table headers. Failures return the
 * text Go's function returns (or panics with); the executor adds "error calling NAME: ".
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "host/format/template-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

struct call {
    const struct typing *ty;
    const struct xv *args;
    size_t n;
    size_t max_len; /* longest string a function may build */
    char **msg;
};

typedef int (*func_impl)(const struct call *c, struct xv *res);

struct func_def {
    const char *name;
    int nfixed;
    bool variadic;
    enum param_kind kinds[3];
    enum param_kind vkind;
    func_impl impl;
    bool header_identity; /* docker's HeaderFunctions: returns its first argument */
    enum param_kind header_kinds[3];
};

static int fail(const struct call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(const struct call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    *c->msg = bt_xvasprintf(fmt, ap);
    va_end(ap);
    return -1;
}

static const char *tname(const struct call *c, const struct xv *v)
{
    return xv_type_name(c->ty, v);
}

static struct xv new_str(const char *s, size_t n)
{
    return xv_new(json_stringn_nocheck(s, n), NULL);
}

static struct xv new_strbuf(struct bt_strbuf *sb)
{
    struct xv v = new_str(sb->buf ? sb->buf : "", sb->len);
    bt_strbuf_free(sb);
    return v;
}

/* --- kinds as Go's comparison functions see them --- */

enum basic { B_INVALID, B_BOOL, B_INT, B_FLOAT, B_STRING };

/* A null held in an interface{} is no value at all once Go unwraps it. */
static bool is_none(const struct xv *v)
{
    return !v->j || (v->iface && json_is_null(v->j));
}

static enum basic basic_kind(const struct xv *v)
{
    if (is_none(v))
        return B_INVALID;
    switch (json_typeof(v->j)) {
    case JSON_TRUE:
    case JSON_FALSE:
        return B_BOOL;
    case JSON_INTEGER:
        return B_INT;
    case JSON_REAL:
        return B_FLOAT;
    case JSON_STRING:
        return B_STRING;
    default:
        return B_INVALID;
    }
}

/* reflect.Kind-like class of a non-basic value: what canCompare compares. */
static int other_class(const struct call *c, const struct xv *v)
{
    if (is_none(v))
        return 0;
    if (json_is_array(v->j))
        return 1;
    if (json_is_object(v->j))
        return xv_is_map(c->ty, v) ? 2 : 3;
    return 4; /* null: a nil pointer */
}

static void sprint_v(const struct call *c, const struct xv *v, struct bt_strbuf *out)
{
    xv_print(c->ty, v, false, out);
}

static int eq_one(const struct call *c, const struct xv *a, const struct xv *b, bool *truth)
{
    enum basic k1 = basic_kind(a), k2 = basic_kind(b);
    *truth = false;
    if (k1 != k2) {
        if (!is_none(a) && !is_none(b))
            return fail(c, "incompatible types for comparison: %s and %s", tname(c, a),
                        tname(c, b));
        return 0;
    }
    switch (k1) {
    case B_BOOL:
        *truth = json_is_true(a->j) == json_is_true(b->j);
        return 0;
    case B_INT:
        *truth = json_integer_value(a->j) == json_integer_value(b->j);
        return 0;
    case B_FLOAT:
        *truth = json_real_value(a->j) == json_real_value(b->j);
        return 0;
    case B_STRING:
        *truth = json_string_length(a->j) == json_string_length(b->j) &&
                 memcmp(json_string_value(a->j), json_string_value(b->j),
                        json_string_length(a->j)) == 0;
        return 0;
    case B_INVALID:
        break;
    }
    int c1 = other_class(c, a), c2 = other_class(c, b);
    if (c1 != c2 && c1 != 0 && c2 != 0) {
        bt_autostrbuf struct bt_strbuf s1 = BT_STRBUF_INIT, s2 = BT_STRBUF_INIT;
        sprint_v(c, a, &s1);
        sprint_v(c, b, &s2);
        return fail(c, "non-comparable types %s: %s, %s: %s", bt_strbuf_str(&s1), tname(c, a),
                    tname(c, b), bt_strbuf_str(&s2));
    }
    bool nil1 = c1 == 0 || c1 == 4, nil2 = c2 == 0 || c2 == 4;
    if (nil1 || nil2) {
        *truth = nil1 == nil2;
        return 0;
    }
    if (c2 == 1 || c2 == 2) {
        bt_autostrbuf struct bt_strbuf s = BT_STRBUF_INIT;
        sprint_v(c, b, &s);
        return fail(c, "non-comparable type %s: %s", bt_strbuf_str(&s), tname(c, b));
    }
    *truth = json_equal(a->j, b->j);
    return 0;
}

static int f_eq(const struct call *c, struct xv *res)
{
    if (c->n < 2)
        return fail(c, "missing argument for comparison");
    bool truth = false;
    for (size_t i = 1; i < c->n && !truth; i++)
        if (eq_one(c, &c->args[0], &c->args[i], &truth) < 0)
            return -1;
    *res = xv_new(json_boolean(truth), NULL);
    return 0;
}

static int f_ne(const struct call *c, struct xv *res)
{
    bool truth;
    if (eq_one(c, &c->args[0], &c->args[1], &truth) < 0)
        return -1;
    *res = xv_new(json_boolean(!truth), NULL);
    return 0;
}

static int less(const struct call *c, const struct xv *a, const struct xv *b, bool *truth)
{
    enum basic k1 = basic_kind(a), k2 = basic_kind(b);
    if (k1 == B_INVALID || k2 == B_INVALID)
        return fail(c, "invalid type for comparison");
    if (k1 != k2)
        return fail(c, "incompatible types for comparison: %s and %s", tname(c, a), tname(c, b));
    switch (k1) {
    case B_INT:
        *truth = json_integer_value(a->j) < json_integer_value(b->j);
        return 0;
    case B_FLOAT:
        *truth = json_real_value(a->j) < json_real_value(b->j);
        return 0;
    case B_STRING: {
        size_t la = json_string_length(a->j), lb = json_string_length(b->j);
        int r = memcmp(json_string_value(a->j), json_string_value(b->j), la < lb ? la : lb);
        *truth = r < 0 || (r == 0 && la < lb);
        return 0;
    }
    default:
        return fail(c, "invalid type for comparison");
    }
}

/* lt, le, gt, ge as Go derives them from lt and eq. */
static int compare(const struct call *c, struct xv *res, bool want_le, bool negate)
{
    bool lt = false, truth;
    if (less(c, &c->args[0], &c->args[1], &lt) < 0)
        return -1;
    truth = lt;
    if (want_le && !lt && eq_one(c, &c->args[0], &c->args[1], &truth) < 0)
        return -1;
    *res = xv_new(json_boolean(negate ? !truth : truth), NULL);
    return 0;
}

static int f_lt(const struct call *c, struct xv *res)
{
    return compare(c, res, false, false);
}

static int f_le(const struct call *c, struct xv *res)
{
    return compare(c, res, true, false);
}

static int f_gt(const struct call *c, struct xv *res)
{
    return compare(c, res, true, true);
}

static int f_ge(const struct call *c, struct xv *res)
{
    return compare(c, res, false, true);
}

static int f_not(const struct call *c, struct xv *res)
{
    *res = xv_new(json_boolean(!xv_truth(c->ty, &c->args[0])), NULL);
    return 0;
}

static int f_len(const struct call *c, struct xv *res)
{
    const struct xv *v = &c->args[0];
    if (!v->j)
        return fail(c, "reflect: call of reflect.Value.Type on zero Value");
    size_t n;
    if (json_is_null(v->j)) {
        const char *t = tname(c, v);
        if (strncmp(t, "[]", 2) != 0 && strncmp(t, "map[", 4) != 0)
            return fail(c, "len of nil pointer");
        n = 0;
    } else if (json_is_string(v->j)) {
        n = json_string_length(v->j);
    } else if (json_is_array(v->j)) {
        n = json_array_size(v->j);
    } else if (json_is_object(v->j) && xv_is_map(c->ty, v)) {
        n = json_object_size(v->j);
    } else {
        return fail(c, "len of type %s", tname(c, v));
    }
    *res = xv_new(json_integer((json_int_t)n), NULL);
    return 0;
}

/* Go's indexArg: an integer index within 0..cap. */
static int index_arg(const struct call *c, const struct xv *idx, size_t cap, int64_t *out)
{
    if (is_none(idx))
        return fail(c, "cannot index slice/array with nil");
    if (!json_is_integer(idx->j))
        return fail(c, "cannot index slice/array with type %s", tname(c, idx));
    int64_t x = json_integer_value(idx->j);
    if (x < 0 || (uint64_t)x > cap)
        return fail(c, "index out of range: %" PRId64, x);
    *out = x;
    return 0;
}

/* The zero value of a typed map's elements, for a missing key. */
static json_t *map_zero(const char *map_type)
{
    const char *e = strchr(map_type, ']');
    e = e ? e + 1 : "";
    if (strcmp(e, "string") == 0)
        return json_string("");
    if (strcmp(e, "bool") == 0)
        return json_false();
    static const char *const ints[] = {"int",   "int8",   "int16",  "int32",  "int64", "uint",
                                       "uint8", "uint16", "uint32", "uint64", "byte",  "rune"};
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
        if (strcmp(e, ints[i]) == 0)
            return json_integer(0);
    if (strcmp(e, "float64") == 0 || strcmp(e, "float32") == 0)
        return json_real(0);
    return NULL;
}

static int index_one(const struct call *c, struct xv *item, const struct xv *idx)
{
    const char *t = tname(c, item);
    bool typed_nil = json_is_null(item->j) && !is_none(item);
    if (typed_nil && strncmp(t, "[]", 2) != 0 && strncmp(t, "map[", 4) != 0)
        return fail(c, "index of nil pointer");
    int64_t x;
    if (json_is_string(item->j) || json_is_array(item->j) ||
        (typed_nil && strncmp(t, "[]", 2) == 0)) {
        size_t len = json_is_string(item->j)  ? json_string_length(item->j)
                     : json_is_array(item->j) ? json_array_size(item->j)
                                              : 0;
        if (index_arg(c, idx, len, &x) < 0)
            return -1;
        if ((size_t)x == len)
            return fail(c, "reflect: %s index out of range",
                        json_is_string(item->j) ? "string" : "slice");
        struct xv next;
        if (json_is_string(item->j)) {
            next = xv_new(json_integer((unsigned char)json_string_value(item->j)[x]), "uint8");
        } else {
            next = (struct xv){json_incref(json_array_get(item->j, (size_t)x)),
                               xv_child_path(c->ty, item->path, "[]")};
            next.iface = xv_elems_are_iface(c->ty, item);
        }
        xv_clear(item);
        *item = next;
        return 0;
    }
    if ((json_is_object(item->j) && xv_is_map(c->ty, item)) || typed_nil) {
        if (is_none(idx))
            return fail(c, "value is nil; should be of type string");
        if (!json_is_string(idx->j))
            return fail(c, "value has type %s; should be string", tname(c, idx));
        json_t *m = json_is_object(item->j) ? json_object_get(item->j, json_string_value(idx->j))
                                            : NULL;
        struct xv next = {m ? json_incref(m) : map_zero(t), xv_child_path(c->ty, item->path, "[]")};
        next.iface = xv_elems_are_iface(c->ty, item);
        xv_clear(item);
        *item = next;
        return 0;
    }
    return fail(c, "can't index item of type %s", t);
}

static int f_index(const struct call *c, struct xv *res)
{
    if (is_none(&c->args[0]))
        return fail(c, "index of untyped nil");
    struct xv item = xv_copy(&c->args[0]);
    for (size_t i = 1; i < c->n; i++) {
        if (is_none(&item)) {
            xv_clear(&item);
            return fail(c, "index of untyped nil");
        }
        if (index_one(c, &item, &c->args[i]) < 0) {
            xv_clear(&item);
            return -1;
        }
    }
    *res = item;
    return 0;
}

static int f_slice(const struct call *c, struct xv *res)
{
    const struct xv *item = &c->args[0];
    size_t nidx = c->n - 1;
    if (is_none(item))
        return fail(c, "slice of untyped nil");
    if (nidx > 3)
        return fail(c, "too many slice indexes: %zu", nidx);
    size_t len;
    if (json_is_string(item->j)) {
        if (nidx == 3)
            return fail(c, "cannot 3-index slice a string");
        len = json_string_length(item->j);
    } else if (json_is_array(item->j)) {
        len = json_array_size(item->j);
    } else {
        return fail(c, "can't slice item of type %s", tname(c, item));
    }
    int64_t idx[3] = {0, (int64_t)len, 0};
    for (size_t i = 0; i < nidx; i++)
        if (index_arg(c, &c->args[i + 1], len, &idx[i]) < 0)
            return -1;
    if (idx[0] > idx[1])
        return fail(c, "invalid slice index: %" PRId64 " > %" PRId64, idx[0], idx[1]);
    if (nidx == 3 && idx[1] > idx[2])
        return fail(c, "invalid slice index: %" PRId64 " > %" PRId64, idx[1], idx[2]);
    if (json_is_string(item->j)) {
        *res = new_str(json_string_value(item->j) + idx[0], (size_t)(idx[1] - idx[0]));
        return 0;
    }
    json_t *a = json_array();
    for (int64_t i = idx[0]; i < idx[1]; i++)
        json_array_append(a, json_array_get(item->j, (size_t)i));
    *res = (struct xv){a, bt_xstrdup_or_null(item->path), item->type, false};
    return 0;
}

static int strcmp_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_string_arg(const struct xv *v)
{
    return v->j && json_is_string(v->j);
}

/* fmt.Sprint: spaces between operands when neither is a string. */
static void sprint(const struct call *c, const struct xv *args, size_t n, bool ln,
                   struct bt_strbuf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (ln || (!is_string_arg(&args[i - 1]) && !is_string_arg(&args[i]))))
            bt_strbuf_append_c(out, ' ');
        sprint_v(c, &args[i], out);
    }
    if (ln)
        bt_strbuf_append_c(out, '\n');
}

static int check_len(const struct call *c, const struct bt_strbuf *sb)
{
    if (sb->len > c->max_len)
        return fail(c, "result longer than %zu bytes", c->max_len);
    return 0;
}

static int f_print(const struct call *c, struct xv *res)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    sprint(c, c->args, c->n, false, &sb);
    *res = new_strbuf(&sb);
    return 0;
}

static int f_println(const struct call *c, struct xv *res)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    sprint(c, c->args, c->n, true, &sb);
    *res = new_strbuf(&sb);
    return 0;
}

static int f_printf(const struct call *c, struct xv *res)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    tpl_sprintf(c->ty, json_string_value(c->args[0].j), json_string_length(c->args[0].j),
                c->args + 1, c->n - 1, &sb);
    if (check_len(c, &sb) < 0) {
        bt_strbuf_free(&sb);
        return -1;
    }
    *res = new_strbuf(&sb);
    return 0;
}

/* html, js, urlquery format their arguments as Go's evalArgs does: a lone string as is,
 * anything else through fmt.Sprint. */
static void eval_args_text(const struct call *c, struct bt_strbuf *out)
{
    if (c->n == 1 && is_string_arg(&c->args[0]))
        bt_strbuf_append_n(out, json_string_value(c->args[0].j), json_string_length(c->args[0].j));
    else
        sprint(c, c->args, c->n, false, out);
}

static int f_html(const struct call *c, struct xv *res)
{
    bt_autostrbuf struct bt_strbuf in = BT_STRBUF_INIT;
    struct bt_strbuf sb = BT_STRBUF_INIT;
    eval_args_text(c, &in);
    for (size_t i = 0; i < in.len; i++) {
        switch (in.buf[i]) {
        case '\0':
            bt_strbuf_append(&sb, "\xef\xbf\xbd");
            break;
        case '"':
            bt_strbuf_append(&sb, "&#34;");
            break;
        case '\'':
            bt_strbuf_append(&sb, "&#39;");
            break;
        case '&':
            bt_strbuf_append(&sb, "&amp;");
            break;
        case '<':
            bt_strbuf_append(&sb, "&lt;");
            break;
        case '>':
            bt_strbuf_append(&sb, "&gt;");
            break;
        default:
            bt_strbuf_append_c(&sb, in.buf[i]);
        }
    }
    *res = new_strbuf(&sb);
    return 0;
}

static int f_js(const struct call *c, struct xv *res)
{
    bt_autostrbuf struct bt_strbuf in = BT_STRBUF_INIT;
    struct bt_strbuf sb = BT_STRBUF_INIT;
    eval_args_text(c, &in);
    for (size_t i = 0; i < in.len;) {
        unsigned char ch = (unsigned char)in.buf[i];
        if (ch < 0x80) {
            i++;
            if (ch == '\\' || ch == '\'' || ch == '"') {
                bt_strbuf_append_c(&sb, '\\');
                bt_strbuf_append_c(&sb, (char)ch);
            } else if (ch == '<' || ch == '>' || ch == '&' || ch == '=' || ch < ' ') {
                bt_strbuf_appendf(&sb, "\\u%04X", ch);
            } else {
                bt_strbuf_append_c(&sb, (char)ch);
            }
            continue;
        }
        int w;
        uint32_t r = tpl_utf8_decode(in.buf + i, in.len - i, &w);
        if (r == 0xfffd && w == 1)
            bt_strbuf_append(&sb, "\\uFFFD");
        else
            bt_strbuf_append_n(&sb, in.buf + i, (size_t)w);
        i += (size_t)w;
    }
    *res = new_strbuf(&sb);
    return 0;
}

static int f_urlquery(const struct call *c, struct xv *res)
{
    bt_autostrbuf struct bt_strbuf in = BT_STRBUF_INIT;
    struct bt_strbuf sb = BT_STRBUF_INIT;
    eval_args_text(c, &in);
    for (size_t i = 0; i < in.len; i++) {
        unsigned char ch = (unsigned char)in.buf[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~')
            bt_strbuf_append_c(&sb, (char)ch);
        else if (ch == ' ')
            bt_strbuf_append_c(&sb, '+');
        else
            bt_strbuf_appendf(&sb, "%%%02X", ch);
    }
    *res = new_strbuf(&sb);
    return 0;
}

/* --- docker's functions --- */

/* docker's list contexts (*formatter.ContainerContext, *image.historyContext, ...) have a
 * MarshalJSON that goes through json.Marshal, which escapes <, > and & for HTML; the template's
 * encoder keeps those bytes as they are. Plain values are not escaped. */
static bool marshals_with_html_escapes(const char *type)
{
    size_t n = type ? strlen(type) : 0;
    return n > 8 && type[0] == '*' && strcmp(type + n - 7, "Context") == 0;
}

static int f_json(const struct call *c, struct xv *res)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    xv_json(c->ty, &c->args[0], &sb);
    if (marshals_with_html_escapes(xv_type_name(c->ty, &c->args[0]))) {
        char *esc = bt_json_html_escape(bt_strbuf_steal(&sb));
        bt_strbuf_append(&sb, esc);
        free(esc);
    }
    *res = new_strbuf(&sb);
    return 0;
}

/* strings.Split: an empty separator splits after each UTF-8 sequence. */
static int f_split(const struct call *c, struct xv *res)
{
    const char *s = json_string_value(c->args[0].j);
    size_t n = json_string_length(c->args[0].j);
    const char *sep = json_string_value(c->args[1].j);
    size_t sn = json_string_length(c->args[1].j);
    json_t *a = json_array();
    if (sn == 0) {
        for (size_t i = 0; i < n;) {
            int w;
            tpl_utf8_decode(s + i, n - i, &w);
            json_array_append_new(a, json_stringn_nocheck(s + i, (size_t)w));
            i += (size_t)w;
        }
    } else {
        size_t start = 0;
        for (size_t i = 0; i + sn <= n;) {
            if (memcmp(s + i, sep, sn) == 0) {
                json_array_append_new(a, json_stringn_nocheck(s + start, i - start));
                i += sn;
                start = i;
            } else {
                i++;
            }
        }
        json_array_append_new(a, json_stringn_nocheck(s + start, n - start));
    }
    *res = xv_new(a, "[]string");
    return 0;
}

static int f_join(const struct call *c, struct xv *res)
{
    const struct xv *v = &c->args[0];
    const char *sep = json_string_value(c->args[1].j);
    struct bt_strbuf sb = BT_STRBUF_INIT;
    if (is_none(v) || json_is_null(v->j)) {
        *res = new_strbuf(&sb);
        return 0;
    }
    bool map = json_is_object(v->j) && xv_is_map(c->ty, v);
    if (!json_is_array(v->j) && !map)
        return fail(c, "expected slice, got %s", tname(c, v));
    size_t n = map ? json_object_size(v->j) : json_array_size(v->j);
    char **parts = bt_xzalloc((n + 1) * sizeof(*parts));
    bt_autofree const char **keys = map ? tpl_object_keys(v->j, false, &n) : NULL;
    bool iface = xv_elems_are_iface(c->ty, v);
    for (size_t i = 0; i < n; i++) {
        json_t *e = map ? json_object_get(v->j, keys[i]) : json_array_get(v->j, i);
        struct xv ev = {e, xv_child_path(c->ty, v->path, "[]"), NULL, iface};
        struct bt_strbuf p = BT_STRBUF_INIT;
        sprint_v(c, &ev, &p);
        free(ev.path);
        parts[i] = bt_strbuf_steal(&p);
    }
    if (map) /* docker sorts the printed values of a map */
        qsort(parts, n, sizeof(*parts), strcmp_ptr);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            bt_strbuf_append(&sb, sep);
        bt_strbuf_append(&sb, parts[i]);
        free(parts[i]);
    }
    free(parts);
    if (check_len(c, &sb) < 0) {
        bt_strbuf_free(&sb);
        return -1;
    }
    *res = new_strbuf(&sb);
    return 0;
}

static const char *str_arg(const struct call *c, size_t i, size_t *n)
{
    *n = json_string_length(c->args[i].j);
    return json_string_value(c->args[i].j);
}

/* strings.Title: the first letter of each word in upper case (ASCII letters; see
 * docs/internals/format.md). Go's isSeparator: ASCII other than letters, digits and '_';
 * past ASCII, only spaces. */
static int f_title(const struct call *c, struct xv *res)
{
    size_t n;
    const char *s = str_arg(c, 0, &n);
    struct bt_strbuf sb = BT_STRBUF_INIT;
    bool prev_sep = true;
    for (size_t i = 0; i < n;) {
        int w;
        uint32_t r = tpl_utf8_decode(s + i, n - i, &w);
        if (prev_sep && r >= 'a' && r <= 'z')
            bt_strbuf_append_c(&sb, (char)(r - 'a' + 'A'));
        else
            bt_strbuf_append_n(&sb, s + i, (size_t)w);
        if (r < 0x80)
            prev_sep = !((r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
                         (r >= '0' && r <= '9') || r == '_');
        else
            prev_sep = r == 0x85 || r == 0xa0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200a) ||
                       r == 0x2028 || r == 0x2029 || r == 0x202f || r == 0x205f || r == 0x3000;
        i += (size_t)w;
    }
    *res = new_strbuf(&sb);
    return 0;
}

static int change_case(const struct call *c, struct xv *res, bool upper)
{
    size_t n;
    const char *s = str_arg(c, 0, &n);
    struct bt_strbuf sb = BT_STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (upper && ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        else if (!upper && ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        bt_strbuf_append_c(&sb, ch);
    }
    *res = new_strbuf(&sb);
    return 0;
}

static int f_lower(const struct call *c, struct xv *res)
{
    return change_case(c, res, false);
}

static int f_upper(const struct call *c, struct xv *res)
{
    return change_case(c, res, true);
}

/* pad: spaces before and after a non-empty string. */
static int f_pad(const struct call *c, struct xv *res)
{
    size_t n;
    const char *s = str_arg(c, 0, &n);
    json_int_t pre = json_integer_value(c->args[1].j), post = json_integer_value(c->args[2].j);
    if (n == 0) {
        *res = new_str("", 0);
        return 0;
    }
    if (pre < 0 || post < 0)
        return fail(c, "strings: negative Repeat count");
    if ((uint64_t)pre > c->max_len || (uint64_t)post > c->max_len ||
        n + (size_t)pre + (size_t)post > c->max_len)
        return fail(c, "result longer than %zu bytes", c->max_len);
    struct bt_strbuf sb = BT_STRBUF_INIT;
    for (json_int_t i = 0; i < pre; i++)
        bt_strbuf_append_c(&sb, ' ');
    bt_strbuf_append_n(&sb, s, n);
    for (json_int_t i = 0; i < post; i++)
        bt_strbuf_append_c(&sb, ' ');
    *res = new_strbuf(&sb);
    return 0;
}

/* truncate: the first `length` bytes (bytes, as docker's source[:length]). */
static int f_truncate(const struct call *c, struct xv *res)
{
    size_t n;
    const char *s = str_arg(c, 0, &n);
    json_int_t len = json_integer_value(c->args[1].j);
    if (len > 0 && n < (uint64_t)len) {
        *res = xv_copy(&c->args[0]);
        return 0;
    }
    if (len < 0)
        return fail(c, "runtime error: slice bounds out of range [:%" JSON_INTEGER_FORMAT "]", len);
    *res = new_str(s, (size_t)len);
    return 0;
}

static int f_unreachable(const struct call *c, struct xv *res)
{
    return fail(c, "unreachable");
}

#define ANY PARAM_ANY
#define STR PARAM_STRING
#define INT PARAM_INT

static const struct func_def funcs[] = {
        {"and", 1, true, {ANY}, ANY, f_unreachable},
        {"or", 1, true, {ANY}, ANY, f_unreachable},
        {"not", 1, false, {ANY}, ANY, f_not},
        {"len", 1, false, {ANY}, ANY, f_len},
        {"index", 1, true, {ANY}, ANY, f_index},
        {"slice", 1, true, {ANY}, ANY, f_slice},
        {"print", 0, true, {ANY}, ANY, f_print},
        {"printf", 1, true, {STR}, ANY, f_printf},
        {"println", 0, true, {ANY}, ANY, f_println},
        {"html", 0, true, {ANY}, ANY, f_html},
        {"js", 0, true, {ANY}, ANY, f_js},
        {"urlquery", 0, true, {ANY}, ANY, f_urlquery},
        {"eq", 1, true, {ANY}, ANY, f_eq},
        {"ne", 2, false, {ANY, ANY}, ANY, f_ne},
        {"lt", 2, false, {ANY, ANY}, ANY, f_lt},
        {"le", 2, false, {ANY, ANY}, ANY, f_le},
        {"gt", 2, false, {ANY, ANY}, ANY, f_gt},
        {"ge", 2, false, {ANY, ANY}, ANY, f_ge},
        {"json", 1, false, {ANY}, ANY, f_json, true, {STR}},
        {"split", 2, false, {STR, STR}, ANY, f_split, true, {STR, STR}},
        {"join", 2, false, {ANY, STR}, ANY, f_join, true, {STR, STR}},
        {"title", 1, false, {STR}, ANY, f_title, true, {STR}},
        {"lower", 1, false, {STR}, ANY, f_lower, true, {STR}},
        {"upper", 1, false, {STR}, ANY, f_upper, true, {STR}},
        {"pad", 3, false, {STR, INT, INT}, ANY, f_pad},
        {"truncate", 2, false, {STR, INT}, ANY, f_truncate, true, {STR, INT}},
};

const struct func_def *tpl_func_find(const char *name)
{
    for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
        if (strcmp(funcs[i].name, name) == 0)
            return &funcs[i];
    return NULL;
}

const char *tpl_func_name(const struct func_def *f)
{
    return f->name;
}

int tpl_func_nparams(const struct func_def *f, bool *variadic)
{
    *variadic = f->variadic;
    return f->nfixed;
}

enum param_kind tpl_func_param(const struct func_def *f, int i, bool header)
{
    if (i >= f->nfixed)
        return f->vkind;
    return header && f->header_identity ? f->header_kinds[i] : f->kinds[i];
}

bool tpl_func_is_shortcircuit(const struct func_def *f, bool *is_or)
{
    *is_or = strcmp(f->name, "or") == 0;
    return f->impl == f_unreachable;
}

int tpl_func_call(const struct func_def *f, const struct typing *ty, bool header,
                  const struct xv *args, size_t nargs, size_t max_len, struct xv *res, char **msg)
{
    if (header && f->header_identity) {
        *res = xv_copy(&args[0]);
        return 0;
    }
    struct call c = {ty, args, nargs, max_len, msg};
    return f->impl(&c, res);
}
