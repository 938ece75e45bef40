/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What berth shows of networks and ports, against what the docker CLI 28.2 printed for the
 * same engine answers (a fake engine fed the JSON below): `network ls` rows and tables,
 * `network inspect -f` on the typed network, `ps`'s PORTS column, `port`'s lines; and the body
 * of `network create` with docker's IPAM checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/cli/network-create.h"
#include "host/cli/network-format.h"
#include "host/cli/port-format.h"
#include "host/cli/util.h"
#include "host/format/list.h"
#include "host/format/units.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

#define N1                                                                                         \
    "{\"Name\":\"n1\",\"Id\":\"1f0a8a7e3b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6\"" \
    ",\"Created\":\"2025-01-02T03:04:05.123456789Z\",\"Scope\":\"local\",\"Driver\":\"bridge\","   \
    "\"EnableIPv6\":false,\"IPAM\":{\"Driver\":\"default\",\"Options\":null,\"Config\":[{"         \
    "\"Subnet\":\"172.18.0.0/16\",\"Gateway\":\"172.18.0.1\"}]},\"Internal\":false,"               \
    "\"Attachable\":false,\"Ingress\":false,\"ConfigFrom\":{\"Network\":\"\"},\"ConfigOnly\":"     \
    "false,\"Containers\":{\"abc\":{\"Name\":\"web\",\"EndpointID\":\"e1\",\"MacAddress\":"        \
    "\"02:42:ac:12:00:02\",\"IPv4Address\":\"172.18.0.2/16\",\"IPv6Address\":\"\"}},"              \
    "\"Options\":{\"com.docker.network.bridge.name\":\"br-1f0a\"},\"Labels\":{\"b\":\"2\","        \
    "\"a\":\"<1>\"}}"

static json_t *parse(const char *text)
{
    bt_autoerr bt_err *err = NULL;
    json_t *v = bt_json_parse(text, strlen(text), &err);
    if (!v)
        fail_msg("%s", bt_err_msg(err));
    return v;
}

/* `network ls --format FORMAT` of nets as berth's command renders it */
static char *ls(json_t *nets, const char *format, bool trunc)
{
    berth_sort_by_name(nets);
    bt_autoptr(json_t) rows = json_array();
    for (size_t i = 0; i < json_array_size(nets); i++)
        json_array_append_new(rows, berth_network_row(json_array_get(nets, i), trunc));
    bt_autoptr(json_t) header = berth_network_header();
    struct berth_label_ctx lc = {.rows = rows, .objs = nets};
    struct fmt_exec_opts eo = {
            .types = berth_network_row_types, .method = berth_label_method, .method_ctx = &lc};
    struct fmt_list l = {.opts = &eo,
                         .format = format,
                         .default_format = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
                         .header = header,
                         .rows = rows};
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    bt_autoerr bt_err *err = NULL;
    if (fmt_list_render(&l, &out, &err) < 0)
        return bt_xstrdup(bt_err_msg(err));
    return bt_strbuf_steal(&out);
}

