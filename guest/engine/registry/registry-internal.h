/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/* Inside the registry client: sessions with one registry, requests, progress messages. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>

#include "guest/engine/registry/registry.h"
#include "shared/base/strbuf.h"
#include "shared/crypto/digest.h"
#include "shared/reference/reference.h"

struct registry {
    char **insecure;
    char *certs_dir;
    char *state_dir;
    int max_downloads;
    int max_uploads;
};

/* One registry host, one repository scope, one set of credentials; shared by a pull's or a
 * push's workers (each with its own CURL handle). */
struct reg_session {
    struct registry *r;
    char *host; /* "127.0.0.1:5000", "registry-1.docker.io" */
    char *base; /* "https://<host>" or "http://<host>", once pinged */
    bool insecure;
    char *ca_file, *cert_file, *key_file; /* from certs.d/<host>/, NULL when absent */
    char *scope;                          /* "repository:<path>:pull[,push]" */
    struct reg_auth auth;
    pthread_mutex_t mu;
    char *authz; /* the Authorization header's value once known */
};

struct reg_req {
    const char *method;
    const char *url; /* absolute, or a path ("/v2/...") on the session's base */
    const char *accept;
    const char *content_type;
    const char *content_range; /* "first-last" of a chunk (PATCH), or NULL */
    const void *data;          /* a body in memory */
    size_t len;
    int body_fd; /* or a body read from a file (body_len bytes from body_off); -1 */
    int64_t body_off, body_len;
    int out_fd;             /* the response body to this file; -1: to resp.body (up to max_body) */
    struct bt_sha256 *hash; /* hash what goes to out_fd (optional) */
    size_t max_body;
    void (*progress)(void *arg, int64_t now, int64_t total);
    void *progress_arg;
    bool no_auth; /* a request to somewhere that must not see the registry's credentials */
};

struct reg_resp {
    long status;
    char *location, *digest, *content_type, *www_auth, *range;
    int64_t content_length;
    struct bt_strbuf body;
};

void reg_resp_clear(struct reg_resp *r);

/* Open a session for repository path (e.g. "team/app") on host, for actions "pull" or
 * "pull,push"; pings /v2/ to find the scheme (https, then http for an insecure registry) and
 * the auth challenge. */
struct reg_session *reg_session_open(struct registry *r, const char *host, const char *path,
                                     const char *actions, const struct reg_auth *auth,
                                     bt_err **err);
void reg_session_close(struct reg_session *s);

CURL *reg_curl(void);
/* Perform q with credentials: a 401 is answered once with what its challenge asks for. The
 * status is the caller's to judge; transport failures are errors ("Get \"url\": ..."). */
int reg_do(struct reg_session *s, CURL *c, const struct reg_req *q, struct reg_resp *resp,
           bt_err **err);
/* The error of an unexpected answer, in Docker's words where the body has a registry error. */
int reg_status_error(const struct reg_req *q, const struct reg_resp *resp, int code_hint,
                     bt_err **err);

/* The registry host of a normalised reference name (docker.io: registry-1.docker.io) and the
 * repository path. */
void reg_split_name(const char *name, char **host, char **path);

/* ---- workers and small helpers (jobs.c) ---- */

/* How many workers for todo jobs: max (at least 1), no more than todo, nor than 16. */
size_t reg_workers(int max, size_t todo);
/* job(ctx, curl, i) for each i in [0, n) that skip(ctx, i) (optional) does not pass over, on
 * nworkers threads, each with a CURL handle of its own (on this thread when none starts). The
 * first error stops the handing out of indexes and is the result. */
int reg_run_jobs(size_t n, size_t nworkers, bool (*skip)(void *, size_t),
                 int (*job)(void *, CURL *, size_t, bt_err **), void *ctx, bt_err **err);
/* The first 12 hex digits of "sha256:<hex>": the id of docker's progress lines */
const char *reg_short_id(const char *digest, char out[13]);
/* A Location the registry answered, made absolute on the session's base */
char *reg_abs_url(const struct reg_session *s, const char *location);

/* ---- where blobs are (sources.c) ---- */

/* Remember that repository host/path has the blob. */
void reg_source_add(const struct registry *r, const char *digest, const char *host,
                    const char *path);
/* The repositories on host, other than except_path, known to have the blob (NULL-terminated,
 * newest first). */
char **reg_sources_on(const struct registry *r, const char *digest, const char *host,
                      const char *except_path);

/* ---- messages ---- */

struct reg_out {
    registry_msg_fn fn;
    void *ctx;
    pthread_mutex_t mu;
};

void reg_out_status(struct reg_out *o, const char *id, const char *status);
/* "Downloading"/"Pushing"/"Extracting" with progressDetail and the progress bar text */
void reg_out_progress(struct reg_out *o, const char *id, const char *status, int64_t current,
                      int64_t total);
void reg_out_json(struct reg_out *o, json_t *msg); /* steals msg */
