/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Registry credentials on the client (host/auth) against the docker CLI 28: the keys of
 * registries, the X-Registry-Auth header byte for byte (values recorded from the docker CLI's
 * requests), config.json read and written as its file store does (golden files it wrote,
 * tests/data/auth), every other member kept, and the lookup order berth adds (its own file,
 * then the docker CLI's).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/auth/auth.h"
#include "shared/base/base64.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

static char *slurp(const char *path)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    assert_int_equal(bt_file_read(path, &sb, 0, NULL), 0);
    return bt_strbuf_steal(&sb);
}

static void spit(const char *path, const char *text)
{
    assert_int_equal(bt_file_write_atomic(path, text, strlen(text), 0644, NULL), 0);
}

static char *data(const char *name)
{
    return bt_xasprintf("%s/auth/%s", BERTH_TEST_DATA, name);
}

/* A fresh directory for a test's files. */
static char *tmpdir(void)
{
    char tmpl[] = "/tmp/berth-test-auth-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    return bt_xstrdup(tmpl);
}

static void rmdir_all(const char *dir)
{
    assert_int_equal(bt_rm_rf(dir, NULL), 0);
}

static void test_auth_keys_as_docker_makes_them(void **state)
{
    assert_string_equal(auth_key("docker.io"), AUTH_INDEX_SERVER);
    assert_string_equal(auth_key("index.docker.io"), AUTH_INDEX_SERVER);
    assert_string_equal(auth_key("localhost:5000"), "localhost:5000");
    assert_string_equal(auth_key("ghcr.io"), "ghcr.io");
    const char *cases[][2] = {
            {"https://localhost:5000/v2/", "localhost:5000"},
            {"http://reg.example", "reg.example"},
            {"https://user:pw@reg.example:443/v1/", "reg.example:443"},
            {"https://[::1]:5000/v2/", "[::1]:5000"},
            {"https://[::1]/v2/", "::1"}, /* Hostname() without a port has no brackets */
            {"reg.example/team/app", "reg.example"},
            {"localhost:5000", "localhost:5000"},
            {"https://reg:abc/", "https:"}, /* url.Parse fails: cut at the first slash */
            {"https:///x", "https:"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bt_autofree char *h = auth_hostname(cases[i][0]);
        assert_string_equal(h, cases[i][1]);
    }
}

static void test_auth_header_is_dockers_bytes(void **state)
{
    bt_autofree char *none = auth_header(NULL);
    assert_string_equal(none, "e30=");
    struct auth_config empty = {0};
    bt_autofree char *none2 = auth_header(&empty);
    assert_string_equal(none2, "e30=");
    /* recorded: docker pull localhost:5000/x after docker login -u user localhost:5000 */
    struct auth_config a = {
            .username = "user", .password = "pw2", .server_address = "localhost:5000"};
    bt_autofree char *h = auth_header(&a);
    assert_string_equal(h, "eyJ1c2VybmFtZSI6InVzZXIiLCJwYXNzd29yZCI6InB3MiIsInNlcnZlcmFkZHJlc3Mi"
                           "OiJsb2NhbGhvc3Q6NTAwMCJ9");
    /* base64url: - and _ where the standard alphabet has + and /, padding kept */
    struct auth_config b = {.username = "u", .password = "a~b~c"};
    bt_autofree char *hb = auth_header(&b);
    assert_string_equal(hb, "eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6ImF-Yn5jIn0=");
    struct auth_config c = {.username = "u", .password = "???"};
    bt_autofree char *hc = auth_header(&c);
    assert_string_equal(hc, "eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6Ij8_PyJ9");
}

static void test_auth_json_is_gos_marshal(void **state)
{
    struct auth_config a = {.username = "u",
                            .password = "p&<ss>\"\\\b\f\n\r\t\x01\x7f",
                            .email = "",
                            .server_address = "s",
                            .identity_token = "\xe2\x80\xa8\xff\xc3\xbc",
                            .registry_token = "r"};
    bt_autofree char *j = auth_config_json(&a);
    /* struct order, empty members left out, HTML escaping, \b and \f as Go 1.22+ writes them,
     * U+2028 escaped, a byte that is no UTF-8 as \ufffd, other UTF-8 as it is */
    assert_string_equal(j, "{\"username\":\"u\",\"password\":\"p\\u0026\\u003css\\u003e\\\"\\\\\\b"
                           "\\f\\n\\r\\t\\u0001\x7f\",\"serveraddress\":\"s\",\"identitytoken\":"
                           "\"\\u2028\\ufffd\xc3\xbc\",\"registrytoken\":\"r\"}");
}

static void test_auth_file_login_and_logout_write_dockers_bytes(void **state)
{
    bt_autofree char *dir = tmpdir();
    bt_autofree char *path = bt_xasprintf("%s/config.json", dir);
    bt_autofree char *before = data("before.json");
    bt_autofree char *text = slurp(before);
    spit(path, text);
    struct auth_file f;
    assert_int_equal(auth_file_load(&f, path, NULL), 0);
    struct auth_config a = {
            .username = "user", .password = "p&<ss", .server_address = "localhost:5000"};
    assert_int_equal(auth_file_store(&f, &a, NULL), 1);
    auth_file_clear(&f);
    bt_autofree char *got = slurp(path);
    bt_autofree char *want_path = data("after-login.json");
    bt_autofree char *want = slurp(want_path);
    assert_string_equal(got, want);
    /* the file's mode is kept */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);

    /* logout: the key and the forms older clients stored it in, not "https://x/v1/" */
    assert_int_equal(auth_file_load(&f, path, NULL), 0);
    const char *regs[] = {"localhost:5000", "localhost:5000", "http://localhost:5000",
                          "https://localhost:5000"};
    int written = 0;
    for (size_t i = 0; i < 4; i++) {
        int rc = auth_file_erase(&f, regs[i], NULL);
        assert_true(rc >= 0);
        written += rc;
    }
    assert_int_equal(written, 1);
    auth_file_clear(&f);
    bt_autofree char *got2 = slurp(path);
    bt_autofree char *want2_path = data("after-logout.json");
    bt_autofree char *want2 = slurp(want2_path);
    assert_string_equal(got2, want2);
    rmdir_all(dir);
}