static void test_network_format_ls_as_docker_prints_it(void **state)
{
    bt_autoptr(json_t) n1 = parse(N1);
    bt_autoptr(json_t) nets = json_array();
    json_t *bridge = json_deep_copy(n1), *host = json_deep_copy(n1), *n10 = json_deep_copy(n1);
    json_object_update_new(bridge,
                           json_pack("{s:s, s:s, s:{}}", "Name", "bridge", "Id",
                                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                     "aaaaaaaa",
                                     "Labels"));
    json_object_update_new(host, json_pack("{s:s, s:s, s:s, s:{}}", "Name", "host", "Driver",
                                           "host", "Id",
                                           "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
                                           "bbbbbbbbbbbb",
                                           "Labels"));
    json_object_update_new(n10,
                           json_pack("{s:s, s:s, s:n}", "Name", "n10", "Id",
                                     "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
                                     "cccccc",
                                     "Labels"));
    json_array_append_new(nets, n10);
    json_array_append(nets, n1);
    json_array_append_new(nets, host);
    json_array_append_new(nets, bridge);
    bt_autofree char *table = ls(nets, NULL, true);
    assert_string_equal(table, "NETWORK ID     NAME      DRIVER    SCOPE\n"
                               "aaaaaaaaaaaa   bridge    bridge    local\n"
                               "bbbbbbbbbbbb   host      host      local\n"
                               "1f0a8a7e3b2c   n1        bridge    local\n"
                               "cccccccccccc   n10       bridge    local\n");
    bt_autofree char *cols =
            ls(nets,
               "table {{.Name}}\t{{.Labels}}\t{{.IPv4}}\t{{.IPv6}}\t{{.Internal}}\t{{.CreatedAt}}"
               "\t{{.Label \"a\"}}",
               true);
    assert_string_equal(cols,
                        "NAME      LABELS      IPV4      IPV6      INTERNAL   CREATED AT      "
                        "                          a\n"
                        "bridge                false     false     false      2025-01-02 "
                        "03:04:05.123456789 +0000 UTC   \n"
                        "host                  false     false     false      2025-01-02 "
                        "03:04:05.123456789 +0000 UTC   \n"
                        "n1        a=<1>,b=2   false     false     false      2025-01-02 "
                        "03:04:05.123456789 +0000 UTC   <1>\n"
                        "n10                   false     false     false      2025-01-02 "
                        "03:04:05.123456789 +0000 UTC   \n");
    bt_autofree char *json = ls(nets, "json", true);
    assert_string_equal(strchr(json, '\n') + 1,
                        "{\"CreatedAt\":\"2025-01-02 03:04:05.123456789 +0000 UTC\",\"Driver\":"
                        "\"host\",\"ID\":\"bbbbbbbbbbbb\",\"IPv4\":\"false\",\"IPv6\":\"false\","
                        "\"Internal\":\"false\",\"Labels\":\"\",\"Name\":\"host\",\"Scope\":"
                        "\"local\"}\n"
                        "{\"CreatedAt\":\"2025-01-02 03:04:05.123456789 +0000 UTC\",\"Driver\":"
                        "\"bridge\",\"ID\":\"1f0a8a7e3b2c\",\"IPv4\":\"false\",\"IPv6\":\"false\","
                        "\"Internal\":\"false\",\"Labels\":\"a=\\u003c1\\u003e,b=2\",\"Name\":"
                        "\"n1\",\"Scope\":\"local\"}\n"
                        "{\"CreatedAt\":\"2025-01-02 03:04:05.123456789 +0000 UTC\",\"Driver\":"
                        "\"bridge\",\"ID\":\"cccccccccccc\",\"IPv4\":\"false\",\"IPv6\":\"false\","
                        "\"Internal\":\"false\",\"Labels\":\"\",\"Name\":\"n10\",\"Scope\":"
                        "\"local\"}\n");
    bt_autofree char *full = ls(nets, "{{.ID}}", false);
    assert_non_null(strstr(full, "1f0a8a7e3b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6"
                                 "\n"));
    /* drivers and flags berthd does not serve print as the engine says */
    bt_autoptr(json_t) other = json_array();
    json_t *mv = json_deep_copy(n1);
    json_object_update_new(mv,
                           json_pack("{s:s, s:s, s:b, s:b, s:b}", "Name", "mv", "Driver", "macvlan",
                                     "EnableIPv6", 1, "Internal", 1, "ConfigOnly", 1));
    json_array_append_new(other, mv);
    bt_autofree char *mvrow = ls(other, "{{.Name}} {{.Driver}} {{.IPv6}} {{.Internal}}", true);
    assert_string_equal(mvrow, "mv macvlan true true\n");
    bt_autofree char *nope = ls(nets, "{{.Nope}}", true);
    assert_string_equal(nope, "template parsing error: template: :1:2: executing \"\" at <.Nope>: "
                              "can't evaluate field Nope in type *network.networkContext");
}

