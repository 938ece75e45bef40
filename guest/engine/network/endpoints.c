/* SPDX-License-Identifier: Apache-2.0 */
/* Endpoints: a running container's address and device on a network (network.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "guest/engine/events/events.h"
#include "guest/engine/network/netdev.h"
#include "guest/engine/network/network-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/crypto/digest.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

void net_ep_clear(struct net_ep *e)
{
    free(e->ctr_id);
    free(e->ctr_name);
    free(e->endpoint_id);
    json_decref(e->aliases);
    json_decref(e->links);
    memset(e, 0, sizeof(*e));
}

/* What the record keeps of an endpoint, under the container's id. */
json_t *net_ep_record(const struct net_ep *e, const struct net_network *n)
{
    (void)n;
    char ip[16];
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:O}", "Name", e->ctr_name, "EndpointID",
                     e->endpoint_id, "MacAddress", e->mac, "IPv4Address", net_ip_format(e->ip, ip),
                     "Ifname", e->ifname, "Aliases", e->aliases, "Links", e->links);
}

static void push_ep(struct net_network *n, struct net_ep *e)
{
    n->eps = bt_xrealloc(n->eps, (n->neps + 1) * sizeof(*n->eps));
    n->eps[n->neps++] = *e;
}

/* The stored endpoints, their addresses taken again from the allocator. */
int net_eps_load(struct net_network *n, bt_err **err)
{
    const char *id;
    json_t *v;
    json_object_foreach (bt_json_get_obj(n->rec, "Endpoints"), id, v) {
        struct net_ep e = {0};
        if (net_ip_parse(bt_json_get_str(v, "IPv4Address", ""), &e.ip, err) < 0 ||
            net_ipam_reserve(n->ipam, e.ip, err) < 0)
            return bt_err_wrap(err, "endpoint of %s", id);
        e.ctr_id = bt_xstrdup(id);
        e.ctr_name = bt_xstrdup(bt_json_get_str(v, "Name", ""));
        e.endpoint_id = bt_xstrdup(bt_json_get_str(v, "EndpointID", ""));
        snprintf(e.mac, sizeof(e.mac), "%s", bt_json_get_str(v, "MacAddress", ""));
        snprintf(e.ifname, sizeof(e.ifname), "%s", bt_json_get_str(v, "Ifname", "eth0"));
        json_t *a = bt_json_get_arr(v, "Aliases");
        e.aliases = a ? json_incref(a) : json_array();
        json_t *l = bt_json_get_arr(v, "Links");
        e.links = l ? json_incref(l) : json_array();
        push_ep(n, &e);
    }
    return 0;
}

static void save_or_warn(struct net_store *s, struct net_network *n)
{
    bt_autoerr bt_err *err = NULL;
    if (net_save(s, n, &err) < 0)
        bt_warn("network %s: %s", n->name, bt_err_msg(err));
}

static struct net_ep *find_ep(struct net_network *n, const char *ctr_id)
{
    for (size_t i = 0; i < n->neps; i++)
        if (strcmp(n->eps[i].ctr_id, ctr_id) == 0)
            return &n->eps[i];
    return NULL;
}

/* The address the request asks for, or the allocator's next. */
static int take_address(struct net_network *n, const json_t *cfg, uint32_t *ip, bt_err **err)
{
    const char *want = bt_json_get_str(bt_json_get_obj(cfg, "IPAMConfig"), "IPv4Address", "");
    if (!*want)
        return net_ipam_alloc(n->ipam, ip, err) < 0
                       ? bt_err_wrap(err,
                                     "no available IPv4 addresses on this network's address "
                                     "pools: %s (%s)",
                                     n->name, n->id)
                       : 0;
    if (!n->user_subnet)
        return bt_err_set(err, BT_E_INVALID,
                          "user specified IP address is supported only when connecting to "
                          "networks with user configured subnets");
    if (net_ip_parse(want, ip, err) < 0)
        return -1;
    return net_ipam_reserve(n->ipam, *ip, err);
}

