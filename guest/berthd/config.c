/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/berthd/config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/base/cleanup.h"
#include "shared/base/strbuf.h"
#include "shared/flags/flags.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

#define DEFAULT_CONFIG_FILE "/etc/berth/daemon.json"
#define DEFAULT_HOST        "unix:///run/berth.sock"
/* dockerd's opts.DefaultTLSHost: where a TLS daemon listens when no -H is given */
#define DEFAULT_TLS_HOST "tcp://localhost:2376"

/* Settings that may come from the file: the flag's long name is the file's key. */
static const char *const file_keys[] = {"data-root",
                                        "exec-root",
                                        "hosts",
                                        "pidfile",
                                        "log-level",
                                        "log-file",
                                        "debug",
                                        "tls",
                                        "tlsverify",
                                        "tlscacert",
                                        "tlscert",
                                        "tlskey",
                                        "insecure-registries",
                                        "max-concurrent-downloads",
                                        "max-concurrent-uploads",
                                        "registry-certs-dir",
                                        NULL};

static bool known_key(const char *k)
{
    for (size_t i = 0; file_keys[i]; i++)
        if (strcmp(file_keys[i], k) == 0)
            return true;
    return false;
}

/* Keep s for the life of the configuration. */
static const char *own(struct daemon_config *c, char *s)
{
    bt_strv_push((char ***)&c->owned, s);
    free(s);
    char **owned = c->owned;
    return owned[bt_strv_len(owned) - 1];
}

/* "(from flag: x, from file: y)" renders values as dockerd does: lists in brackets */
static char *flag_value_text(const struct bt_flag *f)
{
    if (f->type == BT_FLAG_STRINGS) {
        struct bt_strbuf sb = BT_STRBUF_INIT;
        bt_strbuf_append_c(&sb, '[');
        const char **v = *(const char ***)f->value;
        for (size_t i = 0; v && v[i]; i++)
            bt_strbuf_appendf(&sb, "%s%s", i ? " " : "", v[i]);
        bt_strbuf_append_c(&sb, ']');
        return bt_strbuf_steal(&sb);
    }
    if (f->type == BT_FLAG_BOOL)
        return bt_xstrdup(*(bool *)f->value ? "true" : "false");
    return bt_xstrdup(*(const char **)f->value);
}

static char *json_value_text(const json_t *v)
{
    if (json_is_string(v))
        return bt_xstrdup(json_string_value(v));
    if (json_is_array(v)) {
        struct bt_strbuf sb = BT_STRBUF_INIT;
        bt_strbuf_append_c(&sb, '[');
        size_t i;
        json_t *e;
        json_array_foreach (v, i, e) {
            bt_strbuf_appendf(&sb, "%s%s", i ? " " : "",
                              json_is_string(e) ? json_string_value(e) : "?");
        }
        bt_strbuf_append_c(&sb, ']');
        return bt_strbuf_steal(&sb);
    }
    return bt_json_dumps(v);
}

/* Apply the file's settings; from_file[i] tells whether it set flags[i]. */
static int apply_file(struct daemon_config *c, struct bt_flag *flags, bool *from_file,
                      const char *path, bool explicit, bt_err **err)
{
    if (!bt_path_exists(path)) {
        if (explicit)
            return bt_err_set(err, BT_E_NOT_FOUND,
                              "unable to configure the Berth daemon with file %s: open %s: no "
                              "such file or directory",
                              path, path);
        return 0;
    }
    bt_autoptr(json_t) doc = bt_json_load_file(path, err);
    if (!doc)
        return bt_err_wrap(err, "unable to configure the Berth daemon with file %s", path);

    bt_autostrbuf struct bt_strbuf unknown = BT_STRBUF_INIT;
    bt_autostrbuf struct bt_strbuf both = BT_STRBUF_INIT;
    const char *key;
    json_t *val;
    json_object_foreach (doc, key, val) {
        if (!known_key(key)) {
            bt_strbuf_appendf(&unknown, "%s%s", unknown.len ? ", " : "", key);
            continue;
        }
        /* dockerd's daemon.json says "hosts" for the repeatable -H/--host */
        /* and "insecure-registries" for the repeatable --insecure-registry */
        const char *flag = strcmp(key, "hosts") == 0                 ? "host"
                           : strcmp(key, "insecure-registries") == 0 ? "insecure-registry"
                                                                     : key;
        struct bt_flag *f = NULL;
        for (struct bt_flag *g = flags; g->name; g++)
            if (strcmp(g->name, flag) == 0)
                f = g;
        from_file[f - flags] = true;
        if (f->changed) {
            bt_autofree char *a = flag_value_text(f);
            bt_autofree char *b = json_value_text(val);
            bt_strbuf_appendf(&both, "%s%s: (from flag: %s, from file: %s)", both.len ? ", " : "",
                              key, a, b);
            continue;
        }
        if (f->type == BT_FLAG_BOOL && json_is_boolean(val)) {
            *(bool *)f->value = json_is_true(val);
        } else if (f->type == BT_FLAG_INT && json_is_integer(val)) {
            *(int64_t *)f->value = json_integer_value(val);
        } else if (f->type == BT_FLAG_STRING && json_is_string(val)) {
            *(const char **)f->value = own(c, bt_xstrdup(json_string_value(val)));
        } else if (f->type == BT_FLAG_STRINGS && json_is_array(val)) {
            bt_autostrv char **v = bt_json_to_strv(val, err);
            if (!v)
                return bt_err_wrap(err, "unable to configure the Berth daemon with file %s: %s",
                                   path, key);
            const char **list = bt_xzalloc((bt_strv_len(v) + 1) * sizeof(char *));
            for (size_t i = 0; v[i]; i++) {
                bt_strv_push((char ***)&c->owned, v[i]);
                char **owned = c->owned;
                list[i] = owned[bt_strv_len(owned) - 1];
            }
            free(*(const char ***)f->value);
            *(const char ***)f->value = list;
        } else {
            return bt_err_set(err, BT_E_INVALID,
                              "unable to configure the Berth daemon with file %s: %s: wrong "
                              "type",
                              path, key);
        }
    }
    if (unknown.len)
        return bt_err_set(err, BT_E_INVALID,
                          "unable to configure the Berth daemon with file %s: the following "
                          "directives don't match any configuration option: %s",
                          path, unknown.buf);
    if (both.len)
        return bt_err_set(err, BT_E_INVALID,
                          "unable to configure the Berth daemon with file %s: the following "
                          "directives are specified both as a flag and in the configuration "
                          "file: %s",
                          path, both.buf);
    return 0;
}

