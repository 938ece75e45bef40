/* SPDX-License-Identifier: Apache-2.0 */
/* vm_spec_check's messages, the drivers' table, states' names, the libvirt URI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/vm/driver.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "spec-fixture.h"

static void assert_refused(const struct vm_spec *s, const char *driver, const char *want)
{
    bt_autoerr bt_err *err = NULL;
    if (vm_spec_check(s, driver, &err) == 0)
        fail_msg("accepted; want: %s", want);
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
    assert_string_equal(bt_err_msg(err), want);
}

static void test_spec_check_accepts_a_full_spec(void **state)
{
    (void)state;
    struct vm_spec s = fixture_spec();
    struct vm_share sh[] = {{"home", "/home/u"}};
    struct vm_forward fw[] = {{2222, 22}};
    s.shares = sh;
    s.n_shares = 1;
    s.net = VM_NET_USER;
    s.forwards = fw;
    s.n_forwards = 1;
    s.data_disk = "/m/disk.qcow2";
    s.config_disk = "/m/config.img";
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(vm_spec_check(&s, "libvirt", &err), 0);
    assert_int_equal(vm_spec_check(&s, "qemu", &err), 0);
    s.net = VM_NET_BRIDGE;
    s.bridge = "berth0";
    assert_int_equal(vm_spec_check(&s, "qemu", &err), 0);
    assert_null(err);
}

static void test_spec_check_messages(void **state)
{
    (void)state;
    struct vm_spec s = fixture_spec();
    s.name = "-dev";
    assert_refused(&s, "qemu",
                   "invalid machine name \"-dev\": allowed characters are 0-9a-zA-Z . - "
                   "(starting with a letter or digit, at most 64)");
    s.name = "a_b";
    assert_refused(&s, "qemu",
                   "invalid machine name \"a_b\": allowed characters are 0-9a-zA-Z . - "
                   "(starting with a letter or digit, at most 64)");
    s = fixture_spec();
    s.memory_mb = 16;
    assert_refused(&s, "qemu", "invalid memory size 16 MB: at least 64");
    s = fixture_spec();
    s.cpus = 0;
    assert_refused(&s, "qemu", "invalid CPU count 0: 1 to 255");
    s = fixture_spec();
    s.kernel = NULL;
    assert_refused(&s, "qemu", "no kernel given");
    s = fixture_spec();
    s.kernel = "vmlinuz";
    assert_refused(&s, "qemu", "kernel \"vmlinuz\" is not an absolute path");
    s = fixture_spec();
    s.data_disk = "/m/disk\n.qcow2";
    assert_refused(&s, "qemu", "data disk holds control characters or invalid UTF-8");
    s = fixture_spec();
    s.console_log = NULL;
    assert_refused(&s, "qemu", "no console log given");
    s = fixture_spec();
    s.cmdline = "quiet\tx";
    assert_refused(&s, "qemu", "kernel command line holds control characters or invalid UTF-8");
    s = fixture_spec();
    s.machine = VM_MACHINE_MICROVM;
    assert_refused(&s, "libvirt",
                   "the microvm machine type needs the qemu driver (libvirt does not run "
                   "microvm)");
    s = fixture_spec();
    s.net = VM_NET_BRIDGE;
    s.bridge = "a-bridge-name-too-long";
    assert_refused(&s, "qemu", "invalid bridge name \"a-bridge-name-too-long\"");
    s.bridge = "berth0";
    s.mac = "01:00:5e:00:00:01";
    assert_refused(&s, "qemu", "invalid MAC address \"01:00:5e:00:00:01\"");
    s = fixture_spec();
    struct vm_forward twice[] = {{2222, 22}, {2222, 2376}};
    s.net = VM_NET_USER;
    s.forwards = twice;
    s.n_forwards = 2;
    assert_refused(&s, "qemu", "port 2222 is forwarded twice");
    struct vm_forward zero[] = {{0, 22}};
    s.forwards = zero;
    s.n_forwards = 1;
    assert_refused(&s, "qemu", "invalid port forward 0 -> 22");
    s = fixture_spec();
    struct vm_share badtag[] = {{"a b", "/x"}};
    s.shares = badtag;
    s.n_shares = 1;
    assert_refused(&s, "qemu", "invalid share tag \"a b\": 1 to 31 of 0-9a-zA-Z _ . -");
    struct vm_share dup[] = {{"h", "/x"}, {"h", "/y"}};
    s.shares = dup;
    s.n_shares = 2;
    assert_refused(&s, "qemu", "share tag \"h\" is used twice");
    struct vm_share rel[] = {{"h", "home"}};
    s.shares = rel;
    s.n_shares = 1;
    assert_refused(&s, "qemu", "shared folder \"home\" is not an absolute path");
}

static void test_spec_drivers_and_states(void **state)
{
    (void)state;
    bt_autoerr bt_err *err = NULL;
    const struct vm_driver *d = vm_driver_find("qemu", &err);
    assert_non_null(d);
    assert_string_equal(d->name, "qemu");
    d = vm_driver_find("libvirt", &err);
    assert_non_null(d);
    assert_string_equal(d->name, "libvirt");
    assert_null(vm_driver_find("virtualbox", &err));
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
    assert_string_equal(bt_err_msg(err),
                        "unsupported driver \"virtualbox\" (supported: libvirt, qemu, generic)");
    assert_string_equal(vm_state_name(VM_STATE_RUNNING), "Running");
    assert_string_equal(vm_state_name(VM_STATE_STOPPED), "Stopped");
    assert_string_equal(vm_state_name(VM_STATE_PAUSED), "Paused");
    assert_string_equal(vm_state_name(VM_STATE_STOPPING), "Stopping");
    assert_string_equal(vm_state_name(VM_STATE_MISSING), "Missing");
    assert_string_equal(vm_state_name(VM_STATE_ERROR), "Error");
    bt_autofree char *dn = vm_domain_name("dev");
    assert_string_equal(dn, "berth-dev");
}

static void test_spec_libvirt_uri(void **state)
{
    (void)state;
    unsetenv("BERTH_LIBVIRT_URI");
    assert_string_equal(vm_libvirt_uri("test:///default"), "test:///default");
    assert_string_equal(vm_libvirt_uri(NULL),
                        geteuid() == 0 ? "qemu:///system" : "qemu:///session");
    setenv("BERTH_LIBVIRT_URI", "qemu+unix:///system?socket=/tmp/s", 1);
    assert_string_equal(vm_libvirt_uri(NULL), "qemu+unix:///system?socket=/tmp/s");
    assert_string_equal(vm_libvirt_uri(""), "qemu+unix:///system?socket=/tmp/s");
    setenv("BERTH_LIBVIRT_URI", "", 1);
    assert_string_equal(vm_libvirt_uri(NULL),
                        geteuid() == 0 ? "qemu:///system" : "qemu:///session");
    unsetenv("BERTH_LIBVIRT_URI");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_spec_check_accepts_a_full_spec),
            cmocka_unit_test(test_spec_check_messages),
            cmocka_unit_test(test_spec_drivers_and_states),
            cmocka_unit_test(test_spec_libvirt_uri),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
