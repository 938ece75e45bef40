/* SPDX-License-Identifier: Apache-2.0 */
/* The pure rules of restart policies (back-off, decisions) and health checks (policy.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "guest/engine/container/container-internal.h"
#include "guest/engine/container/policy.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"

#define SEC 1000000000LL

static json_t *parse(const char *text)
{
    json_t *v = bt_json_parse_object(text, strlen(text), NULL);
    assert_non_null(v);
    return v;
}

static void test_backoff(void **state)
{
    (void)state;
    /* 100 ms, doubled at each quick exit, capped at a minute */
    int64_t d = 0;
    int64_t want[] = {100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        d = ctr_restart_backoff(d, 50);
        assert_int_equal(d, want[i]);
    }
    /* a run of 10 s or more starts over */
    assert_int_equal(ctr_restart_backoff(60000, 10000), 100);
    assert_int_equal(ctr_restart_backoff(800, 9999), 1600);
}

static void test_policy_parse(void **state)
{
    (void)state;
    bt_autoptr(json_t) hc = parse("{\"RestartPolicy\":{\"Name\":\"on-failure\","
                                  "\"MaximumRetryCount\":3}}");
    struct ctr_restart_policy p = ctr_restart_policy_of(hc);
    assert_int_equal(p.kind, CTR_RESTART_ON_FAILURE);
    assert_int_equal(p.max_retries, 3);
    bt_autoptr(json_t) none = parse("{}");
    assert_int_equal(ctr_restart_policy_of(none).kind, CTR_RESTART_NO);
    bt_autoptr(json_t) us = parse("{\"RestartPolicy\":{\"Name\":\"unless-stopped\"}}");
    assert_int_equal(ctr_restart_policy_of(us).kind, CTR_RESTART_UNLESS_STOPPED);
}

