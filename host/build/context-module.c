/* SPDX-License-Identifier: Apache-2.0 */
/* lib/berth/build-context.so: the context tar of berth build, on shared/archive. */
#include "host/build/context-module.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shared/archive/archive.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"

/* add_at() adds a directory's whole tree: keep only the member itself, the walk (context.c)
 * has decided about everything below it */
static int only_top(const struct bt_tar_entry *e, void *ctx, bt_err **err)
{
    (void)err;
    return strcmp(e->name, (const char *)ctx) == 0 ? 0 : 1;
}

static int add_ignore(struct bt_tar_writer *w, int dfd, const struct build_archive_src *src,
                      bt_err **err)
{
    bt_autostrbuf struct bt_strbuf data = BT_STRBUF_INIT;
    struct stat st = {.st_mode = 0600, .st_mtime = time(NULL)};
    if (dfd >= 0 && fstatat(dfd, ".dockerignore", &st, AT_SYMLINK_NOFOLLOW) == 0) {
        bt_autofree char *p = bt_xasprintf("%s/.dockerignore", src->dir);
        if (bt_file_read(p, &data, 0, err) < 0)
            return -1;
    } else {
        bt_strbuf_append(&data, ".dockerignore");
    }
    bt_strbuf_appendf(&data, "\n%s\n", src->extra_name);
    return bt_tar_writer_add_data(w, ".dockerignore", data.buf, data.len, st.st_mode & 07777,
                                  st.st_mtime, err);
}

static int pack(int fd, const struct build_archive_src *src, bt_err **err)
{
    bt_autoptr(bt_tar_writer) w =
            bt_tar_writer_new(fd, src->gzip ? BT_TAR_GZIP : BT_TAR_PLAIN, err);
    if (!w)
        return -1;
    bt_autoclose int dfd = -1;
    if (src->dir && (dfd = open(src->dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        return bt_err_errno(err, errno, "open \"%s\"", src->dir);
    bool ignore_sent = false;
    for (char *const *m = src->members; m && *m; m++) {
        if (src->ignore_append && strcmp(*m, ".dockerignore") == 0) {
            if (add_ignore(w, dfd, src, err) < 0)
                return -1;
            ignore_sent = true;
            continue;
        }
        struct bt_pack_opts po = {.mtime = -1, .filter = only_top, .ctx = *m, .force_owner = true};
        if (bt_tar_writer_add_at(w, dfd, *m, *m, &po, err) < 0)
            return -1;
    }
    if (src->extra_name) {
        if (bt_tar_writer_add_data(w, src->extra_name, src->extra_data, src->extra_len,
                                   src->extra_mode, time(NULL), err) < 0)
            return -1;
        if (src->ignore_append && !ignore_sent && add_ignore(w, -1, src, err) < 0)
            return -1;
    }
    return bt_tar_writer_finish(w, NULL, NULL, err);
}

__attribute__((visibility("default")))
const struct build_context_module berth_build_context_module = {
        .abi = BUILD_CONTEXT_MODULE_ABI,
        .pack = pack,
};
