/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * IPv4 address management for one subnet (libnetwork's default IPAM, as dockerd's bridge
 * driver uses it): the network address, the gateway and the broadcast address are never handed
 * out; a request for a given address (`--ip`) takes exactly it or fails; otherwise the lowest
 * free address in the pool (the subnet, or `--ip-range` within it) is taken.
 *
 * Pure (no I/O): the network store keeps the allocations on disk and replays them with
 * net_ipam_reserve() when berthd starts. Not thread safe: the store's lock covers it.
 * Addresses are in host byte order.
 */
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "shared/base/err.h"

struct net_ipam;

/* Parse "a.b.c.d/len" (0 < len <= 30; the host bits must be zero, as dockerd checks: `invalid
 * subnet 172.18.0.1/16 : it should be 172.18.0.0/16`). */
int net_cidr_parse(const char *s, uint32_t *addr, int *len, bt_err **err);
/* "a.b.c.d" -> address; -1 with `invalid IPv4 address: "x"`. */
int net_ip_parse(const char *s, uint32_t *addr, bt_err **err);
/* Format into buf (at least 16 bytes); returns buf. */
char *net_ip_format(uint32_t addr, char *buf);

/* subnet "172.18.0.0/16"; gateway NULL/"" = the first host address; ip_range NULL/"" = the
 * whole subnet. Errors in dockerd's words (`no matching subnet for range 10.0.0.0/24`, `no
 * matching subnet for gateway 10.1.0.1`). */
struct net_ipam *net_ipam_new(const char *subnet, const char *gateway, const char *ip_range,
                              bt_err **err);
void net_ipam_free(struct net_ipam *p);

uint32_t net_ipam_gateway(const struct net_ipam *p);
uint32_t net_ipam_subnet(const struct net_ipam *p);
int net_ipam_prefix_len(const struct net_ipam *p);

/* Take this address: BT_E_CONFLICT `Address already in use` when taken, BT_E_INVALID `no
 * available IPv4 addresses on this network's address pools: NAME` style errors are the
 * caller's; here `requested address a.b.c.d is out of the subnet` when outside. */
int net_ipam_reserve(struct net_ipam *p, uint32_t addr, bt_err **err);
/* Take the lowest free address of the pool; BT_E_CONFLICT `no available addresses` when full. */
int net_ipam_alloc(struct net_ipam *p, uint32_t *addr, bt_err **err);
/* Give an address back (no-op when it was free). */
void net_ipam_release(struct net_ipam *p, uint32_t addr);
bool net_ipam_in_use(const struct net_ipam *p, uint32_t addr);

/* ipam-config.c: the API's IPAM object of a network create, checked as dockerd 28's
 * ValidateIPAM checks it before anything else, in its words: "invalid network config:\n"
 * then the reasons as net_join_errors() joins them ("invalid subnet x: invalid CIDR block
 * notation", "invalid subnet 10.0.0.1/8: it should be 10.0.0.0/8", "invalid gateway 11.0.0.1:
 * parent subnet 10.0.0.0/8 doesn't contain this address", ...). IPv6 subnets are checked beyond
 * their notation only with enable_ipv6. BT_E_INVALID. */
int net_ipam_validate(const json_t *ipam, bool enable_ipv6, bt_err **err);

/* Whether two subnets overlap (for `Pool overlaps with other one on this address space`). */
bool net_cidr_overlap(uint32_t a, int alen, uint32_t b, int blen);
