/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A container's networking (container-internal.h): the networks a create asks for, checked and
 * kept in the record's NetworkSettings; at start a network namespace of its own (a file under
 * <exec-root>/netns), an endpoint on each network, the published ports, and the legacy links'
 * environment and hosts entries; at exit all of it undone.
 *
 * The record's NetworkSettings.Networks holds, per network name, the EndpointSettings the
 * create or a connect asked for (IPAMConfig, Aliases, Links, MacAddress) and, while the
 * container runs, what it got (NetworkID, EndpointID, Gateway, IPAddress, ...), as dockerd
 * keeps them; NetworkSettings.Ports and SandboxKey only while it runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest/engine/container/container-internal.h"
#include "guest/engine/network/netdev.h"
#include "guest/engine/network/network.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

/* What a NetworkMode names: a network of the store, or "" for host, none and container:X. */
static const char *mode_network(struct ctr_manager *m, const char *mode)
{
    if (!*mode || strcmp(mode, "default") == 0)
        return m->networks ? net_default_name(m->networks) : "none";
    if (strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0 ||
        strncmp(mode, "container:", 10) == 0)
        return "";
    return mode;
}

bool ctr_net_own_namespace(const json_t *hc)
{
    const char *mode = bt_json_get_str(hc, "NetworkMode", "");
    return strcmp(mode, "host") != 0 && strncmp(mode, "container:", 10) != 0;
}

/* "db" or "db:alias" -> "/db:/NAME/alias", the target checked: dockerd's registerLinks. */
static int normalize_links(struct ctr_manager *m, json_t *hc, bt_err **err)
{
    json_t *links = bt_json_get_arr(hc, "Links");
    if (!json_array_size(links))
        return 0;
    const char *mode = bt_json_get_str(hc, "NetworkMode", "");
    if (strcmp(mode, "host") == 0)
        return bt_err_set(err, BT_E_INVALID,
                          "conflicting options: host type networking can't be used with links. "
                          "This would result in undefined behavior");
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach (links, i, v) {
        const char *l = json_string_value(v);
        if (!l || !*l)
            continue;
        bt_autofree char *target = bt_xstrdup(l[0] == '/' ? l + 1 : l);
        char *colon = strchr(target, ':');
        const char *alias = colon ? colon + 1 : target;
        if (colon)
            *colon = '\0';
        if (alias[0] == '/')
            alias = strrchr(alias, '/') + 1;
        bt_autoptr(ctr) t = ctr_get(m, target, NULL);
        if (!t) {
            json_decref(out);
            return bt_err_set(err, BT_E_INVALID, "could not get container for %s", target);
        }
        json_array_append_new(out, json_sprintf("%s:%s", t->name, alias));
    }
    json_object_set_new(hc, "Links", out);
    return 0;
}

void ctr_net_name_links(json_t *hc, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach (bt_json_get_arr(hc, "Links"), i, v) {
        const char *l = json_string_value(v);
        const char *colon = l ? strchr(l, ':') : NULL;
        if (!colon || strchr(colon + 1, '/'))
            continue;
        json_array_set_new(bt_json_get_arr(hc, "Links"), i,
                           json_sprintf("%.*s:%s/%s", (int)(colon - l), l, name, colon + 1));
    }
}

/* A create naming a network that does not exist: a 400, not dockerd's 404, which the docker
 * CLI takes for a missing image (it pulls, and a failing pull hides the network's error). */
static int as_invalid(bt_err **err)
{
    bt_autofree char *msg = bt_xstrdup(bt_err_msg(*err));
    bt_err_clear(err);
    return bt_err_set(err, BT_E_INVALID, "%s", msg);
}

/* dockerd's validateNetworkingConfig: each endpoint's settings checked for the network its key
 * names, before anything else of the networks; every complaint, joined. */
static int check_endpoints(struct ctr_manager *m, const json_t *eps, bt_err **err)
{
    size_t n = 0, cap = json_object_size(eps);
    char **msgs = bt_xzalloc((cap + 1) * sizeof(*msgs));
    const char *k;
    json_t *v;
    json_object_foreach ((json_t *)eps, k, v) {
        bt_autoerr bt_err *e = NULL;
        if (json_is_null(v))
            msgs[n++] = bt_xasprintf("invalid config for network %s: EndpointsConfig is nil", k);
        else if (net_endpoint_check(m->networks, k, v, &e) < 0)
            msgs[n++] = bt_xasprintf("invalid config for network %s: %s", k, bt_err_msg(e));
    }
    int rc = 0;
    if (n) {
        bt_autofree char *joined = net_join_errors(msgs, n);
        rc = bt_err_set(err, BT_E_INVALID, "%s", joined);
    }
    for (size_t i = 0; i < n; i++)
        free(msgs[i]);
    free(msgs);
    return rc;
}

