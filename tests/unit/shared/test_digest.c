/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "shared/base/cleanup.h"
#include "shared/crypto/digest.h"

#define EMPTY "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC   "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void test_digest_known_vectors(void **state)
{
    char d[BT_DIGEST_STR_SIZE];
    bt_sha256_digest("", 0, d);
    assert_string_equal(d, EMPTY);
    bt_sha256_digest("abc", 3, d);
    assert_string_equal(d, ABC);
}

static void test_digest_streaming_equals_one_shot(void **state)
{
    char big[100000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i * 31);
    char one[BT_DIGEST_STR_SIZE], streamed[BT_DIGEST_STR_SIZE];
    bt_sha256_digest(big, sizeof(big), one);
    bt_autoptr(bt_sha256) h = bt_sha256_new();
    for (size_t off = 0; off < sizeof(big); off += 777)
        bt_sha256_update(h, big + off, off + 777 > sizeof(big) ? sizeof(big) - off : 777);
    bt_sha256_final(h, streamed);
    assert_string_equal(one, streamed);
}

static void test_digest_of_fd(void **state)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "abc", 3), 3);
    close(p[1]);
    char d[BT_DIGEST_STR_SIZE];
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_sha256_fd(p[0], d, &err), 0);
    close(p[0]);
    assert_string_equal(d, ABC);
}

static void test_digest_validate(void **state)
{
    static const struct {
        const char *in;
        const char *msg; /* NULL: valid */
    } cases[] = {
            {ABC, NULL},
            {"sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
             "invalid checksum digest format"},
            {"sha256:abc", "invalid checksum digest length"},
            {"sha256:", "invalid checksum digest format"},
            {":abc", "invalid checksum digest format"},
            {"nocolon", "invalid checksum digest format"},
            {"md5:d41d8cd98f00b204e9800998ecf8427e", "unsupported digest algorithm"},
            {"sha512:abcd", "unsupported digest algorithm"},
            {"Bad!:abc", "invalid checksum digest format"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bt_autoerr bt_err *err = NULL;
        int rc = bt_digest_validate(cases[i].in, &err);
        if (!cases[i].msg) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, -1);
            if (strcmp(bt_err_msg(err), cases[i].msg) != 0)
                fail_msg("\"%s\": got \"%s\", want \"%s\"", cases[i].in, bt_err_msg(err),
                         cases[i].msg);
        }
    }
    assert_string_equal(bt_digest_hex(ABC), &ABC[7]);
    assert_null(bt_digest_hex("nocolon"));
}

static void test_digest_ids_and_random(void **state)
{
    assert_true(bt_is_hex64(&ABC[7]));
    assert_false(bt_is_hex64(ABC));
    assert_false(bt_is_hex64("abc"));
    bt_autofree char *a = bt_random_hex(32);
    bt_autofree char *b = bt_random_hex(32);
    assert_true(bt_is_hex64(a));
    assert_string_not_equal(a, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_digest_known_vectors),
            cmocka_unit_test(test_digest_streaming_equals_one_shot),
            cmocka_unit_test(test_digest_of_fd),
            cmocka_unit_test(test_digest_validate),
            cmocka_unit_test(test_digest_ids_and_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