static void test_auth_file_keeps_other_members_and_skips_unchanged(void **state)
{
    bt_autofree char *dir = tmpdir();
    bt_autofree char *path = bt_xasprintf("%s/sub/config.json", dir);
    struct auth_file f;
    /* no file: empty, and a store makes the directory and a 0600 file */
    assert_int_equal(auth_file_load(&f, path, NULL), 0);
    assert_false(f.exists);
    struct auth_config a = {.username = "u", .password = "p", .server_address = AUTH_INDEX_SERVER};
    assert_int_equal(auth_file_store(&f, &a, NULL), 1);
    auth_file_clear(&f);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    bt_autofree char *first = slurp(path);
    assert_string_equal(first, "{\n\t\"auths\": {\n\t\t\"https://index.docker.io/v1/\": {\n\t\t\t"
                               "\"auth\": \"dTpw\"\n\t\t}\n\t}\n}");

    /* members berth does not know stay, in their order, after "auths" */
    spit(path, "{\"currentContext\":\"vm\",\"custom\":{\"k\":[1,\"<x>\"]},\"auths\":{\"b\":{},"
               "\"a\":{\"auth\":\"eDp5\",\"email\":\"e@x\"}}}");
    assert_int_equal(auth_file_load(&f, path, NULL), 0);
    struct auth_config same = {
            .username = "x", .password = "y", .email = "e@x", .server_address = "a"};
    assert_int_equal(auth_file_store(&f, &same, NULL), 0); /* unchanged: not written */
    struct auth_config tok = {.username = "x", .identity_token = "tok", .server_address = "c"};
    assert_int_equal(auth_file_store(&f, &tok, NULL), 1);
    auth_file_clear(&f);
    bt_autofree char *got = slurp(path);
    assert_string_equal(got, "{\n\t\"auths\": {\n\t\t\"a\": {\n\t\t\t\"auth\": \"eDp5\",\n\t\t\t"
                             "\"email\": \"e@x\"\n\t\t},\n\t\t\"b\": {},\n\t\t\"c\": {\n\t\t\t"
                             "\"auth\": \"eDo=\",\n\t\t\t\"identitytoken\": \"tok\"\n\t\t}\n\t},\n"
                             "\t\"currentContext\": \"vm\",\n\t\"custom\": {\n\t\t\"k\": [\n\t\t\t"
                             "1,\n\t\t\t\"\\u003cx\\u003e\"\n\t\t]\n\t}\n}");
    rmdir_all(dir);
}

