/* SPDX-License-Identifier: Apache-2.0 */
/* Registry keys and the X-Registry-Auth header, byte for byte as the docker CLI makes them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/auth.h"
#include "host/auth/auth-internal.h"
#include "shared/base/base64.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/base/utf8.h"

void auth_config_clear(struct auth_config *a)
{
    if (!a)
        return;
    free(a->username);
    free(a->password);
    free(a->email);
    free(a->server_address);
    free(a->identity_token);
    free(a->registry_token);
    *a = (struct auth_config){0};
}

const char *auth_key(const char *domain)
{
    if (strcmp(domain, "docker.io") == 0 || strcmp(domain, "index.docker.io") == 0)
        return AUTH_INDEX_SERVER;
    return domain;
}

/* The host[:port] of a URL's authority as Go's url.URL Hostname() and Port() give it and
 * net.JoinHostPort joins them (an IPv6 host gets its brackets back only with a port). NULL
 * when there is no host. */
static char *url_host(const char *url)
{
    const char *a = strstr(url, "://") + 3;
    size_t len = strcspn(a, "/?#");
    bt_autofree char *auth = bt_xstrndup(a, len);
    char *at = strrchr(auth, '@');
    const char *hp = at ? at + 1 : auth;
    const char *host = hp, *port = NULL;
    size_t hlen;
    if (*hp == '[') {
        const char *close = strchr(hp, ']');
        if (!close)
            return NULL; /* url.Parse: missing ']' in host */
        host = hp + 1;
        hlen = (size_t)(close - host);
        if (close[1] == ':')
            port = close + 2;
    } else {
        const char *colon = strrchr(hp, ':');
        hlen = colon ? (size_t)(colon - hp) : strlen(hp);
        if (colon)
            port = colon + 1;
    }
    if (hlen == 0 || (port && strspn(port, "0123456789") != strlen(port)))
        return NULL; /* url.Parse refuses a port that is not a number: "invalid port" */
    bt_autofree char *h = bt_xstrndup(host, hlen);
    if (!port || !*port)
        return bt_steal_ptr(&h);
    return strchr(h, ':') ? bt_xasprintf("[%s]:%s", h, port) : bt_xasprintf("%s:%s", h, port);
}

char *auth_hostname(const char *server)
{
    if (strstr(server, "://")) {
        char *h = url_host(server);
        if (h)
            return h;
    }
    return bt_xstrndup(server, strcspn(server, "/"));
}

void auth_json_string(struct bt_strbuf *sb, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(s);
    bt_strbuf_append_c(sb, '"');
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            uint32_t cp;
            size_t w = bt_utf8_decode((const unsigned char *)s + i, n - i, &cp);
            if (w == 0) {
                bt_strbuf_append(sb, "\\ufffd");
                i++;
            } else if (cp == 0x2028 || cp == 0x2029) {
                bt_strbuf_appendf(sb, "\\u%04x", (unsigned)cp);
                i += w;
            } else {
                bt_strbuf_append_n(sb, s + i, w);
                i += w;
            }
            continue;
        }
        i++;
        switch (c) {
        case '"':
            bt_strbuf_append(sb, "\\\"");
            continue;
        case '\\':
            bt_strbuf_append(sb, "\\\\");
            continue;
        case '\b': /* Go 1.22 and later */
            bt_strbuf_append(sb, "\\b");
            continue;
        case '\f':
            bt_strbuf_append(sb, "\\f");
            continue;
        case '\n':
            bt_strbuf_append(sb, "\\n");
            continue;
        case '\r':
            bt_strbuf_append(sb, "\\r");
            continue;
        case '\t':
            bt_strbuf_append(sb, "\\t");
            continue;
        default:
            break;
        }
        if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            char esc[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
            bt_strbuf_append(sb, esc);
        } else {
            bt_strbuf_append_c(sb, (char)c);
        }
    }
    bt_strbuf_append_c(sb, '"');
}

char *auth_config_json(const struct auth_config *a)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append_c(&sb, '{');
    if (a) {
        /* registry.AuthConfig's fields in order; "auth" is never sent (always empty here) */
        const struct {
            const char *key, *value;
        } m[] = {
                {"username", a->username},
                {"password", a->password},
                {"email", a->email},
                {"serveraddress", a->server_address},
                {"identitytoken", a->identity_token},
                {"registrytoken", a->registry_token},
        };
        bool first = true;
        for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
            if (!m[i].value || !*m[i].value)
                continue;
            if (!first)
                bt_strbuf_append_c(&sb, ',');
            first = false;
            bt_strbuf_appendf(&sb, "\"%s\":", m[i].key);
            auth_json_string(&sb, m[i].value);
        }
    }
    bt_strbuf_append_c(&sb, '}');
    return bt_strbuf_steal(&sb);
}

char *auth_b64url(const char *text)
{
    char *b64 = bt_base64_encode(text, strlen(text));
    /* the standard alphabet with - and _ for + and /, padded */
    for (char *p = b64; *p; p++) {
        if (*p == '+')
            *p = '-';
        else if (*p == '/')
            *p = '_';
    }
    return b64;
}

char *auth_header(const struct auth_config *a)
{
    bt_autofree char *json = auth_config_json(a);
    return auth_b64url(json);
}
