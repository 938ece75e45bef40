/* SPDX-License-Identifier: Apache-2.0 */
#include "shared/reference/reference.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "shared/base/mem.h"
#include "shared/crypto/digest.h"

#define DEFAULT_DOMAIN        "docker.io"
#define LEGACY_DEFAULT_DOMAIN "index.docker.io"
#define OFFICIAL_PREFIX       "library/"
#define MAX_PATH_LEN          255

/* The matchers below each recognise exactly one production of the grammar in
 * distribution/reference's regexp.go, over s[0..n). */

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_word(char c)
{
    return is_alnum(c) || c == '_';
}

/* path-component := [a-z0-9]+ ( ( [._] | __ | -+ ) [a-z0-9]+ )* */
static bool match_path_component(const char *s, size_t n)
{
    size_t i = 0;
    for (;;) {
        size_t start = i;
        while (i < n && is_lower_alnum(s[i]))
            i++;
        if (i == start)
            return false;
        if (i == n)
            return true;
        /* a separator */
        if (s[i] == '.') {
            i++;
        } else if (s[i] == '_') {
            i++;
            if (i < n && s[i] == '_')
                i++;
        } else if (s[i] == '-') {
            while (i < n && s[i] == '-')
                i++;
        } else {
            return false;
        }
    }
}

/* remote-name := path-component ( '/' path-component )* */
static bool match_remote_name(const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '/') {
            if (!match_path_component(s + start, i - start))
                return false;
            start = i + 1;
        }
    }
    return true;
}

/* domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool match_domain_component(const char *s, size_t n)
{
    if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}

/* domain := ( domain-name | '[' [a-fA-F0-9:]+ ']' ) ( ':' [0-9]+ )? */
static bool match_domain(const char *s, size_t n)
{
    size_t hostlen = n;
    /* the port: digits after the last ':' outside brackets */
    const char *close = memchr(s, ']', n);
    size_t scan_from = close ? (size_t)(close - s) : 0;
    for (size_t i = n; i > scan_from; i--) {
        if (s[i - 1] == ':') {
            if (i == n)
                return false;
            for (size_t k = i; k < n; k++)
                if (s[k] < '0' || s[k] > '9')
                    return false;
            hostlen = i - 1;
            break;
        }
    }
    if (hostlen >= 2 && s[0] == '[') {
        if (s[hostlen - 1] != ']' || hostlen == 2)
            return false;
        for (size_t i = 1; i < hostlen - 1; i++)
            if (!isxdigit((unsigned char)s[i]) && s[i] != ':')
                return false;
        return true;
    }
    size_t start = 0;
    for (size_t i = 0; i <= hostlen; i++) {
        if (i == hostlen || s[i] == '.') {
            if (!match_domain_component(s + start, i - start))
                return false;
            start = i + 1;
        }
    }
    return true;
}

