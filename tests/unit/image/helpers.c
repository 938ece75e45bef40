/* SPDX-License-Identifier: Apache-2.0 */
#include "tests/unit/image/helpers.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/crypto/digest.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

static la_ssize_t to_strbuf(struct archive *a, void *ctx, const void *buf, size_t n)
{
    bt_strbuf_append_n(ctx, buf, n);
    return (la_ssize_t)n;
}

void th_tar(const struct tent *e, size_t n, enum th_comp comp, struct bt_strbuf *out)
{
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_set_bytes_in_last_block(a, 1);
    if (comp == TH_GZIP) {
        archive_write_add_filter_gzip(a);
        archive_write_set_filter_option(a, "gzip", "timestamp", NULL);
    } else if (comp == TH_ZSTD) {
        assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
    }
    assert_int_equal(archive_write_open(a, out, NULL, to_strbuf, NULL), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *ae = archive_entry_new();
        archive_entry_set_pathname(ae, e[i].name);
        archive_entry_set_perm(ae, e[i].mode ? e[i].mode : e[i].type == 'd' ? 0755 : 0644);
        archive_entry_set_mtime(ae, 1000000000, 0);
        size_t len = e[i].len ? e[i].len : e[i].data ? strlen(e[i].data) : 0;
        switch (e[i].type) {
        case 'd':
            archive_entry_set_filetype(ae, AE_IFDIR);
            break;
        case 'l':
            archive_entry_set_filetype(ae, AE_IFLNK);
            archive_entry_set_symlink(ae, e[i].data);
            break;
        case 'h':
            archive_entry_set_filetype(ae, AE_IFREG);
            archive_entry_set_hardlink(ae, e[i].data);
            break;
        case 'c':
            archive_entry_set_filetype(ae, AE_IFCHR);
            archive_entry_set_rdev(ae, 0);
            break;
        default:
            archive_entry_set_filetype(ae, AE_IFREG);
            archive_entry_set_size(ae, (la_int64_t)len);
        }
        assert_true(archive_write_header(a, ae) >= ARCHIVE_WARN);
        if (e[i].type == 'f' && len)
            archive_write_data(a, e[i].data, len);
        archive_entry_free(ae);
    }
    archive_write_close(a);
    archive_write_free(a);
}

