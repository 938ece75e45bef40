/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /events' parameters as the API reads them (guest/engine/api/events-filter.c): a time
 * ("since", "until"), the "filters" JSON and an event to match them against, NUL-separated.
 * Each parses or fails with a message, and matching never touches memory it does not own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/api/events-filter.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a copy with a NUL after it, so that every field ends */
    bt_autofree char *text = bt_xmalloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    const char *f[3];
    size_t at = 0;
    for (size_t i = 0; i < 3; i++) {
        f[i] = at < size ? text + at : "";
        at += strlen(f[i]) + 1;
    }
    int64_t ns = 0;
    bt_err *err = NULL;
    if (api_events_parse_time(f[0], &ns, &err) < 0) {
        if (!err || !*bt_err_msg(err))
            abort();
        bt_err_free(err);
        err = NULL;
    }
    json_t *filters = api_events_filters(f[1], &err);
    if (!filters) {
        if (!err)
            abort();
        bt_err_free(err);
        return 0;
    }
    json_t *ev = json_loads(f[2], 0, NULL);
    if (ev)
        (void)api_events_match(filters, ev);
    json_decref(ev);
    json_decref(filters);
    return 0;
}
