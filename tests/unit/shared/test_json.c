/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "shared/base/cleanup.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

static void test_json_parse_error_names_the_place(void **state)
{
    bt_autoerr bt_err *err = NULL;
    const char *text = "{\n  \"Image\": \"busybox\",\n  \"Cmd\": [\"sh\",]\n}";
    assert_null(bt_json_parse(text, strlen(text), &err));
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
    assert_non_null(strstr(bt_err_msg(err), "invalid JSON: "));
    assert_non_null(strstr(bt_err_msg(err), "at line 3"));
}

static void test_json_parse_object_rejects_other_types(void **state)
{
    bt_autoerr bt_err *err = NULL;
    assert_null(bt_json_parse_object("[1,2]", 5, &err));
    assert_string_equal(bt_err_msg(err), "invalid JSON: expected an object");
}

static void test_json_getters_tolerate_missing_and_mistyped(void **state)
{
    bt_autoerr bt_err *err = NULL;
    const char *text =
            "{\"Tty\":true,\"Memory\":1e9,\"Name\":null,\"Cpu\":2,"
            "\"HostConfig\":{\"Links\":[\"/db:/web/db\"],\"Log\":{\"Type\":\"json-file\"}}}";
    bt_autoptr(json_t) v = bt_json_parse_object(text, strlen(text), &err);
    assert_non_null(v);
    assert_true(bt_json_get_bool(v, "Tty", false));
    assert_int_equal(bt_json_get_int(v, "Memory", 0), 1000000000);
    assert_int_equal(bt_json_get_int(v, "Cpu", 0), 2);
    assert_string_equal(bt_json_get_str(v, "Name", "none"), "none");
    assert_string_equal(bt_json_get_str(v, "Missing", "dflt"), "dflt");
    assert_int_equal(bt_json_get_int(v, "Tty", 7), 7);
    assert_null(bt_json_get_obj(v, "Tty"));
    assert_non_null(bt_json_get_arr(bt_json_get_obj(v, "HostConfig"), "Links"));
    assert_string_equal(json_string_value(bt_json_get_path(v, "HostConfig.Log.Type")), "json-file");
    assert_null(bt_json_get_path(v, "HostConfig.Nope.Type"));
    assert_string_equal(bt_json_get_str(NULL, "x", "d"), "d");
}

static void test_json_strv_round_trip(void **state)
{
    char *in[] = {"sh", "-c", "echo hi", NULL};
    bt_autoptr(json_t) arr = bt_json_strv(in);
    bt_autofree char *text = bt_json_dumps(arr);
    assert_string_equal(text, "[\"sh\",\"-c\",\"echo hi\"]");
    bt_autoerr bt_err *err = NULL;
    bt_autostrv char **out = bt_json_to_strv(arr, &err);
    assert_string_equal(out[2], "echo hi");
    assert_null(out[3]);
    bt_autoptr(json_t) bad = json_pack("[s,i]", "a", 1);
    assert_null(bt_json_to_strv(bad, &err));
    assert_string_equal(bt_err_msg(err), "expected an array of strings");
    bt_autostrv char **none = bt_json_to_strv(json_null(), NULL);
    assert_null(none[0]);
}

static void test_json_save_and_load_file(void **state)
{
    char dir[] = "/tmp/berth-test-json-XXXXXX";
    assert_non_null(mkdtemp(dir));
    bt_autofree char *path = bt_xasprintf("%s/rec.json", dir);
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) v = json_object();
    bt_json_set_str(v, "Id", "abc");
    bt_json_set_int(v, "Pid", 42);
    bt_json_set_bool(v, "Running", true);
    bt_json_set_str(v, "Error", NULL);
    assert_int_equal(bt_json_save_file(path, v, 0600, &err), 0);
    bt_autoptr(json_t) back = bt_json_load_file(path, &err);
    assert_non_null(back);
    assert_true(json_equal(v, back));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    assert_int_equal(bt_file_write_atomic(path, "{broken", 7, 0600, &err), 0);
    assert_null(bt_json_load_file(path, &err));
    assert_non_null(strstr(bt_err_msg(err), "load \""));
    bt_err_clear(&err);
    bt_autofree char *missing = bt_xasprintf("%s/none.json", dir);
    assert_null(bt_json_load_file(missing, &err));
    assert_true(bt_err_is(err, BT_E_NOT_FOUND));
    bt_err_clear(&err);
    bt_rm_rf(dir, &err);
}

static void test_json_html_escape_as_go_encodes(void **state)
{
    (void)state;
    char *s = bt_json_html_escape(bt_xstrdup("{\"a\":\"<IN MEMORY> & more\"}"));
    assert_string_equal(s, "{\"a\":\"\\u003cIN MEMORY\\u003e \\u0026 more\"}");
    free(s);
    s = bt_json_html_escape(bt_xstrdup("plain"));
    assert_string_equal(s, "plain");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_json_parse_error_names_the_place),
            cmocka_unit_test(test_json_parse_object_rejects_other_types),
            cmocka_unit_test(test_json_getters_tolerate_missing_and_mistyped),
            cmocka_unit_test(test_json_html_escape_as_go_encodes),
            cmocka_unit_test(test_json_strv_round_trip),
            cmocka_unit_test(test_json_save_and_load_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
