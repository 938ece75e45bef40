/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/engine/api/router.h"

#include <stdlib.h>
#include <string.h>

#include "shared/base/mem.h"

int api_version_cmp(int a, int b, int c, int d)
{
    if (a != c)
        return a < c ? -1 : 1;
    if (b != d)
        return b < d ? -1 : 1;
    return 0;
}

/* "/v1.41/containers/json" -> version 1.41, rest "/containers/json". Returns the rest, or
 * NULL when the prefix is malformed. A path without a prefix keeps the current version. */
static const char *strip_version(const char *path, int *major, int *minor)
{
    *major = API_VERSION_MAJOR;
    *minor = API_VERSION_MINOR;
    if (path[0] != '/' || path[1] != 'v' || path[2] < '0' || path[2] > '9')
        return path;
    const char *p = path + 2;
    long maj = 0, min = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 6) {
        maj = maj * 10 + (*p++ - '0');
        digits++;
    }
    if (*p != '.' || digits == 0)
        return NULL;
    p++;
    digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 6) {
        min = min * 10 + (*p++ - '0');
        digits++;
    }
    if (digits == 0 || (*p != '/' && *p != '\0'))
        return NULL;
    *major = (int)maj;
    *minor = (int)min;
    return *p ? p : "/";
}

/* Match one pattern; on success the params point into m->storage (a copy of path). */
static bool match_pattern(const char *pattern, const char *path, struct api_match *m)
{
    char *copy = bt_xstrdup(path);
    size_t np = 0;
    const char *params[API_MAX_PARAMS];
    const char *pp = pattern;
    char *sp = copy;
    while (*pp && *sp) {
        if (*pp == '{') {
            const char *close = strchr(pp, '}');
            bool greedy = close && close > pp && close[-1] == '*';
            const char *after = close ? close + 1 : "";
            if (np == API_MAX_PARAMS)
                goto fail;
            char *end;
            if (greedy) {
                /* the longest run that still leaves `after` (a fixed suffix) to match */
                size_t alen = strlen(after);
                size_t slen = strlen(sp);
                if (slen < alen || strcmp(sp + slen - alen, after) != 0 || slen == alen)
                    goto fail;
                end = sp + slen - alen;
            } else {
                end = strchr(sp, '/');
                if (!end)
                    end = sp + strlen(sp);
            }
            if (end == sp)
                goto fail;
            params[np++] = sp;
            char saved = *end;
            *end = '\0';
            /* the rest of the path continues after the parameter */
            pp = after;
            if (saved == '\0') {
                sp = end;
                break;
            }
            /* put the separator back into the comparison by matching it against pattern */
            if (*pp != saved)
                goto fail;
            pp++;
            sp = end + 1;
            continue;
        }
        if (*pp != *sp)
            goto fail;
        pp++;
        sp++;
    }
    if (*pp || *sp)
        goto fail;
    m->storage = copy;
    m->nparams = np;
    for (size_t i = 0; i < np; i++)
        m->params[i] = params[i];
    return true;
fail:
    free(copy);
    return false;
}

int api_route_match(const struct api_route *routes, const char *method, const char *path,
                    struct api_match *m, bt_err **err)
{
    memset(m, 0, sizeof(*m));
    const char *rest = strip_version(path, &m->version_major, &m->version_minor);
    if (!rest)
        return bt_err_set(err, BT_E_NOT_FOUND, "page not found");
    if (api_version_cmp(m->version_major, m->version_minor, API_VERSION_MAJOR, API_VERSION_MINOR) >
        0)
        return bt_err_set(err, BT_E_INVALID,
                          "client version %d.%d is too new. Maximum supported API version is "
                          "%s",
                          m->version_major, m->version_minor, API_VERSION_STRING);
    if (api_version_cmp(m->version_major, m->version_minor, 1, 12) < 0)
        return bt_err_set(err, BT_E_INVALID,
                          "client version %d.%d is too old. Minimum supported API version is "
                          "%s, please upgrade your client to a newer version",
                          m->version_major, m->version_minor, API_MIN_VERSION_STRING);
    /* a trailing slash is the same route ("/containers/json/") */
    char *trimmed = bt_xstrdup(rest);
    size_t n = strlen(trimmed);
    while (n > 1 && trimmed[n - 1] == '/')
        trimmed[--n] = '\0';
    const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
    for (const struct api_route *r = routes; r->pattern; r++) {
        if (strcmp(r->method, "*") != 0 && strcmp(r->method, method) != 0 &&
            strcmp(r->method, want) != 0)
            continue;
        if (match_pattern(r->pattern, trimmed, m)) {
            m->route = r;
            free(trimmed);
            return 0;
        }
    }
    free(trimmed);
    return bt_err_set(err, BT_E_NOT_FOUND, "page not found");
}

void api_match_clear(struct api_match *m)
{
    free(m->storage);
    memset(m, 0, sizeof(*m));
}
