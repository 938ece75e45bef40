/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker load of untrusted bytes (guest/engine/image/load.c). The first byte picks what the
 * input is:
 *   0: the whole archive;
 *   1: manifest.json of a docker-archive that also holds a valid config "c.json", a layer
 *      "l/layer.tar", and symlinks pointing out of the archive ("up" -> ../../.., "abs" -> /etc);
 *   2: an OCI layout: length-prefixed segments (2 bytes, little endian), the first is
 *      index.json and each other one is stored as blobs/sha256/<its digest>.
 * Whatever the input, a load fails with a message or succeeds, writes nothing outside the
 * store (base/ holds only store/ and outside/secret), and leaves the store's tmp/ empty.
 */
#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/engine/image/image.h"
#include "shared/archive/archive.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/crypto/digest.h"
#include "shared/fs/file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[PATH_MAX];

static void check(void)
{
    DIR *d = opendir(base);
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "store") &&
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
    if (bt_file_read(secret, &sb, 0, NULL) < 0 || strcmp(bt_strbuf_str(&sb), "secret") != 0)
        abort();
    bt_autofree char *tmp = bt_xasprintf("%s/store/tmp", base);
    d = opendir(tmp);
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            abort(); /* a load leaves nothing behind in tmp/ */
    closedir(d);
}

static int memfd(void)
{
    return memfd_create("fuzz", MFD_CLOEXEC);
}

static void add_file(struct bt_tar_writer *w, const char *name, const void *p, size_t n)
{
    bt_tar_writer_add_data(w, name, p, n, 0644, 0, NULL);
}

static void add_link(struct bt_tar_writer *w, const char *name, const char *target)
{
    struct bt_tar_entry e = {
            .name = name, .type = BT_TAR_SYMLINK, .mode = 0777, .linkname = target};
    bt_tar_writer_add_entry(w, &e, NULL);
}

/* A tiny layer: one file */
static void layer_tar(struct bt_strbuf *out, char diff_id[BT_DIGEST_STR_SIZE])
{
    int fd = memfd();
    struct bt_tar_writer *w = bt_tar_writer_new(fd, BT_TAR_PLAIN, NULL);
    add_file(w, "etc/hello", "hi\n", 3);
    bt_tar_writer_finish(w, diff_id, NULL, NULL);
    bt_tar_writer_free(w);
    lseek(fd, 0, SEEK_SET);
    bt_fd_read_all(fd, out, 0, NULL);
    close(fd);
}

static void docker_archive(int fd, const uint8_t *manifest, size_t n)
{
    bt_autostrbuf struct bt_strbuf layer = BT_STRBUF_INIT;
    char diff_id[BT_DIGEST_STR_SIZE];
    layer_tar(&layer, diff_id);
    bt_autofree char *config = bt_xasprintf(
            "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2020-01-01T00:00:00Z\","
            "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]},\"history\":[{}]}",
            diff_id);
    struct bt_tar_writer *w = bt_tar_writer_new(fd, BT_TAR_PLAIN, NULL);
    add_file(w, "c.json", config, strlen(config));
    add_file(w, "l/layer.tar", layer.buf, layer.len);
    add_link(w, "up", "../../..");
    add_link(w, "abs", "/etc");
    add_file(w, "manifest.json", manifest, n);
    bt_tar_writer_finish(w, NULL, NULL, NULL);
    bt_tar_writer_free(w);
}

static void oci_layout(int fd, const uint8_t *p, size_t n)
{
    struct bt_tar_writer *w = bt_tar_writer_new(fd, BT_TAR_PLAIN, NULL);
    add_file(w, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
    for (int i = 0; n >= 2; i++) {
        size_t len = (size_t)p[0] | (size_t)p[1] << 8;
        p += 2;
        n -= 2;
        if (len > n)
            len = n;
        if (i == 0) {
            add_file(w, "index.json", p, len);
        } else {
            char d[BT_DIGEST_STR_SIZE];
            bt_sha256_digest(p, len, d);
            bt_autofree char *name = bt_xasprintf("blobs/sha256/%s", d + 7);
            add_file(w, name, p, len);
        }
        p += len;
        n -= len;
    }
    bt_tar_writer_finish(w, NULL, NULL, NULL);
    bt_tar_writer_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 20)
        return 0;
    if (!base[0]) {
        /* tmpfs where there is one: the store fsyncs its records, which disks make slow */
        const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(base, sizeof(base), "%s/berth-fuzz-image-load-%d", dir, getpid());
        bt_autofree char *out = bt_xasprintf("%s/outside", base);
        bt_autofree char *secret = bt_xasprintf("%s/outside/secret", base);
        bt_mkdir_p(out, 0755, NULL);
        bt_file_write_atomic(secret, "secret", 6, 0600, NULL);
    }
    bt_autofree char *root = bt_xasprintf("%s/store", base);
    bt_rm_rf(root, NULL);
    struct image_store_opts o = {.root = root, .plain_whiteouts = true};
    bt_autoptr(image_store) s = image_store_open(&o, NULL);
    if (!s)
        abort();
    bt_autoclose int fd = memfd();
    if (data[0] % 3 == 0)
        bt_fd_write_all(fd, data + 1, size - 1, NULL);
    else if (data[0] % 3 == 1)
        docker_archive(fd, data + 1, size - 1);
    else
        oci_layout(fd, data + 1, size - 1);
    lseek(fd, 0, SEEK_SET);
    bt_autoerr bt_err *err = NULL;
    if (image_load(s, fd, NULL, NULL, &err) < 0 && (!err || !*bt_err_msg(err)))
        abort();
    check();
    return 0;
}
