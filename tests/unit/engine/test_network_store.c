/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The network store without touching the host (no devices, no nftables, no DNS sockets): the
 * predefined networks, create/inspect/remove and their errors, endpoints and the allocator
 * that persists across a reopen, reconcile, published ports (real sockets on 127.0.0.1) and
 * the names the DNS server answers.
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest/engine/network/network-internal.h"
#include "guest/engine/network/network.h"
#include "shared/base/cleanup.h"
#include "shared/fs/file.h"
#include "shared/json/json.h"

struct fixture {
    char dir[64];
    struct net_store *s;
};

static struct net_store *open_store(const char *dir)
{
    struct net_store_opts o = {.dir = dir, .no_host_changes = true};
    bt_autoerr bt_err *err = NULL;
    struct net_store *s = net_store_open(&o, &err);
    if (!s)
        fail_msg("open: %s", bt_err_msg(err));
    return s;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/berth-netstore-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->s = open_store(f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    net_store_close(f->s);
    bt_rm_rf(f->dir, NULL);
    free(f);
    return 0;
}

static json_t *parse(const char *text)
{
    json_t *v = bt_json_parse(text, strlen(text), NULL);
    assert_non_null(v);
    return v;
}

static char *create(struct net_store *s, const char *name, const char *ipam)
{
    bt_autoptr(json_t) ip = ipam ? parse(ipam) : NULL;
    struct net_create_req r = {.name = name, .driver = "bridge", .ipam = ip};
    bt_autoerr bt_err *err = NULL;
    char *id = net_create(s, &r, &err);
    if (!id)
        fail_msg("create %s: %s", name, bt_err_msg(err));
    return id;
}

static json_t *attach(struct net_store *s, const char *net, const char *ctr, const char *cfg,
                      bt_err **err)
{
    bt_autoptr(json_t) c = cfg ? parse(cfg) : NULL;
    struct net_endpoint_req r = {.network = net,
                                 .ctr_id = ctr,
                                 .ctr_name = ctr + 60,
                                 .netns_path = "/nonexistent",
                                 .ifname = "eth0",
                                 .config = c,
                                 .default_route = true};
    return net_endpoint_add(s, &r, err);
}

#define CTR_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaweba"
#define CTR_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbdbbb"
#define CTR_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static void test_network_store_predefined(void **state)
{
    struct fixture *f = *state;
    bt_autoptr(json_t) all = net_list(f->s);
    assert_int_equal(json_array_size(all), 3);
    bt_autoptr(json_t) br = net_inspect(f->s, "bridge", NULL);
    assert_string_equal(bt_json_get_str(br, "Driver", ""), "bridge");
    json_t *cfg = json_array_get(bt_json_get_path(br, "IPAM.Config"), 0);
    assert_string_equal(bt_json_get_str(cfg, "Subnet", ""), "172.17.0.0/16");
    assert_string_equal(bt_json_get_str(cfg, "Gateway", ""), "172.17.0.1");
    bt_autoptr(json_t) none = net_inspect(f->s, "none", NULL);
    assert_string_equal(bt_json_get_str(none, "Driver", ""), "null");
    /* the same ids after a reopen */
    bt_autofree char *id = bt_xstrdup(bt_json_get_str(br, "Id", ""));
    net_store_close(f->s);
    f->s = open_store(f->dir);
    bt_autoptr(json_t) again = net_inspect(f->s, id, NULL);
    assert_string_equal(bt_json_get_str(again, "Name", ""), "bridge");
    bt_autofree char *prefix = bt_xstrndup(id, 6);
    bt_autoptr(json_t) by_prefix = net_inspect(f->s, prefix, NULL);
    assert_non_null(by_prefix);
}

static void test_network_store_create_errors(void **state)
{
    struct fixture *f = *state;
    free(create(f->s, "front", "{\"Config\":[{\"Subnet\":\"10.9.0.0/24\"}]}"));
    bt_autoptr(json_t) n = net_inspect(f->s, "front", NULL);
    json_t *cfg = json_array_get(bt_json_get_path(n, "IPAM.Config"), 0);
    assert_string_equal(bt_json_get_str(cfg, "Gateway", ""), "10.9.0.1");
    bt_autoerr bt_err *err = NULL;
    struct net_create_req dup = {.name = "front"};
    assert_null(net_create(f->s, &dup, &err));
    assert_string_equal(bt_err_msg(err), "network with name front already exists");
    bt_err_clear(&err);
    bt_autoptr(json_t) overlap = parse("{\"Config\":[{\"Subnet\":\"10.9.0.128/25\"}]}");
    struct net_create_req ov = {.name = "other", .ipam = overlap};
    assert_null(net_create(f->s, &ov, &err));
    assert_string_equal(bt_err_msg(err), "invalid pool request: Pool overlaps with other one on "
                                         "this address space");
    bt_err_clear(&err);
    bt_autoptr(json_t) ipam_x = parse("{\"Driver\":\"x\",\"Config\":[]}");
    struct net_create_req ix = {.name = "other", .ipam = ipam_x};
    assert_null(net_create(f->s, &ix, &err));
    assert_string_equal(bt_err_msg(err), "plugin \"x\" not found");
    bt_err_clear(&err);
    struct net_create_req drv = {.name = "x", .driver = "overlay2000"};
    assert_null(net_create(f->s, &drv, &err));
    assert_string_equal(bt_err_msg(err), "plugin \"overlay2000\" not found");
    bt_err_clear(&err);
    assert_int_equal(net_remove(f->s, "host", &err), -1);
    assert_string_equal(bt_err_msg(err), "host is a pre-defined network and cannot be removed");
    bt_err_clear(&err);
    assert_int_equal(net_remove(f->s, "nosuch", &err), -1);
    assert_string_equal(bt_err_msg(err), "network nosuch not found");
    bt_err_clear(&err);
    /* a default subnet does not overlap the others */
    bt_autofree char *auto_id = create(f->s, "auto", NULL);
    bt_autoptr(json_t) a = net_inspect(f->s, auto_id, NULL);
    const char *sub =
            bt_json_get_str(json_array_get(bt_json_get_path(a, "IPAM.Config"), 0), "Subnet", "");
    assert_string_not_equal(sub, "172.17.0.0/16");
    assert_int_equal(net_remove(f->s, "auto", NULL), 0);
    assert_null(net_inspect(f->s, "auto", NULL));
}

static void test_network_store_endpoints_persist(void **state)
{
    struct fixture *f = *state;
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) a = attach(f->s, "bridge", CTR_A, NULL, &err);
    assert_non_null(a);
    assert_string_equal(bt_json_get_str(a, "IPAddress", ""), "172.17.0.2");
    assert_string_equal(bt_json_get_str(a, "Gateway", ""), "172.17.0.1");
    assert_string_equal(bt_json_get_str(a, "MacAddress", ""), "02:42:ac:11:00:02");
    assert_int_equal(bt_json_get_int(a, "IPPrefixLen", 0), 16);
    /* --ip only with a user-given subnet */
    assert_null(attach(f->s, "bridge", CTR_B, "{\"IPAMConfig\":{\"IPv4Address\":\"172.17.0.9\"}}",
                       &err));
    assert_non_null(strstr(bt_err_msg(err), "user configured subnets"));
    bt_err_clear(&err);
    /* the allocation survives a reopen: the next container gets .3 */
    net_store_close(f->s);
    f->s = open_store(f->dir);
    bt_autoptr(json_t) b = attach(f->s, "bridge", CTR_B, NULL, &err);
    assert_string_equal(bt_json_get_str(b, "IPAddress", ""), "172.17.0.3");
    bt_autoptr(json_t) n = net_inspect(f->s, "bridge", NULL);
    assert_int_equal(json_object_size(bt_json_get_obj(n, "Containers")), 2);
    /* an endpoint twice on one network */
    assert_null(attach(f->s, "bridge", CTR_B, NULL, &err));
    assert_non_null(strstr(bt_err_msg(err), "already exists in network bridge"));
    bt_err_clear(&err);
    /* a restart where only B still runs: A's address is free again */
    bt_autoptr(json_t) running = json_pack("[s]", CTR_B);
    net_store_reconcile(f->s, running);
    bt_autoptr(json_t) n2 = net_inspect(f->s, "bridge", NULL);
    assert_int_equal(json_object_size(bt_json_get_obj(n2, "Containers")), 1);
    bt_autoptr(json_t) a2 = attach(f->s, "bridge", CTR_A, NULL, &err);
    assert_string_equal(bt_json_get_str(a2, "IPAddress", ""), "172.17.0.2");
    net_endpoint_remove(f->s, "bridge", CTR_A, NULL);
    net_endpoint_remove(f->s, "bridge", CTR_B, NULL);
    bt_autoptr(json_t) n3 = net_inspect(f->s, "bridge", NULL);
    assert_int_equal(json_object_size(bt_json_get_obj(n3, "Containers")), 0);
}

