/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The image store without archives: import, naming (IDs, short IDs, references), tags and
 * docker rmi's rules and messages, shared layers, list filters, history, prune, read-write
 * layers, and what survives a restart.
 */
#include <errno.h>
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
#include "shared/fs/file.h"
#include "shared/json/json.h"
#include "tests/unit/image/helpers.h"

static const struct tent rootfs[] = {
        {"bin", 'd'},
        {"bin/sh", 'f', "#!shell", 0755},
        {"etc", 'd'},
        {"etc/passwd", 'f', "root:x:0:0::/root:/bin/sh\n"},
        {"etc/.wh.gone", 'f', ""},
        {"link", 'l', "bin/sh"},
};

/* One-file tars that differ by content, for images that must differ */
static char *import_n(struct image_store *s, int n, const char *repo, const char *tag)
{
    bt_autofree char *content = bt_xasprintf("file %d\n", n);
    struct tent e[] = {{"f", 'f', content}};
    return th_import(s, e, 1, TH_PLAIN, repo, tag, NULL);
}

/* The items of a delete result as "Untagged: x|Deleted: y|..." */
static char *items(const struct image_delete_result *r)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    for (size_t i = 0; i < r->n; i++)
        bt_strbuf_appendf(&sb, "%s%s: %s", i ? "|" : "",
                          r->items[i].kind == IMAGE_UNTAGGED ? "Untagged" : "Deleted",
                          r->items[i].what);
    return bt_strbuf_steal(&sb);
}

static char *rmi(struct image_store *s, const char *name, const struct image_delete_opts *o,
                 bt_err **err)
{
    struct image_delete_result *r = image_delete(s, name, o, err);
    if (!r)
        return NULL;
    char *text = items(r);
    image_delete_result_free(r);
    return text;
}

static char *sid(const char *id)
{
    return bt_xstrndup(id + 7, 12);
}

/* ---- chain IDs ---- */

static void test_image_chain_ids_follow_the_oci_spec(void **state)
{
    const char *d1 = "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4";
    const char *d2 = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";
    char c[BT_DIGEST_STR_SIZE];
    layer_chain_id("", d1, c);
    assert_string_equal(c, d1);
    /* printf '%s %s' d1 d2 | sha256sum */
    layer_chain_id(d1, d2, c);
    assert_string_equal(c,
                        "sha256:71dec89dc33c1a1cd5f73cd1e0885ec74b73b03fb9d5a98fddb6486563565072");
}

/* ---- import ---- */

static void test_image_import_builds_dockerds_config(void **state)
{
    struct th_fixture *f = *state;
    bt_autostrbuf struct bt_strbuf tar = BT_STRBUF_INIT;
    th_tar(rootfs, N(rootfs), TH_PLAIN, &tar);
    bt_autofree char *diff_id = th_sha256(tar.buf, tar.len);
    bt_autofree char *id = th_import(f->s, rootfs, N(rootfs), TH_PLAIN, NULL, NULL, NULL);

    bt_autoerr bt_err *err = NULL;
    struct image_inspect *in = image_inspect(f->s, id, &err);
    assert_non_null(in);
    assert_string_equal(in->id, id);
    assert_string_equal(in->diff_ids[0], diff_id);
    assert_null(in->diff_ids[1]);
    assert_true(in->size == (int64_t)tar.len);
    assert_string_equal(bt_json_get_str(in->config, "architecture", ""), "amd64");
    assert_string_equal(bt_json_get_str(in->config, "os", ""), "linux");
    assert_string_equal(bt_json_get_str(in->config, "comment", ""), "Imported from -");
    json_t *h = json_array_get(bt_json_get_arr(in->config, "history"), 0);
    assert_string_equal(bt_json_get_str(h, "comment", ""), "Imported from -");
    assert_null(json_object_get(h, "created_by"));
    assert_string_equal(bt_json_get_str(h, "created", ""),
                        bt_json_get_str(in->config, "created", "x"));
    assert_null(in->repo_tags[0]);
    assert_null(in->lower_dir);
    bt_autofree char *upper = th_at(f, "layers/");
    assert_memory_equal(in->upper_dir, upper, strlen(upper));

    /* the ID is the digest of the config bytes as stored; keys as dockerd orders them */
    bt_autofree char *cfg_path = th_at(f, "blobs/sha256/");
    bt_autofree char *cfg_file = bt_xasprintf("%s%s", cfg_path, id + 7);
    bt_autofree char *cfg = th_slurp(cfg_file);
    bt_autofree char *sum = th_sha256(cfg, strlen(cfg));
    assert_string_equal(sum, id);
    assert_memory_equal(cfg,
                        "{\"architecture\":\"amd64\",\"comment\":\"Imported from -\",\"config\":"
                        "{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\",",
                        94);
    assert_non_null(strstr(cfg, ",\"container_config\":{\"Hostname\":\"\""));
    assert_non_null(strstr(cfg, "\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["));

    /* the layer is unpacked once, whiteouts as files in this unprivileged test store */
    bt_autofree char *passwd = bt_xasprintf("%s/etc/passwd", in->upper_dir);
    bt_autofree char *pw = th_slurp(passwd);
    assert_string_equal(pw, "root:x:0:0::/root:/bin/sh\n");
    image_inspect_free(in);
}

static void test_image_import_keeps_the_blob_as_received(void **state)
{
    struct th_fixture *f = *state;
    const enum th_comp comps[] = {TH_GZIP, TH_ZSTD};
    const char *types[] = {MEDIA_LAYER_GZIP, MEDIA_LAYER_ZSTD};
    for (size_t i = 0; i < 2; i++) {
        bt_autostrbuf struct bt_strbuf plain = BT_STRBUF_INIT;
        bt_autostrbuf struct bt_strbuf packed = BT_STRBUF_INIT;
        struct tent e[] = {{"x", 'f', i ? "zstd" : "gzip"}};
        th_tar(e, 1, TH_PLAIN, &plain);
        th_tar(e, 1, comps[i], &packed);
        bt_autofree char *diff_id = th_sha256(plain.buf, plain.len);
        bt_autofree char *blob = th_sha256(packed.buf, packed.len);
        bt_autofree char *id = th_import(f->s, e, 1, comps[i], NULL, NULL, NULL);
        struct image_inspect *in = image_inspect(f->s, id, NULL);
        assert_string_equal(in->diff_ids[0], diff_id);
        /* the compressed bytes are kept under their own digest */
        bt_autofree char *rel = bt_xasprintf("blobs/sha256/%s", blob + 7);
        bt_autofree char *path = th_at(f, rel);
        bt_autofree char *stored = th_slurp(path);
        assert_non_null(stored);
        bt_autofree char *meta_rel = bt_xasprintf("layers/%s/meta.json", diff_id + 7);
        bt_autofree char *meta_path = th_at(f, meta_rel);
        bt_autoptr(json_t) meta = bt_json_load_file(meta_path, NULL);
        assert_string_equal(bt_json_get_str(meta, "blob", ""), blob);
        assert_string_equal(bt_json_get_str(meta, "media_type", ""), types[i]);
        assert_true(bt_json_get_int(meta, "size", 0) == (int64_t)plain.len);
        image_inspect_free(in);
    }
}

