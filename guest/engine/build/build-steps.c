/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One step (dockerd's dispatchers.go): each instruction's effect on the run config, and the
 * commit of config-only steps, which need no container: an image without layer whose
 * container config's Cmd says what the step was ("/bin/sh -c #(nop)  ENV A=1").
 */
#include <stdlib.h>
#include <string.h>

#include "guest/engine/build/build-internal.h"
#include "guest/engine/image/image.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"
#include "shared/json/json.h"

/* The declared ARGs with values: --build-arg wins over the default; a declared ARG without a
 * default takes the meta ARG's value. */
static const char *arg_value(const struct build *b, const char *name, const json_t *decl)
{
    json_t *given = json_object_get(b->build_args, name);
    if (given && json_is_string(given))
        return json_string_value(given);
    if (json_is_string(decl))
        return json_string_value(decl);
    json_t *meta = json_object_get(b->meta, name);
    return json_is_string(meta) ? json_string_value(meta) : NULL;
}

char **build_expand_env(const struct build *b)
{
    char **env = bt_xzalloc(sizeof(char *));
    const char *k;
    json_t *v;
    json_object_foreach (b->st.args, k, v) {
        const char *val = arg_value(b, k, v);
        if (val) {
            bt_autofree char *kv = bt_xasprintf("%s=%s", k, val);
            bt_strv_push(&env, kv);
        }
    }
    json_t *e = bt_json_get_arr(b->st.config, "Env");
    size_t i;
    json_array_foreach (e, i, v)
        if (json_is_string(v))
            bt_strv_push(&env, json_string_value(v));
    return env;
}

static bool env_has(const json_t *env, const char *name)
{
    size_t n = strlen(name), i;
    json_t *v;
    json_array_foreach (env, i, v) {
        const char *s = json_string_value(v);
        if (s && strncmp(s, name, n) == 0 && s[n] == '=')
            return true;
    }
    return false;
}

char **build_run_args(const struct build *b)
{
    char **out = bt_xzalloc(sizeof(char *));
    json_t *env = bt_json_get_arr(b->st.config, "Env");
    const char *k;
    json_t *v;
    json_object_foreach (b->st.args, k, v) {
        const char *val = arg_value(b, k, v);
        if (val && !env_has(env, k)) {
            bt_autofree char *kv = bt_xasprintf("%s=%s", k, val);
            bt_strv_push(&out, kv);
        }
    }
    return out;
}

json_t *build_shell(const struct build *b)
{
    json_t *sh = bt_json_get_arr(b->st.config, "Shell");
    if (sh && json_array_size(sh))
        return json_deep_copy(sh);
    return json_pack("[s,s]", "/bin/sh", "-c");
}

json_t *build_comment_config(const struct build *b, const char *const *parts)
{
    json_t *cfg = json_deep_copy(b->st.config);
    json_t *cmd = build_shell(b);
    for (size_t i = 0; parts[i]; i++)
        json_array_append_new(cmd, json_string(parts[i]));
    json_object_set_new(cfg, "Cmd", cmd);
    bt_json_set_str(cfg, "Image", b->st.image_id);
    return cfg;
}

bool build_probe(struct build *b, json_t *cc)
{
    if (b->opts.nocache || b->st.cache_busted)
        return false;
    char *hit = image_cache_find(b->deps.images, b->st.image_id, cc);
    if (!hit) {
        b->st.cache_busted = true;
        return false;
    }
    build_out(b, " ---> Using cache\n");
    free(b->st.image_id);
    b->st.image_id = hit;
    return true;
}

/* Go's strings.Join(Cmd, " ") */
static char *join_cmd(const json_t *cmd)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, "");
    size_t i;
    json_t *v;
    json_array_foreach (cmd, i, v)
        bt_strbuf_appendf(&sb, "%s%s", i ? " " : "", json_is_string(v) ? json_string_value(v) : "");
    return bt_strbuf_steal(&sb);
}

int build_commit_upper(struct build *b, const char *upper, const json_t *cc, bt_err **err)
{
    bt_autoptr(json_t) cfg = json_deep_copy(b->st.config);
    bt_json_set_str(cfg, "Image", b->st.image_id);
    bt_autofree char *created_by = join_cmd(bt_json_get_arr(cc, "Cmd"));
    struct image_commit_opts o = {
            .base = b->st.image_id,
            .upper_dir = upper,
            .config = cfg,
            .container_config = cc,
            .author = b->st.maintainer,
            .created_by = created_by,
    };
    char *id = image_commit(b->deps.images, &o, err);
    if (!id)
        return -1;
    free(b->st.image_id);
    b->st.image_id = id;
    return 0;
}

int build_commit_config(struct build *b, const char *comment, bt_err **err)
{
    const char *parts[] = {"#(nop) ", comment, NULL};
    bt_autoptr(json_t) cc = build_comment_config(b, parts);
    if (build_probe(b, cc))
        return 0;
    return build_commit_upper(b, NULL, cc, err);
}

