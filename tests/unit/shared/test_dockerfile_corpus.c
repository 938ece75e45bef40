/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Dockerfile parser against buildkit's conformance data, read in place from
 * BERTH_DOCKERFILE_CORPUS (never copied into the tree): the AST dumps of testfiles/, the
 * failures of testfiles-negative/, the line numbers of testfile-line/ and the lexer vectors of
 * shell/. Every case skips, with the reason, when the corpus is not there.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "shared/base/cleanup.h"
#include "shared/base/strbuf.h"
#include "shared/dockerfile/parser.h"
#include "shared/dockerfile/shell.h"

#ifndef BERTH_DOCKERFILE_CORPUS
#define BERTH_DOCKERFILE_CORPUS ""
#endif

static char *corpus_path(const char *rel)
{
    return bt_xasprintf("%s/%s", BERTH_DOCKERFILE_CORPUS, rel);
}

/* Skip (not pass) when the corpus is not where the build was told it is. */
static void need_corpus(void)
{
    struct stat st;
    bt_autofree char *readme = corpus_path("README.md");
    if (stat(readme, &st) != 0) {
        print_message("conformance corpus not found at '%s' (set -DBERTH_DOCKERFILE_CORPUS)\n",
                      BERTH_DOCKERFILE_CORPUS);
        skip();
    }
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, "");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        bt_strbuf_append_n(&sb, buf, n);
    fclose(f);
    if (len)
        *len = sb.len;
    return bt_strbuf_steal(&sb);
}

static char **list_dir(const char *path)
{
    char **v = bt_xzalloc(sizeof(char *));
    DIR *d = opendir(path);
    if (!d)
        return v;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            bt_strv_push(&v, e->d_name);
    closedir(d);
    return v;
}

static void test_dockerfile_corpus_positive(void **state)
{
    need_corpus();
    bt_autofree char *dir = corpus_path("testfiles");
    bt_autostrv char **cases = list_dir(dir);
    size_t passed = 0, n = bt_strv_len(cases);
    for (size_t i = 0; i < n; i++) {
        bt_autofree char *df = bt_xasprintf("%s/%s/Dockerfile", dir, cases[i]);
        bt_autofree char *rf = bt_xasprintf("%s/%s/result", dir, cases[i]);
        size_t len;
        bt_autofree char *data = slurp(df, &len);
        bt_autofree char *want = slurp(rf, NULL);
        assert_non_null(data);
        assert_non_null(want);
        bt_autoerr bt_err *err = NULL;
        bt_autoptr(bt_df_ast) ast = bt_df_parse_ast(data, len, &err);
        if (!ast) {
            print_error("%s: %s\n", cases[i], bt_err_msg(err));
            continue;
        }
        bt_autofree char *dump = bt_df_ast_dump(ast);
        bt_autofree char *got = bt_xasprintf("%s\n", dump);
        if (strcmp(got, want) != 0) {
            print_error("%s: dump differs\n--- got\n%s--- want\n%s", cases[i], got, want);
            continue;
        }
        passed++;
    }
    print_message("testfiles: %zu/%zu\n", passed, n);
    assert_true(n >= 33);
    assert_int_equal(passed, n);
}

static void test_dockerfile_corpus_negative(void **state)
{
    need_corpus();
    bt_autofree char *dir = corpus_path("testfiles-negative");
    bt_autostrv char **cases = list_dir(dir);
    size_t n = bt_strv_len(cases);
    for (size_t i = 0; i < n; i++) {
        bt_autofree char *df = bt_xasprintf("%s/%s/Dockerfile", dir, cases[i]);
        size_t len;
        bt_autofree char *data = slurp(df, &len);
        assert_non_null(data);
        bt_autoerr bt_err *err = NULL;
        bt_autoptr(bt_df_ast) ast = bt_df_parse_ast(data, len, &err);
        if (ast)
            fail_msg("%s: parsed, but must fail", cases[i]);
        assert_int_equal(bt_err_code(err), BT_E_INVALID);
    }
    print_message("testfiles-negative: %zu/%zu\n", n, n);
    assert_true(n >= 4);
}

