/* SPDX-License-Identifier: Apache-2.0 */
/* The event bus (guest/engine/events/) and GET /events' parameters (api/events-filter.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "guest/engine/api/events-filter.h"
#include "guest/engine/events/events.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"

static int reset(void **state)
{
    events_reset();
    return 0;
}

static const char *action_of(const json_t *list, size_t i)
{
    return json_string_value(json_object_get(json_array_get(list, i), "Action"));
}

static void test_bus_keeps_order_and_dockers_fields(void **state)
{
    events_emit("container", "create", "abc",
                (const char *const[]){"name", "web", "image", "busybox", "skip", NULL, NULL});
    events_emit("network", "connect", "n1", NULL);
    assert_int_equal(events_last_seq(), 2);
    uint64_t seq = 0;
    bt_autoptr(json_t) got = events_wait(&seq, 0);
    assert_int_equal(seq, 2);
    assert_int_equal(json_array_size(got), 2);
    assert_string_equal(action_of(got, 0), "create");
    assert_string_equal(action_of(got, 1), "connect");
    const json_t *ev = json_array_get(got, 0);
    assert_string_equal(bt_json_get_str(ev, "status", ""), "create");
    assert_string_equal(bt_json_get_str(ev, "id", ""), "abc");
    assert_string_equal(bt_json_get_str(ev, "from", ""), "busybox");
    assert_string_equal(bt_json_get_str(ev, "scope", ""), "local");
    const json_t *attrs = bt_json_get_obj(bt_json_get_obj(ev, "Actor"), "Attributes");
    assert_string_equal(bt_json_get_str(attrs, "name", ""), "web");
    assert_null(json_object_get(attrs, "skip"));
    /* networks have none of the fields before API 1.22 */
    assert_null(json_object_get(json_array_get(got, 1), "status"));
    int64_t nano = bt_json_get_int(ev, "timeNano", 0);
    assert_int_equal(nano / 1000000000, bt_json_get_int(ev, "time", -1));
    /* nothing newer: an empty list */
    bt_autoptr(json_t) none = events_wait(&seq, 0);
    assert_int_equal(json_array_size(none), 0);
    assert_int_equal(seq, 2);
}

static void test_bus_wraps_around_keeping_the_newest(void **state)
{
    char id[32];
    for (int i = 0; i < EVENTS_KEEP + 10; i++) {
        snprintf(id, sizeof(id), "c%d", i);
        events_emit("container", "start", id, NULL);
    }
    uint64_t seq = 0;
    bt_autoptr(json_t) got = events_wait(&seq, 0);
    assert_int_equal(json_array_size(got), EVENTS_KEEP);
    assert_int_equal(seq, EVENTS_KEEP + 10);
    /* the ten oldest fell out; the rest in order */
    const json_t *first = bt_json_get_obj(json_array_get(got, 0), "Actor");
    assert_string_equal(bt_json_get_str(first, "ID", ""), "c10");
    const json_t *last = bt_json_get_obj(json_array_get(got, EVENTS_KEEP - 1), "Actor");
    snprintf(id, sizeof(id), "c%d", EVENTS_KEEP + 9);
    assert_string_equal(bt_json_get_str(last, "ID", ""), id);
    /* a reader behind by less than the memory gets exactly what it missed */
    seq = EVENTS_KEEP + 7;
    bt_autoptr(json_t) tail = events_wait(&seq, 0);
    assert_int_equal(json_array_size(tail), 3);
}

static int64_t ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void test_bus_wait_times_out_empty(void **state)
{
    events_emit("volume", "create", "v", NULL);
    uint64_t seq = events_last_seq();
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bt_autoptr(json_t) got = events_wait(&seq, 150);
    int64_t spent = ms_since(&t0);
    assert_int_equal(json_array_size(got), 0);
    assert_true(spent >= 140 && spent < 2000);
    assert_int_equal(seq, 1);
}

