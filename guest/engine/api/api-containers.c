/* SPDX-License-Identifier: Apache-2.0 */
/* /containers/... : create, list, inspect, life cycle, attach, logs, top, prune. */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest/engine/api/api-internal.h"
#include "guest/engine/container/container.h"
#include "guest/engine/container/mounts.h"
#include "guest/engine/events/events.h"
#include "guest/engine/image/image.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/strbuf.h"
#include "shared/json/json.h"
#include "shared/reference/reference.h"

#define CTRS(call) (api_ctx(call)->containers)

/* Resolve the {id} of the route, or answer the 404 and return NULL. */
static struct ctr *lookup(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    struct ctr *c = ctr_get(CTRS(call), api_param(call, 0), &err);
    if (!c)
        api_reply_error(call, err);
    return c;
}

/* (rc must be computed before the call: the order of argument evaluation is unspecified) */
static void reply_result(struct api_call *call, int rc, bt_err *err, int ok_status)
{
    if (rc < 0)
        api_reply_error(call, err);
    else
        api_reply_status(call, ok_status);
}

/* ---- create ---- */

void api_container_create(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    json_t *body = api_body_json(call, false, &err);
    if (!body) {
        api_reply_error(call, err);
        return;
    }
    bt_autostrv char **warnings = NULL;
    bt_autoptr(ctr) c = ctr_create(CTRS(call), api_query(call, "name"), body, 0, &warnings, &err);
    if (!c) {
        api_reply_error(call, err);
        return;
    }
    json_t *w = bt_json_strv(warnings);
    api_reply_json(call, 201, json_pack("{s:s, s:o}", "Id", ctr_id(c), "Warnings", w));
}

/* ---- list ---- */

/* go-units' HumanDuration, which `docker ps` shows */
void api_human_duration(int64_t seconds, char *out, size_t size)
{
    int64_t minutes = seconds / 60;
    int64_t hours = (seconds + 1800) / 3600;
    if (seconds < 1)
        snprintf(out, size, "Less than a second");
    else if (seconds == 1)
        snprintf(out, size, "1 second");
    else if (seconds < 60)
        snprintf(out, size, "%lld seconds", (long long)seconds);
    else if (minutes == 1)
        snprintf(out, size, "About a minute");
    else if (minutes < 60)
        snprintf(out, size, "%lld minutes", (long long)minutes);
    else if (hours == 1)
        snprintf(out, size, "About an hour");
    else if (hours < 48)
        snprintf(out, size, "%lld hours", (long long)hours);
    else if (hours < 24 * 7 * 2)
        snprintf(out, size, "%lld days", (long long)(hours / 24));
    else if (hours < 24 * 30 * 2)
        snprintf(out, size, "%lld weeks", (long long)(hours / 24 / 7));
    else if (hours < 24 * 365 * 2)
        snprintf(out, size, "%lld months", (long long)(hours / 24 / 30));
    else
        snprintf(out, size, "%lld years", (long long)(seconds / 3600 / 24 / 365));
}

int64_t api_parse_time(const char *s)
{
    struct tm tm = {0};
    if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
        return 0;
    if (tm.tm_year < 70)
        return 0; /* Go's zero time */
    return (int64_t)timegm(&tm);
}

static char *status_text(const json_t *state)
{
    const char *s = bt_json_get_str(state, "Status", "");
    char d[64];
    time_t now = time(NULL);
    if (strcmp(s, "running") == 0 || strcmp(s, "paused") == 0) {
        api_human_duration(now - api_parse_time(bt_json_get_str(state, "StartedAt", "")), d,
                           sizeof(d));
        if (strcmp(s, "paused") == 0)
            return bt_xasprintf("Up %s (Paused)", d);
        /* dockerd's Health.String(): "health: starting", "healthy", "unhealthy" */
        const char *h = bt_json_get_str(bt_json_get_obj(state, "Health"), "Status", "");
        if (*h)
            return bt_xasprintf("Up %s (%s%s)", d, strcmp(h, "starting") == 0 ? "health: " : "", h);
        return bt_xasprintf("Up %s", d);
    }
    if (strcmp(s, "restarting") == 0 || strcmp(s, "exited") == 0) {
        int64_t fin = api_parse_time(bt_json_get_str(state, "FinishedAt", ""));
        if (!fin)
            return bt_xstrdup("Created");
        api_human_duration(now - fin, d, sizeof(d));
        return bt_xasprintf("%s (%lld) %s ago", s[0] == 'r' ? "Restarting" : "Exited",
                            (long long)bt_json_get_int(state, "ExitCode", 0), d);
    }
    if (strcmp(s, "removing") == 0)
        return bt_xstrdup("Removal In Progress");
    if (strcmp(s, "dead") == 0)
        return bt_xstrdup("Dead");
    return bt_xstrdup("Created");
}