static void test_network_store_user_network_rules(void **state)
{
    struct fixture *f = *state;
    free(create(f->s, "back", "{\"Config\":[{\"Subnet\":\"10.8.0.0/24\"}]}"));
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) a = attach(f->s, "back", CTR_A,
                                  "{\"IPAMConfig\":{\"IPv4Address\":\"10.8.0.20\"},"
                                  "\"Aliases\":[\"web\"],\"Links\":[\"dbbb:database\"]}",
                                  &err);
    assert_non_null(a);
    assert_string_equal(bt_json_get_str(a, "IPAddress", ""), "10.8.0.20");
    /* aliases: the asked-for ones, then the short id (API 1.41) */
    json_t *aliases = bt_json_get_arr(a, "Aliases");
    assert_int_equal(json_array_size(aliases), 2);
    assert_string_equal(json_string_value(json_array_get(aliases, 1)), "aaaaaaaaaaaa");
    assert_null(
            attach(f->s, "back", CTR_B, "{\"IPAMConfig\":{\"IPv4Address\":\"10.8.0.20\"}}", &err));
    bt_err_clear(&err);
    bt_autoptr(json_t) b = attach(f->s, "back", CTR_B, NULL, &err);
    assert_string_equal(bt_json_get_str(b, "IPAddress", ""), "10.8.0.2");
    /* names: container name, alias, short id; only for members; links' aliases for A */
    uint32_t ip[4], a_ip, b_ip;
    net_ip_parse("10.8.0.20", &a_ip, NULL);
    net_ip_parse("10.8.0.2", &b_ip, NULL);
    assert_int_equal(net_dns_lookup(f->s, b_ip, "WEB", ip, 4), 1);
    assert_int_equal(ip[0], a_ip);
    assert_int_equal(net_dns_lookup(f->s, b_ip, "weba", ip, 4), 1);
    assert_int_equal(net_dns_lookup(f->s, b_ip, "aaaaaaaaaaaa", ip, 4), 1);
    assert_int_equal(net_dns_lookup(f->s, a_ip, "database", ip, 4), 1);
    assert_int_equal(ip[0], b_ip);
    assert_int_equal(net_dns_lookup(f->s, b_ip, "database", ip, 4), 0);
    uint32_t stranger;
    net_ip_parse("172.17.0.5", &stranger, NULL);
    assert_int_equal(net_dns_lookup(f->s, stranger, "web", ip, 4), 0);
    assert_int_equal(net_dns_lookup(f->s, b_ip, "nosuch", ip, 4), 0);
    /* a network with endpoints cannot go */
    assert_int_equal(net_remove(f->s, "back", &err), -1);
    assert_non_null(strstr(bt_err_msg(err), "error while removing network: network back has "
                                            "active endpoints (name:\""));
    bt_err_clear(&err);
    char ifname[16];
    net_endpoint_free_ifname(f->s, CTR_A, ifname);
    assert_string_equal(ifname, "eth1");
    net_endpoint_remove(f->s, "back", CTR_A, NULL);
    net_endpoint_remove(f->s, "back", CTR_B, NULL);
    assert_int_equal(net_remove(f->s, "back", NULL), 0);
}