static void test_network_format_inspect_templates_see_go_types(void **state)
{
    bt_autoptr(json_t) n1 = parse(N1);
    bt_autoptr(json_t) typed = berth_network_typed(n1);
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(fmt_template) t = fmt_template_parse(
            "{{.Name}} {{.IPAM.Config}} {{.Containers}} {{.Labels}} {{.Created}} {{json .IPAM}} "
            "{{.ConfigFrom}} {{.Peers}} {{.IPAM.Options}}",
            &err);
    assert_non_null(t);
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    assert_int_equal(berth_inspect_exec(t, typed, berth_network_types, n1, &out, &err), 0);
    assert_string_equal(bt_strbuf_str(&out),
                        "n1 [{172.18.0.0/16  172.18.0.1 map[]}] map[abc:{web e1 02:42:ac:12:00:02 "
                        "172.18.0.2/16 }] map[a:<1> b:2] 2025-01-02 03:04:05.123456789 +0000 UTC "
                        "{\"Driver\":\"default\",\"Options\":null,\"Config\":[{\"Subnet\":"
                        "\"172.18.0.0/16\",\"Gateway\":\"172.18.0.1\"}]} {} [] map[]\n");
    /* a configuration network and one made from it */
    bt_autoptr(json_t) cfg = json_deep_copy(n1);
    json_object_update_new(cfg, json_pack("{s:b, s:{s:s}, s:s}", "ConfigOnly", 1, "ConfigFrom",
                                          "Network", "base", "Driver", "null"));
    bt_autoptr(json_t) cfg_typed = berth_network_typed(cfg);
    bt_autoptr(fmt_template) ct = fmt_template_parse(
            "{{.ConfigOnly}} {{.ConfigFrom}} {{.ConfigFrom.Network}} {{json .ConfigFrom}}", &err);
    bt_autostrbuf struct bt_strbuf cout = BT_STRBUF_INIT;
    assert_int_equal(berth_inspect_exec(ct, cfg_typed, berth_network_types, cfg, &cout, &err), 0);
    assert_string_equal(bt_strbuf_str(&cout), "true {base} base {\"Network\":\"base\"}\n");
    /* a member network.Inspect lacks: the raw map's error, as docker's fallback gives it */
    bt_autoptr(fmt_template) nope = fmt_template_parse("{{.Nope}}", &err);
    bt_strbuf_reset(&out);
    assert_int_equal(berth_inspect_exec(nope, typed, berth_network_types, n1, &out, &err), -1);
    assert_string_equal(bt_err_msg(err), "template parsing error: template: :1:2: executing \"\" "
                                         "at <.Nope>: map has no entry for key \"Nope\"");
}

/* the Ports of GET /containers/json that the docker CLI showed as PORTS below */
#define PS_PORTS                                                                                 \
    "[{\"IP\":\"0.0.0.0\",\"PrivatePort\":80,\"PublicPort\":8080,\"Type\":\"tcp\"},{\"IP\":\"::" \
    "\","                                                                                        \
    "\"PrivatePort\":80,\"PublicPort\":8080,\"Type\":\"tcp\"},{\"PrivatePort\":81,\"Type\":"     \
    "\"tcp\"},{\"PrivatePort\":82,\"Type\":\"tcp\"},{\"PrivatePort\":84,\"Type\":\"tcp\"},{"     \
    "\"IP\":"                                                                                    \
    "\"0.0.0.0\",\"PrivatePort\":100,\"PublicPort\":100,\"Type\":\"tcp\"},{\"IP\":\"0.0.0.0\","  \
    "\"PrivatePort\":101,\"PublicPort\":101,\"Type\":\"tcp\"},{\"IP\":\"127.0.0.1\","            \
    "\"PrivatePort\":90,\"PublicPort\":9000,\"Type\":\"udp\"},{\"IP\":\"0.0.0.0\","              \
    "\"PrivatePort\":"                                                                           \
    "8000,\"PublicPort\":9000,\"Type\":\"tcp\"},{\"IP\":\"0.0.0.0\",\"PrivatePort\":8001,"       \
    "\"PublicPort\":9001,\"Type\":\"tcp\"},{\"PrivatePort\":53,\"Type\":\"udp\"},{"              \
    "\"PrivatePort\":"                                                                           \
    "54,\"Type\":\"udp\"}]"