static void test_dockerfile_corpus_lines(void **state)
{
    need_corpus();
    bt_autofree char *df = corpus_path("testfile-line/Dockerfile");
    size_t len;
    bt_autofree char *data = slurp(df, &len);
    assert_non_null(data);
    bt_autoptr(bt_df_ast) ast = bt_df_parse_ast(data, len, NULL);
    assert_non_null(ast);
    assert_int_equal(ast->n, 3);
    const int want[3][2] = {{5, 5}, {11, 12}, {17, 31}};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(ast->nodes[i].start_line, want[i][0]);
        assert_int_equal(ast->nodes[i].end_line, want[i][1]);
    }
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static void test_dockerfile_corpus_env_vars(void **state)
{
    need_corpus();
    bt_autofree char *path = corpus_path("shell/envVarTest");
    bt_autofree char *data = slurp(path, NULL);
    assert_non_null(data);
    char *env[] = {"PWD=/home", "SHELL=bash", "KOREAN=\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4",
                   "NULL=", NULL};
    struct bt_shlex_env e = {bt_shlex_strv_get, env};
    struct bt_shlex lx = BT_SHLEX_INIT;
    size_t total = 0, passed = 0, lineno = 0;
    for (char *save = NULL, *line = strtok_r(data, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        if (line[0] == '#' || !*trim(line))
            continue;
        char *f1 = strchr(line, '|');
        char *f2 = f1 ? strchr(f1 + 1, '|') : NULL;
        assert_non_null(f2);
        *f1 = *f2 = '\0';
        const char *platform = trim(line), *src = trim(f1 + 1), *want = trim(f2 + 1);
        if (strcmp(platform, "W") == 0)
            continue;
        total++;
        bt_autoerr bt_err *err = NULL;
        bt_autofree char *got = bt_shlex_word(&lx, src, &e, &err);
        bool ok = strcmp(want, "error") == 0 ? got == NULL : got && strcmp(got, want) == 0;
        if (ok)
            passed++;
        else
            print_error("envVarTest: %s -> %s (want %s)\n", src, got ? got : bt_err_msg(err), want);
    }
    print_message("envVarTest: %zu/%zu\n", passed, total);
    assert_true(total > 100);
    assert_int_equal(passed, total);
}

static void test_dockerfile_corpus_words(void **state)
{
    need_corpus();
    bt_autofree char *path = corpus_path("shell/wordsTest");
    bt_autofree char *data = slurp(path, NULL);
    assert_non_null(data);
    bt_autostrv char **env = bt_xzalloc(sizeof(char *));
    struct bt_shlex lx = BT_SHLEX_INIT;
    size_t total = 0, passed = 0;
    for (char *save = NULL, *line = strtok_r(data, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        if (strncmp(line, "ENV ", 4) == 0) {
            char *v = line + 3;
            while (*v == ' ')
                v++;
            bt_strv_push(&env, v);
            continue;
        }
        char *bar = strchr(line, '|');
        assert_non_null(bar);
        *bar = '\0';
        char *src = trim(line), *want = bar + 1;
        while (*want == ' ')
            want++;
        struct bt_shlex_env e = {bt_shlex_strv_get, env};
        total++;
        bt_autostrv char **words = bt_shlex_words(&lx, src, &e, NULL);
        struct bt_strbuf got = BT_STRBUF_INIT;
        bt_strbuf_append(&got, words ? "" : "error");
        for (size_t i = 0; words && words[i]; i++)
            bt_strbuf_appendf(&got, "%s%s", i ? "," : "", words[i]);
        if (strcmp(bt_strbuf_str(&got), want) == 0)
            passed++;
        else
            print_error("wordsTest: %s -> [%s] (want [%s])\n", src, bt_strbuf_str(&got), want);
        bt_strbuf_free(&got);
    }
    print_message("wordsTest: %zu/%zu\n", passed, total);
    assert_true(total > 20);
    assert_int_equal(passed, total);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_dockerfile_corpus_positive),
            cmocka_unit_test(test_dockerfile_corpus_negative),
            cmocka_unit_test(test_dockerfile_corpus_lines),
            cmocka_unit_test(test_dockerfile_corpus_env_vars),
            cmocka_unit_test(test_dockerfile_corpus_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
