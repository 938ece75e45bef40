/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Word expansion and splitting as Dockerfiles do it (buildkit's frontend/dockerfile/shell):
 * quotes ('...' literal, "..." with $ and escapes), the escape character (\ or the file's
 * `# escape=`), $name, ${name}, ${name:-word}, ${name-word}, ${name:+word}, ${name+word},
 * ${name:?msg}, ${name?msg}, ${name#pat}, ${name##pat}, ${name%pat}, ${name%%pat},
 * ${name/pat/repl}, ${name//pat/repl}. Positional ($1) and special ($@ $* $# $? $- $$ $! $0)
 * parameters are never set. Nothing is executed: no $(...), no globbing, no tilde.
 *
 * bt_shlex_word() is buildkit's ProcessWord (one string out: what ENV, LABEL, WORKDIR, USER,
 * COPY/ADD paths... receive); bt_shlex_words() is ProcessWords (the result split into words on
 * unquoted white space: what EXPOSE receives). Errors have code BT_E_INVALID and buildkit's
 * wording: `failed to process "${x": syntax error: missing '}'`.
 *
 * Variables come from a lookup callback, so the caller keeps its own ARG/ENV state. The
 * functions are pure and re-entrant; results are new strings the caller frees.
 */
#include <stdbool.h>

#include "shared/base/err.h"

/* How to look a variable up: the value, or NULL when it is not set. */
struct bt_shlex_env {
    const char *(*get)(void *ctx, const char *name);
    void *ctx;
};

/* A lookup over a NULL-terminated "NAME=value" vector (the last entry of a name wins, as in
 * buildkit's EnvsFromSlice): struct bt_shlex_env e = {bt_shlex_strv_get, vec}. */
const char *bt_shlex_strv_get(void *strv, const char *name);

struct bt_shlex {
    char escape;      /* '\\' or '`' (the Dockerfile's escape directive) */
    bool raw_quotes;  /* keep quote characters in the result (RawQuotes) */
    bool raw_escapes; /* keep escape characters in the result (RawEscapes) */
    bool skip_quotes; /* quotes are ordinary characters (SkipProcessQuotes: heredoc bodies) */
    bool skip_unset;  /* leave references to unset variables as written (SkipUnsetEnv) */
};

/* The default lexer: escape '\\', nothing raw. */
#define BT_SHLEX_INIT  \
    {                  \
        .escape = '\\' \
    }

/* Expand word into one string (quotes removed, variables substituted, spaces kept). */
char *bt_shlex_word(const struct bt_shlex *lx, const char *word, const struct bt_shlex_env *env,
                    bt_err **err);

/* Expand word and split the result into words: a NULL-terminated vector (empty, not NULL, when
 * there are none). Quoted white space and the white space inside a quoted variable stay; an
 * empty quoted string ("") makes no word, as in buildkit. */
char **bt_shlex_words(const struct bt_shlex *lx, const char *word, const struct bt_shlex_env *env,
                      bt_err **err);
