/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The embedded DNS server of user-defined networks (dockerd's is at 127.0.0.11 inside each
 * container; Berth's listens on each user-defined network's gateway address, port 53, UDP and
 * TCP, in berthd's own namespace, and the containers' resolv.conf names that address).
 *
 * A query for an A record of a name the engine knows on the asker's networks (a container's
 * name, its short ID, a network alias; with or without a trailing dot, any case) is answered
 * from the lookup callback, TTL 600 as dockerd's; AAAA for such a name gets an empty answer
 * (NOERROR, no records); any other query is forwarded to the upstream servers (the host's
 * /etc/resolv.conf, read at net_dns_start, loopback ones included: berthd runs in the host's
 * namespace) and the reply relayed; without upstream servers or when they fail, SERVFAIL.
 * Packets are parsed and built with ldns (its only home in Berth).
 *
 * One thread serves every socket. Thread safety: all functions may be called from any thread.
 */
#include <stddef.h>
#include <stdint.h>

#include "shared/base/err.h"

/* Fill out[] (at most max addresses, host byte order) with the IPv4 addresses of `name` as
 * seen by a container at `client` (host byte order), or return 0 when the name is not the
 * engine's. Called from the DNS thread; must not block for long. */
typedef size_t (*net_dns_lookup_fn)(void *ctx, uint32_t client, const char *name, uint32_t *out,
                                    size_t max);

struct net_dns;

struct net_dns *net_dns_start(net_dns_lookup_fn lookup, void *ctx, bt_err **err);
/* Serve on addr:53 (UDP and TCP); again for an address already served is a no-op. */
int net_dns_listen(struct net_dns *d, uint32_t addr, bt_err **err);
void net_dns_unlisten(struct net_dns *d, uint32_t addr);
void net_dns_stop(struct net_dns *d);

/* The pure part, for tests and fuzzing: answer one query packet. Returns the reply's length
 * in out (<= out_size), 0 when the query must be forwarded upstream as it is, -1 when it is to
 * be dropped (not a query, unparseable). */
long net_dns_answer(const uint8_t *query, size_t len, uint32_t client, net_dns_lookup_fn lookup,
                    void *ctx, uint8_t *out, size_t out_size);