/* dockerd's list Command: the path, then the arguments, those with spaces in quotes */
static char *command_text(const json_t *snap)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, bt_json_get_str(snap, "Path", ""));
    size_t i;
    json_t *v;
    json_array_foreach (bt_json_get_arr(snap, "Args"), i, v) {
        const char *a = json_string_value(v);
        if (!a)
            continue;
        bt_strbuf_appendf(&sb, strchr(a, ' ') ? " '%s'" : " %s", a);
    }
    return bt_strbuf_steal(&sb);
}

/* The record's NetworkSettings.Networks, every endpoint in dockerd's full shape. */
static json_t *network_settings(const json_t *snap)
{
    json_t *nets = json_object();
    const char *k;
    json_t *v;
    json_object_foreach (bt_json_get_path(snap, "NetworkSettings.Networks"), k, v) {
        json_t *ep = json_pack("{s:n, s:n, s:n, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:s, s:n}",
                               "IPAMConfig", "Links", "Aliases", "NetworkID", "", "EndpointID", "",
                               "Gateway", "", "IPAddress", "", "IPPrefixLen", 0, "IPv6Gateway", "",
                               "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "MacAddress", "",
                               "DriverOpts");
        json_object_update_existing(ep, v);
        json_object_set_new(nets, k, ep);
    }
    return json_pack("{s:o}", "Networks", nets);
}

/* The API's Ports list of a container: each published binding, and each exposed port that is
 * not published, as dockerd's list shows them. */
static json_t *port_list(const json_t *snap)
{
    json_t *out = json_array();
    const char *k;
    json_t *v;
    json_object_foreach (bt_json_get_path(snap, "NetworkSettings.Ports"), k, v) {
        int port = atoi(k);
        const char *slash = strchr(k, '/');
        const char *proto = slash ? slash + 1 : "tcp";
        if (!json_array_size(v)) {
            json_array_append_new(out, json_pack("{s:i, s:s}", "PrivatePort", port, "Type", proto));
            continue;
        }
        size_t i;
        json_t *b;
        json_array_foreach (v, i, b)
            json_array_append_new(
                    out, json_pack("{s:s, s:i, s:i, s:s}", "IP", bt_json_get_str(b, "HostIp", ""),
                                   "PrivatePort", port, "PublicPort",
                                   atoi(bt_json_get_str(b, "HostPort", "0")), "Type", proto));
    }
    return out;
}

/* The names a container is known by: its own, then "/parent/alias" for every link to it, as
 * dockerd's list gives them (`docker ps` shows "db,web/db"). */
static json_t *link_names(json_t *const *snaps, size_t n)
{
    json_t *names = json_object();
    for (size_t i = 0; i < n; i++) {
        size_t j;
        json_t *l;
        json_array_foreach (bt_json_get_arr(bt_json_get_obj(snaps[i], "HostConfig"), "Links"), j,
                            l) {
            const char *s = json_string_value(l);
            const char *colon = s ? strchr(s, ':') : NULL;
            if (!colon)
                continue;
            bt_autofree char *target = bt_xstrndup(s, (size_t)(colon - s));
            json_t *list = json_object_get(names, target);
            if (!list)
                json_object_set_new(names, target, list = json_array());
            json_array_append_new(list, json_string(colon + 1));
        }
    }
    return names;
}

struct list_filter {
    json_t *f;
    json_t *before_created, *since_created; /* strings, or NULL */
};

static bool match_name(const json_t *f, const char *name)
{
    json_t *names = api_filters_get(f, "name");
    if (json_array_size(names) == 0)
        return true;
    size_t i;
    json_t *v;
    json_array_foreach (names, i, v) {
        regex_t re;
        if (regcomp(&re, json_string_value(v), REG_EXTENDED | REG_NOSUB) != 0)
            continue;
        bool ok = regexec(&re, name, 0, NULL, 0) == 0;
        regfree(&re);
        if (ok)
            return true;
    }
    return false;
}

static bool match_any(const json_t *vals, const char *have)
{
    if (json_array_size(vals) == 0)
        return true;
    size_t i;
    json_t *v;
    json_array_foreach (vals, i, v) {
        if (strcmp(json_string_value(v), have) == 0)
            return true;
    }
    return false;
}

