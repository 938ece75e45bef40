/* SPDX-License-Identifier: Apache-2.0 */
/* The network store: records, the predefined networks, create/inspect/list/remove (network.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest/engine/events/events.h"
#include "guest/engine/network/nat.h"
#include "guest/engine/network/netdev.h"
#include "guest/engine/network/network-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/crypto/digest.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

#define DEFAULT_BRIDGE "berth0"
#define DEFAULT_BIP    "172.17.0.1/16"

static void network_free(struct net_network *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->neps; i++)
        net_ep_clear(&n->eps[i]);
    free(n->eps);
    net_ipam_free(n->ipam);
    json_decref(n->rec);
    free(n);
}

static char *now_rfc3339_nano(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char buf[64];
    size_t len = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + len, sizeof(buf) - len, ".%09ldZ", ts.tv_nsec);
    return bt_xstrdup(buf);
}

static json_t *first_ipam_config(const json_t *rec)
{
    json_t *cfg = bt_json_get_arr(bt_json_get_obj(rec, "IPAM"), "Config");
    return json_array_size(cfg) ? json_array_get(cfg, 0) : NULL;
}

/* Fill the in-memory view of a record (kind, bridge, IPAM, endpoints). */
static struct net_network *network_from_record(json_t *rec, bt_err **err)
{
    struct net_network *n = bt_xzalloc(sizeof(*n));
    n->rec = rec;
    n->id = bt_json_get_str(rec, "Id", "");
    n->name = bt_json_get_str(rec, "Name", "");
    const char *driver = bt_json_get_str(rec, "Driver", "");
    n->kind = strcmp(driver, "host") == 0   ? NET_KIND_HOST
              : strcmp(driver, "null") == 0 ? NET_KIND_NULL
                                            : NET_KIND_BRIDGE;
    n->predefined = strcmp(n->name, "bridge") == 0 || strcmp(n->name, "host") == 0 ||
                    strcmp(n->name, "none") == 0;
    n->user_subnet = bt_json_get_bool(rec, "BerthUserSubnet", false);
    if (n->kind != NET_KIND_BRIDGE)
        return n;
    const char *br =
            bt_json_get_str(bt_json_get_obj(rec, "Options"), "com.docker.network.bridge.name", "");
    if (*br)
        snprintf(n->bridge, sizeof(n->bridge), "%s", br);
    else
        snprintf(n->bridge, sizeof(n->bridge), "br-%.12s", n->id);
    const json_t *c = first_ipam_config(rec);
    n->ipam = net_ipam_new(bt_json_get_str(c, "Subnet", ""), bt_json_get_str(c, "Gateway", ""),
                           bt_json_get_str(c, "IPRange", ""), err);
    if (!n->ipam || net_eps_load(n, err) < 0) {
        bt_err_wrap(err, "network %s", n->name);
        network_free(n);
        return NULL;
    }
    return n;
}

static char *record_path(const struct net_store *s, const char *id)
{
    return bt_xasprintf("%s/%s.json", s->dir, id);
}

int net_save(struct net_store *s, struct net_network *n, bt_err **err)
{
    json_t *eps = json_object();
    for (size_t i = 0; i < n->neps; i++)
        json_object_set_new(eps, n->eps[i].ctr_id, net_ep_record(&n->eps[i], n));
    json_object_set_new(n->rec, "Endpoints", eps);
    bt_autofree char *path = record_path(s, n->id);
    return bt_json_save_file(path, n->rec, 0600, err);
}

struct net_network *net_find(struct net_store *s, const char *ref)
{
    if (!ref || !*ref)
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->nets[i]->name, ref) == 0 || strcmp(s->nets[i]->id, ref) == 0)
            return s->nets[i];
    /* a unique id prefix, as dockerd's FindNetwork */
    struct net_network *found = NULL;
    size_t len = strlen(ref);
    for (size_t i = 0; i < s->n; i++) {
        if (strncmp(s->nets[i]->id, ref, len) != 0)
            continue;
        if (found)
            return NULL;
        found = s->nets[i];
    }
    return found;
}

