/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The machines' certificates and SSH keys, made by the real lib/berth/machine-crypto.so and
 * checked with OpenSSL: the chain verifies (X509_verify_cert with the CA), the SANs, key
 * usages and lifetimes are docker-machine's, keys are private, the `openssl verify` program
 * agrees, and the SSH key is a well-formed OpenSSH key that ssh-keygen reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "host/machine/certs.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"

BT_DEFINE_AUTOPTR(x509, X509, X509_free);

struct fixture {
    char *dir, *certs, *machine;
};

static int setup(void **state)
{
    struct fixture *f = bt_xzalloc(sizeof(*f));
    f->dir = bt_xstrdup("/tmp/mch-certs-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    f->certs = bt_xasprintf("%s/certs", f->dir);
    f->machine = bt_xasprintf("%s/machines/dev", f->dir);
    bt_mkdir_p(f->machine, 0700, NULL);
    setenv("BERTH_LIB_DIR", MACHINE_CRYPTO_DIR, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    bt_rm_rf(f->dir, NULL);
    free(f->dir);
    free(f->certs);
    free(f->machine);
    free(f);
    return 0;
}

static X509 *load_cert(const char *dir, const char *file)
{
    bt_autofree char *path = bt_xasprintf("%s/%s", dir, file);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    X509 *x = PEM_read_X509(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(x);
    return x;
}

static char *read_text(const char *dir, const char *file)
{
    bt_autofree char *path = bt_xasprintf("%s/%s", dir, file);
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    assert_int_equal(bt_file_read(path, &sb, 0, NULL), 0);
    return bt_strbuf_steal(&sb);
}

static int file_mode(const char *dir, const char *file)
{
    bt_autofree char *path = bt_xasprintf("%s/%s", dir, file);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 0777;
}

/* X509_verify_cert of leaf against ca for a purpose, optionally for a name or an IP. */
static int verify(X509 *ca, X509 *leaf, int purpose, const char *host, const char *ip)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_add_cert(store, ca);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, leaf, NULL);
    X509_STORE_CTX_set_purpose(ctx, purpose);
    X509_VERIFY_PARAM *p = X509_STORE_CTX_get0_param(ctx);
    if (host)
        X509_VERIFY_PARAM_set1_host(p, host, 0);
    if (ip)
        X509_VERIFY_PARAM_set1_ip_asc(p, ip);
    int ok = X509_verify_cert(ctx);
    int e = X509_STORE_CTX_get_error(ctx);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return ok == 1 ? X509_V_OK : (e ? e : -1);
}

static char *subject(X509 *x)
{
    char buf[256];
    X509_NAME_oneline(X509_get_subject_name(x), buf, sizeof(buf));
    return bt_xstrdup(buf);
}

static void check_lifetime(X509 *x)
{
    int days, secs;
    assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)),
                     1);
    assert_int_equal(days, 1080);
    assert_int_equal(secs, 0);
    /* valid since at least 5 minutes ago (a VM's clock may lag) */
    time_t t = time(NULL) - 5 * 60 + 1;
    assert_true(X509_cmp_time(X509_get0_notBefore(x), &t) < 0);
}

