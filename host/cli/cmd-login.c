/* SPDX-License-Identifier: Apache-2.0 */
/* berth login and berth logout: the docker CLI 28's runLogin and runLogout, with the
 * credentials in berth's own config.json (host/auth). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/auth/auth.h"
#include "host/cli/cmds.h"
#include "host/cli/commands.h"
#include "host/cli/registry.h"
#include "host/cli/util.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/flags/flags.h"
#include "shared/json/json.h"

#define UNENCRYPTED_WARNING                                         \
    "\nWARNING! Your credentials are stored unencrypted in '%s'.\n" \
    "Configure a credential helper to remove this warning. See\n"   \
    "https://docs.docker.com/go/credential-store/\n\n"

struct login {
    const char *user, *password;
    bool password_stdin;
    char *stdin_password;
};

/* POST /auth with the AuthConfig as the docker client encodes it (json.Encoder: a newline
 * after the document). *status gets the answer's Status, *token its IdentityToken. */
static int registry_login(struct cl_client *c, const struct auth_config *a, char **status,
                          char **token, bt_err **err)
{
    bt_autofree char *json = auth_config_json(a);
    bt_autofree char *body = bt_xasprintf("%s\n", json);
    struct cl_request req = {.method = "POST",
                             .path = "/auth",
                             .body = body,
                             .body_len = strlen(body),
                             .content_type = "application/json"};
    struct cl_response resp;
    *status = *token = NULL;
    if (cl_call(c, &req, &resp, err) < 0)
        return -1;
    bt_autoptr(json_t) doc =
            resp.body.len ? bt_json_parse(bt_strbuf_str(&resp.body), resp.body.len, NULL) : NULL;
    cl_response_clear(&resp);
    *status = bt_xstrdup(bt_json_get_str(doc, "Status", ""));
    *token = bt_xstrdup(bt_json_get_str(doc, "IdentityToken", ""));
    return 0;
}

/* storeCredentials: into berth's file; the warning when a password was written. */
static int store(struct berth_cli *cli, struct auth_config *a, const char *token, bt_err **err)
{
    if (token && *token) {
        free(a->password);
        a->password = NULL;
        free(a->identity_token);
        a->identity_token = bt_xstrdup(token);
    }
    bt_autofree char *path = berth_config_file(cli);
    struct auth_file f;
    if (auth_file_load(&f, path, err) < 0)
        return bt_err_wrap(err, "Error saving credentials");
    int rc = auth_file_store(&f, a, err);
    auth_file_clear(&f);
    if (rc < 0)
        return bt_err_wrap(err, "Error saving credentials");
    if (rc == 1 && a->password && *a->password) {
        fflush(cli->out);
        fprintf(cli->err, UNENCRYPTED_WARNING, path);
        fflush(cli->err);
    }
    return 0;
}

/* loginWithStoredCredentials: 0 with *msg on success; -1 when the user has to type them. */
static int login_stored(struct berth_cli *cli, struct cl_client *c, struct auth_config *a,
                        char **msg)
{
    fprintf(cli->err, "Authenticating with existing credentials...");
    if (a->username && *a->username)
        fprintf(cli->err, " [Username: %s]", a->username);
    fprintf(cli->err, "\n");
    berth_print_note(cli->err, "To login with a different account, run 'berth logout' followed "
                               "by 'berth login'");
    fprintf(cli->err, "\n\n");
    fflush(cli->err);
    bt_err *err = NULL;
    bt_autofree char *token = NULL;
    if (registry_login(c, a, msg, &token, &err) < 0) {
        if (cl_err_is_daemon(err) && cl_err_kind(err) == BT_E_UNAUTHORIZED)
            fprintf(cli->err, "Stored credentials invalid or expired\n");
        else
            fprintf(cli->err, "Login did not succeed, error: %s%s\n",
                    cl_err_is_daemon(err) ? "Error response from daemon: " : "", bt_err_msg(err));
        bt_err_free(err);
        /* berth does not copy credentials that failed (from docker's file) into its own */
        return -1;
    }
    if (store(cli, a, token, &err) < 0) {
        /* the docker CLI returns the storing error from here, then asks anew */
        bt_err_free(err);
        return -1;
    }
    return 0;
}

