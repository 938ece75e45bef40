/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker cp's two directions over the archive endpoints. The tar streams through a pipe
 * between the HTTP exchange (this thread) and libarchive (a thread of its own), so that
 * nothing is held in memory or spooled to disk whatever the size.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/copy/archive-module.h"
#include "host/copy/copy.h"
#include "shared/base/base64.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/path.h"
#include "shared/base/strbuf.h"
#include "shared/json/json.h"

#define STAT_HEADER "x-docker-container-path-stat"

/* ---- the stat header ---- */

void copy_stat_clear(struct copy_stat *st)
{
    free(st->name);
    free(st->link_target);
    *st = (struct copy_stat){0};
}

int copy_stat_parse(const char *header, struct copy_stat *st, bt_err **err)
{
    *st = (struct copy_stat){0};
    size_t len = 0;
    bt_autofree char *text = bt_base64_decode(header, &len, err);
    if (!text)
        return bt_err_wrap(err, "unable to decode container path stat header");
    bt_autoptr(json_t) doc = bt_json_parse_object(text, len, err);
    if (!doc)
        return bt_err_wrap(err, "unable to decode container path stat header");
    st->name = bt_xstrdup(bt_json_get_str(doc, "name", ""));
    st->size = bt_json_get_int(doc, "size", 0);
    st->mode = (uint32_t)bt_json_get_int(doc, "mode", 0);
    st->link_target = bt_xstrdup(bt_json_get_str(doc, "linkTarget", ""));
    return 0;
}

/* ---- requests ---- */

/* a query value, percent-encoded (url.QueryEscape, with %20 for a space) */
static void query_value(struct bt_strbuf *sb, const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-_.~", *p))
            bt_strbuf_append_c(sb, (char)*p);
        else
            bt_strbuf_appendf(sb, "%%%02X", *p);
    }
}

static char *archive_url(const char *ctr, const char *path)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, "/containers/");
    query_value(&sb, ctr);
    bt_strbuf_append(&sb, "/archive?path=");
    query_value(&sb, path);
    return bt_strbuf_steal(&sb);
}

/* HEAD: the stat of a container path (ContainerStatPath) */
static int stat_path(struct cl_client *c, const char *ctr, const char *path, struct copy_stat *st,
                     bt_err **err)
{
    bt_autofree char *url = archive_url(ctr, path);
    bt_autoptr(json_t) headers = json_object();
    struct cl_request req = {.method = "HEAD", .path = url, .resp_headers = headers};
    struct cl_response resp;
    if (cl_call(c, &req, &resp, err) < 0)
        return -1;
    cl_response_clear(&resp);
    const char *h = bt_json_get_str(headers, STAT_HEADER, NULL);
    if (!h)
        return bt_err_set(err, BT_E_INVALID, "unable to decode container path stat header");
    return copy_stat_parse(h, st, err);
}

/* ---- from a container ---- */

struct from {
    const char *ctr;
    const char *src; /* as asked of the engine */
    const char *dst; /* absolute, or "-" */
    char *rebase_name;
    int out_fd; /* "-": the raw tar goes here */
    json_t *headers;
    int pipe[2];
    pthread_t thread;
    bool started;
    char *dir, *from, *to;
    atomic_bool failed;
    bt_err *err; /* the extraction's (or the preparation's) */
    int64_t copied;
};

static void *unpack_main(void *arg)
{
    struct from *f = arg;
    if (copy_archive_unpack(f->pipe[0], f->dir, f->from, f->to, &f->err) < 0)
        atomic_store(&f->failed, true);
    /* whatever is left (padding after the end, or everything after a failure) is read and
     * dropped, so the writer never blocks on a full pipe */
    char buf[16384];
    for (;;) {
        ssize_t n = read(f->pipe[0], buf, sizeof(buf));
        if (n == 0 || (n < 0 && errno != EINTR))
            break;
    }
    return NULL;
}

