/* SPDX-License-Identifier: Apache-2.0 */
/* /volumes: create, list, inspect, remove (guest/engine/volume). */
#include <string.h>

#include "guest/engine/api/api-internal.h"
#include "guest/engine/api/filters.h"
#include "guest/engine/volume/volume.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"

#define VOLUMES(call) (api_ctx(call)->volumes)

void api_volume_create(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) body = api_body_json(call, true, &err);
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
    json_t *all = vol_list(VOLUMES(call));
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach (all, i, v) {
        const char *name = bt_json_get_str(v, "Name", "");
        json_t *drivers = api_filters_get(f, "driver");
        bool driver_ok = !json_array_size(drivers);
        size_t j;
        json_t *d;
        json_array_foreach (drivers, j, d)
            driver_ok = driver_ok || strcmp(json_string_value(d), "local") == 0;
        /* no container uses a volume yet: every volume is dangling */
        json_t *dangling = api_filters_get(f, "dangling");
        bool dangling_ok = !json_array_size(dangling) ||
                           strcmp(json_string_value(json_array_get(dangling, 0)), "false") != 0;
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

void api_volume_delete(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    if (vol_remove(VOLUMES(call), api_param(call, 0), &err) < 0) {
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
