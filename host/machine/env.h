/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * `berth machine env`: the lines a shell evaluates to talk to a machine, byte for byte as
 * docker-machine's commands/env.go writes them for each shell (its envTmpl, prefixes,
 * delimiters, suffixes and usage hint), e.g. for bash:
 *
 *   export DOCKER_TLS_VERIFY="1"
 *   export DOCKER_HOST="tcp://192.168.99.100:2376"
 *   export DOCKER_CERT_PATH="/home/u/.berth/machines/default"
 *   export DOCKER_MACHINE_NAME="default"
 *   # Run this command to configure your shell:
 *   # eval $(berth machine env default)
 *
 * (sic: docker-machine leaves a space after "shell:"). Values are not quoted beyond the
 * shell's template, as docker-machine does not quote them either.
 */
#include <stdbool.h>

#include "shared/base/strbuf.h"

enum machine_shell {
    MACHINE_SHELL_POSIX, /* bash, zsh, sh, and any shell not named below: export NAME="v" */
    MACHINE_SHELL_FISH,
    MACHINE_SHELL_POWERSHELL,
    MACHINE_SHELL_CMD,
    MACHINE_SHELL_TCSH, /* also csh, which docker-machine gave bash's syntax */
    MACHINE_SHELL_EMACS,
};

/* The shell for --shell NAME or a $SHELL path (its last component), as docker-machine's
 * switch has them: "fish", "powershell", "cmd", "tcsh", "emacs"; others are POSIX. */
enum machine_shell machine_shell_from_name(const char *name);

struct machine_env {
    const char *docker_host; /* tcp://IP:2376 (unused with unset) */
    const char *cert_path;   /* the machine's directory */
    const char *machine_name;
    const char *no_proxy_var;   /* "NO_PROXY" or "no_proxy" with --no-proxy, else NULL */
    const char *no_proxy_value; /* its new value (the old one with the IP added) */
    char *const *argv;          /* the command line as run, for the hint (docker-machine's
                                   os.Args: the program as typed, then every argument) */
};

/* Append what `env` prints for shell sh (unset: `env -u`). */
void machine_env_render(enum machine_shell sh, bool unset, const struct machine_env *e,
                        struct bt_strbuf *out);

/* --no-proxy: which variable to set (no_proxy when it is set, else NO_PROXY) and its value
 * with ip added unless it is already in it, as docker-machine's findNoProxyFromEnv. With
 * ip NULL (unset) the current value. *value is new (caller frees). */
void machine_env_no_proxy(const char *ip, const char **var, char **value);
