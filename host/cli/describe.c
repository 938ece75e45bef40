/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Describe mode, and what it feeds: shell completions (`berth completion bash|zsh|fish`) and
 * the command reference (`berth __docs`, kept in docs/cli.md and checked by the lint tests).
 * Every command is run with cli->describe set; berth_parse_flags() hands its flag set here and
 * returns before the command does anything. So completions and docs come from the very tables
 * the commands parse with.
 */
#include <stdlib.h>
#include <string.h>

#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/flags/flags.h"

struct dflag {
    char *name;
    char shorthand;
    bool takes_value;
    bool hidden;
    char *usage;
    char *def_text;
    char *metavar;
};

struct dcmd {
    char *path; /* "run", "container ls" */
    char *summary;
    char *usage;
    char *description;
    struct dflag *flags;
    size_t nflags;
    bool management;
};

struct described {
    struct dcmd *cmds;
    size_t n;
    const char *summary; /* of the command being described */
};

static void record(void *arg, const struct bt_flagset *fs, const char *cmd)
{
    struct described *d = arg;
    d->cmds = bt_xreallocarray(d->cmds, d->n + 1, sizeof(*d->cmds));
    struct dcmd *c = &d->cmds[d->n++];
    *c = (struct dcmd){.path = bt_xstrdup(cmd),
                       .summary = bt_xstrdup(d->summary ? d->summary : ""),
                       .usage = bt_xstrdup(fs->usage ? fs->usage : ""),
                       .description = bt_xstrdup(fs->description ? fs->description : "")};
    for (const struct bt_flag *f = fs->flags; f && f->name; f++) {
        c->flags = bt_xreallocarray(c->flags, c->nflags + 1, sizeof(*c->flags));
        c->flags[c->nflags++] = (struct dflag){
                .name = bt_xstrdup(f->name),
                .shorthand = f->shorthand,
                .takes_value = f->type != BT_FLAG_BOOL,
                .hidden = f->hidden,
                .usage = bt_xstrdup(f->usage ? f->usage : ""),
                .def_text = bt_xstrdup_or_null(f->def_text),
                .metavar = bt_xstrdup_or_null(bt_flag_metavar(f)),
        };
    }
}

void berth_describe_record(struct berth_cli *cli, const struct bt_flagset *fs, const char *cmd)
{
    if (cli->describe_fn)
        cli->describe_fn(cli->described, fs, cmd);
}

static void describe_table(struct berth_cli *cli, struct described *d,
                           const struct berth_cmd *table, const char *prefix)
{
    for (const struct berth_cmd *c = table; c->name; c++) {
        if (c->group == BERTH_GROUP_HIDDEN)
            continue;
        bt_autofree char *path =
                prefix ? bt_xasprintf("%s %s", prefix, c->name) : bt_xstrdup(c->name);
        if (c->sub) {
            d->cmds = bt_xreallocarray(d->cmds, d->n + 1, sizeof(*d->cmds));
            d->cmds[d->n++] = (struct dcmd){.path = bt_xstrdup(path),
                                            .summary = bt_xstrdup(c->summary),
                                            .usage = bt_xasprintf("berth %s COMMAND", path),
                                            .description = bt_xstrdup(c->summary),
                                            .management = true};
            describe_table(cli, d, c->sub, path);
            continue;
        }
        char *argv[] = {(char *)c->name, NULL};
        cli->path = path;
        d->summary = c->summary;
        c->run(cli, 1, argv);
    }
}

static void describe_all(struct described *d)
{
    struct berth_cli cli = {.prog = "berth",
                            .out = stdout,
                            .err = stderr,
                            .describe = true,
                            .describe_fn = record,
                            .described = d};
    describe_table(&cli, d, berth_commands, NULL);
}

static void free_described(struct described *d)
{
    for (size_t i = 0; i < d->n; i++) {
        struct dcmd *c = &d->cmds[i];
        for (size_t k = 0; k < c->nflags; k++) {
            free(c->flags[k].name);
            free(c->flags[k].usage);
            free(c->flags[k].def_text);
            free(c->flags[k].metavar);
        }
        free(c->flags);
        free(c->path);
        free(c->summary);
        free(c->usage);
        free(c->description);
    }
    free(d->cmds);
}

/* ---- completions ---- */

static bool takes_containers(const struct dcmd *c)
{
    return strstr(c->usage, "CONTAINER") != NULL;
}

static bool takes_images(const struct dcmd *c)
{
    return strstr(c->usage, "IMAGE") != NULL;
}

