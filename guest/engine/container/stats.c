/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `docker stats` samples and `docker system df` sizes. A sample is the container's cgroup
 * (runtime's rt_cgroup_stats), the host's CPU time at the same moment (the denominator of the
 * CPU percentage), and the interface counters of the container's network namespace, read
 * through its first process's /proc/<pid>/net/dev (no setns needed).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guest/engine/container/container-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

/* dockerd reports no interfaces for the host's network (the sandbox has none of its own) nor
 * for none (only lo). */
static bool reports_networks(const json_t *rec)
{
    const char *mode = bt_json_get_str(bt_json_get_obj(rec, "HostConfig"), "NetworkMode", "");
    return strcmp(mode, "host") != 0 && strcmp(mode, "none") != 0;
}

int ctr_stats_sample(struct ctr_manager *m, struct ctr *c, struct ctr_stats *out, bt_err **err)
{
    (void)m;
    *out = (struct ctr_stats){0};
    pthread_mutex_lock(&c->lock);
    bool running = c->status == CTR_RUNNING || c->status == CTR_PAUSED;
    pid_t pid = c->pid;
    bool nets = reports_networks(c->rec);
    out->removed = c->removed;
    pthread_mutex_unlock(&c->lock);
    if (!running)
        return 0;
    /* The cgroupsPath every container's spec gets (oci.c). */
    bt_autofree char *cg = bt_xasprintf("/berth/%s", c->id);
    bt_autoerr bt_err *cg_err = NULL;
    if (rt_cgroup_stats(cg, &out->cg, &cg_err) < 0) {
        rt_cgroup_stats_clear(&out->cg);
        if (bt_err_code(cg_err) == BT_E_NOT_FOUND)
            return 0; /* it exited meanwhile: a stopped container's sample */
        *err = bt_steal_ptr(&cg_err);
        return -1;
    }
    if (rt_host_cpu(&out->system_ns, &out->online_cpus, err) < 0) {
        ctr_stats_clear(out);
        return -1;
    }
    clock_gettime(CLOCK_REALTIME, &out->read);
    out->running = true;
    /* A process that just exited has no /proc entry: no networks then, not an error. */
    if (nets && pid > 0)
        out->has_networks = rt_net_dev_read(pid, &out->networks, &out->nnetworks, NULL) == 0;
    return 0;
}

void ctr_stats_clear(struct ctr_stats *s)
{
    rt_cgroup_stats_clear(&s->cg);
    free(s->networks);
    *s = (struct ctr_stats){0};
}

/* ---- the collector: recent samples, so that stream=false need not wait for one ----
 *
 * dockerd answers stats?stream=false with the second sample of its collector, a second
 * after the first. Berth keeps the last two samples of every running container, taken once a
 * second by a thread that runs while stats were asked for in the last COLLECT_FOR_S seconds
 * (an engine nobody asks stats of does no work for them), and answers at once with the newest
 * sample old enough as precpu. */
#define COLLECT_EVERY_MS 1000
#define COLLECT_FOR_S    300

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The CPU figures of src alone (precpu_stats needs no more), percpu copied. */
static void copy_cpu(struct ctr_stats *dst, const struct ctr_stats *src)
{
    *dst = (struct ctr_stats){0};
    dst->running = src->running;
    dst->read = src->read;
    dst->system_ns = src->system_ns;
    dst->online_cpus = src->online_cpus;
    dst->cg.version = src->cg.version;
    dst->cg.cpu_total = src->cg.cpu_total;
    dst->cg.cpu_user = src->cg.cpu_user;
    dst->cg.cpu_system = src->cg.cpu_system;
    if (src->cg.npercpu) {
        dst->cg.percpu = bt_xmalloc(src->cg.npercpu * sizeof(*src->cg.percpu));
        memcpy(dst->cg.percpu, src->cg.percpu, src->cg.npercpu * sizeof(*src->cg.percpu));
        dst->cg.npercpu = src->cg.npercpu;
    }
}

/* c->lock held: s (its CPU figures) becomes the newest sample; a stopped container keeps
 * none (its next run starts its counters again). */
static void keep(struct ctr *c, const struct ctr_stats *s, int64_t now)
{
    ctr_stats_clear(&c->stats_hist[1]);
    c->stats_hist[1] = c->stats_hist[0];
    c->stats_mono[1] = c->stats_mono[0];
    c->stats_hist[0] = (struct ctr_stats){0};
    c->stats_mono[0] = 0;
    if (!s->running) {
        ctr_stats_clear(&c->stats_hist[1]);
        c->stats_mono[1] = 0;
        return;
    }
    copy_cpu(&c->stats_hist[0], s);
    c->stats_mono[0] = now;
}

static void collect_round(struct ctr_manager *m)
{
    size_t n = 0;
    struct ctr **all = ctr_list(m, &n);
    for (size_t i = 0; i < n; i++) {
        struct ctr *c = all[i];
        pthread_mutex_lock(&c->lock);
        bool running = c->status == CTR_RUNNING || c->status == CTR_PAUSED;
        bool kept = c->stats_mono[0] != 0;
        pthread_mutex_unlock(&c->lock);
        if (!running && !kept)
            continue;
        struct ctr_stats s;
        bt_autoerr bt_err *err = NULL;
        if (ctr_stats_sample(m, c, &s, &err) < 0)
            s = (struct ctr_stats){0};
        pthread_mutex_lock(&c->lock);
        keep(c, &s, mono_ns());
        pthread_mutex_unlock(&c->lock);
        ctr_stats_clear(&s);
    }
    ctr_list_free(all, n);
}

static void *collector_main(void *arg)
{
    struct ctr_manager *m = arg;
    pthread_mutex_lock(&m->lock);
    while (!m->closing && mono_ns() - m->stats_asked < (int64_t)COLLECT_FOR_S * 1000000000) {
        pthread_mutex_unlock(&m->lock);
        collect_round(m);
        pthread_mutex_lock(&m->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += COLLECT_EVERY_MS / 1000;
        if (!m->closing)
            pthread_cond_timedwait(&m->stats_cond, &m->lock, &until);
    }
    m->stats_collecting = false;
    pthread_mutex_unlock(&m->lock);
    ctr_worker_end(m);
    return NULL;
}

/* m->lock held: start the collector unless it runs (counted as a worker, so that
 * ctr_manager_close waits for it). */
static void collector_start_locked(struct ctr_manager *m)
{
    if (m->stats_collecting || m->closing)
        return;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    m->workers++;
    if (pthread_create(&t, &attr, collector_main, m) == 0) {
        m->stats_collecting = true;
    } else if (--m->workers == 0) {
        pthread_cond_broadcast(&m->workers_cond);
    }
    pthread_attr_destroy(&attr);
}

int ctr_stats_previous(struct ctr_manager *m, struct ctr *c, int min_age_ms, struct ctr_stats *out)
{
    int64_t now = mono_ns();
    pthread_mutex_lock(&m->lock);
    m->stats_asked = now;
    collector_start_locked(m);
    pthread_mutex_unlock(&m->lock);
    *out = (struct ctr_stats){0};
    int found = 0;
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < 2 && !found; i++) {
        if (c->stats_mono[i] && now - c->stats_mono[i] >= (int64_t)min_age_ms * 1000000) {
            copy_cpu(out, &c->stats_hist[i]);
            found = 1;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return found;
}

char *ctr_name(struct ctr *c)
{
    pthread_mutex_lock(&c->lock);
    char *name = bt_xstrdup(c->name);
    pthread_mutex_unlock(&c->lock);
    return name;
}

int64_t ctr_size_rw(struct ctr *c)
{
    bt_autofree char *upper = bt_xasprintf("%s/rootfs/upper", c->dir);
    return bt_dir_size(upper);
}