static int endpoint_mac(const struct net_endpoint_req *r, uint32_t ip, char out[18], bt_err **err)
{
    const char *want = bt_json_get_str(r->config, "MacAddress", "");
    if (!*want && r->mac_address)
        want = r->mac_address;
    uint8_t mac[6];
    if (*want) {
        if (net_mac_parse(want, mac, err) < 0)
            return -1;
    } else {
        net_mac_from_ip(ip, mac);
    }
    net_mac_format(mac, out);
    return 0;
}

/* Aliases as dockerd (API 1.41) shows them: the ones asked for, then on user-defined networks
 * the short id, which name resolution also answers. */
static json_t *endpoint_aliases(const struct net_network *n, const struct net_endpoint_req *r)
{
    json_t *a = json_array();
    size_t i;
    json_t *v;
    json_array_foreach (bt_json_get_arr(r->config, "Aliases"), i, v)
        if (json_is_string(v))
            json_array_append(a, v);
    if (!n->predefined)
        json_array_append_new(a, json_stringn(r->ctr_id, 12));
    return a;
}

static json_t *endpoint_settings(const struct net_network *n, const struct net_ep *e,
                                 const json_t *cfg)
{
    char ip[16], gw[16];
    json_t *ipam_cfg = bt_json_get_obj(cfg, "IPAMConfig");
    json_t *links = bt_json_get_arr(cfg, "Links");
    return json_pack(
            "{s:O, s:O, s:O, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:s, s:n}", "IPAMConfig",
            ipam_cfg ? ipam_cfg : json_null(), "Links", links ? links : json_null(), "Aliases",
            json_array_size(e->aliases) ? e->aliases : json_null(), "NetworkID", n->id,
            "EndpointID", e->endpoint_id, "Gateway", net_ip_format(net_ipam_gateway(n->ipam), gw),
            "IPAddress", net_ip_format(e->ip, ip), "IPPrefixLen", net_ipam_prefix_len(n->ipam),
            "IPv6Gateway", "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "MacAddress",
            e->mac, "DriverOpts");
}

static int plug(struct net_store *s, struct net_network *n, const struct net_endpoint_req *r,
                const struct net_ep *e, bt_err **err)
{
    if (s->no_host)
        return 0;
    uint8_t mac[6];
    if (net_mac_parse(e->mac, mac, err) < 0)
        return -1;
    char host_name[16];
    snprintf(host_name, sizeof(host_name), "veth%.7s", e->endpoint_id);
    struct net_veth_opts o = {.bridge = n->bridge,
                              .host_name = host_name,
                              .netns_path = r->netns_path,
                              .ifname = r->ifname,
                              .addr = e->ip,
                              .prefix_len = net_ipam_prefix_len(n->ipam),
                              .gateway = net_ipam_gateway(n->ipam),
                              .default_route = r->default_route &&
                                               !bt_json_get_bool(n->rec, "Internal", false),
                              .mac = mac};
    return net_veth_attach(&o, err);
}

json_t *net_endpoint_add(struct net_store *s, const struct net_endpoint_req *r, bt_err **err)
{
    pthread_mutex_lock(&s->lock);
    json_t *out = NULL;
    struct net_network *n = net_find(s, r->network);
    struct net_ep e = {0};
    if (!n) {
        bt_err_set(err, BT_E_NOT_FOUND, "network %s not found", r->network);
        goto out;
    }
    if (n->kind != NET_KIND_BRIDGE) {
        bt_err_set(err, BT_E_FORBIDDEN,
                   "container cannot be disconnected from host network or connected to host "
                   "network");
        goto out;
    }
    if (find_ep(n, r->ctr_id)) {
        bt_err_set(err, BT_E_FORBIDDEN, "endpoint with name %s already exists in network %s",
                   r->ctr_name, n->name);
        goto out;
    }
    if (take_address(n, r->config, &e.ip, err) < 0)
        goto out;
    if (endpoint_mac(r, e.ip, e.mac, err) < 0) {
        net_ipam_release(n->ipam, e.ip);
        goto out;
    }
    e.endpoint_id = bt_random_hex(32);
    snprintf(e.ifname, sizeof(e.ifname), "%s", r->ifname);
    e.ctr_id = bt_xstrdup(r->ctr_id);
    e.ctr_name = bt_xstrdup(r->ctr_name);
    e.aliases = endpoint_aliases(n, r);
    json_t *links = bt_json_get_arr(r->config, "Links");
    e.links = links ? json_deep_copy(links) : json_array();
    if (plug(s, n, r, &e, err) < 0) {
        net_ipam_release(n->ipam, e.ip);
        net_ep_clear(&e);
        goto out;
    }
    push_ep(n, &e);
    out = endpoint_settings(n, &n->eps[n->neps - 1], r->config);
    events_emit(
            "network", "connect", n->id,
            (const char *const[]){"container", r->ctr_id, "name", n->name, "type", "bridge", NULL});
    save_or_warn(s, n);
out:
    pthread_mutex_unlock(&s->lock);
    return out;
}