/* volume inspect and rm (docker completes names for those, not for create's new name) */
static bool takes_volumes(const struct dcmd *c)
{
    return strstr(c->usage, "VOLUME [VOLUME...]") != NULL;
}

/* network inspect and rm, as volumes */
static bool takes_networks(const struct dcmd *c)
{
    return strstr(c->usage, "NETWORK [NETWORK...]") != NULL;
}

static void bash_words(FILE *o, const struct dcmd *c)
{
    for (size_t k = 0; k < c->nflags; k++) {
        if (c->flags[k].hidden)
            continue;
        fprintf(o, " --%s", c->flags[k].name);
        if (c->flags[k].shorthand)
            fprintf(o, " -%c", c->flags[k].shorthand);
    }
}

static void completion_bash(FILE *o, const struct described *d)
{
    fprintf(o, "# bash completion for berth (generated by `berth completion bash`)\n"
               "_berth() {\n"
               "    local cur=\"${COMP_WORDS[COMP_CWORD]}\" path=\"\" i w\n"
               "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
               "        w=\"${COMP_WORDS[i]}\"\n"
               "        case \"$w\" in\n"
               "            -H|--host|-c|--context|-l|--log-level|--config|--tlscacert|"
               "--tlscert|--tlskey) ((i++)); continue ;;\n"
               "            -*) continue ;;\n"
               "        esac\n"
               "        case \" $path \" in\n");
    /* management commands take one more word */
    fprintf(o, "            \"  \") path=\"$w\" ;;\n");
    for (size_t i = 0; i < d->n; i++)
        if (d->cmds[i].management)
            fprintf(o, "            \" %s \") path=\"$path $w\" ;;\n", d->cmds[i].path);
    fprintf(o, "            *) break ;;\n"
               "        esac\n"
               "    done\n"
               "    local words=\"\"\n"
               "    case \"$path\" in\n");
    fprintf(o, "        \"\") words=\"");
    for (size_t i = 0; i < d->n; i++)
        if (!strchr(d->cmds[i].path, ' '))
            fprintf(o, " %s", d->cmds[i].path);
    fprintf(o, " --help --version --host --context --tls --tlsverify\" ;;\n");
    for (size_t i = 0; i < d->n; i++) {
        const struct dcmd *c = &d->cmds[i];
        fprintf(o, "        \"%s\")", c->path);
        if (c->management) {
            fprintf(o, " words=\"");
            size_t len = strlen(c->path);
            for (size_t k = 0; k < d->n; k++)
                if (strncmp(d->cmds[k].path, c->path, len) == 0 && d->cmds[k].path[len] == ' ')
                    fprintf(o, " %s", d->cmds[k].path + len + 1);
            fprintf(o, "\" ;;\n");
            continue;
        }
        fprintf(o, " if [[ \"$cur\" == -* ]]; then words=\"");
        bash_words(o, c);
        fprintf(o, " --help\"");
        if (takes_containers(c))
            fprintf(o, "; else words=\"$(berth ps -a --format '{{.Names}}' 2>/dev/null)\"");
        else if (takes_images(c))
            fprintf(o, "; else words=\"$(berth images --format '{{.Repository}}:{{.Tag}}' "
                       "2>/dev/null | grep -v '<none>')\"");
        else if (takes_volumes(c))
            fprintf(o, "; else words=\"$(berth volume ls -q 2>/dev/null)\"");
        else if (takes_networks(c))
            fprintf(o, "; else words=\"$(berth network ls --format '{{.Name}}' 2>/dev/null)\"");
        fprintf(o, "; fi ;;\n");
    }
    fprintf(o, "    esac\n"
               "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
               "}\n"
               "complete -F _berth berth\n");
}

static void completion_zsh(FILE *o, const struct described *d)
{
    /* zsh runs the bash function through bashcompinit: one logic for both shells */
    fprintf(o, "#compdef berth\n"
               "# zsh completion for berth (generated by `berth completion zsh`)\n"
               "autoload -U +X bashcompinit && bashcompinit\n");
    completion_bash(o, d);
}

static void fish_escape(FILE *o, const char *s)
{
    for (; *s && *s != '\n'; s++) {
        if (*s == '\'' || *s == '\\')
            fputc('\\', o);
        fputc(*s, o);
    }
}

