/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Command-line flags with the rules and wording of spf13/pflag and cobra, which the docker CLI
 * and dockerd use, so Berth's programs parse and complain exactly like them:
 *
 *   -d -i -t / -dit          shorthand booleans, grouped
 *   -H unix:///x, -Hunix:///x, -H=unix:///x, --host unix:///x, --host=unix:///x
 *   --debug, --debug=false   (a bool never takes the next argument)
 *   --                       ends the flags
 *
 * Errors: "unknown flag: --foo", "unknown shorthand flag: 'z' in -z", "flag needs an argument:
 * --host", "invalid argument \"x\" for \"-c, --cpu-shares\" flag: strconv.ParseInt: parsing
 * \"x\": invalid syntax". The caller adds "See 'prog --help'." and picks the exit code.
 *
 * A flag table is an array ending with an entry whose name is NULL. Values are written through
 * the pointers in the table; string values point into argv (argv outlives the parse) and
 * string lists are new vectors whose array (not strings) the caller frees with free().
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "shared/base/err.h"

enum bt_flag_type {
    BT_FLAG_BOOL,    /* bool * */
    BT_FLAG_STRING,  /* const char ** */
    BT_FLAG_STRINGS, /* const char *** : repeatable, NULL-terminated, appended in order */
    BT_FLAG_INT,     /* int64_t * */
    BT_FLAG_FUNC,    /* set(value, arg, err) does the conversion */
};

struct bt_flag {
    const char *name; /* long name without "--" */
    char shorthand;   /* 0 when none */
    enum bt_flag_type type;
    void *value;
    const char *usage;
    const char *def_text; /* default shown by --help, NULL to show none */
    /* BT_FLAG_FUNC: the conversion, and the word shown after the flag in --help */
    int (*set)(void *value, const char *arg, bt_err **err);
    const char *metavar;
    bool hidden;
    bool changed; /* set by the parser when the flag appears */
};

struct bt_flagset {
    const char *usage;       /* "berthd [OPTIONS]" */
    const char *description; /* one paragraph */
    struct bt_flag *flags;
    /* false: the first positional argument ends the flags (docker run IMAGE CMD -x) */
    bool interspersed;
    /* heading of the flag list in --help: "Options" unless set ("Global Options") */
    const char *options_title;
    /* pflag's FlagUsagesWrapped(cols): usage texts wrapped to end before this column, as the
     * docker CLI wraps them to its terminal's width less one; 0 leaves them as written */
    int wrap;
};

enum {
    BT_FLAGS_OK = 0,
    BT_FLAGS_HELP = 1, /* -h/--help was given: print help, exit 0 */
};

/* Parse args[0..argc) (the program or command name already removed). The positional
 * arguments are returned in *positional (a new NULL-terminated array of pointers into args;
 * free() it). Returns BT_FLAGS_OK, BT_FLAGS_HELP, or -1 with *err. */
int bt_flags_parse(struct bt_flagset *fs, int argc, char **args, char ***positional, bt_err **err);

/* The flag named `name` (long form), or NULL. */
struct bt_flag *bt_flags_find(struct bt_flagset *fs, const char *name);

/* Write the help text: Usage, description, Options (sorted, aligned as pflag does; -h/--help
 * is accepted by every flag set but, as in the docker CLI, not listed). */
void bt_flags_print_help(const struct bt_flagset *fs, FILE *out);

/* The word --help shows after a flag that takes a value ("string", "list", "int", or the
 * flag's metavar), NULL for a bool. */
const char *bt_flag_metavar(const struct bt_flag *f);

/* Only the option lines of the help (sorted, aligned), without a title. */
void bt_flags_print_options(const struct bt_flagset *fs, FILE *out);
