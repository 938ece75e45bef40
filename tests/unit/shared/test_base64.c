/* SPDX-License-Identifier: Apache-2.0 */
/* Base64 as Go's StdEncoding: RFC 4648's test vectors both ways, and its errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shared/base/base64.h"
#include "shared/base/cleanup.h"

static const char *const vectors[][2] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
};

static void test_base64_rfc4648_vectors(void **state)
{
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        bt_autofree char *enc = bt_base64_encode(vectors[i][0], strlen(vectors[i][0]));
        assert_string_equal(enc, vectors[i][1]);
        size_t n = 99;
        bt_autoerr bt_err *err = NULL;
        bt_autofree char *dec = bt_base64_decode(vectors[i][1], &n, &err);
        assert_non_null(dec);
        assert_int_equal(n, strlen(vectors[i][0]));
        assert_memory_equal(dec, vectors[i][0], n);
    }
}

static void test_base64_binary_round_trip(void **state)
{
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    bt_autofree char *enc = bt_base64_encode(all, sizeof(all));
    size_t n = 0;
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *dec = bt_base64_decode(enc, &n, &err);
    assert_int_equal(n, sizeof(all));
    assert_memory_equal(dec, all, sizeof(all));
}

static void test_base64_bad_input_says_where(void **state)
{
    static const char *const bad[][2] = {
            {"Zm9", "illegal base64 data at input byte 0"},
            {"Zm9v!A==", "illegal base64 data at input byte 4"},
            {"Z===", "illegal base64 data at input byte 1"},
            {"Zg==Zg==", "illegal base64 data at input byte 2"},
            {"Zm=v", "illegal base64 data at input byte 2"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t n = 0;
        bt_autoerr bt_err *err = NULL;
        assert_null(bt_base64_decode(bad[i][0], &n, &err));
        assert_int_equal(bt_err_code(err), BT_E_INVALID);
        assert_string_equal(bt_err_msg(err), bad[i][1]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_base64_rfc4648_vectors),
            cmocka_unit_test(test_base64_binary_round_trip),
            cmocka_unit_test(test_base64_bad_input_says_where),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
