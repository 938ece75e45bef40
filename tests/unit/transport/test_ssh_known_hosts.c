/* SPDX-License-Identifier: Apache-2.0 */
/* known_hosts as OpenSSH writes it, checked through libssh2 (no network: a session that never
 * connects is enough for libssh2's knownhost store); key files; fingerprints' base64. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/transport/ssh-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/mem.h"

#define DATA BERTH_TEST_DATA "/transport/"

struct key {
    char *line; /* "ssh-ed25519 AAAA..." */
    unsigned char blob[512];
    size_t len;
    int type;
};

static size_t b64_decode(const char *s, unsigned char *out, size_t max)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned v = 0;
    int bits = 0;
    size_t o = 0;
    for (; *s && *s != '=' && *s != ' ' && *s != '\n' && o < max; s++) {
        const char *p = strchr(abc, *s);
        assert_non_null(p);
        v = (v << 6 | (unsigned)(p - abc)) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(v >> bits);
        }
    }
    return o;
}

static char *read_text(const char *path)
{
    bt_autoerr bt_err *err = NULL;
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(bt_fd_read_all(fd, &sb, 0, &err), 0);
    return bt_strbuf_steal(&sb);
}

static void load_key(const char *name, struct key *k)
{
    bt_autofree char *path = bt_xasprintf(DATA "%s", name);
    bt_autofree char *text = read_text(path);
    char *sp = strchr(text, ' ');
    char *sp2 = strchr(sp + 1, ' ');
    k->line = bt_xstrndup(text, (size_t)(sp2 ? sp2 - text : (long)strcspn(text, "\n")));
    k->len = b64_decode(sp + 1, k->blob, sizeof(k->blob));
    k->type = !strncmp(text, "ssh-ed25519", 11) ? LIBSSH2_HOSTKEY_TYPE_ED25519
                                                : LIBSSH2_HOSTKEY_TYPE_ECDSA_256;
}

static struct key a, b, c;
static LIBSSH2_SESSION *session;

static int setup(void **state)
{
    tp_ssh_library_init();
    session = libssh2_session_init();
    assert_non_null(session);
    load_key("host-a.pub", &a);
    load_key("host-b.pub", &b);
    load_key("host-c.pub", &c);
    return 0;
}

static int teardown(void **state)
{
    libssh2_session_free(session);
    free(a.line);
    free(b.line);
    free(c.line);
    return 0;
}

static struct tp_known_hosts *load(const char *text)
{
    return tp_kh_load_buffer(session, text, strlen(text), "known_hosts");
}

static enum tp_kh_status check(struct tp_known_hosts *kh, const char *name, const struct key *k,
                               int *line)
{
    int l = 0;
    enum tp_kh_status st = tp_kh_check(kh, name, (const char *)k->blob, k->len, k->type, &l);
    if (line)
        *line = l;
    return st;
}

static void test_ssh_known_hosts_plain_entries_match_and_mismatch_with_line(void **state)
{
    bt_autofree char *text = bt_xasprintf("# a comment\n\nexample.com,10.0.0.1 %s\n", b.line);
    struct tp_known_hosts *kh = load(text);
    int line = 0;
    assert_int_equal(check(kh, "example.com", &b, NULL), TP_KH_MATCH);
    assert_int_equal(check(kh, "10.0.0.1", &b, NULL), TP_KH_MATCH);
    assert_int_equal(check(kh, "example.com", &a, &line), TP_KH_MISMATCH);
    assert_int_equal(line, 3);
    assert_int_equal(check(kh, "example.org", &a, NULL), TP_KH_NOTFOUND);
    tp_kh_free(kh);
}

/* ssh-keygen -H output: HMAC-SHA1 names, "[host]:port" hashed as such */
static void test_ssh_known_hosts_hashed_entries(void **state)
{
    struct tp_known_hosts *kh = tp_kh_load(session, DATA "known_hosts.hashed", NULL);
    assert_non_null(kh);
    assert_int_equal(tp_kh_count(kh), 2);
    assert_int_equal(check(kh, "[127.0.0.1]:2222", &a, NULL), TP_KH_MATCH);
    assert_int_equal(check(kh, "example.com", &b, NULL), TP_KH_MATCH);
    int line = 0;
    assert_int_equal(check(kh, "[127.0.0.1]:2222", &b, &line), TP_KH_MISMATCH);
    assert_int_equal(line, 1);
    /* the same address on port 22 is another host to OpenSSH */
    assert_int_equal(check(kh, "127.0.0.1", &a, NULL), TP_KH_NOTFOUND);
    tp_kh_free(kh);
}

