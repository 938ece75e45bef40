/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Syntax nodes -> checked instructions and stages (buildkit's instructions/parse.go and
 * bflag.go, which dockerd's classic builder runs too). Each check keeps Docker's order and
 * wording, since the first error is the one a user sees.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/dockerfile/dockerfile-internal.h"
#include "shared/dockerfile/instructions.h"

enum ftype { F_BOOL, F_STRING, F_STRINGS };

struct fdef {
    const char *name;
    enum ftype type;
};

static const struct fdef add_flags[] = {
        {"chown", F_STRING},      {"chmod", F_STRING},    {"link", F_BOOL},
        {"keep-git-dir", F_BOOL}, {"checksum", F_STRING}, {"unpack", F_BOOL},
        {"exclude", F_STRINGS},   {NULL, F_BOOL},
};
static const struct fdef copy_flags[] = {
        {"chown", F_STRING},    {"from", F_STRING},  {"chmod", F_STRING}, {"link", F_BOOL},
        {"exclude", F_STRINGS}, {"parents", F_BOOL}, {NULL, F_BOOL},
};
static const struct fdef from_flags[] = {{"platform", F_STRING}, {NULL, F_BOOL}};
static const struct fdef run_flags[] = {
        {"mount", F_STRINGS},  {"network", F_STRING}, {"security", F_STRING},
        {"device", F_STRINGS}, {NULL, F_BOOL},
};
static const struct fdef health_flags[] = {
        {"interval", F_STRING},       {"timeout", F_STRING}, {"start-period", F_STRING},
        {"start-interval", F_STRING}, {"retries", F_STRING}, {NULL, F_BOOL},
};
static const struct fdef no_flags[] = {{NULL, F_BOOL}};

__attribute__((format(printf, 2, 3))) static int fail(char **errmsg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(*errmsg);
    *errmsg = bt_xvasprintf(fmt, ap);
    va_end(ap);
    return -1;
}

/* suggest.Search: the closest option at an edit distance under 3, in the case of val when
 * the comparison ignores case. */
static const char *suggest(const char *val, const char *const *opts, size_t n, bool fold, char *buf,
                           size_t buflen)
{
    bt_autofree char *v = bt_xstrdup(val);
    if (fold)
        for (char *c = v; *c; c++)
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    size_t best = 3;
    const char *match = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v, opts[i]) == 0)
            return NULL;
        size_t d = df_levenshtein(v, opts[i]);
        if (d < best) {
            best = d;
            match = opts[i];
        }
    }
    if (!match || strlen(match) >= buflen)
        return NULL;
    strcpy(buf, match);
    bool lower = true, upper = true;
    for (const char *c = val; *c; c++) {
        lower &= !(*c >= 'A' && *c <= 'Z');
        upper &= !(*c >= 'a' && *c <= 'z');
    }
    if (fold && upper && !lower)
        for (char *c = buf; *c; c++)
            *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    return buf;
}

static void add_flag(struct bt_df_inst *in, const char *name, const char *value)
{
    in->flags = bt_xreallocarray(in->flags, in->nflags + 1, sizeof(*in->flags));
    in->flags[in->nflags++] = (struct bt_df_flag){bt_xstrdup(name), bt_xstrdup(value)};
}

