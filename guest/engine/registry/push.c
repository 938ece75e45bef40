/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker push: for each tag, the layers and the config (max_uploads at a time: "Layer already
 * exists" when the registry has the blob, found by a HEAD or a mount from the repository
 * itself; else an upload session and the PUT that carries the blob and names its digest), then
 * the manifest under the tag.
 * Layers go as the store keeps them: a blob received compressed goes as it came, a layer made
 * here (import, commit, build) as its plain tar, with the media type that says so.
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
#include "shared/json/json.h"

#define MT_DOCKER_LAYER_TAR "application/vnd.docker.image.rootfs.diff.tar"
/* blobs from this size go up in chunks (upload()) */
#define CHUNKED_FROM ((int64_t)1 << 20)
#define CHUNK        ((int64_t)64 << 20)

struct registry_push {
    struct registry *r;
    struct image_store *s;
    struct reg_session *sess;
    char *name; /* normalised: "127.0.0.1:5000/a" */
    char *path;
    char **tags; /* normalised references */
    struct reg_out out;
    /* the image being pushed */
    struct image_push *img;
    struct reg_descriptor *descs; /* the layers as pushed */
};

struct registry_push *registry_push_prepare(struct registry *r, struct image_store *s,
                                            const char *name, const char *tag,
                                            const struct reg_auth *auth, bt_err **err)
{
    bt_autoptr(bt_ref) ref = bt_ref_parse_docker(name, err);
    if (!ref)
        return NULL;
    struct registry_push *p = bt_xzalloc(sizeof(*p));
    pthread_mutex_init(&p->out.mu, NULL);
    p->r = r;
    p->s = s;
    p->name = bt_ref_name(ref);
    p->tags = bt_xzalloc(sizeof(char *));
    bt_autofree char *familiar = bt_ref_familiar_name(ref);
    bt_autofree char *host = NULL;
    if (tag && *tag) {
        bt_autofree char *t = bt_xasprintf("%s:%s", p->name, tag);
        bt_autofree char *id = image_resolve(s, t, NULL);
        if (!id) {
            bt_err_set(err, BT_E_NOT_FOUND, "tag does not exist: %s:%s", familiar, tag);
            goto fail;
        }
        bt_strv_push(&p->tags, t);
    } else {
        char **ids = NULL;
        bt_strv_free(p->tags);
        p->tags = NULL;
        if (image_repo_tags(s, p->name, &p->tags, &ids, err) < 0)
            goto fail;
        bt_strv_free(ids);
        if (!p->tags[0]) {
            bt_err_set(err, BT_E_NOT_FOUND, "An image does not exist locally with the tag: %s",
                       familiar);
            goto fail;
        }
    }
    reg_split_name(p->name, &host, &p->path);
    p->sess = reg_session_open(r, host, p->path, "pull,push", auth, err);
    if (!p->sess)
        goto fail;
    return p;
fail:
    registry_push_free(p);
    return NULL;
}

struct up {
    struct registry_push *p;
    char id[13];
    int64_t last;
    int64_t base; /* the chunk's offset in the blob */
    int64_t size; /* the blob's, when known: a chunk's progress is shown as the blob's */
};

static void up_progress(void *arg, int64_t now, int64_t total)
{
    struct up *u = arg;
    if (u->size > 0 && total > 0) {
        now += u->base;
        total = u->size;
    }
    /* as dockerd's progress reader: not before the size is known, then every 512 kB */
    if (total <= 0 || now <= 0 || (now - u->last < (512 << 10) && now != total) || u->last == now)
        return;
    u->last = now;
    reg_out_progress(&u->p->out, u->id, "Pushing", now, total);
}

/* HEAD the blob; 1 when the registry has it. */
static int blob_exists(struct registry_push *p, CURL *c, const char *digest, bt_err **err)
{
    bt_autofree char *url = bt_xasprintf("/v2/%s/blobs/%s", p->path, digest);
    struct reg_req q = {.method = "HEAD", .url = url, .body_fd = -1, .out_fd = -1};
    struct reg_resp resp = {0};
    int rc = reg_do(p->sess, c, &q, &resp, err);
    if (rc == 0)
        rc = resp.status == 200 ? 1 : resp.status == 404 ? 0 : reg_status_error(&q, &resp, 0, err);
    reg_resp_clear(&resp);
    return rc;
}