static void test_image_import_tags_and_changes(void **state)
{
    struct th_fixture *f = *state;
    char *changes[] = {"CMD [\"/bin/sh\"]", "ENV A=1", "LABEL app=web", NULL};
    bt_autofree char *id =
            th_import(f->s, rootfs, N(rootfs), TH_GZIP, "example/app", "v1", changes);
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *by_ref = image_resolve(f->s, "example/app:v1", &err);
    assert_string_equal(by_ref, id);
    bt_autofree char *by_full = image_resolve(f->s, "docker.io/example/app:v1", &err);
    assert_string_equal(by_full, id);
    struct image_inspect *in = image_inspect(f->s, "example/app:v1", &err);
    assert_string_equal(in->repo_tags[0], "example/app:v1");
    assert_non_null(in->last_tag_time);
    bt_autofree char *cmd = bt_json_dumps(bt_json_get_path(in->config, "config.Cmd"));
    assert_string_equal(cmd, "[\"/bin/sh\"]");
    assert_string_equal(json_string_value(bt_json_get_path(in->config, "config.Labels.app")),
                        "web");
    image_inspect_free(in);
    assert_null(image_resolve(f->s, "example/app", &err));
    assert_int_equal(bt_err_code(err), BT_E_NOT_FOUND);
    assert_string_equal(bt_err_msg(err), "No such image: example/app:latest");
    /* a repo without tag is tagged latest */
    bt_autofree char *latest = th_import(f->s, rootfs, N(rootfs), TH_PLAIN, "busybox", NULL, NULL);
    bt_autofree char *r = image_resolve(f->s, "busybox", NULL);
    assert_string_equal(r, latest);
}

static void test_image_import_rejects_bad_input(void **state)
{
    struct th_fixture *f = *state;
    bt_autofree char *before = th_tree(f->root);
    struct {
        struct image_import_opts o;
        const char *data;
        const char *msg;
    } cases[] = {
            {{.repo = "BadName"},
             NULL,
             "invalid reference format: repository name (library/BadName) must be lowercase"},
            {{.repo = "ok", .tag = "bad tag"}, NULL, "invalid tag format"},
            {{.repo = "ok@sha256:0123456789012345678901234567890123456789012345678901234567890123"},
             NULL,
             "cannot import digest reference"},
            {{.changes = (char *[]){"RUN make", NULL}}, NULL, "RUN is not a valid change command"},
            {{.platform = "windows/amd64"},
             NULL,
             "image operating system \"windows\" cannot be used on this platform"},
            {{.repo = "sha256"},
             NULL,
             "refusing to create an ambiguous tag using digest algorithm as name"},
            {{0}, "this is not a tar archive at all, just some text", NULL},
    };
    for (size_t i = 0; i < N(cases); i++) {
        bt_autostrbuf struct bt_strbuf tar = BT_STRBUF_INIT;
        if (cases[i].data)
            bt_strbuf_append(&tar, cases[i].data);
        else
            th_tar(rootfs, N(rootfs), TH_PLAIN, &tar);
        bt_autoclose int fd = th_memfd(tar.buf, tar.len);
        bt_autoerr bt_err *err = NULL;
        bt_autofree char *id = image_import(f->s, fd, &cases[i].o, &err);
        assert_null(id);
        assert_int_equal(bt_err_code(err), BT_E_INVALID);
        if (cases[i].msg)
            assert_string_equal(bt_err_msg(err), cases[i].msg);
    }
    /* nothing of a failed import stays */
    bt_autofree char *after = th_tree(f->root);
    assert_string_equal(after, before);
}

static void test_image_import_platform(void **state)
{
    struct th_fixture *f = *state;
    bt_autostrbuf struct bt_strbuf tar = BT_STRBUF_INIT;
    th_tar(rootfs, N(rootfs), TH_PLAIN, &tar);
    bt_autoclose int fd = th_memfd(tar.buf, tar.len);
    struct image_import_opts o = {.platform = "linux/arm/v7"};
    bt_autofree char *id = image_import(f->s, fd, &o, NULL);
    struct image_inspect *in = image_inspect(f->s, id, NULL);
    assert_string_equal(bt_json_get_str(in->config, "architecture", ""), "arm");
    assert_string_equal(bt_json_get_str(in->config, "variant", ""), "v7");
    /* no message: dockerd's */
    assert_string_equal(bt_json_get_str(in->config, "comment", ""), "Imported from -");
    image_inspect_free(in);
}

/* ---- naming ---- */

