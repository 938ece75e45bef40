/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dockerfiles: any input either fails to parse with a message naming what failed, or parses to
 * nodes whose lines run forward and whose dump is what their own line parses to again; the
 * instruction layer then either refuses it with a message or gives stages whose every
 * instruction expands (or fails with a message) against a fixed environment. The input's first
 * 256 bytes also go through the word lexer in its four modes (the rest reaches it through the
 * expansions). All of it free of memory errors and undefined behaviour.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/base/cleanup.h"
#include "shared/dockerfile/instructions.h"
#include "shared/dockerfile/parser.h"
#include "shared/dockerfile/shell.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *env_vec[] = {"A=a", "B=two words", "EMPTY=", "PORTS=80 443/udp", "P=/usr/local/bin",
                          NULL};
static const struct bt_shlex_env env = {bt_shlex_strv_get, env_vec};

static void check_err(bt_err *err)
{
    if (!err || !*bt_err_msg(err) || bt_err_code(err) != BT_E_INVALID)
        abort();
}

static void lex(const char *text)
{
    struct bt_shlex modes[] = {
            {.escape = '\\'},
            {.escape = '`'},
            {.escape = '\\', .raw_quotes = true, .raw_escapes = true, .skip_unset = true},
            {.escape = '\\', .skip_quotes = true},
    };
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        bt_err *err = NULL;
        char *w = bt_shlex_word(&modes[i], text, &env, &err);
        if (!w)
            check_err(err);
        bt_err_free(err);
        err = NULL;
        char **v = bt_shlex_words(&modes[i], text, &env, &err);
        if (!v)
            check_err(err);
        /* a word list never holds an empty word, and splitting agrees with the single word:
         * both fail or neither does */
        if ((v == NULL) != (w == NULL))
            abort();
        for (size_t k = 0; v && v[k]; k++)
            if (!*v[k])
                abort();
        bt_err_free(err);
        bt_strv_free(v);
        free(w);
    }
}

static void check_ast(const struct bt_df_ast *ast)
{
    int prev = 0;
    for (size_t i = 0; i < ast->n; i++) {
        const struct bt_df_node *n = &ast->nodes[i];
        if (n->start_line <= prev || n->end_line < n->start_line)
            abort();
        prev = n->end_line;
        if (bt_strv_len(n->args) != n->nargs || bt_strv_len(n->flags) != n->nflags)
            abort();
        /* the logical line parses to the same node on its own */
        bt_autoptr(bt_df_node) again = bt_df_parse_line(n->original, ast->escape, NULL);
        if (!again)
            abort();
        bt_autofree char *d1 = bt_df_node_dump(n);
        bt_autofree char *d2 = bt_df_node_dump(again);
        if (strcmp(d1, d2) != 0)
            abort();
        for (size_t h = 0; h < n->nheredocs; h++) {
            bt_autofree char *body = bt_df_heredoc_body(&n->heredocs[h]);
            if (strlen(body) > strlen(n->heredocs[h].content))
                abort();
        }
    }
    bt_autofree char *dump = bt_df_ast_dump(ast);
    if (!*dump)
        abort();
}

static void expand_all(const struct bt_df_inst *in)
{
    bt_err *err = NULL;
    struct bt_df_inst *x = bt_df_inst_expand(in, &env, &err);
    if (!x)
        check_err(err);
    else if (x->cmd != in->cmd || strcmp(x->code, in->code) != 0)
        abort();
    bt_err_free(err);
    bt_df_inst_free(x);
}

static void check_file(const char *text, size_t len)
{
    bt_err *err = NULL;
    struct bt_df_file *f = bt_df_parse(text, len, &err);
    if (!f) {
        check_err(err);
        if (strncmp(bt_err_msg(err), "dockerfile parse error", 22) != 0)
            abort();
        bt_err_free(err);
        return;
    }
    for (size_t i = 0; i < f->nmeta; i++)
        expand_all(&f->meta_args[i]);
    for (size_t s = 0; s < f->nstages; s++) {
        expand_all(&f->stages[s].from);
        for (size_t i = 0; i < f->stages[s].ninsts; i++)
            expand_all(&f->stages[s].insts[i]);
        if (f->stages[s].name && bt_df_stage_index(f, f->stages[s].name) > (long)s)
            abort();
    }
    if (f->nstages && bt_df_steps(f, (long)f->nstages - 1) < f->nstages + f->nmeta)
        abort();
    bt_df_file_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    const char *text = (const char *)data;
    bt_err *err = NULL;
    struct bt_df_ast *ast = bt_df_parse_ast(text, size, &err);
    if (!ast)
        check_err(err);
    else
        check_ast(ast);
    bt_err_free(err);
    bt_df_ast_free(ast);
    check_file(text, size);
    bt_autofree char *s = bt_xstrndup(text, size < 256 ? size : 256);
    lex(s);
    return 0;
}