static void test_times_as_docker_sends_them(void **state)
{
    int64_t ns = -1;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(api_events_parse_time("1700000000.000000000", &ns, &err), 0);
    assert_true(ns == 1700000000LL * 1000000000);
    assert_int_equal(api_events_parse_time("1700000000.5", &ns, &err), 0);
    assert_true(ns == 1700000000LL * 1000000000 + 500000000);
    assert_int_equal(api_events_parse_time("1700000000", &ns, &err), 0);
    assert_true(ns == 1700000000LL * 1000000000);
    assert_int_equal(api_events_parse_time("2023-11-14T22:13:20Z", &ns, &err), 0);
    assert_true(ns == 1700000000LL * 1000000000);
    assert_int_equal(api_events_parse_time("2023-11-14T23:13:20.25+01:00", &ns, &err), 0);
    assert_true(ns == 1700000000LL * 1000000000 + 250000000);
    assert_int_equal(api_events_parse_time("", &ns, &err), 0);
    assert_true(ns == 0);
    const char *bad[] = {
            "abc", "1.x", "1.1234567890", "12a", "2023-11-14T22:13:20", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(api_events_parse_time(bad[i], &ns, &err), -1);
        bt_err_clear(&err);
    }
    api_events_parse_time("abc", &ns, &err);
    assert_string_equal(bt_err_msg(err), "strconv.ParseInt: parsing \"abc\": invalid syntax");
}

static json_t *event(const char *type, const char *action, const char *id, const char *name,
                     const char *image)
{
    return json_pack("{s:s, s:s, s:s, s:{s:s, s:{s:s, s:s, s:s}}}", "Type", type, "Action", action,
                     "scope", "local", "Actor", "ID", id, "Attributes", "name", name, "image",
                     image, "app", "web");
}

static bool passes(const char *filters, const json_t *ev)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) f = api_events_filters(filters, &err);
    assert_non_null(f);
    return api_events_match(f, ev);
}

static void test_filters_as_dockerd_reads_them(void **state)
{
    bt_autoptr(json_t) c = event("container", "die", "0123abcd", "web-1", "busybox:latest");
    bt_autoptr(json_t) x = event("container", "exec_start: sh -c ls", "0123abcd", "web-1", "b");
    bt_autoptr(json_t) img = event("image", "tag", "sha256:ffff", "my/app:v1", "");
    assert_true(passes(NULL, c));
    assert_true(passes("{\"type\":[\"container\"]}", c));
    assert_false(passes("{\"type\":[\"image\"]}", c));
    assert_true(passes("{\"type\":[\"image\",\"container\"]}", c));
    assert_true(passes("{\"event\":{\"die\":true}}", c));
    assert_false(passes("{\"event\":[\"di\"]}", c));
    assert_true(passes("{\"event\":[\"exec_start\"]}", x));
    assert_false(passes("{\"event\":[\"exec_die\"]}", x));
    assert_true(passes("{\"container\":[\"0123\"]}", c));
    assert_true(passes("{\"container\":[\"web-1\"]}", c));
    assert_false(passes("{\"container\":[\"db\"]}", c));
    assert_false(passes("{\"container\":[\"web-1\"]}", img));
    assert_true(passes("{\"image\":[\"busybox\"]}", c));
    assert_true(passes("{\"image\":[\"busybox:latest\"]}", c));
    assert_true(passes("{\"image\":[\"my/app\"]}", img));
    assert_true(passes("{\"image\":[\"sha256:ffff\"]}", img));
    assert_false(passes("{\"image\":[\"alpine\"]}", c));
    assert_true(passes("{\"label\":[\"app\"]}", c));
    assert_true(passes("{\"label\":[\"app=web\"]}", c));
    assert_false(passes("{\"label\":[\"app=db\"]}", c));
    assert_false(passes("{\"label\":[\"app\", \"tier\"]}", c));
    assert_true(passes("{\"scope\":[\"local\"]}", c));
    assert_false(passes("{\"scope\":[\"swarm\"]}", c));
    assert_false(passes("{\"volume\":[\"v\"]}", c));
    bt_autoerr bt_err *err = NULL;
    assert_null(api_events_filters("{\"colour\":[\"red\"]}", &err));
    assert_string_equal(bt_err_msg(err), "invalid filter 'colour'");
    bt_err_clear(&err);
    assert_null(api_events_filters("{\"type\":", &err));
    /* an event without its fields passes nothing */
    bt_autoptr(json_t) empty = json_object();
    assert_false(passes(NULL, empty));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup(test_bus_keeps_order_and_dockers_fields, reset),
            cmocka_unit_test_setup(test_bus_wraps_around_keeping_the_newest, reset),
            cmocka_unit_test_setup(test_bus_wait_times_out_empty, reset),
            cmocka_unit_test(test_times_as_docker_sends_them),
            cmocka_unit_test(test_filters_as_dockerd_reads_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
