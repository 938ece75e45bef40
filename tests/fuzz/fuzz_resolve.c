/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Path resolution inside a root. The input builds a small tree of directories and symlinks
 * (with our own root-confined mkdir) and then names a path; whatever it is, the result must
 * stay inside the root, and an fd opened through it must point inside the root.
 *
 * Input: lines. "D<path>" makes a directory, "L<path> <target>" a symlink; the last line is
 * the path to resolve. At most 16 lines.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/base/cleanup.h"
#include "shared/base/path.h"
#include "shared/fs/file.h"
#include "shared/fs/resolve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[PATH_MAX];

static void check_inside(int fd, const char *root)
{
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n < 0)
        return;
    target[n] = '\0';
    if (!bt_path_within(target, root))
        abort();
}

static int has_dotdot(const char *rel)
{
    for (const char *p = rel; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return 1;
        p += n;
        p += *p == '/';
    }
    return 0;
}

static void make_entry(int rootfd, const char *line)
{
    bt_autoerr bt_err *err = NULL;
    if (line[0] == 'D') {
        int fd = bt_mkdir_in_root(rootfd, line + 1, 0755, &err);
        if (fd >= 0)
            close(fd);
        return;
    }
    const char *sp = strchr(line, ' ');
    if (line[0] != 'L' || !sp)
        return;
    bt_autofree char *name = bt_xstrndup(line + 1, (size_t)(sp - line - 1));
    bt_autofree char *dir = bt_path_dirname(name);
    bt_autofree char *leaf = bt_path_basename(name);
    if (strcmp(leaf, "/") == 0 || strcmp(leaf, ".") == 0 || strcmp(leaf, "..") == 0)
        return;
    int dfd = bt_mkdir_in_root(rootfd, dir, 0755, &err);
    if (dfd >= 0) {
        symlinkat(sp + 1, dfd, leaf);
        close(dfd);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 2048 || memchr(data, 0, size))
        return 0;
    if (!base[0]) {
        snprintf(base, sizeof(base), "/tmp/berth-fuzz-resolve-%d", getpid());
        mkdir(base, 0755);
    }
    bt_autofree char *root = bt_xasprintf("%s/root", base);
    bt_autoerr bt_err *err = NULL;
    bt_rm_rf(root, &err);
    bt_err_clear(&err);
    mkdir(root, 0755);
    bt_autoclose int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

    bt_autofree char *text = bt_xstrndup((const char *)data, size);
    char *lines[16];
    int n = 0;
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l && n < 16; l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    if (n == 0)
        return 0;
    for (int i = 0; i < n - 1; i++)
        make_entry(rootfd, lines[i]);

    const char *path = lines[n - 1];
    for (unsigned flags = 0; flags <= BT_RESOLVE_NOFOLLOW_LAST; flags++) {
        bt_autofree char *rel = bt_resolve_rel(rootfd, path, flags, &err);
        bt_err_clear(&err);
        if (rel && (rel[0] == '/' || has_dotdot(rel)))
            abort();
        bt_autoclose int fd = bt_open_in_root(rootfd, path, O_PATH, 0, flags, &err);
        bt_err_clear(&err);
        if (fd >= 0)
            check_inside(fd, root);
        bt_autoclose int dfd = bt_mkdir_in_root(rootfd, path, 0755, &err);
        bt_err_clear(&err);
        if (dfd >= 0)
            check_inside(dfd, root);
    }
    /* nothing may have appeared next to the root */
    bt_autofree char *escaped = bt_xasprintf("%s/escaped", base);
    if (bt_path_exists(escaped))
        abort();
    return 0;
}