/* libssh2_knownhost_checkp(port) would fall back to the bare name and call this a mismatch */
static void test_ssh_known_hosts_port_22_key_does_not_cover_other_ports(void **state)
{
    bt_autofree char *text = bt_xasprintf("127.0.0.1 %s\n", a.line);
    struct tp_known_hosts *kh = load(text);
    bt_autofree char *name = tp_kh_host_name("127.0.0.1", 2222);
    assert_int_equal(check(kh, name, &b, NULL), TP_KH_NOTFOUND);
    assert_int_equal(check(kh, name, &a, NULL), TP_KH_NOTFOUND);
    bt_autofree char *name22 = tp_kh_host_name("127.0.0.1", 22);
    assert_int_equal(check(kh, name22, &a, NULL), TP_KH_MATCH);
    tp_kh_free(kh);
}

/* libssh2's readfile stops at the first line it cannot read; we skip such lines */
static void test_ssh_known_hosts_unreadable_lines_are_skipped(void **state)
{
    bt_autofree char *text = bt_xasprintf(
            "this is not a known_hosts line\n"
            "@cert-authority *.example.com %s\n"
            "example.org sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t\n"
            "|1|c2FsdA==|dG9vc2hvcnQ= %s\n"
            "example.com %s comment here\r\n"
            "[host.example]:2200 %s",
            a.line, a.line, b.line, c.line);
    struct tp_known_hosts *kh = load(text);
    /* libssh2 files the first and third lines under odd names or an unknown key type, which
     * never match; the cert-authority line and the malformed hashed name are not filed */
    assert_int_equal(tp_kh_count(kh), 4);
    assert_int_equal(check(kh, "example.com", &b, NULL), TP_KH_MATCH);
    assert_int_equal(check(kh, "[host.example]:2200", &c, NULL), TP_KH_MATCH);
    int line = 0;
    assert_int_equal(check(kh, "example.com", &a, &line), TP_KH_MISMATCH);
    assert_int_equal(line, 5);
    tp_kh_free(kh);
}

static void test_ssh_known_hosts_revoked_key_is_refused_everywhere(void **state)
{
    bt_autofree char *text = bt_xasprintf("@revoked * %s\nexample.com %s\n", a.line, a.line);
    struct tp_known_hosts *kh = load(text);
    assert_int_equal(check(kh, "example.com", &a, NULL), TP_KH_REVOKED);
    assert_int_equal(check(kh, "[other]:2222", &a, NULL), TP_KH_REVOKED);
    assert_int_equal(check(kh, "example.com", &b, NULL), TP_KH_MISMATCH);
    tp_kh_free(kh);
}

/* A host filed by its ECDSA key is asked for that key type first, as ssh does. */
static void test_ssh_known_hosts_prefers_the_key_types_on_file(void **state)
{
    bt_autofree char *text = bt_xasprintf("example.com %s\n", c.line);
    struct tp_known_hosts *kh = load(text);
    bt_autofree char *known = tp_kh_hostkey_prefs(kh, "example.com");
    bt_autofree char *unknown = tp_kh_hostkey_prefs(kh, "example.org");
    assert_string_equal(known, "ecdsa-sha2-nistp256,ssh-ed25519,ecdsa-sha2-nistp384,"
                               "ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256,ssh-rsa");
    assert_string_equal(unknown, "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"
                                 "ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256,ssh-rsa");
    /* a key of another type is no mismatch: the host is simply not known by it */
    assert_int_equal(check(kh, "example.com", &a, NULL), TP_KH_NOTFOUND);
    tp_kh_free(kh);
}

