/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * The host-only network (docs/design/machine.md, "Drivers"): a Linux bridge ("berth-hostonly";
 * not "berth0", the name of the engine's own bridge where berthd runs natively) that holds the
 * first address of the machines' CIDR (192.168.99.1/24), the addresses in it, and the machines' MAC
 * addresses and tap names. Guests get static addresses the store assigns (no DHCP); which address
 * is free is host/machine's business, not this module's.
 *
 * Bridges and taps are made with ioctls (SIOCBRADDBR, SIOCSIFADDR, SIOCSIFNETMASK,
 * SIOCSIFFLAGS, TUNSETIFF, SIOCBRADDIF), in the calling process's network namespace, and need
 * CAP_NET_ADMIN: without it the functions fail with BT_E_FORBIDDEN and say so. Whether an
 * interface is a bridge is asked of its driver (SIOCETHTOOL), never of /sys/class/net, which
 * shows the namespace sysfs was mounted in: a caller that entered another network namespace
 * (nsenter, setns) sees the wrong interfaces there.
 *
 * Thread safety: all functions may be called from any thread.
 */
#include <stdbool.h>
#include <stdint.h>

#include "shared/base/err.h"

#define VM_DEFAULT_BRIDGE        "berth-hostonly"
#define VM_DEFAULT_HOSTONLY_CIDR "192.168.99.1/24"

/* "xx:xx:xx:xx:xx:xx" and its NUL */
#define VM_MAC_STR_SIZE 18
/* IFNAMSIZ: 15 characters and the NUL */
#define VM_IFNAME_SIZE 16
/* "255.255.255.255" and its NUL (INET_ADDRSTRLEN) */
#define VM_IPV4_STR_SIZE 16

/* An IPv4 address with a prefix length, as docker-machine's --hostonly-cidr gives it
 * ("192.168.99.1/24": the host's address on the network, and the network). */
struct vm_cidr {
    uint32_t addr;   /* as written, host byte order */
    unsigned prefix; /* 8..30 */
};

/* Parse "A.B.C.D/N". Errors read as Go's net.ParseCIDR: `invalid CIDR address: 10.0.0.1/33`;
 * prefixes outside 8..30 (no room for machines) are BT_E_INVALID too. */
int vm_cidr_parse(const char *text, struct vm_cidr *out, bt_err **err);

/* The network's address plus n (host byte order): n = 1 is the bridge's address, 100 the first
 * machine's. */
uint32_t vm_cidr_host(const struct vm_cidr *c, uint32_t n);
/* The netmask (host byte order). */
uint32_t vm_cidr_mask(const struct vm_cidr *c);
/* True when addr (host byte order) is a host address of the network (neither the network's
 * own address nor its broadcast address). */
bool vm_cidr_contains(const struct vm_cidr *c, uint32_t addr);

/* Dotted quad of a host-byte-order address. Returns out. */
char *vm_ipv4_format(uint32_t addr, char out[VM_IPV4_STR_SIZE]);
/* Parse a dotted quad into host byte order. */
int vm_ipv4_parse(const char *text, uint32_t *out, bt_err **err);

/* Make sure the bridge exists, holds the first address of cidr's network with its prefix
 * (192.168.99.1/24 for "192.168.99.1/24" or "192.168.99.0/24") and is up. A bridge that is
 * there already is kept as it is when its address is that one; one with another address is
 * BT_E_CONFLICT (another --hostonly-cidr: the message says which), an interface of that name
 * that is not a bridge too. Needs root (BT_E_FORBIDDEN). */
int vm_bridge_ensure(const char *name, const char *cidr, bt_err **err);

/* Take the bridge down and delete it (its ports are released by the kernel). A missing bridge
 * is not an error. */
int vm_bridge_remove(const char *name, bt_err **err);

/* The machine's MAC address, the same for the same name on every host: locally administered
 * and unicast (first octet 0x02), the other five octets from SHA-256("berth:" + name). */
void vm_mac_for_name(const char *name, char out[VM_MAC_STR_SIZE]);

/* True for "xx:xx:xx:xx:xx:xx" (hex digits, either case) naming a unicast address. */
bool vm_mac_valid(const char *mac);

/* The name of the machine's tap device, at most 15 characters: "bt-NAME" when the name fits
 * (12 characters or fewer), else "bt-" and 12 hex digits of SHA-256(name). Both drivers name
 * the VM's tap this way, so it can be found (and its absence checked) by name. */
void vm_tap_name(const char *name, char out[VM_IFNAME_SIZE]);

/* Open a tap device called name (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, not persistent: it goes
 * away with the last fd), add it to bridge and bring it up. Returns the fd (close-on-exec) for
 * QEMU's -netdev tap,fd=N. A missing bridge is BT_E_NOT_FOUND; a tap of that name in use,
 * BT_E_CONFLICT; no CAP_NET_ADMIN, BT_E_FORBIDDEN. */
int vm_tap_open(const char *name, const char *bridge, bt_err **err);
