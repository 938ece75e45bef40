/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berthd: the engine. This file only wires the modules under guest/engine/ together: the
 * configuration, the daemon (data root, lock), the API server, and the signal loop. The
 * dial-stdio command is in dial-stdio.c.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth-version.h"
#include "guest/berthd/config.h"
#include "guest/berthd/dial-stdio.h"
#include "guest/engine/api/api.h"
#include "guest/engine/registry/registry.h"
#include "guest/engine/daemon/daemon.h"
#include "shared/base/cleanup.h"
#include "shared/base/log.h"

static int fail(const char *msg)
{
    fprintf(stderr, "%s\n", msg);
    return 1;
}

static int setup_logging(const struct daemon_config *c, bt_err **err)
{
    enum bt_log_level level;
    if (bt_log_parse_level(c->debug ? "debug" : c->log_level, &level, err) < 0)
        return -1;
    bt_log_set_level(level);
    if (c->log_file && bt_log_open_file(c->log_file, err) < 0)
        return -1;
    return 0;
}

/* Serve until SIGTERM, SIGINT or SIGQUIT. Signals are blocked in every thread (the mask is set
 * before any is created) and taken here with sigwait, so handlers never run inside library
 * code. */
/* The TLS material of the tcp:// hosts, read before anything else happens, as dockerd reads
 * it (newDaemonCLI, before the root check), so a wrong path fails at once. NULL without TLS. */
static int load_tls(const struct daemon_config *c, struct api_tls **out, bt_err **err)
{
    *out = NULL;
    if (!c->tls)
        return 0;
    struct api_tls_files f = {
            .ca = c->tlscacert, .cert = c->tlscert, .key = c->tlskey, .verify = c->tlsverify};
    *out = api_tls_load(&f, err);
    return *out ? 0 : bt_err_wrap(err, "invalid TLS configuration");
}

static int serve(struct daemon *d, const struct daemon_config *c, const struct api_tls *tls,
                 const sigset_t *sigs)
{
    struct api_daemon_info info = {.id = d->id,
                                   .data_root = d->data_root,
                                   .exec_root = d->exec_root,
                                   .debug = c->debug,
                                   .started = d->started};
    bt_autofree char *reg_state = bt_xasprintf("%s/registry", d->data_root);
    struct registry_opts ro = {.insecure = (char *const *)c->insecure_registries,
                               .certs_dir = c->registry_certs_dir,
                               .state_dir = reg_state,
                               .max_downloads = (int)c->max_downloads,
                               .max_uploads = (int)c->max_uploads};
    bt_autoerr bt_err *rerr = NULL;
    struct registry *registry = registry_new(&ro, &rerr);
    if (!registry) {
        bt_error("registry client: %s", bt_err_msg(rerr));
        return 1;
    }
    struct api_context ctx = {.images = d->images,
                              .containers = d->containers,
                              .volumes = d->volumes,
                              .networks = d->networks,
                              .registry = registry,
                              .info = &info};
    struct api_server *server = api_server_new(&ctx, api_routes);
    if (tls)
        api_server_use_tls(server, tls);
    bt_autoerr bt_err *err = NULL;
    for (size_t i = 0; c->hosts[i]; i++) {
        if (api_server_listen(server, c->hosts[i], &err) < 0) {
            bt_error("failed to load listeners: %s", bt_err_msg(err));
            api_server_free(server);
            registry_free(registry);
            return 1;
        }
    }
    bt_info("Daemon has completed initialization");
    for (;;) {
        int sig = 0;
        if (sigwait(sigs, &sig) != 0)
            continue;
        if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) {
            bt_info("Processing signal '%s'", strsignal(sig));
            break;
        }
    }
    api_server_free(server);
    registry_free(registry);
    /* Containers keep running: their monitors own them, and the next berthd adopts them. */
    bt_info("Daemon shutdown complete");
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc > 1 && strcmp(argv[1], "dial-stdio") == 0)
        return berthd_dial_stdio(argc - 1, argv + 1);
    struct daemon_config cfg;
    bt_autoerr bt_err *err = NULL;
    int rc = daemon_config_load(&cfg, argc, argv, &err);
    if (rc < 0) {
        /* dockerd's wording and status for a bad command line */
        fprintf(stderr, "%s\nSee 'berthd --help'.\n", bt_err_msg(err));
        daemon_config_free(&cfg);
        return 1;
    }
    if (rc == CONFIG_HELP || cfg.version) {
        if (cfg.version)
            printf("Berth version %s, build %s\n", BERTH_VERSION, BERTH_GIT_COMMIT);
        daemon_config_free(&cfg);
        return 0;
    }
    if (cfg.args[0]) {
        fprintf(stderr, "\"berthd\" accepts no arguments.\nSee 'berthd --help'.\n");
        daemon_config_free(&cfg);
        return 1;
    }
    if (setup_logging(&cfg, &err) < 0) {
        daemon_config_free(&cfg);
        return fail(bt_err_msg(err));
    }
    struct api_tls *tls = NULL;
    if (load_tls(&cfg, &tls, &err) < 0) {
        daemon_config_free(&cfg);
        return fail(bt_err_msg(err));
    }
    if (geteuid() != 0) {
        api_tls_free(tls);
        daemon_config_free(&cfg);
        return fail("berthd needs to be started with root privileges");
    }
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGQUIT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    bt_info("Starting up");
    struct daemon_paths paths = {.data_root = cfg.data_root,
                                 .exec_root = cfg.exec_root,
                                 .pidfile = cfg.pidfile,
                                 .bip = cfg.bip,
                                 .no_bridge = cfg.bridge && strcmp(cfg.bridge, "none") == 0};
    struct daemon *d = daemon_open(&paths, &err);
    if (!d) {
        bt_error("%s", bt_err_msg(err));
        api_tls_free(tls);
        daemon_config_free(&cfg);
        return 1;
    }
    rc = serve(d, &cfg, tls, &sigs);
    daemon_close(d);
    api_tls_free(tls);
    daemon_config_free(&cfg);
    return rc;
}
