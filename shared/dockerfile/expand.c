/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Instructions with their $ references expanded, per instruction as Docker's builders do it
 * (the Expand methods of buildkit's instructions/commands.go, dispatchExpose's word splitting,
 * ExpandRaw for heredoc sources, FROM with the meta ARGs). The result is a deep copy, so a
 * builder can keep the file untouched and expand the same stage again with other ARGs.
 */
#include <string.h>

#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/dockerfile/dockerfile-internal.h"
#include "shared/dockerfile/instructions.h"

static char **strv_dup_or_null(char **v)
{
    return v ? bt_strv_dup(v) : NULL;
}

static struct bt_df_node *node_dup(const struct bt_df_node *n)
{
    struct bt_df_node *x = bt_xmalloc(sizeof(*x));
    *x = *n;
    x->keyword = bt_xstrdup(n->keyword);
    x->original = bt_xstrdup(n->original);
    x->flags = bt_strv_dup(n->flags);
    x->args = bt_xreallocarray(NULL, n->nargs + 1, sizeof(char *));
    x->arg_len = bt_xreallocarray(NULL, n->nargs + 1, sizeof(size_t));
    for (size_t i = 0; i < n->nargs; i++) {
        x->args[i] = bt_xmalloc(n->arg_len[i] + 1);
        memcpy(x->args[i], n->args[i], n->arg_len[i] + 1);
        x->arg_len[i] = n->arg_len[i];
    }
    x->args[n->nargs] = NULL;
    x->sub = n->sub ? node_dup(n->sub) : NULL;
    x->heredocs = bt_xreallocarray(NULL, n->nheredocs + 1, sizeof(*x->heredocs));
    for (size_t i = 0; i < n->nheredocs; i++) {
        x->heredocs[i] = n->heredocs[i];
        x->heredocs[i].name = bt_xstrdup(n->heredocs[i].name);
        x->heredocs[i].content = bt_xstrdup(n->heredocs[i].content);
    }
    return x;
}

static struct bt_df_inst *inst_dup(const struct bt_df_inst *in)
{
    struct bt_df_inst *x = bt_xmalloc(sizeof(*x));
    *x = *in;
    x->code = bt_xstrdup(in->code);
    x->flags = bt_xreallocarray(NULL, in->nflags + 1, sizeof(*x->flags));
    for (size_t i = 0; i < in->nflags; i++)
        x->flags[i] =
                (struct bt_df_flag){bt_xstrdup(in->flags[i].name), bt_xstrdup(in->flags[i].value)};
    x->args = strv_dup_or_null(in->args);
    x->kvs = bt_xreallocarray(NULL, in->nkvs + 1, sizeof(*x->kvs));
    for (size_t i = 0; i < in->nkvs; i++)
        x->kvs[i] = (struct bt_df_kv){bt_xstrdup(in->kvs[i].key),
                                      bt_xstrdup_or_null(in->kvs[i].value), in->kvs[i].no_delim};
    x->srcs = strv_dup_or_null(in->srcs);
    x->dest = bt_xstrdup_or_null(in->dest);
    x->contents = bt_xreallocarray(NULL, in->ncontents + 1, sizeof(*x->contents));
    for (size_t i = 0; i < in->ncontents; i++)
        x->contents[i] =
                (struct bt_df_content){bt_xstrdup(in->contents[i].path),
                                       bt_xstrdup(in->contents[i].data), in->contents[i].expand};
    if (in->health) {
        x->health = bt_xmalloc(sizeof(*x->health));
        *x->health = *in->health;
        x->health->test = bt_strv_dup(in->health->test);
    }
    x->onbuild = bt_xstrdup_or_null(in->onbuild);
    if (in->owned_node) {
        x->owned_node = node_dup(in->owned_node);
        x->node = x->owned_node;
    }
    return x;
}

static int expand(const struct bt_shlex *lx, char **s, const struct bt_shlex_env *env, bt_err **err)
{
    if (!*s)
        return 0;
    char *r = bt_shlex_word(lx, *s, env, err);
    if (!r)
        return -1;
    free(*s);
    *s = r;
    return 0;
}

