/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The docker CLI's validating list flags (its opts package: ValidateIPAddress,
 * ValidateDNSSearch, ValidateExtraHost, ValidateLink, ValidateMACAddress) and the pieces of Go
 * they stand on: net.ParseIP and IP.String, net.ParseMAC, strconv.Quote.
 */
#include <arpa/inet.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "host/copts/copts-internal.h"
#include "host/copts/copts.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"
#include "shared/base/strbuf.h"
#include "shared/base/utf8.h"
#include "shared/json/json.h"

bool copts_parse_ip(const char *s, unsigned char ip[16])
{
    /* net.ParseIP: dotted IPv4 (no leading zeros, which inet_pton refuses too) or IPv6
     * without a zone; IPv4 is held as ::ffff:a.b.c.d, as Go holds it */
    struct in_addr a4;
    if (inet_pton(AF_INET, s, &a4) == 1) {
        memset(ip, 0, 10);
        ip[10] = ip[11] = 0xFF;
        memcpy(ip + 12, &a4, 4);
        return true;
    }
    return inet_pton(AF_INET6, s, ip) == 1;
}

bool copts_valid_ip(const char *s)
{
    unsigned char ip[16];
    return copts_parse_ip(s, ip);
}

char *copts_ip_string(const unsigned char ip[16])
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    if (memcmp(ip, mapped, 12) == 0)
        return bt_xasprintf("%u.%u.%u.%u", ip[12], ip[13], ip[14], ip[15]);
    /* netip's string6: the longest run of two or more zero groups (the first of equals)
     * becomes "::"; no dotted tail for other IPv4-compatible forms */
    unsigned g[8];
    int best = -1, best_len = 0;
    for (int i = 0; i < 8; i++)
        g[i] = (unsigned)ip[2 * i] << 8 | ip[2 * i + 1];
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > best_len && j - i >= 2) {
            best = i;
            best_len = j - i;
        }
        i = j > i ? j : i + 1;
    }
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            bt_strbuf_append(&sb, "::");
            i += best_len - 1;
            continue;
        }
        bool after_gap = best >= 0 && i == best + best_len;
        bt_strbuf_appendf(&sb, "%s%x", i && !after_gap ? ":" : "", g[i]);
    }
    return bt_strbuf_steal(&sb);
}

/* Append a copy of s to the json array at *value, made on first use. */
static void list_add(void *value, const char *s)
{
    json_t **list = value;
    if (!*list)
        *list = json_array();
    json_array_append_new(*list, json_string(s));
}

int copts_flag_ip(void *value, const char *arg, bt_err **err)
{
    /* ValidateIPAddress: the address in Go's canonical form (0:0::1 -> ::1) */
    unsigned char ip[16];
    bt_autofree char *trimmed = copts_trim_space(arg);
    if (!copts_parse_ip(trimmed, ip))
        return bt_err_set(err, BT_E_INVALID, "IP address is not correctly formatted: %s", arg);
    bt_autofree char *canon = copts_ip_string(ip);
    list_add(value, canon);
    return 0;
}

/* validateDomain's expressions (opts.go), "(:?" and all: the typo there lets a ':' lead
 * any label, and docker accepts that */
#define DOMAIN_RE                                                                          \
    "^((:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))(:?\\.(:?[a-zA-Z0-9]|(:?[a-" \
    "zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])))*)\\.?[[:space:]]*$"

