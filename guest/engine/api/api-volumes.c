/* SPDX-License-Identifier: Apache-2.0 */
/* /volumes: create, list, inspect, remove, prune (guest/engine/volume). A volume is in use
 * while any container, running or not, mounts it. */
#include <string.h>

#include "guest/engine/api/api-internal.h"
#include "guest/engine/api/filters.h"
#include "guest/engine/container/container.h"
#include "guest/engine/events/events.h"
#include "guest/engine/volume/volume.h"
#include "shared/base/cleanup.h"
#include "shared/base/strbuf.h"
#include "shared/json/json.h"

#define VOLUMES(call) (api_ctx(call)->volumes)
#define CTRS(call)    (api_ctx(call)->containers)

void api_volume_create(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    json_t *body = api_body_json(call, true, &err);
    if (!body && err) {
        api_reply_error(call, err);
        return;
    }
    json_t *v = vol_create(VOLUMES(call), bt_json_get_str(body, "Name", ""),
                           bt_json_get_str(body, "Driver", ""), bt_json_get_obj(body, "Labels"),
                           bt_json_get_obj(body, "DriverOpts"), &err);
    if (!v) {
        api_reply_error(call, err);
        return;
    }
    api_reply_json(call, 201, v);
}

static bool name_matches(const json_t *f, const char *name)
{
    json_t *names = api_filters_get(f, "name");
    if (!json_array_size(names))
        return true;
    size_t i;
    json_t *n;
    json_array_foreach (names, i, n)
        if (strstr(name, json_string_value(n)))
            return true;
    return false;
}

void api_volume_list(struct api_call *call)
{
    static const char *const keys[] = {"dangling", "driver", "label", "name", NULL};
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) f = api_filters_parse(api_query(call, "filters"), keys, &err);
    if (!f) {
        api_reply_error(call, err);
        return;
    }
    json_t *dangling = api_filters_get(f, "dangling");
    size_t k;
    json_t *d;
    json_array_foreach (dangling, k, d) {
        const char *want = json_string_value(d);
        if (strcmp(want, "true") != 0 && strcmp(want, "1") != 0 && strcmp(want, "false") != 0 &&
            strcmp(want, "0") != 0) {
            bt_err_set(&err, BT_E_INVALID,
                       "invalid filter 'dangling=%s': invalid value for 'dangling': must be "
                       "'true' or 'false'",
                       want);
            api_reply_error(call, err);
            return;
        }
    }
    bt_autoptr(json_t) users = ctr_volume_users(CTRS(call));
    json_t *all = vol_list(VOLUMES(call));
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach (all, i, v) {
        const char *name = bt_json_get_str(v, "Name", "");
        json_t *drivers = api_filters_get(f, "driver");
        bool driver_ok = !json_array_size(drivers);
        size_t j;
        json_t *dv;
        json_array_foreach (drivers, j, dv)
            driver_ok = driver_ok || strcmp(json_string_value(dv), "local") == 0;
        bool unused = !json_array_size(json_object_get(users, name));
        bool dangling_ok = true;
        json_array_foreach (dangling, j, dv) {
            const char *want = json_string_value(dv);
            dangling_ok = dangling_ok &&
                          (strcmp(want, "true") == 0 || strcmp(want, "1") == 0 ? unused : !unused);
        }
        if (driver_ok && dangling_ok && name_matches(f, name) &&
            api_filters_match_labels(f, "label", bt_json_get_obj(v, "Labels")))
            json_array_append(out, v);
    }
    json_decref(all);
    api_reply_json(call, 200, json_pack("{s:o, s:[]}", "Volumes", out, "Warnings"));
}

void api_volume_inspect(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    json_t *v = vol_inspect(VOLUMES(call), api_param(call, 0), &err);
    if (!v) {
        api_reply_error(call, err);
        return;
    }
    api_reply_json(call, 200, v);
}

/* BT_E_CONFLICT in dockerd's words when a container uses the volume. */
static int check_unused(struct api_call *call, const char *name, bt_err **err)
{
    bt_autoptr(json_t) users = ctr_volume_users(CTRS(call));
    json_t *ids = json_object_get(users, name);
    if (!json_array_size(ids))
        return 0;
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    size_t i;
    json_t *id;
    json_array_foreach (ids, i, id)
        bt_strbuf_appendf(&sb, "%s%s", i ? ", " : "", json_string_value(id));
    return bt_err_set(err, BT_E_CONFLICT, "remove %s: volume is in use - [%s]", name,
                      bt_strbuf_str(&sb));
}

void api_volume_delete(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    const char *name = api_param(call, 0);
    if (vol_exists(VOLUMES(call), name) && check_unused(call, name, &err) < 0) {
        api_reply_error(call, err);
        return;
    }
    if (vol_remove(VOLUMES(call), name, &err) < 0) {
        /* dockerd: removing a missing volume with force is not an error */
        if (bt_err_is(err, BT_E_NOT_FOUND) && api_query_bool(call, "force", false)) {
            api_reply_status(call, 204);
            return;
        }
        api_reply_error(call, err);
        return;
    }
    api_reply_status(call, 204);
}

void api_volume_prune(struct api_call *call)
{
    static const char *const keys[] = {"label", "label!", "all", NULL};
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) f = api_filters_parse(api_query(call, "filters"), keys, &err);
    if (!f) {
        api_reply_error(call, err);
        return;
    }
    /* At API 1.41, the version berthd serves, dockerd prunes every unused volume; the
     * anonymous-only default (and the "all" filter that lifts it) came with 1.42. */
    bt_autoptr(json_t) users = ctr_volume_users(CTRS(call));
    bt_autoptr(json_t) all = vol_list(VOLUMES(call));
    json_t *deleted = json_array();
    json_int_t reclaimed = 0;
    size_t i;
    json_t *v;
    json_array_foreach (all, i, v) {
        const char *name = bt_json_get_str(v, "Name", "");
        if (json_array_size(json_object_get(users, name)) ||
            !api_filters_prune_labels(f, bt_json_get_obj(v, "Labels")))
            continue;
        int64_t size = vol_size(VOLUMES(call), name);
        bt_autoerr bt_err *e = NULL;
        /* a container that started using it meanwhile keeps it */
        if (check_unused(call, name, &e) < 0 || vol_remove(VOLUMES(call), name, &e) < 0)
            continue;
        json_array_append_new(deleted, json_string(name));
        reclaimed += size > 0 ? size : 0;
    }
    char bytes[32];
    snprintf(bytes, sizeof(bytes), "%lld", (long long)reclaimed);
    events_emit("volume", "prune", "", (const char *const[]){"reclaimed", bytes, NULL});
    api_reply_json(
            call, 200,
            json_pack("{s:o, s:I}", "VolumesDeleted",
                      json_array_size(deleted) ? deleted : (json_decref(deleted), json_null()),
                      "SpaceReclaimed", reclaimed));
}
