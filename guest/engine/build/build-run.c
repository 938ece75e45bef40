/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RUN (dockerd's dispatchRun): a container from the current image with the stage's config, the
 * command (the shell's or the exec form), the build args in its environment; its output
 * streamed as the build's, its changes committed. The cache key is the config with the
 * command prefixed by the build args a RUN sees ("|1 A=1 /bin/sh -c ..."), as dockerd's
 * prependEnvOnCmd makes it, so that another --build-arg value runs the step anew.
 *
 * Heredocs (RUN <<EOF) are run as buildkit's dockerfile2llb runs them (dispatchRun), the
 * classic builder having no rule of its own: a command that is just one heredoc runs the
 * heredoc's body with the shell, or, when the body starts with "#!", as a script file mounted
 * read-only at /dev/pipes/<name>; any other command gets its heredocs appended back
 * ("cat <<EOF\nbody\nEOF") and the shell reads them itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "guest/engine/build/build-internal.h"
#include "guest/engine/container/container.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"
#include "shared/crypto/digest.h"
#include "shared/json/json.h"

struct logs_job {
    struct ctr_manager *m;
    struct ctr *c;
    int fd;
};

static bool never_gone(int fd)
{
    (void)fd;
    return false;
}

static void *logs_thread(void *arg)
{
    struct logs_job *j = arg;
    struct ctr_logs_opts o = {.stdout_ = true, .stderr_ = true, .follow = true, .tail = -1};
    bt_autoerr bt_err *e = NULL;
    if (ctr_logs(j->m, j->c, &o, j->fd, never_gone, &e) < 0)
        bt_warn("build: logs of %s: %s", ctr_id(j->c), bt_err_msg(e));
    close(j->fd);
    return NULL;
}

/* Copy the container's multiplexed output (8-byte frame headers) into the build's stream. */
static void relay(struct build *b, int fd)
{
    for (;;) {
        unsigned char hdr[8];
        bt_autoerr bt_err *e = NULL;
        if (bt_fd_read_full(fd, hdr, sizeof(hdr), &e) != (ssize_t)sizeof(hdr))
            return;
        uint32_t len =
                (uint32_t)hdr[4] << 24 | (uint32_t)hdr[5] << 16 | (uint32_t)hdr[6] << 8 | hdr[7];
        bt_autofree char *buf = bt_xmalloc(len + 1);
        if (bt_fd_read_full(fd, buf, len, &e) != (ssize_t)len)
            return;
        if (hdr[0] == 2)
            build_out_stderr(b, buf, len);
        else
            build_out_raw(b, buf, len);
    }
}

static void short_id(const char *id, char out[13])
{
    snprintf(out, 13, "%s", id);
}

/* Run the container to its end, its output relayed; *status its exit status. */
static int run_container(struct build *b, struct ctr *c, int *status, bt_err **err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return bt_err_errno(err, errno, "pipe");
    struct ctr_manager *m = b->deps.containers;
    if (ctr_start(m, c, err) < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    struct logs_job j = {m, c, p[1]};
    pthread_t t;
    if (pthread_create(&t, NULL, logs_thread, &j) != 0) {
        close(p[1]);
    } else {
        relay(b, p[0]);
        pthread_join(t, NULL);
    }
    close(p[0]);
    return ctr_wait(m, c, CTR_WAIT_NOT_RUNNING, 0, status, NULL, NULL, err);
}

static void remove_container(struct build *b, struct ctr *c)
{
    char sid[13];
    short_id(ctr_id(c), sid);
    bt_autoerr bt_err *e = NULL;
    if (ctr_remove(b->deps.containers, c, true, true, &e) < 0) {
        build_out(b, "Failed to remove intermediate container %s: %s\n", sid, bt_err_msg(e));
        return;
    }
    build_out(b, "Removing intermediate container %s\n", sid);
}

/* The command of a RUN in shell form with heredocs (see above). *key: what the cache and
 * history see, the text with its heredocs, since a script's path says nothing of its body;
 * *pipes: the directory to mount at /dev/pipes, or NULL. */
static int heredoc_command(struct build *b, const struct bt_df_inst *x, json_t *cmd, char **key,
                           char **pipes, bt_err **err)
{
    const struct bt_df_node *n = x->node;
    bt_autostrbuf struct bt_strbuf full = BT_STRBUF_INIT;
    bt_strbuf_append(&full, x->args[0]);
    for (size_t i = 0; i < n->nheredocs; i++)
        bt_strbuf_appendf(&full, "\n%s%s", n->heredocs[i].content, n->heredocs[i].name);
    *key = bt_xstrdup(bt_strbuf_str(&full));
    bt_autofree char *name = NULL;
    bool chomp = false;
    if (!bt_df_heredoc_only(x->args[0], &name, &chomp)) {
        json_array_append_new(cmd, json_string(*key));
        return 0;
    }
    struct bt_df_heredoc h = n->heredocs[0];
    h.chomp = chomp;
    bt_autofree char *body = bt_df_heredoc_body(&h);
    if (strncmp(body, "#!", 2) != 0) {
        json_array_append_new(cmd, json_string(body));
        return 0;
    }
    if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
        return bt_err_set(err, BT_E_INVALID, "invalid heredoc name for a script: %s", name);
    bt_autofree char *rnd = bt_random_hex(8);
    bt_autofree char *dir = bt_xasprintf("%s/pipes-%s", b->dir, rnd);
    if (mkdir(dir, 0755) < 0)
        return bt_err_errno(err, errno, "create %s", dir);
    bt_autofree char *path = bt_xasprintf("%s/%s", dir, name);
    bt_autoclose int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
    if (fd < 0 || bt_fd_write_all(fd, body, strlen(body), err) < 0 || fchmod(fd, 0755) < 0)
        return fd < 0 ? bt_err_errno(err, errno, "create %s", path) : -1;
    bt_autofree char *script = bt_xasprintf("/dev/pipes/%s", name);
    json_array_append_new(cmd, json_string(script));
    *pipes = bt_steal_ptr(&dir);
    return 0;
}

static json_t *create_body(struct build *b, const json_t *cmd, char *const *args, const char *pipes)
{
    json_t *body = json_deep_copy(b->st.config);
    json_object_set(body, "Cmd", (json_t *)cmd);
    json_t *env = json_array();
    json_t *old = bt_json_get_arr(b->st.config, "Env");
    if (old)
        json_array_extend(env, old);
    for (size_t i = 0; args[i]; i++)
        json_array_append_new(env, json_string(args[i]));
    json_object_set_new(body, "Env", env);
    json_object_set_new(body, "Entrypoint", json_pack("[s]", ""));
    json_object_set_new(body, "Healthcheck", json_pack("{s:[s]}", "Test", "NONE"));
    bt_json_set_str(body, "Image", b->st.image_id);
    bt_json_set_bool(body, "AttachStdout", true);
    bt_json_set_bool(body, "AttachStderr", true);
    json_t *hc = json_object();
    const char *net = b->opts.network_mode;
    if (net && *net)
        bt_json_set_str(hc, "NetworkMode", net);
    if (pipes) {
        bt_autofree char *bind = bt_xasprintf("%s:/dev/pipes:ro", pipes);
        json_object_set_new(hc, "Binds", json_pack("[s]", bind));
    }
    json_object_set_new(body, "HostConfig", hc);
    return body;
}

int build_run_step(struct build *b, const struct bt_df_inst *x, bt_err **err)
{
    if (!*b->st.image_id)
        return bt_err_set(err, BT_E_INVALID,
                          "Please provide a source image with `from` prior to run");
    bt_autoptr(json_t) cmd = json_array();
    bt_autoptr(json_t) key_cmd = NULL;
    bt_autofree char *pipes = NULL;
    if (x->json) {
        for (size_t i = 0; i < x->nargs; i++)
            json_array_append_new(cmd, json_string(x->args[i]));
    } else if (x->node->nheredocs && x->nargs == 1) {
        json_decref(cmd);
        cmd = build_shell(b);
        bt_autofree char *key = NULL;
        if (heredoc_command(b, x, cmd, &key, &pipes, err) < 0)
            return -1;
        if (pipes) {
            key_cmd = build_shell(b);
            json_array_append_new(key_cmd, json_string(key));
        }
    } else {
        json_decref(cmd);
        cmd = build_shell(b);
        json_array_append_new(cmd, json_string(x->nargs ? x->args[0] : ""));
    }
    bt_autostrv char **args = build_run_args(b);
    /* the cache key: the command with the build args the step sees */
    bt_autoptr(json_t) cc = json_deep_copy(b->st.config);
    json_object_set_new(cc, "Cmd", build_prepend_env(args, key_cmd ? key_cmd : cmd));
    bt_json_set_str(cc, "Image", b->st.image_id);
    if (build_probe(b, cc))
        return 0;

    bt_autoptr(json_t) body = create_body(b, cmd, args, pipes);
    /* removed after the step: no durable record (--rm=false keeps them: those are durable) */
    unsigned flags = b->opts.rm || b->opts.force_rm ? CTR_CREATE_TRANSIENT : 0;
    char **warnings = NULL;
    bt_autoptr(ctr) c = ctr_create(b->deps.containers, NULL, body, flags, &warnings, err);
    for (size_t i = 0; warnings && warnings[i]; i++)
        build_out(b, " ---> [Warning] %s\n", warnings[i]);
    bt_strv_free(warnings);
    if (!c)
        return -1;
    char sid[13];
    short_id(ctr_id(c), sid);
    build_out(b, " ---> Running in %s\n", sid);
    int status = 0;
    int rc = run_container(b, c, &status, err);
    if (rc == 0 && status != 0) {
        bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
        size_t i;
        json_t *v;
        bt_strbuf_append(&sb, "");
        json_array_foreach (cmd, i, v)
            bt_strbuf_appendf(&sb, "%s%s", i ? " " : "", json_string_value(v));
        bt_err_set(err, BT_E_INVALID, "The command '%s' returned a non-zero code: %d",
                   bt_strbuf_str(&sb), status);
        rc = -1;
    }
    if (rc == 0) {
        bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
        size_t i;
        json_t *v;
        bt_strbuf_append(&sb, "");
        json_array_foreach (bt_json_get_arr(cc, "Cmd"), i, v)
            bt_strbuf_appendf(&sb, "%s%s", i ? " " : "", json_string_value(v));
        bt_autoptr(json_t) cfg = json_deep_copy(b->st.config);
        bt_json_set_str(cfg, "Image", b->st.image_id);
        struct ctr_commit_opts co = {
                .build_step = true,
                .config = cfg,
                .container_config = cc,
                .created_by = bt_strbuf_str(&sb),
                .author = b->st.maintainer,
                /* removed next (--rm, --force-rm): its layer needs no copy */
                .consume = b->opts.rm || b->opts.force_rm,
        };
        char *id = ctr_commit(b->deps.containers, c, &co, err);
        if (!id) {
            rc = -1;
        } else {
            free(b->st.image_id);
            b->st.image_id = id;
        }
    }
    if (b->opts.force_rm || (b->opts.rm && rc == 0))
        remove_container(b, c);
    return rc;
}
