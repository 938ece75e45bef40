/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every way out of a root we know of, tried against bt_resolve_* and the fd walkers. The
 * tree (made fresh for each test):
 *
 *   outside/secret               a file next to the root, which nothing may reach
 *   root/etc/passwd              "root's passwd"
 *   root/abs      -> /etc        absolute symlink
 *   root/rel      -> ../../../../etc
 *   root/chain    -> abs         symlink to a symlink
 *   root/loop1    -> loop2, root/loop2 -> loop1, root/self -> self
 *   root/dangle   -> /nonexistent/x
 *   root/sub/up   -> ../..
 *   root/esc      -> ../outside  relative link climbing out
 *   root/file                    a regular file
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

#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/fs/file.h"
#include "shared/fs/resolve.h"

struct tree {
    char base[64];
    char *root;
    int rootfd;
};

static void put(const char *path, const char *content)
{
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_file_write_atomic(path, content, strlen(content), 0644, &err), 0);
}

static int setup(void **state)
{
    struct tree *t = bt_xzalloc(sizeof(*t));
    strcpy(t->base, "/tmp/berth-test-resolve-XXXXXX");
    if (!mkdtemp(t->base))
        return -1;
    t->root = bt_xasprintf("%s/root", t->base);
    char p[512];
    bt_autoerr bt_err *err = NULL;
    snprintf(p, sizeof(p), "%s/root/etc", t->base);
    bt_mkdir_p(p, 0755, &err);
    snprintf(p, sizeof(p), "%s/root/sub", t->base);
    bt_mkdir_p(p, 0755, &err);
    snprintf(p, sizeof(p), "%s/outside", t->base);
    bt_mkdir_p(p, 0755, &err);
    snprintf(p, sizeof(p), "%s/outside/secret", t->base);
    put(p, "secret");
    snprintf(p, sizeof(p), "%s/root/etc/passwd", t->base);
    put(p, "root's passwd");
    snprintf(p, sizeof(p), "%s/root/file", t->base);
    put(p, "plain");
    static const char *const links[][2] = {
            {"abs", "/etc"},
            {"rel", "../../../../etc"},
            {"chain", "abs"},
            {"loop1", "loop2"},
            {"loop2", "loop1"},
            {"self", "self"},
            {"dangle", "/nonexistent/x"},
            {"sub/up", "../.."},
            {"esc", "../outside"},
    };
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        snprintf(p, sizeof(p), "%s/root/%s", t->base, links[i][0]);
        if (symlink(links[i][1], p) < 0)
            return -1;
    }
    t->rootfd = open(t->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    *state = t;
    return t->rootfd >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
    struct tree *t = *state;
    bt_autoerr bt_err *err = NULL;
    close(t->rootfd);
    bt_rm_rf(t->base, &err);
    free(t->root);
    free(t);
    return 0;
}

static void expect_rel(struct tree *t, const char *path, unsigned flags, const char *want)
{
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *got = bt_resolve_rel(t->rootfd, path, flags, &err);
    if (!got)
        fail_msg("resolve \"%s\": %s", path, bt_err_msg(err));
    if (strcmp(got, want) != 0)
        fail_msg("resolve \"%s\" = \"%s\", want \"%s\"", path, got, want);
}

static void test_resolve_dotdot_stays_at_root(void **state)
{
    struct tree *t = *state;
    expect_rel(t, "../../etc/passwd", 0, "etc/passwd");
    expect_rel(t, "/../../../outside/secret", 0, "outside/secret");
    expect_rel(t, "etc/../../../../file", 0, "file");
    expect_rel(t, "/", 0, ".");
    expect_rel(t, "", 0, ".");
    expect_rel(t, "..", 0, ".");
}

static void test_resolve_absolute_symlink_restarts_at_root(void **state)
{
    struct tree *t = *state;
    expect_rel(t, "abs/passwd", 0, "etc/passwd");
    expect_rel(t, "chain/passwd", 0, "etc/passwd");
    expect_rel(t, "abs", 0, "etc");
}

static void test_resolve_relative_symlink_cannot_climb_out(void **state)
{
    struct tree *t = *state;
    expect_rel(t, "rel/passwd", 0, "etc/passwd");
    expect_rel(t, "esc/secret", 0, "outside/secret"); /* root/outside, not the real one */
    expect_rel(t, "sub/up/sub/up/etc", 0, "etc");
}

