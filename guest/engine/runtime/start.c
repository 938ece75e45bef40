/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rt_start: a new container. The parent creates the cgroup and forks the child into its new
 * namespaces (launch.c); the child, once in the cgroup, builds the container around itself
 * and becomes its first process:
 *
 *   stdio -> namespaces joined by path -> cgroup and time namespaces -> hostname ->
 *   mounts, /dev, pivot_root (rootfs.c) -> pty -> sysctls, masked and read-only paths ->
 *   rlimits, user, capabilities, seccomp, $PATH lookup, execve (process.c)
 *
 * The cgroup namespace is unshared only after the parent has moved the child into its cgroup:
 * a cgroup namespace's root is the cgroup its creator was in at that moment. The time
 * namespace cannot be asked of clone(2) (its flag collides with CSIGNAL); unsharing it makes
 * the process enter it at execve.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "guest/engine/runtime/cgroup.h"
#include "guest/engine/runtime/runtime-internal.h"
#include "shared/base/cleanup.h"

/* Join the namespaces the spec gives by path, except pid (joined by the parent for us). */
static int join_namespaces(const struct rt_launch *l, bt_err **err)
{
    static const enum rt_ns_type order[] = {RT_NS_IPC,    RT_NS_UTS,  RT_NS_NET,
                                            RT_NS_CGROUP, RT_NS_TIME, RT_NS_MNT};
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        enum rt_ns_type t = order[i];
        if (l->ns_fds[t] < 0)
            continue;
        if (setns(l->ns_fds[t], rt_ns_clone_flag(t)) < 0)
            return bt_err_errno(err, errno, "join the %s namespace \"%s\"", rt_ns_proc_name(t),
                                l->spec->ns[t].path ? l->spec->ns[t].path : "");
    }
    return 0;
}

static int set_names(const struct rt_spec *spec, bt_err **err)
{
    if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
        return bt_err_errno(err, errno, "sethostname \"%s\"", spec->hostname);
    if (spec->domainname && setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
        return bt_err_errno(err, errno, "setdomainname \"%s\"", spec->domainname);
    return 0;
}

static int with_terminal(const struct rt_process *p, int sync, bool console, bt_err **err)
{
    int master, slave;
    if (rt_terminal_open(p->rows, p->cols, &master, &slave, err) < 0)
        return -1;
    int rc = console ? rt_terminal_bind_console(slave, err) : 0;
    if (rc == 0)
        rc = rt_sync_send(sync, RT_MSG_PTY, master, err);
    close(master);
    if (rc == 0 && p->uid != 0 && fchown(slave, p->uid, (gid_t)-1) < 0)
        rc = bt_err_errno(err, errno, "chown the pty");
    if (rc == 0)
        return rt_terminal_become_ctty(slave, err);
    close(slave);
    return -1;
}

static int init_child(const struct rt_launch *l, int sync, int devnull, bt_err **err)
{
    const struct rt_spec *spec = l->spec;
    const struct rt_process *p = &spec->process;
    if (!p->terminal && rt_stdio_install(l->io ? l->io->fds : NULL, devnull, err) < 0)
        return -1;
    if (join_namespaces(l, err) < 0)
        return -1;
    int later = 0;
    if (spec->ns[RT_NS_CGROUP].enabled && !spec->ns[RT_NS_CGROUP].path)
        later |= CLONE_NEWCGROUP;
    if (spec->ns[RT_NS_TIME].enabled && !spec->ns[RT_NS_TIME].path)
        later |= CLONE_NEWTIME;
    if (later && unshare(later) < 0)
        return bt_err_errno(err, errno, "unshare the %s namespace",
                            later & CLONE_NEWCGROUP ? "cgroup" : "time");
    if (set_names(spec, err) < 0 || rt_rootfs_enter(spec, err) < 0)
        return -1;
    if (p->terminal && with_terminal(p, sync, true, err) < 0)
        return -1;
    if (rt_rootfs_finish(spec, err) < 0)
        return -1;
    return rt_process_exec(p, spec->seccomp != NULL, sync, err);
}

/* Open the namespaces the spec joins by path, in the parent: a wrong path is an error for the
 * caller before anything was created. */
static int open_namespaces(const struct rt_spec *spec, int fds[RT_NS_COUNT], bt_err **err)
{
    for (int t = 0; t < RT_NS_COUNT; t++) {
        fds[t] = -1;
        if (!spec->ns[t].path)
            continue;
        fds[t] = open(spec->ns[t].path, O_RDONLY | O_CLOEXEC);
        if (fds[t] < 0)
            return bt_err_errno(err, errno, "open %s namespace \"%s\"",
                                rt_ns_proc_name((enum rt_ns_type)t), spec->ns[t].path);
    }
    return 0;
}

static void close_namespaces(int fds[RT_NS_COUNT])
{
    for (int t = 0; t < RT_NS_COUNT; t++) {
        if (fds[t] >= 0)
            close(fds[t]);
    }
}

int rt_start(const struct rt_spec *spec, const struct rt_stdio *io, struct rt_started *out,
             bt_err **err)
{
    struct rt_launch l = {.spec = spec, .proc = &spec->process, .io = io, .child = init_child};
    for (int t = 0; t < RT_NS_COUNT; t++) {
        bool later = t == RT_NS_CGROUP || t == RT_NS_TIME;
        if (spec->ns[t].enabled && !spec->ns[t].path && !later)
            l.clone_flags |= rt_ns_clone_flag((enum rt_ns_type)t);
    }
    if (open_namespaces(spec, l.ns_fds, err) < 0) {
        close_namespaces(l.ns_fds);
        return -1;
    }
    const struct rt_cgroup_driver *cg = spec->cgroups_path ? rt_cgroup_driver() : NULL;
    if (cg && cg->create(spec->cgroups_path, &spec->res, err) < 0) {
        close_namespaces(l.ns_fds);
        return -1;
    }
    l.enter_cgroup = cg != NULL;
    int rc = rt_launch(&l, out, err);
    close_namespaces(l.ns_fds);
    if (rc < 0 && cg)
        cg->remove(spec->cgroups_path, NULL);
    return rc;
}