static void test_network_format_ps_ports_column(void **state)
{
    bt_autoptr(json_t) ports = parse(PS_PORTS);
    bt_autofree char *col = berth_displayable_ports(ports);
    assert_string_equal(col, "81-82/tcp, 53-54/udp, 84/tcp, 0.0.0.0:100-101->100-101/tcp, "
                             "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp, 127.0.0.1:9000->90/udp, "
                             "0.0.0.0:9000->8000/tcp, 0.0.0.0:9001->8001/tcp");
    bt_autoptr(json_t) none = json_array();
    bt_autofree char *empty = berth_displayable_ports(none);
    assert_string_equal(empty, "");
    bt_autofree char *missing = berth_displayable_ports(NULL);
    assert_string_equal(missing, "");
    /* -p 8000-8001:8000-8001 -p 53:53/udp on both addresses, as a bridge publishes them */
    bt_autoptr(json_t) same =
            parse("[{\"IP\":\"0.0.0.0\",\"PrivatePort\":8001,\"PublicPort\":8001,\"Type\":\"tcp\"},"
                  "{\"IP\":\"::\",\"PrivatePort\":8000,\"PublicPort\":8000,\"Type\":\"tcp\"},"
                  "{\"IP\":\"0.0.0.0\",\"PrivatePort\":8000,\"PublicPort\":8000,\"Type\":\"tcp\"},"
                  "{\"IP\":\"::\",\"PrivatePort\":8001,\"PublicPort\":8001,\"Type\":\"tcp\"},"
                  "{\"IP\":\"0.0.0.0\",\"PrivatePort\":53,\"PublicPort\":53,\"Type\":\"udp\"}]");
    bt_autofree char *grouped = berth_displayable_ports(same);
    assert_string_equal(grouped, "0.0.0.0:53->53/udp, 0.0.0.0:8000-8001->8000-8001/tcp, "
                                 "[::]:8000-8001->8000-8001/tcp");
    /* a gap ends a run where it is; the key's next run comes in the key's place */
    bt_autoptr(json_t) gaps = parse("[{\"PrivatePort\":1,\"Type\":\"tcp\"},{\"PrivatePort\":3,"
                                    "\"Type\":\"tcp\"},{\"PrivatePort\":2,\"Type\":\"udp\"},"
                                    "{\"PrivatePort\":65535,\"Type\":\"udp\"}]");
    bt_autofree char *g = berth_displayable_ports(gaps);
    assert_string_equal(g, "1/tcp, 2/udp, 3/tcp, 65535/udp");
}

