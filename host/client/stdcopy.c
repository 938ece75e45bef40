/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The multiplexed stream of attach, logs and exec without a TTY (Docker's stdcopy): frames of
 * an 8-byte header {stream, 0, 0, 0, size as 32-bit big endian} and size bytes of payload.
 */
#include "host/client/client.h"

int cl_demux_feed(struct cl_demux *d, const char *data, size_t len,
                  int (*out)(void *arg, int stream, const char *p, size_t n), void *arg,
                  bt_err **err)
{
    while (len) {
        if (d->remain == 0) {
            size_t need = sizeof(d->head) - d->head_len;
            size_t n = len < need ? len : need;
            for (size_t i = 0; i < n; i++)
                d->head[d->head_len + i] = (unsigned char)data[i];
            d->head_len += n;
            data += n;
            len -= n;
            if (d->head_len < sizeof(d->head))
                return 0;
            d->head_len = 0;
            if (d->head[0] > 3)
                return bt_err_set(err, BT_E_CORRUPT, "Unrecognized input header: %d", d->head[0]);
            d->stream = d->head[0];
            d->remain = (uint32_t)d->head[4] << 24 | (uint32_t)d->head[5] << 16 |
                        (uint32_t)d->head[6] << 8 | d->head[7];
            continue;
        }
        size_t n = len < d->remain ? len : d->remain;
        if (out(arg, d->stream, data, n) < 0)
            return -1;
        d->remain -= (uint32_t)n;
        data += n;
        len -= n;
    }
    return 0;
}
