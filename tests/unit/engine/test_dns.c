/* SPDX-License-Identifier: Apache-2.0 */
/* The embedded DNS server's pure parts: answers to queries built with ldns (flags, TTL,
 * addresses, the question echoed, truncation, forwarding and dropping), SERVFAIL replies and
 * resolv.conf's nameservers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <ldns/ldns.h>

#include "guest/engine/network/dns-internal.h"
#include "shared/base/cleanup.h"

BT_DEFINE_AUTOPTR(ldns_pkt, ldns_pkt, ldns_pkt_free);

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* What the fake engine was asked last. */
struct seen {
    int calls;
    uint32_t client;
    char name[300];
};

/* Knows "web" (172.17.0.5), "web.mynet" (the same), "multi" (three addresses) and "many"
 * (DNS_MAX_ADDRS addresses). */
static size_t lookup(void *ctx, uint32_t client, const char *name, uint32_t *out, size_t max)
{
    struct seen *s = ctx;
    s->calls++;
    s->client = client;
    snprintf(s->name, sizeof(s->name), "%s", name);
    if (strcmp(name, "web") == 0 || strcmp(name, "web.mynet") == 0) {
        out[0] = IP(172, 17, 0, 5);
        return 1;
    }
    if (strcmp(name, "multi") == 0) {
        out[0] = IP(10, 0, 0, 1);
        out[1] = IP(10, 0, 0, 2);
        out[2] = IP(10, 0, 0, 3);
        return 3;
    }
    if (strcmp(name, "many") == 0) {
        for (size_t i = 0; i < max; i++)
            out[i] = IP(10, 1, (i >> 8) & 0xff, i & 0xff);
        return max;
    }
    return 0;
}

/* A query in wire format (malloc'd): name as given to ldns, type, RD set, ID id; edns > 0
 * adds an OPT record with that UDP size. */
static uint8_t *query(const char *name, ldns_rr_type type, uint16_t id, uint16_t edns, size_t *len)
{
    ldns_rdf *dname = ldns_dname_new_frm_str(name);
    assert_non_null(dname);
    bt_autoptr(ldns_pkt) q = ldns_pkt_query_new(dname, type, LDNS_RR_CLASS_IN, LDNS_RD);
    assert_non_null(q);
    ldns_pkt_set_id(q, id);
    if (edns)
        ldns_pkt_set_edns_udp_size(q, edns);
    uint8_t *wire = NULL;
    assert_int_equal(ldns_pkt2wire(&wire, q, len), LDNS_STATUS_OK);
    return wire;
}

/* Answer a query; the reply, parsed (NULL when net_dns_answer returned 0 or -1: *ret says). */
static ldns_pkt *answer(const uint8_t *q, size_t len, uint32_t client, struct seen *s,
                        size_t out_size, long *ret)
{
    static uint8_t out[DNS_MSG_MAX];
    assert_true(out_size <= sizeof(out));
    *ret = net_dns_answer(q, len, client, lookup, s, out, out_size);
    if (*ret <= 0)
        return NULL;
    assert_true((size_t)*ret <= out_size);
    ldns_pkt *r = NULL;
    assert_int_equal(ldns_wire2pkt(&r, out, (size_t)*ret), LDNS_STATUS_OK);
    return r;
}

static uint32_t a_of(const ldns_rr *rr)
{
    assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_A);
    const ldns_rdf *rd = ldns_rr_rdf(rr, 0);
    assert_int_equal(ldns_rdf_size(rd), 4);
    uint32_t be;
    memcpy(&be, ldns_rdf_data(rd), 4);
    return ntohl(be);
}

static void assert_question(const ldns_pkt *r, const char *name, ldns_rr_type type)
{
    assert_int_equal(ldns_pkt_qdcount(r), 1);
    const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(r), 0);
    bt_autofree char *owner = ldns_rdf2str(ldns_rr_owner(q));
    assert_string_equal(owner, name);
    assert_int_equal(ldns_rr_get_type(q), type);
    assert_int_equal(ldns_rr_get_class(q), LDNS_RR_CLASS_IN);
}

