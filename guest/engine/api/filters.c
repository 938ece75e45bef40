/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/engine/api/filters.h"

#include <string.h>

#include "shared/base/cleanup.h"
#include "shared/json/json.h"

json_t *api_filters_parse(const char *text, const char *const *allowed, bt_err **err)
{
    json_t *out = json_object();
    if (!text || !*text)
        return out;
    bt_autoptr(json_t) in = bt_json_parse_object(text, strlen(text), err);
    if (!in) {
        json_decref(out);
        return NULL;
    }
    const char *key;
    json_t *v;
    json_object_foreach (in, key, v) {
        bool ok = false;
        for (size_t i = 0; allowed && allowed[i]; i++)
            ok |= strcmp(allowed[i], key) == 0;
        if (!ok) {
            json_decref(out);
            bt_err_set(err, BT_E_INVALID, "invalid filter '%s'", key);
            return NULL;
        }
        json_t *vals = json_array();
        if (json_is_array(v)) {
            size_t i;
            json_t *s;
            json_array_foreach (v, i, s) {
                if (json_is_string(s))
                    json_array_append(vals, s);
            }
        } else if (json_is_object(v)) {
            /* the pre-1.22 form: {"status": {"running": true}} */
            const char *val;
            json_t *b;
            json_object_foreach (v, val, b) {
                if (json_is_true(b))
                    json_array_append_new(vals, json_string(val));
            }
        } else {
            json_decref(vals);
            json_decref(out);
            bt_err_set(err, BT_E_INVALID, "invalid filter '%s'", key);
            return NULL;
        }
        json_object_set_new(out, key, vals);
    }
    return out;
}

json_t *api_filters_get(const json_t *f, const char *key)
{
    /* NULL reads as an empty array to jansson's array functions */
    return json_object_get(f, key);
}

bool api_filters_match_labels(const json_t *f, const char *key, const json_t *labels)
{
    size_t i;
    json_t *v;
    json_array_foreach (api_filters_get(f, key), i, v) {
        const char *want = json_string_value(v);
        const char *eq = strchr(want, '=');
        bt_autofree char *k = eq ? bt_xstrndup(want, (size_t)(eq - want)) : bt_xstrdup(want);
        json_t *have = json_object_get(labels, k);
        if (!have)
            return false;
        if (eq && (!json_is_string(have) || strcmp(json_string_value(have), eq + 1) != 0))
            return false;
    }
    return true;
}

bool api_filters_prune_labels(const json_t *f, const json_t *labels)
{
    if (!api_filters_match_labels(f, "label", labels))
        return false;
    size_t i;
    json_t *v;
    json_array_foreach (api_filters_get(f, "label!"), i, v) {
        bt_autoptr(json_t) one = json_pack("{s:[O]}", "label", v);
        if (api_filters_match_labels(one, "label", labels))
            return false;
    }
    return true;
}
