/* SPDX-License-Identifier: Apache-2.0 */
/*
 * host/copts against the docker CLI: tests/data/copts/network-cases.json holds command lines
 * of `run` with their ports, links, DNS and network flags and what the docker CLI 28.2 sent to
 * POST /containers/create for them (the members those flags decide, in docker's order), or
 * the error it printed instead (tests/data/copts/record-docker.py made it). Each must come out
 * of copts the same, byte for byte once serialised. Then the parsers one by one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/copts/copts.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

/* Parse args as `run` does and build the body; NULL with *err (flag or build error). */
static json_t *build(const json_t *args, bt_err **err)
{
    size_t n = json_array_size(args);
    bt_autofree char **argv = bt_xzalloc((n + 2) * sizeof(char *));
    for (size_t i = 0; i < n; i++)
        argv[i] = (char *)json_string_value(json_array_get(args, i));
    argv[n] = "busybox";
    struct copts o;
    bt_autofree struct bt_flag *flags = copts_flags(&o);
    struct bt_flagset fs = {.usage = "berth run", .flags = flags};
    o.fs = &fs;
    bt_autofree char **pos = NULL;
    json_t *body = NULL;
    if (bt_flags_parse(&fs, (int)n + 1, argv, &pos, err) == 0)
        body = copts_build(&o, pos[0], pos + 1, err);
    copts_clear(&o);
    return body;
}

/* The member at a dotted path, or NULL. */
static json_t *pick(json_t *body, const char *dotted)
{
    return bt_json_get_path(body, dotted) ?: json_object_get(body, dotted);
}

static void check_case(const json_t *c)
{
    bt_autofree char *args = bt_json_dumps(json_object_get(c, "args"));
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) body = build(json_object_get(c, "args"), &err);
    const char *want_err = bt_json_get_str(c, "error", NULL);
    if (want_err) {
        if (!err || strcmp(bt_err_msg(err), want_err) != 0)
            fail_msg("%s: want error \"%s\", got %s", args, want_err,
                     err ? bt_err_msg(err) : "a body");
        return;
    }
    if (!body)
        fail_msg("%s: %s", args, bt_err_msg(err));
    const char *key;
    json_t *want;
    json_object_foreach (json_object_get(c, "body"), key, want) {
        json_t *got = pick(body, key);
        bt_autofree char *w = bt_json_dumps(want);
        bt_autofree char *g = got ? bt_json_dumps(got) : bt_xstrdup("(missing)");
        if (strcmp(w, g) != 0)
            fail_msg("%s: %s\n want %s\n got  %s", args, key, w, g);
    }
    /* and nothing the docker CLI leaves out (ExposedPorts, MacAddress are omitempty) */
    if (!json_object_get(json_object_get(c, "body"), "ExposedPorts"))
        assert_null(json_object_get(body, "ExposedPorts"));
    if (!json_object_get(json_object_get(c, "body"), "MacAddress"))
        assert_null(json_object_get(body, "MacAddress"));
}

static void test_copts_network_flags_as_docker_sends_them(void **state)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) doc = bt_json_load_file(BERTH_TEST_DATA "/copts/network-cases.json", &err);
    assert_non_null(doc);
    json_t *cases = bt_json_get_arr(doc, "cases");
    assert_true(json_array_size(cases) > 80);
    size_t i;
    json_t *c;
    json_array_foreach (cases, i, c)
        check_case(c);
}

/* Berth speaks API 1.41: the MAC address goes to Config.MacAddress, where engines of that API
 * read it (docker 28 refuses to send it to them at all). */