static void test_dns_known_name_gets_a_records(void **state)
{
    (void)state;
    struct seen s = {0};
    size_t len;
    bt_autofree uint8_t *q = query("web.", LDNS_RR_TYPE_A, 0x1234, 0, &len);
    long ret;
    bt_autoptr(ldns_pkt) r = answer(q, len, IP(172, 17, 0, 9), &s, DNS_MSG_MAX, &ret);
    assert_non_null(r);
    assert_int_equal(ldns_pkt_id(r), 0x1234);
    assert_true(ldns_pkt_qr(r));
    assert_true(ldns_pkt_rd(r));
    assert_true(ldns_pkt_ra(r)); /* dockerd's setCommonFlags */
    assert_false(ldns_pkt_aa(r));
    assert_false(ldns_pkt_tc(r));
    assert_int_equal(ldns_pkt_get_opcode(r), LDNS_PACKET_QUERY);
    assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
    assert_false(ldns_pkt_edns(r));
    assert_question(r, "web.", LDNS_RR_TYPE_A);
    assert_int_equal(ldns_pkt_ancount(r), 1);
    const ldns_rr *a = ldns_rr_list_rr(ldns_pkt_answer(r), 0);
    assert_int_equal(ldns_rr_ttl(a), 600);
    assert_int_equal(ldns_rr_get_class(a), LDNS_RR_CLASS_IN);
    assert_int_equal(a_of(a), IP(172, 17, 0, 5));
    bt_autofree char *owner = ldns_rdf2str(ldns_rr_owner(a));
    assert_string_equal(owner, "web.");
    assert_int_equal(ldns_pkt_nscount(r), 0);
    assert_int_equal(ldns_pkt_arcount(r), 0);
}

static void test_dns_every_address_once(void **state)
{
    (void)state;
    struct seen s = {0};
    size_t len;
    bt_autofree uint8_t *q = query("multi", LDNS_RR_TYPE_A, 7, 0, &len);
    long ret;
    bt_autoptr(ldns_pkt) r = answer(q, len, 0, &s, DNS_MSG_MAX, &ret);
    assert_non_null(r);
    assert_int_equal(ldns_pkt_ancount(r), 3);
    unsigned seen = 0;
    for (size_t i = 0; i < 3; i++) {
        uint32_t a = a_of(ldns_rr_list_rr(ldns_pkt_answer(r), i));
        assert_true(a >= IP(10, 0, 0, 1) && a <= IP(10, 0, 0, 3));
        seen |= 1u << (a & 0xff);
    }
    assert_int_equal(seen, 0xe);
}

static void test_dns_case_and_trailing_dot(void **state)
{
    (void)state;
    struct seen s = {0};
    size_t len;
    long ret;
    /* the engine sees the name lower case, without the root's dot; the reply keeps the
     * asker's case */
    bt_autofree uint8_t *q1 = query("WeB", LDNS_RR_TYPE_A, 1, 0, &len);
    bt_autoptr(ldns_pkt) r1 = answer(q1, len, 0, &s, DNS_MSG_MAX, &ret);
    assert_non_null(r1);
    assert_string_equal(s.name, "web");
    assert_question(r1, "WeB.", LDNS_RR_TYPE_A);
    bt_autofree char *owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_answer(r1), 0)));
    assert_string_equal(owner, "WeB.");
    /* two labels come as one dotted name */
    bt_autofree uint8_t *q2 = query("WEB.MyNet.", LDNS_RR_TYPE_A, 2, 0, &len);
    bt_autoptr(ldns_pkt) r2 = answer(q2, len, 0, &s, DNS_MSG_MAX, &ret);
    assert_non_null(r2);
    assert_string_equal(s.name, "web.mynet");
    assert_int_equal(ldns_pkt_ancount(r2), 1);
    /* a label holding a dot is not the two-label name: not looked up, forwarded */
    int calls = s.calls;
    bt_autofree uint8_t *q3 = query("web\\.mynet.", LDNS_RR_TYPE_A, 3, 0, &len);
    bt_autoptr(ldns_pkt) r3 = answer(q3, len, 0, &s, DNS_MSG_MAX, &ret);
    assert_null(r3);
    assert_int_equal(ret, 0);
    assert_int_equal(s.calls, calls);
    /* the root is nobody's name */
    bt_autofree uint8_t *q4 = query(".", LDNS_RR_TYPE_A, 4, 0, &len);
    assert_null(answer(q4, len, 0, &s, DNS_MSG_MAX, &ret));
    assert_int_equal(ret, 0);
}

