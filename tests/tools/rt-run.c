/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth-rt-run: the runtime (guest/engine/runtime) from the command line, for tests; a thin
 * `crun run` / `crun exec`.
 *
 *   berth-rt-run run [--pid-file FILE] [--seccomp-cache DIR] BUNDLE
 *   berth-rt-run exec --pid PID BUNDLE PROCESS_JSON
 *   berth-rt-run defaults [CAP...]
 *
 * run starts BUNDLE/config.json in the foreground with this program's stdio (or, with
 * process.terminal, a pty relayed to it), forwards signals, waits, removes the cgroup and
 * exits with the container's status (128 + signal for a signal); --pid-file writes the pid of
 * its first process, --seccomp-cache keeps compiled filters in DIR (rt_seccomp_cache_init). exec
 * runs PROCESS_JSON (an OCI process object) in the running container whose first process is PID.
 * defaults prints the runtime's Docker defaults as JSON ({"caps", "maskedPaths", "readonlyPaths",
 * "seccomp"}), the seccomp profile made for CAPs (Docker's default capabilities when none are
 * given), so that tests build their specs from the same data the engine uses. Errors go to stderr;
 * the exit code is 127 when the command was not found, 126 when it could not be run, 125 for any
 * other failure, as `docker run` reports them.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "guest/engine/runtime/runtime.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/mem.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

static volatile sig_atomic_t child_pid;
static volatile sig_atomic_t winch;

static void forward(int sig)
{
    if (sig == SIGWINCH)
        winch = 1;
    else if (child_pid > 0)
        kill((pid_t)child_pid, sig);
}

static void install_forwarding(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
    struct sigaction sa = {.sa_handler = forward};
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
}

static int fail(bt_err *e)
{
    int code = bt_err_is(e, BT_E_NOT_FOUND) ? 127 : bt_err_code(e) == EACCES ? 126 : 125;
    bt_err_report(e, "berth-rt-run");
    return code;
}

static void copy_winsize(int master)
{
    struct winsize ws;
    /* A terminal that knows no size (0x0) would only erase process.consoleSize. */
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
        ioctl(master, TIOCSWINSZ, &ws);
}

/* Copy between our stdio and the pty until the container side hangs up. */
static void relay(int master)
{
    struct termios saved, raw;
    bool tty = tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) {
        raw = saved;
        cfmakeraw(&raw);
        tcsetattr(STDIN_FILENO, TCSANOW, &raw);
        copy_winsize(master);
    }
    struct pollfd pfd[2] = {{STDIN_FILENO, POLLIN, 0}, {master, POLLIN, 0}};
    char buf[8192];
    for (;;) {
        if (winch) {
            winch = 0;
            copy_winsize(master);
        }
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(master, buf, sizeof(buf));
            if (n <= 0 || bt_fd_write_all(STDOUT_FILENO, buf, (size_t)n, NULL) < 0)
                break;
        }
        if (pfd[0].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
            if (n <= 0)
                pfd[0].fd = -1; /* our stdin ended: stop reading it, keep the output */
            else
                bt_fd_write_all(master, buf, (size_t)n, NULL);
        }
    }
    if (tty)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}

/* Wait for the process; its status as a shell reports it. */
static int wait_status(const struct rt_started *st)
{
    child_pid = st->pid;
    if (st->pty_master >= 0) {
        relay(st->pty_master);
        close(st->pty_master);
    }
    int status;
    while (waitpid(st->pid, &status, 0) < 0) {
        if (errno != EINTR)
            return 125;
    }
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

static struct rt_spec *load_spec(const char *bundle, bt_err **err)
{
    bt_autofree char *path = bt_xasprintf("%s/config.json", bundle);
    bt_autoptr(json_t) config = bt_json_load_file(path, err);
    return config ? rt_spec_from_json(config, bundle, err) : NULL;
}

/* --seccomp-cache DIR, for run and exec alike. */
static int use_cache(const char *dir)
{
    bt_err *err = NULL;
    if (dir && rt_seccomp_cache_init(dir, &err) < 0)
        return fail(err);
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    const char *pid_file = NULL, *cache = NULL;
    int i = 2;
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--pid-file") == 0)
            pid_file = argv[i + 1];
        else if (strcmp(argv[i], "--seccomp-cache") == 0)
            cache = argv[i + 1];
        else
            break;
    }
    if (i + 1 != argc) {
        fprintf(stderr, "usage: berth-rt-run run [--pid-file FILE] [--seccomp-cache DIR] BUNDLE\n");
        return 125;
    }
    int rc = use_cache(cache);
    if (rc)
        return rc;
    bt_err *err = NULL;
    bt_autoptr(rt_spec) spec = load_spec(argv[i], &err);
    if (!spec)
        return fail(err);
    struct rt_stdio io = {{STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}};
    struct rt_started st;
    install_forwarding();
    if (rt_start(spec, &io, &st, &err) < 0)
        return fail(err);
    if (pid_file) {
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%d\n", (int)st.pid);
        if (bt_file_write_atomic(pid_file, buf, (size_t)n, 0644, &err) < 0)
            bt_err_report(bt_steal_ptr(&err), "berth-rt-run");
    }
    int status = wait_status(&st);
    if (rt_cgroup_remove(rt_spec_cgroups_path(spec), &err) < 0)
        bt_err_report(err, "berth-rt-run");
    return status;
}

static int cmd_exec(int argc, char **argv)
{
    if (argc != 6 || strcmp(argv[2], "--pid") != 0) {
        fprintf(stderr, "usage: berth-rt-run exec --pid PID BUNDLE PROCESS_JSON\n");
        return 125;
    }
    bt_err *err = NULL;
    bt_autoptr(rt_spec) spec = load_spec(argv[4], &err);
    if (!spec)
        return fail(err);
    bt_autoptr(json_t) pj = bt_json_load_file(argv[5], &err);
    if (!pj)
        return fail(err);
    bt_autoptr(rt_process) proc = rt_process_from_json(pj, &err);
    if (!proc)
        return fail(err);
    struct rt_stdio io = {{STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}};
    struct rt_started st;
    install_forwarding();
    if (rt_exec(spec, (pid_t)atoi(argv[3]), proc, &io, &st, &err) < 0)
        return fail(err);
    return wait_status(&st);
}

static int cmd_defaults(int argc, char **argv)
{
    const char *const *caps = argc > 2 ? (const char *const *)argv + 2 : rt_docker_default_caps;
    bt_autoptr(json_t) out = json_object();
    json_object_set_new(out, "caps", bt_json_strv((char *const *)rt_docker_default_caps));
    json_object_set_new(out, "maskedPaths", bt_json_strv((char *const *)rt_docker_masked_paths));
    json_object_set_new(out, "readonlyPaths",
                        bt_json_strv((char *const *)rt_docker_readonly_paths));
    json_object_set_new(out, "seccomp", rt_docker_default_seccomp(caps));
    bt_autofree char *text = bt_json_dumps_pretty(out, 2);
    puts(text);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "run") == 0)
        return cmd_run(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "exec") == 0)
        return cmd_exec(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "defaults") == 0)
        return cmd_defaults(argc, argv);
    fprintf(stderr, "usage: berth-rt-run run [--pid-file FILE] [--seccomp-cache DIR] BUNDLE\n"
                    "       berth-rt-run exec --pid PID BUNDLE PROCESS_JSON\n"
                    "       berth-rt-run defaults [CAP...]\n");
    return 125;
}
