/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The parent's side of starting a container process, shared by rt_start and rt_exec:
 *
 *   parent                                   child (clone(2), in its new namespaces)
 *   ------                                   -----
 *   socketpair (SEQPACKET, cloexec)
 *   open the cgroup's join fds (cgroup.h)
 *   clone(CLONE_NEW*) ---------------------> joins its v1 cgroups itself ("0" to tasks)
 *     (v2: clone3 CLONE_INTO_CGROUP)         waits for GO
 *   send GO --------------------------------> joins namespaces, mounts, pivot_root, ...
 *   compile seccomp, send SECCOMP + memfd --> (read when the filter is due)
 *                    <----------------------- PTY + master fd (with a terminal)
 *                    <----------------------- EXEC, then execve: the socket closes (cloexec)
 *   EOF after EXEC: started                      or ERROR {code, message}, _exit
 *
 * The child is forked with the raw clone system call and no new stack, like fork(2) (crun does
 * the same): glibc's clone() wrapper would want a stack, and fork() cannot create namespaces.
 * Creating a pid namespace this way makes the child its pid 1.
 *
 * Joining an existing pid namespace (exec, or a spec's pid namespace path) cannot be done by
 * the child: setns(CLONE_NEWPID) only affects children. So the parent switches the namespace
 * its next child is born in, forks, and switches back; the caller stays the child's parent
 * and can reap it, which a double fork would not allow.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/sched.h>
#include <stdint.h>
#include <unistd.h>

#include "guest/engine/runtime/cgroup.h"
#include "guest/engine/runtime/runtime-internal.h"
#include "shared/base/cleanup.h"

static void kill_and_reap(pid_t pid)
{
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

static __attribute__((noreturn)) void child_main(const struct rt_launch *l,
                                                 const struct rt_cgroup_join *join, int sync,
                                                 int other, int devnull)
{
    bt_err *err = NULL;
    close(other);
    /* If the caller dies during set-up, so do we; cleared again right before execve. */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    rt_signals_reset();
    umask(0);
    if (join && rt_cgroup_join_self(join, &err) < 0) {
        rt_sync_send_error(sync, err);
        _exit(1);
    }
    struct rt_msg msg;
    int fd;
    if (rt_sync_recv(sync, &msg, &fd, &err) <= 0 || msg.type != RT_MSG_GO)
        _exit(1); /* the parent gave up on us */
    l->child(l, sync, devnull, &err);
    if (!err)
        bt_err_set(&err, BT_E_INTERNAL, "container process set-up failed");
    rt_sync_send_error(sync, err);
    _exit(1);
}

/* clone3 into the cgroup open at dir_fd. -1 with errno; ENOSYS or E2BIG when the kernel has
 * no clone3 or no CLONE_INTO_CGROUP (before 5.7). */
static pid_t clone_into_cgroup(int flags, int dir_fd)
{
    struct clone_args args = {
            .flags = (uint64_t)(unsigned)flags | CLONE_INTO_CGROUP,
            .exit_signal = SIGCHLD,
            .cgroup = (uint64_t)dir_fd,
    };
    return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/* Fork the child; with a pid namespace fd, born inside that namespace; with a v2 join, born in
 * its cgroup (*joined tells whether it was, or whether the caller must still move it). */
static pid_t spawn(const struct rt_launch *l, const struct rt_cgroup_join *join, int sv[2],
                   int devnull, bool *joined, bt_err **err)
{
    bt_autoclose int own_pidns = -1;
    int target = l->ns_fds[RT_NS_PID];
    if (target >= 0) {
        own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
        if (own_pidns < 0)
            return bt_err_errno(err, errno, "open \"/proc/self/ns/pid\"");
        if (setns(target, CLONE_NEWPID) < 0)
            return bt_err_errno(err, errno, "join the pid namespace");
    }
    pid_t pid = -1;
    *joined = join && join->dir_fd < 0; /* v1: the child joins by itself */
    if (join && join->dir_fd >= 0) {
        pid = clone_into_cgroup(l->clone_flags, join->dir_fd);
        *joined = pid >= 0;
        if (pid == 0)
            child_main(l, NULL, sv[1], sv[0], devnull);
    }
    if (pid < 0 && (!join || join->dir_fd < 0 || errno == ENOSYS || errno == E2BIG)) {
        pid = (pid_t)syscall(SYS_clone, (unsigned long)l->clone_flags | SIGCHLD, NULL, NULL, NULL,
                             NULL);
        if (pid == 0)
            child_main(l, join && join->dir_fd < 0 ? join : NULL, sv[1], sv[0], devnull);
    }
    int saved = errno;
    if (target >= 0 && setns(own_pidns, CLONE_NEWPID) < 0) {
        /* Every later fork of the caller would land in the container: say so loudly. */
        int e = errno;
        if (pid > 0)
            kill_and_reap(pid);
        return bt_err_errno(err, e, "return to the caller's pid namespace");
    }
    if (pid < 0)
        return bt_err_errno(err, saved, "clone");
    return pid;
}

/* Wait for EXEC + EOF, or ERROR; collect the pty master on the way. */
static int await_exec(int sync, pid_t pid, int *pty, bool *reaped, bt_err **err)
{
    bool exec_sent = false;
    for (;;) {
        struct rt_msg msg;
        int fd;
        int rc = rt_sync_recv(sync, &msg, &fd, err);
        if (rc < 0)
            return -1;
        if (rc == 0)
            break;
        if (msg.type == RT_MSG_PTY && fd >= 0 && *pty < 0) {
            *pty = fd;
            continue;
        }
        if (fd >= 0)
            close(fd);
        if (msg.type == RT_MSG_EXEC)
            exec_sent = true;
        else if (msg.type == RT_MSG_ERROR)
            return bt_err_set(err, msg.code ? msg.code : BT_E_INTERNAL, "%s", msg.text);
    }
    if (exec_sent)
        return 0;
    /* EOF without a word: it died (a seccomp profile that kills, the OOM killer, a signal). */
    int status = 0;
    pid_t w;
    while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
        ;
    *reaped = w == pid;
    if (w == pid && WIFSIGNALED(status))
        return bt_err_set(err, BT_E_INTERNAL, "container process died during set-up: %s",
                          strsignal(WTERMSIG(status)));
    return bt_err_set(err, BT_E_INTERNAL, "container process exited during set-up");
}

int rt_launch(const struct rt_launch *l, struct rt_started *out, bt_err **err)
{
    bt_autoclose int devnull = -1;
    bool terminal = l->proc->terminal;
    bool need_null =
            !terminal && (!l->io || l->io->fds[0] < 0 || l->io->fds[1] < 0 || l->io->fds[2] < 0);
    if (need_null && (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
        return bt_err_errno(err, errno, "open \"/dev/null\"");
    struct rt_cgroup_join join = {.dir_fd = -1};
    const struct rt_cgroup_driver *cg = l->enter_cgroup ? rt_cgroup_driver() : NULL;
    if (cg && cg->join_open(l->spec->cgroups_path, &join, err) < 0)
        return -1;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        rt_cgroup_join_close(&join);
        return bt_err_errno(err, errno, "socketpair");
    }
    bt_autoclose int sync = sv[0];
    bool joined = false;
    pid_t pid = spawn(l, cg ? &join : NULL, sv, devnull, &joined, err);
    close(sv[1]);
    rt_cgroup_join_close(&join);
    if (pid < 0)
        return -1;

    int pty = -1;
    bool reaped = false;
    if (cg && !joined && cg->enter(l->spec->cgroups_path, pid, err) < 0)
        goto out;
    /* A child that is gone already (it could not join its cgroup) left its reason in the
     * socket: await_exec() reads it. */
    rt_sync_send(sync, RT_MSG_GO, -1, NULL);
    if (l->spec->seccomp) {
        /* Compiled while the child sets the container up. If the child is already gone, the
         * send fails and await_exec() says why. */
        bt_autoclose int bpf = rt_seccomp_compile(l->spec->seccomp, err);
        if (bpf < 0)
            goto out;
        rt_sync_send(sync, RT_MSG_SECCOMP, bpf, NULL);
    }
    if (await_exec(sync, pid, &pty, &reaped, err) < 0)
        goto out;
    out->pid = pid;
    out->pty_master = pty;
    return 0;
out:
    if (pty >= 0)
        close(pty);
    if (!reaped)
        kill_and_reap(pid);
    return -1;
}
