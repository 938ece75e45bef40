/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The template engine against Go's behaviour: tests/data/format/template-cases.json holds
 * templates with the output or the error Go's text/template (with docker's functions) gives
 * on its document, under several typings ("struct": objects are structs, "map": docker's raw
 * inspect fallback, "maperr": the same with missingkey=error, "typed": a Go type table,
 * "header": docker's HeaderFunctions).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/format/template.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"

static const struct fmt_type typed_types[] = {
        {"", "types.ContainerJSON"},
        {"Labels", "map[string]string"},
        {"Mounts", "[]types.MountPoint"},
        {"Mounts.[]", "types.MountPoint"},
        {"Nothing", "*types.Health"},
        {"EmptyList", "[]string"},
        {NULL, NULL},
};

static struct fmt_exec_opts mode_opts(const char *mode)
{
    struct fmt_exec_opts o = {0};
    if (strcmp(mode, "map") == 0 || strcmp(mode, "maperr") == 0)
        o.objects_are_maps = true;
    o.missing_key_error = strcmp(mode, "maperr") == 0;
    if (strcmp(mode, "typed") == 0)
        o.types = typed_types;
    o.header = strcmp(mode, "header") == 0;
    return o;
}

/* Run one case; returns NULL when it passes, else a description the caller frees. */
static char *run_case(const json_t *doc, const json_t *tc)
{
    const char *tpl = bt_json_get_str(tc, "template", "");
    const char *mode = bt_json_get_str(tc, "mode", "struct");
    const json_t *data = json_object_get(tc, "data");
    if (json_is_string(data) && strcmp(json_string_value(data), "doc") == 0)
        data = doc;
    const char *want_out = bt_json_get_str(tc, "out", NULL);
    const char *want_err = bt_json_get_str(tc, "error", NULL);
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(fmt_template) t = fmt_template_parse(tpl, &err);
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    struct fmt_exec_opts o = mode_opts(mode);
    if (t && fmt_template_exec(t, data, &o, &out, &err) == 0 && want_out &&
        strcmp(bt_strbuf_str(&out), want_out) == 0)
        return NULL;
    if (err && want_err && strcmp(bt_err_msg(err), want_err) == 0)
        return NULL;
    return bt_xasprintf("template %s [%s]\n  want %s: %s\n  got output: %s\n  got error: %s", tpl,
                        mode, want_err ? "error" : "output", want_err ? want_err : want_out,
                        bt_strbuf_str(&out), err ? bt_err_msg(err) : "(none)");
}

static void test_template_cases_match_go(void **state)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) file =
            bt_json_load_file(BERTH_TEST_DATA "/format/template-cases.json", &err);
    assert_non_null(file);
    const json_t *doc = json_object_get(file, "doc");
    const json_t *cases = json_object_get(file, "cases");
    assert_true(json_array_size(cases) > 150);
    size_t failed = 0, i;
    json_t *tc;
    json_array_foreach (cases, i, tc) {
        bt_autofree char *why = run_case(doc, tc);
        if (why) {
            fprintf(stderr, "case %zu: %s\n", i, why);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

static int label_method(void *ctx, const char *name, const char *path, const json_t *recv,
                        const json_t *const *args, size_t nargs, json_t **result, bt_err **err)
{
    if (strcmp(name, "Label") != 0)
        return 0;
    if (nargs != 1 || !json_is_string(args[0]))
        return bt_err_set(err, BT_E_INVALID, "wrong number of args for Label: want 1 got %zu",
                          nargs);
    const char *v =
            bt_json_get_str(json_object_get(recv, "Labels"), json_string_value(args[0]), "");
    *result = json_string(v);
    return 1;
}

static char *exec_with(const char *tpl, const char *data_text, const struct fmt_exec_opts *o,
                       bt_err **err)
{
    bt_autoptr(json_t) data = bt_json_parse(data_text, strlen(data_text), NULL);
    bt_autoptr(fmt_template) t = fmt_template_parse(tpl, err);
    if (!t)
        return NULL;
    struct bt_strbuf out = BT_STRBUF_INIT;
    if (fmt_template_exec(t, data, o, &out, err) < 0) {
        bt_strbuf_free(&out);
        return NULL;
    }
    return bt_strbuf_steal(&out);
}

static void test_template_method_hook_answers_label(void **state)
{
    static const struct fmt_type types[] = {{"", "*formatter.ContainerContext"}, {NULL, NULL}};
    struct fmt_exec_opts o = {.types = types, .method = label_method};
    const char *row = "{\"ID\":\"4a2f\",\"Labels\":{\"com.x\":\"on\"}}";
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *out =
            exec_with("{{.ID}} {{.Label \"com.x\"}} {{.Label \"nope\"}}|", row, &o, &err);
    assert_non_null(out);
    assert_string_equal(out, "4a2f on |");
    bt_autofree char *bad = exec_with("{{.Label}}", row, &o, &err);
    assert_null(bad);
    assert_string_equal(bt_err_msg(err), "template: :1:2: executing \"\" at <.Label>: error "
                                         "calling Label: wrong number of args for Label: want 1 "
                                         "got 0");
    bt_err_clear(&err);
    bt_autofree char *missing = exec_with("{{.Foo}}", row, &o, &err);
    assert_null(missing);
    assert_string_equal(bt_err_msg(err), "template: :1:2: executing \"\" at <.Foo>: can't "
                                         "evaluate field Foo in type *formatter.ContainerContext");
}

static void test_template_output_is_capped(void **state)
{
    struct fmt_exec_opts o = {.max_output = 10};
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *ok = exec_with("{{range .}}{{.}}{{end}}", "[\"abcde\",\"fghij\"]", &o, &err);
    assert_non_null(ok);
    assert_string_equal(ok, "abcdefghij");
    bt_autofree char *over =
            exec_with("{{range .}}{{.}}{{end}}x", "[\"abcde\",\"fghij\"]", &o, &err);
    assert_null(over);
    assert_string_equal(bt_err_msg(err), "template: :1:23: executing \"\" at <x>: output exceeds "
                                         "10 bytes");
    bt_err_clear(&err);
    bt_autofree char *pad = exec_with("{{pad \"x\" 100 0}}", "{}", &o, &err);
    assert_null(pad);
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
}

static void test_template_partial_output_stays_on_error(void **state)
{
    bt_autoptr(fmt_template) t = fmt_template_parse("a{{.X}}b{{.Y.Z}}c", NULL);
    assert_non_null(t);
    bt_autoptr(json_t) data = json_pack("{s:i,s:i}", "X", 1, "Y", 2);
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    bt_strbuf_append(&out, "before:");
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(fmt_template_exec(t, data, NULL, &out, &err), -1);
    assert_string_equal(bt_strbuf_str(&out), "before:a1b");
    assert_string_equal(bt_err_msg(err), "template: :1:12: executing \"\" at <.Y.Z>: can't "
                                         "evaluate field Z in type int");
}

static void test_template_deep_nesting_is_refused(void **state)
{
    bt_autostrbuf struct bt_strbuf deep = BT_STRBUF_INIT;
    for (int i = 0; i < 5000; i++)
        bt_strbuf_append(&deep, "{{if 1}}");
    bt_autoerr bt_err *err = NULL;
    assert_null(fmt_template_parse(bt_strbuf_str(&deep), &err));
    assert_string_equal(bt_err_msg(err), "template: :1: max expression depth exceeded");
    bt_err_clear(&err);
    bt_autostrbuf struct bt_strbuf parens = BT_STRBUF_INIT;
    bt_strbuf_append(&parens, "{{");
    for (int i = 0; i < 5000; i++)
        bt_strbuf_append(&parens, "(");
    assert_null(fmt_template_parse(bt_strbuf_str(&parens), &err));
    assert_string_equal(bt_err_msg(err), "template: :1: max expression depth exceeded");
}

static void test_template_runaway_loops_stop(void **state)
{
    /* 300^3 iterations with no output: stopped by the step limit, not by the clock */
    bt_autostrbuf struct bt_strbuf arr = BT_STRBUF_INIT;
    bt_strbuf_append(&arr, "[");
    for (int i = 0; i < 300; i++)
        bt_strbuf_appendf(&arr, "%s%d", i ? "," : "", i);
    bt_strbuf_append(&arr, "]");
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *out = exec_with("{{range $}}{{range $}}{{range $}}{{end}}{{end}}{{end}}",
                                      bt_strbuf_str(&arr), NULL, &err);
    assert_null(out);
    assert_non_null(strstr(bt_err_msg(err), "execution stopped after"));
}

static void test_template_text_with_nul_bytes(void **state)
{
    static const char text[] = "a\0b{{.}}\0";
    bt_autoptr(fmt_template) t = fmt_template_parse_n(text, sizeof(text) - 1, NULL);
    assert_non_null(t);
    bt_autoptr(json_t) data = json_string("x");
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    assert_int_equal(fmt_template_exec(t, data, NULL, &out, NULL), 0);
    assert_int_equal(out.len, 5);
    assert_memory_equal(out.buf, "a\0bx\0", 5);
}

static void test_template_print_value_follows_typing(void **state)
{
    bt_autoptr(json_t) v = json_pack("{s:s,s:{s:i,s:i}}", "N", "x", "M", "b", 2, "a", 1);
    static const struct fmt_type types[] = {{"M", "map[string]int"}, {NULL, NULL}};
    struct fmt_exec_opts o = {.types = types};
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    fmt_print_value(v, &o, &out);
    assert_string_equal(bt_strbuf_str(&out), "{x map[a:1 b:2]}");
    bt_strbuf_reset(&out);
    fmt_print_value(v, NULL, &out);
    assert_string_equal(bt_strbuf_str(&out), "{x {2 1}}");
}

/* docker's volume.Volume: `{{json .}}` leaves out the empty omitempty members (CreatedAt,
 * Status, UsageData), keeps the others even when empty, and `{{.}}` still prints them all. */
static void test_template_json_leaves_out_empty_omitempty_members(void **state)
{
    bt_autoptr(json_t) v =
            json_pack("{s:s,s:s,s:n,s:{},s:n,s:{s:i,s:i}}", "CreatedAt", "", "Name", "v", "Labels",
                      "Status", "UsageData", "Inner", "RefCount", 0, "Size", 0);
    static const struct fmt_type types[] = {
            {"", "volume.Volume"},
            {"CreatedAt", "string", true},
            {"Labels", "map[string]string"},
            {"Status", "map[string]interface {}", true},
            {"UsageData", "*volume.UsageData", true},
            {"Inner", "volume.UsageData", true}, /* a struct is never empty */
            {"Inner.RefCount", "int64", true},
            {NULL, NULL},
    };
    struct fmt_exec_opts o = {.types = types};
    bt_autoptr(fmt_template) t = fmt_template_parse("{{json .}}|{{.}}", NULL);
    assert_non_null(t);
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    assert_int_equal(fmt_template_exec(t, v, &o, &out, NULL), 0);
    assert_string_equal(bt_strbuf_str(&out),
                        "{\"Name\":\"v\",\"Labels\":null,\"Inner\":{\"Size\":0}}|"
                        "{ v map[] map[] <nil> {0 0}}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_template_cases_match_go),
            cmocka_unit_test(test_template_method_hook_answers_label),
            cmocka_unit_test(test_template_output_is_capped),
            cmocka_unit_test(test_template_partial_output_stays_on_error),
            cmocka_unit_test(test_template_deep_nesting_is_refused),
            cmocka_unit_test(test_template_runaway_loops_stop),
            cmocka_unit_test(test_template_text_with_nul_bytes),
            cmocka_unit_test(test_template_print_value_follows_typing),
            cmocka_unit_test(test_template_json_leaves_out_empty_omitempty_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