static bool match_id(const json_t *vals, const char *id)
{
    if (json_array_size(vals) == 0)
        return true;
    size_t i;
    json_t *v;
    json_array_foreach (vals, i, v) {
        const char *p = json_string_value(v);
        if (strncmp(id, p, strlen(p)) == 0)
            return true;
    }
    return false;
}

static bool match_ancestor(struct api_call *call, const json_t *vals, const char *image_id)
{
    if (json_array_size(vals) == 0)
        return true;
    size_t i;
    json_t *v;
    json_array_foreach (vals, i, v) {
        bt_autofree char *id = image_resolve(api_ctx(call)->images, json_string_value(v), NULL);
        if (id && strcmp(id, image_id) == 0)
            return true;
    }
    return false;
}

static bool match_exited(const json_t *vals, const json_t *state)
{
    if (json_array_size(vals) == 0)
        return true;
    if (strcmp(bt_json_get_str(state, "Status", ""), "exited") != 0)
        return false;
    char code[16];
    snprintf(code, sizeof(code), "%lld", (long long)bt_json_get_int(state, "ExitCode", 0));
    return match_any(vals, code);
}

/* "80", "80/udp", "8000-8080/tcp" against a set of port keys ("80/tcp"), as dockerd's
 * portOp reads a publish or expose filter (tcp when no protocol is given). */
static bool port_filter_hits(const char *want, const json_t *ports)
{
    char *end = NULL;
    long lo = strtol(want, &end, 10), hi = lo;
    if (*end == '-')
        hi = strtol(end + 1, &end, 10);
    const char *proto = *end == '/' ? end + 1 : "tcp";
    if (lo <= 0 || hi < lo || hi > 65535 || (*end && *end != '/'))
        return false;
    const char *k;
    json_t *v;
    json_object_foreach ((json_t *)ports, k, v) {
        const char *slash = strchr(k, '/');
        long port = strtol(k, NULL, 10);
        if (port >= lo && port <= hi && strcmp(slash ? slash + 1 : "tcp", proto) == 0)
            return true;
    }
    return false;
}

/* publish: the container ports of HostConfig.PortBindings; expose: Config.ExposedPorts's;
 * network: a network the container is on, by name or ID (dockerd's list filters). */
static bool match_ports_and_networks(const json_t *f, const json_t *snap)
{
    static const struct {
        const char *key, *path;
    } sets[] = {{"publish", "HostConfig.PortBindings"}, {"expose", "Config.ExposedPorts"}};
    for (size_t s = 0; s < 2; s++) {
        json_t *vals = api_filters_get(f, sets[s].key);
        bool hit = !json_array_size(vals);
        size_t i;
        json_t *v;
        json_array_foreach (vals, i, v)
            hit = hit ||
                  port_filter_hits(json_string_value(v), bt_json_get_path(snap, sets[s].path));
        if (!hit)
            return false;
    }
    json_t *nets = api_filters_get(f, "network");
    if (!json_array_size(nets))
        return true;
    const char *name;
    json_t *ep;
    json_object_foreach (bt_json_get_path(snap, "NetworkSettings.Networks"), name, ep) {
        size_t i;
        json_t *v;
        json_array_foreach (nets, i, v) {
            const char *want = json_string_value(v);
            const char *id = bt_json_get_str(ep, "NetworkID", "");
            if (strcmp(want, name) == 0 || (*id && strncmp(id, want, strlen(want)) == 0))
                return true;
        }
    }
    return false;
}

static const char *const ps_filters[] = {
        "id",      "name",   "label",  "status",    "exited",  "ancestor", "before", "since",
        "network", "volume", "health", "isolation", "is-task", "publish",  "expose", NULL};

/* dockerd's State.HealthString(): the Health status, "none" without a check */
static const char *health_of(const json_t *state)
{
    const char *h = bt_json_get_str(bt_json_get_obj(state, "Health"), "Status", "");
    return *h ? h : "none";
}

static int check_health_values(const json_t *f, bt_err **err)
{
    size_t i;
    json_t *v;
    json_array_foreach (api_filters_get(f, "health"), i, v) {
        const char *s = json_string_value(v);
        if (strcmp(s, "starting") != 0 && strcmp(s, "healthy") != 0 &&
            strcmp(s, "unhealthy") != 0 && strcmp(s, "none") != 0)
            return bt_err_set(err, BT_E_INVALID, "Unrecognised filter value for health: %s", s);
    }
    return 0;
}

