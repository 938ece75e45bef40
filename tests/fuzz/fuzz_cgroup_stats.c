/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The statistics parsers of `docker stats` on any text: the kernel writes these files, but a
 * container can shape some of them (interface names in its own network namespace reach
 * /proc/<pid>/net/dev). The first byte picks the parser, the rest is the file. None may read
 * or write memory it does not own, and every entry it returns must be well formed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/runtime/cgroup.h"
#include "shared/base/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *text = bt_xstrndup((const char *)data + 1, size - 1);
    uint64_t v;
    uint32_t online;
    switch (data[0] % 6) {
    case 0: {
        struct rt_kv *kv;
        size_t n;
        rt_stats_parse_kv(text, &kv, &n);
        for (size_t i = 0; i < n; i++)
            if (!kv[i].key[0])
                abort();
        rt_kv_free(kv, n);
        break;
    }
    case 1: {
        uint64_t *u;
        size_t n;
        rt_stats_parse_u64s(text, &u, &n);
        free(u);
        break;
    }
    case 2: {
        struct rt_blkio *b = NULL;
        size_t n = 0;
        rt_stats_parse_blkio_v1(text, &b, &n);
        rt_stats_parse_io_stat(text, &b, &n);
        for (size_t i = 0; i < n; i++)
            if (!b[i].op[0])
                abort();
        rt_blkio_free(b, n);
        break;
    }
    case 3: {
        struct rt_netdev *d;
        size_t n;
        rt_stats_parse_net_dev(text, &d, &n);
        for (size_t i = 0; i < n; i++)
            if (strnlen(d[i].name, sizeof(d[i].name)) == sizeof(d[i].name) ||
                strcmp(d[i].name, "lo") == 0)
                abort();
        free(d);
        break;
    }
    case 4:
        rt_stats_parse_proc_stat(text, 100, &v, &online);
        break;
    default:
        rt_stats_parse_limit(text, &v);
        break;
    }
    free(text);
    return 0;
}
