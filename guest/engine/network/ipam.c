/* SPDX-License-Identifier: Apache-2.0 */
/* IPv4 address management (ipam.h). */
#include "guest/engine/network/ipam.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/base/mem.h"

/*
 * The taken addresses are a sorted array, not a bitmap over the pool: a network holds as many
 * addresses as it has endpoints (a few, rarely thousands), while its subnet may be a /8 (a 2 MB
 * bitmap) or wider. Finding the lowest free address walks the array once, which for the sizes
 * a bridge network reaches costs less than scanning a bitmap's words.
 */
struct net_ipam {
    uint32_t net;     /* the subnet's network address */
    uint32_t bcast;   /* its broadcast address */
    uint32_t gateway; /* never handed out, like net and bcast */
    int len;
    uint32_t pool_lo; /* what net_ipam_alloc hands out: the subnet or the ip-range */
    uint32_t pool_hi;
    uint32_t *used; /* sorted, without net, bcast and gateway */
    size_t n, cap;
};

static uint32_t prefix_mask(int len)
{
    return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

int net_ip_parse(const char *s, uint32_t *addr, bt_err **err)
{
    struct in_addr a;
    /* inet_pton takes exactly the dotted quad (no octal, hex or short forms, no leading
     * zeros), as Go's net.ParseIP does */
    if (!s || inet_pton(AF_INET, s, &a) != 1)
        return bt_err_set(err, BT_E_INVALID, "invalid IPv4 address: \"%s\"", s ? s : "");
    *addr = ntohl(a.s_addr);
    return 0;
}

char *net_ip_format(uint32_t addr, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff,
             addr & 0xff);
    return buf;
}

/* "a.b.c.d/len" with len in [1, max_len] and no host bits; `what` names it in errors. */
static int cidr_parse(const char *s, const char *what, int max_len, uint32_t *addr, int *len,
                      bt_err **err)
{
    const char *slash = s ? strchr(s, '/') : NULL;
    if (!slash || slash == s || !slash[1] || strlen(slash + 1) > 2)
        return bt_err_set(err, BT_E_INVALID, "invalid CIDR address: %s", s ? s : "");
    char ip[16];
    size_t iplen = (size_t)(slash - s);
    char *end;
    long l = strtol(slash + 1, &end, 10);
    if (iplen >= sizeof(ip) || *end || slash[1] < '0' || slash[1] > '9' || l < 0 || l > 32)
        return bt_err_set(err, BT_E_INVALID, "invalid CIDR address: %s", s);
    memcpy(ip, s, iplen);
    ip[iplen] = '\0';
    uint32_t a;
    if (net_ip_parse(ip, &a, NULL) < 0)
        return bt_err_set(err, BT_E_INVALID, "invalid CIDR address: %s", s);
    if (l < 1 || l > max_len)
        return bt_err_set(err, BT_E_INVALID, "invalid %s %s: the prefix length must be 1 to %d",
                          what, s, max_len);
    if (a & ~prefix_mask((int)l)) {
        char want[16];
        /* dockerd's words, space before the colon included */
        return bt_err_set(err, BT_E_INVALID, "invalid %s %s : it should be %s/%ld", what, s,
                          net_ip_format(a & prefix_mask((int)l), want), l);
    }
    *addr = a;
    *len = (int)l;
    return 0;
}

int net_cidr_parse(const char *s, uint32_t *addr, int *len, bt_err **err)
{
    /* a /31 or /32 has no host address once the network and broadcast are taken out */
    return cidr_parse(s, "subnet", 30, addr, len, err);
}

bool net_cidr_overlap(uint32_t a, int alen, uint32_t b, int blen)
{
    uint32_t m = prefix_mask(alen < blen ? alen : blen);
    return (a & m) == (b & m);
}

static bool in_subnet(const struct net_ipam *p, uint32_t addr)
{
    return (addr & prefix_mask(p->len)) == p->net;
}

static bool is_special(const struct net_ipam *p, uint32_t addr)
{
    return addr == p->net || addr == p->bcast || addr == p->gateway;
}

