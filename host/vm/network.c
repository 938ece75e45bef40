/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host-only network with the kernel's old ioctls: a bridge and an IPv4 address are all
 * Berth needs, and ioctls do that without a netlink library (iproute2's way would be netlink;
 * ioctls cover exactly this much). Addresses are host byte order everywhere but at the ioctl.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/vm/network.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/crypto/digest.h"

/* ---- addresses ----------------------------------------------------------------------------- */

int vm_ipv4_parse(const char *text, uint32_t *out, bt_err **err)
{
    struct in_addr a;
    /* inet_pton takes exactly four decimal parts, no leading zeros games */
    if (!text || inet_pton(AF_INET, text, &a) != 1)
        return bt_err_set(err, BT_E_INVALID, "invalid IP address: %s", text ? text : "");
    *out = ntohl(a.s_addr);
    return 0;
}

char *vm_ipv4_format(uint32_t addr, char out[VM_IPV4_STR_SIZE])
{
    snprintf(out, VM_IPV4_STR_SIZE, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff,
             (addr >> 8) & 0xff, addr & 0xff);
    return out;
}

int vm_cidr_parse(const char *text, struct vm_cidr *out, bt_err **err)
{
    const char *slash = text ? strchr(text, '/') : NULL;
    if (!slash || !slash[1] || strlen(slash + 1) > 2)
        return bt_err_set(err, BT_E_INVALID, "invalid CIDR address: %s", text ? text : "");
    bt_autofree char *ip = bt_xstrndup(text, (size_t)(slash - text));
    unsigned prefix = 0;
    for (const char *p = slash + 1; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return bt_err_set(err, BT_E_INVALID, "invalid CIDR address: %s", text);
        prefix = prefix * 10 + (unsigned)(*p - '0');
    }
    uint32_t addr;
    if (prefix > 32 || vm_ipv4_parse(ip, &addr, NULL) < 0)
        return bt_err_set(err, BT_E_INVALID, "invalid CIDR address: %s", text);
    if (prefix < 8 || prefix > 30)
        return bt_err_set(err, BT_E_INVALID,
                          "invalid CIDR address: %s: the prefix must be 8 to 30 (room for "
                          "the host and its machines)",
                          text);
    out->addr = addr;
    out->prefix = prefix;
    return 0;
}

uint32_t vm_cidr_mask(const struct vm_cidr *c)
{
    return c->prefix == 0 ? 0 : ~0U << (32 - c->prefix);
}

uint32_t vm_cidr_host(const struct vm_cidr *c, uint32_t n)
{
    return (c->addr & vm_cidr_mask(c)) + n;
}

bool vm_cidr_contains(const struct vm_cidr *c, uint32_t addr)
{
    uint32_t mask = vm_cidr_mask(c);
    if ((addr & mask) != (c->addr & mask))
        return false;
    uint32_t host = addr & ~mask;
    return host != 0 && host != ~mask;
}

/* ---- MAC addresses and tap names ----------------------------------------------------------- */

