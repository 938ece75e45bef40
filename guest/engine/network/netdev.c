/* SPDX-License-Identifier: Apache-2.0 */
/* Network devices and namespaces through rtnetlink (netdev.h). */
#include "guest/engine/network/netdev.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "guest/engine/network/ipam.h"
#include "shared/base/cleanup.h"
#include "shared/base/fd.h"
#include "shared/base/mem.h"

/* Requests are a few hundred bytes; replies to a GETLINK carry the link's statistics. */
#define NL_BUF_SIZE 32768

/* --- Netlink plumbing: one request, its ACK (or error, or answer) --------------------------- */

struct nl {
    struct mnl_socket *sock;
    unsigned int portid;
    unsigned int seq;
    char *buf;
};

static void nl_close(struct nl *nl)
{
    if (nl->sock)
        mnl_socket_close(nl->sock);
    free(nl->buf);
    nl->sock = NULL;
    nl->buf = NULL;
}
#define bt_autonl __attribute__((cleanup(nl_close)))

/* Take a socket opened (and bound) elsewhere, in another namespace maybe. */
static void nl_adopt(struct nl *nl, struct mnl_socket *sock)
{
    nl->sock = sock;
    nl->portid = mnl_socket_get_portid(sock);
    nl->seq = 0;
    nl->buf = bt_xmalloc(NL_BUF_SIZE);
}

/* A bound rtnetlink socket in the calling thread's network namespace (a netlink socket stays
 * in the namespace it was made in, whatever its thread does afterwards). */
static struct mnl_socket *rtnl_socket(bt_err **err)
{
    struct mnl_socket *s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (!s)
        return bt_err_errno(err, errno, "open netlink socket"), NULL;
    if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
        bt_err_errno(err, errno, "bind netlink socket");
        mnl_socket_close(s);
        return NULL;
    }
    return s;
}

static int nl_open(struct nl *nl, bt_err **err)
{
    struct mnl_socket *s = rtnl_socket(err);
    if (!s)
        return -1;
    nl_adopt(nl, s);
    return 0;
}

/* A request of this type, with room for its family header (hdr_len bytes, zeroed). */
static struct nlmsghdr *nl_msg(struct nl *nl, uint16_t type, uint16_t flags, size_t hdr_len)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    nlh->nlmsg_seq = ++nl->seq;
    mnl_nlmsg_put_extra_header(nlh, hdr_len);
    return nlh;
}

static struct ifinfomsg *link_msg(struct nl *nl, struct nlmsghdr **nlh, uint16_t type,
                                  uint16_t flags)
{
    *nlh = nl_msg(nl, type, flags, sizeof(struct ifinfomsg));
    struct ifinfomsg *ifi = mnl_nlmsg_get_payload(*nlh);
    ifi->ifi_family = AF_UNSPEC;
    return ifi;
}

/*
 * Send the request and read until its ACK. An answer (a GETLINK's RTM_NEWLINK) goes to cb. The
 * kernel's NLMSG_ERROR becomes errno (mnl_cb_run sets it) and the error "<op> <dev>: <why>".
 * The request is built in nl->buf, which the replies then overwrite.
 */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data, const char *op,
                   const char *dev, bt_err **err)
{
    unsigned int seq = nlh->nlmsg_seq;
    if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
        return bt_err_errno(err, errno, "%s %s: send netlink request", op, dev);
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, NL_BUF_SIZE);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return bt_err_errno(err, errno, "%s %s: read netlink answer", op, dev);
        int rc = mnl_cb_run(nl->buf, (size_t)n, seq, nl->portid, cb, data);
        if (rc == MNL_CB_ERROR)
            return bt_err_errno(err, errno, "%s %s", op, dev);
        if (rc == MNL_CB_STOP)
            return 0;
    }
}

static int ifindex_cb(const struct nlmsghdr *nlh, void *data)
{
    if (nlh->nlmsg_type == RTM_NEWLINK) {
        const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
        *(int *)data = ifi->ifi_index;
    }
    return MNL_CB_OK;
}