static char *with_digest(const char *location, const char *digest)
{
    return bt_xasprintf("%s%sdigest=%s", location, strchr(location, '?') ? "&" : "?", digest);
}

/* An upload session, the data (fd, or mem when fd < 0), and the PUT with its digest. */
static int upload(struct registry_push *p, CURL *c, const char *digest, int fd, const void *mem,
                  int64_t size, struct up *u, const char *session, bt_err **err)
{
    struct reg_resp resp = {0};
    bt_autofree char *loc = bt_xstrdup_or_null(session);
    if (!loc) {
        bt_autofree char *start = bt_xasprintf("/v2/%s/blobs/uploads/", p->path);
        struct reg_req q = {.method = "POST", .url = start, .body_fd = -1, .out_fd = -1};
        if (reg_do(p->sess, c, &q, &resp, err) < 0)
            return -1;
        if (resp.status != 202 || !resp.location) {
            int rc = reg_status_error(&q, &resp, 0, err);
            reg_resp_clear(&resp);
            return rc;
        }
        loc = bt_xstrdup(resp.location);
        reg_resp_clear(&resp);
    }
    char *abs = reg_abs_url(p->sess, loc);
    free(loc);
    loc = abs;
    /* Small blobs: the data in the PUT that closes the upload (the distribution spec's
     * monolithic upload, which containerd's pusher uses everywhere), rather than a PATCH and
     * an empty PUT: one request less for each blob, and the registry's requests are most of a
     * push of small layers (bench/README.md, "Registries"). Larger ones: chunked, PATCHes of
     * CHUNK bytes with their Content-Range, each taking the Location the last one gave, then
     * the empty PUT: a registry (or a proxy before it) that limits a request's size takes
     * them, and the request count does not matter at that size. */
    if (fd >= 0 && size >= CHUNKED_FROM) {
        for (int64_t off = 0; off < size; off += CHUNK) {
            int64_t n = size - off < CHUNK ? size - off : CHUNK;
            bt_autofree char *range =
                    bt_xasprintf("%lld-%lld", (long long)off, (long long)(off + n - 1));
            struct reg_req pq = {.method = "PATCH",
                                 .url = loc,
                                 .content_type = "application/octet-stream",
                                 .content_range = range,
                                 .body_fd = fd,
                                 .body_off = off,
                                 .body_len = n,
                                 .out_fd = -1,
                                 .progress = up_progress,
                                 .progress_arg = u};
            u->base = off;
            if (reg_do(p->sess, c, &pq, &resp, err) < 0)
                return -1;
            if (resp.status != 202) {
                int rc = reg_status_error(&pq, &resp, 0, err);
                reg_resp_clear(&resp);
                return rc;
            }
            if (resp.location) {
                char *next = reg_abs_url(p->sess, resp.location);
                free(loc);
                loc = next;
            }
            reg_resp_clear(&resp);
        }
        fd = -1;
        mem = NULL;
        size = 0;
    }
    bt_autofree char *put = with_digest(loc, digest);
    struct reg_req fq = {.method = "PUT",
                         .url = put,
                         .content_type = "application/octet-stream",
                         .data = fd >= 0 ? NULL : mem,
                         .len = (size_t)(fd < 0 && mem ? size : 0),
                         .body_fd = fd >= 0 && size > 0 ? fd : -1,
                         .body_len = fd >= 0 ? size : 0,
                         .out_fd = -1,
                         .progress = fd >= 0 ? up_progress : NULL,
                         .progress_arg = u};
    if (reg_do(p->sess, c, &fq, &resp, err) < 0)
        return -1;
    int rc = resp.status == 201 ? 0 : reg_status_error(&fq, &resp, 0, err);
    reg_resp_clear(&resp);
    return rc;
}

