/* SPDX-License-Identifier: Apache-2.0 */
/* ssh:// URLs (table: tests/data/transport/ssh-urls.tsv), the remote command, shell quoting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/transport/transport.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

static char *field(char **line)
{
    char *start = *line;
    if (!start)
        return NULL;
    char *tab = strchr(start, '\t');
    if (tab) {
        *tab = '\0';
        *line = tab + 1;
    } else {
        *line = NULL;
    }
    return start;
}

/* \xNN escapes of the table, decoded in place */
static void unescape(char *s)
{
    char *o = s;
    for (char *p = s; *p;) {
        if (p[0] == '\\' && p[1] == 'x' && p[2] && p[3]) {
            char hex[3] = {p[2], p[3], 0};
            *o++ = (char)strtol(hex, NULL, 16);
            p += 4;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
}

static void test_ssh_url_table(void **state)
{
    FILE *f = fopen(BERTH_TEST_DATA "/transport/ssh-urls.tsv", "r");
    assert_non_null(f);
    char buf[2048];
    int cases = 0;
    while (fgets(buf, sizeof(buf), f)) {
        buf[strcspn(buf, "\n")] = '\0';
        if (buf[0] == '#')
            continue;
        char *rest = buf;
        char *in = field(&rest);
        char *want = field(&rest);
        assert_non_null(want);
        unescape(in);
        cases++;
        bt_autoerr bt_err *err = NULL;
        struct tp_ssh_url u;
        int rc = tp_ssh_url_parse(in, &u, &err);
        if (want[0] == '!') {
            if (rc == 0)
                fail_msg("\"%s\" parsed, want error \"%s\"", in, want + 1);
            if (strcmp(bt_err_msg(err), want + 1) != 0)
                fail_msg("\"%s\": error \"%s\", want \"%s\"", in, bt_err_msg(err), want + 1);
            assert_int_equal(bt_err_code(err), BT_E_INVALID);
            assert_null(u.host);
            continue;
        }
        if (rc < 0)
            fail_msg("\"%s\": %s", in, bt_err_msg(err));
        const char *host = field(&rest), *port = field(&rest), *path = field(&rest);
        assert_non_null(path);
        unescape((char *)host);
        if (strcmp(want, "-") == 0)
            assert_null(u.user);
        else if (!u.user || strcmp(u.user, want) != 0)
            fail_msg("\"%s\": user \"%s\", want \"%s\"", in, u.user ? u.user : "(none)", want);
        if (strcmp(u.host, host) != 0)
            fail_msg("\"%s\": host \"%s\", want \"%s\"", in, u.host, host);
        assert_int_equal(u.port, atoi(port));
        if (strcmp(u.path, path) != 0)
            fail_msg("\"%s\": path \"%s\", want \"%s\"", in, u.path, path);
        tp_ssh_url_free(&u);
    }
    fclose(f);
    assert_true(cases >= 50);
}

static char *command_of(const char *url)
{
    struct tp_ssh_url u;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(tp_ssh_url_parse(url, &u, &err), 0);
    bt_autostrv char **argv = tp_ssh_url_command(&u);
    tp_ssh_url_free(&u);
    char *line = tp_shell_join((const char *const *)argv, &err);
    assert_non_null(line);
    return line;
}

/* docker: `strings.Trim(sp.Path, "/") != ""` picks --host=unix://PATH, quoted for the shell */
static void test_ssh_url_command_names_the_socket_only_for_a_real_path(void **state)
{
    bt_autofree char *a = command_of("ssh://example.com");
    bt_autofree char *b = command_of("ssh://example.com/");
    bt_autofree char *c = command_of("ssh://example.com//");
    bt_autofree char *d = command_of("ssh://me@example.com:10022/var/run/berth.sock");
    bt_autofree char *e =
            command_of("ssh://example.com/var/run/docker.sock '$(echo hello > /hello.txt)'");
    assert_string_equal(a, "berthd dial-stdio");
    assert_string_equal(b, "berthd dial-stdio");
    assert_string_equal(c, "berthd dial-stdio");
    assert_string_equal(d, "berthd dial-stdio '--host=unix:///var/run/berth.sock'");
    /* the same quoting the docker CLI's test expects for this path */
    assert_string_equal(e, "berthd dial-stdio \"--host=unix:///var/run/docker.sock "
                           "'\\$(echo hello > /hello.txt)'\"");
}

static void expect_quote(const char *in, const char *want)
{
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *q = tp_shell_quote(in, &err);
    if (!q)
        fail_msg("quote \"%s\": %s", in, bt_err_msg(err));
    if (strcmp(q, want) != 0)
        fail_msg("quote \"%s\" = %s, want %s", in, q, want);
}

static void expect_unquotable(const char *in, const char *msg)
{
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *q = tp_shell_quote(in, &err);
    if (q)
        fail_msg("quote \"%s\" = %s, want an error", in, q);
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
    assert_string_equal(bt_err_msg(err), msg);
}

static void test_ssh_url_shell_quote_like_the_docker_cli(void **state)
{
    expect_quote("", "''");
    expect_quote("berthd", "berthd");
    expect_quote("dial-stdio", "dial-stdio");
    expect_quote("/run/berth.sock", "/run/berth.sock");
    expect_quote("a b", "'a b'");
    expect_quote("--host=unix:///x", "'--host=unix:///x'");
    expect_quote("$(reboot)", "'$(reboot)'");
    expect_quote("it's", "\"it's\"");
    expect_quote("'$x`y\"\\", "\"'\\$x\\`y\\\"\\\\\"");
    expect_quote("if", "'if'");
    expect_quote("{", "'{'");
    expect_quote("elif", "elif"); /* not in bash's keyword table mvdan/sh copies */
    expect_quote("~root", "'~root'");
    expect_quote("h\xc3\xa9llo", "h\xc3\xa9llo");
    expect_unquotable("a\tb", "cannot quote character at byte 1: POSIX shell lacks escape "
                              "sequences"); /* Go's unicode.IsPrint('\t') is false */
    expect_unquotable("\xff", "cannot quote character at byte 0: POSIX shell lacks escape "
                              "sequences");
    expect_unquotable("\xc2\x85", "cannot quote character at byte 0: POSIX shell lacks escape "
                                  "sequences"); /* C1 control NEL */
    expect_unquotable("\xc0\xaf", "cannot quote character at byte 0: POSIX shell lacks escape "
                                  "sequences"); /* overlong '/' */
}

static void test_ssh_url_shell_join_refuses_an_empty_command(void **state)
{
    bt_autoerr bt_err *err = NULL;
    const char *none[] = {NULL};
    assert_null(tp_shell_join(none, &err));
    assert_string_equal(bt_err_msg(err), "no remote command specified");
    bt_err_clear(&err);
    const char *bad[] = {"cat", "a\nb", NULL};
    assert_null(tp_shell_join(bad, &err));
    assert_string_equal(bt_err_msg(err), "invalid argument 1 of the remote command: cannot quote "
                                         "character at byte 1: POSIX shell lacks escape "
                                         "sequences");
    const char *ok[] = {"sh", "-c", "cat; exit 3", NULL};
    bt_autofree char *line = tp_shell_join(ok, NULL);
    assert_string_equal(line, "sh -c 'cat; exit 3'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_ssh_url_table),
            cmocka_unit_test(test_ssh_url_command_names_the_socket_only_for_a_real_path),
            cmocka_unit_test(test_ssh_url_shell_quote_like_the_docker_cli),
            cmocka_unit_test(test_ssh_url_shell_join_refuses_an_empty_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
