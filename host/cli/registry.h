/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * What pull, push, login, logout and run's pull share: where credentials are read and written
 * (host/auth: berth's config.json, then the docker CLI's), the X-Registry-Auth header, the
 * registry requests with their progress (jsonmsg.h) and the docker CLI's prompt for a user
 * name and password. See docs/internals/registry-client.md.
 */
#include <stdbool.h>
#include <stdio.h>

#include "host/auth/auth.h"
#include "host/cli/commands.h"
#include "shared/reference/reference.h"

/* berth's own config.json: <--config, $BERTH_CONFIG or ~/.berth>/config.json. A new string. */
char *berth_config_file(const struct berth_cli *cli);

/* The credentials stored for a registry key (auth_key()): berth's file, then the docker
 * CLI's. *path (optional) gets the file they came from (a new string), NULL when none. */
int berth_stored_auth(const struct berth_cli *cli, const char *key, struct auth_config *out,
                      char **path, bt_err **err);

/* X-Registry-Auth for the registry of ref (the docker CLI's RetrieveAuthTokenFromImage):
 * "X-Registry-Auth: <base64url JSON>", a new string; "e30=" when nothing is stored. */
char *berth_registry_header(const struct berth_cli *cli, const struct bt_ref *ref, bt_err **err);

struct berth_registry_call {
    const char *path;         /* "/images/create?fromImage=..." */
    const struct bt_ref *ref; /* whose registry the credentials are for */
    FILE *out;                /* the progress; NULL shows nothing */
    /* "pull" or "push": a 401 asks for credentials as docker's RegistryAuthenticationPrivileged
     * Func does ("Login prior to pull:") and tries once more; NULL: no second try (run) */
    const char *privileged;
    void (*aux)(void *arg, const json_t *aux);
    void *aux_arg;
};

/* POST path with the credentials of ref's registry, the engine's progress shown on out. Errors:
 * the engine's answer, or the stream's "errorDetail". */
int berth_registry_post(struct berth_cli *cli, struct cl_client *c,
                        const struct berth_registry_call *call, bt_err **err);

struct berth_pull_opts {
    const char *platform;
    bool all_tags;   /* no tag in the query: every tag of the repository */
    FILE *out;       /* the progress, NULL for none */
    bool privileged; /* docker pull's second try with typed credentials on a 401 */
};

/* POST /images/create?fromImage=<name>[&platform=<p>][&tag=<tag or digest>] with X-Registry-Auth
 * (docker's ImagePull and ImageCreate: the query in url.Values order, the platform lower case). */
int berth_pull(struct berth_cli *cli, struct cl_client *c, const struct bt_ref *ref,
               const struct berth_pull_opts *o, bt_err **err);

/* The docker CLI's PromptUserForCredentials: user and password from the flags, whichever is
 * empty read from the terminal ("Username (def): ", then "Password: " with echo off; Docker
 * Hub's hints first). out gets username, password and server. Errors in docker's words:
 * "Error: Non-null Username Required", "Error: Password Required", and "inappropriate ioctl for
 * device" when stdin is no terminal for the password. */
int berth_prompt_credentials(struct berth_cli *cli, const char *user, const char *password,
                             const char *default_user, const char *server, struct auth_config *out,
                             bt_err **err);

/* tui's PrintNote: "\n Info -> " and the text's lines under one another (on a terminal the
 * docker CLI's colours and italics). */
void berth_print_note(FILE *out, const char *text);

/* hints.Enabled: DOCKER_CLI_HINTS unset, unparsable or true. */
bool berth_hints_enabled(void);
