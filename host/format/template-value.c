/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Values during execution: their Go types (from the caller's table or their JSON kind), Go's
 * fmt %v printing (strings raw, floats shortest, maps as map[k:v] in key order, structs as
 * {v1 v2}), Go's truth, and docker's json function (encoding/json with HTML escaping off).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/format/template-internal.h"
#include "host/format/units.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

void xv_clear(struct xv *v)
{
    json_decref(v->j);
    free(v->path);
    *v = (struct xv)XV_NONE;
}

struct xv xv_copy(const struct xv *v)
{
    struct xv c = *v;
    json_incref(c.j);
    c.path = bt_xstrdup_or_null(v->path);
    return c;
}

struct xv xv_new(json_t *j, const char *type)
{
    return (struct xv){j, NULL, type, false};
}

static const struct fmt_type *table_entry(const struct typing *ty, const char *path)
{
    if (!ty->types || !path)
        return NULL;
    for (const struct fmt_type *t = ty->types; t->path; t++)
        if (strcmp(t->path, path) == 0)
            return t;
    return NULL;
}

static const char *table_type(const struct typing *ty, const char *path)
{
    const struct fmt_type *t = table_entry(ty, path);
    return t ? t->go_type : NULL;
}

const char *xv_type_name(const struct typing *ty, const struct xv *v)
{
    if (v->type)
        return v->type;
    const char *t = table_type(ty, v->path);
    if (t)
        return t;
    if (!v->j)
        return "<nil>";
    switch (json_typeof(v->j)) {
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "int";
    case JSON_REAL:
        return "float64";
    case JSON_TRUE:
    case JSON_FALSE:
        return "bool";
    case JSON_ARRAY:
        return "[]interface {}";
    case JSON_OBJECT:
        return ty->objects_are_maps ? "map[string]interface {}" : "struct";
    default:
        return "interface {}";
    }
}

bool xv_is_map(const struct typing *ty, const struct xv *v)
{
    const char *t = v->type ? v->type : table_type(ty, v->path);
    if (t)
        return strncmp(t, "map[", 4) == 0;
    return ty->objects_are_maps;
}

bool xv_elems_are_iface(const struct typing *ty, const struct xv *container)
{
    const char *t = xv_type_name(ty, container);
    size_t n = strlen(t);
    return n >= 13 && strcmp(t + n - 13, "]interface {}") == 0;
}

char *xv_child_path(const struct typing *ty, const char *parent, const char *member)
{
    if (!ty->types || !parent)
        return NULL;
    if (!*parent)
        return bt_xstrdup(member);
    return bt_xasprintf("%s.%s", parent, member);
}

bool xv_truth(const struct typing *ty, const struct xv *v)
{
    if (!v->j)
        return false;
    switch (json_typeof(v->j)) {
    case JSON_STRING:
        return json_string_length(v->j) > 0;
    case JSON_INTEGER:
        return json_integer_value(v->j) != 0;
    case JSON_REAL:
        return json_real_value(v->j) != 0;
    case JSON_TRUE:
        return true;
    case JSON_ARRAY:
        return json_array_size(v->j) > 0;
    case JSON_OBJECT:
        return !xv_is_map(ty, v) || json_object_size(v->j) > 0; /* structs are always true */
    default:
        return false; /* false, null, no value */
    }
}

/* --- floats --- */

/* The shortest digits that read back as f: "15" and exponent 1 for 1.5 (d.ddd x 10^exp). */
static void shortest_digits(double f, char *digits, int *exp)
{
    char buf[40];
    for (int prec = 0; prec < 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec, f);
        if (strtod(buf, NULL) == f)
            break;
    }
    /* buf is "d.ddde[+-]xx" (no sign: f is not negative here) */
    char *e = strchr(buf, 'e');
    *exp = atoi(e + 1);
    size_t n = 0;
    for (char *p = buf; p < e; p++)
        if (*p != '.')
            digits[n++] = *p;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
}

