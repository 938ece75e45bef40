/* SPDX-License-Identifier: Apache-2.0 */
/* The query of POST /build, as the docker client's imageBuildOptionsToQuery makes it. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "host/build/build.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

/* Go's url.QueryEscape: unreserved bytes kept, space as "+", the rest %XX */
static void query_escape(struct bt_strbuf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p)) {
            bt_strbuf_append_c(out, (char)*p);
        } else if (*p == ' ') {
            bt_strbuf_append_c(out, '+');
        } else {
            bt_strbuf_append_c(out, '%');
            bt_strbuf_append_c(out, hex[*p >> 4]);
            bt_strbuf_append_c(out, hex[*p & 15]);
        }
    }
}

static void param(struct bt_strbuf *out, const char *key, const char *value)
{
    if (!value)
        return;
    bt_strbuf_append_c(out, strchr(bt_strbuf_str(out), '?') ? '&' : '?');
    bt_strbuf_append(out, key);
    bt_strbuf_append_c(out, '=');
    query_escape(out, value);
}

/* A map as Go's json.Marshal writes map[string]*string: keys sorted, the last value of a key
 * kept, HTML characters escaped. Values "k" alone are null (nil_alone) or "". */
static char *kv_json(char **kvs, bool nil_alone)
{
    json_t *o = json_object();
    for (char **kv = kvs; kv && *kv; kv++) {
        const char *eq = strchr(*kv, '=');
        bt_autofree char *k = eq ? bt_xstrndup(*kv, (size_t)(eq - *kv)) : bt_xstrdup(*kv);
        json_object_set_new(o, k,
                            eq          ? json_string(eq + 1)
                            : nil_alone ? json_null()
                                        : json_string(""));
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return bt_json_html_escape(s);
}

void build_query(const struct build_query_opts *o, struct bt_strbuf *out)
{
    bt_strbuf_append(out, "/build");
    /* url.Values.Encode: keys in byte order */
    if (o->build_args && *o->build_args) {
        bt_autofree char *j = kv_json(o->build_args, true);
        param(out, "buildargs", j);
    }
    if (o->cache_from && *o->cache_from) {
        json_t *a = json_array();
        for (char **c = o->cache_from; *c; c++)
            json_array_append_new(a, json_string(*c));
        bt_autofree char *j = bt_json_html_escape(json_dumps(a, JSON_COMPACT));
        json_decref(a);
        param(out, "cachefrom", j);
    }
    if (o->dockerfile && *o->dockerfile)
        param(out, "dockerfile", o->dockerfile);
    if (o->force_rm)
        param(out, "forcerm", "1");
    if (o->labels && *o->labels) {
        bt_autofree char *j = kv_json(o->labels, false);
        param(out, "labels", j);
    }
    if (o->network && *o->network && strcmp(o->network, "default") != 0)
        param(out, "networkmode", o->network);
    if (o->no_cache)
        param(out, "nocache", "1");
    if (o->platform && *o->platform) {
        bt_autofree char *p = bt_xstrdup(o->platform);
        for (char *c = p; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        param(out, "platform", p);
    }
    if (o->pull)
        param(out, "pull", "1");
    if (o->quiet)
        param(out, "q", "1");
    /* only the opt-out is sent: the engine's default is to remove */
    if (!o->rm)
        param(out, "rm", "0");
    for (char **t = o->tags; t && *t; t++)
        param(out, "t", *t);
    if (o->target && *o->target)
        param(out, "target", o->target);
    param(out, "version", "1");
}

char *build_arg_validate(const char *arg, bt_err **err)
{
    const char *eq = strchr(arg, '=');
    size_t klen = eq ? (size_t)(eq - arg) : strlen(arg);
    if (klen == 0) {
        bt_err_set(err, BT_E_INVALID, "invalid environment variable: %s", arg);
        return NULL;
    }
    if (eq)
        return bt_xstrdup(arg);
    const char *v = getenv(arg);
    return v ? bt_xasprintf("%s=%s", arg, v) : bt_xstrdup(arg);
}

int build_label_validate(const char *arg, bt_err **err)
{
    static const char ws[] = " \t\n\v\f\r";
    const char *eq = strchr(arg, '=');
    size_t klen = eq ? (size_t)(eq - arg) : strlen(arg);
    size_t lead = 0;
    while (lead < klen && strchr(ws, arg[lead]))
        lead++;
    if (lead == klen)
        return bt_err_set(err, BT_E_INVALID, "invalid label '%s': empty name", arg);
    for (size_t i = lead; i < klen; i++)
        if (strchr(ws, arg[i]))
            return bt_err_set(err, BT_E_INVALID, "label '%.*s' contains whitespaces",
                              (int)(klen - lead), arg + lead);
    return 0;
}
