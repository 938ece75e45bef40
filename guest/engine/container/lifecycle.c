/* SPDX-License-Identifier: Apache-2.0 */
/* start, stop, kill, restart, wait, remove, rename, prune, attach, resize, pids. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "guest/engine/container/container-internal.h"
#include "guest/engine/image/image.h"
#include "guest/engine/monproto/monproto.h"
#include "guest/engine/runtime/runtime.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/crypto/digest.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

static bool is_running(const struct ctr *c)
{
    return c->status == CTR_RUNNING || c->status == CTR_PAUSED || c->status == CTR_RESTARTING;
}

bool ctr_is_running(const struct ctr *c)
{
    return is_running(c);
}

/* Wait on c->cond for at most ms milliseconds (c->lock held). */
void ctr_timed_wait(struct ctr *c, long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&c->cond, &c->lock, &ts);
}

/* ---- attach bookkeeping ---- */

struct attach_wait *attach_wait_new(int sock, const struct ctr_attach_opts *o)
{
    struct attach_wait *a = bt_xzalloc(sizeof(*a));
    bt_autofree char *t = bt_random_hex(8);
    snprintf(a->token, sizeof(a->token), "%s", t);
    a->sock = sock;
    size_t n = 0;
    if (o->in)
        a->flags[n++] = 'i';
    if (o->out)
        a->flags[n++] = 'o';
    if (o->err)
        a->flags[n++] = 'e';
    if (n == 0)
        a->flags[n++] = '-';
    a->flags[n] = '\0';
    strcpy(a->keys, "1011"); /* ctrl-p ctrl-q */
    return a;
}

void attach_wait_done(struct ctr *c, const char *token)
{
    for (struct attach_wait *a = c->attaches; a; a = a->next) {
        if (strcmp(a->token, token) == 0) {
            a->done = true;
            pthread_cond_broadcast(&c->cond);
        }
    }
}

void attach_wait_all_done(struct ctr *c)
{
    for (struct attach_wait *a = c->attaches; a; a = a->next)
        a->done = true;
    pthread_cond_broadcast(&c->cond);
}

static void attach_unlink(struct ctr *c, struct attach_wait *w)
{
    for (struct attach_wait **p = &c->attaches; *p; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            return;
        }
    }
}

/* docker's term.ToBytes: "ctrl-p,ctrl-q" -> hex "1011" */
int ctr_detach_keys_hex(const char *keys, char *out, size_t size, bt_err **err)
{
    bt_autofree char *copy = bt_xstrdup(keys);
    size_t n = 0;
    char *save = NULL;
    for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        int b;
        if (strncasecmp(k, "ctrl-", 5) == 0 && strlen(k) == 6) {
            char ch = k[5];
            if (ch >= 'a' && ch <= 'z')
                b = ch - 'a' + 1;
            else if (ch >= 'A' && ch <= 'Z')
                b = ch - 'A' + 1;
            else if (ch == '@')
                b = 0;
            else if (ch >= '[' && ch <= '_')
                b = ch - '[' + 27;
            else
                goto bad;
        } else if (strlen(k) == 1) {
            b = (unsigned char)k[0];
        } else {
            goto bad;
        }
        if (n + 3 > size)
            goto bad;
        snprintf(out + n, 3, "%02x", b);
        n += 2;
    }
    if (n == 0)
        goto bad;
    return 0;
bad:
    return bt_err_set(err, BT_E_INVALID, "Invalid detach keys (%s) provided", keys);
}

static int send_attach(struct ctr *c, struct attach_wait *a, bt_err **err)
{
    int rc = monproto_send(c->ctl, a->sock, err, "attach %s %s %s", a->token, a->flags, a->keys);
    bt_fd_close(a->sock);
    a->sock = -1;
    return rc;
}

struct ctr_attach *ctr_attach_begin(struct ctr_manager *m, struct ctr *c,
                                    const struct ctr_attach_opts *o, bt_err **err)
{
    struct attach_wait *a = attach_wait_new(-1, o);
    if (o->detach_keys && *o->detach_keys &&
        ctr_detach_keys_hex(o->detach_keys, a->keys, sizeof(a->keys), err) < 0) {
        free(a);
        return NULL;
    }
    pthread_mutex_lock(&c->lock);
    if (c->removed || c->status == CTR_REMOVING || c->status == CTR_DEAD) {
        pthread_mutex_unlock(&c->lock);
        free(a);
        bt_err_set(err, BT_E_CONFLICT, "container %s is being removed", c->id);
        return NULL;
    }
    a->awaiting = true;
    a->next = c->attaches;
    c->attaches = a;
    ctr_emit_locked(c, "attach", NULL);
    pthread_mutex_unlock(&c->lock);
    return (struct ctr_attach *)a;
}

