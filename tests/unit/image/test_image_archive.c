/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker save and docker load: the docker-archive round trip (same IDs, same bytes twice),
 * OCI image layouts, verification before anything is stored, and archives made to escape.
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest/engine/image/image-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"
#include "tests/unit/image/helpers.h"

/* ---- reading a saved archive ---- */

struct member {
    char *name;
    char *data;
    size_t len;
    char type; /* f, d, l */
    char *link;
    time_t mtime;
};

struct members {
    struct member *m;
    size_t n;
};

static void members_free(struct members *ms)
{
    for (size_t i = 0; i < ms->n; i++) {
        free(ms->m[i].name);
        free(ms->m[i].data);
        free(ms->m[i].link);
    }
    free(ms->m);
}

static void read_members(const struct bt_strbuf *tar, struct members *out)
{
    memset(out, 0, sizeof(*out));
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    assert_int_equal(archive_read_open_memory(a, tar->buf, tar->len), ARCHIVE_OK);
    struct archive_entry *e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        out->m = bt_xreallocarray(out->m, out->n + 1, sizeof(*out->m));
        struct member *m = &out->m[out->n++];
        memset(m, 0, sizeof(*m));
        m->name = bt_xstrdup(archive_entry_pathname(e));
        m->mtime = archive_entry_mtime(e);
        m->type = archive_entry_filetype(e) == AE_IFDIR   ? 'd'
                  : archive_entry_filetype(e) == AE_IFLNK ? 'l'
                                                          : 'f';
        if (m->type == 'l')
            m->link = bt_xstrdup(archive_entry_symlink(e));
        struct bt_strbuf sb = BT_STRBUF_INIT;
        char buf[8192];
        la_ssize_t n;
        while ((n = archive_read_data(a, buf, sizeof(buf))) > 0)
            bt_strbuf_append_n(&sb, buf, (size_t)n);
        m->len = sb.len;
        m->data = sb.buf ? sb.buf : bt_xstrdup("");
    }
    archive_read_free(a);
}

static const struct member *find(const struct members *ms, const char *name)
{
    for (size_t i = 0; i < ms->n; i++)
        if (strcmp(ms->m[i].name, name) == 0)
            return &ms->m[i];
    return NULL;
}

static void save(struct image_store *s, char **names, struct bt_strbuf *out)
{
    char path[] = "/tmp/berth-test-save-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    bt_autoerr bt_err *err = NULL;
    if (image_save(s, names, fd, &err) < 0)
        fail_msg("save: %s", bt_err_msg(err));
    lseek(fd, 0, SEEK_SET);
    assert_int_equal(bt_fd_read_all(fd, out, 0, NULL), 0);
    close(fd);
}

/* a second store beside the fixture's */
static struct image_store *other_store(struct th_fixture *f, const char *name)
{
    bt_autofree char *root = bt_xasprintf("%s/%s", f->base, name);
    struct image_store_opts o = {.root = root, .plain_whiteouts = true};
    struct image_store *s = image_store_open(&o, NULL);
    assert_non_null(s);
    return s;
}

/* A two-layer image (the first layer gzip-compressed inside the archive, as docker load
 * accepts) loaded from a docker-archive, tagged multi:1. Returns its ID. */
