/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Internals of the network store shared by its files (store.c, endpoints.c, ports.c). */
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "guest/engine/network/dns.h"
#include "guest/engine/network/ipam.h"
#include "guest/engine/network/network.h"

enum net_kind { NET_KIND_BRIDGE, NET_KIND_HOST, NET_KIND_NULL };

struct net_ep {
    char *ctr_id;
    char *ctr_name;
    char *endpoint_id;
    uint32_t ip;
    char mac[18];
    char ifname[16]; /* the device's name in the container */
    json_t *aliases; /* array of strings */
    json_t *links;   /* EndpointSettings.Links: "target:alias", names only this one resolves */
};

struct net_network {
    json_t *rec;           /* the stored record: the API's shape without "Containers" */
    const char *id, *name; /* inside rec */
    enum net_kind kind;
    bool predefined;
    bool user_subnet; /* IPAM.Config named a subnet: --ip is allowed */
    char bridge[16];
    struct net_ipam *ipam; /* bridges only */
    struct net_ep *eps;
    size_t neps;
};

struct net_held_port {
    char *ctr_id;
    char proto[4];
    uint32_t host_ip;
    uint16_t host_port;
    uint32_t ctr_ip;
    uint16_t ctr_port;
    char bridge[16];
    int fd; /* the bound socket that keeps the port ours */
};

/* Where the search for a free port of a host range ("8000-8010", or the ephemeral range for
 * "") goes on: after the last port it gave, as dockerd's portallocator does, per address,
 * protocol and range. */
struct net_port_cursor {
    uint32_t host_ip;
    char proto[4];
    uint16_t lo, hi, last;
};

struct net_store {
    char *dir;
    pthread_mutex_t lock;
    struct net_network **nets;
    size_t n;
    struct net_held_port *ports;
    size_t nports;
    struct net_port_cursor *cursors;
    size_t ncursors;
    uint16_t ephemeral_lo, ephemeral_hi; /* host ports for a binding without one */
    struct net_dns *dns;
    bool no_host;
    bool disable_bridge;
};

/* store.c */
struct net_network *net_find(struct net_store *s, const char *ref);
int net_save(struct net_store *s, struct net_network *n, bt_err **err);
/* Rebuild the nftables table from the bridges and held ports (logs a failure). */
void net_sync_nat(struct net_store *s);
struct net_network *net_find_bridge_of(struct net_store *s, uint32_t ip);

/* endpoints.c */
void net_ep_clear(struct net_ep *e);
json_t *net_ep_record(const struct net_ep *e, const struct net_network *n);
int net_eps_load(struct net_network *n, bt_err **err);
size_t net_dns_lookup(void *ctx, uint32_t client, const char *name, uint32_t *out, size_t max);

/* ports.c: the keys of ExposedPorts and PortBindings ("80/tcp", "53/udp", "80"), and a
 * binding's HostPort ("8080", "8000-8010", "": any); errors in dockerd's words. Pure. */
struct net_port_key {
    uint16_t port;
    char proto[4];
};
int net_port_key_parse(const char *k, struct net_port_key *out, bt_err **err);
int net_host_ports_parse(const char *s, uint16_t *lo, uint16_t *hi, bt_err **err);
void net_ports_close_all(struct net_store *s);
/* The range of ports the kernel gives out on its own (ip_local_port_range), from which
 * bindings without a host port get theirs; dockerd's fallback when it cannot be read. */
void net_ephemeral_range(uint16_t *lo, uint16_t *hi);
