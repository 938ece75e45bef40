/* SPDX-License-Identifier: Apache-2.0 */
/*
 * blobs/sha256/<hex>: image configs and layer tars exactly as received. A blob is written
 * elsewhere (tmp/), its digest computed while writing, and only then renamed to its name, so
 * blobs/ never holds a partial or mislabelled blob.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/engine/image/image-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/fs/file.h"

char *blob_path(const struct image_store *s, const char *digest)
{
    const char *hex = bt_digest_hex(digest);
    return store_path(s, "blobs/sha256/%s", hex ? hex : digest);
}

int blob_commit(struct image_store *s, const char *tmp, const char *digest, bt_err **err)
{
    bt_autofree char *dest = blob_path(s, digest);
    if (bt_path_exists(dest)) {
        unlink(tmp);
        return 0;
    }
    /* the caller has synced the data (layer_stage does, outside the lock) */
    if (rename(tmp, dest) < 0)
        return bt_err_errno(err, errno, "rename \"%s\" to \"%s\"", tmp, dest);
    bt_autofree char *dir = store_path(s, "blobs/sha256");
    return bt_fsync_dir(dir, err);
}

int blob_put(struct image_store *s, const void *data, size_t len, char digest[BT_DIGEST_STR_SIZE],
             bt_err **err)
{
    bt_sha256_digest(data, len, digest);
    bt_autofree char *dest = blob_path(s, digest);
    if (bt_path_exists(dest))
        return 0;
    return bt_file_write_atomic(dest, data, len, 0644, err);
}

int blob_copy_fd(int fd, const char *path, char digest[BT_DIGEST_STR_SIZE], int64_t *size,
                 bt_err **err)
{
    bt_autoclose int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0)
        return bt_err_errno(err, errno, "create \"%s\"", path);
    bt_autoptr(bt_sha256) h = bt_sha256_new();
    bt_autofree char *buf = bt_xmalloc(65536);
    int64_t total = 0;
    for (;;) {
        ssize_t n = bt_fd_read_full(fd, buf, 65536, err);
        if (n < 0)
            return bt_err_wrap(err, "read layer");
        if (n == 0)
            break;
        bt_sha256_update(h, buf, (size_t)n);
        if (bt_fd_write_all(out, buf, (size_t)n, err) < 0)
            return bt_err_wrap(err, "write \"%s\"", path);
        total += n;
    }
    char sum[BT_DIGEST_STR_SIZE];
    bt_sha256_final(h, sum);
    if (digest)
        memcpy(digest, sum, sizeof(sum));
    if (size)
        *size = total;
    return 0;
}

void blob_remove(struct image_store *s, const char *digest)
{
    bt_autofree char *path = blob_path(s, digest);
    unlink(path);
}

const char *blob_sniff_media_type(const char *path)
{
    unsigned char m[6] = {0};
    bt_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || bt_fd_read_full(fd, m, sizeof(m), NULL) < 4)
        return MEDIA_LAYER_TAR;
    if (m[0] == 0x1f && m[1] == 0x8b)
        return MEDIA_LAYER_GZIP;
    if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
        return MEDIA_LAYER_ZSTD;
    /* xz and bzip2 have no OCI media type: name them for what they are (local use only) */
    if (memcmp(m,
               "\xfd"
               "7zXZ\0",
               6) == 0)
        return "application/x-xz";
    if (memcmp(m, "BZh", 3) == 0)
        return "application/x-bzip2";
    return MEDIA_LAYER_TAR;
}
