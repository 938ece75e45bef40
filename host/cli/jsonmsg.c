/* SPDX-License-Identifier: Apache-2.0 */
/* The progress stream as the docker CLI's pkg/jsonmessage shows it, on a terminal and off. */
#include "host/cli/jsonmsg.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host/format/units.h"
#include "host/term/term.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

#define NS_PER_SEC INT64_C(1000000000)

/* One message as jsonmessage.JSONMessage decodes it: strings "" when absent or null, the
 * pointers (progressDetail, errorDetail, aux) set when present and not null. */
struct msg {
    const char *stream, *status, *progress_message, *id, *from;
    int64_t time, time_nano;
    bool has_progress;
    struct jsonmsg_progress progress;
    bool has_error;
    const char *error;
    const json_t *aux;
};

static void decode(const json_t *v, struct msg *m)
{
    *m = (struct msg){
            .stream = bt_json_get_str(v, "stream", ""),
            .status = bt_json_get_str(v, "status", ""),
            .progress_message = bt_json_get_str(v, "progress", ""),
            .id = bt_json_get_str(v, "id", ""),
            .from = bt_json_get_str(v, "from", ""),
            .time = bt_json_get_int(v, "time", 0),
            .time_nano = bt_json_get_int(v, "timeNano", 0),
    };
    const json_t *pd = bt_json_get_obj(v, "progressDetail");
    if (pd) {
        m->has_progress = true;
        m->progress = (struct jsonmsg_progress){
                .current = bt_json_get_int(pd, "current", 0),
                .total = bt_json_get_int(pd, "total", 0),
                .start = bt_json_get_int(pd, "start", 0),
                .hide_counts = bt_json_get_bool(pd, "hidecounts", false),
                .units = bt_json_get_str(pd, "units", ""),
        };
    }
    const json_t *ed = bt_json_get_obj(v, "errorDetail");
    if (ed) {
        m->has_error = true;
        m->error = bt_json_get_str(ed, "message", "");
    }
    const json_t *aux = json_object_get(v, "aux");
    m->aux = json_is_null(aux) ? NULL : aux;
}

/* A time.Duration rounded to the second (halves away from zero), as Duration.String() shows
 * it: "0s", "42s", "3m7s", "1h0m5s". */
static void go_duration(int64_t ns, struct bt_strbuf *out)
{
    int64_t r = ns % NS_PER_SEC;
    if (r < 0)
        r = -r;
    if (ns < 0)
        ns = r + r < NS_PER_SEC ? ns + r : ns - (NS_PER_SEC - r);
    else
        ns = r + r < NS_PER_SEC ? ns - r : ns + (NS_PER_SEC - r);
    if (ns == 0) {
        bt_strbuf_append(out, "0s");
        return;
    }
    uint64_t secs = ns < 0 ? (uint64_t)(-(ns / NS_PER_SEC)) : (uint64_t)(ns / NS_PER_SEC);
    if (ns < 0)
        bt_strbuf_append_c(out, '-');
    uint64_t h = secs / 3600, mi = secs / 60 % 60, s = secs % 60;
    if (h)
        bt_strbuf_appendf(out, "%lluh%llum%llus", (unsigned long long)h, (unsigned long long)mi,
                          (unsigned long long)s);
    else if (mi)
        bt_strbuf_appendf(out, "%llum%llus", (unsigned long long)mi, (unsigned long long)s);
    else
        bt_strbuf_appendf(out, "%llus", (unsigned long long)s);
}

/* go-units HumanSize (precision 4), right-aligned in 8 columns as fmt's %8v does */
static void size8(int64_t n, struct bt_strbuf *out)
{
    bt_autostrbuf struct bt_strbuf s = BT_STRBUF_INIT;
    fmt_human_size((double)n, 4, &s);
    bt_strbuf_appendf(out, "%8s", bt_strbuf_str(&s));
}

