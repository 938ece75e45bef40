/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Contexts: named engines a user switches between (the VM, a remote host, the local engine),
 * stored the way the docker CLI stores them, under the config directory (~/.berth):
 *
 *   contexts/meta/<sha256 of the name>/meta.json
 *       {"Name": "...", "Metadata": {"Description": "..."},
 *        "Endpoints": {"docker": {"Host": "tcp://...", "SkipTLSVerify": false}}}
 *   contexts/tls/<sha256 of the name>/docker/{ca,cert,key}.pem
 *   config.json: {"currentContext": "name"}   (absent: "default")
 *
 * "default" is not stored: it is whatever -H, BERTH_HOST or DOCKER_HOST and the TLS flags say.
 * Names follow docker's rule: ^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$.
 */
#include <stdbool.h>
#include <stddef.h>

#include "shared/base/err.h"

#define CTX_DEFAULT "default"

struct ctx {
    char *name;
    char *description;
    char *host;           /* the docker endpoint's Host */
    bool skip_tls_verify; /* SkipTLSVerify */
    /* paths of the stored TLS files, NULL when absent */
    char *ca, *cert, *key;
};

void ctx_clear(struct ctx *c);

/* Docker's name check ("context name %q is invalid, names are validated against regexp %q"). */
int ctx_validate_name(const char *name, bt_err **err);

/* Load a stored context: BT_E_NOT_FOUND "context \"x\": context not found: ..." when absent. */
int ctx_load(const char *config_dir, const char *name, struct ctx *out, bt_err **err);

/* Where a context's metadata (kind "meta") or TLS files (kind "tls") live: the store's
 * directory named by the SHA-256 of the name, as docker's. The caller frees. */
char *ctx_store_dir(const char *config_dir, const char *kind, const char *name);

/* All stored contexts, sorted by name. */
int ctx_list(const char *config_dir, struct ctx **out, size_t *n, bt_err **err);
void ctx_list_free(struct ctx *list, size_t n);

/* Store a new context (BT_E_CONFLICT "context \"x\" already exists"); the TLS files named by
 * ca/cert/key (paths, any may be NULL) are copied into the store. */
int ctx_create(const char *config_dir, const struct ctx *c, bt_err **err);

/* Remove a stored context and its TLS files. */
int ctx_remove(const char *config_dir, const char *name, bt_err **err);

/* The current context's name from config.json (CTX_DEFAULT when unset); the caller frees. */
char *ctx_current(const char *config_dir);
/* Make name current (CTX_DEFAULT clears it). Keeps config.json's other keys. */
int ctx_set_current(const char *config_dir, const char *name, bt_err **err);
