/* SPDX-License-Identifier: Apache-2.0 */
/*
 * netdev.c against the kernel: a bridge, a namespace file, a veth pair into it, traffic both
 * ways, the nftables table's DNAT from 127.0.0.1, then detach and removal. Everything happens
 * in a forked child that first makes a network and a mount namespace of its own, so the
 * machine's are never touched; without the privilege for that the test skips.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest/engine/network/ipam.h"
#include "guest/engine/network/nat.h"
#include "guest/engine/network/netdev.h"
#include "shared/base/cleanup.h"

#define SKIP_STATUS 77
#define BRIDGE      "berth-t0"
#define HOST_END    "vetht0000001"
#define GATEWAY     0xac1e0001u /* 172.30.0.1 */
#define CTR_IP      0xac1e0002u /* 172.30.0.2 */

static void test_netdev_mac(void **state)
{
    uint8_t mac[6];
    char buf[18];
    net_mac_from_ip(0xac110002, mac); /* 172.17.0.2 */
    assert_string_equal(net_mac_format(mac, buf), "02:42:ac:11:00:02");
    bt_autoerr bt_err *err = NULL;
    assert_int_equal(net_mac_parse("02:42:AC:1e:0a:ff", mac, &err), 0);
    assert_string_equal(net_mac_format(mac, buf), "02:42:ac:1e:0a:ff");
    const char *bad[] = {"02:42:ac:1e:0a", "02-42-ac-1e-0a-ff", "02:42:ac:1e:0a:fg",
                         "02:42:ac:1e:0a:ff:00"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(net_mac_parse(bad[i], mac, &err), -1);
        assert_int_equal(bt_err_code(err), BT_E_INVALID);
        bt_err_clear(&err);
    }
    assert_int_equal(net_mac_parse("zz", mac, &err), -1);
    assert_string_equal(bt_err_msg(err), "invalid MAC address: zz");
}

static int report(const char *what, bt_err *err)
{
    fprintf(stderr, "netdev smoke: %s%s%s\n", what, err ? ": " : "", err ? bt_err_msg(err) : "");
    return 1;
}

static struct sockaddr_in sin_of(uint32_t addr, uint16_t port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(addr);
    return sa;
}

/* A TCP socket connected to addr:port within 5 s, or -1. */
static int dial(uint32_t addr, uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_in sa = sin_of(addr, port);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int listener(uint32_t addr, uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa = sin_of(addr, port);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* What a connection to addr:port says first ("" when nothing came). */
static void read_greeting(uint32_t addr, uint16_t port, char *buf, size_t len)
{
    buf[0] = '\0';
    bt_autoclose int fd = dial(addr, port);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, len - 1);
    buf[n > 0 ? n : 0] = '\0';
}

static int set_up(const char *name)
{
    bt_autoclose int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        return -1;
    ifr.ifr_flags |= IFF_UP;
    return ioctl(fd, SIOCSIFFLAGS, &ifr);
}

/* The "container": enters the namespace, says hello to the gateway with eth0's MAC, then
 * greets three connections on port 80. */
static void container_main(const char *ns_path)
{
    int nsfd = open(ns_path, O_RDONLY | O_CLOEXEC);
    if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0)
        _exit(2);
    int l = listener(INADDR_ANY, 80);
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "eth0");
    if (l < 0 || ioctl(l, SIOCGIFHWADDR, &ifr) < 0)
        _exit(3);
    char mac[18], hello[32];
    net_mac_format((uint8_t *)ifr.ifr_hwaddr.sa_data, mac);
    int len = snprintf(hello, sizeof(hello), "up %s", mac);
    int fd = dial(GATEWAY, 9000);
    if (fd < 0 || write(fd, hello, (size_t)len) != len)
        _exit(4);
    close(fd);
    for (int i = 0; i < 3; i++) {
        int c = accept(l, NULL, NULL);
        if (c < 0 || write(c, "hello from the container", 24) != 24)
            _exit(5);
        close(c);
    }
    _exit(0);
}

/* Waits for the container's hello on the gateway; checks its MAC. */
static int await_container(int gw_listener)
{
    struct timeval tv = {.tv_sec = 5};
    setsockopt(gw_listener, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    bt_autoclose int c = accept(gw_listener, NULL, NULL);
    if (c < 0)
        return report("the container did not reach the gateway 172.30.0.1", NULL);
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buf[64] = {0};
    if (read(c, buf, sizeof(buf) - 1) <= 0 || strcmp(buf, "up 02:42:ac:1e:00:02") != 0)
        return report("the container's hello (its MAC)", NULL);
    return 0;
}

static int publish_8080(bt_err **err)
{
    struct net_nat_bridge b = {BRIDGE, 0xac1e0000, 16, true, true};
    struct net_nat_port p = {"tcp", 0, 8080, CTR_IP, 80, BRIDGE};
    struct net_nat_state st = {&b, 1, &p, 1};
    return net_nat_apply(&st, err);
}

struct inside_dial {
    const char *ns_path;
    uint32_t addr;
    uint16_t port;
    char got[64];
};

static void *inside_dial_main(void *p)
{
    struct inside_dial *d = p;
    /* this thread's namespace only; it ends with the thread */
    int nsfd = open(d->ns_path, O_RDONLY | O_CLOEXEC);
    if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) == 0)
        read_greeting(d->addr, d->port, d->got, sizeof(d->got));
    if (nsfd >= 0)
        close(nsfd);
    return NULL;
}

/* read_greeting from inside the container's namespace. */
static void read_greeting_inside(const char *ns_path, uint32_t addr, uint16_t port, char *buf,
                                 size_t len)
{
    struct inside_dial d = {ns_path, addr, port, ""};
    pthread_t t;
    if (pthread_create(&t, NULL, inside_dial_main, &d) == 0)
        pthread_join(t, NULL);
    snprintf(buf, len, "%s", d.got);
}

