/* SPDX-License-Identifier: Apache-2.0 */
#include "host/cli/network-create.h"

#include <string.h>

#include "host/cli/util.h"
#include "host/copts/copts.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

/* A parsed net.ParseCIDR: the address in 16 bytes (IPv4 as ::ffff:a.b.c.d) and the prefix
 * counted on those 16 bytes. */
struct cidr {
    unsigned char ip[16];
    unsigned bits;
};

static bool ipv4_mapped(const unsigned char ip[16])
{
    static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    return memcmp(ip, prefix, 12) == 0;
}

/* net.ParseCIDR: "invalid CIDR address: x" */
static int parse_cidr(const char *s, struct cidr *c, bt_err **err)
{
    const char *slash = strchr(s, '/');
    bt_autofree char *addr = slash ? bt_xstrndup(s, (size_t)(slash - s)) : NULL;
    bool v4 = addr && !strchr(addr, ':');
    size_t ndig = slash ? strspn(slash + 1, "0123456789") : 0;
    unsigned long bits = 0;
    for (size_t i = 0; i < ndig && bits <= 128; i++)
        bits = bits * 10 + (unsigned long)(slash[1 + i] - '0');
    if (!addr || !copts_parse_ip(addr, c->ip) || !ndig || slash[1 + ndig] ||
        bits > (v4 ? 32u : 128u))
        return bt_err_set(err, BT_E_INVALID, "invalid CIDR address: %s", s);
    c->bits = (unsigned)bits + (v4 ? 96 : 0);
    return 0;
}

/* net.IPNet.Contains: the same family (IPv4 or not) and the same first bits */
static bool cidr_contains(const struct cidr *net, const unsigned char ip[16])
{
    if (ipv4_mapped(net->ip) != ipv4_mapped(ip))
        return false;
    unsigned full = net->bits / 8, rest = net->bits % 8;
    if (memcmp(net->ip, ip, full) != 0)
        return false;
    unsigned char mask = (unsigned char)(0xFF << (8 - rest));
    return !rest || ((net->ip[full] ^ ip[full]) & mask) == 0;
}

/* subnetMatches: does subnet hold data, an address or a CIDR (its address)? -1 on errors */
static int subnet_matches(const char *subnet, const char *data, bt_err **err)
{
    struct cidr net, d;
    if (parse_cidr(subnet, &net, err) < 0)
        return bt_err_wrap(err, "invalid subnet");
    if (strchr(data, '/')) {
        if (parse_cidr(data, &d, err) < 0)
            return -1;
    } else if (!copts_parse_ip(data, d.ip)) {
        return 0; /* net.ParseIP's nil is in no subnet */
    }
    return cidr_contains(&net, d.ip);
}

/* Every subnet, refusing overlaps (checked pairwise, as docker, only against the subnets
 * before it: a lone subnet that does not parse goes to the engine). */
static json_t *subnet_configs(const json_t *subnets, bt_err **err)
{
    bt_autoptr(json_t) configs = json_array();
    size_t i, j;
    json_t *s, *k;
    json_array_foreach (subnets, i, s) {
        for (j = 0; j < i; j++) {
            k = json_array_get(subnets, j);
            int a = subnet_matches(json_string_value(s), json_string_value(k), err);
            int b = a < 0 ? -1 : subnet_matches(json_string_value(k), json_string_value(s), err);
            if (a < 0 || b < 0)
                return NULL;
            if (a || b)
                return bt_err_set(err, BT_E_INVALID,
                                  "multiple overlapping subnet configuration is not supported"),
                       NULL;
        }
        json_array_append_new(configs, json_pack("{s:O}", "Subnet", s));
    }
    return bt_steal_ptr(&configs);
}

/* --ip-range or --gateway values into the config of their subnet (member key). */
static int place(json_t *configs, const json_t *values, const char *key, bt_err **err)
{
    bool range = strcmp(key, "IPRange") == 0;
    size_t i, j;
    json_t *v, *c;
    json_array_foreach (values, i, v) {
        const char *val = json_string_value(v);
        struct cidr check;
        bool match = false;
        json_array_foreach (configs, j, c) {
            const char *subnet = bt_json_get_str(c, "Subnet", "");
            if (range && parse_cidr(val, &check, err) < 0)
                return -1;
            int m = subnet_matches(subnet, val, err);
            if (m < 0)
                return -1;
            if (!m)
                continue;
            const char *had = bt_json_get_str(c, key, NULL);
            if (had)
                return bt_err_set(err, BT_E_INVALID,
                                  range ? "cannot configure multiple ranges (%s, %s) on the same "
                                          "subnet (%s)"
                                        : "cannot configure multiple gateways (%s, %s) for the "
                                          "same subnet (%s)",
                                  val, had, subnet);
            bt_json_set_str(c, key, val);
            match = true;
        }
        if (!match)
            return bt_err_set(err, BT_E_INVALID, "no matching subnet for %s %s",
                              range ? "range" : "gateway", val);
    }
    return 0;
}

