/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Which engine a command talks to, decided as the docker CLI decides it:
 *   1. --context NAME (with -H as well: "conflicting options: cannot specify both --host and
 *      --context");
 *   2. -H HOST (only one: "Specify only one -H");
 *   3. BERTH_HOST, then DOCKER_HOST;
 *   4. BERTH_CONTEXT, then DOCKER_CONTEXT;
 *   5. the current context of the config file (`berth context use`);
 *   6. the default: unix:///run/berth.sock.
 * Hosts 1-3 and 6 are the "default" context, with TLS from --tls/--tlsverify (or DOCKER_TLS,
 * DOCKER_TLS_VERIFY) and certificates from --tlscacert/--tlscert/--tlskey, defaulting to
 * DOCKER_CERT_PATH or the config directory ({ca,cert,key}.pem; cert and key are dropped when the
 * default files are missing, as docker does).
 */
#include "host/cli/commands.h"
#include "host/client/client.h"

/* $BERTH_CONFIG, or ~/.berth. */
const char *berth_default_config_dir(void);
/* The default path of a certificate file: $DOCKER_CERT_PATH/file, else <config dir>/file. */
const char *berth_default_cert(const char *file);

/* The name of the context in use (see above), "default" for the flags and the environment. */
char *berth_context_name(const struct berth_globals *g);

/* The "default" context's endpoint: flags and environment only. */
int berth_default_endpoint(const struct berth_globals *g, struct cl_endpoint *ep, bt_err **err);

int berth_resolve_endpoint(const struct berth_globals *g, struct cl_endpoint *ep, bt_err **err);