static int check_status_values(const json_t *f, bt_err **err)
{
    static const char *const ok[] = {"created", "restarting", "running", "removing",
                                     "paused",  "exited",     "dead",    NULL};
    size_t i;
    json_t *v;
    json_array_foreach (api_filters_get(f, "status"), i, v) {
        bool good = false;
        for (size_t k = 0; ok[k]; k++)
            good |= strcmp(ok[k], json_string_value(v)) == 0;
        if (!good)
            return bt_err_set(err, BT_E_INVALID, "Unrecognised filter value for status: %s",
                              json_string_value(v));
    }
    return 0;
}

/* created time of the container a before/since filter names, or NULL */
static char *reference_created(struct api_call *call, const json_t *f, const char *key,
                               bt_err **err)
{
    json_t *v = json_array_get(api_filters_get(f, key), 0);
    if (!v)
        return NULL;
    bt_autoptr(ctr) c = ctr_get(CTRS(call), json_string_value(v), err);
    if (!c)
        return NULL;
    bt_autoptr(json_t) s = ctr_snapshot(c);
    return bt_xstrdup(bt_json_get_str(s, "Created", ""));
}

/* A GET /containers/json as its query asks. */
struct list_query {
    const json_t *f; /* filters */
    bool all;
    long long limit;
    const char *before, *since; /* Created of the before/since containers, or NULL */
    bool size;                  /* SizeRw and SizeRootFs */
};

static json_t *list_json(struct api_call *call, const struct list_query *q);

void api_container_list(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    bool all = api_query_bool(call, "all", false);
    long long limit = -1;
    if (api_query_int(call, "limit", -1, &limit, &err) < 0) {
        api_reply_error(call, err);
        return;
    }
    bt_autoptr(json_t) f = api_filters_parse(api_query(call, "filters"), ps_filters, &err);
    if (!f || check_status_values(f, &err) < 0 || check_health_values(f, &err) < 0) {
        api_reply_error(call, err);
        return;
    }
    bt_autofree char *before = reference_created(call, f, "before", &err);
    bt_autofree char *since = err ? NULL : reference_created(call, f, "since", &err);
    if (err) {
        api_reply_error(call, err);
        return;
    }
    if (limit > 0 || before || since || json_array_size(api_filters_get(f, "status")))
        all = true;
    struct list_query q = {f, all, limit, before, since, api_query_bool(call, "size", false)};
    api_reply_json(call, 200, list_json(call, &q));
}

json_t *api_container_list_df(struct api_call *call)
{
    bt_autoptr(json_t) f = json_object();
    struct list_query q = {.f = f, .all = true, .limit = -1, .size = true};
    return list_json(call, &q);
}

/* SizeRw (the writable layer) and SizeRootFs (that and the image's layers), as dockerd's
 * list with size=true has them. */
static void set_sizes(struct api_call *call, json_t *item, const char *id, const char *image)
{
    bt_autoptr(ctr) c = ctr_get(CTRS(call), id, NULL);
    int64_t rw = c ? ctr_size_rw(c) : 0;
    int64_t image_size = 0;
    struct image_inspect *ii = image_inspect(api_ctx(call)->images, image, NULL);
    if (ii)
        image_size = ii->size;
    image_inspect_free(ii);
    bt_json_set_int(item, "SizeRw", rw);
    bt_json_set_int(item, "SizeRootFs", rw + image_size);
}

