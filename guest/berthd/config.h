/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * berthd's configuration: command-line flags in dockerd's words, and the JSON configuration
 * file (--config-file, default /etc/berth/daemon.json) with the same keys, as dockerd's
 * daemon.json has them. A setting given both ways is an error, as in dockerd.
 *
 * TLS, as dockerd 28 settles it: --tlsverify given at all (even =false) turns TLS on; TLS
 * without a --tlsverify verifies clients (tls: true alone is mutual TLS); --tlscacert,
 * --tlscert and --tlskey default to ca.pem, cert.pem and key.pem in $DOCKER_CERT_PATH, else
 * in $DOCKER_CONFIG or ~/.docker (the docker CLI's config directory). With TLS and no -H the
 * host is tcp://localhost:2376.
 */
#include <stdbool.h>
#include <stdint.h>

#include "shared/base/err.h"

struct daemon_config {
    const char *data_root;
    const char *exec_root;
    const char **hosts; /* NULL-terminated */
    const char *pidfile;
    const char *log_level;
    const char *log_file;
    const char *config_file;
    const char *bip;    /* the default bridge's address/prefix, or NULL (172.17.0.1/16) */
    const char *bridge; /* "none": no default bridge; otherwise NULL */
    const char **insecure_registries; /* NULL-terminated, or NULL */
    int64_t max_downloads, max_uploads;
    const char *registry_certs_dir;
    bool debug;
    bool version;
    /* TLS for tcp:// hosts, settled as dockerd 28 does (see daemon_config_load): */
    bool tls;       /* serve tcp:// with TLS */
    bool tlsverify; /* and require client certificates signed by tlscacert */
    const char *tlscacert;
    const char *tlscert;
    const char *tlskey;
    /* positional arguments */
    char **args;
    /* storage for strings read from the file */
    void *owned;
};

enum { CONFIG_OK = 0, CONFIG_HELP = 1 };

/* Parse argv and the configuration file. Returns CONFIG_OK, CONFIG_HELP (help printed), or
 * -1 with err (the caller prints it and exits 1, as dockerd does). */
int daemon_config_load(struct daemon_config *c, int argc, char **argv, bt_err **err);
void daemon_config_free(struct daemon_config *c);
