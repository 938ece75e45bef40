/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Berth's packet filtering and NAT, as one nftables table of its own (`table ip berth`),
 * through libnftables (its only home in Berth). The table is regenerated whole from the
 * engine's state and replaced in one nftables transaction at every change, so that it is never
 * half-written, never holds the rules of a container that is gone (a restart rebuilds it from
 * the running containers) and never touches anyone else's tables (dockerd's, the host's
 * firewall). Why nftables and not iptables: docs/design/network.md.
 *
 * What the table does, per bridge network:
 *   - masquerade what leaves the subnet for another interface (outbound NAT);
 *   - DNAT each published port (prerouting for what arrives from outside and from containers,
 *     output for connections made on the host itself, 127.0.0.1 included, which needs
 *     route_localnet on the bridge: net_bridge_ensure sets it) to the container's address and
 *     port, and masquerade connections to published ports that come from loopback or hairpin
 *     through the bridge, so that the reply finds its way back;
 *   - drop what comes in from a bridge for 127.0.0.0/8 and is not a reply (route_localnet
 *     would otherwise let a container reach the host's loopback services);
 *   - keep bridge networks apart from each other, as dockerd's isolation chains do, except
 *     for connections to published ports; traffic within one network (unless icc is off) and
 *     out of it is accepted.
 *
 * What the caller sets up: net.ipv4.ip_forward = 1; for icc=false, br_netfilter with
 * net.bridge.bridge-nf-call-iptables = 1 (frames within a bridge are bridged, and reach the
 * forward hook only through br_netfilter). A host firewall with a forward policy of drop in
 * another table (dockerd's iptables) still drops: an accept here ends only this table's chain.
 *
 * Thread safety: net_nat_script is pure; applies must be serialised by the caller (the network
 * store's lock): two transactions that replace the table both succeed, and the last one wins.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/base/err.h"

struct net_nat_bridge {
    const char *bridge; /* "berth0", "br-0123456789ab" */
    uint32_t subnet;    /* host byte order */
    int prefix_len;
    bool masquerade; /* com.docker.network.bridge.enable_ip_masquerade */
    bool icc;        /* com.docker.network.bridge.enable_icc: false drops bridge-to-bridge */
};

struct net_nat_port {
    const char *proto; /* "tcp" or "udp" */
    uint32_t host_ip;  /* 0: every address of the host */
    uint16_t host_port;
    uint32_t ctr_ip;
    uint16_t ctr_port;
    const char *bridge; /* the container's bridge (for the hairpin masquerade) */
};

struct net_nat_state {
    const struct net_nat_bridge *bridges;
    size_t n_bridges;
    const struct net_nat_port *ports;
    size_t n_ports;
};

/* The nft script that replaces the table with one for this state (pure; unit tested; the
 * caller frees it). BT_E_INVALID for a bridge name that is not [A-Za-z0-9_.-]{1,15} (names go
 * into the script quoted) or a protocol other than tcp and udp. */
char *net_nat_script(const struct net_nat_state *st, bt_err **err);
/* Run net_nat_script's text in one transaction (in the calling thread's network namespace);
 * the error carries nft's message. */
int net_nat_apply(const struct net_nat_state *st, bt_err **err);
/* Delete the table (`berthd --bridge none`, tests). No error when missing. */
int net_nat_flush(bt_err **err);
