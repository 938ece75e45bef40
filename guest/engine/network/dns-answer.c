/* SPDX-License-Identifier: Apache-2.0 */
/* Answering queries from the engine's names (dns.h, dns-internal.h): parsed and built with
 * ldns, which does the wire format's name compression, EDNS and label rules. Pure: no I/O. */
#include "guest/engine/network/dns-internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "shared/base/cleanup.h"

BT_DEFINE_AUTOPTR(ldns_pkt, ldns_pkt, ldns_pkt_free);

/* The UDP payload size our replies advertise when the query has EDNS: 1232, the value of the
 * DNS flag day 2020 (it fits IPv6's minimum MTU without fragments). */
#define DNS_EDNS_UDP 1232
/* One A record in a reply: a 2-byte pointer to the question's name (ldns compresses), type,
 * class, TTL, length and the address. */
#define A_RECORD_WIRE 16

/* ldns returns NULL when malloc fails; Berth has no out-of-memory paths (mem.h). */
static void *ldns_must(void *p)
{
    if (!p) {
        fputs("berthd: out of memory in ldns\n", stderr);
        abort();
    }
    return p;
}

/* The name as the lookup callback takes it: labels joined by dots, lower case, no trailing
 * dot. False (so the query is not the engine's) for the root, and for a label holding a dot,
 * a NUL or a byte outside printable ASCII: no container name, ID or alias has one, and a dot
 * inside a label would make "a.b" (one label) look like the name "a.b" (two labels). */
static bool lookup_name(const ldns_rdf *owner, char *buf, size_t size)
{
    const uint8_t *p = ldns_rdf_data(owner);
    size_t n = ldns_rdf_size(owner), i = 0, o = 0;
    while (i < n && p[i] != 0) {
        size_t l = p[i++];
        if (l > 63 || i + l > n || o + l + 1 >= size)
            return false;
        if (o > 0)
            buf[o++] = '.';
        for (size_t k = 0; k < l; k++) {
            uint8_t c = p[i + k];
            if (c <= ' ' || c > '~' || c == '.')
                return false;
            buf[o++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        i += l;
    }
    buf[o] = '\0';
    return o > 0;
}

/* A reply's header as dockerd's (miekg/dns SetReply and setCommonFlags): the query's ID,
 * opcode, RD and CD; QR; RA set, as the server recurses for what it does not answer; AA left
 * clear. The first question is echoed. A query with EDNS gets an OPT record back (RFC 6891
 * says a responder must include one), version 0, without DO: no answer here is signed. */
static ldns_pkt *reply_new(const ldns_pkt *q, ldns_pkt_rcode rcode)
{
    ldns_pkt *r = ldns_must(ldns_pkt_new());
    ldns_pkt_set_id(r, ldns_pkt_id(q));
    ldns_pkt_set_qr(r, true);
    ldns_pkt_set_opcode(r, ldns_pkt_get_opcode(q));
    ldns_pkt_set_rd(r, ldns_pkt_rd(q));
    ldns_pkt_set_cd(r, ldns_pkt_cd(q));
    ldns_pkt_set_ra(r, true);
    ldns_pkt_set_rcode(r, rcode);
    const ldns_rr_list *qs = ldns_pkt_question(q);
    if (qs && ldns_rr_list_rr_count(qs) > 0) {
        ldns_rr *qrr = ldns_must(ldns_rr_clone(ldns_rr_list_rr(qs, 0)));
        ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, qrr);
    }
    if (ldns_pkt_edns(q))
        ldns_pkt_set_edns_udp_size(r, DNS_EDNS_UDP);
    return r;
}

/* The reply in wire format into out: its length, 0 when longer than limit, -1 when ldns
 * cannot write it. */
static long to_wire(const ldns_pkt *r, uint8_t *out, size_t limit, size_t *len)
{
    uint8_t *wire = NULL;
    *len = 0;
    if (ldns_pkt2wire(&wire, r, len) != LDNS_STATUS_OK)
        return -1;
    long ret = 0;
    if (*len <= limit) {
        memcpy(out, wire, *len);
        ret = (long)*len;
    }
    free(wire);
    return ret;
}

static ldns_rr *a_record(const ldns_rdf *owner, uint32_t addr)
{
    ldns_rr *rr = ldns_must(ldns_rr_new());
    ldns_rr_set_owner(rr, ldns_must(ldns_rdf_clone(owner)));
    ldns_rr_set_type(rr, LDNS_RR_TYPE_A);
    ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
    ldns_rr_set_ttl(rr, DNS_TTL);
    uint32_t be = htonl(addr);
    ldns_rr_push_rdf(rr, ldns_must(ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, sizeof(be), &be)));
    return rr;
}

/* NOERROR with one A record per address (none for AAAA), owned by the name as asked (its
 * case kept). What does not fit in limit is left out and TC set, as dockerd's truncateResp
 * does, so that a UDP client retries over TCP. */
