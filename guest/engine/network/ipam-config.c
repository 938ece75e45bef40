/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The IPAM configuration of a network create, checked as dockerd 28 checks it before anything
 * else (api/types/network's ValidateIPAM): every subnet, IPv4 and IPv6, as Go's
 * netip.ParsePrefix reads it; then, for each subnet of an enabled family, host bits, the
 * ip-range, the gateway and the auxiliary addresses against it. Addresses are compared as
 * 4 or 16 bytes, so IPv6 follows the same rules as IPv4.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/network/ipam.h"
#include "guest/engine/network/network.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

struct prefix {
    int family; /* 4 or 6 (an IPv4-mapped IPv6 address is 6, as netip's Is6) */
    uint8_t a[16];
    int bits;
};

static int addr_len(int family)
{
    return family == 4 ? 4 : 16;
}

/* netip.ParseAddr without zones: the family, or 0 */
static int parse_addr(const char *s, uint8_t a[16])
{
    if (inet_pton(AF_INET, s, a) == 1)
        return 4;
    return inet_pton(AF_INET6, s, a) == 1 ? 6 : 0;
}

/* netip.ParsePrefix: ADDR/BITS, BITS decimal without leading zeros and within the family's */
static bool parse_prefix(const char *s, struct prefix *p)
{
    memset(p, 0, sizeof(*p));
    const char *slash = strrchr(s, '/');
    if (!slash || slash - s >= 64)
        return false;
    char addr[64];
    memcpy(addr, s, (size_t)(slash - s));
    addr[slash - s] = '\0';
    if (!(p->family = parse_addr(addr, p->a)))
        return false;
    const char *b = slash + 1;
    size_t n = strspn(b, "0123456789");
    if (n == 0 || n > 3 || b[n] || (n > 1 && b[0] == '0'))
        return false;
    p->bits = atoi(b);
    return p->bits <= addr_len(p->family) * 8;
}

static struct prefix masked(const struct prefix *p)
{
    struct prefix m = *p;
    for (int i = 0; i < addr_len(p->family); i++) {
        int keep = p->bits - i * 8;
        m.a[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
    }
    return m;
}

/* netip.Prefix.String(): the address as parsed, canonical */
static char *prefix_str(const struct prefix *p)
{
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->a, buf, sizeof(buf));
    return bt_xasprintf("%s/%d", buf, p->bits);
}

static bool same_net(const struct prefix *p, const uint8_t a[16], int bits)
{
    struct prefix x = *p, y = *p;
    memcpy(y.a, a, 16);
    x.bits = y.bits = bits;
    return memcmp(masked(&x).a, masked(&y).a, (size_t)addr_len(p->family)) == 0;
}

static const char *family_name(int family)
{
    return family == 4 ? "IPv4" : "IPv6";
}

struct errs {
    char *msg[32];
    size_t n;
};

static void add(struct errs *e, char *msg)
{
    if (e->n < sizeof(e->msg) / sizeof(e->msg[0]))
        e->msg[e->n++] = msg;
    else
        free(msg);
}

static void check_range(struct errs *e, const char *range, const struct prefix *subnet)
{
    struct prefix r;
    if (!parse_prefix(range, &r)) {
        add(e, bt_xasprintf("invalid ip-range %s: invalid CIDR block notation", range));
        return;
    }
    if (r.family != subnet->family) {
        add(e, bt_xasprintf("invalid ip-range %s: parent subnet is an %s block", range,
                            family_name(subnet->family)));
        return;
    }
    char *sub = prefix_str(subnet);
    if (r.bits < subnet->bits)
        add(e, bt_xasprintf("invalid ip-range %s: CIDR block is bigger than its parent subnet %s",
                            range, sub));
    struct prefix rm = masked(&r);
    if (memcmp(rm.a, r.a, 16) != 0) {
        char *have = prefix_str(&r), *want = prefix_str(&rm);
        add(e, bt_xasprintf("invalid ip-range %s: it should be %s", have, want));
        free(have);
        free(want);
    }
    if (!same_net(subnet, r.a, r.bits < subnet->bits ? r.bits : subnet->bits))
        add(e, bt_xasprintf("invalid ip-range %s: parent subnet %s doesn't contain ip-range", range,
                            sub));
    free(sub);
}

/* validateAddress: NULL when address fits the subnet, else the reason */
static char *address_problem(const char *address, const struct prefix *subnet)
{
    uint8_t a[16] = {0};
    int family = parse_addr(address, a);
    if (!family)
        return bt_xstrdup("invalid address");
    if (family != subnet->family)
        return bt_xasprintf("parent subnet is an %s block", family_name(subnet->family));
    if (same_net(subnet, a, subnet->bits))
        return NULL;
    char *sub = prefix_str(subnet);
    char *out = bt_xasprintf("parent subnet %s doesn't contain this address", sub);
    free(sub);
    return out;
}

static void check_config(struct errs *e, const json_t *cfg, bool enable_ipv6)
{
    const char *subnet = bt_json_get_str(cfg, "Subnet", "");
    struct prefix p;
    if (!parse_prefix(subnet, &p)) {
        add(e, bt_xasprintf("invalid subnet %s: invalid CIDR block notation", subnet));
        return;
    }
    if (p.family == 6 && !enable_ipv6)
        return;
    struct prefix m = masked(&p);
    if (memcmp(m.a, p.a, 16) != 0) {
        char *have = prefix_str(&p), *want = prefix_str(&m);
        add(e, bt_xasprintf("invalid subnet %s: it should be %s", have, want));
        free(have);
        free(want);
    }
    const char *range = bt_json_get_str(cfg, "IPRange", "");
    if (*range)
        check_range(e, range, &p);
    const char *gw = bt_json_get_str(cfg, "Gateway", "");
    char *why = *gw ? address_problem(gw, &p) : NULL;
    if (why)
        add(e, bt_xasprintf("invalid gateway %s: %s", gw, why));
    free(why);
    const char *k;
    json_t *v;
    json_object_foreach ((json_t *)bt_json_get_obj(cfg, "AuxiliaryAddresses"), k, v) {
        const char *aux = json_string_value(v) ? json_string_value(v) : "";
        if (!*aux || !(why = address_problem(aux, &p)))
            continue;
        add(e, bt_xasprintf("invalid auxiliary address %s: %s", k, why));
        free(why);
    }
}

int net_ipam_validate(const json_t *ipam, bool enable_ipv6, bt_err **err)
{
    struct errs e = {0};
    size_t i;
    json_t *cfg;
    json_array_foreach (bt_json_get_arr(ipam, "Config"), i, cfg)
        check_config(&e, cfg, enable_ipv6);
    if (!e.n)
        return 0;
    char *joined = net_join_errors(e.msg, e.n);
    bt_err_set(err, BT_E_INVALID, "invalid network config:\n%s", joined);
    free(joined);
    for (size_t j = 0; j < e.n; j++)
        free(e.msg[j]);
    return -1;
}
