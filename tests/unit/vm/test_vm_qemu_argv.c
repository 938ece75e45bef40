/* SPDX-License-Identifier: Apache-2.0 */
/* QEMU's command line for a spec (host/vm/qemu-argv.c) and QMP's messages (host/vm/qmp.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/vm/vm-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "spec-fixture.h"

#define PIDFILE "/m/dev/qemu.pid"
#define QMP     "/m/dev/qmp.sock"

/* The argument after the n-th (0-based) occurrence of opt, or NULL. */
static const char *opt_value(char **argv, const char *opt, int n)
{
    for (size_t i = 0; argv[i]; i++)
        if (strcmp(argv[i], opt) == 0 && n-- == 0)
            return argv[i + 1];
    return NULL;
}

static bool has_arg(char **argv, const char *arg)
{
    for (size_t i = 0; argv[i]; i++)
        if (strcmp(argv[i], arg) == 0)
            return true;
    return false;
}

/* The value of the first option opt whose value starts with prefix. */
static const char *opt_starting(char **argv, const char *opt, const char *prefix)
{
    for (size_t i = 0; argv[i] && argv[i + 1]; i++)
        if (strcmp(argv[i], opt) == 0 && strncmp(argv[i + 1], prefix, strlen(prefix)) == 0)
            return argv[i + 1];
    return NULL;
}

static void assert_opt(char **argv, const char *opt, const char *want)
{
    const char *v = opt_value(argv, opt, 0);
    if (!v || strcmp(v, want) != 0)
        fail_msg("%s: want \"%s\", have \"%s\"", opt, want, v ? v : "(none)");
}

static void test_qemu_argv_pc(void **state)
{
    (void)state;
    struct vm_spec s = fixture_spec();
    bt_autostrv char **argv = vm_qemu_argv(&s, PIDFILE, QMP);
    assert_string_equal(argv[0], "qemu-system-x86_64");
    assert_opt(argv, "-name", "berth-dev,process=berth-dev");
    assert_opt(argv, "-M", "pc");
    assert_opt(argv, "-accel", "tcg");
    assert_opt(argv, "-m", "1024");
    assert_opt(argv, "-smp", "2");
    assert_opt(argv, "-kernel", "/var/cache/berth/vm/vmlinuz");
    assert_opt(argv, "-initrd", "/var/cache/berth/vm/initrd.img");
    assert_opt(argv, "-append", "console=ttyS0 panic=-1 quiet");
    assert_opt(argv, "-pidfile", PIDFILE);
    assert_opt(argv, "-display", "none");
    assert_opt(argv, "-serial", "chardev:console");
    assert_non_null(opt_starting(argv, "-chardev",
                                 "file,id=console,path=/home/u/.berth/machines/dev/console.log"));
    assert_non_null(
            opt_starting(argv, "-chardev", "socket,id=qmp,path=" QMP ",server=on,wait=off"));
    assert_opt(argv, "-mon", "chardev=qmp,mode=control");
    assert_true(has_arg(argv, "-daemonize"));
    assert_true(has_arg(argv, "-nodefaults"));
    /* a guest reboot ends QEMU: restarts come from the host */
    assert_true(has_arg(argv, "-no-reboot"));
    /* -no-shutdown would keep QEMU alive after the guest's poweroff */
    assert_false(has_arg(argv, "-no-shutdown"));
    assert_null(opt_value(argv, "-cpu", 0));
    assert_null(opt_value(argv, "-netdev", 0));
    assert_null(opt_value(argv, "-drive", 0));
}

static void test_qemu_argv_kvm_and_qemu_path(void **state)
{
    (void)state;
    struct vm_spec s = fixture_spec();
    s.accel = VM_ACCEL_KVM;
    s.qemu = "/opt/qemu/bin/qemu-system-x86_64";
    s.initrd = NULL;
    bt_autostrv char **argv = vm_qemu_argv(&s, PIDFILE, QMP);
    assert_string_equal(argv[0], "/opt/qemu/bin/qemu-system-x86_64");
    assert_opt(argv, "-accel", "kvm");
    assert_opt(argv, "-cpu", "host");
    assert_null(opt_value(argv, "-initrd", 0));
}

