/* SPDX-License-Identifier: Apache-2.0 */
/* The config disk (a tar padded to 1 MiB, host/vm/disk.c) and machine.env lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/vm/disk.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/fs/file.h"

struct entry {
    char name[101];
    char type;
    unsigned long size;
    unsigned long mode;
    unsigned long mtime;
    unsigned long uid, gid;
    const char *data;
};

static unsigned long octal(const char *p, size_t n)
{
    char buf[16] = {0};
    memcpy(buf, p, n < sizeof(buf) - 1 ? n : sizeof(buf) - 1);
    return strtoul(buf, NULL, 8);
}

/* The entries of a ustar image, parsed as the guest's init reads it (no library); returns how
 * many, stopping at the end-of-archive block. */
static size_t parse_ustar(const char *img, size_t len, struct entry *out, size_t max)
{
    size_t n = 0, off = 0;
    while (off + 512 <= len && n < max) {
        const char *h = img + off;
        if (h[0] == 0)
            break;
        assert_memory_equal(h + 257, "ustar", 5);
        /* the header's checksum: the sum of its bytes with the checksum field as spaces */
        unsigned long sum = 0;
        for (int i = 0; i < 512; i++)
            sum += (i >= 148 && i < 156) ? ' ' : (unsigned char)h[i];
        assert_int_equal(sum, octal(h + 148, 8));
        struct entry *e = &out[n++];
        memcpy(e->name, h, 100);
        e->name[100] = 0;
        e->type = h[156];
        e->mode = octal(h + 100, 8);
        e->uid = octal(h + 108, 8);
        e->gid = octal(h + 116, 8);
        e->size = octal(h + 124, 12);
        e->mtime = octal(h + 136, 12);
        e->data = h + 512;
        off += 512 + (e->size + 511) / 512 * 512;
    }
    return n;
}

static char *tmpdir;

