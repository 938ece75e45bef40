/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --network and the endpoint flags of `run`/`create` (--network-alias, --link, --ip, --ip6,
 * --link-local-ip, --mac-address) into HostConfig.NetworkMode, NetworkingConfig and
 * Config.MacAddress, as the docker CLI 28's opts.NetworkOpt and parseNetworkOpts make them.
 *
 * One difference, on purpose: docker 28 puts --mac-address into the endpoint, and refuses to
 * send that to an engine older than API 1.44 ("specify mac-address per network" requires API
 * version 1.44). Berth speaks 1.41, whose engines read Config.MacAddress, so the first
 * network's MAC address goes there, as docker's clients of that API did.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/copts/copts-internal.h"
#include "host/copts/copts.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/json/json.h"

/* regexp `\w+=\w+(,\w+=\w+)*`, unanchored as docker matches it: any '=' between two word
 * characters makes the long syntax */
static bool long_syntax(const char *s)
{
    static const char word[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
    for (const char *eq = strchr(s, '='); eq; eq = strchr(eq + 1, '='))
        if (eq > s && eq[1] && strchr(word, eq[-1]) && strchr(word, eq[1]))
            return true;
    return false;
}

char **copts_csv_fields(const char *s, bt_err **err)
{
    bt_autostrv char **fields = bt_xzalloc(sizeof(char *));
    bt_autostrbuf struct bt_strbuf f = BT_STRBUF_INIT;
    const char *p = s;
    for (;;) {
        bt_strbuf_reset(&f);
        if (*p == '"') {
            for (p++;; p++) {
                if (!*p || (*p == '"' && p[1] != '"' && p[1] != ',' && p[1] && p[1] != '\n'))
                    return bt_err_set(err, BT_E_INVALID,
                                      "parse error on line 1, column %zu: extraneous or missing "
                                      "\" in quoted-field",
                                      (size_t)(p - s) + 1),
                           NULL;
                if (*p == '"' && p[1] == '"') {
                    bt_strbuf_append_c(&f, '"');
                    p++;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    bt_strbuf_append_c(&f, *p);
                }
            }
        } else {
            size_t n = strcspn(p, ",\n\"");
            if (p[n] == '"')
                return bt_err_set(err, BT_E_INVALID,
                                  "parse error on line 1, column %zu: bare \" in non-quoted-field",
                                  (size_t)(p + n - s) + 1),
                       NULL;
            bt_strbuf_append_n(&f, p, n);
            p += n;
        }
        bt_strv_push(&fields, bt_strbuf_str(&f));
        if (*p != ',')
            break;
        p++;
    }
    return bt_steal_ptr(&fields);
}

/* opts.parseDriverOpt: "k=v", trimmed, into opts */
static int driver_opt(json_t *att, const char *kv, bt_err **err)
{
    const char *eq = strchr(kv, '=');
    bt_autofree char *k = eq ? bt_xstrndup(kv, (size_t)(eq - kv)) : NULL;
    if (!eq || !*k)
        return bt_err_set(err, BT_E_INVALID, "invalid key value pair format in driver options");
    bt_autofree char *key = copts_trim_space(k);
    bt_autofree char *val = copts_trim_space(eq + 1);
    json_t *opts = json_object_get(att, "DriverOpts");
    if (!opts)
        json_object_set_new(att, "DriverOpts", opts = json_object());
    bt_json_set_str(opts, key, val);
    return 0;
}

/* strconv.Atoi with the error docker keeps of it ("invalid syntax", "value out of range") */
static int go_atoi(const char *s, int64_t *out, const char **why)
{
    const char *d = s + (*s == '+' || *s == '-');
    if (!*d || strspn(d, "0123456789") != strlen(d)) {
        *why = "invalid syntax";
        return -1;
    }
    errno = 0;
    *out = strtoll(s, NULL, 10);
    *why = "value out of range";
    return errno ? -1 : 0;
}

static void list_push(json_t *att, const char *key, const char *v)
{
    json_t *a = json_object_get(att, key);
    if (!a)
        json_object_set_new(att, key, a = json_array());
    json_array_append_new(a, json_string(v));
}

/* One field of the long syntax, already lower-cased (docker lower-cases the whole field). */
static int attachment_field(json_t *att, const char *field, const char *orig, bt_err **err)
{
    const char *eq = strchr(field, '=');
    bt_autofree char *k = eq ? bt_xstrndup(field, (size_t)(eq - field)) : NULL;
    if (!eq || !*k)
        return bt_err_set(err, BT_E_INVALID, "invalid field %s", orig);
    bt_autofree char *key = copts_trim_space(k);
    bt_autofree char *val = copts_trim_space(eq + 1);
    static const char *const strs[][2] = {{"name", "Target"},
                                          {"ip", "IPv4Address"},
                                          {"ip6", "IPv6Address"},
                                          {"mac-address", "MacAddress"}};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (strcmp(key, strs[i][0]) == 0) {
            bt_json_set_str(att, strs[i][1], val);
            return 0;
        }
    if (strcmp(key, "alias") == 0 || strcmp(key, "link-local-ip") == 0) {
        list_push(att, key[0] == 'a' ? "Aliases" : "LinkLocalIPs", val);
        return 0;
    }
    if (strcmp(key, "driver-opt") == 0)
        return driver_opt(att, val, err);
    if (strcmp(key, "gw-priority") == 0) {
        int64_t prio;
        const char *why;
        if (go_atoi(val, &prio, &why) < 0)
            return bt_err_set(err, BT_E_INVALID, "invalid gw-priority (%s): %s", val, why);
        bt_json_set_int(att, "GwPriority", prio);
        return 0;
    }
    return bt_err_set(err, BT_E_INVALID, "invalid field key %s", key);
}

int copts_set_network(void *value, const char *arg, bt_err **err)
{
    json_t **list = value;
    bt_autoptr(json_t) att = json_object();
    if (!long_syntax(arg)) {
        bt_json_set_str(att, "Target", arg);
    } else {
        bt_autostrv char **fields = copts_csv_fields(arg, err);
        if (!fields)
            return -1;
        json_object_set_new(att, "Aliases", json_array());
        for (char **f = fields; *f; f++) {
            bt_autofree char *low = bt_xstrdup(*f);
            for (char *c = low; *c; c++)
                *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
            if (attachment_field(att, low, *f, err) < 0)
                return -1;
        }
        if (!*bt_json_get_str(att, "Target", ""))
            return bt_err_set(err, BT_E_INVALID, "network name/id is not specified");
    }
    if (!*list)
        *list = json_array();
    json_array_append(*list, att);
    return 0;
}

/* container.NetworkMode(name).IsUserDefined() */
static bool user_defined(const char *name)
{
    return strcmp(name, "default") && strcmp(name, "bridge") && strcmp(name, "host") &&
           strcmp(name, "none") && strncmp(name, "container:", 10);
}

static bool has_list(const char **v)
{
    return v && v[0];
}

/* applyContainerOptions: the plain flags go to the first network, unless its long syntax
 * says the same thing. */
static int apply_flags(json_t *att, const struct copts *o, bt_err **err)
{
    static const char *const conflict = "conflicting options: cannot specify both ";
    if (json_array_size(bt_json_get_arr(att, "Aliases")) && has_list(o->aliases))
        return bt_err_set(err, BT_E_INVALID, "%s--network-alias and per-network alias", conflict);
    if (o->ip && *o->ip && *bt_json_get_str(att, "IPv4Address", ""))
        return bt_err_set(err, BT_E_INVALID, "%s--ip and per-network IPv4 address", conflict);
    if (o->ip6 && *o->ip6 && *bt_json_get_str(att, "IPv6Address", ""))
        return bt_err_set(err, BT_E_INVALID, "%s--ip6 and per-network IPv6 address", conflict);
    if (o->mac_address && *o->mac_address && *bt_json_get_str(att, "MacAddress", ""))
        return bt_err_set(err, BT_E_INVALID, "%s--mac-address and per-network MAC address",
                          conflict);
    if (json_array_size(bt_json_get_arr(att, "LinkLocalIPs")) && has_list(o->link_local_ips))
        return bt_err_set(err, BT_E_INVALID,
                          "%s--link-local-ip and per-network link-local IP addresses", conflict);
    if (has_list(o->aliases))
        json_object_set_new(att, "Aliases", bt_json_strv((char *const *)o->aliases));
    /* --link is an endpoint option (an alias) on a user-defined network; on the default
     * bridge it is a legacy link, in HostConfig.Links only */
    if (user_defined(bt_json_get_str(att, "Target", "")) && has_list(o->link))
        json_object_set_new(att, "Links", bt_json_strv((char *const *)o->link));
    if (o->ip && *o->ip)
        bt_json_set_str(att, "IPv4Address", o->ip);
    if (o->ip6 && *o->ip6)
        bt_json_set_str(att, "IPv6Address", o->ip6);
    if (o->mac_address && *o->mac_address)
        bt_json_set_str(att, "MacAddress", o->mac_address);
    if (has_list(o->link_local_ips))
        json_object_set_new(att, "LinkLocalIPs", bt_json_strv((char *const *)o->link_local_ips));
    return 0;
}

/* network.EndpointSettings as encoding/json writes it; IPAMConfig only when an address is
 * asked for. */
static json_t *endpoint_settings(const json_t *att)
{
    json_t *ipam = json_null();
    const char *v4 = bt_json_get_str(att, "IPv4Address", "");
    const char *v6 = bt_json_get_str(att, "IPv6Address", "");
    json_t *lls = bt_json_get_arr(att, "LinkLocalIPs");
    if (*v4 || *v6 || json_array_size(lls)) {
        ipam = json_object();
        if (*v4)
            bt_json_set_str(ipam, "IPv4Address", v4);
        if (*v6)
            bt_json_set_str(ipam, "IPv6Address", v6);
        if (json_array_size(lls))
            json_object_set(ipam, "LinkLocalIPs", lls);
    }
    json_t *aliases = bt_json_get_arr(att, "Aliases");
    json_t *links = bt_json_get_arr(att, "Links");
    json_t *dopts = bt_json_get_obj(att, "DriverOpts");
    json_t *ep = json_object();
    json_object_set_new(ep, "IPAMConfig", ipam);
    json_object_set(ep, "Links", json_array_size(links) ? links : json_null());
    json_object_set(ep, "Aliases", json_array_size(aliases) ? aliases : json_null());
    bt_json_set_str(ep, "MacAddress", bt_json_get_str(att, "MacAddress", ""));
    json_object_set(ep, "DriverOpts", json_object_size(dopts) ? dopts : json_null());
    bt_json_set_int(ep, "GwPriority", bt_json_get_int(att, "GwPriority", 0));
    static const char *const empty[] = {"NetworkID", "EndpointID", "Gateway", "IPAddress"};
    for (size_t i = 0; i < 4; i++)
        bt_json_set_str(ep, empty[i], "");
    bt_json_set_int(ep, "IPPrefixLen", 0);
    bt_json_set_str(ep, "IPv6Gateway", "");
    bt_json_set_str(ep, "GlobalIPv6Address", "");
    bt_json_set_int(ep, "GlobalIPv6PrefixLen", 0);
    json_object_set_new(ep, "DNSNames", json_null());
    return ep;
}

/* reflect.DeepEqual(*ep, EndpointSettings{}) */
static bool endpoint_is_zero(const json_t *ep)
{
    return json_is_null(json_object_get(ep, "IPAMConfig")) &&
           json_is_null(json_object_get(ep, "Links")) &&
           json_is_null(json_object_get(ep, "Aliases")) &&
           !*bt_json_get_str(ep, "MacAddress", "") &&
           json_is_null(json_object_get(ep, "DriverOpts")) && !bt_json_get_int(ep, "GwPriority", 0);
}

/* parseNetworkAttachmentOpt: the checks, then the endpoint */
static json_t *attachment_endpoint(const json_t *att, bt_err **err)
{
    const char *target = bt_json_get_str(att, "Target", "");
    bt_autofree char *trimmed = copts_trim_space(target);
    if (!*trimmed)
        return bt_err_set(err, BT_E_INVALID, "no name set for network"), NULL;
    if (!user_defined(target) && json_array_size(bt_json_get_arr(att, "Aliases")))
        return bt_err_set(err, BT_E_INVALID,
                          "network-scoped aliases are only supported for user-defined networks"),
               NULL;
    if (!user_defined(target) && json_array_size(bt_json_get_arr(att, "Links")))
        return bt_err_set(err, BT_E_INVALID, "links are only supported for user-defined networks"),
               NULL;
    const char *mac = bt_json_get_str(att, "MacAddress", "");
    if (*mac && !copts_valid_mac(mac))
        return bt_err_set(err, BT_E_INVALID, "%s is not a valid mac address", mac), NULL;
    return endpoint_settings(att);
}

/* The endpoint of network i; the first one's MAC address is taken out into *mac. */
static int add_endpoint(json_t *endpoints, json_t *att, size_t i, bool only, char **mac,
                        bt_err **err)
{
    bt_autoptr(json_t) ep = attachment_endpoint(att, err);
    if (!ep)
        return -1;
    const char *target = bt_json_get_str(att, "Target", "");
    if (json_object_get(endpoints, target)) {
        bt_autostrbuf struct bt_strbuf q = BT_STRBUF_INIT;
        bt_strbuf_go_quote(&q, target, strlen(target));
        return bt_err_set(err, BT_E_INVALID, "network %s is specified multiple times",
                          bt_strbuf_str(&q));
    }
    if (i == 0) {
        *mac = bt_xstrdup(bt_json_get_str(ep, "MacAddress", ""));
        bt_json_set_str(ep, "MacAddress", "");
    }
    /* one network named without options: no endpoint (the engine makes it) */
    if (only && endpoint_is_zero(ep))
        return 0;
    json_object_set(endpoints, target, ep);
    return 0;
}

json_t *copts_networking(const struct copts *o, char **mode, char **mac, bt_err **err)
{
    *mode = *mac = NULL;
    bt_autoptr(json_t) endpoints = json_object();
    bt_autoptr(json_t) nets = json_array_size(o->networks)
                                      ? json_deep_copy(o->networks)
                                      : json_pack("[{s:s}]", "Target", "default");
    bool user = false, other = false;
    size_t n = json_array_size(o->networks), i;
    json_t *att;
    json_array_foreach (nets, i, att) {
        if (user_defined(bt_json_get_str(att, "Target", "")))
            user = true;
        else
            other = true;
        if ((i == 0 && apply_flags(att, o, err) < 0) ||
            add_endpoint(endpoints, att, i, n == 1, mac, err) < 0) {
            free(*mac);
            *mac = NULL;
            return NULL;
        }
    }
    if (user && other) {
        free(*mac);
        *mac = NULL;
        return bt_err_set(err, BT_E_INVALID,
                          "conflicting options: cannot attach both user-defined and "
                          "non-user-defined network-modes"),
               NULL;
    }
    *mode = bt_xstrdup(bt_json_get_str(json_array_get(nets, 0), "Target", "default"));
    return copts_sorted_object(endpoints);
}
