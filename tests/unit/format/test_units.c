/* SPDX-License-Identifier: Apache-2.0 */
/* go-units sizes and durations, and docker ps STATUS strings, to the byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "host/format/units.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"

#define SEC FMT_NS_PER_SEC

static void test_units_human_size(void **state)
{
    static const struct {
        double size;
        const char *want;
    } cases[] = {{0, "0B"},           {999, "999B"},       {1000, "1kB"},
                 {1500, "1.5kB"},     {2140000, "2.14MB"}, {1234000000, "1.23GB"},
                 {999999, "1e+03kB"}, {5.5e12, "5.5TB"},   {1e27, "1e+03YB"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
        fmt_human_size(cases[i].size, 3, &sb);
        assert_string_equal(bt_strbuf_str(&sb), cases[i].want);
    }
    bt_autostrbuf struct bt_strbuf four = BT_STRBUF_INIT;
    fmt_human_size(2746000, 4, &four);
    assert_string_equal(bt_strbuf_str(&four), "2.746MB");
}

static void test_units_bytes_size(void **state)
{
    static const struct {
        double size;
        const char *want;
    } cases[] = {{500, "500B"},
                 {1024, "1KiB"},
                 {1536, "1.5KiB"},
                 {67108864, "64MiB"},
                 {1073741824.0 * 2.5, "2.5GiB"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
        fmt_bytes_size(cases[i].size, &sb);
        assert_string_equal(bt_strbuf_str(&sb), cases[i].want);
    }
}

static void test_units_human_duration_thresholds(void **state)
{
    static const struct {
        int64_t secs;
        const char *want;
    } cases[] = {
            {0, "Less than a second"},  {1, "1 second"},
            {59, "59 seconds"},         {60, "About a minute"},
            {119, "About a minute"},    {120, "2 minutes"},
            {3599, "59 minutes"},       {3600, "About an hour"},
            {5399, "About an hour"},    {5400, "2 hours"},
            {47 * 3600, "47 hours"},    {48 * 3600, "2 days"},
            {13 * 86400, "13 days"},    {14 * 86400, "2 weeks"},
            {59 * 86400, "8 weeks"},    {60 * 86400, "2 months"},
            {729 * 86400, "24 months"}, {730 * 86400, "2 years"},
            {-5, "Less than a second"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
        fmt_human_duration(cases[i].secs * SEC, &sb);
        assert_string_equal(bt_strbuf_str(&sb), cases[i].want);
    }
}

static void test_units_parse_time(void **state)
{
    int64_t ns;
    assert_true(fmt_parse_time("1970-01-01T00:00:01.5Z", &ns));
    assert_int_equal(ns, SEC + SEC / 2);
    assert_true(fmt_parse_time("2024-05-01T12:00:00.000000001+02:00", &ns));
    assert_int_equal(ns, INT64_C(1714557600) * SEC + 1);
    assert_false(fmt_parse_time("0001-01-01T00:00:00Z", &ns));
    assert_false(fmt_parse_time("yesterday", &ns));
    assert_false(fmt_parse_time("2024-05-01T12:00:00", &ns));
}

static const char *status_of(const char *state_json, int64_t now, struct bt_strbuf *sb)
{
    bt_autoptr(json_t) st = bt_json_parse(state_json, strlen(state_json), NULL);
    assert_non_null(st);
    bt_strbuf_reset(sb);
    fmt_container_status(st, now, sb);
    return bt_strbuf_str(sb);
}

static void test_units_container_status(void **state)
{
    int64_t now = INT64_C(1714557600) * SEC; /* 2024-05-01T10:00:00Z */
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    assert_string_equal(status_of("{\"Running\":true,\"StartedAt\":\"2024-05-01T09:59:58Z\","
                                  "\"FinishedAt\":\"0001-01-01T00:00:00Z\"}",
                                  now, &sb),
                        "Up 2 seconds");
    assert_string_equal(
            status_of("{\"Running\":true,\"StartedAt\":\"2024-05-01T09:58:59Z\"}", now, &sb),
            "Up About a minute");
    assert_string_equal(status_of("{\"Running\":true,\"Paused\":true,"
                                  "\"StartedAt\":\"2024-05-01T09:57:00Z\"}",
                                  now, &sb),
                        "Up 3 minutes (Paused)");
    assert_string_equal(status_of("{\"Running\":true,\"Restarting\":true,\"ExitCode\":1,"
                                  "\"StartedAt\":\"2024-05-01T09:00:00Z\","
                                  "\"FinishedAt\":\"2024-05-01T09:59:58Z\"}",
                                  now, &sb),
                        "Restarting (1) 2 seconds ago");
    assert_string_equal(status_of("{\"Running\":true,\"StartedAt\":\"2024-05-01T09:55:00Z\","
                                  "\"Health\":{\"Status\":\"healthy\"}}",
                                  now, &sb),
                        "Up 5 minutes (healthy)");
    assert_string_equal(status_of("{\"Running\":true,\"StartedAt\":\"2024-05-01T09:59:59Z\","
                                  "\"Health\":{\"Status\":\"starting\"}}",
                                  now, &sb),
                        "Up 1 second (health: starting)");
    assert_string_equal(status_of("{\"Running\":false,\"ExitCode\":0,"
                                  "\"StartedAt\":\"2024-05-01T09:00:00Z\","
                                  "\"FinishedAt\":\"2024-05-01T09:59:57Z\"}",
                                  now, &sb),
                        "Exited (0) 3 seconds ago");
    assert_string_equal(status_of("{\"Running\":false,\"ExitCode\":137,"
                                  "\"StartedAt\":\"2024-04-01T09:00:00Z\","
                                  "\"FinishedAt\":\"2024-04-10T09:00:00Z\"}",
                                  now, &sb),
                        "Exited (137) 3 weeks ago");
    assert_string_equal(
            status_of("{\"Running\":false,\"StartedAt\":\"0001-01-01T00:00:00Z\"}", now, &sb),
            "Created");
    assert_string_equal(
            status_of("{\"Dead\":true,\"StartedAt\":\"2024-05-01T09:00:00Z\"}", now, &sb), "Dead");
    assert_string_equal(status_of("{\"Status\":\"removing\"}", now, &sb), "Removal In Progress");
}

static void test_units_time_ago(void **state)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    fmt_time_ago(0, 90 * SEC, &sb);
    assert_string_equal(bt_strbuf_str(&sb), "About a minute ago");
    bt_strbuf_reset(&sb);
    fmt_time_ago(10 * SEC, 12 * SEC, &sb);
    assert_string_equal(bt_strbuf_str(&sb), "2 seconds ago");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_units_human_size),
            cmocka_unit_test(test_units_bytes_size),
            cmocka_unit_test(test_units_human_duration_thresholds),
            cmocka_unit_test(test_units_parse_time),
            cmocka_unit_test(test_units_container_status),
            cmocka_unit_test(test_units_time_ago),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
