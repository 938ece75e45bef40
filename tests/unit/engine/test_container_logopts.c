/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The json-file log's options (container/logopts.c) and its rotation in the monitor
 * (monitor/logfile.c): sizes as go-units reads them, dockerd's words for bad options, and at
 * most max-file files of about max-size each, the newest lines kept.
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

#include "guest/engine/container/container-internal.h"
#include "guest/monitor/logfile.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

static void test_container_logopts_human_size(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int64_t want; /* -1: refused */
    } cases[] = {
            {"1k", 1000}, {"1K", 1000},   {"10kb", 10000}, {"1.5MB", 1500000},
            {"2 g", 2e9}, {"3KiB", 3000}, {"42", 42},      {"0", 0},
            {"abc", -1},  {"", -1},       {"1x", -1},      {"-1k", -1},
            {"1.k", -1},  {"1kbb", -1},   {" 1k", -1},     {"99999999999999p", -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t got = -1;
        bt_err *e = NULL;
        int rc = ctr_parse_human_size(cases[i].in, &got, &e);
        if (cases[i].want < 0) {
            assert_int_equal(rc, -1);
            bt_autofree char *msg = bt_xasprintf("invalid size: '%s'", cases[i].in);
            assert_string_equal(bt_err_msg(e), msg);
            bt_err_free(e);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(got, cases[i].want);
        }
    }
}

static void expect_limits(const char *lc_text, int64_t size, int files, const char *msg)
{
    bt_autoptr(json_t) lc = json_loads(lc_text, 0, NULL);
    assert_non_null(lc);
    int64_t s = 0;
    int f = 0;
    bt_err *e = NULL;
    int rc = ctr_log_limits(lc, &s, &f, &e);
    if (msg) {
        assert_int_equal(rc, -1);
        assert_string_equal(bt_err_msg(e), msg);
        bt_err_free(e);
        return;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(s, size);
    assert_int_equal(f, files);
}

static void test_container_logopts_limits(void **state)
{
    (void)state;
    expect_limits("{\"Type\":\"json-file\",\"Config\":{}}", -1, 1, NULL);
    expect_limits("{\"Config\":{\"max-size\":\"1k\",\"max-file\":\"3\"}}", 1000, 3, NULL);
    expect_limits("{\"Config\":{\"max-file\":\"3\"}}", -1, 1, NULL); /* nothing to rotate */
    expect_limits("{\"Config\":{\"max-size\":\"0\"}}", 0, 0, "max-size must be a positive number");
    expect_limits("{\"Config\":{\"max-size\":\"1k\",\"max-file\":\"0\"}}", 0, 0,
                  "max-file cannot be less than 1");
    expect_limits("{\"Config\":{\"max-size\":\"1k\",\"max-file\":\"x\"}}", 0, 0,
                  "strconv.Atoi: parsing \"x\": invalid syntax");
    bt_autoptr(json_t) bad =
            json_loads("{\"Type\":\"json-file\",\"Config\":{\"foo\":\"1\"}}", 0, NULL);
    bt_err *e = NULL;
    assert_int_equal(ctr_log_check_opts(bad, &e), -1);
    assert_string_equal(bt_err_msg(e), "unknown log opt 'foo' for json-file log driver");
    bt_err_free(e);
    bt_autoptr(json_t) ok = json_loads(
            "{\"Type\":\"json-file\",\"Config\":{\"max-size\":\"1m\",\"tag\":\"x\"}}", 0, NULL);
    assert_int_equal(ctr_log_check_opts(ok, NULL), 0);
}

static int64_t file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? st.st_size : -1;
}

static void test_container_logopts_rotation(void **state)
{
    (void)state;
    char dir[] = "/tmp/berth-logrot-XXXXXX";
    assert_non_null(mkdtemp(dir));
    bt_autofree char *path = bt_xasprintf("%s/c-json.log", dir);
    struct logfile *l = logfile_open_rotating(path, 300, 3, NULL);
    assert_non_null(l);
    for (int i = 0; i < 100; i++) {
        char line[32];
        snprintf(line, sizeof(line), "line-%03d\n", i);
        logfile_write(l, "stdout", line, strlen(line));
    }
    logfile_close(l);
    bt_autofree char *p1 = bt_xasprintf("%s.1", path);
    bt_autofree char *p2 = bt_xasprintf("%s.2", path);
    bt_autofree char *p3 = bt_xasprintf("%s.3", path);
    /* three files, none much above 300 bytes (one line over at most) */
    assert_true(file_size(path) > 0 && file_size(path) < 300 + 80);
    assert_true(file_size(p1) >= 300 && file_size(p1) < 300 + 80);
    assert_true(file_size(p2) >= 300 && file_size(p2) < 300 + 80);
    assert_int_equal(file_size(p3), -1);
    /* the newest line is in the current file, the oldest are gone */
    bt_autostrbuf struct bt_strbuf cur = BT_STRBUF_INIT;
    assert_int_equal(bt_file_read(path, &cur, 1 << 20, NULL), 0);
    assert_non_null(strstr(cur.buf, "line-099"));
    bt_autostrbuf struct bt_strbuf oldest = BT_STRBUF_INIT;
    assert_int_equal(bt_file_read(p2, &oldest, 1 << 20, NULL), 0);
    assert_null(strstr(oldest.buf, "line-000"));
    /* one file only: no renames, the writer empties it when full */
    assert_int_equal(logfile_rotate_files(path, 1, NULL), 0);
    assert_int_equal(file_size(p3), -1);
    bt_autofree char *single = bt_xasprintf("%s/one.log", dir);
    l = logfile_open_rotating(single, 300, 1, NULL);
    for (int i = 0; i < 100; i++)
        logfile_write(l, "stderr", "0123456789\n", 11);
    logfile_close(l);
    bt_autofree char *single1 = bt_xasprintf("%s.1", single);
    assert_true(file_size(single) > 0 && file_size(single) < 300 + 80);
    assert_int_equal(file_size(single1), -1);
    bt_rm_rf(dir, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_container_logopts_human_size),
            cmocka_unit_test(test_container_logopts_limits),
            cmocka_unit_test(test_container_logopts_rotation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
