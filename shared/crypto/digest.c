/* SPDX-License-Identifier: Apache-2.0 */
#include "shared/crypto/digest.h"

#include <errno.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* nettle rather than OpenSSL: the same speed (both use the CPU's SHA instructions), but
 * OpenSSL 3's EVP layer loads its provider machinery on first use, 2.2 MB of resident memory
 * in every process that hashes once, where nettle's hash costs 0.3 MB. */
struct bt_sha256 {
    struct sha256_ctx ctx;
};

struct bt_sha256 *bt_sha256_new(void)
{
    struct bt_sha256 *h = bt_xmalloc(sizeof(*h));
    sha256_init(&h->ctx);
    return h;
}

void bt_sha256_update(struct bt_sha256 *h, const void *data, size_t len)
{
    if (len)
        sha256_update(&h->ctx, len, data);
}

static void to_digest_string(const unsigned char *md, char out[BT_DIGEST_STR_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    memcpy(out, "sha256:", 7);
    for (int i = 0; i < 32; i++) {
        out[7 + 2 * i] = hex[md[i] >> 4];
        out[7 + 2 * i + 1] = hex[md[i] & 15];
    }
    out[BT_DIGEST_STR_SIZE - 1] = '\0';
}

void bt_sha256_final(struct bt_sha256 *h, char out[BT_DIGEST_STR_SIZE])
{
    unsigned char md[SHA256_DIGEST_SIZE];
    sha256_digest(&h->ctx, sizeof(md), md);
    to_digest_string(md, out);
}

void bt_sha256_free(struct bt_sha256 *h)
{
    free(h);
}

void bt_sha256_digest(const void *data, size_t len, char out[BT_DIGEST_STR_SIZE])
{
    bt_autoptr(bt_sha256) h = bt_sha256_new();
    bt_sha256_update(h, data, len);
    bt_sha256_final(h, out);
}

int bt_sha256_fd(int fd, char out[BT_DIGEST_STR_SIZE], bt_err **err)
{
    bt_autoptr(bt_sha256) h = bt_sha256_new();
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return bt_err_errno(err, errno, "read");
        }
        if (n == 0)
            break;
        bt_sha256_update(h, buf, (size_t)n);
    }
    bt_sha256_final(h, out);
    return 0;
}

static bool all_hex(const char *s, size_t n, bool lower_only)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                  (!lower_only && c >= 'A' && c <= 'F');
        if (!ok)
            return false;
    }
    return true;
}

bool bt_is_hex64(const char *s)
{
    return s && strlen(s) == BT_SHA256_HEX_LEN && all_hex(s, BT_SHA256_HEX_LEN, true);
}

int bt_digest_validate(const char *digest, bt_err **err)
{
    const char *colon = strchr(digest, ':');
    if (!colon || colon == digest || !colon[1])
        return bt_err_set(err, BT_E_INVALID, "invalid checksum digest format");
    size_t alen = (size_t)(colon - digest);
    const char *hex = colon + 1;
    size_t hlen = strlen(hex);
    if (alen == 6 && strncmp(digest, "sha256", 6) == 0) {
        if (hlen != BT_SHA256_HEX_LEN)
            return bt_err_set(err, BT_E_INVALID, "invalid checksum digest length");
        if (!all_hex(hex, hlen, true))
            return bt_err_set(err, BT_E_INVALID, "invalid checksum digest format");
        return 0;
    }
    /* go-digest: an unknown algorithm is "unsupported" when the digest is well-formed
     * (algorithm [a-z0-9] runs joined by [+._-], encoded [a-zA-Z0-9=_-]+), else "invalid". */
    bool well_formed = strchr("+._-", digest[0]) == NULL && strchr("+._-", colon[-1]) == NULL;
    for (size_t i = 0; i < alen && well_formed; i++) {
        char c = digest[i];
        well_formed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      (strchr("+._-", c) && !strchr("+._-", digest[i + 1]));
    }
    for (size_t i = 0; i < hlen && well_formed; i++) {
        char c = hex[i];
        well_formed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '=' || c == '_' || c == '-';
    }
    if (!well_formed)
        return bt_err_set(err, BT_E_INVALID, "invalid checksum digest format");
    return bt_err_set(err, BT_E_UNSUPPORTED, "unsupported digest algorithm");
}

const char *bt_digest_hex(const char *digest)
{
    const char *colon = strchr(digest, ':');
    return colon ? colon + 1 : NULL;
}

char *bt_random_hex(size_t nbytes)
{
    /* The kernel's generator (what OpenSSL seeds from anyway): IDs need no more, and it
     * keeps berthd from starting OpenSSL's random machinery, megabytes of memory, for them. */
    unsigned char *raw = bt_xmalloc(nbytes);
    size_t got = 0;
    while (got < nbytes) {
        ssize_t n = getrandom(raw + got, nbytes - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "fatal: no random bytes from the kernel\n");
            abort();
        }
        got += (size_t)n;
    }
    char *out = bt_xmalloc(2 * nbytes + 1);
    for (size_t i = 0; i < nbytes; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    free(raw);
    return out;
}
