/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Monitors: spawning them, the supervisor thread that reads what they report (exits, attach
 * clients let go), and re-adopting them when berthd starts again.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest/engine/container/container-internal.h"
#include "guest/engine/image/image.h"
#include "guest/engine/monproto/monproto.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

extern char **environ;

static void *reap_first_process(void *arg)
{
    pid_t pid = (pid_t)(intptr_t)arg;
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        bt_warn("monitor start-up process %d failed (status %d)", (int)pid, st);
    return NULL;
}

int ctr_spawn_monitor(struct ctr_manager *m, char *const *args, const char *log_path, bt_err **err)
{
    int sv[2];
    if (monproto_socketpair(sv, err) < 0)
        return -1;
    /* the child's end becomes fd 3; dup2 onto itself would keep FD_CLOEXEC */
    if (sv[1] == 3) {
        int d = fcntl(sv[1], F_DUPFD_CLOEXEC, 4);
        close(sv[1]);
        sv[1] = d;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
    /* Nothing else: descriptors other threads made without O_CLOEXEC must not live on in a
     * monitor for the life of its container (libmicrohttpd 0.9.75 makes the socketpair of every
     * upgraded TLS connection without SOCK_CLOEXEC). */
    posix_spawn_file_actions_addclosefrom_np(&fa, 4);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    /* berthd blocks its signals for sigwait and ignores SIGPIPE; the monitor starts clean */
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setflags(&at,
                             POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
    size_t n = bt_strv_len(args);
    char **argv = bt_xzalloc((n + 2) * sizeof(char *));
    argv[0] = m->monitor_path;
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = args[i];
    pid_t pid;
    int rc = posix_spawn(&pid, m->monitor_path, &fa, &at, argv, environ);
    free(argv);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(sv[1]);
    if (rc != 0) {
        close(sv[0]);
        return bt_err_errno(err, rc, "start monitor \"%s\"", m->monitor_path);
    }
    /* The first process only forks the monitor proper and exits. It is reaped on a thread of
     * its own: waiting here cost most of a millisecond of every start, while the monitor is
     * already at work. If it failed, the control socket closes unanswered: the caller's
     * ctr_await_start() says so. */
    pthread_t t;
    pthread_attr_t ta;
    pthread_attr_init(&ta);
    pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &ta, reap_first_process, (void *)(intptr_t)pid) != 0)
        reap_first_process((void *)(intptr_t)pid);
    pthread_attr_destroy(&ta);
    return sv[0];
}

/* ---- exits ---- */

int ctr_unmount(struct ctr *c)
{
    ctr_volumes_release(c);
    if (!c->mounted)
        return 0;
    bt_autofree char *merged = bt_xasprintf("%s/rootfs/merged", c->dir);
    if (umount2(merged, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) {
        bt_warn("unmount %s: %s", merged, strerror(errno));
        return -1;
    }
    c->mounted = false;
    return 0;
}

void ctr_on_exit(struct ctr *c, int status, bool oom, int64_t finished_ns, const char *error)
{
    if (c->ctl >= 0) {
        ctr_unwatch(c->m, c->ctl);
        close(c->ctl);
        c->ctl = -1;
    }
    json_t *st = bt_json_get_obj(c->rec, "State");
    bt_json_set_int(st, "ExitCode", status);
    bt_json_set_bool(st, "OOMKilled", oom);
    bt_json_set_int(st, "Pid", 0);
    bt_json_set_str(st, "Error", error ? error : "");
    bt_autofree char *fin = ctr_time_rfc3339(finished_ns ? finished_ns : ctr_now_ns());
    bt_json_set_str(st, "FinishedAt", fin);
    c->pid = 0;
    /* the ports go at once, so that a new container can take them after `docker stop` */
    bt_autoptr(json_t) down = ctr_net_forget(c);
    ctr_net_down(c->m, c->id, down);
    if (oom)
        ctr_emit_locked(c, "oom", NULL);
    char code[16];
    snprintf(code, sizeof(code), "%d", status);
    ctr_emit_locked(c, "die", (const char *const[]){"exitCode", code, NULL});
    c->exit_status = status;
    c->exit_gen++;
    c->exit_cleanup = true;
    attach_wait_all_done(c);
    c->health_seq++; /* the health checks of this run end */
    if (!ctr_restart_after_exit(c, status, finished_ns ? finished_ns : ctr_now_ns()))
        ctr_set_status(c, CTR_EXITED);
    bt_autoerr bt_err *err = NULL;
    if (ctr_save_state(c, &err) < 0)
        bt_error("%s", bt_err_msg(err));
    bt_debug("container %s exited with status %d", c->id, status);
    if (bt_json_get_bool(bt_json_get_obj(c->rec, "HostConfig"), "AutoRemove", false))
        ctr_finish_removal_async(c);
}

void ctr_exit_cleanup(struct ctr *c)
{
    while (c->cleaning)
        pthread_cond_wait(&c->cond, &c->lock);
    if (!c->exit_cleanup)
        return;
    /* c->cleaning keeps everyone else off the mount and the run directory meanwhile */
    c->cleaning = true;
    pthread_mutex_unlock(&c->lock);
    ctr_unmount(c);
    bt_rm_rf(c->run_dir, NULL);
    pthread_mutex_lock(&c->lock);
    c->cleaning = false;
    c->exit_cleanup = false;
    pthread_cond_broadcast(&c->cond);
}

/* The exit file the monitor leaves behind, for exits berthd did not see. */
static bool read_exit_file(struct ctr *c, int *status, bool *oom, int64_t *fin)
{
    bt_autofree char *path = bt_xasprintf("%s/exit.json", c->run_dir);
    bt_autoptr(json_t) doc = bt_json_load_file(path, NULL);
    if (!doc)
        return false;
    *status = (int)bt_json_get_int(doc, "ExitCode", 255);
    *oom = bt_json_get_bool(doc, "OOMKilled", false);
    *fin = bt_json_get_int(doc, "FinishedAtNanos", 0);
    return true;
}

static void monitor_gone(struct ctr *c)
{
    int status;
    bool oom;
    int64_t fin;
    if (read_exit_file(c, &status, &oom, &fin))
        ctr_on_exit(c, status, oom, fin, NULL);
    else
        ctr_on_exit(c, 255, false, 0, "the container's monitor exited unexpectedly");
}

/* ---- the supervisor ---- */

/* A watch lives in its container (or exec), which outlives it: watches end only on the
 * supervisor thread (ctr_on_exit, ctr_exec_on_exit run there) or before the supervisor saw
 * them (a failed start, re-adoption), and a container is removed only after its exit. */
void ctr_watch(struct ctr_manager *m, struct watch *w, int fd)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = w};
    if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        bt_error("epoll_ctl: %s", strerror(errno));
}