static void test_copts_mac_address_in_the_container_config(void **state)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) a1 =
            json_pack("[s, s, s, s]", "--network", "n1", "--mac-address", "92:d0:c6:0a:29:33");
    bt_autoptr(json_t) body = build(a1, &err);
    assert_non_null(body);
    assert_string_equal(bt_json_get_str(body, "MacAddress", ""), "92:d0:c6:0a:29:33");
    /* one network without other options: no endpoint, as docker sends none */
    assert_int_equal(json_object_size(bt_json_get_path(body, "NetworkingConfig.EndpointsConfig")),
                     0);
    bt_autoptr(json_t) a2 = json_pack("[s, s]", "--mac-address", " 02-42-ac-11-00-02 ");
    bt_autoptr(json_t) b2 = build(a2, &err);
    assert_non_null(b2);
    assert_string_equal(bt_json_get_str(b2, "MacAddress", ""), " 02-42-ac-11-00-02 ");
    json_t *ep = bt_json_get_path(b2, "NetworkingConfig.EndpointsConfig.default");
    assert_string_equal(bt_json_get_str(ep, "MacAddress", "x"), "");
    /* the long syntax's MAC address of the first network too */
    bt_autoptr(json_t) a3 =
            json_pack("[s, s]", "--network", "name=n1,mac-address=02:42:ac:11:00:02");
    bt_autoptr(json_t) b3 = build(a3, &err);
    assert_non_null(b3);
    assert_string_equal(bt_json_get_str(b3, "MacAddress", ""), "02:42:ac:11:00:02");
    bt_autoptr(json_t) a4 = json_pack("[s, s, s, s]", "--network", "name=n1,mac-address=a",
                                      "--mac-address", "02:42:ac:11:00:02");
    bt_autoptr(json_t) b4 = build(a4, &err);
    assert_null(b4);
    assert_string_equal(bt_err_msg(err), "conflicting options: cannot specify both --mac-address "
                                         "and per-network MAC address");
}