/* BFlags.Parse: each raw flag against the instruction's definitions. */
static int parse_flags(struct bt_df_inst *in, const struct fdef *defs, char **errmsg)
{
    const struct bt_df_node *n = in->node;
    for (size_t i = 0; i < n->nflags; i++) {
        const char *a = n->flags[i];
        if (strcmp(a, "--") == 0)
            return 0;
        if (strncmp(a, "--", 2) != 0)
            return fail(errmsg, "arg should start with -- : %s", a);
        const char *eq = strchr(a, '=');
        bt_autofree char *flag = eq ? bt_xstrndup(a, (size_t)(eq - a)) : bt_xstrdup(a);
        const char *name = flag + 2, *value = eq ? eq + 1 : NULL;
        const struct fdef *def = NULL;
        const char *names[8];
        size_t nnames = 0;
        for (const struct fdef *d = defs; d->name; d++) {
            names[nnames++] = d->name;
            if (strcmp(d->name, name) == 0)
                def = d;
        }
        if (!def) {
            char buf[32];
            const char *s = suggest(name, names, nnames, false, buf, sizeof(buf));
            if (s)
                return fail(errmsg, "unknown flag: %s (did you mean %s?)", flag, s);
            return fail(errmsg, "unknown flag: %s", flag);
        }
        if (def->type != F_STRINGS && bt_df_flag(in, name))
            return fail(errmsg, "duplicate flag specified: %s", flag);
        if (def->type == F_BOOL) {
            if (value && !*value)
                return fail(errmsg, "missing a value on flag: %s", flag);
            if (!value || strcasecmp(value, "true") == 0)
                value = "true";
            else if (strcasecmp(value, "false") == 0)
                value = "false";
            else
                return fail(errmsg, "expecting boolean value for flag %s, not: %s", flag, value);
        } else if (!value) {
            return fail(errmsg, "missing a value on flag: %s", flag);
        }
        add_flag(in, name, value);
    }
    return 0;
}

const char *bt_df_flag(const struct bt_df_inst *inst, const char *name)
{
    const char *v = NULL;
    for (size_t i = 0; i < inst->nflags; i++)
        if (strcmp(inst->flags[i].name, name) == 0)
            v = inst->flags[i].value;
    return v;
}

char **bt_df_flag_all(const struct bt_df_inst *inst, const char *name)
{
    char **v = bt_xzalloc(sizeof(char *));
    for (size_t i = 0; i < inst->nflags; i++)
        if (strcmp(inst->flags[i].name, name) == 0)
            bt_strv_push(&v, inst->flags[i].value);
    return v;
}

bool bt_df_flag_bool(const struct bt_df_inst *inst, const char *name)
{
    const char *v = bt_df_flag(inst, name);
    return v && strcmp(v, "true") == 0;
}

