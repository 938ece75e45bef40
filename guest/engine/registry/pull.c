/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker pull: the manifest (an index resolved to linux/amd64) and the config first, verified;
 * then the layers the store lacks, max_downloads at a time, each verified against its digest
 * while it streams to a file under <state_dir>/downloads/ and unpacked by the worker that
 * downloaded it; the store takes it all at the end (image_pull_commit()). A verified download
 * stays until the pull is stored, so a pull interrupted (berthd killed) and run again skips
 * it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/engine/events/events.h"
#include "guest/engine/registry/registry-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

#define MANIFEST_ACCEPT \
    REG_MT_DOCKER_MANIFEST ", " REG_MT_DOCKER_LIST ", " REG_MT_OCI_MANIFEST ", " REG_MT_OCI_INDEX
#define MAX_MANIFEST (4 << 20)

struct registry_pull {
    struct registry *r;
    struct image_store *s;
    struct reg_session *sess;
    char *name;       /* normalised repository name: "127.0.0.1:5000/a" */
    char *path;       /* the repository on its registry: "a" */
    char *tag_ref;    /* "127.0.0.1:5000/a:latest", NULL for a pull by digest */
    char *digest_ref; /* "127.0.0.1:5000/a@sha256:<manifest>" */
    char *shown;      /* the reference as the status lines show it */
    char *familiar;   /* the repository as messages name it */
    char *tag_or_digest;
    char manifest_digest[BT_DIGEST_STR_SIZE];
    struct reg_manifest m;
    struct image_pull *ip;
    struct reg_out out;
};

static int get_manifest(struct registry_pull *p, CURL *c, const char *ref, struct bt_strbuf *body,
                        char **ctype, char digest[BT_DIGEST_STR_SIZE], bt_err **err)
{
    bt_autofree char *url = bt_xasprintf("/v2/%s/manifests/%s", p->path, ref);
    struct reg_req q = {.method = "GET",
                        .url = url,
                        .accept = MANIFEST_ACCEPT,
                        .body_fd = -1,
                        .out_fd = -1,
                        .max_body = MAX_MANIFEST};
    struct reg_resp resp = {0};
    if (reg_do(p->sess, c, &q, &resp, err) < 0)
        return -1;
    if (resp.status != 200) {
        bt_autoerr bt_err *e = NULL;
        reg_status_error(&q, &resp, 0, &e);
        if (resp.status == 404)
            bt_err_set(err, BT_E_NOT_FOUND, "manifest for %s not found: %s", p->shown,
                       bt_err_msg(e));
        else if (resp.status == 401 || resp.status == 403)
            /* dockerd calls this "not found" (the repository may not exist): a 401 would have
             * the docker CLI ask for a password on its terminal */
            bt_err_set(err, BT_E_NOT_FOUND,
                       "pull access denied for %s, repository does not exist or may require "
                       "'docker login': %s",
                       p->familiar, bt_err_msg(e));
        else
            bt_err_move(err, &e);
        reg_resp_clear(&resp);
        return -1;
    }
    bt_sha256_digest(resp.body.buf ? resp.body.buf : "", resp.body.len, digest);
    if (strncmp(ref, "sha256:", 7) == 0 && strcmp(ref, digest) != 0) {
        bt_err_set(err, BT_E_CORRUPT, "manifest verification failed for digest %s", ref);
        reg_resp_clear(&resp);
        return -1;
    }
    *ctype = bt_xstrdup_or_null(resp.content_type);
    bt_strbuf_append_n(body, resp.body.buf ? resp.body.buf : "", resp.body.len);
    reg_resp_clear(&resp);
    return 0;
}

static int get_blob_mem(struct registry_pull *p, CURL *c, const struct reg_descriptor *d,
                        struct bt_strbuf *out, bt_err **err)
{
    bt_autofree char *url = bt_xasprintf("/v2/%s/blobs/%s", p->path, d->digest);
    struct reg_req q = {
            .method = "GET", .url = url, .body_fd = -1, .out_fd = -1, .max_body = MAX_MANIFEST * 2};
    struct reg_resp resp = {0};
    if (reg_do(p->sess, c, &q, &resp, err) < 0)
        return -1;
    int rc = 0;
    if (resp.status != 200) {
        rc = reg_status_error(&q, &resp, 0, err);
    } else {
        char got[BT_DIGEST_STR_SIZE];
        bt_sha256_digest(resp.body.buf ? resp.body.buf : "", resp.body.len, got);
        if (strcmp(got, d->digest) != 0)
            rc = bt_err_set(err, BT_E_CORRUPT, "digest mismatch for %s: got %s", d->digest, got);
        else
            bt_strbuf_append_n(out, resp.body.buf, resp.body.len);
    }
    reg_resp_clear(&resp);
    return rc;
}

