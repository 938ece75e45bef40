/* SPDX-License-Identifier: Apache-2.0 */
/* Credentials, the X-Registry-Auth header, pulls and pushes with their second try, prompts. */
#include "host/cli/registry.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "host/cli/endpoint.h"
#include "host/cli/jsonmsg.h"
#include "host/cli/util.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"

/* the docker CLI's texts for Docker Hub (cli/command/registry.go) */
#define REGISTER_SUGGEST                                                                    \
    "Log in with your Docker ID or email address to push and pull images from Docker Hub. " \
    "If you don't have a Docker ID, head over to https://hub.docker.com/ to create one."
#define PAT_SUGGEST                                                                     \
    "You can log in with your password or a Personal Access Token (PAT). Using a "      \
    "limited-scope PAT grants better security and is required for organizations using " \
    "SSO. Learn more at https://docs.docker.com/go/access-tokens/"

char *berth_config_file(const struct berth_cli *cli)
{
    const char *dir = cli->g.config_dir ? cli->g.config_dir : berth_default_config_dir();
    return bt_xasprintf("%s/config.json", dir);
}

int berth_stored_auth(const struct berth_cli *cli, const char *key, struct auth_config *out,
                      char **path, bt_err **err)
{
    bt_autofree char *own = berth_config_file(cli);
    bt_autofree char *docker = auth_docker_config_file();
    const char *files[] = {own, docker};
    int from = -1;
    if (path)
        *path = NULL;
    if (auth_resolve(files, 2, key, out, &from, err) < 0)
        return -1;
    if (path && from >= 0)
        *path = bt_xstrdup(files[from]);
    return 0;
}

char *berth_registry_header(const struct berth_cli *cli, const struct bt_ref *ref, bt_err **err)
{
    struct auth_config a;
    if (berth_stored_auth(cli, auth_key(ref->domain), &a, NULL, err) < 0)
        return NULL;
    bt_autofree char *value = auth_header(&a);
    auth_config_clear(&a);
    return bt_xasprintf("X-Registry-Auth: %s", value);
}

bool berth_hints_enabled(void)
{
    const char *v = getenv("DOCKER_CLI_HINTS");
    if (!v || !*v)
        return true;
    /* strconv.ParseBool; anything else leaves the hints on */
    static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (strcmp(v, no[i]) == 0)
            return false;
    return true;
}

void berth_print_note(FILE *out, const char *text)
{
    bool tty = isatty(fileno(out));
    /* tui.InfoHeader: Plain " Info -> ", Fancy a cyan "i" and "Info → ", both 9 columns */
    fputs(tty ? "\n\x1b[1m\x1b[106m\x1b[30mi\x1b[0m\x1b[0m \x1b[96mInfo \xe2\x86\x92 "
                "\x1b[0m\x1b[0m"
              : "\n Info -> ",
          out);
    /* on a terminal the note's --platform is bold (ColorFlag) */
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    for (const char *p = text; tty && *p;) {
        const char *hit = strstr(p, "--platform");
        if (!hit) {
            bt_strbuf_append(&sb, p);
            break;
        }
        bt_strbuf_append_n(&sb, p, (size_t)(hit - p));
        bt_strbuf_append(&sb, "\x1b[1m--platform\x1b[0m");
        p = hit + strlen("--platform");
    }
    const char *line = tty ? bt_strbuf_str(&sb) : text;
    for (bool first = true;; first = false) {
        size_t len = strcspn(line, "\n");
        if (!first)
            fputs("         ", out);
        if (tty)
            fprintf(out, "\x1b[3m%.*s\x1b[0m\n", (int)len, line);
        else
            fprintf(out, "%.*s\n", (int)len, line);
        if (!line[len])
            break;
        line += len + 1;
    }
    fflush(out);
}

/* ---- prompts ---- */

/* One line of stdin, read a byte at a time so that nothing after it is taken; without its
 * end of line, white space trimmed (prompt.ReadInput). End of input is an empty answer. */
static char *read_input(struct berth_cli *cli, const char *message)
{
    fputs(message, cli->out);
    fflush(cli->out);
    struct bt_strbuf sb = BT_STRBUF_INIT;
    for (;;) {
        char ch;
        ssize_t n = read(0, &ch, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || ch == '\n')
            break;
        bt_strbuf_append_c(&sb, ch);
    }
    const char *s = bt_strbuf_str(&sb);
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    char *r = bt_xstrndup(s, len);
    bt_strbuf_free(&sb);
    return r;
}

static char *trim(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    return bt_xstrndup(s, len);
}

/* The terminal's state while echo is off, put back if a signal ends berth meanwhile. */
static struct termios echo_saved;
static volatile sig_atomic_t echo_off;