static void set_args(struct bt_df_inst *in, char *const *v, size_t n)
{
    bt_strv_free(in->args);
    in->args = bt_xreallocarray(NULL, n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        in->args[i] = bt_xstrdup(v[i]);
    in->args[n] = NULL;
    in->nargs = n;
}

/* handleJSONArgs: the exec form's strings as they are, the shell form's as one string. */
static void command_line(struct bt_df_inst *in, char *const *v, size_t n)
{
    in->json = in->node->json;
    if (n == 0 || in->json) {
        set_args(in, v, n);
        return;
    }
    struct bt_strbuf sb = BT_STRBUF_INIT;
    for (size_t i = 0; i < n; i++)
        bt_strbuf_appendf(&sb, "%s%s", i ? " " : "", v[i]);
    char *joined = bt_strbuf_steal(&sb);
    set_args(in, &joined, 1);
    free(joined);
}

static int exactly_one(const struct bt_df_inst *in, const char *what, char **errmsg)
{
    if (in->node->nargs != 1)
        return fail(errmsg, "%s requires exactly one argument", what);
    return 0;
}

static int at_least_one(size_t n, const char *what, char **errmsg)
{
    if (n == 0)
        return fail(errmsg, "%s requires at least one argument", what);
    return 0;
}

static void add_kv(struct bt_df_inst *in, const char *k, size_t klen, const char *v, bool nd)
{
    in->kvs = df_grow(in->kvs, in->nkvs, sizeof(*in->kvs));
    in->kvs[in->nkvs++] = (struct bt_df_kv){bt_xstrndup(k, klen), bt_xstrdup_or_null(v), nd};
}

/* parseKvps: ENV and LABEL come as (key, value, separator) triples. */
static int check_kvs(struct bt_df_inst *in, const char *what, char **errmsg)
{
    const struct bt_df_node *n = in->node;
    if (parse_flags(in, no_flags, errmsg) < 0 || at_least_one(n->nargs, what, errmsg) < 0)
        return -1;
    if (n->nargs % 3 != 0)
        return fail(errmsg, "Bad input to %s, too many arguments", what);
    for (size_t i = 0; i < n->nargs; i += 3) {
        if (!*n->args[i])
            return fail(errmsg, "%s names can not be blank", what);
        add_kv(in, n->args[i], strlen(n->args[i]), n->args[i + 1], !*n->args[i + 2]);
    }
    return 0;
}

static int check_arg(struct bt_df_inst *in, char **errmsg)
{
    const struct bt_df_node *n = in->node;
    if (at_least_one(n->nargs, "ARG", errmsg) < 0)
        return -1;
    for (size_t i = 0; i < n->nargs; i++) {
        const char *eq = strchr(n->args[i], '=');
        if (eq && eq == n->args[i])
            return fail(errmsg, "ARG names can not be blank");
        add_kv(in, n->args[i], eq ? (size_t)(eq - n->args[i]) : strlen(n->args[i]),
               eq ? eq + 1 : NULL, false);
    }
    return 0;
}

/* parseSourcesAndDest: the last argument is the destination; sources written as heredocs
 * become contents, their bodies found by name among the instruction's heredocs. */
static int check_copy(struct bt_df_inst *in, const char *what, const struct fdef *defs,
                      char **errmsg)
{
    const struct bt_df_node *n = in->node;
    if (n->nargs < 2)
        return fail(errmsg,
                    "%s requires at least two arguments, but only one was provided. "
                    "Destination could not be determined",
                    what);
    if (parse_flags(in, defs, errmsg) < 0)
        return -1;
    struct bt_df_heredoc h = {0};
    char *ignored = NULL;
    if (df_heredoc_word(n->args[n->nargs - 1], &h, &ignored) > 0) {
        free(h.name);
        return fail(errmsg, "%s cannot accept a heredoc as a destination", what);
    }
    free(ignored);
    in->dest = bt_xstrdup(n->args[n->nargs - 1]);
    in->srcs = bt_xzalloc(sizeof(char *));
    for (size_t i = 0; i + 1 < n->nargs; i++) {
        struct bt_df_heredoc src = {0};
        char *e = NULL;
        if (df_heredoc_word(n->args[i], &src, &e) <= 0) {
            free(e);
            df_strv_add(&in->srcs, &in->nsrcs, n->args[i]);
            continue;
        }
        const struct bt_df_heredoc *body = NULL;
        for (size_t k = 0; k < n->nheredocs; k++)
            if (strcmp(n->heredocs[k].name, src.name) == 0)
                body = &n->heredocs[k];
        struct bt_df_heredoc tmp = {.content = body ? body->content : "", .chomp = src.chomp};
        in->contents = bt_xreallocarray(in->contents, in->ncontents + 1, sizeof(*in->contents));
        in->contents[in->ncontents++] =
                (struct bt_df_content){src.name, bt_df_heredoc_body(&tmp), src.expand};
    }
    return 0;
}

static int check_from(struct bt_df_inst *in, char **name, char **errmsg)
{
    const struct bt_df_node *n = in->node;
    if (n->nargs == 3 && strcasecmp(n->args[1], "as") == 0) {
        *name = bt_xstrdup(n->args[2]);
        for (char *c = *name; *c; c++)
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        /* ^[a-z][a-z0-9-_.]*$ */
        bool ok = **name >= 'a' && **name <= 'z';
        for (const char *c = *name; ok && *c; c++)
            ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || strchr("-_.", *c);
        if (!ok) {
            bt_autofree char *q = df_quote(n->args[2]);
            return fail(errmsg,
                        "invalid name for build stage: %s, name can't start with a number or "
                        "contain symbols",
                        q);
        }
    } else if (n->nargs != 1) {
        return fail(errmsg, "FROM requires either one or three arguments");
    }
    if (parse_flags(in, from_flags, errmsg) < 0)
        return -1;
    set_args(in, n->args, 1);
    return 0;
}

/* The trigger as images store it: the line without "ONBUILD", its heredocs appended. */
static int check_onbuild(struct bt_df_inst *in, char **errmsg)
{
    const struct bt_df_node *n = in->node;
    if (!n->sub)
        return at_least_one(0, "ONBUILD", errmsg);
    if (parse_flags(in, no_flags, errmsg) < 0)
        return -1;
    size_t klen = strlen(n->sub->keyword);
    const char *k = df_trim_space(n->sub->keyword, &klen);
    bt_autofree char *trigger = bt_xstrndup(k, klen);
    for (char *c = trigger; *c; c++)
        *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    if (strcmp(trigger, "ONBUILD") == 0)
        return fail(errmsg, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    if (strcmp(trigger, "MAINTAINER") == 0 || strcmp(trigger, "FROM") == 0)
        return fail(errmsg, "%s isn't allowed as an ONBUILD trigger", trigger);
    /* (?i)^\s*ONBUILD\s* */
    const char *o = n->original;
    while (*o && strchr(" \t\n\f\r", *o))
        o++;
    if (strncasecmp(o, "onbuild", 7) == 0) {
        o += 7;
        while (*o && strchr(" \t\n\f\r", *o))
            o++;
    }
    struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, o);
    for (size_t i = 0; i < n->nheredocs; i++)
        bt_strbuf_appendf(&sb, "\n%s%s", n->heredocs[i].content, n->heredocs[i].name);
    in->onbuild = bt_strbuf_steal(&sb);
    return 0;
}

/* parseOptInterval: a Go duration, 0 for none, at least 1ms otherwise. */
static int interval(struct bt_df_inst *in, const char *flag, int64_t *ns, char **errmsg)
{
    const char *v = bt_df_flag(in, flag);
    *ns = 0;
    if (!v || !*v)
        return 0;
    if (df_parse_duration(v, ns, errmsg) < 0)
        return -1;
    if (*ns != 0 && *ns < 1000000)
        return fail(errmsg, "Interval \"%s\" cannot be less than 1ms", flag);
    return 0;
}

/* strconv.ParseInt(v, 10, 32) */
static int parse_int32(const char *v, int *out, char **errmsg)
{
    const char *p = v;
    if (*p == '+' || *p == '-')
        p++;
    bt_autofree char *q = df_quote(v);
    if (!*p)
        return fail(errmsg, "strconv.ParseInt: parsing %s: invalid syntax", q);
    long long x = 0;
    bool range = false;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return fail(errmsg, "strconv.ParseInt: parsing %s: invalid syntax", q);
        if (x <= 1LL << 32)
            x = x * 10 + (*p - '0');
        else
            range = true;
    }
    if (*v == '-')
        x = -x;
    if (range || x > INT32_MAX || x < INT32_MIN)
        return fail(errmsg, "strconv.ParseInt: parsing %s: value out of range", q);
    *out = (int)x;
    return 0;
}

