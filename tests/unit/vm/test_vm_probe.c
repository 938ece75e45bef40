/* SPDX-License-Identifier: Apache-2.0 */
/* The KVM probe's cache and kernel keys (host/vm/probe.c); the probe boot itself is in
 * tests/vm/test_vm_drivers.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/vm/probe.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/fs/file.h"

static char *tmpdir;

static int setup(void **state)
{
    (void)state;
    tmpdir = bt_xstrdup("/tmp/berth-test-vm-probe-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bt_rm_rf(tmpdir, NULL);
    free(tmpdir);
    return 0;
}

static char *write_tmp(const char *name, const void *data, size_t len)
{
    char *path = bt_xasprintf("%s/%s", tmpdir, name);
    assert_int_equal(bt_file_write_atomic(path, data, len, 0644, NULL), 0);
    return path;
}

static char *boot_id(void)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    assert_int_equal(bt_file_read("/proc/sys/kernel/random/boot_id", &sb, 256, NULL), 0);
    char *s = bt_strbuf_steal(&sb);
    s[strcspn(s, "\n")] = 0;
    return s;
}

static void test_probe_kernel_key(void **state)
{
    (void)state;
    /* a bzImage header: "HdrS" at 0x202, the version string's offset - 0x200 at 0x20e */
    char img[0x400] = {0};
    memcpy(img + 0x202, "HdrS", 4);
    img[0x20e] = 0x00;
    img[0x20f] = 0x01; /* 0x100 + 0x200 = 0x300 */
    strcpy(img + 0x300, "6.1.0-56-amd64 (debian-kernel@lists.debian.org) #1 SMP");
    bt_autofree char *bz = write_tmp("bzImage", img, sizeof(img));
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *k1 = vm_kernel_key(bz, &err);
    assert_string_equal(k1, "6.1.0-56-amd64");

    bt_autofree char *elf = write_tmp("vmlinux",
                                      "\x7f"
                                      "ELF",
                                      4);
    struct stat st;
    assert_int_equal(stat(elf, &st), 0);
    bt_autofree char *k2 = vm_kernel_key(elf, &err);
    bt_autofree char *want = bt_xasprintf("size:4:mtime:%lld", (long long)st.st_mtim.tv_sec);
    assert_string_equal(k2, want);

    bt_autofree char *missing = bt_xasprintf("%s/none", tmpdir);
    assert_null(vm_kernel_key(missing, &err));
    assert_true(bt_err_is(err, BT_E_NOT_FOUND));
}

static void test_probe_answer_from_cache(void **state)
{
    (void)state;
    bt_autofree char *kernel = write_tmp("vmlinux",
                                         "\x7f"
                                         "ELF",
                                         4);
    bt_autofree char *initrd = write_tmp("initrd", "x", 1);
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *key = vm_kernel_key(kernel, &err);
    bt_autofree char *bootid = boot_id();
    bt_autofree char *doc = bt_xasprintf(
            "{\"BootID\": \"%s\", \"Kernels\": {\"%s\": {\"Accel\": \"tcg\", \"Reason\": "
            "\"KVM did not boot the kernel: timed out\", \"Seconds\": 10.0}}}",
            bootid, key);
    bt_autofree char *cache = write_tmp("accel.json", doc, strlen(doc));
    /* no QEMU is run: a missing one would fail the probe */
    struct vm_probe_opts o = {
            .kernel = kernel, .initrd = initrd, .cache = cache, .qemu = "/nonexistent/qemu"};
    struct vm_probe_result r;
    if (vm_accel_probe(&o, &r, &err) < 0)
        fail_msg("probe: %s", bt_err_msg(err));
    assert_true(r.cached);
    assert_int_equal(r.accel, VM_ACCEL_TCG);
    assert_string_equal(r.reason, "KVM did not boot the kernel: timed out");

    /* another boot of the host: the cached answer no longer counts */
    bt_autofree char *stale = bt_xasprintf(
            "{\"BootID\": \"not-this-boot\", \"Kernels\": {\"%s\": {\"Accel\": \"kvm\"}}}", key);
    assert_int_equal(bt_file_write_atomic(cache, stale, strlen(stale), 0644, NULL), 0);
    if (access("/dev/kvm", R_OK | W_OK) != 0) {
        /* without /dev/kvm the answer needs no boot: TCG, saying why, and cached from now */
        assert_int_equal(vm_accel_probe(&o, &r, &err), 0);
        assert_false(r.cached);
        assert_int_equal(r.accel, VM_ACCEL_TCG);
        assert_memory_equal(r.reason, "/dev/kvm: ", 10);
        assert_int_equal(vm_accel_probe(&o, &r, &err), 0);
        assert_true(r.cached);
    }
}

static void test_probe_needs_kernel_and_initrd(void **state)
{
    (void)state;
    struct vm_probe_opts o = {.kernel = NULL};
    struct vm_probe_result r;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(vm_accel_probe(&o, &r, &err), -1);
    assert_string_equal(bt_err_msg(err), "KVM probe: a kernel and an initrd are needed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_probe_kernel_key, setup, teardown),
            cmocka_unit_test_setup_teardown(test_probe_answer_from_cache, setup, teardown),
            cmocka_unit_test(test_probe_needs_kernel_and_initrd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
