/* SPDX-License-Identifier: Apache-2.0 */
/* docker's list formatting: default and custom tables, json, plain formats, escapes, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "host/format/list.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"

#define PS_DEFAULT "table {{.ID}}\t{{.Image}}\t{{.Status}}\t{{.Names}}"

static const struct fmt_type ps_types[] = {{"", "*formatter.ContainerContext"}, {NULL, NULL}};

static int label_method(void *ctx, const char *name, const char *path, const json_t *recv,
                        const json_t *const *args, size_t nargs, json_t **result, bt_err **err)
{
    if (strcmp(name, "Label") != 0 || nargs != 1)
        return 0;
    *result = json_string("lbl");
    return 1;
}

static char *render(const char *format, bt_err **err)
{
    bt_autoptr(json_t) header = json_pack("{s:s,s:s,s:s,s:s}", "ID", "CONTAINER ID", "Image",
                                          "IMAGE", "Status", "STATUS", "Names", "NAMES");
    bt_autoptr(json_t) rows =
            json_pack("[{s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s}]", "ID", "4a2f9c", "Image", "busybox",
                      "Status", "Up 2 seconds", "Names", "web", "ID", "77b1e0", "Image",
                      "nginx:latest", "Status", "Exited (0) 3 seconds ago", "Names", "db");
    struct fmt_exec_opts o = {.types = ps_types, .method = label_method};
    struct fmt_list l = {format, PS_DEFAULT, header, rows, &o};
    struct bt_strbuf out = BT_STRBUF_INIT;
    if (fmt_list_render(&l, &out, err) < 0) {
        bt_strbuf_free(&out);
        return NULL;
    }
    return bt_strbuf_steal(&out);
}

static void test_list_default_table(void **state)
{
    static const char want[] = "CONTAINER ID   IMAGE          STATUS                     NAMES\n"
                               "4a2f9c         busybox        Up 2 seconds               web\n"
                               "77b1e0         nginx:latest   Exited (0) 3 seconds ago   db\n";
    bt_autofree char *a = render(NULL, NULL);
    bt_autofree char *b = render("", NULL);
    bt_autofree char *c = render("table", NULL);
    assert_string_equal(a, want);
    assert_string_equal(b, want);
    assert_string_equal(c, want);
}

static void test_list_custom_table_with_typed_escapes(void **state)
{
    bt_autofree char *out = render("table {{.ID}}\\t{{.Names}}  ", NULL);
    assert_string_equal(out, "CONTAINER ID   NAMES\n4a2f9c         web\n77b1e0         db\n");
}

static void test_list_plain_and_json_formats(void **state)
{
    bt_autofree char *plain = render("{{.Names}}:{{.ID}}\\n--", NULL);
    assert_string_equal(plain, "web:4a2f9c\n--\ndb:77b1e0\n--\n");
    bt_autofree char *json = render("json", NULL);
    assert_string_equal(json, "{\"ID\":\"4a2f9c\",\"Image\":\"busybox\",\"Status\":\"Up 2 "
                              "seconds\",\"Names\":\"web\"}\n{\"ID\":\"77b1e0\",\"Image\":"
                              "\"nginx:latest\",\"Status\":\"Exited (0) 3 seconds ago\","
                              "\"Names\":\"db\"}\n");
}

static void test_list_header_asks_the_method_too(void **state)
{
    /* docker's header is a SubHeaderContext, whose Label method names the column ("docker ps
     * --format 'table {{.Label \"com.x.y\"}}'" heads it "y"): methods answer on it too */
    bt_autofree char *out = render("table {{.ID}}\t{{.Label \"x\"}}", NULL);
    assert_string_equal(out, "CONTAINER ID   lbl\n4a2f9c         lbl\n77b1e0         lbl\n");
}

static void test_list_header_functions_keep_titles(void **state)
{
    bt_autofree char *out = render("table {{lower .Names}}\t{{truncate .ID 3}}", NULL);
    assert_string_equal(out, "NAMES     CONTAINER ID\nweb       4a2\ndb        77b\n");
}

static void test_list_errors_read_as_docker(void **state)
{
    bt_autoerr bt_err *err = NULL;
    assert_null(render("{{.ID", &err));
    assert_string_equal(bt_err_msg(err), "template parsing error: template: :1: unclosed action");
    bt_err_clear(&err);
    assert_null(render("table {{.Foo}}", &err));
    assert_string_equal(bt_err_msg(err),
                        "template parsing error: template: :1:2: executing \"\" at <.Foo>: can't "
                        "evaluate field Foo in type *formatter.ContainerContext");
}

static void test_list_template_text(void **state)
{
    bt_autofree char *a = fmt_list_template_text("table");
    bt_autofree char *b = fmt_list_template_text("json");
    bt_autofree char *c = fmt_list_template_text("  {{.A}}\\t{{.B}}\t ");
    bt_autofree char *d = fmt_list_template_text("tablex");
    assert_string_equal(a, "");
    assert_string_equal(b, "{{json .}}");
    assert_string_equal(c, "{{.A}}\t{{.B}}\t");
    assert_string_equal(d, "x");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_list_default_table),
            cmocka_unit_test(test_list_custom_table_with_typed_escapes),
            cmocka_unit_test(test_list_plain_and_json_formats),
            cmocka_unit_test(test_list_header_asks_the_method_too),
            cmocka_unit_test(test_list_header_functions_keep_titles),
            cmocka_unit_test(test_list_errors_read_as_docker),
            cmocka_unit_test(test_list_template_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
