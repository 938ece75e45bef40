/* SPDX-License-Identifier: Apache-2.0 */
#include "host/cli/network-format.h"

#include <stdlib.h>
#include <string.h>

#include "host/cli/util.h"
#include "host/format/units.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

/* api/types/network.Inspect of the docker CLI 28 and the types it holds */
const struct fmt_type berth_network_types[] = {
        {"", "network.Inspect"},
        {"Created", "time.Time"},
        {"IPAM", "network.IPAM"},
        {"IPAM.Options", "map[string]string"},
        {"IPAM.Config", "[]network.IPAMConfig"},
        {"IPAM.Config.[]", "network.IPAMConfig"},
        {"IPAM.Config.[].Subnet", "string", true},
        {"IPAM.Config.[].IPRange", "string", true},
        {"IPAM.Config.[].Gateway", "string", true},
        {"IPAM.Config.[].AuxiliaryAddresses", "map[string]string", true},
        {"ConfigFrom", "network.ConfigReference"},
        {"Containers", "map[string]network.EndpointResource"},
        {"Containers.[]", "network.EndpointResource"},
        {"Options", "map[string]string"},
        {"Labels", "map[string]string"},
        {"Peers", "[]network.PeerInfo", true},
        {"Peers.[]", "network.PeerInfo"},
        {"Services", "map[string]network.ServiceInfo", true},
        {NULL, NULL},
};

const struct fmt_type berth_network_row_types[] = {
        {"", "*network.networkContext"},
        {NULL, NULL},
};

json_t *berth_network_header(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "NETWORK ID", "Name",
                     "NAME", "Driver", "DRIVER", "Scope", "SCOPE", "IPv4", "IPV4", "IPv6", "IPV6",
                     "Internal", "INTERNAL", "Labels", "LABELS", "CreatedAt", "CREATED AT");
}

/* The JSON text of a Go time.Time; Go's zero time when the engine sent none. */
static const char *created(const json_t *net)
{
    return bt_json_get_str(net, "Created", "0001-01-01T00:00:00Z");
}

json_t *berth_network_row(const json_t *net, bool trunc)
{
    const char *id = bt_json_get_str(net, "Id", "");
    bt_autofree char *sid = trunc ? berth_short_id(id) : bt_xstrdup(id);
    bt_autofree char *labels = berth_join_labels(bt_json_get_obj(net, "Labels"));
    bt_autostrbuf struct bt_strbuf when = BT_STRBUF_INIT;
    if (!fmt_go_time_string(created(net), &when))
        bt_strbuf_append(&when, "0001-01-01 00:00:00 +0000 UTC");
    json_t *r = json_object();
    bt_json_set_str(r, "CreatedAt", bt_strbuf_str(&when));
    bt_json_set_str(r, "Driver", bt_json_get_str(net, "Driver", ""));
    bt_json_set_str(r, "ID", sid);
    bt_json_set_str(r, "IPv4", bt_json_get_bool(net, "EnableIPv4", false) ? "true" : "false");
    bt_json_set_str(r, "IPv6", bt_json_get_bool(net, "EnableIPv6", false) ? "true" : "false");
    bt_json_set_str(r, "Internal", bt_json_get_bool(net, "Internal", false) ? "true" : "false");
    bt_json_set_str(r, "Labels", labels);
    bt_json_set_str(r, "Name", bt_json_get_str(net, "Name", ""));
    bt_json_set_str(r, "Scope", bt_json_get_str(net, "Scope", ""));
    return r;
}

/* Members of a struct of strings, copied in the order given. */
static json_t *strings_struct(const json_t *from, const char *const *names)
{
    json_t *s = json_object();
    for (; *names; names++)
        bt_json_set_str(s, *names, bt_json_get_str(from, *names, ""));
    return s;
}

static json_t *ipam_typed(const json_t *ipam)
{
    static const char *const cfg_members[] = {"Subnet", "IPRange", "Gateway", NULL};
    json_t *configs = json_null();
    json_t *arr = bt_json_get_arr(ipam, "Config");
    if (arr) {
        configs = json_array();
        size_t i;
        json_t *c;
        json_array_foreach (arr, i, c) {
            json_t *t = strings_struct(c, cfg_members);
            json_object_set_new(t, "AuxiliaryAddresses",
                                berth_string_map(json_object_get(c, "AuxiliaryAddresses")));
            json_array_append_new(configs, t);
        }
    }
    json_t *t = json_object();
    bt_json_set_str(t, "Driver", bt_json_get_str(ipam, "Driver", ""));
    json_object_set_new(t, "Options", berth_string_map(json_object_get(ipam, "Options")));
    json_object_set_new(t, "Config", configs);
    return t;
}

/* map[string]EndpointResource */
static json_t *containers_typed(const json_t *ctrs)
{
    static const char *const members[] = {"Name",        "EndpointID",  "MacAddress",
                                          "IPv4Address", "IPv6Address", NULL};
    if (!json_is_object(ctrs))
        return json_null();
    json_t *m = json_object();
    const char *k;
    json_t *v;
    json_object_foreach ((json_t *)ctrs, k, v)
        json_object_set_new(m, k, strings_struct(v, members));
    return m;
}

static json_t *peers_typed(const json_t *peers)
{
    static const char *const members[] = {"Name", "IP", NULL};
    if (!json_is_array(peers))
        return json_null();
    json_t *a = json_array();
    size_t i;
    json_t *p;
    json_array_foreach ((json_t *)peers, i, p)
        json_array_append_new(a, strings_struct(p, members));
    return a;
}

static void set_bool(json_t *t, const json_t *net, const char *key)
{
    bt_json_set_bool(t, key, bt_json_get_bool(net, key, false));
}

json_t *berth_network_typed(const json_t *net)
{
    static const char *const head[] = {"Name", "Id", NULL};
    json_t *t = strings_struct(net, head);
    bt_json_set_str(t, "Created", created(net));
    bt_json_set_str(t, "Scope", bt_json_get_str(net, "Scope", ""));
    bt_json_set_str(t, "Driver", bt_json_get_str(net, "Driver", ""));
    set_bool(t, net, "EnableIPv4");
    set_bool(t, net, "EnableIPv6");
    json_object_set_new(t, "IPAM", ipam_typed(bt_json_get_obj(net, "IPAM")));
    set_bool(t, net, "Internal");
    set_bool(t, net, "Attachable");
    set_bool(t, net, "Ingress");
    json_object_set_new(
            t, "ConfigFrom",
            json_pack("{s:s}", "Network",
                      bt_json_get_str(bt_json_get_obj(net, "ConfigFrom"), "Network", "")));
    set_bool(t, net, "ConfigOnly");
    json_object_set_new(t, "Containers", containers_typed(json_object_get(net, "Containers")));
    json_object_set_new(t, "Options", berth_string_map(json_object_get(net, "Options")));
    json_object_set_new(t, "Labels", berth_string_map(json_object_get(net, "Labels")));
    json_object_set_new(t, "Peers", peers_typed(json_object_get(net, "Peers")));
    json_t *services = bt_json_get_obj(net, "Services");
    json_object_set_new(t, "Services", services ? json_deep_copy(services) : json_null());
    return t;
}