static int check_health(struct bt_df_inst *in, char **errmsg)
{
    const struct bt_df_node *n = in->node;
    if (at_least_one(n->nargs, "HEALTHCHECK", errmsg) < 0)
        return -1;
    bt_autofree char *type = bt_xstrdup(n->args[0]);
    for (char *c = type; *c; c++)
        *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    in->health = bt_xzalloc(sizeof(*in->health));
    in->health->test = bt_xzalloc(sizeof(char *));
    if (strcmp(type, "NONE") == 0) {
        if (n->nargs != 1)
            return fail(errmsg, "HEALTHCHECK NONE takes no arguments");
        bt_strv_push(&in->health->test, type);
        return 0;
    }
    if (parse_flags(in, health_flags, errmsg) < 0)
        return -1;
    if (strcmp(type, "CMD") != 0) {
        bt_autofree char *q = df_quote(type);
        return fail(errmsg, "Unknown type %s in HEALTHCHECK (try CMD)", q);
    }
    command_line(in, n->args + 1, n->nargs - 1);
    if (in->nargs == 0)
        return fail(errmsg, "Missing command after HEALTHCHECK CMD");
    bt_strv_push(&in->health->test, in->json ? "CMD" : "CMD-SHELL");
    for (size_t i = 0; i < in->nargs; i++)
        bt_strv_push(&in->health->test, in->args[i]);
    struct bt_df_health *h = in->health;
    if (interval(in, "interval", &h->interval_ns, errmsg) < 0 ||
        interval(in, "timeout", &h->timeout_ns, errmsg) < 0 ||
        interval(in, "start-period", &h->start_period_ns, errmsg) < 0 ||
        interval(in, "start-interval", &h->start_interval_ns, errmsg) < 0)
        return -1;
    const char *r = bt_df_flag(in, "retries");
    if (r && *r) {
        if (parse_int32(r, &h->retries, errmsg) < 0)
            return -1;
        if (h->retries < 0)
            return fail(errmsg, "--retries cannot be negative (%d)", h->retries);
    }
    return 0;
}

