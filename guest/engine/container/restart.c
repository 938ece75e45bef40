/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Restart policies at run time, as dockerd's restart manager: after an exit the policy decides
 * (policy.c), the container shows "restarting" while it waits out the back-off, then a worker
 * thread starts it again. A user's stop or kill cancels that; a user's start begins afresh.
 * When berthd starts, the containers the policy restarts then are started (ctr_manager_open).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "guest/engine/container/container-internal.h"
#include "guest/engine/container/policy.h"
#include "shared/base/cleanup.h"
#include "shared/base/log.h"
#include "shared/json/json.h"

/* ---- worker threads ---- */

void ctr_worker_begin(struct ctr_manager *m)
{
    pthread_mutex_lock(&m->lock);
    m->workers++;
    pthread_mutex_unlock(&m->lock);
}

void ctr_worker_end(struct ctr_manager *m)
{
    pthread_mutex_lock(&m->lock);
    if (--m->workers == 0)
        pthread_cond_broadcast(&m->workers_cond);
    pthread_mutex_unlock(&m->lock);
}

void ctr_workers_stop(struct ctr_manager *m)
{
    pthread_mutex_lock(&m->lock);
    m->closing = true;
    pthread_cond_broadcast(&m->stats_cond);
    size_t n = m->n;
    struct ctr **all = bt_xzalloc((n + 1) * sizeof(*all));
    for (size_t i = 0; i < n; i++)
        all[i] = ctr_ref(m->all[i]);
    pthread_mutex_unlock(&m->lock);
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&all[i]->lock);
        pthread_cond_broadcast(&all[i]->cond);
        pthread_mutex_unlock(&all[i]->lock);
    }
    ctr_list_free(all, n);
    pthread_mutex_lock(&m->lock);
    while (m->workers > 0)
        pthread_cond_wait(&m->workers_cond, &m->lock);
    pthread_mutex_unlock(&m->lock);
}

static bool spawn_detached(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    bool ok = pthread_create(&t, &at, fn, arg) == 0;
    pthread_attr_destroy(&at);
    return ok;
}

int64_t ctr_time_parse(const char *s)
{
    struct tm tm = {0};
    const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!rest)
        return 0;
    int64_t secs = (int64_t)timegm(&tm);
    /* Go's zero time (0001-01-01, a container never started) and anything else beyond what
     * int64 nanoseconds hold (1678 to 2262) is no time */
    if (secs <= INT64_MIN / 1000000000 + 1 || secs >= INT64_MAX / 1000000000 - 1)
        return 0;
    int64_t ns = secs * 1000000000;
    if (*rest == '.') {
        int64_t frac = 0, scale = 100000000;
        for (rest++; *rest >= '0' && *rest <= '9'; rest++, scale /= 10)
            frac += (*rest - '0') * scale;
        ns += frac;
    }
    return ns;
}

/* ---- restarting after an exit ---- */

struct restart_job {
    struct ctr *c;
    uint64_t seq;
    int64_t delay_ms;
};

static bool restart_due(const struct ctr *c, uint64_t seq)
{
    return c->restart_seq == seq && c->status == CTR_RESTARTING && !c->removed && !c->m->closing;
}

static void *restart_main(void *arg)
{
    struct restart_job *j = arg;
    struct ctr *c = j->c;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_mutex_lock(&c->lock);
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long spent = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
        if (!restart_due(c, j->seq) || spent >= j->delay_ms)
            break;
        ctr_timed_wait(c, j->delay_ms - spent);
    }
    if (restart_due(c, j->seq)) {
        ctr_acquire(c);
        if (restart_due(c, j->seq)) {
            bt_autoerr bt_err *err = NULL;
            if (ctr_start_locked(c->m, c, &err) < 0)
                bt_warn("restart of container %s: %s", c->id, bt_err_msg(err));
        }
        ctr_release(c);
    }
    pthread_mutex_unlock(&c->lock);
    ctr_worker_end(c->m);
    ctr_unref(c);
    free(j);
    return NULL;
}

