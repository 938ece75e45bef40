/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a client's network requests put in front of the engine's network module: the first
 * byte picks the input, the rest is it.
 *   0: a subnet, a gateway and an IP range (NUL-separated) through the IPAM's parsers and
 *      allocator: an allocator made from them hands out addresses inside the pool only;
 *   1: a port key ("80/tcp") and a HostPort ("8000-8010"), NUL-separated.
 * Each either succeeds or fails with a message; none may touch memory it does not own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/network/ipam.h"
#include "guest/engine/network/network-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the NUL-separated fields of the input (at most n; missing ones are "") */
static void fields(const char *text, size_t len, const char **out, size_t n)
{
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = at < len ? text + at : "";
        at += strlen(out[i]) + 1;
    }
}

static void ipam(const char *subnet, const char *gateway, const char *range)
{
    bt_err *err = NULL;
    struct net_ipam *p = net_ipam_new(subnet, gateway, range, &err);
    if (!p) {
        if (!err || !*bt_err_msg(err))
            abort();
        bt_err_free(err);
        return;
    }
    uint32_t sub = net_ipam_subnet(p);
    int len = net_ipam_prefix_len(p);
    uint32_t mask = len ? ~0u << (32 - len) : 0;
    for (int i = 0; i < 64; i++) {
        uint32_t a;
        bt_err *e = NULL;
        if (net_ipam_alloc(p, &a, &e) < 0) {
            bt_err_free(e);
            break;
        }
        if ((a & mask) != sub || a == net_ipam_gateway(p) || a == sub || a == (sub | ~mask))
            abort();
    }
    net_ipam_free(p);
}

static void ports(const char *key, const char *host)
{
    struct net_port_key k;
    bt_err *err = NULL;
    if (net_port_key_parse(key, &k, &err) == 0) {
        if (k.port == 0)
            abort();
    } else {
        bt_err_free(err);
        err = NULL;
    }
    uint16_t lo, hi;
    if (net_host_ports_parse(host, &lo, &hi, &err) == 0) {
        if (lo > hi)
            abort();
    } else {
        bt_err_free(err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    size_t len = size - 1;
    bt_autofree char *text = bt_xmalloc(len + 1);
    memcpy(text, data + 1, len);
    text[len] = '\0';
    const char *f[3];
    fields(text, len, f, 3);
    if (data[0] % 2 == 0)
        ipam(f[0], f[1], f[2]);
    else
        ports(f[0], f[1]);
    return 0;
}