/* loginUser and loginWithUsernameAndPassword (without Docker Hub's web-based device login,
 * which berth does not do: it asks for the user name and password). */
static int login_typed(struct berth_cli *cli, struct cl_client *c, const struct login *l,
                       const char *default_user, const char *server, char **msg, bt_err **err)
{
    const char *password = l->password_stdin ? l->stdin_password : l->password;
    if ((!l->user || !*l->user || !password || !*password) && !isatty(0))
        return bt_err_set(err, BT_E_INVALID,
                          "Error: Cannot perform an interactive login from a non TTY device");
    struct auth_config a;
    if (berth_prompt_credentials(cli, l->user, password, default_user, server, &a, err) < 0)
        return -1;
    bt_autofree char *token = NULL;
    int rc = registry_login(c, &a, msg, &token, err);
    if (rc == 0)
        rc = store(cli, &a, token, err);
    auth_config_clear(&a);
    return rc;
}

/* verifyLoginOptions: the warning about -p, the password from stdin. */
static int read_password_stdin(struct login *l, bt_err **err)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    char buf[4096];
    for (;;) {
        ssize_t n = read(0, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            bt_strbuf_free(&sb);
            char text[128];
            return bt_err_set(err, BT_E_INVALID, "read /dev/stdin: %s",
                              bt_go_strerror(errno, text, sizeof(text)));
        }
        if (n == 0)
            break;
        bt_strbuf_append_n(&sb, buf, (size_t)n);
    }
    size_t len = sb.len;
    if (len && sb.buf[len - 1] == '\n')
        len--;
    if (len && sb.buf[len - 1] == '\r')
        len--;
    l->stdin_password = bt_xstrndup(sb.buf ? sb.buf : "", len);
    bt_strbuf_free(&sb);
    return 0;
}

static int run_login(struct berth_cli *cli, struct login *l, const char *arg)
{
    bt_err *err = NULL;
    if (l->password && *l->password)
        fprintf(cli->err, "WARNING! Using --password via the CLI is insecure. Use "
                          "--password-stdin.\n");
    if (l->password_stdin) {
        if (!l->user || !*l->user) {
            fprintf(cli->err, "username is empty\n");
            return BERTH_EXIT_FAIL;
        }
        if (read_password_stdin(l, &err) < 0)
            return berth_fail(cli, err, BERTH_EXIT_FAIL);
    }
    /* docker.io means Docker Hub; other servers are reduced to their host (GetDefaultAuthConfig) */
    bool hub = !arg || !*arg || strcmp(arg, "docker.io") == 0;
    bt_autofree char *server = hub ? bt_xstrdup(AUTH_INDEX_SERVER) : auth_hostname(arg);
    int rc = 0;
    struct cl_client *c = berth_need_client(cli, &rc);
    if (!c)
        return rc;
    const char *password = l->password_stdin ? l->stdin_password : l->password;
    bool typed = (l->user && *l->user) || (password && *password);
    struct auth_config stored = {0};
    bt_autofree char *msg = NULL;
    int done = -1;
    if (!typed) {
        bt_err *serr = NULL;
        /* a file berth cannot use is no reason not to ask (GetDefaultAuthConfig's error) */
        if (berth_stored_auth(cli, server, &stored, NULL, &serr) < 0)
            bt_err_free(serr);
        free(stored.server_address);
        stored.server_address = bt_xstrdup(server);
        free(stored.identity_token);
        stored.identity_token = NULL;
        if (stored.username && *stored.username && stored.password && *stored.password)
            done = login_stored(cli, c, &stored, &msg);
    }
    if (done < 0) {
        free(msg);
        msg = NULL;
        if (login_typed(cli, c, l, stored.username, server, &msg, &err) < 0) {
            auth_config_clear(&stored);
            return berth_fail(cli, err, BERTH_EXIT_FAIL);
        }
    }
    auth_config_clear(&stored);
    if (msg && *msg)
        fprintf(cli->out, "%s\n", msg);
    return 0;
}