static void test_network_store_ports(void **state)
{
    struct fixture *f = *state;
    bt_autoptr(json_t) exposed = parse("{\"80/tcp\":{},\"443/tcp\":{}}");
    bt_autoptr(json_t) bindings =
            parse("{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}],"
                  "\"53/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}]}");
    struct net_publish_req r = {.ctr_id = CTR_A,
                                .ctr_name = "web",
                                .endpoint_id = "ep",
                                .ctr_ip = "172.17.0.2",
                                .exposed = exposed,
                                .bindings = bindings};
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) ports = net_ports_publish(f->s, &r, &err);
    if (!ports)
        fail_msg("publish: %s", bt_err_msg(err));
    assert_true(json_is_null(json_object_get(ports, "443/tcp")));
    json_t *b = json_array_get(json_object_get(ports, "80/tcp"), 0);
    assert_string_equal(bt_json_get_str(b, "HostIp", ""), "127.0.0.1");
    int port = atoi(bt_json_get_str(b, "HostPort", "0"));
    assert_true(port > 0);
    assert_non_null(json_object_get(ports, "53/udp"));
    /* the same host port again: dockerd's error, and nothing of the second request is kept */
    char spec[128];
    snprintf(spec, sizeof(spec), "{\"8080/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"%d\"}]}",
             port);
    bt_autoptr(json_t) again = parse(spec);
    struct net_publish_req r2 = {.ctr_id = CTR_B,
                                 .ctr_name = "db",
                                 .endpoint_id = "ep2",
                                 .ctr_ip = "172.17.0.3",
                                 .bindings = again};
    assert_null(net_ports_publish(f->s, &r2, &err));
    char want[128];
    snprintf(want, sizeof(want), "Bind for 127.0.0.1:%d failed: port is already allocated", port);
    assert_non_null(strstr(bt_err_msg(err), want));
    bt_err_clear(&err);
    /* released, it can be taken */
    net_ports_release(f->s, CTR_A);
    bt_autoptr(json_t) p2 = net_ports_publish(f->s, &r2, &err);
    if (!p2)
        fail_msg("publish after release: %s", bt_err_msg(err));
    net_ports_release(f->s, CTR_B);
    /* bad keys and host ports */
    bt_autoptr(json_t) bad = parse("{\"80/sctpx\":[{\"HostPort\":\"1\"}]}");
    struct net_publish_req r3 = {.ctr_id = CTR_B,
                                 .ctr_name = "db",
                                 .endpoint_id = "",
                                 .ctr_ip = "172.17.0.3",
                                 .bindings = bad};
    assert_null(net_ports_publish(f->s, &r3, &err));
    assert_string_equal(bt_err_msg(err), "invalid proto: sctpx");
}