static void append_exp(struct bt_strbuf *out, char e, int exp)
{
    bt_strbuf_appendf(out, "%c%c%02d", e, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

/* digits (d.ddd) with exponent exp, as %e (eprec digits after the point, -1 all) or %f. */
static void place_digits(struct bt_strbuf *out, const char *digits, int exp, bool as_exp, char e)
{
    size_t nd = strlen(digits);
    if (as_exp) {
        bt_strbuf_append_c(out, digits[0]);
        if (nd > 1) {
            bt_strbuf_append_c(out, '.');
            bt_strbuf_append(out, digits + 1);
        }
        append_exp(out, e, exp);
        return;
    }
    if (exp < 0) {
        bt_strbuf_append(out, "0.");
        for (int i = 0; i < -exp - 1; i++)
            bt_strbuf_append_c(out, '0');
        bt_strbuf_append(out, digits);
        return;
    }
    for (int i = 0; i <= exp; i++)
        bt_strbuf_append_c(out, (size_t)i < nd ? digits[i] : '0');
    if ((size_t)exp + 1 < nd) {
        bt_strbuf_append_c(out, '.');
        bt_strbuf_append(out, digits + exp + 1);
    }
}

static bool special_float(double f, struct bt_strbuf *out)
{
    if (isnan(f)) {
        bt_strbuf_append(out, "NaN");
        return true;
    }
    if (isinf(f)) {
        bt_strbuf_append(out, f > 0 ? "+Inf" : "-Inf");
        return true;
    }
    return false;
}

void tpl_format_float(double f, char fmt, int prec, struct bt_strbuf *out)
{
    if (special_float(f, out))
        return;
    if (signbit(f)) {
        bt_strbuf_append_c(out, '-');
        f = -f;
    }
    if (prec >= 0) {
        /* C's printf rounds exactly as Go's strconv does; only %g differs (Go keeps no
         * trailing zeros either, but picks %e from its own precision rule, the same here) */
        char buf[512];
        int n;
        if (fmt == 'e' || fmt == 'E')
            n = snprintf(buf, sizeof(buf), fmt == 'e' ? "%.*e" : "%.*E", prec, f);
        else if (fmt == 'g' || fmt == 'G')
            n = snprintf(buf, sizeof(buf), fmt == 'g' ? "%.*g" : "%.*G", prec, f);
        else
            n = snprintf(NULL, 0, "%.*f", prec, f);
        if (fmt == 'f' || fmt == 'F') {
            char *p = bt_strbuf_reserve(out, (size_t)n + 1);
            snprintf(p, (size_t)n + 1, "%.*f", prec, f);
        } else {
            bt_strbuf_append_n(out, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
            return;
        }
        bt_strbuf_commit(out, (size_t)n);
        return;
    }
    char digits[32];
    int exp;
    if (f == 0) {
        strcpy(digits, "0");
        exp = 0;
    } else {
        shortest_digits(f, digits, &exp);
    }
    char e = (fmt == 'E' || fmt == 'G') ? 'E' : 'e';
    bool as_exp = fmt == 'e' || fmt == 'E';
    /* Go: %e when the exponent is below -4 or, at shortest precision, 6 and above */
    if (fmt == 'g' || fmt == 'G')
        as_exp = exp < -4 || exp >= 6;
    place_digits(out, digits, exp, as_exp, e);
}

void tpl_format_float_v(double f, struct bt_strbuf *out)
{
    tpl_format_float(f, 'g', -1, out);
}

/* --- %v --- */

static void print_value(const struct typing *ty, const json_t *j, const char *path, bool iface,
                        struct bt_strbuf *out);

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Keys of an object, sorted when `sorted` (maps); the caller frees the array. */
const char **tpl_object_keys(const json_t *obj, bool sorted, size_t *n)
{
    const char **keys = bt_xzalloc((json_object_size(obj) + 1) * sizeof(*keys));
    const char *key;
    json_t *member;
    size_t k = 0;
    json_object_foreach ((json_t *)obj, key, member) {
        keys[k++] = key;
    }
    if (sorted)
        qsort(keys, k, sizeof(*keys), cmp_str);
    *n = k;
    return keys;
}

static void print_object(const struct typing *ty, const json_t *j, const char *path,
                         struct bt_strbuf *out)
{
    struct xv probe = {(json_t *)j, (char *)path, NULL, false};
    bool map = xv_is_map(ty, &probe);
    bool iface = xv_elems_are_iface(ty, &probe);
    size_t n;
    bt_autofree const char **keys = tpl_object_keys(j, map, &n);
    bt_strbuf_append(out, map ? "map[" : "{");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            bt_strbuf_append_c(out, ' ');
        bt_autofree char *child = xv_child_path(ty, path, map ? "[]" : keys[i]);
        if (map) {
            bt_strbuf_append(out, keys[i]);
            bt_strbuf_append_c(out, ':');
        }
        print_value(ty, json_object_get(j, keys[i]), child, iface, out);
    }
    bt_strbuf_append(out, map ? "]" : "}");
}

static void print_null(const struct typing *ty, const char *path, bool iface, struct bt_strbuf *out)
{
    const char *t = iface ? NULL : table_type(ty, path);
    if (t && strncmp(t, "[]", 2) == 0)
        bt_strbuf_append(out, "[]");
    else if (t && strncmp(t, "map[", 4) == 0)
        bt_strbuf_append(out, "map[]");
    else
        bt_strbuf_append(out, "<nil>");
}

static void print_value(const struct typing *ty, const json_t *j, const char *path, bool iface,
                        struct bt_strbuf *out)
{
    switch (json_typeof(j)) {
    case JSON_STRING: {
        /* a time.Time holds its JSON text; it prints as Go's Time.String() */
        const char *t = iface ? NULL : table_type(ty, path);
        if (t && strcmp(t, "time.Time") == 0 && fmt_go_time_string(json_string_value(j), out))
            break;
        bt_strbuf_append_n(out, json_string_value(j), json_string_length(j));
        break;
    }
    case JSON_INTEGER:
        bt_strbuf_appendf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        break;
    case JSON_REAL:
        tpl_format_float_v(json_real_value(j), out);
        break;
    case JSON_TRUE:
        bt_strbuf_append(out, "true");
        break;
    case JSON_FALSE:
        bt_strbuf_append(out, "false");
        break;
    case JSON_ARRAY: {
        struct xv probe = {(json_t *)j, (char *)path, NULL, false};
        bool elem_iface = xv_elems_are_iface(ty, &probe);
        bt_autofree char *child = xv_child_path(ty, path, "[]");
        bt_strbuf_append_c(out, '[');
        for (size_t i = 0; i < json_array_size(j); i++) {
            if (i > 0)
                bt_strbuf_append_c(out, ' ');
            print_value(ty, json_array_get(j, i), child, elem_iface, out);
        }
        bt_strbuf_append_c(out, ']');
        break;
    }
    case JSON_OBJECT:
        print_object(ty, j, path, out);
        break;
    default:
        print_null(ty, path, iface, out);
        break;
    }
}

void xv_print(const struct typing *ty, const struct xv *v, bool top, struct bt_strbuf *out)
{
    if (!v->j) {
        bt_strbuf_append(out, top ? "<no value>" : "<nil>");
        return;
    }
    print_value(ty, v->j, v->path, v->iface, out);
}

void fmt_print_value(const json_t *v, const struct fmt_exec_opts *opts, struct bt_strbuf *out)
{
    static const struct fmt_exec_opts defaults = {0};
    if (!opts)
        opts = &defaults;
    struct typing ty = {opts->types, opts->objects_are_maps};
    struct xv x = {(json_t *)v, opts->types ? "" : NULL, NULL, false};
    xv_print(&ty, &x, true, out);
    bt_strbuf_append(out, "");
}

/* --- json --- */

static void json_string_out(const char *s, size_t len, struct bt_strbuf *out)
{
    static const char hex[] = "0123456789abcdef";
    bt_strbuf_append_c(out, '"');
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            i++;
            if (c == '"' || c == '\\') {
                bt_strbuf_append_c(out, '\\');
                bt_strbuf_append_c(out, (char)c);
            } else if (c >= 0x20) {
                bt_strbuf_append_c(out, (char)c);
            } else if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
                bt_strbuf_append_c(out, '\\');
                bt_strbuf_append_c(out, c == '\n'   ? 'n'
                                        : c == '\r' ? 'r'
                                        : c == '\t' ? 't'
                                        : c == '\b' ? 'b'
                                                    : 'f');
            } else {
                bt_strbuf_append(out, "\\u00");
                bt_strbuf_append_c(out, hex[c >> 4]);
                bt_strbuf_append_c(out, hex[c & 0xf]);
            }
            continue;
        }
        int w;
        uint32_t r = tpl_utf8_decode(s + i, len - i, &w);
        if (r == 0xfffd && w == 1)
            bt_strbuf_append(out, "\\ufffd"); /* invalid UTF-8, as Go replaces it */
        else if (r == 0x2028 || r == 0x2029)
            bt_strbuf_appendf(out, "\\u%04x", r);
        else
            bt_strbuf_append_n(out, s + i, (size_t)w);
        i += (size_t)w;
    }
    bt_strbuf_append_c(out, '"');
}