static long reply_addrs(const ldns_pkt *q, const uint32_t *addrs, size_t n, uint8_t *out,
                        size_t limit)
{
    const ldns_rdf *owner = ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(q), 0));
    bool tc = false;
    for (;;) {
        bt_autoptr(ldns_pkt) r = reply_new(q, LDNS_RCODE_NOERROR);
        ldns_pkt_set_tc(r, tc);
        for (size_t i = 0; i < n; i++)
            ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, a_record(owner, addrs[i]));
        size_t len;
        long ret = to_wire(r, out, limit, &len);
        if (ret != 0 || n == 0)
            return ret > 0 ? ret : -1;
        /* drop enough records for the excess (more when ldns did not compress) */
        size_t drop = (len - limit + A_RECORD_WIRE - 1) / A_RECORD_WIRE;
        n = drop < n ? n - drop : 0;
        tc = true;
    }
}

static long reply_rcode(const ldns_pkt *q, ldns_pkt_rcode rcode, uint8_t *out, size_t limit)
{
    bt_autoptr(ldns_pkt) r = reply_new(q, rcode);
    size_t len;
    long ret = to_wire(r, out, limit, &len);
    return ret > 0 ? ret : -1;
}

/* Over UDP a client takes 512 bytes, or what its EDNS record says (RFC 6891 6.2.5: values
 * below 512 are taken as 512). */
static size_t reply_limit(const struct dns_request *rq, const ldns_pkt *q, size_t out_size)
{
    if (!rq->udp)
        return out_size;
    size_t limit = DNS_UDP_MIN;
    if (ldns_pkt_edns(q) && ldns_pkt_edns_udp_size(q) > limit)
        limit = ldns_pkt_edns_udp_size(q);
    return limit < out_size ? limit : out_size;
}

/* dockerd shuffles the addresses of every answer, so that a network alias several containers
 * share spreads clients over them (DNS round robin). */
static void shuffle(uint32_t *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = arc4random_uniform((uint32_t)i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* The engine's answer to one question, if the name is the engine's (0 otherwise). */
static long answer_question(const struct dns_request *rq, const ldns_pkt *q, uint8_t *out,
                            size_t limit)
{
    const ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
    ldns_rr_type type = ldns_rr_get_type(qrr);
    if (ldns_rr_get_class(qrr) != LDNS_RR_CLASS_IN ||
        (type != LDNS_RR_TYPE_A && type != LDNS_RR_TYPE_AAAA))
        return 0;
    char name[LDNS_MAX_DOMAINLEN + 2];
    if (!lookup_name(ldns_rr_owner(qrr), name, sizeof(name)))
        return 0;
    uint32_t addrs[DNS_MAX_ADDRS];
    size_t n = rq->lookup(rq->ctx, rq->client, name, addrs, DNS_MAX_ADDRS);
    if (n == 0)
        return 0;
    if (n > DNS_MAX_ADDRS)
        n = DNS_MAX_ADDRS;
    /* Containers have no IPv6 addresses: the name exists without AAAA records, and asking
     * upstream would leak the name and give a wrong answer (dockerd's ipv6Miss). */
    if (type == LDNS_RR_TYPE_AAAA)
        n = 0;
    shuffle(addrs, n);
    return reply_addrs(q, addrs, n, out, limit);
}

long dns_answer(const struct dns_request *rq, uint8_t *out, size_t out_size)
{
    bt_autoptr(ldns_pkt) q = NULL;
    if (ldns_wire2pkt(&q, rq->query, rq->len) != LDNS_STATUS_OK)
        return -1;
    /* replies are never answered (that way lie loops), nor questionless queries */
    if (ldns_pkt_qr(q) || ldns_rr_list_rr_count(ldns_pkt_question(q)) == 0)
        return -1;
    size_t limit = reply_limit(rq, q, out_size);
    if (ldns_pkt_get_opcode(q) != LDNS_PACKET_QUERY)
        return reply_rcode(q, LDNS_RCODE_NOTIMPL, out, limit);
    /* Several questions in one query are not answered by anyone in practice; an EDNS
     * version other than 0 must get BADVERS (RFC 6891 6.1.3): both are left to upstream. */
    if (ldns_rr_list_rr_count(ldns_pkt_question(q)) != 1 || ldns_pkt_edns_version(q) != 0)
        return 0;
    return answer_question(rq, q, out, limit);
}

long net_dns_answer(const uint8_t *query, size_t len, uint32_t client, net_dns_lookup_fn lookup,
                    void *ctx, uint8_t *out, size_t out_size)
{
    struct dns_request rq = {
            .query = query,
            .len = len,
            .client = client,
            .udp = false,
            .lookup = lookup,
            .ctx = ctx,
    };
    return dns_answer(&rq, out, out_size);
}

long dns_servfail(const uint8_t *query, size_t len, uint8_t *out, size_t out_size)
{
    bt_autoptr(ldns_pkt) q = NULL;
    if (ldns_wire2pkt(&q, query, len) != LDNS_STATUS_OK)
        return -1;
    return reply_rcode(q, LDNS_RCODE_SERVFAIL, out, out_size);
}

bool dns_reply_try_next(const uint8_t *reply, size_t len)
{
    if (len < 4)
        return true;
    int rcode = reply[3] & 0x0f;
    return rcode == LDNS_RCODE_SERVFAIL || rcode == LDNS_RCODE_REFUSED;
}
