/* SPDX-License-Identifier: Apache-2.0 */
/* lib/berth/copy-archive.so: berth cp's packing and unpacking, on shared/archive. */
#include "host/copy/archive-module.h"

#include "shared/archive/archive.h"
#include "shared/base/cleanup.h"

static int pack(int fd, const char *path, const char *top, bt_err **err)
{
    bt_autoptr(bt_tar_writer) w = bt_tar_writer_new(fd, BT_TAR_PLAIN, err);
    if (!w)
        return -1;
    struct bt_pack_opts po = {.mtime = -1};
    if (bt_tar_writer_add_tree(w, path, top, &po, err) < 0)
        return -1;
    return bt_tar_writer_finish(w, NULL, NULL, err);
}

static int unpack(int fd, const char *dir, const char *from, const char *to, bt_err **err)
{
    struct bt_extract_opts eo = {.whiteouts = BT_WHITEOUT_KEEP,
                                 .no_chown = true,
                                 .no_overwrite_dir_nondir = true,
                                 .rebase_from = from,
                                 .rebase_to = to};
    return bt_tar_extract_fd(fd, dir, &eo, err);
}

__attribute__((visibility("default")))
const struct copy_archive_module berth_copy_archive_module = {
        .abi = COPY_ARCHIVE_MODULE_ABI,
        .pack = pack,
        .unpack = unpack,
};