struct net_network *net_find_bridge_of(struct net_store *s, uint32_t ip)
{
    for (size_t i = 0; i < s->n; i++) {
        struct net_network *n = s->nets[i];
        if (n->ipam) {
            uint32_t mask = ~0u << (32 - net_ipam_prefix_len(n->ipam));
            if ((ip & mask) == net_ipam_subnet(n->ipam))
                return n;
        }
    }
    return NULL;
}

static void add_network(struct net_store *s, struct net_network *n)
{
    s->nets = bt_xrealloc(s->nets, (s->n + 1) * sizeof(*s->nets));
    s->nets[s->n++] = n;
}

static int load_all(struct net_store *s, bt_err **err)
{
    DIR *d = opendir(s->dir);
    if (!d)
        return bt_err_errno(err, errno, "open \"%s\"", s->dir);
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        bt_autofree char *path = bt_xasprintf("%s/%s", s->dir, de->d_name);
        json_t *rec = bt_json_load_file(path, err);
        if (!rec) {
            rc = -1;
            break;
        }
        struct net_network *n = network_from_record(rec, err);
        if (!n)
            rc = -1;
        else
            add_network(s, n);
    }
    closedir(d);
    return rc;
}

static json_t *new_record(const char *name, const char *driver, json_t *ipam_config,
                          json_t *options)
{
    bt_autofree char *id = bt_random_hex(32);
    bt_autofree char *created = now_rfc3339_nano();
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:o, s:o}, s:b, s:b, s:b, s:{s:s},"
                     " s:b, s:o, s:o}",
                     "Name", name, "Id", id, "Created", created, "Scope", "local", "Driver", driver,
                     "EnableIPv6", 0, "IPAM", "Driver", "default", "Options", json_null(), "Config",
                     ipam_config, "Internal", 0, "Attachable", 0, "Ingress", 0, "ConfigFrom",
                     "Network", "", "ConfigOnly", 0, "Options", options, "Labels", json_object());
}

/* The default bridge's subnet and gateway from --bip ("172.17.0.1/16"). */
static json_t *bip_config(const char *bip, bt_err **err)
{
    bt_autofree char *copy = bt_xstrdup(bip);
    char *slash = strchr(copy, '/');
    uint32_t addr = 0;
    int len = 0;
    if (slash)
        *slash = '\0';
    if (!slash || net_ip_parse(copy, &addr, NULL) < 0)
        return bt_err_set(err, BT_E_INVALID, "invalid --bip: %s", bip), NULL;
    char *end = NULL;
    len = (int)strtol(slash + 1, &end, 10);
    if (*end || len < 1 || len > 30)
        return bt_err_set(err, BT_E_INVALID, "invalid --bip: %s", bip), NULL;
    uint32_t net = addr & (~0u << (32 - len));
    char sub[16], gw[16];
    net_ip_format(net, sub);
    net_ip_format(addr, gw);
    bt_autofree char *subnet = bt_xasprintf("%s/%d", sub, len);
    return json_pack("[{s:s, s:s}]", "Subnet", subnet, "Gateway", gw);
}

static json_t *default_bridge_options(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "com.docker.network.bridge.default_bridge",
                     "true", "com.docker.network.bridge.enable_icc", "true",
                     "com.docker.network.bridge.enable_ip_masquerade", "true",
                     "com.docker.network.bridge.host_binding_ipv4", "0.0.0.0",
                     "com.docker.network.bridge.name", DEFAULT_BRIDGE,
                     "com.docker.network.driver.mtu", "1500");
}

static bool overlaps_any(struct net_store *s, uint32_t net, int len);

/* Without --bip: 172.17.0.1/16 as dockerd, unless the host routes that subnet already (a
 * dockerd's docker0 beside Berth, a VPN); then the first free one of the pools user networks
 * take from. */
static json_t *default_bip(struct net_store *s, bt_err **err)
{
    for (int i = 17; i <= 31; i++) {
        uint32_t net = (172u << 24) | ((uint32_t)i << 16);
        if (overlaps_any(s, net, 16))
            continue;
        char gw[16];
        net_ip_format(net + 1, gw);
        bt_autofree char *bip = bt_xasprintf("%s/16", gw);
        return bip_config(bip, err);
    }
    return bip_config(DEFAULT_BIP, err);
}