int ctr_net_create(struct ctr_manager *m, json_t *hc, const json_t *body, json_t **settings,
                   bt_err **err)
{
    const char *mode = bt_json_get_str(hc, "NetworkMode", "");
    json_t *eps = bt_json_get_obj(bt_json_get_obj(body, "NetworkingConfig"), "EndpointsConfig");
    *settings = NULL;
    if (m->networks && check_endpoints(m, eps, err) < 0)
        return -1;
    json_t *nets = json_object();
    *settings = json_pack("{s:o, s:o}", "Networks", nets, "Ports", json_object());
    const char *primary = mode_network(m, mode);
    if (strncmp(mode, "container:", 10) == 0) {
        bt_autoptr(ctr) other = ctr_get(m, mode + 10, err);
        if (!other)
            return -1;
        if (json_object_size(eps) || json_array_size(bt_json_get_arr(hc, "PortBindings")))
            return bt_err_set(err, BT_E_INVALID,
                              "conflicting options: port publishing and the container type "
                              "network mode");
    }
    bt_autoptr(json_t) raw_links = json_deep_copy(bt_json_get_arr(hc, "Links"));
    if (normalize_links(m, hc, err) < 0)
        return -1;
    if (strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0 || !*primary ||
        strcmp(primary, "none") == 0) {
        const char *key = strcmp(mode, "host") == 0 ? "host" : "none";
        if (strncmp(mode, "container:", 10) != 0)
            json_object_set_new(nets, key, json_object());
        return 0;
    }
    if (!m->networks)
        return bt_err_set(err, BT_E_INVALID, "network %s not found", primary);
    bt_autofree char *pname = NULL;
    if (net_resolve(m->networks, primary, &pname, NULL, err) < 0)
        return as_invalid(err);
    /* the docker CLI names the NetworkMode's endpoint as it gave the mode ("default") */
    json_t *first = json_object_get(eps, primary);
    if (!first)
        first = json_object_get(eps, mode);
    json_t *pcfg = first ? json_deep_copy(first) : json_object();
    json_object_set_new(nets, pname, pcfg);
    /* on a user-defined network, dockerd turns links into names only the linking container
     * resolves (the endpoint's Links) */
    if (!net_is_default_bridge(m->networks, pname) && json_array_size(raw_links) &&
        !json_array_size(bt_json_get_arr(pcfg, "Links")))
        json_object_set(pcfg, "Links", raw_links);
    const char *k;
    json_t *v;
    json_object_foreach (eps, k, v) {
        if (strcmp(k, primary) == 0 || strcmp(k, mode) == 0)
            continue;
        bt_autofree char *other = NULL;
        if (net_resolve(m->networks, k, &other, NULL, err) < 0)
            return as_invalid(err);
        json_object_set_new(nets, other, json_deep_copy(v));
    }
    return 0;
}

/* ---- start ---- */

static char *netns_path(const struct ctr *c)
{
    return bt_xasprintf("%s/netns/%s", c->m->exec_root, c->id);
}

/* The networks in the order their devices are numbered: the NetworkMode's first. */
static char **network_order(struct ctr *c)
{
    const json_t *hc = bt_json_get_obj(c->rec, "HostConfig");
    json_t *nets = bt_json_get_path(c->rec, "NetworkSettings.Networks");
    char **order = bt_xzalloc(sizeof(char *));
    const char *primary = mode_network(c->m, bt_json_get_str(hc, "NetworkMode", ""));
    bt_autofree char *pname = NULL;
    if (*primary && c->m->networks &&
        net_resolve(c->m->networks, primary, &pname, NULL, NULL) == 0 &&
        json_object_get(nets, pname))
        bt_strv_push(&order, pname);
    const char *k;
    json_t *v;
    json_object_foreach (nets, k, v)
        if ((!pname || strcmp(k, pname) != 0) && strcmp(k, "host") != 0 && strcmp(k, "none") != 0)
            bt_strv_push(&order, k);
    return order;
}

