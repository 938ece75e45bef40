/* SPDX-License-Identifier: Apache-2.0 */
/* POST /build: the classic builder's endpoint (the context tar in, JSON lines out). */
#include <stdlib.h>
#include <string.h>

#include "guest/engine/api/api-internal.h"
#include "guest/engine/build/build.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

struct build_job {
    struct build *b;
};

void api_stream_msg(const json_t *msg, void *fdp)
{
    int fd = *(int *)fdp;
    bt_autofree char *text = bt_json_dumps(msg);
    bt_autofree char *line = bt_xasprintf("%s\r\n", text);
    bt_autoerr bt_err *e = NULL;
    bt_fd_write_all(fd, line, strlen(line), &e);
}

void api_stream_error(int fd, const bt_err *err)
{
    json_t *msg = json_pack("{s:{s:s}, s:s}", "errorDetail", "message", bt_err_msg(err), "error",
                            bt_err_msg(err));
    api_stream_msg(msg, &fd);
    json_decref(msg);
}

static void build_producer(int fd, void *arg)
{
    struct build_job *j = arg;
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *id = build_exec(j->b, api_stream_msg, &fd, &err);
    if (!id)
        api_stream_error(fd, err);
    build_free(j->b);
    free(j);
}

/* a JSON object parameter ("buildargs", "labels"); NULL when missing */
static json_t *json_param(struct api_call *call, const char *key, bt_err **err)
{
    const char *v = api_query(call, key);
    if (!v || !*v)
        return json_object();
    return bt_json_parse_object(v, strlen(v), err);
}

void api_build(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) args = json_param(call, "buildargs", &err);
    bt_autoptr(json_t) labels = args ? json_param(call, "labels", &err) : NULL;
    if (!args || !labels) {
        api_reply_error(call, err);
        return;
    }
    bt_autofree const char **tags = api_query_all(call, "t");
    struct api_context *ctx = api_ctx(call);
    struct build_deps deps = {
            .images = ctx->images,
            .containers = ctx->containers,
            .data_root = ctx->info->data_root,
    };
    struct build_opts o = {
            .dockerfile = api_query(call, "dockerfile"),
            .tags = (char *const *)tags,
            .build_args = args,
            .labels = labels,
            .target = api_query(call, "target"),
            .network_mode = api_query(call, "networkmode"),
            .nocache = api_query_bool(call, "nocache", false),
            .rm = api_query_bool(call, "rm", true),
            .force_rm = api_query_bool(call, "forcerm", false),
            .quiet = api_query_bool(call, "q", false),
    };
    struct build *b = build_prepare(&deps, &o, api_body_fd(call), &err);
    if (!b) {
        api_reply_error(call, err);
        return;
    }
    struct build_job *j = bt_xzalloc(sizeof(*j));
    j->b = b;
    if (api_reply_stream(call, 200, "application/json", build_producer, j) < 0) {
        build_free(b);
        free(j);
    }
}

/* POST /build/prune (docker builder prune, and the last step of docker system prune). Berth's
 * builder is the classic one: its cache is the images a build made, parents of the result,
 * which image removal and `image prune` take, as with dockerd's classic builder. There is no
 * cache apart from them (BuildKit's, which dockerd's /build/prune empties), so nothing is
 * deleted; the filters are checked as dockerd checks them. */
void api_build_prune(struct api_call *call)
{
    static const char *const keys[] = {"until",       "unused-for", "id",     "parent",  "type",
                                       "description", "inuse",      "shared", "private", NULL};
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) f = api_filters_parse(api_query(call, "filters"), keys, &err);
    if (!f) {
        api_reply_error(call, err);
        return;
    }
    api_reply_json(call, 200, json_pack("{s:n, s:i}", "CachesDeleted", "SpaceReclaimed", 0));
}