void ctr_unwatch(struct ctr_manager *m, int fd)
{
    struct epoll_event ev;
    epoll_ctl(m->epfd, EPOLL_CTL_DEL, fd, &ev);
}

static void handle_container_msg(struct ctr *c, char *msg)
{
    char *w[5];
    size_t n = monproto_split(msg, w, 5);
    if (n >= 2 && strcmp(w[0], "detached") == 0) {
        attach_wait_done(c, w[1]);
    } else if (n >= 2 && strcmp(w[0], "exited") == 0) {
        /* this closes the control connection, which tells the monitor the exit is recorded
         * (see mon_await_recorded()) */
        ctr_on_exit(c, atoi(w[1]), n >= 3 && atoi(w[2]) == 1, n >= 4 ? strtoll(w[3], NULL, 10) : 0,
                    NULL);
    }
}

static void handle_exec_msg(struct ctr_exec *e, char *msg)
{
    char *w[4];
    size_t n = monproto_split(msg, w, 4);
    if (n >= 2 && strcmp(w[0], "detached") == 0 && e->attach &&
        strcmp(e->attach->token, w[1]) == 0) {
        e->attach->done = true;
        pthread_cond_broadcast(&e->c->cond);
    } else if (n >= 2 && strcmp(w[0], "exited") == 0) {
        ctr_exec_on_exit(e, atoi(w[1]));
    }
}

static void service(struct ctr_manager *m, struct watch *w)
{
    struct ctr *c = w->c;
    pthread_mutex_lock(&c->lock);
    int fd = w->is_exec ? w->e->ctl : c->ctl;
    while (fd >= 0) {
        char buf[MONPROTO_MAX];
        ssize_t r;
        do {
            r = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
        } while (r < 0 && errno == EINTR);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (r <= 0) {
            /* the monitor closed the connection without a word: it died */
            if (w->is_exec) {
                ctr_exec_on_exit(w->e, -1);
            } else if (c->ctl == fd) {
                monitor_gone(c);
            }
            break;
        }
        buf[r] = '\0';
        if (w->is_exec)
            handle_exec_msg(w->e, buf);
        else
            handle_container_msg(c, buf);
        fd = w->is_exec ? w->e->ctl : c->ctl;
    }
    /* after the exit was reported: the waiters run while this unmounts */
    if (!w->is_exec)
        ctr_exit_cleanup(c);
    pthread_mutex_unlock(&c->lock);
}

static void *supervise(void *arg)
{
    struct ctr_manager *m = arg;
    struct epoll_event ev[32];
    for (;;) {
        int n = epoll_wait(m->epfd, ev, 32, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        for (int i = 0; i < n; i++) {
            if (!ev[i].data.ptr)
                return NULL; /* the wake pipe: stop */
            service(m, ev[i].data.ptr);
        }
    }
    return NULL;
}

int ctr_supervisor_start(struct ctr_manager *m, bt_err **err)
{
    m->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (m->epfd < 0 || pipe2(m->wake, O_CLOEXEC) < 0)
        return bt_err_errno(err, errno, "supervisor");
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->wake[0], &ev);
    if (pthread_create(&m->thread, NULL, supervise, m) != 0)
        return bt_err_set(err, BT_E_INTERNAL, "cannot start the supervisor thread");
    m->thread_started = true;
    return 0;
}

