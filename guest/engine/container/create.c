/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker create: validate the request as dockerd does, merge the image's configuration into
 * the container's, make its read-write layer and its record.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest/engine/container/container-internal.h"
#include "guest/engine/container/policy.h"
#include "guest/engine/container/mounts.h"
#include "guest/engine/container/oci.h"
#include "guest/engine/image/image.h"
#include "shared/base/cleanup.h"
#include "shared/base/log.h"
#include "shared/crypto/digest.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

BT_DEFINE_AUTOPTR(image_inspect, struct image_inspect, image_inspect_free);

/* The Config members a create request carries at its top level. */
static const char *const config_keys[] = {
        "Hostname",     "Domainname",   "User",        "AttachStdin",     "AttachStdout",
        "AttachStderr", "ExposedPorts", "Tty",         "OpenStdin",       "StdinOnce",
        "Env",          "Cmd",          "Healthcheck", "ArgsEscaped",     "Image",
        "Volumes",      "WorkingDir",   "Entrypoint",  "NetworkDisabled", "MacAddress",
        "OnBuild",      "Labels",       "StopSignal",  "StopTimeout",     "Shell",
        NULL,
};

static bool env_key_in(const json_t *env, const char *kv)
{
    size_t kl = strcspn(kv, "=");
    size_t i;
    json_t *v;
    json_array_foreach (env, i, v) {
        const char *e = json_string_value(v);
        if (e && strncmp(e, kv, kl) == 0 && (e[kl] == '=' || e[kl] == '\0'))
            return true;
    }
    return false;
}

static bool empty(const json_t *v)
{
    return !v || json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0) ||
           (json_is_string(v) && !*json_string_value(v)) ||
           (json_is_object(v) && json_object_size(v) == 0);
}

/* dockerd's Merge of Healthcheck: the request's, with each field it leaves empty (Test, or a
 * zero duration or count) the image's */
static void merge_healthcheck(json_t *cfg, const json_t *lower)
{
    json_t *hc = json_object_get(cfg, "Healthcheck");
    if (!json_is_object(lower))
        return;
    if (!json_is_object(hc)) {
        json_object_set_new(cfg, "Healthcheck", json_deep_copy(lower));
        return;
    }
    json_t *test = json_object_get(hc, "Test");
    if ((!json_is_array(test) || json_array_size(test) == 0) && json_object_get(lower, "Test"))
        json_object_set(hc, "Test", json_object_get(lower, "Test"));
    static const char *const fields[] = {"Interval",      "Timeout", "StartPeriod",
                                         "StartInterval", "Retries", NULL};
    for (size_t i = 0; fields[i]; i++)
        if (bt_json_get_int(hc, fields[i], 0) == 0 && json_object_get(lower, fields[i]))
            json_object_set(hc, fields[i], json_object_get(lower, fields[i]));
}

/* dockerd's container.Merge: what the image says, where the request says nothing. */
void ctr_merge_config(json_t *cfg, const json_t *img)
{
    if (!img)
        return;
    static const char *const plain[] = {"User",  "WorkingDir", "StopSignal",
                                        "Shell", "OnBuild",    NULL};
    for (size_t i = 0; plain[i]; i++)
        if (empty(json_object_get(cfg, plain[i])) && !empty(json_object_get(img, plain[i])))
            json_object_set(cfg, plain[i], json_object_get(img, plain[i]));
    static const char *const unions[] = {"ExposedPorts", "Volumes", "Labels", NULL};
    for (size_t i = 0; unions[i]; i++) {
        json_t *from = bt_json_get_obj(img, unions[i]);
        if (!from)
            continue;
        json_t *to = bt_json_get_obj(cfg, unions[i]);
        if (!to) {
            json_object_set_new(cfg, unions[i], json_deep_copy(from));
            continue;
        }
        const char *k;
        json_t *v;
        json_object_foreach (from, k, v) {
            if (!json_object_get(to, k))
                json_object_set(to, k, v);
        }
    }
    json_t *img_env = bt_json_get_arr(img, "Env");
    json_t *env = bt_json_get_arr(cfg, "Env");
    if (!env) {
        json_object_set_new(cfg, "Env", img_env ? json_deep_copy(img_env) : json_array());
    } else if (img_env) {
        json_t *add = json_array();
        size_t i;
        json_t *v;
        json_array_foreach (img_env, i, v) {
            if (json_is_string(v) && !env_key_in(env, json_string_value(v)))
                json_array_append(add, v);
        }
        json_array_extend(env, add);
        json_decref(add);
    }
    /* An entrypoint in the request replaces the image's, and then the image's Cmd too. */
    json_t *ep = json_object_get(cfg, "Entrypoint");
    if (!json_is_array(ep) || json_array_size(ep) == 0) {
        if (empty(json_object_get(cfg, "Cmd")) && json_object_get(img, "Cmd"))
            json_object_set(cfg, "Cmd", json_object_get(img, "Cmd"));
        if (!json_is_array(ep) && json_object_get(img, "Entrypoint"))
            json_object_set(cfg, "Entrypoint", json_object_get(img, "Entrypoint"));
    }
    merge_healthcheck(cfg, json_object_get(img, "Healthcheck"));
}

