/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Published ports (network.h). A host port is held by a socket bound to it, as dockerd holds
 * them even without its userland proxy: no other program can take a published port, and one
 * another program has is refused at start rather than silently shadowed by the DNAT rule. The
 * traffic itself never reaches that socket: the nftables rules send it to the container.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest/engine/network/network-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/json/json.h"

void net_ports_close_all(struct net_store *s)
{
    for (size_t i = 0; i < s->nports; i++) {
        if (s->ports[i].fd >= 0)
            close(s->ports[i].fd);
        free(s->ports[i].ctr_id);
    }
    free(s->ports);
    s->ports = NULL;
    s->nports = 0;
    free(s->cursors);
    s->cursors = NULL;
    s->ncursors = 0;
}

void net_ephemeral_range(uint16_t *lo, uint16_t *hi)
{
    *lo = 49153; /* dockerd's defaultPortRangeStart and End */
    *hi = 65535;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
    if (!f)
        return;
    unsigned a, b;
    if (fscanf(f, "%u %u", &a, &b) == 2 && a > 0 && a <= b && b <= 65535) {
        *lo = (uint16_t)a;
        *hi = (uint16_t)b;
    }
    fclose(f);
}

/* "80/tcp", "53/udp", "80" (tcp) */
int net_port_key_parse(const char *k, struct net_port_key *out, bt_err **err)
{
    char *end = NULL;
    errno = 0;
    unsigned long p = strtoul(k, &end, 10);
    if (end == k || errno || p == 0 || p > 65535 || (*end && *end != '/'))
        return bt_err_set(err, BT_E_INVALID, "invalid port specification: \"%s\"", k);
    const char *proto = *end ? end + 1 : "tcp";
    if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 && strcmp(proto, "sctp") != 0)
        return bt_err_set(err, BT_E_INVALID, "invalid proto: %s", proto);
    if (strcmp(proto, "sctp") == 0)
        return bt_err_set(err, BT_E_INVALID, "sctp ports are not supported: \"%s\"", k);
    out->port = (uint16_t)p;
    snprintf(out->proto, sizeof(out->proto), "%s", proto);
    return 0;
}

/* A range "8000-8010" or one port "8080" or "" (any). */
int net_host_ports_parse(const char *s, uint16_t *lo, uint16_t *hi, bt_err **err)
{
    if (!*s) {
        *lo = *hi = 0;
        return 0;
    }
    char *end = NULL;
    unsigned long a = strtoul(s, &end, 10), b = a;
    if (*end == '-')
        b = strtoul(end + 1, &end, 10);
    if (*end || a == 0 || a > 65535 || b < a || b > 65535)
        return bt_err_set(err, BT_E_INVALID, "invalid port specification: \"%s\"", s);
    *lo = (uint16_t)a;
    *hi = (uint16_t)b;
    return 0;
}

static bool ours(const struct net_store *s, const char *proto, uint32_t ip, uint16_t port)
{
    for (size_t i = 0; i < s->nports; i++) {
        const struct net_held_port *h = &s->ports[i];
        if (h->host_port == port && strcmp(h->proto, proto) == 0 &&
            (h->host_ip == 0 || ip == 0 || h->host_ip == ip))
            return true;
    }
    return false;
}

/* Bind a socket to ip:port; returns the fd. */
static int bind_port(const char *proto, uint32_t ip, uint16_t port, int *err_no)
{
    int type = strcmp(proto, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM;
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *err_no = errno;
        return -1;
    }
    struct sockaddr_in sa = {
            .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(ip)};
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        *err_no = errno;
        close(fd);
        return -1;
    }
    return fd;
}

/* The search position of a range, made with its last port at the range's end, so that the
 * first search starts at its beginning. */
