/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What `berth volume` makes of its flags and of the engine's volumes, against the docker CLI
 * 28: its flag values (opts.FilterOpt, ListOpts with ValidateLabel, MapOpts), the order of
 * `volume ls` (sortorder.NaturalLess), the rows of its formatter and the volume.Volume that
 * `volume inspect` prints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/cli/util.h"
#include "host/cli/volume-format.h"
#include "host/format/list.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"

static char *dumps(const json_t *v)
{
    return bt_json_dumps(v);
}

static void test_volume_format_filter_flag_as_docker_parses_it(void **state)
{
    bt_autoptr(json_t) f = NULL;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(berth_flag_filter(&f, " Label = a=b ", &err), 0);
    assert_int_equal(berth_flag_filter(&f, "label=c", &err), 0);
    assert_int_equal(berth_flag_filter(&f, "", &err), 0); /* ignored */
    assert_int_equal(berth_flag_filter(&f, "dangling=true", &err), 0);
    bt_autofree char *text = dumps(f);
    assert_string_equal(text, "{\"label\":{\"a=b\":true,\"c\":true},\"dangling\":{\"true\":true}}");
    assert_int_equal(berth_flag_filter(&f, "nope", &err), -1);
    assert_string_equal(bt_err_msg(err), "bad format of filter (expected name=value)");
    /* the query as filters.ToJSON writes it: keys sorted, HTML characters escaped */
    bt_autofree char *q = berth_filters_query(f);
    assert_string_equal(q, "%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%2C%22label%22%3A%7B%22"
                           "a%3Db%22%3Atrue%2C%22c%22%3Atrue%7D%7D");
    assert_int_equal(berth_flag_filter(&f, "label=<x>", &err), 0);
    bt_autofree char *html = berth_filters_query(f);
    assert_non_null(strstr(html, "%22%5Cu003cx%5Cu003e%22"));
    assert_null(berth_filters_query(NULL));
}

static void test_volume_format_label_flag_validates_as_docker(void **state)
{
    bt_autoptr(json_t) l = NULL;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(berth_flag_label(&l, "a=1", &err), 0);
    assert_int_equal(berth_flag_label(&l, "b", &err), 0);
    assert_int_equal(berth_flag_label(&l, "a=2=3", &err), 0);  /* a later one wins */
    assert_int_equal(berth_flag_label(&l, " c=x y", &err), 0); /* the key is kept as given */
    bt_autofree char *text = dumps(l);
    assert_string_equal(text, "{\"a\":\"2=3\",\"b\":\"\",\" c\":\"x y\"}");
    assert_int_equal(berth_flag_label(&l, "=x", &err), -1);
    assert_string_equal(bt_err_msg(err), "invalid label '=x': empty name");
    bt_err_free(err);
    err = NULL;
    assert_int_equal(berth_flag_label(&l, " \t=x", &err), -1);
    assert_string_equal(bt_err_msg(err), "invalid label ' \t=x': empty name");
    bt_err_free(err);
    err = NULL;
    assert_int_equal(berth_flag_label(&l, "a b=x", &err), -1);
    assert_string_equal(bt_err_msg(err), "label 'a b' contains whitespaces");
}

static void test_volume_format_map_flag_takes_anything(void **state)
{
    bt_autoptr(json_t) m = NULL;
    assert_int_equal(berth_flag_map(&m, "type=tmpfs", NULL), 0);
    assert_int_equal(berth_flag_map(&m, "o", NULL), 0);
    assert_int_equal(berth_flag_map(&m, "=v", NULL), 0);
    bt_autofree char *text = dumps(m);
    assert_string_equal(text, "{\"type\":\"tmpfs\",\"o\":\"\",\"\":\"v\"}");
    /* bytes that are no UTF-8 become U+FFFD, as Go's encoding/json sends them */
    assert_int_equal(berth_flag_map(&m, "k\xff\xc3=\xe2\x82x\xc3\xa9", NULL), 0);
    assert_string_equal(bt_json_get_str(m, "k\xef\xbf\xbd\xef\xbf\xbd", "missing"),
                        "\xef\xbf\xbd\xef\xbf\xbdx\xc3\xa9");
}

static void test_volume_format_natural_order(void **state)
{
    /* each pair in NaturalLess order */
    static const char *const less[][2] = {
            {"v2", "v10"},   {"v9", "v09"},  {"v09", "v009"}, {"1", "a"},  {"a", "b"},
            {"a", "a0"},     {"A", "a"},     {"v1a", "v1b"},  {"", "a"},   {"x1y10", "x01y2"},
            {"abc", "abcd"}, {"a1b", "a01"}, {"0", "00"},     {"9", "10"},
    };
    for (size_t i = 0; i < sizeof(less) / sizeof(less[0]); i++) {
        assert_true(berth_natural_less(less[i][0], less[i][1]));
        assert_false(berth_natural_less(less[i][1], less[i][0]));
    }
    assert_false(berth_natural_less("same1", "same1"));
    bt_autoptr(json_t) vols = json_pack("[{s:s},{s:s},{s:s},{s:s}]", "Name", "v10", "Name", "b",
                                        "Name", "v9", "Name", "1x");
    berth_sort_by_name(vols);
    bt_autofree char *text = dumps(vols);
    assert_string_equal(
            text, "[{\"Name\":\"1x\"},{\"Name\":\"b\"},{\"Name\":\"v9\"},{\"Name\":\"v10\"}]");
}