/* The index of a link; errno ENODEV (and the error) when there is none. */
static int link_index(struct nl *nl, const char *name, int *index, bt_err **err)
{
    struct nlmsghdr *nlh;
    link_msg(nl, &nlh, RTM_GETLINK, 0);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    /* the answer comes before the ACK; without it the link is not there */
    *index = 0;
    if (nl_talk(nl, nlh, ifindex_cb, index, "find link", name, err) < 0)
        return -1;
    if (*index <= 0)
        return bt_err_set(err, ENODEV, "find link %s: no such device", name);
    return 0;
}

/* Set a link up, with its mtu when mtu > 0 (ifindex 0: by name). */
static int link_up(struct nl *nl, int ifindex, const char *name, int mtu, bt_err **err)
{
    struct nlmsghdr *nlh;
    struct ifinfomsg *ifi = link_msg(nl, &nlh, RTM_NEWLINK, 0);
    ifi->ifi_index = ifindex;
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    if (!ifindex)
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    if (mtu > 0)
        mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)mtu);
    return nl_talk(nl, nlh, NULL, NULL, "set up", name, err);
}

static int link_delete(struct nl *nl, const char *name, bt_err **err)
{
    struct nlmsghdr *nlh;
    link_msg(nl, &nlh, RTM_DELLINK, 0);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    bt_autoerr bt_err *e = NULL;
    if (nl_talk(nl, nlh, NULL, NULL, "delete link", name, &e) < 0 && bt_err_code(e) != ENODEV) {
        bt_err_move(err, &e);
        return -1;
    }
    return 0;
}

/* Add addr/prefix_len (with its broadcast address) to a link; EEXIST when it has it. */
static int addr_add(struct nl *nl, int ifindex, const char *name, uint32_t addr, int prefix_len,
                    bt_err **err)
{
    struct nlmsghdr *nlh =
            nl_msg(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifaddrmsg));
    struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = (unsigned char)prefix_len;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = (unsigned int)ifindex;
    uint32_t host_mask = prefix_len >= 32 ? 0 : 0xffffffffu >> prefix_len;
    mnl_attr_put_u32(nlh, IFA_LOCAL, htonl(addr));
    mnl_attr_put_u32(nlh, IFA_ADDRESS, htonl(addr));
    mnl_attr_put_u32(nlh, IFA_BROADCAST, htonl(addr | host_mask));
    char a[16], op[48];
    snprintf(op, sizeof(op), "add address %s/%d to", net_ip_format(addr, a), prefix_len);
    return nl_talk(nl, nlh, NULL, NULL, op, name, err);
}

/* "default via gateway dev ifindex" in the main table. */
static int route_add_default(struct nl *nl, int ifindex, const char *name, uint32_t gateway,
                             bt_err **err)
{
    struct nlmsghdr *nlh =
            nl_msg(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct rtmsg));
    struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
    rtm->rtm_family = AF_INET;
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = RTPROT_BOOT;
    rtm->rtm_scope = RT_SCOPE_UNIVERSE;
    rtm->rtm_type = RTN_UNICAST;
    mnl_attr_put_u32(nlh, RTA_GATEWAY, htonl(gateway));
    mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
    char g[16], op[48];
    snprintf(op, sizeof(op), "add default route via %s on", net_ip_format(gateway, g));
    return nl_talk(nl, nlh, NULL, NULL, op, name, err);
}

/* --- Running code in another network namespace ------------------------------------------- */

/*
 * setns(CLONE_NEWNET) and unshare(CLONE_NEWNET) change only the calling thread's namespace, and
 * berthd's threads serve requests side by side. Rather than switching a caller's thread and
 * depending on the switch back (which, should it fail, would leave an API thread in a
 * container's namespace), the work is done by a short-lived thread of its own: whatever
 * namespace that thread ends in goes away with it.
 */
struct ns_job {
    int (*fn)(void *arg, bt_err **err);
    void *arg;
    int rc;
    bt_err *err;
};

static void *ns_job_main(void *p)
{
    struct ns_job *job = p;
    job->rc = job->fn(job->arg, &job->err);
    return NULL;
}