/* The answer's head is in: with the stat, decide where the archive goes (CopyTo). */
static int start_unpack(struct from *f, bt_err **err)
{
    struct copy_stat st;
    const char *h = bt_json_get_str(f->headers, STAT_HEADER, "");
    if (copy_stat_parse(h, &st, err) < 0)
        return -1;
    struct copy_info src = {.path = bt_xstrdup(f->src),
                            .exists = true,
                            .is_dir = (st.mode & COPY_GO_MODE_DIR) != 0,
                            .rebase_name = bt_xstrdup_or_null(f->rebase_name)};
    copy_stat_clear(&st);
    struct copy_info dst;
    int rc = copy_dest_info(f->dst, &dst, err);
    if (rc == 0)
        rc = copy_prepare(&src, &dst, &f->dir, &f->to, err);
    bt_autofree char *sdir = NULL;
    if (rc == 0)
        copy_split_dir_entry(src.path, &sdir, &f->from);
    copy_info_clear(&src);
    copy_info_clear(&dst);
    if (rc < 0)
        return -1;
    if (pipe2(f->pipe, O_CLOEXEC) < 0)
        return bt_err_errno(err, errno, "pipe");
    if (pthread_create(&f->thread, NULL, unpack_main, f) != 0) {
        close(f->pipe[0]);
        close(f->pipe[1]);
        f->pipe[0] = f->pipe[1] = -1;
        return bt_err_set(err, BT_E_INTERNAL, "cannot start a thread to extract the copy");
    }
    f->started = true;
    return 0;
}

static void from_head(void *arg, int status)
{
    struct from *f = arg;
    if (status != 200 || f->out_fd >= 0)
        return;
    if (start_unpack(f, &f->err) < 0)
        atomic_store(&f->failed, true);
}

static int from_sink(void *arg, const char *data, size_t len)
{
    struct from *f = arg;
    if (atomic_load(&f->failed))
        return -1;
    int fd = f->out_fd >= 0 ? f->out_fd : f->pipe[1];
    if (fd < 0 || bt_fd_write_all(fd, data, len, NULL) < 0)
        return -1;
    f->copied += (int64_t)len;
    return 0;
}

/* -L: the path of a symlink's target, and the link's name to keep */
static int follow_link(struct cl_client *c, const char *ctr, const char *src, char **path,
                       char **rebase, bt_err **err)
{
    *path = bt_xstrdup(src);
    *rebase = NULL;
    struct copy_stat st;
    bt_autoerr bt_err *e = NULL;
    if (stat_path(c, ctr, src, &st, &e) < 0 || !(st.mode & COPY_GO_MODE_SYMLINK)) {
        if (!e)
            copy_stat_clear(&st);
        return 0; /* the GET reports what is wrong */
    }
    bt_autofree char *target = NULL;
    if (st.link_target[0] == '/') {
        target = bt_xstrdup(st.link_target);
    } else {
        bt_autofree char *d = NULL, *b = NULL;
        copy_split_dir_entry(src, &d, &b);
        target = bt_path_join(d, st.link_target);
    }
    copy_stat_clear(&st);
    free(*path);
    *path = copy_rebase_name(src, target, rebase);
    return 0;
}