static void test_machine_certs_bootstrap_ca_and_client(void **state)
{
    struct fixture *f = *state;
    bt_autoerr bt_err *err = NULL;
    if (machine_certs_bootstrap(f->certs, "alice", false, &err) < 0)
        fail_msg("%s", bt_err_msg(err));
    assert_int_equal(file_mode(f->certs, "ca-key.pem"), 0600);
    assert_int_equal(file_mode(f->certs, "key.pem"), 0600);
    assert_int_equal(file_mode(f->certs, "ca.pem"), 0644);
    bt_autoptr(x509) ca = load_cert(f->certs, "ca.pem");
    bt_autoptr(x509) client = load_cert(f->certs, "cert.pem");
    bt_autofree char *ca_subject = subject(ca);
    assert_string_equal(ca_subject, "/O=berth/CN=alice");
    bt_autofree char *client_subject = subject(client);
    assert_string_equal(client_subject, "/O=berth/CN=alice.<bootstrap>");
    assert_int_equal(X509_check_ca(ca), 1);
    assert_true(X509_get_key_usage(ca) & KU_KEY_CERT_SIGN);
    assert_int_equal(X509_check_ca(client), 0);
    assert_int_equal(X509_get_extended_key_usage(client), XKU_SSL_CLIENT);
    assert_int_equal(EVP_PKEY_get_base_id(X509_get0_pubkey(ca)), EVP_PKEY_EC);
    check_lifetime(ca);
    check_lifetime(client);
    assert_int_equal(verify(ca, client, X509_PURPOSE_SSL_CLIENT, NULL, NULL), X509_V_OK);
    /* a client certificate is no server's */
    assert_int_not_equal(verify(ca, client, X509_PURPOSE_SSL_SERVER, NULL, NULL), X509_V_OK);

    /* made once: a second bootstrap keeps them, regenerate makes them anew */
    bt_autofree char *before = read_text(f->certs, "ca.pem");
    bt_autofree char *before_client = read_text(f->certs, "cert.pem");
    assert_int_equal(machine_certs_bootstrap(f->certs, "alice", false, &err), 0);
    bt_autofree char *same = read_text(f->certs, "ca.pem");
    assert_string_equal(before, same);
    assert_int_equal(machine_certs_bootstrap(f->certs, "alice", true, &err), 0);
    bt_autofree char *after = read_text(f->certs, "ca.pem");
    bt_autofree char *after_client = read_text(f->certs, "cert.pem");
    assert_string_not_equal(before, after);
    assert_string_not_equal(before_client, after_client);
    /* a missing client certificate alone is made again under the same CA */
    bt_autofree char *client_path = bt_xasprintf("%s/cert.pem", f->certs);
    unlink(client_path);
    assert_int_equal(machine_certs_bootstrap(f->certs, "alice", false, &err), 0);
    bt_autofree char *kept = read_text(f->certs, "ca.pem");
    assert_string_equal(after, kept);
    bt_autoptr(x509) ca2 = load_cert(f->certs, "ca.pem");
    bt_autoptr(x509) client2 = load_cert(f->certs, "cert.pem");
    assert_int_equal(verify(ca2, client2, X509_PURPOSE_SSL_CLIENT, NULL, NULL), X509_V_OK);
}

static void test_machine_certs_server_names_and_chain(void **state)
{
    struct fixture *f = *state;
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(machine_certs_bootstrap(f->certs, "alice", false, &err), 0);
    if (machine_certs_issue_server(f->certs, f->machine, "dev", "192.168.99.100", NULL, "alice",
                                   &err) < 0)
        fail_msg("%s", bt_err_msg(err));
    assert_int_equal(file_mode(f->machine, "server-key.pem"), 0600);
    assert_int_equal(file_mode(f->machine, "key.pem"), 0600);
    /* DOCKER_CERT_PATH holds the client's files as they are in certs/ */
    const char *copies[] = {"ca.pem", "cert.pem", "key.pem"};
    for (int i = 0; i < 3; i++) {
        bt_autofree char *a = read_text(f->certs, copies[i]);
        bt_autofree char *b = read_text(f->machine, copies[i]);
        assert_string_equal(a, b);
    }
    bt_autoptr(x509) ca = load_cert(f->machine, "ca.pem");
    bt_autoptr(x509) server = load_cert(f->machine, "server.pem");
    bt_autofree char *subj = subject(server);
    assert_string_equal(subj, "/O=berth/CN=alice.dev");
    check_lifetime(server);
    assert_int_equal(X509_get_extended_key_usage(server), XKU_SSL_SERVER);
    assert_true(X509_get_key_usage(server) & KU_DIGITAL_SIGNATURE);
    assert_int_equal(verify(ca, server, X509_PURPOSE_SSL_SERVER, NULL, "192.168.99.100"),
                     X509_V_OK);
    assert_int_equal(verify(ca, server, X509_PURPOSE_SSL_SERVER, NULL, "127.0.0.1"), X509_V_OK);
    assert_int_equal(verify(ca, server, X509_PURPOSE_SSL_SERVER, "dev", NULL), X509_V_OK);
    assert_int_equal(verify(ca, server, X509_PURPOSE_SSL_SERVER, "localhost", NULL), X509_V_OK);
    assert_int_equal(verify(ca, server, X509_PURPOSE_SSL_SERVER, NULL, "192.168.99.101"),
                     X509_V_ERR_IP_ADDRESS_MISMATCH);
    assert_int_equal(verify(ca, server, X509_PURPOSE_SSL_SERVER, "other", NULL),
                     X509_V_ERR_HOSTNAME_MISMATCH);
    assert_int_not_equal(verify(ca, server, X509_PURPOSE_SSL_CLIENT, NULL, NULL), X509_V_OK);

    bool ok;
    bt_autofree char *why = NULL;
    assert_int_equal(machine_certs_server_ok(f->machine, "192.168.99.100", &ok, &why, &err), 0);
    assert_true(ok);
    assert_int_equal(machine_certs_server_ok(f->machine, "192.168.99.7", &ok, &why, &err), 0);
    assert_false(ok);
    assert_string_equal(why, "x509: certificate is not valid for 192.168.99.7");
    free(why);
    why = NULL;
    /* a new CA (regenerate-certs --client-certs) no longer signs the old server certificate */
    assert_int_equal(machine_certs_bootstrap(f->certs, "alice", true, &err), 0);
    bt_autofree char *new_ca = read_text(f->certs, "ca.pem");
    bt_autofree char *ca_copy = bt_xasprintf("%s/ca.pem", f->machine);
    assert_int_equal(bt_file_write_atomic(ca_copy, new_ca, strlen(new_ca), 0644, NULL), 0);
    assert_int_equal(machine_certs_server_ok(f->machine, "192.168.99.100", &ok, &why, &err), 0);
    assert_false(ok);
    assert_string_equal(why, "x509: certificate signed by unknown authority");
    /* re-issued, it is fine again */
    assert_int_equal(machine_certs_issue_server(f->certs, f->machine, "dev", "192.168.99.100", NULL,
                                                "alice", &err),
                     0);
    free(why);
    why = NULL;
    assert_int_equal(machine_certs_server_ok(f->machine, "192.168.99.100", &ok, &why, &err), 0);
    assert_true(ok);
}

