/* SPDX-License-Identifier: Apache-2.0 */
#include "shared/base/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void __attribute__((noreturn)) oom(size_t n)
{
    fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", n);
    abort();
}

void *bt_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *bt_xzalloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *bt_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

void *bt_xreallocarray(void *p, size_t nmemb, size_t size)
{
    void *q = reallocarray(p, nmemb ? nmemb : 1, size ? size : 1);
    if (!q)
        oom(nmemb * size);
    return q;
}

char *bt_xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        oom(strlen(s) + 1);
    return d;
}

char *bt_xstrndup(const char *s, size_t n)
{
    char *d = strndup(s, n);
    if (!d)
        oom(n + 1);
    return d;
}

char *bt_xstrdup_or_null(const char *s)
{
    return s ? bt_xstrdup(s) : NULL;
}

char *bt_xvasprintf(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        oom(strlen(fmt));
    return s;
}

char *bt_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = bt_xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}

int bt_strp_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t bt_strv_len(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

char **bt_strv_dup(char *const *v)
{
    size_t n = bt_strv_len(v);
    char **d = bt_xreallocarray(NULL, n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        d[i] = bt_xstrdup(v[i]);
    d[n] = NULL;
    return d;
}

void bt_strv_free(char **v)
{
    if (!v)
        return;
    for (size_t i = 0; v[i]; i++)
        free(v[i]);
    free(v);
}

void bt_strv_push(char ***v, const char *s)
{
    size_t n = bt_strv_len(*v);
    *v = bt_xreallocarray(*v, n + 2, sizeof(char *));
    (*v)[n] = bt_xstrdup(s);
    (*v)[n + 1] = NULL;
}
