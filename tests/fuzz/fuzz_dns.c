/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The embedded DNS server's answers (guest/engine/network/dns-answer.c): every packet a
 * container sends the server goes through dns_answer, over UDP and TCP, with a roomy buffer and
 * a cramped one. Whatever comes in, a reply fits its buffer and parses back with the query's ID
 * and first question; a packet is dropped, forwarded or answered the same way over both
 * transports; a SERVFAIL can be made for whatever is forwarded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "guest/engine/network/dns-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Knows "web" (one address), "a.b" (two) and "many" (as many as asked for). */
static size_t lookup(void *ctx, uint32_t client, const char *name, uint32_t *out, size_t max)
{
    if (strcmp(name, "web") == 0) {
        out[0] = 0xac110005;
        return 1;
    }
    if (strcmp(name, "a.b") == 0) {
        out[0] = 0x0a000001;
        out[1] = 0x0a000002;
        return 2;
    }
    if (strcmp(name, "many") == 0) {
        for (size_t i = 0; i < max; i++)
            out[i] = 0x0a010000 + (uint32_t)i;
        return max;
    }
    return 0;
}

/* A reply must parse, be a response, and carry the query's ID and first question. */
static void check_reply(const uint8_t *q, size_t qlen, const uint8_t *r, size_t rlen)
{
    ldns_pkt *qp = NULL, *rp = NULL;
    if (ldns_wire2pkt(&qp, q, qlen) != LDNS_STATUS_OK ||
        ldns_wire2pkt(&rp, r, rlen) != LDNS_STATUS_OK)
        abort();
    if (!ldns_pkt_qr(rp) || ldns_pkt_id(rp) != ldns_pkt_id(qp) || ldns_pkt_qdcount(rp) != 1)
        abort();
    if (ldns_rr_compare(ldns_rr_list_rr(ldns_pkt_question(rp), 0),
                        ldns_rr_list_rr(ldns_pkt_question(qp), 0)) != 0)
        abort();
    ldns_pkt_free(qp);
    ldns_pkt_free(rp);
}

static long run(const uint8_t *data, size_t size, bool udp, uint8_t *out, size_t out_size)
{
    struct dns_request rq = {
            .query = data,
            .len = size,
            .client = 0xac110009,
            .udp = udp,
            .lookup = lookup,
    };
    long n = dns_answer(&rq, out, out_size);
    if (n > (long)out_size)
        abort();
    if (n > 0)
        check_reply(data, size, out, (size_t)n);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[DNS_MSG_MAX];
    if (size > DNS_MSG_MAX)
        return 0;
    long tcp = run(data, size, false, out, sizeof(out));
    long udp = run(data, size, true, out, sizeof(out));
    /* the transport changes the size of a reply, never the decision */
    if ((tcp > 0) != (udp > 0) || (tcp == 0) != (udp == 0))
        abort();
    long small = run(data, size, true, out, 64);
    if (small > 0 && tcp <= 0)
        abort();
    if (tcp == 0 && dns_servfail(data, size, out, sizeof(out)) <= 0)
        abort();
    return 0;
}