/* dockerd's default for the TLS files: $DOCKER_CERT_PATH, else the docker CLI's configuration
 * directory ($DOCKER_CONFIG, else ~/.docker). */
static char *cert_dir(void)
{
    const char *d = getenv("DOCKER_CERT_PATH");
    if (d && *d)
        return bt_xstrdup(d);
    d = getenv("DOCKER_CONFIG");
    if (d && *d)
        return bt_xstrdup(d);
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : "/";
    }
    return bt_xasprintf("%s/.docker", home);
}

/* dockerd 28 (loadDaemonCliConfig, newAPIServerTLSConfig): any tlsverify, true or false,
 * turns TLS on; a tlsverify not given follows tls, so TLS verifies clients by default. */
static void settle_tls(struct daemon_config *c, bool tls_given, bool verify_given)
{
    if (verify_given)
        c->tls = true;
    else if (tls_given)
        c->tlsverify = c->tls;
    if (!c->tls)
        c->tlsverify = false;
}

int daemon_config_load(struct daemon_config *c, int argc, char **argv, bt_err **err)
{
    memset(c, 0, sizeof(*c));
    c->data_root = "/var/lib/berth";
    c->exec_root = "/run/berth";
    c->pidfile = "/run/berth.pid";
    c->log_level = "info";
    c->config_file = DEFAULT_CONFIG_FILE;
    c->max_downloads = 3;
    c->max_uploads = 5;
    c->registry_certs_dir = "/etc/berth/certs.d";
    bt_autofree char *certs = cert_dir();
    c->tlscacert = own(c, bt_xasprintf("%s/ca.pem", certs));
    c->tlscert = own(c, bt_xasprintf("%s/cert.pem", certs));
    c->tlskey = own(c, bt_xasprintf("%s/key.pem", certs));
    struct bt_flag flags[] = {
            {.name = "data-root",
             .type = BT_FLAG_STRING,
             .value = &c->data_root,
             .usage = "Root directory of persistent Berth state",
             .def_text = "/var/lib/berth"},
            {.name = "exec-root",
             .type = BT_FLAG_STRING,
             .value = &c->exec_root,
             .usage = "Root directory for execution state files",
             .def_text = "/run/berth"},
            {.name = "host",
             .shorthand = 'H',
             .type = BT_FLAG_STRINGS,
             .value = &c->hosts,
             .usage = "Daemon socket(s) to connect to (unix://PATH, tcp://HOST:PORT)",
             .def_text = "[" DEFAULT_HOST "]"},
            {.name = "pidfile",
             .shorthand = 'p',
             .type = BT_FLAG_STRING,
             .value = &c->pidfile,
             .usage = "Path to use for daemon PID file",
             .def_text = "/run/berth.pid"},
            {.name = "log-level",
             .shorthand = 'l',
             .type = BT_FLAG_STRING,
             .value = &c->log_level,
             .usage = "Set the logging level (\"debug\"|\"info\"|\"warn\"|\"error\"|\"fatal\")",
             .def_text = "info"},
            {.name = "log-file",
             .type = BT_FLAG_STRING,
             .value = &c->log_file,
             .usage = "Write the daemon's log to this file instead of stderr"},
            {.name = "bip",
             .type = BT_FLAG_STRING,
             .value = &c->bip,
             .usage = "Specify default-bridge IPv4 network",
             .def_text = "172.17.0.1/16"},
            {.name = "bridge",
             .shorthand = 'b',
             .type = BT_FLAG_STRING,
             .value = &c->bridge,
             .usage = "Attach containers to a network bridge (\"none\": no default bridge)"},
            {.name = "insecure-registry",
             .type = BT_FLAG_STRINGS,
             .value = &c->insecure_registries,
             .usage = "Enable insecure registry communication (host[:port] or CIDR)"},
            {.name = "max-concurrent-downloads",
             .type = BT_FLAG_INT,
             .value = &c->max_downloads,
             .usage = "Set the max concurrent downloads",
             .def_text = "3"},
            {.name = "max-concurrent-uploads",
             .type = BT_FLAG_INT,
             .value = &c->max_uploads,
             .usage = "Set the max concurrent uploads",
             .def_text = "5"},
            {.name = "registry-certs-dir",
             .type = BT_FLAG_STRING,
             .value = &c->registry_certs_dir,
             .usage = "Directory of per-registry TLS material (HOST:PORT/ca.crt, client.cert, "
                      "client.key)",
             .def_text = "/etc/berth/certs.d"},
            {.name = "config-file",
             .type = BT_FLAG_STRING,
             .value = &c->config_file,
             .usage = "Daemon configuration file",
             .def_text = DEFAULT_CONFIG_FILE},
            {.name = "debug",
             .shorthand = 'D',
             .type = BT_FLAG_BOOL,
             .value = &c->debug,
             .usage = "Enable debug mode"},
            {.name = "tls",
             .type = BT_FLAG_BOOL,
             .value = &c->tls,
             .usage = "Use TLS; implied by --tlsverify"},
            {.name = "tlscacert",
             .type = BT_FLAG_STRING,
             .value = &c->tlscacert,
             .usage = "Trust certs signed only by this CA",
             .def_text = c->tlscacert},
            {.name = "tlscert",
             .type = BT_FLAG_STRING,
             .value = &c->tlscert,
             .usage = "Path to TLS certificate file",
             .def_text = c->tlscert},
            {.name = "tlskey",
             .type = BT_FLAG_STRING,
             .value = &c->tlskey,
             .usage = "Path to TLS key file",
             .def_text = c->tlskey},
            {.name = "tlsverify",
             .type = BT_FLAG_BOOL,
             .value = &c->tlsverify,
             .usage = "Use TLS and verify the remote"},
            {.name = "version",
             .shorthand = 'v',
             .type = BT_FLAG_BOOL,
             .value = &c->version,
             .usage = "Print version information and quit"},
            {0},
    };
    struct bt_flagset fs = {
            .usage = "berthd [OPTIONS]\n        berthd COMMAND",
            .description = "The Berth engine: serves the Docker Engine API and runs containers.\n\n"
                           "Commands:\n"
                           "  dial-stdio  Proxy the stdio stream to the daemon connection (what "
                           "clients run over SSH)",
            .flags = flags,
            .interspersed = true,
    };
    int rc = bt_flags_parse(&fs, argc - 1, argv + 1, &c->args, err);
    if (rc < 0)
        return -1;
    if (rc == BT_FLAGS_HELP) {
        bt_flags_print_help(&fs, stdout);
        return CONFIG_HELP;
    }
    if (c->version)
        return CONFIG_OK;
    struct bt_flag *cf = bt_flags_find(&fs, "config-file");
    bool from_file[sizeof(flags) / sizeof(flags[0])] = {false};
    if (apply_file(c, flags, from_file, c->config_file, cf->changed, err) < 0)
        return -1;
    struct bt_flag *tls = bt_flags_find(&fs, "tls");
    struct bt_flag *verify = bt_flags_find(&fs, "tlsverify");
    settle_tls(c, tls->changed || from_file[tls - flags],
               verify->changed || from_file[verify - flags]);
    if (c->max_downloads < 1)
        return bt_err_set(err, BT_E_INVALID, "invalid max concurrent downloads: %lld",
                          (long long)c->max_downloads);
    if (c->max_uploads < 1)
        return bt_err_set(err, BT_E_INVALID, "invalid max concurrent uploads: %lld",
                          (long long)c->max_uploads);
    if (!c->hosts) {
        c->hosts = bt_xzalloc(2 * sizeof(char *));
        c->hosts[0] = c->tls ? DEFAULT_TLS_HOST : DEFAULT_HOST;
    }
    return CONFIG_OK;
}

void daemon_config_free(struct daemon_config *c)
{
    free(c->insecure_registries);
    free(c->hosts);
    free(c->args);
    bt_strv_free(c->owned);
}
