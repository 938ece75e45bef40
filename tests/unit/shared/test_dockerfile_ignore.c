/* SPDX-License-Identifier: Apache-2.0 */
/*
 * .dockerignore: reading the file, matching (table in tests/data/dockerfile/ignore-matches.txt),
 * exceptions, bad patterns, and when a walk must enter an excluded directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shared/base/cleanup.h"
#include "shared/base/strbuf.h"
#include "shared/dockerfile/ignore.h"

static struct bt_ignore *matcher(const char *text)
{
    bt_autoerr bt_err *err = NULL;
    struct bt_ignore *m = bt_ignore_parse(text, strlen(text), &err);
    if (!m)
        fail_msg("patterns %s: %s", text, bt_err_msg(err));
    return m;
}

static char *trim(char *s)
{
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        s[--n] = '\0';
    return s;
}

static void test_dockerfile_ignore_table(void **state)
{
    FILE *f = fopen(BERTH_TEST_DATA "/dockerfile/ignore-matches.txt", "r");
    assert_non_null(f);
    char line[1024];
    size_t cases = 0, failed = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || !line[0])
            continue;
        char *b1 = strstr(line, " | ");
        char *b2 = b1 ? strstr(b1 + 3, " | ") : NULL;
        assert_non_null(b2);
        *b1 = *b2 = '\0';
        /* " ; " separates the patterns: one line each in the file we build */
        struct bt_strbuf file = BT_STRBUF_INIT;
        for (char *p = line, *sep;; p = sep + 3) {
            sep = strstr(p, " ; ");
            if (sep)
                *sep = '\0';
            bt_strbuf_appendf(&file, "%s\n", trim(p));
            if (!sep)
                break;
        }
        const char *path = trim(b1 + 3), *want = trim(b2 + 3);
        bt_autoptr(bt_ignore) m = matcher(bt_strbuf_str(&file));
        bool excluded = bt_ignore_matches(m, path);
        cases++;
        if (excluded != (strcmp(want, "excluded") == 0)) {
            print_error("patterns [%s] path %s: %s, want %s\n", bt_strbuf_str(&file), path,
                        excluded ? "excluded" : "kept", want);
            failed++;
        }
        bt_strbuf_free(&file);
    }
    fclose(f);
    print_message("ignore-matches: %zu/%zu\n", cases - failed, cases);
    assert_true(cases > 50);
    assert_int_equal(failed, 0);
}

static void test_dockerfile_ignore_read(void **state)
{
    const char text[] = "\xEF\xBB\xBF# comment\n"
                        "  # not a comment: leading blanks\n"
                        "\n"
                        "   \t\n"
                        "/abs/path/\r\n"
                        "./rel//x/..\n"
                        "!  ./keep\n"
                        "! /keep2\n"
                        "/\n"
                        "!\n"
                        "last";
    bt_autostrv char **p = bt_ignore_read(text, sizeof(text) - 1);
    const char *want[] = {"# not a comment: leading blanks",
                          "abs/path",
                          "rel",
                          "!keep",
                          "!keep2",
                          "/",
                          "!",
                          "last",
                          NULL};
    for (size_t i = 0; want[i]; i++) {
        assert_non_null(p[i]);
        assert_string_equal(p[i], want[i]);
    }
    assert_null(p[8]);
}

static void test_dockerfile_ignore_errors(void **state)
{
    const char *bad[][2] = {
            {"!\n", "illegal exclusion pattern: \"!\""},
            {"a[\n", "invalid pattern \"a[\": syntax error in pattern"},
            {"[]a]\n", "invalid pattern \"[]a]\": syntax error in pattern"},
            {"[a-]\n", "invalid pattern \"[a-]\": syntax error in pattern"},
            {"a\\\n", "invalid pattern \"a\\\\\": syntax error in pattern"},
            {"[z-a]\n", "invalid pattern \"[z-a]\": syntax error in pattern"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bt_autoerr bt_err *err = NULL;
        bt_autoptr(bt_ignore) m = bt_ignore_parse(bad[i][0], strlen(bad[i][0]), &err);
        assert_null(m);
        assert_int_equal(bt_err_code(err), BT_E_INVALID);
        assert_string_equal(bt_err_msg(err), bad[i][1]);
    }
}

static void test_dockerfile_ignore_root(void **state)
{
    bt_autoptr(bt_ignore) m = matcher("*\n**\n.\n");
    assert_false(bt_ignore_matches(m, "."));
    assert_false(bt_ignore_matches(m, ""));
    assert_false(bt_ignore_matches(m, "./"));
    assert_true(bt_ignore_matches(m, "./a"));
    assert_false(bt_ignore_has_exceptions(m));
    assert_int_equal(bt_ignore_count(m), 3);
}

static void test_dockerfile_ignore_must_walk(void **state)
{
    /* literal exceptions: only directories on their way are walked */
    bt_autoptr(bt_ignore) lit = matcher("docs\nvendor\n!docs/README.md\n!vendor/keep/**\n");
    assert_true(bt_ignore_has_exceptions(lit));
    assert_true(bt_ignore_matches(lit, "docs"));
    assert_true(bt_ignore_must_walk(lit, "docs"));
    assert_true(bt_ignore_must_walk(lit, "vendor"));
    assert_true(bt_ignore_must_walk(lit, "vendor/keep"));
    assert_false(bt_ignore_must_walk(lit, "vendor/other"));
    assert_false(bt_ignore_must_walk(lit, "doc"));
    assert_false(bt_ignore_matches(lit, "docs/README.md"));
    assert_false(bt_ignore_matches(lit, "vendor/keep/a/b"));
    assert_true(bt_ignore_matches(lit, "vendor/other/a"));
    /* an exception with wildcards may match anywhere: every excluded directory is walked */
    bt_autoptr(bt_ignore) wild = matcher("node_modules\n!**/*.keep\n");
    assert_true(bt_ignore_must_walk(wild, "node_modules"));
    assert_false(bt_ignore_matches(wild, "node_modules/a/b.keep"));
    assert_true(bt_ignore_matches(wild, "node_modules/a/b.js"));
    /* no exceptions: an excluded directory is skipped whole */
    bt_autoptr(bt_ignore) none = matcher("build\n");
    assert_false(bt_ignore_must_walk(none, "build"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_dockerfile_ignore_table),
            cmocka_unit_test(test_dockerfile_ignore_read),
            cmocka_unit_test(test_dockerfile_ignore_errors),
            cmocka_unit_test(test_dockerfile_ignore_root),
            cmocka_unit_test(test_dockerfile_ignore_must_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
