/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker exec: instances are kept in memory (as dockerd does) until their container goes;
 * each start spawns a monitor in exec mode, which joins the container through the runtime and
 * serves the hijacked client connection like an attach.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest/engine/container/container-internal.h"
#include "guest/engine/container/oci.h"
#include "guest/engine/monproto/monproto.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/base/strbuf.h"
#include "shared/crypto/digest.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

static void exec_free(struct ctr_exec *e)
{
    if (!e)
        return;
    json_decref(e->config);
    bt_strv_free(e->args);
    free(e->dir);
    ctr_unref(e->c);
    free(e);
}

static struct ctr_exec *find_exec(struct ctr_manager *m, const char *id)
{
    for (struct ctr_exec *e = m->execs; e; e = e->next)
        if (strcmp(e->id, id) == 0)
            return e;
    return NULL;
}

/* dockerd's exec events: "exec_create: CMD ARGS" and "exec_start: ..." with the command,
 * "exec_die" with the exit code; execID in each. c->lock held. */
static void exec_emit(struct ctr_exec *e, const char *what, bool cmd, const char *exit_code)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, what);
    for (size_t i = 0; cmd && e->args[i]; i++) {
        bt_strbuf_append(&sb, i == 0 ? ": " : " ");
        bt_strbuf_append(&sb, e->args[i]);
    }
    bt_autofree char *action = bt_strbuf_steal(&sb);
    ctr_emit_locked(e->c, action,
                    (const char *const[]){"execID", e->id, "exitCode", exit_code, NULL});
}

char *ctr_exec_create(struct ctr_manager *m, struct ctr *c, const json_t *body, bt_err **err)
{
    json_t *cmd = bt_json_get_arr(body, "Cmd");
    if (!cmd || json_array_size(cmd) == 0) {
        bt_err_set(err, BT_E_INVALID, "No exec command specified");
        return NULL;
    }
    char **args = bt_json_to_strv(cmd, err);
    if (!args)
        return NULL;
    pthread_mutex_lock(&c->lock);
    bool running = c->status == CTR_RUNNING;
    bool paused = c->status == CTR_PAUSED;
    bool restarting = c->status == CTR_RESTARTING;
    pthread_mutex_unlock(&c->lock);
    if (!running) {
        bt_strv_free(args);
        bt_err_set(err, BT_E_CONFLICT,
                   paused       ? "Container %s is paused, unpause the container "
                                  "before exec"
                   : restarting ? "Container %s is restarting, wait until the container is "
                                  "running"
                                : "Container %s is not running",
                   c->id);
        return NULL;
    }
    struct ctr_exec *e = bt_xzalloc(sizeof(*e));
    bt_autofree char *id = bt_random_hex(32);
    snprintf(e->id, sizeof(e->id), "%s", id);
    e->c = ctr_ref(c);
    e->config = json_deep_copy(body);
    e->args = args;
    e->tty = bt_json_get_bool(body, "Tty", false);
    e->in = bt_json_get_bool(body, "AttachStdin", false);
    e->out = bt_json_get_bool(body, "AttachStdout", false);
    e->err = bt_json_get_bool(body, "AttachStderr", false);
    e->exit_code = -1;
    e->ctl = -1;
    e->watch.is_exec = true;
    e->watch.c = c;
    e->watch.e = e;
    e->dir = bt_xasprintf("%s/exec-%s", c->run_dir, e->id);
    pthread_mutex_lock(&m->lock);
    e->next = m->execs;
    m->execs = e;
    pthread_mutex_unlock(&m->lock);
    pthread_mutex_lock(&c->lock);
    exec_emit(e, "exec_create", true, NULL);
    pthread_mutex_unlock(&c->lock);
    return bt_xstrdup(e->id);
}

/* The OCI process of an exec: the container's own process settings (its env, user, caps),
 * with the exec's command, user, working directory, env and terminal over them. */