int copy_from_container(struct cl_client *c, const char *ctr, const char *src, const char *dst,
                        const struct copy_opts *o, int64_t *copied, char **shown, bt_err **err)
{
    bool to_stdio = strcmp(dst, "-") == 0;
    bt_autofree char *dst_path = to_stdio ? bt_xstrdup("-") : copy_local_abs(dst, err);
    if (!dst_path || copy_validate_output(dst_path, err) < 0)
        return -1;
    struct from f = {.ctr = ctr, .dst = dst_path, .out_fd = to_stdio ? o->stdio_fd : -1};
    f.pipe[0] = f.pipe[1] = -1;
    bt_autofree char *src_path = NULL;
    if (o->follow_link)
        follow_link(c, ctr, src, &src_path, &f.rebase_name, err);
    else
        src_path = bt_xstrdup(src);
    f.src = src_path;
    f.headers = json_object();
    bt_autofree char *url = archive_url(ctr, src_path);
    struct cl_request req = {.method = "GET",
                             .path = url,
                             .sink = from_sink,
                             .sink_arg = &f,
                             .on_head = from_head,
                             .on_head_arg = &f,
                             .resp_headers = f.headers};
    struct cl_response resp;
    bt_err *call_err = NULL;
    int rc = cl_call(c, &req, &resp, &call_err);
    if (rc >= 0)
        cl_response_clear(&resp);
    bt_fd_close(f.pipe[1]);
    if (f.started)
        pthread_join(f.thread, NULL);
    bt_fd_close(f.pipe[0]);
    if (f.err && (rc >= 0 || cl_err_kind(call_err) == BT_E_CANCELED)) {
        /* the extraction's own failure says more than the request that it stopped (but a
         * request that failed by itself, say a connection cut, is the cause) */
        bt_err_free(call_err);
        bt_err_move(err, &f.err);
        rc = -1;
    } else if (rc < 0) {
        bt_err_move(err, &call_err);
    }
    bt_err_free(f.err);
    json_decref(f.headers);
    free(f.rebase_name);
    free(f.dir);
    free(f.from);
    free(f.to);
    *copied = f.copied;
    *shown = bt_steal_ptr(&dst_path);
    return rc < 0 ? -1 : 0;
}

/* ---- to a container ---- */

struct to {
    int pipe[2];
    pthread_t thread;
    bool started;
    const char *path, *top;
    bt_err *err;
    atomic_bool done;
    int in_fd; /* the body: the pipe's end, or "-"'s descriptor */
    int64_t sent;
};

static void *pack_main(void *arg)
{
    struct to *t = arg;
    /* a request that fails closes the pipe: the writes then fail with EPIPE, no signal */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    copy_archive_pack(t->pipe[1], t->path, t->top, &t->err);
    close(t->pipe[1]);
    t->pipe[1] = -1;
    atomic_store(&t->done, true);
    return NULL;
}

static ssize_t to_source(void *arg, char *buf, size_t len)
{
    struct to *t = arg;
    ssize_t n;
    do {
        n = read(t->in_fd, buf, len);
    } while (n < 0 && errno == EINTR);
    if (n == 0 && t->started) {
        /* the end: a tar cut short by a failure must not reach the engine as a whole one */
        pthread_join(t->thread, NULL);
        t->started = false;
        if (t->err) {
            errno = EIO;
            return -1;
        }
    }
    if (n > 0)
        t->sent += n;
    return n;
}

/* The destination as the docker CLI learns it: stat'ed, a symlink followed once. */
static int dest_info(struct cl_client *c, const char *ctr, const char *dst, struct copy_info *info,
                     bt_err **err)
{
    *info = (struct copy_info){.path = bt_xstrdup(dst)};
    struct copy_stat st;
    bt_autoerr bt_err *ignored = NULL;
    if (stat_path(c, ctr, dst, &st, &ignored) < 0)
        return 0; /* maybe it does not exist yet; the extraction tells */
    if (st.mode & COPY_GO_MODE_SYMLINK) {
        char *target;
        if (st.link_target[0] == '/') {
            target = bt_xstrdup(st.link_target);
        } else {
            bt_autofree char *d = NULL, *b = NULL;
            copy_split_dir_entry(dst, &d, &b);
            target = bt_path_join(d, st.link_target);
        }
        free(info->path);
        info->path = target;
        copy_stat_clear(&st);
        if (stat_path(c, ctr, target, &st, &ignored) < 0)
            return 0;
    }
    const char *bad = st.mode & COPY_GO_MODE_DEVICE      ? "got a device"
                      : st.mode & COPY_GO_MODE_IRREGULAR ? "got an irregular file"
                                                         : NULL;
    bool is_dir = (st.mode & COPY_GO_MODE_DIR) != 0;
    copy_stat_clear(&st);
    if (bad)
        return bt_err_set(err, BT_E_INVALID,
                          "destination \"%s:%s\" must be a directory or a regular file: %s", ctr,
                          dst, bad);
    info->exists = true;
    info->is_dir = is_dir;
    return 0;
}

