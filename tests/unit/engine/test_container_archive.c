/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker cp's view of a container's file system (archive-fs.c) and its reading of paths
 * (archive.c): paths resolve across mounts as the container sees them, and no symlink, in the
 * root file system or on a bind mount, leads to the host's files.
 *
 * Layout: base/root (the root file system), base/bind (a bind mount's source, at /mnt),
 * base/host (what the host has outside of both: must never be reached).
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
#include <unistd.h>

#include <cmocka.h>

#include "guest/engine/container/container-internal.h"
#include "shared/base/cleanup.h"
#include "shared/fs/file.h"

static void test_container_archive_paths_as_dockerd_reads_them(void **state)
{
    static const char *const abs[][2] = {
            {"etc/passwd", "/etc/passwd"},
            {"/data/.", "/data/."},
            {"data/", "/data/"},
            {".", "/."},
            {"./", "/./"},
            {"/", "/"},
            {"/a/../b/./", "/b/./"},
            {"a/..", "/"},
            {"../../x", "/x"},
            {"/data//.", "/data/."},
    };
    for (size_t i = 0; i < sizeof(abs) / sizeof(abs[0]); i++) {
        bt_autofree char *got = cp_abs_path(abs[i][0]);
        assert_string_equal(got, abs[i][1]);
    }
    static const char *const base[][2] = {
            {"/a/b/", "b"}, {"/", "/"}, {"/a/.", "."}, {"", "."}, {"//", "/"}, {"x", "x"},
    };
    for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
        bt_autofree char *got = cp_base(base[i][0]);
        assert_string_equal(got, base[i][1]);
    }
}

struct fixture {
    char base[64];
    struct cp_fs fs;
};

static char *at(struct fixture *f, const char *rel)
{
    return bt_xasprintf("%s/%s", f->base, rel);
}

static void mk(struct fixture *f, const char *rel)
{
    bt_autofree char *p = at(f, rel);
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_mkdir_p(p, 0755, &err), 0);
}

static void put(struct fixture *f, const char *rel, const char *content)
{
    bt_autofree char *p = at(f, rel);
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_file_write_atomic(p, content, strlen(content), 0644, &err), 0);
}

static void ln(struct fixture *f, const char *target, const char *rel)
{
    bt_autofree char *p = at(f, rel);
    assert_int_equal(symlink(target, p), 0);
}

static int dirfd_of(struct fixture *f, const char *rel)
{
    bt_autofree char *p = at(f, rel);
    int fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    return fd;
}