static void test_dns_aaaa_of_known_name_is_empty(void **state)
{
    (void)state;
    struct seen s = {0};
    size_t len;
    bt_autofree uint8_t *q = query("web", LDNS_RR_TYPE_AAAA, 0xbeef, 0, &len);
    long ret;
    bt_autoptr(ldns_pkt) r = answer(q, len, 0, &s, DNS_MSG_MAX, &ret);
    assert_non_null(r);
    assert_int_equal(ldns_pkt_id(r), 0xbeef);
    assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
    assert_int_equal(ldns_pkt_ancount(r), 0);
    assert_question(r, "web.", LDNS_RR_TYPE_AAAA);
    assert_int_equal(s.calls, 1);
}

static void test_dns_others_are_forwarded(void **state)
{
    (void)state;
    struct seen s = {0};
    size_t len;
    long ret;
    bt_autofree uint8_t *q1 = query("example.com", LDNS_RR_TYPE_A, 1, 0, &len);
    assert_null(answer(q1, len, 0, &s, DNS_MSG_MAX, &ret));
    assert_int_equal(ret, 0);
    assert_string_equal(s.name, "example.com");
    bt_autofree uint8_t *q2 = query("example.com", LDNS_RR_TYPE_AAAA, 1, 0, &len);
    assert_null(answer(q2, len, 0, &s, DNS_MSG_MAX, &ret));
    assert_int_equal(ret, 0);
    /* other types of the engine's names too, without asking the engine */
    s.calls = 0;
    bt_autofree uint8_t *q3 = query("web", LDNS_RR_TYPE_MX, 1, 0, &len);
    assert_null(answer(q3, len, 0, &s, DNS_MSG_MAX, &ret));
    assert_int_equal(ret, 0);
    assert_int_equal(s.calls, 0);
}

static void test_dns_other_classes_are_forwarded(void **state)
{
    (void)state;
    struct seen s = {0};
    ldns_rdf *dname = ldns_dname_new_frm_str("web.");
    bt_autoptr(ldns_pkt) q = ldns_pkt_query_new(dname, LDNS_RR_TYPE_A, LDNS_RR_CLASS_CH, 0);
    bt_autofree uint8_t *wire = NULL;
    size_t len;
    assert_int_equal(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
    long ret;
    assert_null(answer(wire, len, 0, &s, DNS_MSG_MAX, &ret));
    assert_int_equal(ret, 0);
    assert_int_equal(s.calls, 0);
}

static void test_dns_client_address_reaches_lookup(void **state)
{
    (void)state;
    struct seen s = {0};
    size_t len;
    long ret;
    bt_autofree uint8_t *q = query("web", LDNS_RR_TYPE_A, 1, 0, &len);
    bt_autoptr(ldns_pkt) r = answer(q, len, IP(192, 168, 7, 42), &s, DNS_MSG_MAX, &ret);
    assert_non_null(r);
    assert_int_equal(s.client, IP(192, 168, 7, 42));
}

static void test_dns_responses_and_garbage_are_dropped(void **state)
{
    (void)state;
    struct seen s = {0};
    size_t len;
    long ret;
    bt_autofree uint8_t *q = query("web", LDNS_RR_TYPE_A, 1, 0, &len);
    /* a response (QR set) */
    q[2] |= 0x80;
    assert_null(answer(q, len, 0, &s, DNS_MSG_MAX, &ret));
    assert_int_equal(ret, -1);
    q[2] &= 0x7f;
    /* cut short, anywhere */
    for (size_t cut = 0; cut < len; cut++) {
        assert_null(answer(q, cut, 0, &s, DNS_MSG_MAX, &ret));
        assert_int_equal(ret, -1);
    }
    /* no question */
    uint8_t empty[12] = {0x12, 0x34, 0x01, 0x00};
    assert_null(answer(empty, sizeof(empty), 0, &s, DNS_MSG_MAX, &ret));
    assert_int_equal(ret, -1);
    /* garbage: a question count the packet does not hold, a label running off the end */
    uint8_t junk[] = {0xde, 0xad, 0x01, 0x00, 0x00, 0x05, 0, 0, 0, 0, 0, 0, 0x3f, 'a', 'b'};
    assert_null(answer(junk, sizeof(junk), 0, &s, DNS_MSG_MAX, &ret));
    assert_int_equal(ret, -1);
    /* a compression pointer to itself */
    uint8_t loop[] = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};
    assert_null(answer(loop, sizeof(loop), 0, &s, DNS_MSG_MAX, &ret));
    assert_int_equal(ret, -1);
    assert_int_equal(s.calls, 0);
}