void jsonmsg_progress_string(const struct jsonmsg_progress *p, int width, int64_t now_ns,
                             struct bt_strbuf *out)
{
    bool bytes = !p->units || !*p->units;
    if (p->current <= 0 && p->total <= 0)
        return;
    if (p->total <= 0) {
        if (bytes)
            size8(p->current, out);
        else
            bt_strbuf_appendf(out, "%lld %s", (long long)p->current, p->units);
        return;
    }
    /* clamped as a double: a current far above the total would not fit an int (Go's
     * conversion gives some number there, C's is undefined) */
    double ratio = (double)p->current / (double)p->total * 100;
    int pct = ratio >= 100 ? 50 : ratio <= 0 ? 0 : (int)ratio / 2; /* Go panics below 0 */
    if (width > 110) {
        bt_strbuf_append_c(out, '[');
        for (int i = 0; i < pct; i++)
            bt_strbuf_append_c(out, '=');
        bt_strbuf_append_c(out, '>');
        for (int i = 0; i < 50 - pct; i++)
            bt_strbuf_append_c(out, ' ');
        bt_strbuf_append(out, "] ");
    }
    if (p->hide_counts) {
        /* no numbers */
    } else if (bytes) {
        size8(p->current, out);
        if (p->current <= p->total) {
            bt_strbuf_append_c(out, '/');
            fmt_human_size((double)p->total, 4, out);
        }
    } else if (p->current > p->total) {
        bt_strbuf_appendf(out, "%lld %s", (long long)p->current, p->units);
    } else {
        bt_strbuf_appendf(out, "%lld/%lld %s", (long long)p->current, (long long)p->total,
                          p->units);
    }
    if (width > 50 && p->current > 0 && p->start > 0 && pct < 50) {
        /* Go's Duration arithmetic: integer nanoseconds, wrapping on overflow */
        int64_t from_start = (int64_t)((uint64_t)now_ns - (uint64_t)p->start * NS_PER_SEC);
        int64_t per_entry = from_start / p->current;
        int64_t left = (int64_t)((uint64_t)(p->total - p->current) * (uint64_t)per_entry);
        bt_strbuf_append_c(out, ' ');
        go_duration(left, out);
    }
}

