/* SPDX-License-Identifier: Apache-2.0 */
/* Berth's nftables table (nat.h). */
#include "guest/engine/network/nat.h"

#include <nftables/libnftables.h>
#include <string.h>

#include "guest/engine/network/ipam.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"

/*
 * `add` then `delete` makes the delete succeed whether or not the table was there, and the new
 * table follows in the same buffer: nftables runs one buffer as one transaction, so the old
 * rules are replaced by the new ones at once and a failure anywhere leaves the old table.
 */
static const char script_head[] = "add table ip berth\n"
                                  "delete table ip berth\n";

/* Interface names go into the script quoted: a character that nft's parser would take for
 * the end of the string or a new statement must not get there. The kernel allows almost any
 * name (IFNAMSIZ - 1 bytes, no '/', ':' or blanks); Berth's bridges are named berth0 and
 * br-<12 hex digits>, or after com.docker.network.bridge.name. */
static int check_ifname(const char *name, bt_err **err)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len > 15)
        return bt_err_set(err, BT_E_INVALID, "invalid bridge name \"%s\"", name ? name : "");
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return bt_err_set(err, BT_E_INVALID, "invalid bridge name \"%s\"", name);
    }
    return 0;
}

static int check_state(const struct net_nat_state *st, bt_err **err)
{
    for (size_t i = 0; i < st->n_bridges; i++)
        if (check_ifname(st->bridges[i].bridge, err) < 0)
            return -1;
    for (size_t i = 0; i < st->n_ports; i++) {
        const char *p = st->ports[i].proto;
        if (!p || (strcmp(p, "tcp") != 0 && strcmp(p, "udp") != 0))
            return bt_err_set(err, BT_E_INVALID, "invalid protocol \"%s\" of port %u", p ? p : "",
                              st->ports[i].host_port);
    }
    return 0;
}

static void put_cidr(struct bt_strbuf *sb, uint32_t addr, int len)
{
    char a[16];
    bt_strbuf_appendf(sb, "%s/%d", net_ip_format(addr, a), len);
}

/* The published ports' DNAT, the same in prerouting and output. */
static void put_dnat(struct bt_strbuf *sb, const struct net_nat_state *st)
{
    for (size_t i = 0; i < st->n_ports; i++) {
        const struct net_nat_port *p = &st->ports[i];
        char a[16];
        /* "every address of the host": what the routing table calls local, loopback and the
         * bridges' gateways included, as dockerd's `-m addrtype --dst-type LOCAL` */
        if (p->host_ip)
            bt_strbuf_appendf(sb, "\t\tip daddr %s ", net_ip_format(p->host_ip, a));
        else
            bt_strbuf_append(sb, "\t\tfib daddr type local ");
        bt_strbuf_appendf(sb, "%s dport %u dnat to %s:%u\n", p->proto, p->host_port,
                          net_ip_format(p->ctr_ip, a), p->ctr_port);
    }
}

static void put_postrouting(struct bt_strbuf *sb, const struct net_nat_state *st)
{
    for (size_t i = 0; i < st->n_bridges; i++) {
        const struct net_nat_bridge *b = &st->bridges[i];
        if (b->masquerade) {
            bt_strbuf_appendf(sb, "\t\toifname != \"%s\" ip saddr ", b->bridge);
            put_cidr(sb, b->subnet, b->prefix_len);
            bt_strbuf_append(sb, " masquerade\n");
        }
        /* A connection to a published port made from loopback, or by a container of this
         * bridge (hairpin), would get its reply straight from the container's address, which
         * the client never talked to: it leaves with the bridge's address instead. */
        bt_strbuf_appendf(sb, "\t\toifname \"%s\" ip saddr 127.0.0.0/8 ct status dnat masquerade\n",
                          b->bridge);
        bt_strbuf_appendf(sb, "\t\toifname \"%s\" ip saddr ", b->bridge);
        put_cidr(sb, b->subnet, b->prefix_len);
        bt_strbuf_append(sb, " ct status dnat masquerade\n");
    }
}

/* `"a"` or `{ "a", "b" }`: the bridges but skip (SIZE_MAX: none skipped). */
static void put_names(struct bt_strbuf *sb, const struct net_nat_state *st, size_t skip)
{
    size_t n = st->n_bridges - (skip < st->n_bridges);
    if (n > 1)
        bt_strbuf_append(sb, "{ ");
    const char *sep = "";
    for (size_t i = 0; i < st->n_bridges; i++) {
        if (i == skip)
            continue;
        bt_strbuf_appendf(sb, "%s\"%s\"", sep, st->bridges[i].bridge);
        sep = ", ";
    }
    if (n > 1)
        bt_strbuf_append(sb, " }");
}