static int run_in_thread(int (*fn)(void *arg, bt_err **err), void *arg, bt_err **err)
{
    struct ns_job job = {fn, arg, -1, NULL};
    pthread_t t;
    int e = pthread_create(&t, NULL, ns_job_main, &job);
    if (e)
        return bt_err_errno(err, e, "start namespace thread");
    pthread_join(t, NULL);
    if (job.rc < 0) {
        bt_err_move(err, &job.err);
        return -1;
    }
    return 0;
}

struct ns_socket_job {
    int nsfd;
    const char *path;
    struct mnl_socket *sock;
};

static int ns_socket_fn(void *arg, bt_err **err)
{
    struct ns_socket_job *j = arg;
    if (setns(j->nsfd, CLONE_NEWNET) < 0)
        return bt_err_errno(err, errno, "enter network namespace %s", j->path);
    j->sock = rtnl_socket(err);
    return j->sock ? 0 : -1;
}

/* A netlink socket in the namespace of nsfd (a namespace file opened by the caller). */
static int nl_open_in(struct nl *nl, int nsfd, const char *path, bt_err **err)
{
    struct ns_socket_job j = {nsfd, path, NULL};
    if (run_in_thread(ns_socket_fn, &j, err) < 0)
        return -1;
    nl_adopt(nl, j.sock);
    return 0;
}

static int open_ns(const char *path, bt_err **err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return bt_err_errno(err, errno, "open network namespace %s", path);
    return fd;
}

/* --- Namespace files ----------------------------------------------------------------------- */

static int is_ns_file(const char *path)
{
    struct statfs sf;
    return statfs(path, &sf) == 0 && sf.f_type == NSFS_MAGIC;
}

static int ns_create_fn(void *arg, bt_err **err)
{
    const char *path = arg;
    if (unshare(CLONE_NEWNET) < 0)
        return bt_err_errno(err, errno, "create network namespace %s", path);
    /* /proc/thread-self, not /proc/self: the new namespace is this thread's only */
    if (mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) < 0)
        return bt_err_errno(err, errno, "mount network namespace %s", path);
    bt_autonl struct nl nl = {0};
    if (nl_open(&nl, err) < 0 || link_up(&nl, 0, "lo", 0, err) < 0) {
        umount2(path, MNT_DETACH);
        return bt_err_wrap(err, "create network namespace %s", path);
    }
    return 0;
}

int net_ns_create(const char *path, bt_err **err)
{
    if (is_ns_file(path))
        return 0;
    /* a plain file left by a create that died before its mount is reused */
    int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0444);
    if (fd < 0)
        return bt_err_errno(err, errno, "create network namespace %s", path);
    close(fd);
    if (run_in_thread(ns_create_fn, (void *)path, err) < 0) {
        unlink(path);
        return -1;
    }
    return 0;
}

int net_ns_remove(const char *path, bt_err **err)
{
    /* MNT_DETACH: a process of the namespace may hold the file open (the monitor starting);
     * EINVAL: not a mount point (a create that failed half-way) */
    if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        return bt_err_errno(err, errno, "unmount network namespace %s", path);
    if (unlink(path) < 0 && errno != ENOENT)
        return bt_err_errno(err, errno, "remove network namespace %s", path);
    return 0;
}

/* --- Links --------------------------------------------------------------------------------- */

int net_link_delete(const char *name, bt_err **err)
{
    bt_autonl struct nl nl = {0};
    if (nl_open(&nl, err) < 0)
        return -1;
    return link_delete(&nl, name, err);
}

int net_link_exists(const char *name)
{
    bt_autonl struct nl nl = {0};
    int index;
    return nl_open(&nl, NULL) == 0 && link_index(&nl, name, &index, NULL) == 0;
}

/* A random locally administered unicast MAC. */
static void random_mac(uint8_t mac[6])
{
    if (getrandom(mac, 6, 0) != 6)
        memset(mac, 0x5a, 6); /* getrandom(6 bytes) does not fail once the pool is ready */
    mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
}

