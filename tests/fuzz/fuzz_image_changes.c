/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The changes parser of docker import/commit (guest/engine/image/changes.c): any input either
 * fails with a message or gives a config object that serialises, and applying never touches
 * the input config. Lines of the input are the changes; the base config has an Env to expand
 * from and a Shell.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/image/changes.h"
#include "guest/engine/image/image-internal.h"
#include "shared/base/cleanup.h"
#include "shared/json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base_text[] = "{\"Env\":[\"PATH=/usr/bin:/bin\",\"HOME=/root\",\"P=80 81/udp\"],"
                                "\"Cmd\":[\"sh\"],\"Shell\":[\"/bin/sh\",\"-c\"],"
                                "\"Labels\":{\"a\":\"b\"}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    /* NUL bytes separate changes (each may still hold newlines) */
    bt_autostrv char **changes = bt_xzalloc(sizeof(char *));
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == 0) {
            bt_autofree char *c = bt_xstrndup((const char *)data + start, i - start);
            bt_strv_push(&changes, c);
            start = i + 1;
        }
    }
    bt_autoptr(json_t) base = json_loads(base_text, 0, NULL);
    bt_autofree char *before = bt_json_dumps(base);
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) out = image_changes_apply(base, changes, &err);
    bt_autofree char *after = bt_json_dumps(base);
    if (strcmp(before, after) != 0)
        abort(); /* the input config is never modified */
    if (!out) {
        if (!err || !*bt_err_msg(err) || bt_err_code(err) != BT_E_INVALID)
            abort();
        return 0;
    }
    if (!json_is_object(out))
        abort();
    bt_autoptr(json_t) go = image_container_config_go(out);
    bt_autofree char *text = image_json_go(go);
    if (!text || text[0] != '{')
        abort();
    return 0;
}