static void test_auth_file_reads_as_docker(void **state)
{
    bt_autofree char *dir = tmpdir();
    bt_autofree char *path = bt_xasprintf("%s/config.json", dir);
    spit(path, "{\"auths\":{\"https://reg.example/v1/\":{\"auth\":\"dTpwOnc6\"},"
               "\"plain\":{\"username\":\"pu\",\"password\":\"pp\",\"identitytoken\":\"it\"},"
               "\"bad\":{\"auth\":\"!!!!\"},\"nocolon\":{\"auth\":\"YWJj\"},"
               "\"nouser\":{\"auth\":\"OnA=\"},\"nul\":{\"auth\":\"dTpwAA==\"}}}");
    struct auth_file f;
    struct auth_config a;
    assert_int_equal(auth_file_load(&f, path, NULL), 0);
    /* an old URL key serves its host; the password keeps its colons; the key is the entry's */
    assert_int_equal(auth_file_get(&f, "reg.example", &a, NULL), 1);
    assert_string_equal(a.username, "u");
    assert_string_equal(a.password, "p:w:");
    assert_string_equal(a.server_address, "https://reg.example/v1/");
    auth_config_clear(&a);
    assert_int_equal(auth_file_get(&f, "plain", &a, NULL), 1);
    assert_string_equal(a.username, "pu");
    assert_string_equal(a.identity_token, "it");
    auth_config_clear(&a);
    assert_int_equal(auth_file_get(&f, "nul", &a, NULL), 1);
    assert_string_equal(a.password, "p"); /* NULs trimmed, as decodeAuth does */
    auth_config_clear(&a);
    assert_int_equal(auth_file_get(&f, "other", &a, NULL), 0);
    assert_null(a.username);
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(auth_file_get(&f, "bad", &a, &err), -1);
    assert_non_null(strstr(bt_err_msg(err), "illegal base64 data at input byte 0"));
    bt_err_clear(&err);
    assert_int_equal(auth_file_get(&f, "nocolon", &a, &err), -1);
    assert_non_null(strstr(bt_err_msg(err), "Invalid auth configuration file"));
    bt_err_clear(&err);
    assert_int_equal(auth_file_get(&f, "nouser", &a, &err), -1);
    assert_non_null(strstr(bt_err_msg(err), "Invalid auth configuration file"));
    auth_file_clear(&f);

    /* an empty file is an empty configuration, a broken one an error naming the file */
    spit(path, " \n");
    assert_int_equal(auth_file_load(&f, path, NULL), 0);
    auth_file_clear(&f);
    spit(path, "[1]");
    bt_err_clear(&err);
    assert_int_equal(auth_file_load(&f, path, &err), -1);
    assert_non_null(strstr(bt_err_msg(err), path));
    rmdir_all(dir);
}

static void test_auth_file_writes_through_a_symlink(void **state)
{
    bt_autofree char *dir = tmpdir();
    bt_autofree char *link = bt_xasprintf("%s/config.json", dir);
    bt_autofree char *target = bt_xasprintf("%s/real.json", dir);
    assert_int_equal(symlink("real.json", link), 0); /* dangling */
    struct auth_file f;
    assert_int_equal(auth_file_load(&f, link, NULL), 0);
    struct auth_config a = {.username = "u", .password = "p", .server_address = "r"};
    assert_int_equal(auth_file_store(&f, &a, NULL), 1);
    auth_file_clear(&f);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    bt_autofree char *text = slurp(target);
    assert_non_null(strstr(text, "\"auth\": \"dTpw\""));
    rmdir_all(dir);
}

