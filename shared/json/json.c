/* SPDX-License-Identifier: Apache-2.0 */
#include "shared/json/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"

/* Documents arrive from clients and disks; jansson's default depth limit (2048) bounds
 * recursion, and JSON_ALLOW_NUL keeps "\u0000" from silently truncating strings: callers that
 * need C strings check for it. */
json_t *bt_json_parse(const char *text, size_t len, bt_err **err)
{
    json_error_t je;
    json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!v) {
        bt_err_set(err, BT_E_INVALID, "invalid JSON: %s at line %d column %d", je.text, je.line,
                   je.column);
        return NULL;
    }
    return v;
}

json_t *bt_json_parse_object(const char *text, size_t len, bt_err **err)
{
    json_t *v = bt_json_parse(text, len, err);
    if (v && !json_is_object(v)) {
        json_decref(v);
        bt_err_set(err, BT_E_INVALID, "invalid JSON: expected an object");
        return NULL;
    }
    return v;
}

char *bt_json_dumps(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    return s ? s : bt_xstrdup("null");
}

char *bt_json_dumps_pretty(const json_t *v, int indent)
{
    char *s = json_dumps(v, JSON_INDENT(indent) | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    return s ? s : bt_xstrdup("null");
}

char *bt_json_html_escape(char *text)
{
    size_t extra = 0;
    for (const char *p = text; *p; p++)
        if (*p == '<' || *p == '>' || *p == '&')
            extra += 5;
    if (!extra)
        return text;
    char *out = bt_xmalloc(strlen(text) + extra + 1), *o = out;
    for (const char *p = text; *p; p++) {
        if (*p == '<' || *p == '>' || *p == '&') {
            o += sprintf(o, "\\u00%s", *p == '<' ? "3c" : *p == '>' ? "3e" : "26");
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    free(text);
    return out;
}

const char *bt_json_get_str(const json_t *obj, const char *key, const char *def)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : def;
}

int64_t bt_json_get_int(const json_t *obj, const char *key, int64_t def)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    /* Docker clients send some integers as floats (JavaScript, Python's 1e9). A float beyond
     * int64 would be undefined to convert: it saturates. */
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d != d)
            return def;
        if (d >= 9223372036854775807.0)
            return INT64_MAX;
        if (d <= -9223372036854775808.0)
            return INT64_MIN;
        return (int64_t)d;
    }
    return def;
}

bool bt_json_get_bool(const json_t *obj, const char *key, bool def)
{
    json_t *v = json_object_get(obj, key);
    return json_is_boolean(v) ? json_is_true(v) : def;
}

double bt_json_get_real(const json_t *obj, const char *key, double def)
{
    json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : def;
}

json_t *bt_json_get_obj(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_object(v) ? v : NULL;
}

json_t *bt_json_get_arr(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_array(v) ? v : NULL;
}

json_t *bt_json_get_path(const json_t *obj, const char *dotted)
{
    json_t *cur = (json_t *)obj;
    const char *p = dotted;
    while (cur && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        char *key = bt_xstrndup(p, n);
        cur = json_object_get(cur, key);
        free(key);
        p += n;
        if (*p == '.')
            p++;
    }
    return cur;
}

void bt_json_set_str(json_t *obj, const char *key, const char *value)
{
    json_object_set_new(obj, key, value ? json_string(value) : json_null());
}

void bt_json_set_int(json_t *obj, const char *key, int64_t value)
{
    json_object_set_new(obj, key, json_integer((json_int_t)value));
}

void bt_json_set_bool(json_t *obj, const char *key, bool value)
{
    json_object_set_new(obj, key, json_boolean(value));
}

json_t *bt_json_strv(char *const *v)
{
    json_t *arr = json_array();
    for (size_t i = 0; v && v[i]; i++)
        json_array_append_new(arr, json_string(v[i]));
    return arr;
}

char **bt_json_to_strv(const json_t *arr, bt_err **err)
{
    size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
    if (arr && !json_is_null(arr) && !json_is_array(arr)) {
        bt_err_set(err, BT_E_INVALID, "expected an array of strings");
        return NULL;
    }
    char **v = bt_xzalloc((n + 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(arr, i);
        if (!json_is_string(s)) {
            bt_strv_free(v);
            bt_err_set(err, BT_E_INVALID, "expected an array of strings");
            return NULL;
        }
        v[i] = bt_xstrdup(json_string_value(s));
    }
    return v;
}

json_t *bt_json_load_file(const char *path, bt_err **err)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (bt_file_read(path, &sb, 0, err) < 0)
        return NULL;
    json_t *v = bt_json_parse_object(sb.buf, sb.len, err);
    if (!v)
        bt_err_wrap(err, "load \"%s\"", path);
    return v;
}

int bt_json_save_file(const char *path, const json_t *v, mode_t mode, bt_err **err)
{
    return bt_json_save_file_flags(path, v, mode, 0, err);
}

int bt_json_save_file_flags(const char *path, const json_t *v, mode_t mode, unsigned flags,
                            bt_err **err)
{
    bt_autofree char *text = bt_json_dumps(v);
    return bt_file_write_atomic_flags(path, text, strlen(text), mode, flags, err);
}