static char *load_multi(struct image_store *s)
{
    struct tent e1[] = {{"etc", 'd'}, {"etc/os", 'f', "base\n"}, {"bin", 'd'}, {"bin/a", 'f', "a"}};
    struct tent e2[] = {
            {"etc", 'd'}, {"etc/os", 'f', "top\n"}, {"bin", 'd'}, {"bin/.wh.a", 'f', ""}};
    struct bt_strbuf plain1 = BT_STRBUF_INIT, layers[2] = {BT_STRBUF_INIT, BT_STRBUF_INIT};
    th_tar(e1, N(e1), TH_PLAIN, &plain1);
    th_tar(e1, N(e1), TH_GZIP, &layers[0]);
    th_tar(e2, N(e2), TH_PLAIN, &layers[1]);
    bt_autofree char *d1 = th_sha256(plain1.buf, plain1.len);
    bt_autofree char *d2 = th_sha256(layers[1].buf, layers[1].len);
    char *diffs[] = {d1, d2, NULL};
    bt_autofree char *cfg =
            th_config("2023-05-06T07:08:09.123456789Z", diffs,
                      "[{\"created\":\"2023-05-06T07:08:09Z\",\"created_by\":\"a\"},"
                      "{\"created\":\"2023-05-06T07:08:09Z\",\"created_by\":\"b\"}]",
                      NULL);
    const char *tags[] = {"multi:1", NULL};
    struct th_image im = {.config = cfg, .layers = layers, .nlayers = 2, .tags = tags};
    bt_autostrbuf struct bt_strbuf ar = BT_STRBUF_INIT;
    th_docker_archive(&im, 1, NULL, 0, &ar);
    bt_strbuf_free(&plain1);
    bt_strbuf_free(&layers[0]);
    bt_strbuf_free(&layers[1]);
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *lines = NULL;
    if (th_load(s, &ar, &lines, &err) < 0)
        fail_msg("load: %s", bt_err_msg(err));
    assert_string_equal(lines, "Loaded image: multi:1");
    return th_sha256(cfg, strlen(cfg));
}

static const struct tent app_tree[] = {{"app", 'd'},
                                       {"app/run", 'f', "#!/bin/sh\necho hi\n", 0755}};

static void test_image_save_load_round_trip(void **state)
{
    struct th_fixture *f = *state;
    bt_autofree char *multi = load_multi(f->s);
    bt_autofree char *app = th_import(f->s, app_tree, N(app_tree), TH_ZSTD, "app", "1", NULL);
    assert_int_equal(image_tag(f->s, app, "app", "2", NULL), 0);

    char *names[] = {"app", "multi:1", NULL};
    bt_autostrbuf struct bt_strbuf one = BT_STRBUF_INIT;
    bt_autostrbuf struct bt_strbuf two = BT_STRBUF_INIT;
    save(f->s, names, &one);
    save(f->s, names, &two);
    assert_int_equal(one.len, two.len);
    assert_memory_equal(one.buf, two.buf, one.len);

    struct members ms;
    read_members(&one, &ms);
    const struct member *mf = find(&ms, "manifest.json");
    assert_non_null(mf);
    bt_autoptr(json_t) manifest = bt_json_parse(mf->data, mf->len, NULL);
    assert_int_equal(json_array_size(manifest), 2);
    json_t *m0 = json_array_get(manifest, 0);
    bt_autofree char *cfg0 = bt_xasprintf("%s.json", app + 7);
    assert_string_equal(bt_json_get_str(m0, "Config", ""), cfg0);
    bt_autofree char *tags0 = bt_json_dumps(json_object_get(m0, "RepoTags"));
    assert_string_equal(tags0, "[\"app:1\",\"app:2\"]");
    /* each layer.tar is the uncompressed layer: its digest is the diff ID */
    json_t *m1 = json_array_get(manifest, 1);
    struct image_inspect *in = image_inspect(f->s, multi, NULL);
    for (size_t i = 0; i < 2; i++) {
        const char *lname = json_string_value(json_array_get(json_object_get(m1, "Layers"), i));
        const struct member *lt = find(&ms, lname);
        assert_non_null(lt);
        bt_autofree char *sum = th_sha256(lt->data, lt->len);
        assert_string_equal(sum, in->diff_ids[i]);
        bt_autofree char *dir = bt_xstrndup(lname, 64);
        bt_autofree char *vname = bt_xasprintf("%s/VERSION", dir);
        assert_string_equal(find(&ms, vname)->data, "1.0");
        bt_autofree char *jname = bt_xasprintf("%s/json", dir);
        bt_autoptr(json_t) v1 = bt_json_parse(find(&ms, jname)->data, find(&ms, jname)->len, NULL);
        assert_string_equal(bt_json_get_str(v1, "id", ""), dir);
        bt_autofree char *dname = bt_xasprintf("%s/", dir);
        assert_non_null(find(&ms, dname));
        assert_int_equal(find(&ms, dname)->type, 'd');
        assert_true(find(&ms, dname)->mtime == 1683356889);
    }
    image_inspect_free(in);
    const struct member *cf = find(&ms, cfg0);
    bt_autofree char *csum = th_sha256(cf->data, cf->len);
    assert_string_equal(csum, app);
    const struct member *repos = find(&ms, "repositories");
    assert_non_null(repos);
    assert_non_null(strstr(repos->data, "\"app\":{\"1\":\""));
    assert_non_null(strstr(repos->data, "\"multi\":{\"1\":\""));
    assert_true(find(&ms, "manifest.json")->mtime == 0);
    /* entries in the order of a directory walk */
    for (size_t i = 1; i < ms.n; i++)
        if (strchr(ms.m[i].name, '/') == NULL)
            assert_true(strcmp(ms.m[i - 1].name, ms.m[i].name) < 0 ||
                        strchr(ms.m[i - 1].name, '/'));
    members_free(&ms);

    /* into another store: the same IDs, the same tags, dockerd's lines */
    struct image_store *b = other_store(f, "b");
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *lines = NULL;
    if (th_load(b, &one, &lines, &err) < 0)
        fail_msg("load: %s", bt_err_msg(err));
    assert_string_equal(lines, "Loaded image: app:1\nLoaded image: app:2\nLoaded image: multi:1");
    bt_autofree char *r1 = image_resolve(b, "app:2", NULL);
    assert_string_equal(r1, app);
    bt_autofree char *r2 = image_resolve(b, "multi:1", NULL);
    assert_string_equal(r2, multi);
    image_store_close(b);
}

