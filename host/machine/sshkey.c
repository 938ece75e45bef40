/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A machine's SSH key: ed25519 from OpenSSL, written in OpenSSH's formats.
 *
 * The private key is OpenSSH's "openssh-key-v1" (PROTOCOL.key in OpenSSH's sources), which is
 * what libssh2 1.10 needs: its OpenSSL backend loads ed25519 private keys for signing only
 * through its OpenSSH parser (a PKCS#8 "BEGIN PRIVATE KEY" file is refused). Unencrypted, the
 * layout is, with `string` a uint32 big-endian length and the bytes:
 *
 *   "openssh-key-v1\0"
 *   string "none" (cipher)  string "none" (KDF)  string "" (KDF options)  uint32 1 (keys)
 *   string public key:  string "ssh-ed25519"  string pk[32]
 *   string private part:
 *       uint32 check  uint32 check (the same random number twice)
 *       string "ssh-ed25519"  string pk[32]  string sk[64] = seed[32] || pk[32]
 *       string comment
 *       1 2 3 ... padding to a multiple of 8 (the "none" cipher's block size)
 *
 * base64 of it, in lines of 70 characters, between -----BEGIN/END OPENSSH PRIVATE KEY-----.
 * The public line is "ssh-ed25519 BASE64(string "ssh-ed25519" string pk) COMMENT" (RFC 8709).
 */
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "host/machine/crypto-module.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/fs/file.h"

BT_DEFINE_AUTOPTR(evp_pkey, EVP_PKEY, EVP_PKEY_free);

#define KEY_TYPE "ssh-ed25519"

static void put_u32(struct bt_strbuf *b, uint32_t v)
{
    unsigned char be[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                           (unsigned char)(v >> 8), (unsigned char)v};
    bt_strbuf_append_n(b, be, 4);
}

static void put_string(struct bt_strbuf *b, const void *data, size_t len)
{
    put_u32(b, (uint32_t)len);
    bt_strbuf_append_n(b, data, len);
}

static void put_cstring(struct bt_strbuf *b, const char *s)
{
    put_string(b, s, strlen(s));
}

static char *base64(const void *data, size_t len)
{
    char *out = bt_xmalloc(4 * ((len + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

/* string "ssh-ed25519" string pk: the public key blob of RFC 8709 */
static void public_blob(struct bt_strbuf *b, const unsigned char pk[32])
{
    put_cstring(b, KEY_TYPE);
    put_string(b, pk, 32);
}

static int private_file(const unsigned char pk[32], const unsigned char seed[32],
                        const char *comment, struct bt_strbuf *pem, bt_err **err)
{
    uint32_t check;
    if (RAND_bytes((unsigned char *)&check, sizeof(check)) != 1)
        return mcrypto_err(err, "random check number");
    bt_autostrbuf struct bt_strbuf pub = BT_STRBUF_INIT;
    public_blob(&pub, pk);
    bt_autostrbuf struct bt_strbuf priv = BT_STRBUF_INIT;
    put_u32(&priv, check);
    put_u32(&priv, check);
    public_blob(&priv, pk);
    unsigned char sk[64];
    memcpy(sk, seed, 32);
    memcpy(sk + 32, pk, 32);
    put_string(&priv, sk, sizeof(sk));
    OPENSSL_cleanse(sk, sizeof(sk));
    put_cstring(&priv, comment);
    for (unsigned char pad = 1; priv.len % 8; pad++)
        bt_strbuf_append_c(&priv, (char)pad);

    bt_autostrbuf struct bt_strbuf blob = BT_STRBUF_INIT;
    bt_strbuf_append_n(&blob, "openssh-key-v1", sizeof("openssh-key-v1")); /* with its NUL */
    put_cstring(&blob, "none");
    put_cstring(&blob, "none");
    put_cstring(&blob, "");
    put_u32(&blob, 1);
    put_string(&blob, pub.buf, pub.len);
    put_string(&blob, priv.buf, priv.len);
    OPENSSL_cleanse(priv.buf, priv.len);

    bt_autofree char *b64 = base64(blob.buf, blob.len);
    OPENSSL_cleanse(blob.buf, blob.len);
    bt_strbuf_append(pem, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
    for (size_t i = 0, n = strlen(b64); i < n; i += 70) {
        bt_strbuf_append_n(pem, b64 + i, n - i < 70 ? n - i : 70);
        bt_strbuf_append_c(pem, '\n');
    }
    bt_strbuf_append(pem, "-----END OPENSSH PRIVATE KEY-----\n");
    OPENSSL_cleanse(b64, strlen(b64));
    return 0;
}

int mcrypto_sshkey_generate(const char *dir, const char *comment, bt_err **err)
{
    bt_autoptr(evp_pkey) key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (!key)
        return mcrypto_err(err, "generate an ed25519 key");
    unsigned char pk[32], seed[32];
    size_t pk_len = sizeof(pk), seed_len = sizeof(seed);
    if (EVP_PKEY_get_raw_public_key(key, pk, &pk_len) != 1 ||
        EVP_PKEY_get_raw_private_key(key, seed, &seed_len) != 1 || pk_len != 32 || seed_len != 32)
        return mcrypto_err(err, "ed25519 key");
    bt_autostrbuf struct bt_strbuf pem = BT_STRBUF_INIT;
    int rc = private_file(pk, seed, comment, &pem, err);
    OPENSSL_cleanse(seed, sizeof(seed));
    bt_autofree char *priv_path = bt_xasprintf("%s/id_ed25519", dir);
    if (rc == 0)
        rc = bt_file_write_atomic(priv_path, pem.buf, pem.len, 0600, err);
    OPENSSL_cleanse(pem.buf, pem.len);
    if (rc < 0)
        return bt_err_wrap(err, "SSH key in \"%s\"", dir);

    bt_autostrbuf struct bt_strbuf blob = BT_STRBUF_INIT;
    public_blob(&blob, pk);
    bt_autofree char *b64 = base64(blob.buf, blob.len);
    bt_autofree char *line = bt_xasprintf(KEY_TYPE " %s %s\n", b64, comment);
    bt_autofree char *pub_path = bt_xasprintf("%s/id_ed25519.pub", dir);
    if (bt_file_write_atomic(pub_path, line, strlen(line), 0644, err) < 0)
        return bt_err_wrap(err, "SSH key in \"%s\"", dir);
    return 0;
}
