/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Execution of a parsed template (Go's text/template/exec.go) over JSON data: walking the
 * tree, evaluating pipelines, fields, variables and calls, with Go's errors:
 *   template: :LINE:COL: executing "" at <NODE>: MESSAGE
 * where NODE is the node being evaluated and COL its byte offset in the line.
 *
 * Every walk and eval function returns 0, -1 after setting the one error (ex->err), or for
 * walk only, WALK_BREAK / WALK_CONTINUE to unwind to the enclosing range.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "host/format/template-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

enum { WALK_BREAK = 1, WALK_CONTINUE = 2 };

struct var {
    const char *name;
    struct xv v;
};

struct exec {
    const struct fmt_template *t;
    const struct fmt_exec_opts *opts;
    struct typing ty;
    struct bt_strbuf *out;
    size_t out_start;
    size_t max_out;
    unsigned long steps;
    unsigned long max_steps;
    struct var *vars;
    size_t nvars;
    size_t cap;
    const struct node *at; /* the node errors name */
    bt_err **err;
};

static int errorf(struct exec *ex, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int errorf(struct exec *ex, const char *fmt, ...)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (!ex->at) {
        bt_strbuf_append(&sb, "template: : ");
    } else {
        size_t pos = ex->at->pos, line = 1, col_start = 0;
        for (size_t i = 0; i < pos && i < ex->t->len; i++)
            if (ex->t->text[i] == '\n')
                line++, col_start = i + 1;
        bt_autofree char *ctx = tpl_node_string_dup(ex->at);
        bt_strbuf_appendf(&sb, "template: :%zu:%zu: executing \"\" at <%s>: ", line,
                          pos - col_start, ctx);
    }
    va_list ap;
    va_start(ap, fmt);
    bt_strbuf_appendv(&sb, fmt, ap);
    va_end(ap);
    return bt_err_set(ex->err, BT_E_INVALID, "%s", bt_strbuf_str(&sb));
}

static int step(struct exec *ex)
{
    if (++ex->steps > ex->max_steps)
        return errorf(ex, "execution stopped after %lu steps", ex->max_steps);
    return 0;
}

static int write_out(struct exec *ex, const char *s, size_t n)
{
    if (ex->out->len - ex->out_start + n > ex->max_out)
        return errorf(ex, "output exceeds %zu bytes", ex->max_out);
    bt_strbuf_append_n(ex->out, s, n);
    return 0;
}

static void quote(struct bt_strbuf *sb, const char *s)
{
    tpl_go_quote(sb, s, strlen(s));
}

/* --- variables --- */

static void push_var(struct exec *ex, const char *name, struct xv v)
{
    if (ex->nvars == ex->cap) {
        ex->cap = ex->cap ? ex->cap * 2 : 16;
        ex->vars = bt_xreallocarray(ex->vars, ex->cap, sizeof(*ex->vars));
    }
    ex->vars[ex->nvars++] = (struct var){name, v};
}

static void pop_vars(struct exec *ex, size_t mark)
{
    while (ex->nvars > mark)
        xv_clear(&ex->vars[--ex->nvars].v);
}

static struct var *find_var(struct exec *ex, const char *name)
{
    for (size_t i = ex->nvars; i-- > 0;)
        if (strcmp(ex->vars[i].name, name) == 0)
            return &ex->vars[i];
    return NULL;
}

static int set_var(struct exec *ex, const char *name, const struct xv *v)
{
    struct var *var = find_var(ex, name);
    if (!var)
        return errorf(ex, "undefined variable: %s", name);
    xv_clear(&var->v);
    var->v = xv_copy(v);
    return 0;
}

static void set_top_var(struct exec *ex, size_t n, const struct xv *v)
{
    struct var *var = &ex->vars[ex->nvars - n];
    xv_clear(&var->v);
    var->v = xv_copy(v);
}

/* --- evaluation --- */

static int eval_pipeline(struct exec *ex, const struct xv *dot, const struct node *pipe,
                         struct xv *res);
static int eval_arg(struct exec *ex, const struct xv *dot, enum param_kind kind,
                    const struct node *n, struct xv *res);

static int not_a_function(struct exec *ex, struct node *const *args, size_t nargs,
                          const struct xv *final)
{
    if (nargs > 1 || final) {
        bt_autofree char *s = tpl_node_string_dup(args[0]);
        return errorf(ex, "can't give argument to non-function %s", s);
    }
    return 0;
}

static bool is_hex_int(const char *s)
{
    return s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && !strpbrk(s, "pP");
}

/* A number literal where no type is expected: Go's idealConstant. */
static int ideal_constant(struct exec *ex, const struct node *n, struct xv *res)
{
    ex->at = n;
    if (n->is_float && !is_hex_int(n->str) && !n->is_char && strpbrk(n->str, ".eEpP")) {
        *res = xv_new(json_real(n->fval), NULL);
        return 0;
    }
    if (n->is_int) {
        *res = xv_new(json_integer(n->ival), NULL);
        return 0;
    }
    if (n->is_uint)
        return errorf(ex, "%s overflows int", n->str);
    *res = (struct xv)XV_NONE;
    return 0;
}

static const char *kind_name(enum param_kind k)
{
    return k == PARAM_STRING ? "string" : "int";
}

/* Go's validateType for the parameter kinds functions have. */
static int validate(struct exec *ex, struct xv *v, enum param_kind kind)
{
    if (kind == PARAM_ANY)
        return 0;
    if (!v->j) {
        xv_clear(v);
        return errorf(ex, "invalid value; expected %s", kind_name(kind));
    }
    const char *type = xv_type_name(&ex->ty, v);
    bool ok = kind == PARAM_STRING ? json_is_string(v->j) && strcmp(type, "string") == 0
                                   : json_is_integer(v->j) && strcmp(type, "int") == 0;
    if (ok)
        return 0;
    int rc = errorf(ex, "wrong type for value; expected %s; got %s", kind_name(kind), type);
    xv_clear(v);
    return rc;
}

/* A member of a JSON object or the error Go gives for the receiver. `nargs` counts the
 * field itself, as Go's args do. */
static int field_of(struct exec *ex, const char *name, bool has_args, const struct xv *recv,
                    struct xv *res)
{
    const char *type = xv_type_name(&ex->ty, recv);
    bool map = json_is_object(recv->j) ? xv_is_map(&ex->ty, recv)
                                       : json_is_null(recv->j) && strncmp(type, "map[", 4) == 0;
    if (json_is_null(recv->j) && !map)
        return errorf(ex, "nil pointer evaluating %s.%s", type, name);
    if (map) {
        if (has_args)
            return errorf(ex, "%s is not a method but has arguments", name);
        json_t *m = json_is_object(recv->j) ? json_object_get(recv->j, name) : NULL;
        if (!m) {
            if (ex->opts->missing_key_error) {
                bt_autostrbuf struct bt_strbuf q = BT_STRBUF_INIT;
                quote(&q, name);
                return errorf(ex, "map has no entry for key %s", bt_strbuf_str(&q));
            }
            *res = (struct xv)XV_NONE;
            return 0;
        }
        *res = (struct xv){json_incref(m), xv_child_path(&ex->ty, recv->path, "[]"), NULL};
        res->iface = xv_elems_are_iface(&ex->ty, recv);
        return 0;
    }
    json_t *m = json_is_object(recv->j) ? json_object_get(recv->j, name) : NULL;
    if (m) {
        if (has_args)
            return errorf(ex, "%s has arguments but cannot be invoked as function", name);
        *res = (struct xv){json_incref(m), xv_child_path(&ex->ty, recv->path, name), NULL};
        return 0;
    }
    return errorf(ex, "can't evaluate field %s in type %s", name, type);
}

/* Ask the caller's method hook; 1 answered, 0 not a method, -1 error. */
static int call_method(struct exec *ex, const struct xv *dot, const char *name,
                       const struct xv *recv, struct node *const *args, size_t nargs,
                       const struct xv *final, struct xv *res)
{
    size_t n = (nargs > 0 ? nargs - 1 : 0) + (final ? 1 : 0);
    struct xv *vals = bt_xzalloc((n + 1) * sizeof(*vals));
    const json_t **js = bt_xzalloc((n + 1) * sizeof(*js));
    int rc = 0;
    for (size_t i = 1; i < nargs && rc == 0; i++)
        rc = eval_arg(ex, dot, PARAM_ANY, args[i], &vals[i - 1]);
    if (rc == 0 && final)
        vals[n - 1] = xv_copy(final);
    for (size_t i = 0; i < n; i++)
        js[i] = vals[i].j;
    json_t *out = NULL;
    if (rc == 0) {
        bt_autoerr bt_err *e = NULL;
        rc = ex->opts->method(ex->opts->method_ctx, name, recv->path, recv->j,
                              (const json_t *const *)js, n, &out, &e);
        if (rc < 0)
            rc = errorf(ex, "error calling %s: %s", name, e ? bt_err_msg(e) : "failed");
        else if (rc > 0)
            *res = xv_new(out ? out : NULL, NULL);
    }
    for (size_t i = 0; i < n; i++)
        xv_clear(&vals[i]);
    free(vals);
    free(js);
    return rc;
}

/* Go's evalField: (.Field) or (.Method arg...) on receiver. */
static int eval_field(struct exec *ex, const struct xv *dot, const char *name,
                      const struct node *node, struct node *const *args, size_t nargs,
                      const struct xv *final, const struct xv *recv, struct xv *res)
{
    if (!recv->j) {
        if (ex->opts->missing_key_error) {
            bt_autostrbuf struct bt_strbuf q = BT_STRBUF_INIT;
            quote(&q, name);
            return errorf(ex, "nil data; no entry for key %s", bt_strbuf_str(&q));
        }
        *res = (struct xv)XV_NONE;
        return 0;
    }
    if (ex->opts->method) {
        int rc = call_method(ex, dot, name, recv, args, nargs, final, res);
        ex->at = node;
        if (rc != 0)
            return rc < 0 ? -1 : 0;
    }
    return field_of(ex, name, nargs > 1 || final, recv, res);
}

static int eval_field_chain(struct exec *ex, const struct xv *dot, const struct xv *recv,
                            const struct node *node, char *const *ident, size_t n,
                            struct node *const *args, size_t nargs, const struct xv *final,
                            struct xv *res)
{
    struct xv cur = xv_copy(recv);
    for (size_t i = 0; i + 1 < n; i++) {
        struct xv nx = XV_NONE;
        int rc = eval_field(ex, dot, ident[i], node, NULL, 0, NULL, &cur, &nx);
        xv_clear(&cur);
        if (rc < 0)
            return -1;
        cur = nx;
    }
    int rc = eval_field(ex, dot, ident[n - 1], node, args, nargs, final, &cur, res);
    xv_clear(&cur);
    return rc;
}

static int eval_field_node(struct exec *ex, const struct xv *dot, const struct node *field,
                           struct node *const *args, size_t nargs, const struct xv *final,
                           struct xv *res)
{
    ex->at = field;
    return eval_field_chain(ex, dot, dot, field, field->ident, field->nident, args, nargs, final,
                            res);
}

static int eval_chain_node(struct exec *ex, const struct xv *dot, const struct node *chain,
                           struct node *const *args, size_t nargs, const struct xv *final,
                           struct xv *res)
{
    ex->at = chain;
    if (chain->base->type == NODE_NIL) {
        bt_autofree char *s = tpl_node_string_dup(chain);
        return errorf(ex, "indirection through explicit nil in %s", s);
    }
    struct xv base = XV_NONE;
    if (eval_arg(ex, dot, PARAM_ANY, chain->base, &base) < 0)
        return -1;
    int rc = eval_field_chain(ex, dot, &base, chain, chain->ident, chain->nident, args, nargs,
                              final, res);
    xv_clear(&base);
    return rc;
}

static int eval_variable_node(struct exec *ex, const struct xv *dot, const struct node *var,
                              struct node *const *args, size_t nargs, const struct xv *final,
                              struct xv *res)
{
    ex->at = var;
    struct var *v = find_var(ex, var->ident[0]);
    if (!v)
        return errorf(ex, "undefined variable: %s", var->ident[0]);
    if (var->nident == 1) {
        if (args && not_a_function(ex, args, nargs, final) < 0)
            return -1;
        *res = xv_copy(&v->v);
        return 0;
    }
    struct xv value = xv_copy(&v->v);
    int rc = eval_field_chain(ex, dot, &value, var, var->ident + 1, var->nident - 1, args, nargs,
                              final, res);
    xv_clear(&value);
    return rc;
}

/* and/or: arguments evaluated until one decides. */
static int eval_shortcircuit(struct exec *ex, const struct xv *dot, bool is_or,
                             struct node *const *args, size_t n, const struct xv *final,
                             struct xv *res)
{
    struct xv v = XV_NONE;
    for (size_t i = 0; i < n; i++) {
        xv_clear(&v);
        if (eval_arg(ex, dot, PARAM_ANY, args[i], &v) < 0)
            return -1;
        if (xv_truth(&ex->ty, &v) == is_or) {
            *res = v;
            return 0;
        }
    }
    if (final) {
        xv_clear(&v);
        v = xv_copy(final);
    }
    *res = v;
    return 0;
}

static int arg_count_error(struct exec *ex, const char *name, bool variadic, int want, size_t got)
{
    if (variadic)
        return errorf(ex, "wrong number of args for %s: want at least %d got %zu", name, want, got);
    return errorf(ex, "wrong number of args for %s: want %d got %zu", name, want, got);
}

static int eval_call(struct exec *ex, const struct xv *dot, const struct func_def *f,
                     const struct node *cmd, struct node *const *args, size_t nargs,
                     const struct xv *final, struct xv *res)
{
    const char *name = tpl_func_name(f);
    size_t n = args ? nargs - 1 : 0;
    struct node *const *a = args ? args + 1 : NULL;
    size_t num_in = n + (final ? 1 : 0);
    bool variadic, is_or;
    int nfixed = tpl_func_nparams(f, &variadic);
    if (variadic ? num_in < (size_t)nfixed : num_in != (size_t)nfixed)
        return arg_count_error(ex, name, variadic, nfixed, variadic ? n : num_in);
    if (tpl_func_is_shortcircuit(f, &is_or))
        return eval_shortcircuit(ex, dot, is_or, a, n, final, res);
    bool header = ex->opts->header;
    struct xv *argv = bt_xzalloc((num_in + 1) * sizeof(*argv));
    int rc = 0;
    size_t i = 0;
    for (; i < n && rc == 0; i++)
        rc = eval_arg(ex, dot, tpl_func_param(f, (int)i, header), a[i], &argv[i]);
    if (rc == 0 && final) {
        argv[i] = xv_copy(final);
        rc = validate(ex, &argv[i], tpl_func_param(f, (int)i, header));
    }
    if (rc == 0) {
        bt_autofree char *msg = NULL;
        size_t room = ex->max_out;
        if (tpl_func_call(f, &ex->ty, header, argv, num_in, room, res, &msg) < 0) {
            ex->at = cmd;
            rc = errorf(ex, "error calling %s: %s", name, msg);
        }
    }
    for (size_t k = 0; k < num_in; k++)
        xv_clear(&argv[k]);
    free(argv);
    return rc;
}

static int eval_function(struct exec *ex, const struct xv *dot, const struct node *ident,
                         const struct node *cmd, struct node *const *args, size_t nargs,
                         const struct xv *final, struct xv *res)
{
    ex->at = ident;
    const struct func_def *f = tpl_func_find(ident->str);
    if (!f) {
        bt_autostrbuf struct bt_strbuf q = BT_STRBUF_INIT;
        quote(&q, ident->str);
        return errorf(ex, "%s is not a defined function", bt_strbuf_str(&q));
    }
    return eval_call(ex, dot, f, cmd, args, nargs, final, res);
}

/* A literal argument for a parameter of a kind: Go's evalBool/evalString/evalInteger, or
 * evalEmptyInterface for parameters of any type. */
static int eval_literal_arg(struct exec *ex, enum param_kind kind, const struct node *n,
                            struct xv *res)
{
    if (kind == PARAM_STRING && n->type == NODE_STRING) {
        *res = xv_new(json_stringn_nocheck(n->str, n->len), NULL);
        return 0;
    }
    if (kind == PARAM_INT && n->type == NODE_NUMBER && n->is_int) {
        *res = xv_new(json_integer(n->ival), NULL);
        return 0;
    }
    if (kind != PARAM_ANY) {
        bt_autofree char *s = tpl_node_string_dup(n);
        return errorf(ex, "expected %s; found %s", kind == PARAM_STRING ? "string" : "integer", s);
    }
    switch (n->type) {
    case NODE_BOOL:
        *res = xv_new(json_boolean(n->bval), NULL);
        return 0;
    case NODE_NUMBER:
        return ideal_constant(ex, n, res);
    case NODE_STRING:
        *res = xv_new(json_stringn_nocheck(n->str, n->len), NULL);
        return 0;
    default: {
        bt_autofree char *s = tpl_node_string_dup(n);
        return errorf(ex, "can't handle assignment of %s to empty interface argument", s);
    }
    }
}

static int eval_arg(struct exec *ex, const struct xv *dot, enum param_kind kind,
                    const struct node *n, struct xv *res)
{
    ex->at = n;
    int rc;
    switch (n->type) {
    case NODE_DOT:
        *res = xv_copy(dot);
        return validate(ex, res, kind);
    case NODE_NIL:
        if (kind == PARAM_ANY) {
            *res = (struct xv)XV_NONE;
            return 0;
        }
        return errorf(ex, "cannot assign nil to %s", kind_name(kind));
    case NODE_FIELD:
        rc = eval_field_node(ex, dot, n, (struct node *const *)&n, 1, NULL, res);
        break;
    case NODE_VARIABLE:
        rc = eval_variable_node(ex, dot, n, NULL, 0, NULL, res);
        break;
    case NODE_PIPE:
        rc = eval_pipeline(ex, dot, n, res);
        break;
    case NODE_IDENTIFIER:
        rc = eval_function(ex, dot, n, n, NULL, 0, NULL, res);
        break;
    case NODE_CHAIN:
        rc = eval_chain_node(ex, dot, n, NULL, 0, NULL, res);
        break;
    default:
        return eval_literal_arg(ex, kind, n, res);
    }
    if (rc < 0)
        return -1;
    return validate(ex, res, kind);
}

static int eval_command(struct exec *ex, const struct xv *dot, const struct node *cmd,
                        const struct xv *final, struct xv *res)
{
    if (step(ex) < 0)
        return -1;
    const struct node *first = cmd->kid[0];
    struct node *const *args = cmd->kid;
    switch (first->type) {
    case NODE_FIELD:
        return eval_field_node(ex, dot, first, args, cmd->nkid, final, res);
    case NODE_CHAIN:
        return eval_chain_node(ex, dot, first, args, cmd->nkid, final, res);
    case NODE_IDENTIFIER:
        return eval_function(ex, dot, first, cmd, args, cmd->nkid, final, res);
    case NODE_PIPE:
        if (not_a_function(ex, args, cmd->nkid, final) < 0)
            return -1;
        return eval_pipeline(ex, dot, first, res);
    case NODE_VARIABLE:
        return eval_variable_node(ex, dot, first, args, cmd->nkid, final, res);
    default:
        break;
    }
    ex->at = first;
    if (not_a_function(ex, args, cmd->nkid, final) < 0)
        return -1;
    switch (first->type) {
    case NODE_BOOL:
        *res = xv_new(json_boolean(first->bval), NULL);
        return 0;
    case NODE_DOT:
        *res = xv_copy(dot);
        return 0;
    case NODE_NIL:
        return errorf(ex, "nil is not a command");
    case NODE_NUMBER:
        return ideal_constant(ex, first, res);
    case NODE_STRING:
        *res = xv_new(json_stringn_nocheck(first->str, first->len), NULL);
        return 0;
    default: {
        bt_autofree char *s = tpl_node_string_dup(first);
        bt_autostrbuf struct bt_strbuf q = BT_STRBUF_INIT;
        quote(&q, s);
        return errorf(ex, "can't evaluate command %s", bt_strbuf_str(&q));
    }
    }
}

/* Evaluate a pipeline; its declared variables are pushed (or assigned) and stay until the
 * caller pops them. */
static int eval_pipeline(struct exec *ex, const struct xv *dot, const struct node *pipe,
                         struct xv *res)
{
    ex->at = pipe;
    struct xv value = XV_NONE;
    bool have = false;
    for (size_t i = 0; i < pipe->nkid; i++) {
        struct xv next = XV_NONE;
        int rc = eval_command(ex, dot, pipe->kid[i], have ? &value : NULL, &next);
        xv_clear(&value);
        if (rc < 0)
            return -1;
        /* Go digs into interface{} values: a nil one is no value at all. */
        if (next.iface && json_is_null(next.j))
            xv_clear(&next);
        value = next;
        have = true;
    }
    for (size_t i = 0; i < pipe->ndecl; i++) {
        if (pipe->is_assign) {
            if (set_var(ex, pipe->decl[i], &value) < 0) {
                xv_clear(&value);
                return -1;
            }
        } else {
            push_var(ex, pipe->decl[i], xv_copy(&value));
        }
    }
    *res = value;
    return 0;
}

static int walk(struct exec *ex, const struct xv *dot, const struct node *n);

static int walk_if_with(struct exec *ex, const struct xv *dot, const struct node *n)
{
    size_t mark = ex->nvars;
    struct xv val = XV_NONE;
    int rc = eval_pipeline(ex, dot, n->pipe, &val);
    if (rc == 0) {
        if (xv_truth(&ex->ty, &val))
            rc = walk(ex, n->type == NODE_WITH ? &val : dot, n->list);
        else if (n->else_list)
            rc = walk(ex, dot, n->else_list);
    }
    xv_clear(&val);
    pop_vars(ex, mark);
    return rc;
}

/* One pass of a range body with the element (and index) set. */
static int range_once(struct exec *ex, const struct node *r, size_t mark, const struct xv *index,
                      const struct xv *elem)
{
    const struct node *pipe = r->pipe;
    int rc = 0;
    if (pipe->ndecl > 0) {
        if (pipe->is_assign)
            rc = set_var(ex, pipe->decl[0], pipe->ndecl > 1 ? index : elem);
        else
            set_top_var(ex, 1, elem);
    }
    if (rc == 0 && pipe->ndecl > 1) {
        if (pipe->is_assign)
            rc = set_var(ex, pipe->decl[1], elem);
        else
            set_top_var(ex, 2, index);
    }
    if (rc == 0)
        rc = walk(ex, elem, r->list);
    pop_vars(ex, mark);
    return rc == WALK_CONTINUE ? 0 : rc;
}

static int range_array(struct exec *ex, const struct node *r, size_t mark, const struct xv *val)
{
    bool iface = xv_elems_are_iface(&ex->ty, val);
    bt_autofree char *path = xv_child_path(&ex->ty, val->path, "[]");
    for (size_t i = 0; i < json_array_size(val->j); i++) {
        struct xv index = xv_new(json_integer((json_int_t)i), NULL);
        struct xv elem = {json_incref(json_array_get(val->j, i)), bt_xstrdup_or_null(path)};
        elem.iface = iface;
        int rc = range_once(ex, r, mark, &index, &elem);
        xv_clear(&index);
        xv_clear(&elem);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Go ranges over maps in sorted key order. */
static int range_map(struct exec *ex, const struct node *r, size_t mark, const struct xv *val)
{
    size_t n = json_object_size(val->j), k = 0;
    bt_autofree const char **keys = bt_xzalloc((n + 1) * sizeof(*keys));
    const char *key;
    json_t *member;
    json_object_foreach (val->j, key, member) {
        keys[k++] = key;
    }
    qsort(keys, k, sizeof(*keys), cmp_keys);
    bool iface = xv_elems_are_iface(&ex->ty, val);
    bt_autofree char *path = xv_child_path(&ex->ty, val->path, "[]");
    for (size_t i = 0; i < k; i++) {
        struct xv index = xv_new(json_string_nocheck(keys[i]), NULL);
        struct xv elem = {json_incref(json_object_get(val->j, keys[i])), bt_xstrdup_or_null(path)};
        elem.iface = iface;
        int rc = range_once(ex, r, mark, &index, &elem);
        xv_clear(&index);
        xv_clear(&elem);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int walk_range(struct exec *ex, const struct xv *dot, const struct node *r)
{
    ex->at = r;
    size_t outer = ex->nvars;
    struct xv val = XV_NONE;
    int rc = eval_pipeline(ex, dot, r->pipe, &val);
    size_t mark = ex->nvars;
    bool empty = true;
    if (rc == 0 && val.j && !json_is_null(val.j)) {
        if (json_is_array(val.j)) {
            empty = json_array_size(val.j) == 0;
            rc = range_array(ex, r, mark, &val);
        } else if (json_is_object(val.j) && xv_is_map(&ex->ty, &val)) {
            empty = json_object_size(val.j) == 0;
            rc = range_map(ex, r, mark, &val);
        } else {
            bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
            xv_print(&ex->ty, &val, false, &sb);
            rc = errorf(ex, "range can't iterate over %s", bt_strbuf_str(&sb));
        }
    }
    if (rc == 0 && empty && r->else_list)
        rc = walk(ex, dot, r->else_list);
    xv_clear(&val);
    pop_vars(ex, outer);
    return rc == WALK_BREAK ? 0 : rc;
}

static int walk_action(struct exec *ex, const struct xv *dot, const struct node *n)
{
    struct xv val = XV_NONE;
    if (eval_pipeline(ex, dot, n->pipe, &val) < 0)
        return -1;
    int rc = 0;
    if (n->pipe->ndecl == 0) {
        ex->at = n;
        bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
        xv_print(&ex->ty, &val, true, &sb);
        rc = write_out(ex, sb.buf ? sb.buf : "", sb.len);
    }
    xv_clear(&val);
    return rc;
}

static int walk(struct exec *ex, const struct xv *dot, const struct node *n)
{
    ex->at = n;
    if (step(ex) < 0)
        return -1;
    switch (n->type) {
    case NODE_ACTION:
        return walk_action(ex, dot, n);
    case NODE_BREAK:
        return WALK_BREAK;
    case NODE_CONTINUE:
        return WALK_CONTINUE;
    case NODE_IF:
    case NODE_WITH:
        return walk_if_with(ex, dot, n);
    case NODE_LIST:
        for (size_t i = 0; i < n->nkid; i++) {
            int rc = walk(ex, dot, n->kid[i]);
            if (rc != 0)
                return rc;
        }
        return 0;
    case NODE_RANGE:
        return walk_range(ex, dot, n);
    case NODE_TEXT:
        return write_out(ex, n->str, n->len);
    default: {
        bt_autofree char *s = tpl_node_string_dup(n);
        return errorf(ex, "unknown node: %s", s);
    }
    }
}

int fmt_template_exec(const struct fmt_template *t, const json_t *data,
                      const struct fmt_exec_opts *opts, struct bt_strbuf *out, bt_err **err)
{
    static const struct fmt_exec_opts defaults = {0};
    if (!opts)
        opts = &defaults;
    struct exec ex = {
            .t = t,
            .opts = opts,
            .ty = {opts->types, opts->objects_are_maps},
            .out = out,
            .out_start = out->len,
            .max_out = opts->max_output ? opts->max_output : FMT_DEFAULT_MAX_OUTPUT,
            .max_steps = opts->max_steps ? opts->max_steps : FMT_DEFAULT_MAX_STEPS,
            .err = err,
    };
    /* JSON null data is Go's nil data */
    json_t *d = data && !json_is_null(data) ? (json_t *)data : NULL;
    struct xv root = {json_incref(d), bt_xstrdup_or_null(opts->types ? "" : NULL)};
    push_var(&ex, "$", xv_copy(&root));
    int rc = walk(&ex, &root, t->root);
    pop_vars(&ex, 0);
    free(ex.vars);
    xv_clear(&root);
    bt_strbuf_append(out, "");
    return rc < 0 ? -1 : 0;
}