static int place_aux(json_t *configs, const json_t *aux, bt_err **err)
{
    const char *name;
    json_t *v;
    json_object_foreach ((json_t *)aux, name, v) {
        const char *addr = json_string_value(v);
        bool match = false;
        size_t j;
        json_t *c;
        json_array_foreach (configs, j, c) {
            int m = subnet_matches(bt_json_get_str(c, "Subnet", ""), addr, err);
            if (m < 0)
                return -1;
            if (!m)
                continue;
            json_t *a = json_object_get(c, "AuxiliaryAddresses");
            if (!a)
                json_object_set_new(c, "AuxiliaryAddresses", a = json_object());
            json_object_set(a, name, v);
            match = true;
        }
        if (!match)
            return bt_err_set(err, BT_E_INVALID, "no matching subnet for aux-address %s", addr);
    }
    return 0;
}

/* A map flag's value as encoding/json writes the Go map (keys sorted), {} when not given. */
static json_t *map_or_empty(const json_t *obj)
{
    return obj ? berth_string_map(obj) : json_object();
}

/* createIPAMConfig */
static json_t *ipam_config(const struct berth_network_create *o, bt_err **err)
{
    size_t nsub = json_array_size(o->subnets);
    if (nsub < json_array_size(o->ip_ranges) || nsub < json_array_size(o->gateways))
        return bt_err_set(err, BT_E_INVALID,
                          "every ip-range or gateway must have a corresponding subnet"),
               NULL;
    bt_autoptr(json_t) configs = subnet_configs(o->subnets, err);
    if (!configs || place(configs, o->ip_ranges, "IPRange", err) < 0 ||
        place(configs, o->gateways, "Gateway", err) < 0 ||
        place_aux(configs, o->aux_addresses, err) < 0)
        return NULL;
    /* IPAMConfig's members in struct order: Subnet, IPRange, Gateway, AuxiliaryAddresses */
    json_t *ordered = json_array();
    size_t i;
    json_t *c;
    json_array_foreach (configs, i, c) {
        json_t *t = json_object();
        static const char *const keys[] = {"Subnet", "IPRange", "Gateway", "AuxiliaryAddresses"};
        for (size_t k = 0; k < 3; k++)
            if (json_object_get(c, keys[k]))
                json_object_set(t, keys[k], json_object_get(c, keys[k]));
        if (json_object_get(c, keys[3]))
            json_object_set_new(t, keys[3], berth_string_map(json_object_get(c, keys[3])));
        json_array_append_new(ordered, t);
    }
    return json_pack("{s:s, s:o, s:o}", "Driver", o->ipam_driver, "Options",
                     map_or_empty(o->ipam_opts), "Config", ordered);
}

json_t *berth_network_create_body(const struct berth_network_create *o, bt_err **err)
{
    json_t *ipam = ipam_config(o, err);
    if (!ipam)
        return NULL;
    json_t *b = json_object();
    bt_json_set_str(b, "Driver", o->driver);
    bt_json_set_str(b, "Scope", o->scope);
    if (o->ipv4)
        bt_json_set_bool(b, "EnableIPv4", *o->ipv4);
    if (o->ipv6)
        bt_json_set_bool(b, "EnableIPv6", *o->ipv6);
    json_object_set_new(b, "IPAM", ipam);
    bt_json_set_bool(b, "Internal", o->internal);
    bt_json_set_bool(b, "Attachable", o->attachable);
    bt_json_set_bool(b, "Ingress", o->ingress);
    bt_json_set_bool(b, "ConfigOnly", o->config_only);
    json_object_set_new(b, "ConfigFrom",
                        o->config_from && *o->config_from
                                ? json_pack("{s:s}", "Network", o->config_from)
                                : json_null());
    json_object_set_new(b, "Options", map_or_empty(o->opts));
    json_object_set_new(b, "Labels", map_or_empty(o->labels));
    bt_json_set_str(b, "Name", o->name);
    /* API < 1.44: the docker CLI asks the engine to refuse a second network of the name */
    bt_json_set_bool(b, "CheckDuplicate", true);
    return b;
}
