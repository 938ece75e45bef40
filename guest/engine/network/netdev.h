/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Network devices and namespaces through rtnetlink (libmnl is the only home of netlink in
 * Berth): Linux bridges, veth pairs, addresses, routes, and persistent network namespaces.
 *
 * A container's network namespace is a file (a bind mount of the namespace, as `ip netns add`
 * makes them) that berthd creates and configures before the monitor starts the container, which
 * joins it by path (the OCI spec's namespace "path"). Removing the file (net_ns_remove) ends
 * the namespace once no process is left in it, and with it the container's end of every veth
 * pair, and so the host's end too: nothing leaks when a container dies while berthd is down.
 *
 * Every function works in the calling thread's network namespace unless it names one; all may
 * be called from any thread. They use a fresh netlink socket per call and never switch the
 * calling thread's namespace: what must happen inside another namespace (making one, opening
 * a netlink socket there) is done by a short-lived thread of their own, whose namespace goes
 * away with it.
 * Errors carry the operation and the device: `create bridge berth0: Operation not permitted`.
 */
#include <stdint.h>

#include "shared/base/err.h"

/* Create the namespace file at path (its directory must exist), with lo up inside. An existing
 * file that already is a namespace is kept (a berthd restarted under a running container).
 * The bind mount is copied into mount namespaces made later (a container's, before its
 * pivot_root drops the host's mounts): make the directory a shared mount, as `ip netns` does
 * with /run/netns, so that net_ns_remove's unmount reaches such copies too. */
int net_ns_create(const char *path, bt_err **err);
/* Unmount and unlink; no error when it is not there. */
int net_ns_remove(const char *path, bt_err **err);

/* Make sure a bridge of that name exists and is up, with addr/prefix_len on it (added when
 * missing, other IPv4 addresses left alone) and mtu when > 0. Existing bridges are reused: a
 * bridge berthd made before a restart keeps its ports. A new bridge gets a fixed random MAC.
 * Sets net.ipv4.conf.NAME.route_localnet = 1, which the DNAT of 127.0.0.1 needs (nat.h). */
int net_bridge_ensure(const char *name, uint32_t addr, int prefix_len, int mtu, bt_err **err);
/* Delete a link by name; no error when it is missing. */
int net_link_delete(const char *name, bt_err **err);
/* Whether a link of that name exists. */
int net_link_exists(const char *name);

struct net_veth_opts {
    const char *bridge;     /* host end joins this bridge */
    const char *host_name;  /* host end's name ("veth" + 7 hex digits of the endpoint) */
    const char *netns_path; /* the container's namespace file */
    const char *ifname;     /* the container end's name there: "eth0", "eth1", ... */
    uint32_t addr;          /* the container's address (host byte order) */
    int prefix_len;
    uint32_t gateway;   /* default route via this when default_route */
    int default_route;  /* 1: add "default via gateway" in the namespace */
    const uint8_t *mac; /* 6 bytes, or NULL: derived from addr as dockerd does
                           (02:42:ac:11:00:02 for 172.17.0.2) */
    int mtu;            /* > 0 to set */
};
/* Create the veth pair, put one end in the namespace under ifname with its address, MAC and
 * routes, attach the other to the bridge (hairpin on, as dockerd does without its userland
 * proxy), bring both up. On failure nothing is left behind. */
int net_veth_attach(const struct net_veth_opts *o, bt_err **err);
/* Delete the container end (ifname in the namespace); the pair goes with it. No error when the
 * namespace file or the device is gone already. */
int net_veth_detach(const char *netns_path, const char *ifname, bt_err **err);

/* dockerd's MAC for an address: 02:42 then the four bytes of the address. */
void net_mac_from_ip(uint32_t addr, uint8_t mac[6]);
/* "02:42:ac:11:00:02" <-> bytes; parse: -1 with `invalid MAC address: x`. */
int net_mac_parse(const char *s, uint8_t mac[6], bt_err **err);
char *net_mac_format(const uint8_t mac[6], char *buf /* >= 18 */);

/* Write a sysctl under /proc/sys (e.g. "net/ipv4/ip_forward", "1"). */
int net_sysctl_set(const char *key, const char *value, bt_err **err);