int berth_cmd_login(struct berth_cli *cli, int argc, char **argv)
{
    struct login l = {0};
    struct bt_flag flags[] = {
            {.name = "password",
             .shorthand = 'p',
             .type = BT_FLAG_STRING,
             .value = &l.password,
             .usage = "Password or Personal Access Token (PAT)"},
            {.name = "password-stdin",
             .type = BT_FLAG_BOOL,
             .value = &l.password_stdin,
             .usage = "Take the Password or Personal Access Token (PAT) from stdin"},
            {.name = "username",
             .shorthand = 'u',
             .type = BT_FLAG_STRING,
             .value = &l.user,
             .usage = "Username"},
            {0},
    };
    bt_autofree char *usage = bt_xasprintf("%s %s [OPTIONS] [SERVER]", cli->prog, cli->path);
    struct bt_flagset fs = {
            .usage = usage,
            .description = "Authenticate to a registry.\nDefaults to Docker Hub if no server is "
                           "specified.",
            .flags = flags,
            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 0, 1)) != 0)
        return rc;
    /* verifyLoginFlags */
    const char *bad = NULL;
    bool user_set = bt_flags_find(&fs, "username")->changed;
    bool password_set = bt_flags_find(&fs, "password")->changed;
    if (bt_flags_find(&fs, "password-stdin")->changed && password_set)
        bad = "conflicting options: cannot specify both --password and --password-stdin";
    else if (bt_flags_find(&fs, "password-stdin")->changed && !user_set)
        bad = "the --password-stdin option requires --username to be set";
    else if (user_set && !*l.user)
        bad = "username is empty";
    else if (password_set && !*l.password)
        bad = "password is empty";
    if (bad) {
        fprintf(cli->err, "%s\n", bad);
        return BERTH_EXIT_FAIL;
    }
    rc = run_login(cli, &l, args[0]);
    free(l.stdin_password);
    return rc;
}

int berth_cmd_logout(struct berth_cli *cli, int argc, char **argv)
{
    struct bt_flag flags[] = {{0}};
    bt_autofree char *usage = bt_xasprintf("%s %s [SERVER]", cli->prog, cli->path);
    struct bt_flagset fs = {.usage = usage,
                            .description = "Log out from a registry.\nIf no server is specified, "
                                           "the default is defined by the daemon.",
                            .flags = flags,
                            .interspersed = true};
    bt_autofree char **args = NULL;
    int rc = berth_parse_flags(cli, &fs, cli->path, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if ((rc = berth_check_args(cli, &fs, cli->path, args, 0, 1)) != 0)
        return rc;
    /* the server as given, and (but for Docker Hub) the forms older clients stored it in */
    bool hub = !args[0];
    const char *server = hub ? AUTH_INDEX_SERVER : args[0];
    bt_autofree char *host = hub ? bt_xstrdup(server) : auth_hostname(server);
    bt_autofree char *http = bt_xasprintf("http://%s", host);
    bt_autofree char *https = bt_xasprintf("https://%s", host);
    const char *regs[] = {server, host, http, https};
    size_t n = hub ? 1 : 4;
    fprintf(cli->out, "Removing login credentials for %s\n", host);
    fflush(cli->out);
    bt_autofree char *path = berth_config_file(cli);
    bt_err *errs[4] = {0};
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        struct auth_file f;
        if (auth_file_load(&f, path, &errs[i]) == 0) {
            auth_file_erase(&f, regs[i], &errs[i]);
            auth_file_clear(&f);
        }
        failed += errs[i] != NULL;
    }
    if (failed == n) {
        fprintf(cli->err, "WARNING: could not erase credentials:\n");
        for (size_t i = 0; i < n; i++)
            fprintf(cli->err, "%s: %s\n", regs[i], bt_err_msg(errs[i]));
    }
    for (size_t i = 0; i < n; i++)
        bt_err_free(errs[i]);
    return 0;
}
