/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Networks: dockerd's bridge driver, its three predefined networks and user-defined bridges,
 * the endpoints of running containers in them, published ports and the embedded DNS server
 * (docs/design/network.md).
 *
 *   <data-root>/networks/<id>.json   one per network: the API's shape (Name, Id, Created,
 *                                     Driver, IPAM, Options, Labels, ...) plus "Endpoints",
 *                                     the addresses given out ({container id: {...}}), written
 *                                     atomically at every change, so the allocator persists
 *
 * Predefined: "bridge" (the default; Linux bridge berth0 with --bip, 172.17.0.1/16 unless
 * told), "host" and "none", made at the first start and never removed. A user-defined network
 * is a bridge named br-<12 hex digits of its id>, with a subnet of its own (172.18.0.0/16
 * onwards, unless --subnet) and name resolution through the DNS server on its gateway.
 *
 * Endpoints exist only while their container runs: net_endpoint_add() when it starts,
 * net_endpoint_remove() when it stops. After a restart, net_store_reconcile() drops the
 * endpoints of containers that stopped meanwhile. The nftables table (nat.h) is rebuilt from
 * the networks and published ports after every change.
 *
 * Thread safety: one lock per store; every function may be called from any thread.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "shared/base/err.h"

struct net_store;

struct net_store_opts {
    const char *dir;      /* <data-root>/networks */
    const char *bip;      /* the default bridge's address and prefix ("172.17.0.1/16"); NULL */
    bool disable_bridge;  /* --bridge none: no default bridge, containers get "none" */
    bool no_host_changes; /* unit tests: no devices, no nftables, no DNS sockets */
    /* host ports for bindings without one (-P, -p 80); 0: ip_local_port_range's */
    uint16_t ephemeral_lo, ephemeral_hi;
};

struct net_store *net_store_open(const struct net_store_opts *o, bt_err **err);
void net_store_close(struct net_store *s);

/* ---- networks (the API's /networks) ---- */

struct net_create_req {
    const char *name;
    const char *driver; /* "bridge" or "" */
    const json_t *ipam; /* the API's IPAM object, or NULL */
    const json_t *options;
    const json_t *labels;
    bool internal, attachable, enable_ipv6, check_duplicate;
};
/* Create a user-defined network; returns its id (new string). Errors in dockerd's words:
 * `network with name NAME already exists` (BT_E_CONFLICT), `plugin "x" not found` for a
 * driver or IPAM driver other than bridge and default (BT_E_NOT_FOUND), `invalid pool request:
 * Pool overlaps with other one on this address space` (BT_E_FORBIDDEN). */
char *net_create(struct net_store *s, const struct net_create_req *r, bt_err **err);

/* By full id, unique id prefix or name; new reference of the inspect shape (with
 * "Containers"). BT_E_NOT_FOUND `network NAME not found`. */
json_t *net_inspect(struct net_store *s, const char *ref, bt_err **err);
/* Every network, inspect-shaped, sorted by name (new reference). */
json_t *net_list(struct net_store *s);
/* The network's name and id for a reference (new strings); -1 with `network X not found`. */
int net_resolve(struct net_store *s, const char *ref, char **name, char **id, bt_err **err);

/* Remove a user-defined network: `NAME is a pre-defined network and cannot be removed`,
 * `error while removing network: network NAME has active endpoints (name:"web" id:"1a2b3c4d5e6f")`
 * (BT_E_FORBIDDEN). */
int net_remove(struct net_store *s, const char *ref, bt_err **err);

/* ---- endpoints ---- */

struct net_endpoint_req {
    const char *network;     /* name or id */
    const char *ctr_id;      /* full id */
    const char *ctr_name;    /* without "/" */
    const char *netns_path;  /* the container's namespace file */
    const char *ifname;      /* "eth0", "eth1", ... */
    const json_t *config;    /* the API's EndpointSettings as given at create/connect:
                                IPAMConfig.IPv4Address, Aliases, MacAddress; or NULL */
    const char *mac_address; /* Config.MacAddress (API < 1.44), or NULL */
    bool default_route;      /* the container's first network */
};
/* Give the container an address on the network and plug it in; returns the EndpointSettings
 * as inspect shows them (NetworkID, EndpointID, Gateway, IPAddress, IPPrefixLen, MacAddress,
 * Aliases, ...), new reference. Errors: `network X not found`, `Address already in use`,
 * `invalid IPv4 address`, `user specified IP address is supported only when connecting to
 * networks with user configured subnets`. */