static int set_gateway(struct net_ipam *p, const char *gateway, bt_err **err)
{
    if (!gateway || !*gateway) {
        p->gateway = p->net + 1;
        return 0;
    }
    uint32_t g;
    if (net_ip_parse(gateway, &g, err) < 0)
        return -1;
    if (!in_subnet(p, g))
        return bt_err_set(err, BT_E_INVALID, "no matching subnet for gateway %s", gateway);
    if (g == p->net || g == p->bcast)
        return bt_err_set(err, BT_E_INVALID,
                          "invalid gateway %s: it is the subnet's network or broadcast address",
                          gateway);
    p->gateway = g;
    return 0;
}

static int set_pool(struct net_ipam *p, const char *ip_range, bt_err **err)
{
    if (!ip_range || !*ip_range) {
        p->pool_lo = p->net;
        p->pool_hi = p->bcast;
        return 0;
    }
    uint32_t r;
    int rlen;
    /* a range may be a single address (/32) */
    if (cidr_parse(ip_range, "ip-range", 32, &r, &rlen, err) < 0)
        return -1;
    if (rlen < p->len || !in_subnet(p, r))
        return bt_err_set(err, BT_E_INVALID, "no matching subnet for range %s", ip_range);
    p->pool_lo = r;
    p->pool_hi = r | ~prefix_mask(rlen);
    return 0;
}

struct net_ipam *net_ipam_new(const char *subnet, const char *gateway, const char *ip_range,
                              bt_err **err)
{
    uint32_t net;
    int len;
    if (net_cidr_parse(subnet, &net, &len, err) < 0)
        return NULL;
    struct net_ipam *p = bt_xzalloc(sizeof(*p));
    p->net = net;
    p->len = len;
    p->bcast = net | ~prefix_mask(len);
    if (set_gateway(p, gateway, err) < 0 || set_pool(p, ip_range, err) < 0) {
        net_ipam_free(p);
        return NULL;
    }
    return p;
}

void net_ipam_free(struct net_ipam *p)
{
    if (!p)
        return;
    free(p->used);
    free(p);
}

uint32_t net_ipam_gateway(const struct net_ipam *p)
{
    return p->gateway;
}

uint32_t net_ipam_subnet(const struct net_ipam *p)
{
    return p->net;
}

int net_ipam_prefix_len(const struct net_ipam *p)
{
    return p->len;
}

/* The index of the first taken address >= addr. */
static size_t lower_bound(const struct net_ipam *p, uint32_t addr)
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->used[mid] < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool net_ipam_in_use(const struct net_ipam *p, uint32_t addr)
{
    if (!in_subnet(p, addr))
        return false;
    if (is_special(p, addr))
        return true;
    size_t i = lower_bound(p, addr);
    return i < p->n && p->used[i] == addr;
}

static void insert_at(struct net_ipam *p, size_t i, uint32_t addr)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->used = bt_xreallocarray(p->used, p->cap, sizeof(*p->used));
    }
    memmove(p->used + i + 1, p->used + i, (p->n - i) * sizeof(*p->used));
    p->used[i] = addr;
    p->n++;
}

int net_ipam_reserve(struct net_ipam *p, uint32_t addr, bt_err **err)
{
    char buf[16];
    if (!in_subnet(p, addr))
        return bt_err_set(err, BT_E_INVALID, "requested address %s is out of the subnet",
                          net_ip_format(addr, buf));
    if (net_ipam_in_use(p, addr))
        return bt_err_set(err, BT_E_CONFLICT, "Address already in use");
    insert_at(p, lower_bound(p, addr), addr);
    return 0;
}

int net_ipam_alloc(struct net_ipam *p, uint32_t *addr, bt_err **err)
{
    /* 64 bits: the pool may end at 255.255.255.255 */
    uint64_t c = p->pool_lo;
    size_t i = lower_bound(p, p->pool_lo);
    while (c <= p->pool_hi) {
        if (is_special(p, (uint32_t)c)) {
            c++;
        } else if (i < p->n && p->used[i] == c) {
            c++;
            i++;
        } else {
            insert_at(p, i, (uint32_t)c);
            *addr = (uint32_t)c;
            return 0;
        }
    }
    return bt_err_set(err, BT_E_CONFLICT, "no available addresses");
}

void net_ipam_release(struct net_ipam *p, uint32_t addr)
{
    size_t i = lower_bound(p, addr);
    if (i >= p->n || p->used[i] != addr)
        return;
    memmove(p->used + i, p->used + i + 1, (p->n - i - 1) * sizeof(*p->used));
    p->n--;
}