/* POST an upload with ?mount=DIGEST&from=FROM: 1 when the registry mounted the blob (201), 0
 * when it did not, with *session the upload it opened instead (202) or NULL (any other answer:
 * a registry that takes no mounts here, which the caller's HEAD and plain upload then meet). */
static int mount_blob(struct registry_push *p, CURL *c, const char *digest, const char *from,
                      char **session, bt_err **err)
{
    bt_autofree char *url =
            bt_xasprintf("/v2/%s/blobs/uploads/?mount=%s&from=%s", p->path, digest, from);
    struct reg_req q = {.method = "POST", .url = url, .body_fd = -1, .out_fd = -1};
    struct reg_resp resp = {0};
    *session = NULL;
    if (reg_do(p->sess, c, &q, &resp, err) < 0)
        return -1;
    int rc = resp.status == 201 ? 1 : 0;
    if (resp.status == 202 && resp.location)
        *session = reg_abs_url(p->sess, resp.location);
    reg_resp_clear(&resp);
    return rc;
}

/* Whether the registry has the blob already, and else an upload session when one came of
 * asking: 1 when it has it (*msg the status to show), 0 when it must be uploaded.
 *
 * A small blob that no other repository is known to have skips the HEAD: a mount from the
 * repository itself asks the same question and, when the answer is no, opens the upload
 * session the blob needs anyway (the distribution spec: a registry that cannot mount answers
 * as to a plain POST). One request less for each blob, and with small layers the registry's
 * requests are the push (bench/README.md, "Registries"). A large blob keeps the HEAD: a
 * registry that ignores mounts would have it uploaded again, which costs more than a HEAD. */
static int blob_present(struct registry_push *p, CURL *c, const char *digest, int64_t size,
                        char **session, char **msg, bt_err **err)
{
    *session = NULL;
    *msg = NULL;
    bt_autostrv char **from = reg_sources_on(p->r, digest, p->sess->host, p->path);
    int rc = 0;
    if (size < CHUNKED_FROM && !from[0])
        rc = mount_blob(p, c, digest, p->path, session, err);
    if (rc == 0 && !*session)
        rc = blob_exists(p, c, digest, err);
    /* a repository of the same registry has it: ask for a mount (docker's "Mounted from") */
    for (size_t k = 0; rc == 0 && from[k] && k < 3 && !*session; k++) {
        bt_autoerr bt_err *e = NULL;
        if (mount_blob(p, c, digest, from[k], session, &e) == 1) {
            *msg = bt_xasprintf("Mounted from %s", from[k]);
            rc = 1;
        }
    }
    if (rc == 1) {
        reg_source_add(p->r, digest, p->sess->host, p->path);
        if (!*msg)
            *msg = bt_xstrdup("Layer already exists");
    }
    return rc;
}

