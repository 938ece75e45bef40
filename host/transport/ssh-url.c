/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ssh:// URLs and the remote command line, with the docker CLI's rules.
 *
 * The docker CLI parses DOCKER_HOST=ssh://... with Go's net/url and then refuses what an ssh
 * command line cannot carry (cli/connhelper/ssh). Users copy their DOCKER_HOST values to
 * berth, so the same strings must be accepted and refused, with the same messages. The
 * parsing below follows net/url's steps (control characters, scheme, query, authority, host
 * and port, percent-escapes per component) as far as an ssh URL reaches them.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/transport/transport.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/base/utf8.h"

#define URL_ERR "invalid SSH URL: "

/* Go's strconv.Quote for the strings that reach it here (no control characters: those are
 * refused first). */
static void go_quote(struct bt_strbuf *sb, const char *s, size_t n)
{
    bt_strbuf_append_c(sb, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            bt_strbuf_append_c(sb, '\\');
        bt_strbuf_append_c(sb, s[i]);
    }
    bt_strbuf_append_c(sb, '"');
}

static int url_err_quoted(bt_err **err, const char *before, const char *s, size_t n,
                          const char *after)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, before);
    go_quote(&sb, s, n);
    bt_strbuf_append(&sb, after);
    return bt_err_set(err, BT_E_INVALID, URL_ERR "%s", bt_strbuf_str(&sb));
}

enum component { C_PATH, C_HOST, C_ZONE, C_USER, C_FRAGMENT };

static bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int unhex(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* net/url's shouldEscape(c, encodeHost): the ASCII bytes a host may not hold unescaped. */
static bool host_byte_invalid(unsigned char c)
{
    if (is_alnum(c) || strchr("-_.~!$&'()*+,;=:[]<>\"", c))
        return false;
    return true;
}

/* Decode %XX escapes of one component of s[0..n), checking them as net/url does. */
static int unescape(const char *s, size_t n, enum component mode, char **out, bt_err **err)
{
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n + 0 && !(i + 2 < n)) {
                size_t k = n - i < 3 ? n - i : 3;
                return url_err_quoted(err, "invalid URL escape ", s + i, k, "");
            }
            int hi = unhex((unsigned char)s[i + 1]), lo = unhex((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0)
                return url_err_quoted(err, "invalid URL escape ", s + i, 3, "");
            unsigned char v = (unsigned char)(hi << 4 | lo);
            /* RFC 3986 lets a host %-encode only non-ASCII bytes; RFC 6874 adds %25 for the
             * zone of an IPv6 literal. A zone may escape what a host could hold plainly. */
            bool pct25 = v == '%';
            if (mode == C_HOST && hi < 8 && !pct25)
                return url_err_quoted(err, "invalid URL escape ", s + i, 3, "");
            if (mode == C_ZONE && !pct25 && v != ' ' && v < 0x80 && host_byte_invalid(v))
                return url_err_quoted(err, "invalid URL escape ", s + i, 3, "");
            bt_strbuf_append_c(&sb, (char)v);
            i += 2;
            continue;
        }
        if ((mode == C_HOST || mode == C_ZONE) && c < 0x80 && host_byte_invalid(c))
            return url_err_quoted(err, "invalid character ", s + i, 1, " in host name");
        bt_strbuf_append_c(&sb, (char)c);
    }
    *out = bt_strbuf_steal(&sb);
    return 0;
}