/* Where the archive goes and what it holds (PrepareArchiveCopy), and the packing started. */
static int start_pack(struct to *t, const char *src_path, bool follow, const struct copy_info *dst,
                      char **dst_dir, char **top, bt_err **err)
{
    struct copy_info src;
    if (copy_source_info(src_path, follow, &src, err) < 0)
        return -1;
    if (copy_prepare(&src, dst, dst_dir, top, err) < 0) {
        copy_info_clear(&src);
        return -1;
    }
    if (!*top) {
        /* the archive keeps the source's own name (TarResource) */
        bt_autofree char *d = NULL;
        copy_split_dir_entry(src.path, &d, top);
    }
    t->path = bt_steal_ptr(&src.path);
    t->top = *top;
    copy_info_clear(&src);
    if (pipe2(t->pipe, O_CLOEXEC) < 0)
        return bt_err_errno(err, errno, "pipe");
    t->in_fd = t->pipe[0];
    if (pthread_create(&t->thread, NULL, pack_main, t) != 0)
        return bt_err_set(err, BT_E_INTERNAL, "cannot start a thread to make the copy");
    t->started = true;
    return 0;
}

int copy_to_container(struct cl_client *c, const char *src, const char *ctr, const char *dst,
                      const struct copy_opts *o, int64_t *copied, char **shown, bt_err **err)
{
    bool from_stdio = strcmp(src, "-") == 0;
    bt_autofree char *src_path = from_stdio ? bt_xstrdup("-") : copy_local_abs(src, err);
    if (!src_path)
        return -1;
    struct copy_info dinfo;
    if (dest_info(c, ctr, dst, &dinfo, err) < 0) {
        copy_info_clear(&dinfo);
        return -1;
    }
    struct to t = {.pipe = {-1, -1}, .in_fd = o->stdio_fd};
    bt_autofree char *dst_dir = NULL, *top = NULL;
    int rc = 0;
    if (from_stdio) {
        if (!dinfo.is_dir)
            rc = bt_err_set(err, BT_E_INVALID, "destination \"%s:%s\" must be a directory", ctr,
                            dst);
        dst_dir = bt_xstrdup(dinfo.path);
    } else {
        rc = start_pack(&t, src_path, o->follow_link, &dinfo, &dst_dir, &top, err);
    }
    if (rc == 0) {
        bt_autostrbuf struct bt_strbuf url = BT_STRBUF_INIT;
        bt_autofree char *base = archive_url(ctr, dst_dir);
        bt_strbuf_appendf(&url, "%s&noOverwriteDirNonDir=true%s", base,
                          o->copy_uid_gid ? "&copyUIDGID=true" : "");
        struct cl_request req = {.method = "PUT",
                                 .path = bt_strbuf_str(&url),
                                 .content_type = "application/x-tar",
                                 .source = to_source,
                                 .source_arg = &t};
        struct cl_response resp;
        rc = cl_call(c, &req, &resp, err);
        if (rc >= 0)
            cl_response_clear(&resp);
    }
    bt_fd_close(t.pipe[0]); /* a packer still writing gets EPIPE */
    if (t.started)
        pthread_join(t.thread, NULL);
    /* the packer's failure, unless it only saw the pipe close behind a failed request */
    if (t.err && !(rc < 0 && bt_err_code(t.err) == EPIPE)) {
        bt_err_clear(err);
        bt_err_move(err, &t.err);
        rc = -1;
    }
    bt_err_free(t.err);
    free((char *)t.path);
    *copied = t.sent;
    *shown = bt_xasprintf("%s:%s", ctr, dinfo.path);
    copy_info_clear(&dinfo);
    return rc < 0 ? -1 : 0;
}
