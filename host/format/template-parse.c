/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The parser of Go's text/template (text/template/parse/parse.go) over the lexer's tokens:
 * the same grammar, the same checks at parse time (undefined variables and functions, break
 * outside range, non-executable pipeline stages) and the same error messages, which read
 * "template: :LINE: ..." with the line of the last token read, as Go's do.
 *
 * Errors unwind with a flag rather than Go's panic: every function returns NULL (or false)
 * once p->failed is set, and the first message is kept.
 */
#include <stdlib.h>
#include <string.h>

#include "host/format/template-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

struct parser {
    const char *text;
    struct tok_list toks;
    size_t i;       /* next token */
    size_t maxread; /* furthest token read: Go reports the line of its newest token */
    char **vars;    /* variables in scope, "$" first */
    size_t nvars;
    int range_depth;
    int depth; /* nesting of controls and parentheses */
    int action_line;
    bool failed;
    struct bt_strbuf msg;
};

/* The next token; past the end the last one (EOF or an error) again. */
static const struct tok *next(struct parser *p)
{
    size_t k = p->i < p->toks.n ? p->i : p->toks.n - 1;
    p->i++;
    if (k > p->maxread)
        p->maxread = k;
    return &p->toks.v[k];
}

static void backup(struct parser *p)
{
    p->i--;
}

static const struct tok *peek(struct parser *p)
{
    const struct tok *t = next(p);
    backup(p);
    return t;
}

static const struct tok *next_non_space(struct parser *p)
{
    const struct tok *t;
    do {
        t = next(p);
    } while (t->type == TOK_SPACE);
    return t;
}

static const struct tok *peek_non_space(struct parser *p)
{
    const struct tok *t = next_non_space(p);
    backup(p);
    return t;
}

