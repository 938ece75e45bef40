/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/fs/file.h"

static int setup_dir(void **state)
{
    char *dir = bt_xstrdup("/tmp/berth-test-file-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    *state = dir;
    return 0;
}

static int teardown_dir(void **state)
{
    bt_autoerr bt_err *err = NULL;
    bt_rm_rf(*state, &err);
    free(*state);
    return 0;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += de->d_name[0] != '.' || (de->d_name[1] && strcmp(de->d_name, "..") != 0);
    closedir(d);
    return n;
}

static void test_file_write_atomic_replaces_and_leaves_no_temp(void **state)
{
    const char *dir = *state;
    bt_autofree char *path = bt_xasprintf("%s/config.json", dir);
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_file_write_atomic(path, "{\"a\":1}", 7, 0600, &err), 0);
    assert_int_equal(bt_file_write_atomic(path, "{\"a\":2}", 7, 0644, &err), 0);
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    assert_int_equal(bt_file_read(path, &sb, 0, &err), 0);
    assert_string_equal(sb.buf, "{\"a\":2}");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(count_entries(dir), 1); /* no temp file left behind */
}

static void test_file_write_atomic_into_missing_dir_fails_cleanly(void **state)
{
    bt_autofree char *path = bt_xasprintf("%s/missing/x", (char *)*state);
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_file_write_atomic(path, "x", 1, 0600, &err), -1);
    assert_int_equal(bt_err_code(err), ENOENT);
    assert_non_null(strstr(bt_err_msg(err), "create temp file for"));
}

static void test_file_read_limit(void **state)
{
    bt_autofree char *path = bt_xasprintf("%s/big", (char *)*state);
    bt_autoerr bt_err *err = NULL;
    char data[100];
    memset(data, 'x', sizeof(data));
    assert_int_equal(bt_file_write_atomic(path, data, sizeof(data), 0600, &err), 0);
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    assert_int_equal(bt_file_read(path, &sb, 50, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
    bt_err_clear(&err);
    bt_strbuf_reset(&sb);
    assert_int_equal(bt_file_read(path, &sb, 100, &err), 0);
    assert_int_equal(sb.len, 100);
}

static void test_file_read_empty_is_an_empty_string(void **state)
{
    bt_autofree char *path = bt_xasprintf("%s/empty", (char *)*state);
    assert_int_equal(bt_file_write_atomic(path, "", 0, 0600, NULL), 0);
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    assert_int_equal(bt_file_read(path, &sb, 0, NULL), 0);
    assert_int_equal(sb.len, 0);
    /* the buffer the read reserved is terminated, not left as malloc gave it */
    assert_string_equal(bt_strbuf_str(&sb), "");
}

static void test_file_mkdir_p_and_rm_rf(void **state)
{
    const char *dir = *state;
    bt_autofree char *deep = bt_xasprintf("%s/a/b/c/d", dir);
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_mkdir_p(deep, 0755, &err), 0);
    assert_int_equal(bt_mkdir_p(deep, 0755, &err), 0); /* idempotent */
    assert_true(bt_path_is_dir(deep));

    /* a symlink inside points at a directory outside: rm -rf must not follow it */
    bt_autofree char *outside = bt_xasprintf("%s/outside", dir);
    bt_autofree char *keep = bt_xasprintf("%s/outside/keep", dir);
    bt_autofree char *link = bt_xasprintf("%s/a/b/link", dir);
    assert_int_equal(bt_mkdir_p(outside, 0755, &err), 0);
    assert_int_equal(bt_file_write_atomic(keep, "k", 1, 0600, &err), 0);
    assert_int_equal(symlink(outside, link), 0);
    bt_autofree char *a = bt_xasprintf("%s/a", dir);
    assert_int_equal(bt_rm_rf(a, &err), 0);
    assert_false(bt_path_exists(a));
    assert_true(bt_path_exists(keep));
    assert_int_equal(bt_rm_rf(a, &err), 0); /* missing is fine */

    /* a file in the way of mkdir -p */
    bt_autofree char *blocked = bt_xasprintf("%s/outside/keep/sub", dir);
    assert_int_equal(bt_mkdir_p(blocked, 0755, &err), -1);
    assert_int_equal(bt_err_code(err), ENOTDIR);
}

static void test_file_rm_rf_refuses_mount_points(void **state)
{
    /* Mounting needs root; the rest of the file runs unprivileged. The mount happens in a
     * private mount namespace of this test process, so nothing outlives it. */
    if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        skip();
    const char *dir = *state;
    bt_autofree char *mnt = bt_xasprintf("%s/x/mnt", dir);
    bt_autofree char *x = bt_xasprintf("%s/x", dir);
    bt_autofree char *inside = bt_xasprintf("%s/x/mnt/precious", dir);
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_mkdir_p(mnt, 0755, &err), 0);
    if (mount("tmpfs", mnt, "tmpfs", 0, NULL) < 0)
        skip();
    assert_int_equal(bt_file_write_atomic(inside, "p", 1, 0600, &err), 0);
    assert_int_equal(bt_rm_rf(x, &err), -1);
    assert_int_equal(bt_err_code(err), EBUSY);
    assert_true(bt_path_exists(inside));
    assert_int_equal(bt_rm_rf(mnt, &err), -1); /* the mount point itself, too */
    umount2(mnt, MNT_DETACH);
}

static void test_fd_read_write_all_through_pipe(void **state)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_fd_write_all(p[1], "hello world", 11, &err), 0);
    close(p[1]);
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    assert_int_equal(bt_fd_read_all(p[0], &sb, 0, &err), 0);
    close(p[0]);
    assert_string_equal(sb.buf, "hello world");
    assert_int_equal(bt_fd_write_all(-1, "x", 1, &err), -1);
    assert_int_equal(bt_err_code(err), EBADF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_file_write_atomic_replaces_and_leaves_no_temp,
                                            setup_dir, teardown_dir),
            cmocka_unit_test_setup_teardown(test_file_write_atomic_into_missing_dir_fails_cleanly,
                                            setup_dir, teardown_dir),
            cmocka_unit_test_setup_teardown(test_file_read_limit, setup_dir, teardown_dir),
            cmocka_unit_test_setup_teardown(test_file_read_empty_is_an_empty_string, setup_dir,
                                            teardown_dir),
            cmocka_unit_test_setup_teardown(test_file_mkdir_p_and_rm_rf, setup_dir, teardown_dir),
            cmocka_unit_test_setup_teardown(test_file_rm_rf_refuses_mount_points, setup_dir,
                                            teardown_dir),
            cmocka_unit_test(test_fd_read_write_all_through_pipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