static void test_qemu_argv_microvm_adds_tsc_early_khz(void **state)
{
    (void)state;
    struct vm_spec s = fixture_spec();
    s.machine = VM_MACHINE_MICROVM;
    s.data_disk = "/m/disk.qcow2";
    s.net = VM_NET_USER;
    bt_autostrv char **argv = vm_qemu_argv(&s, PIDFILE, QMP);
    assert_opt(argv, "-M", "microvm,rtc=on,x-option-roms=off");
    /* microvm under TCG hangs at "Marking TSC unstable" without it */
    assert_opt(argv, "-append", "console=ttyS0 panic=-1 quiet tsc_early_khz=2000000");
    /* no PCI on microvm: virtio over MMIO */
    assert_non_null(opt_starting(argv, "-device", "virtio-blk-device,drive=data"));
    assert_non_null(opt_starting(argv, "-device", "virtio-net-device,netdev=net0"));
    assert_null(opt_starting(argv, "-device", "virtio-blk-pci"));

    /* a command line that has it already is kept as it is */
    s.cmdline = "tsc_early_khz=1000000 quiet";
    bt_autofree char *c1 = vm_qemu_cmdline(&s);
    assert_string_equal(c1, "tsc_early_khz=1000000 quiet");
    s.cmdline = NULL;
    bt_autofree char *c2 = vm_qemu_cmdline(&s);
    assert_string_equal(c2, "tsc_early_khz=2000000");
    s.machine = VM_MACHINE_PC;
    s.cmdline = "quiet";
    bt_autofree char *c3 = vm_qemu_cmdline(&s);
    assert_string_equal(c3, "quiet");
}

static void test_qemu_argv_disks(void **state)
{
    (void)state;
    struct vm_spec s = fixture_spec();
    s.data_disk = "/m/disk.qcow2";
    s.config_disk = "/m/config.img";
    bt_autostrv char **argv = vm_qemu_argv(&s, PIDFILE, QMP);
    assert_string_equal(opt_value(argv, "-drive", 0),
                        "file=/m/disk.qcow2,if=none,id=data,format=qcow2,discard=unmap");
    assert_string_equal(opt_value(argv, "-drive", 1),
                        "file=/m/config.img,if=none,id=config,format=raw,readonly=on");
    assert_non_null(opt_starting(argv, "-device", "virtio-blk-pci,drive=data"));
    assert_non_null(opt_starting(argv, "-device", "virtio-blk-pci,drive=config"));
}

static void test_qemu_argv_tap_fd(void **state)
{
    (void)state;
    struct vm_spec s = fixture_spec();
    s.net = VM_NET_BRIDGE;
    s.bridge = "berth0";
    bt_autostrv char **argv = vm_qemu_argv(&s, PIDFILE, QMP);
    assert_opt(argv, "-netdev", "tap,id=net0,fd=3");
    assert_int_equal(VM_QEMU_TAP_FD, 3);
    assert_non_null(
            opt_starting(argv, "-device", "virtio-net-pci,netdev=net0,mac=02:11:22:33:44:55"));
}

static void test_qemu_argv_user_forwards_restricted(void **state)
{
    (void)state;
    struct vm_spec s = fixture_spec();
    struct vm_forward fw[] = {{2222, 22}, {12376, 2376}};
    s.net = VM_NET_USER;
    s.forwards = fw;
    s.n_forwards = 2;
    bt_autostrv char **open = vm_qemu_argv(&s, PIDFILE, QMP);
    assert_opt(open, "-netdev",
               "user,id=net0,hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=tcp:127.0.0.1:12376-:2376");
    s.net_restrict = true;
    bt_autostrv char **argv = vm_qemu_argv(&s, PIDFILE, QMP);
    /* restrict=on: the guest cannot open connections out; the forwards still work */
    assert_opt(argv, "-netdev",
               "user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:2222-:22,"
               "hostfwd=tcp:127.0.0.1:12376-:2376");
}