static void test_ssh_known_hosts_append_creates_and_extends_the_file(void **state)
{
    char dir[] = "/tmp/berth-test-kh-XXXXXX";
    assert_non_null(mkdtemp(dir));
    bt_autofree char *ssh_dir = bt_xasprintf("%s/.ssh", dir);
    bt_autofree char *path = bt_xasprintf("%s/known_hosts", ssh_dir);
    bt_autoerr bt_err *err = NULL;

    struct tp_known_hosts *kh = load("");
    assert_int_equal(
            tp_kh_append(kh, path, "[127.0.0.1]:2222", (const char *)a.blob, a.len, a.type, &err),
            0);
    tp_kh_free(kh);
    struct stat st;
    assert_int_equal(stat(ssh_dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    bt_autofree char *text = read_text(path);
    bt_autofree char *want = bt_xasprintf("[127.0.0.1]:2222 %s\n", a.line);
    assert_string_equal(text, want);

    /* a last line without its newline gets one before the new entry */
    FILE *f = fopen(path, "a");
    fputs("# no newline", f);
    fclose(f);
    kh = tp_kh_load(session, path, &err);
    assert_int_equal(
            tp_kh_append(kh, path, "example.com", (const char *)b.blob, b.len, b.type, &err), 0);
    tp_kh_free(kh);
    bt_autofree char *text2 = read_text(path);
    bt_autofree char *want2 =
            bt_xasprintf("[127.0.0.1]:2222 %s\n# no newline\nexample.com %s\n", a.line, b.line);
    assert_string_equal(text2, want2);
    kh = tp_kh_load(session, path, &err);
    assert_int_equal(check(kh, "[127.0.0.1]:2222", &a, NULL), TP_KH_MATCH);
    assert_int_equal(check(kh, "example.com", &b, NULL), TP_KH_MATCH);
    tp_kh_free(kh);
    unlink(path);
    rmdir(ssh_dir);
    rmdir(dir);
}

static void test_ssh_known_hosts_missing_file_is_empty(void **state)
{
    bt_autoerr bt_err *err = NULL;
    struct tp_known_hosts *kh = tp_kh_load(session, "/nonexistent/known_hosts", &err);
    assert_non_null(kh);
    assert_int_equal(tp_kh_count(kh), 0);
    assert_int_equal(check(kh, "example.com", &a, NULL), TP_KH_NOTFOUND);
    tp_kh_free(kh);
}

static void test_ssh_known_hosts_host_names_as_ssh_files_them(void **state)
{
    bt_autofree char *a22 = tp_kh_host_name("Example.COM", 22);
    bt_autofree char *a0 = tp_kh_host_name("example.com", 0);
    bt_autofree char *a2222 = tp_kh_host_name("127.0.0.1", 2222);
    bt_autofree char *v6 = tp_kh_host_name("::1", 2222);
    assert_string_equal(a22, "example.com");
    assert_string_equal(a0, "example.com");
    assert_string_equal(a2222, "[127.0.0.1]:2222");
    assert_string_equal(v6, "[::1]:2222");
}

static void test_ssh_known_hosts_base64_without_padding(void **state)
{
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *out[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        bt_autofree char *s = tp_base64_nopad((const unsigned char *)in[i], strlen(in[i]));
        assert_string_equal(s, out[i]);
    }
}

static bool encrypted(const char *name)
{
    bt_autofree char *path = bt_xasprintf(DATA "%s", name);
    bt_autofree char *text = read_text(path);
    return tp_key_file_is_encrypted(text, strlen(text));
}

static void test_ssh_known_hosts_key_files_with_passphrases_are_recognised(void **state)
{
    assert_false(encrypted("id-plain"));
    assert_true(encrypted("id-encrypted"));
    assert_false(encrypted("id-pem-plain"));
    assert_true(encrypted("id-pem-encrypted"));
    assert_true(encrypted("id-pkcs8-encrypted"));
    assert_false(encrypted("host-a.pub"));
    assert_false(tp_key_file_is_encrypted("", 0));
    const char *truncated = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA";
    assert_false(tp_key_file_is_encrypted(truncated, strlen(truncated)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_ssh_known_hosts_plain_entries_match_and_mismatch_with_line),
            cmocka_unit_test(test_ssh_known_hosts_hashed_entries),
            cmocka_unit_test(test_ssh_known_hosts_port_22_key_does_not_cover_other_ports),
            cmocka_unit_test(test_ssh_known_hosts_unreadable_lines_are_skipped),
            cmocka_unit_test(test_ssh_known_hosts_revoked_key_is_refused_everywhere),
            cmocka_unit_test(test_ssh_known_hosts_prefers_the_key_types_on_file),
            cmocka_unit_test(test_ssh_known_hosts_append_creates_and_extends_the_file),
            cmocka_unit_test(test_ssh_known_hosts_missing_file_is_empty),
            cmocka_unit_test(test_ssh_known_hosts_host_names_as_ssh_files_them),
            cmocka_unit_test(test_ssh_known_hosts_base64_without_padding),
            cmocka_unit_test(test_ssh_known_hosts_key_files_with_passphrases_are_recognised),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
