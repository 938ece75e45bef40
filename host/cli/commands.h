/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The berth command line: global options, the command table and the conventions every
 * cmd-<verb>.c follows.
 *
 * Exit codes as the docker CLI has them: 0 success, 1 a command failed, 125 the command line
 * itself is wrong (bad flag, missing argument) or the engine failed; commands that run a
 * container return its status.
 */
#include <stdio.h>

#define BERTH_EXIT_FAIL  1
#define BERTH_EXIT_USAGE 125

struct berth_cli {
    const char *prog; /* "berth" */
    FILE *out;
    FILE *err;
};

struct berth_cmd {
    const char *name;
    const char *summary; /* one line for `berth --help` */
    /* argv[0] is the command name; returns the process exit code */
    int (*run)(struct berth_cli *cli, int argc, char **argv);
};

/* All commands, ending with a NULL name. */
extern const struct berth_cmd berth_commands[];

/* Run the berth command line (argv as main() gets it); returns the exit code. */
int berth_main(int argc, char **argv);

struct bt_flagset;

/* A bad flag, in the docker CLI 28's words ("unknown flag: --x", a blank line, the usage line,
 * "Run 'berth CMD --help' for more information"); returns BERTH_EXIT_USAGE (125). cmd is NULL
 * for the top level. */
int berth_flag_error(struct berth_cli *cli, const struct bt_flagset *fs, const char *cmd,
                     const char *msg);

/* Wrong positional arguments ("berth: 'berth version' accepts no arguments" and the usage);
 * returns BERTH_EXIT_FAIL (1), as docker does. */
int berth_arg_error(struct berth_cli *cli, const struct bt_flagset *fs, const char *cmd,
                    const char *msg);

/* Parse a command's flags; prints help or the error itself. Returns -1 when the command
 * should go on (positional arguments in *args), else the exit code to return. */
int berth_parse_flags(struct berth_cli *cli, struct bt_flagset *fs, const char *cmd, int argc,
                      char **argv, char ***args);

int berth_cmd_version(struct berth_cli *cli, int argc, char **argv);
int berth_cmd_quickstart(struct berth_cli *cli, int argc, char **argv);