static void drop_ep(struct net_network *n, struct net_ep *e)
{
    net_ipam_release(n->ipam, e->ip);
    net_ep_clear(e);
    *e = n->eps[--n->neps];
}

void net_endpoint_remove(struct net_store *s, const char *network, const char *ctr_id,
                         const char *netns_path)
{
    pthread_mutex_lock(&s->lock);
    struct net_network *n = net_find(s, network);
    struct net_ep *e = n ? find_ep(n, ctr_id) : NULL;
    if (e) {
        if (!s->no_host && netns_path && bt_path_exists(netns_path)) {
            bt_autoerr bt_err *err = NULL;
            if (net_veth_detach(netns_path, e->ifname, &err) < 0)
                bt_debug("network %s: %s", n->name, bt_err_msg(err));
        }
        drop_ep(n, e);
        events_emit("network", "disconnect", n->id,
                    (const char *const[]){"container", ctr_id, "name", n->name, "type", "bridge",
                                          NULL});
        bt_autoerr bt_err *serr = NULL;
        if (net_save(s, n, &serr) < 0)
            bt_warn("network %s: %s", n->name, bt_err_msg(serr));
    }
    pthread_mutex_unlock(&s->lock);
}

void net_endpoint_free_ifname(struct net_store *s, const char *ctr_id, char out[16])
{
    pthread_mutex_lock(&s->lock);
    for (int k = 0;; k++) {
        snprintf(out, 16, "eth%d", k);
        bool used = false;
        for (size_t i = 0; i < s->n && !used; i++) {
            struct net_ep *e = find_ep(s->nets[i], ctr_id);
            used = e && strcmp(e->ifname, out) == 0;
        }
        if (!used)
            break;
    }
    pthread_mutex_unlock(&s->lock);
}

static bool in_list(const json_t *ids, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach (ids, i, v)
        if (json_is_string(v) && strcmp(json_string_value(v), id) == 0)
            return true;
    return false;
}

void net_store_reconcile(struct net_store *s, const json_t *running)
{
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n; i++) {
        struct net_network *n = s->nets[i];
        bool changed = false;
        for (size_t j = n->neps; j-- > 0;) {
            if (in_list(running, n->eps[j].ctr_id))
                continue;
            drop_ep(n, &n->eps[j]);
            changed = true;
        }
        bt_autoerr bt_err *err = NULL;
        if (changed && net_save(s, n, &err) < 0)
            bt_warn("network %s: %s", n->name, bt_err_msg(err));
    }
    for (size_t j = s->nports; j-- > 0;) {
        if (in_list(running, s->ports[j].ctr_id))
            continue;
        close(s->ports[j].fd);
        free(s->ports[j].ctr_id);
        s->ports[j] = s->ports[--s->nports];
    }
    net_sync_nat(s);
    pthread_mutex_unlock(&s->lock);
}

/* ---- names for the DNS server ---- */