/* "bridge" (when enabled), "host" and "none": made once, kept; --bip applies at every start. */
static int ensure_predefined(struct net_store *s, const char *bip, bt_err **err)
{
    static const char *const names[] = {"bridge", "host", "none"};
    static const char *const drivers[] = {"bridge", "host", "null"};
    for (size_t i = 0; i < 3; i++) {
        if (i == 0 && s->disable_bridge)
            continue;
        struct net_network *n = net_find(s, names[i]);
        if (n && (i != 0 || !bip))
            continue; /* made before; the default bridge moves only for a new --bip */
        json_t *cfg = i != 0 ? json_array() : bip ? bip_config(bip, err) : default_bip(s, err);
        if (!cfg)
            return -1;
        if (n && i == 0 &&
            !json_equal(cfg, bt_json_get_arr(bt_json_get_obj(n->rec, "IPAM"), "Config"))) {
            /* a new --bip: the default bridge moves (its endpoints went with the restart) */
            json_object_set(bt_json_get_obj(n->rec, "IPAM"), "Config", cfg);
            json_object_del(n->rec, "Endpoints");
            json_t *rec = json_incref(n->rec);
            for (size_t j = 0; j < s->n; j++)
                if (s->nets[j] == n)
                    s->nets[j] = s->nets[--s->n];
            network_free(n);
            n = network_from_record(rec, err);
            if (!n)
                return json_decref(cfg), -1;
            add_network(s, n);
            json_decref(cfg);
            if (net_save(s, n, err) < 0)
                return -1;
            continue;
        }
        if (n) {
            json_decref(cfg);
            continue;
        }
        json_t *rec = new_record(names[i], drivers[i], cfg,
                                 i == 0 ? default_bridge_options() : json_object());
        n = network_from_record(rec, err);
        if (!n)
            return -1;
        add_network(s, n);
        if (net_save(s, n, err) < 0)
            return -1;
    }
    return 0;
}

static bool has_bridges(const struct net_store *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->nets[i]->kind == NET_KIND_BRIDGE)
            return true;
    return false;
}

/* Bring up every bridge, the forwarding sysctls, and the DNS server on user networks. */
static int bring_up(struct net_store *s, bt_err **err)
{
    if (s->no_host || !has_bridges(s))
        return 0; /* --bridge none and no networks: nothing of the host's is touched */
    if (net_sysctl_set("net/ipv4/ip_forward", "1", err) < 0)
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        struct net_network *n = s->nets[i];
        if (n->kind != NET_KIND_BRIDGE)
            continue;
        if (net_bridge_ensure(n->bridge, net_ipam_gateway(n->ipam), net_ipam_prefix_len(n->ipam), 0,
                              err) < 0)
            return -1;
        if (!n->predefined && net_dns_listen(s->dns, net_ipam_gateway(n->ipam), err) < 0)
            return -1;
    }
    net_sync_nat(s);
    return 0;
}

struct net_store *net_store_open(const struct net_store_opts *o, bt_err **err)
{
    if (bt_mkdir_p(o->dir, 0700, err) < 0)
        return NULL;
    struct net_store *s = bt_xzalloc(sizeof(*s));
    s->dir = bt_xstrdup(o->dir);
    s->no_host = o->no_host_changes;
    s->disable_bridge = o->disable_bridge;
    s->ephemeral_lo = o->ephemeral_lo;
    s->ephemeral_hi = o->ephemeral_hi;
    if (!s->ephemeral_lo || s->ephemeral_hi < s->ephemeral_lo)
        net_ephemeral_range(&s->ephemeral_lo, &s->ephemeral_hi);
    pthread_mutex_init(&s->lock, NULL);
    if (load_all(s, err) < 0 || ensure_predefined(s, o->bip, err) < 0)
        goto fail;
    if (!s->no_host) {
        s->dns = net_dns_start(net_dns_lookup, s, err);
        if (!s->dns)
            goto fail;
    }
    if (bring_up(s, err) < 0)
        goto fail;
    return s;
fail:
    net_store_close(s);
    return NULL;
}

