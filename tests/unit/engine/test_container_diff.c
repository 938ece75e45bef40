/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker diff from an overlay upper directory (diff.c): kinds, order, copied-up directories
 * as modified (dockerd 20.10's), and the engine's mount points left out with the directories
 * above them unless something else under them changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest/engine/container/container-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/fs/file.h"

static char base[64];

static void mk(const char *rel, bool dir)
{
    bt_autofree char *p = bt_xasprintf("%s/%s", base, rel);
    if (dir)
        assert_int_equal(mkdir(p, 0755), 0);
    else
        assert_int_equal(bt_file_write_atomic(p, "x", 1, 0644, NULL), 0);
}

/* the lines docker diff prints */
static char *render(struct ctr_change *l, size_t n)
{
    char *out = bt_xstrdup("");
    for (size_t i = 0; i < n; i++) {
        char *next = bt_xasprintf("%s%c %s\n", out, "CAD"[l[i].kind], l[i].path);
        free(out);
        out = next;
    }
    return out;
}

static char *diff(void)
{
    bt_autofree char *upper = bt_xasprintf("%s/upper", base);
    bt_autofree char *lower = bt_xasprintf("%s/lower", base);
    char *lowers[] = {lower, NULL};
    char *skip[] = {"/etc/hosts", "/proc", "/dev/shm", NULL};
    struct ctr_change *l = NULL;
    size_t n = 0;
    bt_err *err = NULL;
    assert_int_equal(ctr_diff_compute(upper, lowers, skip, &l, &n, &err), 0);
    char *s = render(l, n);
    ctr_changes_free(l, n);
    return s;
}

static int setup(void **state)
{
    (void)state;
    snprintf(base, sizeof(base), "/tmp/berth-diff-XXXXXX");
    assert_non_null(mkdtemp(base));
    mk("lower", true);
    mk("upper", true);
    mk("lower/etc", true);
    mk("lower/etc/passwd", false);
    mk("lower/bin", true);
    mk("lower/bin/ls", false);
    mk("lower/usr", true);
    mk("lower/usr/lib", true);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return bt_rm_rf(base, NULL);
}

/* copy a lower directory's mode and times to its upper copy, as overlayfs' copy-up */
static void copy_up(const char *rel)
{
    bt_autofree char *l = bt_xasprintf("%s/lower/%s", base, rel);
    bt_autofree char *u = bt_xasprintf("%s/upper/%s", base, rel);
    struct stat st;
    assert_int_equal(stat(l, &st), 0);
    if (access(u, F_OK) != 0)
        assert_int_equal(mkdir(u, st.st_mode & 07777), 0);
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, u, ts, 0), 0);
}

static void test_container_diff_kinds_and_order(void **state)
{
    (void)state;
    mk("upper/etc", true);
    mk("upper/etc/passwd", false); /* modified */
    mk("upper/etc/hosts", false);  /* not a mount point: it has content */
    mk("upper/new", true);
    mk("upper/new/b", false);
    mk("upper/new/a", false);
    mk("upper/new-file", false);
    copy_up("etc");
    bt_autofree char *got = diff();
    /* /etc: copied up for its children; /new before /new-file: a walk, not a sort of paths */
    assert_string_equal(got, "C /etc\nA /etc/hosts\nC /etc/passwd\nA /new\nA /new/a\n"
                             "A /new/b\nA /new-file\n");
}

static void test_container_diff_parent_of_added_is_modified(void **state)
{
    (void)state;
    mk("upper/usr", true);
    mk("upper/usr/lib", true);
    mk("upper/usr/lib/x.so", false);
    copy_up("usr/lib");
    copy_up("usr");
    bt_autofree char *got = diff();
    /* /usr too, copied up only for /usr/lib's sake: dockerd reports it */
    assert_string_equal(got, "C /usr\nC /usr/lib\nA /usr/lib/x.so\n");
}

static void test_container_diff_mount_points_are_not_changes(void **state)
{
    (void)state;
    mk("upper/etc", true);
    mk("upper/proc", true);
    mk("upper/dev", true);
    mk("upper/dev/shm", true);
    bt_autofree char *hosts = bt_xasprintf("%s/upper/etc/hosts", base);
    assert_int_equal(bt_file_write_atomic(hosts, "", 0, 0644, NULL), 0);
    bt_autofree char *got = diff();
    assert_string_equal(got, "");
}

static void test_container_diff_mount_parent_with_a_change_is_modified(void **state)
{
    (void)state;
    mk("upper/etc", true);
    copy_up("etc");
    bt_autofree char *hosts = bt_xasprintf("%s/upper/etc/hosts", base);
    assert_int_equal(bt_file_write_atomic(hosts, "", 0, 0644, NULL), 0);
    mk("upper/etc/passwd", false); /* modified */
    bt_autofree char *got = diff();
    assert_string_equal(got, "C /etc\nC /etc/passwd\n");
}

static void test_container_diff_whiteouts_are_deleted(void **state)
{
    (void)state;
    mk("upper/bin", true);
    copy_up("bin");
    bt_autofree char *wh = bt_xasprintf("%s/upper/bin/ls", base);
    if (mknod(wh, S_IFCHR | 0, makedev(0, 0)) < 0)
        skip(); /* mknod needs CAP_MKNOD */
    mk("upper/usr", true);
    copy_up("usr");
    bt_autofree char *opq = bt_xasprintf("%s/upper/usr/lib", base);
    assert_int_equal(mkdir(opq, 0755), 0);
    if (setxattr(opq, "trusted.overlay.opaque", "y", 1, 0) < 0)
        skip(); /* trusted.* needs CAP_SYS_ADMIN and a file system that has it */
    mk("upper/usr/lib/again", false);
    bt_autofree char *got = diff();
    assert_string_equal(got, "C /bin\nD /bin/ls\nC /usr\nD /usr/lib\nA /usr/lib/again\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_container_diff_kinds_and_order, setup, teardown),
            cmocka_unit_test_setup_teardown(test_container_diff_parent_of_added_is_modified, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_container_diff_mount_points_are_not_changes, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(
                    test_container_diff_mount_parent_with_a_change_is_modified, setup, teardown),
            cmocka_unit_test_setup_teardown(test_container_diff_whiteouts_are_deleted, setup,
                                            teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