static void test_machine_certs_openssl_cli_agrees(void **state)
{
    struct fixture *f = *state;
    if (system("command -v openssl >/dev/null 2>&1") != 0)
        skip();
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(machine_certs_bootstrap(f->certs, "alice", false, &err), 0);
    assert_int_equal(machine_certs_issue_server(f->certs, f->machine, "dev", "192.168.99.100", NULL,
                                                "alice", &err),
                     0);
    bt_autofree char *ok = bt_xasprintf("cd %s && openssl verify -CAfile ca.pem -purpose "
                                        "sslserver -verify_ip 192.168.99.100 server.pem | grep "
                                        "-qx 'server.pem: OK'",
                                        f->machine);
    assert_int_equal(system(ok), 0);
    bt_autofree char *client = bt_xasprintf("cd %s && openssl verify -CAfile ca.pem -purpose "
                                            "sslclient cert.pem | grep -qx 'cert.pem: OK'",
                                            f->machine);
    assert_int_equal(system(client), 0);
    bt_autofree char *wrong = bt_xasprintf("cd %s && openssl verify -CAfile ca.pem -purpose "
                                           "sslserver -verify_ip 10.0.0.1 server.pem >/dev/null "
                                           "2>&1",
                                           f->machine);
    assert_int_not_equal(system(wrong), 0);
    /* and the key belongs to the certificate */
    bt_autofree char *pair =
            bt_xasprintf("cd %s && test \"$(openssl x509 -noout -pubkey -in server.pem)\" = "
                         "\"$(openssl pkey -pubout -in server-key.pem)\"",
                         f->machine);
    assert_int_equal(system(pair), 0);
}

/* ---- SSH keys ---- */

struct reader {
    const unsigned char *p;
    size_t left;
};

