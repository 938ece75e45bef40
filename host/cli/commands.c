/* SPDX-License-Identifier: Apache-2.0 */
/* The top level of berth: global options, dispatch, help, errors. The table is table.c. */
#include "host/cli/commands.h"

#include <stdlib.h>
#include <string.h>

#include "berth-version.h"
#include "host/cli/endpoint.h"
#include "host/term/term.h"
#include "shared/base/cleanup.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"
#include "shared/flags/flags.h"

int berth_nargs(char **args)
{
    int n = 0;
    while (args && args[n])
        n++;
    return n;
}

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
    /* cobra's argument checks say "See", its flag errors "Run" */
    fprintf(cli->err, "%s: %s\n\nUsage:  %s\n\nSee '%s%s%s --help' for more information\n",
            cli->prog, msg, fs->usage, cli->prog, cmd ? " " : "", cmd ? cmd : "");
    return BERTH_EXIT_FAIL;
}

int berth_check_args(struct berth_cli *cli, const struct bt_flagset *fs, const char *cmd,
                     char **args, int min, int max)
{
    int n = berth_nargs(args);
    if (n >= min && (max < 0 || n <= max))
        return 0;
    /* cobra validators of the docker CLI (cli/required.go), their words, their "Run"/"See" */
    bt_autofree char *msg = NULL;
    const char *verb = "Run";
    if (max == 0) {
        msg = bt_xasprintf("'%s %s' accepts no arguments", cli->prog, cmd);
    } else if (min == max) {
        msg = bt_xasprintf("'%s %s' requires %d argument%s", cli->prog, cmd, min,
                           min == 1 ? "" : "s");
    } else if (max < 0) {
        msg = bt_xasprintf("'%s %s' requires at least %d argument%s", cli->prog, cmd, min,
                           min == 1 ? "" : "s");
        verb = "See";
    } else if (min == 0) {
        msg = bt_xasprintf("'%s %s' requires at most %d argument%s", cli->prog, cmd, max,
                           max == 1 ? "" : "s");
        verb = "SRun"; /* sic: docker 28 prints it so */
    } else {
        msg = bt_xasprintf("'%s %s' requires at least %d and at most %d argument%s", cli->prog, cmd,
                           min, max, max == 1 ? "" : "s");
    }
    fprintf(cli->err, "%s: %s\n\nUsage:  %s\n\n%s '%s %s --help' for more information\n", cli->prog,
            msg, fs->usage, verb, cli->prog, cmd);
    return BERTH_EXIT_FAIL;
}

int berth_parse_flags(struct berth_cli *cli, struct bt_flagset *fs, const char *cmd, int argc,
                      char **argv, char ***args)
{
    if (cli->describe) {
        berth_describe_record(cli, fs, cmd);
        return 0;
    }
    bt_autoerr bt_err *err = NULL;
    int rc = bt_flags_parse(fs, argc - 1, argv + 1, args, &err);
    if (rc < 0)
        return berth_flag_error(cli, fs, cmd, bt_err_msg(err));
    if (rc == BT_FLAGS_HELP) {
        /* the docker CLI wraps to the width of the terminal on its stdin, less one; 80
         * without one (wrappedFlagUsages) */
        unsigned rows = 0, cols = 0;
        fs->wrap = (term_size(0, &rows, &cols) && cols ? (int)cols : 80) - 1;
        bt_flags_print_help(fs, cli->out);
        return 0;
    }
    return -1;
}

int berth_fail(struct berth_cli *cli, bt_err *err, int code)
{
    if (!err)
        return code;
    fflush(cli->out); /* docker's stdout is unbuffered: what came before is out first */
    if (cl_err_is_daemon(err))
        fprintf(cli->err, "Error response from daemon: %s\n", bt_err_msg(err));
    else
        fprintf(cli->err, "%s\n", bt_err_msg(err));
    bt_err_free(err);
    return code;
}

struct cl_client *berth_client(struct berth_cli *cli, bt_err **err)
{
    if (cli->client)
        return cli->client;
    struct cl_endpoint ep;
    if (cli->g.context && cli->g.hosts && cli->g.hosts[0]) {
        bt_err_set(err, BT_E_INVALID,
                   "conflicting options: cannot specify both --host and --context");
        return NULL;
    }
    /* as the docker CLI, which resolves its endpoint before any command runs */
    if (berth_resolve_endpoint(&cli->g, &ep, err) < 0) {
        bt_err_wrap(err, "Failed to initialize");
        return NULL;
    }
    if (cl_endpoint_check(&ep, err) < 0) {
        cl_endpoint_clear(&ep);
        bt_err_wrap(err, "Failed to initialize");
        return NULL;
    }
    cli->client = cl_client_new(&ep);
    cl_endpoint_clear(&ep);
    return cli->client;
}

