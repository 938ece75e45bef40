/* SPDX-License-Identifier: Apache-2.0 */
/* Progress as Docker's JSON messages (jsonmessage.JSONMessage). */
#include <stdio.h>
#include <string.h>

#include "guest/engine/registry/registry-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

void reg_out_json(struct reg_out *o, json_t *msg)
{
    if (o->fn) {
        pthread_mutex_lock(&o->mu);
        o->fn(msg, o->ctx);
        pthread_mutex_unlock(&o->mu);
    }
    json_decref(msg);
}

void reg_out_status(struct reg_out *o, const char *id, const char *status)
{
    json_t *m = json_object();
    bt_json_set_str(m, "status", status);
    if (id) {
        json_object_set_new(m, "progressDetail", json_object());
        bt_json_set_str(m, "id", id);
    }
    reg_out_json(o, m);
}

/* go-units HumanSize: 3 significant digits, decimal units */
static void human(double v, char *out, size_t n)
{
    static const char *units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    size_t u = 0;
    while (v >= 1000 && u + 1 < sizeof(units) / sizeof(*units)) {
        v /= 1000;
        u++;
    }
    snprintf(out, n, "%.4g%s", v, units[u]);
}

void reg_out_progress(struct reg_out *o, const char *id, const char *status, int64_t current,
                      int64_t total)
{
    json_t *m = json_object();
    bt_json_set_str(m, "status", status);
    json_t *d = json_object();
    json_object_set_new(d, "current", json_integer(current));
    if (total > 0)
        json_object_set_new(d, "total", json_integer(total));
    json_object_set_new(m, "progressDetail", d);
    /* JSONProgress.String() at the engine's width: a 50-wide bar and the numbers */
    char cur[32], tot[32];
    human((double)current, cur, sizeof(cur));
    if (total > 0) {
        human((double)total, tot, sizeof(tot));
        int pct = (int)((double)current / (double)total * 100) / 2;
        if (pct > 50)
            pct = 50;
        char bar[64];
        memset(bar, '=', (size_t)pct);
        size_t k = (size_t)pct;
        if (pct < 50)
            bar[k++] = '>';
        while (k < 50)
            bar[k++] = ' ';
        bar[k] = '\0';
        bt_autofree char *text = bt_xasprintf("[%s] %8s/%s", bar, cur, tot);
        bt_json_set_str(m, "progress", text);
    } else {
        bt_autofree char *text = bt_xasprintf("%8s", cur);
        bt_json_set_str(m, "progress", text);
    }
    bt_json_set_str(m, "id", id);
    reg_out_json(o, m);
}
