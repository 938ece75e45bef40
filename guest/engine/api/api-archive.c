/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /containers/{id}/archive: HEAD (stat), GET (a tar of a path) and PUT (extract a tar), the
 * endpoints of `docker cp`. The stat travels in the X-Docker-Container-Path-Stat header as
 * base64 of the JSON of dockerd's ContainerPathStat, whose mode is a Go os.FileMode.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "guest/engine/api/api-internal.h"
#include "guest/engine/container/archive.h"
#include "guest/engine/container/container.h"
#include "shared/base/base64.h"
#include "shared/base/cleanup.h"
#include "shared/base/log.h"
#include "shared/json/json.h"

#define CTRS(call) (api_ctx(call)->containers)

/* Go's os.FileMode bits (io/fs), as the stat's "mode" carries them */
#define GO_MODE_DIR         (1u << 31)
#define GO_MODE_SYMLINK     (1u << 27)
#define GO_MODE_DEVICE      (1u << 26)
#define GO_MODE_NAMED_PIPE  (1u << 25)
#define GO_MODE_SOCKET      (1u << 24)
#define GO_MODE_SETUID      (1u << 23)
#define GO_MODE_SETGID      (1u << 22)
#define GO_MODE_CHAR_DEVICE (1u << 21)
#define GO_MODE_STICKY      (1u << 20)

/* Go's fillFileStatFromSys: the type bits, the permissions, and setuid/setgid/sticky */
static uint32_t go_file_mode(mode_t m)
{
    uint32_t g = m & 0777;
    switch (m & S_IFMT) {
    case S_IFDIR:
        g |= GO_MODE_DIR;
        break;
    case S_IFLNK:
        g |= GO_MODE_SYMLINK;
        break;
    case S_IFBLK:
        g |= GO_MODE_DEVICE;
        break;
    case S_IFCHR:
        g |= GO_MODE_DEVICE | GO_MODE_CHAR_DEVICE;
        break;
    case S_IFIFO:
        g |= GO_MODE_NAMED_PIPE;
        break;
    case S_IFSOCK:
        g |= GO_MODE_SOCKET;
        break;
    }
    if (m & S_ISUID)
        g |= GO_MODE_SETUID;
    if (m & S_ISGID)
        g |= GO_MODE_SETGID;
    if (m & S_ISVTX)
        g |= GO_MODE_STICKY;
    return g;
}

/* RFC 3339 with nanoseconds, trailing zeros dropped (Go's time.RFC3339Nano), in UTC */
static char *rfc3339nano(const struct timespec *t)
{
    struct tm tm;
    gmtime_r(&t->tv_sec, &tm);
    char base[32], frac[16] = "";
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    if (t->tv_nsec) {
        snprintf(frac, sizeof(frac), ".%09ld", t->tv_nsec);
        size_t n = strlen(frac);
        while (frac[n - 1] == '0')
            frac[--n] = '\0';
    }
    return bt_xasprintf("%s%sZ", base, frac);
}

static char *stat_header(const struct ctr_path_stat *st)
{
    bt_autofree char *mtime = rfc3339nano(&st->mtime);
    bt_autoptr(json_t) doc = json_pack(
            "{s:s, s:I, s:I, s:s, s:s}", "name", st->name, "size", (json_int_t)st->size, "mode",
            (json_int_t)go_file_mode(st->mode), "mtime", mtime, "linkTarget", st->link_target);
    bt_autofree char *text = bt_json_dumps(doc);
    return bt_base64_encode(text, strlen(text));
}

/* The container and the path of the request, or the error answered and NULL. */
static struct ctr *begin(struct api_call *call, const char **path)
{
    bt_autoerr bt_err *err = NULL;
    *path = api_query(call, "path");
    if (!*path || !**path) {
        bt_err_set(&err, BT_E_INVALID, "bad parameter: 'path' cannot be empty");
        api_reply_error(call, err);
        return NULL;
    }
    struct ctr *c = ctr_get(CTRS(call), api_param(call, 0), &err);
    if (!c)
        api_reply_error(call, err);
    return c;
}

/* dockerd answers a missing path with its own 404 (containerFileNotFound), naming the
 * container as the client did */
static void reply_error(struct api_call *call, const char *path, bt_err *err)
{
    if (bt_err_code(err) == ENOENT) {
        bt_autoerr bt_err *nf = NULL;
        bt_err_set(&nf, BT_E_NOT_FOUND, "Could not find the file %s in container %s", path,
                   api_param(call, 0));
        api_reply_error(call, nf);
        return;
    }
    api_reply_error(call, err);
}

void api_container_archive_stat(struct api_call *call)
{
    const char *path;
    bt_autoptr(ctr) c = begin(call, &path);
    if (!c)
        return;
    bt_autoerr bt_err *err = NULL;
    struct ctr_path_stat st = {0};
    if (ctr_archive_stat(CTRS(call), c, path, &st, &err) < 0) {
        reply_error(call, path, err);
        return;
    }
    bt_autofree char *h = stat_header(&st);
    ctr_path_stat_clear(&st);
    api_reply_status(call, 200);
    api_reply_header(call, "X-Docker-Container-Path-Stat", h);
}

static void archive_producer(int fd, void *arg)
{
    struct ctr_archive *a = arg;
    bt_autoerr bt_err *err = NULL;
    /* the status is out already: a failure can only cut the stream short, as with dockerd */
    if (ctr_archive_write(a, fd, &err) < 0 && !api_stream_gone(fd))
        bt_warn("archive of a container path: %s", bt_err_msg(err));
    ctr_archive_close(a);
}

void api_container_archive_get(struct api_call *call)
{
    const char *path;
    bt_autoptr(ctr) c = begin(call, &path);
    if (!c)
        return;
    bt_autoerr bt_err *err = NULL;
    struct ctr_path_stat st = {0};
    struct ctr_archive *a = ctr_archive_open(CTRS(call), c, path, &st, &err);
    if (!a) {
        reply_error(call, path, err);
        return;
    }
    bt_autofree char *h = stat_header(&st);
    ctr_path_stat_clear(&st);
    if (api_reply_stream(call, 200, "application/x-tar", archive_producer, a) < 0) {
        ctr_archive_close(a);
        return;
    }
    ctr_emit(c, "archive-path", NULL);
    api_reply_header(call, "X-Docker-Container-Path-Stat", h);
}

/* GET /containers/{id}/export (docker export) */
void api_container_export(struct api_call *call)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(ctr) c = ctr_get(CTRS(call), api_param(call, 0), &err);
    struct ctr_archive *a = c ? ctr_export_open(CTRS(call), c, &err) : NULL;
    if (!a) {
        api_reply_error(call, err);
        return;
    }
    ctr_emit(c, "export", NULL);
    if (api_reply_stream(call, 200, "application/x-tar", archive_producer, a) < 0)
        ctr_archive_close(a);
}

void api_container_archive_put(struct api_call *call)
{
    const char *path;
    bt_autoptr(ctr) c = begin(call, &path);
    if (!c)
        return;
    bt_autoerr bt_err *err = NULL;
    struct ctr_extract_opts o = {
            .no_overwrite_dir_nondir = api_query_bool(call, "noOverwriteDirNonDir", false),
            .copy_uid_gid = api_query_bool(call, "copyUIDGID", false),
    };
    if (ctr_archive_extract(CTRS(call), c, path, &o, api_body_fd(call), &err) < 0) {
        reply_error(call, path, err);
        return;
    }
    ctr_emit(c, "extract-to-dir", NULL);
    api_reply_status(call, 200);
}
