/* SPDX-License-Identifier: Apache-2.0 */
/* Running programs (host/vm/process.c: what starts QEMU and qemu-img) and QMP over a socket
 * (host/vm/qmp.c) against a scripted server. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/vm/vm-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/fs/file.h"

static void test_process_output_and_status(void **state)
{
    (void)state;
    char *argv[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    int status = 0;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(vm_run(argv, NULL, &out, &status, &err), 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 3);
    assert_string_equal(bt_strbuf_str(&out), "out\nerr\n");
}

static void test_process_keeps_only_the_tap_fd(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    /* an fd the caller holds that the child must not see, and the one it must see as fd 3 */
    int stray = open("/dev/null", O_RDONLY); /* not close-on-exec */
    assert_true(stray > 3);
    char *argv[] = {"sh", "-c",
                    "readlink /proc/self/fd/3; ls /proc/self/fd | sort -n | tr '\\n' ' '", NULL};
    struct vm_run_opts o = {.keep_fd = p[0]};
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    int status = 0;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(vm_run(argv, &o, &out, &status, &err), 0);
    assert_int_equal(WEXITSTATUS(status), 0);
    const char *s = bt_strbuf_str(&out);
    assert_memory_equal(s, "pipe:[", 6);
    /* 0, 1, 2, 3 and ls's own directory fd; never the stray one */
    const char *fds = strchr(s, '\n') + 1;
    assert_string_equal(fds, "0 1 2 3 4 ");
    close(stray);
    close(p[0]);
    close(p[1]);
}

static void test_process_not_installed(void **state)
{
    (void)state;
    char *argv[] = {"berth-no-such-program", NULL};
    bt_autoerr bt_err *err = NULL;
    int status;
    assert_int_equal(vm_run(argv, NULL, NULL, &status, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_UNAVAILABLE);
    assert_string_equal(bt_err_msg(err),
                        "berth-no-such-program is not installed (not found on PATH)");
}

static void test_process_timeout(void **state)
{
    (void)state;
    char *argv[] = {"sleep", "10", NULL};
    struct vm_run_opts o = {.keep_fd = -1, .timeout_ms = 300};
    bt_autoerr bt_err *err = NULL;
    int status;
    long long t0 = vm_now_ms();
    assert_int_equal(vm_run(argv, &o, NULL, &status, &err), -1);
    assert_true(vm_now_ms() - t0 < 3000);
    assert_int_equal(bt_err_code(err), BT_E_TIMEOUT);
    assert_string_equal(bt_err_msg(err), "sleep did not finish in 1 s");
}

static void test_process_last_lines(void **state)
{
    (void)state;
    bt_autofree char *a = vm_last_lines("one\ntwo\nthree\n\n", 2);
    assert_string_equal(a, "two\nthree");
    bt_autofree char *b = vm_last_lines("only", 3);
    assert_string_equal(b, "only");
    bt_autofree char *c = vm_last_lines("", 3);
    assert_string_equal(c, "");
}

/* ---- QMP against a scripted server ---------------------------------------------------------- */

struct qmp_server {
    int listen_fd;
    char received[4096];
};

static void send_text(int fd, const char *s)
{
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* Read one command line from the client into buf. */
static void read_command(int fd, char *buf, size_t len)
{
    size_t n = 0;
    while (n + 1 < len) {
        ssize_t r = read(fd, buf + n, 1);
        if (r <= 0 || buf[n] == '\n')
            break;
        n++;
    }
    buf[n] = 0;
}

static void *qmp_server(void *arg)
{
    struct qmp_server *s = arg;
    int c = accept(s->listen_fd, NULL, NULL);
    char cmd[512];
    /* the greeting and the capabilities' return, as QEMU 7.2 sends them */
    send_text(c, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}}, "
                 "\"capabilities\": [\"oob\"]}}\r\n");
    read_command(c, cmd, sizeof(cmd));
    strcat(s->received, cmd);
    send_text(c, "{\"return\": {}}\r\n");
    read_command(c, cmd, sizeof(cmd));
    strcat(s->received, cmd);
    /* an event first, and the answer split over two writes */
    send_text(c, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"POWERDOWN\"}"
                 "\r\n{\"return\": {\"status\": \"run");
    usleep(50000);
    send_text(c, "ning\", \"running\": true}}\r\n");
    read_command(c, cmd, sizeof(cmd));
    strcat(s->received, cmd);
    send_text(c, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}}\r\n");
    close(c);
    return NULL;
}

static void test_qmp_conversation(void **state)
{
    (void)state;
    bt_autofree char *dir = bt_xstrdup("/tmp/berth-test-vm-qmp-XXXXXX");
    assert_non_null(mkdtemp(dir));
    bt_autofree char *path = bt_xasprintf("%s/qmp.sock", dir);
    struct qmp_server s = {.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    assert_int_equal(bind(s.listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(s.listen_fd, 1), 0);
    pthread_t t;
    pthread_create(&t, NULL, qmp_server, &s);

    bt_autoerr bt_err *err = NULL;
    struct vm_qmp *q = vm_qmp_connect(path, 2000, &err);
    if (!q)
        fail_msg("connect: %s", bt_err_msg(err));
    json_t *ret = NULL;
    assert_int_equal(vm_qmp_execute(q, "query-status", NULL, &ret, 2000, &err), 0);
    assert_string_equal(json_string_value(json_object_get(ret, "status")), "running");
    json_decref(ret);
    assert_int_equal(vm_qmp_execute(q, "system_powerdown", NULL, NULL, 2000, &err), -1);
    assert_string_equal(bt_err_msg(err), "QMP system_powerdown: QMP: GenericError: no");
    bt_err_clear(&err);
    /* QEMU gone: an error, not a hang and not SIGPIPE */
    assert_int_equal(vm_qmp_execute(q, "quit", NULL, NULL, 2000, &err), -1);
    assert_non_null(err);
    vm_qmp_close(q);
    pthread_join(t, NULL);
    assert_string_equal(s.received, "{\"execute\":\"qmp_capabilities\"}\r"
                                    "{\"execute\":\"query-status\"}\r"
                                    "{\"execute\":\"system_powerdown\"}\r");
    close(s.listen_fd);
    bt_rm_rf(dir, NULL);

    /* nobody there */
    assert_null(vm_qmp_connect(path, 500, &err));
    assert_true(bt_err_is(err, BT_E_NOT_FOUND));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_process_output_and_status),
            cmocka_unit_test(test_process_keeps_only_the_tap_fd),
            cmocka_unit_test(test_process_not_installed),
            cmocka_unit_test(test_process_timeout),
            cmocka_unit_test(test_process_last_lines),
            cmocka_unit_test(test_qmp_conversation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
