/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "shared/base/utf8.h"

static size_t decode(const char *s, uint32_t *cp)
{
    return bt_utf8_decode((const unsigned char *)s, strlen(s), cp);
}

static void test_utf8_decodes_each_length(void **state)
{
    uint32_t cp = 0;
    assert_int_equal(decode("A", &cp), 1);
    assert_int_equal(cp, 'A');
    assert_int_equal(decode("\xc3\xa9", &cp), 2); /* é */
    assert_int_equal(cp, 0xe9);
    assert_int_equal(decode("\xe2\x82\xac", &cp), 3); /* € */
    assert_int_equal(cp, 0x20ac);
    assert_int_equal(decode("\xf0\x9f\x90\xb3", &cp), 4); /* 🐳 */
    assert_int_equal(cp, 0x1f433);
    assert_int_equal(decode("\xf4\x8f\xbf\xbf", NULL), 4); /* U+10FFFF */
}

static void test_utf8_refuses_what_go_calls_runeerror(void **state)
{
    uint32_t cp;
    assert_int_equal(decode("\xc0\xaf", &cp), 0);         /* overlong "/" */
    assert_int_equal(decode("\xe0\x80\xaf", &cp), 0);     /* overlong, 3 bytes */
    assert_int_equal(decode("\xed\xa0\x80", &cp), 0);     /* a surrogate */
    assert_int_equal(decode("\xf4\x90\x80\x80", &cp), 0); /* above U+10FFFF */
    assert_int_equal(decode("\x80", &cp), 0);             /* a lone continuation */
    assert_int_equal(decode("\xff", &cp), 0);
    assert_int_equal(decode("\xc3(", &cp), 0); /* a continuation missing */
}

static void test_utf8_reads_no_more_than_it_is_given(void **state)
{
    const unsigned char euro[] = {0xe2, 0x82, 0xac};
    assert_int_equal(bt_utf8_decode(euro, 2, NULL), 0);
    assert_int_equal(bt_utf8_decode(euro, 0, NULL), 0);
    assert_int_equal(bt_utf8_decode(euro, 3, NULL), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_utf8_decodes_each_length),
            cmocka_unit_test(test_utf8_refuses_what_go_calls_runeerror),
            cmocka_unit_test(test_utf8_reads_no_more_than_it_is_given),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