/* Make the bridge; EEXIST when it is there. */
static int bridge_create(struct nl *nl, const char *name, int mtu, bt_err **err)
{
    struct nlmsghdr *nlh;
    link_msg(nl, &nlh, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    /* A bridge whose address was not set takes the lowest of its ports' addresses, which
     * changes as containers come and go and leaves their ARP caches naming a gateway that
     * is gone; an address set at creation (NET_ADDR_SET) is kept, as dockerd does. */
    uint8_t mac[6];
    random_mac(mac);
    mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(mac), mac);
    if (mtu > 0)
        mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)mtu);
    struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
    mnl_attr_nest_end(nlh, info);
    return nl_talk(nl, nlh, NULL, NULL, "create bridge", name, err);
}

int net_bridge_ensure(const char *name, uint32_t addr, int prefix_len, int mtu, bt_err **err)
{
    bt_autonl struct nl nl = {0};
    if (nl_open(&nl, err) < 0)
        return -1;
    bt_autoerr bt_err *e = NULL;
    if (bridge_create(&nl, name, mtu, &e) < 0 && bt_err_code(e) != EEXIST) {
        bt_err_move(err, &e);
        return -1;
    }
    bt_err_clear(&e);
    int index;
    if (link_index(&nl, name, &index, err) < 0)
        return -1;
    if (addr_add(&nl, index, name, addr, prefix_len, &e) < 0 && bt_err_code(e) != EEXIST) {
        bt_err_move(err, &e);
        return -1;
    }
    if (link_up(&nl, index, name, mtu, err) < 0)
        return -1;
    /* DNAT of connections to 127.0.0.1 (nat.h) routes packets with a loopback source out of
     * the bridge, which the kernel drops as martians unless route_localnet is on. */
    char key[64];
    snprintf(key, sizeof(key), "net/ipv4/conf/%s/route_localnet", name);
    return net_sysctl_set(key, "1", err);
}

/* --- veth pairs ---------------------------------------------------------------------------- */

/* The pair, the host end named host_name here, the other end named ifname in nsfd's
 * namespace, with its MAC and both MTUs: one request, so there is nothing to rename later. */
static int veth_create(struct nl *nl, const struct net_veth_opts *o, int nsfd, bt_err **err)
{
    uint8_t mac[6];
    if (o->mac)
        memcpy(mac, o->mac, sizeof(mac));
    else
        net_mac_from_ip(o->addr, mac);
    struct nlmsghdr *nlh;
    link_msg(nl, &nlh, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, o->host_name);
    if (o->mtu > 0)
        mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)o->mtu);
    struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
    struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
    /* the peer's attributes follow an ifinfomsg of its own */
    struct ifinfomsg *pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
    pifi->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, o->ifname);
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd);
    mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(mac), mac);
    if (o->mtu > 0)
        mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)o->mtu);
    mnl_attr_nest_end(nlh, peer);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, info);
    return nl_talk(nl, nlh, NULL, NULL, "create veth", o->host_name, err);
}

/* Inside the namespace: the address, up, the default route. */
static int veth_setup_inside(struct nl *nl, const struct net_veth_opts *o, bt_err **err)
{
    int index;
    if (link_index(nl, o->ifname, &index, err) < 0 ||
        addr_add(nl, index, o->ifname, o->addr, o->prefix_len, err) < 0 ||
        link_up(nl, index, o->ifname, 0, err) < 0)
        return -1;
    if (o->default_route && route_add_default(nl, index, o->ifname, o->gateway, err) < 0)
        return -1;
    return 0;
}

/* The bridge's hairpin mode on a port: frames may go back out of the port they came in by, so
 * that a container reaches itself through a published port (DNAT back to its own address). */
static int port_hairpin_on(struct nl *nl, int index, const char *name, bt_err **err)
{
    struct nlmsghdr *nlh;
    struct ifinfomsg *ifi = link_msg(nl, &nlh, RTM_SETLINK, 0);
    /* AF_BRIDGE: the bridge's own setlink, which knows the port attributes */
    ifi->ifi_family = AF_BRIDGE;
    ifi->ifi_index = index;
    /* NLA_F_NESTED (which mnl_attr_nest_start sets) tells the kernel this is the nested
     * IFLA_BRPORT_* form; without it IFLA_PROTINFO is read as the old one-byte port state */
    struct nlattr *prot = mnl_attr_nest_start(nlh, IFLA_PROTINFO);
    /* IFLA_BRPORT_MODE is the hairpin flag (BR_HAIRPIN_MODE), despite its name */
    mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, 1);
    mnl_attr_nest_end(nlh, prot);
    return nl_talk(nl, nlh, NULL, NULL, "set hairpin mode on", name, err);
}

