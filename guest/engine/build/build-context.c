/* SPDX-License-Identifier: Apache-2.0 */
/* The build context: the tar the client sends, unpacked where only this build sees it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/engine/build/build-internal.h"
#include "shared/archive/archive.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"
#include "shared/crypto/digest.h"
#include "shared/dockerfile/ignore.h"
#include "shared/fs/file.h"
#include "shared/fs/resolve.h"

int build_context_unpack(struct build *b, int fd, bt_err **err)
{
    bt_autofree char *parent = bt_xasprintf("%s/build", b->deps.data_root);
    if (bt_mkdir_p(parent, 0700, err) < 0)
        return -1;
    bt_autofree char *rnd = bt_random_hex(16);
    b->dir = bt_xasprintf("%s/%s", parent, rnd);
    b->context = bt_xasprintf("%s/context", b->dir);
    if (mkdir(b->dir, 0700) < 0 || mkdir(b->context, 0755) < 0)
        return bt_err_errno(err, errno, "create %s", b->context);
    /* the context's files are data: no whiteouts, no owners (a COPY sets its own) */
    struct bt_extract_opts eo = {
            .whiteouts = BT_WHITEOUT_KEEP, .no_chown = true, .lenient_end = true};
    if (bt_tar_extract_fd(fd, b->context, &eo, err) < 0)
        return bt_err_wrap(err, "read the build context");
    return 0;
}

/*
 * dockerd's removeDockerfile: the client leaves what .dockerignore excludes out of the context
 * but sends the Dockerfile and .dockerignore whatever it says, for the engine to read; once
 * read, the engine drops those two when .dockerignore excludes them (Docker's full pattern
 * rules: exceptions, "**", parent directories), so that "COPY . ." does not copy them. The
 * rest of the context is taken as sent, as dockerd takes it.
 */
static int remove_ignored_dockerfile(struct build *b, const char *rel, const char *path,
                                     bt_err **err)
{
    bt_autofree char *ign_path = bt_xasprintf("%s/.dockerignore", b->context);
    bt_autostrbuf struct bt_strbuf ign = BT_STRBUF_INIT;
    bt_autoerr bt_err *e = NULL;
    if (bt_file_read(ign_path, &ign, 1 << 20, &e) < 0)
        return 0; /* none: nothing to drop */
    bt_autoptr(bt_ignore) m = bt_ignore_parse(ign.buf ? ign.buf : "", ign.len, err);
    if (!m)
        return bt_err_wrap(err, "read .dockerignore");
    if (bt_ignore_matches(m, rel))
        unlink(path);
    if (bt_ignore_matches(m, ".dockerignore"))
        unlink(ign_path);
    return 0;
}

char *build_context_dockerfile(struct build *b, size_t *len, bt_err **err)
{
    const char *name =
            b->opts.dockerfile && *b->opts.dockerfile ? b->opts.dockerfile : "Dockerfile";
    bt_autoclose int root = open(b->context, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) {
        bt_err_errno(err, errno, "open %s", b->context);
        return NULL;
    }
    bt_autoerr bt_err *e = NULL;
    bt_autofree char *rel = bt_resolve_rel(root, name, 0, &e);
    bt_autofree char *path = rel ? bt_xasprintf("%s/%s", b->context, rel) : NULL;
    struct stat st;
    if ((!path || stat(path, &st) < 0 || !S_ISREG(st.st_mode)) &&
        !(b->opts.dockerfile && *b->opts.dockerfile)) {
        /* dockerd also takes "dockerfile" when the default name is missing */
        free(path);
        path = bt_xasprintf("%s/dockerfile", b->context);
    }
    if (!path || stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
        bt_err_set(err, BT_E_INVALID, "Cannot locate specified Dockerfile: %s", name);
        return NULL;
    }
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (bt_file_read(path, &sb, 64 << 20, err) < 0)
        return NULL;
    *len = sb.len;
    if (remove_ignored_dockerfile(b, rel ? rel : name, path, err) < 0)
        return NULL;
    return bt_strbuf_steal(&sb);
}