static int check_list(struct bt_df_inst *in, const char *what, char **errmsg)
{
    const struct bt_df_node *n = in->node;
    if (at_least_one(n->nargs, what, errmsg) < 0 || parse_flags(in, no_flags, errmsg) < 0)
        return -1;
    set_args(in, n->args, n->nargs);
    if (in->cmd == BT_DF_EXPOSE) {
        qsort(in->args, in->nargs, sizeof(char *), bt_strp_cmp);
        return 0;
    }
    for (size_t i = 0; i < in->nargs; i++) {
        size_t len = strlen(in->args[i]);
        const char *t = df_trim_space(in->args[i], &len);
        if (len == 0)
            return fail(errmsg, "VOLUME specified can not be an empty string");
        memmove(in->args[i], t, len);
        in->args[i][len] = '\0';
    }
    return 0;
}

static int check_shell_form(struct bt_df_inst *in, const struct fdef *defs, char **errmsg)
{
    const struct bt_df_node *n = in->node;
    if (parse_flags(in, defs, errmsg) < 0)
        return -1;
    command_line(in, n->args, n->nargs);
    if (in->cmd == BT_DF_SHELL) {
        if (in->nargs == 0)
            return at_least_one(0, "SHELL", errmsg);
        if (!in->json)
            return fail(errmsg, "SHELL requires the arguments to be in JSON form");
    }
    return 0;
}

static int check_one(struct bt_df_inst *in, const char *what, bool flags, char **errmsg)
{
    if (exactly_one(in, what, errmsg) < 0 || (flags && parse_flags(in, no_flags, errmsg) < 0))
        return -1;
    set_args(in, in->node->args, 1);
    return 0;
}

static int check_unknown(struct bt_df_inst *in, char **errmsg)
{
    const char *names[18];
    for (int c = BT_DF_ADD; c <= BT_DF_WORKDIR; c++)
        names[c - BT_DF_ADD] = bt_df_cmd_name((enum bt_df_cmd)c);
    char buf[32];
    const char *s = suggest(in->node->keyword, names, 18, true, buf, sizeof(buf));
    if (s)
        return fail(errmsg, "unknown instruction: %s (did you mean %s?)", in->node->keyword, s);
    return fail(errmsg, "unknown instruction: %s", in->node->keyword);
}

/* ParseInstruction: fill in from its node, or fail with buildkit's message. *stage_name gets
 * FROM's "AS" name. */
