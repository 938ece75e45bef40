/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Layers as overlayfs sees them: whiteouts unpacked in overlay form really hide lower files,
 * and an image of 128 layers mounts through the short l/ links where absolute lowerdirs would
 * not fit the kernel's one page of options. These need root (0/0 devices, trusted.* xattrs,
 * mount); they run in a private mount namespace on a tmpfs and are skipped otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest/engine/image/image-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"
#include "tests/unit/image/helpers.h"

struct fixture {
    char base[64];
    char *root;
    struct image_store *s;
    bool ok; /* root, private mount namespace, tmpfs */
};

static bool private_ns(void)
{
    static int done = -1;
    if (done < 0)
        done = geteuid() == 0 && unshare(CLONE_NEWNS) == 0 &&
               mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
    return done == 1;
}

static int setup(void **state)
{
    struct fixture *f = bt_xzalloc(sizeof(*f));
    *state = f;
    strcpy(f->base, "/tmp/berth-test-overlay-XXXXXX");
    if (!mkdtemp(f->base))
        return -1;
    if (!private_ns() || mount("tmpfs", f->base, "tmpfs", 0, "mode=0755") < 0)
        return 0;
    f->root = bt_xasprintf("%s/store", f->base);
    struct image_store_opts o = {.root = f->root};
    bt_autoerr bt_err *err = NULL;
    f->s = image_store_open(&o, &err);
    if (!f->s)
        fail_msg("open: %s", bt_err_msg(err));
    f->ok = true;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    image_store_close(f->s);
    if (f->ok)
        umount2(f->base, MNT_DETACH);
    rmdir(f->base);
    free(f->root);
    free(f);
    return 0;
}