void ctr_attach_serve(struct ctr_manager *m, struct ctr *c, struct ctr_attach *handle, int sock)
{
    struct attach_wait *a = (struct attach_wait *)handle;
    int dup_sock = sock >= 0 ? fcntl(sock, F_DUPFD_CLOEXEC, 3) : -1;
    pthread_mutex_lock(&c->lock);
    a->awaiting = false;
    a->sock = dup_sock;
    if (dup_sock < 0 || a->abandoned)
        a->done = true;
    else if (c->ctl >= 0 && c->status == CTR_RUNNING && send_attach(c, a, NULL) < 0)
        a->done = true;
    pthread_cond_broadcast(&c->cond);
    /* A stopped container's clients wait here for its start (which hands them over). One
     * that goes away meanwhile is noticed by polling its socket: a hang-up, not the end of its
     * input, which a client without stdin (docker start -a) sends at once by shutting its
     * writing side; taking that for a departure lost the output of the start it was about to
     * make. A TCP client that closes is seen at the next start (or removal). */
    while (!a->done) {
        ctr_timed_wait(c, 500);
        if (a->sock >= 0) {
            struct pollfd p = {.fd = sock, .events = 0};
            if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)))
                break;
        }
    }
    attach_unlink(c, a);
    bt_fd_close(a->sock);
    pthread_mutex_unlock(&c->lock);
    free(a);
}

/* ---- start ---- */

/* A start that failed, as dockerd records it: the container stays as it was (created or
 * exited) with the exit status and the error, its run-time state is undone, and with
 * AutoRemove it goes (which a `docker run --rm` waiting for "removed" needs). c->lock held. */
static void start_failed(struct ctr *c, int status, const char *msg)
{
    if (c->ctl >= 0) {
        close(c->ctl);
        c->ctl = -1;
    }
    bt_autoptr(json_t) down = ctr_net_forget(c);
    ctr_net_down(c->m, c->id, down);
    ctr_unmount(c);
    bt_rm_rf(c->run_dir, NULL);
    attach_wait_all_done(c);
    json_t *st = bt_json_get_obj(c->rec, "State");
    bt_json_set_int(st, "ExitCode", status);
    bt_json_set_str(st, "Error", msg);
    c->exit_status = status;
    /* (a restart policy's start of a restarting container leaves it exited) */
    ctr_set_status(c, c->status == CTR_CREATED ? CTR_CREATED : CTR_EXITED);
    ctr_save_state(c, NULL);
    if (bt_json_get_bool(bt_json_get_obj(c->rec, "HostConfig"), "AutoRemove", false))
        ctr_finish_removal_async(c);
}

static void container_detached(void *arg, const char *token)
{
    attach_wait_done(arg, token);
}

static int wait_started(struct ctr *c, int ctl, pid_t *pid, int *failed_status, bt_err **err)
{
    bt_autofree char *what = bt_xasprintf("container %s", c->id);
    if (ctr_await_start(ctl, what, pid, failed_status, container_detached, c, err) < 0)
        return bt_err_wrap(err, "failed to create task for container: unable to start "
                                "container process");
    return 0;
}

/* Clients registered by ctr_attach_begin() whose connection is still being taken over get a
 * moment to arrive (c->lock held). */
static void wait_attach_sockets(struct ctr *c)
{
    for (int i = 0; i < 50; i++) {
        bool waiting = false;
        for (struct attach_wait *a = c->attaches; a; a = a->next)
            waiting |= a->awaiting && !a->abandoned;
        if (!waiting)
            return;
        ctr_timed_wait(c, 100);
    }
    for (struct attach_wait *a = c->attaches; a; a = a->next)
        if (a->awaiting)
            a->abandoned = true;
}