/* "" or ":" followed by digits */
static bool valid_optional_port(const char *s, size_t n)
{
    if (n == 0)
        return true;
    if (s[0] != ':')
        return false;
    for (size_t i = 1; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static const char *mem_rchr(const char *s, size_t n, char c)
{
    for (size_t i = n; i > 0; i--)
        if (s[i - 1] == c)
            return s + i - 1;
    return NULL;
}

/* net/url's parseHost: host[:port] as written, checked and unescaped (brackets and port kept). */
static int parse_host(const char *h, size_t n, char **out, bt_err **err)
{
    if (n > 0 && h[0] == '[') {
        const char *close = mem_rchr(h, n, ']');
        if (!close)
            return bt_err_set(err, BT_E_INVALID, URL_ERR "missing ']' in host");
        size_t i = (size_t)(close - h);
        if (!valid_optional_port(close + 1, n - i - 1))
            return url_err_quoted(err, "invalid port ", close + 1, n - i - 1, " after host");
        const char *zone = memmem(h, i, "%25", 3);
        if (zone) {
            bt_autofree char *a = NULL, *b = NULL, *c = NULL;
            size_t z = (size_t)(zone - h);
            if (unescape(h, z, C_HOST, &a, err) < 0 || unescape(zone, i - z, C_ZONE, &b, err) < 0 ||
                unescape(close, n - i, C_HOST, &c, err) < 0)
                return -1;
            *out = bt_xasprintf("%s%s%s", a, b, c);
            return 0;
        }
    } else {
        const char *colon = mem_rchr(h, n, ':');
        if (colon && !valid_optional_port(colon, n - (size_t)(colon - h)))
            return url_err_quoted(err, "invalid port ", colon, n - (size_t)(colon - h),
                                  " after host");
    }
    return unescape(h, n, C_HOST, out, err);
}

/* net/url's validUserinfo */
static bool valid_userinfo(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_alnum(c) && !strchr("-._:~!$&'()*+,;=%@", c))
            return false;
    }
    return true;
}

struct raw_url {
    char *user;
    bool password;
    char *host; /* host[:port] as net/url keeps it */
    char *path;
    char *fragment;
    const char *query;
    size_t query_len;
    char scheme[16];
    bool scheme_too_long;
};

static int parse_authority(const char *a, size_t n, struct raw_url *u, bt_err **err)
{
    const char *at = mem_rchr(a, n, '@');
    size_t hstart = at ? (size_t)(at - a) + 1 : 0;
    if (parse_host(a + hstart, n - hstart, &u->host, err) < 0)
        return -1;
    if (!at)
        return 0;
    size_t ulen = (size_t)(at - a);
    if (!valid_userinfo(a, ulen))
        return bt_err_set(err, BT_E_INVALID, URL_ERR "net/url: invalid userinfo");
    const char *colon = memchr(a, ':', ulen);
    size_t namelen = colon ? (size_t)(colon - a) : ulen;
    if (unescape(a, namelen, C_USER, &u->user, err) < 0)
        return -1;
    if (colon) {
        bt_autofree char *pw = NULL;
        if (unescape(colon + 1, ulen - namelen - 1, C_USER, &pw, err) < 0)
            return -1;
        u->password = true;
    }
    return 0;
}

/* Go's getScheme: a scheme is [a-zA-Z][a-zA-Z0-9+-.]* before the first ':'. */
static int get_scheme(const char *s, struct raw_url *u, const char **rest, bt_err **err)
{
    *rest = s;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            continue;
        if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
            if (i == 0)
                return 0;
            continue;
        }
        if (c == ':') {
            if (i == 0)
                return bt_err_set(err, BT_E_INVALID, URL_ERR "missing protocol scheme");
            if (i >= sizeof(u->scheme))
                u->scheme_too_long = true; /* certainly not "ssh" */
            else
                for (size_t k = 0; k < i; k++)
                    u->scheme[k] = (char)tolower((unsigned char)s[k]);
            *rest = s + i + 1;
            return 0;
        }
        return 0;
    }
    return 0;
}

static void raw_url_free(struct raw_url *u)
{
    free(u->user);
    free(u->host);
    free(u->path);
    free(u->fragment);
}