static void test_dns_other_opcodes_get_notimp(void **state)
{
    (void)state;
    struct seen s = {0};
    size_t len;
    long ret;
    bt_autofree uint8_t *q = query("web", LDNS_RR_TYPE_SOA, 0x4242, 0, &len);
    q[2] = (uint8_t)((q[2] & 0x87) | LDNS_PACKET_NOTIFY << 3);
    bt_autoptr(ldns_pkt) r = answer(q, len, 0, &s, DNS_MSG_MAX, &ret);
    assert_non_null(r);
    assert_int_equal(ldns_pkt_id(r), 0x4242);
    assert_true(ldns_pkt_qr(r));
    assert_int_equal(ldns_pkt_get_opcode(r), LDNS_PACKET_NOTIFY);
    assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOTIMPL);
    assert_int_equal(ldns_pkt_ancount(r), 0);
    assert_int_equal(s.calls, 0);
}

/* Over UDP a reply fits 512 bytes, or the query's EDNS size; what does not fit is left out
 * and TC set. Over TCP everything goes. */
static void test_dns_udp_replies_are_truncated(void **state)
{
    (void)state;
    struct seen s = {0};
    static uint8_t out[DNS_MSG_MAX];
    size_t len;
    bt_autofree uint8_t *q = query("many", LDNS_RR_TYPE_A, 9, 0, &len);
    struct dns_request rq = {.query = q, .len = len, .udp = true, .lookup = lookup, .ctx = &s};
    long n = dns_answer(&rq, out, sizeof(out));
    assert_true(n > 400 && n <= 512);
    bt_autoptr(ldns_pkt) r = NULL;
    assert_int_equal(ldns_wire2pkt(&r, out, (size_t)n), LDNS_STATUS_OK);
    assert_true(ldns_pkt_tc(r));
    assert_true(ldns_pkt_ancount(r) > 20 && ldns_pkt_ancount(r) < DNS_MAX_ADDRS);

    bt_autofree uint8_t *qe = query("many", LDNS_RR_TYPE_A, 9, 8192, &len);
    rq.query = qe;
    rq.len = len;
    n = dns_answer(&rq, out, sizeof(out));
    bt_autoptr(ldns_pkt) re = NULL;
    assert_int_equal(ldns_wire2pkt(&re, out, (size_t)n), LDNS_STATUS_OK);
    assert_false(ldns_pkt_tc(re));
    assert_int_equal(ldns_pkt_ancount(re), DNS_MAX_ADDRS);
    /* the reply to an EDNS query carries an OPT record of its own */
    assert_true(ldns_pkt_edns(re));
    assert_int_equal(ldns_pkt_edns_version(re), 0);

    rq.query = q;
    rq.udp = false;
    n = dns_answer(&rq, out, sizeof(out));
    bt_autoptr(ldns_pkt) rt = NULL;
    assert_int_equal(ldns_wire2pkt(&rt, out, (size_t)n), LDNS_STATUS_OK);
    assert_false(ldns_pkt_tc(rt));
    assert_int_equal(ldns_pkt_ancount(rt), DNS_MAX_ADDRS);
    /* a buffer too small for even the question: dropped, never overrun */
    assert_int_equal(net_dns_answer(q, len, 0, lookup, &s, out, 20), -1);
}

