/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /system/df (`docker system df [-v]`), the shape of API 1.41: LayersSize (every layer
 * once), Images as GET /images/json lists them with SharedSize and Containers filled,
 * Containers as GET /containers/json?all=1&size=1 with SizeRw and SizeRootFs, Volumes with
 * UsageData (the bytes below _data, the number of containers that mount it), and BuildCache,
 * always empty: the classic builder keeps no cache apart from images.
 */
#include "guest/engine/api/api-internal.h"
#include "guest/engine/container/container.h"
#include "guest/engine/image/image.h"
#include "guest/engine/volume/volume.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"

static json_t *volumes_df(struct api_call *call)
{
    struct api_context *ctx = api_ctx(call);
    bt_autoptr(json_t) users = ctr_volume_users(ctx->containers);
    json_t *all = vol_list(ctx->volumes);
    size_t i;
    json_t *v;
    json_array_foreach (all, i, v) {
        const char *name = bt_json_get_str(v, "Name", "");
        int64_t size = vol_size(ctx->volumes, name);
        json_int_t refs = (json_int_t)json_array_size(json_object_get(users, name));
        json_object_set_new(v, "UsageData",
                            json_pack("{s:I, s:I}", "Size", (json_int_t)(size < 0 ? -1 : size),
                                      "RefCount", refs));
    }
    return all;
}

void api_system_df(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    json_t *images = api_image_list_df(call, &err);
    if (!images) {
        api_reply_error(call, err);
        return;
    }
    json_t *v = json_object();
    bt_json_set_int(v, "LayersSize", image_layers_size(api_ctx(call)->images));
    json_object_set_new(v, "Images", images);
    json_object_set_new(v, "Containers", api_container_list_df(call));
    json_object_set_new(v, "Volumes", volumes_df(call));
    json_object_set_new(v, "BuildCache", json_array());
    api_reply_json(call, 200, v);
}