static int push_layer(struct registry_push *p, CURL *c, size_t i, bt_err **err)
{
    struct image_push_layer *l = &p->img->layers[i];
    struct reg_descriptor *d = &p->descs[i];
    struct up u = {.p = p, .size = d->size};
    reg_short_id(l->diff_id, u.id);
    bt_autofree char *session = NULL;
    bt_autofree char *msg = NULL;
    int have = blob_present(p, c, d->digest, d->size, &session, &msg, err);
    if (have < 0)
        return -1;
    if (have) {
        reg_out_status(&p->out, u.id, msg);
        return 0;
    }
    bt_autoclose int fd = open(l->blob, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return bt_err_errno(err, errno, "open layer %s", l->diff_id);
    if (upload(p, c, d->digest, fd, NULL, d->size, &u, session, err) < 0)
        return -1;
    reg_source_add(p->r, d->digest, p->sess->host, p->path);
    reg_out_status(&p->out, u.id, "Pushed");
    return 0;
}

/* The config blob, as dockerd pushes it: no progress of its own. */
static int push_config(struct registry_push *p, CURL *c, bt_err **err)
{
    const char *digest = p->img->id;
    int64_t size = (int64_t)p->img->len;
    bt_autofree char *session = NULL;
    bt_autofree char *msg = NULL;
    int have = blob_present(p, c, digest, size, &session, &msg, err);
    if (have != 0)
        return have < 0 ? -1 : 0;
    struct up u = {.p = p};
    reg_short_id(digest, u.id);
    if (upload(p, c, digest, -1, p->img->config, size, &u, session, err) < 0)
        return -1;
    reg_source_add(p->r, digest, p->sess->host, p->path);
    return 0;
}

/* Jobs 0..n-1 are the layers, job n the config: all of them at once, max_uploads at a time. */
static int push_job(void *ctx, CURL *c, size_t i, bt_err **err)
{
    struct registry_push *p = ctx;
    return i < p->img->n ? push_layer(p, c, i, err) : push_config(p, c, err);
}

static void clear_descs(struct registry_push *p)
{
    for (size_t i = 0; p->img && p->descs && i < p->img->n; i++) {
        free(p->descs[i].media_type);
        free(p->descs[i].digest);
        free(p->descs[i].urls);
    }
    free(p->descs);
    p->descs = NULL;
}

/* The media type a stored layer blob goes with, from its first bytes (what it was called when
 * it came in may have been anything: the bytes are what a puller decompresses): gzip and zstd
 * as Docker's and OCI's types for those, anything else a plain tar. */
static const char *layer_media_type(const char *path)
{
    unsigned char m[4] = {0};
    bt_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, m, sizeof(m)) : -1;
    if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
        return REG_MT_DOCKER_LAYER;
    if (n == 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
        return REG_MT_OCI_LAYER_ZSTD;
    return MT_DOCKER_LAYER_TAR;
}

static int push_tag(struct registry_push *p, const char *tag_ref, bt_err **err)
{
    p->img = image_push_get(p->s, tag_ref, err);
    if (!p->img)
        return -1;
    p->descs = bt_xzalloc((p->img->n ? p->img->n : 1) * sizeof(*p->descs));
    for (size_t i = 0; i < p->img->n; i++) {
        struct image_push_layer *l = &p->img->layers[i];
        struct stat st;
        if (!l->blob || stat(l->blob, &st) < 0)
            return bt_err_set(err, BT_E_CORRUPT, "layer %s of %s has no blob", l->diff_id,
                              p->img->id);
        p->descs[i].media_type = bt_xstrdup(layer_media_type(l->blob));
        p->descs[i].digest = bt_xstrdup(l->blob_digest);
        p->descs[i].size = st.st_size;
        p->descs[i].urls = bt_xzalloc(sizeof(char *));
    }
    for (size_t i = p->img->n; i-- > 0;) {
        char id[13];
        reg_out_status(&p->out, reg_short_id(p->img->layers[i].diff_id, id), "Preparing");
    }
    if (reg_run_jobs(p->img->n + 1, reg_workers(p->r->max_uploads, p->img->n + 1), NULL, push_job,
                     p, err) < 0)
        return -1;
    /* the manifest, once everything it names is there */
    CURL *c = reg_curl();
    struct reg_descriptor cfg = {
            .media_type = REG_MT_DOCKER_CONFIG, .digest = p->img->id, .size = (int64_t)p->img->len};
    char *no_urls[] = {NULL};
    cfg.urls = no_urls;
    const char *tag = strrchr(tag_ref, ':') + 1;
    size_t mlen = 0;
    bt_autofree char *manifest = reg_manifest_build(&cfg, p->descs, p->img->n, &mlen);
    char mdigest[BT_DIGEST_STR_SIZE] = "";
    bt_sha256_digest(manifest, mlen, mdigest);
    bt_autofree char *url = bt_xasprintf("/v2/%s/manifests/%s", p->path, tag);
    struct reg_req q = {.method = "PUT",
                        .url = url,
                        .content_type = REG_MT_DOCKER_MANIFEST,
                        .data = manifest,
                        .len = mlen,
                        .body_fd = -1,
                        .out_fd = -1};
    struct reg_resp resp = {0};
    int rc = reg_do(p->sess, c, &q, &resp, err);
    if (rc == 0 && resp.status != 201)
        rc = reg_status_error(&q, &resp, 0, err);
    reg_resp_clear(&resp);
    curl_easy_cleanup(c);
    if (rc < 0)
        return -1;
    bt_autofree char *line = bt_xasprintf("%s: digest: %s size: %zu", tag, mdigest, mlen);
    reg_out_status(&p->out, NULL, line);
    json_t *aux = json_pack("{s:{}, s:{s:s, s:s, s:I}}", "progressDetail", "aux", "Tag", tag,
                            "Digest", mdigest, "Size", (json_int_t)mlen);
    reg_out_json(&p->out, aux);
    bt_autofree char *dref = bt_xasprintf("%s@%s", p->name, mdigest);
    bt_autoptr(bt_ref) pushed = bt_ref_parse(tag_ref, NULL);
    bt_autofree char *shown = pushed ? bt_ref_familiar_string(pushed) : bt_xstrdup(tag_ref);
    bt_autofree char *fname = pushed ? bt_ref_familiar_name(pushed) : bt_xstrdup(p->name);
    events_emit("image", "push", shown, (const char *const[]){"name", fname, NULL});
    bt_autoerr bt_err *e = NULL;
    if (image_add_digest_ref(p->s, p->img->id, dref, &e) < 0)
        bt_warn("push: record %s: %s", dref, bt_err_msg(e));
    return 0;
}

int registry_push_run(struct registry_push *p, registry_msg_fn msg, void *ctx, bt_err **err)
{
    p->out.fn = msg;
    p->out.ctx = ctx;
    bt_autofree char *first = bt_xasprintf("The push refers to repository [%s]", p->name);
    reg_out_status(&p->out, NULL, first);
    for (size_t i = 0; p->tags[i]; i++) {
        int rc = push_tag(p, p->tags[i], err);
        clear_descs(p);
        image_push_free(p->img);
        p->img = NULL;
        if (rc < 0)
            return -1;
    }
    return 0;
}

void registry_push_free(struct registry_push *p)
{
    if (!p)
        return;
    clear_descs(p);
    image_push_free(p->img);
    reg_session_close(p->sess);
    bt_strv_free(p->tags);
    pthread_mutex_destroy(&p->out.mu);
    free(p->name);
    free(p->path);
    free(p);
}

/* ---- login ---- */

int registry_login(struct registry *r, const struct reg_auth *auth, char **status,
                   char **identity_token, bt_err **err)
{
    const char *server = auth && auth->server_address ? auth->server_address : "";
    bt_autofree char *host = NULL;
    if (!*server || strstr(server, "index.docker.io") || strcmp(server, "docker.io") == 0) {
        host = bt_xstrdup("registry-1.docker.io");
    } else {
        const char *h = strstr(server, "://");
        h = h ? h + 3 : server;
        size_t n = strcspn(h, "/");
        host = bt_xstrndup(h, n);
    }
    struct reg_session *s = reg_session_open(r, host, NULL, NULL, auth, err);
    if (!s)
        return -1;
    CURL *c = reg_curl();
    struct reg_req q = {
            .method = "GET", .url = "/v2/", .body_fd = -1, .out_fd = -1, .max_body = 1 << 16};
    struct reg_resp resp = {0};
    int rc = reg_do(s, c, &q, &resp, err);
    if (rc == 0 && resp.status != 200) {
        if (resp.status == 401)
            rc = bt_err_set(err, BT_E_UNAUTHORIZED,
                            "login attempt to %s/v2/ failed with status: "
                            "401 Unauthorized",
                            s->base);
        else
            rc = bt_err_set(err, BT_E_UNAVAILABLE,
                            "login attempt to %s/v2/ failed with status: %ld", s->base,
                            resp.status);
    }
    reg_resp_clear(&resp);
    curl_easy_cleanup(c);
    reg_session_close(s);
    if (rc < 0)
        return -1;
    *status = bt_xstrdup("Login Succeeded");
    *identity_token = bt_xstrdup("");
    return 0;
}