static int attach_all(struct ctr *c, const char *ns, bt_err **err)
{
    json_t *nets = bt_json_get_path(c->rec, "NetworkSettings.Networks");
    const char *mac = bt_json_get_str(bt_json_get_obj(c->rec, "Config"), "MacAddress", "");
    bt_autostrv char **order = network_order(c);
    for (size_t i = 0; order[i]; i++) {
        char ifname[24];
        snprintf(ifname, sizeof(ifname), "eth%zu", i);
        json_t *cfg = json_object_get(nets, order[i]);
        struct net_endpoint_req r = {.network = order[i],
                                     .ctr_id = c->id,
                                     .ctr_name = c->name + 1,
                                     .netns_path = ns,
                                     .ifname = ifname,
                                     .config = cfg,
                                     .mac_address = i == 0 && *mac ? mac : NULL,
                                     .default_route = i == 0};
        json_t *ep = net_endpoint_add(c->m->networks, &r, err);
        if (!ep)
            return bt_err_wrap(err, "failed to set up container networking");
        json_object_set_new(nets, order[i], ep);
    }
    return 0;
}

/* The address the ports lead to: the first network's. */
static const char *primary_ip(struct ctr *c)
{
    bt_autostrv char **order = network_order(c);
    if (!order[0])
        return "";
    json_t *ep = bt_json_get_obj(bt_json_get_path(c->rec, "NetworkSettings.Networks"), order[0]);
    return bt_json_get_str(ep, "IPAddress", "");
}

static int publish(struct ctr *c, bt_err **err)
{
    const json_t *hc = bt_json_get_obj(c->rec, "HostConfig");
    const json_t *cfg = bt_json_get_obj(c->rec, "Config");
    bt_autostrv char **order = network_order(c);
    json_t *ep = order[0] ? bt_json_get_obj(bt_json_get_path(c->rec, "NetworkSettings.Networks"),
                                            order[0])
                          : NULL;
    json_t *ports = NULL;
    if (!ep) { /* none: exposed ports are shown, nothing is published */
        ports = json_object();
    } else {
        struct net_publish_req r = {.ctr_id = c->id,
                                    .ctr_name = c->name + 1,
                                    .endpoint_id = bt_json_get_str(ep, "EndpointID", ""),
                                    .ctr_ip = bt_json_get_str(ep, "IPAddress", ""),
                                    .exposed = bt_json_get_obj(cfg, "ExposedPorts"),
                                    .bindings = bt_json_get_obj(hc, "PortBindings"),
                                    .publish_all = bt_json_get_bool(hc, "PublishAllPorts", false)};
        ports = net_ports_publish(c->m->networks, &r, err);
        /* dockerd 28 programs the ports in allocateNetwork, whose errors it wraps so */
        if (!ports)
            return bt_err_wrap(err, "failed to set up container networking");
    }
    json_object_set_new(bt_json_get_obj(c->rec, "NetworkSettings"), "Ports", ports);
    return 0;
}

/* The target of a link, running, with its address on the default bridge. */
static json_t *link_target(struct ctr_manager *m, const char *link, char **alias_out, bt_err **err)
{
    bt_autofree char *copy = bt_xstrdup(link);
    char *colon = strchr(copy, ':');
    if (!colon)
        return bt_err_set(err, BT_E_INVALID, "invalid link %s", link), NULL;
    *colon = '\0';
    bt_autoptr(ctr) t = ctr_get(m, copy, NULL);
    json_t *snap = t ? ctr_snapshot(t) : NULL;
    if (!snap || !bt_json_get_bool(bt_json_get_obj(snap, "State"), "Running", false)) {
        json_decref(snap);
        bt_err_set(err, BT_E_INVALID, "Cannot link to a non running container: %s AS %s", copy,
                   colon + 1);
        return NULL;
    }
    *alias_out = bt_xstrdup(colon + 1);
    return snap;
}

/* dockerd's links.Link.ToEnv: ALIAS_PORT, ALIAS_PORT_<n>_<PROTO>[_ADDR|_PORT|_PROTO], ranges of
 * consecutive ports as _START/_END, ALIAS_NAME, ALIAS_ENV_<var>. Ports sorted tcp first. */
struct lport {
    int num;
    char proto[8];
};