json_t *net_endpoint_add(struct net_store *s, const struct net_endpoint_req *r, bt_err **err);
/* Check an endpoint's settings (the API's EndpointSettings: IPAMConfig, Aliases, MacAddress)
 * for a network, as dockerd's validateEndpointSettings does before a create or a connect; the
 * network is named as the request names it ("default", "bridge", a user network's name); one
 * that does not exist is judged by that name only. An address or alias on a network that is not
 * user-defined, malformed addresses (IPv4, IPv6, link-local), an address outside the network's
 * configured subnet or on a network without one (every IPv6 address: no network has an IPv6
 * subnet), a bad MAC address. BT_E_INVALID in dockerd's words: "invalid endpoint settings:\n"
 * then the reasons as net_join_errors() joins them ("user specified IP address is supported on
 * user defined networks only"); "invalid MAC address X" alone. */
int net_endpoint_check(struct net_store *s, const char *network, const json_t *config,
                       bt_err **err);
/* Messages joined as dockerd's multierror.Join prints them: one as it is, several as
 * "* a\n* b" with each one's own lines indented by a tab. A new string. */
char *net_join_errors(char *const *msgs, size_t n);
/* Let the address go and unplug its device (by the name it was given; it goes with the
 * namespace when that is gone already). No error when the container has no endpoint there. */
void net_endpoint_remove(struct net_store *s, const char *network, const char *ctr_id,
                         const char *netns_path);
/* The first "ethN" that none of the container's endpoints uses (for a connect). */
void net_endpoint_free_ifname(struct net_store *s, const char *ctr_id, char out[16]);
/* After a restart: drop every endpoint whose container is not in `running` (ids; a JSON array
 * of strings), and every published port; then rebuild the nftables table. */
void net_store_reconcile(struct net_store *s, const json_t *running);
/* Re-take the ports of a running container after a restart (the sockets that hold them died
 * with the previous berthd); `ports` is its NetworkSettings.Ports. */
int net_ports_readopt(struct net_store *s, const char *ctr_id, const char *ctr_ip,
                      const json_t *ports, bt_err **err);

/* ---- published ports ---- */

struct net_publish_req {
    const char *ctr_id;
    const char *ctr_name;
    const char *endpoint_id; /* for the error messages, as dockerd names the endpoint */
    const char *ctr_ip;      /* the address on the network the ports lead to */
    const json_t *exposed;   /* Config.ExposedPorts */
    const json_t *bindings;  /* HostConfig.PortBindings */
    bool publish_all;        /* HostConfig.PublishAllPorts (-P) */
};
/* Take the host ports (a socket bound to each holds it: another process cannot take it, and a
 * taken one is an error), add the DNAT rules, and return NetworkSettings.Ports as dockerd shows
 * it ({"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "443/tcp": null}). A binding
 * without a host port gets one of the ephemeral range, a host range ("8000-8010") one of its
 * own: the first free one after the last the range gave, beginning at its start, as dockerd
 * gives them (a fresh engine's first -P port is 32768 with Linux's default range). Errors:
 * `driver failed programming external connectivity on endpoint NAME (ID): Bind for
 * 0.0.0.0:8080 failed: port is already allocated`. */
json_t *net_ports_publish(struct net_store *s, const struct net_publish_req *r, bt_err **err);
/* Give the container's host ports back and drop its rules. */
void net_ports_release(struct net_store *s, const char *ctr_id);

/* ---- the containers' view ---- */

/* The network's gateway for resolv.conf (user-defined networks only: the DNS server's
 * address); false for the default bridge, host and none. */
bool net_dns_server(struct net_store *s, const char *network, char out[16]);
/* Whether the network is the default bridge ("bridge"), a user-defined one, ... */
bool net_is_default_bridge(struct net_store *s, const char *network);
/* The default network's name for a NetworkMode of "default": "bridge", or "none" when the
 * daemon runs with --bridge none. */
const char *net_default_name(struct net_store *s);
