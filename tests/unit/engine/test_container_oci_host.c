/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --ulimit and --device in the spec (oci-host.c) and the restart policy check of docker update
 * (update.c): what a client's HostConfig gives, and dockerd's words for what it refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "guest/engine/container/container.h"
#include "guest/engine/container/oci.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"

static json_t *hc_of(const char *text)
{
    json_t *hc = json_loads(text, 0, NULL);
    assert_non_null(hc);
    return hc;
}

/* rc and *e after the call (the arguments of one call are evaluated in any order) */
static void expect_error(int rc, bt_err **e, const char *msg)
{
    assert_int_equal(rc, -1);
    assert_non_null(*e);
    assert_string_equal(bt_err_msg(*e), msg);
    bt_err_free(*e);
    *e = NULL;
}

static void test_container_oci_host_rlimits(void **state)
{
    (void)state;
    bt_autoptr(json_t) hc = hc_of("{\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":100,\"Hard\":200},"
                                  "{\"Name\":\"core\",\"Soft\":-1,\"Hard\":-1}]}");
    json_t *rl = NULL;
    assert_int_equal(oci_rlimits(hc, NULL, &rl, NULL), 0);
    assert_int_equal(json_array_size(rl), 2);
    json_t *a = json_array_get(rl, 0), *b = json_array_get(rl, 1);
    assert_string_equal(bt_json_get_str(a, "type", ""), "RLIMIT_NOFILE");
    assert_int_equal(bt_json_get_int(a, "soft", 0), 100);
    assert_int_equal(bt_json_get_int(a, "hard", 0), 200);
    assert_string_equal(bt_json_get_str(b, "type", ""), "RLIMIT_CORE");
    assert_true((uint64_t)json_integer_value(json_object_get(b, "hard")) == RLIM_INFINITY);
    json_decref(rl);
}

static void test_container_oci_host_rlimits_refused(void **state)
{
    (void)state;
    bt_err *e = NULL;
    bt_autoptr(json_t) bad = hc_of("{\"Ulimits\":[{\"Name\":\"bogus\",\"Soft\":1,\"Hard\":1}]}");
    expect_error(oci_check_ulimits(bad, &e), &e, "invalid ulimit type: bogus");
    e = NULL;
    bt_autoptr(json_t) inv = hc_of("{\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":9,\"Hard\":8}]}");
    expect_error(oci_check_ulimits(inv, &e), &e,
                 "ulimit soft limit must be less than or equal to hard limit: 9 > 8");
    /* above the engine's own hard limit: the kernel's refusal, in runc's words */
    struct rlimit own[RLIM_NLIMITS];
    for (int r = 0; r < RLIM_NLIMITS; r++)
        own[r] = (struct rlimit){1024, 4096};
    bt_autoptr(json_t) big =
            hc_of("{\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":10,\"Hard\":4097}]}");
    json_t *rl = NULL;
    e = NULL;
    expect_error(oci_rlimits(big, own, &rl, &e), &e,
                 "error during container init: error setting rlimits for ready process: error "
                 "setting rlimit type 7: operation not permitted");
    assert_null(rl);
}

static void test_container_oci_host_devices(void **state)
{
    (void)state;
    bt_autoptr(json_t) hc = hc_of("{\"Devices\":[{\"PathOnHost\":\"/dev/null\",\"PathInContainer\":"
                                  "\"/dev/mynull\",\"CgroupPermissions\":\"rw\"},"
                                  "{\"PathOnHost\":\"/dev/zero\"}]}");
    bt_autoptr(json_t) devs = json_array();
    bt_autoptr(json_t) rules = json_array();
    assert_int_equal(oci_devices(hc, devs, rules, NULL), 0);
    assert_int_equal(json_array_size(devs), 2);
    json_t *d = json_array_get(devs, 0), *r = json_array_get(rules, 0);
    assert_string_equal(bt_json_get_str(d, "path", ""), "/dev/mynull");
    assert_string_equal(bt_json_get_str(d, "type", ""), "c");
    assert_int_equal(bt_json_get_int(d, "major", 0), 1);
    assert_int_equal(bt_json_get_int(d, "minor", 0), 3);
    assert_string_equal(bt_json_get_str(r, "access", ""), "rw");
    assert_true(bt_json_get_bool(r, "allow", false));
    /* no PathInContainer: the host's path; no permissions: rwm */
    assert_string_equal(bt_json_get_str(json_array_get(devs, 1), "path", ""), "/dev/zero");
    assert_string_equal(bt_json_get_str(json_array_get(rules, 1), "access", ""), "rwm");
}

static void test_container_oci_host_devices_refused(void **state)
{
    (void)state;
    static const struct {
        const char *hc, *msg;
    } cases[] = {
            {"{\"Devices\":[{\"PathOnHost\":\"/no/such/dev\"}]}",
             "error gathering device information while adding custom device \"/no/such/dev\": "
             "no such file or directory"},
            {"{\"Devices\":[{\"PathOnHost\":\"/\"}]}",
             "error gathering device information while adding custom device \"/\": not a device "
             "node"},
            {"{\"Devices\":[{\"PathOnHost\":\"/dev/null\",\"CgroupPermissions\":\"rwx\"}]}",
             "invalid device mode: rwx"},
            {"{\"Devices\":[{\"PathOnHost\":\"/dev/null\",\"PathInContainer\":\"dev/x\"}]}",
             "dev/x is not an absolute path"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bt_autoptr(json_t) hc = hc_of(cases[i].hc);
        bt_autoptr(json_t) devs = json_array();
        bt_autoptr(json_t) rules = json_array();
        bt_err *e = NULL;
        expect_error(oci_devices(hc, devs, rules, &e), &e, cases[i].msg);
    }
}

static void test_container_oci_host_restart_policy(void **state)
{
    (void)state;
    static const struct {
        const char *rp, *msg; /* msg NULL: accepted */
    } cases[] = {
            {"{\"Name\":\"always\"}", NULL},
            {"{\"Name\":\"on-failure\",\"MaximumRetryCount\":3}", NULL},
            {"{\"Name\":\"\"}", NULL},
            {"{\"Name\":\"bogus\"}",
             "invalid restart policy: unknown policy 'bogus'; use one of 'no', 'always', "
             "'on-failure', or 'unless-stopped'"},
            {"{\"Name\":\"always\",\"MaximumRetryCount\":2}",
             "invalid restart policy: maximum retry count can only be used with 'on-failure'"},
            {"{\"Name\":\"no\",\"MaximumRetryCount\":-1}",
             "invalid restart policy: maximum retry count can only be used with 'on-failure' and "
             "cannot be negative"},
            {"{\"Name\":\"on-failure\",\"MaximumRetryCount\":-1}",
             "invalid restart policy: maximum retry count cannot be negative"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bt_autoptr(json_t) rp = hc_of(cases[i].rp);
        bt_err *e = NULL;
        int rc = ctr_check_restart_policy(rp, &e);
        if (!cases[i].msg)
            assert_int_equal(rc, 0);
        else
            expect_error(rc, &e, cases[i].msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_container_oci_host_rlimits),
            cmocka_unit_test(test_container_oci_host_rlimits_refused),
            cmocka_unit_test(test_container_oci_host_devices),
            cmocka_unit_test(test_container_oci_host_devices_refused),
            cmocka_unit_test(test_container_oci_host_restart_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