/* Path and Args: the entrypoint followed by the command. `--entrypoint ""` (an entrypoint of
 * one empty string) means none at all. */
static int command_line(const json_t *cfg, json_t *rec, bt_err **err)
{
    json_t *all = json_array();
    const json_t *ep = bt_json_get_arr(cfg, "Entrypoint");
    bool reset = ep && json_array_size(ep) == 1 && json_is_string(json_array_get(ep, 0)) &&
                 !*json_string_value(json_array_get(ep, 0));
    if (ep && !reset)
        json_array_extend(all, (json_t *)ep);
    const json_t *cmd = bt_json_get_arr(cfg, "Cmd");
    if (cmd)
        json_array_extend(all, (json_t *)cmd);
    if (json_array_size(all) == 0) {
        json_decref(all);
        return bt_err_set(err, BT_E_INVALID, "No command specified");
    }
    size_t i;
    json_t *v;
    json_array_foreach (all, i, v) {
        if (!json_is_string(v)) {
            json_decref(all);
            return bt_err_set(err, BT_E_INVALID, "invalid command: expected strings");
        }
    }
    json_object_set(rec, "Path", json_array_get(all, 0));
    json_t *args = json_array();
    for (i = 1; i < json_array_size(all); i++)
        json_array_append(args, json_array_get(all, i));
    json_object_set_new(rec, "Args", args);
    json_decref(all);
    return 0;
}

static long ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? n : 1;
}

int ctr_check_cpus(const json_t *hc, bt_err **err)
{
    int64_t nano = bt_json_get_int(hc, "NanoCpus", 0);
    if (nano > 0 && (bt_json_get_int(hc, "CpuPeriod", 0) > 0))
        return bt_err_set(err, BT_E_INVALID,
                          "Conflicting options: Nano CPUs and CPU Period cannot both be set");
    if (nano > 0 && bt_json_get_int(hc, "CpuQuota", 0) > 0)
        return bt_err_set(err, BT_E_INVALID,
                          "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
    if (nano < 0 || nano > ncpus() * 1000000000LL)
        return bt_err_set(err, BT_E_INVALID,
                          "Range of CPUs is from 0.01 to %ld.00, as there are only %ld CPUs "
                          "available",
                          ncpus(), ncpus());
    if (bt_json_get_int(hc, "CpuShares", 0) < 0)
        return bt_err_set(err, BT_E_INVALID, "invalid CPU shares");
    return 0;
}

/* dockerd's verifyPlatformContainerSettings, for what Berth acts on. */
static int validate_host_config(const json_t *hc, char ***warnings, bt_err **err)
{
    int64_t memory = bt_json_get_int(hc, "Memory", 0);
    int64_t swap = bt_json_get_int(hc, "MemorySwap", 0);
    if (memory > 0 && memory < 6 * 1024 * 1024)
        return bt_err_set(err, BT_E_INVALID, "Minimum memory limit allowed is 6MB");
    if (memory > 0 && swap > 0 && swap < memory)
        return bt_err_set(err, BT_E_INVALID,
                          "Minimum memoryswap limit should be larger than "
                          "memory limit, see usage");
    if (memory == 0 && swap > 0)
        return bt_err_set(err, BT_E_INVALID,
                          "You should always set the Memory limit when "
                          "using Memoryswap limit, see usage");
    if (memory > 0 && swap != -1 &&
        !bt_path_exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes") &&
        !bt_path_exists("/sys/fs/cgroup/cgroup.controllers"))
        bt_strv_push(warnings, "Your kernel does not support swap limit capabilities or the "
                               "cgroup is not mounted. Memory limited without swap.");
    if (ctr_check_cpus(hc, err) < 0)
        return -1;
    const char *net = bt_json_get_str(hc, "NetworkMode", "");
    if (strcmp(net, "container:") == 0)
        return bt_err_set(err, BT_E_INVALID, "invalid container format container:<name|id>");
    bt_autostrv char **caps = NULL;
    if (oci_capabilities(hc, &caps, err) < 0 || oci_check_ulimits(hc, err) < 0 ||
        oci_check_devices(hc, err) < 0)
        return -1;
    return 0;
}

static int validate_config(const json_t *cfg, bt_err **err)
{
    const char *wd = bt_json_get_str(cfg, "WorkingDir", "");
    if (*wd && wd[0] != '/')
        return bt_err_set(err, BT_E_INVALID,
                          "the working directory '%s' is invalid, it needs to be an absolute path",
                          wd);
    static const char *const arrays[] = {"Env", "Cmd", "Entrypoint", NULL};
    for (size_t i = 0; arrays[i]; i++) {
        json_t *v = json_object_get(cfg, arrays[i]);
        if (v && !json_is_null(v) && !json_is_array(v))
            return bt_err_set(err, BT_E_INVALID, "invalid %s: expected an array of strings",
                              arrays[i]);
    }
    return 0;
}

static json_t *initial_state(void)
{
    return json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s}", "Status", "created",
                     "Running", false, "Paused", false, "Restarting", false, "OOMKilled", false,
                     "Dead", false, "Pid", 0, "ExitCode", 0, "Error", "", "StartedAt",
                     "0001-01-01T00:00:00Z", "FinishedAt", "0001-01-01T00:00:00Z");
}

