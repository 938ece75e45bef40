/* SPDX-License-Identifier: Apache-2.0 */
/* Following the guest's console (host/vm/console.c): markers, truncation, errors, the tail. */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/vm/console.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/fs/file.h"

static char *tmpdir;
static char *log_path;

static int setup(void **state)
{
    (void)state;
    tmpdir = bt_xstrdup("/tmp/berth-test-vm-console-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    log_path = bt_xasprintf("%s/console.log", tmpdir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bt_rm_rf(tmpdir, NULL);
    free(tmpdir);
    free(log_path);
    return 0;
}

static void msleep(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void append(const char *text, bool truncate)
{
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | (truncate ? O_TRUNC : 0), 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* A guest writing its console: steps of text, each after a delay, as QEMU would. */
struct step {
    int delay_ms;
    const char *text;
    bool truncate;
};

static void *writer(void *arg)
{
    for (const struct step *s = arg; s->text; s++) {
        msleep(s->delay_ms);
        append(s->text, s->truncate);
    }
    return NULL;
}

static int wait_with(const struct step *steps, const char *marker, int timeout_ms, char **line,
                     bt_err **err)
{
    pthread_t t;
    pthread_create(&t, NULL, writer, (void *)steps);
    int r = vm_console_wait(log_path, marker, timeout_ms, line, err);
    pthread_join(t, NULL);
    return r;
}

static void test_console_marker_in_a_line(void **state)
{
    (void)state;
    /* the file does not exist when the wait begins; the marker comes in pieces, after what
     * the kernel wrote on the same line, with a carriage return */
    const struct step steps[] = {
            {100, "[    0.000000] Linux version 6.1.0\r\n", false},
            {100, "[    2.1] random: crng init done\r\n[    2.2] berth-sta", false},
            {150, "ge: network 192.168.99.100\r\n", false},
            {0, NULL, false},
    };
    bt_autofree char *line = NULL;
    bt_autoerr bt_err *err = NULL;
    if (wait_with(steps, "berth-stage: network", 5000, &line, &err) < 0)
        fail_msg("wait: %s", bt_err_msg(err));
    assert_string_equal(line, "berth-stage: network 192.168.99.100");
}

static void test_console_truncated_file_is_read_again(void **state)
{
    (void)state;
    /* the last boot's log, longer than this boot's, without the marker */
    struct bt_strbuf old = BT_STRBUF_INIT;
    for (int i = 0; i < 400; i++)
        bt_strbuf_appendf(&old, "[ %d.0] the last boot, line %d\n", i, i);
    append(bt_strbuf_str(&old), true);
    bt_strbuf_free(&old);
    const struct step steps[] = {
            {300, "berth-stage: init\n", true},
            {0, NULL, false},
    };
    bt_autofree char *line = NULL;
    bt_autoerr bt_err *err = NULL;
    if (wait_with(steps, "berth-stage: init", 5000, &line, &err) < 0)
        fail_msg("wait: %s", bt_err_msg(err));
    assert_string_equal(line, "berth-stage: init");
}

static void *replace_log(void *arg)
{
    (void)arg;
    msleep(300);
    bt_autofree char *tmp = bt_xasprintf("%s.new", log_path);
    assert_int_equal(bt_file_write_atomic(tmp, "berth-stage: init\n", 18, 0644, NULL), 0);
    assert_int_equal(rename(tmp, log_path), 0);
    return NULL;
}

static void test_console_replaced_file_is_followed(void **state)
{
    (void)state;
    append("the last boot\n", true);
    pthread_t t;
    pthread_create(&t, NULL, replace_log, NULL);
    bt_autofree char *line = NULL;
    bt_autoerr bt_err *err = NULL;
    int r = vm_console_wait(log_path, "berth-stage: init", 5000, &line, &err);
    pthread_join(t, NULL);
    if (r < 0)
        fail_msg("wait: %s", bt_err_msg(err));
    assert_string_equal(line, "berth-stage: init");
}

static void test_console_error_marker(void **state)
{
    (void)state;
    const struct step steps[] = {
            {50, "berth-stage: init\nberth-error: disk: no disk labelled berth-data\n", false},
            {0, NULL, false},
    };
    bt_autofree char *line = NULL;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(wait_with(steps, "berth-stage: network", 5000, &line, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_UNAVAILABLE);
    assert_string_equal(bt_err_msg(err),
                        "the machine reported: berth-error: disk: no disk labelled berth-data");
    assert_string_equal(line, "berth-error: disk: no disk labelled berth-data");
}

static void test_console_timeout(void **state)
{
    (void)state;
    append("berth-stage: init\n", true);
    bt_autofree char *line = NULL;
    bt_autoerr bt_err *err = NULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(vm_console_wait(log_path, "berth-stage: engine", 700, &line, &err), -1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 700 && ms < 2000);
    assert_int_equal(bt_err_code(err), BT_E_TIMEOUT);
    assert_string_equal(bt_err_msg(err),
                        "timed out after 1 s waiting for \"berth-stage: engine\" on the console");
    assert_null(line);
}

static int polls;
static bool dies_at_third_poll(void *ctx)
{
    (void)ctx;
    return ++polls < 3;
}

static void test_console_machine_stopped(void **state)
{
    (void)state;
    append("Kernel panic - not syncing\n", true);
    polls = 0;
    struct vm_console_wait_opts o = {.path = log_path,
                                     .marker = "berth-stage: init",
                                     .timeout_ms = 10000,
                                     .alive = dies_at_third_poll};
    bt_autofree char *line = NULL;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(vm_console_wait_full(&o, &line, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_UNAVAILABLE);
    assert_string_equal(bt_err_msg(err),
                        "the machine stopped before \"berth-stage: init\" appeared on the console");
    assert_null(line);
}

static void test_console_tail(void **state)
{
    (void)state;
    append("one\r\ntwo\r\nthree \x1b[0mcolour\r\nfour\r\nfive\r\n\r\n", true);
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *t3 = vm_console_tail(log_path, 3, &err);
    assert_string_equal(t3, "three [0mcolour\nfour\nfive");
    bt_autofree char *t9 = vm_console_tail(log_path, 9, &err);
    assert_string_equal(t9, "one\ntwo\nthree [0mcolour\nfour\nfive");
    bt_autofree char *t1 = vm_console_tail(log_path, 1, &err);
    assert_string_equal(t1, "five");
    append("", true);
    bt_autofree char *t0 = vm_console_tail(log_path, 3, &err);
    assert_string_equal(t0, "");
    /* a last line without its newline yet */
    append("a\nb", true);
    bt_autofree char *tb = vm_console_tail(log_path, 1, &err);
    assert_string_equal(tb, "b");
    unlink(log_path);
    assert_null(vm_console_tail(log_path, 3, &err));
    assert_true(bt_err_is(err, BT_E_NOT_FOUND));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_console_marker_in_a_line, setup, teardown),
            cmocka_unit_test_setup_teardown(test_console_truncated_file_is_read_again, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_console_replaced_file_is_followed, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_console_error_marker, setup, teardown),
            cmocka_unit_test_setup_teardown(test_console_timeout, setup, teardown),
            cmocka_unit_test_setup_teardown(test_console_machine_stopped, setup, teardown),
            cmocka_unit_test_setup_teardown(test_console_tail, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
