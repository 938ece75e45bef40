/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tar extraction must never write outside its destination, keep what a layer says about its
 * files, and apply whiteouts as asked. Malicious archives are built here with libarchive
 * directly, entry by entry.
 *
 * Layout per test: base/dest (the destination), base/outside/secret (must stay untouched).
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#include "shared/archive/archive.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/crypto/digest.h"
#include "shared/fs/file.h"

struct fixture {
    char base[64];
    char *dest;
    char *outside;
};

static char *at(struct fixture *f, const char *rel)
{
    return bt_xasprintf("%s/%s", f->base, rel);
}

static void put(const char *path, const char *content, mode_t mode)
{
    bt_autoerr bt_err *err = NULL;
    if (bt_file_write_atomic(path, content, strlen(content), mode, &err) < 0)
        fail_msg("%s", bt_err_msg(err));
}

static char *slurp(const char *path)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_autoerr bt_err *err = NULL;
    if (bt_file_read(path, &sb, 0, &err) < 0)
        return NULL;
    return bt_strbuf_steal(&sb);
}

static int setup(void **state)
{
    struct fixture *f = bt_xzalloc(sizeof(*f));
    strcpy(f->base, "/tmp/berth-test-archive-XXXXXX");
    if (!mkdtemp(f->base))
        return -1;
    f->dest = at(f, "dest");
    f->outside = at(f, "outside");
    mkdir(f->dest, 0755);
    mkdir(f->outside, 0755);
    bt_autofree char *secret = at(f, "outside/secret");
    put(secret, "secret", 0644);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    bt_autoerr bt_err *err = NULL;
    bt_rm_rf(f->base, &err);
    free(f->dest);
    free(f->outside);
    free(f);
    return 0;
}

/* the base directory must hold only dest/ and outside/, and outside/ only the secret */
static void assert_nothing_escaped(struct fixture *f)
{
    DIR *d = opendir(f->base);
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "dest") &&
            strcmp(de->d_name, "outside"))
            fail_msg("\"%s\" appeared next to the destination", de->d_name);
    closedir(d);
    d = opendir(f->outside);
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "secret"))
            fail_msg("\"%s\" appeared outside", de->d_name);
    closedir(d);
    bt_autofree char *secret = at(f, "outside/secret");
    bt_autofree char *content = slurp(secret);
    assert_string_equal(content, "secret");
    struct stat st;
    assert_int_equal(lstat(secret, &st), 0);
    assert_int_equal(st.st_nlink, 1);
}

/* ---- crafting archives ---- */

struct spec {
    const char *name;
    char type;        /* f file, d dir, l symlink, h hard link */
    const char *data; /* file content, or link target */
    mode_t mode;
    uid_t uid;
    gid_t gid;
};

static la_ssize_t to_strbuf(struct archive *a, void *ctx, const void *buf, size_t n)
{
    bt_strbuf_append_n(ctx, buf, n);
    return (la_ssize_t)n;
}

static void craft(const struct spec *s, size_t n, struct bt_strbuf *out)
{
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_open(a, out, NULL, to_strbuf, NULL);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, s[i].name);
        archive_entry_set_perm(e, s[i].mode ? s[i].mode : 0644);
        archive_entry_set_mtime(e, 1000000000, 0);
        archive_entry_set_uid(e, s[i].uid);
        archive_entry_set_gid(e, s[i].gid);
        switch (s[i].type) {
        case 'd':
            archive_entry_set_filetype(e, AE_IFDIR);
            break;
        case 'l':
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_symlink(e, s[i].data);
            break;
        case 'h':
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_hardlink(e, s[i].data);
            break;
        default:
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_size(e, s[i].data ? (la_int64_t)strlen(s[i].data) : 0);
        }
        archive_write_header(a, e);
        if (s[i].type == 'f' && s[i].data)
            archive_write_data(a, s[i].data, strlen(s[i].data));
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
}

