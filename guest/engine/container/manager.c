/* SPDX-License-Identifier: Apache-2.0 */
/* The container index: records on disk, lookup by ID, prefix and name, references. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest/engine/container/container-internal.h"
#include "guest/engine/container/mounts.h"
#include "shared/base/cleanup.h"
#include "shared/base/log.h"
#include "shared/crypto/digest.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

static const char *const status_names[] = {
        [CTR_CREATED] = "created",   [CTR_RUNNING] = "running",
        [CTR_PAUSED] = "paused",     [CTR_RESTARTING] = "restarting",
        [CTR_REMOVING] = "removing", [CTR_EXITED] = "exited",
        [CTR_DEAD] = "dead",
};

const char *ctr_status_name(enum ctr_status s)
{
    return status_names[s];
}

static enum ctr_status status_from_name(const char *s)
{
    for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
        if (strcmp(status_names[i], s) == 0)
            return (enum ctr_status)i;
    return CTR_DEAD;
}

int64_t ctr_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* RFC 3339 with nanoseconds as Go's time.MarshalJSON writes it (trailing zeros trimmed);
 * 0 is Go's zero time, which Docker shows for "never". */
char *ctr_time_rfc3339(int64_t ns)
{
    if (ns == 0)
        return bt_xstrdup("0001-01-01T00:00:00Z");
    time_t sec = (time_t)(ns / 1000000000);
    long frac = (long)(ns % 1000000000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char base[32], f[16] = "";
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    if (frac) {
        snprintf(f, sizeof(f), ".%09ld", frac);
        size_t n = strlen(f);
        while (f[n - 1] == '0')
            f[--n] = '\0';
    }
    return bt_xasprintf("%s%sZ", base, f);
}

struct ctr *ctr_new(struct ctr_manager *m, const char *id)
{
    struct ctr *c = bt_xzalloc(sizeof(*c));
    atomic_init(&c->refs, 1);
    c->m = m;
    pthread_mutex_init(&c->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cond, &ca);
    pthread_condattr_destroy(&ca);
    snprintf(c->id, sizeof(c->id), "%s", id);
    c->dir = bt_xasprintf("%s/%s", m->ctr_root, id);
    c->run_dir = bt_xasprintf("%s/%s", m->exec_root, id);
    c->ctl = -1;
    c->watch.c = c;
    return c;
}

struct ctr *ctr_ref(struct ctr *c)
{
    atomic_fetch_add(&c->refs, 1);
    return c;
}

void ctr_unref(struct ctr *c)
{
    if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    json_decref(c->rec);
    ctr_stats_clear(&c->stats_hist[0]);
    ctr_stats_clear(&c->stats_hist[1]);
    bt_strv_free(c->volumes_in_use); /* counts of a run berthd leaves running */
    free(c->name);
    free(c->netns);
    bt_strv_free(c->link_env);
    free(c->net_hosts);
    free(c->dir);
    free(c->run_dir);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    free(c);
}

const char *ctr_id(const struct ctr *c)
{
    return c->id;
}

void ctr_set_status(struct ctr *c, enum ctr_status s)
{
    c->status = s;
    json_t *st = bt_json_get_obj(c->rec, "State");
    bt_json_set_str(st, "Status", ctr_status_name(s));
    /* dockerd: a restarting container is still "Running", waiting for its next start */
    bt_json_set_bool(st, "Running", s == CTR_RUNNING || s == CTR_PAUSED || s == CTR_RESTARTING);
    bt_json_set_bool(st, "Paused", s == CTR_PAUSED);
    bt_json_set_bool(st, "Restarting", s == CTR_RESTARTING);
    bt_json_set_bool(st, "Dead", s == CTR_DEAD);
    pthread_cond_broadcast(&c->cond);
}

static int save(struct ctr *c, unsigned flags, bt_err **err)
{
    if (c->removed)
        return 0;
    bt_autofree char *path = bt_xasprintf("%s/container.json", c->dir);
    if (c->transient)
        flags |= BT_FILE_NO_SYNC;
    if (bt_json_save_file_flags(path, c->rec, 0600, flags, err) < 0)
        return bt_err_wrap(err, "save container %s", c->id);
    return 0;
}

int ctr_save(struct ctr *c, bt_err **err)
{
    return save(c, 0, err);
}

/* Run state (started, exited) needs no fsync: after a crash of the machine nothing runs, and a
 * crash of berthd keeps what the page cache holds. Three fewer fsyncs per container. */
int ctr_save_state(struct ctr *c, bt_err **err)
{
    return save(c, BT_FILE_NO_SYNC, err);
}

void ctr_acquire(struct ctr *c)
{
    while (c->busy)
        pthread_cond_wait(&c->cond, &c->lock);
    c->busy = true;
}

void ctr_release(struct ctr *c)
{
    c->busy = false;
    pthread_cond_broadcast(&c->cond);
}

/* ---- the index ---- */

void ctr_index_add(struct ctr_manager *m, struct ctr *c)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 32;
        m->all = bt_xreallocarray(m->all, m->cap, sizeof(*m->all));
    }
    m->all[m->n++] = ctr_ref(c);
}

