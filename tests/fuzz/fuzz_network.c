/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What `berth network`, `port` and `ps` read from an engine and from their user: the first
 * byte picks the input, the rest is it.
 *   0: an answer to GET /networks (any JSON), through ls' sort, rows and formats and inspect's
 *      Go value under a template;
 *   1: an answer to GET /containers/json or /containers/NAME/json: the PORTS column of each
 *      element's "Ports", and `port`'s lines of the whole (all ports, then "80/tcp");
 *   2: lines of `network create` values: subnets, ranges, gateways, auxiliary addresses (one
 *      of each per line, cycling), into the create body with docker's IPAM checks.
 * Each either succeeds or fails with a message; none may touch memory it does not own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/cli/network-create.h"
#include "host/cli/network-format.h"
#include "host/cli/port-format.h"
#include "host/cli/util.h"
#include "host/format/list.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void networks(json_t *nets)
{
    if (!json_is_array(nets))
        return;
    berth_sort_by_name(nets);
    bt_autoptr(json_t) rows = json_array();
    bt_autoptr(fmt_template) t =
            fmt_template_parse("{{.}} {{json .}} {{.Created}} {{.IPAM.Config}}", NULL);
    for (size_t i = 0; i < json_array_size(nets); i++) {
        json_t *n = json_array_get(nets, i);
        json_array_append_new(rows, berth_network_row(n, i % 2));
        bt_autoptr(json_t) typed = berth_network_typed(n);
        bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
        bt_err *err = NULL;
        if (berth_inspect_exec(t, typed, berth_network_types, n, &out, &err) < 0 &&
            !*bt_err_msg(err))
            abort();
        bt_err_free(err);
    }
    bt_autoptr(json_t) header = berth_network_header();
    struct berth_label_ctx lc = {.rows = rows, .objs = nets};
    struct fmt_exec_opts eo = {.types = berth_network_row_types,
                               .method = berth_label_method,
                               .method_ctx = &lc,
                               .max_steps = 100000};
    static const char *const formats[] = {NULL, "json",
                                          "table {{.Name}}\t{{.Labels}}\t{{.Label \"a\"}}\t"
                                          "{{.CreatedAt}}\t{{.IPv6}}"};
    for (size_t f = 0; f < 3; f++) {
        struct fmt_list l = {.opts = &eo,
                             .format = formats[f],
                             .default_format = "table {{.ID}}\t{{.Name}}",
                             .header = header,
                             .rows = rows};
        bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
        bt_err *err = NULL;
        fmt_list_render(&l, &out, &err);
        bt_err_free(err);
    }
}

static void ports(const json_t *answer)
{
    for (size_t i = 0; i < json_array_size(answer); i++)
        free(berth_displayable_ports(bt_json_get_arr(json_array_get(answer, i), "Ports")));
    static const char *const which[] = {NULL, "80/tcp", "x"};
    for (size_t w = 0; w < 3; w++) {
        bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
        bt_err *err = NULL;
        if (berth_port_lines(answer, which[w], "c", &out, &err) < 0 && !*bt_err_msg(err))
            abort();
        bt_err_free(err);
    }
}

static void create(const char *text)
{
    bt_autofree char *copy = bt_xstrdup(text);
    json_t *lists[3] = {NULL, NULL, NULL};
    bt_autoptr(json_t) aux = json_object();
    char *save = NULL;
    size_t n = 0;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (n % 4 == 3)
            bt_json_set_str(aux, line, line);
        else if (berth_flag_string_slice(&lists[n % 4], line, NULL) < 0)
            break;
        n++;
    }
    struct berth_network_create o = {.name = "n",
                                     .driver = "bridge",
                                     .scope = "",
                                     .ipam_driver = "default",
                                     .subnets = lists[0],
                                     .ip_ranges = lists[1],
                                     .gateways = lists[2],
                                     .aux_addresses = aux};
    bt_err *err = NULL;
    json_t *body = berth_network_create_body(&o, &err);
    if (!body && (!err || !*bt_err_msg(err)))
        abort(); /* a refusal always says why */
    json_decref(body);
    bt_err_free(err);
    for (size_t i = 0; i < 3; i++)
        json_decref(lists[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 100000)
        return 0;
    bt_autofree char *text = bt_xstrndup((const char *)data + 1, size - 1);
    if (data[0] % 3 == 2) {
        create(text);
        return 0;
    }
    bt_autoptr(json_t) answer = bt_json_parse((const char *)data + 1, size - 1, NULL);
    if (data[0] % 3 == 0)
        networks(answer);
    else
        ports(answer);
    return 0;
}