bool ctr_restart_after_exit(struct ctr *c, int status, int64_t finished_ns)
{
    if (c->m->loading || c->m->closing || c->removed)
        return false;
    struct ctr_restart_policy p = ctr_restart_policy_of(bt_json_get_obj(c->rec, "HostConfig"));
    int64_t count = bt_json_get_int(c->rec, "RestartCount", 0);
    int64_t ran_ms = c->started_ns && finished_ns > c->started_ns
                             ? (finished_ns - c->started_ns) / 1000000
                             : 0;
    if (p.kind == CTR_RESTART_NO)
        return false;
    /* as dockerd's restart manager: the back-off moves on whatever the decision */
    c->restart_delay_ms = ctr_restart_backoff(c->restart_delay_ms, ran_ms);
    if (c->restart_canceled || !ctr_restart_wanted(&p, status, c->manually_stopped, count))
        return false;
    struct restart_job *j = bt_xzalloc(sizeof(*j));
    j->c = ctr_ref(c);
    j->seq = ++c->restart_seq;
    j->delay_ms = c->restart_delay_ms;
    ctr_worker_begin(c->m);
    if (!spawn_detached(restart_main, j)) {
        bt_error("cannot schedule the restart of container %s", c->id);
        ctr_worker_end(c->m);
        ctr_unref(c);
        free(j);
        return false;
    }
    bt_json_set_int(c->rec, "RestartCount", count + 1);
    ctr_set_status(c, CTR_RESTARTING);
    bt_debug("container %s restarts in %lld ms", c->id, (long long)j->delay_ms);
    return true;
}

static void save_marks(struct ctr *c)
{
    bt_json_set_bool(c->rec, "HasBeenManuallyStopped", c->manually_stopped);
}

bool ctr_restart_user_stop(struct ctr *c, bool cancel)
{
    if (!c->m->closing) {
        c->manually_stopped = true;
        save_marks(c);
    }
    if (cancel)
        c->restart_canceled = true;
    if (c->status != CTR_RESTARTING) {
        ctr_save_state(c, NULL);
        return false;
    }
    c->restart_seq++;
    ctr_set_status(c, CTR_EXITED);
    ctr_save_state(c, NULL);
    return true;
}

void ctr_restart_reset(struct ctr *c)
{
    c->manually_stopped = false;
    c->restart_canceled = false;
    c->restart_delay_ms = 0;
    save_marks(c);
    bt_json_set_int(c->rec, "RestartCount", 0);
}

/* ---- at daemon start ---- */

static bool restart_at_daemon_start(struct ctr *c)
{
    if (c->status != CTR_EXITED || c->removed)
        return false;
    const json_t *st = bt_json_get_obj(c->rec, "State");
    /* never started: dockerd's HasBeenStartedBefore */
    if (ctr_time_parse(bt_json_get_str(st, "StartedAt", "")) <= 0)
        return false;
    struct ctr_restart_policy p = ctr_restart_policy_of(bt_json_get_obj(c->rec, "HostConfig"));
    return ctr_restart_wanted(&p, (int)bt_json_get_int(st, "ExitCode", 0), c->manually_stopped,
                              bt_json_get_int(c->rec, "RestartCount", 0));
}

static void *daemon_start_main(void *arg)
{
    struct ctr_manager *m = arg;
    size_t n;
    struct ctr **list = ctr_list(m, &n);
    for (size_t i = 0; i < n && !m->closing; i++) {
        struct ctr *c = list[i];
        pthread_mutex_lock(&c->lock);
        ctr_acquire(c);
        if (!m->closing && restart_at_daemon_start(c)) {
            bt_info("container %s: started by its restart policy", c->id);
            ctr_restart_reset(c);
            bt_autoerr bt_err *err = NULL;
            if (ctr_start_locked(m, c, &err) < 0)
                bt_warn("restart of container %s: %s", c->id, bt_err_msg(err));
        }
        ctr_release(c);
        pthread_mutex_unlock(&c->lock);
    }
    ctr_list_free(list, n);
    ctr_worker_end(m);
    return NULL;
}

void ctr_restart_at_daemon_start(struct ctr_manager *m)
{
    ctr_worker_begin(m);
    if (!spawn_detached(daemon_start_main, m)) {
        bt_error("cannot start the containers' restart policies");
        ctr_worker_end(m);
    }
}