void ctr_index_remove(struct ctr_manager *m, struct ctr *c)
{
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n; i++) {
        if (m->all[i] == c) {
            memmove(&m->all[i], &m->all[i + 1], (m->n - i - 1) * sizeof(*m->all));
            m->n--;
            ctr_unref(c);
            break;
        }
    }
    pthread_mutex_unlock(&m->lock);
}

struct ctr *ctr_by_name_locked(struct ctr_manager *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->all[i]->name && strcmp(m->all[i]->name, name) == 0)
            return m->all[i];
    return NULL;
}

struct ctr *ctr_get(struct ctr_manager *m, const char *ref, bt_err **err)
{
    if (!ref || !*ref) {
        bt_err_set(err, BT_E_INVALID, "No such container: ");
        return NULL;
    }
    pthread_mutex_lock(&m->lock);
    struct ctr *found = NULL;
    /* dockerd: a full ID, then an exact name, then a unique ID prefix */
    for (size_t i = 0; i < m->n && !found; i++)
        if (strcmp(m->all[i]->id, ref) == 0)
            found = m->all[i];
    if (!found) {
        bt_autofree char *name = ref[0] == '/' ? bt_xstrdup(ref) : bt_xasprintf("/%s", ref);
        found = ctr_by_name_locked(m, name);
    }
    size_t matches = 0;
    if (!found) {
        size_t n = strlen(ref);
        for (size_t i = 0; i < m->n; i++) {
            if (strncmp(m->all[i]->id, ref, n) == 0) {
                found = m->all[i];
                matches++;
            }
        }
    }
    if (found && matches > 1) {
        pthread_mutex_unlock(&m->lock);
        bt_err_set(err, BT_E_INVALID, "multiple IDs found with provided prefix: %s", ref);
        return NULL;
    }
    if (found)
        ctr_ref(found);
    pthread_mutex_unlock(&m->lock);
    if (!found)
        bt_err_set(err, BT_E_NOT_FOUND, "No such container: %s", ref);
    return found;
}

static int cmp_created(const void *a, const void *b)
{
    struct ctr *x = *(struct ctr *const *)a, *y = *(struct ctr *const *)b;
    /* RFC 3339 strings of one format order like the times they show */
    return strcmp(bt_json_get_str(y->rec, "Created", ""), bt_json_get_str(x->rec, "Created", ""));
}

struct ctr **ctr_list(struct ctr_manager *m, size_t *n)
{
    pthread_mutex_lock(&m->lock);
    struct ctr **list = bt_xzalloc((m->n + 1) * sizeof(*list));
    for (size_t i = 0; i < m->n; i++)
        list[i] = ctr_ref(m->all[i]);
    *n = m->n;
    pthread_mutex_unlock(&m->lock);
    qsort(list, *n, sizeof(*list), cmp_created);
    return list;
}

void ctr_list_free(struct ctr **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ctr_unref(list[i]);
    free(list);
}

json_t *ctr_snapshot(struct ctr *c)
{
    pthread_mutex_lock(&c->lock);
    json_t *s = json_deep_copy(c->rec);
    bt_autofree char *log = bt_xasprintf("%s/%s-json.log", c->dir, c->id);
    bt_autofree char *resolv = bt_xasprintf("%s/resolv.conf", c->run_dir);
    bt_autofree char *hostname = bt_xasprintf("%s/hostname", c->run_dir);
    bt_autofree char *hosts = bt_xasprintf("%s/hosts", c->run_dir);
    bt_json_set_str(s, "LogPath", log);
    bt_json_set_str(s, "ResolvConfPath", resolv);
    bt_json_set_str(s, "HostnamePath", hostname);
    bt_json_set_str(s, "HostsPath", hosts);
    json_t *ids = json_array();
    pthread_mutex_lock(&c->m->lock);
    for (struct ctr_exec *e = c->m->execs; e; e = e->next)
        if (e->c == c)
            json_array_append_new(ids, json_string(e->id));
    pthread_mutex_unlock(&c->m->lock);
    json_object_set_new(s, "ExecIDs", json_array_size(ids) ? ids : (json_decref(ids), json_null()));
    json_t *mounts, *volumes;
    ctr_mounts_inspect(c->rec, &mounts, &volumes);
    json_object_set_new(s, "Mounts", mounts);
    json_object_set_new(s, "Volumes", volumes);
    json_object_del(s, "MountPoints");
    json_object_del(s, "HasBeenManuallyStopped");
    pthread_mutex_unlock(&c->lock);
    return s;
}

