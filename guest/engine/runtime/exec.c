/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rt_exec: another process in a running container, like `runc exec`. It joins the namespaces
 * of the container's first process (opened from /proc/PID/ns/ in the parent, so that they are
 * held before the fork), its cgroup (the parent moves it there), and runs under the spec's
 * seccomp profile with the exec process's own user, capabilities and limits.
 *
 * The mount namespace is joined last: after it, paths name the container's files, and
 * setns(CLONE_NEWNS) also puts the process at the container's root.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "guest/engine/runtime/runtime-internal.h"
#include "shared/base/cleanup.h"

static int exec_child(const struct rt_launch *l, int sync, int devnull, bt_err **err)
{
    static const enum rt_ns_type order[] = {RT_NS_IPC,    RT_NS_UTS,  RT_NS_NET,
                                            RT_NS_CGROUP, RT_NS_TIME, RT_NS_MNT};
    const struct rt_process *p = l->proc;
    if (!p->terminal && rt_stdio_install(l->io ? l->io->fds : NULL, devnull, err) < 0)
        return -1;
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        enum rt_ns_type t = order[i];
        if (l->ns_fds[t] >= 0 && setns(l->ns_fds[t], rt_ns_clone_flag(t)) < 0)
            return bt_err_errno(err, errno, "exec: join the container's %s namespace",
                                rt_ns_proc_name(t));
    }
    if (p->terminal) {
        int master, slave;
        if (rt_terminal_open(p->rows, p->cols, &master, &slave, err) < 0)
            return -1;
        int rc = rt_sync_send(sync, RT_MSG_PTY, master, err);
        close(master);
        if (rc == 0 && p->uid != 0 && fchown(slave, p->uid, (gid_t)-1) < 0)
            rc = bt_err_errno(err, errno, "chown the pty");
        if (rc < 0 || rt_terminal_become_ctty(slave, err) < 0)
            return -1;
    }
    return rt_process_exec(p, l->spec->seccomp != NULL, sync, err);
}

int rt_exec(const struct rt_spec *spec, pid_t init_pid, const struct rt_process *proc,
            const struct rt_stdio *io, struct rt_started *out, bt_err **err)
{
    struct rt_launch l = {.spec = spec, .proc = proc, .io = io, .child = exec_child};
    l.enter_cgroup = spec->cgroups_path != NULL;
    int rc = 0;
    for (int t = 0; t < RT_NS_COUNT; t++) {
        l.ns_fds[t] = -1;
        if (!spec->ns[t].enabled || rc < 0)
            continue;
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)init_pid,
                 rt_ns_proc_name((enum rt_ns_type)t));
        l.ns_fds[t] = open(path, O_RDONLY | O_CLOEXEC);
        if (l.ns_fds[t] < 0)
            rc = errno == ENOENT
                         ? bt_err_set(err, BT_E_CONFLICT,
                                      "exec: container process %d is not running", (int)init_pid)
                         : bt_err_errno(err, errno, "exec: open \"%s\"", path);
    }
    if (rc == 0)
        rc = rt_launch(&l, out, err);
    for (int t = 0; t < RT_NS_COUNT; t++) {
        if (l.ns_fds[t] >= 0)
            close(l.ns_fds[t]);
    }
    return rc;
}
