/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The embedded DNS server of user-defined networks (dockerd's is at 127.0.0.11 inside each
 * container; Berth's listens on each user-defined network's gateway address, port 53, UDP and
 * TCP, in berthd's own namespace, and the containers' resolv.conf names that address).
 *
 * A query for an A record of a name the engine knows on the asker's networks (a container's
 * name, its short ID, a network alias; with or without a trailing dot, any case) is answered
 * from the lookup callback, TTL 600 as dockerd's, the addresses shuffled (round robin), RA set
 * and AA clear as dockerd's; AAAA for such a name gets an empty answer (NOERROR, no records);
 * an opcode other than QUERY gets NOTIMP; any other query is forwarded to the upstream servers
 * (the `nameserver` lines of the host's /etc/resolv.conf, IPv4 and IPv6, at most three as every
 * libc reads, read at net_dns_start, loopback ones included: berthd runs in the host's
 * namespace) and the reply relayed: UDP over UDP, TCP over TCP, each server in turn given 2 s,
 * the next one asked also after SERVFAIL or REFUSED; without upstream servers or when they all
 * fail, SERVFAIL. A UDP reply is limited to 512 bytes or the query's EDNS size, truncated with
 * TC beyond. Packets are parsed and built with ldns (its only home in Berth).
 *
 * One thread serves every socket; it is started by net_dns_start and lives in the namespace of
 * the thread that calls it (berthd's own). Thread safety: all functions may be called from any
 * thread. The lookup callback runs on the server's thread without the server's lock held, so it
 * may take the engine's locks even while another thread holding them calls net_dns_listen or
 * net_dns_unlisten; only net_dns_stop waits for the thread, so it must not be called with a lock
 * the callback takes.
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
/* Serve on addr:53 (UDP and TCP; host byte order); again for an address already served is a
 * no-op. The sockets are bound with IP_FREEBIND, so the address may be added to its bridge
 * after this. Errors: the bind's errno (EADDRINUSE: another DNS server has the port). */
int net_dns_listen(struct net_dns *d, uint32_t addr, bt_err **err);
/* Close addr's sockets and its TCP clients; the port is free when this returns. An address
 * not served is ignored. */
void net_dns_unlisten(struct net_dns *d, uint32_t addr);
/* Stop the thread (waiting for TCP forwards in progress to give up) and free everything.
 * NULL is ignored. */
void net_dns_stop(struct net_dns *d);

/* The pure part, for tests and fuzzing: answer one query packet. Returns the reply's length
 * in out (<= out_size; records that do not fit are left out and TC set), 0 when the query must
 * be forwarded upstream as it is, -1 when it is to be dropped (not a query, unparseable, no
 * question, or out_size too small for even the question). */
long net_dns_answer(const uint8_t *query, size_t len, uint32_t client, net_dns_lookup_fn lookup,
                    void *ctx, uint8_t *out, size_t out_size);
