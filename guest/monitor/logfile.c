/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/monitor/logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/base/utf8.h"

#define MAX_LINE 16384

struct pending {
    const char *stream;
    struct bt_strbuf buf;
};

struct logfile {
    int fd;
    struct pending out, err;
    char *path;
    int64_t size, max_size; /* max_size -1: no rotation */
    int max_files;
};

struct logfile *logfile_open(const char *path, bt_err **err)
{
    return logfile_open_rotating(path, -1, 1, err);
}

struct logfile *logfile_open_rotating(const char *path, int64_t max_size, int max_files,
                                      bt_err **err)
{
    struct logfile *l = bt_xzalloc(sizeof(*l));
    l->fd = -1;
    l->out.stream = "stdout";
    l->err.stream = "stderr";
    l->max_size = max_size;
    l->max_files = max_files < 1 ? 1 : max_files;
    if (path) {
        l->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        struct stat st;
        if (l->fd < 0 || fstat(l->fd, &st) < 0) {
            bt_err_errno(err, errno, "open log \"%s\"", path);
            bt_fd_close(l->fd);
            free(l);
            return NULL;
        }
        l->size = st.st_size;
        l->path = bt_xstrdup(path);
    }
    return l;
}

int logfile_rotate_files(const char *path, int max_files, bt_err **err)
{
    if (max_files < 2)
        return 0;
    bt_autofree char *last = bt_xasprintf("%s.%d", path, max_files - 1);
    if (unlink(last) < 0 && errno != ENOENT)
        return bt_err_errno(err, errno, "remove \"%s\"", last);
    for (int i = max_files - 2; i >= 0; i--) {
        bt_autofree char *from = i ? bt_xasprintf("%s.%d", path, i) : bt_xstrdup(path);
        bt_autofree char *to = bt_xasprintf("%s.%d", path, i + 1);
        if (rename(from, to) < 0 && errno != ENOENT)
            return bt_err_errno(err, errno, "rename \"%s\"", from);
    }
    return 0;
}

/* dockerd's checkCapacityAndRotate: a file at its size or above goes before the next line */
static void rotate_if_full(struct logfile *l)
{
    if (l->max_size < 0 || l->size < l->max_size || !l->path)
        return;
    bt_autoerr bt_err *e = NULL;
    if (logfile_rotate_files(l->path, l->max_files, &e) < 0)
        return; /* keep writing to the full file rather than lose output */
    int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | (l->max_files < 2 ? O_TRUNC : 0);
    int fd = open(l->path, flags, 0640);
    if (fd < 0)
        return;
    bt_fd_close(l->fd);
    l->fd = fd;
    l->size = 0;
}

char *logfile_sanitize_utf8(const char *s, size_t len, size_t *out_len)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    size_t i = 0;
    while (i < len) {
        size_t n = bt_utf8_decode((const unsigned char *)s + i, len - i, NULL);
        if (n == 0) {
            bt_strbuf_append(&sb, "\xef\xbf\xbd");
            i++;
        } else {
            bt_strbuf_append_n(&sb, s + i, n);
            i += n;
        }
    }
    *out_len = sb.len;
    return bt_strbuf_steal(&sb);
}

static void emit(struct logfile *l, const char *stream, const char *data, size_t len)
{
    if (l->fd < 0)
        return;
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char stamp[64];
    size_t k = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    /* RFC 3339 with nanoseconds, trailing zeros trimmed, as Go marshals a time */
    if (ts.tv_nsec) {
        char frac[16];
        snprintf(frac, sizeof(frac), ".%09ld", ts.tv_nsec);
        size_t f = strlen(frac);
        while (frac[f - 1] == '0')
            frac[--f] = '\0';
        snprintf(stamp + k, sizeof(stamp) - k, "%sZ", frac);
    } else {
        snprintf(stamp + k, sizeof(stamp) - k, "Z");
    }
    size_t clean_len;
    bt_autofree char *clean = logfile_sanitize_utf8(data, len, &clean_len);
    json_t *line =
            json_pack("{s:s%, s:s, s:s}", "log", clean, clean_len, "stream", stream, "time", stamp);
    char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(line);
    if (!text)
        return;
    size_t tl = strlen(text);
    text[tl] = '\n'; /* replaces the NUL: the buffer is written with its length */
    rotate_if_full(l);
    /* a log that cannot be written (disk full) must not stop the container */
    if (bt_fd_write_all(l->fd, text, tl + 1, NULL) == 0)
        l->size += (int64_t)tl + 1;
    free(text);
}

static void write_stream(struct logfile *l, struct pending *p, const char *data, size_t len)
{
    bt_strbuf_append_n(&p->buf, data, len);
    size_t start = 0;
    for (size_t i = 0; i < p->buf.len; i++) {
        if (p->buf.buf[i] == '\n') {
            emit(l, p->stream, p->buf.buf + start, i + 1 - start);
            start = i + 1;
        } else if (i + 1 - start >= MAX_LINE) {
            emit(l, p->stream, p->buf.buf + start, i + 1 - start);
            start = i + 1;
        }
    }
    if (start) {
        memmove(p->buf.buf, p->buf.buf + start, p->buf.len - start);
        bt_strbuf_truncate(&p->buf, p->buf.len - start);
    }
}

void logfile_write(struct logfile *l, const char *stream, const char *data, size_t len)
{
    write_stream(l, strcmp(stream, "stderr") == 0 ? &l->err : &l->out, data, len);
}

void logfile_flush(struct logfile *l)
{
    struct pending *ps[2] = {&l->out, &l->err};
    for (int i = 0; i < 2; i++) {
        if (ps[i]->buf.len)
            emit(l, ps[i]->stream, ps[i]->buf.buf, ps[i]->buf.len);
        bt_strbuf_reset(&ps[i]->buf);
    }
}

void logfile_close(struct logfile *l)
{
    if (!l)
        return;
    logfile_flush(l);
    bt_fd_close(l->fd);
    bt_strbuf_free(&l->out.buf);
    bt_strbuf_free(&l->err.buf);
    free(l->path);
    free(l);
}
