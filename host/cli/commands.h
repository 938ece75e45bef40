/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The berth command line: global options, the command table and the conventions every
 * cmd-<verb>.c follows.
 *
 * Exit codes as the docker CLI has them: 0 success, 1 a command failed, 125 the command line
 * itself is wrong (bad flag) or `run`/`create` failed in the engine; commands that run a
 * container return its status.
 *
 * A command's function parses its flags with berth_parse_flags(), which also serves the
 * documentation: with cli->describe set it records the flag set and returns 0 before anything
 * runs, so completions and docs/cli.md come from the same tables as the parsing (describe.c).
 */
#include <stdbool.h>
#include <stdio.h>

#include "host/client/client.h"
#include "shared/base/err.h"

#define BERTH_EXIT_FAIL  1
#define BERTH_EXIT_USAGE 125

struct bt_flagset;

/* Global options, as the docker CLI takes them. */
struct berth_globals {
    const char *config_dir; /* --config: ~/.berth */
    const char *context;    /* -c/--context */
    const char **hosts;     /* -H, repeatable (docker refuses more than one) */
    bool tls, tls_verify;
    const char *tls_ca, *tls_cert, *tls_key;
    bool tls_ca_set, tls_cert_set, tls_key_set;
    bool debug;
    const char *log_level;
};

struct berth_cli {
    const char *prog; /* "berth" */
    char **argv;      /* the command line as main() got it (machine env's hint quotes it) */
    const char *path; /* the command as typed: "ps", "container ls" (set by the dispatch) */
    FILE *out;
    FILE *err;
    struct berth_globals g;
    struct cl_client *client; /* made on first use by berth_client() */
    /* describe mode (describe.c): commands record their flag sets instead of running */
    bool describe;
    void (*describe_fn)(void *arg, const struct bt_flagset *fs, const char *cmd);
    void *described;
};

enum berth_cmd_group {
    BERTH_GROUP_COMMON,     /* docker's "Common Commands" */
    BERTH_GROUP_MANAGEMENT, /* "Management Commands": container, image, context, ... */
    BERTH_GROUP_OTHER,      /* "Commands" */
    BERTH_GROUP_HIDDEN,
};

struct berth_cmd {
    const char *name;
    const char *summary; /* one line for the command lists */
    /* argv[0] is the command's name; returns the exit code. NULL for a management command. */
    int (*run)(struct berth_cli *cli, int argc, char **argv);
    enum berth_cmd_group group;
    const struct berth_cmd *sub; /* a management command's commands, ending with NULL name */
    /* a management command's usage line in its errors, after "berth NAME": the rest of
     * docker's Use ("COMMAND" for volume), NULL when it has none (image, container) */
    const char *use;
};

/* The top level, ending with a NULL name. */
extern const struct berth_cmd berth_commands[];

/* Run the berth command line (argv as main() gets it); returns the exit code. */
int berth_main(int argc, char **argv);

/* Run one entry of a table (a management command dispatches to its own table). */
int berth_run_command(struct berth_cli *cli, const struct berth_cmd *c, int argc, char **argv);

/* describe.c: record a command's flag set (describe mode). */
void berth_describe_record(struct berth_cli *cli, const struct bt_flagset *fs, const char *cmd);

/* The client for the current endpoint (flags, environment, context), made on first use. NULL
 * with *err when the endpoint cannot be worked out. */
struct cl_client *berth_client(struct berth_cli *cli, bt_err **err);

/* Print an error as the docker CLI does ("Error response from daemon: ..." for the engine's
 * answers) and free it. Returns `code`. */
int berth_fail(struct berth_cli *cli, bt_err *err, int code);

/* A bad flag, in the docker CLI 28's words ("unknown flag: --x", a blank line, the usage line,
 * "Run 'berth CMD --help' for more information"); returns BERTH_EXIT_USAGE (125). cmd is NULL
 * for the top level. */
int berth_flag_error(struct berth_cli *cli, const struct bt_flagset *fs, const char *cmd,
                     const char *msg);

/* Wrong positional arguments ("berth: 'berth version' accepts no arguments" and the usage);
 * returns BERTH_EXIT_FAIL (1), as docker does. */
int berth_arg_error(struct berth_cli *cli, const struct bt_flagset *fs, const char *cmd,
                    const char *msg);

/* Docker's argument count checks with their messages: "requires at least 1 argument",
 * "requires exactly 2 arguments", "accepts no arguments". Returns 0 when n is fine, else the
 * exit code after printing. max < 0: no upper bound. */
int berth_check_args(struct berth_cli *cli, const struct bt_flagset *fs, const char *cmd,
                     char **args, int min, int max);

/* Parse a command's flags; prints help or the error itself. Returns -1 when the command
 * should go on (positional arguments in *args), else the exit code to return. */
int berth_parse_flags(struct berth_cli *cli, struct bt_flagset *fs, const char *cmd, int argc,
                      char **argv, char ***args);

/* The number of positional arguments. */
int berth_nargs(char **args);

/* The commands (cmd-<verb>.c). */
int berth_cmd_version(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_quickstart(struct berth_cli *cli, int argc, char **argv);