static int lport_cmp(const void *a, const void *b)
{
    const struct lport *x = a, *y = b;
    int xt = strcmp(x->proto, "tcp") == 0, yt = strcmp(y->proto, "tcp") == 0;
    if (strcmp(x->proto, y->proto) == 0)
        return x->num - y->num;
    if (xt != yt)
        return yt - xt;
    return strcmp(x->proto, y->proto);
}

static void upper_proto(char *dst, const char *src)
{
    size_t i = 0;
    for (; src[i] && i < 7; i++)
        dst[i] = (char)(src[i] >= 'a' && src[i] <= 'z' ? src[i] - 32 : src[i]);
    dst[i] = '\0';
}

static void link_port_env(char ***env, const char *alias, const char *ip, struct lport *p, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        char up[8];
        upper_proto(up, p[i].proto);
        if (i == 0) {
            bt_autofree char *kv =
                    bt_xasprintf("%s_PORT=%s://%s:%d", alias, p[i].proto, ip, p[i].num);
            bt_strv_push(env, kv);
        }
        bt_autofree char *pre = bt_xasprintf("%s_PORT_%d_%s", alias, p[i].num, up);
        char *kv[4] = {bt_xasprintf("%s=%s://%s:%d", pre, p[i].proto, ip, p[i].num),
                       bt_xasprintf("%s_ADDR=%s", pre, ip),
                       bt_xasprintf("%s_PORT=%d", pre, p[i].num),
                       bt_xasprintf("%s_PROTO=%s", pre, p[i].proto)};
        for (size_t k = 0; k < 4; k++) {
            bt_strv_push(env, kv[k]);
            free(kv[k]);
        }
        bool cont = i + 1 < n && p[i + 1].num == p[i].num + 1 &&
                    strcmp(p[i + 1].proto, p[i].proto) == 0;
        if (cont)
            continue;
        if (i != start) {
            char us[8];
            upper_proto(us, p[start].proto);
            bt_autofree char *sp = bt_xasprintf("%s_PORT_%d_%s", alias, p[start].num, us);
            char *r[4] = {bt_xasprintf("%s_START=%s://%s:%d", sp, p[start].proto, ip, p[start].num),
                          bt_xasprintf("%s_PORT_START=%d", sp, p[start].num),
                          bt_xasprintf("%s_END=%s://%s:%d", sp, p[i].proto, ip, p[i].num),
                          bt_xasprintf("%s_PORT_END=%d", sp, p[i].num)};
            for (size_t k = 0; k < 4; k++) {
                bt_strv_push(env, r[k]);
                free(r[k]);
            }
        }
        start = i + 1;
    }
}

static void link_env(char ***env, const char *link_name, const char *ip, const json_t *snap)
{
    const char *base = strrchr(link_name, '/');
    bt_autofree char *alias = bt_xstrdup(base ? base + 1 : link_name);
    for (char *p = alias; *p; p++)
        *p = *p == '-' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    const json_t *cfg = bt_json_get_obj(snap, "Config");
    json_t *exposed = bt_json_get_obj(cfg, "ExposedPorts");
    struct lport *ports = bt_xzalloc((json_object_size(exposed) + 1) * sizeof(*ports));
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach (exposed, k, v) {
        const char *slash = strchr(k, '/');
        ports[n].num = atoi(k);
        snprintf(ports[n].proto, sizeof(ports[n].proto), "%s", slash ? slash + 1 : "tcp");
        if (ports[n].num > 0)
            n++;
    }
    qsort(ports, n, sizeof(*ports), lport_cmp);
    link_port_env(env, alias, ip, ports, n);
    free(ports);
    bt_autofree char *name = bt_xasprintf("%s_NAME=%s", alias, link_name);
    bt_strv_push(env, name);
    size_t i;
    json_array_foreach (bt_json_get_arr(cfg, "Env"), i, v) {
        const char *e = json_string_value(v);
        const char *eq = e ? strchr(e, '=') : NULL;
        if (!eq || (eq - e == 4 && strncmp(e, "HOME", 4) == 0) ||
            (eq - e == 4 && strncmp(e, "PATH", 4) == 0))
            continue;
        bt_autofree char *kv = bt_xasprintf("%s_ENV_%s", alias, e);
        bt_strv_push(env, kv);
    }
}

static const char *bridge_ip(const json_t *snap)
{
    return bt_json_get_str(
            bt_json_get_obj(bt_json_get_path(snap, "NetworkSettings.Networks"), "bridge"),
            "IPAddress", "");
}