static json_t *exec_process(struct ctr_exec *e, const json_t *ctr_spec, bt_err **err)
{
    const json_t *base = bt_json_get_obj(ctr_spec, "process");
    json_t *p = base ? json_deep_copy(base) : json_object();
    json_object_set_new(p, "args", bt_json_strv(e->args));
    bt_json_set_bool(p, "terminal", e->tty);
    bt_autostrv char **env = bt_json_to_strv(bt_json_get_arr(p, "env"), NULL);
    if (!env)
        env = bt_xzalloc(sizeof(char *));
    if (e->tty)
        oci_env_set(&env, "TERM=xterm");
    size_t i;
    json_t *v;
    json_array_foreach (bt_json_get_arr(e->config, "Env"), i, v) {
        if (json_is_string(v))
            oci_env_set(&env, json_string_value(v));
    }
    json_object_set_new(p, "env", bt_json_strv(env));
    const char *wd = bt_json_get_str(e->config, "WorkingDir", "");
    if (*wd)
        bt_json_set_str(p, "cwd", wd);
    const char *user = bt_json_get_str(e->config, "User", "");
    if (*user) {
        /* the user is resolved inside the running container's rootfs */
        bt_autofree char *rootfs = bt_xasprintf("%s/rootfs/merged", e->c->dir);
        bt_autoclose int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct ctr_user u;
        if (rootfd < 0 || ctr_resolve_user(rootfd, user, NULL, &u, err) < 0) {
            if (rootfd < 0)
                bt_err_errno(err, errno, "open rootfs");
            json_decref(p);
            return NULL;
        }
        json_t *gids = json_array();
        for (size_t k = 0; k < u.ngroups; k++)
            json_array_append_new(gids, json_integer(u.groups[k]));
        json_object_set_new(p, "user",
                            json_pack("{s:i, s:i, s:o}", "uid", (int)u.uid, "gid", (int)u.gid,
                                      "additionalGids", gids));
        json_t *caps = bt_json_get_obj(p, "capabilities");
        if (caps && u.uid != 0) {
            json_object_del(caps, "effective");
            json_object_del(caps, "permitted");
        }
        ctr_user_free(&u);
    }
    if (bt_json_get_bool(e->config, "Privileged", false)) {
        const json_t *hc = bt_json_get_obj(e->c->rec, "HostConfig");
        bt_autoptr(json_t) priv = json_pack("{s:b}", "Privileged", true);
        (void)hc;
        bt_autostrv char **all = NULL;
        if (oci_capabilities(priv, &all, err) == 0) {
            json_t *set = bt_json_strv(all);
            json_object_set_new(p, "capabilities",
                                json_pack("{s:O, s:O, s:O}", "bounding", set, "effective", set,
                                          "permitted", set));
            json_decref(set);
        }
    }
    return p;
}

/* Write the exec's files and spawn its monitor; returns the control socket. c->lock held. */
static int exec_spawn(struct ctr_manager *m, struct ctr *c, struct ctr_exec *e, bool attached,
                      bt_err **err)
{
    bt_autofree char *spec_path = bt_xasprintf("%s/config.json", c->run_dir);
    bt_autofree char *doc_path = bt_xasprintf("%s/exec.json", e->dir);
    bt_autofree char *log = bt_xasprintf("%s/monitor.log", e->dir);
    bt_autoptr(json_t) spec = bt_json_load_file(spec_path, err);
    if (!spec)
        return -1;
    json_t *proc = exec_process(e, spec, err);
    if (!proc)
        return -1;
    bt_autofree char *cache = bt_xasprintf("%s/seccomp", m->exec_root);
    bt_autoptr(json_t) doc =
            json_pack("{s:o, s:i, s:b, s:b, s:s}", "process", proc, "init_pid", (int)c->pid, "tty",
                      e->tty, "open_stdin", e->in && attached, "seccomp_cache", cache);
    if (bt_mkdir_p(e->dir, 0700, err) < 0 || bt_json_save_file(doc_path, doc, 0600, err) < 0)
        return -1;
    char *args[] = {"exec", c->run_dir, e->dir, NULL};
    return ctr_spawn_monitor(m, args, log, err);
}

static void exec_detached(void *arg, const char *token)
{
    struct ctr_exec *e = arg;
    if (e->attach && strcmp(token, e->attach->token) == 0)
        e->attach->done = true;
}