static bool ep_answers(const struct net_ep *e, const char *name)
{
    if (strcasecmp(e->ctr_name, name) == 0)
        return true;
    if (strlen(name) == 12 && strncasecmp(e->ctr_id, name, 12) == 0)
        return true;
    size_t i;
    json_t *v;
    json_array_foreach (e->aliases, i, v)
        if (json_is_string(v) && strcasecmp(json_string_value(v), name) == 0)
            return true;
    return false;
}

/* A link of the asker ("target:alias", compose's links on a user network) naming `name`:
 * the target's name, or NULL. */
static const char *link_target_of(const struct net_ep *asker, const char *name, char *buf,
                                  size_t size)
{
    size_t i;
    json_t *v;
    json_array_foreach (asker->links, i, v) {
        const char *l = json_string_value(v);
        const char *colon = l ? strchr(l, ':') : NULL;
        const char *alias = colon ? colon + 1 : l;
        if (!alias || strcasecmp(alias, name) != 0)
            continue;
        snprintf(buf, size, "%.*s", (int)(colon ? (size_t)(colon - l) : strlen(l)), l);
        return buf[0] == '/' ? buf + 1 : buf;
    }
    return NULL;
}

/* The names a container at `client` can resolve: those of the endpoints on the user-defined
 * networks it is on itself, and the aliases of its links there. */
size_t net_dns_lookup(void *ctx, uint32_t client, const char *name, uint32_t *out, size_t max)
{
    struct net_store *s = ctx;
    size_t found = 0;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n && found < max; i++) {
        struct net_network *n = s->nets[i];
        if (n->kind != NET_KIND_BRIDGE || n->predefined)
            continue;
        const struct net_ep *asker = NULL;
        for (size_t j = 0; j < n->neps && !asker; j++)
            if (n->eps[j].ip == client)
                asker = &n->eps[j];
        if (!asker)
            continue;
        char buf[256];
        const char *target = link_target_of(asker, name, buf, sizeof(buf));
        for (size_t j = 0; j < n->neps && found < max; j++)
            if (ep_answers(&n->eps[j], target ? target : name))
                out[found++] = n->eps[j].ip;
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

/* ---- checks of a create's or connect's settings ---- */

char *net_join_errors(char *const *msgs, size_t n)
{
    if (n == 1)
        return bt_xstrdup(msgs[0]);
    struct bt_strbuf b = BT_STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        bt_strbuf_append(&b, i ? "\n* " : "* ");
        for (const char *c = msgs[i]; *c; c++) {
            bt_strbuf_append_c(&b, *c);
            if (*c == '\n')
                bt_strbuf_append_c(&b, '\t');
        }
    }
    return bt_strbuf_steal(&b);
}

/* NetworkMode(name).IsUserDefined() */
static bool user_defined(const char *name)
{
    return strcmp(name, "default") != 0 && strcmp(name, "bridge") != 0 &&
           strcmp(name, "host") != 0 && strcmp(name, "none") != 0 &&
           strncmp(name, "container:", 10) != 0;
}

/* Go's net.ParseIP: 4 = an IPv4 address (or an IPv4-mapped IPv6 one: To4() is not nil, and
 * *v4 is set), 6 = IPv6, 0 = not an address; *unspecified for 0.0.0.0 and ::. */
static int parse_ip(const char *s, uint32_t *v4, bool *unspecified)
{
    struct in_addr a;
    struct in6_addr a6;
    if (inet_pton(AF_INET, s, &a) == 1) {
        *v4 = ntohl(a.s_addr);
        *unspecified = *v4 == 0;
        return 4;
    }
    if (inet_pton(AF_INET6, s, &a6) != 1)
        return 0;
    if (IN6_IS_ADDR_V4MAPPED(&a6)) {
        memcpy(v4, &a6.s6_addr[12], 4);
        *v4 = ntohl(*v4);
        *unspecified = *v4 == 0;
        return 4;
    }
    *unspecified = IN6_IS_ADDR_UNSPECIFIED(&a6);
    return 6;
}

struct reasons {
    char *msg[8];
    size_t n;
};