static void test_image_resolve_ids_and_short_ids(void **state)
{
    struct th_fixture *f = *state;
    /* 17 images: two of them share a first hex digit */
    char *ids[17];
    for (int i = 0; i < 17; i++)
        ids[i] = import_n(f->s, i, NULL, NULL);
    int a = -1, b = -1;
    for (int i = 0; i < 17 && a < 0; i++)
        for (int j = i + 1; j < 17 && a < 0; j++)
            if (ids[i][7] == ids[j][7])
                a = i, b = j;
    assert_true(a >= 0);
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *full = image_resolve(f->s, ids[a], &err);
    assert_string_equal(full, ids[a]);
    bt_autofree char *hex = image_resolve(f->s, ids[a] + 7, &err);
    assert_string_equal(hex, ids[a]);
    /* the shortest unique prefix works, with or without "sha256:" */
    size_t n = 1, shared_len = 0;
    for (int i = 0; i < 17; i++) {
        size_t common = 0;
        while (i != a && ids[a][7 + common] == ids[i][7 + common])
            common++;
        if (common + 1 > n)
            n = common + 1;
        if (i == b)
            shared_len = common;
    }
    bt_autofree char *prefix = bt_xstrndup(ids[a] + 7, n);
    bt_autofree char *by_prefix = image_resolve(f->s, prefix, &err);
    assert_string_equal(by_prefix, ids[a]);
    bt_autofree char *algo_prefix = bt_xasprintf("sha256:%s", prefix);
    bt_autofree char *by_algo_prefix = image_resolve(f->s, algo_prefix, &err);
    assert_string_equal(by_algo_prefix, ids[a]);
    /* a shared prefix is ambiguous: dockerd answers "No such image" */
    bt_autofree char *shared = bt_xstrndup(ids[a] + 7, shared_len);
    assert_null(image_resolve(f->s, shared, &err));
    assert_int_equal(bt_err_code(err), BT_E_NOT_FOUND);
    bt_autofree char *msg = bt_xasprintf("No such image: %s:latest", shared);
    assert_string_equal(bt_err_msg(err), msg);
    bt_err_clear(&err);
    /* a tag wins over an ID prefix */
    bt_autofree char *tagged = import_n(f->s, 100, prefix, NULL);
    bt_autofree char *by_tag = image_resolve(f->s, prefix, &err);
    assert_string_equal(by_tag, tagged);
    assert_null(image_resolve(f->s, "UPPER", &err));
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
    bt_err_clear(&err);
    const char *missing = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    assert_null(image_resolve(f->s, missing, &err));
    assert_string_equal(bt_err_msg(err),
                        "No such image: "
                        "sha256:0000000000000000000000000000000000000000000000000000000000000000");
    for (int i = 0; i < 17; i++)
        free(ids[i]);
}

/* ---- tags and rmi ---- */