/* Load one image of these layers (tars) tagged `tag`. */
static void load_layers(struct image_store *s, struct bt_strbuf *layers, size_t n, const char *tag,
                        bt_err **err, int *rc)
{
    char **diffs = bt_xzalloc((n + 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++)
        diffs[i] = th_sha256(layers[i].buf, layers[i].len);
    bt_autofree char *cfg = th_config("2020-01-01T00:00:00Z", diffs, NULL, NULL);
    const char *tags[] = {tag, NULL};
    struct th_image im = {.config = cfg, .layers = layers, .nlayers = n, .tags = tags};
    bt_autostrbuf struct bt_strbuf ar = BT_STRBUF_INIT;
    th_docker_archive(&im, 1, NULL, 0, &ar);
    *rc = th_load(s, &ar, NULL, err);
    bt_strv_free(diffs);
}

static void test_image_overlay_whiteouts_hide_lower_files(void **state)
{
    struct fixture *f = *state;
    if (!f->ok)
        skip();
    struct tent l1[] = {{"a", 'f', "a"},     {"b", 'f', "b"}, {"dir", 'd'},
                        {"dir/x", 'f', "x"}, {"keep", 'd'},   {"keep/k", 'f', "k"}};
    struct tent l2[] = {
            {".wh.a", 'f', ""}, {"dir", 'd'}, {"dir/.wh..wh..opq", 'f', ""}, {"dir/y", 'f', "y"}};
    struct bt_strbuf layers[2] = {BT_STRBUF_INIT, BT_STRBUF_INIT};
    th_tar(l1, N(l1), TH_PLAIN, &layers[0]);
    th_tar(l2, N(l2), TH_PLAIN, &layers[1]);
    bt_autoerr bt_err *err = NULL;
    int rc;
    load_layers(f->s, layers, 2, "wh:1", &err, &rc);
    if (rc < 0)
        fail_msg("load: %s", bt_err_msg(err));
    bt_strbuf_free(&layers[0]);
    bt_strbuf_free(&layers[1]);

    struct image_inspect *in = image_inspect(f->s, "wh:1", &err);
    bt_autofree char *a = bt_xasprintf("%s/a", in->upper_dir);
    struct stat st;
    assert_int_equal(lstat(a, &st), 0);
    assert_true(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
    bt_autofree char *dir = bt_xasprintf("%s/dir", in->upper_dir);
    char v[2] = {0};
    assert_int_equal(lgetxattr(dir, "trusted.overlay.opaque", v, 1), 1);
    image_inspect_free(in);

    bt_autofree char *cdir = bt_xasprintf("%s/containers/c", f->base);
    struct image_mount *m = image_rw_layer_create(f->s, "c", "wh:1", cdir, &err);
    assert_non_null(m);
    if (image_mount_overlay(m, m->merged, &err) < 0)
        fail_msg("mount: %s (%s)", bt_err_msg(err), m->data);
    bt_autofree char *ma = bt_xasprintf("%s/a", m->merged);
    bt_autofree char *mb = bt_xasprintf("%s/b", m->merged);
    bt_autofree char *mx = bt_xasprintf("%s/dir/x", m->merged);
    bt_autofree char *my = bt_xasprintf("%s/dir/y", m->merged);
    bt_autofree char *mk = bt_xasprintf("%s/keep/k", m->merged);
    assert_false(bt_path_exists(ma));
    assert_true(bt_path_exists(mb));
    assert_false(bt_path_exists(mx));
    assert_true(bt_path_exists(my));
    assert_true(bt_path_exists(mk));
    bt_autofree char *mnew = bt_xasprintf("%s/new", m->merged);
    assert_int_equal(bt_file_write_atomic(mnew, "n", 1, 0644, NULL), 0);
    bt_autofree char *unew = bt_xasprintf("%s/upper/new", cdir);
    assert_true(bt_path_exists(unew));

    /* a mounted layer is not removed from under the container */
    assert_int_equal(image_rw_layer_remove(f->s, "c", &err), -1);
    bt_err_clear(&err);
    assert_int_equal(umount2(m->merged, MNT_DETACH), 0);
    assert_int_equal(image_rw_layer_remove(f->s, "c", &err), 0);
    image_mount_free(m);
}

static void test_image_overlay_deep_image_mounts_with_short_links(void **state)
{
    struct fixture *f = *state;
    if (!f->ok)
        skip();
    enum { DEPTH = 128 };
    struct bt_strbuf layers[DEPTH + 1];
    for (int i = 0; i <= DEPTH; i++) {
        bt_autofree char *name = bt_xasprintf("f%d", i);
        struct tent e[] = {{name, 'f', "x"}};
        layers[i] = (struct bt_strbuf)BT_STRBUF_INIT;
        th_tar(e, 1, TH_PLAIN, &layers[i]);
    }
    bt_autoerr bt_err *err = NULL;
    int rc;
    load_layers(f->s, layers, DEPTH + 1, "deep:129", &err, &rc);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(bt_err_msg(err), "max depth exceeded"));
    bt_err_clear(&err);
    load_layers(f->s, layers, DEPTH, "deep:128", &err, &rc);
    if (rc < 0)
        fail_msg("load: %s", bt_err_msg(err));
    for (int i = 0; i <= DEPTH; i++)
        bt_strbuf_free(&layers[i]);

    struct image_inspect *in = image_inspect(f->s, "deep:128", &err);
    /* the absolute form would not fit one page */
    assert_true(strlen(in->lower_dir) + strlen(in->upper_dir) > 4096);
    image_inspect_free(in);
    bt_autofree char *cdir = bt_xasprintf("%s/containers/deep", f->base);
    struct image_mount *m = image_rw_layer_create(f->s, "deep", "deep:128", cdir, &err);
    if (!m)
        fail_msg("rw layer: %s", bt_err_msg(err));
    assert_true(strlen(m->data) < 4096);
    if (image_mount_overlay(m, m->merged, &err) < 0)
        fail_msg("mount: %s", bt_err_msg(err));
    bt_autofree char *first = bt_xasprintf("%s/f0", m->merged);
    bt_autofree char *last = bt_xasprintf("%s/f%d", m->merged, DEPTH - 1);
    assert_true(bt_path_exists(first));
    assert_true(bt_path_exists(last));
    umount2(m->merged, MNT_DETACH);
    image_mount_free(m);
}

static void test_image_mount_helper_reports_the_error(void **state)
{
    struct image_mount m = {.data = "lowerdir=nope", .dir = "/"};
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(image_mount_overlay(&m, "/nonexistent/berth/target", &err), -1);
    assert_non_null(strstr(bt_err_msg(err), "mount overlay on \"/nonexistent/berth/target\""));
    assert_true(bt_err_code(err) == ENOENT || bt_err_code(err) == EPERM);
}

/* ---- a build step's upper directory adopted as the layer ---- */

static char ***describe_out;
static size_t describe_skip;

/* one line per entry: name, type and mode, owner, size, device, times (s.ns), xattrs */
static int describe_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)type;
    if (ftw->level == 0)
        return 0;
    bt_autostrbuf struct bt_strbuf line = BT_STRBUF_INIT;
    bt_strbuf_appendf(&line, "%s %o %u:%u %lld %u:%u", path + describe_skip, st->st_mode,
                      st->st_uid, st->st_gid, S_ISDIR(st->st_mode) ? 0LL : (long long)st->st_size,
                      major(st->st_rdev), minor(st->st_rdev));
    /* a whiteout's times are nobody's: unpacking leaves them at its making */
    if (!S_ISCHR(st->st_mode))
        bt_strbuf_appendf(&line, " m%lld.%09ld a%lld.%09ld", (long long)st->st_mtim.tv_sec,
                          st->st_mtim.tv_nsec, (long long)st->st_atim.tv_sec, st->st_atim.tv_nsec);
    char list[4096];
    ssize_t n = llistxattr(path, list, sizeof(list));
    for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1) {
        char v[256] = {0};
        ssize_t vn = lgetxattr(path, list + i, v, sizeof(v) - 1);
        bt_strbuf_appendf(&line, " %s=%.*s", list + i, (int)(vn > 0 ? vn : 0), v);
    }
    bt_strv_push(describe_out, bt_strbuf_str(&line));
    return 0;
}