/* Reserve the name in the index (with a placeholder container) so two creates can't both
 * take it. Caller holds m->lock. */
static int claim_name(struct ctr_manager *m, const char *name, bt_err **err)
{
    struct ctr *other = ctr_by_name_locked(m, name);
    if (other)
        return bt_err_set(err, BT_E_CONFLICT,
                          "Conflict. The container name \"%s\" is already in use by container "
                          "\"%s\". You have to remove (or rename) that container to be able to "
                          "reuse that name.",
                          name, other->id);
    return 0;
}

int ctr_config_from_request(const json_t *body, json_t **config, json_t **host_config,
                            char ***warnings, bt_err **err)
{
    bt_autoptr(json_t) cfg = json_object();
    for (size_t i = 0; config_keys[i]; i++) {
        json_t *v = json_object_get(body, config_keys[i]);
        if (v)
            json_object_set(cfg, config_keys[i], v);
    }
    json_t *hc_in = json_object_get(body, "HostConfig");
    if (hc_in && !json_is_null(hc_in) && !json_is_object(hc_in))
        return bt_err_set(err, BT_E_INVALID, "invalid HostConfig: expected an object");
    bt_autoptr(json_t) hc = json_is_object(hc_in) ? json_deep_copy(hc_in) : json_object();
    if (validate_config(cfg, err) < 0 || validate_host_config(hc, warnings, err) < 0 ||
        ctr_health_config_check(cfg, err) < 0 || ctr_restart_policy_check(hc, err) < 0)
        return -1;
    struct ctr_mount *mounts = NULL;
    size_t nmounts = 0;
    if (ctr_mounts_parse(hc, &mounts, &nmounts, err) < 0)
        return -1;
    ctr_mounts_free(mounts, nmounts);
    json_t *image = json_object_get(cfg, "Image");
    if (!json_is_string(image) || !*json_string_value(image))
        return bt_err_set(err, BT_E_INVALID, "No image specified");
    const char *log_type = bt_json_get_str(bt_json_get_obj(hc, "LogConfig"), "Type", "");
    if (*log_type && strcmp(log_type, "json-file") != 0 && strcmp(log_type, "none") != 0)
        return bt_err_set(err, BT_E_INVALID,
                          "failed to create container: logging driver \"%s\" is not supported",
                          log_type);
    if (ctr_log_check_opts(bt_json_get_obj(hc, "LogConfig"), err) < 0)
        return -1;
    if (!*bt_json_get_str(hc, "NetworkMode", ""))
        bt_json_set_str(hc, "NetworkMode", "default");
    if (!bt_json_get_obj(hc, "LogConfig"))
        json_object_set_new(hc, "LogConfig",
                            json_pack("{s:s, s:{}}", "Type", "json-file", "Config"));
    if (!bt_json_get_obj(hc, "RestartPolicy"))
        json_object_set_new(hc, "RestartPolicy",
                            json_pack("{s:s, s:i}", "Name", "no", "MaximumRetryCount", 0));
    *config = bt_steal_ptr(&cfg);
    *host_config = bt_steal_ptr(&hc);
    return 0;
}

