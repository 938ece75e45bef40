/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * UTF-8, decoded strictly (as Go's utf8.DecodeRune and XML parsers take it): no overlong forms,
 * no surrogates, nothing above U+10FFFF. Callers add their own rules (printable, XML chars).
 */
#include <stddef.h>
#include <stdint.h>

/* The length (1 to 4) of the valid UTF-8 sequence at s, of which at most n bytes may be read,
 * with its code point in *cp (may be NULL); 0 when the bytes are not valid UTF-8. */
size_t bt_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