#define CTR_PORTS                                                                                  \
    "{\"NetworkSettings\":{\"Ports\":{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"}," \
    "{\"HostIp\":\"::\",\"HostPort\":\"8080\"}],\"81/tcp\":null,\"90/udp\":[{\"HostIp\":"          \
    "\"127.0.0.1\",\"HostPort\":\"9000\"}],\"100/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":"     \
    "\"100\"}],\"101/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"101\"}],\"9/"                   \
    "tcp\":[{\"HostIp\":"                                                                          \
    "\"0.0.0.0\",\"HostPort\":\"32768\"}]}}}"

static void port_case(const json_t *ctr, const char *port, const char *want, const char *want_err)
{
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    bt_autoerr bt_err *err = NULL;
    int rc = berth_port_lines(ctr, port, "web", &out, &err);
    if (want_err) {
        assert_int_equal(rc, -1);
        assert_string_equal(bt_err_msg(err), want_err);
    } else {
        assert_int_equal(rc, 0);
        assert_string_equal(bt_strbuf_str(&out), want);
    }
}

static void test_network_format_port_lines(void **state)
{
    bt_autoptr(json_t) ctr = parse(CTR_PORTS);
    port_case(ctr, NULL,
              "9/tcp -> 0.0.0.0:32768\n80/tcp -> 0.0.0.0:8080\n80/tcp -> [::]:8080\n"
              "90/udp -> 127.0.0.1:9000\n100/tcp -> 0.0.0.0:100\n101/tcp -> 0.0.0.0:101\n",
              NULL);
    port_case(ctr, "80", "0.0.0.0:8080\n[::]:8080\n", NULL);
    port_case(ctr, "80/tcp", "0.0.0.0:8080\n[::]:8080\n", NULL);
    port_case(ctr, "90/udp", "127.0.0.1:9000\n", NULL);
    port_case(ctr, "81", NULL, "Error: No public port '81' published for web");
    port_case(ctr, "80/xyz", NULL, "Error: No public port '80/xyz' published for web");
    port_case(ctr, "080", NULL, "Error: No public port '080' published for web");
    port_case(ctr, "x", NULL,
              "Error: invalid port (x): strconv.ParseUint: parsing \"x\": invalid syntax");
    port_case(ctr, "70000/udp", NULL,
              "Error: invalid port (70000): strconv.ParseUint: parsing \"70000\": value out of "
              "range");
    bt_autoptr(json_t) bare = json_object();
    port_case(bare, NULL, "", NULL);
}

static void create_case(struct berth_network_create *o, const char *want, const char *want_err)
{
    bt_autoerr bt_err *err = NULL;
    bt_autoptr(json_t) body = berth_network_create_body(o, &err);
    if (want_err) {
        if (!err || strcmp(bt_err_msg(err), want_err) != 0)
            fail_msg("want \"%s\", got \"%s\"", want_err, err ? bt_err_msg(err) : "a body");
        return;
    }
    if (!body)
        fail_msg("%s", bt_err_msg(err));
    bt_autofree char *got = bt_json_dumps(body);
    assert_string_equal(got, want);
}

static json_t *strs(const char *csv)
{
    bt_autoerr bt_err *err = NULL;
    json_t *a = NULL;
    assert_int_equal(berth_flag_string_slice(&a, csv, &err), 0);
    return a;
}

static void test_network_format_create_body(void **state)
{
    struct berth_network_create o = {
            .name = "n1", .driver = "bridge", .scope = "", .ipam_driver = "default"};
    create_case(&o,
                "{\"Driver\":\"bridge\",\"Scope\":\"\",\"IPAM\":{\"Driver\":\"default\","
                "\"Options\":{},\"Config\":[]},\"Internal\":false,\"Attachable\":false,"
                "\"Ingress\":false,\"ConfigOnly\":false,\"ConfigFrom\":null,\"Options\":{},"
                "\"Labels\":{},\"Name\":\"n1\",\"CheckDuplicate\":true}",
                NULL);
    bt_autoptr(json_t) subnets = strs("fd00::/64,10.0.0.0/8");
    bt_autoptr(json_t) gateways = strs("fd00::1,10.0.0.1");
    bt_autoptr(json_t) ranges = strs("10.3.0.0/16");
    bt_autoptr(json_t) aux = json_pack("{s:s, s:s}", "b", "10.0.0.9", "a", "fd00::9");
    bt_autoptr(json_t) ipam_opts = json_pack("{s:s, s:s}", "z", "1", "a", "2");
    bt_autoptr(json_t) opts = json_pack("{s:s, s:s}", "x", "1", "b", "2");
    bt_autoptr(json_t) labels = json_pack("{s:s, s:s}", "z", "1", "a", "");
    bool no = false;
    o = (struct berth_network_create){.name = "n",
                                      .driver = "bridge",
                                      .scope = "",
                                      .ipam_driver = "default",
                                      .subnets = subnets,
                                      .gateways = gateways,
                                      .ip_ranges = ranges,
                                      .aux_addresses = aux,
                                      .ipam_opts = ipam_opts,
                                      .opts = opts,
                                      .labels = labels,
                                      .ipv4 = &no};
    create_case(
            &o,
            "{\"Driver\":\"bridge\",\"Scope\":\"\",\"EnableIPv4\":false,\"IPAM\":{\"Driver\":"
            "\"default\",\"Options\":{\"a\":\"2\",\"z\":\"1\"},\"Config\":[{\"Subnet\":"
            "\"fd00::/64\",\"Gateway\":\"fd00::1\",\"AuxiliaryAddresses\":{\"a\":\"fd00::9\"}},"
            "{\"Subnet\":\"10.0.0.0/8\",\"IPRange\":\"10.3.0.0/16\",\"Gateway\":\"10.0.0.1\","
            "\"AuxiliaryAddresses\":{\"b\":\"10.0.0.9\"}}]},\"Internal\":false,\"Attachable\":"
            "false,\"Ingress\":false,\"ConfigOnly\":false,\"ConfigFrom\":null,\"Options\":{\"b\":"
            "\"2\",\"x\":\"1\"},\"Labels\":{\"a\":\"\",\"z\":\"1\"},\"Name\":\"n\","
            "\"CheckDuplicate\":true}",
            NULL);
}

/* The flags of networks berthd does not make (config-only, config-from, ingress, swarm scope)
 * and the operator's ones: what docker network create sends for them (the e2e tests cannot
 * compare these on a real engine). */
static void test_network_format_create_body_operator_flags(void **state)
{
    bool yes = true;
    bt_autoptr(json_t) subnets = strs("10.7.0.0/16");
    struct berth_network_create o = {.name = "n4",
                                     .driver = "macvlan",
                                     .scope = "swarm",
                                     .ipam_driver = "default",
                                     .config_from = "other",
                                     .internal = true,
                                     .attachable = true,
                                     .ingress = true,
                                     .config_only = true,
                                     .ipv6 = &yes,
                                     .subnets = subnets};
    create_case(&o,
                "{\"Driver\":\"macvlan\",\"Scope\":\"swarm\",\"EnableIPv6\":true,\"IPAM\":{"
                "\"Driver\":\"default\",\"Options\":{},\"Config\":[{\"Subnet\":\"10.7.0.0/16\"}]},"
                "\"Internal\":true,\"Attachable\":true,\"Ingress\":true,\"ConfigOnly\":true,"
                "\"ConfigFrom\":{\"Network\":\"other\"},\"Options\":{},\"Labels\":{},\"Name\":"
                "\"n4\",\"CheckDuplicate\":true}",
                NULL);
}

/* docker network create's refusals, each with the flags that earned it */
static void test_network_format_create_errors(void **state)
{
    static const struct {
        const char *subnets, *ranges, *gateways, *aux, *err;
    } cases[] = {
            {"", "", "1.2.3.4", NULL, "every ip-range or gateway must have a corresponding subnet"},
            {"10.0.0.0/8,10.1.0.0/16", "", "", NULL,
             "multiple overlapping subnet configuration is not supported"},
            {"10.0.0.0/8,10.0.0.0/8", "", "", NULL,
             "multiple overlapping subnet configuration is not supported"},
            {"x,y", "", "", NULL, "invalid subnet: invalid CIDR address: y"},
            {"10.0.0.0/8", "", "11.0.0.1", NULL, "no matching subnet for gateway 11.0.0.1"},
            {"10.0.0.0/8", "x", "", NULL, "invalid CIDR address: x"},
            {"10.0.0.0/8", "11.0.0.0/24", "", NULL, "no matching subnet for range 11.0.0.0/24"},
            {"10.0.0.0/8,11.0.0.0/8", "10.1.0.0/16,10.2.0.0/16", "", NULL,
             "cannot configure multiple ranges (10.2.0.0/16, 10.1.0.0/16) on the same subnet "
             "(10.0.0.0/8)"},
            {"10.0.0.0/8,12.0.0.0/8", "", "10.0.0.1,10.0.0.2", NULL,
             "cannot configure multiple gateways (10.0.0.2, 10.0.0.1) for the same subnet "
             "(10.0.0.0/8)"},
            {"10.0.0.0/8", "", "", "11.0.0.1", "no matching subnet for aux-address 11.0.0.1"},
            {"x", "10.0.0.0/24", "", NULL, "invalid subnet: invalid CIDR address: x"},
            {"10.0.0.0/33", "", "10.0.0.1", NULL,
             "invalid subnet: invalid CIDR address: 10.0.0.0/33"},
            {"10.0.0.0/8", "", "x/8", NULL, "invalid CIDR address: x/8"},
            /* accepted by the client: the engine judges them */
            {"x", "", "", NULL, NULL},
            {"10.0.0.0/8", "", "10.0.0.1/8", NULL, NULL},
            {"::ffff:10.0.0.0/104", "", "10.0.0.1", NULL, NULL},
            {"10.0.0.0/8", "", "::ffff:10.0.0.1", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bt_autoptr(json_t) subnets = strs(cases[i].subnets);
        bt_autoptr(json_t) ranges = strs(cases[i].ranges);
        bt_autoptr(json_t) gateways = strs(cases[i].gateways);
        bt_autoptr(json_t) aux = cases[i].aux ? json_pack("{s:s}", "a", cases[i].aux) : NULL;
        struct berth_network_create o = {.name = "n",
                                         .driver = "bridge",
                                         .scope = "",
                                         .ipam_driver = "default",
                                         .subnets = subnets,
                                         .ip_ranges = ranges,
                                         .gateways = gateways,
                                         .aux_addresses = aux};
        bt_autoerr bt_err *err = NULL;
        bt_autoptr(json_t) body = berth_network_create_body(&o, &err);
        if (cases[i].err && (!err || strcmp(bt_err_msg(err), cases[i].err) != 0))
            fail_msg("case %zu: want \"%s\", got \"%s\"", i, cases[i].err,
                     err ? bt_err_msg(err) : "a body");
        if (!cases[i].err && !body)
            fail_msg("case %zu: %s", i, bt_err_msg(err));
    }
}

static void test_network_format_go_times(void **state)
{
    static const char *const cases[][2] = {
            {"2025-01-02T03:04:05.123456789Z", "2025-01-02 03:04:05.123456789 +0000 UTC"},
            {"2025-01-02T03:04:05.120Z", "2025-01-02 03:04:05.12 +0000 UTC"},
            {"2025-01-02T03:04:05.000Z", "2025-01-02 03:04:05 +0000 UTC"},
            {"0001-01-01T00:00:00Z", "0001-01-01 00:00:00 +0000 UTC"},
            {"2025-01-02T03:04:05+05:30", "2025-01-02 03:04:05 +0530 +0530"},
    };
    setenv("TZ", "UTC", 1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
        assert_true(fmt_go_time_string(cases[i][0], &out));
        assert_string_equal(bt_strbuf_str(&out), cases[i][1]);
    }
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    assert_false(fmt_go_time_string("yesterday", &out));
    assert_false(fmt_go_time_string("2025-01-02T03:04:05.Z", &out));
    assert_int_equal(out.len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_network_format_ls_as_docker_prints_it),
            cmocka_unit_test(test_network_format_inspect_templates_see_go_types),
            cmocka_unit_test(test_network_format_ps_ports_column),
            cmocka_unit_test(test_network_format_port_lines),
            cmocka_unit_test(test_network_format_create_body),
            cmocka_unit_test(test_network_format_create_body_operator_flags),
            cmocka_unit_test(test_network_format_create_errors),
            cmocka_unit_test(test_network_format_go_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
