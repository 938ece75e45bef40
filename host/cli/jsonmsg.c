/* SPDX-License-Identifier: Apache-2.0 */
#include "host/cli/jsonmsg.h"

#include <stdlib.h>
#include <string.h>

#include "shared/base/mem.h"
#include "shared/json/json.h"

static void display(struct jsonmsg *m, const json_t *msg)
{
    json_t *e = json_object_get(msg, "error");
    if (e) {
        if (!m->error)
            m->error = bt_xstrdup(json_is_string(e) ? json_string_value(e) : "unknown error");
        return;
    }
    json_t *aux = json_object_get(msg, "aux");
    if (aux) {
        if (m->aux)
            m->aux(m->aux_arg, aux);
        return;
    }
    if (!m->out)
        return;
    if (json_object_get(msg, "progressDetail") &&
        json_object_size(json_object_get(msg, "progressDetail")) &&
        json_object_get(msg, "progress"))
        return; /* progress bars are for terminals */
    const char *id = bt_json_get_str(msg, "id", NULL);
    if (id && *id)
        fprintf(m->out, "%s: ", id);
    const char *stream = bt_json_get_str(msg, "stream", NULL);
    if (stream && *stream)
        fputs(stream, m->out);
    else
        fprintf(m->out, "%s\n", bt_json_get_str(msg, "status", ""));
    fflush(m->out);
}

/* Parse and show the complete values at the start of pending. */
static void drain(struct jsonmsg *m, bool final)
{
    size_t off = 0;
    while (off < m->pending.len) {
        const char *p = m->pending.buf + off;
        size_t left = m->pending.len - off;
        size_t ws = 0;
        while (ws < left && strchr(" \t\r\n", p[ws]))
            ws++;
        if (ws == left) {
            off += ws;
            break;
        }
        json_error_t je;
        json_t *v = json_loadb(p + ws, left - ws, JSON_DISABLE_EOF_CHECK, &je);
        if (!v) {
            if (final)
                off = m->pending.len; /* a broken tail: nothing more to show */
            break;
        }
        display(m, v);
        json_decref(v);
        off += ws + (size_t)je.position;
    }
    if (off) {
        memmove(m->pending.buf, m->pending.buf + off, m->pending.len - off);
        bt_strbuf_truncate(&m->pending, m->pending.len - off);
    }
}

int jsonmsg_sink(void *arg, const char *data, size_t len)
{
    struct jsonmsg *m = arg;
    bt_strbuf_append_n(&m->pending, data, len);
    /* a value is complete when its line is: parse at line ends only */
    if (memchr(data, '\n', len))
        drain(m, false);
    return 0;
}

int jsonmsg_finish(struct jsonmsg *m, bt_err **err)
{
    drain(m, true);
    bt_strbuf_free(&m->pending);
    if (m->error) {
        bt_err_set(err, BT_E_INTERNAL, "%s", m->error);
        free(m->error);
        m->error = NULL;
        return -1;
    }
    return 0;
}