static uint32_t get_u32(struct reader *r)
{
    assert_true(r->left >= 4);
    uint32_t v =
            (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
    r->p += 4;
    r->left -= 4;
    return v;
}

static const unsigned char *get_string(struct reader *r, size_t *len)
{
    *len = get_u32(r);
    assert_true(r->left >= *len);
    const unsigned char *s = r->p;
    r->p += *len;
    r->left -= *len;
    return s;
}

static void expect_sshstr(struct reader *r, const char *want)
{
    size_t len;
    const unsigned char *s = get_string(r, &len);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(s, want, len);
}

/* The base64 between the armour lines, decoded. */
static unsigned char *decode_armour(const char *pem, const char *label, size_t *len)
{
    bt_autofree char *begin = bt_xasprintf("-----BEGIN %s-----\n", label);
    bt_autofree char *end = bt_xasprintf("-----END %s-----\n", label);
    assert_int_equal(strncmp(pem, begin, strlen(begin)), 0);
    const char *body = pem + strlen(begin);
    const char *stop = strstr(body, end);
    assert_non_null(stop);
    assert_string_equal(stop, end);
    bt_autostrbuf struct bt_strbuf b64 = BT_STRBUF_INIT;
    for (const char *p = body; p < stop;) {
        const char *nl = strchr(p, '\n');
        assert_true(nl - p <= 70);
        bt_strbuf_append_n(&b64, p, (size_t)(nl - p));
        p = nl + 1;
    }
    unsigned char *out = bt_xmalloc(b64.len);
    int n = EVP_DecodeBlock(out, (const unsigned char *)b64.buf, (int)b64.len);
    assert_true(n > 0);
    /* EVP_DecodeBlock counts the padding's zero bytes */
    *len = (size_t)n - (b64.len >= 2 && b64.buf[b64.len - 1] == '=') -
           (b64.len >= 2 && b64.buf[b64.len - 2] == '=');
    return out;
}

static void test_machine_certs_ssh_key_is_openssh_format(void **state)
{
    struct fixture *f = *state;
    bt_autoerr bt_err *err = NULL;
    if (machine_sshkey_generate(f->machine, "berth@dev", &err) < 0)
        fail_msg("%s", bt_err_msg(err));
    assert_int_equal(file_mode(f->machine, "id_ed25519"), 0600);
    bt_autofree char *pem = read_text(f->machine, "id_ed25519");
    bt_autofree char *pub = read_text(f->machine, "id_ed25519.pub");

    size_t len;
    bt_autofree unsigned char *blob = decode_armour(pem, "OPENSSH PRIVATE KEY", &len);
    struct reader r = {blob, len};
    assert_true(len > 15);
    assert_memory_equal(blob, "openssh-key-v1", 15);
    r.p += 15;
    r.left -= 15;
    expect_sshstr(&r, "none");
    expect_sshstr(&r, "none");
    expect_sshstr(&r, "");
    assert_int_equal(get_u32(&r), 1);
    size_t publen;
    const unsigned char *pubblob = get_string(&r, &publen);
    struct reader pr = {pubblob, publen};
    expect_sshstr(&pr, "ssh-ed25519");
    size_t pklen;
    const unsigned char *pk = get_string(&pr, &pklen);
    assert_int_equal(pklen, 32);
    assert_int_equal(pr.left, 0);
    size_t privlen;
    const unsigned char *priv = get_string(&r, &privlen);
    assert_int_equal(r.left, 0);
    assert_int_equal(privlen % 8, 0);
    struct reader s = {priv, privlen};
    assert_int_equal(get_u32(&s), get_u32(&(struct reader){priv + 4, 4}));
    get_u32(&s);
    expect_sshstr(&s, "ssh-ed25519");
    size_t pk2len, sklen;
    const unsigned char *pk2 = get_string(&s, &pk2len);
    assert_int_equal(pk2len, 32);
    assert_memory_equal(pk2, pk, 32);
    const unsigned char *sk = get_string(&s, &sklen);
    assert_int_equal(sklen, 64);
    assert_memory_equal(sk + 32, pk, 32);
    expect_sshstr(&s, "berth@dev");
    for (unsigned char i = 1; s.left; i++, s.p++, s.left--)
        assert_int_equal(*s.p, i);
    /* the seed is the private key of that public key */
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, 32);
    assert_non_null(k);
    unsigned char derived[32];
    size_t dlen = sizeof(derived);
    assert_int_equal(EVP_PKEY_get_raw_public_key(k, derived, &dlen), 1);
    EVP_PKEY_free(k);
    assert_memory_equal(derived, pk, 32);

    /* the .pub line: ssh-ed25519 BASE64(public blob) comment */
    unsigned char b64[128];
    EVP_EncodeBlock(b64, pubblob, (int)publen);
    bt_autofree char *want = bt_xasprintf("ssh-ed25519 %s berth@dev\n", b64);
    assert_string_equal(pub, want);

    /* OpenSSH's own tools read it and derive the same public key */
    if (system("command -v ssh-keygen >/dev/null 2>&1") == 0) {
        bt_autofree char *cmd = bt_xasprintf(
                "test \"$(ssh-keygen -y -f %s/id_ed25519 | cut -d' ' -f1,2)\" = \"$(cut -d' ' "
                "-f1,2 %s/id_ed25519.pub)\"",
                f->machine, f->machine);
        assert_int_equal(system(cmd), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_machine_certs_bootstrap_ca_and_client, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_machine_certs_server_names_and_chain, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_machine_certs_openssl_cli_agrees, setup, teardown),
            cmocka_unit_test_setup_teardown(test_machine_certs_ssh_key_is_openssh_format, setup,
                                            teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
