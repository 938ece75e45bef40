/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shared/base/cleanup.h"
#include "shared/base/strbuf.h"
#include "shared/base/strset.h"

static void test_strbuf_empty_is_empty_string(void **state)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    assert_string_equal(bt_strbuf_str(&sb), "");
    char *s = bt_strbuf_steal(&sb);
    assert_string_equal(s, "");
    free(s);
}

static void test_strbuf_appends_grow_past_initial_capacity(void **state)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    for (int i = 0; i < 1000; i++)
        bt_strbuf_appendf(&sb, "%d,", i % 10);
    assert_int_equal(sb.len, 2000);
    assert_memory_equal(sb.buf, "0,1,2,3,4,", 10);
    assert_int_equal(sb.buf[sb.len], '\0');
}

static void test_strbuf_binary_and_truncate(void **state)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append_n(&sb, "a\0b", 3);
    assert_int_equal(sb.len, 3);
    bt_strbuf_append_c(&sb, 'c');
    assert_memory_equal(sb.buf, "a\0bc", 4);
    bt_strbuf_truncate(&sb, 1);
    assert_string_equal(bt_strbuf_str(&sb), "a");
    bt_strbuf_truncate(&sb, 10); /* longer than the content: no change */
    assert_int_equal(sb.len, 1);
}

static void test_strbuf_reserve_commit(void **state)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, "x=");
    char *p = bt_strbuf_reserve(&sb, 3);
    memcpy(p, "123", 3);
    bt_strbuf_commit(&sb, 3);
    assert_string_equal(bt_strbuf_str(&sb), "x=123");
}

static void test_strset_add_has_grow(void **state)
{
    bt_autoptr(bt_strset) s = bt_strset_new();
    char key[32];
    for (int i = 0; i < 500; i++) {
        snprintf(key, sizeof(key), "etc/file%d", i);
        assert_true(bt_strset_add(s, key));
    }
    assert_false(bt_strset_add(s, "etc/file7"));
    assert_true(bt_strset_has(s, "etc/file499"));
    assert_false(bt_strset_has(s, "etc/file500"));
    assert_int_equal(bt_strset_size(s), 500);
}

/* what Go's %q prints for the same bytes */
static void test_strbuf_go_quote(void **state)
{
    static const struct {
        const char *in;
        size_t n;
        const char *out;
    } cases[] = {
            {"plain", 5, "\"plain\""},         {"", 0, "\"\""},
            {"a\"b\\c", 5, "\"a\\\"b\\\\c\""}, {"\a\b\f\n\r\t\v", 7, "\"\\a\\b\\f\\n\\r\\t\\v\""},
            {"\x01\x7f", 2, "\"\\x01\\x7f\""}, {"caf\xc3\xa9", 5, "\"caf\xc3\xa9\""},
            {"\xff!", 2, "\"\\xff!\""},        {"nul\0x", 5, "\"nul\\x00x\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
        bt_strbuf_go_quote(&sb, cases[i].in, cases[i].n);
        assert_string_equal(bt_strbuf_str(&sb), cases[i].out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_strbuf_empty_is_empty_string),
            cmocka_unit_test(test_strbuf_appends_grow_past_initial_capacity),
            cmocka_unit_test(test_strbuf_binary_and_truncate),
            cmocka_unit_test(test_strbuf_reserve_commit),
            cmocka_unit_test(test_strbuf_go_quote),
            cmocka_unit_test(test_strset_add_has_grow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