static void hash_name(const char *salt, const char *name, unsigned char out[32])
{
    bt_autoptr(bt_sha256) h = bt_sha256_new();
    bt_sha256_update(h, salt, strlen(salt));
    bt_sha256_update(h, name, strlen(name));
    char hex[BT_DIGEST_STR_SIZE];
    bt_sha256_final(h, hex);
    const char *p = bt_digest_hex(hex);
    for (int i = 0; i < 32; i++) {
        unsigned v;
        sscanf(p + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
}

void vm_mac_for_name(const char *name, char out[VM_MAC_STR_SIZE])
{
    unsigned char h[32];
    hash_name("berth:", name, h);
    /* 0x02: locally administered (bit 1), unicast (bit 0 clear) */
    snprintf(out, VM_MAC_STR_SIZE, "02:%02x:%02x:%02x:%02x:%02x", h[0], h[1], h[2], h[3], h[4]);
}

bool vm_mac_valid(const char *mac)
{
    if (!mac || strlen(mac) != 17)
        return false;
    for (int i = 0; i < 17; i++) {
        if (i % 3 == 2 ? mac[i] != ':' : !isxdigit((unsigned char)mac[i]))
            return false;
    }
    unsigned first;
    sscanf(mac, "%2x", &first);
    return (first & 1) == 0; /* not multicast */
}

void vm_tap_name(const char *name, char out[VM_IFNAME_SIZE])
{
    bool fits = strlen(name) <= VM_IFNAME_SIZE - 1 - 3;
    for (const char *p = name; fits && *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
            fits = false;
    if (fits) {
        snprintf(out, VM_IFNAME_SIZE, "bt-%s", name);
        return;
    }
    unsigned char h[32];
    hash_name("", name, h);
    snprintf(out, VM_IFNAME_SIZE, "bt-%02x%02x%02x%02x%02x%02x", h[0], h[1], h[2], h[3], h[4],
             h[5]);
}

/* ---- ioctls -------------------------------------------------------------------------------- */

static int ctl_socket(bt_err **err)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        bt_err_errno(err, errno, "open a socket for network ioctls");
    return fd;
}

static int netadmin_fail(bt_err **err, int errnum, const char *what, const char *name)
{
    if (errnum == EPERM || errnum == EACCES)
        return bt_err_set(err, BT_E_FORBIDDEN,
                          "%s \"%s\": host-only networking needs root (without it, machines use "
                          "user-mode networking)",
                          what, name);
    return bt_err_errno(err, errnum, "%s \"%s\"", what, name);
}

static void set_ifname(struct ifreq *ifr, const char *name)
{
    memset(ifr, 0, sizeof(*ifr));
    snprintf(ifr->ifr_name, IFNAMSIZ, "%s", name);
}

static int set_up(int sock, const char *name, bt_err **err)
{
    struct ifreq ifr;
    set_ifname(&ifr, name);
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
        return netadmin_fail(err, errno, "read flags of", name);
    if (ifr.ifr_flags & IFF_UP)
        return 0;
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
        return netadmin_fail(err, errno, "bring up", name);
    return 0;
}

/* Asked of the interface's driver (ethtool's GDRVINFO: "bridge"), not of /sys/class/net: sysfs
 * shows the network namespace of whoever mounted it, which need not be the caller's (a process
 * that entered a namespace with setns(2) still sees the old one's interfaces there). */
static bool is_bridge(const char *name)
{
    bt_autoclose int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return false;
    struct ethtool_drvinfo info = {.cmd = ETHTOOL_GDRVINFO};
    struct ifreq ifr;
    set_ifname(&ifr, name);
    ifr.ifr_data = (void *)&info;
    return ioctl(sock, SIOCETHTOOL, &ifr) == 0 && strcmp(info.driver, "bridge") == 0;
}

static int ioctl_addr(int sock, unsigned long req, const char *name, uint32_t addr)
{
    struct ifreq ifr;
    set_ifname(&ifr, name);
    struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(addr);
    return ioctl(sock, req, &ifr);
}

/* The bridge's IPv4 address and netmask; 0 when it has none (EADDRNOTAVAIL). */
static int get_addr(int sock, const char *name, uint32_t *addr, uint32_t *mask, bt_err **err)
{
    struct ifreq ifr;
    set_ifname(&ifr, name);
    *addr = *mask = 0;
    if (ioctl(sock, SIOCGIFADDR, &ifr) < 0) {
        if (errno == EADDRNOTAVAIL)
            return 0;
        return bt_err_errno(err, errno, "read the address of \"%s\"", name);
    }
    *addr = ntohl(((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr);
    set_ifname(&ifr, name);
    if (ioctl(sock, SIOCGIFNETMASK, &ifr) < 0)
        return bt_err_errno(err, errno, "read the netmask of \"%s\"", name);
    *mask = ntohl(((struct sockaddr_in *)&ifr.ifr_netmask)->sin_addr.s_addr);
    return 0;
}

static int set_addr(int sock, const char *name, const struct vm_cidr *c, bt_err **err)
{
    uint32_t gw = vm_cidr_host(c, 1), mask = vm_cidr_mask(c);
    if (ioctl_addr(sock, SIOCSIFADDR, name, gw) < 0)
        return netadmin_fail(err, errno, "set the address of", name);
    if (ioctl_addr(sock, SIOCSIFNETMASK, name, mask) < 0)
        return netadmin_fail(err, errno, "set the netmask of", name);
    if (ioctl_addr(sock, SIOCSIFBRDADDR, name, gw | ~mask) < 0)
        return netadmin_fail(err, errno, "set the broadcast address of", name);
    return 0;
}

static int prefix_of(uint32_t mask)
{
    return __builtin_popcount(mask);
}

int vm_bridge_ensure(const char *name, const char *cidr, bt_err **err)
{
    struct vm_cidr c;
    if (vm_cidr_parse(cidr, &c, err) < 0)
        return -1;
    if (strlen(name) >= IFNAMSIZ)
        return bt_err_set(err, BT_E_INVALID, "invalid bridge name \"%s\": at most %d characters",
                          name, IFNAMSIZ - 1);
    bt_autoclose int sock = ctl_socket(err);
    if (sock < 0)
        return -1;
    if (if_nametoindex(name) == 0) {
        if (ioctl(sock, SIOCBRADDBR, name) < 0 && errno != EEXIST)
            return netadmin_fail(err, errno, "create bridge", name);
    } else if (!is_bridge(name)) {
        return bt_err_set(err, BT_E_CONFLICT,
                          "host-only network: \"%s\" exists and is not a bridge", name);
    }
    uint32_t addr, mask;
    if (get_addr(sock, name, &addr, &mask, err) < 0)
        return -1;
    uint32_t want = vm_cidr_host(&c, 1);
    if (addr == 0) {
        if (set_addr(sock, name, &c, err) < 0)
            return -1;
    } else if (addr != want || mask != vm_cidr_mask(&c)) {
        char have[VM_IPV4_STR_SIZE], need[VM_IPV4_STR_SIZE];
        return bt_err_set(err, BT_E_CONFLICT,
                          "host-only network: bridge \"%s\" has %s/%d, not %s/%u (another "
                          "--hostonly-cidr: use the same one, or remove the bridge)",
                          name, vm_ipv4_format(addr, have), prefix_of(mask),
                          vm_ipv4_format(want, need), c.prefix);
    }
    return set_up(sock, name, err);
}

int vm_bridge_remove(const char *name, bt_err **err)
{
    if (if_nametoindex(name) == 0)
        return 0;
    if (!is_bridge(name))
        return bt_err_set(err, BT_E_CONFLICT, "\"%s\" is not a bridge", name);
    bt_autoclose int sock = ctl_socket(err);
    if (sock < 0)
        return -1;
    struct ifreq ifr;
    set_ifname(&ifr, name);
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags &= ~IFF_UP;
        if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
            return netadmin_fail(err, errno, "take down", name);
    }
    if (ioctl(sock, SIOCBRDELBR, name) < 0 && errno != ENXIO)
        return netadmin_fail(err, errno, "delete bridge", name);
    return 0;
}

int vm_tap_open(const char *name, const char *bridge, bt_err **err)
{
    if (if_nametoindex(bridge) == 0 || !is_bridge(bridge))
        return bt_err_set(err, BT_E_NOT_FOUND, "host-only network: bridge \"%s\" does not exist",
                          bridge);
    bt_autoclose int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return netadmin_fail(err, errno, "open /dev/net/tun for tap", name);
    struct ifreq ifr;
    set_ifname(&ifr, name);
    /* IFF_VNET_HDR: QEMU's virtio-net then passes offloads through (QEMU checks it on the fd);
     * not persistent, so the tap disappears when QEMU, its last holder, exits */
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        if (errno == EBUSY)
            return bt_err_set(err, BT_E_CONFLICT, "tap \"%s\" is in use (is the machine running?)",
                              name);
        return netadmin_fail(err, errno, "create tap", name);
    }
    bt_autoclose int sock = ctl_socket(err);
    if (sock < 0)
        return -1;
    set_ifname(&ifr, bridge);
    ifr.ifr_ifindex = (int)if_nametoindex(name);
    if (ifr.ifr_ifindex == 0 || ioctl(sock, SIOCBRADDIF, &ifr) < 0)
        return netadmin_fail(err, errno, "add tap to bridge", bridge);
    if (set_up(sock, name, err) < 0)
        return -1;
    return bt_steal_fd(&fd);
}
