/* SPDX-License-Identifier: Apache-2.0 */
#include "shared/base/base64.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "shared/base/mem.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *bt_base64_encode(const void *data, size_t len)
{
    const unsigned char *in = data;
    char *out = bt_xmalloc((len + 2) / 3 * 4 + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? alphabet[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

static int value_of(char c)
{
    const char *p = c ? strchr(alphabet, c) : NULL;
    return p ? (int)(p - alphabet) : -1;
}

char *bt_base64_decode(const char *text, size_t *len, bt_err **err)
{
    size_t n = strlen(text);
    if (n % 4 != 0) {
        /* Go reports the position where the input ran short */
        bt_err_set(err, BT_E_INVALID, "illegal base64 data at input byte %zu", n - n % 4);
        return NULL;
    }
    char *out = bt_xmalloc(n / 4 * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        size_t pad = 0;
        for (size_t k = 0; k < 4; k++) {
            bool last_quad = i + 4 == n;
            if (text[i + k] == '=' && last_quad && k >= 2 && (k == 3 || text[i + 3] == '=')) {
                v[k] = 0;
                pad++;
                continue;
            }
            v[k] = pad ? -1 : value_of(text[i + k]);
            if (v[k] < 0) {
                free(out);
                bt_err_set(err, BT_E_INVALID, "illegal base64 data at input byte %zu", i + k);
                return NULL;
            }
        }
        unsigned bits =
                (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
        out[o++] = (char)(bits >> 16);
        if (pad < 2)
            out[o++] = (char)(bits >> 8);
        if (pad < 1)
            out[o++] = (char)bits;
    }
    out[o] = '\0';
    *len = o;
    return out;
}