static void test_image_tag_and_untag(void **state)
{
    struct th_fixture *f = *state;
    bt_autofree char *a = import_n(f->s, 1, NULL, NULL);
    bt_autofree char *b = import_n(f->s, 2, NULL, NULL);
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(image_tag(f->s, a, "web", "1.0", &err), 0);
    assert_int_equal(image_tag(f->s, a, "localhost:5000/web", NULL, &err), 0);
    bt_autofree char *r = image_resolve(f->s, "localhost:5000/web:latest", &err);
    assert_string_equal(r, a);
    /* a tag moves: the old image keeps its other names */
    assert_int_equal(image_tag(f->s, "web:1.0", "web", "2.0", &err), 0);
    assert_int_equal(image_tag(f->s, b, "web", "1.0", &err), 0);
    bt_autofree char *moved = image_resolve(f->s, "web:1.0", &err);
    assert_string_equal(moved, b);
    struct image_inspect *in = image_inspect(f->s, a, &err);
    /* sorted by the full reference, as dockerd's References(): docker.io/... first */
    assert_string_equal(in->repo_tags[0], "web:2.0");
    assert_string_equal(in->repo_tags[1], "localhost:5000/web:latest");
    assert_null(in->repo_tags[2]);
    image_inspect_free(in);

    assert_int_equal(image_tag(f->s, a, "web", "bad tag", &err), -1);
    assert_string_equal(bt_err_msg(err), "invalid tag format");
    bt_err_clear(&err);
    assert_int_equal(image_tag(f->s, a, "sha256", "x", &err), -1);
    assert_string_equal(bt_err_msg(err),
                        "refusing to create an ambiguous tag using digest algorithm as name");
    bt_err_clear(&err);
    assert_int_equal(image_tag(f->s, "nope", "web", "3", &err), -1);
    assert_string_equal(bt_err_msg(err), "No such image: nope:latest");
    bt_err_clear(&err);

    assert_int_equal(image_untag(f->s, "web:2.0", &err), 0);
    assert_null(image_resolve(f->s, "web:2.0", NULL));
    assert_int_equal(image_untag(f->s, "web:2.0", &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_NOT_FOUND);
    /* the image stays, and its other name */
    bt_autofree char *still = image_resolve(f->s, "localhost:5000/web", NULL);
    assert_string_equal(still, a);
}

static void test_image_rmi_untags_until_the_last_reference(void **state)
{
    struct th_fixture *f = *state;
    bt_autofree char *id = import_n(f->s, 1, "a", "1");
    image_tag(f->s, id, "b", "1", NULL);
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *r1 = rmi(f->s, "a:1", NULL, &err);
    assert_string_equal(r1, "Untagged: a:1");
    bt_autofree char *still = image_resolve(f->s, id, NULL);
    assert_non_null(still);
    /* by ID with a single tag: the tag, the image, then its layer */
    bt_autofree char *short_id = sid(id);
    struct image_inspect *in = image_inspect(f->s, id, NULL);
    bt_autofree char *expect =
            bt_xasprintf("Untagged: b:1|Deleted: %s|Deleted: %s", id, in->diff_ids[0]);
    image_inspect_free(in);
    bt_autofree char *r2 = rmi(f->s, short_id, NULL, &err);
    assert_string_equal(r2, expect);
    assert_null(image_resolve(f->s, id, NULL));
    bt_autofree char *layers = th_at(f, "layers");
    bt_autofree char *blobs = th_at(f, "blobs/sha256");
    bt_autofree char *links = th_at(f, "l");
    assert_int_equal(th_count(layers), 0);
    assert_int_equal(th_count(blobs), 0);
    assert_int_equal(th_count(links), 0);
    assert_null(rmi(f->s, "nope", NULL, &err));
    assert_string_equal(bt_err_msg(err), "No such image: nope:latest");
    bt_err_clear(&err);
    assert_null(rmi(f->s, "", NULL, &err));
    assert_string_equal(bt_err_msg(err), "image name cannot be blank");
}

static void test_image_rmi_conflicts(void **state)
{
    struct th_fixture *f = *state;
    bt_autofree char *id = import_n(f->s, 1, "x", NULL);
    image_tag(f->s, id, "y", NULL, NULL);
    bt_autofree char *s12 = sid(id);
    bt_autoerr bt_err *err = NULL;
    assert_null(rmi(f->s, s12, NULL, &err));
    assert_int_equal(bt_err_code(err), BT_E_CONFLICT);
    bt_autofree char *m1 = bt_xasprintf("conflict: unable to delete %s (must be forced) - image is "
                                        "referenced in multiple repositories",
                                        s12);
    assert_string_equal(bt_err_msg(err), m1);
    bt_err_clear(&err);

    const char *cid = "c0ffee00112233445566778899aabbccddeeff00112233445566778899aabbcc";
    struct image_user stopped = {cid, id, false};
    struct image_delete_opts o = {.users = &stopped, .nusers = 1};
    /* one tag left after "y" goes: the last name of a used image needs force */
    bt_autofree char *r = rmi(f->s, "y", &o, &err);
    assert_string_equal(r, "Untagged: y:latest");
    assert_null(rmi(f->s, "x", &o, &err));
    bt_autofree char *m2 = bt_xasprintf("conflict: unable to remove repository reference \"x\" "
                                        "(must force) - container c0ffee001122 is using its "
                                        "referenced image %s",
                                        s12);
    assert_string_equal(bt_err_msg(err), m2);
    bt_err_clear(&err);
    assert_null(rmi(f->s, id, &o, &err));
    bt_autofree char *m3 = bt_xasprintf("conflict: unable to delete %s (must be forced) - image is "
                                        "being used by stopped container c0ffee001122",
                                        s12);
    assert_string_equal(bt_err_msg(err), m3);
    bt_err_clear(&err);
    struct image_user running = {cid, id, true};
    struct image_delete_opts forced_running = {.force = true, .users = &running, .nusers = 1};
    assert_null(rmi(f->s, id, &forced_running, &err));
    bt_autofree char *m4 = bt_xasprintf("conflict: unable to delete %s (cannot be forced) - image "
                                        "is being used by running container c0ffee001122",
                                        s12);
    assert_string_equal(bt_err_msg(err), m4);
    bt_err_clear(&err);
    /* forced, a stopped container does not keep the image */
    struct image_delete_opts forced = {.force = true, .users = &stopped, .nusers = 1};
    bt_autofree char *gone = rmi(f->s, "x", &forced, &err);
    assert_non_null(gone);
    assert_true(strncmp(gone, "Untagged: x:latest|Deleted: ", 28) == 0);
}

static void test_image_rmi_force_removes_every_name(void **state)
{
    struct th_fixture *f = *state;
    bt_autofree char *id = import_n(f->s, 1, "p", "1");
    image_tag(f->s, id, "q", "1", NULL);
    struct image_delete_opts force = {.force = true};
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *r = rmi(f->s, id, &force, &err);
    assert_non_null(r);
    assert_true(strncmp(r, "Untagged: p:1|Untagged: q:1|Deleted: sha256:", 44) == 0);
}

/* ---- shared layers ---- */

static void test_image_digest_references(void **state)
{
    struct th_fixture *f = *state;
    bt_autofree char *id = import_n(f->s, 1, "repo", "1");
    bt_autofree char *other = import_n(f->s, 2, "other", "1");
    const char *dref =
            "repo@sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const char *oref =
            "other@sha256:2222222222222222222222222222222222222222222222222222222222222222";
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(image_add_digest_ref(f->s, id, dref, &err), 0);
    assert_int_equal(image_add_digest_ref(f->s, id, oref, &err), 0);
    assert_int_equal(image_add_digest_ref(f->s, id, "repo:2", &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
    bt_err_clear(&err);
    /* a digest never moves to another image */
    assert_int_equal(image_add_digest_ref(f->s, other, dref, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_CONFLICT);
    bt_err_clear(&err);
    bt_autofree char *r = image_resolve(f->s, dref, &err);
    assert_string_equal(r, id);
    /* with a tag too, the digest decides */
    bt_autofree char *both = bt_xasprintf("repo:nope@%s", strchr(dref, '@') + 1);
    bt_autofree char *r2 = image_resolve(f->s, both, &err);
    assert_string_equal(r2, id);
    struct image_inspect *in = image_inspect(f->s, id, &err);
    assert_string_equal(in->repo_digests[0], oref);
    assert_string_equal(in->repo_digests[1], dref);
    assert_string_equal(in->repo_tags[0], "repo:1");
    image_inspect_free(in);
    /* removing the repository's last tag takes its digests along, not other repositories' */
    bt_autofree char *out = rmi(f->s, "repo:1", NULL, &err);
    bt_autofree char *want = bt_xasprintf("Untagged: repo:1|Untagged: %s", dref);
    assert_string_equal(out, want);
    bt_autofree char *still = image_resolve(f->s, oref, NULL);
    assert_string_equal(still, id);
}

static void test_image_shared_layers_are_unpacked_once(void **state)
{
    struct th_fixture *f = *state;
    char *a_changes[] = {"ENV WHO=a", NULL};
    char *b_changes[] = {"ENV WHO=b", NULL};
    bt_autofree char *a = th_import(f->s, rootfs, N(rootfs), TH_PLAIN, "a", NULL, a_changes);
    struct image_inspect *in = image_inspect(f->s, a, NULL);
    bt_autofree char *marker = bt_xasprintf("%s/marker", in->upper_dir);
    bt_autofree char *chain = bt_xstrdup(in->diff_ids[0]);
    image_inspect_free(in);
    assert_int_equal(bt_file_write_atomic(marker, "m", 1, 0644, NULL), 0);

    bt_autofree char *b = th_import(f->s, rootfs, N(rootfs), TH_GZIP, "b", NULL, b_changes);
    assert_string_not_equal(a, b);
    bt_autofree char *layers = th_at(f, "layers");
    assert_int_equal(th_count(layers), 1);
    /* the second import found the layer and left it alone */
    assert_true(bt_path_exists(marker));

    bt_autoerr bt_err *err = NULL;
    bt_autofree char *r1 = rmi(f->s, "a", NULL, &err);
    bt_autofree char *e1 = bt_xasprintf("Untagged: a:latest|Deleted: %s", a);
    assert_string_equal(r1, e1);
    assert_int_equal(th_count(layers), 1);
    bt_autofree char *r2 = rmi(f->s, "b", NULL, &err);
    bt_autofree char *e2 = bt_xasprintf("Untagged: b:latest|Deleted: %s|Deleted: %s", b, chain);
    assert_string_equal(r2, e2);
    assert_int_equal(th_count(layers), 0);
    bt_autofree char *links = th_at(f, "l");
    assert_int_equal(th_count(links), 0);
    bt_autofree char *blobs = th_at(f, "blobs/sha256");
    assert_int_equal(th_count(blobs), 0);
}

/* docker system df's figures: SharedSize counts the layers another image has too, and the
 * store's layers size counts each layer once. */
static void test_image_shared_size_and_layers_size(void **state)
{
    struct th_fixture *f = *state;
    char *a_changes[] = {"ENV WHO=a", NULL};
    char *b_changes[] = {"ENV WHO=b", NULL};
    bt_autofree char *a = th_import(f->s, rootfs, N(rootfs), TH_PLAIN, "a", NULL, a_changes);
    bt_autofree char *b = th_import(f->s, rootfs, N(rootfs), TH_PLAIN, "b", NULL, b_changes);
    struct tent own[] = {{"other", 'f', "a file of its own"}};
    bt_autofree char *c = th_import(f->s, own, N(own), TH_PLAIN, "c", NULL, NULL);
    bt_autoerr bt_err *err = NULL;
    struct image_list_opts o = {.shared_size = true};
    struct image_list *l = image_list(f->s, &o, &err);
    assert_non_null(l);
    assert_int_equal(l->n, 3);
    int64_t shared_a = -1, shared_b = -1, shared_c = -1, size_a = 0, size_c = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->items[i].id, a) == 0) {
            shared_a = l->items[i].shared_size;
            size_a = l->items[i].size;
        } else if (strcmp(l->items[i].id, b) == 0) {
            shared_b = l->items[i].shared_size;
        } else if (strcmp(l->items[i].id, c) == 0) {
            shared_c = l->items[i].shared_size;
            size_c = l->items[i].size;
        }
    }
    image_list_free(l);
    assert_true(size_a > 0 && size_c > 0 && size_a != size_c);
    assert_int_equal(shared_a, size_a);
    assert_int_equal(shared_b, size_a);
    assert_int_equal(shared_c, 0);
    assert_int_equal(image_layers_size(f->s), size_a + size_c);
    /* not asked for: -1, as dockerd's list without SharedSize */
    struct image_list_opts plain = {0};
    l = image_list(f->s, &plain, &err);
    assert_int_equal(l->items[0].shared_size, -1);
    image_list_free(l);
}

/* ---- list, history, prune (images of chosen times come from docker-archives) ---- */

static char *load_image(struct image_store *s, const char *created, const char *labels,
                        const char *tag, int content)
{
    bt_autofree char *data = bt_xasprintf("content %d", content);
    struct tent e[] = {{"f", 'f', data}};
    struct bt_strbuf layer = BT_STRBUF_INIT;
    th_tar(e, 1, TH_PLAIN, &layer);
    bt_autofree char *diff = th_sha256(layer.buf, layer.len);
    char *diffs[] = {diff, NULL};
    bt_autofree char *cfg =
            th_config(created, diffs,
                      "[{\"created\":\"2020-01-01T00:00:00Z\",\"created_by\":\"/bin/"
                      "sh -c #(nop) ADD file\"}]",
                      labels);
    const char *tags[] = {tag, NULL};
    struct th_image im = {.config = cfg, .layers = &layer, .nlayers = 1, .tags = tag ? tags : NULL};
    bt_autostrbuf struct bt_strbuf ar = BT_STRBUF_INIT;
    th_docker_archive(&im, 1, NULL, 0, &ar);
    bt_strbuf_free(&layer);
    bt_autoerr bt_err *err = NULL;
    if (th_load(s, &ar, NULL, &err) < 0)
        fail_msg("load: %s", bt_err_msg(err));
    return th_sha256(cfg, strlen(cfg));
}

static char *list_ids(struct image_store *s, const struct image_filter *fl, size_t n, bool all,
                      bt_err **err)
{
    struct image_list_opts o = {.filters = fl, .nfilters = n, .all = all};
    struct image_list *l = image_list(s, &o, err);
    if (!l)
        return NULL;
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    for (size_t i = 0; i < l->n; i++)
        bt_strbuf_appendf(&sb, "%s%.12s", i ? "," : "", l->items[i].id + 7);
    image_list_free(l);
    return bt_strbuf_steal(&sb);
}

#define IDS(...) bt_xasprintf(__VA_ARGS__)

static void test_image_list_and_filters(void **state)
{
    struct th_fixture *f = *state;
    bt_autofree char *old =
            load_image(f->s, "2020-01-01T00:00:00Z", "{\"tier\":\"db\"}", "library/old:1", 1);
    bt_autofree char *mid = load_image(f->s, "2021-01-01T00:00:00Z",
                                       "{\"tier\":\"web\",\"team\":\"a\"}", "example/web:2", 2);
    bt_autofree char *dang = load_image(f->s, "2022-01-01T00:00:00Z", NULL, NULL, 3);
    bt_autofree char *o12 = sid(old), *m12 = sid(mid), *d12 = sid(dang);
    bt_autoerr bt_err *err = NULL;

    bt_autofree char *all = list_ids(f->s, NULL, 0, false, &err);
    bt_autofree char *want_all = IDS("%s,%s,%s", d12, m12, o12);
    assert_string_equal(all, want_all);

    struct {
        struct image_filter fl[2];
        size_t n;
        const char *want; /* letters: o, m, d */
    } cases[] = {
            {{{"dangling", "true"}}, 1, "d"},
            {{{"dangling", "false"}}, 1, "mo"},
            {{{"label", "tier"}}, 1, "mo"},
            {{{"label", "tier=web"}}, 1, "m"},
            {{{"label", "tier=web"}, {"label", "team=b"}}, 2, ""},
            {{{"before", "example/web:2"}}, 1, "o"},
            {{{"since", "library/old:1"}}, 1, "dm"},
            {{{"until", "2021-06-01T00:00:00Z"}}, 1, "mo"},
            {{{"reference", "example/*"}}, 1, "m"},
            {{{"reference", "old"}}, 1, "o"},
            {{{"reference", "docker.io/library/old:1"}}, 1, "o"},
            {{{"reference", "*/web:2"}}, 1, "m"},
            {{{"reference", "*:2"}}, 1, ""}, /* '*' stops at '/', as in path.Match */
    };
    for (size_t i = 0; i < N(cases); i++) {
        bt_autostrbuf struct bt_strbuf want = BT_STRBUF_INIT;
        for (const char *c = cases[i].want; *c; c++)
            bt_strbuf_appendf(&want, "%s%s", want.len ? "," : "",
                              *c == 'o'   ? o12
                              : *c == 'm' ? m12
                                          : d12);
        bt_autofree char *got = list_ids(f->s, cases[i].fl, cases[i].n, false, &err);
        if (!got || strcmp(got, bt_strbuf_str(&want)) != 0)
            fail_msg("case %zu: got %s, want %s (%s)", i, got ? got : bt_err_msg(err),
                     bt_strbuf_str(&want), cases[i].fl[0].key);
    }

    struct image_filter bad[] = {{"color", "red"}};
    assert_null(list_ids(f->s, bad, 1, false, &err));
    assert_string_equal(bt_err_msg(err), "invalid filter 'color'");
    bt_err_clear(&err);
    struct image_filter maybe[] = {{"dangling", "maybe"}};
    assert_null(list_ids(f->s, maybe, 1, false, &err));
    assert_string_equal(bt_err_msg(err), "invalid filter 'dangling=[maybe]'");
    bt_err_clear(&err);
    struct image_filter nobefore[] = {{"before", "nope:1"}};
    assert_null(list_ids(f->s, nobefore, 1, false, &err));
    assert_string_equal(bt_err_msg(err), "No such image: nope:1");
    bt_err_clear(&err);

    /* what each summary says */
    const char *cid = "abababababababababababababababababababababababababababababababab";
    struct image_user users[] = {{cid, mid, true}};
    struct image_list_opts o = {.users = users, .nusers = 1};
    struct image_list *l = image_list(f->s, &o, &err);
    assert_int_equal(l->n, 3);
    struct image_summary *m = &l->items[1];
    assert_string_equal(m->id, mid);
    assert_string_equal(m->repo_tags[0], "example/web:2");
    assert_null(m->repo_digests[0]);
    assert_true(m->created == 1609459200);
    assert_true(m->size > 0);
    assert_true(m->shared_size == -1);
    assert_true(m->containers == 1);
    assert_true(l->items[0].containers == 0);
    assert_string_equal(json_string_value(json_object_get(m->labels, "team")), "a");
    assert_null(l->items[0].labels);
    assert_string_equal(m->parent_id, "");
    image_list_free(l);
}

static void test_image_history(void **state)
{
    struct th_fixture *f = *state;
    struct tent e1[] = {{"a", 'f', "aaaa"}};
    struct tent e2[] = {{"b", 'f', "bb"}};
    struct bt_strbuf layers[2] = {BT_STRBUF_INIT, BT_STRBUF_INIT};
    th_tar(e1, 1, TH_PLAIN, &layers[0]);
    th_tar(e2, 1, TH_PLAIN, &layers[1]);
    bt_autofree char *d1 = th_sha256(layers[0].buf, layers[0].len);
    bt_autofree char *d2 = th_sha256(layers[1].buf, layers[1].len);
    const char *hist1 = "[{\"created\":\"2020-01-01T00:00:00Z\",\"created_by\":\"ADD a\"},"
                        "{\"created\":\"2020-01-02T00:00:00Z\",\"created_by\":\"CMD sh\","
                        "\"empty_layer\":true,\"comment\":\"nop\"}]";
    const char *hist2 = "[{\"created\":\"2020-01-01T00:00:00Z\",\"created_by\":\"ADD a\"},"
                        "{\"created\":\"2020-01-02T00:00:00Z\",\"created_by\":\"CMD sh\","
                        "\"empty_layer\":true,\"comment\":\"nop\"},"
                        "{\"created\":\"2020-01-03T00:00:00Z\",\"created_by\":\"ADD b\"}]";
    char *diffs1[] = {d1, NULL};
    char *diffs2[] = {d1, d2, NULL};
    bt_autofree char *cfg1 = th_config("2020-01-01T00:00:00Z", diffs1, hist1, NULL);
    bt_autofree char *cfg2 = th_config("2020-01-03T00:00:00Z", diffs2, hist2, NULL);
    bt_autofree char *id1 = th_sha256(cfg1, strlen(cfg1));
    bt_autofree char *id2 = th_sha256(cfg2, strlen(cfg2));
    const char *tags[] = {"base:1", NULL};
    struct th_image ims[] = {
            {.config = cfg1, .layers = layers, .nlayers = 1, .tags = tags},
            {.config = cfg2, .layers = layers, .nlayers = 2},
    };
    /* the child names its parent, and its history is the parent's plus one step: the link
     * is kept (dockerd's checkValidParent) */
    ims[1].parent = id1;
    bt_autostrbuf struct bt_strbuf ar = BT_STRBUF_INIT;
    th_docker_archive(ims, 2, NULL, 0, &ar);
    bt_autoerr bt_err *err = NULL;
    if (th_load(f->s, &ar, NULL, &err) < 0)
        fail_msg("load: %s", bt_err_msg(err));
    bt_strbuf_free(&layers[0]);
    bt_strbuf_free(&layers[1]);

    struct image_history *h = image_history(f->s, id2, &err);
    assert_non_null(h);
    assert_int_equal(h->n, 3);
    assert_string_equal(h->items[0].id, id2);
    assert_string_equal(h->items[0].created_by, "ADD b");
    assert_true(h->items[0].created == 1578009600);
    assert_true(h->items[0].size > 0);
    assert_null(h->items[0].tags[0]);
    /* the next entry is the parent image, with its tags, then nothing is known */
    assert_string_equal(h->items[1].id, id1);
    assert_string_equal(h->items[1].tags[0], "base:1");
    assert_string_equal(h->items[1].comment, "nop");
    assert_true(h->items[1].size == 0);
    assert_string_equal(h->items[2].id, "<missing>");
    assert_string_equal(h->items[2].created_by, "ADD a");
    assert_true(h->items[2].size > 0);
    image_history_free(h);

    struct image_inspect *in = image_inspect(f->s, id2, &err);
    assert_string_equal(in->parent_id, id1);
    assert_non_null(in->lower_dir);
    assert_non_null(strstr(in->lower_dir, d1 + 7));
    image_inspect_free(in);
    /* a parent with a child can't go, and is not dangling while it has one */
    bt_autofree char *s1 = sid(id1);
    bt_autofree char *r = rmi(f->s, "base:1", NULL, &err);
    assert_string_equal(r, "Untagged: base:1");
    bt_autofree char *kept = image_resolve(f->s, id1, NULL);
    assert_non_null(kept);
    assert_null(rmi(f->s, id1, NULL, &err));
    bt_autofree char *msg = bt_xasprintf("conflict: unable to delete %s (cannot be forced) - image "
                                         "has dependent child images",
                                         s1);
    assert_string_equal(bt_err_msg(err), msg);
    bt_err_clear(&err);
    /* deleting the child takes the untagged parent along */
    bt_autofree char *r2 = rmi(f->s, id2, NULL, &err);
    assert_non_null(strstr(r2, id1));
    assert_null(image_resolve(f->s, id1, NULL));
}

static void test_image_prune(void **state)
{
    struct th_fixture *f = *state;
    bt_autofree char *tagged =
            load_image(f->s, "2020-01-01T00:00:00Z", "{\"keep\":\"no\"}", "t:1", 1);
    bt_autofree char *dang = load_image(f->s, "2020-01-01T00:00:00Z", NULL, NULL, 2);
    bt_autofree char *used = load_image(f->s, "2020-01-01T00:00:00Z", NULL, "u:1", 3);
    bt_autofree char *recent =
            load_image(f->s, "2099-01-01T00:00:00Z", "{\"keep\":\"yes\"}", "r:1", 4);
    const char *cid = "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd";
    struct image_user users[] = {{cid, used, false}};
    bt_autoerr bt_err *err = NULL;

    /* dangling only */
    struct image_prune_opts o1 = {.users = users, .nusers = 1};
    struct image_delete_result *r1 = image_prune(f->s, &o1, &err);
    assert_non_null(r1);
    bt_autofree char *t1 = items(r1);
    assert_true(strncmp(t1, "Deleted: ", 9) == 0);
    assert_non_null(strstr(t1, dang));
    assert_true(r1->space_reclaimed > 0);
    image_delete_result_free(r1);
    assert_null(image_resolve(f->s, dang, NULL));

    /* -a with a label! and an until filter: keeps the used one, the labelled one, the new one */
    struct image_filter fl[] = {
            {"dangling", "false"}, {"label!", "keep=yes"}, {"until", "2021-01-01"}};
    struct image_prune_opts o2 = {.filters = fl, .nfilters = 3, .users = users, .nusers = 1};
    struct image_delete_result *r2 = image_prune(f->s, &o2, &err);
    bt_autofree char *t2 = items(r2);
    assert_true(strncmp(t2, "Untagged: t:1|Deleted: ", 23) == 0);
    image_delete_result_free(r2);
    assert_null(image_resolve(f->s, tagged, NULL));
    bt_autofree char *u = image_resolve(f->s, used, NULL);
    assert_non_null(u);
    bt_autofree char *rc = image_resolve(f->s, recent, NULL);
    assert_non_null(rc);

    struct image_filter bad[] = {{"reference", "x"}};
    struct image_prune_opts o3 = {.filters = bad, .nfilters = 1};
    assert_null(image_prune(f->s, &o3, &err));
    assert_string_equal(bt_err_msg(err), "invalid filter 'reference'");
    bt_err_clear(&err);
    struct image_filter two[] = {{"until", "1h"}, {"until", "2h"}};
    struct image_prune_opts o4 = {.filters = two, .nfilters = 2};
    assert_null(image_prune(f->s, &o4, &err));
    assert_string_equal(bt_err_msg(err), "more than one until filter specified");
}

/* ---- read-write layers ---- */

static void test_image_rw_layer_keeps_layers_alive(void **state)
{
    struct th_fixture *f = *state;
    bt_autofree char *id = th_import(f->s, rootfs, N(rootfs), TH_PLAIN, "rw", NULL, NULL);
    bt_autofree char *dir = bt_xasprintf("%s/containers/c1", f->base);
    bt_autoerr bt_err *err = NULL;
    struct image_mount *m = image_rw_layer_create(f->s, "c1", "rw", dir, &err);
    if (!m)
        fail_msg("%s", bt_err_msg(err));
    assert_string_equal(m->dir, f->root);
    assert_string_equal(m->image_id, id);
    bt_autofree char *merged = bt_xasprintf("%s/merged", dir);
    assert_string_equal(m->merged, merged);
    assert_true(m->size > 0);
    const char *lower = strstr(m->data, "lowerdir=l/");
    assert_non_null(lower);
    bt_autofree char *tail = bt_xasprintf(",upperdir=%s/upper,workdir=%s/work", dir, dir);
    assert_string_equal(lower + strlen("lowerdir=l/") + 26, tail);
    /* the short link leads to the layer's diff, relative to the store root */
    bt_autofree char *link_rel = bt_xstrndup(lower + strlen("lowerdir="), 28);
    bt_autofree char *link = bt_xasprintf("%s/%s/etc/passwd", f->root, link_rel);
    assert_true(bt_path_exists(link));
    assert_true(bt_path_is_dir(merged));
    image_mount_free(m);

    assert_null(image_rw_layer_create(f->s, "c1", "rw", dir, &err));
    assert_int_equal(bt_err_code(err), BT_E_CONFLICT);
    bt_err_clear(&err);

    /* rmi -f: the image goes, its layer stays for the container */
    struct image_delete_opts force = {.force = true};
    bt_autofree char *r = rmi(f->s, "rw", &force, &err);
    bt_autofree char *want = bt_xasprintf("Untagged: rw:latest|Deleted: %s", id);
    assert_string_equal(r, want);
    bt_autofree char *layers = th_at(f, "layers");
    assert_int_equal(th_count(layers), 1);

    /* after a restart the record is still there */
    th_reopen(f);
    assert_int_equal(th_count(layers), 1);
    struct image_mount *again = image_rw_layer_get(f->s, "c1", &err);
    assert_non_null(again);
    assert_non_null(strstr(again->data, "lowerdir=l/"));
    image_mount_free(again);

    assert_int_equal(image_rw_layer_remove(f->s, "c1", &err), 0);
    assert_int_equal(th_count(layers), 0);
    assert_false(bt_path_exists(merged));
    assert_int_equal(image_rw_layer_remove(f->s, "c1", &err), 0);
    assert_null(image_rw_layer_get(f->s, "c1", &err));
    assert_int_equal(bt_err_code(err), BT_E_NOT_FOUND);
}

static void test_image_rw_layer_of_an_image_without_layers(void **state)
{
    struct th_fixture *f = *state;
    char *none[] = {NULL};
    bt_autofree char *cfg = th_config("2020-01-01T00:00:00Z", none, NULL, NULL);
    const char *tags[] = {"scratchy:1", NULL};
    struct th_image im = {.config = cfg, .nlayers = 0, .tags = tags};
    bt_autostrbuf struct bt_strbuf ar = BT_STRBUF_INIT;
    th_docker_archive(&im, 1, NULL, 0, &ar);
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(th_load(f->s, &ar, NULL, &err), 0);
    bt_autofree char *dir = bt_xasprintf("%s/c2", f->base);
    struct image_mount *m = image_rw_layer_create(f->s, "c2", "scratchy:1", dir, &err);
    assert_non_null(m);
    assert_non_null(strstr(m->data, "lowerdir=empty,upperdir="));
    bt_autofree char *empty = th_at(f, "empty");
    assert_int_equal(th_count(empty), 0);
    assert_true(m->size == 0);
    image_mount_free(m);
    assert_null(image_rw_layer_create(f->s, "../x", "scratchy:1", dir, &err));
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
}

/* ---- restarts ---- */

static void test_image_store_survives_restart_and_collects_leftovers(void **state)
{
    struct th_fixture *f = *state;
    bt_autofree char *a = import_n(f->s, 1, "keep", "1");
    bt_autofree char *b = import_n(f->s, 2, NULL, NULL);
    bt_autofree char *stray = th_at(f, "tmp/stage-leftover");
    assert_int_equal(bt_mkdir_p(stray, 0700, NULL), 0);
    /* a crash between a layer and its image: the record of b is gone */
    bt_autofree char *rec_rel = bt_xasprintf("images/%s.json", b + 7);
    bt_autofree char *rec = th_at(f, rec_rel);
    assert_int_equal(unlink(rec), 0);
    th_reopen(f);
    bt_autofree char *r = image_resolve(f->s, "keep:1", NULL);
    assert_string_equal(r, a);
    assert_null(image_resolve(f->s, b, NULL));
    bt_autofree char *layers = th_at(f, "layers");
    bt_autofree char *blobs = th_at(f, "blobs/sha256");
    bt_autofree char *tmp = th_at(f, "tmp");
    assert_int_equal(th_count(layers), 1);
    assert_int_equal(th_count(blobs), 2); /* a's config and layer */
    assert_int_equal(th_count(tmp), 0);
    struct image_inspect *in = image_inspect(f->s, "keep:1", NULL);
    assert_non_null(in->last_tag_time);
    image_inspect_free(in);
}

/* ---- the build cache ---- */

static char *commit_cfg(struct image_store *s, const char *base, const char *cmd_text)
{
    bt_autoptr(json_t) cc = json_pack("{s:[s,s,s], s:s}", "Cmd", "/bin/sh", "-c", cmd_text, "Image",
                                      base ? base : "");
    bt_autoptr(json_t) cfg = json_pack("{s:[s]}", "Cmd", "sh");
    struct image_commit_opts o = {
            .base = base, .config = cfg, .container_config = cc, .created_by = cmd_text};
    bt_autoerr bt_err *err = NULL;
    char *id = image_commit(s, &o, &err);
    assert_non_null(id);
    return id;
}

static void test_image_cache_find_matches_children_by_container_config(void **state)
{
    struct th_fixture *f = *state;
    bt_autofree char *base = import_n(f->s, 1, "base", "1");
    bt_autofree char *other = import_n(f->s, 2, "other", "1");
    bt_autofree char *a = commit_cfg(f->s, base, "#(nop)  ENV A=1");
    bt_autofree char *b = commit_cfg(f->s, base, "#(nop)  ENV A=2");
    bt_autofree char *c = commit_cfg(f->s, other, "#(nop)  ENV A=1");

    bt_autoptr(json_t) probe =
            json_pack("{s:[s,s,s], s:s}", "Cmd", "/bin/sh", "-c", "#(nop)  ENV A=1", "Image", base);
    bt_autofree char *hit = image_cache_find(f->s, base, probe);
    assert_non_null(hit);
    assert_string_equal(hit, a);
    /* the same config under another parent is that parent's child only */
    bt_autoptr(json_t) probe2 = json_pack("{s:[s,s,s], s:s}", "Cmd", "/bin/sh", "-c",
                                          "#(nop)  ENV A=1", "Image", other);
    bt_autofree char *hit2 = image_cache_find(f->s, other, probe2);
    assert_string_equal(hit2, c);
    /* any difference in the config misses */
    bt_autoptr(json_t) miss =
            json_pack("{s:[s,s,s], s:s}", "Cmd", "/bin/sh", "-c", "#(nop)  ENV A=3", "Image", base);
    assert_null(image_cache_find(f->s, base, miss));
    /* a parentless probe only sees images without parent */
    assert_null(image_cache_find(f->s, "", probe));
    bt_autofree char *root = commit_cfg(f->s, NULL, "#(nop)  ENV A=1");
    bt_autoptr(json_t) probe3 =
            json_pack("{s:[s,s,s], s:s}", "Cmd", "/bin/sh", "-c", "#(nop)  ENV A=1", "Image", "");
    bt_autofree char *hit3 = image_cache_find(f->s, NULL, probe3);
    assert_string_equal(hit3, root);
    (void)b;
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, th_setup, th_teardown)
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_image_chain_ids_follow_the_oci_spec),
            T(test_image_import_builds_dockerds_config),
            T(test_image_import_keeps_the_blob_as_received),
            T(test_image_import_tags_and_changes),
            T(test_image_import_rejects_bad_input),
            T(test_image_import_platform),
            T(test_image_resolve_ids_and_short_ids),
            T(test_image_tag_and_untag),
            T(test_image_rmi_untags_until_the_last_reference),
            T(test_image_rmi_conflicts),
            T(test_image_rmi_force_removes_every_name),
            T(test_image_digest_references),
            T(test_image_shared_layers_are_unpacked_once),
            T(test_image_shared_size_and_layers_size),
            T(test_image_list_and_filters),
            T(test_image_history),
            T(test_image_prune),
            T(test_image_rw_layer_keeps_layers_alive),
            T(test_image_rw_layer_of_an_image_without_layers),
            T(test_image_store_survives_restart_and_collects_leftovers),
            T(test_image_cache_find_matches_children_by_container_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