/* encoding/json's float64: %f between 1e-6 and 1e21, else %e with a short exponent. */
static void json_float_out(double f, struct bt_strbuf *out)
{
    double a = fabs(f);
    bool as_exp = a != 0 && (a < 1e-6 || a >= 1e21);
    size_t start = out->len;
    tpl_format_float(f, as_exp ? 'e' : 'f', -1, out);
    if (as_exp) {
        /* e-07 -> e-7 */
        size_t n = out->len - start;
        char *b = out->buf + start;
        if (n >= 4 && b[n - 4] == 'e' && b[n - 3] == '-' && b[n - 2] == '0') {
            b[n - 2] = b[n - 1];
            bt_strbuf_truncate(out, out->len - 1);
        }
    }
}

/* encoding/json's isEmptyValue, for an omitempty member: a struct is never empty. */
static bool json_empty(const struct typing *ty, const json_t *j, const char *path)
{
    switch (json_typeof(j)) {
    case JSON_STRING:
        return json_string_length(j) == 0;
    case JSON_INTEGER:
        return json_integer_value(j) == 0;
    case JSON_REAL:
        return json_real_value(j) == 0;
    case JSON_ARRAY:
        return json_array_size(j) == 0;
    case JSON_OBJECT: {
        struct xv probe = {(json_t *)j, (char *)path, NULL, false};
        return xv_is_map(ty, &probe) && json_object_size(j) == 0;
    }
    case JSON_TRUE:
        return false;
    default:
        return true; /* false, null */
    }
}

