/* SPDX-License-Identifier: Apache-2.0 */
#include "host/cli/port-format.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/cli/util.h"
#include "host/copts/copts.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/json/json.h"

/* container.Port */
struct port {
    const char *ip, *type;
    uint16_t private_port, public_port;
};

/* comparePorts of docker's formatter */
static int cmp_ports(const void *a, const void *b)
{
    const struct port *i = a, *j = b;
    if (i->private_port != j->private_port)
        return i->private_port < j->private_port ? -1 : 1;
    int c = strcmp(i->ip, j->ip);
    if (c)
        return c;
    if (i->public_port != j->public_port)
        return i->public_port < j->public_port ? -1 : 1;
    return strcmp(i->type, j->type);
}

/* net.JoinHostPort */
static void join_host_port(struct bt_strbuf *sb, const char *host, const char *port)
{
    bt_strbuf_appendf(sb, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
}

/* A run of ports under one key: "tcp", or "IP/tcp" for ports published on their own number. */
struct group {
    char *key;
    uint16_t first, last;
};

/* formGroup */
static void form_group(struct bt_strbuf *sb, const struct group *g)
{
    const char *slash = strchr(g->key, '/');
    char range[16];
    if (g->first != g->last)
        snprintf(range, sizeof(range), "%u-%u", g->first, g->last);
    else
        snprintf(range, sizeof(range), "%u", g->first);
    if (sb->len)
        bt_strbuf_append(sb, ", ");
    if (slash) {
        bt_autofree char *ip = bt_xstrndup(g->key, (size_t)(slash - g->key));
        join_host_port(sb, ip, range);
        bt_strbuf_appendf(sb, "->%s/%s", range, slash + 1);
    } else {
        bt_strbuf_appendf(sb, "%s/%s", range, g->key);
    }
}

static struct port *read_ports(const json_t *ports, size_t *n)
{
    *n = json_array_size(ports);
    struct port *p = bt_xzalloc((*n + 1) * sizeof(*p));
    for (size_t i = 0; i < *n; i++) {
        const json_t *e = json_array_get(ports, i);
        p[i].ip = bt_json_get_str(e, "IP", "");
        p[i].type = bt_json_get_str(e, "Type", "");
        p[i].private_port = (uint16_t)bt_json_get_int(e, "PrivatePort", 0);
        p[i].public_port = (uint16_t)bt_json_get_int(e, "PublicPort", 0);
    }
    qsort(p, *n, sizeof(*p), cmp_ports);
    return p;
}

char *berth_displayable_ports(const json_t *ports)
{
    size_t n, ngroups = 0;
    bt_autofree struct port *p = read_ports(ports, &n);
    /* the groups in the order their keys first appeared, as docker's groupMapKeys */
    bt_autofree struct group *groups = bt_xzalloc((n + 1) * sizeof(*groups));
    bt_autostrbuf struct bt_strbuf result = BT_STRBUF_INIT;
    bt_autostrbuf struct bt_strbuf mappings = BT_STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        uint16_t cur = p[i].private_port;
        bt_autofree char *key = bt_xstrdup(p[i].type);
        if (*p[i].ip) {
            if (p[i].public_port != cur) {
                char pub[8];
                snprintf(pub, sizeof(pub), "%u", p[i].public_port);
                if (mappings.len)
                    bt_strbuf_append(&mappings, ", ");
                join_host_port(&mappings, p[i].ip, pub);
                bt_strbuf_appendf(&mappings, "->%u/%s", cur, p[i].type);
                continue;
            }
            free(key);
            key = bt_xasprintf("%s/%s", p[i].ip, p[i].type);
        }
        struct group *g = NULL;
        for (size_t k = 0; k < ngroups && !g; k++)
            if (strcmp(groups[k].key, key) == 0)
                g = &groups[k];
        if (!g) {
            groups[ngroups++] = (struct group){bt_steal_ptr(&key), cur, cur};
            continue;
        }
        if (cur == (uint16_t)(g->last + 1)) {
            g->last = cur;
            continue;
        }
        /* a gap: the run so far is done; the key keeps its place for the new run */
        form_group(&result, g);
        g->first = g->last = cur;
    }
    for (size_t k = 0; k < ngroups; k++) {
        form_group(&result, &groups[k]);
        free(groups[k].key);
    }
    if (mappings.len)
        bt_strbuf_appendf(&result, "%s%s", result.len ? ", " : "", bt_strbuf_str(&mappings));
    return bt_strbuf_steal(&result);
}

/* One "HOST:PORT" of a binding, with "PORT/PROTO -> " before it when from is given. */
static char *binding_line(const char *from, const json_t *b)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (from)
        bt_strbuf_appendf(&sb, "%s -> ", from);
    join_host_port(&sb, bt_json_get_str(b, "HostIp", ""), bt_json_get_str(b, "HostPort", ""));
    return bt_strbuf_steal(&sb);
}

static int cmp_natural(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    return berth_natural_less(x, y) ? -1 : berth_natural_less(y, x) ? 1 : 0;
}

/* The bindings of one port, or of all (port NULL), as unsorted lines. */
static char **collect(const json_t *ports, const char *port)
{
    bt_autostrv char **lines = bt_xzalloc(sizeof(char *));
    const char *key;
    json_t *frontends;
    json_object_foreach ((json_t *)ports, key, frontends) {
        if (port && strcmp(key, port) != 0)
            continue;
        size_t i;
        json_t *b;
        json_array_foreach (frontends, i, b) {
            bt_autofree char *line = binding_line(port ? NULL : key, b);
            bt_strv_push(&lines, line);
        }
    }
    return bt_steal_ptr(&lines);
}

int berth_port_lines(const json_t *ctr, const char *port, const char *name, struct bt_strbuf *out,
                     bt_err **err)
{
    json_t *ports = bt_json_get_obj(bt_json_get_obj(ctr, "NetworkSettings"), "Ports");
    bt_autofree char *wanted = NULL;
    if (port) {
        const char *slash = strchr(port, '/');
        size_t n = slash ? (size_t)(slash - port) : strlen(port);
        unsigned num;
        if (copts_parse_port(port, n, &num, err) < 0)
            return bt_err_wrap(err, "Error: invalid port (%.*s)", (int)n, port);
        wanted = bt_xasprintf("%.*s/%s", (int)n, port, slash && slash[1] ? slash + 1 : "tcp");
    }
    bt_autostrv char **lines = collect(ports, wanted);
    size_t n = bt_strv_len(lines);
    if (port && n == 0)
        return bt_err_set(err, BT_E_NOT_FOUND, "Error: No public port '%s' published for %s", port,
                          name);
    qsort(lines, n, sizeof(char *), cmp_natural);
    for (size_t i = 0; i < n; i++)
        bt_strbuf_appendf(out, "%s\n", lines[i]);
    return 0;
}