/* ---- the config instructions ---- */

static void env_set(json_t *cfg, const char *key, const char *value)
{
    json_t *env = bt_json_get_arr(cfg, "Env");
    if (!env) {
        env = json_array();
        json_object_set_new(cfg, "Env", env);
    }
    bt_autofree char *kv = bt_xasprintf("%s=%s", key, value);
    size_t n = strlen(key), i;
    json_t *v;
    json_array_foreach (env, i, v) {
        const char *s = json_string_value(v);
        if (s && strncmp(s, key, n) == 0 && s[n] == '=') {
            json_array_set_new(env, i, json_string(kv));
            return;
        }
    }
    json_array_append_new(env, json_string(kv));
}

static json_t *obj_field(json_t *cfg, const char *key)
{
    json_t *o = bt_json_get_obj(cfg, key);
    if (!o) {
        o = json_object();
        json_object_set_new(cfg, key, o);
    }
    return o;
}

/* CMD/ENTRYPOINT/SHELL-like: exec form as is, shell form prefixed by the shell */
static json_t *cmd_line(const struct build *b, const struct bt_df_inst *x)
{
    if (x->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < x->nargs; i++)
            json_array_append_new(a, json_string(x->args[i]));
        return a;
    }
    json_t *a = build_shell(b);
    json_array_append_new(a, json_string(x->nargs ? x->args[0] : ""));
    return a;
}

static char *workdir(const struct build *b, const char *path)
{
    const char *cur = bt_json_get_str(b->st.config, "WorkingDir", "");
    bt_autofree char *joined =
            path[0] == '/' ? bt_xstrdup(path) : bt_xasprintf("%s/%s", *cur ? cur : "/", path);
    return bt_path_clean(joined);
}

static int health(struct build *b, const struct bt_df_inst *x, bt_err **err)
{
    const struct bt_df_health *h = x->health;
    json_t *hc = json_object();
    json_t *test = json_array();
    for (size_t i = 0; h->test && h->test[i]; i++)
        json_array_append_new(test, json_string(h->test[i]));
    json_object_set_new(hc, "Test", test);
    if (h->interval_ns)
        bt_json_set_int(hc, "Interval", h->interval_ns);
    if (h->timeout_ns)
        bt_json_set_int(hc, "Timeout", h->timeout_ns);
    if (h->start_period_ns)
        bt_json_set_int(hc, "StartPeriod", h->start_period_ns);
    if (h->retries)
        bt_json_set_int(hc, "Retries", h->retries);
    json_object_set_new(b->st.config, "Healthcheck", hc);
    bt_autofree char *q = build_go_quote_strv(test);
    bt_autofree char *comment = bt_xasprintf("HEALTHCHECK %s", q);
    return build_commit_config(b, comment, err);
}

static int arg(struct build *b, const struct bt_df_inst *x, bt_err **err)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, "ARG");
    for (size_t i = 0; i < x->nkvs; i++) {
        const struct bt_df_kv *kv = &x->kvs[i];
        json_object_set_new(b->st.args, kv->key, kv->value ? json_string(kv->value) : json_null());
        json_object_set_new(b->used_args, kv->key, json_true());
        bt_strbuf_appendf(&sb, " %s%s%s", kv->key, kv->value ? "=" : "",
                          kv->value ? kv->value : "");
    }
    return build_commit_config(b, bt_strbuf_str(&sb), err);
}

