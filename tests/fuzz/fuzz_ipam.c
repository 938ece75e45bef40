/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Subnets, gateways, ranges (`docker network create --subnet --gateway --ip-range`), `--ip`
 * and `--mac-address` come from the user. The input is lines: subnet, gateway, ip-range, then
 * addresses to reserve ("a" allocates, "-ADDR" releases). Whatever they say, an address handed
 * out is in the subnet, never its network, broadcast or gateway address, never handed out
 * twice, and a MAC that parses prints back as it was written (in lower case).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/network/ipam.h"
#include "guest/engine/network/netdev.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_special(const struct net_ipam *p, uint32_t a)
{
    uint32_t mask = 0xffffffffu << (32 - net_ipam_prefix_len(p));
    uint32_t net = net_ipam_subnet(p);
    return a == net || a == (net | ~mask) || a == net_ipam_gateway(p);
}

static bool in_subnet(const struct net_ipam *p, uint32_t a)
{
    return (a & (0xffffffffu << (32 - net_ipam_prefix_len(p)))) == net_ipam_subnet(p);
}

static void run_op(struct net_ipam *p, const char *op)
{
    uint32_t a;
    if (strcmp(op, "a") == 0) {
        if (net_ipam_alloc(p, &a, NULL) < 0)
            return;
        if (!in_subnet(p, a) || is_special(p, a) || !net_ipam_in_use(p, a))
            abort();
        /* what was just handed out cannot be reserved again */
        if (net_ipam_reserve(p, a, NULL) == 0)
            abort();
    } else if (op[0] == '-' && net_ip_parse(op + 1, &a, NULL) == 0) {
        net_ipam_release(p, a);
        if (net_ipam_in_use(p, a) && !is_special(p, a))
            abort();
    } else if (net_ip_parse(op, &a, NULL) == 0 && net_ipam_reserve(p, a, NULL) == 0) {
        if (!in_subnet(p, a) || is_special(p, a) || !net_ipam_in_use(p, a))
            abort();
    }
}

static void check_mac(const char *s)
{
    uint8_t mac[6];
    char back[18];
    if (net_mac_parse(s, mac, NULL) < 0)
        return;
    net_mac_format(mac, back);
    for (size_t i = 0; i < 17; i++)
        if (back[i] != tolower((unsigned char)s[i]))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    bt_autofree char *s = bt_xstrndup((const char *)data, size);
    char *lines[64];
    size_t n = 0;
    for (char *save = NULL, *l = strtok_r(s, "\n", &save); l && n < 64;
         l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    if (n == 0)
        return 0;
    check_mac(lines[0]);
    bt_autoerr bt_err *err = NULL;
    struct net_ipam *p =
            net_ipam_new(lines[0], n > 1 ? lines[1] : NULL, n > 2 ? lines[2] : NULL, &err);
    if (!p) {
        if (!err || !*bt_err_msg(err))
            abort();
        return 0;
    }
    for (size_t i = 3; i < n; i++)
        run_op(p, lines[i]);
    net_ipam_free(p);
    return 0;
}
