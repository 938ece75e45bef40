/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "shared/base/cleanup.h"
#include "shared/base/err.h"

static int fails_with_errno(bt_err **err)
{
    return bt_err_errno(err, ENOENT, "open \"%s\"", "/nope");
}

static int layer_pull(bt_err **err)
{
    if (fails_with_errno(err) < 0)
        return bt_err_wrap(err, "pull %s", "nginx");
    return 0;
}

static void test_err_set_keeps_code_and_message(void **state)
{
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_err_set(&err, BT_E_CONFLICT, "name \"%s\" is in use", "web"), -1);
    assert_non_null(err);
    assert_int_equal(bt_err_code(err), BT_E_CONFLICT);
    assert_string_equal(bt_err_msg(err), "name \"web\" is in use");
}

static void test_err_errno_appends_strerror(void **state)
{
    bt_autoerr bt_err *err = NULL;
    fails_with_errno(&err);
    assert_int_equal(bt_err_code(err), ENOENT);
    assert_string_equal(bt_err_msg(err), "open \"/nope\": No such file or directory");
}

static void test_err_wrap_adds_context_across_boundaries(void **state)
{
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(layer_pull(&err), -1);
    assert_string_equal(bt_err_msg(err), "pull nginx: open \"/nope\": No such file or directory");
    assert_int_equal(bt_err_code(err), ENOENT);
    bt_err_wrap(&err, "run %s", "web");
    assert_string_equal(bt_err_msg(err),
                        "run web: pull nginx: open \"/nope\": No such file or directory");
}

static void test_err_is_maps_errno_to_kinds(void **state)
{
    bt_autoerr bt_err *err = NULL;
    fails_with_errno(&err);
    assert_true(bt_err_is(err, BT_E_NOT_FOUND));
    assert_false(bt_err_is(err, BT_E_CONFLICT));
    bt_err_clear(&err);
    bt_err_errno(&err, EEXIST, "mkdir");
    assert_true(bt_err_is(err, BT_E_CONFLICT));
    assert_false(bt_err_is(NULL, BT_E_CONFLICT));
}

static void test_err_null_destination_is_allowed(void **state)
{
    assert_int_equal(bt_err_set(NULL, BT_E_INVALID, "ignored"), -1);
    assert_int_equal(bt_err_wrap(NULL, "ignored"), -1);
    assert_int_equal(bt_err_errno(NULL, EIO, "ignored"), -1);
}

static void test_err_second_error_keeps_the_first(void **state)
{
    bt_autoerr bt_err *err = NULL;
    bt_err_set(&err, BT_E_INVALID, "first");
    bt_err_set(&err, BT_E_INTERNAL, "second");
    assert_int_equal(bt_err_code(err), BT_E_INTERNAL);
    assert_string_equal(bt_err_msg(err), "second (after: first)");
}

static void test_err_move_and_clear(void **state)
{
    bt_autoerr bt_err *a = NULL;
    bt_autoerr bt_err *b = NULL;
    bt_err_set(&a, BT_E_NOT_FOUND, "no such image: x");
    bt_err_move(&b, &a);
    assert_null(a);
    assert_string_equal(bt_err_msg(b), "no such image: x");
    bt_err_clear(&b);
    assert_null(b);
}

static void test_err_code_names(void **state)
{
    assert_string_equal(bt_err_code_name(BT_E_NOT_FOUND), "not found");
    assert_string_equal(bt_err_code_name(BT_E_INTERNAL), "internal error");
    assert_string_equal(bt_err_code_name(ENOENT), "No such file or directory");
    assert_string_equal(bt_err_code_name(-3), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_err_set_keeps_code_and_message),
            cmocka_unit_test(test_err_errno_appends_strerror),
            cmocka_unit_test(test_err_wrap_adds_context_across_boundaries),
            cmocka_unit_test(test_err_is_maps_errno_to_kinds),
            cmocka_unit_test(test_err_null_destination_is_allowed),
            cmocka_unit_test(test_err_second_error_keeps_the_first),
            cmocka_unit_test(test_err_move_and_clear),
            cmocka_unit_test(test_err_code_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