static int expand_strv(const struct bt_shlex *lx, char **v, const struct bt_shlex_env *env,
                       bt_err **err)
{
    for (size_t i = 0; v && v[i]; i++)
        if (expand(lx, &v[i], env, err) < 0)
            return -1;
    return 0;
}

static int expand_flags(const struct bt_shlex *lx, struct bt_df_inst *x, const char *const *names,
                        const struct bt_shlex_env *env, bt_err **err)
{
    for (size_t i = 0; i < x->nflags; i++)
        for (size_t k = 0; names[k]; k++)
            if (strcmp(x->flags[i].name, names[k]) == 0 &&
                expand(lx, &x->flags[i].value, env, err) < 0)
                return -1;
    return 0;
}

/* ADD/COPY: --chown, --chmod (and ADD's --checksum), sources, destination; heredoc bodies
 * with quotes left alone and \ as the escape whatever the file's is (ExpandRaw). */
static int expand_copy(const struct bt_shlex *lx, struct bt_df_inst *x,
                       const struct bt_shlex_env *env, bt_err **err)
{
    static const char *const add[] = {"chown", "chmod", "checksum", NULL};
    static const char *const copy[] = {"chown", "chmod", NULL};
    if (expand_flags(lx, x, x->cmd == BT_DF_ADD ? add : copy, env, err) < 0 ||
        expand_strv(lx, x->srcs, env, err) < 0 || expand(lx, &x->dest, env, err) < 0)
        return -1;
    struct bt_shlex raw = {.escape = '\\', .skip_quotes = true};
    for (size_t i = 0; i < x->ncontents; i++)
        if (x->contents[i].expand && expand(&raw, &x->contents[i].data, env, err) < 0)
            return -1;
    return 0;
}

/* EXPOSE is the one instruction whose words can split: EXPOSE $PORTS with PORTS="80 443". */
static int expand_expose(const struct bt_shlex *lx, struct bt_df_inst *x,
                         const struct bt_shlex_env *env, bt_err **err)
{
    char **ports = bt_xzalloc(sizeof(char *));
    size_t nports = 0;
    for (size_t i = 0; i < x->nargs; i++) {
        bt_autostrv char **w = bt_shlex_words(lx, x->args[i], env, err);
        if (!w) {
            bt_strv_free(ports);
            return -1;
        }
        for (size_t k = 0; w[k]; k++)
            df_strv_add(&ports, &nports, w[k]);
    }
    bt_strv_free(x->args);
    x->args = ports;
    x->nargs = nports;
    return 0;
}

static int expand_inst(struct bt_df_inst *x, const struct bt_shlex_env *env, bt_err **err)
{
    struct bt_shlex lx = {.escape = x->escape == '`' ? '`' : '\\'};
    switch (x->cmd) {
    case BT_DF_ENV:
    case BT_DF_LABEL:
    case BT_DF_ARG:
        for (size_t i = 0; i < x->nkvs; i++)
            if (expand(&lx, &x->kvs[i].key, env, err) < 0 ||
                expand(&lx, &x->kvs[i].value, env, err) < 0)
                return -1;
        return 0;
    case BT_DF_ADD:
    case BT_DF_COPY:
        return expand_copy(&lx, x, env, err);
    case BT_DF_WORKDIR:
    case BT_DF_USER:
    case BT_DF_STOPSIGNAL:
    case BT_DF_VOLUME:
        return expand_strv(&lx, x->args, env, err);
    case BT_DF_EXPOSE:
        return expand_expose(&lx, x, env, err);
    case BT_DF_FROM: {
        static const char *const platform[] = {"platform", NULL};
        if (expand_flags(&lx, x, platform, env, err) < 0)
            return -1;
        return expand_strv(&lx, x->args, env, err);
    }
    default:
        return 0;
    }
}

struct bt_df_inst *bt_df_inst_expand(const struct bt_df_inst *inst, const struct bt_shlex_env *env,
                                     bt_err **err)
{
    struct bt_df_inst *x = inst_dup(inst);
    if (expand_inst(x, env, err) < 0) {
        bt_df_inst_free(x);
        return NULL;
    }
    return x;
}