static void test_image_save_names(void **state)
{
    struct th_fixture *f = *state;
    bt_autofree char *app = th_import(f->s, app_tree, N(app_tree), TH_PLAIN, "app", "1", NULL);
    bt_autoerr bt_err *err = NULL;
    /* the check says what save would, without writing */
    assert_int_equal(image_save_check(f->s, (char *[]){"app", app, NULL}, &err), 0);
    assert_int_equal(image_save_check(f->s, (char *[]){"app", "nope:1", NULL}, &err), -1);
    assert_string_equal(bt_err_msg(err), "reference does not exist");
    bt_err_clear(&err);
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    assert_int_equal(image_save(f->s, (char *[]){"nope:1", NULL}, fd, &err), -1);
    assert_string_equal(bt_err_msg(err), "reference does not exist");
    bt_err_clear(&err);
    assert_int_equal(image_save(f->s, (char *[]){"nope", NULL}, fd, &err), -1);
    assert_string_equal(bt_err_msg(err), "No such image: nope:latest");
    close(fd);
    /* by ID: no tags in the archive */
    bt_autostrbuf struct bt_strbuf ar = BT_STRBUF_INIT;
    save(f->s, (char *[]){app, NULL}, &ar);
    struct members ms;
    read_members(&ar, &ms);
    const struct member *mf = find(&ms, "manifest.json");
    assert_non_null(strstr(mf->data, "\"RepoTags\":null"));
    assert_null(find(&ms, "repositories"));
    members_free(&ms);
    struct image_store *b = other_store(f, "b");
    bt_autofree char *lines = NULL;
    assert_int_equal(th_load(b, &ar, &lines, &err), 0);
    bt_autofree char *want = bt_xasprintf("Loaded image ID: %s", app);
    assert_string_equal(lines, want);
    image_store_close(b);
}

static void test_image_load_keeps_present_layers(void **state)
{
    struct th_fixture *f = *state;
    bt_autofree char *multi = load_multi(f->s);
    struct image_inspect *in = image_inspect(f->s, multi, NULL);
    bt_autofree char *marker = bt_xasprintf("%s/marker", in->upper_dir);
    image_inspect_free(in);
    assert_int_equal(bt_file_write_atomic(marker, "m", 1, 0644, NULL), 0);
    bt_autofree char *again = load_multi(f->s);
    assert_string_equal(again, multi);
    assert_true(bt_path_exists(marker));
    bt_autofree char *layers = th_at(f, "layers");
    assert_int_equal(th_count(layers), 2);
}

