/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The classic builder's driver (dockerd's builder/dockerfile/builder.go): the stages up to
 * --target, their FROM, the meta ARGs, the step numbering and the end of the build.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/build/build-internal.h"
#include "guest/engine/events/events.h"
#include "guest/engine/image/image.h"
#include "shared/base/cleanup.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

/* Build args every build accepts without an ARG (dockerd's builtinAllowedBuildArgs). */
static const char *const builtin_args[] = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
                                           "FTP_PROXY",  "ftp_proxy",  "NO_PROXY",    "no_proxy",
                                           "ALL_PROXY",  "all_proxy",  NULL};

static bool is_builtin_arg(const char *name)
{
    for (size_t i = 0; builtin_args[i]; i++)
        if (strcmp(builtin_args[i], name) == 0)
            return true;
    return false;
}

/* ---- output ---- */

static void emit_stream(struct build *b, const char *text)
{
    if (b->opts.quiet)
        return;
    json_t *msg = json_pack("{s:s}", "stream", text);
    b->emit(msg, b->emit_ctx);
    json_decref(msg);
}

void build_out(struct build *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bt_autofree char *text = bt_xvasprintf(fmt, ap);
    va_end(ap);
    emit_stream(b, text);
}

void build_out_raw(struct build *b, const char *data, size_t len)
{
    bt_autofree char *text = bt_xstrndup(data, len);
    emit_stream(b, text);
}

void build_out_stderr(struct build *b, const char *data, size_t len)
{
    bt_autofree char *text = bt_xasprintf("\033[91m%.*s\033[0m", (int)len, data);
    emit_stream(b, text);
}

static void short_id(const char *id, char out[13])
{
    const char *hex = strncmp(id, "sha256:", 7) == 0 ? id + 7 : id;
    snprintf(out, 13, "%s", hex);
}

/* ---- prepare ---- */

struct build *build_prepare(const struct build_deps *deps, const struct build_opts *opts,
                            int context_fd, bt_err **err)
{
    bt_autoptr(build) b = bt_xzalloc(sizeof(*b));
    b->deps = *deps;
    b->opts = *opts;
    b->tags = opts->tags ? bt_strv_dup(opts->tags) : bt_xzalloc(sizeof(char *));
    b->build_args = opts->build_args ? json_deep_copy(opts->build_args) : json_object();
    b->labels = opts->labels ? json_deep_copy(opts->labels) : json_object();
    b->meta = json_object();
    b->used_args = json_object();
    b->opts.tags = b->tags;
    b->opts.build_args = b->build_args;
    b->opts.labels = b->labels;
    b->opts.dockerfile = NULL; /* the caller's string: read below, not kept */
    b->opts.target = NULL;
    b->opts.network_mode = bt_xstrdup_or_null(opts->network_mode);
    if (build_context_unpack(b, context_fd, err) < 0)
        return NULL;
    b->opts.dockerfile = opts->dockerfile;
    size_t len = 0;
    bt_autofree char *text = build_context_dockerfile(b, &len, err);
    b->opts.dockerfile = NULL;
    if (!text)
        return NULL;
    b->file = bt_df_parse(text, len, err);
    if (!b->file)
        return NULL;
    b->last = (long)b->file->nstages - 1;
    if (opts->target && *opts->target && bt_df_target(b->file, opts->target, &b->last, err) < 0)
        return NULL;
    b->nsteps = bt_df_steps(b->file, b->last) + (json_object_size(b->labels) ? 1 : 0);
    return bt_steal_ptr(&b);
}

void build_free(struct build *b)
{
    if (!b)
        return;
    if (b->dir) {
        bt_autoerr bt_err *e = NULL;
        if (bt_rm_rf(b->dir, &e) < 0)
            bt_warn("build: remove %s: %s", b->dir, bt_err_msg(e));
        free(b->dir);
    }
    free(b->context);
    bt_df_file_free(b->file);
    bt_strv_free(b->tags);
    json_decref(b->build_args);
    json_decref(b->labels);
    json_decref(b->meta);
    json_decref(b->used_args);
    for (size_t i = 0; i < b->nresults; i++) {
        free(b->results[i].name);
        free(b->results[i].image_id);
    }
    free(b->results);
    free(b->st.image_id);
    json_decref(b->st.config);
    json_decref(b->st.args);
    free(b->st.maintainer);
    free((char *)b->opts.network_mode);
    free(b);
}

/* ---- stages ---- */

static void print_step(struct build *b, const char *code)
{
    b->step++;
    build_out(b, "Step %zu/%zu : %s\n", b->step, b->nsteps, code);
}