static int extract(struct fixture *f, const struct spec *s, size_t n, enum bt_whiteout_mode wo,
                   bt_err **err)
{
    bt_autostrbuf struct bt_strbuf tar = BT_STRBUF_INIT;
    craft(s, n, &tar);
    struct bt_extract_opts opts = {.whiteouts = wo};
    return bt_tar_extract_mem(tar.buf, tar.len, f->dest, &opts, err);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- escapes ---- */

/* A tar as the docker CLI sends `build -f -`: its last entry's data, then nothing. */
static char *unpadded_tar(struct fixture *f, size_t *len)
{
    bt_autofree char *path = at(f, "unpadded.tar");
    bt_autoclose int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(bt_tar_writer) w = bt_tar_writer_new(fd, BT_TAR_PLAIN, &err);
    assert_non_null(w);
    assert_int_equal(bt_tar_writer_add_data(w, "a.txt", "first\n", 6, 0644, 0, &err), 0);
    assert_int_equal(bt_tar_writer_add_data(w, "Dockerfile", "FROM busybox\n", 13, 0600, 0, &err),
                     0);
    assert_int_equal(bt_tar_writer_finish(w, NULL, NULL, &err), 0);
    char *data = slurp(path);
    assert_non_null(data);
    *len = 512 + 512 + 512 + 13; /* a.txt's header and block, the Dockerfile's header, data */
    return data;
}

static void test_archive_lenient_end_takes_a_tar_without_padding(void **state)
{
    struct fixture *f = *state;
    size_t len;
    bt_autofree char *tar = unpadded_tar(f, &len);
    bt_autoerr bt_err *err = NULL;
    struct bt_extract_opts strict = {0};
    assert_int_equal(bt_tar_extract_mem(tar, len, f->dest, &strict, &err), -1);
    bt_err_clear(&err);
    struct bt_extract_opts o = {.lenient_end = true};
    assert_int_equal(bt_tar_extract_mem(tar, len, f->dest, &o, &err), 0);
    bt_autofree char *df = at(f, "dest/Dockerfile");
    bt_autofree char *got = slurp(df);
    assert_string_equal(got, "FROM busybox\n");
    /* cut inside the data: still an error */
    assert_int_equal(bt_tar_extract_mem(tar, len - 5, f->dest, &o, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
}

static void test_archive_dotdot_entry_is_refused(void **state)
{
    struct fixture *f = *state;
    static const struct spec s[] = {{"../outside/pwned", 'f', "x"}};
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(extract(f, s, N(s), BT_WHITEOUT_KEEP, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
    assert_non_null(strstr(bt_err_msg(err), "outside of the destination"));
    static const struct spec s2[] = {{"a/../../../pwned", 'f', "x"}};
    bt_err_clear(&err);
    assert_int_equal(extract(f, s2, N(s2), BT_WHITEOUT_KEEP, &err), -1);
    assert_nothing_escaped(f);
}

static void test_archive_absolute_names_land_inside(void **state)
{
    struct fixture *f = *state;
    static const struct spec s[] = {{"/abs-file", 'f', "abs"}, {"/./etc//passwd", 'f', "pw"}};
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(extract(f, s, N(s), BT_WHITEOUT_KEEP, &err), 0);
    bt_autofree char *p = at(f, "dest/etc/passwd");
    bt_autofree char *c = slurp(p);
    assert_string_equal(c, "pw");
    bt_autofree char *p2 = at(f, "dest/abs-file");
    assert_true(bt_path_exists(p2));
    assert_nothing_escaped(f);
}

static void test_archive_symlink_then_file_stays_inside(void **state)
{
    struct fixture *f = *state;
    /* each link points out of the destination; the files written "through" them must land
     * inside it, in the place the link names when the destination is "/" */
    bt_autofree char *abs_outside = bt_xstrdup(f->outside);
    const struct spec s[] = {
            {"up", 'l', "../../../../.."},
            {"up/pwned1", 'f', "1"},
            {"abs", 'l', abs_outside},
            {"abs/pwned2", 'f', "2"},
            {"rel", 'l', "../outside"},
            {"rel/secret", 'f', "overwritten?"},
            {"root", 'l', "/"},
            {"root/pwned3", 'f', "3"},
    };
    bt_autoerr bt_err *err = NULL;
    if (extract(f, s, N(s), BT_WHITEOUT_KEEP, &err) < 0)
        fail_msg("%s", bt_err_msg(err));
    assert_nothing_escaped(f);
    bt_autofree char *p1 = at(f, "dest/pwned1");
    assert_true(bt_path_exists(p1));
    bt_autofree char *p2 = bt_xasprintf("%s%s/pwned2", f->dest, f->outside);
    assert_true(bt_path_exists(p2));
    bt_autofree char *p3 = at(f, "dest/outside/secret");
    bt_autofree char *c3 = slurp(p3);
    assert_string_equal(c3, "overwritten?");
    /* the links themselves are kept as the archive says */
    char target[256];
    bt_autofree char *l = at(f, "dest/rel");
    ssize_t n = readlink(l, target, sizeof(target) - 1);
    assert_true(n > 0);
    target[n] = '\0';
    assert_string_equal(target, "../outside");
}

static void test_archive_file_replaces_symlink_instead_of_writing_through(void **state)
{
    struct fixture *f = *state;
    bt_autofree char *secret = at(f, "outside/secret");
    bt_autofree char *link = at(f, "dest/victim");
    assert_int_equal(symlink(secret, link), 0);
    static const struct spec s[] = {{"victim", 'f', "new content"}};
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(extract(f, s, N(s), BT_WHITEOUT_KEEP, &err), 0);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_nothing_escaped(f);
}

static void test_archive_hardlinks_cannot_reach_outside(void **state)
{
    struct fixture *f = *state;
    bt_autoerr bt_err *err = NULL;
    static const struct spec climb[] = {{"h", 'h', "../outside/secret"}};
    assert_int_equal(extract(f, climb, N(climb), BT_WHITEOUT_KEEP, &err), -1);
    assert_non_null(strstr(bt_err_msg(err), "invalid hardlink"));
    bt_err_clear(&err);

    /* an absolute target is looked up inside the destination, where it does not exist */
    bt_autofree char *secret = at(f, "outside/secret");
    const struct spec absolute[] = {{"h", 'h', secret}};
    assert_int_equal(extract(f, absolute, N(absolute), BT_WHITEOUT_KEEP, &err), -1);
    bt_err_clear(&err);

    /* through a symlink that points outside: resolved inside instead */
    const struct spec via_link[] = {{"out", 'l', "../outside"}, {"h", 'h', "out/secret"}};
    assert_int_equal(extract(f, via_link, N(via_link), BT_WHITEOUT_KEEP, &err), -1);
    assert_nothing_escaped(f);
}

static void test_archive_hardlink_inside_shares_the_inode(void **state)
{
    struct fixture *f = *state;
    static const struct spec s[] = {{"bin/busybox", 'f', "BB", 0755},
                                    {"bin/sh", 'h', "bin/busybox"}};
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(extract(f, s, N(s), BT_WHITEOUT_KEEP, &err), 0);
    bt_autofree char *a = at(f, "dest/bin/busybox");
    bt_autofree char *b = at(f, "dest/bin/sh");
    struct stat sa, sb;
    assert_int_equal(stat(a, &sa), 0);
    assert_int_equal(stat(b, &sb), 0);
    assert_int_equal(sa.st_ino, sb.st_ino);
    assert_int_equal(sa.st_mode & 07777, 0755);
}

/* ---- whiteouts ---- */

static void prepare_lower(struct fixture *f)
{
    static const char *const files[] = {"dest/a/keep", "dest/a/old", "dest/b/gone", "dest/b/stay"};
    for (size_t i = 0; i < 4; i++) {
        bt_autofree char *p = at(f, files[i]);
        bt_autofree char *dir = bt_xstrndup(p, (size_t)(strrchr(p, '/') - p));
        bt_autoerr bt_err *err = NULL;
        bt_mkdir_p(dir, 0755, &err);
        put(p, "lower", 0644);
    }
}

static void test_archive_whiteouts_applied(void **state)
{
    struct fixture *f = *state;
    prepare_lower(f);
    static const struct spec s[] = {
            {"a", 'd', NULL, 0755},           {"a/new", 'f', "new"},
            {"a/.wh..wh..opq", 'f', ""},      {"b/.wh.gone", 'f', ""},
            {"c/.wh.never-existed", 'f', ""},
    };
    bt_autoerr bt_err *err = NULL;
    if (extract(f, s, N(s), BT_WHITEOUT_APPLY, &err) < 0)
        fail_msg("%s", bt_err_msg(err));
    static const char *const gone[] = {"dest/a/keep", "dest/a/old", "dest/b/gone",
                                       "dest/a/.wh..wh..opq", "dest/b/.wh.gone"};
    for (size_t i = 0; i < N(gone); i++) {
        bt_autofree char *p = at(f, gone[i]);
        if (bt_path_exists(p))
            fail_msg("\"%s\" should be gone", gone[i]);
    }
    bt_autofree char *n = at(f, "dest/a/new");
    bt_autofree char *st = at(f, "dest/b/stay");
    assert_true(bt_path_exists(n));
    assert_true(bt_path_exists(st));
}

static void test_archive_whiteouts_kept_as_files(void **state)
{
    struct fixture *f = *state;
    static const struct spec s[] = {{".wh.x", 'f', ""}, {"d/.wh..wh..opq", 'f', ""}};
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(extract(f, s, N(s), BT_WHITEOUT_KEEP, &err), 0);
    bt_autofree char *p = at(f, "dest/d/.wh..wh..opq");
    assert_true(bt_path_exists(p));
}

static void test_archive_whiteout_cannot_delete_outside(void **state)
{
    struct fixture *f = *state;
    static const struct spec s[] = {
            {"out", 'l', "../outside"}, {"out/.wh.secret", 'f', ""}, {".wh..", 'f', ""}};
    bt_autoerr bt_err *err = NULL;
    extract(f, s, N(s), BT_WHITEOUT_APPLY, &err);
    assert_nothing_escaped(f);
}

static int enter_private_mount_ns(void)
{
    return geteuid() == 0 && unshare(CLONE_NEWNS) == 0 &&
           mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
}

static void test_archive_whiteouts_as_overlay_and_back(void **state)
{
    struct fixture *f = *state;
    /* overlay whiteouts are 0/0 devices and trusted.* xattrs: root only, and tmpfs holds
     * trusted xattrs wherever /tmp lives */
    if (!enter_private_mount_ns() || mount("tmpfs", f->dest, "tmpfs", 0, NULL) < 0)
        skip();
    static const struct spec s[] = {{"a", 'd', NULL, 0755},
                                    {"a/.wh..wh..opq", 'f', ""},
                                    {"a/f", 'f', "x"},
                                    {".wh.gone", 'f', ""}};
    bt_autoerr bt_err *err = NULL;
    if (extract(f, s, N(s), BT_WHITEOUT_OVERLAY, &err) < 0)
        fail_msg("%s", bt_err_msg(err));
    bt_autofree char *gone = at(f, "dest/gone");
    struct stat st;
    assert_int_equal(lstat(gone, &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    assert_int_equal(st.st_rdev, makedev(0, 0));
    bt_autofree char *a = at(f, "dest/a");
    char v[4] = {0};
    assert_int_equal(lgetxattr(a, "trusted.overlay.opaque", v, sizeof(v)), 1);
    assert_string_equal(v, "y");

    /* packing the tree with overlay conversion gives the OCI forms back */
    bt_autofree char *out = at(f, "out.tar");
    bt_autoclose int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bt_autoptr(bt_tar_writer) w = bt_tar_writer_new(fd, BT_TAR_PLAIN, &err);
    struct bt_pack_opts po = {.overlay_whiteouts = true, .mtime = -1};
    assert_int_equal(bt_tar_writer_add_tree(w, f->dest, "", &po, &err), 0);
    assert_int_equal(bt_tar_writer_finish(w, NULL, NULL, &err), 0);
    bt_autostrbuf struct bt_strbuf names = BT_STRBUF_INIT;
    struct archive *r = archive_read_new();
    archive_read_support_format_tar(r);
    assert_int_equal(archive_read_open_filename(r, out, 4096), ARCHIVE_OK);
    struct archive_entry *e;
    while (archive_read_next_header(r, &e) == ARCHIVE_OK) {
        bt_strbuf_appendf(&names, "%s;", archive_entry_pathname(e));
        assert_int_equal(archive_entry_xattr_count(e), 0); /* no trusted.overlay.* */
    }
    archive_read_free(r);
    /* in the order of the names on disk ("gone" after "a"), as Docker's walk does */
    assert_string_equal(names.buf, "a/;a/.wh..wh..opq;a/f;.wh.gone;");
    umount2(f->dest, MNT_DETACH);
}

/* ---- round trip, digests, metadata ---- */

static void make_tree(struct fixture *f, const char *top)
{
    bt_autoerr bt_err *err = NULL;
    bt_autofree char *bin = bt_xasprintf("%s/%s/bin", f->base, top);
    bt_autofree char *etc = bt_xasprintf("%s/%s/etc", f->base, top);
    bt_mkdir_p(bin, 0755, &err);
    bt_mkdir_p(etc, 0750, &err);
    bt_autofree char *bb = bt_xasprintf("%s/busybox", bin);
    bt_autofree char *su = bt_xasprintf("%s/su", bin);
    bt_autofree char *sh = bt_xasprintf("%s/sh", bin);
    bt_autofree char *ln = bt_xasprintf("%s/ls", bin);
    bt_autofree char *pw = bt_xasprintf("%s/passwd", etc);
    put(bb, "#!busybox", 0755);
    put(pw, "root:x:0:0:root:/root:/bin/sh\n", 0644);
    put(su, "su", 0755);
    chmod(su, 04755);
    assert_int_equal(link(bb, sh), 0);
    assert_int_equal(symlink("/bin/busybox", ln), 0);
    chmod(etc, 0750);
}

static void pack(struct fixture *f, const char *top, const char *file, enum bt_tar_compression c,
                 char *digest)
{
    bt_autofree char *src = bt_xasprintf("%s/%s", f->base, top);
    bt_autofree char *out = bt_xasprintf("%s/%s", f->base, file);
    bt_autoclose int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(bt_tar_writer) w = bt_tar_writer_new(fd, c, &err);
    assert_non_null(w);
    struct bt_pack_opts po = {.mtime = 1700000000};
    if (bt_tar_writer_add_tree(w, src, "", &po, &err) < 0)
        fail_msg("%s", bt_err_msg(err));
    assert_int_equal(bt_tar_writer_finish(w, digest, NULL, &err), 0);
}

static void test_archive_round_trip_keeps_metadata(void **state)
{
    struct fixture *f = *state;
    make_tree(f, "src");
    char d1[BT_DIGEST_STR_SIZE], d2[BT_DIGEST_STR_SIZE];
    pack(f, "src", "a.tar", BT_TAR_PLAIN, d1);
    pack(f, "src", "b.tar", BT_TAR_PLAIN, d2);
    assert_string_equal(d1, d2); /* same tree, same bytes */

    bt_autofree char *tar = at(f, "a.tar");
    bt_autoclose int fd = open(tar, O_RDONLY | O_CLOEXEC);
    bt_autoerr bt_err *err = NULL;
    char stored[BT_DIGEST_STR_SIZE], diff[BT_DIGEST_STR_SIZE];
    int64_t size = 0;
    struct bt_extract_opts opts = {.stored_digest = stored, .diff_id = diff, .tar_size = &size};
    if (bt_tar_extract_fd(fd, f->dest, &opts, &err) < 0)
        fail_msg("%s", bt_err_msg(err));
    assert_string_equal(stored, d1);
    assert_string_equal(diff, d1); /* uncompressed: both digests are the file's */
    struct stat st;
    assert_int_equal(stat(tar, &st), 0);
    assert_int_equal(size, st.st_size);

    bt_autofree char *su = at(f, "dest/bin/su");
    assert_int_equal(stat(su, &st), 0);
    assert_int_equal(st.st_mode & 07777, 04755);
    assert_int_equal(st.st_mtime, 1700000000);
    bt_autofree char *etc = at(f, "dest/etc");
    assert_int_equal(stat(etc, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0750);
    assert_int_equal(st.st_mtime, 1700000000); /* set after its contents were written */
    bt_autofree char *bb = at(f, "dest/bin/busybox");
    bt_autofree char *sh = at(f, "dest/bin/sh");
    struct stat s1, s2;
    assert_int_equal(stat(bb, &s1), 0);
    assert_int_equal(stat(sh, &s2), 0);
    assert_int_equal(s1.st_ino, s2.st_ino);
    bt_autofree char *ls = at(f, "dest/bin/ls");
    char target[64];
    ssize_t n = readlink(ls, target, sizeof(target) - 1);
    assert_true(n > 0);
    target[n] = '\0';
    assert_string_equal(target, "/bin/busybox");
}

/* What fills a new volume from an image: the tree's contents, links and modes, and the top
 * directory's own owner and mode. */
static void test_copy_tree(void **state)
{
    struct fixture *f = *state;
    make_tree(f, "src");
    bt_autofree char *src = at(f, "src");
    chmod(src, 0710);
    if (geteuid() == 0)
        assert_int_equal(chown(src, 1234, 2345), 0);
    bt_autoerr bt_err *err = NULL;
    if (bt_tar_copy_tree(src, f->dest, &err) < 0)
        fail_msg("%s", bt_err_msg(err));
    struct stat st, s1, s2;
    assert_int_equal(stat(f->dest, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0710);
    if (geteuid() == 0)
        assert_true(st.st_uid == 1234 && st.st_gid == 2345);
    bt_autofree char *su = at(f, "dest/bin/su");
    assert_int_equal(stat(su, &st), 0);
    assert_int_equal(st.st_mode & 07777, 04755);
    bt_autofree char *bb = at(f, "dest/bin/busybox");
    bt_autofree char *sh = at(f, "dest/bin/sh");
    assert_int_equal(stat(bb, &s1), 0);
    assert_int_equal(stat(sh, &s2), 0);
    assert_int_equal(s1.st_ino, s2.st_ino); /* hard links stay links */
    bt_autofree char *ls = at(f, "dest/bin/ls");
    assert_int_equal(lstat(ls, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    bt_autofree char *pw = at(f, "dest/etc/passwd");
    bt_autofree char *text = slurp(pw);
    assert_string_equal(text, "root:x:0:0:root:/root:/bin/sh\n");
    /* a file is not a tree */
    bt_autoerr bt_err *e2 = NULL;
    bt_autofree char *file = at(f, "src/etc/passwd");
    assert_int_equal(bt_tar_copy_tree(file, f->dest, &e2), -1);
    assert_non_null(strstr(bt_err_msg(e2), "not a directory"));
}

static void test_archive_gzip_digests_both_forms(void **state)
{
    struct fixture *f = *state;
    make_tree(f, "src");
    char plain[BT_DIGEST_STR_SIZE], gz[BT_DIGEST_STR_SIZE];
    pack(f, "src", "p.tar", BT_TAR_PLAIN, plain);
    pack(f, "src", "g.tar.gz", BT_TAR_GZIP, gz);
    assert_string_not_equal(plain, gz);
    bt_autofree char *gzpath = at(f, "g.tar.gz");
    bt_autoclose int fd = open(gzpath, O_RDONLY | O_CLOEXEC);
    char stored[BT_DIGEST_STR_SIZE], diff[BT_DIGEST_STR_SIZE];
    struct bt_extract_opts opts = {.stored_digest = stored, .diff_id = diff};
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_tar_extract_fd(fd, f->dest, &opts, &err), 0);
    assert_string_equal(stored, gz);
    assert_string_equal(diff, plain);
    bt_autofree char *pw = at(f, "dest/etc/passwd");
    assert_true(bt_path_exists(pw));
}

/* An uncompressed layer is hashed once for both digests; they must still cover every byte,
 * what follows the tar's end included. */
static void test_archive_plain_digests_cover_trailing_bytes(void **state)
{
    struct fixture *f = *state;
    make_tree(f, "src");
    char packed[BT_DIGEST_STR_SIZE], whole[BT_DIGEST_STR_SIZE];
    pack(f, "src", "p.tar", BT_TAR_PLAIN, packed);
    bt_autofree char *path = at(f, "p.tar");
    bt_autoclose int wfd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    assert_true(wfd >= 0);
    static const char junk[3000] = "not a tar block";
    assert_int_equal(write(wfd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
    bt_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_int_equal(bt_sha256_fd(fd, whole, NULL), 0);
    assert_string_not_equal(whole, packed);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    char stored[BT_DIGEST_STR_SIZE], diff[BT_DIGEST_STR_SIZE];
    int64_t size = 0;
    struct bt_extract_opts opts = {.stored_digest = stored, .diff_id = diff, .tar_size = &size};
    bt_autoerr bt_err *err = NULL;
    if (bt_tar_extract_fd(fd, f->dest, &opts, &err) < 0)
        fail_msg("%s", bt_err_msg(err));
    assert_string_equal(stored, whole);
    assert_string_equal(diff, whole);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(size, st.st_size);
}

static int count_entry(const struct bt_tar_entry *e, void *ctx, bt_err **err)
{
    (*(int *)ctx)++;
    return strcmp(e->name, "etc/passwd") == 0 ? 1 : 0; /* skip one */
}

static void test_archive_ownership(void **state)
{
    struct fixture *f = *state;
    /* owners are applied when root, silently left as ours otherwise */
    static const struct spec s[] = {{"etc", 'd', NULL, 0755, 1234, 5678},
                                    {"etc/shadow", 'f', "s", 0640, 0, 42},
                                    {"home/u/.profile", 'f', "p", 0644, 1000, 1000}};
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(extract(f, s, N(s), BT_WHITEOUT_KEEP, &err), 0);
    static const char *const paths[] = {"dest/etc", "dest/etc/shadow", "dest/home/u/.profile"};
    for (size_t i = 0; i < N(paths); i++) {
        bt_autofree char *p = at(f, paths[i]);
        struct stat st;
        assert_int_equal(lstat(p, &st), 0);
        if (geteuid() == 0) {
            assert_int_equal(st.st_uid, s[i].uid);
            assert_int_equal(st.st_gid, s[i].gid);
        } else {
            assert_int_equal(st.st_uid, geteuid());
        }
        assert_int_equal(st.st_mode & 07777, s[i].mode);
    }
}

static void test_archive_on_entry_filter_skips(void **state)
{
    struct fixture *f = *state;
    static const struct spec s[] = {{"etc/passwd", 'f', "x"}, {"etc/group", 'f', "g"}};
    bt_autostrbuf struct bt_strbuf tar = BT_STRBUF_INIT;
    craft(s, N(s), &tar);
    int seen = 0;
    struct bt_extract_opts opts = {.on_entry = count_entry, .ctx = &seen};
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_tar_extract_mem(tar.buf, tar.len, f->dest, &opts, &err), 0);
    assert_int_equal(seen, 2);
    bt_autofree char *pw = at(f, "dest/etc/passwd");
    bt_autofree char *gr = at(f, "dest/etc/group");
    assert_false(bt_path_exists(pw));
    assert_true(bt_path_exists(gr));
}

static void test_archive_garbage_is_a_clear_error(void **state)
{
    struct fixture *f = *state;
    bt_autoerr bt_err *err = NULL;
    const char junk[] = "this is not a tar archive at all, not even close..............";
    assert_int_equal(bt_tar_extract_mem(junk, sizeof(junk), f->dest, NULL, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
    assert_nothing_escaped(f);
}

/* ---- docker cp: renaming, dir/non-dir conflicts, owners, dockerd's names ---- */

static void test_archive_rebase_renames_the_first_element(void **state)
{
    struct fixture *f = *state;
    static const struct spec s[] = {{"data", 'd', NULL, 0750},
                                    {"data/a", 'f', "a"},
                                    {"data/sub/b", 'f', "b"},
                                    {"data/h", 'h', "data/a"},
                                    {"database", 'f', "not below data"}};
    bt_autostrbuf struct bt_strbuf tar = BT_STRBUF_INIT;
    craft(s, N(s), &tar);
    struct bt_extract_opts opts = {.rebase_from = "data", .rebase_to = "copy"};
    bt_autoerr bt_err *err = NULL;
    if (bt_tar_extract_mem(tar.buf, tar.len, f->dest, &opts, &err) < 0)
        fail_msg("%s", bt_err_msg(err));
    bt_autofree char *a = at(f, "dest/copy/a");
    bt_autofree char *b = at(f, "dest/copy/sub/b");
    bt_autofree char *h = at(f, "dest/copy/h");
    bt_autofree char *db = at(f, "dest/database");
    bt_autofree char *old = at(f, "dest/data");
    bt_autofree char *top = at(f, "dest/copy");
    bt_autofree char *ca = slurp(a);
    assert_string_equal(ca, "a");
    assert_true(bt_path_exists(b));
    assert_true(bt_path_exists(db));
    assert_false(bt_path_exists(old));
    struct stat s1, s2;
    assert_int_equal(stat(a, &s1), 0);
    assert_int_equal(stat(h, &s2), 0);
    assert_int_equal(s1.st_ino, s2.st_ino);
    assert_int_equal(stat(top, &s1), 0);
    assert_int_equal(s1.st_mode & 07777, 0750); /* the top entry became copy/ */
}

static void test_archive_rebase_of_dot_puts_everything_below(void **state)
{
    struct fixture *f = *state;
    /* what dockerd sends for "dir/." (and, with "/" names, for the root) */
    static const struct spec s[] = {{"./", 'd', NULL, 0700}, {"./a", 'f', "a"}, {"/b", 'f', "b"}};
    bt_autostrbuf struct bt_strbuf tar = BT_STRBUF_INIT;
    craft(s, N(s), &tar);
    struct bt_extract_opts opts = {.rebase_from = ".", .rebase_to = "new"};
    bt_autoerr bt_err *err = NULL;
    if (bt_tar_extract_mem(tar.buf, tar.len, f->dest, &opts, &err) < 0)
        fail_msg("%s", bt_err_msg(err));
    bt_autofree char *a = at(f, "dest/new/a");
    bt_autofree char *b = at(f, "dest/new/b");
    bt_autofree char *top = at(f, "dest/new");
    assert_true(bt_path_exists(a));
    assert_true(bt_path_exists(b));
    struct stat st;
    assert_int_equal(stat(top, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
}

static void test_archive_rebase_cannot_climb_out(void **state)
{
    struct fixture *f = *state;
    static const struct spec s[] = {{"data/a", 'f', "a"}};
    bt_autostrbuf struct bt_strbuf tar = BT_STRBUF_INIT;
    craft(s, N(s), &tar);
    struct bt_extract_opts opts = {.rebase_from = "data", .rebase_to = "../.."};
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_tar_extract_mem(tar.buf, tar.len, f->dest, &opts, &err), -1);
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
    assert_nothing_escaped(f);
}

static void test_archive_no_overwrite_dir_nondir(void **state)
{
    struct fixture *f = *state;
    bt_autofree char *x = at(f, "dest/x");
    bt_autofree char *y = at(f, "dest/y");
    mkdir(x, 0755);
    put(y, "file", 0644);
    static const struct spec file_on_dir[] = {{"x", 'f', "over a directory"}};
    static const struct spec dir_on_file[] = {{"y", 'd'}};
    bt_autostrbuf struct bt_strbuf t1 = BT_STRBUF_INIT;
    bt_autostrbuf struct bt_strbuf t2 = BT_STRBUF_INIT;
    craft(file_on_dir, 1, &t1);
    craft(dir_on_file, 1, &t2);
    struct bt_extract_opts opts = {.no_overwrite_dir_nondir = true, .label = "/data"};
    bt_autoerr bt_err *e1 = NULL;
    bt_autoerr bt_err *e2 = NULL;
    assert_int_equal(bt_tar_extract_mem(t1.buf, t1.len, f->dest, &opts, &e1), -1);
    assert_string_equal(bt_err_msg(e1),
                        "cannot overwrite directory \"/data/x\" with non-directory \"/data\"");
    assert_int_equal(bt_tar_extract_mem(t2.buf, t2.len, f->dest, &opts, &e2), -1);
    assert_string_equal(bt_err_msg(e2),
                        "cannot overwrite non-directory \"/data/y\" with directory \"/data\"");
    assert_true(bt_path_is_dir(x));
    bt_autofree char *content = slurp(y);
    assert_string_equal(content, "file");
    /* without the option, each replaces the other */
    struct bt_extract_opts plain = {0};
    bt_autoerr bt_err *e3 = NULL;
    assert_int_equal(bt_tar_extract_mem(t1.buf, t1.len, f->dest, &plain, &e3), 0);
    assert_false(bt_path_is_dir(x));
}

static void test_archive_force_owner(void **state)
{
    struct fixture *f = *state;
    if (geteuid() != 0)
        skip();
    static const struct spec s[] = {{"d", 'd', NULL, 0755, 1, 2}, {"d/f", 'f', "f", 0600, 3, 4}};
    bt_autostrbuf struct bt_strbuf tar = BT_STRBUF_INIT;
    craft(s, N(s), &tar);
    struct bt_extract_opts opts = {.force_owner = true, .uid = 1234, .gid = 4321, .no_chown = true};
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(bt_tar_extract_mem(tar.buf, tar.len, f->dest, &opts, &err), 0);
    static const char *const paths[] = {"dest/d", "dest/d/f"};
    for (size_t i = 0; i < N(paths); i++) {
        bt_autofree char *p = at(f, paths[i]);
        struct stat st;
        assert_int_equal(lstat(p, &st), 0);
        assert_int_equal(st.st_uid, 1234);
        assert_int_equal(st.st_gid, 4321);
    }
}

/* The raw entry names of the tar at path, each followed by ";". */
static void raw_names(const char *path, struct bt_strbuf *out)
{
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    assert_int_equal(archive_read_open_filename(a, path, 10240), ARCHIVE_OK);
    struct archive_entry *e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK)
        bt_strbuf_appendf(out, "%s;", archive_entry_pathname(e));
    archive_read_free(a);
}

static void pack_at(struct fixture *f, const char *dir, const char *name, const char *prefix,
                    bool verbatim, struct bt_strbuf *names)
{
    bt_autofree char *d = at(f, dir);
    bt_autofree char *out = at(f, "out.tar");
    bt_autoclose int dfd = open(d, O_PATH | O_DIRECTORY | O_CLOEXEC);
    bt_autoclose int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(bt_tar_writer) w = bt_tar_writer_new(fd, BT_TAR_PLAIN, &err);
    struct bt_pack_opts po = {.mtime = -1, .verbatim_prefix = verbatim};
    if (bt_tar_writer_add_at(w, dfd, name, prefix, &po, &err) < 0)
        fail_msg("%s", bt_err_msg(err));
    assert_int_equal(bt_tar_writer_finish(w, NULL, NULL, &err), 0);
    raw_names(out, names);
}

static void test_archive_names_as_dockerd_gives_them(void **state)
{
    struct fixture *f = *state;
    bt_autofree char *sub = at(f, "src/data/sub");
    bt_autofree char *a = at(f, "src/data/a");
    bt_autofree char *b = at(f, "src/data/sub/b");
    bt_autoerr bt_err *err = NULL;
    bt_mkdir_p(sub, 0755, &err);
    put(a, "a", 0644);
    put(b, "b", 0644);
    /* "/data": data/, data/a, ... */
    bt_autostrbuf struct bt_strbuf n1 = BT_STRBUF_INIT;
    pack_at(f, "src", "data", "data", true, &n1);
    assert_string_equal(n1.buf, "data/;data/a;data/sub/;data/sub/b;");
    /* "/data/.": ./, ./a, ... (the directory itself named by its descriptor) */
    bt_autostrbuf struct bt_strbuf n2 = BT_STRBUF_INIT;
    pack_at(f, "src/data", ".", ".", true, &n2);
    assert_string_equal(n2.buf, "./;./a;./sub/;./sub/b;");
    /* "/": /, /a, ... */
    bt_autostrbuf struct bt_strbuf n3 = BT_STRBUF_INIT;
    pack_at(f, "src/data", ".", "/", true, &n3);
    assert_string_equal(n3.buf, "/;/a;/sub/;/sub/b;");
    /* a file: its own name; and without verbatim names, the old cleaned ones */
    bt_autostrbuf struct bt_strbuf n4 = BT_STRBUF_INIT;
    pack_at(f, "src/data", "a", "renamed", true, &n4);
    assert_string_equal(n4.buf, "renamed;");
    bt_autostrbuf struct bt_strbuf n5 = BT_STRBUF_INIT;
    pack_at(f, "src/data", ".", "./x/", false, &n5);
    assert_string_equal(n5.buf, "x/;x/a;x/sub/;x/sub/b;");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
            T(test_archive_dotdot_entry_is_refused),
            T(test_archive_lenient_end_takes_a_tar_without_padding),
            T(test_archive_absolute_names_land_inside),
            T(test_archive_symlink_then_file_stays_inside),
            T(test_archive_file_replaces_symlink_instead_of_writing_through),
            T(test_archive_hardlinks_cannot_reach_outside),
            T(test_archive_hardlink_inside_shares_the_inode),
            T(test_archive_whiteouts_applied),
            T(test_archive_whiteouts_kept_as_files),
            T(test_archive_whiteout_cannot_delete_outside),
            T(test_archive_round_trip_keeps_metadata),
            T(test_archive_gzip_digests_both_forms),
            T(test_archive_plain_digests_cover_trailing_bytes),
            T(test_archive_ownership),
            T(test_copy_tree),
            T(test_archive_on_entry_filter_skips),
            T(test_archive_garbage_is_a_clear_error),
            T(test_archive_rebase_renames_the_first_element),
            T(test_archive_rebase_of_dot_puts_everything_below),
            T(test_archive_rebase_cannot_climb_out),
            T(test_archive_no_overwrite_dir_nondir),
            T(test_archive_force_owner),
            T(test_archive_names_as_dockerd_gives_them),
            /* last: it leaves the process in a private mount namespace */
            T(test_archive_whiteouts_as_overlay_and_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
