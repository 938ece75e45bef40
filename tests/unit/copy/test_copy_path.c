/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth cp decides, as the docker CLI does, where a copy lands and under which name: Go's path
 * rules, PrepareArchiveCopy's cases and their errors, the stat header, and the local side's
 * handling of symlinks.
 */
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

#include "host/copy/copy.h"
#include "shared/base/base64.h"
#include "shared/base/cleanup.h"
#include "shared/fs/file.h"

static void test_copy_path_split_arg(void **state)
{
    static const char *const cases[][3] = {
            /* arg, container ("" for local), path */
            {"web:/etc/passwd", "web", "/etc/passwd"},
            {"web:relative", "web", "relative"},
            {"web:", "web", ""},
            {"/abs/file:name", "", "/abs/file:name"},
            {"./file:name", "", "./file:name"},
            {"plain", "", "plain"},
            {"-", "", "-"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bt_autofree char *ctr = NULL, *path = NULL;
        copy_split_arg(cases[i][0], &ctr, &path);
        assert_string_equal(ctr ? ctr : "", cases[i][1]);
        assert_string_equal(path, cases[i][2]);
    }
}

static void test_copy_path_go_rules(void **state)
{
    static const char *const split[][3] = {
            {"/a/b", "/a", "b"},    {"/a/b/.", "/a/b", "."}, {"/", "/", "/"},
            {"a/b/", "a", "b"},     {"b", ".", "b"},         {"/a/b/./", "/a/b", "."},
            {"/a//b//", "/a", "b"},
    };
    for (size_t i = 0; i < sizeof(split) / sizeof(split[0]); i++) {
        bt_autofree char *d = NULL, *b = NULL;
        copy_split_dir_entry(split[i][0], &d, &b);
        assert_string_equal(d, split[i][1]);
        assert_string_equal(b, split[i][2]);
    }
    static const char *const keep[][3] = {
            {"/x/dir", "dir/.", "/x/dir/."},
            {"/x/dir", "dir/", "/x/dir/"},
            {"/x/dir", "dir", "/x/dir"},
            {"/", "./", "/./"},
    };
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        bt_autofree char *p = copy_preserve_trailing(keep[i][0], keep[i][1]);
        assert_string_equal(p, keep[i][2]);
    }
    assert_true(copy_asserts_dir("/x/"));
    assert_true(copy_asserts_dir("/x/."));
    assert_false(copy_asserts_dir("/x"));
    /* -L: the target keeps the link's name when it differs */
    char *rebase = NULL;
    bt_autofree char *r1 = copy_rebase_name("/link", "/etc/passwd", &rebase);
    assert_string_equal(r1, "/etc/passwd");
    assert_string_equal(rebase, "link");
    free(rebase);
    bt_autofree char *r2 = copy_rebase_name("/l/.", "/etc", &rebase);
    assert_string_equal(r2, "/etc/.");
    assert_null(rebase);
    bt_autofree char *r3 = copy_rebase_name("/etc/", "/etc", &rebase);
    assert_string_equal(r3, "/etc/");
    assert_null(rebase);
}

struct prep_case {
    const char *src;
    bool src_dir;
    const char *rebase;
    const char *dst;
    bool dst_exists, dst_dir;
    const char *want_dir, *want_top, *want_err;
};