/* A meta ARG (before the first FROM): its value, overridden by --build-arg. */
static int meta_arg(struct build *b, const struct bt_df_inst *inst, bt_err **err)
{
    bt_autostrv char **env = bt_xzalloc(sizeof(char *));
    const char *k;
    json_t *v;
    json_object_foreach (b->meta, k, v)
        if (json_is_string(v)) {
            bt_autofree char *kv = bt_xasprintf("%s=%s", k, json_string_value(v));
            bt_strv_push(&env, kv);
        }
    struct bt_shlex_env e = {bt_shlex_strv_get, env};
    bt_autoptr(bt_df_inst) x = bt_df_inst_expand(inst, &e, err);
    if (!x)
        return -1;
    for (size_t i = 0; i < x->nkvs; i++) {
        json_t *given = json_object_get(b->build_args, x->kvs[i].key);
        json_t *val = given && json_is_string(given)
                              ? json_incref(given)
                              : (x->kvs[i].value ? json_string(x->kvs[i].value) : json_null());
        json_object_set_new(b->meta, x->kvs[i].key, val);
    }
    return 0;
}

static const char *stage_image(const struct build *b, const char *name)
{
    for (size_t i = 0; i < b->nresults; i++)
        if (b->results[i].name && strcasecmp(b->results[i].name, name) == 0)
            return b->results[i].image_id;
    return NULL;
}

/* The base of a stage, dockerd's getFromImage: an earlier stage, scratch, or an image. */
static int from(struct build *b, const struct bt_df_stage *stage, bt_err **err)
{
    bt_autostrv char **env = bt_xzalloc(sizeof(char *));
    const char *k;
    json_t *v;
    json_object_foreach (b->meta, k, v)
        if (json_is_string(v)) {
            bt_autofree char *kv = bt_xasprintf("%s=%s", k, json_string_value(v));
            bt_strv_push(&env, kv);
        }
    struct bt_shlex_env e = {bt_shlex_strv_get, env};
    bt_autoptr(bt_df_inst) x = bt_df_inst_expand(&stage->from, &e, err);
    if (!x)
        return -1;
    const char *base = x->args[0];
    if (!base || !*base)
        return bt_err_set(err, BT_E_INVALID, "base name (%s) should not be blank",
                          stage->from.args[0] ? stage->from.args[0] : "");
    free(b->st.image_id);
    json_decref(b->st.config);
    json_decref(b->st.args);
    free(b->st.maintainer);
    memset(&b->st, 0, sizeof(b->st));
    b->st.args = json_object();
    const char *prev = stage_image(b, base);
    if (prev) {
        b->st.image_id = bt_xstrdup(prev);
    } else if (strcasecmp(base, "scratch") == 0) {
        b->st.image_id = bt_xstrdup("");
    } else {
        b->st.image_id = image_resolve(b->deps.images, base, err);
        if (!b->st.image_id)
            return -1;
    }
    if (*b->st.image_id) {
        struct image_inspect *in = image_inspect(b->deps.images, b->st.image_id, err);
        if (!in)
            return -1;
        json_t *cfg = bt_json_get_obj(in->config, "config");
        b->st.config = cfg ? json_deep_copy(cfg) : json_object();
        image_inspect_free(in);
    } else {
        b->st.config = json_object();
    }
    return 0;
}

/* dockerd's dispatchTriggeredOnBuild: the base's ONBUILD triggers run here, once. */
static int run_triggers(struct build *b, bt_err **err)
{
    json_t *ob = bt_json_get_arr(b->st.config, "OnBuild");
    size_t n = ob ? json_array_size(ob) : 0;
    if (n == 0)
        return 0;
    bt_autoptr(json_t) triggers = json_incref(ob);
    json_object_del(b->st.config, "OnBuild");
    build_out(b, "# Executing %zu build trigger%s\n", n, n == 1 ? "" : "s");
    size_t i;
    json_t *t;
    json_array_foreach (triggers, i, t) {
        bt_autoptr(bt_df_inst) inst =
                bt_df_parse_instruction(json_string_value(t), b->file->escape, err);
        if (!inst)
            return -1;
        if (inst->cmd == BT_DF_ONBUILD || inst->cmd == BT_DF_FROM || inst->cmd == BT_DF_MAINTAINER)
            return bt_err_set(err, BT_E_INVALID, "%s isn't allowed as an ONBUILD trigger",
                              bt_df_cmd_name(inst->cmd));
        if (build_dispatch(b, inst, err) < 0)
            return -1;
    }
    return 0;
}

static void emit_aux(struct build *b)
{
    json_t *msg = json_pack("{s:{s:s}}", "aux", "ID", b->st.image_id);
    b->emit(msg, b->emit_ctx);
    json_decref(msg);
}