static int check(struct bt_df_inst *in, char **stage_name, char **errmsg)
{
    switch (in->cmd) {
    case BT_DF_ENV:
        return check_kvs(in, "ENV", errmsg);
    case BT_DF_LABEL:
        return check_kvs(in, "LABEL", errmsg);
    case BT_DF_MAINTAINER:
        return check_one(in, "MAINTAINER", true, errmsg);
    case BT_DF_ADD:
        return check_copy(in, "ADD", add_flags, errmsg);
    case BT_DF_COPY:
        return check_copy(in, "COPY", copy_flags, errmsg);
    case BT_DF_FROM:
        return check_from(in, stage_name, errmsg);
    case BT_DF_ONBUILD:
        return check_onbuild(in, errmsg);
    case BT_DF_WORKDIR:
        return check_one(in, "WORKDIR", true, errmsg);
    case BT_DF_RUN:
        return check_shell_form(in, run_flags, errmsg);
    case BT_DF_CMD:
    case BT_DF_ENTRYPOINT:
    case BT_DF_SHELL:
        return check_shell_form(in, no_flags, errmsg);
    case BT_DF_HEALTHCHECK:
        return check_health(in, errmsg);
    case BT_DF_EXPOSE:
        return check_list(in, "EXPOSE", errmsg);
    case BT_DF_USER:
        return check_one(in, "USER", true, errmsg);
    case BT_DF_VOLUME:
        return check_list(in, "VOLUME", errmsg);
    case BT_DF_STOPSIGNAL:
        return check_one(in, "STOPSIGNAL", false, errmsg);
    case BT_DF_ARG:
        return check_arg(in, errmsg);
    case BT_DF_UNKNOWN:
        break;
    }
    return check_unknown(in, errmsg);
}

static void inst_clear(struct bt_df_inst *in)
{
    free(in->code);
    for (size_t i = 0; i < in->nflags; i++) {
        free(in->flags[i].name);
        free(in->flags[i].value);
    }
    free(in->flags);
    bt_strv_free(in->args);
    for (size_t i = 0; i < in->nkvs; i++) {
        free(in->kvs[i].key);
        free(in->kvs[i].value);
    }
    free(in->kvs);
    bt_strv_free(in->srcs);
    free(in->dest);
    for (size_t i = 0; i < in->ncontents; i++) {
        free(in->contents[i].path);
        free(in->contents[i].data);
    }
    free(in->contents);
    if (in->health)
        bt_strv_free(in->health->test);
    free(in->health);
    free(in->onbuild);
    bt_df_node_free(in->owned_node);
    memset(in, 0, sizeof(*in));
}

void bt_df_inst_free(struct bt_df_inst *inst)
{
    if (!inst)
        return;
    inst_clear(inst);
    free(inst);
}

/* An instruction from node, checked; *errmsg on failure (in is cleared). */
static int inst_init(struct bt_df_inst *in, const struct bt_df_node *node, char escape,
                     char **stage_name, char **errmsg)
{
    memset(in, 0, sizeof(*in));
    in->cmd = node->cmd;
    in->node = node;
    in->escape = escape;
    in->start_line = node->start_line;
    in->end_line = node->end_line;
    in->json = node->json;
    size_t len = strlen(node->original);
    const char *c = df_trim_space(node->original, &len);
    in->code = bt_xstrndup(c, len);
    in->args = bt_xzalloc(sizeof(char *));
    if (check(in, stage_name, errmsg) < 0) {
        inst_clear(in);
        return -1;
    }
    return 0;
}

static struct bt_df_stage *add_stage(struct bt_df_file *f)
{
    f->stages = df_grow(f->stages, f->nstages, sizeof(*f->stages));
    struct bt_df_stage *s = &f->stages[f->nstages++];
    memset(s, 0, sizeof(*s));
    return s;
}

/* instructions.Parse: ARGs before the first FROM are meta ARGs, everything else belongs to
 * the stage of the FROM before it. */
static int build_stages(struct bt_df_file *f, int *errline, char **errmsg)
{
    for (size_t i = 0; i < f->ast->n; i++) {
        const struct bt_df_node *n = &f->ast->nodes[i];
        struct bt_df_inst in;
        char *name = NULL;
        *errline = n->start_line;
        if (inst_init(&in, n, f->escape, &name, errmsg) < 0) {
            free(name);
            return -1;
        }
        if (in.cmd == BT_DF_FROM) {
            struct bt_df_stage *s = add_stage(f);
            s->name = name;
            s->platform = bt_xstrdup_or_null(bt_df_flag(&in, "platform"));
            s->from = in;
            continue;
        }
        if (f->nstages == 0 && in.cmd == BT_DF_ARG) {
            f->meta_args = df_grow(f->meta_args, f->nmeta, sizeof(in));
            f->meta_args[f->nmeta++] = in;
            continue;
        }
        if (f->nstages == 0) {
            inst_clear(&in);
            return fail(errmsg, "no build stage in current context");
        }
        struct bt_df_stage *s = &f->stages[f->nstages - 1];
        s->insts = df_grow(s->insts, s->ninsts, sizeof(in));
        s->insts[s->ninsts++] = in;
    }
    return 0;
}

