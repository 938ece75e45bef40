/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The progress stream as the docker CLI 28's jsonmessage shows it: a recorded pull stream fed
 * in small pieces, its output compared byte for byte with what the docker CLI printed for it
 * off a terminal and on terminals 120 and 80 columns wide (tests/data/jsonmsg); the bar and the
 * time left of JSONProgress.String() at fixed widths and clocks; errors and aux.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "host/cli/jsonmsg.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

#define SEC INT64_C(1000000000)

static char *slurp(const char *name, size_t *len)
{
    bt_autofree char *path = bt_xasprintf("%s/jsonmsg/%s", BERTH_TEST_DATA, name);
    struct bt_strbuf sb = BT_STRBUF_INIT;
    assert_int_equal(bt_file_read(path, &sb, 0, NULL), 0);
    *len = sb.len;
    return bt_strbuf_steal(&sb);
}

struct run {
    char *out;
    size_t len;
    char *error;
    int aux_calls;
    char *aux;
};

static void on_aux(void *arg, const json_t *aux)
{
    struct run *r = arg;
    r->aux_calls++;
    free(r->aux);
    r->aux = bt_json_dumps(aux);
}

/* Feed the stream in pieces of `step` bytes; what was printed, the error, the aux values. */
static void feed(struct jsonmsg *m, struct run *r, const char *stream, size_t len, size_t step)
{
    FILE *out = open_memstream(&r->out, &r->len);
    m->out = out;
    m->aux = on_aux;
    m->aux_arg = r;
    for (size_t off = 0; off < len; off += step)
        assert_int_equal(jsonmsg_sink(m, stream + off, len - off < step ? len - off : step), 0);
    bt_autoerr bt_err *err = NULL;
    if (jsonmsg_finish(m, &err) < 0)
        r->error = bt_xstrdup(bt_err_msg(err));
    fclose(out);
}

static void run_clear(struct run *r)
{
    free(r->out);
    free(r->error);
    free(r->aux);
}

static void check_golden(enum jsonmsg_mode mode, int width, const char *golden, size_t step)
{
    size_t slen, glen;
    bt_autofree char *stream = slurp("pull.json", &slen);
    bt_autofree char *want = slurp(golden, &glen);
    struct jsonmsg m = {.mode = mode, .width = width};
    struct run r = {0};
    feed(&m, &r, stream, slen, step);
    assert_int_equal(r.len, glen);
    assert_memory_equal(r.out, want, glen);
    /* the errorDetail ends it: its message is the error, nothing after it is shown */
    assert_string_equal(r.error, "boom: the end");
    assert_null(strstr(r.out, "after the error"));
    assert_int_equal(r.aux_calls, 1);
    assert_string_equal(r.aux, "{\"ID\":\"sha256:x\"}");
    run_clear(&r);
}

static int setup_utc(void **state)
{
    setenv("TZ", "UTC", 1);
    tzset();
    return 0;
}

static void test_jsonmsg_plain_is_dockers_output(void **state)
{
    check_golden(JSONMSG_PLAIN, 0, "pull-plain.out", 7);
    check_golden(JSONMSG_PLAIN, 0, "pull-plain.out", 100000);
    /* a file is no terminal: AUTO shows it plain */
    check_golden(JSONMSG_AUTO, 0, "pull-plain.out", 1);
}

static void test_jsonmsg_terminal_is_dockers_output(void **state)
{
    check_golden(JSONMSG_TERMINAL, 120, "pull-tty120.out", 5);
    check_golden(JSONMSG_TERMINAL, 80, "pull-tty80.out", 64);
}

static void test_jsonmsg_lines_move_with_new_ids(void **state)
{
    static const char stream[] = "{\"status\":\"Waiting\",\"progressDetail\":{},\"id\":\"a\"}\r\n"
                                 "{\"status\":\"Waiting\",\"progressDetail\":{},\"id\":\"b\"}\r\n"
                                 "{\"status\":\"Waiting\",\"progressDetail\":{},\"id\":\"c\"}\r\n"
                                 "{\"status\":\"Done\",\"progressDetail\":{},\"id\":\"a\"}\r\n"
                                 "{\"status\":\"plain line\"}\r\n"
                                 "{\"status\":\"Again\",\"progressDetail\":{},\"id\":\"a\"}\r\n";
    struct jsonmsg m = {.mode = JSONMSG_TERMINAL, .width = 200};
    struct run r = {0};
    feed(&m, &r, stream, strlen(stream), 3);
    /* a new id: a new line, up one, erase, write, down one; "a" three lines up later; a line
     * without an id forgets them, so "a" starts below it again */
    assert_string_equal(r.out, "\n\x1b[1A\x1b[2K\ra: Waiting \r\x1b[1B"
                               "\n\x1b[1A\x1b[2K\rb: Waiting \r\x1b[1B"
                               "\n\x1b[1A\x1b[2K\rc: Waiting \r\x1b[1B"
                               "\x1b[3A\x1b[2K\ra: Done \r\x1b[3B"
                               "plain line\n"
                               "\n\x1b[1A\x1b[2K\ra: Again \r\x1b[1B");
    assert_null(r.error);
    run_clear(&r);
}

