/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Literals in templates, as Go's parser reads them: strings through strconv.Unquote, numbers
 * and character constants through newNumber (strconv.ParseInt/ParseUint/ParseFloat with base
 * prefixes and underscores).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host/format/template-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One escape sequence after the backslash at s[*i]; Go's UnquoteChar. *byte_value is set
 * for \x and octal escapes, which stand for bytes, not runes. */
static bool unquote_escape(const char *s, size_t len, size_t *i, char quote, uint32_t *r,
                           bool *byte_value)
{
    if (*i >= len)
        return false;
    char c = s[(*i)++];
    *byte_value = false;
    static const char simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\";
    const char *k = strchr(simple, c);
    if (c && k && (k - simple) % 2 == 0) {
        *r = (unsigned char)k[1];
        return true;
    }
    if (c == quote) {
        *r = (unsigned char)c;
        return true;
    }
    int n = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
    if (n) {
        uint32_t v = 0;
        for (int j = 0; j < n; j++) {
            if (*i >= len || hexval(s[*i]) < 0)
                return false;
            v = v * 16 + (uint32_t)hexval(s[(*i)++]);
        }
        if (c == 'x') {
            *byte_value = true;
        } else if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
            return false;
        }
        *r = v;
        return true;
    }
    if (c >= '0' && c <= '7') {
        uint32_t v = (uint32_t)(c - '0');
        for (int j = 0; j < 2; j++) {
            if (*i >= len || s[*i] < '0' || s[*i] > '7')
                return false;
            v = v * 8 + (uint32_t)(s[(*i)++] - '0');
        }
        if (v > 255)
            return false;
        *byte_value = true;
        *r = v;
        return true;
    }
    return false;
}

static bool valid_utf8(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        int w;
        if (tpl_utf8_decode(s + i, len - i, &w) == 0xfffd && w == 1)
            return false;
        i += w;
    }
    return true;
}

bool tpl_unquote(const char *s, size_t len, struct bt_strbuf *out)
{
    if (len < 2 || s[0] != s[len - 1])
        return false;
    const char *in = s + 1;
    size_t n = len - 2;
    if (s[0] == '`') {
        if (memchr(in, '`', n))
            return false;
        for (size_t i = 0; i < n; i++)
            if (in[i] != '\r')
                bt_strbuf_append_c(out, in[i]);
        bt_strbuf_append(out, "");
        return true;
    }
    if (s[0] != '"' || memchr(in, '\n', n))
        return false;
    if (!memchr(in, '\\', n)) {
        if (memchr(in, '"', n) || !valid_utf8(in, n))
            return false;
        bt_strbuf_append_n(out, in, n);
        bt_strbuf_append(out, "");
        return true;
    }
    for (size_t i = 0; i < n;) {
        if (in[i] == '"')
            return false;
        if (in[i] != '\\') {
            int w;
            uint32_t r = tpl_utf8_decode(in + i, n - i, &w);
            tpl_utf8_append(out, r);
            i += w;
            continue;
        }
        i++;
        uint32_t r;
        bool byte_value;
        if (!unquote_escape(in, n, &i, '"', &r, &byte_value))
            return false;
        if (byte_value)
            bt_strbuf_append_c(out, (char)r);
        else
            tpl_utf8_append(out, r);
    }
    bt_strbuf_append(out, "");
    return true;
}

/* Go's underscoreOK: underscores only between digits or after a base prefix. */
static bool underscores_ok(const char *s, size_t len)
{
    size_t i = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    bool hex = false;
    char prev = '^'; /* start */
    if (len - i >= 2 && s[i] == '0' && strchr("xXbBoO", s[i + 1]) && s[i + 1]) {
        hex = s[i + 1] == 'x' || s[i + 1] == 'X';
        i += 2;
        prev = '0';
    }
    for (; i < len; i++) {
        char c = s[i];
        bool digit = (c >= '0' && c <= '9') || (hex && hexval(c) >= 0);
        if (c == '_') {
            if (prev != '0')
                return false;
        } else if (digit) {
            c = '0';
        } else {
            if (prev == '_')
                return false;
            c = '!';
        }
        prev = c;
    }
    return prev != '_';
}