void ctr_supervisor_stop(struct ctr_manager *m)
{
    if (m->thread_started) {
        if (write(m->wake[1], "x", 1) < 0)
            bt_warn("wake supervisor: %s", strerror(errno));
        pthread_join(m->thread, NULL);
        m->thread_started = false;
    }
    bt_fd_close(m->epfd);
    bt_fd_close(m->wake[0]);
    bt_fd_close(m->wake[1]);
    m->epfd = m->wake[0] = m->wake[1] = -1;
}

/* ---- re-adoption ---- */

/* (named through /proc/self/fd as the monitor binds it: see its listen_ctl()) */
static int connect_ctl(const char *dir)
{
    bt_autoclose int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (dfd < 0 || snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d/ctl.sock", dfd) >=
                           (int)sizeof(a.sun_path))
        return -1;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

void ctr_readopt(struct ctr_manager *m, struct ctr *c)
{
    pthread_mutex_lock(&c->lock);
    if (c->status == CTR_RESTARTING) {
        /* berthd went away while the container waited out its back-off: it is exited, and
         * the restart policy decides again once every container is loaded */
        ctr_set_status(c, CTR_EXITED);
        ctr_save_state(c, NULL);
    }
    if (c->status != CTR_RUNNING && c->status != CTR_PAUSED) {
        /* a crash between an exit and its unmount leaves the rootfs mounted */
        c->mounted = true;
        ctr_unmount(c);
        pthread_mutex_unlock(&c->lock);
        return;
    }
    c->mounted = true;
    int fd = connect_ctl(c->run_dir);
    char buf[MONPROTO_MAX];
    int passed = -1;
    if (fd >= 0) {
        struct timeval tv = {.tv_sec = 5};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (monproto_send(fd, -1, NULL, "hello") == 0 &&
            monproto_recv(fd, buf, sizeof(buf), &passed, NULL) > 0) {
            bt_fd_close(passed);
            char *w[4];
            size_t n = monproto_split(buf, w, 4);
            if (n == 2 && strcmp(w[0], "running") == 0) {
                struct timeval none = {0};
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
                c->ctl = fd;
                c->pid = atoi(w[1]);
                ctr_watch(m, &c->watch, fd);
                bt_autoerr bt_err *verr = NULL;
                if (ctr_volumes_acquire(c, &verr) < 0)
                    bt_warn("container %s: %s", c->id, bt_err_msg(verr));
                ctr_net_readopt(c);
                ctr_health_start(c);
                bt_info("container %s: monitor re-adopted (pid %d)", c->id, (int)c->pid);
                pthread_mutex_unlock(&c->lock);
                return;
            }
        }
        close(fd);
    }
    bt_info("container %s: exited while berthd was away", c->id);
    monitor_gone(c);
    ctr_exit_cleanup(c);
    pthread_mutex_unlock(&c->lock);
}

/* ---- the answer to "start" ---- */

int ctr_await_start(int ctl, const char *what, pid_t *pid, int *status,
                    void (*on_detached)(void *arg, const char *token), void *arg, bt_err **err)
{
    /* A monitor reports "started" once the process exec'd; set-up of a big image on a slow
     * disk takes a while, but a hung monitor must not hang the API. */
    struct timeval tv = {.tv_sec = 60};
    setsockopt(ctl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int rc;
    for (;;) {
        char buf[MONPROTO_MAX];
        int fd = -1;
        ssize_t n = monproto_recv(ctl, buf, sizeof(buf), &fd, err);
        bt_fd_close(fd);
        if (n < 0) {
            rc = bt_err_wrap(err, "%s: no answer from its monitor", what);
            break;
        }
        if (n == 0) {
            rc = bt_err_set(err, BT_E_INTERNAL, "%s: its monitor exited during start", what);
            break;
        }
        char *w[3];
        size_t nw = monproto_split(buf, w, 3);
        if (nw == 2 && strcmp(w[0], "started") == 0) {
            *pid = atoi(w[1]);
            rc = 0;
            break;
        }
        if (nw >= 2 && strcmp(w[0], "failed") == 0) {
            *status = atoi(w[1]);
            /* dockerd: a command that can't be found or run is the caller's mistake (400) */
            rc = bt_err_set(err, *status == 126 || *status == 127 ? BT_E_INVALID : BT_E_INTERNAL,
                            "%s", nw == 3 ? w[2] : "unknown error");
            break;
        }
        if (nw == 2 && strcmp(w[0], "detached") == 0 && on_detached)
            on_detached(arg, w[1]);
    }
    struct timeval none = {0};
    setsockopt(ctl, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
    return rc;
}
