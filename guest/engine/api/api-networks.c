/* SPDX-License-Identifier: Apache-2.0 */
/* /networks: create, list, inspect, remove, connect, disconnect, prune (guest/engine/network). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guest/engine/api/api-internal.h"
#include "guest/engine/api/filters.h"
#include "guest/engine/container/container.h"
#include "guest/engine/events/events.h"
#include "guest/engine/network/network.h"
#include "shared/base/cleanup.h"
#include "shared/base/strbuf.h"
#include "shared/json/json.h"

#define NETWORKS(call) (api_ctx(call)->networks)
#define CTRS(call)     (api_ctx(call)->containers)

static bool is_predefined(const json_t *n)
{
    const char *name = bt_json_get_str(n, "Name", "");
    return strcmp(name, "bridge") == 0 || strcmp(name, "host") == 0 || strcmp(name, "none") == 0;
}

/* One filter key: any of its values matches (dockerd's filters.Args.Match for name and id are
 * substring and prefix matches; driver, scope and type exact). */
static bool filter_any(const json_t *f, const char *key, const char *value, char how)
{
    json_t *vals = api_filters_get(f, key);
    if (!json_array_size(vals))
        return true;
    size_t i;
    json_t *v;
    json_array_foreach (vals, i, v) {
        const char *want = json_string_value(v);
        if ((how == 's' && strstr(value, want)) ||
            (how == 'p' && strncmp(value, want, strlen(want)) == 0) ||
            (how == '=' && strcmp(value, want) == 0))
            return true;
    }
    return false;
}

static int check_filters(const json_t *f, bt_err **err)
{
    size_t i;
    json_t *v;
    json_array_foreach (api_filters_get(f, "type"), i, v) {
        const char *t = json_string_value(v);
        if (strcmp(t, "custom") != 0 && strcmp(t, "builtin") != 0)
            return bt_err_set(err, BT_E_INVALID, "invalid filter: 'type'='%s'", t);
    }
    json_array_foreach (api_filters_get(f, "dangling"), i, v) {
        const char *d = json_string_value(v);
        if (strcmp(d, "true") != 0 && strcmp(d, "1") != 0 && strcmp(d, "false") != 0 &&
            strcmp(d, "0") != 0)
            return bt_err_set(err, BT_E_INVALID, "invalid filter: 'dangling'='%s'", d);
    }
    return 0;
}

static bool matches(const json_t *f, const json_t *n)
{
    const char *type = is_predefined(n) ? "builtin" : "custom";
    bool unused = !json_object_size(bt_json_get_obj(n, "Containers")) && !is_predefined(n);
    size_t i;
    json_t *v;
    json_array_foreach (api_filters_get(f, "dangling"), i, v) {
        const char *d = json_string_value(v);
        bool want = strcmp(d, "true") == 0 || strcmp(d, "1") == 0;
        if (want != unused)
            return false;
    }
    return filter_any(f, "name", bt_json_get_str(n, "Name", ""), 's') &&
           filter_any(f, "id", bt_json_get_str(n, "Id", ""), 'p') &&
           filter_any(f, "driver", bt_json_get_str(n, "Driver", ""), '=') &&
           filter_any(f, "scope", bt_json_get_str(n, "Scope", ""), '=') &&
           filter_any(f, "type", type, '=') &&
           api_filters_match_labels(f, "label", bt_json_get_obj(n, "Labels"));
}

void api_network_list(struct api_call *call)
{
    static const char *const keys[] = {"dangling", "driver", "id",   "label",
                                       "name",     "scope",  "type", NULL};
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) f = api_filters_parse(api_query(call, "filters"), keys, &err);
    if (!f || check_filters(f, &err) < 0) {
        api_reply_error(call, err);
        return;
    }
    bt_autoptr(json_t) all = net_list(NETWORKS(call));
    json_t *out = json_array();
    size_t i;
    json_t *n;
    json_array_foreach (all, i, n) {
        if (!matches(f, n))
            continue;
        /* dockerd's list leaves the endpoints out; inspect has them */
        json_object_set_new(n, "Containers", json_object());
        json_array_append(out, n);
    }
    api_reply_json(call, 200, out);
}

void api_network_inspect(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    json_t *n = net_inspect(NETWORKS(call), api_param(call, 0), &err);
    if (!n) {
        api_reply_error(call, err);
        return;
    }
    api_reply_json(call, 200, n);
}