/* tag := [\w][\w.-]{0,127} */
static bool match_tag(const char *s, size_t n)
{
    if (n == 0 || n > 128 || !is_word(s[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
            return false;
    return true;
}

/* digest := [A-Za-z][A-Za-z0-9]* ( [-_+.][A-Za-z][A-Za-z0-9]* )* ':' [[:xdigit:]]{32,} */
static bool match_digest(const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    if (!colon)
        return false;
    size_t alen = (size_t)(colon - s);
    size_t i = 0;
    for (;;) {
        if (i >= alen || !isalpha((unsigned char)s[i]))
            return false;
        while (i < alen && isalnum((unsigned char)s[i]))
            i++;
        if (i == alen)
            break;
        if (!strchr("-_+.", s[i]))
            return false;
        i++;
    }
    size_t hlen = n - alen - 1;
    if (hlen < 32)
        return false;
    for (size_t k = alen + 1; k < n; k++)
        if (!isxdigit((unsigned char)s[k]))
            return false;
    return true;
}

/* Split name into domain and path the way anchoredNameRegexp does: the first element is the
 * domain when it is one and the rest is a valid remote name. */
static bool split_name(const char *s, size_t n, size_t *domain_len)
{
    const char *slash = memchr(s, '/', n);
    if (slash) {
        size_t dl = (size_t)(slash - s);
        if (match_domain(s, dl) && match_remote_name(slash + 1, n - dl - 1)) {
            *domain_len = dl;
            return true;
        }
    }
    *domain_len = 0;
    return match_remote_name(s, n);
}

struct parts {
    size_t name_len, domain_len;
    const char *tag, *digest;
    size_t tag_len, digest_len;
};

/* referencePat := ^ name ( ':' tag )? ( '@' digest )? $ */
static bool match_reference(const char *s, struct parts *p)
{
    size_t n = strlen(s);
    memset(p, 0, sizeof(*p));
    const char *at = strchr(s, '@');
    size_t head = n;
    if (at) {
        head = (size_t)(at - s);
        p->digest = at + 1;
        p->digest_len = n - head - 1;
        if (!match_digest(p->digest, p->digest_len))
            return false;
    }
    /* A ':' after the last '/' starts the tag; one before it can only be a port. */
    const char *colon = NULL;
    for (size_t i = head; i > 0; i--) {
        if (s[i - 1] == '/')
            break;
        if (s[i - 1] == ':') {
            colon = s + i - 1;
            break;
        }
    }
    p->name_len = head;
    if (colon) {
        p->name_len = (size_t)(colon - s);
        p->tag = colon + 1;
        p->tag_len = head - p->name_len - 1;
        if (!match_tag(p->tag, p->tag_len))
            return false;
    }
    return split_name(s, p->name_len, &p->domain_len);
}

/* distribution/reference Parse(): the reference as written, not normalised. */
static struct bt_ref *parse_reference(const char *s, bt_err **err)
{
    if (!*s) {
        bt_err_set(err, BT_E_INVALID, "repository name must have at least one component");
        return NULL;
    }
    struct parts p;
    if (!match_reference(s, &p)) {
        bt_autofree char *lower = bt_xstrdup(s);
        for (char *c = lower; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        struct parts lp;
        if (strcmp(lower, s) != 0 && match_reference(lower, &lp))
            bt_err_set(err, BT_E_INVALID, "repository name must be lowercase");
        else
            bt_err_set(err, BT_E_INVALID, "invalid reference format");
        return NULL;
    }
    size_t path_off = p.domain_len ? p.domain_len + 1 : 0;
    if (p.name_len - path_off > MAX_PATH_LEN) {
        bt_err_set(err, BT_E_INVALID, "repository name must not be more than %d characters",
                   MAX_PATH_LEN);
        return NULL;
    }
    bt_autofree char *digest = p.digest ? bt_xstrndup(p.digest, p.digest_len) : NULL;
    bt_autoerr bt_err *derr = NULL;
    if (digest && bt_digest_validate(digest, &derr) < 0) {
        /* an unsupported algorithm is still a bad reference from the user's side */
        bt_err_set(err, BT_E_INVALID, "%s", bt_err_msg(derr));
        return NULL;
    }
    struct bt_ref *r = bt_xzalloc(sizeof(*r));
    r->domain = bt_xstrndup(s, p.domain_len);
    r->path = bt_xstrndup(s + path_off, p.name_len - path_off);
    r->tag = p.tag ? bt_xstrndup(p.tag, p.tag_len) : NULL;
    r->digest = bt_steal_ptr(&digest);
    return r;
}

static bool has_upper(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 'A' && s[i] <= 'Z')
            return true;
    return false;
}

/* splitDockerDomain: which part of a familiar name is a registry. */
static void split_docker_domain(const char *name, char **domain, char **remainder)
{
    const char *slash = strchr(name, '/');
    if (!slash) {
        *domain = bt_xstrdup(DEFAULT_DOMAIN);
        *remainder = bt_xasprintf(OFFICIAL_PREFIX "%s", name);
        return;
    }
    size_t dl = (size_t)(slash - name);
    bool is_domain = (dl == 9 && strncmp(name, "localhost", 9) == 0) || memchr(name, '.', dl) ||
                     memchr(name, ':', dl) || has_upper(name, dl);
    if (dl == strlen(LEGACY_DEFAULT_DOMAIN) && strncmp(name, LEGACY_DEFAULT_DOMAIN, dl) == 0) {
        *domain = bt_xstrdup(DEFAULT_DOMAIN);
        *remainder = bt_xstrdup(slash + 1);
    } else if (is_domain) {
        *domain = bt_xstrndup(name, dl);
        *remainder = bt_xstrdup(slash + 1);
    } else {
        *domain = bt_xstrdup(DEFAULT_DOMAIN);
        *remainder = bt_xstrdup(name);
    }
    if (strcmp(*domain, DEFAULT_DOMAIN) == 0 && !strchr(*remainder, '/')) {
        char *prefixed = bt_xasprintf(OFFICIAL_PREFIX "%s", *remainder);
        free(*remainder);
        *remainder = prefixed;
    }
}

struct bt_ref *bt_ref_parse(const char *s, bt_err **err)
{
    if (bt_is_hex64(s)) {
        bt_err_set(err, BT_E_INVALID,
                   "invalid repository name (%s), cannot specify 64-byte hexadecimal strings", s);
        return NULL;
    }
    bt_autofree char *domain = NULL;
    bt_autofree char *remainder = NULL;
    split_docker_domain(s, &domain, &remainder);
    size_t remote_len = strcspn(remainder, ":");
    if (has_upper(remainder, remote_len)) {
        bt_err_set(err, BT_E_INVALID,
                   "invalid reference format: repository name (%.*s) must be lowercase",
                   (int)remote_len, remainder);
        return NULL;
    }
    bt_autofree char *full = bt_xasprintf("%s/%s", domain, remainder);
    return parse_reference(full, err);
}

struct bt_ref *bt_ref_parse_docker(const char *s, bt_err **err)
{
    struct bt_ref *r = bt_ref_parse(s, err);
    if (!r)
        return NULL;
    if (r->tag && r->digest) {
        free(r->tag);
        r->tag = NULL;
    } else if (!r->tag && !r->digest) {
        r->tag = bt_xstrdup("latest");
    }
    return r;
}

void bt_ref_free(struct bt_ref *r)
{
    if (!r)
        return;
    free(r->domain);
    free(r->path);
    free(r->tag);
    free(r->digest);
    free(r);
}

char *bt_ref_name(const struct bt_ref *r)
{
    if (!*r->domain)
        return bt_xstrdup(r->path);
    return bt_xasprintf("%s/%s", r->domain, r->path);
}

static char *with_suffixes(char *name, const struct bt_ref *r)
{
    char *s = bt_xasprintf("%s%s%s%s%s", name, r->tag ? ":" : "", r->tag ? r->tag : "",
                           r->digest ? "@" : "", r->digest ? r->digest : "");
    free(name);
    return s;
}

char *bt_ref_string(const struct bt_ref *r)
{
    return with_suffixes(bt_ref_name(r), r);
}

char *bt_ref_familiar_name(const struct bt_ref *r)
{
    if (strcmp(r->domain, DEFAULT_DOMAIN) != 0)
        return bt_ref_name(r);
    size_t plen = strlen(OFFICIAL_PREFIX);
    if (strncmp(r->path, OFFICIAL_PREFIX, plen) == 0 && !strchr(r->path + plen, '/'))
        return bt_xstrdup(r->path + plen);
    return bt_xstrdup(r->path);
}

char *bt_ref_familiar_string(const struct bt_ref *r)
{
    return with_suffixes(bt_ref_familiar_name(r), r);
}

int bt_ref_validate_tag(const char *tag, bt_err **err)
{
    if (!match_tag(tag, strlen(tag)))
        return bt_err_set(err, BT_E_INVALID, "invalid tag format");
    return 0;
}

int bt_ref_set_tag(struct bt_ref *r, const char *tag, bt_err **err)
{
    if (tag && bt_ref_validate_tag(tag, err) < 0)
        return -1;
    free(r->tag);
    r->tag = bt_xstrdup_or_null(tag);
    return 0;
}