static void failf(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void failf(struct parser *p, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    bt_strbuf_appendf(&p->msg, "template: :%d: ", p->toks.v[p->maxread].line);
    va_list ap;
    va_start(ap, fmt);
    bt_strbuf_appendv(&p->msg, fmt, ap);
    va_end(ap);
}

/* Go's item.String(): EOF, the error text, <keyword>, or the quoted text (10 runes at most). */
static void tok_describe(const struct parser *p, const struct tok *t, struct bt_strbuf *out)
{
    if (t->type == TOK_EOF) {
        bt_strbuf_append(out, "EOF");
    } else if (t->type == TOK_ERROR) {
        bt_strbuf_append(out, t->msg);
    } else if (t->type > TOK_KEYWORD) {
        bt_strbuf_appendf(out, "<%.*s>", (int)t->len, p->text + t->pos);
    } else {
        size_t n = 0, runes = 0;
        while (n < t->len && runes < 10) {
            int w;
            tpl_utf8_decode(p->text + t->pos + n, t->len - n, &w);
            n += w;
            runes++;
        }
        tpl_go_quote(out, p->text + t->pos, n);
        if (n < t->len)
            bt_strbuf_append(out, "...");
    }
}

static void unexpected(struct parser *p, const struct tok *t, const char *context)
{
    bt_autostrbuf struct bt_strbuf d = BT_STRBUF_INIT;
    tok_describe(p, t, &d);
    if (t->type == TOK_ERROR) {
        bt_autostrbuf struct bt_strbuf extra = BT_STRBUF_INIT;
        if (p->action_line != 0 && p->action_line != t->line) {
            size_t n = strlen(t->msg);
            bool action = n >= 7 && strcmp(t->msg + n - 7, " action") == 0;
            bt_strbuf_appendf(&extra, "%s started at :%d", action ? "" : " in action",
                              p->action_line);
        }
        failf(p, "%s%s", bt_strbuf_str(&d), bt_strbuf_str(&extra));
        return;
    }
    failf(p, "unexpected %s in %s", bt_strbuf_str(&d), context);
}

static struct node *new_node(enum node_type type, const struct tok *t)
{
    struct node *n = bt_xzalloc(sizeof(*n));
    n->type = type;
    n->pos = t ? t->pos : 0;
    n->line = t ? t->line : 0;
    return n;
}

/* A copy of len bytes that may hold NULs, NUL-terminated. */
static char *memdup0(const char *s, size_t len)
{
    char *p = bt_xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

static void add_kid(struct node *n, struct node *kid)
{
    n->kid = bt_xreallocarray(n->kid, n->nkid + 1, sizeof(*n->kid));
    n->kid[n->nkid++] = kid;
}

static void add_str(char ***v, size_t *n, const char *s, size_t len)
{
    *v = bt_xreallocarray(*v, *n + 1, sizeof(**v));
    (*v)[(*n)++] = bt_xstrndup(s, len);
}

static struct node *pipeline(struct parser *p, const char *context, enum tok_type end);
static struct node *item_list(struct parser *p, struct node **end_node);

/* Split ".A.B" or "$x.A" into its names: "A","B" or "$x","A". */
static void split_idents(struct node *n, const char *s, size_t len)
{
    size_t i = (s[0] == '.') ? 1 : 0;
    while (i <= len) {
        size_t j = i;
        while (j < len && s[j] != '.')
            j++;
        add_str(&n->ident, &n->nident, s + i, j - i);
        i = j + 1;
    }
}

static void push_var(struct parser *p, const char *name, size_t len)
{
    add_str(&p->vars, &p->nvars, name, len);
}

static void pop_vars(struct parser *p, size_t n)
{
    while (p->nvars > n)
        free(p->vars[--p->nvars]);
}

static struct node *use_var(struct parser *p, const struct tok *t)
{
    struct node *v = new_node(NODE_VARIABLE, t);
    split_idents(v, p->text + t->pos, t->len);
    for (size_t i = 0; i < p->nvars; i++)
        if (strcmp(p->vars[i], v->ident[0]) == 0)
            return v;
    bt_autostrbuf struct bt_strbuf q = BT_STRBUF_INIT;
    tpl_go_quote(&q, v->ident[0], strlen(v->ident[0]));
    failf(p, "undefined variable %s", bt_strbuf_str(&q));
    tpl_node_free(v);
    return NULL;
}

static bool parse_number(struct parser *p, struct node *n, const struct tok *t)
{
    bt_autofree char *msg = NULL;
    if (tpl_parse_number(n, p->text + t->pos, t->len, t->type, &msg) < 0) {
        failf(p, "%s", msg);
        return false;
    }
    return true;
}

static struct node *term_string(struct parser *p, const struct tok *t)
{
    struct node *n = new_node(NODE_STRING, t);
    n->quoted = bt_xstrndup(p->text + t->pos, t->len);
    struct bt_strbuf v = BT_STRBUF_INIT;
    if (!tpl_unquote(p->text + t->pos, t->len, &v)) {
        bt_strbuf_free(&v);
        tpl_node_free(n);
        failf(p, "invalid syntax");
        return NULL;
    }
    n->len = v.len;
    n->str = bt_strbuf_steal(&v);
    return n;
}

static struct node *term_paren(struct parser *p)
{
    if (p->depth >= TPL_MAX_DEPTH) {
        failf(p, "max expression depth exceeded");
        return NULL;
    }
    p->depth++;
    struct node *n = pipeline(p, "parenthesized pipeline", TOK_RIGHT_PAREN);
    p->depth--;
    return n;
}

/* A term, or NULL with the token backed up when the next token starts none (check
 * p->failed to tell the two apart). */
static struct node *term(struct parser *p)
{
    const struct tok *t = next_non_space(p);
    struct node *n;
    switch (t->type) {
    case TOK_IDENTIFIER: {
        bt_autofree char *name = bt_xstrndup(p->text + t->pos, t->len);
        if (!tpl_func_find(name)) {
            bt_autostrbuf struct bt_strbuf q = BT_STRBUF_INIT;
            tpl_go_quote(&q, name, t->len);
            failf(p, "function %s not defined", bt_strbuf_str(&q));
            return NULL;
        }
        n = new_node(NODE_IDENTIFIER, t);
        n->str = bt_steal_ptr(&name);
        return n;
    }
    case TOK_DOT:
        return new_node(NODE_DOT, t);
    case TOK_NIL:
        return new_node(NODE_NIL, t);
    case TOK_VARIABLE:
        return use_var(p, t);
    case TOK_FIELD:
        n = new_node(NODE_FIELD, t);
        split_idents(n, p->text + t->pos, t->len);
        return n;
    case TOK_BOOL:
        n = new_node(NODE_BOOL, t);
        n->bval = t->len == 4;
        return n;
    case TOK_CHAR_CONSTANT:
    case TOK_COMPLEX:
    case TOK_NUMBER:
        n = new_node(NODE_NUMBER, t);
        n->str = bt_xstrndup(p->text + t->pos, t->len);
        if (!parse_number(p, n, t)) {
            tpl_node_free(n);
            return NULL;
        }
        return n;
    case TOK_LEFT_PAREN:
        return term_paren(p);
    case TOK_STRING:
    case TOK_RAW_STRING:
        return term_string(p, t);
    default:
        backup(p);
        return NULL;
    }
}

/* term .Field*: fields after a field or variable extend it; after anything else they make a
 * chain, and after a literal they are an error. */
static struct node *operand(struct parser *p)
{
    struct node *n = term(p);
    if (!n || peek(p)->type != TOK_FIELD)
        return n;
    if (n->type == NODE_BOOL || n->type == NODE_STRING || n->type == NODE_NUMBER ||
        n->type == NODE_NIL || n->type == NODE_DOT) {
        bt_autofree char *s = tpl_node_string_dup(n);
        bt_autostrbuf struct bt_strbuf q = BT_STRBUF_INIT;
        tpl_go_quote(&q, s, strlen(s));
        tpl_node_free(n);
        failf(p, "unexpected . after term %s", bt_strbuf_str(&q));
        return NULL;
    }
    /* Go gives the result the position of the first field after the term. */
    struct node *target = n;
    if (n->type != NODE_FIELD && n->type != NODE_VARIABLE) {
        target = new_node(NODE_CHAIN, NULL);
        target->base = n;
    }
    target->pos = peek(p)->pos;
    target->line = peek(p)->line;
    while (peek(p)->type == TOK_FIELD) {
        const struct tok *f = next(p);
        add_str(&target->ident, &target->nident, p->text + f->pos + 1, f->len - 1);
    }
    return target;
}

static struct node *command(struct parser *p)
{
    struct node *cmd = new_node(NODE_COMMAND, peek_non_space(p));
    for (;;) {
        peek_non_space(p);
        struct node *o = operand(p);
        if (p->failed) {
            tpl_node_free(cmd);
            return NULL;
        }
        if (o)
            add_kid(cmd, o);
        const struct tok *t = next(p);
        if (t->type == TOK_SPACE)
            continue;
        if (t->type == TOK_RIGHT_DELIM || t->type == TOK_RIGHT_PAREN)
            backup(p);
        else if (t->type != TOK_PIPE)
            unexpected(p, t, "operand");
        break;
    }
    if (!p->failed && cmd->nkid == 0)
        failf(p, "empty command");
    if (p->failed) {
        tpl_node_free(cmd);
        return NULL;
    }
    return cmd;
}

static bool check_pipeline(struct parser *p, struct node *pipe, const char *context)
{
    if (pipe->nkid == 0) {
        failf(p, "missing value for %s", context);
        return false;
    }
    for (size_t i = 1; i < pipe->nkid; i++) {
        enum node_type t = pipe->kid[i]->kid[0]->type;
        if (t == NODE_BOOL || t == NODE_DOT || t == NODE_NIL || t == NODE_NUMBER ||
            t == NODE_STRING) {
            failf(p, "non executable command in pipeline stage %zu", i + 1);
            return false;
        }
    }
    return true;
}

/* Declarations at the start of a pipeline: "$x :=", "$x =", "$i, $e :=" (range only). */
static bool declarations(struct parser *p, struct node *pipe, const char *context)
{
    for (;;) {
        const struct tok *v = peek_non_space(p);
        if (v->type != TOK_VARIABLE)
            return true;
        size_t at_var = p->i;
        next_non_space(p);
        const struct tok *nx = peek_non_space(p);
        if (nx->type == TOK_ASSIGN || nx->type == TOK_DECLARE) {
            pipe->is_assign = nx->type == TOK_ASSIGN;
            next_non_space(p);
            add_str(&pipe->decl, &pipe->ndecl, p->text + v->pos, v->len);
            push_var(p, p->text + v->pos, v->len);
            return true;
        }
        if (nx->type == TOK_CHAR && p->text[nx->pos] == ',') {
            next_non_space(p);
            add_str(&pipe->decl, &pipe->ndecl, p->text + v->pos, v->len);
            push_var(p, p->text + v->pos, v->len);
            if (strcmp(context, "range") == 0 && pipe->ndecl < 2) {
                enum tok_type t = peek_non_space(p)->type;
                if (t == TOK_VARIABLE || t == TOK_RIGHT_DELIM || t == TOK_RIGHT_PAREN)
                    continue;
                failf(p, "range can only initialize variables");
                return false;
            }
            failf(p, "too many declarations in %s", context);
            return false;
        }
        p->i = at_var; /* not a declaration: the variable is an operand */
        return true;
    }
}

static struct node *pipeline(struct parser *p, const char *context, enum tok_type end)
{
    const struct tok *first = peek_non_space(p);
    struct node *pipe = new_node(NODE_PIPE, first);
    if (!declarations(p, pipe, context))
        goto fail;
    for (;;) {
        const struct tok *t = next_non_space(p);
        if (t->type == end) {
            if (!check_pipeline(p, pipe, context))
                goto fail;
            return pipe;
        }
        switch (t->type) {
        case TOK_BOOL:
        case TOK_CHAR_CONSTANT:
        case TOK_COMPLEX:
        case TOK_DOT:
        case TOK_FIELD:
        case TOK_IDENTIFIER:
        case TOK_NUMBER:
        case TOK_NIL:
        case TOK_RAW_STRING:
        case TOK_STRING:
        case TOK_VARIABLE:
        case TOK_LEFT_PAREN: {
            backup(p);
            struct node *c = command(p);
            if (!c)
                goto fail;
            add_kid(pipe, c);
            break;
        }
        default:
            unexpected(p, t, context);
            goto fail;
        }
    }
fail:
    tpl_node_free(pipe);
    return NULL;
}

/* if, range, with: pipeline, list, optional else (or "else if"/"else with"), end. */
static struct node *control(struct parser *p, enum node_type type, const char *context)
{
    if (p->depth >= TPL_MAX_DEPTH) {
        failf(p, "max expression depth exceeded");
        return NULL;
    }
    p->depth++;
    size_t nvars = p->nvars;
    struct node *n = new_node(type, NULL);
    struct node *end = NULL;
    n->pipe = pipeline(p, context, TOK_RIGHT_DELIM);
    if (!n->pipe)
        goto fail;
    n->pos = n->pipe->pos;
    n->line = n->pipe->line;
    if (type == NODE_RANGE)
        p->range_depth++;
    n->list = item_list(p, &end);
    if (type == NODE_RANGE)
        p->range_depth--;
    if (!n->list)
        goto fail;
    if (end->type == NODE_ELSE) {
        const struct tok *t = peek(p);
        if ((type == NODE_IF && t->type == TOK_IF) || (type == NODE_WITH && t->type == TOK_WITH)) {
            next(p);
            n->else_list = new_node(NODE_LIST, NULL);
            n->else_list->pos = end->pos;
            struct node *inner = control(p, type, context);
            if (!inner)
                goto fail;
            add_kid(n->else_list, inner);
        } else {
            tpl_node_free(end);
            end = NULL;
            n->else_list = item_list(p, &end);
            if (!n->else_list)
                goto fail;
            if (end->type != NODE_END) {
                bt_autofree char *s = tpl_node_string_dup(end);
                failf(p, "expected end; found %s", s);
                goto fail;
            }
        }
    }
    tpl_node_free(end);
    pop_vars(p, nvars);
    p->depth--;
    return n;
fail:
    tpl_node_free(end);
    tpl_node_free(n);
    pop_vars(p, nvars);
    p->depth--;
    return NULL;
}

static struct node *break_or_continue(struct parser *p, const struct tok *kw, bool is_break)
{
    const char *what = is_break ? "{{break}}" : "{{continue}}";
    const struct tok *t = next_non_space(p);
    if (t->type != TOK_RIGHT_DELIM) {
        unexpected(p, t, what);
        return NULL;
    }
    if (p->range_depth == 0) {
        failf(p, "%s outside {{range}}", what);
        return NULL;
    }
    return new_node(is_break ? NODE_BREAK : NODE_CONTINUE, kw);
}

static struct node *action(struct parser *p)
{
    const struct tok *t = next_non_space(p);
    switch (t->type) {
    case TOK_BREAK:
    case TOK_CONTINUE:
        return break_or_continue(p, t, t->type == TOK_BREAK);
    case TOK_ELSE: {
        const struct tok *pk = peek_non_space(p);
        if (pk->type == TOK_IF || pk->type == TOK_WITH)
            return new_node(NODE_ELSE, pk);
        const struct tok *r = next_non_space(p);
        if (r->type != TOK_RIGHT_DELIM) {
            unexpected(p, r, "else");
            return NULL;
        }
        return new_node(NODE_ELSE, r);
    }
    case TOK_END: {
        const struct tok *r = next_non_space(p);
        if (r->type != TOK_RIGHT_DELIM) {
            unexpected(p, r, "end");
            return NULL;
        }
        return new_node(NODE_END, r);
    }
    case TOK_IF:
        return control(p, NODE_IF, "if");
    case TOK_RANGE:
        return control(p, NODE_RANGE, "range");
    case TOK_WITH:
        return control(p, NODE_WITH, "with");
    case TOK_BLOCK:
    case TOK_DEFINE:
    case TOK_TEMPLATE:
        failf(p, "{{%.*s}} is not supported", (int)t->len, p->text + t->pos);
        return NULL;
    default:
        break;
    }
    backup(p);
    const struct tok *first = peek(p);
    struct node *n = new_node(NODE_ACTION, first);
    n->pipe = pipeline(p, "command", TOK_RIGHT_DELIM);
    if (!n->pipe) {
        tpl_node_free(n);
        return NULL;
    }
    return n;
}

static struct node *text_or_action(struct parser *p)
{
    const struct tok *t = next_non_space(p);
    if (t->type == TOK_TEXT) {
        struct node *n = new_node(NODE_TEXT, t);
        n->str = memdup0(p->text + t->pos, t->len);
        n->len = t->len;
        return n;
    }
    if (t->type == TOK_LEFT_DELIM) {
        p->action_line = t->line;
        struct node *n = action(p);
        p->action_line = 0;
        return n;
    }
    unexpected(p, t, "input");
    return NULL;
}

/* Nodes up to {{end}} or {{else}}, which is handed back in *end_node. */
static struct node *item_list(struct parser *p, struct node **end_node)
{
    struct node *list = new_node(NODE_LIST, peek_non_space(p));
    while (peek_non_space(p)->type != TOK_EOF) {
        struct node *n = text_or_action(p);
        if (!n) {
            tpl_node_free(list);
            return NULL;
        }
        if (n->type == NODE_END || n->type == NODE_ELSE) {
            *end_node = n;
            return list;
        }
        add_kid(list, n);
    }
    tpl_node_free(list);
    failf(p, "unexpected EOF");
    return NULL;
}

static struct node *parse_root(struct parser *p)
{
    struct node *root = new_node(NODE_LIST, peek(p));
    while (peek(p)->type != TOK_EOF) {
        struct node *n = text_or_action(p);
        if (!n)
            goto fail;
        if (n->type == NODE_END || n->type == NODE_ELSE) {
            bt_autofree char *s = tpl_node_string_dup(n);
            tpl_node_free(n);
            failf(p, "unexpected %s", s);
            goto fail;
        }
        add_kid(root, n);
    }
    return root;
fail:
    tpl_node_free(root);
    return NULL;
}

struct fmt_template *fmt_template_parse_n(const char *text, size_t len, bt_err **err)
{
    struct parser p = {.text = text};
    tpl_lex(text, len, &p.toks);
    push_var(&p, "$", 1);
    struct node *root = parse_root(&p);
    pop_vars(&p, 0);
    free(p.vars);
    tpl_tok_list_free(&p.toks);
    if (!root) {
        bt_err_set(err, BT_E_INVALID, "%s", bt_strbuf_str(&p.msg));
        bt_strbuf_free(&p.msg);
        return NULL;
    }
    struct fmt_template *t = bt_xzalloc(sizeof(*t));
    t->text = memdup0(text, len);
    t->len = len;
    t->root = root;
    return t;
}

struct fmt_template *fmt_template_parse(const char *text, bt_err **err)
{
    return fmt_template_parse_n(text, strlen(text), err);
}

void fmt_template_free(struct fmt_template *t)
{
    if (!t)
        return;
    tpl_node_free(t->root);
    free(t->text);
    free(t);
}
