/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth-monitor run BUNDLE          a container (BUNDLE holds config.json and monitor.json)
 * berth-monitor exec BUNDLE EXEC    a process exec'd into that container (EXEC/exec.json)
 *
 * Started by berthd with the control socket as fd 3. The monitor detaches at once (berthd
 * reaps the short-lived first process; the monitor itself lives on, reparented, in a session
 * of its own, so neither berthd's death nor its signals reach it), waits for "start" on the
 * control socket (after the attach clients that must not miss a byte of output), starts the
 * process through guest/engine/runtime and runs the event loop of monitor.c until it is over.
 */
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "guest/engine/monproto/monproto.h"
#include "guest/engine/runtime/runtime.h"
#include "guest/monitor/monitor.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/path.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

#define CTL_FD 3

static void die(const char *msg)
{
    /* stderr is the monitor.log in the bundle (berthd sets it up) */
    fprintf(stderr, "berth-monitor: %s\n", msg);
    exit(1);
}

/* Leave berthd: the first process exits at once, the second runs on in its own session. */
static void detach(void)
{
    pid_t p = fork();
    if (p < 0)
        die("fork failed");
    if (p > 0)
        _exit(0);
    setsid();
    if (chdir("/") < 0)
        die("chdir / failed");
}

static int block_sigchld(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGCHLD);
    sigprocmask(SIG_BLOCK, &s, NULL);
    return signalfd(-1, &s, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* Socket paths are limited to 108 bytes and exec roots can be deep: the socket is named
 * through /proc/self/fd/<dir>/, which the kernel resolves like any path. */
static int listen_ctl(const char *path)
{
    if (!path)
        return -1;
    bt_autofree char *dir = bt_path_dirname(path);
    bt_autofree char *base = bt_path_basename(path);
    bt_autoclose int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (dfd < 0 || snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d/%s", dfd, base) >=
                           (int)sizeof(a.sun_path))
        return -1;
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 8) < 0) {
        bt_fd_close(fd);
        return -1;
    }
    chmod(path, 0600);
    return fd;
}

/* Take control messages (attaches) until "start". */
static void await_start(struct mon *m)
{
    for (;;) {
        int rc = mon_handle_ctl(m, CTL_FD);
        if (rc < 0)
            die("berthd closed the control socket before start");
        if (rc == 1)
            return;
    }
}

/* Docker's exit status for a process that could not start (see moby's
 * translateContainerdStartErr): 127 not found, 126 not executable, 255 otherwise. */
static int start_failure_status(const bt_err *err)
{
    if (bt_err_is(err, BT_E_NOT_FOUND))
        return 127;
    if (bt_err_code(err) == EACCES || strstr(bt_err_msg(err), "permission denied"))
        return 126;
    return 255;
}

/* stdio of the process: pipes for stdout and stderr, and for stdin when it stays open; with
 * a terminal the runtime makes the pty and hands its master back. */
static int make_stdio(struct mon *m, bool open_stdin, struct rt_stdio *io, int child_ends[3])
{
    child_ends[0] = child_ends[1] = child_ends[2] = -1;
    io->fds[0] = io->fds[1] = io->fds[2] = -1;
    if (m->tty)
        return 0;
    int p[2];
    if (open_stdin) {
        if (pipe2(p, O_CLOEXEC) < 0)
            return -1;
        child_ends[0] = io->fds[0] = p[0];
        m->stdin_w = p[1];
    }
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    child_ends[1] = io->fds[1] = p[1];
    m->out_r = p[0];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    child_ends[2] = io->fds[2] = p[1];
    m->err_r = p[0];
    return 0;
}

static void after_start(struct mon *m, const struct rt_started *st, int child_ends[3])
{
    for (int i = 0; i < 3; i++)
        bt_fd_close(child_ends[i]);
    m->pid = st->pid;
    if (m->tty) {
        m->out_r = st->pty_master;
        m->stdin_w = st->pty_master;
    }
    bt_fd_set_nonblock(m->out_r, true, NULL);
    bt_fd_set_nonblock(m->err_r, true, NULL);
    monproto_send(CTL_FD, -1, NULL, "started %d", (int)m->pid);
}