/* --label: dockerd appends `LABEL "k"='v' ...` to the last stage. */
static struct bt_df_inst *label_inst(struct build *b, bt_err **err)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, "LABEL");
    const char *k;
    json_t *v;
    json_object_foreach (b->labels, k, v) {
        bt_strbuf_append_c(&sb, ' ');
        build_go_quote(&sb, k);
        bt_strbuf_append(&sb, "=");
        build_go_quote(&sb, json_is_string(v) ? json_string_value(v) : "");
    }
    return bt_df_parse_instruction(bt_strbuf_str(&sb), '\\', err);
}

static int run_stage(struct build *b, long si, bt_err **err)
{
    const struct bt_df_stage *stage = &b->file->stages[si];
    print_step(b, stage->from.code);
    if (from(b, stage, err) < 0 || run_triggers(b, err) < 0)
        return -1;
    char sid[13];
    short_id(b->st.image_id, sid);
    build_out(b, " ---> %s\n", sid);
    for (size_t i = 0; i < stage->ninsts; i++) {
        print_step(b, stage->insts[i].code);
        if (build_dispatch(b, &stage->insts[i], err) < 0)
            return -1;
        short_id(b->st.image_id, sid);
        build_out(b, " ---> %s\n", sid);
    }
    if (si == b->last && json_object_size(b->labels)) {
        bt_autoptr(bt_df_inst) li = label_inst(b, err);
        if (!li)
            return -1;
        print_step(b, li->code);
        if (build_dispatch(b, li, err) < 0)
            return -1;
        short_id(b->st.image_id, sid);
        build_out(b, " ---> %s\n", sid);
    }
    emit_aux(b);
    b->results = bt_xreallocarray(b->results, b->nresults + 1, sizeof(*b->results));
    b->results[b->nresults].name = bt_xstrdup_or_null(stage->name);
    b->results[b->nresults].image_id = bt_xstrdup(b->st.image_id);
    b->nresults++;
    return 0;
}

static void warn_unused_args(struct build *b)
{
    bt_autostrv char **left = bt_xzalloc(sizeof(char *));
    const char *k;
    json_t *v;
    json_object_foreach (b->build_args, k, v)
        if (!json_object_get(b->used_args, k) && !json_object_get(b->meta, k) && !is_builtin_arg(k))
            bt_strv_push(&left, k);
    size_t n = bt_strv_len(left);
    if (!n)
        return;
    qsort(left, n, sizeof(char *), bt_strp_cmp);
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, "[Warning] One or more build-args [");
    for (size_t i = 0; i < n; i++)
        bt_strbuf_appendf(&sb, "%s%s", i ? " " : "", left[i]);
    bt_strbuf_append(&sb, "] were not consumed\n");
    build_out_stderr(b, bt_strbuf_str(&sb), sb.len);
}

/* -t name[:tag]: the repository and the tag (a ':' after the last '/') */
static int tag(struct build *b, const char *name, const char *id, bt_err **err)
{
    bt_autofree char *repo = bt_xstrdup(name);
    char *colon = strrchr(repo, ':');
    char *slash = strrchr(repo, '/');
    const char *t = NULL;
    if (colon && (!slash || colon > slash)) {
        *colon = 0;
        t = colon + 1;
    }
    if (image_tag(b->deps.images, id, repo, t, err) < 0)
        return -1;
    bt_autofree char *shown = bt_xasprintf("%s%s", name, t ? "" : ":latest");
    events_emit("image", "tag", id, (const char *const[]){"name", shown, NULL});
    build_out(b, "Successfully tagged %s\n", shown);
    return 0;
}

char *build_exec(struct build *b, build_emit_fn emit, void *ctx, bt_err **err)
{
    b->emit = emit;
    b->emit_ctx = ctx;
    for (size_t i = 0; i < b->file->nmeta; i++) {
        print_step(b, b->file->meta_args[i].code);
        if (meta_arg(b, &b->file->meta_args[i], err) < 0)
            return NULL;
    }
    for (long si = 0; si <= b->last; si++)
        if (run_stage(b, si, err) < 0)
            return NULL;
    warn_unused_args(b);
    if (!b->st.image_id || !*b->st.image_id) {
        bt_err_set(err, BT_E_INVALID, "No image was generated. Is your Dockerfile empty?");
        return NULL;
    }
    char sid[13];
    short_id(b->st.image_id, sid);
    build_out(b, "Successfully built %s\n", sid);
    for (size_t i = 0; b->tags[i]; i++)
        if (tag(b, b->tags[i], b->st.image_id, err) < 0)
            return NULL;
    if (b->opts.quiet) {
        json_t *msg = json_pack("{s:s+}", "stream", b->st.image_id, "\n");
        b->emit(msg, b->emit_ctx);
        json_decref(msg);
    }
    return bt_xstrdup(b->st.image_id);
}
