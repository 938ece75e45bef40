/* SPDX-License-Identifier: Apache-2.0 */
/* docker logs: reading the json-file log (see guest/monitor/logfile.h for the format). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guest/engine/container/container-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/strbuf.h"
#include "shared/json/json.h"

/* "2026-11-29T10:04:05.123456789Z" -> ns since the epoch (0 on a malformed time) */
static int64_t parse_time(const char *s)
{
    struct tm tm = {0};
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return 0;
    int64_t ns = 0;
    if (*p == '.') {
        p++;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            if (digits < 9) {
                ns = ns * 10 + (*p - '0');
                digits++;
            }
            p++;
        }
        while (digits++ < 9)
            ns *= 10;
    }
    return (int64_t)timegm(&tm) * 1000000000 + ns;
}

struct entry {
    char *log;
    size_t len;
    int stream; /* 1 stdout, 2 stderr */
    int64_t time;
};

static void entry_free(struct entry *e)
{
    free(e->log);
    e->log = NULL;
}

/* Parse one line of the log; false for lines to skip. */
static bool parse_entry(const char *line, size_t len, const struct ctr_logs_opts *o,
                        struct entry *e)
{
    json_error_t je;
    json_t *doc = json_loadb(line, len, JSON_ALLOW_NUL, &je);
    if (!doc)
        return false;
    const char *stream = bt_json_get_str(doc, "stream", "stdout");
    json_t *log = json_object_get(doc, "log");
    e->stream = strcmp(stream, "stderr") == 0 ? 2 : 1;
    e->time = parse_time(bt_json_get_str(doc, "time", ""));
    bool keep = json_is_string(log) &&
                ((e->stream == 1 && o->stdout_) || (e->stream == 2 && o->stderr_)) &&
                (!o->since_ns || e->time >= o->since_ns) &&
                (!o->until_ns || e->time <= o->until_ns);
    if (keep) {
        e->len = json_string_length(log);
        e->log = bt_xmalloc(e->len + 1); /* the text may hold NULs */
        memcpy(e->log, json_string_value(log), e->len);
        e->log[e->len] = '\0';
    }
    json_decref(doc);
    return keep;
}

/* Docker prints timestamps with nine fractional digits (RFC3339NanoFixed). */
static void stamp(int64_t ns, char *out, size_t size)
{
    time_t sec = (time_t)(ns / 1000000000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char base[32];
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, size, "%s.%09lldZ ", base, (long long)(ns % 1000000000));
}

static int emit(int fd, bool tty, const struct ctr_logs_opts *o, const struct entry *e)
{
    char ts[64] = "";
    if (o->timestamps)
        stamp(e->time, ts, sizeof(ts));
    size_t tl = strlen(ts);
    size_t len = tl + e->len;
    struct bt_strbuf sb = BT_STRBUF_INIT;
    if (!tty) {
        unsigned char h[8] = {(unsigned char)e->stream,
                              0,
                              0,
                              0,
                              (unsigned char)(len >> 24),
                              (unsigned char)(len >> 16),
                              (unsigned char)(len >> 8),
                              (unsigned char)len};
        bt_strbuf_append_n(&sb, h, 8);
    }
    bt_strbuf_append_n(&sb, ts, tl);
    bt_strbuf_append_n(&sb, e->log, e->len);
    int rc = bt_fd_write_all(fd, sb.buf, sb.len, NULL);
    bt_strbuf_free(&sb);
    return rc;
}

/* Read complete lines from the log starting at *off; each kept entry goes to fn. */
static int scan(int logfd, off_t *off, int (*fn)(struct entry *, void *), void *arg,
                const struct ctr_logs_opts *o)
{
    struct bt_strbuf buf = BT_STRBUF_INIT;
    char chunk[65536];
    int rc = 0;
    for (;;) {
        ssize_t n = pread(logfd, chunk, sizeof(chunk), *off + (off_t)buf.len);
        if (n <= 0)
            break;
        bt_strbuf_append_n(&buf, chunk, (size_t)n);
        size_t start = 0;
        for (size_t i = 0; i < buf.len; i++) {
            if (buf.buf[i] != '\n')
                continue;
            struct entry e = {0};
            if (parse_entry(buf.buf + start, i - start, o, &e)) {
                rc = fn(&e, arg);
                entry_free(&e);
            }
            start = i + 1;
            if (rc < 0)
                break;
        }
        *off += (off_t)start;
        memmove(buf.buf, buf.buf + start, buf.len - start);
        bt_strbuf_truncate(&buf, buf.len - start);
        if (rc < 0)
            break;
    }
    bt_strbuf_free(&buf);
    return rc;
}

struct ring {
    struct entry *e;
    long long cap, n, head;
};

static int ring_add(struct entry *e, void *arg)
{
    struct ring *r = arg;
    if (r->cap == 0)
        return 0;
    struct entry *slot = &r->e[(r->head + r->n) % r->cap];
    if (r->n == r->cap) {
        entry_free(&r->e[r->head]);
        slot = &r->e[r->head];
        r->head = (r->head + 1) % r->cap;
    } else {
        r->n++;
    }
    *slot = *e;
    e->log = NULL; /* moved */
    return 0;
}

