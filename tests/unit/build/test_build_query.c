/* SPDX-License-Identifier: Apache-2.0 */
/* host/build/query.c: POST /build's query as the docker client 28 encodes it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/build/build.h"
#include "shared/base/cleanup.h"

static void expect_query(const struct build_query_opts *o, const char *want)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    build_query(o, &sb);
    assert_string_equal(bt_strbuf_str(&sb), want);
}

static void test_build_query_defaults_send_only_version(void **state)
{
    (void)state;
    struct build_query_opts o = {.rm = true, .network = "default"};
    expect_query(&o, "/build?version=1");
    o.dockerfile = "Dockerfile";
    expect_query(&o, "/build?dockerfile=Dockerfile&version=1");
}

static void test_build_query_keys_sorted_tags_repeated(void **state)
{
    (void)state;
    char *tags[] = {"app:1", "reg.example:5000/a b", NULL};
    char *args[] = {"B=2", "A=x y&z", "NOVAL", "B=3", NULL};
    char *labels[] = {"z=1", "a", NULL};
    char *cache[] = {"x", "y", NULL};
    struct build_query_opts o = {.tags = tags,
                                 .build_args = args,
                                 .labels = labels,
                                 .cache_from = cache,
                                 .dockerfile = "sub/Dockerfile.dev",
                                 .target = "final",
                                 .network = "host",
                                 .platform = "Linux/AMD64",
                                 .no_cache = true,
                                 .rm = false,
                                 .force_rm = true,
                                 .quiet = true,
                                 .pull = true};
    expect_query(&o, "/build?buildargs=%7B%22A%22%3A%22x+y%5Cu0026z%22%2C%22B%22%3A%223%22%2C"
                     "%22NOVAL%22%3Anull%7D"
                     "&cachefrom=%5B%22x%22%2C%22y%22%5D"
                     "&dockerfile=sub%2FDockerfile.dev&forcerm=1"
                     "&labels=%7B%22a%22%3A%22%22%2C%22z%22%3A%221%22%7D"
                     "&networkmode=host&nocache=1&platform=linux%2Famd64&pull=1&q=1&rm=0"
                     "&t=app%3A1&t=reg.example%3A5000%2Fa+b&target=final&version=1");
}

static void test_build_query_arg_from_environment(void **state)
{
    (void)state;
    setenv("BUILD_TEST_VAR", "from env", 1);
    bt_err *err = NULL;
    bt_autofree char *a = build_arg_validate("BUILD_TEST_VAR", &err);
    assert_string_equal(a, "BUILD_TEST_VAR=from env");
    bt_autofree char *b = build_arg_validate("BUILD_TEST_UNSET_VAR", &err);
    assert_string_equal(b, "BUILD_TEST_UNSET_VAR");
    bt_autofree char *c = build_arg_validate("K=", &err);
    assert_string_equal(c, "K=");
    assert_null(build_arg_validate("=v", &err));
    assert_string_equal(bt_err_msg(err), "invalid environment variable: =v");
    bt_err_free(err);
}

static void test_build_query_label_checks(void **state)
{
    (void)state;
    bt_err *err = NULL;
    assert_int_equal(build_label_validate("a=b c", &err), 0);
    assert_int_equal(build_label_validate(" =x", &err), -1);
    assert_string_equal(bt_err_msg(err), "invalid label ' =x': empty name");
    bt_err_free(err);
    err = NULL;
    assert_int_equal(build_label_validate("a b=x", &err), -1);
    assert_string_equal(bt_err_msg(err), "label 'a b' contains whitespaces");
    bt_err_free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_build_query_defaults_send_only_version),
            cmocka_unit_test(test_build_query_keys_sorted_tags_repeated),
            cmocka_unit_test(test_build_query_arg_from_environment),
            cmocka_unit_test(test_build_query_label_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
