/* SPDX-License-Identifier: Apache-2.0 */
/*
 * -H / DOCKER_HOST values, parsed by the docker CLI's rules (opts.ParseHost and
 * ParseTCPAddr): "host:port" means tcp, a tcp address without host is localhost, without port
 * 2375; ssh:// addresses keep their form for the SSH transport.
 */
#include <stdlib.h>
#include <string.h>

#include "host/client/client.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

#define DEFAULT_UNIX_SOCKET "/run/berth.sock"
#define DEFAULT_TCP_PORT    2375

static char *trim(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    return bt_xstrndup(s, n);
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* "host:port", "[v6]:port", "host", ":port" -> host (without brackets) and port. */
static int split_host_port(const char *addr, const char *orig, char **host, int *port, int def_port,
                           bt_err **err)
{
    const char *colon = NULL;
    const char *h = addr;
    size_t hlen;
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close || (close[1] && close[1] != ':'))
            return bt_err_set(err, BT_E_INVALID, "invalid bind address format: %s", orig);
        h = addr + 1;
        hlen = (size_t)(close - h);
        colon = close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = strrchr(addr, ':');
        if (colon && strchr(addr, ':') != colon)
            return bt_err_set(err, BT_E_INVALID, "invalid bind address format: %s", orig);
        hlen = colon ? (size_t)(colon - addr) : strlen(addr);
    }
    *port = def_port;
    if (colon && colon[1]) {
        if (!all_digits(colon + 1) || strlen(colon + 1) > 5 || atoi(colon + 1) > 65535)
            return bt_err_set(err, BT_E_INVALID, "invalid bind address format: %s", orig);
        *port = atoi(colon + 1);
    }
    *host = hlen ? bt_xstrndup(h, hlen) : bt_xstrdup("localhost");
    return 0;
}

static int parse_tcp(const char *rest, const char *orig, struct cl_endpoint *ep, bt_err **err)
{
    if (!*rest) {
        ep->host = bt_xstrdup("localhost");
        ep->port = DEFAULT_TCP_PORT;
        return 0;
    }
    if (strstr(rest, "://"))
        return bt_err_set(err, BT_E_INVALID, "invalid proto, expected tcp: %s", orig);
    /* a path after the address is kept by docker for old API prefixes; berth has no use */
    bt_autofree char *addr = bt_xstrndup(rest, strcspn(rest, "/"));
    return split_host_port(addr, orig, &ep->host, &ep->port, DEFAULT_TCP_PORT, err);
}

static int parse_ssh(const char *rest, const char *orig, struct cl_endpoint *ep, bt_err **err)
{
    const char *at = strchr(rest, '@');
    const char *hostpart = rest;
    if (at) {
        if (at == rest)
            return bt_err_set(err, BT_E_INVALID, "invalid SSH URL: no user before @: %s", orig);
        ep->user = bt_xstrndup(rest, (size_t)(at - rest));
        hostpart = at + 1;
    }
    /* a path names the engine's socket on the far side (`dial-stdio --host=unix://PATH`); the
     * SSH transport checks the rest of the URL as the docker CLI does */
    size_t n = strcspn(hostpart, "/?#");
    bt_autofree char *addr = bt_xstrndup(hostpart, n);
    if (!addr[0] || addr[0] == ':')
        return bt_err_set(err, BT_E_INVALID, "no host specified: %s", orig);
    return split_host_port(addr, orig, &ep->host, &ep->port, 22, err);
}

int cl_endpoint_parse(const char *host, bool tls, struct cl_endpoint *ep, bt_err **err)
{
    *ep = (struct cl_endpoint){0};
    bt_autofree char *s = trim(host ? host : "");
    const char *sep = strstr(s, "://");
    bt_autofree char *proto = sep ? bt_xstrndup(s, (size_t)(sep - s)) : bt_xstrdup("tcp");
    const char *rest = sep ? sep + 3 : s;
    int rc;
    if (strcmp(proto, "unix") == 0) {
        if (strstr(rest, "://"))
            return bt_err_set(err, BT_E_INVALID, "invalid proto, expected unix: %s", rest);
        ep->proto = CL_UNIX;
        ep->path = bt_xstrdup(*rest ? rest : DEFAULT_UNIX_SOCKET);
        ep->url = bt_xasprintf("unix://%s", ep->path);
        return 0;
    }
    if (strcmp(proto, "tcp") == 0) {
        ep->proto = CL_TCP;
        rc = parse_tcp(rest, s, ep, err);
        if (rc == 0)
            ep->url = bt_xasprintf(strchr(ep->host, ':') ? "tcp://[%s]:%d" : "tcp://%s:%d",
                                   ep->host, ep->port);
    } else if (strcmp(proto, "ssh") == 0) {
        ep->proto = CL_SSH;
        rc = parse_ssh(rest, s, ep, err);
        if (rc == 0)
            ep->url = bt_xstrdup(s);
    } else {
        return bt_err_set(err, BT_E_INVALID, "invalid bind address format: %s", s);
    }
    if (rc < 0) {
        cl_endpoint_clear(ep);
        return -1;
    }
    ep->tls = tls && ep->proto == CL_TCP;
    return 0;
}

void cl_endpoint_clear(struct cl_endpoint *ep)
{
    free(ep->url);
    free(ep->path);
    free(ep->host);
    free(ep->user);
    free(ep->ca_file);
    free(ep->cert_file);
    free(ep->key_file);
    free(ep->ssh_identity);
    free(ep->ssh_known_hosts);
    *ep = (struct cl_endpoint){0};
}

void cl_endpoint_copy(struct cl_endpoint *to, const struct cl_endpoint *from)
{
    *to = *from;
    to->url = bt_xstrdup_or_null(from->url);
    to->path = bt_xstrdup_or_null(from->path);
    to->host = bt_xstrdup_or_null(from->host);
    to->user = bt_xstrdup_or_null(from->user);
    to->ca_file = bt_xstrdup_or_null(from->ca_file);
    to->cert_file = bt_xstrdup_or_null(from->cert_file);
    to->key_file = bt_xstrdup_or_null(from->key_file);
    to->ssh_identity = bt_xstrdup_or_null(from->ssh_identity);
    to->ssh_known_hosts = bt_xstrdup_or_null(from->ssh_known_hosts);
}
