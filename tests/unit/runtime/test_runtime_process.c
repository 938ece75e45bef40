/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Finding the command as runc does, with the errors in the words the docker CLI reads its exit
 * code from (127: not found, 126: cannot run).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest/engine/runtime/runtime-internal.h"
#include "shared/base/cleanup.h"
#include "shared/fs/file.h"

struct tree {
    char dir[64];
};

static void put(const char *dir, const char *name, mode_t mode)
{
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *p = bt_xasprintf("%s/%s", dir, name);
    assert_int_equal(bt_file_write_atomic(p, "#!/bin/sh\n", 10, mode, &err), 0);
    assert_int_equal(chmod(p, mode), 0);
}

/*   dir/a/tool (0755)   dir/a/plain (0644)   dir/b/tool2 (0755)   dir/b/plain (0755)
 *   dir/sub/ (a directory) */
static int setup(void **state)
{
    struct tree *t = bt_xzalloc(sizeof(*t));
    strcpy(t->dir, "/tmp/berth-test-lookup-XXXXXX");
    if (!mkdtemp(t->dir))
        return -1;
    char p[128];
    for (const char *const *d = (const char *const[]){"a", "b", "sub", NULL}; *d; d++) {
        snprintf(p, sizeof(p), "%s/%s", t->dir, *d);
        if (mkdir(p, 0755) < 0)
            return -1;
    }
    snprintf(p, sizeof(p), "%s/a", t->dir);
    put(p, "tool", 0755);
    put(p, "plain", 0644);
    snprintf(p, sizeof(p), "%s/b", t->dir);
    put(p, "tool2", 0755);
    put(p, "plain", 0755);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct tree *t = *state;
    bt_autoerr bt_err *err = NULL;
    bt_rm_rf(t->dir, &err);
    free(t);
    return 0;
}

static void test_runtime_lookup_searches_path_in_order(void **state)
{
    struct tree *t = *state;
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *path = bt_xasprintf("%s/a:%s/b", t->dir, t->dir);
    bt_autofree char *found = NULL;
    assert_int_equal(rt_lookup_command("tool2", path, &found, &err), 0);
    bt_autofree char *want = bt_xasprintf("%s/b/tool2", t->dir);
    assert_string_equal(found, want);
    /* a/plain is not executable: the search goes on to b/plain */
    bt_autofree char *found2 = NULL;
    assert_int_equal(rt_lookup_command("plain", path, &found2, &err), 0);
    bt_autofree char *want2 = bt_xasprintf("%s/b/plain", t->dir);
    assert_string_equal(found2, want2);
}

static void test_runtime_lookup_not_in_path(void **state)
{
    struct tree *t = *state;
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *path = bt_xasprintf("%s/a", t->dir);
    bt_autofree char *found = NULL;
    assert_int_equal(rt_lookup_command("nonexistent", path, &found, &err), -1);
    assert_string_equal(bt_err_msg(err),
                        "exec: \"nonexistent\": executable file not found in $PATH");
    assert_true(bt_err_is(err, BT_E_NOT_FOUND));
    bt_err_clear(&err);
    /* found only where it cannot run: still "not found", as Go's LookPath says */
    assert_int_equal(rt_lookup_command("plain", path, &found, &err), -1);
    assert_string_equal(bt_err_msg(err), "exec: \"plain\": executable file not found in $PATH");
    bt_err_clear(&err);
    /* a directory on PATH is not a command */
    bt_autofree char *top = bt_xstrdup(t->dir);
    assert_int_equal(rt_lookup_command("sub", top, &found, &err), -1);
    assert_true(bt_err_is(err, BT_E_NOT_FOUND));
}

static void test_runtime_lookup_absolute_paths(void **state)
{
    struct tree *t = *state;
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *found = NULL;
    assert_int_equal(rt_lookup_command("/nope", NULL, &found, &err), -1);
    assert_string_equal(bt_err_msg(err), "exec: \"/nope\": stat /nope: no such file or directory");
    assert_true(bt_err_is(err, BT_E_NOT_FOUND));
    bt_err_clear(&err);

    bt_autofree char *dir = bt_xasprintf("%s/sub", t->dir);
    assert_int_equal(rt_lookup_command(dir, NULL, &found, &err), -1);
    bt_autofree char *want = bt_xasprintf("exec: \"%s\": permission denied", dir);
    assert_string_equal(bt_err_msg(err), want);
    assert_int_equal(bt_err_code(err), EACCES);
    bt_err_clear(&err);

    bt_autofree char *plain = bt_xasprintf("%s/a/plain", t->dir);
    assert_int_equal(rt_lookup_command(plain, NULL, &found, &err), -1);
    assert_int_equal(bt_err_code(err), EACCES);
    bt_err_clear(&err);

    bt_autofree char *under = bt_xasprintf("%s/a/plain/x", t->dir);
    assert_int_equal(rt_lookup_command(under, NULL, &found, &err), -1);
    bt_autofree char *want2 = bt_xasprintf("exec: \"%s\": stat %s: not a directory", under, under);
    assert_string_equal(bt_err_msg(err), want2);
    bt_err_clear(&err);

    bt_autofree char *tool = bt_xasprintf("%s/a/tool", t->dir);
    assert_int_equal(rt_lookup_command(tool, NULL, &found, &err), 0);
    assert_string_equal(found, tool);
}

static void test_runtime_lookup_quotes_like_go(void **state)
{
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *found = NULL;
    assert_int_equal(rt_lookup_command("say \"hi\"\t\x01", "/nonexistent-dir", &found, &err), -1);
    assert_string_equal(bt_err_msg(err),
                        "exec: \"say \\\"hi\\\"\\t\\x01\": executable file not found in $PATH");
}

static void test_runtime_go_strerror(void **state)
{
    char buf[64];
    assert_string_equal(bt_go_strerror(ENOENT, buf, sizeof(buf)), "no such file or directory");
    assert_string_equal(bt_go_strerror(EACCES, buf, sizeof(buf)), "permission denied");
    assert_string_equal(bt_go_strerror(ENOEXEC, buf, sizeof(buf)), "exec format error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_runtime_lookup_searches_path_in_order, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_runtime_lookup_not_in_path, setup, teardown),
            cmocka_unit_test_setup_teardown(test_runtime_lookup_absolute_paths, setup, teardown),
            cmocka_unit_test(test_runtime_lookup_quotes_like_go),
            cmocka_unit_test(test_runtime_go_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