static int sort_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *describe(const char *dir)
{
    bt_autostrv char **lines = bt_xzalloc(sizeof(char *));
    describe_out = &lines;
    describe_skip = strlen(dir);
    assert_int_equal(nftw(dir, describe_entry, 16, FTW_PHYS), 0);
    /* sorted: the two trees were made in different orders */
    qsort(lines, bt_strv_len(lines), sizeof(char *), sort_lines);
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    bt_strbuf_append(&out, "");
    for (size_t i = 0; lines[i]; i++)
        bt_strbuf_appendf(&out, "%s\n", lines[i]);
    return bt_strbuf_steal(&out);
}

static int set_times_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    struct timespec ts[2] = {{1600000000, 123456789}, {1600000001, 987654321}};
    return utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

/* a container on base:1 whose changes are the same whenever this is called */
static char *changed_container(struct fixture *f, const char *name)
{
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *cdir = bt_xasprintf("%s/containers/%s", f->base, name);
    struct image_mount *m = image_rw_layer_create(f->s, name, "base:1", cdir, &err);
    if (!m)
        fail_msg("rw layer: %s", bt_err_msg(err));
    if (image_mount_overlay(m, m->merged, &err) < 0)
        fail_msg("mount: %s", bt_err_msg(err));
    const char *mg = m->merged;
    bt_autofree char *a = bt_xasprintf("%s/a", mg);
    bt_autofree char *dir = bt_xasprintf("%s/dir", mg);
    bt_autofree char *y = bt_xasprintf("%s/dir/y", mg);
    bt_autofree char *k = bt_xasprintf("%s/keep/k", mg);
    bt_autofree char *n = bt_xasprintf("%s/n", mg);
    bt_autofree char *h = bt_xasprintf("%s/h", mg);
    bt_autofree char *l = bt_xasprintf("%s/l", mg);
    bt_autofree char *etc = bt_xasprintf("%s/etc", mg);
    bt_autofree char *hosts = bt_xasprintf("%s/etc/hosts", mg);
    bt_autofree char *mnt = bt_xasprintf("%s/mnt", mg);
    assert_int_equal(unlink(a), 0);           /* a whiteout */
    assert_int_equal(bt_rm_rf(dir, NULL), 0); /* an opaque directory */
    assert_int_equal(mkdir(dir, 0750), 0);
    assert_int_equal(bt_file_write_atomic(y, "y", 1, 0644, NULL), 0);
    bt_autoclose int kfd = open(k, O_WRONLY | O_APPEND); /* a copy-up */
    assert_true(kfd >= 0 && write(kfd, "+", 1) == 1);
    assert_int_equal(bt_file_write_atomic(n, "new", 3, 0640, NULL), 0);
    assert_int_equal(link(n, h), 0);
    assert_int_equal(symlink("n", l), 0);
    assert_int_equal(lsetxattr(n, "user.note", "v", 1, 0), 0);
    assert_int_equal(mkdir(etc, 0755), 0); /* mount points */
    assert_int_equal(bt_file_write_atomic(hosts, "", 0, 0644, NULL), 0);
    assert_int_equal(mkdir(mnt, 0755), 0);
    assert_int_equal(umount2(mg, MNT_DETACH), 0);
    image_mount_free(m);
    char *upper = bt_xasprintf("%s/upper", cdir);
    assert_int_equal(nftw(upper, set_times_entry, 16, FTW_PHYS), 0);
    return upper;
}

static char *commit_upper(struct fixture *f, const char *base, const char *upper, bool consume)
{
    char *const mps[] = {"/etc/hosts", "/mnt", NULL};
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *base_id = image_resolve(f->s, base, &err);
    assert_non_null(base_id);
    bt_autoptr(json_t) cfg = json_pack("{s:[s]}", "Cmd", "sh");
    struct image_commit_opts o = {.base = base_id,
                                  .upper_dir = upper,
                                  .mount_points = mps,
                                  .config = cfg,
                                  .created_by = "RUN change",
                                  .consume_upper = consume};
    char *id = image_commit(f->s, &o, &err);
    if (!id)
        fail_msg("commit: %s", bt_err_msg(err));
    return id;
}

