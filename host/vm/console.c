/* SPDX-License-Identifier: Apache-2.0 */
/* Following console.log: see console.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/vm/console.h"
#include "host/vm/vm-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

#define POLL_MS 50
/* The tail reads at most this much of the end of the file. */
#define TAIL_BYTES (64 * 1024)

/* A copy of line[0..n) without control characters ("\r", escape sequences' ESC, ...). */
static char *clean(const char *line, size_t n)
{
    char *out = bt_xmalloc(n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c >= 0x20 && c != 0x7f)
            out[j++] = (char)c;
        else if (c == '\t')
            out[j++] = ' ';
    }
    out[j] = 0;
    return out;
}

struct follower {
    int fd;
    off_t offset;
    struct bt_strbuf partial; /* the line being read */
};

/* Read what was appended and look at each complete line: 1 when one holds the marker or the
 * error marker (*hit is the line from there, *is_error says which), 0 otherwise. */
static int follow(struct follower *f, const char *path, const char *marker, char **hit,
                  bool *is_error)
{
    struct stat now, st;
    if (f->fd >= 0 && stat(path, &now) == 0 && fstat(f->fd, &st) == 0 &&
        (now.st_ino != st.st_ino || now.st_dev != st.st_dev)) {
        /* replaced by another file (removed and made again): follow the new one */
        close(f->fd);
        f->fd = -1;
    }
    if (f->fd < 0) {
        f->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (f->fd < 0)
            return 0;
        f->offset = 0;
        bt_strbuf_reset(&f->partial);
    }
    if (fstat(f->fd, &st) == 0 && st.st_size < f->offset) {
        /* truncated: a new boot; read it from its start */
        f->offset = 0;
        bt_strbuf_reset(&f->partial);
    }
    char buf[8192];
    for (;;) {
        ssize_t n = pread(f->fd, buf, sizeof(buf), f->offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        f->offset += n;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                bt_strbuf_append_c(&f->partial, buf[i]);
                continue;
            }
            bt_autofree char *line = clean(bt_strbuf_str(&f->partial), f->partial.len);
            bt_strbuf_reset(&f->partial);
            const char *m = strstr(line, marker);
            const char *e = strstr(line, VM_CONSOLE_ERROR_MARKER);
            if (m || e) {
                *is_error = !m;
                *hit = bt_xstrdup(m ? m : e);
                return 1;
            }
        }
    }
}

int vm_console_wait_full(const struct vm_console_wait_opts *o, char **line, bt_err **err)
{
    *line = NULL;
    struct follower f = {.fd = -1};
    long long deadline = vm_now_ms() + o->timeout_ms;
    int rc = -1;
    for (;;) {
        char *hit = NULL;
        bool is_error = false;
        if (follow(&f, o->path, o->marker, &hit, &is_error)) {
            *line = hit;
            if (is_error)
                bt_err_set(err, BT_E_UNAVAILABLE, "the machine reported: %s", hit);
            else
                rc = 0;
            break;
        }
        if (o->alive && !o->alive(o->ctx)) {
            bt_err_set(err, BT_E_UNAVAILABLE,
                       "the machine stopped before \"%s\" appeared on the console", o->marker);
            break;
        }
        if (vm_now_ms() >= deadline) {
            bt_err_set(err, BT_E_TIMEOUT, "timed out after %d s waiting for \"%s\" on the console",
                       (o->timeout_ms + 999) / 1000, o->marker);
            break;
        }
        vm_sleep_ms(POLL_MS);
    }
    if (f.fd >= 0)
        close(f.fd);
    bt_strbuf_free(&f.partial);
    return rc;
}

int vm_console_wait(const char *path, const char *marker, int timeout_ms, char **line, bt_err **err)
{
    struct vm_console_wait_opts o = {.path = path, .marker = marker, .timeout_ms = timeout_ms};
    return vm_console_wait_full(&o, line, err);
}

char *vm_console_tail(const char *path, unsigned nlines, bt_err **err)
{
    bt_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        bt_err_errno(err, errno, "read console \"%s\"", path);
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        bt_err_errno(err, errno, "read console \"%s\"", path);
        return NULL;
    }
    off_t from = st.st_size > TAIL_BYTES ? st.st_size - TAIL_BYTES : 0;
    bt_autofree char *buf = bt_xmalloc(TAIL_BYTES + 1);
    ssize_t n = pread(fd, buf, TAIL_BYTES, from);
    if (n < 0) {
        bt_err_errno(err, errno, "read console \"%s\"", path);
        return NULL;
    }
    /* lines, from the end: skip a trailing newline, then take nlines */
    size_t end = (size_t)n;
    while (end > 0 && (buf[end - 1] == '\n' || buf[end - 1] == '\r'))
        end--;
    size_t start = end;
    unsigned seen = 0;
    while (start > 0 && nlines > 0) {
        if (buf[start - 1] == '\n' && ++seen == nlines)
            break;
        start--;
    }
    if (nlines == 0)
        start = end;
    struct bt_strbuf out = BT_STRBUF_INIT;
    size_t i = start;
    while (i < end) {
        size_t j = i;
        while (j < end && buf[j] != '\n')
            j++;
        bt_autofree char *l = clean(buf + i, j - i);
        if (out.len)
            bt_strbuf_append_c(&out, '\n');
        bt_strbuf_append(&out, l);
        i = j + 1;
    }
    return bt_strbuf_steal(&out);
}
