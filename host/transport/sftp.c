/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Copies over SFTP, with scp's rules (`berth machine scp`): a target that is an existing
 * directory receives the source under its own name; a directory is copied only with
 * `recursive`, and then as a whole tree; symbolic links are followed on the way out, as scp
 * does; other special files are skipped with a warning. The protocol is libssh2's; this file
 * only walks trees. One blocking session of its own (tp_ssh_session_open), so no bridge.
 *
 * Names that come from the far side are checked before they touch the local file system: a
 * directory listing can only add one path component ("." and ".." and names with '/' are
 * skipped), so a server cannot make us write outside the target.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libssh2_sftp.h>

#include "host/transport/ssh-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/log.h"
#include "shared/base/mem.h"

#define CHUNK (128 * 1024)

struct tp_sftp {
    struct tp_ssh_session ss;
    LIBSSH2_SFTP *sftp;
};

static const char *sftp_error_text(LIBSSH2_SFTP *sftp, LIBSSH2_SESSION *s)
{
    switch (libssh2_sftp_last_error(sftp)) {
    case LIBSSH2_FX_NO_SUCH_FILE:
    case LIBSSH2_FX_NO_SUCH_PATH:
        return "No such file or directory";
    case LIBSSH2_FX_PERMISSION_DENIED:
        return "Permission denied";
    case LIBSSH2_FX_FILE_ALREADY_EXISTS:
        return "File exists";
    case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM:
    case LIBSSH2_FX_QUOTA_EXCEEDED:
        return "No space left on device";
    case LIBSSH2_FX_NOT_A_DIRECTORY:
        return "Not a directory";
    case LIBSSH2_FX_FAILURE:
        return "Failure";
    default:
        return tp_ssh_last_error(s);
    }
}

/* An error about a remote path, as scp words it: "scp: PATH: REASON". */
static int remote_fail(struct tp_sftp *f, const char *path, bt_err **err)
{
    if (libssh2_session_last_errno(f->ss.s) != LIBSSH2_ERROR_SFTP_PROTOCOL)
        return bt_err_set(err, BT_E_UNAVAILABLE, "scp: %s: %s", path, tp_ssh_last_error(f->ss.s));
    unsigned long code = libssh2_sftp_last_error(f->sftp);
    int kind = code == LIBSSH2_FX_NO_SUCH_FILE || code == LIBSSH2_FX_NO_SUCH_PATH ? BT_E_NOT_FOUND
               : code == LIBSSH2_FX_PERMISSION_DENIED                             ? BT_E_FORBIDDEN
                                                                                  : BT_E_INVALID;
    return bt_err_set(err, kind, "scp: %s: %s", path, sftp_error_text(f->sftp, f->ss.s));
}

static int local_fail(const char *path, int e, bt_err **err)
{
    return bt_err_set(err, e, "%s: %s", path, strerror(e));
}

struct tp_sftp *tp_sftp_open(const struct tp_ssh_opts *opts, bt_err **err)
{
    struct tp_sftp *f = bt_xzalloc(sizeof(*f));
    if (tp_ssh_session_open(opts, &f->ss, err) < 0) {
        free(f);
        return NULL;
    }
    f->sftp = libssh2_sftp_init(f->ss.s);
    if (!f->sftp) {
        bt_err_set(err, BT_E_UNAVAILABLE,
                   "%s: the server has no SFTP subsystem (%s): scp needs sftp-server", f->ss.desc,
                   tp_ssh_last_error(f->ss.s));
        tp_sftp_close(f);
        return NULL;
    }
    return f;
}

void tp_sftp_close(struct tp_sftp *f)
{
    if (!f)
        return;
    if (f->sftp)
        libssh2_sftp_shutdown(f->sftp);
    tp_ssh_session_close(&f->ss);
    free(f);
}

static const char *base_name(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    const char *p = path + n;
    while (p > path && p[-1] != '/')
        p--;
    return p;
}

