/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker's tabwriter (Go's text/tabwriter with go-runewidth) with docker's options
 * (10, 1, 3, ' ', 0): expected outputs follow Go's algorithm and match docker ps tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "host/format/tabwriter.h"
#include "shared/base/strbuf.h"

static const struct {
    const char *in;
    const char *out;
} cases[] = {
        /* docker ps: 12+3, then the 10-column minimum; the last cell is not a column */
        {"CONTAINER ID\tIMAGE\tCOMMAND\tNAMES\n4a2f9c\tbusybox\t\"sh\"\tweb\n",
         "CONTAINER ID   IMAGE     COMMAND   NAMES\n4a2f9c         busybox   \"sh\"      web\n"},
        {"a\tb\nc\td\n", "a         b\nc         d\n"},
        /* a line without tabs ends the column block */
        {"aaaaaaaaaaaa\tb\nx\nc\td\n", "aaaaaaaaaaaa   b\nx\nc         d\n"},
        /* a line with fewer cells ends the block of the columns it lacks */
        {"a\tbbbbbbbbbbbbbbb\tc\nd\te\nf\tg\th\n",
         "a         bbbbbbbbbbbbbbb   c\nd         e\nf         g         h\n"},
        /* a trailing tab leaves an empty last cell: the column before it is padded */
        {"a\tb\t\n", "a         b         \n"},
        {"a\tb", "a         b"},
        {"", ""},
        {"no tabs\n", "no tabs\n"},
        /* empty cells are padded to the column */
        {"\tb\nccc\td\n", "          b\nccc       d\n"},
        /* wide characters take two columns */
        {"\xe6\x97\xa5\xe6\x9c\xac\tx\nab\ty\n", "\xe6\x97\xa5\xe6\x9c\xac      x\nab        y\n"},
        /* combining marks take none */
        {"e\xcc\x81\tx\n", "e\xcc\x81         x\n"},
        /* the header alone, as docker prints it with no rows */
        {"CONTAINER ID\tIMAGE\n", "CONTAINER ID   IMAGE\n"},
};

static void test_tabwriter_docker_tables(void **state)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct bt_strbuf out = BT_STRBUF_INIT;
        fmt_tabwriter_format(cases[i].in, strlen(cases[i].in), &FMT_TAB_DOCKER, &out);
        if (strcmp(bt_strbuf_str(&out), cases[i].out) != 0)
            fail_msg("case %zu: got [%s] want [%s]", i, bt_strbuf_str(&out), cases[i].out);
        bt_strbuf_free(&out);
    }
}

static void test_tabwriter_options(void **state)
{
    struct bt_strbuf out = BT_STRBUF_INIT;
    struct fmt_tab_opts right = {0, 8, 1, '.', FMT_TAB_ALIGN_RIGHT};
    fmt_tabwriter_format("a\tbbb\tc\n", 8, &right, &out);
    assert_string_equal(bt_strbuf_str(&out), ".a.bbbc\n");
    bt_strbuf_reset(&out);
    struct fmt_tab_opts debug = {0, 8, 1, ' ', FMT_TAB_DEBUG};
    fmt_tabwriter_format("a\tbbb\tc\n", 8, &debug, &out);
    assert_string_equal(bt_strbuf_str(&out), "a |bbb |c\n");
    bt_strbuf_reset(&out);
    struct fmt_tab_opts tabs = {0, 8, 1, '\t', 0};
    fmt_tabwriter_format("a\tb\nccccccccc\td\n", 16, &tabs, &out);
    assert_string_equal(bt_strbuf_str(&out), "a\t\tb\nccccccccc\td\n");
    bt_strbuf_reset(&out);
    struct fmt_tab_opts discard = {0, 8, 1, ' ', FMT_TAB_DISCARD_EMPTY};
    fmt_tabwriter_format("a\v\vb\n", 5, &discard, &out);
    assert_string_equal(bt_strbuf_str(&out), "a b\n");
    bt_strbuf_free(&out);
}

static void test_tabwriter_escaped_text_is_one_piece(void **state)
{
    struct bt_strbuf out = BT_STRBUF_INIT;
    fmt_tabwriter_format("\xff"
                         "a\tb\xff\tc\n",
                         8, &FMT_TAB_DOCKER, &out);
    /* the tab inside counts no width (a control character), the escapes none either */
    assert_string_equal(bt_strbuf_str(&out), "\xff"
                                             "a\tb\xff        c\n");
    bt_strbuf_free(&out);
}

static void test_tabwriter_many_columns_do_not_recurse_forever(void **state)
{
    struct bt_strbuf in = BT_STRBUF_INIT, out = BT_STRBUF_INIT;
    for (int i = 0; i < 100000; i++)
        bt_strbuf_append_c(&in, '\t');
    bt_strbuf_append(&in, "x\n");
    fmt_tabwriter_format(in.buf, in.len, &FMT_TAB_DOCKER, &out);
    /* Go pads all 100000 columns; Berth the first 1000 (docs/internals/format.md) */
    assert_int_equal(out.len, 1000 * 10 + 2);
    assert_string_equal(out.buf + out.len - 2, "x\n");
    bt_strbuf_free(&in);
    bt_strbuf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_tabwriter_docker_tables),
            cmocka_unit_test(test_tabwriter_options),
            cmocka_unit_test(test_tabwriter_escaped_text_is_one_piece),
            cmocka_unit_test(test_tabwriter_many_columns_do_not_recurse_forever),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