/* Hosts lines (and with env, the environment) of a container's links, on the default bridge
 * only, as dockerd. strict: a target that does not run or is not on the default bridge is an
 * error (a start); otherwise it is left out (a parent update). */
static int links_resolve(struct ctr_manager *m, const json_t *rec, char ***env,
                         struct bt_strbuf *hosts, bool strict, bt_err **err)
{
    json_t *links = bt_json_get_arr(bt_json_get_obj(rec, "HostConfig"), "Links");
    size_t i;
    json_t *v;
    json_array_foreach (links, i, v) {
        bt_autofree char *link_name = NULL;
        bt_autoerr bt_err *lerr = NULL;
        bt_autoptr(json_t) snap = link_target(m, json_string_value(v), &link_name, &lerr);
        const char *ip = snap ? bridge_ip(snap) : "";
        if (snap && !*ip)
            bt_err_set(&lerr, BT_E_INVALID,
                       "Cannot link to %s, as it does not belong to the default network",
                       bt_json_get_str(snap, "Name", ""));
        if (lerr) {
            if (!strict)
                continue;
            *err = bt_steal_ptr(&lerr);
            return -1;
        }
        if (env)
            link_env(env, link_name, ip, snap);
        const char *alias = strrchr(link_name, '/') + 1;
        const char *tname = bt_json_get_str(snap, "Name", "/") + 1;
        const char *thost = bt_json_get_str(bt_json_get_obj(snap, "Config"), "Hostname", "");
        bt_strbuf_appendf(hosts, "%s\t%s %s", ip, alias, thost);
        if (strcmp(alias, tname) != 0)
            bt_strbuf_appendf(hosts, " %s", tname);
        bt_strbuf_append(hosts, "\n");
    }
    return 0;
}

static void set_top_level(json_t *ns, const json_t *bridge_ep)
{
    static const char *const keys[] = {"EndpointID", "Gateway",     "IPAddress",
                                       "MacAddress", "IPv6Gateway", "GlobalIPv6Address",
                                       NULL};
    for (size_t i = 0; keys[i]; i++)
        bt_json_set_str(ns, keys[i], bt_json_get_str(bridge_ep, keys[i], ""));
    bt_json_set_int(ns, "IPPrefixLen", bt_json_get_int(bridge_ep, "IPPrefixLen", 0));
}

/* --network container:X: X's namespace, while X runs (dockerd's error otherwise). */
static int join_container(struct ctr *c, const char *ref, bt_err **err)
{
    bt_autoptr(ctr) other = ctr_get(c->m, ref, err);
    if (!other)
        return -1;
    if (other == c)
        return bt_err_set(err, BT_E_INVALID, "cannot join own network");
    bt_autoptr(json_t) snap = ctr_snapshot(other);
    int64_t pid = bt_json_get_int(bt_json_get_obj(snap, "State"), "Pid", 0);
    if (!bt_json_get_bool(bt_json_get_obj(snap, "State"), "Running", false) || pid <= 0)
        return bt_err_set(err, BT_E_CONFLICT, "cannot join network of a non running container: %s",
                          other->id);
    c->netns = bt_xasprintf("/proc/%lld/ns/net", (long long)pid);
    return 0;
}

