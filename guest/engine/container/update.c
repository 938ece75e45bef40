/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker update (POST /containers/{id}/update): new resource limits and restart policy, kept
 * in the container's HostConfig (inspect shows them, the next start applies them) and, while
 * the container runs, written to its cgroup at once, as dockerd's daemon.update() does. The
 * checks and their words are dockerd's: the request's own values first (verifyContainer-
 * Resources, 400), then their fit with what the container has (UpdateContainer, 409
 * "Cannot update container ID: ..."); a cgroup that refuses a value leaves the record as it
 * was ("Cannot update container ID: ...", 500).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest/engine/container/container-internal.h"
#include "guest/engine/container/oci.h"
#include "guest/engine/runtime/runtime.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

/* The request's fields a HostConfig takes as they are (when non-zero). */
static const char *const plain_keys[] = {"BlkioWeight", "CpuShares",  "MemoryReservation",
                                         "CpusetCpus",  "CpusetMems", NULL};

/* dockerd's ValidateRestartPolicy */
int ctr_check_restart_policy(const json_t *rp, bt_err **err)
{
    if (!json_is_object(rp))
        return 0;
    const char *name = bt_json_get_str(rp, "Name", "");
    int64_t max = bt_json_get_int(rp, "MaximumRetryCount", 0);
    if (strcmp(name, "always") == 0 || strcmp(name, "unless-stopped") == 0 ||
        strcmp(name, "no") == 0) {
        if (max != 0)
            return bt_err_set(err, BT_E_INVALID,
                              "invalid restart policy: maximum retry count can only be used with "
                              "'on-failure'%s",
                              max < 0 ? " and cannot be negative" : "");
        return 0;
    }
    if (strcmp(name, "on-failure") == 0) {
        if (max < 0)
            return bt_err_set(err, BT_E_INVALID,
                              "invalid restart policy: maximum retry count cannot be negative");
        return 0;
    }
    if (!*name)
        return 0;
    return bt_err_set(err, BT_E_INVALID,
                      "invalid restart policy: unknown policy '%s'; use one of 'no', 'always', "
                      "'on-failure', or 'unless-stopped'",
                      name);
}

/* The request's own values (dockerd's verifyPlatformContainerResources with update set). */
static int check_request(const json_t *u, bt_err **err)
{
    int64_t memory = bt_json_get_int(u, "Memory", 0);
    int64_t swap = bt_json_get_int(u, "MemorySwap", 0);
    if (memory > 0 && memory < 6 * 1024 * 1024)
        return bt_err_set(err, BT_E_INVALID, "Minimum memory limit allowed is 6MB");
    if (memory > 0 && swap > 0 && swap < memory)
        return bt_err_set(err, BT_E_INVALID,
                          "Minimum memoryswap limit should be larger than memory limit, see usage");
    if (ctr_check_cpus(u, err) < 0)
        return -1;
    int64_t blkio = bt_json_get_int(u, "BlkioWeight", 0);
    if (blkio != 0 && (blkio < 10 || blkio > 1000))
        return bt_err_set(err, BT_E_INVALID, "Range of blkio weight is from 10 to 1000");
    return ctr_check_restart_policy(json_object_get(u, "RestartPolicy"), err);
}

static int conflict(bt_err **err, const char *msg)
{
    return bt_err_set(err, BT_E_CONFLICT, "%s", msg);
}

/* dockerd's container.UpdateContainer: the request merged into hc (the container's). */
static int merge_cpu(json_t *hc, const json_t *u, bt_err **err)
{
    int64_t nano = bt_json_get_int(u, "NanoCpus", 0);
    int64_t period = bt_json_get_int(u, "CpuPeriod", 0);
    int64_t quota = bt_json_get_int(u, "CpuQuota", 0);
    if (nano > 0 && bt_json_get_int(hc, "CpuPeriod", 0) > 0)
        return conflict(err, "Conflicting options: Nano CPUs cannot be updated as CPU Period "
                             "has already been set");
    if (nano > 0 && bt_json_get_int(hc, "CpuQuota", 0) > 0)
        return conflict(err, "Conflicting options: Nano CPUs cannot be updated as CPU Quota has "
                             "already been set");
    if (period > 0 && bt_json_get_int(hc, "NanoCpus", 0) > 0)
        return conflict(err, "Conflicting options: CPU Period cannot be updated as NanoCPUs has "
                             "already been set");
    if (quota > 0 && bt_json_get_int(hc, "NanoCpus", 0) > 0)
        return conflict(err, "Conflicting options: CPU Quota cannot be updated as NanoCPUs has "
                             "already been set");
    if (nano)
        bt_json_set_int(hc, "NanoCpus", nano);
    if (period)
        bt_json_set_int(hc, "CpuPeriod", period);
    if (quota)
        bt_json_set_int(hc, "CpuQuota", quota);
    return 0;
}