/* With the container serving: direct traffic, DNAT from 127.0.0.1, and the container reaching
 * itself through its published port on the gateway's address (hairpin mode and masquerade). */
static int check_traffic(const char *ns_path)
{
    bt_autoerr bt_err *err = NULL;
    char got[64];
    read_greeting(CTR_IP, 80, got, sizeof(got));
    if (strcmp(got, "hello from the container") != 0)
        return report("connect to 172.30.0.2:80 through the bridge", NULL);
    if (publish_8080(&err) < 0)
        return report("apply the nftables table", err);
    read_greeting(0x7f000001, 8080, got, sizeof(got));
    if (strcmp(got, "hello from the container") != 0)
        return report("connect to 127.0.0.1:8080 (DNAT to 172.30.0.2:80)", NULL);
    read_greeting_inside(ns_path, GATEWAY, 8080, got, sizeof(got));
    if (strcmp(got, "hello from the container") != 0)
        return report("connect from the container to 172.30.0.1:8080 (hairpin)", NULL);
    return 0;
}

/* How many mounts /proc/self/mountinfo has at path. */
static int mounts_at(const char *path)
{
    bt_autofile FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[4096], point[4096];
    int n = 0;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1 && strcmp(point, path) == 0)
            n++;
    return n;
}

static int setup(const char *ns_path, bt_err **err)
{
    struct net_veth_opts o = {.bridge = BRIDGE,
                              .host_name = HOST_END,
                              .netns_path = ns_path,
                              .ifname = "eth0",
                              .addr = CTR_IP,
                              .prefix_len = 16,
                              .gateway = GATEWAY,
                              .default_route = 1,
                              .mtu = 1400};
    if (net_sysctl_set("net/ipv4/ip_forward", "1", err) < 0 || net_ns_create(ns_path, err) < 0 ||
        net_ns_create(ns_path, err) < 0 || net_bridge_ensure(BRIDGE, GATEWAY, 16, 0, err) < 0 ||
        net_bridge_ensure(BRIDGE, GATEWAY, 16, 0, err) < 0 || net_veth_attach(&o, err) < 0)
        return -1;
    /* the second create kept the namespace: one mount, not two stacked */
    if (mounts_at(ns_path) != 1)
        return bt_err_set(err, BT_E_INTERNAL, "%d mounts at %s", mounts_at(ns_path), ns_path);
    /* a second attach of the same name fails and leaves the first alone */
    bt_autoerr bt_err *e = NULL;
    if (net_veth_attach(&o, &e) == 0 || !net_link_exists(HOST_END))
        return bt_err_set(err, BT_E_INTERNAL, "a second attach of %s succeeded", HOST_END);
    bt_err_clear(&e);
    /* a failure after the pair was made (no such bridge) leaves nothing behind */
    o.bridge = "nosuchbr";
    o.host_name = "vetht0000002";
    o.ifname = "eth1";
    o.default_route = 0;
    if (net_veth_attach(&o, &e) == 0 || net_link_exists("vetht0000002") ||
        strcmp(bt_err_msg(e), "find link nosuchbr: No such device") != 0)
        return bt_err_set(err, BT_E_INTERNAL, "failed attach: %s", bt_err_msg(e));
    return 0;
}

static int teardown(const char *dir, const char *ns_path)
{
    bt_autoerr bt_err *err = NULL;
    if (net_veth_detach(ns_path, "eth0", &err) < 0)
        return report("detach", err);
    if (net_link_exists(HOST_END))
        return report("the host end is still there after detach", NULL);
    if (net_veth_detach(ns_path, "eth0", &err) < 0 || net_ns_remove(ns_path, &err) < 0 ||
        net_ns_remove(ns_path, &err) < 0 || net_veth_detach(ns_path, "eth0", &err) < 0)
        return report("second detach, remove", err);
    struct stat st;
    if (stat(ns_path, &st) == 0 || rmdir(dir) < 0)
        return report("the namespace file is still there", NULL);
    if (net_nat_flush(&err) < 0 || net_link_delete(BRIDGE, &err) < 0 ||
        net_link_delete(BRIDGE, &err) < 0 || net_link_exists(BRIDGE))
        return report("flush the table, delete the bridge", err);
    return 0;
}

static int smoke(void)
{
    /* a mount namespace of our own too: the namespace file's bind mount stays in it */
    if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0)
        return SKIP_STATUS;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || set_up("lo") < 0)
        return report("private mounts, lo up", NULL);
    char dir[] = "/tmp/berth-netdev-XXXXXX";
    if (!mkdtemp(dir))
        return report("mkdtemp", NULL);
    bt_autofree char *ns_path = bt_xasprintf("%s/ns", dir);
    bt_autoerr bt_err *err = NULL;
    if (setup(ns_path, &err) < 0)
        return report("set up", err);
    bt_autoclose int gw = listener(GATEWAY, 9000);
    pid_t ctr = fork();
    if (ctr == 0)
        container_main(ns_path);
    int rc = gw < 0 || ctr < 0 ? report("listen on the gateway, fork", NULL) : 0;
    if (!rc)
        rc = await_container(gw) || check_traffic(ns_path);
    if (ctr > 0) {
        kill(ctr, SIGKILL);
        waitpid(ctr, NULL, 0);
    }
    return rc ? rc : teardown(dir, ns_path);
}

static void test_netdev_bridge_veth_and_nat_in_a_namespace(void **state)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(smoke());
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == SKIP_STATUS)
        skip();
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_netdev_mac),
            cmocka_unit_test(test_netdev_bridge_veth_and_nat_in_a_namespace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
