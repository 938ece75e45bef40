/* SPDX-License-Identifier: Apache-2.0 */
/* /containers/{id}/exec and /exec/{id}/... */
#include <stdlib.h>
#include <string.h>

#include "guest/engine/api/api-internal.h"
#include "guest/engine/container/container.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/json/json.h"

#define CTRS(call) (api_ctx(call)->containers)

void api_exec_create(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(ctr) c = ctr_get(CTRS(call), api_param(call, 0), &err);
    json_t *body = c ? api_body_json(call, false, &err) : NULL;
    bt_autofree char *id = body ? ctr_exec_create(CTRS(call), c, body, &err) : NULL;
    if (!id) {
        api_reply_error(call, err);
        return;
    }
    api_reply_json(call, 201, json_pack("{s:s}", "Id", id));
}

struct exec_job {
    struct ctr_manager *m;
    char *id;
    bool tty;
};

static void exec_hijacked(int sock, void *arg)
{
    struct exec_job *j = arg;
    bt_autoerr bt_err *err = NULL;
    if (sock < 0) {
        /* the connection could not be taken over: without a client the exec must not start
         * (ctr_exec_start would run it detached) */
        free(j->id);
        free(j);
        return;
    }
    if (ctr_exec_start(j->m, j->id, sock, false, &err) < 0) {
        /* After the 101 the stream is all there is: dockerd writes the error to it as stdout
         * (framed unless there is a tty), and the CLI gets the exit code from inspect. */
        bt_autofree char *msg = bt_xasprintf("%s\r\n", bt_err_msg(err));
        size_t len = strlen(msg);
        if (!j->tty) {
            unsigned char h[8] = {1,
                                  0,
                                  0,
                                  0,
                                  (unsigned char)(len >> 24),
                                  (unsigned char)(len >> 16),
                                  (unsigned char)(len >> 8),
                                  (unsigned char)len};
            bt_fd_write_all(sock, h, 8, NULL);
        }
        bt_fd_write_all(sock, msg, len, NULL);
    }
    free(j->id);
    free(j);
}

void api_exec_start(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    json_t *body = api_body_json(call, true, &err);
    if (err) {
        api_reply_error(call, err);
        return;
    }
    const char *id = api_param(call, 0);
    /* an unknown instance is a 404 before any upgrade */
    bt_autoptr(json_t) info = ctr_exec_inspect(CTRS(call), id, &err);
    if (!info) {
        api_reply_error(call, err);
        return;
    }
    if (bt_json_get_bool(body, "Detach", false)) {
        if (ctr_exec_start(CTRS(call), id, -1, true, &err) < 0)
            api_reply_error(call, err);
        else
            api_reply_status(call, 200);
        return;
    }
    if (bt_json_get_bool(info, "Running", false) ||
        !json_is_null(json_object_get(info, "ExitCode"))) {
        bt_err_set(&err, BT_E_CONFLICT, "Error: Exec command %s has already run", id);
        api_reply_error(call, err);
        return;
    }
    if (!api_wants_upgrade(call)) {
        bt_err_set(&err, BT_E_INVALID, "exec start needs a connection upgrade (Upgrade: tcp)");
        api_reply_error(call, err);
        return;
    }
    struct exec_job *j = bt_xzalloc(sizeof(*j));
    j->m = CTRS(call);
    j->id = bt_xstrdup(id);
    j->tty = bt_json_get_bool(bt_json_get_obj(info, "ProcessConfig"), "tty", false);
    api_reply_hijack(call, "application/vnd.docker.raw-stream", exec_hijacked, j);
}

void api_exec_resize(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    long long h, w;
    if (api_query_int(call, "h", 0, &h, &err) < 0 || api_query_int(call, "w", 0, &w, &err) < 0 ||
        ctr_exec_resize(CTRS(call), api_param(call, 0), (int)h, (int)w, &err) < 0) {
        api_reply_error(call, err);
        return;
    }
    api_reply_status(call, 201);
}

void api_exec_inspect(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    json_t *doc = ctr_exec_inspect(CTRS(call), api_param(call, 0), &err);
    if (!doc) {
        api_reply_error(call, err);
        return;
    }
    api_reply_json(call, 200, doc);
}