/* route_localnet on the bridges (netdev.h) lets packets to 127.0.0.0/8 in from them, which
 * DNAT from 127.0.0.1 needs for its replies; a container must not use it to reach the host's
 * loopback services: what is not a reply is dropped. */
static void put_input(struct bt_strbuf *sb, const struct net_nat_state *st)
{
    if (!st->n_bridges)
        return;
    bt_strbuf_append(sb, "\t\tiifname ");
    put_names(sb, st, SIZE_MAX);
    bt_strbuf_append(sb, " ip daddr 127.0.0.0/8 ct state new,invalid drop\n");
}

static void put_forward(struct bt_strbuf *sb, const struct net_nat_state *st)
{
    bt_strbuf_append(sb, "\t\tct state established,related accept\n");
    /* a published port is for everyone, containers of other networks too */
    bt_strbuf_append(sb, "\t\tct status dnat accept\n");
    /* dockerd's isolation chains: no traffic between two of its bridges */
    for (size_t i = 0; st->n_bridges > 1 && i < st->n_bridges; i++) {
        bt_strbuf_appendf(sb, "\t\tiifname \"%s\" oifname ", st->bridges[i].bridge);
        put_names(sb, st, i);
        bt_strbuf_append(sb, " drop\n");
    }
    /* Within a bridge, frames are bridged, not routed: they reach this hook only with
     * br_netfilter loaded and net.bridge.bridge-nf-call-iptables = 1 (the caller's part, as
     * dockerd's for icc=false). */
    for (size_t i = 0; i < st->n_bridges; i++)
        if (!st->bridges[i].icc)
            bt_strbuf_appendf(sb, "\t\tiifname \"%s\" oifname \"%s\" drop\n", st->bridges[i].bridge,
                              st->bridges[i].bridge);
    if (!st->n_bridges)
        return;
    bt_strbuf_append(sb, "\t\tiifname ");
    put_names(sb, st, SIZE_MAX);
    bt_strbuf_append(sb, " accept\n\t\toifname ");
    put_names(sb, st, SIZE_MAX);
    bt_strbuf_append(sb, " accept\n");
}

static void put_chain(struct bt_strbuf *sb, const char *name, const char *type, const char *hook,
                      const char *prio, const struct net_nat_state *st,
                      void (*body)(struct bt_strbuf *, const struct net_nat_state *))
{
    bt_strbuf_appendf(sb, "\tchain %s {\n\t\ttype %s hook %s priority %s; policy accept;\n", name,
                      type, hook, prio);
    body(sb, st);
    bt_strbuf_append(sb, "\t}\n");
}

char *net_nat_script(const struct net_nat_state *st, bt_err **err)
{
    if (check_state(st, err) < 0)
        return NULL;
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, script_head);
    bt_strbuf_append(&sb, "table ip berth {\n");
    put_chain(&sb, "prerouting", "nat", "prerouting", "dstnat", st, put_dnat);
    /* -100 as dstnat: nft's name for it is for prerouting only */
    put_chain(&sb, "output", "nat", "output", "-100", st, put_dnat);
    put_chain(&sb, "postrouting", "nat", "postrouting", "srcnat", st, put_postrouting);
    put_chain(&sb, "input", "filter", "input", "filter", st, put_input);
    put_chain(&sb, "forward", "filter", "forward", "filter", st, put_forward);
    bt_strbuf_append(&sb, "}\n");
    return bt_strbuf_steal(&sb);
}

static void nft_ctx_cleanup(struct nft_ctx **ctx)
{
    if (*ctx)
        nft_ctx_free(*ctx);
}

/* Run a script in one transaction; the error is nft's own message (what it did not take). */
static int run_script(const char *script, const char *op, bt_err **err)
{
    __attribute__((cleanup(nft_ctx_cleanup))) struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    if (!ctx)
        return bt_err_set(err, BT_E_INTERNAL, "%s: cannot make an nftables context", op);
    /* buffered: nothing goes to berthd's stdout and stderr */
    nft_ctx_buffer_output(ctx);
    nft_ctx_buffer_error(ctx);
    if (nft_run_cmd_from_buffer(ctx, script) != 0) {
        /* its first line: the next ones quote the script and underline the culprit */
        const char *msg = nft_ctx_get_error_buffer(ctx);
        size_t len = msg ? strcspn(msg, "\n") : 0;
        return bt_err_set(err, BT_E_INTERNAL, "%s: %.*s", op, (int)len, len ? msg : "failed");
    }
    return 0;
}

int net_nat_apply(const struct net_nat_state *st, bt_err **err)
{
    bt_autofree char *script = net_nat_script(st, err);
    if (!script)
        return bt_err_wrap(err, "apply nftables table berth");
    return run_script(script, "apply nftables table berth", err);
}

int net_nat_flush(bt_err **err)
{
    return run_script(script_head, "delete nftables table berth", err);
}