static void test_resolve_symlink_loops_fail_with_eloop(void **state)
{
    struct tree *t = *state;
    static const char *const loops[] = {"loop1", "loop2/x", "self", "self/self/x"};
    for (size_t i = 0; i < 4; i++) {
        bt_autoerr bt_err *err = NULL;
        bt_autofree char *got = bt_resolve_rel(t->rootfd, loops[i], 0, &err);
        assert_null(got);
        assert_int_equal(bt_err_code(err), ELOOP);
    }
    /* not following the last component makes a loop harmless */
    expect_rel(t, "loop1", BT_RESOLVE_NOFOLLOW_LAST, "loop1");
}

static void test_resolve_nofollow_last_and_missing_parts(void **state)
{
    struct tree *t = *state;
    expect_rel(t, "abs", BT_RESOLVE_NOFOLLOW_LAST, "abs");
    expect_rel(t, "abs/newdir/new", 0, "etc/newdir/new");
    expect_rel(t, "dangle", 0, "nonexistent/x");
    expect_rel(t, "dangle/../y", 0, "nonexistent/y");
    expect_rel(t, "file/under", 0, "file/under");
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *full = bt_resolve_in_root(t->root, "/rel/passwd", 0, &err);
    bt_autofree char *want = bt_xasprintf("%s/etc/passwd", t->root);
    assert_string_equal(full, want);
}

static void test_open_in_root_reads_the_roots_file(void **state)
{
    struct tree *t = *state;
    static const char *const ways[] = {"abs/passwd", "rel/passwd", "../etc/passwd",
                                       "/chain/../abs/passwd", "sub/up/etc/passwd"};
    for (size_t i = 0; i < 5; i++) {
        bt_autoerr bt_err *err = NULL;
        bt_autoclose int fd = bt_open_in_root(t->rootfd, ways[i], O_RDONLY, 0, 0, &err);
        if (fd < 0)
            fail_msg("open \"%s\": %s", ways[i], bt_err_msg(err));
        bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
        assert_int_equal(bt_fd_read_all(fd, &sb, 0, &err), 0);
        assert_string_equal(sb.buf, "root's passwd");
    }
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_open_in_root(t->rootfd, "esc/secret", O_RDONLY, 0, 0, &err), -1);
    assert_int_equal(bt_err_code(err), ENOENT);
}

static void test_open_beneath_refuses_symlinks_and_dotdot(void **state)
{
    struct tree *t = *state;
    bt_autoerr bt_err *err = NULL;
    /* as if a container swapped a resolved directory for a symlink after resolution */
    assert_int_equal(bt_open_beneath(t->rootfd, "abs/passwd", O_RDONLY, 0, &err), -1);
    assert_true(bt_err_code(err) == ENOTDIR || bt_err_code(err) == ELOOP);
    bt_err_clear(&err);
    assert_int_equal(bt_open_beneath(t->rootfd, "abs", O_RDONLY, 0, &err), -1);
    assert_int_equal(bt_err_code(err), ELOOP);
    bt_err_clear(&err);
    assert_int_equal(bt_open_beneath(t->rootfd, "etc/../../outside/secret", O_RDONLY, 0, &err), -1);
    assert_int_equal(bt_err_code(err), EXDEV);
}

static void test_mkdir_in_root_follows_links_inside(void **state)
{
    struct tree *t = *state;
    bt_autoerr bt_err *err = NULL;
    bt_autoclose int a = bt_mkdir_in_root(t->rootfd, "abs/newdir/deeper", 0755, &err);
    assert_true(a >= 0);
    bt_autofree char *made = bt_xasprintf("%s/etc/newdir/deeper", t->root);
    assert_true(bt_path_is_dir(made));
    assert_false(bt_path_exists("/etc/newdir/deeper"));

    bt_autoclose int b = bt_mkdir_in_root(t->rootfd, "dangle/sub", 0755, &err);
    assert_true(b >= 0);
    bt_autofree char *made2 = bt_xasprintf("%s/nonexistent/x/sub", t->root);
    assert_true(bt_path_is_dir(made2));

    assert_int_equal(bt_mkdir_in_root(t->rootfd, "file/sub", 0755, &err), -1);
    assert_int_equal(bt_err_code(err), ENOTDIR);
    bt_err_clear(&err);
    assert_int_equal(bt_mkdir_in_root(t->rootfd, "self/x", 0755, &err), -1);
    assert_int_equal(bt_err_code(err), ELOOP);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
            T(test_resolve_dotdot_stays_at_root),
            T(test_resolve_absolute_symlink_restarts_at_root),
            T(test_resolve_relative_symlink_cannot_climb_out),
            T(test_resolve_symlink_loops_fail_with_eloop),
            T(test_resolve_nofollow_last_and_missing_parts),
            T(test_open_in_root_reads_the_roots_file),
            T(test_open_beneath_refuses_symlinks_and_dotdot),
            T(test_mkdir_in_root_follows_links_inside),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