/* reg_manifest_parse(), with docker 28's words for a schema 1 image naming the reference */
static int parse_manifest(struct registry_pull *p, const struct bt_ref *ref,
                          const struct bt_strbuf *body, const char *ctype, bt_err **err)
{
    bt_autoerr bt_err *e = NULL;
    if (reg_manifest_parse(body->buf ? body->buf : "", body->len, ctype, &p->m, &e) == 0)
        return 0;
    if (strncmp(bt_err_msg(e), REG_SCHEMA1_REMOVED, strlen(REG_SCHEMA1_REMOVED)) == 0) {
        bt_autofree char *full = bt_ref_string(ref);
        bt_autofree char *msg = reg_schema1_message(full);
        return bt_err_set(err, BT_E_INVALID, "%s", msg);
    }
    bt_err_move(err, &e);
    return -1;
}

struct registry_pull *registry_pull_prepare(struct registry *r, struct image_store *s,
                                            const char *image, const char *tag,
                                            const struct reg_auth *auth, bt_err **err)
{
    bt_autofree char *full = NULL;
    if (tag && *tag)
        full = bt_xasprintf("%s%s%s", image, strncmp(tag, "sha256:", 7) == 0 ? "@" : ":", tag);
    else
        full = bt_xstrdup(image);
    bt_autoptr(bt_ref) ref = bt_ref_parse_docker(full, err);
    if (!ref)
        return NULL;
    bt_autostrbuf struct bt_strbuf body = BT_STRBUF_INIT;
    bt_autostrbuf struct bt_strbuf config = BT_STRBUF_INIT;
    bt_autofree char *ctype = NULL;
    bt_autofree char *host = NULL;
    struct registry_pull *p = bt_xzalloc(sizeof(*p));
    pthread_mutex_init(&p->out.mu, NULL);
    p->r = r;
    p->s = s;
    p->name = bt_ref_name(ref);
    p->familiar = bt_ref_familiar_name(ref);
    if (!ref->digest && !ref->tag)
        bt_ref_set_tag(ref, "latest", NULL);
    reg_split_name(p->name, &host, &p->path);
    p->shown = bt_ref_familiar_string(ref);
    p->tag_or_digest = bt_xstrdup(ref->digest ? ref->digest : ref->tag);
    if (!ref->digest)
        p->tag_ref = bt_xasprintf("%s:%s", p->name, ref->tag);
    p->sess = reg_session_open(r, host, p->path, "pull", auth, err);
    if (!p->sess)
        goto fail;
    CURL *c = reg_curl();
    int rc = get_manifest(p, c, p->tag_or_digest, &body, &ctype, p->manifest_digest, err);
    if (rc == 0)
        rc = parse_manifest(p, ref, &body, ctype, err);
    if (rc == 0 && p->m.kind == REG_INDEX) {
        const struct reg_descriptor *d = reg_index_pick(&p->m, "linux", "amd64", NULL);
        if (!d) {
            rc = bt_err_set(err, BT_E_NOT_FOUND,
                            "no matching manifest for linux/amd64 in the manifest list entries");
        } else {
            bt_autofree char *want = bt_xstrdup(d->digest);
            bt_strbuf_free(&body);
            free(ctype);
            ctype = NULL;
            char dg[BT_DIGEST_STR_SIZE];
            reg_manifest_clear(&p->m);
            rc = get_manifest(p, c, want, &body, &ctype, dg, err);
            if (rc == 0)
                rc = parse_manifest(p, ref, &body, ctype, err);
            if (rc == 0 && p->m.kind != REG_IMAGE)
                rc = bt_err_set(err, BT_E_INVALID, "an index's entry %s is not an image", want);
        }
    }
    if (rc == 0)
        rc = get_blob_mem(p, c, &p->m.config, &config, err);
    curl_easy_cleanup(c);
    if (rc < 0)
        goto fail;
    p->digest_ref = bt_xasprintf("%s@%s", p->name, p->manifest_digest);
    p->ip = image_pull_begin(s, config.buf, config.len, p->m.nlayers, err);
    if (!p->ip)
        goto fail;
    return p;
fail:
    registry_pull_free(p);
    return NULL;
}