static json_t *list_json(struct api_call *call, const struct list_query *q)
{
    const json_t *f = q->f;
    bool all = q->all;
    long long limit = q->limit;
    const char *before = q->before, *since = q->since;
    size_t n;
    struct ctr **list = ctr_list(CTRS(call), &n);
    json_t **snaps = bt_xzalloc((n + 1) * sizeof(*snaps));
    for (size_t i = 0; i < n; i++)
        snaps[i] = ctr_snapshot(list[i]);
    ctr_list_free(list, n);
    bt_autoptr(json_t) aliases = link_names(snaps, n);
    json_t *out = json_array();
    for (size_t i = 0; i < n && (limit <= 0 || (long long)json_array_size(out) < limit); i++) {
        json_t *s = snaps[i];
        const json_t *state = bt_json_get_obj(s, "State");
        const json_t *cfg = bt_json_get_obj(s, "Config");
        const char *status = bt_json_get_str(state, "Status", "");
        const char *created = bt_json_get_str(s, "Created", "");
        /* dockerd lists what is "Running": restarting containers too */
        if (!all && strcmp(status, "running") != 0 && strcmp(status, "paused") != 0 &&
            strcmp(status, "restarting") != 0)
            continue;
        if (!match_any(api_filters_get(f, "status"), status) ||
            !match_any(api_filters_get(f, "health"), health_of(state)) ||
            !match_id(api_filters_get(f, "id"), bt_json_get_str(s, "Id", "")) ||
            !match_name(f, bt_json_get_str(s, "Name", "")) ||
            !api_filters_match_labels(f, "label", bt_json_get_obj(cfg, "Labels")) ||
            !match_exited(api_filters_get(f, "exited"), state) || !match_ports_and_networks(f, s) ||
            !match_ancestor(call, api_filters_get(f, "ancestor"),
                            bt_json_get_str(s, "Image", "")) ||
            (before && strcmp(created, before) >= 0) || (since && strcmp(created, since) <= 0))
            continue;
        bt_autofree char *cmd = command_text(s);
        bt_autofree char *st = status_text(state);
        json_t *labels = bt_json_get_obj(cfg, "Labels");
        json_t *item = json_object();
        bt_json_set_str(item, "Id", bt_json_get_str(s, "Id", ""));
        json_t *names = json_pack("[s]", bt_json_get_str(s, "Name", ""));
        json_array_extend(names, json_object_get(aliases, bt_json_get_str(s, "Name", "")));
        json_object_set_new(item, "Names", names);
        bt_json_set_str(item, "Image", bt_json_get_str(cfg, "Image", ""));
        bt_json_set_str(item, "ImageID", bt_json_get_str(s, "Image", ""));
        bt_json_set_str(item, "Command", cmd);
        bt_json_set_int(item, "Created", api_parse_time(created));
        json_object_set_new(item, "Ports", port_list(s));
        json_object_set_new(item, "Labels", labels ? json_deep_copy(labels) : json_object());
        bt_json_set_str(item, "State", status);
        bt_json_set_str(item, "Status", st);
        json_object_set_new(item, "HostConfig",
                            json_pack("{s:s}", "NetworkMode",
                                      bt_json_get_str(bt_json_get_obj(s, "HostConfig"),
                                                      "NetworkMode", "default")));
        json_object_set_new(item, "NetworkSettings", network_settings(s));
        json_object_set(item, "Mounts", json_object_get(s, "Mounts"));
        if (q->size)
            set_sizes(call, item, bt_json_get_str(s, "Id", ""), bt_json_get_str(s, "Image", ""));
        json_array_append_new(out, item);
    }
    for (size_t i = 0; i < n; i++)
        json_decref(snaps[i]);
    free(snaps);
    return out;
}

/* ---- inspect ---- */

void api_container_inspect(struct api_call *call)
{
    bt_autoptr(ctr) c = lookup(call);
    if (!c)
        return;
    json_t *s = ctr_snapshot(c);
    const char *id = bt_json_get_str(s, "Id", "");
    bt_autofree char *dir =
            bt_xasprintf("%s/containers/%s/rootfs", api_ctx(call)->info->data_root, id);
    bt_autofree char *upper = bt_xasprintf("%s/upper", dir);
    bt_autofree char *merged = bt_xasprintf("%s/merged", dir);
    bt_autofree char *work = bt_xasprintf("%s/work", dir);
    json_t *data =
            json_pack("{s:s, s:s, s:s}", "MergedDir", merged, "UpperDir", upper, "WorkDir", work);
    struct image_inspect *img =
            image_inspect(api_ctx(call)->images, bt_json_get_str(s, "Image", ""), NULL);
    if (img && img->upper_dir) {
        bt_autofree char *lower = img->lower_dir
                                          ? bt_xasprintf("%s:%s", img->upper_dir, img->lower_dir)
                                          : bt_xstrdup(img->upper_dir);
        bt_json_set_str(data, "LowerDir", lower);
    }
    image_inspect_free(img);
    json_object_set_new(s, "GraphDriver",
                        json_pack("{s:o, s:s}", "Data", data, "Name", "overlay2"));
    /* `docker inspect --size` */
    if (api_query_bool(call, "size", false))
        set_sizes(call, s, id, bt_json_get_str(s, "Image", ""));
    json_t *ns = network_settings(s);
    json_t *stored = bt_json_get_obj(s, "NetworkSettings");
    static const char *const empties[] = {"Bridge",
                                          "SandboxID",
                                          "LinkLocalIPv6Address",
                                          "SandboxKey",
                                          "EndpointID",
                                          "Gateway",
                                          "GlobalIPv6Address",
                                          "IPAddress",
                                          "IPv6Gateway",
                                          "MacAddress",
                                          NULL};
    for (size_t i = 0; empties[i]; i++)
        bt_json_set_str(ns, empties[i], bt_json_get_str(stored, empties[i], ""));
    bt_json_set_bool(ns, "HairpinMode", false);
    bt_json_set_int(ns, "LinkLocalIPv6PrefixLen", 0);
    bt_json_set_int(ns, "GlobalIPv6PrefixLen", 0);
    bt_json_set_int(ns, "IPPrefixLen", bt_json_get_int(stored, "IPPrefixLen", 0));
    json_t *ports = bt_json_get_obj(stored, "Ports");
    json_object_set_new(ns, "Ports", ports ? json_deep_copy(ports) : json_object());
    json_object_set_new(ns, "SecondaryIPAddresses", json_null());
    json_object_set_new(ns, "SecondaryIPv6Addresses", json_null());
    json_object_set_new(s, "NetworkSettings", ns);
    api_reply_json(call, 200, s);
}

