/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HostConfig mounts parser (guest/engine/container/mounts.c): Binds as "SRC:DST:MODE"
 * strings and Mounts as objects, from a client. Any input either fails with a message or gives
 * mounts whose destinations are absolute, distinct and not "/", and whose inspect form
 * serialises. The input is one Binds entry per NUL-separated piece; when it parses as a JSON
 * object it is used as the whole HostConfig instead. Each Binds piece is also read as a
 * VolumesFrom entry ("NAME[:MODE]"), which must give a name or a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/container/mounts.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    json_t *hc = json_loadb((const char *)data, size, 0, NULL);
    if (!json_is_object(hc)) {
        json_decref(hc);
        hc = json_object();
        json_t *binds = json_array();
        size_t start = 0;
        for (size_t i = 0; i <= size; i++)
            if (i == size || data[i] == 0) {
                bt_autofree char *b = bt_xstrndup((const char *)data + start, i - start);
                json_array_append_new(binds, json_string(b));
                start = i + 1;
            }
        json_object_set_new(hc, "Binds", binds);
        size_t k;
        json_t *b;
        json_array_foreach (binds, k, b) {
            char *name = NULL;
            bool ro = false;
            bt_err *e = NULL;
            if (ctr_parse_volumes_from(json_string_value(b), &name, &ro, &e) < 0) {
                if (!e || !*bt_err_msg(e) || name)
                    abort();
            } else if (!name || strchr(name, ':')) {
                abort();
            }
            free(name);
            bt_err_free(e);
        }
    }
    struct ctr_mount *list = NULL;
    size_t n = 0;
    bt_err *err = NULL;
    if (ctr_mounts_of(hc, &list, &n, &err) < 0) {
        if (!err || !*bt_err_msg(err))
            abort();
        bt_err_free(err);
    } else {
        for (size_t i = 0; i < n; i++) {
            if (list[i].destination[0] != '/' || strcmp(list[i].destination, "/") == 0)
                abort();
            for (size_t j = i + 1; j < n; j++)
                if (strcmp(list[i].destination, list[j].destination) == 0)
                    abort();
        }
        /* what a record stores reads back the same */
        json_t *stored = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(stored, ctr_mount_to_json(&list[i]));
        struct ctr_mount *back = NULL;
        size_t nb = 0;
        if (ctr_mount_points_of(stored, hc, &back, &nb, NULL) < 0 || nb != n)
            abort();
        for (size_t i = 0; i < n; i++)
            if (strcmp(back[i].destination, list[i].destination) != 0 ||
                strcmp(back[i].type, list[i].type) != 0 || back[i].rw != list[i].rw)
                abort();
        ctr_mounts_free(back, nb);
        json_decref(stored);
        ctr_mounts_free(list, n);
        json_t *rec = json_pack("{s:O}", "HostConfig", hc);
        json_t *insp, *legacy;
        ctr_mounts_inspect(rec, &insp, &legacy);
        json_decref(legacy);
        json_decref(rec);
        char *s = json_dumps(insp, 0);
        if (!s)
            abort();
        free(s);
        json_decref(insp);
    }
    json_decref(hc);
    return 0;
}