/* the host port of key in the answer of a publish */
static int host_port(const json_t *ports, const char *key)
{
    return atoi(bt_json_get_str(json_array_get(json_object_get(ports, key), 0), "HostPort", "0"));
}

static json_t *publish(struct net_store *s, const char *ctr, const char *bindings)
{
    bt_autoptr(json_t) b = parse(bindings);
    struct net_publish_req r = {.ctr_id = ctr,
                                .ctr_name = "c",
                                .endpoint_id = "ep",
                                .ctr_ip = "172.17.0.2",
                                .bindings = b};
    bt_autoerr bt_err *err = NULL;
    json_t *ports = net_ports_publish(s, &r, &err);
    if (!ports)
        fail_msg("publish %s: %s", bindings, bt_err_msg(err));
    return ports;
}

/* Ports without a host port come from the ephemeral range in order, as dockerd's portallocator
 * gives them: from the range's start, then after the last one given (not a released one again
 * at once), past ports another program holds, and per address, protocol and host range. */
static void test_network_store_ephemeral_ports_in_order(void **state)
{
    struct fixture *f = *state;
    struct net_store_opts o = {
            .dir = f->dir, .no_host_changes = true, .ephemeral_lo = 47311, .ephemeral_hi = 47314};
    bt_autoerr bt_err *err = NULL;
    struct net_store *s = net_store_open(&o, &err);
    if (!s)
        fail_msg("open: %s", bt_err_msg(err));
    bt_autoptr(json_t) a = publish(s, CTR_A,
                                   "{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}],"
                                   "\"81/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}]}");
    assert_int_equal(host_port(a, "80/tcp"), 47311);
    assert_int_equal(host_port(a, "81/tcp"), 47312);
    net_ports_release(s, CTR_A);
    const char *one = "{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}]}";
    bt_autoptr(json_t) b = publish(s, CTR_B, one);
    assert_int_equal(host_port(b, "80/tcp"), 47313);
    /* 47314 is another program's: passed over, the search wraps to the start */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(47314)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    bt_autoptr(json_t) c = publish(s, CTR_A, one);
    assert_int_equal(host_port(c, "80/tcp"), 47311);
    close(fd);
    /* udp, another address and a host range of their own start afresh */
    bt_autoptr(json_t) d = publish(s, CTR_C,
                                   "{\"53/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}],"
                                   "\"90/tcp\":[{\"HostIp\":\"127.0.0.2\",\"HostPort\":\"\"}],"
                                   "\"91/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":"
                                   "\"47320-47322\"}]}");
    assert_int_equal(host_port(d, "53/udp"), 47311);
    assert_int_equal(host_port(d, "90/tcp"), 47311);
    assert_int_equal(host_port(d, "91/tcp"), 47320);
    net_store_close(s);
}