/* ---- help ---- */

static void list_group(FILE *out, const struct berth_cmd *table, enum berth_cmd_group g,
                       const char *title)
{
    bool any = false;
    /* cobra's NamePadding: the longest name among the table's commands, at least 11 */
    int width = 11;
    for (const struct berth_cmd *c = table; c->name; c++)
        if (c->group != BERTH_GROUP_HIDDEN && (int)strlen(c->name) > width)
            width = (int)strlen(c->name);
    for (const struct berth_cmd *c = table; c->name; c++) {
        if (c->group != g)
            continue;
        if (!any)
            fprintf(out, "\n%s:\n", title);
        any = true;
        fprintf(out, "  %-*s %s\n", width, c->name, c->summary);
    }
}

static void print_help(struct berth_cli *cli, const struct bt_flagset *fs)
{
    fprintf(cli->out, "\nUsage:  %s\n\n%s\n", fs->usage, fs->description);
    list_group(cli->out, berth_commands, BERTH_GROUP_COMMON, "Common Commands");
    list_group(cli->out, berth_commands, BERTH_GROUP_MANAGEMENT, "Management Commands");
    list_group(cli->out, berth_commands, BERTH_GROUP_OTHER, "Commands");
    fprintf(cli->out, "\nGlobal Options:\n");
    bt_flags_print_options(fs, cli->out);
    fprintf(cli->out, "\nRun '%s COMMAND --help' for more information on a command.\n", cli->prog);
}

/* cobra's help of a command group: on stdout for --help, on stderr when no command is given
 * (docker's ShowHelp(dockerCli.Err())); exit 0 either way. */
static int management_help(struct berth_cli *cli, const struct berth_cmd *m, FILE *out)
{
    fprintf(out, "Usage:  %s %s COMMAND\n\n%s\n", cli->prog, m->name, m->summary);
    list_group(out, m->sub, BERTH_GROUP_OTHER, "Commands");
    fprintf(out, "\nRun '%s %s COMMAND --help' for more information on a command.\n", cli->prog,
            m->name);
    return 0;
}