static void test_image_commit_adopts_the_upper_as_the_unpacked_layer(void **state)
{
    struct fixture *f = *state;
    if (!f->ok)
        skip();
    struct tent l1[] = {{"a", 'f', "a"},
                        {"dir", 'd'},
                        {"dir/x", 'f', "x"},
                        {"keep", 'd'},
                        {"keep/k", 'f', "k"}};
    struct tent l1b[] = {{"other", 'f', "o"}};
    struct bt_strbuf layers[2] = {BT_STRBUF_INIT, BT_STRBUF_INIT};
    th_tar(l1, N(l1), TH_PLAIN, &layers[0]);
    th_tar(l1b, N(l1b), TH_PLAIN, &layers[1]);
    bt_autoerr bt_err *err = NULL;
    int rc;
    load_layers(f->s, &layers[0], 1, "base:1", &err, &rc);
    assert_int_equal(rc, 0);
    load_layers(f->s, &layers[1], 1, "other:1", &err, &rc);
    assert_int_equal(rc, 0);
    bt_strbuf_free(&layers[0]);
    bt_strbuf_free(&layers[1]);

    /* the same changes committed twice: unpacked from the tar, and adopted (on another base,
     * so that the layer's chain is new and the adopted directory is the one kept) */
    bt_autofree char *u1 = changed_container(f, "c1");
    bt_autofree char *u2 = changed_container(f, "c2");
    bt_autofree char *id1 = commit_upper(f, "base:1", u1, false);
    bt_autofree char *id2 = commit_upper(f, "other:1", u2, true);
    assert_true(bt_path_exists(u1));
    assert_false(bt_path_exists(u2)); /* it is the layer now */

    struct image_inspect *i1 = image_inspect(f->s, id1, &err);
    struct image_inspect *i2 = image_inspect(f->s, id2, &err);
    assert_non_null(i1);
    assert_non_null(i2);
    /* the same tar */
    assert_string_equal(i1->diff_ids[1], i2->diff_ids[1]);
    /* and the same tree: the unpacked one is what the tar says */
    bt_autofree char *t1 = describe(i1->upper_dir);
    bt_autofree char *t2 = describe(i2->upper_dir);
    assert_string_equal(t1, t2);
    /* what the tar says: whole-second times, no overlay bookkeeping but the opaque mark, the
     * mount points left out, the whiteout, the user's xattr */
    assert_non_null(strstr(t2, "/a 20000 0:0 0 0:0\n"));
    assert_non_null(strstr(t2, "/dir 40750 0:0 0 0:0 m1600000001.000000000 a1600000001.000000000 "
                               "trusted.overlay.opaque=y\n"));
    assert_non_null(strstr(t2, " user.note=v\n"));
    assert_non_null(strstr(t2, "/etc 40755"));
    assert_null(strstr(t2, "/etc/hosts"));
    assert_null(strstr(t2, "/mnt"));
    assert_null(strstr(t2, ".123456789"));
    assert_null(strstr(t2, "trusted.overlay.origin"));
    assert_null(strstr(t2, "trusted.overlay.impure"));
    image_inspect_free(i1);
    image_inspect_free(i2);

    /* and the new layer serves a container as the unpacked one does */
    bt_autofree char *cdir = bt_xasprintf("%s/containers/c3", f->base);
    struct image_mount *m = image_rw_layer_create(f->s, "c3", id2, cdir, &err);
    assert_non_null(m);
    if (image_mount_overlay(m, m->merged, &err) < 0)
        fail_msg("mount: %s", bt_err_msg(err));
    bt_autofree char *ma = bt_xasprintf("%s/a", m->merged);
    bt_autofree char *mx = bt_xasprintf("%s/dir/x", m->merged);
    bt_autofree char *mk = bt_xasprintf("%s/keep/k", m->merged);
    bt_autofree char *mo = bt_xasprintf("%s/other", m->merged);
    assert_false(bt_path_exists(ma));
    assert_false(bt_path_exists(mx));
    assert_true(bt_path_exists(mo));
    bt_autofree char *k = th_slurp(mk);
    assert_string_equal(k, "k+");
    assert_int_equal(umount2(m->merged, MNT_DETACH), 0);
    image_mount_free(m);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_image_mount_helper_reports_the_error),
            T(test_image_overlay_whiteouts_hide_lower_files),
            T(test_image_overlay_deep_image_mounts_with_short_links),
            T(test_image_commit_adopts_the_upper_as_the_unpacked_layer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
