/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Dockerfile syntax: text -> a list of instruction nodes, as buildkit's
 * frontend/dockerfile/parser does it. This layer knows lines, not meaning:
 *
 *  - parser directives (`# escape=` and `# syntax=`, `# check=`) before anything else, a UTF-8
 *    byte order mark, comments, blank lines;
 *  - line continuations with the escape character (\ or `), comment lines and blank lines
 *    inside a continued instruction (the latter give a warning, as in Docker);
 *  - each instruction's keyword, its --flags, and its arguments split the way that instruction
 *    splits them: JSON arrays (exec form) with a fall-back to the shell form when the text is
 *    not valid JSON, ENV/LABEL key-value pairs in both forms, words, whitespace lists, ONBUILD's
 *    nested instruction;
 *  - heredocs (`RUN <<EOF`, `COPY <<A <<B /dst`, `<<-`, quoted terminators) on RUN, ADD and COPY
 *    in shell form.
 *
 * Unknown keywords are kept here (BT_DF_UNKNOWN) and refused by the instruction layer
 * (instructions.h), which is what a builder uses. Errors have code BT_E_INVALID and name the
 * line: "dockerfile parse error on line 3: ENV must have two arguments".
 *
 * A struct bt_df_ast owns everything it points to; free it with bt_df_ast_free(). The parser
 * keeps no global state and is safe to call from several threads at once.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/base/cleanup.h"
#include "shared/base/err.h"

enum bt_df_cmd {
    BT_DF_UNKNOWN,
    BT_DF_ADD,
    BT_DF_ARG,
    BT_DF_CMD,
    BT_DF_COPY,
    BT_DF_ENTRYPOINT,
    BT_DF_ENV,
    BT_DF_EXPOSE,
    BT_DF_FROM,
    BT_DF_HEALTHCHECK,
    BT_DF_LABEL,
    BT_DF_MAINTAINER,
    BT_DF_ONBUILD,
    BT_DF_RUN,
    BT_DF_SHELL,
    BT_DF_STOPSIGNAL,
    BT_DF_USER,
    BT_DF_VOLUME,
    BT_DF_WORKDIR,
};

/* The keyword in lower case ("run"); "" for BT_DF_UNKNOWN. */
const char *bt_df_cmd_name(enum bt_df_cmd cmd);

struct bt_df_heredoc {
    char *name;    /* the terminator, quotes and escapes resolved: "EOF" for <<'EOF' */
    uint64_t fd;   /* 3 for "3<<EOF"; 0 when none is given */
    bool expand;   /* no part of the terminator was quoted: $ in the body is expanded */
    bool chomp;    /* "<<-": leading tabs are stripped from each line of the body */
    char *content; /* the lines up to the terminator, each with its line ending, unchomped */
};

/*
 * One instruction as written. args, per instruction (buildkit's Node.Next chain):
 *   RUN CMD ENTRYPOINT SHELL  exec form: the array's strings; shell form: one string
 *   ADD COPY VOLUME           exec form: the array's strings; else the white-space separated words
 *   HEALTHCHECK               the type word ("CMD", "NONE"...), then as RUN
 *   ENV LABEL                 triples key, value, separator: "=" for k=v, "" for the "k v" form;
 *                             values keep their quotes and escapes (expansion removes them)
 *   ARG                       the words ("name", "name=value"), quotes kept
 *   FROM EXPOSE               the white-space separated words
 *   MAINTAINER USER WORKDIR STOPSIGNAL  one string
 *   ONBUILD                   none: the trigger is in sub
 *   unknown                   one empty string
 */
struct bt_df_node {
    enum bt_df_cmd cmd;
    char *keyword;  /* as written: "RUN", "run", "Copy" */
    char *original; /* the logical line: continuations joined, comment lines dropped */
    char **flags;   /* "--from=build" as written before the arguments (quotes resolved) */
    size_t nflags;
    char **args;     /* NULL-terminated */
    size_t *arg_len; /* a JSON string can hold "\u0000": the true lengths */
    size_t nargs;
    bool json;                      /* the arguments were a JSON array (exec form) */
    struct bt_df_node *sub;         /* ONBUILD's trigger instruction, or NULL */
    struct bt_df_heredoc *heredocs; /* of this instruction (or of ONBUILD's trigger) */
    size_t nheredocs;
    int start_line, end_line; /* 1-based, inclusive; heredoc bodies included */
};

struct bt_df_ast {
    struct bt_df_node *nodes;
    size_t n;
    char escape;       /* the escape character: '\\' or '`' */
    char *syntax;      /* the `# syntax=` directive's value, or NULL */
    char **warnings;   /* NULL-terminated: "Empty continuation line found in: RUN a b" */
    int *warning_line; /* the line each warning is about */
};

/* Parse a whole Dockerfile. Fails on a syntax error (bad directive, ENV without a value,
 * a JSON array holding something else than strings, an unterminated heredoc, a line longer
 * than 65535 bytes, a NUL byte) and on a file with no instruction. */
struct bt_df_ast *bt_df_parse_ast(const char *data, size_t len, bt_err **err);
void bt_df_ast_free(struct bt_df_ast *ast);
BT_DEFINE_AUTOPTR(bt_df_ast, struct bt_df_ast, bt_df_ast_free);

/* Parse one instruction line, as ONBUILD triggers are stored in images (no continuation, no
 * heredoc). The node is freed with bt_df_node_free(). */
struct bt_df_node *bt_df_parse_line(const char *line, char escape, bt_err **err);
void bt_df_node_free(struct bt_df_node *n);
BT_DEFINE_AUTOPTR(bt_df_node, struct bt_df_node, bt_df_node_free);

/* buildkit's AST dump, one "(instruction flags args...)" line per node, Go-quoted; what the
 * conformance corpus compares against (without the final newline). */
char *bt_df_ast_dump(const struct bt_df_ast *ast);
char *bt_df_node_dump(const struct bt_df_node *n);

/* buildkit's MustParseHeredoc: true when src as a whole is one heredoc opener ("<<EOF",
 * "<<-'EOF'"), with *name set to its terminator (free it) and *chomp to "<<-". A RUN whose
 * command is just that runs the heredoc's body; other commands hand the heredoc to the shell. */
bool bt_df_heredoc_only(const char *src, char **name, bool *chomp);

/* A heredoc's body as the instruction uses it: leading tabs stripped from each line when the
 * heredoc is "<<-". */
char *bt_df_heredoc_body(const struct bt_df_heredoc *h);
