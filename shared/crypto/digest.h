/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * SHA-256 digests (nettle) in the OCI form "sha256:<64 lower-case hex>", computed in a stream
 * (layers are hashed while they are downloaded or unpacked, never read twice).
 *
 * A struct bt_sha256 is one running hash; it belongs to one thread. Allocation never fails.
 */
#include <stdbool.h>
#include <stddef.h>

#include "shared/base/cleanup.h"
#include "shared/base/err.h"

#define BT_SHA256_HEX_LEN 64
/* "sha256:" + 64 hex + NUL */
#define BT_DIGEST_STR_SIZE (7 + BT_SHA256_HEX_LEN + 1)

struct bt_sha256;

struct bt_sha256 *bt_sha256_new(void);
void bt_sha256_update(struct bt_sha256 *h, const void *data, size_t len);
/* Finish into out ("sha256:..."); the hash can't be updated afterwards. */
void bt_sha256_final(struct bt_sha256 *h, char out[BT_DIGEST_STR_SIZE]);
void bt_sha256_free(struct bt_sha256 *h);
BT_DEFINE_AUTOPTR(bt_sha256, struct bt_sha256, bt_sha256_free);

/* One-shot digest of a buffer. */
void bt_sha256_digest(const void *data, size_t len, char out[BT_DIGEST_STR_SIZE]);

/* Digest of everything readable from fd until EOF. */
int bt_sha256_fd(int fd, char out[BT_DIGEST_STR_SIZE], bt_err **err);

/* Check a digest string as the OCI image spec and Docker accept it: "sha256:" and 64 lower-case
 * hex digits. Other registered algorithms (sha512) are BT_E_UNSUPPORTED; anything else is
 * BT_E_INVALID "invalid checksum digest format" (go-digest's wording). */
int bt_digest_validate(const char *digest, bt_err **err);

/* The hex part of "sha256:<hex>" (pointer into digest), or NULL when it has no algorithm. */
const char *bt_digest_hex(const char *digest);

/* True for exactly 64 lower-case hex digits: the form of image and container IDs. */
bool bt_is_hex64(const char *s);

/* n random bytes as 2n lower-case hex digits (container IDs are 32 bytes). */
char *bt_random_hex(size_t nbytes);