/* net/url's Parse, for what an ssh URL needs. */
static int go_url_parse(const char *url, struct raw_url *u, bt_err **err)
{
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return bt_err_set(err, BT_E_INVALID,
                              URL_ERR "net/url: invalid control character in URL");
    const char *hash = strchr(url, '#');
    size_t len = hash ? (size_t)(hash - url) : strlen(url);
    bt_autofree char *main = bt_xstrndup(url, len);
    const char *rest;
    if (get_scheme(main, u, &rest, err) < 0)
        return -1;
    bool has_scheme = u->scheme[0] || u->scheme_too_long;

    size_t rlen = strlen(rest);
    const char *q = strchr(rest, '?');
    if (q && q == rest + rlen - 1) {
        rlen--; /* a lone trailing '?' (ForceQuery): no query */
    } else if (q) {
        u->query = url + (q + 1 - main);
        u->query_len = rlen - (size_t)(q + 1 - rest);
        rlen = (size_t)(q - rest);
    }

    if (rlen == 0 || rest[0] != '/') {
        if (has_scheme) { /* "ssh:host": opaque, so no host */
            u->path = bt_xstrdup("");
            goto fragment;
        }
        const char *slash = memchr(rest, '/', rlen);
        size_t seg = slash ? (size_t)(slash - rest) : rlen;
        if (memchr(rest, ':', seg))
            return bt_err_set(err, BT_E_INVALID,
                              URL_ERR "first path segment in URL cannot contain colon");
    }
    if ((has_scheme || !(rlen >= 3 && !strncmp(rest, "///", 3))) && rlen >= 2 &&
        !strncmp(rest, "//", 2)) {
        const char *a = rest + 2;
        const char *slash = memchr(a, '/', rlen - 2);
        size_t alen = slash ? (size_t)(slash - a) : rlen - 2;
        if (parse_authority(a, alen, u, err) < 0)
            return -1;
        rlen -= 2 + alen;
        rest = a + alen;
    }
    if (unescape(rest, rlen, C_PATH, &u->path, err) < 0)
        return -1;
fragment:
    if (hash && unescape(hash + 1, strlen(hash + 1), C_FRAGMENT, &u->fragment, err) < 0)
        return -1;
    return 0;
}

/* net/url's splitHostPort: the host without brackets, and the port digits (maybe none). */
static void split_host_port(const char *hp, char **host, const char **port)
{
    size_t n = strlen(hp);
    const char *colon = strrchr(hp, ':');
    *port = "";
    if (colon && valid_optional_port(colon, n - (size_t)(colon - hp))) {
        *port = colon + 1;
        n = (size_t)(colon - hp);
    }
    if (n >= 2 && hp[0] == '[' && hp[n - 1] == ']')
        *host = bt_xstrndup(hp + 1, n - 2);
    else
        *host = bt_xstrndup(hp, n);
}