/* The base name without trailing slashes, as a new string. */
static char *last_component(const char *path)
{
    const char *b = base_name(path);
    size_t n = strlen(b);
    while (n > 1 && b[n - 1] == '/')
        n--;
    return bt_xstrndup(b, n);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    return bt_xasprintf("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

/* A remote path's attributes (following links); 0, or -1 with the SFTP status kept. */
static int remote_stat(struct tp_sftp *f, const char *path, LIBSSH2_SFTP_ATTRIBUTES *a)
{
    return libssh2_sftp_stat_ex(f->sftp, path, (unsigned)strlen(path), LIBSSH2_SFTP_STAT, a);
}

static bool remote_is_dir(struct tp_sftp *f, const char *path)
{
    LIBSSH2_SFTP_ATTRIBUTES a;
    return remote_stat(f, path, &a) == 0 && (a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) &&
           LIBSSH2_SFTP_S_ISDIR(a.permissions);
}

/* ---- upload ---- */

static int put_file(struct tp_sftp *f, const char *local, const char *remote, mode_t mode,
                    bt_err **err)
{
    bt_autoclose int fd = open(local, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return local_fail(local, errno, err);
    LIBSSH2_SFTP_HANDLE *h =
            libssh2_sftp_open_ex(f->sftp, remote, (unsigned)strlen(remote),
                                 LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC,
                                 (long)(mode & 07777), LIBSSH2_SFTP_OPENFILE);
    if (!h)
        return remote_fail(f, remote, err);
    bt_autofree char *buf = bt_xmalloc(CHUNK);
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = local_fail(local, errno, err);
            break;
        }
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = libssh2_sftp_write(h, buf + off, (size_t)(n - off));
            if (w < 0) {
                rc = remote_fail(f, remote, err);
                break;
            }
            off += w;
        }
        if (rc < 0)
            break;
    }
    /* the mode of an existing file is not changed by open: set it as scp -p would not, but
     * as a new file would have it */
    libssh2_sftp_close(h);
    return rc;
}

static int put_tree(struct tp_sftp *f, const char *local, const char *remote, bt_err **err);

static int put_entry(struct tp_sftp *f, const char *local, const char *remote, bool recursive,
                     bt_err **err)
{
    struct stat st;
    if (stat(local, &st) < 0)
        return local_fail(local, errno, err);
    if (S_ISREG(st.st_mode))
        return put_file(f, local, remote, st.st_mode, err);
    if (S_ISDIR(st.st_mode)) {
        if (!recursive)
            return bt_err_set(err, BT_E_INVALID, "%s: not a regular file", local);
        if (!remote_is_dir(f, remote) &&
            libssh2_sftp_mkdir_ex(f->sftp, remote, (unsigned)strlen(remote),
                                  (long)(st.st_mode & 07777)) != 0)
            return remote_fail(f, remote, err);
        return put_tree(f, local, remote, err);
    }
    bt_warn("%s: not a regular file: skipped", local);
    return 0;
}

static int put_tree(struct tp_sftp *f, const char *local, const char *remote, bt_err **err)
{
    DIR *d = opendir(local);
    if (!d)
        return local_fail(local, errno, err);
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        bt_autofree char *l = join(local, e->d_name);
        bt_autofree char *r = join(remote, e->d_name);
        rc = put_entry(f, l, r, true, err);
    }
    closedir(d);
    return rc;
}

int tp_sftp_put(struct tp_sftp *f, const char *local, const char *remote, bool recursive,
                bt_err **err)
{
    bt_autofree char *target = NULL;
    if (remote_is_dir(f, remote)) {
        bt_autofree char *name = last_component(local);
        target = join(remote, name);
    } else {
        target = bt_xstrdup(remote);
    }
    return put_entry(f, local, target, recursive, err);
}

/* ---- download ---- */