static struct net_port_cursor *cursor(struct net_store *s, uint32_t ip, const char *proto,
                                      uint16_t lo, uint16_t hi)
{
    for (size_t i = 0; i < s->ncursors; i++) {
        struct net_port_cursor *c = &s->cursors[i];
        if (c->host_ip == ip && strcmp(c->proto, proto) == 0 && c->lo == lo && c->hi == hi)
            return c;
    }
    s->cursors = bt_xrealloc(s->cursors, (s->ncursors + 1) * sizeof(*s->cursors));
    struct net_port_cursor *c = &s->cursors[s->ncursors++];
    *c = (struct net_port_cursor){.host_ip = ip, .lo = lo, .hi = hi, .last = hi};
    snprintf(c->proto, sizeof(c->proto), "%s", proto);
    return c;
}

struct publish_ctx {
    struct net_store *s;
    const struct net_publish_req *r;
    uint32_t ctr_ip;
    size_t first; /* s->ports[first..] are this request's, undone on failure */
};

static int refuse(const struct publish_ctx *c, const char *ipstr, uint16_t port, bool allocated,
                  const char *proto, int err_no, bt_err **err)
{
    if (allocated)
        return bt_err_set(err, BT_E_CONFLICT,
                          "driver failed programming external connectivity on endpoint %s "
                          "(%s): Bind for %s:%u failed: port is already allocated",
                          c->r->ctr_name, c->r->endpoint_id, ipstr, port);
    return bt_err_set(err, BT_E_CONFLICT,
                      "driver failed programming external connectivity on endpoint %s (%s): "
                      "Error starting userland proxy: listen %s4 %s:%u: bind: %s",
                      c->r->ctr_name, c->r->endpoint_id, proto, ipstr, port,
                      err_no == EADDRINUSE ? "address already in use" : strerror(err_no));
}

/* Hold one host port for key (trying each of a host range in turn); the binding's JSON. */
static json_t *hold(struct publish_ctx *c, const struct net_port_key *k, const json_t *binding,
                    bt_err **err)
{
    const char *hip = bt_json_get_str(binding, "HostIp", "");
    uint32_t ip = 0;
    if (*hip && strcmp(hip, "0.0.0.0") != 0 && net_ip_parse(hip, &ip, err) < 0)
        return NULL;
    uint16_t lo, hi;
    if (net_host_ports_parse(bt_json_get_str(binding, "HostPort", ""), &lo, &hi, err) < 0)
        return NULL;
    char ipstr[16];
    net_ip_format(ip, ipstr);
    struct net_store *s = c->s;
    if (!lo) {
        lo = s->ephemeral_lo;
        hi = s->ephemeral_hi;
    }
    /* a range is searched from after the port it last gave (dockerd's portallocator: fresh
     * engines give the same ports in the same order, and a port just given back is not handed
     * out again at once); a port another program holds is passed over */
    struct net_port_cursor *cur = lo < hi ? cursor(s, ip, k->proto, lo, hi) : NULL;
    int fd = -1, err_no = 0;
    uint16_t port = lo;
    bool allocated = false;
    for (uint32_t n = 0; n <= (uint32_t)(hi - lo); n++) {
        port = cur ? (cur->last >= hi ? lo : (uint16_t)(cur->last + 1)) : lo;
        allocated = ours(s, k->proto, ip, port);
        if (!allocated)
            fd = bind_port(k->proto, ip, port, &err_no);
        if (cur)
            cur->last = port;
        if (fd >= 0)
            break;
    }
    if (fd < 0)
        return refuse(c, ipstr, lo, allocated, k->proto, err_no, err), NULL;
    s->ports = bt_xrealloc(s->ports, (s->nports + 1) * sizeof(*s->ports));
    struct net_held_port *h = &s->ports[s->nports++];
    *h = (struct net_held_port){.ctr_id = bt_xstrdup(c->r->ctr_id),
                                .host_ip = ip,
                                .host_port = port,
                                .ctr_ip = c->ctr_ip,
                                .ctr_port = k->port,
                                .fd = fd};
    snprintf(h->proto, sizeof(h->proto), "%s", k->proto);
    struct net_network *n = net_find_bridge_of(s, c->ctr_ip);
    snprintf(h->bridge, sizeof(h->bridge), "%s", n ? n->bridge : "");
    char portstr[8];
    snprintf(portstr, sizeof(portstr), "%u", port);
    return json_pack("{s:s, s:s}", "HostIp", ipstr, "HostPort", portstr);
}

