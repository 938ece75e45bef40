/* SPDX-License-Identifier: Apache-2.0 */
/* The containers' events (docker events), with the attributes dockerd gives them. */
#include <pthread.h>
#include <string.h>

#include "guest/engine/container/container-internal.h"
#include "guest/engine/events/events.h"
#include "shared/json/json.h"

void ctr_emit_locked(struct ctr *c, const char *action, const char *const *extra)
{
    const json_t *cfg = bt_json_get_obj(c->rec, "Config");
    json_t *attrs = json_object();
    /* the labels first: dockerd's own attributes win over labels of the same name */
    const char *k;
    json_t *v;
    json_object_foreach (bt_json_get_obj(cfg, "Labels"), k, v) {
        if (json_is_string(v))
            json_object_set(attrs, k, v);
    }
    bt_json_set_str(attrs, "image", bt_json_get_str(cfg, "Image", ""));
    const char *name = c->name ? c->name : "";
    bt_json_set_str(attrs, "name", name[0] == '/' ? name + 1 : name);
    for (size_t i = 0; extra && extra[i]; i += 2) {
        if (extra[i + 1])
            bt_json_set_str(attrs, extra[i], extra[i + 1]);
    }
    events_emit_json("container", action, c->id, attrs);
}

void ctr_emit(struct ctr *c, const char *action, const char *const *extra)
{
    pthread_mutex_lock(&c->lock);
    ctr_emit_locked(c, action, extra);
    pthread_mutex_unlock(&c->lock);
}
