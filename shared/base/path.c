/* SPDX-License-Identifier: Apache-2.0 */
#include "shared/base/path.h"

#include <stdlib.h>
#include <string.h>

#include "shared/base/mem.h"

char *bt_path_clean(const char *path)
{
    size_t n = strlen(path);
    if (n == 0)
        return bt_xstrdup(".");
    bool rooted = path[0] == '/';
    char *out = bt_xmalloc(n + 2);
    size_t w = 0;      /* write index */
    size_t dotdot = 0; /* index below which ".." cannot backtrack */
    size_t r = 0;
    if (rooted) {
        out[w++] = '/';
        r = 1;
        dotdot = 1;
    }
    while (r < n) {
        if (path[r] == '/') {
            r++;
        } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
            r++;
        } else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
            r += 2;
            if (w > dotdot) {
                /* drop the previous element */
                w--;
                while (w > dotdot && out[w] != '/')
                    w--;
            } else if (!rooted) {
                /* a relative path may keep leading ".." elements */
                if (w > 0)
                    out[w++] = '/';
                out[w++] = '.';
                out[w++] = '.';
                dotdot = w;
            }
        } else {
            if ((rooted && w != 1) || (!rooted && w != 0))
                out[w++] = '/';
            while (r < n && path[r] != '/')
                out[w++] = path[r++];
        }
    }
    if (w == 0)
        out[w++] = '.';
    out[w] = '\0';
    return out;
}

char *bt_path_join(const char *a, const char *b)
{
    if (!*a)
        return bt_path_clean(b);
    if (!*b)
        return bt_path_clean(a);
    char *joined = bt_xasprintf("%s/%s", a, b);
    char *clean = bt_path_clean(joined);
    free(joined);
    return clean;
}

char *bt_path_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return bt_xstrdup(".");
    char *dir = bt_xstrndup(path, (size_t)(slash - path) + 1);
    char *clean = bt_path_clean(dir);
    free(dir);
    return clean;
}

char *bt_path_basename(const char *path)
{
    size_t n = strlen(path);
    if (n == 0)
        return bt_xstrdup(".");
    while (n > 0 && path[n - 1] == '/')
        n--;
    if (n == 0)
        return bt_xstrdup("/");
    size_t start = n;
    while (start > 0 && path[start - 1] != '/')
        start--;
    return bt_xstrndup(path + start, n - start);
}

bool bt_path_within(const char *path, const char *dir)
{
    char *p = bt_path_clean(path);
    char *d = bt_path_clean(dir);
    size_t dl = strlen(d);
    bool in;
    if (strcmp(d, "/") == 0)
        in = p[0] == '/';
    else
        in = strncmp(p, d, dl) == 0 && (p[dl] == '\0' || p[dl] == '/');
    free(p);
    free(d);
    return in;
}
