/* SPDX-License-Identifier: Apache-2.0 */
/* The machine's disks: the qcow2 data disk (qemu-img) and the config disk (a tar, see disk.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/vm/disk.h"
#include "host/vm/vm-internal.h"
#include "shared/archive/archive.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"
#include "shared/fs/file.h"

/* Every entry's mtime: any fixed value gives the same bytes for the same files. The guest's
 * clock floor comes from machine.env's BERTH_TIME, never from here. */
#define CONFIG_MTIME 0

/* ---- data disk ----------------------------------------------------------------------------- */

int vm_data_disk_create(const char *path, uint64_t size_mb, bt_err **err)
{
    if (size_mb == 0)
        return bt_err_set(err, BT_E_INVALID, "invalid disk size 0 MB");
    struct stat st;
    if (lstat(path, &st) == 0)
        return bt_err_set(err, BT_E_CONFLICT, "data disk \"%s\" already exists", path);
    bt_autofree char *dir = bt_path_dirname(path);
    bt_autofree char *base = bt_path_basename(path);
    bt_autofree char *tmp = bt_xasprintf("%s/.%s.tmp-%d", dir, base, (int)getpid());
    char size[32];
    snprintf(size, sizeof(size), "%lluM", (unsigned long long)size_mb);
    char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", tmp, size, NULL};
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    int status = 0;
    bt_autoerr bt_err *e = NULL;
    if (vm_run(argv, NULL, &out, &status, &e) < 0) {
        if (bt_err_is(e, BT_E_UNAVAILABLE))
            return bt_err_set(err, BT_E_UNAVAILABLE,
                              "create data disk \"%s\": qemu-img is not installed (Debian: "
                              "apt-get install qemu-utils)",
                              path);
        bt_err_move(err, &e);
        return bt_err_wrap(err, "create data disk \"%s\"", path);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        unlink(tmp);
        bt_autofree char *tail = vm_last_lines(bt_strbuf_str(&out), 3);
        return bt_err_set(err, BT_E_INTERNAL, "create data disk \"%s\": qemu-img: %s", path,
                          *tail ? tail : "failed");
    }
    /* link(2) never replaces: a disk that appeared meanwhile is kept */
    if (link(tmp, path) < 0) {
        int e2 = errno;
        unlink(tmp);
        if (e2 == EEXIST)
            return bt_err_set(err, BT_E_CONFLICT, "data disk \"%s\" already exists", path);
        return bt_err_errno(err, e2, "create data disk \"%s\"", path);
    }
    unlink(tmp);
    return bt_fsync_dir(dir, err);
}

/* ---- config disk --------------------------------------------------------------------------- */

static int cmp_files(const void *a, const void *b)
{
    const struct vm_config_file *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

static int check_name(const char *name, bt_err **err)
{
    if (!name || !*name || name[0] == '/' || name[strlen(name) - 1] == '/')
        return bt_err_set(err, BT_E_INVALID, "config disk: invalid file name \"%s\"",
                          name ? name : "");
    const char *p = name;
    while (*p) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return bt_err_set(err, BT_E_INVALID, "config disk: invalid file name \"%s\"", name);
        p += n;
        if (*p == '/')
            p++;
    }
    if (!vm_text_ok(name))
        return bt_err_set(err, BT_E_INVALID, "config disk: invalid file name \"%s\"", name);
    return 0;
}

static int add_dir(struct bt_tar_writer *w, const char *name, size_t len, bt_err **err)
{
    bt_autofree char *full = bt_xasprintf(VM_CONFIG_DIR "/%.*s%s", (int)len, name, len ? "/" : "");
    struct bt_tar_entry e = {
            .name = full,
            .type = BT_TAR_DIR,
            .mode = 0755,
            .mtime = {CONFIG_MTIME, 0},
    };
    return bt_tar_writer_add_entry(w, &e, err);
}

/* Directories of name not written yet (prev is the name written before, sorted order). */
static int add_parents(struct bt_tar_writer *w, const char *prev, const char *name, bt_err **err)
{
    for (const char *s = strchr(name, '/'); s; s = strchr(s + 1, '/')) {
        size_t len = (size_t)(s - name);
        /* written already when the previous name has the same directory prefix */
        if (prev && strncmp(prev, name, len + 1) == 0)
            continue;
        if (add_dir(w, name, len, err) < 0)
            return -1;
    }
    return 0;
}