static void test_dns_newer_edns_is_forwarded(void **state)
{
    (void)state;
    struct seen s = {0};
    ldns_rdf *dname = ldns_dname_new_frm_str("web.");
    bt_autoptr(ldns_pkt) q = ldns_pkt_query_new(dname, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0);
    ldns_pkt_set_edns_udp_size(q, 1232);
    ldns_pkt_set_edns_version(q, 1);
    bt_autofree uint8_t *wire = NULL;
    size_t len;
    assert_int_equal(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
    long ret;
    assert_null(answer(wire, len, 0, &s, DNS_MSG_MAX, &ret));
    assert_int_equal(ret, 0);
}

static void test_dns_servfail(void **state)
{
    (void)state;
    static uint8_t out[512];
    size_t len;
    bt_autofree uint8_t *q = query("example.com", LDNS_RR_TYPE_A, 0x7777, 0, &len);
    long n = dns_servfail(q, len, out, sizeof(out));
    assert_true(n > 0);
    bt_autoptr(ldns_pkt) r = NULL;
    assert_int_equal(ldns_wire2pkt(&r, out, (size_t)n), LDNS_STATUS_OK);
    assert_int_equal(ldns_pkt_id(r), 0x7777);
    assert_true(ldns_pkt_qr(r));
    assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_SERVFAIL);
    assert_question(r, "example.com.", LDNS_RR_TYPE_A);
    assert_int_equal(dns_servfail(q, 5, out, sizeof(out)), -1);
    /* the rcodes that send a forward on to the next server */
    out[3] = LDNS_RCODE_REFUSED;
    assert_true(dns_reply_try_next(out, (size_t)n));
    out[3] = LDNS_RCODE_NXDOMAIN;
    assert_false(dns_reply_try_next(out, (size_t)n));
}

static void test_dns_resolv_conf(void **state)
{
    (void)state;
    const char *text = "# generated\n"
                       "search example.com\n"
                       "nameserver 10.0.0.2\n"
                       "  nameserver\t2001:db8::53 # comment\n"
                       "nameserver not-an-address\n"
                       "nameservers 10.9.9.9\n"
                       ";nameserver 10.8.8.8\n"
                       "nameserver fe80::1%lo\n"
                       "nameserver 10.0.0.3\n"
                       "options ndots:2\n";
    struct dns_server s[DNS_MAX_SERVERS];
    assert_int_equal(dns_parse_resolv_conf(text, s, DNS_MAX_SERVERS), 3);
    struct sockaddr_in *a = (struct sockaddr_in *)&s[0].addr;
    assert_int_equal(a->sin_family, AF_INET);
    assert_int_equal(ntohl(a->sin_addr.s_addr), IP(10, 0, 0, 2));
    assert_int_equal(ntohs(a->sin_port), 53);
    struct sockaddr_in6 *b = (struct sockaddr_in6 *)&s[1].addr;
    assert_int_equal(b->sin6_family, AF_INET6);
    assert_int_equal(ntohs(b->sin6_port), 53);
    assert_int_equal(s[1].addr_len, sizeof(struct sockaddr_in6));
    struct sockaddr_in6 *c = (struct sockaddr_in6 *)&s[2].addr;
    assert_int_equal(c->sin6_family, AF_INET6);
    assert_int_equal(c->sin6_scope_id, 1); /* lo */
    assert_int_equal(dns_parse_resolv_conf("search x\n", s, DNS_MAX_SERVERS), 0);
    assert_int_equal(dns_parse_resolv_conf("", s, DNS_MAX_SERVERS), 0);
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(dns_server_parse("dns.google", s, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_dns_known_name_gets_a_records),
            cmocka_unit_test(test_dns_every_address_once),
            cmocka_unit_test(test_dns_case_and_trailing_dot),
            cmocka_unit_test(test_dns_aaaa_of_known_name_is_empty),
            cmocka_unit_test(test_dns_others_are_forwarded),
            cmocka_unit_test(test_dns_other_classes_are_forwarded),
            cmocka_unit_test(test_dns_client_address_reaches_lookup),
            cmocka_unit_test(test_dns_responses_and_garbage_are_dropped),
            cmocka_unit_test(test_dns_other_opcodes_get_notimp),
            cmocka_unit_test(test_dns_udp_replies_are_truncated),
            cmocka_unit_test(test_dns_newer_edns_is_forwarded),
            cmocka_unit_test(test_dns_servfail),
            cmocka_unit_test(test_dns_resolv_conf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