struct bt_df_file *bt_df_parse(const char *data, size_t len, bt_err **err)
{
    struct bt_df_ast *ast = bt_df_parse_ast(data, len, err);
    if (!ast)
        return NULL;
    struct bt_df_file *f = bt_xzalloc(sizeof(*f));
    f->ast = ast;
    f->escape = ast->escape;
    char *errmsg = NULL;
    int line = 0;
    if (build_stages(f, &line, &errmsg) < 0) {
        bt_err_set(err, BT_E_INVALID, "dockerfile parse error on line %d: %s", line, errmsg);
        free(errmsg);
        bt_df_file_free(f);
        return NULL;
    }
    return f;
}

void bt_df_file_free(struct bt_df_file *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nmeta; i++)
        inst_clear(&f->meta_args[i]);
    free(f->meta_args);
    for (size_t i = 0; i < f->nstages; i++) {
        struct bt_df_stage *s = &f->stages[i];
        free(s->name);
        free(s->platform);
        inst_clear(&s->from);
        for (size_t k = 0; k < s->ninsts; k++)
            inst_clear(&s->insts[k]);
        free(s->insts);
    }
    free(f->stages);
    bt_df_ast_free(f->ast);
    free(f);
}

long bt_df_stage_index(const struct bt_df_file *f, const char *name)
{
    for (size_t i = 0; i < f->nstages; i++)
        if (f->stages[i].name && strcasecmp(f->stages[i].name, name) == 0)
            return (long)i;
    return -1;
}

int bt_df_target(const struct bt_df_file *f, const char *target, long *index, bt_err **err)
{
    long i = bt_df_stage_index(f, target);
    if (i < 0) {
        bt_autofree char *q = df_quote(target);
        return bt_err_set(err, BT_E_INVALID, "target stage %s could not be found", q);
    }
    *index = i;
    return 0;
}

size_t bt_df_steps(const struct bt_df_file *f, long last)
{
    size_t n = f->nmeta;
    for (long i = 0; i <= last && (size_t)i < f->nstages; i++)
        n += 1 + f->stages[i].ninsts;
    return n;
}

/* A trigger is parsed as a whole Dockerfile (it may carry heredoc lines) that must hold one
 * instruction, as dockerd's dispatchTriggeredOnBuild does. */
struct bt_df_inst *bt_df_parse_instruction(const char *text, char escape, bt_err **err)
{
    struct bt_df_ast *ast = df_parse_ast(text, strlen(text), escape, err);
    if (!ast)
        return NULL;
    if (ast->n != 1) {
        bt_df_ast_free(ast);
        bt_err_set(err, BT_E_INVALID, "onbuild trigger should be a single expression");
        return NULL;
    }
    struct bt_df_node *node = bt_xmalloc(sizeof(*node));
    *node = ast->nodes[0];
    ast->n = 0;
    bt_df_ast_free(ast);
    struct bt_df_inst *in = bt_xmalloc(sizeof(*in));
    char *errmsg = NULL;
    bt_autofree char *name = NULL;
    if (inst_init(in, node, escape == '`' ? '`' : '\\', &name, &errmsg) < 0) {
        bt_err_set(err, BT_E_INVALID, "dockerfile parse error on line %d: %s", node->start_line,
                   errmsg);
        free(errmsg);
        free(in);
        bt_df_node_free(node);
        return NULL;
    }
    in->owned_node = node;
    return in;
}
