/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /containers/{id}/changes (docker diff) and POST /containers/{id}/update (docker update).
 */
#include <stdlib.h>

#include "guest/engine/api/api-internal.h"
#include "guest/engine/container/container.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"

#define CTRS(call) (api_ctx(call)->containers)

void api_container_changes(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(ctr) c = ctr_get(CTRS(call), api_param(call, 0), &err);
    struct ctr_change *list = NULL;
    size_t n = 0;
    if (!c || ctr_changes(CTRS(call), c, &list, &n, &err) < 0) {
        api_reply_error(call, err);
        return;
    }
    /* dockerd answers a nil slice, "null", when nothing changed */
    json_t *out = n ? json_array() : json_null();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
                out, json_pack("{s:s, s:i}", "Path", list[i].path, "Kind", (int)list[i].kind));
    ctr_changes_free(list, n);
    api_reply_json(call, 200, out);
}

void api_container_update(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    json_t *body = api_body_json(call, false, &err);
    bt_autoptr(ctr) c = body ? ctr_get(CTRS(call), api_param(call, 0), &err) : NULL;
    bt_autostrv char **warnings = NULL;
    if (!c || ctr_update(CTRS(call), c, body, &warnings, &err) < 0) {
        api_reply_error(call, err);
        return;
    }
    ctr_emit(c, "update", NULL);
    api_reply_json(call, 200, json_pack("{s:o}", "Warnings", bt_json_strv(warnings)));
}
