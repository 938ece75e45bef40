/* SPDX-License-Identifier: Apache-2.0 */
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "shared/base/cleanup.h"
#include "shared/base/log.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"

static void assert_matches(const char *s, const char *pattern)
{
    regex_t re;
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    int rc = regexec(&re, s, 0, NULL, 0);
    regfree(&re);
    if (rc != 0)
        fail_msg("\"%s\" does not match /%s/", s, pattern);
}

static void test_log_format_is_logrus_text(void **state)
{
    bt_autofree char *line = bt_log_format(BT_LOG_INFO, "API listen on /run/berth.sock");
    assert_matches(line,
                   "^time=\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z\" "
                   "level=info msg=\"API listen on /run/berth.sock\"\n$");
}

static void test_log_format_escapes_quotes_and_newlines(void **state)
{
    bt_autofree char *line = bt_log_format(BT_LOG_WARN, "say \"hi\"\nback\\slash");
    assert_non_null(strstr(line, "level=warning msg=\"say \\\"hi\\\"\\nback\\\\slash\"\n"));
}

static void test_log_levels_filter_and_file_output(void **state)
{
    char path[] = "/tmp/berth-test-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_log_open_file(path, &err), 0);
    bt_log_set_level(BT_LOG_WARN);
    bt_info("not shown");
    bt_debug("not shown either");
    bt_warn("shown %d", 1);
    bt_error("shown %d", 2);
    bt_log_set_level(BT_LOG_DEBUG);
    bt_debug("debug %s", "now");
    bt_log_set_fd(-1);

    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    assert_int_equal(bt_file_read(path, &sb, 0, &err), 0);
    unlink(path);
    assert_null(strstr(sb.buf, "not shown"));
    assert_non_null(strstr(sb.buf, "level=warning msg=\"shown 1\""));
    assert_non_null(strstr(sb.buf, "level=error msg=\"shown 2\""));
    assert_non_null(strstr(sb.buf, "level=debug msg=\"debug now\""));
    int lines = 0;
    for (const char *p = sb.buf; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 3);
}

static void test_log_parse_level(void **state)
{
    enum bt_log_level l;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_log_parse_level("DEBUG", &l, &err), 0);
    assert_int_equal(l, BT_LOG_DEBUG);
    assert_int_equal(bt_log_parse_level("warning", &l, &err), 0);
    assert_int_equal(l, BT_LOG_WARN);
    assert_int_equal(bt_log_parse_level("loud", &l, &err), -1);
    assert_string_equal(bt_err_msg(err), "unable to parse logging level: loud");
}

static void test_log_open_file_error_names_the_file(void **state)
{
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_log_open_file("/nonexistent-dir/x.log", &err), -1);
    assert_string_equal(bt_err_msg(err),
                        "open log file \"/nonexistent-dir/x.log\": No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_log_format_is_logrus_text),
            cmocka_unit_test(test_log_format_escapes_quotes_and_newlines),
            cmocka_unit_test(test_log_levels_filter_and_file_output),
            cmocka_unit_test(test_log_parse_level),
            cmocka_unit_test(test_log_open_file_error_names_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