struct out {
    int fd;
    bool tty;
    const struct ctr_logs_opts *o;
};

static int out_entry(struct entry *e, void *arg)
{
    struct out *w = arg;
    return emit(w->fd, w->tty, w->o, e);
}

static bool follow_running(const struct ctr *c)
{
    return c->status == CTR_RUNNING || c->status == CTR_PAUSED || c->status == CTR_RESTARTING ||
           c->busy;
}

/* The rotated files (path.N-1 ... path.1, oldest first) and then path itself, each line to
 * fn; *logfd and *off are left on path, for a follow to go on from. */
static int scan_files(const char *path, int max_files, int *logfd, off_t *off,
                      int (*fn)(struct entry *, void *), void *arg, const struct ctr_logs_opts *o)
{
    for (int i = max_files - 1; i >= 1; i--) {
        bt_autofree char *old = bt_xasprintf("%s.%d", path, i);
        bt_autoclose int fd = open(old, O_RDONLY | O_CLOEXEC);
        off_t o_off = 0;
        if (fd >= 0 && scan(fd, &o_off, fn, arg, o) < 0)
            return -1;
    }
    *logfd = open(path, O_RDONLY | O_CLOEXEC);
    *off = 0;
    return *logfd >= 0 ? scan(*logfd, off, fn, arg, o) : 0;
}

/* While following: when the monitor rotated the file away, the rest of the old one, then the
 * new one from its start. */
static int follow_rotation(const char *path, int *logfd, off_t *off, struct out *w)
{
    struct stat now, cur;
    if (*logfd < 0 || stat(path, &now) < 0 || fstat(*logfd, &cur) < 0 || now.st_ino == cur.st_ino)
        return 0;
    if (scan(*logfd, off, out_entry, w, w->o) < 0)
        return -1;
    close(*logfd);
    *logfd = open(path, O_RDONLY | O_CLOEXEC);
    *off = 0;
    return 0;
}

int ctr_logs(struct ctr_manager *m, struct ctr *c, const struct ctr_logs_opts *o, int fd,
             bool (*gone)(int fd), bt_err **err)
{
    pthread_mutex_lock(&c->lock);
    const json_t *cfg = bt_json_get_obj(c->rec, "Config");
    const json_t *lc = bt_json_get_obj(bt_json_get_obj(c->rec, "HostConfig"), "LogConfig");
    bool tty = bt_json_get_bool(cfg, "Tty", false);
    bool none = strcmp(bt_json_get_str(lc, "Type", "json-file"), "none") == 0;
    bt_autofree char *path = bt_xasprintf("%s/%s-json.log", c->dir, c->id);
    int64_t max_size;
    int max_files = 1;
    if (ctr_log_limits(lc, &max_size, &max_files, NULL) < 0)
        max_files = 1;
    pthread_mutex_unlock(&c->lock);
    if (none)
        return bt_err_set(err, BT_E_INVALID, "configured logging driver does not support reading");
    bt_autoclose int logfd = -1;
    off_t off = 0;
    struct out w = {.fd = fd, .tty = tty, .o = o};
    if (o->tail >= 0) {
        struct ring r = {.cap = o->tail};
        r.e = bt_xzalloc((size_t)(o->tail > 0 ? o->tail : 1) * sizeof(struct entry));
        scan_files(path, max_files, &logfd, &off, ring_add, &r, o);
        int rc = 0;
        for (long long i = 0; i < r.n; i++) {
            struct entry *e = &r.e[(r.head + i) % r.cap];
            if (rc == 0)
                rc = emit(fd, tty, o, e);
            entry_free(e);
        }
        free(r.e);
        if (rc < 0)
            return 0; /* the client went away */
    } else if (scan_files(path, max_files, &logfd, &off, out_entry, &w, o) < 0) {
        return 0;
    }
    if (!o->follow)
        return 0;
    /* follow: new lines as they come, until the container stops and its log is drained. New
     * lines are looked for every 50 ms; the end comes at once: the wait is on the container's
     * state, whose change (the exit) wakes it (a builder's RUN step waits on this). */
    for (;;) {
        pthread_mutex_lock(&c->lock);
        bool running = follow_running(c);
        pthread_mutex_unlock(&c->lock);
        if (logfd < 0)
            logfd = open(path, O_RDONLY | O_CLOEXEC);
        if (follow_rotation(path, &logfd, &off, &w) < 0)
            return 0;
        if (logfd >= 0 && scan(logfd, &off, out_entry, &w, o) < 0)
            return 0;
        if (!running || gone(fd))
            return 0;
        pthread_mutex_lock(&c->lock);
        if (follow_running(c))
            ctr_timed_wait(c, 50);
        pthread_mutex_unlock(&c->lock);
    }
}
