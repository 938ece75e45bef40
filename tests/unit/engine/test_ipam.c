/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "guest/engine/network/ipam.h"
#include "shared/base/cleanup.h"

BT_DEFINE_AUTOPTR(net_ipam, struct net_ipam, net_ipam_free);

static uint32_t ip(const char *s)
{
    uint32_t a = 0;
    assert_int_equal(net_ip_parse(s, &a, NULL), 0);
    return a;
}

static const char *alloc_str(struct net_ipam *p, char *buf)
{
    uint32_t a;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(net_ipam_alloc(p, &a, &err), 0);
    return net_ip_format(a, buf);
}

static void expect_new_error(const char *subnet, const char *gw, const char *range, int code,
                             const char *msg)
{
    bt_autoerr bt_err *err = NULL;
    assert_null(net_ipam_new(subnet, gw, range, &err));
    assert_non_null(err);
    assert_int_equal(bt_err_code(err), code);
    assert_string_equal(bt_err_msg(err), msg);
}

static void test_ipam_lowest_free_after_gateway(void **state)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(net_ipam) p = net_ipam_new("172.17.0.0/16", NULL, NULL, &err);
    assert_non_null(p);
    char buf[16];
    assert_string_equal(net_ip_format(net_ipam_gateway(p), buf), "172.17.0.1");
    assert_string_equal(net_ip_format(net_ipam_subnet(p), buf), "172.17.0.0");
    assert_int_equal(net_ipam_prefix_len(p), 16);
    assert_string_equal(alloc_str(p, buf), "172.17.0.2");
    assert_string_equal(alloc_str(p, buf), "172.17.0.3");
    assert_true(net_ipam_in_use(p, ip("172.17.0.1")));
    assert_true(net_ipam_in_use(p, ip("172.17.0.3")));
    assert_false(net_ipam_in_use(p, ip("172.17.0.4")));
    assert_false(net_ipam_in_use(p, ip("10.0.0.1")));
}