static void test_qemu_argv_9p_shares(void **state)
{
    (void)state;
    struct vm_spec s = fixture_spec();
    struct vm_share sh[] = {{"home", "/home/u"}, {"d", "/srv/a,b"}};
    s.shares = sh;
    s.n_shares = 2;
    bt_autostrv char **argv = vm_qemu_argv(&s, PIDFILE, QMP);
    assert_string_equal(opt_value(argv, "-fsdev", 0),
                        "local,id=fs0,path=/home/u,security_model=passthrough");
    /* commas in option values are doubled, QEMU's escape */
    assert_string_equal(opt_value(argv, "-fsdev", 1),
                        "local,id=fs1,path=/srv/a,,b,security_model=passthrough");
    assert_non_null(opt_starting(argv, "-device", "virtio-9p-pci,fsdev=fs0,mount_tag=home"));
    assert_non_null(opt_starting(argv, "-device", "virtio-9p-pci,fsdev=fs1,mount_tag=d"));
}

static void test_qemu_argv_escapes_commas(void **state)
{
    (void)state;
    struct vm_spec s = fixture_spec();
    s.console_log = "/m/a,b/console.log";
    s.data_disk = "/m/a,b/disk.qcow2";
    bt_autostrv char **argv = vm_qemu_argv(&s, "/m/a,b/qemu.pid", "/m/a,b/qmp.sock");
    assert_non_null(opt_starting(argv, "-chardev", "file,id=console,path=/m/a,,b/console.log"));
    assert_non_null(opt_starting(argv, "-chardev", "socket,id=qmp,path=/m/a,,b/qmp.sock,"));
    assert_non_null(opt_starting(argv, "-drive", "file=/m/a,,b/disk.qcow2,if=none"));
    /* -pidfile and -kernel take a plain path */
    assert_opt(argv, "-pidfile", "/m/a,b/qemu.pid");
    bt_autofree char *e = vm_qemu_opt_escape(",a,,b,");
    assert_string_equal(e, ",,a,,,,b,,");
}

static void test_qmp_messages(void **state)
{
    (void)state;
    bt_autofree char *m = vm_qmp_message("system_powerdown", NULL);
    assert_string_equal(m, "{\"execute\":\"system_powerdown\"}\r\n");
    bt_autoerr bt_err *err = NULL;
    json_t *ret = NULL;
    assert_int_equal(vm_qmp_parse_reply("{\"QMP\": {\"version\": {}}}", &ret, &err), 1);
    assert_int_equal(vm_qmp_parse_reply("{\"event\": \"POWERDOWN\"}", &ret, &err), 1);
    assert_int_equal(vm_qmp_parse_reply("{\"return\": {\"status\": \"running\"}}", &ret, &err), 0);
    assert_non_null(ret);
    assert_string_equal(json_string_value(json_object_get(ret, "status")), "running");
    json_decref(ret);
    assert_int_equal(vm_qmp_parse_reply("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
                                        "\"The command x has not been found\"}}",
                                        NULL, &err),
                     -1);
    assert_string_equal(bt_err_msg(err), "QMP: CommandNotFound: The command x has not been found");
    bt_err_clear(&err);
    assert_int_equal(vm_qmp_parse_reply("not json", NULL, &err), -1);
    assert_non_null(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_qemu_argv_pc),
            cmocka_unit_test(test_qemu_argv_kvm_and_qemu_path),
            cmocka_unit_test(test_qemu_argv_microvm_adds_tsc_early_khz),
            cmocka_unit_test(test_qemu_argv_disks),
            cmocka_unit_test(test_qemu_argv_tap_fd),
            cmocka_unit_test(test_qemu_argv_user_forwards_restricted),
            cmocka_unit_test(test_qemu_argv_9p_shares),
            cmocka_unit_test(test_qemu_argv_escapes_commas),
            cmocka_unit_test(test_qmp_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