/* ---- OCI image layouts ---- */

struct blob {
    char *digest;
    char *data;
    size_t len;
};

static void blob_of(struct blob *b, const char *data, size_t len)
{
    b->data = bt_xmalloc(len + 1);
    memcpy(b->data, data, len);
    b->data[len] = '\0';
    b->len = len;
    b->digest = th_sha256(data, len);
}

static void blob_clear(struct blob *b)
{
    free(b->digest);
    free(b->data);
}

static char *blob_name(const struct blob *b)
{
    return bt_xasprintf("blobs/sha256/%s", b->digest + 7);
}

/* An OCI layout: one amd64 image behind a nested index that also names an arm64 image whose
 * blobs are not there. Optionally the layer descriptor lies about the digest. */
static void oci_layout(const char *index_annotations, bool bad_layer_digest, bool bad_config,
                       struct bt_strbuf *out, char **image_id)
{
    struct tent e[] = {{"hello", 'f', "from oci\n"}};
    bt_autostrbuf struct bt_strbuf plain = BT_STRBUF_INIT;
    bt_autostrbuf struct bt_strbuf gz = BT_STRBUF_INIT;
    th_tar(e, 1, TH_PLAIN, &plain);
    th_tar(e, 1, TH_GZIP, &gz);
    bt_autofree char *diff = th_sha256(plain.buf, plain.len);
    char *diffs[] = {diff, NULL};
    bt_autofree char *cfg_text = th_config("2024-02-03T04:05:06Z", diffs, NULL, NULL);
    struct blob layer, config, manifest, nested, wrong;
    blob_of(&layer, gz.buf, gz.len);
    blob_of(&config, cfg_text, strlen(cfg_text));
    blob_of(&wrong, "not the layer", 13);
    bt_autofree char *mtext = bt_xasprintf(
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":"
            "\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"application/"
            "vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"%s\",\"size\":%zu}]}",
            bad_config ? wrong.digest : config.digest, config.len,
            bad_layer_digest ? wrong.digest : layer.digest, layer.len);
    blob_of(&manifest, mtext, strlen(mtext));
    bt_autofree char *ntext = bt_xasprintf(
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
            "\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            "\"digest\":\"sha256:1111111111111111111111111111111111111111111111111111111111111111\""
            ",\"size\":10,\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}},"
            "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\","
            "\"size\":%zu,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}",
            manifest.digest, manifest.len);
    blob_of(&nested, ntext, strlen(ntext));
    bt_autofree char *index =
            bt_xasprintf("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/"
                         "vnd.oci.image.index.v1+json\",\"digest\":\"%s\",\"size\":%zu%s}]}",
                         nested.digest, nested.len, index_annotations);
    /* a tampered layer: the descriptor's name holds other (valid) bytes */
    bt_autofree char *n1 = blob_name(bad_layer_digest ? &wrong : &layer);
    bt_autofree char *n2 = blob_name(bad_config ? &wrong : &config);
    bt_autofree char *n3 = blob_name(&manifest);
    bt_autofree char *n4 = blob_name(&nested);
    bt_autofree char *n5 = blob_name(bad_layer_digest ? &layer : bad_config ? &config : &wrong);
    struct tent files[] = {
            {"oci-layout", 'f', "{\"imageLayoutVersion\":\"1.0.0\"}"},
            {"index.json", 'f', index},
            {"blobs", 'd'},
            {"blobs/sha256", 'd'},
            {n1, 'f', layer.data, 0, layer.len},
            {n2, 'f', config.data},
            {n3, 'f', manifest.data},
            {n4, 'f', nested.data},
            {n5, 'f', wrong.data},
    };
    th_tar(files, N(files), TH_PLAIN, out);
    *image_id = bt_xstrdup(config.digest);
    blob_clear(&layer);
    blob_clear(&config);
    blob_clear(&manifest);
    blob_clear(&nested);
    blob_clear(&wrong);
}

