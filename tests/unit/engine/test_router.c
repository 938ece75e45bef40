/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "guest/engine/api/filters.h"
#include "guest/engine/api/router.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"

static int h_ping, h_list, h_start, h_inspect, h_tag, h_delete;

static const struct api_route routes[] = {
        {"GET", "/_ping", &h_ping, 0},
        {"GET", "/containers/json", &h_list, 0},
        {"POST", "/containers/{id}/start", &h_start, 0},
        {"GET", "/images/{name*}/json", &h_inspect, 0},
        {"POST", "/images/{name*}/tag", &h_tag, 0},
        {"DELETE", "/images/{name*}", &h_delete, 0},
        {NULL, NULL, NULL, 0},
};

static const struct api_route *match(const char *method, const char *path, struct api_match *m,
                                     bt_err **err)
{
    if (api_route_match(routes, method, path, m, err) < 0)
        return NULL;
    return m->route;
}

static void test_router_versioned_and_bare_paths(void **state)
{
    struct api_match m;
    bt_autoerr bt_err *err = NULL;
    assert_ptr_equal(match("GET", "/_ping", &m, &err)->handler, &h_ping);
    assert_int_equal(m.version_minor, 41);
    api_match_clear(&m);
    assert_ptr_equal(match("GET", "/v1.41/containers/json", &m, &err)->handler, &h_list);
    api_match_clear(&m);
    assert_ptr_equal(match("GET", "/v1.24/containers/json/", &m, &err)->handler, &h_list);
    assert_int_equal(m.version_minor, 24);
    api_match_clear(&m);
    assert_ptr_equal(match("HEAD", "/_ping", &m, &err)->handler, &h_ping);
    api_match_clear(&m);
}

static void test_router_parameters(void **state)
{
    struct api_match m;
    bt_autoerr bt_err *err = NULL;
    assert_ptr_equal(match("POST", "/v1.41/containers/abc123/start", &m, &err)->handler, &h_start);
    assert_int_equal(m.nparams, 1);
    assert_string_equal(m.params[0], "abc123");
    api_match_clear(&m);
    /* image names hold slashes and colons */
    assert_ptr_equal(
            match("GET", "/v1.41/images/localhost:5000/team/app:v1/json", &m, &err)->handler,
            &h_inspect);
    assert_string_equal(m.params[0], "localhost:5000/team/app:v1");
    api_match_clear(&m);
    assert_ptr_equal(match("DELETE", "/images/a/b", &m, &err)->handler, &h_delete);
    assert_string_equal(m.params[0], "a/b");
    api_match_clear(&m);
    assert_ptr_equal(match("POST", "/images/x/tag", &m, &err)->handler, &h_tag);
    assert_string_equal(m.params[0], "x");
    api_match_clear(&m);
}

static void expect_error(const char *method, const char *path, int code, const char *msg)
{
    struct api_match m;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(api_route_match(routes, method, path, &m, &err), -1);
    assert_int_equal(bt_err_code(err), code);
    assert_string_equal(bt_err_msg(err), msg);
    api_match_clear(&m);
}

static void test_router_errors_in_dockerd_words(void **state)
{
    expect_error("GET", "/v1.50/containers/json", BT_E_INVALID,
                 "client version 1.50 is too new. Maximum supported API version is 1.41");
    expect_error("GET", "/v2.0/_ping", BT_E_INVALID,
                 "client version 2.0 is too new. Maximum supported API version is 1.41");
    expect_error("GET", "/v1.11/_ping", BT_E_INVALID,
                 "client version 1.11 is too old. Minimum supported API version is 1.12, "
                 "please upgrade your client to a newer version");
    expect_error("GET", "/nope", BT_E_NOT_FOUND, "page not found");
    expect_error("POST", "/_ping", BT_E_NOT_FOUND, "page not found");
    expect_error("GET", "/vx.y/_ping", BT_E_NOT_FOUND, "page not found");
    expect_error("POST", "/containers//start", BT_E_NOT_FOUND, "page not found");
    expect_error("GET", "/images//json", BT_E_NOT_FOUND, "page not found");
}

static void test_filters_parse_both_forms(void **state)
{
    static const char *const allowed[] = {"status", "label", NULL};
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) a =
            api_filters_parse("{\"status\":[\"running\",\"exited\"]}", allowed, &err);
    assert_int_equal(json_array_size(api_filters_get(a, "status")), 2);
    bt_autoptr(json_t) b = api_filters_parse("{\"status\":{\"running\":true}}", allowed, &err);
    assert_string_equal(json_string_value(json_array_get(api_filters_get(b, "status"), 0)),
                        "running");
    assert_null(api_filters_parse("{\"bogus\":[\"x\"]}", allowed, &err));
    assert_string_equal(bt_err_msg(err), "invalid filter 'bogus'");
    bt_err_clear(&err);
    assert_null(api_filters_parse("{", allowed, &err));
    bt_autoptr(json_t) empty = api_filters_parse(NULL, allowed, &err);
    assert_int_equal(json_object_size(empty), 0);

    bt_autoptr(json_t) f = api_filters_parse("{\"label\":[\"a\",\"b=2\"]}", allowed, &err);
    bt_autoptr(json_t) yes = json_pack("{s:s, s:s}", "a", "1", "b", "2");
    bt_autoptr(json_t) no = json_pack("{s:s, s:s}", "a", "1", "b", "3");
    assert_true(api_filters_match_labels(f, "label", yes));
    assert_false(api_filters_match_labels(f, "label", no));
    assert_false(api_filters_match_labels(f, "label", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_router_versioned_and_bare_paths),
            cmocka_unit_test(test_router_parameters),
            cmocka_unit_test(test_router_errors_in_dockerd_words),
            cmocka_unit_test(test_filters_parse_both_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