void api_network_create(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    json_t *body = api_body_json(call, true, &err);
    if (!body) {
        if (!err)
            bt_err_set(&err, BT_E_INVALID, "network name must not be empty");
        api_reply_error(call, err);
        return;
    }
    if (bt_json_get_bool(body, "Ingress", false)) {
        /* libnetwork's refusal: only a swarm's global-scope drivers make ingress networks */
        bt_err_set(&err, BT_E_FORBIDDEN, "Ingress network can only be global scope network");
        api_reply_error(call, err);
        return;
    }
    struct net_create_req r = {.name = bt_json_get_str(body, "Name", ""),
                               .driver = bt_json_get_str(body, "Driver", ""),
                               .ipam = bt_json_get_obj(body, "IPAM"),
                               .options = bt_json_get_obj(body, "Options"),
                               .labels = bt_json_get_obj(body, "Labels"),
                               .internal = bt_json_get_bool(body, "Internal", false),
                               .attachable = bt_json_get_bool(body, "Attachable", false),
                               .enable_ipv6 = bt_json_get_bool(body, "EnableIPv6", false)};
    bt_autofree char *id = net_create(NETWORKS(call), &r, &err);
    if (!id) {
        api_reply_error(call, err);
        return;
    }
    api_reply_json(call, 201, json_pack("{s:s, s:s}", "Id", id, "Warning", ""));
}

void api_network_delete(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    if (net_remove(NETWORKS(call), api_param(call, 0), &err) < 0) {
        api_reply_error(call, err);
        return;
    }
    api_reply_status(call, 204);
}

/* connect and disconnect: {"Container": ref, "EndpointConfig": {...}} / {"Force": bool} */
static void connect_or_disconnect(struct api_call *call, bool connect)
{
    bt_autoerr bt_err *err = NULL;
    json_t *body = api_body_json(call, true, &err);
    bt_autofree char *name = NULL;
    if ((!body && err) || net_resolve(NETWORKS(call), api_param(call, 0), &name, NULL, &err) < 0) {
        api_reply_error(call, err);
        return;
    }
    bt_autoptr(ctr) c = ctr_get(CTRS(call), bt_json_get_str(body, "Container", ""), &err);
    int rc = !c        ? -1
             : connect ? ctr_net_connect(CTRS(call), c, name,
                                         bt_json_get_obj(body, "EndpointConfig"), &err)
                       : ctr_net_disconnect(CTRS(call), c, name,
                                            bt_json_get_bool(body, "Force", false), &err);
    if (rc < 0) {
        api_reply_error(call, err);
        return;
    }
    api_reply_status(call, 200);
}

void api_network_connect(struct api_call *call)
{
    connect_or_disconnect(call, true);
}

void api_network_disconnect(struct api_call *call)
{
    connect_or_disconnect(call, false);
}

/* "until": Unix seconds, an RFC 3339 time, or a Go duration before now ("24h", "90m", "10s"). */
static int parse_until(const char *s, int64_t *out, bt_err **err)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (end != s && !*end) {
        *out = (int64_t)v;
        return 0;
    }
    if (end != s && end[1] == '\0' && strchr("hms", *end)) {
        int64_t mult = *end == 'h' ? 3600 : *end == 'm' ? 60 : 1;
        *out = (int64_t)time(NULL) - (int64_t)(v * (double)mult);
        return 0;
    }
    int64_t t = api_parse_time(s);
    if (t > 0) {
        *out = t;
        return 0;
    }
    /* dockerd's timetypes.GetTimestamp, which words it with Go's %q */
    bt_autostrbuf struct bt_strbuf q = BT_STRBUF_INIT;
    bt_strbuf_go_quote(&q, s, strlen(s));
    return bt_err_set(err, BT_E_INVALID, "failed to parse value as time or duration: %s",
                      bt_strbuf_str(&q));
}

void api_network_prune(struct api_call *call)
{
    static const char *const keys[] = {"label", "label!", "until", NULL};
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) f = api_filters_parse(api_query(call, "filters"), keys, &err);
    if (!f) {
        api_reply_error(call, err);
        return;
    }
    int64_t until = 0;
    json_t *u = api_filters_get(f, "until");
    if (json_array_size(u) > 1) {
        bt_err_set(&err, BT_E_INVALID, "more than one until filter specified");
        api_reply_error(call, err);
        return;
    }
    if (json_array_size(u) &&
        parse_until(json_string_value(json_array_get(u, 0)), &until, &err) < 0) {
        api_reply_error(call, err);
        return;
    }
    bt_autoptr(json_t) all = net_list(NETWORKS(call));
    json_t *deleted = json_array();
    size_t i;
    json_t *n;
    json_array_foreach (all, i, n) {
        if (is_predefined(n) || json_object_size(bt_json_get_obj(n, "Containers")) ||
            !api_filters_prune_labels(f, bt_json_get_obj(n, "Labels")) ||
            (until && api_parse_time(bt_json_get_str(n, "Created", "")) >= until))
            continue;
        const char *name = bt_json_get_str(n, "Name", "");
        bt_autoerr bt_err *e = NULL;
        if (net_remove(NETWORKS(call), bt_json_get_str(n, "Id", ""), &e) == 0)
            json_array_append_new(deleted, json_string(name));
    }
    events_emit("network", "prune", "", (const char *const[]){"reclaimed", "0", NULL});
    api_reply_json(
            call, 200,
            json_pack("{s:o}", "NetworksDeleted",
                      json_array_size(deleted) ? deleted : (json_decref(deleted), json_null())));
}
