/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Published and exposed ports as the docker CLI 28 reads -p and --expose: its
 * convertToStandardNotation (the long "published=,target=" syntax), then go-connections' nat
 * package (ParsePortSpecs, ParsePortSpec, ParsePortRange, SplitProtoPort), then the --expose
 * loop of its container/opts.go. The order of the checks is theirs, so a spec with two faults
 * is refused for the same one, with the same words.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/copts/copts-internal.h"
#include "host/copts/copts.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/json/json.h"

int copts_parse_port(const char *s, size_t n, unsigned *out, bt_err **err)
{
    /* strconv.ParseUint(s, 10, 16): decimal digits only (no sign, no "_"); a value past
     * 65535 is a range error as soon as it is seen, before any later bad byte */
    const char *why = n ? NULL : "invalid syntax";
    unsigned long v = 0;
    for (size_t i = 0; i < n && !why; i++) {
        if (s[i] < '0' || s[i] > '9')
            why = "invalid syntax";
        else if ((v = v * 10 + (unsigned long)(s[i] - '0')) > 0xFFFF)
            why = "value out of range";
    }
    if (why) {
        bt_autostrbuf struct bt_strbuf q = BT_STRBUF_INIT;
        bt_strbuf_go_quote(&q, s, n);
        return bt_err_set(err, BT_E_INVALID, "strconv.ParseUint: parsing %s: %s", bt_strbuf_str(&q),
                          why);
    }
    *out = (unsigned)v;
    return 0;
}

int copts_parse_port_range(const char *s, unsigned *start, unsigned *end, bt_err **err)
{
    if (!*s)
        return bt_err_set(err, BT_E_INVALID, "empty string specified for ports");
    const char *dash = strchr(s, '-');
    if (!dash) {
        if (copts_parse_port(s, strlen(s), start, err) < 0)
            return -1;
        *end = *start;
        return 0;
    }
    /* strings.Split(ports, "-") and only the first two parts: "1-2-3" is 1 to 2 */
    const char *second = dash + 1;
    size_t second_len = strcspn(second, "-");
    if (copts_parse_port(s, (size_t)(dash - s), start, err) < 0 ||
        copts_parse_port(second, second_len, end, err) < 0)
        return -1;
    if (*end < *start)
        return bt_err_set(err, BT_E_INVALID, "invalid range specified for port: %s", s);
    return 0;
}

/* nat.SplitProtoPort: "80/udp" -> udp, 80; "80" and "80/" -> tcp, 80; "" and "/x" -> "", "".
 * Both results are new strings. */
static void split_proto_port(const char *raw, char **proto, char **port)
{
    const char *slash = strchr(raw, '/');
    if (!*raw || slash == raw) {
        *proto = bt_xstrdup("");
        *port = bt_xstrdup("");
        return;
    }
    if (!slash) {
        *proto = bt_xstrdup("tcp");
        *port = bt_xstrdup(raw);
        return;
    }
    size_t plen = strcspn(slash + 1, "/");
    *proto = plen ? bt_xstrndup(slash + 1, plen) : bt_xstrdup("tcp");
    *port = bt_xstrndup(raw, (size_t)(slash - raw));
}

/* A spec split at its colons, as nat's splitParts: the last part is the container port, the
 * one before it the host port, and all before those (joined again) the IP. */
struct spec_parts {
    char *ip, *host_port, *proto, *container_port;
};

static void spec_parts_clear(struct spec_parts *p)
{
    free(p->ip);
    free(p->host_port);
    free(p->proto);
    free(p->container_port);
}

static void split_parts(const char *raw, struct spec_parts *p)
{
    const char *last = strrchr(raw, ':');
    const char *cport = last ? last + 1 : raw;
    const char *before = NULL; /* the colon ending the IP, if there is one */
    if (last)
        for (const char *q = last - 1; q >= raw && !before; q--)
            if (*q == ':')
                before = q;
    p->ip = before ? bt_xstrndup(raw, (size_t)(before - raw)) : bt_xstrdup("");
    const char *hp = before ? before + 1 : raw;
    p->host_port = last ? bt_xstrndup(hp, (size_t)(last - hp)) : bt_xstrdup("");
    split_proto_port(cport, &p->proto, &p->container_port);
}

/* net.SplitHostPort(ip + ":") of a bracketed IP, the host part replacing ip; errors in Go's
 * words ("address [::1:: missing ']' in address"). */
static int strip_brackets(char **ip, bt_err **err)
{
    bt_autofree char *hostport = bt_xasprintf("%s:", *ip);
    size_t len = strlen(hostport), last = len - 1;
    const char *end = strchr(hostport, ']');
    const char *why = NULL;
    if (!end)
        why = "missing ']' in address";
    else if ((size_t)(end - hostport) + 1 != last)
        why = end[1] == ':' ? "too many colons in address" : "missing port in address";
    else if (strchr(hostport + 1, '['))
        why = "unexpected '[' in address";
    else if (strchr(end + 1, ']'))
        why = "unexpected ']' in address";
    if (why)
        return bt_err_set(err, BT_E_INVALID, "invalid IP address %s: address %s: %s", *ip, hostport,
                          why);
    char *host = bt_xstrndup(hostport + 1, (size_t)(end - hostport - 1));
    free(*ip);
    *ip = host;
    return 0;
}

static bool valid_proto(const char *proto)
{
    return !strcasecmp(proto, "tcp") || !strcasecmp(proto, "udp") || !strcasecmp(proto, "sctp");
}