int ctr_start_locked(struct ctr_manager *m, struct ctr *c, bt_err **err)
{
    ctr_exit_cleanup(c);
    bt_autoptr(image_mount) mnt = image_rw_layer_get(m->images, c->id, err);
    if (!mnt)
        return -1;
    if (image_mount_overlay(mnt, mnt->merged, err) < 0)
        return -1;
    c->mounted = true;
    int ctl = -1;
    int failed_status = 128; /* dockerd's status for a start that failed for other reasons */
    bt_autofree char *log = bt_xasprintf("%s/monitor.log", c->run_dir);
    int64_t started_ns = ctr_now_ns();
    bt_autofree char *now = ctr_time_rfc3339(started_ns);
    if (ctr_volumes_acquire(c, err) < 0 || ctr_net_up(c, err) < 0 ||
        ctr_write_bundle(c, mnt->merged, err) < 0)
        goto fail;
    char *args[] = {"run", c->run_dir, NULL};
    ctl = ctr_spawn_monitor(m, args, log, err);
    if (ctl < 0)
        goto fail;
    c->ctl = ctl;
    /* clients attached to the created container first, so they miss nothing */
    wait_attach_sockets(c);
    for (struct attach_wait *a = c->attaches; a; a = a->next)
        if (a->sock >= 0 && send_attach(c, a, err) < 0)
            goto fail;
    if (monproto_send(ctl, -1, err, "start") < 0)
        goto fail;
    pid_t pid = 0;
    if (wait_started(c, ctl, &pid, &failed_status, err) < 0)
        goto fail;
    c->pid = pid;
    json_t *st = bt_json_get_obj(c->rec, "State");
    bt_json_set_int(st, "Pid", pid);
    bt_json_set_int(st, "ExitCode", 0);
    bt_json_set_str(st, "Error", "");
    bt_json_set_bool(st, "OOMKilled", false);
    bt_json_set_str(st, "StartedAt", now);
    c->started_ns = started_ns;
    bt_json_set_str(st, "FinishedAt", "0001-01-01T00:00:00Z");
    ctr_set_status(c, CTR_RUNNING);
    ctr_emit_locked(c, "start", NULL);
    ctr_watch(m, &c->watch, ctl);
    ctr_health_start(c);
    if (ctr_save_state(c, err) < 0) {
        bt_warn("%s", bt_err_msg(*err));
        bt_err_clear(err);
    }
    return 0;
fail:
    start_failed(c, failed_status, bt_err_msg(*err));
    return -1;
}

int ctr_start(struct ctr_manager *m, struct ctr *c, bt_err **err)
{
    pthread_mutex_lock(&c->lock);
    ctr_acquire(c);
    int rc;
    if (c->removed || c->status == CTR_REMOVING)
        rc = bt_err_set(err, BT_E_CONFLICT,
                        "container is marked for removal and cannot be "
                        "started");
    else if (is_running(c))
        rc = bt_err_set(err, BT_E_NOT_MODIFIED, "container already started");
    else {
        ctr_restart_reset(c); /* a user's start: the restart policy counts from here */
        rc = ctr_start_locked(m, c, err);
    }
    ctr_release(c);
    pthread_mutex_unlock(&c->lock);
    if (rc == 0)
        ctr_net_update_parents(m, c);
    return rc;
}

/* ---- signals, stop ---- */