static int64_t now(const struct jsonmsg *m)
{
    if (m->now_ns)
        return m->now_ns;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static int width(const struct jsonmsg *m)
{
    unsigned cols = 0;
    if (m->width)
        return m->width;
    if (m->out && term_width(fileno(m->out), &cols))
        return (int)cols;
    return 200;
}

/* RFC3339NanoFixed in the local zone: "2006-01-02T15:04:05.000000000Z07:00". */
static void stamp(int64_t ns, struct bt_strbuf *out)
{
    time_t secs = (time_t)(ns / NS_PER_SEC);
    long frac = (long)(ns % NS_PER_SEC);
    if (frac < 0) {
        frac += NS_PER_SEC;
        secs--;
    }
    struct tm tm;
    localtime_r(&secs, &tm);
    bt_strbuf_appendf(out, "%04d-%02d-%02dT%02d:%02d:%02d.%09ld", tm.tm_year + 1900, tm.tm_mon + 1,
                      tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    long off = tm.tm_gmtoff;
    if (off == 0) {
        bt_strbuf_append_c(out, 'Z');
        return;
    }
    char sign = off < 0 ? '-' : '+';
    off = off < 0 ? -off : off;
    bt_strbuf_appendf(out, "%c%02ld:%02ld", sign, off / 3600, off / 60 % 60);
}

/* JSONMessage.Display: false when the message is an error (m->error set). */
static bool display(struct jsonmsg *m, const struct msg *j, struct bt_strbuf *o)
{
    if (j->has_error) {
        m->error = bt_xstrdup(j->error);
        return false;
    }
    const char *endl = "";
    bt_autostrbuf struct bt_strbuf bar = BT_STRBUF_INIT;
    if (j->has_progress)
        jsonmsg_progress_string(&j->progress, m->terminal ? width(m) : 200, now(m), &bar);
    if (m->terminal && !*j->stream && j->has_progress) {
        bt_strbuf_append(o, "\x1b[2K\r"); /* erase the whole line, back to its start */
        endl = "\r";
    } else if (j->has_progress && bar.len) {
        return true; /* progress bars are for terminals */
    }
    if (j->time_nano || j->time) {
        /* seconds beyond int64 nanoseconds (an engine's nonsense) wrap rather than overflow */
        stamp(j->time_nano ? j->time_nano : (int64_t)((uint64_t)j->time * (uint64_t)NS_PER_SEC), o);
        bt_strbuf_append_c(o, ' ');
    }
    if (*j->id)
        bt_strbuf_appendf(o, "%s: ", j->id);
    if (*j->from)
        bt_strbuf_appendf(o, "(from %s) ", j->from);
    if (j->has_progress && m->terminal)
        bt_strbuf_appendf(o, "%s %s%s", j->status, bt_strbuf_str(&bar), endl);
    else if (*j->progress_message) /* off a terminal this ends no line: docker's quirk */
        bt_strbuf_appendf(o, "%s %s%s", j->status, j->progress_message, endl);
    else if (*j->stream)
        bt_strbuf_appendf(o, "%s%s", j->stream, endl);
    else
        bt_strbuf_appendf(o, "%s%s\n", j->status, endl);
    return true;
}

/* DisplayJSONMessagesStream's loop body for one message. */
static void show(struct jsonmsg *m, const json_t *v)
{
    struct msg j;
    decode(v, &j);
    if (j.aux) {
        if (m->aux)
            m->aux(m->aux_arg, j.aux);
        return;
    }
    if (!m->decided) {
        m->terminal = m->mode == JSONMSG_TERMINAL ||
                      (m->mode == JSONMSG_AUTO && m->out && isatty(fileno(m->out)));
        m->decided = true;
    }
    if (!m->lines)
        m->lines = json_object();
    bt_autostrbuf struct bt_strbuf o = BT_STRBUF_INIT;
    size_t diff = 0;
    if (*j.id && (j.has_progress || *j.progress_message)) {
        /* a line per id; a new id takes a new line at the bottom */
        json_t *line = json_object_get(m->lines, j.id);
        if (!line) {
            line = json_integer((json_int_t)json_object_size(m->lines));
            json_object_set_new(m->lines, j.id, line);
            if (m->terminal)
                bt_strbuf_append_c(&o, '\n');
        }
        diff = json_object_size(m->lines) - (size_t)json_integer_value(line);
        if (m->terminal && diff)
            bt_strbuf_appendf(&o, "\x1b[%zuA", diff);
    } else {
        /* anything else ends the lines' history: a later id starts below it */
        json_object_clear(m->lines);
    }
    bool ok = display(m, &j, &o);
    if (*j.id && m->terminal && diff)
        bt_strbuf_appendf(&o, "\x1b[%zuB", diff);
    if (m->out && o.len) {
        fwrite(o.buf, 1, o.len, m->out);
        fflush(m->out);
    }
    if (!ok)
        m->done = true;
}

/* Parse and show the complete values at the start of pending. */
static void drain(struct jsonmsg *m, bool final)
{
    size_t off = 0;
    while (off < m->pending.len && !m->done) {
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
        if (json_is_object(v))
            show(m, v);
        json_decref(v);
        off += ws + (size_t)je.position;
    }
    if (m->done)
        off = m->pending.len;
    if (off) {
        memmove(m->pending.buf, m->pending.buf + off, m->pending.len - off);
        bt_strbuf_truncate(&m->pending, m->pending.len - off);
    }
}

int jsonmsg_sink(void *arg, const char *data, size_t len)
{
    struct jsonmsg *m = arg;
    if (m->done)
        return 0; /* docker stops reading at the error; the rest is drained unseen */
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
    json_decref(m->lines);
    m->lines = NULL;
    if (m->error) {
        bt_err_set(err, BT_E_INTERNAL, "%s", m->error);
        free(m->error);
        m->error = NULL;
        m->done = false;
        return -1;
    }
    return 0;
}