static void test_image_load_oci_layout(void **state)
{
    struct th_fixture *f = *state;
    bt_autostrbuf struct bt_strbuf ar = BT_STRBUF_INIT;
    bt_autofree char *id = NULL;
    oci_layout(",\"annotations\":{\"io.containerd.image.name\":\"docker.io/library/ocitest:1.0\","
               "\"org.opencontainers.image.ref.name\":\"1.0\"}",
               false, false, &ar, &id);
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *lines = NULL;
    if (th_load(f->s, &ar, &lines, &err) < 0)
        fail_msg("load: %s", bt_err_msg(err));
    assert_string_equal(lines, "Loaded image: ocitest:1.0");
    bt_autofree char *r = image_resolve(f->s, "ocitest:1.0", NULL);
    assert_string_equal(r, id);
    struct image_inspect *in = image_inspect(f->s, id, NULL);
    bt_autofree char *hello = bt_xasprintf("%s/hello", in->upper_dir);
    bt_autofree char *content = th_slurp(hello);
    assert_string_equal(content, "from oci\n");
    bt_autofree char *meta_rel = bt_xasprintf("layers/%s/meta.json", in->diff_ids[0] + 7);
    bt_autofree char *meta_path = th_at(f, meta_rel);
    bt_autoptr(json_t) meta = bt_json_load_file(meta_path, NULL);
    assert_string_equal(bt_json_get_str(meta, "media_type", ""), MEDIA_LAYER_GZIP);
    image_inspect_free(in);

    /* only a tag as ref.name: no repository to tag, the ID is reported */
    struct image_store *b = other_store(f, "b");
    bt_autostrbuf struct bt_strbuf ar2 = BT_STRBUF_INIT;
    bt_autofree char *id2 = NULL;
    oci_layout(",\"annotations\":{\"org.opencontainers.image.ref.name\":\"latest\"}", false, false,
               &ar2, &id2);
    bt_autofree char *lines2 = NULL;
    assert_int_equal(th_load(b, &ar2, &lines2, &err), 0);
    bt_autofree char *want = bt_xasprintf("Loaded image ID: %s", id2);
    assert_string_equal(lines2, want);
    image_store_close(b);
}

/* ---- verification before storing ---- */

static void expect_load_fails(struct th_fixture *f, const struct bt_strbuf *ar, int code,
                              const char *msg)
{
    bt_autofree char *before = th_tree(f->root);
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(th_load(f->s, ar, NULL, &err), -1);
    if (code && bt_err_code(err) != code && !bt_err_is(err, code))
        fail_msg("code %d, want %d: %s", bt_err_code(err), code, bt_err_msg(err));
    if (msg && !strstr(bt_err_msg(err), msg))
        fail_msg("\"%s\" does not say \"%s\"", bt_err_msg(err), msg);
    bt_autofree char *after = th_tree(f->root);
    assert_string_equal(after, before);
}

