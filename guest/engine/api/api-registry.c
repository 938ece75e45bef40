/* SPDX-License-Identifier: Apache-2.0 */
/* Registries: POST /images/create?fromImage= (pull), POST /images/{name}/push, POST /auth. */
#include <stdlib.h>
#include <string.h>

#include "guest/engine/api/api-internal.h"
#include "guest/engine/registry/registry.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"
#include "shared/reference/reference.h"

/* The client's credentials: X-Registry-Auth, or none. */
static int request_auth(struct api_call *call, struct reg_auth *out, bt_err **err)
{
    const char *h = api_header(call, "X-Registry-Auth");
    return reg_auth_decode(h ? h : "", out, err);
}

static void pull_producer(int fd, void *arg)
{
    struct registry_pull *p = arg;
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *id = registry_pull_run(p, api_stream_msg, &fd, &err);
    if (!id)
        api_stream_error(fd, err);
    registry_pull_free(p);
}

/* pull -a: each tag in turn, on one stream */
struct pull_all {
    struct registry *r;
    struct image_store *s;
    char *image;
    char **tags;
    struct reg_auth auth;
};

static void pull_all_producer(int fd, void *arg)
{
    struct pull_all *a = arg;
    bt_autoerr bt_err *err = NULL;
    for (size_t i = 0; a->tags[i] && !err; i++) {
        struct registry_pull *p =
                registry_pull_prepare(a->r, a->s, a->image, a->tags[i], &a->auth, &err);
        bt_autofree char *id = p ? registry_pull_run(p, api_stream_msg, &fd, &err) : NULL;
        registry_pull_free(p);
    }
    if (err)
        api_stream_error(fd, err);
    reg_auth_clear(&a->auth);
    bt_strv_free(a->tags);
    free(a->image);
    free(a);
}

void api_image_pull(struct api_call *call, const char *from_image)
{
    bt_autoerr bt_err *err = NULL;
    struct reg_auth auth = {0};
    if (request_auth(call, &auth, &err) < 0) {
        api_reply_error(call, err);
        return;
    }
    struct api_context *ctx = api_ctx(call);
    const char *tag = api_query(call, "tag");
    bt_autoptr(bt_ref) ref = bt_ref_parse(from_image, NULL);
    if ((!tag || !*tag) && ref && !ref->tag && !ref->digest) {
        /* no tag anywhere: every tag of the repository, as the API says */
        char **tags = NULL;
        if (registry_tags(ctx->registry, from_image, &auth, &tags, &err) < 0) {
            reg_auth_clear(&auth);
            api_reply_error(call, err);
            return;
        }
        struct pull_all *a = bt_xzalloc(sizeof(*a));
        a->r = ctx->registry;
        a->s = ctx->images;
        a->image = bt_xstrdup(from_image);
        a->tags = tags;
        a->auth = auth;
        if (api_reply_stream(call, 200, "application/json", pull_all_producer, a) < 0) {
            reg_auth_clear(&a->auth);
            bt_strv_free(a->tags);
            free(a->image);
            free(a);
        }
        return;
    }
    struct registry_pull *p =
            registry_pull_prepare(ctx->registry, ctx->images, from_image, tag, &auth, &err);
    reg_auth_clear(&auth);
    if (!p) {
        api_reply_error(call, err);
        return;
    }
    if (api_reply_stream(call, 200, "application/json", pull_producer, p) < 0)
        registry_pull_free(p);
}

static void push_producer(int fd, void *arg)
{
    struct registry_push *p = arg;
    bt_autoerr bt_err *err = NULL;
    if (registry_push_run(p, api_stream_msg, &fd, &err) < 0)
        api_stream_error(fd, err);
    registry_push_free(p);
}

void api_image_push(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    struct reg_auth auth = {0};
    if (request_auth(call, &auth, &err) < 0) {
        api_reply_error(call, err);
        return;
    }
    struct api_context *ctx = api_ctx(call);
    struct registry_push *p = registry_push_prepare(ctx->registry, ctx->images, api_param(call, 0),
                                                    api_query(call, "tag"), &auth, &err);
    reg_auth_clear(&auth);
    if (!p) {
        api_reply_error(call, err);
        return;
    }
    if (api_reply_stream(call, 200, "application/json", push_producer, p) < 0)
        registry_push_free(p);
}

void api_auth(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    json_t *body = api_body_json(call, false, &err);
    if (!body) {
        api_reply_error(call, err);
        return;
    }
    struct reg_auth auth = {
            .username = (char *)bt_json_get_str(body, "username", NULL),
            .password = (char *)bt_json_get_str(body, "password", NULL),
            .auth = (char *)bt_json_get_str(body, "auth", NULL),
            .identity_token = (char *)bt_json_get_str(body, "identitytoken", NULL),
            .registry_token = (char *)bt_json_get_str(body, "registrytoken", NULL),
            .server_address = (char *)bt_json_get_str(body, "serveraddress", NULL),
    };
    bt_autofree char *status = NULL;
    bt_autofree char *token = NULL;
    if (registry_login(api_ctx(call)->registry, &auth, &status, &token, &err) < 0) {
        api_reply_error(call, err);
        return;
    }
    api_reply_json(call, 200, json_pack("{s:s, s:s}", "Status", status, "IdentityToken", token));
}

void api_image_search(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    const char *term = api_query(call, "term");
    bt_err_set(&err, BT_E_UNSUPPORTED,
               "Berth does not search registries (%s): registries keep no index Berth can ask; "
               "use the registry's own web pages or its /v2/_catalog",
               term ? term : "");
    api_reply_error(call, err);
}
