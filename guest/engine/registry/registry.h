/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * berthd's registry client: docker pull, push and login against any Docker Registry HTTP API v2
 * server (libcurl), feeding and reading the image store. Design in docs/internals/registry.md.
 *
 * Endpoints: https with the system's CAs, plus a registry's own under
 * <certs_dir>/<host:port>/ (ca.crt, client.cert, client.key, as dockerd's certs.d); plain
 * http for insecure registries (127.0.0.0/8, localhost, the insecure list, the engine's own
 * addresses), tried after https as dockerd does. Auth: the registry's WWW-Authenticate
 * challenge, Bearer (a token from the realm, with the client's credentials when it gave any)
 * or Basic.
 *
 * Progress goes to a callback as Docker's JSON messages (status, id, progressDetail), so the
 * docker CLI draws its bars. Thread safety: a registry may be used by many pulls and pushes at
 * once; each pull or push is one thread's, and runs its own workers.
 */
#include <jansson.h>
#include <stdbool.h>

#include "guest/engine/image/image.h"
#include "guest/engine/registry/parse.h"
#include "shared/base/err.h"

struct registry_opts {
    char *const *insecure; /* "host:port", "host" or CIDRs (NULL-terminated, optional) */
    const char *certs_dir; /* NULL: /etc/berth/certs.d */
    const char *state_dir; /* downloads kept across restarts (<data-root>/registry) */
    int max_downloads;     /* 0: 3 */
    int max_uploads;       /* 0: 5 */
};

struct registry;

struct registry *registry_new(const struct registry_opts *o, bt_err **err);
void registry_free(struct registry *r);

/* One progress message (a JSON object in Docker's shape); called from several threads, one at
 * a time. */
typedef void (*registry_msg_fn)(const json_t *msg, void *ctx);

struct registry_pull;

/* Resolve what a pull of image (a reference; tag: the API's separate tag or digest, may be
 * NULL) means: the manifest (an index resolved to linux/amd64) and the image's config, fetched
 * and verified. Errors here are the API's answer (not found, unauthorized, bad reference),
 * before any progress. */
struct registry_pull *registry_pull_prepare(struct registry *r, struct image_store *s,
                                            const char *image, const char *tag,
                                            const struct reg_auth *auth, bt_err **err);
/* Download what the store lacks (max_downloads at a time), unpack, store, tag. Returns the
 * image ID. */
char *registry_pull_run(struct registry_pull *p, registry_msg_fn msg, void *ctx, bt_err **err);
void registry_pull_free(struct registry_pull *p);

/* The tags of repository image (no tag nor digest), sorted: what `docker pull -a` pulls. */
int registry_tags(struct registry *r, const char *image, const struct reg_auth *auth, char ***tags,
                  bt_err **err);

struct registry_push;

/* A push of name (tag: the API's; NULL or "": every tag of the repository). Errors: "An image
 * does not exist locally with the tag: x", "tag does not exist: x". */
struct registry_push *registry_push_prepare(struct registry *r, struct image_store *s,
                                            const char *name, const char *tag,
                                            const struct reg_auth *auth, bt_err **err);
int registry_push_run(struct registry_push *p, registry_msg_fn msg, void *ctx, bt_err **err);
void registry_push_free(struct registry_push *p);

/* docker login: check auth against the registry at server ("host[:port]", a URL, or NULL/""
 * for Docker Hub). On success *status is "Login Succeeded" and *identity_token an OAuth
 * refresh token or "" (both the caller's). Errors in Docker's words (401: "login attempt to
 * <url> failed with status: 401 Unauthorized", or the token server's). */
int registry_login(struct registry *r, const struct reg_auth *auth, char **status,
                   char **identity_token, bt_err **err);