/* strconv.ParseUint/ParseInt with base 0 (sign allowed when `sign`). */
static bool parse_integer(const char *s, size_t len, bool sign, uint64_t *mag, bool *neg)
{
    size_t i = 0;
    *neg = false;
    if (sign && i < len && (s[i] == '+' || s[i] == '-'))
        *neg = s[i++] == '-';
    int base = 10;
    if (len - i >= 2 && s[i] == '0') {
        char b = s[i + 1];
        base = (b == 'x' || b == 'X')   ? 16
               : (b == 'o' || b == 'O') ? 8
               : (b == 'b' || b == 'B') ? 2
                                        : 8;
        i += base == 8 && b != 'o' && b != 'O' ? 1 : 2;
    }
    if (i >= len)
        return base == 8 && len > 0 && s[len - 1] == '0'; /* "0" itself */
    uint64_t v = 0;
    size_t digits = 0;
    for (; i < len; i++) {
        if (s[i] == '_')
            continue;
        int d = hexval(s[i]);
        if (d < 0 || d >= base)
            return false;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            return false;
        v = v * (uint64_t)base + (uint64_t)d;
        digits++;
    }
    *mag = v;
    return digits > 0 && underscores_ok(s, len);
}

static bool parse_float(const char *s, size_t len, double *out)
{
    if (!underscores_ok(s, len))
        return false;
    bt_autofree char *buf = bt_xmalloc(len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] != '_')
            buf[n++] = s[i];
    buf[n] = '\0';
    const char *digits = buf + (buf[0] == '+' || buf[0] == '-');
    bool hex = digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
    if (hex && !strpbrk(buf, "pP"))
        return false;
    if (!hex && strpbrk(buf, "pP"))
        return false;
    char *end;
    errno = 0;
    double f = strtod(buf, &end);
    if (end != buf + n || n == 0 || isinf(f))
        return false;
    *out = f;
    return true;
}

static int char_constant(struct node *n, const char *text, size_t len, char **msg)
{
    uint32_t r;
    size_t i = 1;
    if (len >= 2 && text[1] == '\\') {
        i = 2;
        bool byte_value;
        if (!unquote_escape(text, len, &i, '\'', &r, &byte_value)) {
            *msg = bt_xstrdup("invalid syntax");
            return -1;
        }
    } else if (len >= 2 && text[1] != '\'') {
        int w;
        r = tpl_utf8_decode(text + 1, len - 1, &w);
        i = 1 + (size_t)w;
    } else {
        *msg = bt_xstrdup("invalid syntax");
        return -1;
    }
    if (i != len - 1 || text[i] != '\'') {
        *msg = bt_xasprintf("malformed character constant: %.*s", (int)len, text);
        return -1;
    }
    n->is_char = n->is_int = n->is_uint = n->is_float = true;
    n->ival = r;
    n->uval = r;
    n->fval = r;
    return 0;
}

static bool has_any(const char *s, size_t len, const char *set)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] && strchr(set, s[i]))
            return true;
    return false;
}

static char *quoted_msg(const char *what, const char *text, size_t len)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, what);
    tpl_go_quote(&sb, text, len);
    return bt_strbuf_steal(&sb);
}

int tpl_parse_number(struct node *n, const char *text, size_t len, enum tok_type type, char **msg)
{
    if (type == TOK_CHAR_CONSTANT)
        return char_constant(n, text, len, msg);
    if (type == TOK_COMPLEX || (len > 0 && text[len - 1] == 'i')) {
        *msg = quoted_msg("complex numbers are not supported: ", text, len);
        return -1;
    }
    uint64_t mag;
    bool neg;
    if (parse_integer(text, len, false, &mag, &neg)) {
        n->is_uint = true;
        n->uval = mag;
    }
    if (parse_integer(text, len, true, &mag, &neg) &&
        (neg ? mag <= (uint64_t)INT64_MAX + 1 : mag <= (uint64_t)INT64_MAX)) {
        n->is_int = true;
        n->ival = neg ? (int64_t)(0 - mag) : (int64_t)mag;
        if (n->ival == 0) {
            n->is_uint = true;
            n->uval = 0;
        }
    }
    if (n->is_int) {
        n->is_float = true;
        n->fval = (double)n->ival;
    } else if (n->is_uint) {
        n->is_float = true;
        n->fval = (double)n->uval;
    } else {
        double f;
        if (parse_float(text, len, &f)) {
            if (!has_any(text, len, ".eEpP")) {
                *msg = quoted_msg("integer overflow: ", text, len);
                return -1;
            }
            n->is_float = true;
            n->fval = f;
            if (f >= -9223372036854775808.0 && f < 9223372036854775808.0 &&
                (double)(int64_t)f == f) {
                n->is_int = true;
                n->ival = (int64_t)f;
            }
            if (f >= 0 && f < 18446744073709551616.0 && (double)(uint64_t)f == f) {
                n->is_uint = true;
                n->uval = (uint64_t)f;
            }
        }
    }
    if (!n->is_int && !n->is_uint && !n->is_float) {
        *msg = quoted_msg("illegal number syntax: ", text, len);
        return -1;
    }
    return 0;
}