static void test_copy_path_prepare_as_docker(void **state)
{
    static const struct prep_case cases[] = {
            /* into an existing directory: names kept (a -L source keeps the link's name) */
            {"/data", true, NULL, "/tmp/d", true, true, "/tmp/d", NULL, NULL},
            {"/data/.", true, NULL, "/tmp/d/", true, true, "/tmp/d/", NULL, NULL},
            {"/etc/passwd", false, "link", "/tmp/d", true, true, "/tmp/d", "link", NULL},
            /* to a new name: the copy takes it */
            {"/data", true, NULL, "/tmp/new", false, false, "/tmp", "new", NULL},
            {"/data/.", true, NULL, "/tmp/new", false, false, "/tmp", "new", NULL},
            {"/etc/passwd", false, NULL, "/tmp/pw", false, false, "/tmp", "pw", NULL},
            /* a file onto a file */
            {"/etc/passwd", false, NULL, "/tmp/old", true, false, "/tmp", "old", NULL},
            /* docker's errors */
            {"/data", true, NULL, "/tmp/file", true, false, NULL, NULL, "cannot copy directory"},
            {"/etc/passwd", false, NULL, "/tmp/nodir/", false, false, NULL, NULL,
             "no such directory"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct prep_case *c = &cases[i];
        struct copy_info src = {.path = (char *)c->src,
                                .exists = true,
                                .is_dir = c->src_dir,
                                .rebase_name = (char *)c->rebase};
        struct copy_info dst = {
                .path = (char *)c->dst, .exists = c->dst_exists, .is_dir = c->dst_dir};
        bt_autofree char *dir = NULL, *top = NULL;
        bt_autoerr bt_err *err = NULL;
        int rc = copy_prepare(&src, &dst, &dir, &top, &err);
        if (c->want_err) {
            assert_int_equal(rc, -1);
            assert_string_equal(bt_err_msg(err), c->want_err);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_string_equal(dir, c->want_dir);
        if (c->want_top)
            assert_string_equal(top, c->want_top);
        else
            assert_null(top);
    }
}

static void test_copy_path_stat_header(void **state)
{
    const char *json = "{\"name\":\"etc\",\"size\":4096,\"mode\":2147484141,"
                       "\"mtime\":\"2020-01-01T00:00:00Z\",\"linkTarget\":\"\"}";
    bt_autofree char *h = bt_base64_encode(json, strlen(json));
    struct copy_stat st;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(copy_stat_parse(h, &st, &err), 0);
    assert_string_equal(st.name, "etc");
    assert_int_equal(st.size, 4096);
    assert_true(st.mode & COPY_GO_MODE_DIR);
    assert_int_equal(st.mode & 0777, 0755);
    copy_stat_clear(&st);
    bt_autoerr bt_err *e2 = NULL;
    assert_int_equal(copy_stat_parse("not*base64", &st, &e2), -1);
    assert_string_equal(bt_err_msg(e2), "unable to decode container path stat header: illegal "
                                        "base64 data at input byte 8");
}

static void test_copy_path_local_links(void **state)
{
    char base[] = "/tmp/berth-test-copy-XXXXXX";
    assert_non_null(mkdtemp(base));
    bt_autofree char *dir = bt_xasprintf("%s/dir", base);
    bt_autofree char *link = bt_xasprintf("%s/link", base);
    bt_autofree char *dangling = bt_xasprintf("%s/dangling", base);
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(symlink("dir", link), 0);
    assert_int_equal(symlink("missing", dangling), 0);
    /* a destination that is a link is its target, even a missing one */
    struct copy_info d;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(copy_dest_info(link, &d, &err), 0);
    assert_string_equal(d.path, dir);
    assert_true(d.exists && d.is_dir);
    copy_info_clear(&d);
    assert_int_equal(copy_dest_info(dangling, &d, &err), 0);
    bt_autofree char *missing = bt_xasprintf("%s/missing", base);
    assert_string_equal(d.path, missing);
    assert_false(d.exists);
    copy_info_clear(&d);
    /* a source: the link itself, unless it ends in "/" (then the directory, under the link's
     * name) */
    struct copy_info s;
    assert_int_equal(copy_source_info(link, false, &s, &err), 0);
    assert_string_equal(s.path, link);
    assert_false(s.is_dir);
    assert_null(s.rebase_name);
    copy_info_clear(&s);
    bt_autofree char *slash = bt_xasprintf("%s/", link);
    assert_int_equal(copy_source_info(slash, false, &s, &err), 0);
    assert_true(s.is_dir);
    copy_info_clear(&s);
    assert_int_equal(copy_source_info(link, true, &s, &err), 0);
    assert_string_equal(s.path, dir);
    assert_string_equal(s.rebase_name, "link");
    copy_info_clear(&s);
    bt_autofree char *nope = bt_xasprintf("%s/nope", base);
    assert_int_equal(copy_source_info(nope, false, &s, &err), -1);
    bt_autofree char *want = bt_xasprintf("lstat %s: no such file or directory", nope);
    assert_string_equal(bt_err_msg(err), want);
    bt_autoerr bt_err *e2 = NULL;
    bt_rm_rf(base, &e2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_copy_path_split_arg),
            cmocka_unit_test(test_copy_path_go_rules),
            cmocka_unit_test(test_copy_path_prepare_as_docker),
            cmocka_unit_test(test_copy_path_stat_header),
            cmocka_unit_test(test_copy_path_local_links),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