static void test_image_load_diff_id_mismatch_stores_nothing(void **state)
{
    struct th_fixture *f = *state;
    bt_autofree char *keep = th_import(f->s, app_tree, N(app_tree), TH_PLAIN, "keep", NULL, NULL);
    struct tent e1[] = {{"one", 'f', "1"}};
    struct tent e2[] = {{"two", 'f', "2"}};
    struct bt_strbuf l1 = BT_STRBUF_INIT, l2 = BT_STRBUF_INIT;
    th_tar(e1, 1, TH_PLAIN, &l1);
    th_tar(e2, 1, TH_PLAIN, &l2);
    bt_autofree char *d1 = th_sha256(l1.buf, l1.len);
    bt_autofree char *d2 = th_sha256(l2.buf, l2.len);
    bt_autofree char *claimed = th_sha256("something else", 14);
    char *good[] = {d1, NULL};
    char *bad[] = {claimed, NULL}; /* ships layer two under another diff ID */
    bt_autofree char *c1 = th_config("2020-01-01T00:00:00Z", good, NULL, NULL);
    bt_autofree char *c2 = th_config("2020-01-02T00:00:00Z", bad, NULL, NULL);
    const char *t1[] = {"first:1", NULL};
    const char *t2[] = {"second:1", NULL};
    struct th_image ims[] = {{.config = c1, .layers = &l1, .nlayers = 1, .tags = t1},
                             {.config = c2, .layers = &l2, .nlayers = 1, .tags = t2}};
    bt_autostrbuf struct bt_strbuf ar = BT_STRBUF_INIT;
    th_docker_archive(ims, 2, NULL, 0, &ar);
    bt_autofree char *msg =
            bt_xasprintf("invalid diffID for layer 0: expected \"%s\", got \"%s\"", claimed, d2);
    expect_load_fails(f, &ar, BT_E_CORRUPT, msg);
    assert_null(image_resolve(f->s, "first:1", NULL));
    bt_autofree char *still = image_resolve(f->s, "keep", NULL);
    assert_string_equal(still, keep);
    bt_strbuf_free(&l1);
    bt_strbuf_free(&l2);

    bt_autostrbuf struct bt_strbuf oci = BT_STRBUF_INIT;
    bt_autofree char *id = NULL;
    oci_layout("", true, false, &oci, &id);
    expect_load_fails(f, &oci, BT_E_CORRUPT, "invalid digest for layer 0");
    bt_autostrbuf struct bt_strbuf oci2 = BT_STRBUF_INIT;
    bt_autofree char *id2 = NULL;
    oci_layout("", false, true, &oci2, &id2);
    expect_load_fails(f, &oci2, BT_E_CORRUPT, "invalid OCI layout: config");
}