/* The monitor's answer to "start". c->lock held. */
static int exec_started(struct ctr_exec *e, int ctl, bt_err **err)
{
    bt_autofree char *what = bt_xasprintf("exec %s", e->id);
    int status = -1;
    if (ctr_await_start(ctl, what, &e->pid, &status, exec_detached, e, err) < 0) {
        if (status >= 0)
            e->exit_code = status;
        return bt_err_wrap(err, "OCI runtime exec failed: exec failed: unable to start container "
                                "process");
    }
    e->running = true;
    exec_emit(e, "exec_start", true, NULL);
    return 0;
}

int ctr_exec_start(struct ctr_manager *m, const char *exec_id, int sock, bool detach, bt_err **err)
{
    pthread_mutex_lock(&m->lock);
    struct ctr_exec *e = find_exec(m, exec_id);
    struct ctr *c = e ? ctr_ref(e->c) : NULL;
    pthread_mutex_unlock(&m->lock);
    if (!e)
        return bt_err_set(err, BT_E_NOT_FOUND, "No such exec instance: %s", exec_id);
    bt_autoptr(ctr) cref __attribute__((unused)) = c;
    bool attached = sock >= 0 && !detach;
    pthread_mutex_lock(&c->lock);
    int rc = -1;
    int ctl = -1;
    if (e->started) {
        rc = bt_err_set(err, BT_E_CONFLICT, "Error: Exec command %s has already run", e->id);
        goto out;
    }
    if (c->status != CTR_RUNNING || c->pid <= 0) {
        rc = bt_err_set(err, BT_E_CONFLICT, "Container %s is not running", c->id);
        goto out;
    }
    e->started = true;
    ctl = exec_spawn(m, c, e, attached, err);
    if (ctl < 0)
        goto out;
    if (attached) {
        struct ctr_attach_opts o = {.in = e->in, .out = e->out, .err = e->err};
        e->attach = attach_wait_new(-1, &o);
        const char *keys = bt_json_get_str(e->config, "DetachKeys", "");
        if ((*keys &&
             ctr_detach_keys_hex(keys, e->attach->keys, sizeof(e->attach->keys), err) < 0) ||
            monproto_send(ctl, sock, err, "attach %s %s %s", e->attach->token, e->attach->flags,
                          e->attach->keys) < 0)
            goto out;
    }
    if (monproto_send(ctl, -1, err, "start") < 0 || exec_started(e, ctl, err) < 0)
        goto out;
    e->ctl = ctl;
    ctl = -1;
    ctr_watch(m, &e->watch, e->ctl);
    /* with a client: stay until the monitor is done with it (the exit code is recorded
     * before, so the client's inspect right after sees it) */
    while (e->attach && !e->attach->done)
        pthread_cond_wait(&c->cond, &c->lock);
    rc = 0;
out:
    bt_fd_close(ctl);
    free(e->attach);
    e->attach = NULL;
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void ctr_exec_on_exit(struct ctr_exec *e, int status)
{
    if (e->ctl >= 0) {
        ctr_unwatch(e->c->m, e->ctl);
        close(e->ctl);
        e->ctl = -1;
    }
    e->running = false;
    e->exit_code = status < 0 ? 126 : status;
    char code[16];
    snprintf(code, sizeof(code), "%d", e->exit_code);
    exec_emit(e, "exec_die", false, code);
    /* the monitor flushed the client's output before it reported the exit */
    if (e->attach)
        e->attach->done = true;
    bt_rm_rf(e->dir, NULL);
    pthread_cond_broadcast(&e->c->cond);
}

json_t *ctr_exec_inspect(struct ctr_manager *m, const char *exec_id, bt_err **err)
{
    pthread_mutex_lock(&m->lock);
    struct ctr_exec *e = find_exec(m, exec_id);
    struct ctr *c = e ? ctr_ref(e->c) : NULL;
    pthread_mutex_unlock(&m->lock);
    if (!e) {
        bt_err_set(err, BT_E_NOT_FOUND, "No such exec instance: %s", exec_id);
        return NULL;
    }
    pthread_mutex_lock(&c->lock);
    json_t *args = json_array();
    for (size_t i = 1; e->args[i]; i++)
        json_array_append_new(args, json_string(e->args[i]));
    json_t *pc = json_pack("{s:s, s:o, s:b, s:s, s:b}", "entrypoint", e->args[0], "arguments", args,
                           "privileged", bt_json_get_bool(e->config, "Privileged", false), "user",
                           bt_json_get_str(e->config, "User", ""), "tty", e->tty);
    json_t *doc = json_object();
    bt_json_set_bool(doc, "CanRemove", false);
    bt_json_set_str(doc, "ContainerID", c->id);
    bt_json_set_str(doc, "DetachKeys", bt_json_get_str(e->config, "DetachKeys", ""));
    json_object_set_new(doc, "ExitCode",
                        e->exit_code >= 0 ? json_integer(e->exit_code) : json_null());
    bt_json_set_str(doc, "ID", e->id);
    bt_json_set_bool(doc, "OpenStderr", e->err);
    bt_json_set_bool(doc, "OpenStdin", e->in);
    bt_json_set_bool(doc, "OpenStdout", e->out);
    json_object_set_new(doc, "ProcessConfig", pc);
    bt_json_set_bool(doc, "Running", e->running);
    bt_json_set_int(doc, "Pid", e->pid);
    pthread_mutex_unlock(&c->lock);
    ctr_unref(c);
    return doc;
}

int ctr_exec_resize(struct ctr_manager *m, const char *exec_id, int rows, int cols, bt_err **err)
{
    pthread_mutex_lock(&m->lock);
    struct ctr_exec *e = find_exec(m, exec_id);
    struct ctr *c = e ? ctr_ref(e->c) : NULL;
    pthread_mutex_unlock(&m->lock);
    if (!e)
        return bt_err_set(err, BT_E_NOT_FOUND, "No such exec instance: %s", exec_id);
    pthread_mutex_lock(&c->lock);
    int rc = e->ctl >= 0 ? monproto_send(e->ctl, -1, err, "resize %d %d", rows, cols)
                         : bt_err_set(err, BT_E_CONFLICT, "Exec %s is not running", exec_id);
    pthread_mutex_unlock(&c->lock);
    ctr_unref(c);
    return rc;
}

/* Forget the exec instances of c (all when c is NULL) that no monitor still reports on. One
 * still running when its container is removed stays on the list, ended, until berthd stops:
 * its watch may be in the supervisor's hands at this moment. */
void ctr_execs_forget(struct ctr_manager *m, struct ctr *c)
{
    pthread_mutex_lock(&m->lock);
    for (struct ctr_exec **p = &m->execs; *p;) {
        struct ctr_exec *e = *p;
        if ((c == NULL || e->c == c) && (c == NULL || e->ctl < 0)) {
            *p = e->next;
            bt_fd_close(e->ctl);
            exec_free(e);
        } else {
            p = &e->next;
        }
    }
    pthread_mutex_unlock(&m->lock);
}

pid_t ctr_exec_pid(struct ctr_manager *m, const char *exec_id)
{
    pthread_mutex_lock(&m->lock);
    struct ctr_exec *e = find_exec(m, exec_id);
    struct ctr *c = e ? ctr_ref(e->c) : NULL;
    pthread_mutex_unlock(&m->lock);
    if (!c)
        return 0;
    pthread_mutex_lock(&c->lock);
    pid_t pid = e->running ? e->pid : 0;
    pthread_mutex_unlock(&c->lock);
    ctr_unref(c);
    return pid;
}

void ctr_exec_drop(struct ctr_manager *m, const char *exec_id)
{
    pthread_mutex_lock(&m->lock);
    for (struct ctr_exec **p = &m->execs; *p; p = &(*p)->next) {
        struct ctr_exec *e = *p;
        if (strcmp(e->id, exec_id) == 0 && e->ctl < 0) {
            *p = e->next;
            exec_free(e);
            break;
        }
    }
    pthread_mutex_unlock(&m->lock);
}