struct ctr_image_use *ctr_image_uses(struct ctr_manager *m, size_t *n)
{
    size_t count;
    struct ctr **list = ctr_list(m, &count);
    struct ctr_image_use *u = bt_xzalloc((count + 1) * sizeof(*u));
    for (size_t i = 0; i < count; i++) {
        pthread_mutex_lock(&list[i]->lock);
        u[i].container_id = bt_xstrdup(list[i]->id);
        u[i].image_id = bt_xstrdup(bt_json_get_str(list[i]->rec, "Image", ""));
        u[i].running = list[i]->status == CTR_RUNNING || list[i]->status == CTR_PAUSED;
        pthread_mutex_unlock(&list[i]->lock);
    }
    ctr_list_free(list, count);
    *n = count;
    return u;
}

void ctr_image_uses_free(struct ctr_image_use *u, size_t n)
{
    for (size_t i = 0; u && i < n; i++) {
        free(u[i].container_id);
        free(u[i].image_id);
    }
    free(u);
}

/* ---- open, close ---- */

static void load_one(struct ctr_manager *m, const char *id)
{
    bt_autofree char *path = bt_xasprintf("%s/%s/container.json", m->ctr_root, id);
    bt_autoerr bt_err *err = NULL;
    json_t *rec = bt_json_load_file(path, &err);
    if (!rec) {
        /* a container directory without a record is the remains of a failed create */
        bt_warn("skipping container %s: %s", id, bt_err_msg(err));
        return;
    }
    struct ctr *c = ctr_new(m, id);
    c->rec = rec;
    c->name = bt_xstrdup(bt_json_get_str(rec, "Name", ""));
    c->status = status_from_name(bt_json_get_str(bt_json_get_obj(rec, "State"), "Status", ""));
    c->exit_status = (int)bt_json_get_int(bt_json_get_obj(rec, "State"), "ExitCode", 0);
    c->manually_stopped = bt_json_get_bool(rec, "HasBeenManuallyStopped", false);
    c->started_ns = ctr_time_parse(bt_json_get_str(bt_json_get_obj(rec, "State"), "StartedAt", ""));
    ctr_index_add(m, c);
    ctr_readopt(m, c);
    ctr_unref(c);
}

struct ctr_manager *ctr_manager_open(const struct ctr_manager_opts *opts, bt_err **err)
{
    struct ctr_manager *m = bt_xzalloc(sizeof(*m));
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->workers_cond, NULL);
    pthread_cond_init(&m->stats_cond, NULL);
    m->epfd = m->wake[0] = m->wake[1] = -1;
    m->data_root = bt_xstrdup(opts->data_root);
    m->exec_root = bt_xstrdup(opts->exec_root);
    m->monitor_path = bt_xstrdup(opts->monitor_path);
    m->images = opts->images;
    m->volumes = opts->volumes;
    m->networks = opts->networks;
    m->ctr_root = bt_xasprintf("%s/containers", opts->data_root);
    if (bt_mkdir_p(m->ctr_root, 0710, err) < 0 || ctr_trash_start(m, err) < 0 ||
        ctr_supervisor_start(m, err) < 0) {
        ctr_manager_close(m);
        return NULL;
    }
    m->loading = true;
    DIR *d = opendir(m->ctr_root);
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (bt_is_hex64(de->d_name))
            load_one(m, de->d_name);
    if (d)
        closedir(d);
    ctr_net_reconcile(m);
    m->loading = false;
    bt_info("Loaded %zu containers", m->n);
    ctr_restart_at_daemon_start(m);
    return m;
}

void ctr_manager_close(struct ctr_manager *m)
{
    if (!m)
        return;
    ctr_workers_stop(m);
    ctr_supervisor_stop(m);
    ctr_trash_stop(m);
    for (size_t i = 0; i < m->n; i++) {
        struct ctr *c = m->all[i];
        if (c->ctl >= 0)
            close(c->ctl);
        c->ctl = -1;
        ctr_unref(c);
    }
    ctr_execs_forget(m, NULL);
    free(m->all);
    free(m->data_root);
    free(m->exec_root);
    free(m->monitor_path);
    free(m->ctr_root);
    free(m->trash_dir);
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->workers_cond);
    pthread_cond_destroy(&m->stats_cond);
    free(m);
}