/* ---- life cycle ---- */

void api_container_start(struct api_call *call)
{
    bt_autoptr(ctr) c = lookup(call);
    if (!c)
        return;
    bt_autoerr bt_err *err = NULL;
    int rc = ctr_start(CTRS(call), c, &err);
    reply_result(call, rc, err, 204);
}

static int timeout_param(struct api_call *call, int *t, bt_err **err)
{
    long long v;
    if (api_query_int(call, "t", -1, &v, err) < 0)
        return -1;
    *t = (int)v;
    return 0;
}

static void stop_or_restart(struct api_call *call, bool restart)
{
    bt_autoptr(ctr) c = lookup(call);
    if (!c)
        return;
    bt_autoerr bt_err *err = NULL;
    int t;
    if (timeout_param(call, &t, &err) < 0) {
        api_reply_error(call, err);
        return;
    }
    int rc = restart ? ctr_restart(CTRS(call), c, t, &err) : ctr_stop(CTRS(call), c, t, &err);
    reply_result(call, rc, err, 204);
}

void api_container_stop(struct api_call *call)
{
    stop_or_restart(call, false);
}

void api_container_restart(struct api_call *call)
{
    stop_or_restart(call, true);
}

void api_container_kill(struct api_call *call)
{
    bt_autoptr(ctr) c = lookup(call);
    if (!c)
        return;
    bt_autoerr bt_err *err = NULL;
    int rc = ctr_kill(CTRS(call), c, api_query(call, "signal"), &err);
    reply_result(call, rc, err, 204);
}

void api_container_pause(struct api_call *call)
{
    bt_autoptr(ctr) c = lookup(call);
    if (!c)
        return;
    bt_autoerr bt_err *err = NULL;
    int rc = ctr_pause(CTRS(call), c, &err);
    reply_result(call, rc, err, 204);
}

void api_container_unpause(struct api_call *call)
{
    bt_autoptr(ctr) c = lookup(call);
    if (!c)
        return;
    bt_autoerr bt_err *err = NULL;
    int rc = ctr_unpause(CTRS(call), c, &err);
    reply_result(call, rc, err, 204);
}

struct wait_job {
    struct ctr_manager *m;
    struct ctr *c;
    enum ctr_wait_condition cond;
    uint64_t since;
    int fd;
};

static bool wait_gone(void *arg)
{
    return api_stream_gone(((struct wait_job *)arg)->fd);
}

static void wait_producer(int fd, void *arg)
{
    struct wait_job *j = arg;
    j->fd = fd;
    int status = 0;
    bt_autoerr bt_err *err = NULL;
    json_t *body;
    if (ctr_wait(j->m, j->c, j->cond, j->since, &status, wait_gone, j, &err) < 0)
        body = json_pack("{s:{s:s}, s:i}", "Error", "Message", bt_err_msg(err), "StatusCode", 255);
    else
        body = json_pack("{s:n, s:i}", "Error", "StatusCode", status);
    bt_autofree char *text = bt_json_dumps(body);
    json_decref(body);
    bt_autofree char *line = bt_xasprintf("%s\n", text);
    bt_fd_write_all(fd, line, strlen(line), NULL);
    ctr_unref(j->c);
    free(j);
}