void net_store_close(struct net_store *s)
{
    if (!s)
        return;
    if (s->dns)
        net_dns_stop(s->dns);
    net_ports_close_all(s);
    for (size_t i = 0; i < s->n; i++)
        network_free(s->nets[i]);
    free(s->nets);
    pthread_mutex_destroy(&s->lock);
    free(s->dir);
    free(s);
}

/* ---- nftables ---- */

void net_sync_nat(struct net_store *s)
{
    if (s->no_host)
        return;
    if (!has_bridges(s)) {
        bt_autoerr bt_err *ferr = NULL;
        if (net_nat_flush(&ferr) < 0)
            bt_warn("network: %s", bt_err_msg(ferr));
        return;
    }
    struct net_nat_bridge *br = bt_xzalloc((s->n + 1) * sizeof(*br));
    size_t nb = 0;
    for (size_t i = 0; i < s->n; i++) {
        struct net_network *n = s->nets[i];
        if (n->kind != NET_KIND_BRIDGE)
            continue;
        const json_t *opts = bt_json_get_obj(n->rec, "Options");
        br[nb++] = (struct net_nat_bridge){
                .bridge = n->bridge,
                .subnet = net_ipam_subnet(n->ipam),
                .prefix_len = net_ipam_prefix_len(n->ipam),
                .masquerade = !bt_json_get_bool(n->rec, "Internal", false) &&
                              strcmp(bt_json_get_str(opts,
                                                     "com.docker.network.bridge."
                                                     "enable_ip_masquerade",
                                                     "true"),
                                     "false") != 0,
                .icc = strcmp(bt_json_get_str(opts, "com.docker.network.bridge.enable_icc", "true"),
                              "false") != 0,
        };
    }
    struct net_nat_port *p = bt_xzalloc((s->nports + 1) * sizeof(*p));
    for (size_t i = 0; i < s->nports; i++) {
        struct net_held_port *h = &s->ports[i];
        p[i] = (struct net_nat_port){.proto = h->proto,
                                     .host_ip = h->host_ip,
                                     .host_port = h->host_port,
                                     .ctr_ip = h->ctr_ip,
                                     .ctr_port = h->ctr_port,
                                     .bridge = h->bridge};
    }
    struct net_nat_state st = {.bridges = br, .n_bridges = nb, .ports = p, .n_ports = s->nports};
    bt_autoerr bt_err *err = NULL;
    if (net_nat_apply(&st, &err) < 0)
        bt_error("network: %s", bt_err_msg(err));
    free(br);
    free(p);
}

/* ---- create ---- */

/* A route on a bridge of ours (one a previous berthd made) is no one else's. */
static bool is_our_bridge(const struct net_store *s, const char *ifname)
{
    if (strcmp(ifname, DEFAULT_BRIDGE) == 0)
        return true;
    for (size_t i = 0; i < s->n; i++)
        if (s->nets[i]->kind == NET_KIND_BRIDGE && strcmp(s->nets[i]->bridge, ifname) == 0)
            return true;
    return false;
}

/* dockerd's default address pools for local networks: 172.17-31.0.0/16, then 192.168.0.0/20
 * stepping by /20; the first that overlaps no network of ours and no route of the host. */
static bool overlaps_any(struct net_store *s, uint32_t net, int len)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->nets[i]->ipam && net_cidr_overlap(net, len, net_ipam_subnet(s->nets[i]->ipam),
                                                 net_ipam_prefix_len(s->nets[i]->ipam)))
            return true;
    FILE *f = fopen("/proc/net/route", "re");
    if (!f)
        return false;
    char line[256];
    bool hit = false;
    while (!hit && fgets(line, sizeof(line), f)) {
        char ifname[32];
        unsigned dst, gw, flags, refcnt, use, metric, mask;
        if (sscanf(line, "%31s %x %x %x %u %u %u %x", ifname, &dst, &gw, &flags, &refcnt, &use,
                   &metric, &mask) != 8 ||
            mask == 0 || is_our_bridge(s, ifname))
            continue;
        /* /proc/net/route is in network byte order, printed as a little-endian word */
        uint32_t d = __builtin_bswap32(dst), m = __builtin_bswap32(mask);
        int mlen = __builtin_popcount(m);
        hit = net_cidr_overlap(net, len, d, mlen);
    }
    fclose(f);
    return hit;
}