struct ctr *ctr_create(struct ctr_manager *m, const char *name, const json_t *body, unsigned flags,
                       char ***warnings, bt_err **err)
{
    *warnings = bt_xzalloc(sizeof(char *));
    if (name && *name && ctr_validate_name(name, err) < 0)
        return NULL;
    bt_autoptr(json_t) cfg = NULL;
    bt_autoptr(json_t) hc = NULL;
    if (ctr_config_from_request(body, &cfg, &hc, warnings, err) < 0)
        return NULL;
    const char *image_name = bt_json_get_str(cfg, "Image", "");
    bt_autoptr(image_inspect) img = NULL;
    bt_autofree char *image_id = image_resolve(m->images, image_name, err);
    if (!image_id)
        return NULL;
    img = image_inspect(m->images, image_id, err);
    if (!img)
        return NULL;
    ctr_merge_config(cfg, bt_json_get_obj(img->config, "config"));
    bt_autoptr(json_t) mount_points = NULL;
    bt_autostrv char **made = NULL; /* volumes this create made */
    if (ctr_mount_points_make(m, cfg, hc, &mount_points, &made, err) < 0)
        return NULL;

    bt_autoptr(json_t) net_settings = NULL;
    if (ctr_net_create(m, hc, body, &net_settings, err) < 0) {
        ctr_mount_points_unmake(m, made);
        return NULL;
    }

    bt_autofree char *id = bt_random_hex(32);
    if (!*bt_json_get_str(cfg, "Hostname", "")) {
        char h[13];
        snprintf(h, sizeof(h), "%.12s", id);
        bt_json_set_str(cfg, "Hostname", h);
    }

    bt_autoptr(json_t) rec = json_object();
    bt_json_set_str(rec, "Id", id);
    int64_t now = ctr_now_ns();
    bt_autofree char *created = ctr_time_rfc3339(now);
    bt_json_set_str(rec, "Created", created);
    if (command_line(cfg, rec, err) < 0) {
        ctr_mount_points_unmake(m, made);
        return NULL;
    }
    json_object_set_new(rec, "State", initial_state());
    bt_json_set_str(rec, "Image", image_id);

    /* The name: the one asked for, or a random one that is free. */
    pthread_mutex_lock(&m->lock);
    bt_autofree char *full = NULL;
    if (name && *name) {
        full = name[0] == '/' ? bt_xstrdup(name) : bt_xasprintf("/%s", name);
        if (claim_name(m, full, err) < 0) {
            pthread_mutex_unlock(&m->lock);
            ctr_mount_points_unmake(m, made);
            return NULL;
        }
    } else {
        for (int tries = 0; tries < 100; tries++) {
            bt_autofree char *r = ctr_random_name();
            full = bt_xasprintf("/%s", r);
            if (!ctr_by_name_locked(m, full))
                break;
            free(full);
            full = NULL;
        }
        if (!full) {
            bt_autofree char *r = ctr_random_name();
            full = bt_xasprintf("/%s_%.6s", r, id);
        }
    }
    bt_json_set_str(rec, "Name", full);
    ctr_net_name_links(hc, full);
    bt_json_set_int(rec, "RestartCount", 0);
    bt_json_set_str(rec, "Driver", "overlay2");
    bt_json_set_str(rec, "Platform", "linux");
    bt_json_set_str(rec, "MountLabel", "");
    bt_json_set_str(rec, "ProcessLabel", "");
    bt_json_set_str(rec, "AppArmorProfile", "");
    json_object_set(rec, "HostConfig", hc);
    json_object_set(rec, "Config", cfg);
    /* the record's copy without the create's own notes (which volumes to fill) */
    json_t *stored = json_deep_copy(mount_points);
    size_t i;
    json_t *mp;
    json_array_foreach (stored, i, mp)
        json_object_del(mp, "CopyData");
    json_object_set_new(rec, "MountPoints", stored);
    json_object_set_new(rec, "NetworkSettings", bt_steal_ptr(&net_settings));

    struct ctr *c = ctr_new(m, id);
    c->name = bt_xstrdup(full);
    c->rec = json_incref(rec);
    c->status = CTR_CREATED;
    c->transient = flags & CTR_CREATE_TRANSIENT;
    /* in the index now, so the name is taken; undone below on failure */
    ctr_index_add(m, c);
    pthread_mutex_unlock(&m->lock);

    bt_autofree char *rootfs = bt_xasprintf("%s/rootfs", c->dir);
    bt_autoptr(image_mount) mnt = NULL;
    if (bt_mkdir_p(c->dir, 0710, err) < 0 ||
        !(mnt = image_rw_layer_create(m->images, id, image_id, rootfs, err)) ||
        ctr_mount_points_populate(m, mount_points, mnt, err) < 0) {
        goto fail;
    }
    pthread_mutex_lock(&c->lock);
    int rc = ctr_save(c, err);
    if (rc == 0)
        ctr_emit_locked(c, "create", NULL);
    pthread_mutex_unlock(&c->lock);
    if (rc < 0)
        goto fail;
    bt_debug("container %s created as %s", id, full);
    return c;
fail:
    ctr_mount_points_unmake(m, made);
    image_rw_layer_remove(m->images, id, NULL);
    bt_rm_rf(c->dir, NULL);
    ctr_index_remove(m, c);
    ctr_unref(c);
    return NULL;
}