int copts_flag_dns_search(void *value, const char *arg, bt_err **err)
{
    /* ValidateDNSSearch: "." as it is; a domain without its trailing dot and spaces */
    size_t lead = strspn(arg, " "), n = strlen(arg + lead);
    while (n && arg[lead + n - 1] == ' ')
        n--;
    bt_autofree char *val = bt_xstrndup(arg + lead, n);
    if (strcmp(val, ".") == 0) {
        list_add(value, val);
        return 0;
    }
    regex_t re;
    regmatch_t m[2];
    bool alpha = strpbrk(val, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != NULL;
    bool ok = alpha && regcomp(&re, DOMAIN_RE, REG_EXTENDED) == 0;
    if (ok) {
        ok = regexec(&re, val, 2, m, 0) == 0 && m[1].rm_so >= 0 && m[1].rm_eo - m[1].rm_so < 255;
        regfree(&re);
    }
    if (!ok)
        return bt_err_set(err, BT_E_INVALID, "%s is not a valid domain", val);
    bt_autofree char *domain = bt_xstrndup(val + m[1].rm_so, (size_t)(m[1].rm_eo - m[1].rm_so));
    list_add(value, domain);
    return 0;
}

int copts_flag_add_host(void *value, const char *arg, bt_err **err)
{
    /* ValidateExtraHost: host=ip or host:ip (cut at the first ':', for IPv6), the address
     * possibly in brackets; sent as host:ip, the address as typed */
    const char *sep = strchr(arg, '=');
    if (!sep)
        sep = strchr(arg, ':');
    bt_autofree char *host = sep ? bt_xstrndup(arg, (size_t)(sep - arg)) : NULL;
    if (!sep || !*host || strchr(host, ':')) {
        bt_autostrbuf struct bt_strbuf q = BT_STRBUF_INIT;
        bt_strbuf_go_quote(&q, arg, strlen(arg));
        return bt_err_set(err, BT_E_INVALID, "bad format for add-host: %s", bt_strbuf_str(&q));
    }
    const char *v = sep + 1;
    size_t vn = strlen(v);
    bool special = strcmp(v, "host-gateway") == 0;
    bt_autofree char *ip = !special && vn > 2 && v[0] == '[' && v[vn - 1] == ']'
                                   ? bt_xstrndup(v + 1, vn - 2)
                                   : bt_xstrdup(v);
    bt_autofree char *trimmed = copts_trim_space(ip);
    if (!special && !copts_valid_ip(trimmed)) {
        bt_autostrbuf struct bt_strbuf q = BT_STRBUF_INIT;
        bt_strbuf_go_quote(&q, ip, strlen(ip));
        return bt_err_set(err, BT_E_INVALID, "invalid IP address in add-host: %s",
                          bt_strbuf_str(&q));
    }
    bt_autofree char *entry = bt_xasprintf("%s:%s", host, ip);
    list_add(value, entry);
    return 0;
}

int copts_check_link(const char *link, bt_err **err)
{
    /* ParseLink: NAME or NAME:ALIAS; the link itself goes to the engine as typed */
    if (!*link)
        return bt_err_set(err, BT_E_INVALID, "empty string specified for links");
    const char *colon = strchr(link, ':');
    if (colon && strchr(colon + 1, ':'))
        return bt_err_set(err, BT_E_INVALID, "bad format for links: %s", link);
    return 0;
}

int copts_flag_link(void *value, const char *arg, bt_err **err)
{
    if (copts_check_link(arg, err) < 0)
        return -1;
    const char ***list = value;
    size_t n = 0;
    while (*list && (*list)[n])
        n++;
    *list = bt_xreallocarray(*list, n + 2, sizeof(**list));
    (*list)[n] = arg;
    (*list)[n + 1] = NULL;
    return 0;
}

/* Two hex digits at s, followed by sep unless sep is 0 or they end the string (Go's xtoi2). */
static bool hex_pair(const char *s, size_t left, char sep)
{
    static const char hex[] = "0123456789abcdefABCDEF";
    if (left < 2 || !strchr(hex, s[0]) || !strchr(hex, s[1]) || !s[0] || !s[1])
        return false;
    return left == 2 || !sep || s[2] == sep;
}

bool copts_valid_mac(const char *mac)
{
    /* ValidateMACAddress: net.ParseMAC of the address without white space around it: 6, 8
     * or 20 octets as 01:23:.., 01-23-.. or 0123.4567.89ab */
    bt_autofree char *s = copts_trim_space(mac);
    size_t len = strlen(s);
    if (len < 14)
        return false;
    if (s[2] == ':' || s[2] == '-') {
        size_t n = (len + 1) / 3;
        if ((len + 1) % 3 || (n != 6 && n != 8 && n != 20))
            return false;
        for (size_t i = 0, x = 0; i < n; i++, x += 3)
            if (!hex_pair(s + x, len - x, s[2]))
                return false;
        return true;
    }
    if (s[4] != '.')
        return false;
    size_t n = 2 * (len + 1) / 5;
    if ((len + 1) % 5 || (n != 6 && n != 8 && n != 20))
        return false;
    for (size_t x = 0; x < len; x += 5)
        if (!hex_pair(s + x, 2, 0) || !hex_pair(s + x + 2, len - x - 2, '.'))
            return false;
    return true;
}

char *copts_trim_space(const char *s)
{
    /* strings.TrimSpace, for ASCII white space */
    static const char ws[] = " \t\n\v\f\r";
    size_t lead = strspn(s, ws), n = strlen(s + lead);
    while (n && strchr(ws, s[lead + n - 1]))
        n--;
    return bt_xstrndup(s + lead, n);
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *copts_sorted_object(const json_t *obj)
{
    size_t n = json_object_size(obj), i = 0;
    bt_autofree const char **keys = bt_xzalloc((n + 1) * sizeof(char *));
    const char *k;
    json_t *v;
    json_object_foreach ((json_t *)obj, k, v)
        keys[i++] = k;
    qsort(keys, n, sizeof(char *), cmp_keys);
    json_t *out = json_object();
    for (i = 0; i < n; i++)
        json_object_set(out, keys[i], json_object_get(obj, keys[i]));
    return out;
}

/* validDeviceMode: one or more of r, w, m, none twice */
static bool valid_device_mode(const char *mode)
{
    bool seen[3] = {false, false, false};
    if (!*mode)
        return false;
    for (const char *c = mode; *c; c++) {
        const char *at = strchr("rwm", *c);
        if (!at || seen[at - "rwm"])
            return false;
        seen[at - "rwm"] = true;
    }
    return true;
}

/* validateLinuxPath's checks and its cleaned "host[:container][:mode]" form, split into
 * src, dst (NULL when none) and mode (NULL when none). */
static int device_parts(const char *spec, char **src, char **dst, char **mode, bt_err **err)
{
    size_t colons = 0;
    for (const char *c = spec; *c; c++)
        colons += *c == ':';
    if (colons > 2 || spec[0] == ':' || !spec[0])
        return bt_err_set(err, BT_E_INVALID, "bad format for path: %s", spec);
    bt_autofree char *copy = bt_xstrdup(spec);
    char *part[3] = {copy, NULL, NULL};
    for (size_t i = 1; i <= colons; i++) {
        part[i] = strchr(part[i - 1], ':');
        *part[i]++ = '\0';
    }
    const char *container = part[0];
    if (colons == 0) {
        *src = bt_path_clean(part[0]);
    } else if (colons == 1 && valid_device_mode(part[1])) {
        *src = bt_path_clean(part[0]);
        *mode = bt_xstrdup(part[1]);
    } else if (colons == 1) {
        container = part[1];
        *src = bt_xstrdup(part[0]);
        *dst = bt_path_clean(part[1]);
    } else {
        container = part[1];
        if (!valid_device_mode(part[2]))
            return bt_err_set(err, BT_E_INVALID, "bad mode specified: %s", part[2]);
        *src = bt_xstrdup(part[0]);
        *dst = bt_xstrdup(part[1]);
        *mode = bt_xstrdup(part[2]);
    }
    if (container[0] != '/')
        return bt_err_set(err, BT_E_INVALID, "%s is not an absolute path", container);
    return 0;
}

/* s as a JSON string the way Go's encoding/json sends it: bytes that are no UTF-8 become
 * U+FFFD */
static json_t *go_string(const char *s)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t w = bt_utf8_decode((const unsigned char *)s + i, n - i, NULL);
        bt_strbuf_append_n(&sb, w ? s + i : "\xef\xbf\xbd", w ? w : 3);
        i += w ? w : 1;
    }
    return json_string(bt_strbuf_str(&sb));
}

json_t *copts_parse_device(const char *spec, bt_err **err)
{
    bt_autofree char *src = NULL, *dst = NULL, *mode = NULL;
    if (device_parts(spec, &src, &dst, &mode, err) < 0)
        return NULL;
    /* parseLinuxDevice: an empty destination is the source; permissions rwm by default */
    return json_pack("{s:o, s:o, s:s}", "PathOnHost", go_string(src), "PathInContainer",
                     go_string(dst && *dst ? dst : src), "CgroupPermissions", mode ? mode : "rwm");
}
