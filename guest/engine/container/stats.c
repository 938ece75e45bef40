/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `docker stats` samples and `docker system df` sizes. A sample is the container's cgroup
 * (runtime's rt_cgroup_stats), the host's CPU time at the same moment (the denominator of the
 * CPU percentage), and the interface counters of the container's network namespace, read
 * through its first process's /proc/<pid>/net/dev (no setns needed).
 */
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
