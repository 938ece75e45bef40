/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Base64 (RFC 4648's standard alphabet, with padding), as Go's base64.StdEncoding writes it:
 * the form of the X-Docker-Container-Path-Stat header and of registry credentials.
 * Returned buffers are the caller's.
 */
#include <stddef.h>

#include "shared/base/err.h"

/* Encode len bytes; a NUL-terminated string. */
char *bt_base64_encode(const void *data, size_t len);

/* Decode text (padding required, as Go's StdEncoding; no whitespace). Returns a buffer with a
 * NUL after the *len bytes, or NULL with BT_E_INVALID "illegal base64 data at input byte N". */
char *bt_base64_decode(const char *text, size_t *len, bt_err **err);
