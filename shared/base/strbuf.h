/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * A growable byte string, always NUL-terminated once anything was appended.
 *
 *   bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
 *   bt_strbuf_appendf(&sb, "%s:%d", host, port);
 *   return bt_strbuf_steal(&sb);     (the caller frees; sb is empty again)
 *
 * Embedded NULs are allowed (len counts bytes); bt_strbuf_str() is for text. Allocation never
 * fails (see mem.h). Not thread-safe; a strbuf belongs to one owner.
 */
#include <stdarg.h>
#include <stddef.h>

struct bt_strbuf {
    char *buf;
    size_t len;
    size_t cap;
};

#define BT_STRBUF_INIT \
    {                  \
        NULL, 0, 0     \
    }

void bt_strbuf_append(struct bt_strbuf *sb, const char *s);
void bt_strbuf_append_n(struct bt_strbuf *sb, const void *data, size_t n);
void bt_strbuf_append_c(struct bt_strbuf *sb, char c);
void bt_strbuf_appendf(struct bt_strbuf *sb, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void bt_strbuf_appendv(struct bt_strbuf *sb, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));
/* Go's strconv.Quote of n bytes of s (%q), appended with its quotes: \" \\ and \a \b \f \n \r
 * \t \v escaped, other control bytes and bytes that are no UTF-8 as \xNN. Valid UTF-8 beyond
 * ASCII is kept as it is (Go escapes the few runes unicode.IsPrint refuses). */
void bt_strbuf_go_quote(struct bt_strbuf *sb, const char *s, size_t n);
/* Make room for n more bytes; returns where they go. Commit them with bt_strbuf_commit(). */
char *bt_strbuf_reserve(struct bt_strbuf *sb, size_t n);
void bt_strbuf_commit(struct bt_strbuf *sb, size_t n);
/* Keep the first len bytes (len <= sb->len). */
void bt_strbuf_truncate(struct bt_strbuf *sb, size_t len);
void bt_strbuf_reset(struct bt_strbuf *sb);
/* The text so far: "" when nothing was appended; owned by sb. */
const char *bt_strbuf_str(const struct bt_strbuf *sb);
/* Hand the buffer to the caller (never NULL) and leave sb empty. */
char *bt_strbuf_steal(struct bt_strbuf *sb);
void bt_strbuf_free(struct bt_strbuf *sb);

static inline void bt_cleanup_strbuf_(struct bt_strbuf *sb)
{
    bt_strbuf_free(sb);
}
#define bt_autostrbuf __attribute__((cleanup(bt_cleanup_strbuf_)))