static void completion_fish(FILE *o, const struct described *d)
{
    fprintf(o, "# fish completion for berth (generated by `berth completion fish`)\n"
               "complete -c berth -f\n");
    for (size_t i = 0; i < d->n; i++) {
        const struct dcmd *c = &d->cmds[i];
        const char *sp = strchr(c->path, ' ');
        if (!sp) {
            fprintf(o, "complete -c berth -n '__fish_use_subcommand' -a %s -d '", c->path);
        } else {
            bt_autofree char *parent = bt_xstrndup(c->path, (size_t)(sp - c->path));
            fprintf(o, "complete -c berth -n '__fish_seen_subcommand_from %s' -a %s -d '", parent,
                    sp + 1);
        }
        fish_escape(o, c->summary);
        fprintf(o, "'\n");
        const char *last = strrchr(c->path, ' ');
        last = last ? last + 1 : c->path;
        for (size_t k = 0; k < c->nflags; k++) {
            const struct dflag *f = &c->flags[k];
            if (f->hidden)
                continue;
            fprintf(o, "complete -c berth -n '__fish_seen_subcommand_from %s' -l %s", last,
                    f->name);
            if (f->shorthand)
                fprintf(o, " -s %c", f->shorthand);
            if (f->takes_value)
                fprintf(o, " -r");
            fprintf(o, " -d '");
            fish_escape(o, f->usage);
            fprintf(o, "'\n");
        }
    }
}

int berth_cmd_completion(struct berth_cli *cli, int argc, char **argv)
{
    struct bt_flag flags[] = {{0}};
    struct bt_flagset fs = {.usage = "berth completion [bash|zsh|fish]",
                            .description = "Generate the autocompletion script for the specified "
                                           "shell",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, "completion", argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, "completion", args, 1, 1)) != 0)
        return rc;
    struct described d = {0};
    describe_all(&d);
    if (strcmp(args[0], "bash") == 0) {
        completion_bash(cli->out, &d);
    } else if (strcmp(args[0], "zsh") == 0) {
        completion_zsh(cli->out, &d);
    } else if (strcmp(args[0], "fish") == 0) {
        completion_fish(cli->out, &d);
    } else {
        fprintf(cli->err, "invalid argument \"%s\" for \"berth completion\"\n", args[0]);
        rc = BERTH_EXIT_FAIL;
    }
    free_described(&d);
    return rc;
}

/* ---- docs/cli.md ---- */

static void docs(FILE *o, const struct described *d)
{
    fprintf(o, "# The berth command line\n\n"
               "<!-- generated by `berth __docs`; tests/lint/check-cli-docs.sh keeps it in step "
               "-->\n\n"
               "`berth` takes the docker CLI's commands, flags and output (see "
               "`docs/design/client.md`), and reaches engines over unix sockets, TCP with TLS "
               "and SSH.\n\n"
               "Global options: `--config`, `-c/--context`, `-D/--debug`, `-H/--host`, "
               "`-l/--log-level`, `--tls`, `--tlscacert`, `--tlscert`, `--tlskey`, "
               "`--tlsverify`, `-v/--version`; the engine is chosen from `--context`, `-H`, "
               "`BERTH_HOST`, `DOCKER_HOST`, `BERTH_CONTEXT`, `DOCKER_CONTEXT`, the current "
               "context, then `unix:///run/berth.sock`.\n\n");
    for (size_t i = 0; i < d->n; i++) {
        const struct dcmd *c = &d->cmds[i];
        fprintf(o, "## berth %s\n\n%s\n\n```\n%s\n```\n", c->path, c->description, c->usage);
        bool any = false;
        for (size_t k = 0; k < c->nflags; k++) {
            const struct dflag *f = &c->flags[k];
            if (f->hidden)
                continue;
            if (!any)
                fprintf(o, "\n| flag | meaning |\n|---|---|\n");
            any = true;
            fprintf(o, "| `");
            if (f->shorthand)
                fprintf(o, "-%c, ", f->shorthand);
            fprintf(o, "--%s", f->name);
            if (f->takes_value)
                fprintf(o, " %s", f->metavar ? f->metavar : "string");
            fprintf(o, "` | ");
            for (const char *p = f->usage; *p; p++) {
                if (*p == '\n')
                    fputs("<br>", o);
                else if (*p == '|')
                    fputs("\\|", o);
                else
                    fputc(*p, o);
            }
            if (f->def_text)
                fprintf(o, " (default %s)", f->def_text);
            fprintf(o, " |\n");
        }
        fputc('\n', o);
    }
}

int berth_cmd_docs(struct berth_cli *cli, int argc, char **argv)
{
    struct described d = {0};
    describe_all(&d);
    docs(cli->out, &d);
    free_described(&d);
    return 0;
}
