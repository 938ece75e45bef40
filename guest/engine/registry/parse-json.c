/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <strings.h>

#include "guest/engine/registry/parse-internal.h"
#include "shared/base/mem.h"

json_t *reg_json_decode(const char *data, size_t len, bool whole, char **why)
{
    /* json.Decoder's answer to nothing but white space is io.EOF */
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    if (i == len) {
        *why = bt_xstrdup("EOF");
        return NULL;
    }
    json_error_t je;
    json_t *v = json_loadb(data, len, JSON_DECODE_ANY | (whole ? 0 : JSON_DISABLE_EOF_CHECK), &je);
    if (v) {
        *why = NULL;
        return v;
    }
    /* Go's decoder says "unexpected EOF" when the input ends inside a value (a truncated body,
     * or base64 that lost its padding); jansson says "... near end of file" or "premature end
     * of input" (and "end of file expected" for the opposite: more after the value). */
    bool cut = strstr(je.text, "premature end of input") ||
               (strstr(je.text, "near end of file") && !strstr(je.text, "end of file expected"));
    if (cut)
        *why = bt_xstrdup("unexpected EOF");
    else if (strstr(je.text, "\\u0000 is not allowed"))
        /* C strings end at NUL: a name or a password with one cannot be passed on */
        *why = bt_xasprintf("\\u0000 in a string is not supported (line %d column %d)", je.line,
                            je.column);
    else
        *why = bt_xasprintf("invalid JSON: %s at line %d column %d", je.text, je.line, je.column);
    return NULL;
}

json_t *reg_json_member_ci(const json_t *obj, const char *key)
{
    /* Go maps every member of the document to the field its name folds to and assigns them in
     * order, so the last one wins, whatever its case. */
    const char *k;
    json_t *v, *found = NULL;
    json_object_foreach ((json_t *)obj, k, v) {
        if (strcasecmp(k, key) == 0)
            found = v;
    }
    return found;
}

const char *reg_json_go_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "bool";
    case JSON_ARRAY:
        return "array";
    case JSON_OBJECT:
        return "object";
    case JSON_NULL:
    default:
        return "null";
    }
}

int reg_json_copy_str(const json_t *v, char **out)
{
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return -1;
    if (json_string_length(v) > 0)
        *out = bt_xstrdup(json_string_value(v));
    return 0;
}