static void test_image_load_rejects_bad_archives(void **state)
{
    struct th_fixture *f = *state;
    struct tent e[] = {{"x", 'f', "x"}};
    bt_autostrbuf struct bt_strbuf layer = BT_STRBUF_INIT;
    th_tar(e, 1, TH_PLAIN, &layer);
    bt_autofree char *d = th_sha256(layer.buf, layer.len);
    char *diffs[] = {d, NULL};
    bt_autofree char *cfg = th_config("2020-01-01T00:00:00Z", diffs, NULL, NULL);
    bt_autofree char *win = bt_xstrdup(cfg);
    memcpy(strstr(win, "\"linux\""), "\"wndws\"", 7);

    struct {
        struct th_image im;
        const char *manifest; /* replaces manifest.json when set */
        struct tent extra[2];
        size_t nextra;
        int code;
        const char *msg;
    } cases[] = {
            {{.config = cfg,
              .layers = &layer,
              .nlayers = 1,
              .config_name = "../../../../etc/passwd"},
             NULL,
             {{0}},
             0,
             BT_E_NOT_FOUND,
             NULL},
            {{.config = cfg,
              .layers = &layer,
              .nlayers = 1,
              .layer_names = (const char *const[]){"../../x/layer.tar"}},
             NULL,
             {{0}},
             0,
             BT_E_INVALID,
             NULL},
            /* a layer that is a symlink to the host's /etc/passwd reads the archive's */
            {{.config = cfg,
              .nlayers = 1,
              .layers = &(struct bt_strbuf){0},
              .layer_names = (const char *const[]){"evil/layer.tar"}},
             NULL,
             {{"evil", 'd'}, {"evil/layer.tar", 'l', "/etc/passwd"}},
             2,
             BT_E_INVALID,
             "is not a file"},
            {{.config = cfg,
              .nlayers = 1,
              .layers = &(struct bt_strbuf){0},
              .layer_names = (const char *const[]){"evil/layer.tar"}},
             NULL,
             {{"evil", 'd'}, {"evil/layer.tar", 'l', "../../../../../../etc/passwd"}},
             2,
             BT_E_INVALID,
             "is not a file"},
            {{.config = cfg,
              .layers = &layer,
              .nlayers = 1,
              .tags =
                      (const char *const[]){
                              "a@sha256:"
                              "0000000000000000000000000000000000000000000000000000000000000000",
                              NULL}},
             NULL,
             {{0}},
             0,
             BT_E_INVALID,
             "invalid tag"},
            {{.config = win, .layers = &layer, .nlayers = 1},
             NULL,
             {{0}},
             0,
             BT_E_INVALID,
             "cannot load wndws image on linux"},
            {{.config = cfg, .layers = &layer, .nlayers = 0},
             NULL,
             {{0}},
             0,
             BT_E_INVALID,
             "invalid manifest, layers length mismatch: expected 0, got 1"},
            {{.config = "{\"architecture\":\"amd64\"}", .nlayers = 0},
             NULL,
             {{0}},
             0,
             BT_E_INVALID,
             "invalid image JSON, no RootFS key"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        bt_autostrbuf struct bt_strbuf ar = BT_STRBUF_INIT;
        th_docker_archive(&cases[i].im, 1, cases[i].extra, cases[i].nextra, &ar);
        expect_load_fails(f, &ar, cases[i].code, cases[i].msg);
    }

    /* manifests that are not what they should be */
    const struct {
        const char *manifest;
        const char *msg;
    } mcases[] = {
            {"null", "invalid manifest, manifest cannot be null (but can be [])"},
            {"{}", "invalid archive: failed to decode manifest.json"},
            {"[1]", "invalid archive: failed to decode manifest.json"},
            {"[{\"Config\":\"c.json\",\"Layers\":\"x\"}]", "failed to decode"},
            {"[{", "invalid archive: failed to load manifest.json: invalid JSON"},
    };
    for (size_t i = 0; i < N(mcases); i++) {
        struct tent files[] = {{"manifest.json", 'f', mcases[i].manifest}};
        bt_autostrbuf struct bt_strbuf ar = BT_STRBUF_INIT;
        th_tar(files, 1, TH_PLAIN, &ar);
        expect_load_fails(f, &ar, BT_E_INVALID, mcases[i].msg);
    }
    struct tent dir_manifest[] = {{"manifest.json", 'd'}};
    bt_autostrbuf struct bt_strbuf ar1 = BT_STRBUF_INIT;
    th_tar(dir_manifest, 1, TH_PLAIN, &ar1);
    expect_load_fails(f, &ar1, BT_E_INVALID, "is not a regular file");
    struct tent nothing[] = {{"readme", 'f', "hi"}};
    bt_autostrbuf struct bt_strbuf ar2 = BT_STRBUF_INIT;
    th_tar(nothing, 1, TH_PLAIN, &ar2);
    expect_load_fails(f, &ar2, BT_E_INVALID, "invalid archive: does not contain a manifest.json");
    bt_autostrbuf struct bt_strbuf junk = BT_STRBUF_INIT;
    bt_strbuf_append(&junk, "definitely not a tar archive");
    expect_load_fails(f, &junk, BT_E_INVALID, NULL);
    struct tent escape[] = {{"../../escaped", 'f', "x"}, {"manifest.json", 'f', "[]"}};
    bt_autostrbuf struct bt_strbuf ar3 = BT_STRBUF_INIT;
    th_tar(escape, 2, TH_PLAIN, &ar3);
    expect_load_fails(f, &ar3, BT_E_INVALID, "outside of the destination");
    bt_autofree char *escaped = bt_xasprintf("%s/escaped", f->base);
    assert_false(bt_path_exists(escaped));
    /* an empty list loads nothing, and that is fine */
    struct tent empty[] = {{"manifest.json", 'f', "[]"}};
    bt_autostrbuf struct bt_strbuf ar4 = BT_STRBUF_INIT;
    th_tar(empty, 1, TH_PLAIN, &ar4);
    bt_autofree char *lines = NULL;
    assert_int_equal(th_load(f->s, &ar4, &lines, NULL), 0);
    assert_string_equal(lines, "");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, th_setup, th_teardown)
    const struct CMUnitTest tests[] = {
            T(test_image_save_load_round_trip),
            T(test_image_save_names),
            T(test_image_load_keeps_present_layers),
            T(test_image_load_oci_layout),
            T(test_image_load_diff_id_mismatch_stores_nothing),
            T(test_image_load_rejects_bad_archives),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
