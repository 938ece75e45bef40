/* SPDX-License-Identifier: Apache-2.0 */
/* The libvirt driver (host/vm/driver-libvirt.c) against libvirt's test driver (test:///default),
 * which keeps its domains in this process while a connection to it is open. Only the wrapper is
 * tested here; tests/vm/test_vm_drivers.py boots real domains through a libvirtd. */
#include <libvirt/libvirt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/vm/driver.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "spec-fixture.h"

#define URI "test:///default"

static virConnectPtr keep; /* keeps test:///default's state between the driver's connections */

static int setup(void **state)
{
    (void)state;
    keep = virConnectOpen(URI);
    return keep ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    virConnectClose(keep);
    return 0;
}

static struct vm_spec test_spec(void)
{
    struct vm_spec s = fixture_spec();
    s.libvirt_uri = URI;
    s.net = VM_NET_BRIDGE;
    s.bridge = "berth0";
    return s;
}

static enum vm_state state_of(const struct vm_driver *d, const struct vm_spec *s)
{
    enum vm_state st = VM_STATE_ERROR;
    bt_autoerr bt_err *err = NULL;
    if (d->state(s, &st, &err) < 0)
        fail_msg("state: %s", bt_err_msg(err));
    return st;
}

#define OK(call)                                       \
    do {                                               \
        bt_autoerr bt_err *e_ = NULL;                  \
        if ((call) < 0)                                \
            fail_msg("%s: %s", #call, bt_err_msg(e_)); \
    } while (0)

static void test_libvirt_life_cycle(void **state)
{
    (void)state;
    bt_autoerr bt_err *err = NULL;
    const struct vm_driver *d = vm_driver_find("libvirt", &err);
    struct vm_spec s = test_spec();
    assert_int_equal(state_of(d, &s), VM_STATE_MISSING);

    OK(d->create(&s, &e_));
    assert_int_equal(state_of(d, &s), VM_STATE_STOPPED);
    virDomainPtr dom = virDomainLookupByName(keep, "berth-dev");
    assert_non_null(dom);
    char uuid[VIR_UUID_STRING_BUFLEN];
    assert_int_equal(virDomainGetUUIDString(dom, uuid), 0);
    bt_autofree char *xml = virDomainGetXMLDesc(dom, 0);
    virDomainFree(dom);
    assert_non_null(strstr(xml, "<title>dev</title>"));
    assert_non_null(strstr(xml, "<on_reboot>destroy</on_reboot>"));

    /* created again: the same domain (its UUID kept), with the new definition */
    s.memory_mb = 512;
    OK(d->create(&s, &e_));
    dom = virDomainLookupByName(keep, "berth-dev");
    char uuid2[VIR_UUID_STRING_BUFLEN];
    assert_int_equal(virDomainGetUUIDString(dom, uuid2), 0);
    assert_string_equal(uuid, uuid2);
    assert_int_equal(virDomainGetMaxMemory(dom), 512 * 1024);
    virDomainFree(dom);

    OK(d->start(&s, &e_));
    assert_int_equal(state_of(d, &s), VM_STATE_RUNNING);
    assert_int_equal(d->start(&s, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_NOT_MODIFIED);
    assert_string_equal(bt_err_msg(err), "machine \"dev\" is already running");
    bt_err_clear(&err);

    /* the test driver's guest obeys the power button at once */
    bool forced = true;
    OK(d->stop(&s, 2000, &forced, &e_));
    assert_false(forced);
    assert_int_equal(state_of(d, &s), VM_STATE_STOPPED);
    assert_int_equal(d->stop(&s, 2000, &forced, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_NOT_MODIFIED);
    assert_string_equal(bt_err_msg(err), "machine \"dev\" is already stopped");
    bt_err_clear(&err);

    OK(d->start(&s, &e_));
    OK(d->kill(&s, &e_));
    assert_int_equal(state_of(d, &s), VM_STATE_STOPPED);
    assert_int_equal(d->kill(&s, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_NOT_MODIFIED);
    bt_err_clear(&err);

    /* a running machine is forced off and removed */
    OK(d->start(&s, &e_));
    OK(d->remove(&s, &e_));
    assert_int_equal(state_of(d, &s), VM_STATE_MISSING);
    assert_null(virDomainLookupByName(keep, "berth-dev"));
    OK(d->remove(&s, &e_));
}

static void test_libvirt_missing_machine(void **state)
{
    (void)state;
    bt_autoerr bt_err *err = NULL;
    const struct vm_driver *d = vm_driver_find("libvirt", &err);
    struct vm_spec s = test_spec();
    s.name = "nothere";
    assert_int_equal(d->start(&s, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_NOT_FOUND);
    assert_string_equal(bt_err_msg(err), "machine \"nothere\" does not exist");
    bt_err_clear(&err);
    bool forced;
    assert_int_equal(d->stop(&s, 100, &forced, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_NOT_FOUND);
    bt_err_clear(&err);
    assert_int_equal(d->kill(&s, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_NOT_FOUND);
    bt_err_clear(&err);
}

static void test_libvirt_errors(void **state)
{
    (void)state;
    bt_autoerr bt_err *err = NULL;
    const struct vm_driver *d = vm_driver_find("libvirt", &err);
    struct vm_spec s = test_spec();
    s.memory_mb = 1;
    assert_int_equal(d->create(&s, &err), -1);
    assert_string_equal(bt_err_msg(err), "invalid memory size 1 MB: at least 64");
    bt_err_clear(&err);
    s = test_spec();
    s.libvirt_uri = "qemu+unix:///system?socket=/nonexistent/libvirt-sock";
    enum vm_state st;
    assert_int_equal(d->state(&s, &st, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_UNAVAILABLE);
    const char *want = "connect to libvirt at \"qemu+unix:///system?socket=/nonexistent/"
                       "libvirt-sock\": ";
    assert_memory_equal(bt_err_msg(err), want, strlen(want));
    assert_non_null(strstr(bt_err_msg(err), "(is libvirtd running? another URI can be given "
                                            "with --libvirt-uri or BERTH_LIBVIRT_URI)"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_libvirt_life_cycle),
            cmocka_unit_test(test_libvirt_missing_machine),
            cmocka_unit_test(test_libvirt_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