static int config_step(struct build *b, const struct bt_df_inst *x, bt_err **err)
{
    json_t *cfg = b->st.config;
    bt_autostrbuf struct bt_strbuf c = BT_STRBUF_INIT;
    switch (x->cmd) {
    case BT_DF_ENV:
        bt_strbuf_append(&c, "ENV");
        for (size_t i = 0; i < x->nkvs; i++) {
            env_set(cfg, x->kvs[i].key, x->kvs[i].value ? x->kvs[i].value : "");
            bt_strbuf_appendf(&c, " %s=%s", x->kvs[i].key, x->kvs[i].value ? x->kvs[i].value : "");
        }
        break;
    case BT_DF_LABEL: {
        json_t *labels = obj_field(cfg, "Labels");
        bt_strbuf_append(&c, "LABEL");
        for (size_t i = 0; i < x->nkvs; i++) {
            const char *v = x->kvs[i].value ? x->kvs[i].value : "";
            json_object_set_new(labels, x->kvs[i].key, json_string(v));
            bt_strbuf_appendf(&c, " %s=%s", x->kvs[i].key, v);
        }
        break;
    }
    case BT_DF_CMD: {
        json_t *cmd = cmd_line(b, x);
        json_object_set_new(cfg, "Cmd", cmd);
        b->st.cmd_set = true;
        bt_autofree char *q = build_go_quote_strv(cmd);
        bt_strbuf_appendf(&c, "CMD %s", q);
        break;
    }
    case BT_DF_ENTRYPOINT: {
        json_t *ep = cmd_line(b, x);
        if (!x->json && x->nargs && !*x->args[0]) {
            json_decref(ep);
            ep = json_null(); /* ENTRYPOINT "" clears it */
        }
        json_object_set_new(cfg, "Entrypoint", ep);
        if (!b->st.cmd_set)
            json_object_set_new(cfg, "Cmd", json_null());
        bt_autofree char *q = json_is_array(ep) ? build_go_quote_strv(ep) : bt_xstrdup("[]");
        bt_strbuf_appendf(&c, "ENTRYPOINT %s", q);
        break;
    }
    case BT_DF_EXPOSE: {
        if (build_expose_ports(x->args, obj_field(cfg, "ExposedPorts"), err) < 0)
            return -1;
        bt_strbuf_append(&c, "EXPOSE");
        for (size_t i = 0; i < x->nargs; i++)
            bt_strbuf_appendf(&c, " %s", x->args[i]);
        break;
    }
    case BT_DF_VOLUME: {
        json_t *vols = obj_field(cfg, "Volumes");
        json_t *list = json_array();
        for (size_t i = 0; i < x->nargs; i++) {
            if (!*x->args[i]) {
                json_decref(list);
                return bt_err_set(err, BT_E_INVALID, "VOLUME specified can not be an empty string");
            }
            json_object_set_new(vols, x->args[i], json_object());
            json_array_append_new(list, json_string(x->args[i]));
        }
        bt_autofree char *v = build_go_strv(list);
        json_decref(list);
        bt_strbuf_appendf(&c, "VOLUME %s", v);
        break;
    }
    case BT_DF_USER:
        bt_json_set_str(cfg, "User", x->args[0]);
        bt_strbuf_appendf(&c, "USER %s", x->args[0]);
        break;
    case BT_DF_WORKDIR: {
        /* dockerd makes the directory now, in a container it commits (dispatchWorkdir), so
         * that later steps and containers find it with the image's owner, not the runtime's */
        bt_autofree char *wd = workdir(b, x->args[0]);
        bt_json_set_str(cfg, "WorkingDir", wd);
        /* one comment word, not withCmdComment's two: "#(nop) WORKDIR /app" */
        bt_autofree char *comment = bt_xasprintf("#(nop) WORKDIR %s", wd);
        const char *parts[] = {comment, NULL};
        bt_autoptr(json_t) cc = build_comment_config(b, parts);
        if (build_probe(b, cc))
            return 0;
        return build_workdir_step(b, wd, cc, err);
    }
    case BT_DF_STOPSIGNAL:
        bt_json_set_str(cfg, "StopSignal", x->args[0]);
        bt_strbuf_appendf(&c, "STOPSIGNAL %s", x->args[0]);
        break;
    case BT_DF_SHELL: {
        json_t *sh = json_array();
        for (size_t i = 0; i < x->nargs; i++)
            json_array_append_new(sh, json_string(x->args[i]));
        bt_autofree char *v = build_go_strv(sh);
        json_object_set_new(cfg, "Shell", sh);
        bt_strbuf_appendf(&c, "SHELL %s", v);
        break;
    }
    case BT_DF_ONBUILD: {
        json_t *ob = bt_json_get_arr(cfg, "OnBuild");
        if (!ob) {
            ob = json_array();
            json_object_set_new(cfg, "OnBuild", ob);
        }
        json_array_append_new(ob, json_string(x->onbuild));
        bt_strbuf_appendf(&c, "ONBUILD %s", x->onbuild);
        break;
    }
    case BT_DF_MAINTAINER:
        free(b->st.maintainer);
        b->st.maintainer = bt_xstrdup(x->args[0]);
        bt_strbuf_appendf(&c, "MAINTAINER %s", x->args[0]);
        break;
    case BT_DF_HEALTHCHECK:
        return health(b, x, err);
    case BT_DF_ARG:
        return arg(b, x, err);
    default:
        return bt_err_set(err, BT_E_INVALID, "unknown instruction: %s", x->node->keyword);
    }
    return build_commit_config(b, bt_strbuf_str(&c), err);
}

int build_dispatch(struct build *b, const struct bt_df_inst *inst, bt_err **err)
{
    bt_autostrv char **env = build_expand_env(b);
    struct bt_shlex_env e = {bt_shlex_strv_get, env};
    bt_autoptr(bt_df_inst) x = bt_df_inst_expand(inst, &e, err);
    if (!x)
        return -1;
    switch (x->cmd) {
    case BT_DF_RUN:
        return build_run_step(b, x, err);
    case BT_DF_COPY:
        return build_copy_step(b, x, false, err);
    case BT_DF_ADD:
        return build_copy_step(b, x, true, err);
    case BT_DF_FROM:
        return bt_err_set(err, BT_E_INVALID, "FROM isn't allowed here");
    default:
        return config_step(b, x, err);
    }
}
