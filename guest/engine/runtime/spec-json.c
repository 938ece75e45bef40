/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed access to the members of a config.json, with errors that name the member. The OCI
 * spec is written by Go programs, so a member that is not set is either missing or null
 * (omitempty, nil pointers): both mean "not given".
 */
#include <string.h>

#include "guest/engine/runtime/runtime-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

char *rt_json_where(const char *where, const char *key)
{
    if (!where || !where[0])
        return bt_xstrdup(key);
    return bt_xasprintf("%s.%s", where, key);
}

char *rt_json_where_index(const char *where, size_t i)
{
    return bt_xasprintf("%s[%zu]", where, i);
}

static int type_error(const char *where, const char *key, const char *what, bt_err **err)
{
    bt_autofree char *w = rt_json_where(where, key);
    return bt_err_set(err, BT_E_INVALID, "spec: %s: expected %s", w, what);
}

/* The member, or NULL when missing or null. */
static const json_t *member(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

int rt_json_str(const json_t *obj, const char *key, const char *where, const char **out,
                bt_err **err)
{
    const json_t *v = member(obj, key);
    if (!v)
        return 0;
    /* An embedded NUL would silently cut a path or an argument short. */
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
        return type_error(where, key, "a string", err);
    *out = json_string_value(v);
    return 0;
}

int rt_json_bool(const json_t *obj, const char *key, const char *where, bool *out, bt_err **err)
{
    const json_t *v = member(obj, key);
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return type_error(where, key, "true or false", err);
    *out = json_is_true(v);
    return 0;
}

int rt_json_int(const json_t *obj, const char *key, const char *where, int64_t min, int64_t max,
                bool *given, int64_t *out, bt_err **err)
{
    const json_t *v = member(obj, key);
    if (given)
        *given = false;
    if (!v)
        return 0;
    if (!json_is_integer(v))
        return type_error(where, key, "an integer", err);
    int64_t n = (int64_t)json_integer_value(v);
    if (n < min || n > max) {
        bt_autofree char *w = rt_json_where(where, key);
        return bt_err_set(err, BT_E_INVALID, "spec: %s: %lld is out of range", w, (long long)n);
    }
    *out = n;
    if (given)
        *given = true;
    return 0;
}

int rt_json_strv(const json_t *obj, const char *key, const char *where, char ***out, bt_err **err)
{
    const json_t *v = member(obj, key);
    if (!v)
        return 0;
    if (!json_is_array(v))
        return type_error(where, key, "an array of strings", err);
    char **strv = bt_xzalloc((json_array_size(v) + 1) * sizeof(char *));
    size_t i;
    const json_t *s;
    json_array_foreach (v, i, s) {
        if (!json_is_string(s) || strlen(json_string_value(s)) != json_string_length(s)) {
            bt_strv_free(strv);
            return type_error(where, key, "an array of strings", err);
        }
        strv[i] = bt_xstrdup(json_string_value(s));
    }
    bt_strv_free(*out);
    *out = strv;
    return 0;
}

int rt_json_obj(const json_t *obj, const char *key, const char *where, const json_t **out,
                bt_err **err)
{
    const json_t *v = member(obj, key);
    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_object(v))
        return type_error(where, key, "an object", err);
    *out = v;
    return 0;
}

int rt_json_arr(const json_t *obj, const char *key, const char *where, const json_t **out,
                bt_err **err)
{
    const json_t *v = member(obj, key);
    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_array(v))
        return type_error(where, key, "an array", err);
    *out = v;
    return 0;
}
