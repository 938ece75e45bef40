/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The embedded DNS server's internals (dns.h is the contract): the answering code
 * (dns-answer.c, pure, ldns) and the upstream servers (dns-upstream.c), shared with the server
 * (dns.c) and exposed to the tests.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "guest/engine/network/dns.h"
#include "shared/base/err.h"

/* dockerd's respTTL */
#define DNS_TTL 600
/* The most addresses one answer carries (a network alias shared by this many containers);
 * more than fit in a UDP reply, which is then truncated. */
#define DNS_MAX_ADDRS 256
/* RFC 1035's UDP limit, the reply size a client without EDNS accepts */
#define DNS_UDP_MIN 512
/* The largest message: TCP's 2-byte length */
#define DNS_MSG_MAX 65535
/* Upstream servers taken from resolv.conf: the resolver of every libc stops at three (glibc's
 * MAXNS), and so does dockerd's (maxExtDNS); more would only lengthen a failing query. */
#define DNS_MAX_SERVERS 3
/* How long one upstream server has to answer before the next is asked */
#define DNS_UPSTREAM_TIMEOUT_MS 2000

/* One query to answer (net_dns_answer's arguments, plus the transport). */
struct dns_request {
    const uint8_t *query;
    size_t len;
    uint32_t client; /* host byte order */
    /* UDP: the reply is limited to 512 bytes, or to the size the query's EDNS record
     * advertises (RFC 6891), and truncated with TC beyond; otherwise out_size alone limits. */
    bool udp;
    net_dns_lookup_fn lookup;
    void *ctx;
};

/* net_dns_answer for a transport: same returns (reply length, 0 forward, -1 drop). */
long dns_answer(const struct dns_request *rq, uint8_t *out, size_t out_size);

/* A SERVFAIL reply to a query (its ID, RD and question), for forwards that failed; -1 when
 * the query cannot be parsed or the reply does not fit. */
long dns_servfail(const uint8_t *query, size_t len, uint8_t *out, size_t out_size);

/* An upstream server: an IPv4 or IPv6 address, port 53. */
struct dns_server {
    struct sockaddr_storage addr;
    socklen_t addr_len;
};

/* The servers of a resolv.conf text: every `nameserver` line, IPv4 and IPv6 (with a %scope),
 * up to DNS_MAX_SERVERS, in order; lines that are not addresses are skipped. Returns the
 * count. */
size_t dns_parse_resolv_conf(const char *text, struct dns_server *out, size_t max);

/* One server from a numeric address ("10.0.0.2", "fe80::1%eth0"); -1 with BT_E_INVALID. */
int dns_server_parse(const char *addr, struct dns_server *out, bt_err **err);

/* net_dns_start with these servers instead of /etc/resolv.conf's (tests point the server at a
 * fake upstream; n 0: no forwarding, every forward is answered SERVFAIL). */
struct net_dns *dns_start_with_servers(const struct dns_server *servers, size_t n,
                                       net_dns_lookup_fn lookup, void *ctx, bt_err **err);

/* Send a query over TCP to the servers in turn (each DNS_UPSTREAM_TIMEOUT_MS) and return the
 * first usable reply (malloc'd, *reply_len set), or NULL when none answered. Blocking; gives
 * up early when stop_fd becomes readable. */
uint8_t *dns_forward_tcp(const struct dns_server *servers, size_t n, const uint8_t *query,
                         size_t len, int stop_fd, size_t *reply_len);

/* True when an upstream reply says "ask another server": SERVFAIL or REFUSED (dockerd goes
 * on to the next server for both). */
bool dns_reply_try_next(const uint8_t *reply, size_t len);