static void write_exit_file(const char *path, int status, bool oom, struct timespec *ts)
{
    if (!path)
        return;
    bt_autoptr(json_t) doc = json_object();
    bt_json_set_int(doc, "ExitCode", status);
    bt_json_set_bool(doc, "OOMKilled", oom);
    bt_json_set_int(doc, "FinishedAtNanos", (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec);
    /* No fsync: the exec root is run-time state (a tmpfs, gone at reboot), and the file only
     * has to outlive berthd, which the page cache does. */
    bt_json_save_file_flags(path, doc, 0600, BT_FILE_NO_SYNC, NULL);
}

/* Whether the kernel's OOM killer struck in the container's cgroup: the oom_kill counter of
 * memory.events (v2) or memory.oom_control (v1, kernel 4.13 and later). */
static bool oom_killed(const char *cgroups_path)
{
    bt_autofree char *dir = rt_cgroup_dir(cgroups_path, "memory", NULL);
    if (!dir)
        return false;
    static const char *const files[] = {"memory.events", "memory.oom_control"};
    for (size_t i = 0; i < 2; i++) {
        bt_autofree char *path = bt_xasprintf("%s/%s", dir, files[i]);
        bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
        if (bt_file_read(path, &sb, 65536, NULL) < 0)
            continue;
        const char *p = strstr(bt_strbuf_str(&sb), "oom_kill ");
        if (p)
            return strtoll(p + 9, NULL, 10) > 0;
    }
    return false;
}

/* Compiled seccomp filters are kept in the exec root: compiling Docker's profile costs more
 * than the rest of a start (see rt_seccomp_cache_init). Without the cache a start compiles. */
static void use_seccomp_cache(const json_t *cfg)
{
    const char *dir = bt_json_get_str(cfg, "seccomp_cache", NULL);
    bt_autoerr bt_err *err = NULL;
    if (dir && rt_seccomp_cache_init(dir, &err) < 0)
        fprintf(stderr, "berth-monitor: seccomp cache: %s\n", bt_err_msg(err));
}

static json_t *load_json(const char *dir, const char *name)
{
    bt_autofree char *path = bt_xasprintf("%s/%s", dir, name);
    bt_autoerr bt_err *err = NULL;
    json_t *doc = bt_json_load_file(path, &err);
    if (!doc)
        die(bt_err_msg(err));
    return doc;
}

static int run_container(const char *bundle)
{
    bt_autoptr(json_t) cfg = load_json(bundle, "config.json");
    bt_autoptr(json_t) mcfg = load_json(bundle, "monitor.json");
    bt_autoerr bt_err *err = NULL;
    struct rt_spec *spec = rt_spec_from_json(cfg, bundle, &err);
    if (!spec) {
        monproto_send(CTL_FD, -1, NULL, "failed 255 %s", bt_err_msg(err));
        return 1;
    }
    use_seccomp_cache(mcfg);
    struct mon m;
    mon_init(&m);
    m.tty = bt_json_get_bool(mcfg, "tty", false);
    m.stdin_once = bt_json_get_bool(mcfg, "stdin_once", false);
    m.sigfd = block_sigchld();
    m.log = logfile_open_rotating(bt_json_get_str(mcfg, "log_path", NULL),
                                  bt_json_get_int(mcfg, "log_max_size", -1),
                                  (int)bt_json_get_int(mcfg, "log_max_file", 1), &err);
    if (!m.log) {
        monproto_send(CTL_FD, -1, NULL, "failed 255 %s", bt_err_msg(err));
        return 1;
    }
    const char *ctl_path = bt_json_get_str(mcfg, "ctl_socket", NULL);
    m.listen_fd = listen_ctl(ctl_path);
    mon_add_ctl(&m, CTL_FD);
    await_start(&m);

    struct rt_stdio io;
    int child_ends[3];
    struct rt_started st = {.pid = -1, .pty_master = -1};
    if (make_stdio(&m, bt_json_get_bool(mcfg, "open_stdin", false), &io, child_ends) < 0 ||
        rt_start(spec, &io, &st, &err) < 0) {
        if (!err)
            bt_err_errno(&err, errno, "pipe");
        monproto_send(CTL_FD, -1, NULL, "failed %d %s", start_failure_status(err), bt_err_msg(err));
        if (ctl_path)
            unlink(ctl_path);
        return 1;
    }
    after_start(&m, &st, child_ends);
    /* The spec (a big seccomp profile among it) is not needed while the container runs: give
     * its memory back, keeping the cgroup's path for the end. */
    const char *cg = rt_spec_cgroups_path(spec);
    bt_autofree char *cgroups_path = cg ? bt_xstrdup(cg) : NULL;
    rt_spec_free(spec);
    spec = NULL;
    json_decref(cfg);
    cfg = NULL;
    malloc_trim(0);
    mon_loop(&m);
    logfile_close(m.log);

    struct timespec done;
    clock_gettime(CLOCK_REALTIME, &done);
    bool oom = oom_killed(cgroups_path);
    rt_cgroup_remove(cgroups_path, NULL);
    write_exit_file(bt_json_get_str(mcfg, "exit_file", NULL), m.status, oom, &done);
    mon_broadcast(&m, "exited %d %d %lld", m.status, oom ? 1 : 0,
                  (long long)done.tv_sec * 1000000000 + done.tv_nsec);
    mon_await_recorded(&m, 2000);
    mon_close_clients(&m);
    if (ctl_path)
        unlink(ctl_path);
    return 0;
}

static int run_exec(const char *bundle, const char *execdir)
{
    bt_autoptr(json_t) cfg = load_json(bundle, "config.json");
    bt_autoptr(json_t) ecfg = load_json(execdir, "exec.json");
    bt_autoerr bt_err *err = NULL;
    struct rt_spec *spec = rt_spec_from_json(cfg, bundle, &err);
    struct rt_process *proc =
            spec ? rt_process_from_json(bt_json_get_obj(ecfg, "process"), &err) : NULL;
    if (!proc) {
        monproto_send(CTL_FD, -1, NULL, "failed 126 %s", bt_err_msg(err));
        return 1;
    }
    use_seccomp_cache(ecfg);
    struct mon m;
    mon_init(&m);
    m.tty = bt_json_get_bool(ecfg, "tty", false);
    m.stdin_once = true;
    m.sigfd = block_sigchld();
    m.log = logfile_open(NULL, NULL);
    mon_add_ctl(&m, CTL_FD);
    await_start(&m);

    struct rt_stdio io;
    int child_ends[3];
    struct rt_started st = {.pid = -1, .pty_master = -1};
    pid_t init_pid = (pid_t)bt_json_get_int(ecfg, "init_pid", 0);
    if (make_stdio(&m, bt_json_get_bool(ecfg, "open_stdin", false), &io, child_ends) < 0 ||
        rt_exec(spec, init_pid, proc, &io, &st, &err) < 0) {
        if (!err)
            bt_err_errno(&err, errno, "pipe");
        monproto_send(CTL_FD, -1, NULL, "failed %d %s", start_failure_status(err), bt_err_msg(err));
        return 1;
    }
    after_start(&m, &st, child_ends);
    mon_loop(&m);
    logfile_close(m.log);
    struct timespec done;
    clock_gettime(CLOCK_REALTIME, &done);
    mon_broadcast(&m, "exited %d 0 %lld", m.status,
                  (long long)done.tv_sec * 1000000000 + done.tv_nsec);
    mon_await_recorded(&m, 2000);
    mon_close_clients(&m);
    rt_process_free(proc);
    rt_spec_free(spec);
    return 0;
}

int main(int argc, char **argv)
{
    /* Writes to a container's stdin that it closed must fail with EPIPE, not kill us (the
     * runtime restores the default disposition in the container's process). */
    signal(SIGPIPE, SIG_IGN);
    if (argc == 3 && strcmp(argv[1], "run") == 0) {
        detach();
        return run_container(argv[2]);
    }
    if (argc == 4 && strcmp(argv[1], "exec") == 0) {
        detach();
        return run_exec(argv[2], argv[3]);
    }
    fprintf(stderr, "usage: berth-monitor run BUNDLE | berth-monitor exec BUNDLE EXECDIR\n"
                    "(started by berthd, with its control socket as fd 3)\n");
    return 2;
}
