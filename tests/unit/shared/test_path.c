/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shared/base/cleanup.h"
#include "shared/base/path.h"

static void test_path_clean_table(void **state)
{
    /* the cases Go's filepath.Clean documents */
    static const char *const cases[][2] = {
            {"", "."},
            {"abc", "abc"},
            {"abc/def", "abc/def"},
            {"a/b/c", "a/b/c"},
            {".", "."},
            {"..", ".."},
            {"../..", "../.."},
            {"../../abc", "../../abc"},
            {"/abc", "/abc"},
            {"/", "/"},
            {"abc/", "abc"},
            {"abc/def/", "abc/def"},
            {"/abc/", "/abc"},
            {"abc//def//ghi", "abc/def/ghi"},
            {"//abc", "/abc"},
            {"///abc", "/abc"},
            {"//abc//", "/abc"},
            {"abc//", "abc"},
            {"abc/./def", "abc/def"},
            {"/./abc/def", "/abc/def"},
            {"abc/.", "abc"},
            {"abc/def/ghi/../jkl", "abc/def/jkl"},
            {"abc/def/../ghi/../jkl", "abc/jkl"},
            {"abc/def/..", "abc"},
            {"abc/def/../..", "."},
            {"/abc/def/../..", "/"},
            {"abc/def/../../..", ".."},
            {"/abc/def/../../..", "/"},
            {"abc/def/../../../ghi/jkl/../../../mno", "../../mno"},
            {"/../abc", "/abc"},
            {"abc/./../def", "def"},
            {"abc//./../def", "def"},
            {"abc/../../././../def", "../../def"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bt_autofree char *got = bt_path_clean(cases[i][0]);
        if (strcmp(got, cases[i][1]) != 0)
            fail_msg("clean(\"%s\") = \"%s\", want \"%s\"", cases[i][0], got, cases[i][1]);
    }
}

static void test_path_join_dirname_basename(void **state)
{
    bt_autofree char *j1 = bt_path_join("/var/lib/berth", "containers/../images");
    assert_string_equal(j1, "/var/lib/berth/images");
    bt_autofree char *j2 = bt_path_join("/root", "/etc/passwd");
    assert_string_equal(j2, "/root/etc/passwd");
    bt_autofree char *j3 = bt_path_join("", "a/b");
    assert_string_equal(j3, "a/b");
    bt_autofree char *d1 = bt_path_dirname("/a/b/c");
    assert_string_equal(d1, "/a/b");
    bt_autofree char *d2 = bt_path_dirname("c");
    assert_string_equal(d2, ".");
    bt_autofree char *d3 = bt_path_dirname("/c");
    assert_string_equal(d3, "/");
    bt_autofree char *b1 = bt_path_basename("/a/b/");
    assert_string_equal(b1, "b");
    bt_autofree char *b2 = bt_path_basename("/");
    assert_string_equal(b2, "/");
    bt_autofree char *b3 = bt_path_basename("");
    assert_string_equal(b3, ".");
}

static void test_path_within_compares_whole_elements(void **state)
{
    assert_true(bt_path_within("/a/b/c", "/a/b"));
    assert_true(bt_path_within("/a/b", "/a/b/"));
    assert_false(bt_path_within("/a/bc", "/a/b"));
    assert_false(bt_path_within("/a/b/../c", "/a/b"));
    assert_true(bt_path_within("/anything", "/"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_path_clean_table),
            cmocka_unit_test(test_path_join_dirname_basename),
            cmocka_unit_test(test_path_within_compares_whole_elements),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
