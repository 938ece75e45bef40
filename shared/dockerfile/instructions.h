/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Dockerfile instructions for a builder (buildkit's frontend/dockerfile/instructions, which
 * dockerd's classic builder also uses): the syntax nodes of parser.h checked and given their
 * meaning, grouped into stages.
 *
 *   bt_autoptr(bt_df_file) f = bt_df_parse(text, len, &err);   (syntax + instruction errors)
 *   long last = f->nstages - 1;          or bt_df_target(f, "build", &last, &err) for --target
 *   for each meta ARG, each stage <= last: its FROM, then stage->insts[i]:
 *       printf("Step %zu/%zu : %s\n", step, bt_df_steps(f, last), inst->code);
 *       bt_autoptr(bt_df_inst) x = bt_df_inst_expand(inst, &env, &err);   (ARG/ENV state)
 *       switch (x->cmd) ...  x->args, x->kvs, bt_df_flag(x, "chown"), x->json, ...
 *
 * Errors are BT_E_INVALID and name the line as Docker does:
 *   "dockerfile parse error on line 3: unknown instruction: NOINSTRUCTION"
 *   "dockerfile parse error on line 2: unknown flag: --form (did you mean from?)"
 *
 * What each instruction carries (fields not listed are empty/NULL):
 *   FROM         args[0] the base (image, stage name, or with $VARS for the meta ARGs);
 *                the stage's name and --platform are in its struct bt_df_stage
 *   RUN CMD ENTRYPOINT SHELL  args: exec form (json) the array; shell form one string, to run
 *                with the SHELL (["/bin/sh", "-c"] by default). RUN heredocs: node->heredocs
 *   ADD COPY     srcs (paths and URLs), dest, contents (sources written as heredocs)
 *   ENV LABEL    kvs (key, value; no_delim for the old "KEY value" form)
 *   ARG          kvs (value NULL when the ARG has no default)
 *   EXPOSE       args: the ports as written ("80/tcp", "$PORT"), sorted as buildkit does
 *   VOLUME       args: the paths
 *   USER WORKDIR STOPSIGNAL MAINTAINER  args[0]
 *   HEALTHCHECK  health
 *   ONBUILD      onbuild: the trigger as an image stores it ("RUN echo hi")
 *
 * A struct bt_df_file owns everything reachable from it, its instructions point into its AST.
 * Instructions from bt_df_inst_expand() and bt_df_parse_instruction() are independent copies
 * freed with bt_df_inst_free(). No global state; safe from several threads.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/base/cleanup.h"
#include "shared/base/err.h"
#include "shared/dockerfile/parser.h"
#include "shared/dockerfile/shell.h"

/* A flag given to an instruction: "--chown=1:1" is {"chown", "1:1"}; a boolean flag given as
 * "--link" has the value "true". Only flags the instruction knows get here. */
struct bt_df_flag {
    char *name;
    char *value;
};

struct bt_df_kv {
    char *key;
    char *value;   /* NULL: an ARG without default */
    bool no_delim; /* ENV/LABEL in the "KEY value" form */
};

/* An ADD/COPY source written as a heredoc: a file named path holding data. */
struct bt_df_content {
    char *path;  /* the heredoc's name */
    char *data;  /* its body, tabs stripped for "<<-" */
    bool expand; /* the terminator was not quoted: bt_df_inst_expand() expands data */
};

/* HEALTHCHECK, as the image config's Healthcheck holds it. */
struct bt_df_health {
    char **test; /* {"NONE"}, {"CMD", exec args...} or {"CMD-SHELL", "command"} */
    int64_t interval_ns, timeout_ns, start_period_ns, start_interval_ns; /* 0: not given */
    int retries;                                                         /* 0: not given */
};

struct bt_df_inst {
    enum bt_df_cmd cmd;
    const struct bt_df_node *node; /* keyword, original text, lines, raw args, heredocs */
    char *code;                    /* the instruction as written, trimmed: for "Step N/M : " */
    int start_line, end_line;
    char escape; /* the file's escape character, for expansion */
    struct bt_df_flag *flags;
    size_t nflags;
    char **args; /* NULL-terminated */
    size_t nargs;
    bool json; /* exec form: run args directly, without the shell */
    struct bt_df_kv *kvs;
    size_t nkvs;
    char **srcs; /* ADD/COPY: NULL-terminated */
    size_t nsrcs;
    char *dest;
    struct bt_df_content *contents;
    size_t ncontents;
    struct bt_df_health *health;
    char *onbuild;
    struct bt_df_node *owned_node; /* set when the instruction owns its node */
};

struct bt_df_stage {
    char *name;     /* the "AS" name in lower case, or NULL */
    char *platform; /* --platform as written (expand it with the meta ARGs), or NULL */
    struct bt_df_inst from;
    struct bt_df_inst *insts; /* the instructions after FROM, up to the next FROM */
    size_t ninsts;
};

struct bt_df_file {
    struct bt_df_ast *ast;
    char escape;
    struct bt_df_inst *meta_args; /* the ARGs before the first FROM */
    size_t nmeta;
    struct bt_df_stage *stages;
    size_t nstages;
};

/* Parse and check a Dockerfile: every instruction known and well-formed, every flag known to
 * its instruction and typed right, every instruction but ARG after a FROM. */
struct bt_df_file *bt_df_parse(const char *data, size_t len, bt_err **err);
void bt_df_file_free(struct bt_df_file *f);
BT_DEFINE_AUTOPTR(bt_df_file, struct bt_df_file, bt_df_file_free);

/* The stage called name (case-insensitive, as --target and COPY --from look them up), or -1. */
long bt_df_stage_index(const struct bt_df_file *f, const char *name);
/* --target: the index of the stage to build up to; BT_E_INVALID with Docker's
 * `target stage "x" could not be found` otherwise. */
int bt_df_target(const struct bt_df_file *f, const char *target, long *index, bt_err **err);
/* The M of "Step N/M": meta ARGs, then each stage's FROM and instructions up to last. */
size_t bt_df_steps(const struct bt_df_file *f, long last);

/* The value of a flag given to inst (the last one when repeated), or NULL. */
const char *bt_df_flag(const struct bt_df_inst *inst, const char *name);
/* Every value of a repeatable flag (--mount, --exclude), in order: a new NULL-terminated
 * vector, empty when none. */
char **bt_df_flag_all(const struct bt_df_inst *inst, const char *name);
/* A boolean flag: true when given as --name or --name=true. */
bool bt_df_flag_bool(const struct bt_df_inst *inst, const char *name);

/*
 * The instruction with $ references expanded from env, the way Docker expands each kind:
 * ENV/LABEL/ARG keys and values, ADD/COPY sources, destination, --chown, --chmod and ADD's
 * --checksum, and the bodies of unquoted heredoc sources (quotes kept there), WORKDIR, USER,
 * STOPSIGNAL, VOLUME, EXPOSE (word-split: "$PORTS" can give several ports), FROM's base and
 * --platform (pass the meta ARGs as env). RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, MAINTAINER
 * and ONBUILD are copied unchanged: the shell expands those at run time.
 * Errors (BT_E_INVALID) are the lexer's: `failed to process "${x": syntax error: missing '}'`.
 */
struct bt_df_inst *bt_df_inst_expand(const struct bt_df_inst *inst, const struct bt_shlex_env *env,
                                     bt_err **err);

/* One instruction on its own, checked as in a file (FROM too): an ONBUILD trigger as an image
 * stores it ("RUN <<X\nbody\nX" keeps its heredoc), a `commit --change` line. Text holding
 * more or less than one instruction fails with Docker's "onbuild trigger should be a single
 * expression". escape is '\\' for triggers (Docker parses them without the file's directive). */
struct bt_df_inst *bt_df_parse_instruction(const char *text, char escape, bt_err **err);

void bt_df_inst_free(struct bt_df_inst *inst);
BT_DEFINE_AUTOPTR(bt_df_inst, struct bt_df_inst, bt_df_inst_free);