static void check_case(int (*fn)(const json_t *, bt_err **), const char *text, const char *msg)
{
    bt_autoptr(json_t) v = parse(text);
    bt_autoerr bt_err *err = NULL;
    if (!msg) {
        assert_int_equal(fn(v, &err), 0);
        return;
    }
    assert_int_equal(fn(v, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
    if (strcmp(bt_err_msg(err), msg) != 0)
        fail_msg("%s: got \"%s\", want \"%s\"", text, bt_err_msg(err), msg);
}

static void test_checks(void **state)
{
    (void)state;
    check_case(ctr_restart_policy_check,
               "{\"RestartPolicy\":{\"Name\":\"on-failure\","
               "\"MaximumRetryCount\":5}}",
               NULL);
    check_case(ctr_restart_policy_check, "{\"RestartPolicy\":{\"Name\":\"\"}}", NULL);
    check_case(ctr_restart_policy_check, "{\"RestartPolicy\":{\"Name\":\"sometimes\"}}",
               "invalid restart policy: unknown policy 'sometimes'; use one of 'no', "
               "'always', 'on-failure', or 'unless-stopped'");
    check_case(ctr_restart_policy_check,
               "{\"RestartPolicy\":{\"Name\":\"always\","
               "\"MaximumRetryCount\":-1}}",
               "invalid restart policy: maximum retry count can only be used with "
               "'on-failure' and cannot be negative");
    check_case(ctr_restart_policy_check,
               "{\"RestartPolicy\":{\"Name\":\"on-failure\","
               "\"MaximumRetryCount\":-1}}",
               "invalid restart policy: maximum retry count cannot be negative");
    check_case(ctr_restart_policy_check,
               "{\"AutoRemove\":true,\"RestartPolicy\":"
               "{\"Name\":\"always\"}}",
               "can't create 'AutoRemove' container with restart policy");
    check_case(ctr_health_config_check, "{\"Healthcheck\":{\"Interval\":1000000}}", NULL);
    check_case(ctr_health_config_check, "{\"Healthcheck\":{\"Timeout\":999}}",
               "Timeout in Healthcheck cannot be less than 1ms");
    check_case(ctr_health_config_check, "{\"Healthcheck\":{\"Retries\":-2}}",
               "Retries in Healthcheck cannot be negative");
}

static void test_restart_wanted(void **state)
{
    (void)state;
    struct ctr_restart_policy no = {CTR_RESTART_NO, 0}, al = {CTR_RESTART_ALWAYS, 0},
                              us = {CTR_RESTART_UNLESS_STOPPED, 0},
                              of = {CTR_RESTART_ON_FAILURE, 0}, of3 = {CTR_RESTART_ON_FAILURE, 3};
    assert_false(ctr_restart_wanted(&no, 1, false, 0));
    assert_true(ctr_restart_wanted(&al, 0, false, 100));
    assert_true(ctr_restart_wanted(&al, 0, true, 0)); /* dockerd: always, even when stopped */
    assert_true(ctr_restart_wanted(&us, 0, false, 0));
    assert_false(ctr_restart_wanted(&us, 1, true, 0));
    assert_false(ctr_restart_wanted(&of, 0, false, 0));
    assert_true(ctr_restart_wanted(&of, 1, false, 1000));
    assert_true(ctr_restart_wanted(&of3, 137, false, 2));
    assert_false(ctr_restart_wanted(&of3, 137, false, 3));
}

static void test_health_config(void **state)
{
    (void)state;
    struct ctr_health_config h;
    bt_autoptr(json_t) none = parse("{\"Healthcheck\":{\"Test\":[\"NONE\"]}}");
    assert_false(ctr_health_config_of(none, &h));
    bt_autoptr(json_t) empty = parse("{\"Healthcheck\":{\"Test\":[]}}");
    assert_false(ctr_health_config_of(empty, &h));
    bt_autoptr(json_t) shell = parse("{\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"curl x\"]}}");
    assert_true(ctr_health_config_of(shell, &h));
    assert_string_equal(h.args[0], "/bin/sh");
    assert_string_equal(h.args[1], "-c");
    assert_string_equal(h.args[2], "curl x");
    assert_null(h.args[3]);
    assert_int_equal(h.interval_ns, 30 * SEC);
    assert_int_equal(h.timeout_ns, 30 * SEC);
    assert_int_equal(h.start_period_ns, 0);
    assert_int_equal(h.retries, 3);
    ctr_health_config_clear(&h);
    bt_autoptr(json_t) cmd = parse("{\"Shell\":[\"/bin/bash\",\"-c\"],\"Healthcheck\":{\"Test\":"
                                   "[\"CMD\",\"true\",\"a b\"],\"Interval\":1000000000,"
                                   "\"Retries\":5}}");
    assert_true(ctr_health_config_of(cmd, &h));
    assert_string_equal(h.args[0], "true");
    assert_string_equal(h.args[1], "a b");
    assert_int_equal(h.interval_ns, SEC);
    assert_int_equal(h.retries, 5);
    ctr_health_config_clear(&h);
    bt_autoptr(json_t) sh2 = parse("{\"Shell\":[\"/bin/bash\",\"-c\"],\"Healthcheck\":{\"Test\":"
                                   "[\"CMD-SHELL\",\"x\"]}}");
    assert_true(ctr_health_config_of(sh2, &h));
    assert_string_equal(h.args[0], "/bin/bash");
    ctr_health_config_clear(&h);
}

static void test_health_machine(void **state)
{
    (void)state;
    struct ctr_health_config h = {.interval_ns = SEC,
                                  .timeout_ns = SEC,
                                  .start_period_ns = 10 * SEC,
                                  .start_interval_ns = 5 * SEC,
                                  .retries = 2};
    bt_autoptr(json_t) hs = ctr_health_initial(NULL);
    assert_string_equal(bt_json_get_str(hs, "Status", ""), "starting");
    int64_t t0 = 1000 * SEC;
    /* failures within the start period do not count while starting */
    assert_null(ctr_health_record(hs, &h, 1, "no", 2, t0, t0 + 2 * SEC, t0 + 2 * SEC));
    assert_null(ctr_health_record(hs, &h, 1, "no", 2, t0, t0 + 3 * SEC, t0 + 3 * SEC));
    assert_int_equal(bt_json_get_int(hs, "FailingStreak", -1), 0);
    assert_int_equal(ctr_health_next_delay(&h, hs, 3 * SEC), 5 * SEC);
    /* the first pass: healthy */
    assert_string_equal(ctr_health_record(hs, &h, 0, "ok", 2, t0, t0 + 4 * SEC, t0 + 4 * SEC),
                        "healthy");
    assert_int_equal(ctr_health_next_delay(&h, hs, 4 * SEC), SEC);
    /* once healthy, failures count even within the start period */
    assert_null(ctr_health_record(hs, &h, 1, "", 0, t0, t0 + 5 * SEC, t0 + 5 * SEC));
    assert_int_equal(bt_json_get_int(hs, "FailingStreak", -1), 1);
    assert_string_equal(ctr_health_record(hs, &h, -1, "", 0, t0, t0 + 6 * SEC, t0 + 6 * SEC),
                        "unhealthy");
    assert_null(ctr_health_record(hs, &h, 2, "", 0, t0, t0 + 7 * SEC, t0 + 7 * SEC));
    assert_int_equal(bt_json_get_int(hs, "FailingStreak", -1), 3);
    assert_string_equal(ctr_health_record(hs, &h, 0, "", 0, t0, t0 + 8 * SEC, t0 + 8 * SEC),
                        "healthy");
    assert_int_equal(bt_json_get_int(hs, "FailingStreak", -1), 0);
    /* the log keeps five; a restart keeps it and starts over as "starting" */
    json_t *log = bt_json_get_arr(hs, "Log");
    assert_int_equal(json_array_size(log), 5);
    assert_int_equal(bt_json_get_int(json_array_get(log, 4), "ExitCode", -9), 0);
    assert_int_equal(bt_json_get_int(json_array_get(log, 1), "ExitCode", -9), 1);
    bt_autoptr(json_t) again = ctr_health_initial(hs);
    assert_string_equal(bt_json_get_str(again, "Status", ""), "starting");
    assert_int_equal(json_array_size(bt_json_get_arr(again, "Log")), 5);
}

static void test_health_after_start_period(void **state)
{
    (void)state;
    struct ctr_health_config h = {.interval_ns = SEC, .start_period_ns = 0, .retries = 1};
    bt_autoptr(json_t) hs = ctr_health_initial(NULL);
    assert_string_equal(ctr_health_record(hs, &h, 1, "", 0, 0, SEC, SEC), "unhealthy");
}

static void test_health_output(void **state)
{
    (void)state;
    struct ctr_health_config h = {.interval_ns = SEC, .retries = 3};
    bt_autoptr(json_t) hs = ctr_health_initial(NULL);
    char big[5000];
    memset(big, 'a', sizeof(big));
    ctr_health_record(hs, &h, 0, big, sizeof(big), 0, SEC, SEC);
    const char *out = bt_json_get_str(json_array_get(bt_json_get_arr(hs, "Log"), 0), "Output", "");
    assert_int_equal(strlen(out), 4096 + 3);
    assert_string_equal(out + 4096, "...");
    /* bytes that are not UTF-8 */
    ctr_health_record(hs, &h, 0,
                      "a\xff"
                      "b",
                      3, 0, SEC, SEC);
    out = bt_json_get_str(json_array_get(bt_json_get_arr(hs, "Log"), 1), "Output", "");
    assert_string_equal(out, "a\xEF\xBF\xBD"
                             "b");
}

/* Times in the records (StartedAt, FinishedAt): RFC 3339 to nanoseconds; Go's zero time (a
 * container never started) and anything int64 nanoseconds cannot hold are no time (0). */
static void test_time_parse(void **state)
{
    (void)state;
    assert_true(ctr_time_parse("2026-11-29T23:00:00.5Z") == 1795993200500000000LL);
    assert_true(ctr_time_parse("1970-01-01T00:00:01Z") == 1000000000LL);
    assert_true(ctr_time_parse("0001-01-01T00:00:00Z") == 0);
    assert_true(ctr_time_parse("9999-12-31T23:59:59Z") == 0);
    assert_true(ctr_time_parse("") == 0);
    assert_true(ctr_time_parse(NULL) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_backoff),        cmocka_unit_test(test_time_parse),
            cmocka_unit_test(test_policy_parse),   cmocka_unit_test(test_restart_wanted),
            cmocka_unit_test(test_checks),         cmocka_unit_test(test_health_config),
            cmocka_unit_test(test_health_machine), cmocka_unit_test(test_health_after_start_period),
            cmocka_unit_test(test_health_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