static void test_ipam_never_hands_out_network_gateway_broadcast(void **state)
{
    bt_autoerr bt_err *err = NULL;
    /* a /29 with the gateway at .6: .1 to .5 are handed out, then nothing */
    bt_autoptr(net_ipam) p = net_ipam_new("10.9.0.0/29", "10.9.0.6", "", &err);
    assert_non_null(p);
    char buf[16];
    const char *want[] = {"10.9.0.1", "10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(alloc_str(p, buf), want[i]);
    uint32_t a;
    assert_int_equal(net_ipam_alloc(p, &a, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_CONFLICT);
    assert_string_equal(bt_err_msg(err), "no available addresses");
    bt_err_clear(&err);
    /* they are taken for a reservation too, and releasing them frees nothing */
    const char *special[] = {"10.9.0.0", "10.9.0.6", "10.9.0.7"};
    for (size_t i = 0; i < 3; i++) {
        net_ipam_release(p, ip(special[i]));
        assert_int_equal(net_ipam_reserve(p, ip(special[i]), &err), -1);
        assert_int_equal(bt_err_code(err), BT_E_CONFLICT);
        bt_err_clear(&err);
    }
}

static void test_ipam_reserve_exact_and_conflict(void **state)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(net_ipam) p = net_ipam_new("172.18.0.0/16", NULL, NULL, &err);
    assert_int_equal(net_ipam_reserve(p, ip("172.18.0.3"), &err), 0);
    assert_int_equal(net_ipam_reserve(p, ip("172.18.5.9"), &err), 0);
    assert_true(net_ipam_in_use(p, ip("172.18.5.9")));
    assert_int_equal(net_ipam_reserve(p, ip("172.18.0.3"), &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_CONFLICT);
    assert_string_equal(bt_err_msg(err), "Address already in use");
    bt_err_clear(&err);
    assert_int_equal(net_ipam_reserve(p, ip("172.19.0.3"), &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
    assert_string_equal(bt_err_msg(err), "requested address 172.19.0.3 is out of the subnet");
    bt_err_clear(&err);
    /* allocation goes around the reserved address */
    char buf[16];
    assert_string_equal(alloc_str(p, buf), "172.18.0.2");
    assert_string_equal(alloc_str(p, buf), "172.18.0.4");
}

static void test_ipam_release_and_reuse(void **state)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(net_ipam) p = net_ipam_new("192.168.50.0/24", NULL, NULL, &err);
    char buf[16];
    for (int i = 0; i < 4; i++)
        alloc_str(p, buf); /* .2 to .5 */
    net_ipam_release(p, ip("192.168.50.3"));
    net_ipam_release(p, ip("192.168.50.3")); /* twice: a no-op */
    net_ipam_release(p, ip("10.0.0.1"));     /* outside: a no-op */
    assert_false(net_ipam_in_use(p, ip("192.168.50.3")));
    assert_string_equal(alloc_str(p, buf), "192.168.50.3");
    assert_string_equal(alloc_str(p, buf), "192.168.50.6");
}

static void test_ipam_ip_range_within_subnet(void **state)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(net_ipam) p = net_ipam_new("10.1.0.0/16", "10.1.0.1", "10.1.4.0/30", &err);
    assert_non_null(p);
    char buf[16];
    /* the range's own first and last addresses are ordinary hosts of the subnet */
    const char *want[] = {"10.1.4.0", "10.1.4.1", "10.1.4.2", "10.1.4.3"};
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(alloc_str(p, buf), want[i]);
    uint32_t a;
    assert_int_equal(net_ipam_alloc(p, &a, &err), -1);
    bt_err_clear(&err);
    /* --ip may name any address of the subnet, outside the range too */
    assert_int_equal(net_ipam_reserve(p, ip("10.1.200.7"), &err), 0);
    expect_new_error("10.1.0.0/16", NULL, "10.2.0.0/24", BT_E_INVALID,
                     "no matching subnet for range 10.2.0.0/24");
    expect_new_error("10.1.0.0/16", NULL, "10.0.0.0/8", BT_E_INVALID,
                     "no matching subnet for range 10.0.0.0/8");
    expect_new_error("10.1.0.0/16", NULL, "10.1.4.1/24", BT_E_INVALID,
                     "invalid ip-range 10.1.4.1/24 : it should be 10.1.4.0/24");
}

static void test_ipam_range_at_subnet_edges(void **state)
{
    bt_autoerr bt_err *err = NULL;
    /* a range that covers the subnet's broadcast address never hands it out */
    bt_autoptr(net_ipam) p = net_ipam_new("10.3.0.0/24", NULL, "10.3.0.254/31", &err);
    assert_non_null(p);
    char buf[16];
    assert_string_equal(alloc_str(p, buf), "10.3.0.254");
    uint32_t a;
    assert_int_equal(net_ipam_alloc(p, &a, &err), -1);
}

static void test_ipam_bad_cidr_errors(void **state)
{
    expect_new_error("172.18.0.1/16", NULL, NULL, BT_E_INVALID,
                     "invalid subnet 172.18.0.1/16 : it should be 172.18.0.0/16");
    expect_new_error("172.18.0.0", NULL, NULL, BT_E_INVALID, "invalid CIDR address: 172.18.0.0");
    expect_new_error("172.18.0.0/33", NULL, NULL, BT_E_INVALID,
                     "invalid CIDR address: 172.18.0.0/33");
    expect_new_error("172.18.0/16", NULL, NULL, BT_E_INVALID, "invalid CIDR address: 172.18.0/16");
    expect_new_error("172.18.0.0/x", NULL, NULL, BT_E_INVALID,
                     "invalid CIDR address: 172.18.0.0/x");
    expect_new_error("10.0.0.0/31", NULL, NULL, BT_E_INVALID,
                     "invalid subnet 10.0.0.0/31: the prefix length must be 1 to 30");
    expect_new_error("10.1.0.0/16", "10.2.0.1", NULL, BT_E_INVALID,
                     "no matching subnet for gateway 10.2.0.1");
    expect_new_error("10.1.0.0/16", "10.1.0.300", NULL, BT_E_INVALID,
                     "invalid IPv4 address: \"10.1.0.300\"");
    expect_new_error("10.1.0.0/16", "10.1.255.255", NULL, BT_E_INVALID,
                     "invalid gateway 10.1.255.255: it is the subnet's network or broadcast "
                     "address");
    uint32_t a;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(net_ip_parse("010.1.2.3", &a, &err), -1);
    assert_string_equal(bt_err_msg(err), "invalid IPv4 address: \"010.1.2.3\"");
}

static void test_ipam_cidr_overlap(void **state)
{
    assert_true(net_cidr_overlap(ip("172.17.0.0"), 16, ip("172.17.5.0"), 24));
    assert_true(net_cidr_overlap(ip("172.17.5.0"), 24, ip("172.17.0.0"), 16));
    assert_true(net_cidr_overlap(ip("10.0.0.0"), 8, ip("10.200.0.0"), 16));
    assert_false(net_cidr_overlap(ip("172.17.0.0"), 16, ip("172.18.0.0"), 16));
    assert_false(net_cidr_overlap(ip("10.0.0.0"), 30, ip("10.0.0.4"), 30));
}

static void test_ipam_full_slash_30(void **state)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(net_ipam) p = net_ipam_new("10.0.0.0/30", NULL, NULL, &err);
    assert_non_null(p);
    char buf[16];
    assert_string_equal(alloc_str(p, buf), "10.0.0.2");
    uint32_t a;
    assert_int_equal(net_ipam_alloc(p, &a, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_CONFLICT);
    bt_err_clear(&err);
    net_ipam_release(p, ip("10.0.0.2"));
    assert_string_equal(alloc_str(p, buf), "10.0.0.2");
}

static void test_ipam_large_subnet(void **state)
{
    bt_autoerr bt_err *err = NULL;
    /* a /8 costs nothing up front; 300 allocations in order, then a hole is refilled */
    bt_autoptr(net_ipam) p = net_ipam_new("10.0.0.0/8", NULL, NULL, &err);
    assert_non_null(p);
    char buf[16];
    for (int i = 0; i < 300; i++)
        alloc_str(p, buf);
    assert_string_equal(buf, "10.0.1.45");
    net_ipam_release(p, ip("10.0.0.200"));
    assert_string_equal(alloc_str(p, buf), "10.0.0.200");
    assert_string_equal(alloc_str(p, buf), "10.0.1.46");
}

/* a network create's IPAM configuration, refused as dockerd 28's ValidateIPAM words it */
static void validate_case(const char *ipam, bool ipv6, const char *want)
{
    json_t *j = json_loads(ipam, 0, NULL);
    assert_non_null(j);
    bt_autoerr bt_err *err = NULL;
    int rc = net_ipam_validate(j, ipv6, &err);
    json_decref(j);
    if (!want) {
        if (rc != 0)
            fail_msg("%s: %s", ipam, bt_err_msg(err));
        return;
    }
    assert_int_equal(rc, -1);
    assert_string_equal(bt_err_msg(err), want);
}

static void test_ipam_validate_create_config(void **state)
{
    (void)state;
    validate_case("{\"Driver\":\"default\",\"Config\":[]}", false, NULL);
    validate_case("{\"Config\":[{\"Subnet\":\"10.5.0.0/16\",\"IPRange\":\"10.5.1.0/24\","
                  "\"Gateway\":\"10.5.0.1\",\"AuxiliaryAddresses\":{\"a\":\"10.5.0.9\"}}]}",
                  false, NULL);
    validate_case("{\"Config\":[{\"Subnet\":\"x\"}]}", false,
                  "invalid network config:\ninvalid subnet x: invalid CIDR block notation");
    validate_case("{\"Config\":[{\"Subnet\":\"10.0.0.1/8\"}]}", false,
                  "invalid network config:\ninvalid subnet 10.0.0.1/8: it should be 10.0.0.0/8");
    /* notation is checked for IPv6 always, the rest only with IPv6 enabled */
    validate_case("{\"Config\":[{\"Subnet\":\"fd00::1/64\",\"Gateway\":\"10.0.0.1\"}]}", false,
                  NULL);
    validate_case("{\"Config\":[{\"Subnet\":\"fd00::/129\"}]}", false,
                  "invalid network config:\ninvalid subnet fd00::/129: invalid CIDR block "
                  "notation");
    validate_case("{\"Config\":[{\"Subnet\":\"fd00::1/64\",\"Gateway\":\"10.0.0.1\"}]}", true,
                  "invalid network config:\n* invalid subnet fd00::1/64: it should be fd00::/64\n"
                  "* invalid gateway 10.0.0.1: parent subnet is an IPv6 block");
    validate_case("{\"Config\":[{\"Subnet\":\"10.0.0.0/08\"}]}", false,
                  "invalid network config:\ninvalid subnet 10.0.0.0/08: invalid CIDR block "
                  "notation");
    /* every reason of every subnet, in order */
    validate_case("{\"Config\":[{\"Subnet\":\"10.0.0.0/16\",\"IPRange\":\"10.1.0.1/8\","
                  "\"Gateway\":\"11.0.0.1\",\"AuxiliaryAddresses\":{\"a\":\"10.0.0.9\","
                  "\"b\":\"x\"}},{\"Subnet\":\"y\"},{\"Subnet\":\"10.9.0.0/24\",\"IPRange\":"
                  "\"fd00::/64\"}]}",
                  false,
                  "invalid network config:\n"
                  "* invalid ip-range 10.1.0.1/8: CIDR block is bigger than its parent subnet "
                  "10.0.0.0/16\n"
                  "* invalid ip-range 10.1.0.1/8: it should be 10.0.0.0/8\n"
                  "* invalid gateway 11.0.0.1: parent subnet 10.0.0.0/16 doesn't contain this "
                  "address\n"
                  "* invalid auxiliary address b: invalid address\n"
                  "* invalid subnet y: invalid CIDR block notation\n"
                  "* invalid ip-range fd00::/64: parent subnet is an IPv4 block");
    validate_case("{\"Config\":[{\"Subnet\":\"10.0.0.0/16\",\"IPRange\":\"10.2.0.0/24\"}]}", false,
                  "invalid network config:\ninvalid ip-range 10.2.0.0/24: parent subnet "
                  "10.0.0.0/16 doesn't contain ip-range");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_ipam_lowest_free_after_gateway),
            cmocka_unit_test(test_ipam_never_hands_out_network_gateway_broadcast),
            cmocka_unit_test(test_ipam_reserve_exact_and_conflict),
            cmocka_unit_test(test_ipam_release_and_reuse),
            cmocka_unit_test(test_ipam_ip_range_within_subnet),
            cmocka_unit_test(test_ipam_range_at_subnet_edges),
            cmocka_unit_test(test_ipam_bad_cidr_errors),
            cmocka_unit_test(test_ipam_cidr_overlap),
            cmocka_unit_test(test_ipam_full_slash_30),
            cmocka_unit_test(test_ipam_large_subnet),
            cmocka_unit_test(test_ipam_validate_create_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