int ctr_net_up(struct ctr *c, bt_err **err)
{
    json_t *ns = bt_json_get_obj(c->rec, "NetworkSettings");
    if (!ns) { /* a record from before networks: the NetworkMode's network */
        ns = json_pack("{s:{}, s:{}}", "Networks", "Ports");
        json_object_set_new(c->rec, "NetworkSettings", ns);
        const char *mode = mode_network(
                c->m, bt_json_get_str(bt_json_get_obj(c->rec, "HostConfig"), "NetworkMode", ""));
        if (*mode)
            json_object_set_new(bt_json_get_obj(ns, "Networks"), mode, json_object());
    }
    free(c->net_hosts);
    c->net_hosts = NULL;
    bt_strv_free(c->link_env);
    c->link_env = bt_xzalloc(sizeof(char *));
    const json_t *hc = bt_json_get_obj(c->rec, "HostConfig");
    const char *mode = bt_json_get_str(hc, "NetworkMode", "");
    if (strncmp(mode, "container:", 10) == 0)
        return join_container(c, mode + 10, err);
    if (!ctr_net_own_namespace(hc))
        return 0;
    bt_autostrv char **order = network_order(c);
    if (!order[0] || !c->m->networks) /* none: a namespace with lo only, the runtime's own */
        return publish(c, err);
    bt_autofree char *dir = bt_xasprintf("%s/netns", c->m->exec_root);
    bt_autofree char *path = netns_path(c);
    if (bt_mkdir_p(dir, 0700, err) < 0 || net_ns_create(path, err) < 0)
        return -1;
    c->netns = bt_xstrdup(path);
    bt_json_set_str(ns, "SandboxKey", path);
    bt_autofree char *sandbox = bt_xasprintf("%.64s", c->id);
    bt_json_set_str(ns, "SandboxID", sandbox);
    struct bt_strbuf hosts = BT_STRBUF_INIT;
    bool on_bridge = net_is_default_bridge(c->m->networks, order[0]);
    if (attach_all(c, path, err) < 0 || publish(c, err) < 0 ||
        (on_bridge && links_resolve(c->m, c->rec, &c->link_env, &hosts, true, err) < 0)) {
        bt_strbuf_free(&hosts);
        return -1;
    }
    c->net_hosts = bt_strbuf_steal(&hosts);
    json_t *bridge = bt_json_get_obj(bt_json_get_obj(ns, "Networks"), "bridge");
    set_top_level(ns, bridge);
    bt_json_set_str(ns, "Bridge", "");
    char dns[16];
    c->net_dns[0] = '\0';
    if (net_dns_server(c->m->networks, order[0], dns))
        snprintf(c->net_dns, sizeof(c->net_dns), "%s", dns);
    return 0;
}

/* ---- exit ---- */

/* What an exit takes from an endpoint: its address and device. The NetworkID stays, as
 * dockerd keeps it: `ps --filter network=ID` finds stopped containers too. */
static void clear_endpoint(json_t *ep)
{
    static const char *const keys[] = {"EndpointID",  "Gateway",           "IPAddress",
                                       "IPv6Gateway", "GlobalIPv6Address", "MacAddress",
                                       NULL};
    for (size_t i = 0; keys[i]; i++)
        bt_json_set_str(ep, keys[i], "");
    bt_json_set_int(ep, "IPPrefixLen", 0);
    bt_json_set_int(ep, "GlobalIPv6PrefixLen", 0);
}

json_t *ctr_net_forget(struct ctr *c)
{
    json_t *ns = bt_json_get_obj(c->rec, "NetworkSettings");
    json_t *nets = json_array();
    bt_autofree char *own = netns_path(c);
    /* a container that died while berthd was away: its namespace file is in the record */
    const char *ns_file = c->netns ? c->netns : bt_json_get_str(ns, "SandboxKey", "");
    bool ours = strcmp(ns_file, own) == 0;
    json_t *down = json_pack("{s:s, s:o}", "netns", ours ? own : "", "networks", nets);
    bt_autostrv char **order = network_order(c);
    for (size_t i = 0; ns && order[i]; i++) {
        json_t *ep = bt_json_get_obj(bt_json_get_obj(ns, "Networks"), order[i]);
        if (!ep)
            continue;
        if (*bt_json_get_str(ep, "EndpointID", ""))
            json_array_append_new(nets, json_string(order[i]));
        clear_endpoint(ep);
    }
    if (ns) {
        json_object_set_new(ns, "Ports", json_object());
        bt_json_set_str(ns, "SandboxKey", "");
        bt_json_set_str(ns, "SandboxID", "");
        set_top_level(ns, NULL);
    }
    free(c->netns);
    c->netns = NULL;
    return down;
}

void ctr_net_down(struct ctr_manager *m, const char *id, json_t *down)
{
    if (!m->networks || !down)
        return;
    net_ports_release(m->networks, id);
    const char *ns = bt_json_get_str(down, "netns", "");
    size_t i;
    json_t *v;
    json_array_foreach (bt_json_get_arr(down, "networks"), i, v)
        net_endpoint_remove(m->networks, json_string_value(v), id, *ns ? ns : NULL);
    if (*ns) {
        bt_autoerr bt_err *err = NULL;
        if (net_ns_remove(ns, &err) < 0)
            bt_warn("container %s: %s", id, bt_err_msg(err));
    }
}

/* ---- hosts files ---- */