static void check_case(struct net_store *s, const char *net, const char *cfg, const char *want)
{
    bt_autoptr(json_t) c = parse(cfg);
    bt_autoerr bt_err *err = NULL;
    int rc = net_endpoint_check(s, net, c, &err);
    if (!want) {
        if (rc != 0)
            fail_msg("%s %s: %s", net, cfg, bt_err_msg(err));
        return;
    }
    assert_int_equal(rc, -1);
    assert_int_equal(bt_err_code(err), BT_E_INVALID);
    assert_string_equal(bt_err_msg(err), want);
}

/* A create's or connect's endpoint settings, refused as dockerd 28's validateEndpointSettings
 * words it */
static void test_network_store_endpoint_checks(void **state)
{
    struct fixture *f = *state;
    bt_autofree char *id = create(f->s, "front", "{\"Config\":[{\"Subnet\":\"10.77.0.0/24\"}]}");
    bt_autofree char *id2 = create(f->s, "auto", NULL);
    check_case(f->s, "front",
               "{\"IPAMConfig\":{\"IPv4Address\":\"10.77.0.9\"},\"Aliases\":[\"a\"],"
               "\"MacAddress\":\"02:42:0a:4d:00:09\"}",
               NULL);
    check_case(f->s, "front", "{\"IPAMConfig\":null,\"Aliases\":null}", NULL);
    check_case(f->s, "nosuch", "{\"IPAMConfig\":{\"IPv4Address\":\"10.1.2.3\"}}", NULL);
    check_case(f->s, "front", "{\"IPAMConfig\":{\"IPv4Address\":\"10.9.0.3\"}}",
               "invalid endpoint settings:\nno configured subnet or ip-range contain the IP "
               "address 10.9.0.3");
    check_case(f->s, "auto", "{\"IPAMConfig\":{\"IPv4Address\":\"172.18.0.9\"}}",
               "invalid endpoint settings:\nuser specified IP address is supported only when "
               "connecting to networks with user configured subnets");
    check_case(f->s, "front", "{\"IPAMConfig\":{\"IPv6Address\":\"fd00::3\"}}",
               "invalid endpoint settings:\nuser specified IP address is supported only when "
               "connecting to networks with user configured subnets");
    check_case(f->s, "default", "{\"IPAMConfig\":{\"IPv4Address\":\"172.17.0.9\"}}",
               "invalid endpoint settings:\nuser specified IP address is supported on user "
               "defined networks only");
    check_case(f->s, "bridge", "{\"Aliases\":[\"x\"]}",
               "invalid endpoint settings:\nnetwork-scoped alias is supported only for "
               "containers in user defined networks");
    /* several reasons, joined as dockerd's multierror does */
    check_case(f->s, "bridge",
               "{\"IPAMConfig\":{\"IPv4Address\":\"x\",\"LinkLocalIPs\":["
               "\"169.254.1.1\",\"::\"]}}",
               "invalid endpoint settings:\n* user specified IP address is supported on user "
               "defined networks only\n* invalid IPv4 address: x\n* invalid link-local IP "
               "address: ::\n* no configured subnet or ip-range contain the IP address x");
    check_case(f->s, "front",
               "{\"IPAMConfig\":{\"IPv4Address\":\"::ffff:10.77.0.4\","
               "\"IPv6Address\":\"::ffff:1.2.3.4\"}}",
               "invalid endpoint settings:\n* invalid IPv6 address: ::ffff:1.2.3.4\n* user "
               "specified IP address is supported only when connecting to networks with user "
               "configured subnets");
    check_case(f->s, "bridge", "{\"IPAMConfig\":{\"IPv4Address\":\"x\"},\"MacAddress\":\"zz\"}",
               "invalid MAC address zz");
    char *two[] = {"a\nb", "c"};
    bt_autofree char *joined = net_join_errors(two, 2);
    assert_string_equal(joined, "* a\n\tb\n* c");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_network_store_predefined, setup, teardown),
            cmocka_unit_test_setup_teardown(test_network_store_create_errors, setup, teardown),
            cmocka_unit_test_setup_teardown(test_network_store_endpoints_persist, setup, teardown),
            cmocka_unit_test_setup_teardown(test_network_store_user_network_rules, setup, teardown),
            cmocka_unit_test_setup_teardown(test_network_store_ports, setup, teardown),
            cmocka_unit_test_setup_teardown(test_network_store_ephemeral_ports_in_order, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_network_store_endpoint_checks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
