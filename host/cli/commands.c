/* SPDX-License-Identifier: Apache-2.0 */
#include "host/cli/commands.h"

#include <stdlib.h>
#include <string.h>

#include "berth-version.h"
#include "shared/base/cleanup.h"
#include "shared/base/log.h"
#include "shared/flags/flags.h"

const struct berth_cmd berth_commands[] = {
        {"quickstart", "Create and start the default machine, then open a shell for it",
         berth_cmd_quickstart},
        {"version", "Show the Berth version information", berth_cmd_version},
        {NULL, NULL, NULL},
};

static void usage_tail(struct berth_cli *cli, const struct bt_flagset *fs, const char *cmd)
{
    fprintf(cli->err, "\nUsage:  %s\n\nRun '%s%s%s --help' for more information\n", fs->usage,
            cli->prog, cmd ? " " : "", cmd ? cmd : "");
}

int berth_flag_error(struct berth_cli *cli, const struct bt_flagset *fs, const char *cmd,
                     const char *msg)
{
    fprintf(cli->err, "%s\n", msg);
    usage_tail(cli, fs, cmd);
    return BERTH_EXIT_USAGE;
}

int berth_arg_error(struct berth_cli *cli, const struct bt_flagset *fs, const char *cmd,
                    const char *msg)
{
    fprintf(cli->err, "%s: %s\n", cli->prog, msg);
    usage_tail(cli, fs, cmd);
    return BERTH_EXIT_FAIL;
}

int berth_parse_flags(struct berth_cli *cli, struct bt_flagset *fs, const char *cmd, int argc,
                      char **argv, char ***args)
{
    bt_autoerr bt_err *err = NULL;
    int rc = bt_flags_parse(fs, argc - 1, argv + 1, args, &err);
    if (rc < 0)
        return berth_flag_error(cli, fs, cmd, bt_err_msg(err));
    if (rc == BT_FLAGS_HELP) {
        bt_flags_print_help(fs, cli->out);
        return 0;
    }
    return -1;
}

static void print_help(struct berth_cli *cli, const struct bt_flagset *fs)
{
    bt_flags_print_help(fs, cli->out);
    fprintf(cli->out, "\nCommands:\n");
    for (const struct berth_cmd *c = berth_commands; c->name; c++)
        fprintf(cli->out, "  %-11s %s\n", c->name, c->summary);
    fprintf(cli->out, "\nRun '%s COMMAND --help' for more information on a command.\n", cli->prog);
}

static const struct berth_cmd *find_command(const char *name)
{
    for (const struct berth_cmd *c = berth_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

int berth_main(int argc, char **argv)
{
    struct berth_cli cli = {.prog = "berth", .out = stdout, .err = stderr};
    bool version = false, debug = false;
    const char *log_level = "info";
    struct bt_flag flags[] = {
            {.name = "debug",
             .shorthand = 'D',
             .type = BT_FLAG_BOOL,
             .value = &debug,
             .usage = "Enable debug mode"},
            {.name = "log-level",
             .shorthand = 'l',
             .type = BT_FLAG_STRING,
             .value = &log_level,
             .usage = "Set the logging level (\"debug\", \"info\", \"warn\", \"error\", \"fatal\")",
             .def_text = "info"},
            {.name = "version",
             .shorthand = 'v',
             .type = BT_FLAG_BOOL,
             .value = &version,
             .usage = "Print version information and quit"},
            {0},
    };
    struct bt_flagset fs = {
            .usage = "berth [OPTIONS] COMMAND [ARG...]",
            .options_title = "Global Options",
            .description = "Berth: containers on your machine, driven by the docker CLI you know",
            .flags = flags,
            .interspersed = false,
    };
    bt_autoerr bt_err *err = NULL;
    bt_autofree char **args = NULL;
    int rc = bt_flags_parse(&fs, argc - 1, argv + 1, &args, &err);
    if (rc < 0)
        return berth_flag_error(&cli, &fs, NULL, bt_err_msg(err));
    if (rc == BT_FLAGS_HELP) {
        print_help(&cli, &fs);
        return 0;
    }
    if (version) {
        fprintf(cli.out, "Berth version %s, build %s\n", BERTH_VERSION, BERTH_GIT_COMMIT);
        return 0;
    }
    enum bt_log_level level;
    if (bt_log_parse_level(debug ? "debug" : log_level, &level, &err) < 0) {
        fprintf(cli.err, "Unable to parse logging level: %s\n", log_level);
        return BERTH_EXIT_FAIL;
    }
    bt_log_set_level(level);

    if (!args[0]) {
        print_help(&cli, &fs);
        return 0;
    }
    const struct berth_cmd *cmd = find_command(args[0]);
    if (!cmd) {
        fprintf(cli.err, "%s: unknown command: %s %s\n\nRun '%s --help' for more information\n",
                cli.prog, cli.prog, args[0], cli.prog);
        return BERTH_EXIT_FAIL;
    }
    int n = 0;
    while (args[n])
        n++;
    return cmd->run(&cli, n, args);
}