static json_t *pick_subnet(struct net_store *s, bt_err **err)
{
    for (int i = 17; i <= 31 + 16; i++) {
        uint32_t net = i <= 31 ? (172u << 24) | ((uint32_t)i << 16)
                               : (192u << 24) | (168u << 16) | ((uint32_t)(i - 32) << 12);
        int len = i <= 31 ? 16 : 20;
        if (overlaps_any(s, net, len))
            continue;
        char sub[16], gw[16];
        net_ip_format(net, sub);
        net_ip_format(net + 1, gw);
        bt_autofree char *subnet = bt_xasprintf("%s/%d", sub, len);
        return json_pack("[{s:s, s:s}]", "Subnet", subnet, "Gateway", gw);
    }
    bt_err_set(err, BT_E_FORBIDDEN,
               "could not find an available, non-overlapping IPv4 address pool among the "
               "defaults to assign to the network");
    return NULL;
}

/* The IPv4 entries of the request's IPAM.Config, each with its gateway filled in. */
static json_t *user_ipam_config(struct net_store *s, const json_t *ipam, bool *user, bt_err **err)
{
    json_t *out = json_array();
    size_t i;
    json_t *c;
    json_array_foreach (bt_json_get_arr(ipam, "Config"), i, c) {
        const char *subnet = bt_json_get_str(c, "Subnet", "");
        if (strchr(subnet, ':'))
            continue; /* IPv6 is not served: dockerd too without --ipv6 */
        if (!*subnet)
            return json_decref(out), bt_err_set(err, BT_E_INVALID, "ipam config has no subnet"),
                   NULL;
        uint32_t net;
        int len;
        if (net_cidr_parse(subnet, &net, &len, err) < 0)
            return json_decref(out), NULL;
        if (overlaps_any(s, net, len))
            return json_decref(out),
                   bt_err_set(err, BT_E_FORBIDDEN,
                              "invalid pool request: Pool overlaps with other one on this "
                              "address space"),
                   NULL;
        json_t *e = json_pack("{s:s}", "Subnet", subnet);
        const char *range = bt_json_get_str(c, "IPRange", "");
        if (*range)
            bt_json_set_str(e, "IPRange", range);
        /* net_ipam_new checks the gateway and range against the subnet */
        struct net_ipam *probe =
                net_ipam_new(subnet, bt_json_get_str(c, "Gateway", ""), range, err);
        if (!probe)
            return json_decref(e), json_decref(out), NULL;
        char gw[16];
        bt_json_set_str(e, "Gateway", net_ip_format(net_ipam_gateway(probe), gw));
        net_ipam_free(probe);
        json_array_append_new(out, e);
        *user = true;
        break; /* one IPv4 pool per network */
    }
    if (json_array_size(out))
        return out;
    json_decref(out);
    return pick_subnet(s, err);
}

static int check_create(struct net_store *s, const struct net_create_req *r, bt_err **err)
{
    const char *driver = r->driver && *r->driver ? r->driver : "bridge";
    if (strcmp(driver, "bridge") != 0) {
        if (strcmp(driver, "host") == 0 || strcmp(driver, "null") == 0)
            return bt_err_set(err, BT_E_FORBIDDEN, "only one instance of \"%s\" network is allowed",
                              driver);
        return bt_err_set(err, BT_E_NOT_FOUND, "plugin \"%s\" not found", driver);
    }
    if (!r->name || !*r->name)
        return bt_err_set(err, BT_E_INVALID, "network name must not be empty");
    if (net_find(s, r->name) && (strcmp(net_find(s, r->name)->name, r->name) == 0))
        return bt_err_set(err, BT_E_CONFLICT, "network with name %s already exists", r->name);
    /* the default IPAM driver is the only one; dockerd looks any other up as a plugin */
    const char *ipam_driver = bt_json_get_str(r->ipam, "Driver", "");
    if (*ipam_driver && strcmp(ipam_driver, "default") != 0)
        return bt_err_set(err, BT_E_NOT_FOUND, "plugin \"%s\" not found", ipam_driver);
    return 0;
}

