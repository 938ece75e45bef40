/* SPDX-License-Identifier: Apache-2.0 */
/* `machine env`'s output: docker-machine's commands/env.go, shell by shell. */
#include "host/machine/env.h"

#include <stdlib.h>
#include <string.h>

#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

enum machine_shell machine_shell_from_name(const char *name)
{
    if (!name)
        return MACHINE_SHELL_POSIX;
    const char *base = strrchr(name, '/'); /* filepath.Base of $SHELL */
    base = base ? base + 1 : name;
    if (strcmp(base, "fish") == 0)
        return MACHINE_SHELL_FISH;
    if (strcmp(base, "powershell") == 0)
        return MACHINE_SHELL_POWERSHELL;
    if (strcmp(base, "cmd") == 0)
        return MACHINE_SHELL_CMD;
    if (strcmp(base, "tcsh") == 0 || strcmp(base, "csh") == 0)
        return MACHINE_SHELL_TCSH;
    if (strcmp(base, "emacs") == 0)
        return MACHINE_SHELL_EMACS;
    return MACHINE_SHELL_POSIX;
}

struct syntax {
    const char *prefix, *delimiter, *suffix;
};

/* shellCfgSet's and shellCfgUnset's switches */
static struct syntax syntax_of(enum machine_shell sh, bool unset)
{
    switch (sh) {
    case MACHINE_SHELL_FISH:
        return unset ? (struct syntax){"set -e ", "", ";\n"}
                     : (struct syntax){"set -gx ", " \"", "\";\n"};
    case MACHINE_SHELL_POWERSHELL:
        /* sic: docker-machine's Go raw string `Env:\\` prints two backslashes, which
         * PowerShell reads as one */
        return unset ? (struct syntax){"Remove-Item Env:\\\\", "", "\n"}
                     : (struct syntax){"$Env:", " = \"", "\"\n"};
    case MACHINE_SHELL_CMD:
        return (struct syntax){"SET ", "=", "\n"};
    case MACHINE_SHELL_TCSH:
        return unset ? (struct syntax){"unsetenv ", "", ";\n"}
                     : (struct syntax){"setenv ", " \"", "\";\n"};
    case MACHINE_SHELL_EMACS:
        return unset ? (struct syntax){"(setenv \"", "\" nil", ")\n"}
                     : (struct syntax){"(setenv \"", "\" \"", "\")\n"};
    case MACHINE_SHELL_POSIX:
        break;
    }
    return unset ? (struct syntax){"unset ", "", "\n"} : (struct syntax){"export ", "=\"", "\"\n"};
}

/* EnvUsageHintGenerator.GenerateUsageHint */
static void usage_hint(enum machine_shell sh, char *const *argv, struct bt_strbuf *out)
{
    bt_autostrbuf struct bt_strbuf line = BT_STRBUF_INIT;
    for (size_t i = 0; argv && argv[i]; i++) {
        if (i)
            bt_strbuf_append_c(&line, ' ');
        if (i == 0 && (strchr(argv[0], ' ') || strchr(argv[0], '\\')))
            bt_strbuf_appendf(&line, "\"%s\"", argv[0]);
        else
            bt_strbuf_append(&line, argv[i]);
    }
    const char *cmd = bt_strbuf_str(&line);
    const char *comment = "#";
    bt_autofree char *hint = NULL;
    switch (sh) {
    case MACHINE_SHELL_FISH:
        hint = bt_xasprintf("eval (%s)", cmd);
        break;
    case MACHINE_SHELL_POWERSHELL:
        hint = bt_xasprintf("& %s | Invoke-Expression", cmd);
        break;
    case MACHINE_SHELL_CMD:
        hint = bt_xasprintf("\t@FOR /f \"tokens=*\" %%i IN ('%s') DO @%%i", cmd);
        comment = "REM";
        break;
    case MACHINE_SHELL_EMACS:
        hint = bt_xasprintf("(with-temp-buffer (shell-command \"%s\" (current-buffer)) "
                            "(eval-buffer))",
                            cmd);
        comment = ";;";
        break;
    case MACHINE_SHELL_TCSH:
        hint = bt_xasprintf("eval `%s`", cmd);
        comment = ":";
        break;
    case MACHINE_SHELL_POSIX:
        hint = bt_xasprintf("eval $(%s)", cmd);
        break;
    }
    bt_strbuf_appendf(out, "%s Run this command to configure your shell: \n%s %s\n", comment,
                      comment, hint);
}

static void var(struct bt_strbuf *out, const struct syntax *s, const char *name, const char *value)
{
    bt_strbuf_appendf(out, "%s%s%s%s%s", s->prefix, name, s->delimiter, value ? value : "",
                      s->suffix);
}

void machine_env_render(enum machine_shell sh, bool unset, const struct machine_env *e,
                        struct bt_strbuf *out)
{
    /* envTmpl: the four variables with their values (empty when unsetting), NO_PROXY with
     * --no-proxy, the hint; COMPOSE_CONVERT_WINDOWS_PATHS is for Windows hosts only */
    struct syntax s = syntax_of(sh, unset);
    var(out, &s, "DOCKER_TLS_VERIFY", unset ? NULL : "1");
    var(out, &s, "DOCKER_HOST", unset ? NULL : e->docker_host);
    var(out, &s, "DOCKER_CERT_PATH", unset ? NULL : e->cert_path);
    var(out, &s, "DOCKER_MACHINE_NAME", unset ? NULL : e->machine_name);
    if (e->no_proxy_var)
        var(out, &s, e->no_proxy_var, e->no_proxy_value);
    usage_hint(sh, e->argv, out);
}

void machine_env_no_proxy(const char *ip, const char **var_name, char **value)
{
    const char *v = getenv("no_proxy");
    *var_name = "no_proxy";
    if (!v || !*v) {
        *var_name = "NO_PROXY";
        v = getenv("NO_PROXY");
    }
    if (!v)
        v = "";
    if (!ip || (*v && strstr(v, ip)))
        *value = bt_xstrdup(v);
    else if (!*v)
        *value = bt_xstrdup(ip);
    else
        *value = bt_xasprintf("%s,%s", v, ip);
}
