/* SPDX-License-Identifier: Apache-2.0 */
/* The builder's pure parts: comments in Go's formatting, cache hashes, --chown, EXPOSE,
 * the build-arg prefix of RUN's cache key, wildcards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest/engine/build/build-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

static void test_build_keys_go_formatting(void **state)
{
    (void)state;
    bt_autoptr(json_t) a = json_pack("[s,s]", "cat", "say \"hi\"");
    bt_autofree char *q = build_go_quote_strv(a);
    assert_string_equal(q, "[\"cat\" \"say \\\"hi\\\"\"]");
    bt_autofree char *v = build_go_strv(a);
    assert_string_equal(v, "[cat say \"hi\"]");
}

static void test_build_keys_sources_hash(void **state)
{
    (void)state;
    char *one[] = {"file:abc", NULL};
    bt_autofree char *h1 = build_sources_hash(one);
    assert_string_equal(h1, "file:abc");
    char *two[] = {"file:abc", "dir:def", NULL};
    bt_autofree char *h2 = build_sources_hash(two);
    assert_true(strncmp(h2, "multi:", 6) == 0 && strlen(h2) == 6 + 64);
}

static void test_build_keys_path_hash_covers_content_and_mode(void **state)
{
    (void)state;
    char dir[] = "/tmp/bt-build-keys-XXXXXX";
    assert_non_null(mkdtemp(dir));
    bt_autofree char *f = bt_xasprintf("%s/f", dir);
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_file_write_atomic(f, "one", 3, 0644, &err), 0);
    bt_autofree char *h1 = build_path_hash(f, &err);
    assert_true(strncmp(h1, "file:", 5) == 0);
    bt_autofree char *d1 = build_path_hash(dir, &err);
    assert_true(strncmp(d1, "dir:", 4) == 0);
    /* a new mtime alone does not change it */
    assert_int_equal(bt_file_write_atomic(f, "one", 3, 0644, &err), 0);
    bt_autofree char *h2 = build_path_hash(f, &err);
    assert_string_equal(h1, h2);
    /* content and mode do */
    chmod(f, 0600);
    bt_autofree char *h3 = build_path_hash(f, &err);
    assert_string_not_equal(h1, h3);
    assert_int_equal(bt_file_write_atomic(f, "two", 3, 0600, &err), 0);
    bt_autofree char *h4 = build_path_hash(f, &err);
    assert_string_not_equal(h3, h4);
    bt_autofree char *d2 = build_path_hash(dir, &err);
    assert_string_not_equal(d1, d2);
    assert_int_equal(bt_rm_rf(dir, &err), 0);
}

static void test_build_keys_chown(void **state)
{
    (void)state;
    const char *passwd = "root:x:0:0::/root:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\n";
    const char *group = "root:x:0:\nstaff:x:50:bob\nbob:x:1000:\n";
    uid_t u;
    gid_t g;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(build_parse_chown("bob", passwd, group, &u, &g, &err), 0);
    assert_true(u == 1000 && g == 1000);
    assert_int_equal(build_parse_chown("bob:staff", passwd, group, &u, &g, &err), 0);
    assert_true(u == 1000 && g == 50);
    assert_int_equal(build_parse_chown("7:8", NULL, NULL, &u, &g, &err), 0);
    assert_true(u == 7 && g == 8);
    assert_int_equal(build_parse_chown("alice", passwd, group, &u, &g, &err), -1);
    assert_non_null(strstr(bt_err_msg(err), "no such user: alice"));
}

static void test_build_keys_prepend_env(void **state)
{
    (void)state;
    bt_autoptr(json_t) cmd = json_pack("[s,s,s]", "/bin/sh", "-c", "echo");
    char *args[] = {"B=2", "A=1", NULL};
    bt_autoptr(json_t) out = build_prepend_env(args, cmd);
    bt_autofree char *text = bt_json_dumps(out);
    assert_string_equal(text, "[\"|2\",\"A=1\",\"B=2\",\"/bin/sh\",\"-c\",\"echo\"]");
    char *none[] = {NULL};
    bt_autoptr(json_t) same = build_prepend_env(none, cmd);
    assert_true(json_equal(same, cmd));
}

static void test_build_keys_expose_and_match(void **state)
{
    (void)state;
    bt_autoptr(json_t) ports = json_object();
    char *p[] = {"80", "53/UDP", "8000-8002", NULL};
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(build_expose_ports(p, ports, &err), 0);
    assert_int_equal(json_object_size(ports), 5);
    assert_non_null(json_object_get(ports, "80/tcp"));
    assert_non_null(json_object_get(ports, "53/udp"));
    assert_non_null(json_object_get(ports, "8001/tcp"));
    char *bad[] = {"x", NULL};
    assert_int_equal(build_expose_ports(bad, ports, &err), -1);
    assert_true(build_match("*.txt", "a.txt"));
    assert_false(build_match("*.txt", "d/a.txt"));
    assert_true(build_match("d/*.txt", "d/a.txt"));
    assert_true(build_has_wildcard("a?") && !build_has_wildcard("abc"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_build_keys_go_formatting),
            cmocka_unit_test(test_build_keys_sources_hash),
            cmocka_unit_test(test_build_keys_path_hash_covers_content_and_mode),
            cmocka_unit_test(test_build_keys_chown),
            cmocka_unit_test(test_build_keys_prepend_env),
            cmocka_unit_test(test_build_keys_expose_and_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
