/* SPDX-License-Identifier: Apache-2.0 */
/* Running QEMU and qemu-img: fork and exec with exactly the descriptors the child needs. */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/vm/vm-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/mem.h"
#include "shared/fs/self.h"

long long vm_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void vm_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

char *vm_last_lines(const char *text, unsigned n)
{
    size_t len = strlen(text);
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        len--;
    size_t start = len;
    unsigned lines = 0;
    while (start > 0) {
        if (text[start - 1] == '\n' && ++lines == n)
            break;
        start--;
    }
    return bt_xstrndup(text + start, len - start);
}

/*
 * In the child, between fork and exec: only async-signal-safe calls. stdin is /dev/null,
 * stdout and stderr go to out_fd, keep_fd (if any) becomes VM_QEMU_TAP_FD, and every other
 * descriptor is closed on exec (the library's callers may hold any number of them).
 */
static void child_exec(char *const argv[], int devnull, int out_fd, int keep_fd)
{
    if (keep_fd >= 0 && keep_fd != VM_QEMU_TAP_FD) {
        /* move it clear of 0..3 first, so the dup2()s below cannot overwrite it */
        int moved = fcntl(keep_fd, F_DUPFD, 10);
        if (moved < 0)
            _exit(126);
        keep_fd = moved;
    }
    if (dup2(devnull, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
        _exit(126);
    if (keep_fd >= 0) {
        if (keep_fd != VM_QEMU_TAP_FD && dup2(keep_fd, VM_QEMU_TAP_FD) < 0)
            _exit(126);
        if (fcntl(VM_QEMU_TAP_FD, F_SETFD, 0) < 0)
            _exit(126);
    }
    syscall(SYS_close_range, keep_fd >= 0 ? VM_QEMU_TAP_FD + 1 : 3, ~0U, CLOSE_RANGE_CLOEXEC);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    execvp(argv[0], argv);
    _exit(errno == ENOENT ? 127 : 126);
}

/* True when prog (a path, or a name looked up in $PATH) is an executable file. Asked before the
 * fork: execvp's own answer after a miss is EACCES when any directory of PATH was unreadable,
 * which would hide "not installed" behind "cannot run". */
static bool on_path(const char *prog)
{
    bt_autofree char *file = bt_path_lookup(prog, "/usr/local/bin:/usr/bin:/bin");
    return file != NULL;
}

static int not_installed(const char *prog, bt_err **err)
{
    return bt_err_set(err, BT_E_UNAVAILABLE, "%s is not installed (not found on PATH)", prog);
}

static int exec_failed(const char *prog, int status, bt_err **err)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return not_installed(prog, err);
    return bt_err_set(err, BT_E_UNAVAILABLE, "cannot run %s", prog);
}

/* Read the child's output until EOF or the deadline. */
static void collect(int fd, struct bt_strbuf *out, long long deadline)
{
    for (;;) {
        long long left = deadline - vm_now_ms();
        if (left <= 0)
            return;
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
        char *buf = bt_strbuf_reserve(out, 4096);
        ssize_t n = read(fd, buf, 4096);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        bt_strbuf_commit(out, (size_t)n);
    }
}

int vm_run(char *const argv[], const struct vm_run_opts *opts, struct bt_strbuf *out, int *status,
           bt_err **err)
{
    if (!on_path(argv[0]))
        return not_installed(argv[0], err);
    int keep_fd = opts ? opts->keep_fd : -1;
    int timeout = opts && opts->timeout_ms > 0 ? opts->timeout_ms : 60000;
    bt_autoclose int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    int pfd[2];
    if (devnull < 0)
        return bt_err_errno(err, errno, "open /dev/null");
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return bt_err_errno(err, errno, "pipe");
    bt_autoclose int rd = pfd[0];
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[1]);
        return bt_err_errno(err, errno, "fork for %s", argv[0]);
    }
    if (pid == 0)
        child_exec(argv, devnull, pfd[1], keep_fd);
    close(pfd[1]);
    bt_autostrbuf struct bt_strbuf scratch = BT_STRBUF_INIT;
    struct bt_strbuf *buf = out ? out : &scratch;
    size_t before = buf->len;
    long long deadline = vm_now_ms() + timeout;
    collect(rd, buf, deadline);
    int st = 0;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            return bt_err_errno(err, errno, "wait for %s", argv[0]);
        if (vm_now_ms() >= deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return bt_err_set(err, BT_E_TIMEOUT, "%s did not finish in %d s", argv[0],
                              (timeout + 999) / 1000);
        }
        vm_sleep_ms(20);
    }
    if (WIFEXITED(st) && (WEXITSTATUS(st) == 127 || WEXITSTATUS(st) == 126) && buf->len == before)
        return exec_failed(argv[0], st, err);
    if (status)
        *status = st;
    return 0;
}

pid_t vm_spawn(char *const argv[], int out_fd, bt_err **err)
{
    if (!on_path(argv[0]))
        return not_installed(argv[0], err);
    bt_autoclose int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0)
        return bt_err_errno(err, errno, "open /dev/null");
    pid_t pid = fork();
    if (pid < 0)
        return bt_err_errno(err, errno, "fork for %s", argv[0]);
    if (pid == 0)
        child_exec(argv, devnull, out_fd >= 0 ? out_fd : devnull, -1);
    return pid;
}
