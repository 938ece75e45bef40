/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Allocation that never returns NULL: on exhaustion the process aborts with a message. Berth
 * has no out-of-memory paths (see docs/design/errors.md); every caller may use the result.
 */
#include <stdarg.h>
#include <stddef.h>

void *bt_xmalloc(size_t n) __attribute__((malloc, returns_nonnull));
void *bt_xzalloc(size_t n) __attribute__((malloc, returns_nonnull));
void *bt_xrealloc(void *p, size_t n) __attribute__((returns_nonnull));
/* realloc for arrays, with overflow checking of nmemb * size */
void *bt_xreallocarray(void *p, size_t nmemb, size_t size) __attribute__((returns_nonnull));
char *bt_xstrdup(const char *s) __attribute__((malloc, returns_nonnull));
char *bt_xstrndup(const char *s, size_t n) __attribute__((malloc, returns_nonnull));
/* bt_xstrdup(s) or NULL when s is NULL */
char *bt_xstrdup_or_null(const char *s) __attribute__((malloc));
char *bt_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2), returns_nonnull));
char *bt_xvasprintf(const char *fmt, va_list ap)
        __attribute__((format(printf, 1, 0), returns_nonnull));

/* NULL-terminated string vectors */
size_t bt_strv_len(char *const *v);
/* qsort's comparator for an array of strings, in byte order (strcmp of the pointed-to). */
int bt_strp_cmp(const void *a, const void *b);
char **bt_strv_dup(char *const *v);
void bt_strv_free(char **v);
/* Append a copy of s to *v (which may be NULL); *v stays NULL-terminated. */
void bt_strv_push(char ***v, const char *s);