static void test_volume_format_rows_as_docker_formats_them(void **state)
{
    bt_autoptr(json_t) vols =
            json_pack("[{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:i, s:i}},"
                      " {s:s, s:s, s:n}]",
                      "Name", "web", "Driver", "local", "Scope", "local", "Mountpoint",
                      "/v/web/_data", "Labels", "z", "1", "a.b-c", "<2>", "UsageData", "RefCount",
                      2, "Size", 1500, "Name", "db", "Driver", "local", "Labels");
    bt_autoptr(json_t) rows = json_array();
    for (size_t i = 0; i < json_array_size(vols); i++)
        json_array_append_new(rows, berth_volume_row(json_array_get(vols, i)));
    bt_autoptr(json_t) header = berth_volume_header();
    struct berth_label_ctx lc = {.rows = rows, .objs = vols};
    struct fmt_exec_opts eo = {
            .types = berth_volume_row_types, .method = berth_label_method, .method_ctx = &lc};
    struct fmt_list l = {
            .opts = &eo,
            .format = "table {{.Name}}\t{{.Labels}}\t{{.Label \"a.b-c\"}}\t{{.Links}}\t{{.Size}}",
            .default_format = "table {{.Driver}}\t{{.Name}}",
            .header = header,
            .rows = rows};
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(fmt_list_render(&l, &out, &err), 0);
    assert_string_equal(bt_strbuf_str(&out),
                        "VOLUME NAME   LABELS          b c       LINKS     SIZE\n"
                        "web           a.b-c=<2>,z=1   <2>       2         1.5kB\n"
                        "db                                      N/A       N/A\n");
    /* {{json .}}: docker's MarshalJSON of the context, keys sorted, HTML escaped */
    bt_strbuf_reset(&out);
    l.format = "json";
    assert_int_equal(fmt_list_render(&l, &out, &err), 0);
    assert_string_equal(bt_strbuf_str(&out),
                        "{\"Availability\":\"N/A\",\"Driver\":\"local\",\"Group\":\"N/A\","
                        "\"Labels\":\"a.b-c=\\u003c2\\u003e,z=1\",\"Links\":\"2\",\"Mountpoint\":"
                        "\"/v/web/_data\",\"Name\":\"web\",\"Scope\":\"local\",\"Size\":\"1.5kB\","
                        "\"Status\":\"N/A\"}\n"
                        "{\"Availability\":\"N/A\",\"Driver\":\"local\",\"Group\":\"N/A\","
                        "\"Labels\":\"\",\"Links\":\"N/A\",\"Mountpoint\":\"\",\"Name\":\"db\","
                        "\"Scope\":\"\",\"Size\":\"N/A\",\"Status\":\"N/A\"}\n");
}

static void test_volume_format_inspect_value_is_gos_volume(void **state)
{
    /* members out of order, one Go does not know, a label that is no string */
    bt_autoptr(json_t) vol = json_pack(
            "{s:s, s:s, s:{s:s, s:s, s:i}, s:s, s:s, s:s, s:{}, s:s, s:n}", "Scope", "local",
            "Name", "v", "Labels", "b", "2", "a", "1", "n", 3, "Driver", "local", "Mountpoint",
            "/m", "Extra", "x", "Options", "CreatedAt", "2025-01-01T00:00:00Z", "UsageData");
    bt_autoptr(json_t) go = berth_volume_go_json(vol);
    bt_autofree char *text = dumps(go);
    assert_string_equal(text, "{\"CreatedAt\":\"2025-01-01T00:00:00Z\",\"Driver\":\"local\","
                              "\"Labels\":{\"a\":\"1\",\"b\":\"2\"},\"Mountpoint\":\"/m\","
                              "\"Name\":\"v\",\"Options\":{},\"Scope\":\"local\"}");
    /* the template sees every member, as the Go value has them */
    bt_autoptr(json_t) typed = berth_volume_typed(vol);
    struct fmt_exec_opts eo = {.types = berth_volume_types};
    bt_autoptr(fmt_template) t =
            fmt_template_parse("{{.}}|{{json .}}|{{.UsageData}} {{.Status}} {{.Options}}", NULL);
    assert_non_null(t);
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    assert_int_equal(fmt_template_exec(t, typed, &eo, &out, NULL), 0);
    assert_string_equal(bt_strbuf_str(&out),
                        "{<nil> 2025-01-01T00:00:00Z local map[a:1 b:2] /m v map[] local map[] "
                        "<nil>}|{\"CreatedAt\":\"2025-01-01T00:00:00Z\",\"Driver\":\"local\","
                        "\"Labels\":{\"a\":\"1\",\"b\":\"2\"},\"Mountpoint\":\"/m\",\"Name\":\"v\","
                        "\"Options\":{},\"Scope\":\"local\"}|<nil> map[] map[]");
    /* no labels from the engine: Go's nil map, null in JSON */
    json_object_del(vol, "Labels");
    bt_autoptr(json_t) go2 = berth_volume_go_json(vol);
    assert_true(json_is_null(json_object_get(go2, "Labels")));
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(fmt_template) bad = fmt_template_parse("{{.Nope}}", NULL);
    bt_strbuf_reset(&out);
    assert_int_equal(fmt_template_exec(bad, typed, &eo, &out, &err), -1);
    assert_string_equal(bt_err_msg(err), "template: :1:2: executing \"\" at <.Nope>: can't "
                                         "evaluate field Nope in type volume.Volume");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_volume_format_filter_flag_as_docker_parses_it),
            cmocka_unit_test(test_volume_format_label_flag_validates_as_docker),
            cmocka_unit_test(test_volume_format_map_flag_takes_anything),
            cmocka_unit_test(test_volume_format_natural_order),
            cmocka_unit_test(test_volume_format_rows_as_docker_formats_them),
            cmocka_unit_test(test_volume_format_inspect_value_is_gos_volume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