static int setup(void **state)
{
    (void)state;
    tmpdir = bt_xstrdup("/tmp/berth-test-vm-disk-XXXXXX");
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

static const char ENV[] = "BERTH_HOSTNAME='dev'\n";
static const char CA[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
static const char KEY[] = "secret key";

static void write_sample(const char *path)
{
    /* given out of order: the disk sorts them */
    struct vm_config_file files[] = {
            {"tls/server-key.pem", KEY, sizeof(KEY) - 1, 0600},
            {"machine.env", ENV, sizeof(ENV) - 1, 0644},
            {"tls/ca.pem", CA, sizeof(CA) - 1, 0644},
    };
    bt_autoerr bt_err *err = NULL;
    if (vm_config_disk_write(path, files, 3, &err) < 0)
        fail_msg("vm_config_disk_write: %s", bt_err_msg(err));
}

static void test_config_disk_layout(void **state)
{
    (void)state;
    bt_autofree char *path = bt_xasprintf("%s/config.img", tmpdir);
    write_sample(path);
    bt_autostrbuf struct bt_strbuf img = BT_STRBUF_INIT;
    assert_int_equal(bt_file_read(path, &img, 64 << 20, NULL), 0);
    assert_int_equal(img.len, VM_CONFIG_DISK_ALIGN);
    struct entry e[16];
    size_t n = parse_ustar(img.buf, img.len, e, 16);
    assert_int_equal(n, 5);
    /* the first entry is how the guest finds the disk */
    assert_string_equal(e[0].name, "berth-config/");
    assert_int_equal(e[0].type, '5');
    assert_string_equal(e[1].name, "berth-config/machine.env");
    assert_int_equal(e[1].type, '0');
    assert_int_equal(e[1].size, sizeof(ENV) - 1);
    assert_memory_equal(e[1].data, ENV, sizeof(ENV) - 1);
    assert_int_equal(e[1].mode & 07777, 0644);
    assert_string_equal(e[2].name, "berth-config/tls/");
    assert_int_equal(e[2].type, '5');
    assert_string_equal(e[3].name, "berth-config/tls/ca.pem");
    assert_memory_equal(e[3].data, CA, sizeof(CA) - 1);
    assert_string_equal(e[4].name, "berth-config/tls/server-key.pem");
    assert_int_equal(e[4].mode & 07777, 0600);
    assert_memory_equal(e[4].data, KEY, sizeof(KEY) - 1);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(e[i].uid, 0);
        assert_int_equal(e[i].gid, 0);
        assert_int_equal(e[i].mtime, 0);
    }
    /* the disk file is the user's secret: keys are in it */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_config_disk_same_input_same_bytes(void **state)
{
    (void)state;
    bt_autofree char *a = bt_xasprintf("%s/a.img", tmpdir);
    bt_autofree char *b = bt_xasprintf("%s/b.img", tmpdir);
    write_sample(a);
    sleep(1); /* a clock in the output would show */
    write_sample(b);
    bt_autostrbuf struct bt_strbuf x = BT_STRBUF_INIT;
    bt_autostrbuf struct bt_strbuf y = BT_STRBUF_INIT;
    assert_int_equal(bt_file_read(a, &x, 64 << 20, NULL), 0);
    assert_int_equal(bt_file_read(b, &y, 64 << 20, NULL), 0);
    assert_int_equal(x.len, y.len);
    assert_memory_equal(x.buf, y.buf, x.len);
    /* rewriting replaces the disk */
    write_sample(a);
    assert_true(bt_path_exists(a));
}

static void test_config_disk_grows_by_mib(void **state)
{
    (void)state;
    bt_autofree char *path = bt_xasprintf("%s/big.img", tmpdir);
    size_t len = VM_CONFIG_DISK_ALIGN + 10;
    bt_autofree char *big = bt_xmalloc(len);
    memset(big, 'x', len);
    struct vm_config_file f = {"big", big, len, 0644};
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(vm_config_disk_write(path, &f, 1, &err), 0);
    bt_autostrbuf struct bt_strbuf img = BT_STRBUF_INIT;
    assert_int_equal(bt_file_read(path, &img, 64 << 20, NULL), 0);
    assert_int_equal(img.len, 2 * VM_CONFIG_DISK_ALIGN);
    /* an empty disk still holds its directory */
    assert_int_equal(vm_config_disk_write(path, NULL, 0, &err), 0);
    bt_strbuf_reset(&img);
    assert_int_equal(bt_file_read(path, &img, 64 << 20, NULL), 0);
    assert_int_equal(img.len, VM_CONFIG_DISK_ALIGN);
    struct entry e[2];
    assert_int_equal(parse_ustar(img.buf, img.len, e, 2), 1);
    assert_string_equal(e[0].name, "berth-config/");
}

static void test_config_disk_refuses_bad_names(void **state)
{
    (void)state;
    bt_autofree char *path = bt_xasprintf("%s/bad.img", tmpdir);
    const char *bad[] = {"/etc/passwd", "../x", "a/../b", "a//b", "./a", "a/", "", "a\nb"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vm_config_file f = {bad[i], "x", 1, 0644};
        bt_autoerr bt_err *err = NULL;
        assert_int_equal(vm_config_disk_write(path, &f, 1, &err), -1);
        assert_int_equal(bt_err_code(err), BT_E_INVALID);
        assert_non_null(strstr(bt_err_msg(err), "config disk: invalid file name"));
    }
    struct vm_config_file twice[] = {{"a", "x", 1, 0644}, {"a", "y", 1, 0644}};
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(vm_config_disk_write(path, twice, 2, &err), -1);
    assert_string_equal(bt_err_msg(err), "config disk: \"a\" is given twice");
    bt_err_clear(&err);
    /* a file and a directory of the same name */
    struct vm_config_file clash[] = {{"tls", "x", 1, 0644}, {"tls/ca.pem", "y", 1, 0644}};
    assert_int_equal(vm_config_disk_write(path, clash, 2, &err), -1);
    assert_string_equal(bt_err_msg(err), "config disk: \"tls\" is given twice");
    assert_false(bt_path_exists(path));
}

static void test_config_env_append(void **state)
{
    (void)state;
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(vm_config_env_append(&sb, "BERTH_HOSTNAME", "dev", &err), 0);
    assert_int_equal(vm_config_env_append(&sb, "BERTH_SHARES", "home:/home/u $x `y` \"z\"", &err),
                     0);
    assert_int_equal(vm_config_env_append(&sb, "_X1", NULL, &err), 0);
    assert_string_equal(bt_strbuf_str(&sb), "BERTH_HOSTNAME='dev'\n"
                                            "BERTH_SHARES='home:/home/u $x `y` \"z\"'\n"
                                            "_X1=''\n");

    assert_int_equal(vm_config_env_append(&sb, "A", "it's", &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
    assert_string_equal(bt_err_msg(err),
                        "machine.env: the value of A cannot hold a single quote or a newline");
    bt_err_clear(&err);
    assert_int_equal(vm_config_env_append(&sb, "A", "two\nlines", &err), -1);
    bt_err_clear(&err);
    const char *keys[] = {"lower", "1X", "A-B", "", "A B"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        assert_int_equal(vm_config_env_append(&sb, keys[i], "v", &err), -1);
        bt_autofree char *want = bt_xasprintf("machine.env: invalid key \"%s\"", keys[i]);
        assert_string_equal(bt_err_msg(err), want);
        bt_err_clear(&err);
    }
    /* nothing was appended by the refusals */
    assert_null(strstr(bt_strbuf_str(&sb), "it's"));
    assert_null(strstr(bt_strbuf_str(&sb), "lower"));
}

static void test_data_disk_create(void **state)
{
    (void)state;
    if (access("/usr/bin/qemu-img", X_OK) != 0)
        skip(); /* qemu-utils (installer/install-deps.sh) */
    bt_autofree char *path = bt_xasprintf("%s/disk.qcow2", tmpdir);
    bt_autoerr bt_err *err = NULL;
    if (vm_data_disk_create(path, 64, &err) < 0)
        fail_msg("vm_data_disk_create: %s", bt_err_msg(err));
    bt_autostrbuf struct bt_strbuf img = BT_STRBUF_INIT;
    assert_int_equal(bt_file_read(path, &img, 64 << 20, NULL), 0);
    /* qcow2: magic "QFI\xfb", then the virtual size (big-endian) at offset 24 */
    assert_memory_equal(img.buf, "QFI\xfb", 4);
    uint64_t size = 0;
    for (int i = 0; i < 8; i++)
        size = size << 8 | (unsigned char)img.buf[24 + i];
    assert_int_equal(size, 64ULL << 20);
    /* never overwritten */
    assert_int_equal(vm_data_disk_create(path, 128, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_CONFLICT);
    bt_autofree char *want = bt_xasprintf("data disk \"%s\" already exists", path);
    assert_string_equal(bt_err_msg(err), want);
    bt_err_clear(&err);
    assert_int_equal(vm_data_disk_create(path, 0, &err), -1);
    assert_string_equal(bt_err_msg(err), "invalid disk size 0 MB");
    bt_err_clear(&err);
    /* nothing is left behind by a failure */
    bt_autofree char *nodir = bt_xasprintf("%s/no/such/dir/disk.qcow2", tmpdir);
    assert_int_equal(vm_data_disk_create(nodir, 64, &err), -1);
    assert_non_null(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_config_disk_layout, setup, teardown),
            cmocka_unit_test_setup_teardown(test_config_disk_same_input_same_bytes, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_config_disk_grows_by_mib, setup, teardown),
            cmocka_unit_test_setup_teardown(test_config_disk_refuses_bad_names, setup, teardown),
            cmocka_unit_test(test_config_env_append),
            cmocka_unit_test_setup_teardown(test_data_disk_create, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