static const struct {
    const char *name;
    int num;
} signals[] = {
        {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"BUS", SIGBUS},       {"CHLD", SIGCHLD},
        {"CLD", SIGCHLD},  {"CONT", SIGCONT}, {"FPE", SIGFPE},       {"HUP", SIGHUP},
        {"ILL", SIGILL},   {"INT", SIGINT},   {"IO", SIGIO},         {"IOT", SIGIOT},
        {"KILL", SIGKILL}, {"PIPE", SIGPIPE}, {"POLL", SIGPOLL},     {"PROF", SIGPROF},
        {"PWR", SIGPWR},   {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV},     {"STKFLT", SIGSTKFLT},
        {"STOP", SIGSTOP}, {"SYS", SIGSYS},   {"TERM", SIGTERM},     {"TRAP", SIGTRAP},
        {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
        {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH},
        {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
};

/* moby's signal.ParseSignal: a number, or a name with or without "SIG", any case */
static int parse_signal(const char *s, bt_err **err)
{
    char *end;
    long n = strtol(s, &end, 10);
    if (*s && !*end) {
        if (n < 1 || n > 64)
            return bt_err_set(err, BT_E_INVALID, "Invalid signal: %s", s);
        return (int)n;
    }
    const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
    for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
        if (strcasecmp(signals[i].name, name) == 0)
            return signals[i].num;
    return bt_err_set(err, BT_E_INVALID, "Invalid signal: %s", s);
}

static char *cgroup_path(const struct ctr *c)
{
    return bt_xasprintf("/berth/%s", c->id);
}

/* Thaw a paused container (c->lock held) and mark it running again. */
static int thaw_locked(struct ctr *c, bt_err **err)
{
    bt_autofree char *cg = cgroup_path(c);
    if (rt_cgroup_freeze(cg, false, err) < 0)
        return -1;
    ctr_set_status(c, CTR_RUNNING);
    ctr_save_state(c, NULL);
    return 0;
}

static int signal_locked(struct ctr *c, int sig, bt_err **err)
{
    if (c->ctl < 0)
        return bt_err_set(err, BT_E_CONFLICT, "Container %s is not running", c->id);
    if (monproto_send(c->ctl, -1, err, "kill %d", sig) < 0)
        return -1;
    char signum[16];
    snprintf(signum, sizeof(signum), "%d", sig);
    ctr_emit_locked(c, "kill", (const char *const[]){"signal", signum, NULL});
    /* a frozen task dies only once thawed (cgroup v1): a SIGKILL unpauses, as dockerd's does */
    if (sig == SIGKILL && c->status == CTR_PAUSED) {
        /* the container may die and its monitor remove the cgroup while it thaws: then the
         * freezer's files are gone (ENODEV, ENOENT), and the kill did what was asked */
        bt_err *e = NULL;
        if (thaw_locked(c, &e) < 0 && !bt_err_is(e, ENODEV) && !bt_err_is(e, BT_E_NOT_FOUND)) {
            bt_err_move(err, &e);
            return -1;
        }
        bt_err_free(e);
    }
    return 0;
}

static bool wait_exit(struct ctr *c, uint64_t gen, long ms);

/* dockerd's killWithSignal: SIGKILL, the container's stop signal, or any signal when it has
 * none, ends its restarts (ExitOnNext) */
static bool kill_cancels_restart(const struct ctr *c, int sig)
{
    const char *ss = bt_json_get_str(bt_json_get_obj(c->rec, "Config"), "StopSignal", "");
    if (!*ss || sig == SIGKILL)
        return true;
    bt_autoerr bt_err *ignored = NULL;
    return parse_signal(ss, &ignored) == sig;
}

int ctr_kill(struct ctr_manager *m, struct ctr *c, const char *signal, bt_err **err)
{
    int sig = signal && *signal ? parse_signal(signal, err) : SIGKILL;
    if (sig < 0)
        return -1;
    pthread_mutex_lock(&c->lock);
    int rc;
    if (!is_running(c))
        rc = bt_err_set(err, BT_E_CONFLICT,
                        "Cannot kill container: %s: Container %s is not "
                        "running",
                        c->id, c->id);
    else if (ctr_restart_user_stop(c, kill_cancels_restart(c, sig)))
        rc = 0; /* it was waiting to restart: it stays stopped */
    else {
        uint64_t gen = c->exit_gen;
        rc = signal_locked(c, sig, err);
        /* as dockerd's Kill: a SIGKILL returns once the container is seen gone, so the next
         * ps says exited (a paused one included: it is thawed to die) */
        if (rc == 0 && sig == SIGKILL)
            wait_exit(c, gen, 10000);
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

/* Wait (c->lock held) until the exit generation moves past gen, at most ms (<0: forever). */
static bool wait_exit(struct ctr *c, uint64_t gen, long ms)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (c->exit_gen == gen) {
        if (ms >= 0) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long spent =
                    (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
            if (spent >= ms)
                return false;
            ctr_timed_wait(c, ms - spent < 500 ? ms - spent : 500);
        } else {
            ctr_timed_wait(c, 500);
        }
    }
    return true;
}

static int stop_locked(struct ctr *c, int timeout, bt_err **err)
{
    /* a paused container cannot act on its stop signal: thaw it first */
    if (c->status == CTR_PAUSED && thaw_locked(c, err) < 0)
        return -1;
    const json_t *cfg = bt_json_get_obj(c->rec, "Config");
    if (timeout < 0)
        timeout = (int)bt_json_get_int(cfg, "StopTimeout", 10);
    int sig = SIGTERM;
    const char *ss = bt_json_get_str(cfg, "StopSignal", "");
    if (*ss) {
        bt_autoerr bt_err *ignored = NULL;
        int s = parse_signal(ss, &ignored);
        if (s > 0)
            sig = s;
    }
    uint64_t gen = c->exit_gen;
    if (timeout != 0 && signal_locked(c, sig, err) == 0 && wait_exit(c, gen, timeout * 1000L))
        return 0;
    bt_err_clear(err);
    bt_info("Container %s failed to exit within %d seconds of signal %d - using the force", c->id,
            timeout, sig);
    if (signal_locked(c, SIGKILL, err) < 0)
        return -1;
    wait_exit(c, gen, -1);
    return 0;
}

int ctr_stop(struct ctr_manager *m, struct ctr *c, int timeout, bt_err **err)
{
    pthread_mutex_lock(&c->lock);
    ctr_acquire(c);
    int rc;
    if (!is_running(c))
        rc = bt_err_set(err, BT_E_NOT_MODIFIED, "container already stopped");
    else if (ctr_restart_user_stop(c, true))
        rc = 0; /* it was waiting to restart: now it is stopped */
    else
        rc = stop_locked(c, timeout, err);
    if (rc == 0)
        ctr_emit_locked(c, "stop", NULL);
    ctr_release(c);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

/* ---- pause ---- */

static int freeze(struct ctr *c, bool pause, bt_err **err)
{
    pthread_mutex_lock(&c->lock);
    ctr_acquire(c);
    int rc;
    if (c->status == CTR_RESTARTING) {
        rc = bt_err_set(err, BT_E_CONFLICT,
                        "Container %s is restarting, wait until the container is running", c->id);
    } else if (!is_running(c)) {
        rc = bt_err_set(err, BT_E_CONFLICT, "Container %s is not running", c->id);
    } else if (pause && c->status == CTR_PAUSED) {
        rc = bt_err_set(err, BT_E_CONFLICT, "Container %s is already paused", c->id);
    } else if (!pause && c->status != CTR_PAUSED) {
        rc = bt_err_set(err, BT_E_CONFLICT, "Container %s is not paused", c->id);
    } else {
        bt_autofree char *cg = cgroup_path(c);
        rc = rt_cgroup_freeze(cg, pause, err);
        if (rc == 0) {
            ctr_set_status(c, pause ? CTR_PAUSED : CTR_RUNNING);
            ctr_save_state(c, NULL);
            ctr_emit_locked(c, pause ? "pause" : "unpause", NULL);
        }
    }
    ctr_release(c);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

int ctr_pause(struct ctr_manager *m, struct ctr *c, bt_err **err)
{
    return freeze(c, true, err);
}

int ctr_unpause(struct ctr_manager *m, struct ctr *c, bt_err **err)
{
    return freeze(c, false, err);
}

int ctr_restart(struct ctr_manager *m, struct ctr *c, int timeout, bt_err **err)
{
    pthread_mutex_lock(&c->lock);
    ctr_acquire(c);
    int rc = 0;
    if (is_running(c) && !ctr_restart_user_stop(c, true) &&
        (rc = stop_locked(c, timeout, err)) == 0)
        ctr_emit_locked(c, "stop", NULL);
    if (rc == 0) {
        ctr_restart_reset(c);
        rc = ctr_start_locked(m, c, err);
    }
    if (rc == 0)
        ctr_emit_locked(c, "restart", NULL);
    ctr_release(c);
    pthread_mutex_unlock(&c->lock);
    if (rc == 0)
        ctr_net_update_parents(m, c);
    return rc;
}

/* ---- wait ---- */

uint64_t ctr_exit_generation(struct ctr *c)
{
    pthread_mutex_lock(&c->lock);
    uint64_t gen = c->exit_gen;
    pthread_mutex_unlock(&c->lock);
    return gen;
}

int ctr_wait(struct ctr_manager *m, struct ctr *c, enum ctr_wait_condition cond, uint64_t since,
             int *status, bool (*canceled)(void *), void *arg, bt_err **err)
{
    pthread_mutex_lock(&c->lock);
    uint64_t gen = since;
    for (;;) {
        bool done = false;
        switch (cond) {
        case CTR_WAIT_NOT_RUNNING:
            done = !is_running(c) && !c->busy;
            break;
        case CTR_WAIT_NEXT_EXIT:
            done = c->exit_gen != gen;
            break;
        case CTR_WAIT_REMOVED:
            done = c->removed;
            break;
        }
        if (done)
            break;
        ctr_timed_wait(c, 500);
        if (canceled && canceled(arg)) {
            pthread_mutex_unlock(&c->lock);
            return bt_err_set(err, BT_E_CANCELED, "the client went away");
        }
    }
    *status = c->exit_status;
    pthread_mutex_unlock(&c->lock);
    return 0;
}

/* ---- remove ---- */

static int remove_locked(struct ctr_manager *m, struct ctr *c, bt_err **err)
{
    ctr_exit_cleanup(c);
    ctr_set_status(c, CTR_REMOVING);
    if (ctr_unmount(c) < 0) {
        ctr_set_status(c, CTR_DEAD);
        ctr_save_state(c, NULL);
        return bt_err_set(err, BT_E_INTERNAL,
                          "unable to remove filesystem for %s: its root "
                          "file system is still mounted",
                          c->id);
    }
    /* the directory (read-write layer included) goes to the trash first; the image store
     * then only forgets the layer */
    if (ctr_trash(m, c->dir, err) < 0 || image_rw_layer_remove(m->images, c->id, err) < 0) {
        ctr_set_status(c, CTR_DEAD);
        ctr_save_state(c, NULL);
        return bt_err_wrap(err, "unable to remove filesystem for %s", c->id);
    }
    if (bt_rm_rf(c->run_dir, err) < 0) {
        ctr_set_status(c, CTR_DEAD);
        ctr_save_state(c, NULL);
        return bt_err_wrap(err, "unable to remove container %s", c->id);
    }
    c->removed = true;
    ctr_emit_locked(c, "destroy", NULL);
    ctr_index_remove(m, c);
    ctr_execs_forget(m, c);
    attach_wait_all_done(c);
    pthread_cond_broadcast(&c->cond);
    bt_debug("container %s removed", c->id);
    return 0;
}

int ctr_remove(struct ctr_manager *m, struct ctr *c, bool force, bool volumes, bt_err **err)
{
    pthread_mutex_lock(&c->lock);
    ctr_acquire(c);
    int rc = 0;
    if (c->removed) {
        rc = bt_err_set(err, BT_E_NOT_FOUND, "No such container: %s", c->id);
    } else if (c->status == CTR_PAUSED && !force) {
        rc = bt_err_set(err, BT_E_CONFLICT,
                        "cannot remove container \"%s\": container is paused and must be "
                        "unpaused first",
                        c->name);
    } else if (is_running(c) && !force) {
        rc = bt_err_set(err, BT_E_CONFLICT,
                        "cannot remove container \"%s\": container is %s: stop the "
                        "container before removing or force remove",
                        c->name, ctr_status_name(c->status));
    } else {
        if (is_running(c) && !ctr_restart_user_stop(c, true)) {
            uint64_t gen = c->exit_gen;
            if (signal_locked(c, SIGKILL, err) == 0)
                wait_exit(c, gen, -1);
            bt_err_clear(err);
        }
        rc = remove_locked(m, c, err);
    }
    /* rm -v: the anonymous volumes go too, once the container's lock is let go (the check
     * that no other container uses them looks at every container) */
    bt_autoptr(json_t) gone = rc == 0 && volumes ? json_deep_copy(c->rec) : NULL;
    ctr_release(c);
    pthread_mutex_unlock(&c->lock);
    if (gone)
        ctr_mount_points_release(m, gone);
    return rc;
}

static void *autoremove_main(void *arg)
{
    struct ctr *c = arg;
    bt_autoerr bt_err *err = NULL;
    pthread_mutex_lock(&c->lock);
    ctr_acquire(c);
    bt_autoptr(json_t) gone = NULL;
    if (!c->removed && !is_running(c)) {
        if (remove_locked(c->m, c, &err) < 0)
            bt_error("auto-remove of %s: %s", c->id, bt_err_msg(err));
        else /* as dockerd, run --rm takes the anonymous volumes with it */
            gone = json_deep_copy(c->rec);
    }
    ctr_release(c);
    pthread_mutex_unlock(&c->lock);
    if (gone)
        ctr_mount_points_release(c->m, gone);
    ctr_unref(c);
    return NULL;
}

void ctr_finish_removal_async(struct ctr *c)
{
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    ctr_ref(c);
    if (pthread_create(&t, &at, autoremove_main, c) != 0) {
        bt_error("cannot start the removal of %s", c->id);
        ctr_unref(c);
    }
    pthread_attr_destroy(&at);
}

int ctr_prune(struct ctr_manager *m, char ***ids, int64_t *reclaimed, bt_err **err)
{
    size_t n;
    struct ctr **list = ctr_list(m, &n);
    *ids = bt_xzalloc(sizeof(char *));
    *reclaimed = 0;
    for (size_t i = 0; i < n; i++) {
        struct ctr *c = list[i];
        pthread_mutex_lock(&c->lock);
        ctr_acquire(c);
        if (!is_running(c) && !c->removed) {
            bt_autoerr bt_err *e = NULL;
            if (remove_locked(m, c, &e) == 0)
                bt_strv_push(ids, c->id);
            else
                bt_warn("prune %s: %s", c->id, bt_err_msg(e));
        }
        ctr_release(c);
        pthread_mutex_unlock(&c->lock);
    }
    ctr_list_free(list, n);
    return 0;
}

/* ---- rename, resize, pids ---- */

int ctr_rename(struct ctr_manager *m, struct ctr *c, const char *name, bt_err **err)
{
    if (!name || !*name)
        return bt_err_set(err, BT_E_INVALID, "Neither old nor new names may be empty");
    if (ctr_validate_name(name, err) < 0)
        return -1;
    bt_autofree char *full = name[0] == '/' ? bt_xstrdup(name) : bt_xasprintf("/%s", name);
    pthread_mutex_lock(&c->lock);
    pthread_mutex_lock(&m->lock);
    int rc = 0;
    struct ctr *other = ctr_by_name_locked(m, full);
    if (other == c) {
        rc = bt_err_set(err, BT_E_INVALID,
                        "Renaming a container with the same name as its "
                        "current name");
    } else if (other) {
        rc = bt_err_set(err, BT_E_CONFLICT,
                        "Conflict. The container name \"%s\" is already in use by container "
                        "\"%s\". You have to remove (or rename) that container to be able to "
                        "reuse that name.",
                        full, other->id);
    } else {
        bt_autofree char *old = c->name;
        c->name = bt_xstrdup(full);
        bt_json_set_str(c->rec, "Name", full);
        ctr_emit_locked(c, "rename", (const char *const[]){"oldName", old, NULL});
    }
    pthread_mutex_unlock(&m->lock);
    if (rc == 0)
        rc = ctr_save(c, err);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

int ctr_resize(struct ctr_manager *m, struct ctr *c, int rows, int cols, bt_err **err)
{
    pthread_mutex_lock(&c->lock);
    int rc;
    if (!is_running(c) || c->ctl < 0)
        rc = bt_err_set(err, BT_E_CONFLICT, "Container %s is not running", c->id);
    else
        rc = monproto_send(c->ctl, -1, err, "resize %d %d", rows, cols);
    if (rc == 0) {
        char h[16], w[16];
        snprintf(h, sizeof(h), "%d", rows);
        snprintf(w, sizeof(w), "%d", cols);
        ctr_emit_locked(c, "resize", (const char *const[]){"height", h, "width", w, NULL});
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

int ctr_pids(struct ctr_manager *m, struct ctr *c, pid_t **pids, size_t *n, bt_err **err)
{
    *pids = NULL;
    *n = 0;
    pthread_mutex_lock(&c->lock);
    bool running = is_running(c);
    bt_autofree char *cfg_path = bt_xasprintf("%s/config.json", c->run_dir);
    pthread_mutex_unlock(&c->lock);
    if (!running)
        return bt_err_set(err, BT_E_CONFLICT, "Container %s is not running", c->id);
    bt_autoptr(json_t) cfg = bt_json_load_file(cfg_path, err);
    if (!cfg)
        return -1;
    bt_autoptr(rt_spec) spec = rt_spec_from_json(cfg, c->run_dir, err);
    if (!spec)
        return -1;
    bt_autofree char *dir = rt_cgroup_dir(rt_spec_cgroups_path(spec), "pids", err);
    if (!dir)
        return -1;
    bt_autofree char *procs = bt_xasprintf("%s/cgroup.procs", dir);
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (bt_file_read(procs, &sb, 1 << 22, err) < 0)
        return -1;
    char *save = NULL;
    bt_autofree char *text = bt_strbuf_steal(&sb);
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        *pids = bt_xreallocarray(*pids, *n + 1, sizeof(pid_t));
        (*pids)[(*n)++] = (pid_t)atoi(l);
    }
    return 0;
}