/* The checks of nat.ParsePortSpec, in its order; fills the port ranges. */
static int check_spec(const char *raw, struct spec_parts *p, unsigned c[2], unsigned h[2],
                      bt_err **err)
{
    if (p->ip[0] == '[' && strip_brackets(&p->ip, err) < 0)
        return -1;
    if (p->ip[0] && !copts_valid_ip(p->ip))
        return bt_err_set(err, BT_E_INVALID, "invalid IP address: %s", p->ip);
    if (!p->container_port[0])
        return bt_err_set(err, BT_E_INVALID, "no port specified: %s<empty>", raw);
    if (copts_parse_port_range(p->container_port, &c[0], &c[1], NULL) < 0)
        return bt_err_set(err, BT_E_INVALID, "invalid containerPort: %s", p->container_port);
    h[0] = h[1] = 0;
    if (p->host_port[0] && copts_parse_port_range(p->host_port, &h[0], &h[1], NULL) < 0)
        return bt_err_set(err, BT_E_INVALID, "invalid hostPort: %s", p->host_port);
    /* a host range with one container port is the range to pick the host port from */
    if (p->host_port[0] && c[1] - c[0] != h[1] - h[0] && c[1] != c[0])
        return bt_err_set(err, BT_E_INVALID,
                          "invalid ranges specified for container and host Ports: %s and %s",
                          p->container_port, p->host_port);
    if (!valid_proto(p->proto))
        return bt_err_set(err, BT_E_INVALID, "invalid proto: %s", p->proto);
    return 0;
}

/* The map member `key` of obj, made (by make()) when missing; borrowed. */
static json_t *member(json_t *obj, const char *key, json_t *(*make)(void))
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        json_object_set_new(obj, key, v = make());
    return v;
}

/* nat.ParsePortSpec of one spec, merged as ParsePortSpecs merges: every container port is
 * exposed, and its binding appended (duplicates too, as docker sends them). */
static int port_spec(const char *raw, json_t *exposed, json_t *bindings, bt_err **err)
{
    struct spec_parts p = {0};
    split_parts(raw, &p);
    unsigned c[2], h[2];
    int rc = check_spec(raw, &p, c, h, err);
    for (char *q = p.proto; *q; q++)
        *q = (char)(*q >= 'A' && *q <= 'Z' ? *q - 'A' + 'a' : *q);
    for (unsigned i = 0; rc == 0 && i <= c[1] - c[0]; i++) {
        char key[32], host[32] = "";
        snprintf(key, sizeof(key), "%u/%s", c[0] + i, p.proto);
        if (p.host_port[0] && c[0] == c[1] && h[0] != h[1])
            snprintf(host, sizeof(host), "%u-%u", h[0], h[1]);
        else if (p.host_port[0])
            snprintf(host, sizeof(host), "%u", h[0] + i);
        member(exposed, key, json_object);
        json_array_append_new(member(bindings, key, json_array),
                              json_pack("{s:s, s:s}", "HostIp", p.ip, "HostPort", host));
    }
    spec_parts_clear(&p);
    return rc;
}

/* convertToStandardNotation: "published=8080,target=80,protocol=udp" -> "8080:80/udp". */
static char *standard_notation(const char *publish, bt_err **err)
{
    if (!strchr(publish, '='))
        return bt_xstrdup(publish);
    bt_autoptr(json_t) params = json_pack("{s:s}", "protocol", "tcp");
    bt_autofree char *copy = bt_xstrdup(publish);
    char *save = NULL;
    for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(f, '=');
        if (!eq || eq == f)
            return bt_err_set(err, BT_E_INVALID,
                              "invalid publish opts format (should be name=value but got '%s')", f),
                   NULL;
        *eq = '\0';
        bt_json_set_str(params, f, eq + 1);
    }
    return bt_xasprintf("%s:%s/%s", bt_json_get_str(params, "published", ""),
                        bt_json_get_str(params, "target", ""),
                        bt_json_get_str(params, "protocol", ""));
}

/* --expose PORT[-PORT][/PROTO]: each port exposed, the protocol as typed (docker neither
 * checks nor lower-cases it here). */
static int expose_spec(const char *e, json_t *exposed, bt_err **err)
{
    if (strchr(e, ':'))
        return bt_err_set(err, BT_E_INVALID, "invalid port format for --expose: %s", e);
    bt_autofree char *proto = NULL, *port = NULL;
    split_proto_port(e, &proto, &port);
    unsigned start, end;
    bt_err *why = NULL;
    if (copts_parse_port_range(port, &start, &end, &why) < 0) {
        bt_err_set(err, BT_E_INVALID, "invalid range format for --expose: %s, error: %s", e,
                   bt_err_msg(why));
        bt_err_free(why);
        return -1;
    }
    for (unsigned long i = start; i <= end; i++) {
        bt_autofree char *key = bt_xasprintf("%lu/%s", i, proto);
        member(exposed, key, json_object);
    }
    return 0;
}

int copts_ports(const char **publish, const char **expose, json_t **exposed, json_t **bindings,
                bt_err **err)
{
    bt_autoptr(json_t) ex = json_object();
    bt_autoptr(json_t) pb = json_object();
    for (const char **p = publish; p && *p; p++) {
        bt_autofree char *spec = standard_notation(*p, err);
        if (!spec || port_spec(spec, ex, pb, err) < 0)
            return -1;
    }
    for (const char **e = expose; e && *e; e++)
        if (expose_spec(*e, ex, err) < 0)
            return -1;
    /* Go writes a map's keys sorted */
    *exposed = copts_sorted_object(ex);
    *bindings = copts_sorted_object(pb);
    return 0;
}