static int get_file(struct tp_sftp *f, const char *remote, const char *local, mode_t mode,
                    bt_err **err)
{
    LIBSSH2_SFTP_HANDLE *h = libssh2_sftp_open_ex(f->sftp, remote, (unsigned)strlen(remote),
                                                  LIBSSH2_FXF_READ, 0, LIBSSH2_SFTP_OPENFILE);
    if (!h)
        return remote_fail(f, remote, err);
    int fd = open(local, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 07777);
    if (fd < 0) {
        libssh2_sftp_close(h);
        return local_fail(local, errno, err);
    }
    bt_autofree char *buf = bt_xmalloc(CHUNK);
    int rc = 0;
    for (;;) {
        ssize_t n = libssh2_sftp_read(h, buf, CHUNK);
        if (n < 0) {
            rc = remote_fail(f, remote, err);
            break;
        }
        if (n == 0)
            break;
        if (bt_fd_write_all(fd, buf, (size_t)n, NULL) < 0) {
            rc = local_fail(local, errno, err);
            break;
        }
    }
    libssh2_sftp_close(h);
    if (close(fd) < 0 && rc == 0)
        rc = local_fail(local, errno, err);
    return rc;
}

static int get_tree(struct tp_sftp *f, const char *remote, const char *local, bt_err **err);

static int get_entry(struct tp_sftp *f, const char *remote, const char *local, bool recursive,
                     bt_err **err)
{
    LIBSSH2_SFTP_ATTRIBUTES a;
    if (remote_stat(f, remote, &a) != 0)
        return remote_fail(f, remote, err);
    mode_t mode = a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS ? (mode_t)a.permissions : 0100644;
    if (LIBSSH2_SFTP_S_ISREG(mode))
        return get_file(f, remote, local, mode, err);
    if (LIBSSH2_SFTP_S_ISDIR(mode)) {
        if (!recursive)
            return bt_err_set(err, BT_E_INVALID, "scp: %s: not a regular file", remote);
        struct stat st;
        if (!(stat(local, &st) == 0 && S_ISDIR(st.st_mode)) && mkdir(local, mode & 07777) < 0)
            return local_fail(local, errno, err);
        return get_tree(f, remote, local, err);
    }
    bt_warn("scp: %s: not a regular file: skipped", remote);
    return 0;
}

static int get_tree(struct tp_sftp *f, const char *remote, const char *local, bt_err **err)
{
    LIBSSH2_SFTP_HANDLE *h = libssh2_sftp_open_ex(f->sftp, remote, (unsigned)strlen(remote), 0, 0,
                                                  LIBSSH2_SFTP_OPENDIR);
    if (!h)
        return remote_fail(f, remote, err);
    int rc = 0;
    char name[1024];
    for (;;) {
        LIBSSH2_SFTP_ATTRIBUTES a;
        int n = libssh2_sftp_readdir_ex(h, name, sizeof(name) - 1, NULL, 0, &a);
        if (n < 0) {
            rc = remote_fail(f, remote, err);
            break;
        }
        if (n == 0)
            break;
        name[n] = '\0';
        /* one component, never ".", ".." or a path: the server names only what is inside */
        if (!strcmp(name, ".") || !strcmp(name, "..") || strchr(name, '/') ||
            (size_t)n != strlen(name))
            continue;
        bt_autofree char *r = join(remote, name);
        bt_autofree char *l = join(local, name);
        if ((rc = get_entry(f, r, l, true, err)) < 0)
            break;
    }
    libssh2_sftp_close(h);
    return rc;
}

int tp_sftp_get(struct tp_sftp *f, const char *remote, const char *local, bool recursive,
                bt_err **err)
{
    struct stat st;
    bt_autofree char *target = NULL;
    if (stat(local, &st) == 0 && S_ISDIR(st.st_mode)) {
        bt_autofree char *name = last_component(remote);
        if (!strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, "/"))
            return bt_err_set(err, BT_E_INVALID, "scp: %s: name the file or directory to copy",
                              remote);
        target = join(local, name);
    } else {
        target = bt_xstrdup(local);
    }
    return get_entry(f, remote, target, recursive, err);
}