void api_container_wait(struct api_call *call)
{
    bt_autoptr(ctr) c = lookup(call);
    if (!c)
        return;
    const char *cond = api_query(call, "condition");
    enum ctr_wait_condition wc = CTR_WAIT_NOT_RUNNING;
    if (cond && *cond) {
        if (strcmp(cond, "next-exit") == 0)
            wc = CTR_WAIT_NEXT_EXIT;
        else if (strcmp(cond, "removed") == 0)
            wc = CTR_WAIT_REMOVED;
        else if (strcmp(cond, "not-running") != 0) {
            bt_autoerr bt_err *err = NULL;
            bt_err_set(&err, BT_E_INVALID, "invalid condition: \"%s\"", cond);
            api_reply_error(call, err);
            return;
        }
    }
    struct wait_job *j = bt_xzalloc(sizeof(*j));
    j->m = CTRS(call);
    j->c = bt_steal_ptr(&c);
    j->cond = wc;
    /* counted from now, before the answer's headers let the client start the container */
    j->since = ctr_exit_generation(j->c);
    /* the status line and headers go out at once: the docker CLI waits for them before it
     * starts the container */
    api_reply_stream(call, 200, "application/json", wait_producer, j);
}

void api_container_delete(struct api_call *call)
{
    bt_autoptr(ctr) c = lookup(call);
    if (!c)
        return;
    bt_autoerr bt_err *err = NULL;
    int rc = ctr_remove(CTRS(call), c, api_query_bool(call, "force", false),
                        api_query_bool(call, "v", false), &err);
    reply_result(call, rc, err, 204);
}

void api_container_rename(struct api_call *call)
{
    bt_autoptr(ctr) c = lookup(call);
    if (!c)
        return;
    bt_autoerr bt_err *err = NULL;
    int rc = ctr_rename(CTRS(call), c, api_query(call, "name"), &err);
    reply_result(call, rc, err, 204);
}

void api_container_prune(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) f = api_filters_parse(api_query(call, "filters"),
                                             (const char *const[]){"until", "label", NULL}, &err);
    if (!f) {
        api_reply_error(call, err);
        return;
    }
    bt_autostrv char **ids = NULL;
    int64_t reclaimed = 0;
    if (ctr_prune(CTRS(call), &ids, &reclaimed, &err) < 0) {
        api_reply_error(call, err);
        return;
    }
    char bytes[32];
    snprintf(bytes, sizeof(bytes), "%lld", (long long)reclaimed);
    events_emit("container", "prune", "", (const char *const[]){"reclaimed", bytes, NULL});
    api_reply_json(call, 200,
                   json_pack("{s:o, s:I}", "ContainersDeleted", bt_json_strv(ids), "SpaceReclaimed",
                             (json_int_t)reclaimed));
}

void api_container_resize(struct api_call *call)
{
    bt_autoptr(ctr) c = lookup(call);
    if (!c)
        return;
    bt_autoerr bt_err *err = NULL;
    long long h, w;
    if (api_query_int(call, "h", 0, &h, &err) < 0 || api_query_int(call, "w", 0, &w, &err) < 0 ||
        ctr_resize(CTRS(call), c, (int)h, (int)w, &err) < 0) {
        api_reply_error(call, err);
        return;
    }
    api_reply_status(call, 200);
}

/* ---- attach ---- */

struct attach_job {
    struct ctr_manager *m;
    struct ctr *c;
    struct ctr_attach *a;
};

static void attach_hijacked(int sock, void *arg)
{
    struct attach_job *j = arg;
    ctr_attach_serve(j->m, j->c, j->a, sock);
    ctr_unref(j->c);
    free(j);
}

void api_container_attach(struct api_call *call)
{
    bt_autoptr(ctr) c = lookup(call);
    if (!c)
        return;
    bt_autoerr bt_err *err = NULL;
    if (!api_wants_upgrade(call)) {
        bt_err_set(&err, BT_E_INVALID, "attach needs a connection upgrade (Upgrade: tcp)");
        api_reply_error(call, err);
        return;
    }
    bool stream = api_query_bool(call, "stream", false);
    struct ctr_attach_opts o = {
            .in = stream && api_query_bool(call, "stdin", false),
            .out = stream && api_query_bool(call, "stdout", false),
            .err = stream && api_query_bool(call, "stderr", false),
            .logs = api_query_bool(call, "logs", false),
            .detach_keys = api_query(call, "detachKeys"),
    };
    struct ctr_attach *a = ctr_attach_begin(CTRS(call), c, &o, &err);
    if (!a) {
        api_reply_error(call, err);
        return;
    }
    struct attach_job *j = bt_xzalloc(sizeof(*j));
    j->m = CTRS(call);
    j->c = bt_steal_ptr(&c);
    j->a = a;
    api_reply_hijack(call, "application/vnd.docker.raw-stream", attach_hijacked, j);
}

/* ---- logs ---- */

struct logs_job {
    struct ctr_manager *m;
    struct ctr *c;
    struct ctr_logs_opts o;
};

static void logs_producer(int fd, void *arg)
{
    struct logs_job *j = arg;
    bt_autoerr bt_err *err = NULL;
    ctr_logs(j->m, j->c, &j->o, fd, api_stream_gone, &err);
    ctr_unref(j->c);
    free(j);
}