static void test_copts_mac_address_formats(void **state)
{
    static const char *const good[] = {
            "00:00:5e:00:53:01",
            "00-00-5E-00-53-01",
            "0000.5e00.5301",
            " 00:00:5e:00:53:01\t",
            "02:00:5e:10:00:00:00:01",
            "0000.0000.fe80.0000.0000.0000.0200.5e10.0000.0001",
            "00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01"};
    static const char *const bad[] = {"",
                                      "x",
                                      "00:00:5e:00:53",
                                      "00:00:5e:00:53:0g",
                                      "00:00-5e:00:53:01",
                                      "00:00:5e:00:53:01:",
                                      "0000.5e00.530",
                                      "0000.5e00:5301",
                                      "00:00:5e:00:53:01:02",
                                      "000:0:5e:00:53:01"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!copts_valid_mac(good[i]))
            fail_msg("refused %s", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (copts_valid_mac(bad[i]))
            fail_msg("took %s", bad[i]);
}

static void test_copts_port_ranges(void **state)
{
    static const struct {
        const char *in;
        unsigned start, end;
        const char *err;
    } cases[] = {
            {"80", 80, 80, NULL},
            {"0", 0, 0, NULL},
            {"65535", 65535, 65535, NULL},
            {"0080", 80, 80, NULL},
            {"8000-8010", 8000, 8010, NULL},
            {"5-5", 5, 5, NULL},
            {"1-2-3", 1, 2, NULL},
            {"", 0, 0, "empty string specified for ports"},
            {"65536", 0, 0, "strconv.ParseUint: parsing \"65536\": value out of range"},
            {"+1", 0, 0, "strconv.ParseUint: parsing \"+1\": invalid syntax"},
            {"1_0", 0, 0, "strconv.ParseUint: parsing \"1_0\": invalid syntax"},
            {"9-1", 0, 0, "invalid range specified for port: 9-1"},
            {"-1", 0, 0, "strconv.ParseUint: parsing \"\": invalid syntax"},
            {"1-", 0, 0, "strconv.ParseUint: parsing \"\": invalid syntax"},
            {"a\tb", 0, 0, "strconv.ParseUint: parsing \"a\\tb\": invalid syntax"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned s = 1, e = 1;
        bt_autoerr bt_err *err = NULL;
        int rc = copts_parse_port_range(cases[i].in, &s, &e, &err);
        if (cases[i].err) {
            assert_int_equal(rc, -1);
            assert_string_equal(bt_err_msg(err), cases[i].err);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(s, cases[i].start);
            assert_int_equal(e, cases[i].end);
        }
    }
}

static void test_copts_csv_fields(void **state)
{
    bt_autoerr bt_err *err = NULL;
    bt_autostrv char **f = copts_csv_fields("a,\"b,c\",\"d\"\"e\",,f", &err);
    assert_non_null(f);
    assert_int_equal(bt_strv_len(f), 5);
    assert_string_equal(f[1], "b,c");
    assert_string_equal(f[2], "d\"e");
    assert_string_equal(f[3], "");
    bt_autostrv char **g = copts_csv_fields("a\"b", &err);
    assert_null(g);
    assert_string_equal(bt_err_msg(err),
                        "parse error on line 1, column 2: bare \" in non-quoted-field");
}

static void test_copts_links(void **state)
{
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(copts_check_link("db", &err), 0);
    assert_int_equal(copts_check_link("db:alias", &err), 0);
    assert_int_equal(copts_check_link("/db:/web/db", &err), 0);
    assert_int_equal(copts_check_link("a:b:c", &err), -1);
    assert_string_equal(bt_err_msg(err), "bad format for links: a:b:c");
    bt_autoerr bt_err *err2 = NULL;
    assert_int_equal(copts_check_link("", &err2), -1);
    assert_string_equal(bt_err_msg(err2), "empty string specified for links");
}

/* --device as the docker CLI 28 splits it (validateLinuxPath, then parseLinuxDevice) */
static void test_copts_devices(void **state)
{
    (void)state;
    static const struct {
        const char *in, *json;
    } ok[] = {
            {"/dev/sda", "{\"PathOnHost\": \"/dev/sda\", \"PathInContainer\": \"/dev/sda\", "
                         "\"CgroupPermissions\": \"rwm\"}"},
            {"/dev//sda/", "{\"PathOnHost\": \"/dev/sda\", \"PathInContainer\": \"/dev/sda\", "
                           "\"CgroupPermissions\": \"rwm\"}"},
            {"/dev/sda:r", "{\"PathOnHost\": \"/dev/sda\", \"PathInContainer\": \"/dev/sda\", "
                           "\"CgroupPermissions\": \"r\"}"},
            {"/dev/sda:/dev/x/../xvda", "{\"PathOnHost\": \"/dev/sda\", \"PathInContainer\": "
                                        "\"/dev/xvda\", \"CgroupPermissions\": \"rwm\"}"},
            {"/dev/sda:/dev/xvda:mw", "{\"PathOnHost\": \"/dev/sda\", \"PathInContainer\": "
                                      "\"/dev/xvda\", \"CgroupPermissions\": \"mw\"}"},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        bt_autoerr bt_err *err = NULL;
        bt_autoptr(json_t) got = copts_parse_device(ok[i].in, &err);
        assert_non_null(got);
        bt_autoptr(json_t) want = json_loads(ok[i].json, 0, NULL);
        assert_true(json_equal(got, want));
    }
    static const struct {
        const char *in, *msg;
    } bad[] = {
            {"", "bad format for path: "},
            {":/x", "bad format for path: :/x"},
            {"a:b:c:d", "bad format for path: a:b:c:d"},
            {"/dev/a:/dev/b:rwz", "bad mode specified: rwz"},
            {"/dev/a:/dev/b:rr", "bad mode specified: rr"},
            {"/dev/a:rel", "rel is not an absolute path"},
            {"rel", "rel is not an absolute path"},
            {"/dev/a::rw", " is not an absolute path"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bt_autoerr bt_err *err = NULL;
        assert_null(copts_parse_device(bad[i].in, &err));
        assert_string_equal(bt_err_msg(err), bad[i].msg);
    }
}

static void test_copts_durations(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int64_t ns;
    } ok[] = {{"0", 0},
              {"300ms", 300000000},
              {"1.5s", 1500000000},
              {"1m30s", 90000000000},
              {"2h", 7200000000000},
              {"-2s", -2000000000},
              {"10us", 10000},
              {"7ns", 7}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int64_t ns = -1;
        assert_int_equal(copts_parse_duration(ok[i].in, &ns, NULL), 0);
        assert_int_equal(ns, ok[i].ns);
    }
    static const struct {
        const char *in, *msg;
    } bad[] = {{"", "time: invalid duration \"\""},
               {"5", "time: missing unit in duration \"5\""},
               {"5x", "time: unknown unit \"x\" in duration \"5x\""},
               {"s", "time: invalid duration \"s\""}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ns;
        bt_autoerr bt_err *err = NULL;
        assert_int_equal(copts_parse_duration(bad[i].in, &ns, &err), -1);
        assert_string_equal(bt_err_msg(err), bad[i].msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_copts_network_flags_as_docker_sends_them),
            cmocka_unit_test(test_copts_mac_address_in_the_container_config),
            cmocka_unit_test(test_copts_mac_address_formats),
            cmocka_unit_test(test_copts_port_ranges),
            cmocka_unit_test(test_copts_csv_fields),
            cmocka_unit_test(test_copts_links),
            cmocka_unit_test(test_copts_devices),
            cmocka_unit_test(test_copts_durations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