int th_memfd(const void *data, size_t len)
{
    int fd = memfd_create("th", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(bt_fd_write_all(fd, data, len, NULL), 0);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

char *th_sha256(const void *data, size_t len)
{
    char d[BT_DIGEST_STR_SIZE];
    bt_sha256_digest(data, len, d);
    return bt_xstrdup(d);
}

char *th_slurp(const char *path)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (bt_file_read(path, &sb, 0, NULL) < 0)
        return NULL;
    return bt_strbuf_steal(&sb);
}

int th_count(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void open_store(struct th_fixture *f)
{
    bt_autoerr bt_err *err = NULL;
    struct image_store_opts o = {.root = f->root, .plain_whiteouts = true};
    f->s = image_store_open(&o, &err);
    if (!f->s)
        fail_msg("open store: %s", bt_err_msg(err));
}

int th_setup(void **state)
{
    struct th_fixture *f = bt_xzalloc(sizeof(*f));
    strcpy(f->base, "/tmp/berth-test-image-XXXXXX");
    if (!mkdtemp(f->base))
        return -1;
    f->root = bt_xasprintf("%s/store", f->base);
    open_store(f);
    *state = f;
    return 0;
}

int th_teardown(void **state)
{
    struct th_fixture *f = *state;
    image_store_close(f->s);
    bt_rm_rf(f->base, NULL);
    free(f->root);
    free(f);
    return 0;
}

void th_reopen(struct th_fixture *f)
{
    image_store_close(f->s);
    open_store(f);
}

char *th_at(struct th_fixture *f, const char *rel)
{
    return bt_xasprintf("%s/%s", f->root, rel);
}

char *th_import(struct image_store *s, const struct tent *e, size_t n, enum th_comp comp,
                const char *repo, const char *tag, char *const *changes)
{
    bt_autostrbuf struct bt_strbuf tar = BT_STRBUF_INIT;
    th_tar(e, n, comp, &tar);
    bt_autoclose int fd = th_memfd(tar.buf, tar.len);
    bt_autoerr bt_err *err = NULL;
    struct image_import_opts o = {
            .repo = repo, .tag = tag, .message = "Imported from -", .changes = changes};
    char *id = image_import(s, fd, &o, &err);
    if (!id)
        fail_msg("import: %s", bt_err_msg(err));
    return id;
}

char *th_config(const char *created, char *const *diff_ids, const char *history, const char *labels)
{
    bt_autoptr(json_t) doc = json_object();
    bt_json_set_str(doc, "architecture", "amd64");
    json_t *cfg = json_object();
    json_object_set_new(cfg, "Env", json_pack("[s]", "PATH=/bin"));
    if (labels)
        json_object_set_new(cfg, "Labels", json_loads(labels, 0, NULL));
    json_object_set_new(doc, "config", cfg);
    bt_json_set_str(doc, "created", created);
    if (history)
        json_object_set_new(doc, "history", json_loads(history, 0, NULL));
    bt_json_set_str(doc, "os", "linux");
    json_t *rootfs = json_object();
    bt_json_set_str(rootfs, "type", "layers");
    json_object_set_new(rootfs, "diff_ids", bt_json_strv(diff_ids));
    json_object_set_new(doc, "rootfs", rootfs);
    return bt_json_dumps(doc);
}

static void add_file(struct archive *a, const char *name, const void *data, size_t len)
{
    struct archive_entry *ae = archive_entry_new();
    archive_entry_set_pathname(ae, name);
    archive_entry_set_filetype(ae, AE_IFREG);
    archive_entry_set_perm(ae, 0644);
    archive_entry_set_size(ae, (la_int64_t)len);
    assert_true(archive_write_header(a, ae) >= ARCHIVE_WARN);
    if (len)
        archive_write_data(a, data, len);
    archive_entry_free(ae);
}

void th_docker_archive(const struct th_image *imgs, size_t n, const struct tent *extra,
                       size_t nextra, struct bt_strbuf *out)
{
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_set_bytes_in_last_block(a, 1);
    archive_write_open(a, out, NULL, to_strbuf, NULL);
    bt_autoptr(json_t) manifest = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct th_image *im = &imgs[i];
        bt_autofree char *digest = th_sha256(im->config, strlen(im->config));
        bt_autofree char *cname = bt_xasprintf("%s.json", digest + 7);
        add_file(a, cname, im->config, strlen(im->config));
        json_t *m = json_object();
        bt_json_set_str(m, "Config", im->config_name ? im->config_name : cname);
        json_object_set_new(m, "RepoTags",
                            im->tags ? bt_json_strv((char **)im->tags) : json_null());
        json_t *layers = json_array();
        for (size_t j = 0; j < im->nlayers; j++) {
            bt_autofree char *lname = bt_xasprintf("%zu-%zu/layer.tar", i, j);
            if (im->layers[j].buf)
                add_file(a, lname, im->layers[j].buf, im->layers[j].len);
            json_array_append_new(layers,
                                  json_string(im->layer_names ? im->layer_names[j] : lname));
        }
        json_object_set_new(m, "Layers", layers);
        if (im->parent)
            bt_json_set_str(m, "Parent", im->parent);
        json_array_append_new(manifest, m);
    }
    bt_autofree char *mtext = bt_json_dumps(manifest);
    add_file(a, "manifest.json", mtext, strlen(mtext));
    archive_write_close(a);
    archive_write_free(a);
    if (nextra) {
        /* extra entries go in a second tar appended after the first's end: rebuild instead */
        bt_autostrbuf struct bt_strbuf more = BT_STRBUF_INIT;
        th_tar(extra, nextra, TH_PLAIN, &more);
        /* drop the end-of-archive blocks (two 512-byte zero blocks) of the first tar */
        bt_strbuf_truncate(out, out->len - 1024);
        bt_strbuf_append_n(out, more.buf, more.len);
    }
}

static void collect_line(const char *line, void *ctx)
{
    struct bt_strbuf *sb = ctx;
    bt_strbuf_appendf(sb, "%s%s", sb->len ? "\n" : "", line);
}

int th_load(struct image_store *s, const struct bt_strbuf *archive, char **lines, bt_err **err)
{
    bt_autoclose int fd = th_memfd(archive->buf ? archive->buf : "", archive->len);
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    int rc = image_load(s, fd, collect_line, &sb, err);
    if (lines)
        *lines = bt_xstrdup(bt_strbuf_str(&sb));
    return rc;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(const char *dir, const char *rel, char ***out)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        bt_autofree char *r =
                *rel ? bt_xasprintf("%s/%s", rel, de->d_name) : bt_xstrdup(de->d_name);
        bt_autofree char *p = bt_xasprintf("%s/%s", dir, de->d_name);
        bt_strv_push(out, r);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            walk(p, r, out);
    }
    closedir(d);
}

char *th_tree(const char *dir)
{
    bt_autostrv char **names = bt_xzalloc(sizeof(char *));
    walk(dir, "", &names);
    qsort(names, bt_strv_len(names), sizeof(char *), cmp);
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    for (size_t i = 0; names[i]; i++)
        bt_strbuf_appendf(&sb, "%s\n", names[i]);
    return bt_strbuf_steal(&sb);
}