static int setup(void **state)
{
    struct fixture *f = bt_xzalloc(sizeof(*f));
    strcpy(f->base, "/tmp/berth-test-cp-XXXXXX");
    if (!mkdtemp(f->base))
        return -1;
    mk(f, "root/etc");
    mk(f, "root/mnt");
    mk(f, "root/real");
    mk(f, "bind/sub");
    mk(f, "other");
    mk(f, "host/etc");
    put(f, "root/etc/passwd", "container");
    put(f, "host/etc/passwd", "host");
    put(f, "bind/f", "on the bind mount");
    put(f, "other/hosts", "a mounted file");
    ln(f, "/", "root/link-root");
    ln(f, "../../..", "root/up");
    ln(f, "/mnt", "root/tomnt");
    ln(f, "/real", "root/linkdir");
    ln(f, "/", "bind/esc");
    ln(f, "../../../../../..", "bind/up");
    ln(f, "../etc", "bind/rel");
    cp_fs_add(&f->fs, "/", "root file system", true, dirfd_of(f, "root"), NULL, NULL);
    cp_fs_add(&f->fs, "/mnt", "bind", true, dirfd_of(f, "bind"), NULL, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    cp_fs_free(&f->fs);
    bt_autoerr bt_err *err = NULL;
    bt_rm_rf(f->base, &err);
    free(f);
    return 0;
}

static void expect(struct fixture *f, const char *path, bool follow, size_t mount,
                   const char *where, const char *rel)
{
    struct cp_where w;
    bt_autoerr bt_err *err = NULL;
    if (cp_fs_resolve(&f->fs, path, follow, &w, &err) < 0)
        fail_msg("%s: %s", path, bt_err_msg(err));
    if (w.mount != mount || strcmp(w.path, where) != 0 || strcmp(w.rel, rel) != 0)
        fail_msg("%s: mount %zu %s %s, want mount %zu %s %s", path, w.mount, w.path, w.rel, mount,
                 where, rel);
    cp_where_clear(&w);
}

/* the content of what path resolves to, opened as docker cp opens it */
static char *read_through(struct fixture *f, const char *path)
{
    struct cp_where w;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(cp_fs_resolve(&f->fs, path, true, &w, &err), 0);
    bt_autofree char *name = NULL;
    bt_autoclose int dfd = cp_fs_open_parent(&f->fs, &w, &name, &err);
    cp_where_clear(&w);
    if (dfd < 0)
        return NULL;
    bt_autoclose int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    char buf[64] = "";
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    return n >= 0 ? bt_xstrndup(buf, (size_t)n) : NULL;
}

static void test_container_archive_paths_cross_into_mounts(void **state)
{
    struct fixture *f = *state;
    expect(f, "/mnt/f", false, 1, "/mnt/f", "f");
    expect(f, "/mnt", false, 1, "/mnt", ".");
    expect(f, "/mnt/sub/../f", false, 1, "/mnt/f", "f");
    expect(f, "/mnt/../etc/passwd", false, 0, "/etc/passwd", "etc/passwd");
    expect(f, "/tomnt/f", false, 1, "/mnt/f", "f"); /* a link in the root fs into the mount */
    expect(f, "/link-root/mnt/f", false, 1, "/mnt/f", "f");
    expect(f, "/nothing/here", false, 0, "/nothing/here", "nothing/here");
    bt_autofree char *c = read_through(f, "/mnt/f");
    assert_string_equal(c, "on the bind mount");
}

static void test_container_archive_links_never_lead_to_the_host(void **state)
{
    struct fixture *f = *state;
    /* "/" inside the bind mount is the container's root, not the host's */
    expect(f, "/mnt/esc/etc/passwd", true, 0, "/etc/passwd", "etc/passwd");
    expect(f, "/mnt/up/etc/passwd", true, 0, "/etc/passwd", "etc/passwd");
    expect(f, "/mnt/rel/passwd", true, 0, "/etc/passwd", "etc/passwd");
    expect(f, "/up/etc/passwd", true, 0, "/etc/passwd", "etc/passwd");
    expect(f, "/up/up/../host/etc/passwd", true, 0, "/host/etc/passwd", "host/etc/passwd");
    static const char *const paths[] = {"/mnt/esc/etc/passwd", "/mnt/up/etc/passwd",
                                        "/up/etc/passwd", "/link-root/etc/passwd"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        bt_autofree char *c = read_through(f, paths[i]);
        assert_string_equal(c, "container");
    }
    bt_autofree char *none = read_through(f, "/up/up/../host/etc/passwd");
    assert_null(none);
    /* the link itself, when not followed */
    expect(f, "/mnt/esc", false, 1, "/mnt/esc", "esc");
}

static void test_container_archive_later_mounts_cover_earlier_ones(void **state)
{
    struct fixture *f = *state;
    /* a mount whose destination is a symlink lands where the link points (as the runtime
     * resolves destinations), and a later mount over /mnt hides the earlier one */
    cp_fs_add(&f->fs, "/linkdir", "bind", true, dirfd_of(f, "other"), NULL, NULL);
    assert_string_equal(f->fs.m[2].dest, "/real");
    expect(f, "/linkdir/hosts", true, 2, "/real/hosts", "hosts");
    cp_fs_add(&f->fs, "/mnt/sub", "bind", false, dirfd_of(f, "other"), NULL, NULL);
    expect(f, "/mnt/sub/hosts", true, 3, "/mnt/sub/hosts", "hosts");
    cp_fs_add(&f->fs, "/mnt", "bind", true, dirfd_of(f, "host"), NULL, NULL);
    assert_true(f->fs.m[1].hidden);
    assert_true(f->fs.m[3].hidden);
    expect(f, "/mnt/sub/hosts", true, 4, "/mnt/sub/hosts", "sub/hosts");
    assert_int_equal(cp_fs_mount_at(&f->fs, "/mnt"), 4);
    assert_int_equal(cp_fs_mount_at(&f->fs, "/mnt/sub"), 0);
}

static void test_container_archive_mounted_files_and_unreachable_mounts(void **state)
{
    struct fixture *f = *state;
    cp_fs_add(&f->fs, "/etc/hosts", "bind", true, dirfd_of(f, "other"), "hosts", NULL);
    expect(f, "/etc/hosts", false, 2, "/etc/hosts", ".");
    bt_autofree char *c = read_through(f, "/etc/hosts");
    assert_string_equal(c, "a mounted file");
    struct cp_where w;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(cp_fs_resolve(&f->fs, "/etc/hosts/x", false, &w, &err), 0);
    bt_autofree char *name = NULL;
    assert_int_equal(cp_fs_open_parent(&f->fs, &w, &name, &err), -1);
    assert_int_equal(bt_err_code(err), ENOTDIR);
    cp_where_clear(&w);

    cp_fs_add(&f->fs, "/run", "tmpfs", true, -1, NULL,
              "which exists only while the container runs");
    bt_autoerr bt_err *e2 = NULL;
    assert_int_equal(cp_fs_resolve(&f->fs, "/run/x", false, &w, &e2), -1);
    assert_int_equal(bt_err_code(e2), BT_E_CONFLICT);
    assert_string_equal(bt_err_msg(e2), "\"/run/x\" is on the tmpfs mount \"/run\", which exists "
                                        "only while the container runs");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_container_archive_paths_as_dockerd_reads_them),
            T(test_container_archive_paths_cross_into_mounts),
            T(test_container_archive_links_never_lead_to_the_host),
            T(test_container_archive_later_mounts_cover_earlier_ones),
            T(test_container_archive_mounted_files_and_unreachable_mounts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