static const struct berth_cmd *find_command(const struct berth_cmd *table, const char *name)
{
    for (const struct berth_cmd *c = table; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

/* `berth container ls ...`: the management command's own dispatch. */
static int run_management(struct berth_cli *cli, const struct berth_cmd *m, int argc, char **argv)
{
    if (argc < 2)
        return management_help(cli, m, cli->err);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return management_help(cli, m, cli->out);
    const struct berth_cmd *c = find_command(m->sub, argv[1]);
    static char path[128];
    if (c) {
        snprintf(path, sizeof(path), "%s %s", m->name, c->name);
        cli->path = path;
    }
    if (!c) {
        fprintf(cli->err,
                "%s: unknown command: %s %s %s\n\nUsage:  %s %s%s%s\n\nRun '%s %s --help' for "
                "more information\n",
                cli->prog, cli->prog, m->name, argv[1], cli->prog, m->name, m->use ? " " : "",
                m->use ? m->use : "", cli->prog, m->name);
        return BERTH_EXIT_FAIL;
    }
    return c->run(cli, argc - 1, argv + 1);
}

int berth_run_command(struct berth_cli *cli, const struct berth_cmd *c, int argc, char **argv)
{
    cli->path = c->name;
    if (c->sub)
        return run_management(cli, c, argc, argv);
    return c->run(cli, argc, argv);
}

/* ---- main ---- */

static struct bt_flag *global_flags(struct berth_globals *g)
{
    static char config_def[4096];
    snprintf(config_def, sizeof(config_def), "%s", berth_default_config_dir());
    struct bt_flag flags[] = {
            {.name = "config",
             .type = BT_FLAG_STRING,
             .value = &g->config_dir,
             .usage = "Location of client config files",
             .def_text = config_def},
            {.name = "context",
             .shorthand = 'c',
             .type = BT_FLAG_STRING,
             .value = &g->context,
             .usage = "Name of the context to use to connect to the daemon (overrides "
                      "DOCKER_HOST env var and default context set with \"berth context use\")"},
            {.name = "debug",
             .shorthand = 'D',
             .type = BT_FLAG_BOOL,
             .value = &g->debug,
             .usage = "Enable debug mode"},
            {.name = "host",
             .shorthand = 'H',
             .type = BT_FLAG_STRINGS,
             .value = &g->hosts,
             .usage = "Daemon socket to connect to",
             .metavar = "list"},
            {.name = "log-level",
             .shorthand = 'l',
             .type = BT_FLAG_STRING,
             .value = &g->log_level,
             .usage = "Set the logging level (\"debug\", \"info\", \"warn\", \"error\", \"fatal\")",
             .def_text = "info"},
            {.name = "tls",
             .type = BT_FLAG_BOOL,
             .value = &g->tls,
             .usage = "Use TLS; implied by --tlsverify"},
            {.name = "tlscacert",
             .type = BT_FLAG_STRING,
             .value = &g->tls_ca,
             .usage = "Trust certs signed only by this CA",
             .def_text = berth_default_cert("ca.pem")},
            {.name = "tlscert",
             .type = BT_FLAG_STRING,
             .value = &g->tls_cert,
             .usage = "Path to TLS certificate file",
             .def_text = berth_default_cert("cert.pem")},
            {.name = "tlskey",
             .type = BT_FLAG_STRING,
             .value = &g->tls_key,
             .usage = "Path to TLS key file",
             .def_text = berth_default_cert("key.pem")},
            {.name = "tlsverify",
             .type = BT_FLAG_BOOL,
             .value = &g->tls_verify,
             .usage = "Use TLS and verify the remote"},
            {.name = "version",
             .shorthand = 'v',
             .type = BT_FLAG_BOOL,
             .usage = "Print version information and quit"},
            {0},
    };
    struct bt_flag *copy = bt_xmalloc(sizeof(flags));
    memcpy(copy, flags, sizeof(flags));
    return copy;
}

int berth_main(int argc, char **argv)
{
    struct berth_cli cli = {.prog = "berth", .argv = argv, .out = stdout, .err = stderr};
    struct berth_globals *g = &cli.g;
    g->log_level = "info";
    g->tls = getenv("DOCKER_TLS") && *getenv("DOCKER_TLS");
    g->tls_verify = getenv("DOCKER_TLS_VERIFY") && *getenv("DOCKER_TLS_VERIFY");
    bool version = false;
    bt_autofree struct bt_flag *flags = global_flags(g);
    struct bt_flagset fs = {
            .usage = "berth [OPTIONS] COMMAND",
            .options_title = "Global Options",
            .description = "Containers on your machine, driven by the docker CLI you know",
            .flags = flags,
            .interspersed = false,
    };
    bt_flags_find(&fs, "version")->value = &version;
    bt_autoerr bt_err *err = NULL;
    bt_autofree char **args = NULL;
    int rc = bt_flags_parse(&fs, argc - 1, argv + 1, &args, &err);
    if (rc < 0)
        return berth_flag_error(&cli, &fs, NULL, bt_err_msg(err));
    if (rc == BT_FLAGS_HELP) {
        print_help(&cli, &fs);
        return 0;
    }
    g->tls_ca_set = bt_flags_find(&fs, "tlscacert")->changed;
    g->tls_cert_set = bt_flags_find(&fs, "tlscert")->changed;
    g->tls_key_set = bt_flags_find(&fs, "tlskey")->changed;
    if (bt_flags_find(&fs, "tlsverify")->changed || g->tls_verify)
        g->tls = true;
    if (version) {
        fprintf(cli.out, "Berth version %s, build %s\n", BERTH_VERSION, BERTH_GIT_COMMIT);
        return 0;
    }
    enum bt_log_level level;
    if (bt_log_parse_level(g->debug ? "debug" : g->log_level, &level, &err) < 0) {
        fprintf(cli.err, "Unable to parse logging level: %s\n", g->log_level);
        return BERTH_EXIT_FAIL;
    }
    bt_log_set_level(level);

    if (!args[0]) {
        print_help(&cli, &fs);
        return 0;
    }
    const struct berth_cmd *cmd = find_command(berth_commands, args[0]);
    if (!cmd) {
        fprintf(cli.err, "%s: unknown command: %s %s\n\nRun '%s --help' for more information\n",
                cli.prog, cli.prog, args[0], cli.prog);
        rc = BERTH_EXIT_FAIL;
    } else {
        rc = berth_run_command(&cli, cmd, berth_nargs(args), args);
    }
    cl_client_free(cli.client);
    free(g->hosts);
    return rc;
}
