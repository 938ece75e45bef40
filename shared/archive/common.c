/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "shared/archive/archive-internal.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"

char *bt_tar_clean_name(const char *name)
{
    bt_autofree char *rooted = bt_xasprintf("/%s", name);
    char *clean = bt_path_clean(rooted);
    /* Cleaning a rooted path folds every leading ".." into "/", so compare with the relative
     * cleaning to see whether the name tried to climb out. */
    bt_autofree char *rel = bt_path_clean(name[0] == '/' ? name + strspn(name, "/") : name);
    if (strcmp(rel, "..") == 0 || strncmp(rel, "../", 3) == 0) {
        free(clean);
        return NULL;
    }
    if (strcmp(clean, "/") == 0) {
        free(clean);
        return bt_xstrdup(".");
    }
    char *out = bt_xstrdup(clean + 1);
    free(clean);
    return out;
}

void bt_tar_entry_from_archive(struct bt_tar_entry *e, struct archive_entry *ae, const char *name,
                               const char *clean_linkname)
{
    memset(e, 0, sizeof(*e));
    e->name = name;
    mode_t ft = archive_entry_filetype(ae);
    if (archive_entry_hardlink(ae)) {
        e->type = BT_TAR_HARDLINK;
        e->linkname = clean_linkname;
    } else if (ft == AE_IFDIR) {
        e->type = BT_TAR_DIR;
    } else if (ft == AE_IFLNK) {
        e->type = BT_TAR_SYMLINK;
        e->linkname = archive_entry_symlink(ae);
    } else if (ft == AE_IFCHR) {
        e->type = BT_TAR_CHAR;
    } else if (ft == AE_IFBLK) {
        e->type = BT_TAR_BLOCK;
    } else if (ft == AE_IFIFO) {
        e->type = BT_TAR_FIFO;
    } else {
        e->type = BT_TAR_FILE;
    }
    e->mode = archive_entry_perm(ae) & 07777;
    e->uid = (uid_t)archive_entry_uid(ae);
    e->gid = (gid_t)archive_entry_gid(ae);
    e->size = archive_entry_size(ae);
    e->rdev = archive_entry_rdev(ae);
    e->mtime.tv_sec = archive_entry_mtime(ae);
    e->mtime.tv_nsec = archive_entry_mtime_nsec(ae);
}