/* "since"/"until": Unix seconds with an optional fraction, as the docker CLI sends them */
static int64_t time_param(const char *s)
{
    if (!s || !*s)
        return 0;
    char *end;
    double v = strtod(s, &end);
    return (int64_t)(v * 1e9);
}

void api_container_logs(struct api_call *call)
{
    bt_autoptr(ctr) c = lookup(call);
    if (!c)
        return;
    bt_autoerr bt_err *err = NULL;
    struct ctr_logs_opts o = {
            .stdout_ = api_query_bool(call, "stdout", false),
            .stderr_ = api_query_bool(call, "stderr", false),
            .follow = api_query_bool(call, "follow", false),
            .timestamps = api_query_bool(call, "timestamps", false),
            .tail = -1,
            .since_ns = time_param(api_query(call, "since")),
            .until_ns = time_param(api_query(call, "until")),
    };
    if (!o.stdout_ && !o.stderr_) {
        bt_err_set(&err, BT_E_INVALID, "Bad parameters: you must choose at least one stream");
        api_reply_error(call, err);
        return;
    }
    const char *tail = api_query(call, "tail");
    if (tail && *tail && strcmp(tail, "all") != 0) {
        char *end;
        long long t = strtoll(tail, &end, 10);
        o.tail = *end ? -1 : t;
    }
    struct logs_job *j = bt_xzalloc(sizeof(*j));
    j->m = CTRS(call);
    j->c = bt_steal_ptr(&c);
    j->o = o;
    /* API 1.41 calls both forms raw-stream; the frames (or their absence) tell them apart */
    api_reply_stream(call, 200, "application/vnd.docker.raw-stream", logs_producer, j);
}

/* ---- top ---- */

void api_container_top(struct api_call *call)
{
    bt_autoptr(ctr) c = lookup(call);
    if (!c)
        return;
    bt_autoerr bt_err *err = NULL;
    bt_autofree pid_t *pids = NULL;
    size_t npids = 0;
    if (ctr_pids(CTRS(call), c, &pids, &npids, &err) < 0) {
        api_reply_error(call, err);
        return;
    }
    const char *ps_args = api_query(call, "ps_args");
    json_t *doc = api_top_table(ps_args && *ps_args ? ps_args : "-ef", pids, npids, &err);
    if (!doc) {
        api_reply_error(call, err);
        return;
    }
    ctr_emit(c, "top", NULL);
    api_reply_json(call, 200, doc);
}

/* ---- commit ---- */

void api_commit(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    const char *name = api_query(call, "container");
    if (!name || !*name) {
        bt_err_set(&err, BT_E_NOT_FOUND, "No such container: %s", name ? name : "");
        api_reply_error(call, err);
        return;
    }
    bt_autoptr(ctr) c = ctr_get(CTRS(call), name, &err);
    if (!c) {
        api_reply_error(call, err);
        return;
    }
    json_t *body = api_body_json(call, true, &err);
    if (!body && err) {
        api_reply_error(call, err);
        return;
    }
    bt_autofree const char **changes = api_query_all(call, "changes");
    struct ctr_commit_opts o = {
            .config = body,
            .changes = (char *const *)changes,
            .repo = api_query(call, "repo"),
            .tag = api_query(call, "tag"),
            .author = api_query(call, "author"),
            .comment = api_query(call, "comment"),
            .pause = api_query_bool(call, "pause", true),
    };
    bt_autofree char *id = ctr_commit(CTRS(call), c, &o, &err);
    if (!id) {
        api_reply_error(call, err);
        return;
    }
    /* the new name as the familiar reference (busybox:latest), as dockerd's imageRef */
    bt_autofree char *tagged =
            o.repo && *o.repo ? bt_xasprintf("%s:%s", o.repo, o.tag && *o.tag ? o.tag : "latest")
                              : NULL;
    bt_autoptr(bt_ref) parsed = tagged ? bt_ref_parse(tagged, NULL) : NULL;
    bt_autofree char *ref = parsed ? bt_ref_familiar_string(parsed) : NULL;
    ctr_emit(c, "commit",
             (const char *const[]){"comment", o.comment ? o.comment : "", "imageID", id, "imageRef",
                                   ref, NULL});
    if (ref) /* the new name, as dockerd's commit tags */
        events_emit("image", "tag", id, (const char *const[]){"name", ref, NULL});
    api_reply_json(call, 201, json_pack("{s:s}", "Id", id));
}