static void reason(struct reasons *r, char *msg)
{
    if (r->n < sizeof(r->msg) / sizeof(r->msg[0]))
        r->msg[r->n++] = msg;
    else
        free(msg);
}

/* EndpointIPAMConfig.Validate */
static void check_addresses(struct reasons *r, const json_t *ipam)
{
    uint32_t v4;
    bool unspec;
    const char *a4 = bt_json_get_str(ipam, "IPv4Address", "");
    if (*a4 && (parse_ip(a4, &v4, &unspec) != 4 || unspec))
        reason(r, bt_xasprintf("invalid IPv4 address: %s", a4));
    const char *a6 = bt_json_get_str(ipam, "IPv6Address", "");
    if (*a6 && (parse_ip(a6, &v4, &unspec) != 6 || unspec))
        reason(r, bt_xasprintf("invalid IPv6 address: %s", a6));
    size_t i;
    json_t *v;
    json_array_foreach (bt_json_get_arr(ipam, "LinkLocalIPs"), i, v) {
        const char *l = json_string_value(v) ? json_string_value(v) : "";
        if (!parse_ip(l, &v4, &unspec) || unspec)
            reason(r, bt_xasprintf("invalid link-local IP address: %s", l));
    }
}

/* EndpointIPAMConfig.IsInRange: an address must be in a subnet the network was configured
 * with (the default bridge's counts: dockerd gives it --bip as a preferred pool); there are
 * no IPv6 subnets. */
static void check_in_range(struct reasons *r, const struct net_network *n, const json_t *ipam)
{
    const char *a4 = bt_json_get_str(ipam, "IPv4Address", "");
    const char *a6 = bt_json_get_str(ipam, "IPv6Address", "");
    bool configured = n->ipam && (n->user_subnet || n->predefined);
    if (*a4 && configured) {
        uint32_t ip = 0;
        bool unspec;
        int len = net_ipam_prefix_len(n->ipam);
        uint32_t mask = len ? 0xffffffffu << (32 - len) : 0;
        if (parse_ip(a4, &ip, &unspec) != 4 || (ip & mask) != net_ipam_subnet(n->ipam))
            reason(r,
                   bt_xasprintf("no configured subnet or ip-range contain the IP address %s", a4));
    }
    if ((*a4 && !configured) || *a6)
        reason(r, bt_xstrdup("user specified IP address is supported only when connecting to "
                             "networks with user configured subnets"));
}

int net_endpoint_check(struct net_store *s, const char *network, const json_t *config, bt_err **err)
{
    const json_t *ipam = bt_json_get_obj(config, "IPAMConfig");
    struct reasons r = {0};
    if (!user_defined(network)) {
        if (*bt_json_get_str(ipam, "IPv4Address", "") || *bt_json_get_str(ipam, "IPv6Address", ""))
            reason(&r, bt_xstrdup("user specified IP address is supported on user defined "
                                  "networks only"));
        if (json_array_size(bt_json_get_arr(config, "Aliases")))
            reason(&r, bt_xstrdup("network-scoped alias is supported only for containers in "
                                  "user defined networks"));
    }
    check_addresses(&r, ipam);
    pthread_mutex_lock(&s->lock);
    const struct net_network *n = net_find(s, network);
    if (n && n->kind == NET_KIND_BRIDGE)
        check_in_range(&r, n, ipam);
    pthread_mutex_unlock(&s->lock);
    int rc = 0;
    const char *mac = bt_json_get_str(config, "MacAddress", "");
    uint8_t m[6];
    if (*mac && net_mac_parse(mac, m, NULL) < 0) {
        /* dockerd returns this one alone, without the others */
        rc = bt_err_set(err, BT_E_INVALID, "invalid MAC address %s", mac);
    } else if (r.n) {
        bt_autofree char *joined = net_join_errors(r.msg, r.n);
        rc = bt_err_set(err, BT_E_INVALID, "invalid endpoint settings:\n%s", joined);
    }
    for (size_t i = 0; i < r.n; i++)
        free(r.msg[i]);
    return rc;
}