static void test_auth_resolve_reads_berths_file_then_dockers(void **state)
{
    bt_autofree char *dir = tmpdir();
    bt_autofree char *own = bt_xasprintf("%s/berth.json", dir);
    bt_autofree char *docker = bt_xasprintf("%s/docker.json", dir);
    spit(own, "{\"auths\":{\"a\":{\"auth\":\"Yjpi\"}}}");
    spit(docker, "{\"auths\":{\"a\":{\"auth\":\"ZDpk\"},\"d\":{\"auth\":\"ZDpk\"},\"h\":{}},"
                 "\"credsStore\":\"pass\",\"credHelpers\":{\"gcr.io\":\"gcloud\"}}");
    const char *files[] = {own, NULL, docker};
    struct auth_config a;
    int from;
    assert_int_equal(auth_resolve(files, 3, "a", &a, &from, NULL), 0);
    assert_string_equal(a.username, "b");
    assert_int_equal(from, 0);
    auth_config_clear(&a);
    assert_int_equal(auth_resolve(files, 3, "d", &a, &from, NULL), 0);
    assert_string_equal(a.username, "d");
    assert_int_equal(from, 2);
    auth_config_clear(&a);
    /* credsStore but nothing stored for the registry: no credentials, no error */
    assert_int_equal(auth_resolve(files, 3, "quay.io", &a, &from, NULL), 0);
    assert_null(a.username);
    assert_int_equal(from, -1);
    /* kept by a helper ({} is what docker login leaves in "auths" then): berth says so */
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(auth_resolve(files, 3, "h", &a, &from, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_UNSUPPORTED);
    assert_non_null(strstr(bt_err_msg(err), "docker-credential-pass"));
    assert_non_null(strstr(bt_err_msg(err), "berth login h"));
    bt_err_clear(&err);
    assert_int_equal(auth_resolve(files, 3, "gcr.io", &a, &from, &err), -1);
    assert_non_null(strstr(bt_err_msg(err), "docker-credential-gcloud (credHelpers of"));
    /* no files at all: nothing, "e30=" */
    const char *none[] = {NULL};
    assert_int_equal(auth_resolve(none, 1, "a", &a, &from, NULL), 0);
    assert_null(a.username);
    rmdir_all(dir);
}

static char *decode_url(const char *b64url)
{
    bt_autofree char *std = bt_xstrdup(b64url);
    for (char *p = std; *p; p++)
        *p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
    size_t len;
    return bt_base64_decode(std, &len, NULL);
}

static void test_auth_all_header_is_a_builds_registry_config(void **state)
{
    bt_autofree char *dir = tmpdir();
    bt_autofree char *own = bt_xasprintf("%s/berth.json", dir);
    bt_autofree char *docker = bt_xasprintf("%s/docker.json", dir);
    spit(own, "{\"auths\":{\"zz.example\":{\"auth\":\"Yjpi\"},\"bad\":{\"auth\":\"!\"}}}");
    spit(docker, "{\"auths\":{\"zz.example\":{\"auth\":\"YTpi\",\"email\":\"e@x\"},"
                 "\"https://index.docker.io/v1/\":{\"auth\":\"aHViOnNlY3JldA==\"},\"h\":{}}}");
    const char *files[] = {own, docker, NULL};
    bt_autofree char *h = auth_all_header(files, 3);
    bt_autofree char *json = decode_url(h);
    /* recorded from docker build with docker's file alone, zz.example then berth's */
    assert_string_equal(json, "{\"h\":{\"serveraddress\":\"h\"},\"https://index.docker.io/v1/\":{"
                              "\"username\":\"hub\",\"password\":\"secret\",\"serveraddress\":"
                              "\"https://index.docker.io/v1/\"},\"zz.example\":{\"username\":"
                              "\"b\",\"password\":\"b\",\"serveraddress\":\"zz.example\"}}");
    const char *none[] = {NULL};
    bt_autofree char *e = auth_all_header(none, 1);
    assert_string_equal(e, "e30=");
    rmdir_all(dir);
}

static void test_auth_docker_config_file_follows_docker_config(void **state)
{
    setenv("DOCKER_CONFIG", "/x/y", 1);
    bt_autofree char *a = auth_docker_config_file();
    assert_string_equal(a, "/x/y/config.json");
    unsetenv("DOCKER_CONFIG");
    setenv("HOME", "/home/z", 1);
    bt_autofree char *b = auth_docker_config_file();
    assert_string_equal(b, "/home/z/.docker/config.json");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_auth_keys_as_docker_makes_them),
            cmocka_unit_test(test_auth_header_is_dockers_bytes),
            cmocka_unit_test(test_auth_json_is_gos_marshal),
            cmocka_unit_test(test_auth_file_login_and_logout_write_dockers_bytes),
            cmocka_unit_test(test_auth_file_keeps_other_members_and_skips_unchanged),
            cmocka_unit_test(test_auth_file_reads_as_docker),
            cmocka_unit_test(test_auth_file_writes_through_a_symlink),
            cmocka_unit_test(test_auth_resolve_reads_berths_file_then_dockers),
            cmocka_unit_test(test_auth_all_header_is_a_builds_registry_config),
            cmocka_unit_test(test_auth_docker_config_file_follows_docker_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
