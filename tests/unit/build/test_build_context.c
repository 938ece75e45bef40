/* SPDX-License-Identifier: Apache-2.0 */
/* host/build/context.c: which files of a context go into the tar, and in what order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/build/build.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

static char root[] = "/tmp/berth-build-ctx-XXXXXX";

static void put(const char *rel, const char *data)
{
    bt_autofree char *p = bt_xasprintf("%s/%s", root, rel);
    size_t n = strlen(p);
    if (p[n - 1] == '/') {
        assert_int_equal(mkdir(p, 0755), 0);
        return;
    }
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(data, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(root))
        return -1;
    put("Dockerfile", "FROM scratch\n");
    put("b/", NULL);
    put("b/x", "x");
    put("a/", NULL);
    put("a/keep.log", "k");
    put("a/drop.log", "d");
    put("a/sub/", NULL);
    put("a/sub/deep.txt", "d");
    put("Z.md", "z");
    put("node_modules/", NULL);
    put("node_modules/m.js", "m");
    bt_autofree char *l = bt_xasprintf("%s/link", root);
    assert_int_equal(symlink("/nowhere", l), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bt_autofree char *cmd = bt_xasprintf("rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void expect_walk(const char *ignore, const char *dockerfile, const char *want)
{
    bt_err *err = NULL;
    bt_autostrv char **m = build_context_walk(root, ignore, strlen(ignore), dockerfile, &err);
    assert_non_null(m);
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    for (char **p = m; *p; p++)
        bt_strbuf_appendf(&sb, "%s%s", p == m ? "" : " ", *p);
    assert_string_equal(bt_strbuf_str(&sb), want);
}

static void test_build_context_walk_all_in_byte_order(void **state)
{
    (void)state;
    expect_walk("", "Dockerfile",
                "Dockerfile Z.md a a/drop.log a/keep.log a/sub a/sub/deep.txt b b/x link "
                "node_modules node_modules/m.js");
}

static void test_build_context_walk_excludes_and_exceptions(void **state)
{
    (void)state;
    /* an excluded directory is not sent; it is entered when an exception names a path
     * below it ("!a/keep.log"), not for an exception with no such prefix ("!*.js") */
    expect_walk("node_modules\n!*.js\na\n!a/keep.log\n*.md\n", "Dockerfile",
                "Dockerfile a/keep.log b b/x link");
    /* a parent's exclusion covers everything below it */
    expect_walk("b\n", "Dockerfile",
                "Dockerfile Z.md a a/drop.log a/keep.log a/sub a/sub/deep.txt link "
                "node_modules node_modules/m.js");
}

static void test_build_context_walk_dockerfile_always_sent(void **state)
{
    (void)state;
    expect_walk("*\n", "Dockerfile", "Dockerfile");
    /* from stdin: nothing to keep but .dockerignore (absent here) */
    expect_walk("*\n", NULL, "");
    expect_walk("**\n!a/sub/deep.txt\n", "Dockerfile", "Dockerfile a/sub/deep.txt");
}

static void test_build_context_walk_bad_pattern(void **state)
{
    (void)state;
    bt_err *err = NULL;
    assert_null(build_context_walk(root, "[a\n", 3, "Dockerfile", &err));
    assert_non_null(err);
    bt_err_free(err);
}

static void test_build_context_prepare_errors(void **state)
{
    (void)state;
    struct build_context bc;
    bool ctx_err = false;
    bt_err *err = NULL;
    bt_autofree char *missing = bt_xasprintf("%s/none", root);
    assert_int_equal(build_context_prepare(missing, NULL, &bc, &ctx_err, &err), -1);
    bt_autofree char *want = bt_xasprintf("path \"%s\" not found", missing);
    assert_string_equal(bt_err_msg(err), want);
    bt_err_free(err);
    err = NULL;
    bt_autofree char *sub = bt_xasprintf("%s/b", root);
    assert_int_equal(build_context_prepare(sub, NULL, &bc, &ctx_err, &err), -1);
    assert_true(ctx_err);
    bt_autofree char *want2 = bt_xasprintf(
            "unable to evaluate symlinks in Dockerfile path: lstat %s/b/Dockerfile: no such "
            "file or directory",
            root);
    assert_string_equal(bt_err_msg(err), want2);
    bt_err_free(err);
    err = NULL;
    assert_int_equal(build_context_prepare(root, NULL, &bc, &ctx_err, &err), 0);
    assert_string_equal(bc.dockerfile, "Dockerfile");
    assert_false(bc.outside);
    build_context_clear(&bc);
}

static void test_build_context_is_archive(void **state)
{
    (void)state;
    unsigned char b[1024] = {0};
    assert_false(build_is_archive(b, sizeof(b)));
    assert_true(build_is_archive((const unsigned char *)"\x1f\x8b\x08\x00", 4));
    assert_false(build_is_archive((const unsigned char *)"FROM scratch\n", 13));
    memcpy(b, "Dockerfile", 10);
    memcpy(b + 100, "0000644", 7);
    memcpy(b + 257, "ustar", 6);
    unsigned sum = 0;
    for (size_t i = 0; i < 512; i++)
        sum += (i >= 148 && i < 156) ? ' ' : b[i];
    snprintf((char *)b + 148, 8, "%06o", sum);
    assert_true(build_is_archive(b, sizeof(b)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_build_context_walk_all_in_byte_order),
            cmocka_unit_test(test_build_context_walk_excludes_and_exceptions),
            cmocka_unit_test(test_build_context_walk_dockerfile_always_sent),
            cmocka_unit_test(test_build_context_walk_bad_pattern),
            cmocka_unit_test(test_build_context_prepare_errors),
            cmocka_unit_test(test_build_context_is_archive),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