/* On the host: join the bridge, hairpin on, up. */
static int veth_setup_host(struct nl *nl, const struct net_veth_opts *o, bt_err **err)
{
    int br, index;
    if (link_index(nl, o->bridge, &br, err) < 0 || link_index(nl, o->host_name, &index, err) < 0)
        return -1;
    struct nlmsghdr *nlh;
    struct ifinfomsg *ifi = link_msg(nl, &nlh, RTM_NEWLINK, 0);
    ifi->ifi_index = index;
    mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)br);
    char op[48];
    snprintf(op, sizeof(op), "attach %s to bridge", o->host_name);
    if (nl_talk(nl, nlh, NULL, NULL, op, o->bridge, err) < 0)
        return -1;
    if (port_hairpin_on(nl, index, o->host_name, err) < 0)
        return -1;
    return link_up(nl, index, o->host_name, 0, err);
}

int net_veth_attach(const struct net_veth_opts *o, bt_err **err)
{
    bt_autoclose int nsfd = open_ns(o->netns_path, err);
    if (nsfd < 0)
        return -1;
    bt_autonl struct nl host = {0};
    bt_autonl struct nl inside = {0};
    if (nl_open(&host, err) < 0 || nl_open_in(&inside, nsfd, o->netns_path, err) < 0)
        return -1;
    if (veth_create(&host, o, nsfd, err) < 0)
        return -1;
    if (veth_setup_inside(&inside, o, err) < 0 || veth_setup_host(&host, o, err) < 0) {
        /* deleting one end deletes the pair */
        link_delete(&host, o->host_name, NULL);
        return -1;
    }
    return 0;
}

int net_veth_detach(const char *netns_path, const char *ifname, bt_err **err)
{
    int fd = open(netns_path, O_RDONLY | O_CLOEXEC);
    /* no namespace, no container end: the pair went with it */
    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0)
        return bt_err_errno(err, errno, "open network namespace %s", netns_path);
    bt_autoclose int nsfd = fd;
    bt_autonl struct nl inside = {0};
    if (nl_open_in(&inside, nsfd, netns_path, err) < 0)
        return -1;
    return link_delete(&inside, ifname, err);
}

/* --- MAC addresses and sysctls ------------------------------------------------------------- */

void net_mac_from_ip(uint32_t addr, uint8_t mac[6])
{
    mac[0] = 0x02;
    mac[1] = 0x42;
    mac[2] = (uint8_t)(addr >> 24);
    mac[3] = (uint8_t)(addr >> 16);
    mac[4] = (uint8_t)(addr >> 8);
    mac[5] = (uint8_t)addr;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int net_mac_parse(const char *s, uint8_t mac[6], bt_err **err)
{
    /* exactly six two-digit groups separated by ':' (Go's net.ParseMAC takes '-' too, and
     * longer addresses; a container's Ethernet address is 6 bytes) */
    if (!s || strlen(s) != 17)
        return bt_err_set(err, BT_E_INVALID, "invalid MAC address: %s", s ? s : "");
    for (int i = 0; i < 6; i++) {
        int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
            return bt_err_set(err, BT_E_INVALID, "invalid MAC address: %s", s);
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

char *net_mac_format(const uint8_t mac[6], char *buf)
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
    return buf;
}

int net_sysctl_set(const char *key, const char *value, bt_err **err)
{
    if (strstr(key, ".."))
        return bt_err_set(err, BT_E_INVALID, "set sysctl %s: invalid key", key);
    bt_autofree char *path = bt_xasprintf("/proc/sys/%s", key);
    bt_autoclose int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return bt_err_errno(err, errno, "set sysctl %s", key);
    if (bt_fd_write_all(fd, value, strlen(value), err) < 0)
        return bt_err_wrap(err, "set sysctl %s", key);
    return 0;
}