char *ctr_net_hosts_text(const struct ctr *c, const json_t *hc)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, "127.0.0.1\tlocalhost\n"
                          "::1\tlocalhost ip6-localhost ip6-loopback\n"
                          "fe00::0\tip6-localnet\n"
                          "ff00::0\tip6-mcastprefix\n"
                          "ff02::1\tip6-allnodes\n"
                          "ff02::2\tip6-allrouters\n");
    if (c->net_hosts)
        bt_strbuf_append(&sb, c->net_hosts);
    /* --add-host name:ip lines */
    size_t i;
    json_t *v;
    json_array_foreach (bt_json_get_arr(hc, "ExtraHosts"), i, v) {
        const char *e = json_string_value(v);
        const char *colon = e ? strchr(e, ':') : NULL;
        if (colon)
            bt_strbuf_appendf(&sb, "%s\t%.*s\n", colon + 1, (int)(colon - e), e);
    }
    const char *ip = primary_ip((struct ctr *)c);
    const char *host = bt_json_get_str(bt_json_get_obj(c->rec, "Config"), "Hostname", "");
    if (*ip)
        bt_strbuf_appendf(&sb, "%s\t%s\n", ip, host);
    return bt_strbuf_steal(&sb);
}

/* Rewrite in place: the file is bind-mounted into the container, a rename would not show. */
static void rewrite_hosts(struct ctr *p)
{
    struct bt_strbuf lines = BT_STRBUF_INIT;
    links_resolve(p->m, p->rec, NULL, &lines, false, NULL);
    free(p->net_hosts);
    p->net_hosts = bt_strbuf_steal(&lines);
    bt_autofree char *text = ctr_net_hosts_text(p, bt_json_get_obj(p->rec, "HostConfig"));
    bt_autofree char *path = bt_xasprintf("%s/hosts", p->run_dir);
    bt_autoerr bt_err *err = NULL;
    bt_autoclose int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || bt_fd_write_all(fd, text, strlen(text), &err) < 0)
        bt_warn("container %s: update hosts: %s", p->id, err ? bt_err_msg(err) : strerror(errno));
}

static bool links_to(const json_t *rec, const char *name)
{
    size_t len = strlen(name);
    size_t i;
    json_t *v;
    json_array_foreach (bt_json_get_arr(bt_json_get_obj(rec, "HostConfig"), "Links"), i, v) {
        const char *l = json_string_value(v);
        if (l && strncmp(l, name, len) == 0 && l[len] == ':')
            return true;
    }
    return false;
}

void ctr_net_update_parents(struct ctr_manager *m, struct ctr *c)
{
    pthread_mutex_lock(&c->lock);
    bt_autofree char *name = bt_xstrdup(c->name);
    pthread_mutex_unlock(&c->lock);
    size_t n = 0;
    struct ctr **all = ctr_list(m, &n);
    for (size_t i = 0; i < n; i++) {
        struct ctr *p = all[i];
        if (p == c)
            continue;
        pthread_mutex_lock(&p->lock);
        if ((p->status == CTR_RUNNING || p->status == CTR_PAUSED) && links_to(p->rec, name))
            rewrite_hosts(p);
        pthread_mutex_unlock(&p->lock);
    }
    ctr_list_free(all, n);
}

void ctr_net_add_link_env(const struct ctr *c, char ***env)
{
    for (size_t i = 0; c->link_env && c->link_env[i]; i++) {
        const char *kv = c->link_env[i];
        size_t klen = strcspn(kv, "=");
        bool set = false;
        for (size_t j = 0; (*env)[j] && !set; j++)
            set = strncmp((*env)[j], kv, klen) == 0 && (*env)[j][klen] == '=';
        if (!set)
            bt_strv_push(env, kv);
    }
}

/* ---- connect, disconnect ---- */