static void restore_echo_and_die(int sig)
{
    if (echo_off)
        tcsetattr(0, TCSANOW, &echo_saved);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* prompt.DisableInputEcho: stdin must be a terminal. */
static int disable_echo(bt_err **err)
{
    struct termios t;
    if (tcgetattr(0, &t) < 0) {
        char text[128];
        return bt_err_set(err, BT_E_INVALID, "%s", bt_go_strerror(errno, text, sizeof(text)));
    }
    echo_saved = t;
    echo_off = 1;
    signal(SIGINT, restore_echo_and_die);
    signal(SIGTERM, restore_echo_and_die);
    t.c_lflag &= ~(tcflag_t)ECHO; /* moby/term's DisableEcho: only ECHO */
    tcsetattr(0, TCSANOW, &t);
    return 0;
}

static void restore_echo(void)
{
    tcsetattr(0, TCSANOW, &echo_saved);
    echo_off = 0;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
}

int berth_prompt_credentials(struct berth_cli *cli, const char *user, const char *password,
                             const char *default_user, const char *server, struct auth_config *out,
                             bt_err **err)
{
    bool hub = strcmp(server, AUTH_INDEX_SERVER) == 0;
    bt_autofree char *u = trim(user ? user : "");
    bt_autofree char *p = trim(password ? password : "");
    bt_autofree char *def = trim(default_user ? default_user : "");
    *out = (struct auth_config){0};
    if (!*u) {
        if (hub) {
            fprintf(cli->out, "%s\n", REGISTER_SUGGEST);
            if (berth_hints_enabled())
                fprintf(cli->out, "%s\n\n", PAT_SUGGEST);
        }
        bt_autofree char *msg =
                *def ? bt_xasprintf("Username (%s): ", def) : bt_xstrdup("Username: ");
        free(u);
        u = read_input(cli, msg);
        if (!*u) {
            free(u);
            u = bt_xstrdup(def);
        }
        if (!*u)
            return bt_err_set(err, BT_E_INVALID, "Error: Non-null Username Required");
    }
    if (!*p) {
        if (disable_echo(err) < 0)
            return -1;
        if (hub) {
            fflush(cli->out);
            berth_print_note(cli->err, "A Personal Access Token (PAT) can be used instead.\n"
                                       "To create a PAT, visit \x1b[4mhttps://app.docker.com/"
                                       "settings\x1b[0m\n\n");
        }
        free(p);
        p = read_input(cli, "Password: ");
        restore_echo();
        fputs("\n", cli->out);
        fflush(cli->out);
        if (!*p)
            return bt_err_set(err, BT_E_INVALID, "Error: Password Required");
    }
    out->username = bt_steal_ptr(&u);
    out->password = bt_steal_ptr(&p);
    out->server_address = bt_xstrdup(server);
    return 0;
}

/* RegistryAuthenticationPrivilegedFunc: after a 401, ask for credentials and make the header
 * of a second try. The docker CLI asks them for Docker Hub whatever the registry (it passes
 * Hub's key); berth asks for the registry of the image. */
static char *privileged_header(struct berth_cli *cli, const char *cmd, const struct bt_ref *ref,
                               bt_err **err)
{
    const char *key = auth_key(ref->domain);
    bool hub = strcmp(key, AUTH_INDEX_SERVER) == 0;
    bt_autofree char *server = hub ? bt_xstrdup(key) : auth_hostname(key);
    fprintf(cli->out, "\nLogin prior to %s:\n", cmd);
    fflush(cli->out);
    struct auth_config stored;
    bt_err *serr = NULL;
    if (berth_stored_auth(cli, server, &stored, NULL, &serr) < 0) {
        fprintf(cli->err, "Unable to retrieve stored credentials for %s, error: %s.\n", server,
                bt_err_msg(serr));
        bt_err_free(serr);
    }
    struct auth_config typed;
    int rc = berth_prompt_credentials(cli, NULL, NULL, stored.username, server, &typed, err);
    auth_config_clear(&stored);
    if (rc < 0)
        return NULL;
    bt_autofree char *value = auth_header(&typed);
    auth_config_clear(&typed);
    return bt_xasprintf("X-Registry-Auth: %s", value);
}

static int post_once(struct cl_client *c, const struct berth_registry_call *call,
                     const char *header, bt_err **err)
{
    const char *headers[] = {header, NULL};
    struct jsonmsg m = {.out = call->out, .aux = call->aux, .aux_arg = call->aux_arg};
    struct cl_request req = {.method = "POST",
                             .path = call->path,
                             .headers = headers,
                             .sink = jsonmsg_sink,
                             .sink_arg = &m};
    struct cl_response resp;
    if (cl_call(c, &req, &resp, err) < 0) {
        jsonmsg_finish(&m, NULL);
        return -1;
    }
    cl_response_clear(&resp);
    return jsonmsg_finish(&m, err);
}

int berth_registry_post(struct berth_cli *cli, struct cl_client *c,
                        const struct berth_registry_call *call, bt_err **err)
{
    bt_autofree char *header = berth_registry_header(cli, call->ref, err);
    if (!header)
        return -1;
    bt_err *first = NULL;
    if (post_once(c, call, header, &first) == 0)
        return 0;
    if (!call->privileged || !cl_err_is_daemon(first) || cl_err_kind(first) != BT_E_UNAUTHORIZED) {
        bt_err_move(err, &first);
        return -1;
    }
    bt_err_free(first);
    bt_autofree char *typed = privileged_header(cli, call->privileged, call->ref, err);
    if (!typed)
        return -1;
    return post_once(c, call, typed, err);
}

int berth_pull(struct berth_cli *cli, struct cl_client *c, const struct bt_ref *ref,
               const struct berth_pull_opts *o, bt_err **err)
{
    bt_autofree char *name = bt_ref_name(ref);
    bt_autofree char *en = berth_escape(name);
    bt_autostrbuf struct bt_strbuf path = BT_STRBUF_INIT;
    /* url.Values.Encode: the keys sorted */
    bt_strbuf_appendf(&path, "/images/create?fromImage=%s", en);
    if (o->platform && *o->platform) {
        bt_autofree char *lower = bt_xstrdup(o->platform);
        for (char *p = lower; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        berth_query(&path, "platform", lower);
    }
    if (!o->all_tags)
        berth_query(&path, "tag", ref->digest ? ref->digest : ref->tag ? ref->tag : "latest");
    struct berth_registry_call call = {.path = bt_strbuf_str(&path),
                                       .ref = ref,
                                       .out = o->out,
                                       .privileged = o->privileged ? "pull" : NULL};
    return berth_registry_post(cli, c, &call, err);
}