static void json_out(const struct typing *ty, const json_t *j, const char *path,
                     struct bt_strbuf *out)
{
    switch (json_typeof(j)) {
    case JSON_STRING:
        json_string_out(json_string_value(j), json_string_length(j), out);
        break;
    case JSON_REAL:
        json_float_out(json_real_value(j), out);
        break;
    case JSON_ARRAY: {
        bt_autofree char *child = xv_child_path(ty, path, "[]");
        bt_strbuf_append_c(out, '[');
        for (size_t i = 0; i < json_array_size(j); i++) {
            if (i > 0)
                bt_strbuf_append_c(out, ',');
            json_out(ty, json_array_get(j, i), child, out);
        }
        bt_strbuf_append_c(out, ']');
        break;
    }
    case JSON_OBJECT: {
        struct xv probe = {(json_t *)j, (char *)path, NULL, false};
        bool map = xv_is_map(ty, &probe); /* encoding/json sorts map keys */
        size_t n;
        bt_autofree const char **keys = tpl_object_keys(j, map, &n);
        bt_strbuf_append_c(out, '{');
        bool first = true;
        for (size_t i = 0; i < n; i++) {
            bt_autofree char *child = xv_child_path(ty, path, map ? "[]" : keys[i]);
            const json_t *member = json_object_get(j, keys[i]);
            const struct fmt_type *t = map ? NULL : table_entry(ty, child);
            if (t && t->omitempty && json_empty(ty, member, child))
                continue;
            if (!first)
                bt_strbuf_append_c(out, ',');
            first = false;
            json_string_out(keys[i], strlen(keys[i]), out);
            bt_strbuf_append_c(out, ':');
            json_out(ty, member, child, out);
        }
        bt_strbuf_append_c(out, '}');
        break;
    }
    case JSON_INTEGER:
        bt_strbuf_appendf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        break;
    case JSON_TRUE:
        bt_strbuf_append(out, "true");
        break;
    case JSON_FALSE:
        bt_strbuf_append(out, "false");
        break;
    default:
        bt_strbuf_append(out, "null");
        break;
    }
}

void xv_json(const struct typing *ty, const struct xv *v, struct bt_strbuf *out)
{
    if (!v->j) {
        bt_strbuf_append(out, "null");
        return;
    }
    json_out(ty, v->j, v->path, out);
}
