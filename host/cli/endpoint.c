/* SPDX-License-Identifier: Apache-2.0 */
#include "host/cli/endpoint.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/context/context.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/fs/file.h"

#define DEFAULT_HOST "unix:///run/berth.sock"

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

const char *berth_default_config_dir(void)
{
    static char dir[4096];
    if (dir[0])
        return dir;
    const char *c = env("BERTH_CONFIG");
    if (c) {
        snprintf(dir, sizeof(dir), "%s", c);
        return dir;
    }
    const char *home = env("HOME");
    if (!home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : "/";
    }
    snprintf(dir, sizeof(dir), "%s/.berth", home);
    return dir;
}

const char *berth_default_cert(const char *file)
{
    static char paths[3][4096];
    int i = strcmp(file, "ca.pem") == 0 ? 0 : strcmp(file, "cert.pem") == 0 ? 1 : 2;
    const char *dir = env("DOCKER_CERT_PATH");
    snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir ? dir : berth_default_config_dir(), file);
    return paths[i];
}

static const char *config_dir(const struct berth_globals *g)
{
    return g->config_dir ? g->config_dir : berth_default_config_dir();
}

char *berth_context_name(const struct berth_globals *g)
{
    if (g->context)
        return bt_xstrdup(g->context);
    if ((g->hosts && g->hosts[0]) || env("BERTH_HOST") || env("DOCKER_HOST"))
        return bt_xstrdup(CTX_DEFAULT);
    const char *c = env("BERTH_CONTEXT");
    if (!c)
        c = env("DOCKER_CONTEXT");
    if (c)
        return bt_xstrdup(c);
    return ctx_current(config_dir(g));
}

int berth_default_endpoint(const struct berth_globals *g, struct cl_endpoint *ep, bt_err **err)
{
    if (g->hosts && g->hosts[0] && g->hosts[1])
        return bt_err_set(err, BT_E_INVALID,
                          "unable to resolve docker endpoint: Specify only one -H");
    const char *host = g->hosts && g->hosts[0] ? g->hosts[0] : NULL;
    if (!host)
        host = env("BERTH_HOST");
    if (!host)
        host = env("DOCKER_HOST");
    if (!host)
        host = DEFAULT_HOST;
    if (cl_endpoint_parse(host, g->tls, ep, err) < 0)
        return -1;
    if (!ep->tls)
        return 0;
    ep->tls_verify = g->tls_verify;
    ep->ca_file = bt_xstrdup(g->tls_ca_set ? g->tls_ca : berth_default_cert("ca.pem"));
    const char *cert = g->tls_cert_set ? g->tls_cert : berth_default_cert("cert.pem");
    const char *key = g->tls_key_set ? g->tls_key : berth_default_cert("key.pem");
    if (g->tls_cert_set || bt_path_exists(cert))
        ep->cert_file = bt_xstrdup(cert);
    if (g->tls_key_set || bt_path_exists(key))
        ep->key_file = bt_xstrdup(key);
    if (!ep->tls_verify && !g->tls_ca_set) {
        free(ep->ca_file);
        ep->ca_file = NULL;
    }
    return 0;
}

int berth_resolve_endpoint(const struct berth_globals *g, struct cl_endpoint *ep, bt_err **err)
{
    bt_autofree char *name = berth_context_name(g);
    if (strcmp(name, CTX_DEFAULT) == 0)
        return berth_default_endpoint(g, ep, err);
    struct ctx c;
    if (ctx_load(config_dir(g), name, &c, err) < 0)
        return bt_err_wrap(err, "unable to resolve docker endpoint");
    bool tls = c.ca || c.cert || c.key || c.skip_tls_verify;
    int rc = cl_endpoint_parse(c.host ? c.host : DEFAULT_HOST, tls, ep, err);
    if (rc == 0 && ep->tls) {
        ep->tls_verify = !c.skip_tls_verify;
        ep->ca_file = bt_xstrdup_or_null(c.ca);
        ep->cert_file = bt_xstrdup_or_null(c.cert);
        ep->key_file = bt_xstrdup_or_null(c.key);
    }
    ctx_clear(&c);
    return rc;
}