static int write_tar(int fd, const struct vm_config_file **sorted, size_t n, bt_err **err)
{
    bt_autoptr(bt_tar_writer) w = bt_tar_writer_new(fd, BT_TAR_PLAIN, err);
    if (!w)
        return -1;
    /* the first entry, by which the guest finds the disk */
    if (add_dir(w, "", 0, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const struct vm_config_file *f = sorted[i];
        if (add_parents(w, i ? sorted[i - 1]->name : NULL, f->name, err) < 0)
            return -1;
        bt_autofree char *full = bt_xasprintf(VM_CONFIG_DIR "/%s", f->name);
        if (bt_tar_writer_add_data(w, full, f->data, f->len, f->mode & 07777, CONFIG_MTIME, err) <
            0)
            return -1;
    }
    return bt_tar_writer_finish(w, NULL, NULL, err);
}

int vm_config_disk_write(const char *path, const struct vm_config_file *files, size_t n,
                         bt_err **err)
{
    bt_autofree const struct vm_config_file **sorted =
            bt_xreallocarray(NULL, n + 1, sizeof(*sorted));
    for (size_t i = 0; i < n; i++) {
        if (check_name(files[i].name, err) < 0)
            return -1;
        sorted[i] = &files[i];
    }
    qsort(sorted, n, sizeof(*sorted), cmp_files);
    for (size_t i = 1; i < n; i++) {
        size_t len = strlen(sorted[i - 1]->name);
        if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0 ||
            (strncmp(sorted[i - 1]->name, sorted[i]->name, len) == 0 &&
             sorted[i]->name[len] == '/'))
            return bt_err_set(err, BT_E_INVALID, "config disk: \"%s\" is given twice",
                              sorted[i - 1]->name);
    }
    bt_autoclose int mfd = memfd_create("berth-config", MFD_CLOEXEC);
    if (mfd < 0)
        return bt_err_errno(err, errno, "write config disk \"%s\"", path);
    if (write_tar(mfd, sorted, n, err) < 0)
        return bt_err_wrap(err, "write config disk \"%s\"", path);
    off_t size = lseek(mfd, 0, SEEK_END);
    off_t padded = (size + VM_CONFIG_DISK_ALIGN - 1) / VM_CONFIG_DISK_ALIGN * VM_CONFIG_DISK_ALIGN;
    if (size < 0 || lseek(mfd, 0, SEEK_SET) < 0)
        return bt_err_errno(err, errno, "write config disk \"%s\"", path);
    bt_autostrbuf struct bt_strbuf img = BT_STRBUF_INIT;
    if (bt_fd_read_all(mfd, &img, 0, err) < 0)
        return bt_err_wrap(err, "write config disk \"%s\"", path);
    /* zeros up to the alignment: a block device's size, and the tar's end is zeros anyway */
    memset(bt_strbuf_reserve(&img, (size_t)(padded - size)), 0, (size_t)(padded - size));
    bt_strbuf_commit(&img, (size_t)(padded - size));
    if (bt_file_write_atomic(path, img.buf, img.len, 0600, err) < 0)
        return bt_err_wrap(err, "write config disk \"%s\"", path);
    return 0;
}

int vm_config_env_append(struct bt_strbuf *sb, const char *key, const char *value, bt_err **err)
{
    bool ok = key && (*key == '_' || (*key >= 'A' && *key <= 'Z'));
    for (const char *p = key; ok && *p; p++)
        ok = *p == '_' || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
    if (!ok)
        return bt_err_set(err, BT_E_INVALID, "machine.env: invalid key \"%s\"", key ? key : "");
    if (!value)
        value = "";
    if (strpbrk(value, "'\n"))
        return bt_err_set(err, BT_E_INVALID,
                          "machine.env: the value of %s cannot hold a single quote or a newline",
                          key);
    bt_strbuf_appendf(sb, "%s='%s'\n", key, value);
    return 0;
}