/* ---- downloading ---- */

struct dl {
    struct registry_pull *p;
    size_t i;
    char id[13];
    int64_t last_report;
    int64_t total;
};

static void dl_progress(void *arg, int64_t now, int64_t total)
{
    struct dl *d = arg;
    if (total <= 0)
        total = d->total;
    if (now <= 0 || (now - d->last_report < (512 << 10) && now != total) || d->last_report == now)
        return;
    d->last_report = now;
    reg_out_progress(&d->p->out, d->id, "Downloading", now, total > 0 ? total : d->total);
}

static char *downloads_dir(const struct registry *r)
{
    return r->state_dir ? bt_xasprintf("%s/downloads", r->state_dir) : NULL;
}

static int verify_file(const char *path, const char *digest)
{
    bt_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
    char got[BT_DIGEST_STR_SIZE];
    return fd >= 0 && bt_sha256_fd(fd, got, NULL) == 0 && strcmp(got, digest) == 0 ? 0 : -1;
}

static int download(struct registry_pull *p, CURL *c, size_t i, bt_err **err)
{
    const struct reg_descriptor *d = &p->m.layers[i];
    struct dl st = {.p = p, .i = i, .total = d->size};
    reg_short_id(d->digest, st.id);
    bt_autofree char *dir = downloads_dir(p->r);
    if (!dir)
        dir = bt_xstrdup("/tmp");
    if (bt_mkdir_p(dir, 0700, err) < 0)
        return -1;
    const char *hex = strchr(d->digest, ':') + 1;
    bt_autofree char *done = bt_xasprintf("%s/%s", dir, hex);
    if (verify_file(done, d->digest) == 0) {
        reg_out_status(&p->out, st.id, "Download complete");
    } else {
        bt_autofree char *part = bt_xasprintf("%s/%s.partial", dir, hex);
        bt_autoclose int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
            return bt_err_errno(err, errno, "create %s", part);
        bt_autoptr(bt_sha256) h = bt_sha256_new();
        bt_autofree char *url = bt_xasprintf("/v2/%s/blobs/%s", p->path, d->digest);
        struct reg_req q = {.method = "GET",
                            .url = url,
                            .body_fd = -1,
                            .out_fd = fd,
                            .hash = h,
                            .progress = dl_progress,
                            .progress_arg = &st};
        struct reg_resp resp = {0};
        int rc = reg_do(p->sess, c, &q, &resp, err);
        if (rc == 0 && resp.status != 200)
            rc = reg_status_error(&q, &resp, 0, err);
        reg_resp_clear(&resp);
        if (rc < 0) {
            unlink(part);
            return -1;
        }
        reg_out_status(&p->out, st.id, "Verifying Checksum");
        char got[BT_DIGEST_STR_SIZE];
        bt_sha256_final(h, got);
        if (strcmp(got, d->digest) != 0) {
            unlink(part);
            return bt_err_set(err, BT_E_CORRUPT,
                              "filesystem layer verification failed for digest %s", d->digest);
        }
        /* no fsync here: the store syncs the blob when it stages the layer (a hard link of this
         * file), and a download kept across a crash is hashed again before it is used */
        if (rename(part, done) < 0) {
            unlink(part);
            return bt_err_errno(err, errno, "keep the download of %s", d->digest);
        }
        reg_out_status(&p->out, st.id, "Download complete");
    }
    if (image_pull_add_layer(p->ip, i, done, d->media_type, err) < 0)
        return -1;
    /* one step, unpacked as it is read: its end is the progress there is to show */
    reg_out_progress(&p->out, st.id, "Extracting", d->size, d->size);
    reg_out_status(&p->out, st.id, "Pull complete");
    return 0;
}

static bool present(void *ctx, size_t i)
{
    struct registry_pull *p = ctx;
    return image_pull_layer_present(p->ip, i);
}

static int download_job(void *ctx, CURL *c, size_t i, bt_err **err)
{
    return download(ctx, c, i, err);
}

