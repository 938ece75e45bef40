/* SPDX-License-Identifier: Apache-2.0 */
/*
 * WWW-Authenticate (RFC 7235 section 4.1), read as distribution's challenge parser reads it:
 *
 *   challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param = token BWS "=" BWS ( token / quoted-string )
 *
 * The scheme is a token, lower-cased. Parameters follow, separated by commas and optional
 * white space; a quoted value takes backslash escapes (any byte after a backslash is itself).
 * Reading stops quietly at the first thing that is not a parameter (a token68, an unterminated
 * quote, an empty value, or the scheme of a second challenge: "Bearer realm=x, Basic realm=y"
 * yields the parameters of Bearer), keeping what was read before, as distribution does.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guest/engine/registry/parse.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"

/* RFC 7230's tchar: visible ASCII except the separators. */
static bool is_token_char(unsigned char c)
{
    return c > 32 && c < 127 && !strchr("\"(),/:;<=>?@[]\\{}", c);
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *skip_space(const char *s)
{
    while (*s && is_space((unsigned char)*s))
        s++;
    return s;
}

static size_t token_len(const char *s)
{
    size_t n = 0;
    while (s[n] && is_token_char((unsigned char)s[n]))
        n++;
    return n;
}

/* A token or a quoted string at *s: the value (NULL when there is none, or an unterminated or
 * empty quote), *s moved past it. */
static char *token_or_quoted(const char **s)
{
    const char *p = *s;
    if (*p != '"') {
        size_t n = token_len(p);
        *s = p + n;
        return n ? bt_xstrndup(p, n) : NULL;
    }
    struct bt_strbuf sb = BT_STRBUF_INIT;
    for (p++; *p; p++) {
        if (*p == '"') {
            *s = p + 1;
            if (!sb.len) {
                bt_strbuf_free(&sb);
                return NULL;
            }
            return bt_strbuf_steal(&sb);
        }
        if (*p == '\\') {
            p++;
            if (!*p)
                break;
        }
        bt_strbuf_append_c(&sb, *p);
    }
    bt_strbuf_free(&sb);
    *s = p;
    return NULL;
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

static char **param_slot(struct reg_challenge *c, const char *name, size_t n)
{
    static const struct {
        const char *name;
        size_t off;
    } params[] = {
            {"realm", offsetof(struct reg_challenge, realm)},
            {"service", offsetof(struct reg_challenge, service)},
            {"scope", offsetof(struct reg_challenge, scope)},
            {"error", offsetof(struct reg_challenge, error)},
            {"error_description", offsetof(struct reg_challenge, error_description)},
    };
    for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
        if (strlen(params[i].name) == n && strncasecmp(params[i].name, name, n) == 0)
            return (char **)((char *)c + params[i].off);
    }
    return NULL;
}

int reg_challenge_parse(const char *header, struct reg_challenge *out, bt_err **err)
{
    memset(out, 0, sizeof(*out));
    /* net/http hands distribution the value without its leading white space */
    const char *s = skip_space(header ? header : "");
    size_t n = token_len(s);
    if (!n)
        return bt_err_set(err, BT_E_INVALID, "invalid WWW-Authenticate header: no auth scheme");
    out->scheme = bt_xstrndup(s, n);
    lower(out->scheme);
    s = skip_space(s + n);
    /* the first parameter follows the scheme's space; the others a comma */
    for (bool first = true; first || *s == ','; first = false) {
        if (!first)
            s = skip_space(s + 1);
        const char *name = s;
        size_t nlen = token_len(s);
        if (!nlen || s[nlen] != '=')
            break;
        s += nlen + 1;
        char *value = token_or_quoted(&s);
        if (!value)
            break;
        char **slot = param_slot(out, name, nlen);
        if (slot) {
            free(*slot);
            *slot = value;
        } else {
            free(value);
        }
        s = skip_space(s);
    }
    return 0;
}

void reg_challenge_clear(struct reg_challenge *c)
{
    if (!c)
        return;
    free(c->scheme);
    free(c->realm);
    free(c->service);
    free(c->scope);
    free(c->error);
    free(c->error_description);
    memset(c, 0, sizeof(*c));
}