char *net_create(struct net_store *s, const struct net_create_req *r, bt_err **err)
{
    pthread_mutex_lock(&s->lock);
    char *id = NULL;
    bool user = false;
    json_t *cfg = NULL;
    if (net_ipam_validate(r->ipam, r->enable_ipv6, err) < 0 || check_create(s, r, err) < 0 ||
        !(cfg = user_ipam_config(s, r->ipam, &user, err)))
        goto out;
    json_t *opts = json_is_object(r->options) ? json_deep_copy(r->options) : json_object();
    json_t *rec = new_record(r->name, "bridge", cfg, opts);
    json_object_set_new(rec, "Labels",
                        json_is_object(r->labels) ? json_deep_copy(r->labels) : json_object());
    bt_json_set_bool(rec, "Internal", r->internal);
    bt_json_set_bool(rec, "Attachable", r->attachable);
    bt_json_set_bool(rec, "EnableIPv6", r->enable_ipv6);
    json_t *ipam_opts = bt_json_get_obj(r->ipam, "Options");
    json_object_set_new(bt_json_get_obj(rec, "IPAM"), "Options",
                        json_is_object(ipam_opts) ? json_deep_copy(ipam_opts) : json_object());
    bt_json_set_bool(rec, "BerthUserSubnet", user);
    struct net_network *n = network_from_record(rec, err);
    if (!n)
        goto out;
    if (!s->no_host && (net_sysctl_set("net/ipv4/ip_forward", "1", err) < 0 ||
                        net_bridge_ensure(n->bridge, net_ipam_gateway(n->ipam),
                                          net_ipam_prefix_len(n->ipam), 0, err) < 0 ||
                        net_dns_listen(s->dns, net_ipam_gateway(n->ipam), err) < 0)) {
        net_link_delete(n->bridge, NULL);
        network_free(n);
        goto out;
    }
    if (net_save(s, n, err) < 0) {
        if (!s->no_host) {
            net_dns_unlisten(s->dns, net_ipam_gateway(n->ipam));
            net_link_delete(n->bridge, NULL);
        }
        network_free(n);
        goto out;
    }
    add_network(s, n);
    net_sync_nat(s);
    id = bt_xstrdup(n->id);
    events_emit("network", "create", n->id,
                (const char *const[]){"name", n->name, "type", "bridge", NULL});
out:
    pthread_mutex_unlock(&s->lock);
    return id;
}

/* ---- inspect, list, remove ---- */

static json_t *view(const struct net_network *n)
{
    json_t *v = json_deep_copy(n->rec);
    json_object_del(v, "Endpoints");
    json_object_del(v, "BerthUserSubnet");
    json_t *ctrs = json_object();
    for (size_t i = 0; i < n->neps; i++) {
        const struct net_ep *e = &n->eps[i];
        char ip[16];
        bt_autofree char *cidr =
                bt_xasprintf("%s/%d", net_ip_format(e->ip, ip), net_ipam_prefix_len(n->ipam));
        json_object_set_new(ctrs, e->ctr_id,
                            json_pack("{s:s, s:s, s:s, s:s, s:s}", "Name", e->ctr_name,
                                      "EndpointID", e->endpoint_id, "MacAddress", e->mac,
                                      "IPv4Address", cidr, "IPv6Address", ""));
    }
    json_object_set_new(v, "Containers", ctrs);
    return v;
}

json_t *net_inspect(struct net_store *s, const char *ref, bt_err **err)
{
    pthread_mutex_lock(&s->lock);
    struct net_network *n = net_find(s, ref);
    json_t *v = n ? view(n) : NULL;
    pthread_mutex_unlock(&s->lock);
    if (!v)
        bt_err_set(err, BT_E_NOT_FOUND, "network %s not found", ref);
    return v;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "Name")),
                  json_string_value(json_object_get(*(json_t *const *)b, "Name")));
}