char *registry_pull_run(struct registry_pull *p, registry_msg_fn msg, void *ctx, bt_err **err)
{
    p->out.fn = msg;
    p->out.ctx = ctx;
    bt_autofree char *from = bt_xasprintf("Pulling from %s", p->path);
    reg_out_status(&p->out, p->tag_or_digest, from);
    size_t missing = 0;
    for (size_t i = 0; i < p->m.nlayers; i++) {
        char id[13];
        reg_short_id(p->m.layers[i].digest, id);
        bool present = image_pull_layer_present(p->ip, i);
        reg_out_status(&p->out, id, present ? "Already exists" : "Pulling fs layer");
        missing += !present;
    }
    size_t nworkers = reg_workers(p->r->max_downloads, missing);
    for (size_t i = 0; i < p->m.nlayers && missing > nworkers; i++) {
        /* docker shows the ones beyond the first few as waiting */
        char id[13];
        if (!image_pull_layer_present(p->ip, i))
            reg_out_status(&p->out, reg_short_id(p->m.layers[i].digest, id), "Waiting");
    }
    if (reg_run_jobs(p->m.nlayers, nworkers, present, download_job, p, err) < 0)
        return NULL;
    bool updated = false;
    char *id = image_pull_commit(p->ip, p->tag_ref, p->digest_ref, &updated, err);
    if (!id)
        return NULL;
    for (size_t i = 0; i < p->m.nlayers; i++)
        reg_source_add(p->r, p->m.layers[i].digest, p->sess->host, p->path);
    /* stored: the downloads have served */
    bt_autofree char *dir = downloads_dir(p->r);
    for (size_t i = 0; dir && i < p->m.nlayers; i++) {
        bt_autofree char *f = bt_xasprintf("%s/%s", dir, strchr(p->m.layers[i].digest, ':') + 1);
        unlink(f);
    }
    bt_autofree char *dg = bt_xasprintf("Digest: %s", p->manifest_digest);
    reg_out_status(&p->out, NULL, dg);
    bt_autofree char *st =
            bt_xasprintf("Status: %s for %s",
                         updated ? "Downloaded newer image" : "Image is up to date", p->shown);
    reg_out_status(&p->out, NULL, st);
    events_emit("image", "pull", p->shown, (const char *const[]){"name", p->familiar, NULL});
    return id;
}

void registry_pull_free(struct registry_pull *p)
{
    if (!p)
        return;
    image_pull_free(p->ip);
    reg_manifest_clear(&p->m);
    reg_session_close(p->sess);
    pthread_mutex_destroy(&p->out.mu);
    free(p->name);
    free(p->path);
    free(p->tag_ref);
    free(p->digest_ref);
    free(p->shown);
    free(p->familiar);
    free(p->tag_or_digest);
    free(p);
}

/* ---- the tags of a repository (pull -a) ---- */

int registry_tags(struct registry *r, const char *image, const struct reg_auth *auth, char ***tags,
                  bt_err **err)
{
    bt_autoptr(bt_ref) ref = bt_ref_parse(image, err);
    if (!ref)
        return -1;
    if (ref->tag || ref->digest)
        return bt_err_set(err, BT_E_INVALID, "tag can't be used with --all-tags/-a");
    bt_autofree char *name = bt_ref_name(ref);
    bt_autofree char *host = NULL;
    bt_autofree char *path = NULL;
    reg_split_name(name, &host, &path);
    struct reg_session *s = reg_session_open(r, host, path, "pull", auth, err);
    if (!s)
        return -1;
    CURL *c = reg_curl();
    bt_autofree char *url = bt_xasprintf("/v2/%s/tags/list", path);
    struct reg_req q = {
            .method = "GET", .url = url, .body_fd = -1, .out_fd = -1, .max_body = 8 << 20};
    struct reg_resp resp = {0};
    int rc = reg_do(s, c, &q, &resp, err);
    if (rc == 0 && resp.status != 200)
        rc = reg_status_error(&q, &resp, 0, err);
    bt_autoptr(json_t) doc = NULL;
    if (rc == 0 &&
        !(doc = bt_json_parse_object(resp.body.buf ? resp.body.buf : "", resp.body.len, err)))
        rc = -1;
    if (rc == 0) {
        *tags = bt_xzalloc(sizeof(char *));
        size_t i;
        json_t *t;
        json_array_foreach (bt_json_get_arr(doc, "tags"), i, t)
            if (json_is_string(t))
                bt_strv_push(tags, json_string_value(t));
        qsort(*tags, bt_strv_len(*tags), sizeof(char *), bt_strp_cmp);
    }
    reg_resp_clear(&resp);
    curl_easy_cleanup(c);
    reg_session_close(s);
    return rc;
}