int tp_ssh_url_parse(const char *url, struct tp_ssh_url *out, bt_err **err)
{
    struct raw_url u = {0};
    int rc = -1;
    bt_autofree char *host = NULL;
    const char *port = "";

    *out = (struct tp_ssh_url){0};
    if (go_url_parse(url, &u, err) < 0)
        goto out;
    /* docker's newSpec, in its order */
    if (!u.scheme[0] && !u.scheme_too_long) {
        bt_err_set(err, BT_E_INVALID, URL_ERR "no scheme provided");
        goto out;
    }
    if (u.scheme_too_long || strcmp(u.scheme, "ssh") != 0) {
        const char *colon = strchr(url, ':');
        bt_autofree char *s = bt_xstrndup(url, (size_t)(colon - url));
        for (char *p = s; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        bt_err_set(err, BT_E_INVALID, URL_ERR "incorrect scheme: %s", s);
        goto out;
    }
    if (u.password) {
        bt_err_set(err, BT_E_INVALID, URL_ERR "plain-text password is not supported");
        goto out;
    }
    if (u.host)
        split_host_port(u.host, &host, &port);
    if (!host || !host[0]) {
        bt_err_set(err, BT_E_INVALID, URL_ERR "hostname is empty");
        goto out;
    }
    if (u.query_len > 0) {
        url_err_quoted(err, "query parameters are not allowed: ", u.query, u.query_len, "");
        goto out;
    }
    if (u.fragment && u.fragment[0]) {
        url_err_quoted(err, "fragments are not allowed: ", u.fragment, strlen(u.fragment), "");
        goto out;
    }
    /* Go leaves the range of the port to ssh ("Bad port"); we have no ssh to do it. */
    if (port[0]) {
        unsigned long v = 0;
        for (const char *p = port; *p && v <= 65535; p++)
            v = v * 10 + (unsigned long)(*p - '0');
        if (v == 0 || v > 65535) {
            url_err_quoted(err, "invalid port ", port, strlen(port),
                           ": not a port number (1 to 65535)");
            goto out;
        }
        out->port = (int)v;
    }
    out->user = u.user && u.user[0] ? bt_steal_ptr(&u.user) : NULL;
    out->host = bt_steal_ptr(&host);
    out->path = bt_steal_ptr(&u.path);
    rc = 0;
out:
    raw_url_free(&u);
    return rc;
}

void tp_ssh_url_free(struct tp_ssh_url *u)
{
    if (!u)
        return;
    free(u->user);
    free(u->host);
    free(u->path);
    *u = (struct tp_ssh_url){0};
}

char **tp_ssh_url_command(const struct tp_ssh_url *u)
{
    char **argv = NULL;
    bt_strv_push(&argv, "berthd");
    bt_strv_push(&argv, "dial-stdio");
    /* docker: `strings.Trim(sp.Path, "/") != ""` selects --host=unix://PATH */
    if (u->path && u->path[strspn(u->path, "/")]) {
        bt_autofree char *flag = bt_xasprintf("--host=unix://%s", u->path);
        bt_strv_push(&argv, flag);
    }
    return argv;
}

/* ---- shell quoting ------------------------------------------------------------------------ */

/* bash 5.1's reserved words, as mvdan/sh's IsKeyword lists them */
static bool is_keyword(const char *w)
{
    static const char *const words[] = {"!",      "[[",   "]]",   "case",  "coproc",   "do", "done",
                                        "else",   "esac", "fi",   "for",   "function", "if", "in",
                                        "select", "then", "time", "until", "while",    "{",  "}"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (!strcmp(w, words[i]))
            return true;
    return false;
}

/* Length of the UTF-8 sequence at s if it is valid and printable, else 0. Printable follows
 * Go's unicode.IsPrint for ASCII and the C1 controls; other code points count as printable. */
static size_t printable_utf8(const unsigned char *s)
{
    if (s[0] < 0x80)
        return s[0] >= 0x20 && s[0] != 0x7f ? 1 : 0;
    uint32_t cp;
    size_t n = bt_utf8_decode(s, strnlen((const char *)s, 4), &cp);
    return n && !(cp >= 0x80 && cp <= 0x9f) ? n : 0; /* invalid: Go's RuneError */
}

char *tp_shell_quote(const char *word, bt_err **err)
{
    if (!word[0])
        return bt_xstrdup("''");
    bool special = false;
    for (size_t i = 0; word[i];) {
        size_t n = printable_utf8((const unsigned char *)word + i);
        if (n == 0) {
            bt_err_set(err, BT_E_INVALID,
                       "cannot quote character at byte %zu: POSIX shell lacks escape sequences", i);
            return NULL;
        }
        if (n == 1 && strchr(";\"'()$|&><` \t\r\n\\#{~*?[=", word[i]))
            special = true;
        i += n;
    }
    if (!special && !is_keyword(word))
        return bt_xstrdup(word);
    if (!strchr(word, '\''))
        return bt_xasprintf("'%s'", word);
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append_c(&sb, '"');
    for (const char *p = word; *p; p++) {
        if (strchr("\"\\`$", *p))
            bt_strbuf_append_c(&sb, '\\');
        bt_strbuf_append_c(&sb, *p);
    }
    bt_strbuf_append_c(&sb, '"');
    return bt_strbuf_steal(&sb);
}

char *tp_shell_join(const char *const *argv, bt_err **err)
{
    if (!argv || !argv[0]) {
        bt_err_set(err, BT_E_INVALID, "no remote command specified");
        return NULL;
    }
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    for (size_t i = 0; argv[i]; i++) {
        bt_autofree char *q = tp_shell_quote(argv[i], err);
        if (!q) {
            bt_err_wrap(err, "invalid argument %zu of the remote command", i);
            return NULL;
        }
        if (i > 0)
            bt_strbuf_append_c(&sb, ' ');
        bt_strbuf_append(&sb, q);
    }
    return bt_strbuf_steal(&sb);
}
