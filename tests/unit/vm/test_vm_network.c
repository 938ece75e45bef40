/* SPDX-License-Identifier: Apache-2.0 */
/* Host-only network values (host/vm/network.c): CIDRs, addresses, MACs, tap names. The bridge
 * and tap ioctls need root and a network namespace: tests/vm/test_vm_drivers.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/vm/network.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static void test_network_cidr_parse(void **state)
{
    (void)state;
    struct vm_cidr c;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(vm_cidr_parse("192.168.99.1/24", &c, &err), 0);
    assert_int_equal(c.addr, IP(192, 168, 99, 1));
    assert_int_equal(c.prefix, 24);
    assert_int_equal(vm_cidr_mask(&c), IP(255, 255, 255, 0));
    assert_int_equal(vm_cidr_parse("10.0.0.0/8", &c, &err), 0);
    assert_int_equal(vm_cidr_mask(&c), IP(255, 0, 0, 0));

    const char *bad[] = {"192.168.99.1",    "192.168.99.1/",     "192.168.99.1/33", "192.168.99/24",
                         "192.168.99.1/2x", "192.168.99.256/24", "192.168.99.1/-1", "/24",
                         "192.168.99.1/024"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(vm_cidr_parse(bad[i], &c, &err), -1);
        assert_int_equal(bt_err_code(err), BT_E_INVALID);
        bt_autofree char *want = bt_xasprintf("invalid CIDR address: %s", bad[i]);
        assert_string_equal(bt_err_msg(err), want);
        bt_err_clear(&err);
    }
    /* valid CIDRs with no room for a host and its machines */
    assert_int_equal(vm_cidr_parse("192.168.99.1/31", &c, &err), -1);
    assert_string_equal(bt_err_msg(err), "invalid CIDR address: 192.168.99.1/31: the prefix must "
                                         "be 8 to 30 (room for the host and its machines)");
    bt_err_clear(&err);
    assert_int_equal(vm_cidr_parse("10.0.0.1/7", &c, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
}

static void test_network_cidr_host_and_contains(void **state)
{
    (void)state;
    struct vm_cidr c;
    assert_int_equal(vm_cidr_parse("192.168.99.1/24", &c, NULL), 0);
    assert_int_equal(vm_cidr_host(&c, 1), IP(192, 168, 99, 1));
    assert_int_equal(vm_cidr_host(&c, 100), IP(192, 168, 99, 100));
    /* the network's own address gives the same hosts */
    struct vm_cidr n;
    assert_int_equal(vm_cidr_parse("192.168.99.0/24", &n, NULL), 0);
    assert_int_equal(vm_cidr_host(&n, 100), IP(192, 168, 99, 100));

    assert_true(vm_cidr_contains(&c, IP(192, 168, 99, 100)));
    assert_true(vm_cidr_contains(&c, IP(192, 168, 99, 254)));
    assert_false(vm_cidr_contains(&c, IP(192, 168, 99, 0)));   /* the network */
    assert_false(vm_cidr_contains(&c, IP(192, 168, 99, 255))); /* broadcast */
    assert_false(vm_cidr_contains(&c, IP(192, 168, 98, 100)));
    assert_false(vm_cidr_contains(&c, IP(10, 0, 0, 1)));

    char buf[VM_IPV4_STR_SIZE];
    assert_string_equal(vm_ipv4_format(IP(255, 255, 255, 255), buf), "255.255.255.255");
    uint32_t a;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(vm_ipv4_parse("192.168.99.100", &a, &err), 0);
    assert_int_equal(a, IP(192, 168, 99, 100));
    assert_int_equal(vm_ipv4_parse("192.168.099.1", &a, &err), -1);
    assert_string_equal(bt_err_msg(err), "invalid IP address: 192.168.099.1");
}

static void test_network_mac_for_name(void **state)
{
    (void)state;
    char a[VM_MAC_STR_SIZE], b[VM_MAC_STR_SIZE], c[VM_MAC_STR_SIZE];
    vm_mac_for_name("dev", a);
    vm_mac_for_name("dev", b);
    vm_mac_for_name("default", c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_int_equal(strlen(a), 17);
    /* locally administered, unicast */
    assert_memory_equal(a, "02:", 3);
    assert_true(vm_mac_valid(a));
    assert_true(vm_mac_valid(c));
    assert_true(vm_mac_valid("52:54:00:AB:cd:ef"));
    assert_false(vm_mac_valid("01:00:5e:00:00:01")); /* multicast */
    assert_false(vm_mac_valid("02:11:22:33:44"));
    assert_false(vm_mac_valid("02-11-22-33-44-55"));
    assert_false(vm_mac_valid("02:11:22:33:44:5g"));
    assert_false(vm_mac_valid(NULL));
}

static void test_network_tap_name(void **state)
{
    (void)state;
    char t[VM_IFNAME_SIZE], u[VM_IFNAME_SIZE], v[VM_IFNAME_SIZE];
    vm_tap_name("dev", t);
    assert_string_equal(t, "bt-dev");
    vm_tap_name("twelve-chars", t);
    assert_string_equal(t, "bt-twelve-chars");
    /* longer names: "bt-" and 12 hex digits, still distinct and stable */
    vm_tap_name("thirteen-char", t);
    vm_tap_name("thirteen-chas", u);
    vm_tap_name("thirteen-char", v);
    assert_int_equal(strlen(t), 15);
    assert_memory_equal(t, "bt-", 3);
    assert_string_not_equal(t, u);
    assert_string_equal(t, v);
    for (const char *p = t + 3; *p; p++)
        assert_non_null(strchr("0123456789abcdef", *p));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_network_cidr_parse),
            cmocka_unit_test(test_network_cidr_host_and_contains),
            cmocka_unit_test(test_network_mac_for_name),
            cmocka_unit_test(test_network_tap_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