json_t *net_list(struct net_store *s)
{
    pthread_mutex_lock(&s->lock);
    json_t **v = bt_xzalloc((s->n + 1) * sizeof(*v));
    for (size_t i = 0; i < s->n; i++)
        v[i] = view(s->nets[i]);
    size_t n = s->n;
    pthread_mutex_unlock(&s->lock);
    qsort(v, n, sizeof(*v), by_name);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, v[i]);
    free(v);
    return out;
}

int net_resolve(struct net_store *s, const char *ref, char **name, char **id, bt_err **err)
{
    pthread_mutex_lock(&s->lock);
    struct net_network *n = net_find(s, ref);
    if (n) {
        if (name)
            *name = bt_xstrdup(n->name);
        if (id)
            *id = bt_xstrdup(n->id);
    }
    pthread_mutex_unlock(&s->lock);
    if (!n)
        return bt_err_set(err, BT_E_NOT_FOUND, "network %s not found", ref);
    return 0;
}

int net_remove(struct net_store *s, const char *ref, bt_err **err)
{
    pthread_mutex_lock(&s->lock);
    int rc = -1;
    bt_autofree char *path = NULL;
    struct net_network *n = net_find(s, ref);
    if (!n) {
        bt_err_set(err, BT_E_NOT_FOUND, "network %s not found", ref);
        goto out;
    }
    if (n->predefined) {
        bt_err_set(err, BT_E_FORBIDDEN, "%s is a pre-defined network and cannot be removed",
                   n->name);
        goto out;
    }
    if (n->neps) {
        /* libnetwork's ActiveEndpointsError, each endpoint by name and short id */
        bt_autostrbuf struct bt_strbuf eps = BT_STRBUF_INIT;
        for (size_t i = 0; i < n->neps; i++)
            bt_strbuf_appendf(&eps, "%sname:\"%s\" id:\"%.12s\"", i ? ", " : "", n->eps[i].ctr_name,
                              n->eps[i].endpoint_id);
        bt_err_set(err, BT_E_FORBIDDEN,
                   "error while removing network: network %s has active endpoints (%s)", n->name,
                   bt_strbuf_str(&eps));
        goto out;
    }
    path = record_path(s, n->id);
    if (unlink(path) < 0 && errno != ENOENT) {
        bt_err_errno(err, errno, "remove \"%s\"", path);
        goto out;
    }
    if (!s->no_host) {
        net_dns_unlisten(s->dns, net_ipam_gateway(n->ipam));
        bt_autoerr bt_err *e2 = NULL;
        if (net_link_delete(n->bridge, &e2) < 0)
            bt_warn("network %s: %s", n->name, bt_err_msg(e2));
    }
    for (size_t i = 0; i < s->n; i++)
        if (s->nets[i] == n)
            s->nets[i] = s->nets[--s->n];
    events_emit("network", "destroy", n->id,
                (const char *const[]){"name", n->name, "type", "bridge", NULL});
    network_free(n);
    net_sync_nat(s);
    rc = 0;
out:
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* ---- the containers' view ---- */

bool net_dns_server(struct net_store *s, const char *network, char out[16])
{
    pthread_mutex_lock(&s->lock);
    struct net_network *n = net_find(s, network);
    bool yes = n && n->kind == NET_KIND_BRIDGE && !n->predefined;
    if (yes)
        net_ip_format(net_ipam_gateway(n->ipam), out);
    pthread_mutex_unlock(&s->lock);
    return yes;
}

bool net_is_default_bridge(struct net_store *s, const char *network)
{
    pthread_mutex_lock(&s->lock);
    struct net_network *n = net_find(s, network);
    bool yes = n && n->predefined && n->kind == NET_KIND_BRIDGE;
    pthread_mutex_unlock(&s->lock);
    return yes;
}

const char *net_default_name(struct net_store *s)
{
    return s->disable_bridge ? "none" : "bridge";
}