static void test_jsonmsg_quiet_still_reports_errors(void **state)
{
    static const char stream[] = "{\"status\":\"x\"}\n{\"error\":\"only the old field\"}\n"
                                 "{\"errorDetail\":{\"message\":\"real\"},\"error\":\"real\"}\n";
    struct jsonmsg m = {0};
    struct run r = {0};
    feed(&m, &r, stream, strlen(stream), 4096);
    /* feed set out; with it the "error"-only message shows as an empty status line */
    assert_string_equal(r.out, "x\n\n");
    assert_string_equal(r.error, "real");
    run_clear(&r);
    struct jsonmsg q = {0};
    for (const char *p = stream; *p; p++)
        jsonmsg_sink(&q, p, 1);
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(jsonmsg_finish(&q, &err), -1);
    assert_string_equal(bt_err_msg(err), "real");
}

static char *progress(struct jsonmsg_progress p, int width, int64_t now)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    jsonmsg_progress_string(&p, width, now, &sb);
    return sb.buf ? bt_strbuf_steal(&sb) : bt_xstrdup("");
}

static void test_jsonmsg_progress_string_as_jsonprogress(void **state)
{
    struct {
        struct jsonmsg_progress p;
        int width;
        int64_t now;
        const char *want;
    } cases[] = {
            {{0}, 200, 0, ""},
            {{.current = 0, .total = -1}, 200, 0, ""},
            {{.current = 5}, 200, 0, "      5B"},
            {{.current = 7, .units = "items"}, 200, 0, "7 items"},
            {{.current = 1024, .total = 2150000},
             120,
             0,
             "[>                                                  ]  1.024kB/2.15MB"},
            {{.current = 1100000, .total = 2150000},
             111,
             0,
             "[=========================>                         ]    1.1MB/2.15MB"},
            {{.current = 1100000, .total = 2150000}, 110, 0, "   1.1MB/2.15MB"},
            /* past the total: the total is left out, the bar full */
            {{.current = 300, .total = 200},
             200,
             0,
             "[==================================================>]     300B"},
            {{.current = 10, .total = 100, .units = "items"}, 80, 0, "10/100 items"},
            {{.current = 110, .total = 100, .units = "items"}, 80, 0, "110 items"},
            {{.current = 7, .total = 9, .hide_counts = true}, 80, 0, ""},
            /* the time left: 10 s for 25 of 100, so 30 s more */
            {{.current = 25, .total = 100, .start = 1000},
             120,
             1010 * SEC,
             "[============>                                      ]      25B/100B 30s"},
            {{.current = 25, .total = 100, .start = 1000}, 51, 1010 * SEC, "     25B/100B 30s"},
            {{.current = 25, .total = 100, .start = 1000}, 50, 1010 * SEC, "     25B/100B"},
            /* 2.5 s rounds away from zero; hours show their minutes and seconds */
            {{.current = 2, .total = 7, .start = 1000}, 80, 1001 * SEC, "      2B/7B 3s"},
            {{.current = 1, .total = 3601, .start = 1000},
             80,
             1001 * SEC,
             "      1B/3.601kB 1h0m0s"},
            {{.current = 1, .total = 66, .start = 1000}, 80, 1002 * SEC, "      1B/66B 2m10s"},
            /* a start in the future counts down */
            {{.current = 1, .total = 3, .start = 1000}, 80, 999 * SEC, "      1B/3B -2s"},
            /* done (50 of 50 in the bar): no time left */
            {{.current = 100, .total = 100, .start = 1000}, 80, 1001 * SEC, "    100B/100B"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bt_autofree char *got = progress(cases[i].p, cases[i].width, cases[i].now);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_jsonmsg_plain_is_dockers_output),
            cmocka_unit_test(test_jsonmsg_terminal_is_dockers_output),
            cmocka_unit_test(test_jsonmsg_lines_move_with_new_ids),
            cmocka_unit_test(test_jsonmsg_quiet_still_reports_errors),
            cmocka_unit_test(test_jsonmsg_progress_string_as_jsonprogress),
    };
    return cmocka_run_group_tests(tests, setup_utc, NULL);
}
