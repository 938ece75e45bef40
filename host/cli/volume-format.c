/* SPDX-License-Identifier: Apache-2.0 */
#include "host/cli/volume-format.h"

#include <stdlib.h>
#include <string.h>

#include "host/cli/util.h"
#include "host/format/units.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

/* api/types/volume.Volume of the docker CLI 28 (its fields are in alphabetical order) */
const struct fmt_type berth_volume_types[] = {
        {"", "volume.Volume"},
        {"ClusterVolume", "*volume.ClusterVolume", true},
        {"CreatedAt", "string", true},
        {"Labels", "map[string]string"},
        {"Options", "map[string]string"},
        {"Status", "map[string]interface {}", true},
        {"UsageData", "*volume.UsageData", true},
        {NULL, NULL},
};

const struct fmt_type berth_volume_row_types[] = {
        {"", "*formatter.volumeContext"},
        {NULL, NULL},
};

json_t *berth_volume_header(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "ID", "Name",
                     "VOLUME NAME", "Group", "GROUP", "Driver", "DRIVER", "Scope", "SCOPE",
                     "Availability", "AVAILABILITY", "Mountpoint", "MOUNTPOINT", "Labels", "LABELS",
                     "Links", "LINKS", "Size", "SIZE", "Status", "STATUS");
}

/* map[string]interface{}: a deep copy with the keys of every object sorted. */
static json_t *sorted_copy(const json_t *v)
{
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *e;
        json_array_foreach ((json_t *)v, i, e)
            json_array_append_new(a, sorted_copy(e));
        return a;
    }
    if (!json_is_object(v))
        return v ? json_deep_copy(v) : json_null();
    json_t *m = json_object();
    size_t n;
    bt_autofree const char **keys = berth_object_keys(v, &n);
    for (size_t i = 0; i < n; i++)
        json_object_set_new(m, keys[i], sorted_copy(json_object_get(v, keys[i])));
    return m;
}

static json_t *object_or_null(const json_t *v)
{
    return json_is_object(v) ? sorted_copy(v) : json_null();
}

json_t *berth_volume_typed(const json_t *vol)
{
    json_t *t = json_object();
    /* berthd has no cluster volumes; one from another engine is shown as it came */
    json_object_set_new(t, "ClusterVolume", object_or_null(json_object_get(vol, "ClusterVolume")));
    bt_json_set_str(t, "CreatedAt", bt_json_get_str(vol, "CreatedAt", ""));
    bt_json_set_str(t, "Driver", bt_json_get_str(vol, "Driver", ""));
    json_object_set_new(t, "Labels", berth_string_map(json_object_get(vol, "Labels")));
    bt_json_set_str(t, "Mountpoint", bt_json_get_str(vol, "Mountpoint", ""));
    bt_json_set_str(t, "Name", bt_json_get_str(vol, "Name", ""));
    json_object_set_new(t, "Options", berth_string_map(json_object_get(vol, "Options")));
    bt_json_set_str(t, "Scope", bt_json_get_str(vol, "Scope", ""));
    json_object_set_new(t, "Status", object_or_null(json_object_get(vol, "Status")));
    json_t *usage = bt_json_get_obj(vol, "UsageData");
    if (usage)
        json_object_set_new(t, "UsageData",
                            json_pack("{s:I, s:I}", "RefCount",
                                      (json_int_t)bt_json_get_int(usage, "RefCount", 0), "Size",
                                      (json_int_t)bt_json_get_int(usage, "Size", 0)));
    else
        json_object_set_new(t, "UsageData", json_null());
    return t;
}

json_t *berth_volume_go_json(const json_t *vol)
{
    json_t *t = berth_volume_typed(vol);
    if (json_is_null(json_object_get(t, "ClusterVolume")))
        json_object_del(t, "ClusterVolume");
    if (!*bt_json_get_str(t, "CreatedAt", ""))
        json_object_del(t, "CreatedAt");
    if (json_object_size(bt_json_get_obj(t, "Status")) == 0)
        json_object_del(t, "Status");
    if (json_is_null(json_object_get(t, "UsageData")))
        json_object_del(t, "UsageData");
    return t;
}

/* volumeContext.Status of a cluster volume */
static char *cluster_status(const json_t *cv)
{
    json_t *info = bt_json_get_obj(cv, "Info");
    if (!info || !*bt_json_get_str(info, "VolumeID", ""))
        return bt_xstrdup("pending creation");
    size_t n = json_array_size(bt_json_get_arr(cv, "PublishStatus"));
    if (n == 0)
        return bt_xstrdup("created");
    if (n == 1)
        return bt_xstrdup("in use (1 node)");
    return bt_xasprintf("in use (%zu nodes)", n);
}

json_t *berth_volume_row(const json_t *vol)
{
    json_t *cv = bt_json_get_obj(vol, "ClusterVolume");
    json_t *spec = bt_json_get_obj(cv, "Spec");
    json_t *usage = bt_json_get_obj(vol, "UsageData");
    json_t *labels = bt_json_get_obj(vol, "Labels");
    bt_autofree char *lab = berth_join_labels(labels);
    char links[32] = "N/A";
    bt_autostrbuf struct bt_strbuf size = BT_STRBUF_INIT;
    if (usage) {
        snprintf(links, sizeof(links), "%lld", (long long)bt_json_get_int(usage, "RefCount", 0));
        fmt_human_size((double)bt_json_get_int(usage, "Size", 0), 4, &size);
    } else {
        bt_strbuf_append(&size, "N/A");
    }
    bt_autofree char *status = cv ? cluster_status(cv) : bt_xstrdup("N/A");
    json_t *r = json_object();
    bt_json_set_str(r, "Availability", cv ? bt_json_get_str(spec, "Availability", "") : "N/A");
    bt_json_set_str(r, "Driver", bt_json_get_str(vol, "Driver", ""));
    bt_json_set_str(r, "Group", cv ? bt_json_get_str(spec, "Group", "") : "N/A");
    bt_json_set_str(r, "Labels", lab);
    bt_json_set_str(r, "Links", links);
    bt_json_set_str(r, "Mountpoint", bt_json_get_str(vol, "Mountpoint", ""));
    bt_json_set_str(r, "Name", bt_json_get_str(vol, "Name", ""));
    bt_json_set_str(r, "Scope", bt_json_get_str(vol, "Scope", ""));
    bt_json_set_str(r, "Size", bt_strbuf_str(&size));
    bt_json_set_str(r, "Status", status);
    return r;
}
