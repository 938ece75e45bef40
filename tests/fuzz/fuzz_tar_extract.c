/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tar extraction of arbitrary bytes. Whatever the archive holds, nothing may appear outside
 * the destination: the work directory must contain exactly dest/ and outside/secret, with the
 * secret unchanged. The first byte picks the whiteout mode.
 */
#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/archive/archive.h"
#include "shared/base/cleanup.h"
#include "shared/fs/file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[PATH_MAX];

static void check_base(void)
{
    DIR *d = opendir(base);
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "dest") &&
            strcmp(de->d_name, "outside"))
            abort();
    closedir(d);
    bt_autofree char *out = bt_xasprintf("%s/outside", base);
    d = opendir(out);
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "secret"))
            abort();
    closedir(d);
    bt_autofree char *secret = bt_xasprintf("%s/outside/secret", base);
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    struct stat st;
    if (bt_file_read(secret, &sb, 0, NULL) < 0 || strcmp(bt_strbuf_str(&sb), "secret") != 0 ||
        lstat(secret, &st) < 0 || st.st_nlink != 1 || (st.st_mode & 0777) != 0600)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 20)
        return 0;
    if (!base[0]) {
        snprintf(base, sizeof(base), "/tmp/berth-fuzz-tar-%d", getpid());
        bt_autofree char *out = bt_xasprintf("%s/outside", base);
        bt_autofree char *secret = bt_xasprintf("%s/outside/secret", base);
        bt_mkdir_p(out, 0755, NULL);
        bt_file_write_atomic(secret, "secret", 6, 0600, NULL);
    }
    bt_autofree char *dest = bt_xasprintf("%s/dest", base);
    bt_autoerr bt_err *err = NULL;
    bt_rm_rf(dest, &err);
    bt_err_clear(&err);
    mkdir(dest, 0755);
    struct bt_extract_opts opts = {
            .whiteouts = data[0] % 2 ? BT_WHITEOUT_APPLY : BT_WHITEOUT_KEEP,
            .no_chown = true,
    };
    bt_tar_extract_mem(data + 1, size - 1, dest, &opts, &err);
    check_base();
    return 0;
}