int ctr_net_connect(struct ctr_manager *m, struct ctr *c, const char *network,
                    const json_t *endpoint_config, bt_err **err)
{
    if (!m->networks)
        return bt_err_set(err, BT_E_NOT_FOUND, "network %s not found", network);
    bt_autofree char *name = NULL;
    if (net_resolve(m->networks, network, &name, NULL, err) < 0 ||
        net_endpoint_check(m->networks, name, endpoint_config, err) < 0)
        return -1;
    pthread_mutex_lock(&c->lock);
    ctr_acquire(c);
    int rc = -1;
    const json_t *hc = bt_json_get_obj(c->rec, "HostConfig");
    const char *mode = bt_json_get_str(hc, "NetworkMode", "");
    json_t *nets = bt_json_get_path(c->rec, "NetworkSettings.Networks");
    if (!ctr_net_own_namespace(hc) || strcmp(mode, "none") == 0 || strcmp(name, "host") == 0 ||
        strcmp(name, "none") == 0 || json_object_get(nets, "none")) {
        bt_err_set(err, BT_E_FORBIDDEN,
                   strcmp(mode, "host") == 0 || strcmp(name, "host") == 0
                           ? "container cannot be disconnected from host network or connected "
                             "to host network"
                           : "container sharing network namespace with another container or "
                             "host cannot be connected to any other network");
        goto out;
    }
    if (json_object_get(nets, name)) {
        bt_err_set(err, BT_E_FORBIDDEN, "endpoint with name %s already exists in network %s",
                   c->name + 1, name);
        goto out;
    }
    json_t *cfg = json_is_object(endpoint_config) ? json_deep_copy(endpoint_config) : json_object();
    bool running = c->status == CTR_RUNNING || c->status == CTR_PAUSED;
    if (running) {
        char ifname[16];
        net_endpoint_free_ifname(m->networks, c->id, ifname);
        struct net_endpoint_req r = {.network = name,
                                     .ctr_id = c->id,
                                     .ctr_name = c->name + 1,
                                     .netns_path = c->netns,
                                     .ifname = ifname,
                                     .config = cfg};
        json_t *ep = net_endpoint_add(m->networks, &r, err);
        json_decref(cfg);
        if (!ep)
            goto out;
        cfg = ep;
    }
    json_object_set_new(nets, name, cfg);
    rc = running ? ctr_save_state(c, err) : ctr_save(c, err);
out:
    ctr_release(c);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

int ctr_net_disconnect(struct ctr_manager *m, struct ctr *c, const char *network, bool force,
                       bt_err **err)
{
    (void)force;
    bt_autofree char *name = NULL;
    if (m->networks && net_resolve(m->networks, network, &name, NULL, NULL) < 0)
        name = NULL;
    pthread_mutex_lock(&c->lock);
    ctr_acquire(c);
    int rc = -1;
    json_t *nets = bt_json_get_path(c->rec, "NetworkSettings.Networks");
    const char *key = name ? name : network;
    if (strcmp(key, "host") == 0) {
        bt_err_set(err, BT_E_FORBIDDEN,
                   "container cannot be disconnected from host network or connected to host "
                   "network");
        goto out;
    }
    if (!json_object_get(nets, key)) {
        /* dockerd's two wordings: a running container's, and a stopped one's */
        bool running = c->status == CTR_RUNNING || c->status == CTR_PAUSED;
        if (!name)
            bt_err_set(err, BT_E_NOT_FOUND, "network %s not found", network);
        else
            bt_err_set(err, BT_E_FORBIDDEN, "container %s is not connected to %snetwork %s", c->id,
                       running ? "" : "the ", name);
        goto out;
    }
    if ((c->status == CTR_RUNNING || c->status == CTR_PAUSED) && m->networks)
        net_endpoint_remove(m->networks, key, c->id, c->netns);
    json_object_del(nets, key);
    rc = ctr_save(c, err);
out:
    ctr_release(c);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

/* ---- a restarted berthd ---- */

void ctr_net_readopt(struct ctr *c)
{
    json_t *ns = bt_json_get_obj(c->rec, "NetworkSettings");
    const char *key = bt_json_get_str(ns, "SandboxKey", "");
    if (*key) {
        free(c->netns);
        c->netns = bt_xstrdup(key);
    }
    if (!c->m->networks)
        return;
    const char *ip = primary_ip(c);
    bt_autoerr bt_err *err = NULL;
    if (*ip && net_ports_readopt(c->m->networks, c->id, ip, bt_json_get_obj(ns, "Ports"), &err) < 0)
        bt_warn("container %s: published ports: %s", c->id, bt_err_msg(err));
}

void ctr_net_reconcile(struct ctr_manager *m)
{
    if (!m->networks)
        return;
    json_t *running = json_array();
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n; i++) {
        struct ctr *c = m->all[i];
        pthread_mutex_lock(&c->lock);
        if (c->status == CTR_RUNNING || c->status == CTR_PAUSED)
            json_array_append_new(running, json_string(c->id));
        pthread_mutex_unlock(&c->lock);
    }
    pthread_mutex_unlock(&m->lock);
    net_store_reconcile(m->networks, running);
    json_decref(running);
}
