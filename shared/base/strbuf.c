/* SPDX-License-Identifier: Apache-2.0 */
#include "shared/base/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/base/mem.h"
#include "shared/base/utf8.h"

char *bt_strbuf_reserve(struct bt_strbuf *sb, size_t n)
{
    size_t need = sb->len + n + 1;
    if (need > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 64;
        while (cap < need)
            cap *= 2;
        sb->buf = bt_xrealloc(sb->buf, cap);
        sb->cap = cap;
    }
    return sb->buf + sb->len;
}

void bt_strbuf_commit(struct bt_strbuf *sb, size_t n)
{
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

void bt_strbuf_append_n(struct bt_strbuf *sb, const void *data, size_t n)
{
    char *p = bt_strbuf_reserve(sb, n);
    if (n)
        memcpy(p, data, n);
    bt_strbuf_commit(sb, n);
}

void bt_strbuf_append(struct bt_strbuf *sb, const char *s)
{
    bt_strbuf_append_n(sb, s, strlen(s));
}

void bt_strbuf_append_c(struct bt_strbuf *sb, char c)
{
    bt_strbuf_append_n(sb, &c, 1);
}

void bt_strbuf_appendv(struct bt_strbuf *sb, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    char *p = bt_strbuf_reserve(sb, (size_t)n);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    bt_strbuf_commit(sb, (size_t)n);
}

void bt_strbuf_appendf(struct bt_strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bt_strbuf_appendv(sb, fmt, ap);
    va_end(ap);
}

void bt_strbuf_truncate(struct bt_strbuf *sb, size_t len)
{
    if (len >= sb->len)
        return;
    sb->len = len;
    sb->buf[len] = '\0';
}

void bt_strbuf_reset(struct bt_strbuf *sb)
{
    bt_strbuf_truncate(sb, 0);
}

const char *bt_strbuf_str(const struct bt_strbuf *sb)
{
    return sb->buf ? sb->buf : "";
}

char *bt_strbuf_steal(struct bt_strbuf *sb)
{
    char *s = sb->buf ? sb->buf : bt_xstrdup("");
    sb->buf = NULL;
    sb->len = sb->cap = 0;
    return s;
}

void bt_strbuf_free(struct bt_strbuf *sb)
{
    free(sb->buf);
    sb->buf = NULL;
    sb->len = sb->cap = 0;
}

void bt_strbuf_go_quote(struct bt_strbuf *sb, const char *s, size_t n)
{
    static const char esc[] = "\aa\bb\ff\nn\rr\tt\vv";
    bt_strbuf_append_c(sb, '"');
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t w = c < 0x80 ? 1 : bt_utf8_decode((const unsigned char *)s + i, n - i, NULL);
        const char *e = c ? strchr(esc, c) : NULL;
        if (c == '"' || c == '\\')
            bt_strbuf_appendf(sb, "\\%c", c);
        else if (e && (e - esc) % 2 == 0)
            bt_strbuf_appendf(sb, "\\%c", e[1]);
        else if (w == 0 || c < 0x20 || c == 0x7F)
            bt_strbuf_appendf(sb, "\\x%02x", c);
        else
            bt_strbuf_append_n(sb, s + i, w);
        i += w ? w : 1;
    }
    bt_strbuf_append_c(sb, '"');
}