static int merge_memory(json_t *hc, const json_t *u, bt_err **err)
{
    int64_t memory = bt_json_get_int(u, "Memory", 0);
    int64_t swap = bt_json_get_int(u, "MemorySwap", 0);
    int64_t old_memory = bt_json_get_int(hc, "Memory", 0);
    int64_t old_swap = bt_json_get_int(hc, "MemorySwap", 0);
    /* dockerd stores a limit's default memory+swap (twice the limit) at create */
    if (old_swap == 0 && old_memory > 0 && old_memory <= INT64_MAX / 2) {
        old_swap = 2 * old_memory;
        bt_json_set_int(hc, "MemorySwap", old_swap);
    }
    if (memory) {
        if (memory > old_swap && swap == 0)
            return conflict(err, "Memory limit should be smaller than already set memoryswap "
                                 "limit, update the memoryswap at the same time");
        bt_json_set_int(hc, "Memory", memory);
    }
    if (swap)
        bt_json_set_int(hc, "MemorySwap", swap);
    return 0;
}

static int merge(json_t *hc, const json_t *u, bt_err **err)
{
    if (merge_cpu(hc, u, err) < 0 || merge_memory(hc, u, err) < 0)
        return -1;
    for (size_t i = 0; plain_keys[i]; i++) {
        json_t *v = json_object_get(u, plain_keys[i]);
        if ((json_is_integer(v) && json_integer_value(v) != 0) ||
            (json_is_string(v) && *json_string_value(v)))
            json_object_set(hc, plain_keys[i], v);
    }
    json_t *pids = json_object_get(u, "PidsLimit");
    if (json_is_integer(pids))
        json_object_set_new(hc, "PidsLimit",
                            json_integer_value(pids) > 0 ? json_integer(json_integer_value(pids))
                                                         : json_null());
    const json_t *rp = json_object_get(u, "RestartPolicy");
    if (*bt_json_get_str(rp, "Name", "")) {
        if (bt_json_get_bool(hc, "AutoRemove", false) &&
            strcmp(bt_json_get_str(rp, "Name", ""), "no") != 0)
            return conflict(err, "Restart policy cannot be updated because AutoRemove is enabled "
                                 "for the container");
        json_object_set_new(hc, "RestartPolicy", json_deep_copy(rp));
    }
    return 0;
}

/* The limits of hc for the running container's cgroup: all of them (the cgroup gets the state
 * the next start would give it), a PIDs limit taken away as "max". */
static int apply_running(struct ctr *c, const json_t *hc, const json_t *u, bt_err **err)
{
    bt_autoptr(json_t) res = oci_resources(hc);
    json_object_del(res, "devices");
    json_t *pids = json_object_get(u, "PidsLimit");
    if (json_is_integer(pids) && json_integer_value(pids) <= 0)
        json_object_set_new(res, "pids", json_pack("{s:i}", "limit", 0));
    bt_autofree char *cg = bt_xasprintf("/berth/%s", c->id);
    return rt_cgroup_update(cg, res, err);
}

/* c->lock held, the container busy */
static int update_locked(struct ctr *c, const json_t *u, bt_err **err)
{
    if (c->removed || c->status == CTR_REMOVING || c->status == CTR_DEAD)
        return bt_err_set(err, BT_E_CONFLICT,
                          "Cannot update container %s: container is marked for removal and "
                          "cannot be \"update\"",
                          c->id);
    bt_autoptr(json_t) hc = json_deep_copy(bt_json_get_obj(c->rec, "HostConfig"));
    if (!hc)
        hc = json_object();
    if (merge(hc, u, err) < 0)
        return bt_err_wrap(err, "Cannot update container %s", c->id);
    /* a restarting container gets its limits at its next start, as with dockerd */
    bt_autoerr bt_err *e = NULL;
    if ((c->status == CTR_RUNNING || c->status == CTR_PAUSED) && apply_running(c, hc, u, &e) < 0)
        return bt_err_set(err, BT_E_INTERNAL, "Cannot update container %s: %s", c->id,
                          bt_err_msg(e));
    json_t *old = json_incref(bt_json_get_obj(c->rec, "HostConfig"));
    json_object_set(c->rec, "HostConfig", hc);
    if (ctr_save(c, err) < 0) {
        json_object_set_new(c->rec, "HostConfig", old);
        return -1;
    }
    json_decref(old);
    return 0;
}

int ctr_update(struct ctr_manager *m, struct ctr *c, const json_t *body, char ***warnings,
               bt_err **err)
{
    (void)m;
    *warnings = bt_xzalloc(sizeof(char *));
    if (check_request(body, err) < 0)
        return -1;
    pthread_mutex_lock(&c->lock);
    ctr_acquire(c);
    int rc = update_locked(c, body, err);
    ctr_release(c);
    pthread_mutex_unlock(&c->lock);
    return rc;
}