static void undo(struct net_store *s, size_t first)
{
    while (s->nports > first) {
        struct net_held_port *h = &s->ports[--s->nports];
        close(h->fd);
        free(h->ctr_id);
    }
}

/* The keys of ExposedPorts and PortBindings together (dockerd exposes what is published). */
static json_t *all_keys(const struct net_publish_req *r)
{
    json_t *keys = json_object();
    const char *k;
    json_t *v;
    json_object_foreach ((json_t *)r->exposed, k, v)
        json_object_set_new(keys, k, json_true());
    json_object_foreach ((json_t *)r->bindings, k, v)
        json_object_set_new(keys, k, json_true());
    return keys;
}

static int publish_key(struct publish_ctx *c, const char *key, json_t *ports, bt_err **err)
{
    struct net_port_key k;
    if (net_port_key_parse(key, &k, err) < 0)
        return -1;
    bt_autofree char *norm = bt_xasprintf("%u/%s", k.port, k.proto);
    json_t *bindings = json_object_get(c->r->bindings, key);
    json_t *any = json_pack("[{s:s, s:s}]", "HostIp", "", "HostPort", "");
    if (!json_array_size(bindings))
        bindings = c->r->publish_all ? any : NULL;
    if (!bindings) {
        json_decref(any);
        if (!json_object_get(ports, norm))
            json_object_set_new(ports, norm, json_null());
        return 0;
    }
    json_t *list = json_array();
    size_t i;
    json_t *b;
    json_array_foreach (bindings, i, b) {
        json_t *one = hold(c, &k, b, err);
        if (!one) {
            json_decref(list);
            json_decref(any);
            return -1;
        }
        json_array_append_new(list, one);
    }
    json_decref(any);
    json_object_set_new(ports, norm, list);
    return 0;
}

json_t *net_ports_publish(struct net_store *s, const struct net_publish_req *r, bt_err **err)
{
    pthread_mutex_lock(&s->lock);
    struct publish_ctx c = {.s = s, .r = r, .first = s->nports};
    json_t *ports = json_object();
    bt_autoptr(json_t) keys = all_keys(r);
    const char *k;
    json_t *v;
    int rc = r->ctr_ip && *r->ctr_ip ? net_ip_parse(r->ctr_ip, &c.ctr_ip, err) : 0;
    json_object_foreach (keys, k, v) {
        if (rc < 0)
            break;
        rc = publish_key(&c, k, ports, err);
    }
    if (rc < 0) {
        undo(s, c.first);
        json_decref(ports);
        ports = NULL;
    } else if (s->nports > c.first) {
        net_sync_nat(s);
    }
    pthread_mutex_unlock(&s->lock);
    return ports;
}

void net_ports_release(struct net_store *s, const char *ctr_id)
{
    pthread_mutex_lock(&s->lock);
    bool changed = false;
    for (size_t i = s->nports; i-- > 0;) {
        if (strcmp(s->ports[i].ctr_id, ctr_id) != 0)
            continue;
        close(s->ports[i].fd);
        free(s->ports[i].ctr_id);
        s->ports[i] = s->ports[--s->nports];
        changed = true;
    }
    if (changed)
        net_sync_nat(s);
    pthread_mutex_unlock(&s->lock);
}

int net_ports_readopt(struct net_store *s, const char *ctr_id, const char *ctr_ip,
                      const json_t *ports, bt_err **err)
{
    /* the same bindings, asked for by their exact host ports */
    json_t *bindings = json_object();
    const char *k;
    json_t *v;
    json_object_foreach ((json_t *)ports, k, v)
        if (json_array_size(v))
            json_object_set(bindings, k, v);
    struct net_publish_req r = {.ctr_id = ctr_id,
                                .ctr_name = ctr_id,
                                .endpoint_id = "",
                                .ctr_ip = ctr_ip,
                                .exposed = NULL,
                                .bindings = bindings};
    json_t *out = net_ports_publish(s, &r, err);
    json_decref(bindings);
    if (!out)
        return -1;
    json_decref(out);
    return 0;
}
