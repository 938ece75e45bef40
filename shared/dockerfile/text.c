/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Text as Go sees it. Docker's Dockerfile code is Go: it walks strings rune by rune, reads an
 * invalid byte as U+FFFD, trims with unicode.IsSpace and prints with strconv.Quote. Matching
 * its results byte for byte (the conformance dumps) needs the same rules here.
 */
#include <string.h>

#include "shared/base/mem.h"
#include "shared/base/utf8.h"
#include "shared/dockerfile/dockerfile-internal.h"

int32_t df_rune(const char *s, size_t n, size_t *w)
{
    if (n == 0) {
        *w = 0;
        return -1;
    }
    unsigned char c = (unsigned char)s[0];
    if (c < 0x80) {
        *w = 1;
        return c;
    }
    uint32_t cp;
    size_t len = bt_utf8_decode((const unsigned char *)s, n, &cp);
    if (len == 0) {
        *w = 1;
        return 0xFFFD;
    }
    *w = len;
    return (int32_t)cp;
}

void df_put_rune(struct bt_strbuf *sb, int32_t cp)
{
    char b[4];
    if (cp < 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    if (cp < 0x80) {
        bt_strbuf_append_c(sb, (char)cp);
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        bt_strbuf_append_n(sb, b, 2);
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        bt_strbuf_append_n(sb, b, 3);
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        bt_strbuf_append_n(sb, b, 4);
    }
}

bool df_is_space(int32_t cp)
{
    switch (cp) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
        return true;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

struct range {
    int32_t lo, hi;
};

static bool in_ranges(int32_t cp, const struct range *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cp >= r[i].lo && cp <= r[i].hi)
            return true;
    return false;
}

/* Decimal digits (Nd) of the scripts most likely to be met. */
static const struct range digits[] = {
        {0x660, 0x669},   {0x6F0, 0x6F9},   {0x7C0, 0x7C9},   {0x966, 0x96F},   {0x9E6, 0x9EF},
        {0xA66, 0xA6F},   {0xAE6, 0xAEF},   {0xB66, 0xB6F},   {0xBE6, 0xBEF},   {0xC66, 0xC6F},
        {0xCE6, 0xCEF},   {0xD66, 0xD6F},   {0xDE6, 0xDEF},   {0xE50, 0xE59},   {0xED0, 0xED9},
        {0xF20, 0xF29},   {0x1040, 0x1049}, {0x1090, 0x1099}, {0x17E0, 0x17E9}, {0x1810, 0x1819},
        {0xFF10, 0xFF19},
};

/* Blocks above Latin-1 that hold no letters: combining marks, punctuation, symbols, private
 * use, surrogates, emoji. */
static const struct range not_letters[] = {
        {0x300, 0x36F},      {0x37E, 0x37E},   {0x387, 0x387},   {0x55A, 0x55F},
        {0x589, 0x58A},      {0x5BE, 0x5BE},   {0x5C0, 0x5C0},   {0x5C3, 0x5C3},
        {0x5F3, 0x5F4},      {0x600, 0x61F},   {0x66A, 0x66D},   {0x6D4, 0x6D4},
        {0x964, 0x965},      {0xE3F, 0xE3F},   {0x1680, 0x1680}, {0x2000, 0x2BFF},
        {0x2E00, 0x2E7F},    {0x3000, 0x3004}, {0x3007, 0x303F}, {0xD800, 0xF8FF},
        {0xFE00, 0xFE0F},    {0xFE10, 0xFE6F}, {0xFEFF, 0xFEFF}, {0xFF00, 0xFF20},
        {0xFF3B, 0xFF40},    {0xFF5B, 0xFF65}, {0xFFE0, 0xFFFF}, {0x1F000, 0x1FAFF},
        {0xE0000, 0x10FFFF},
};

bool df_is_digit(int32_t cp)
{
    if (cp < 0x80)
        return cp >= '0' && cp <= '9';
    return in_ranges(cp, digits, sizeof(digits) / sizeof(digits[0]));
}

bool df_is_letter(int32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    if (cp < 0x100)
        return cp == 0xAA || cp == 0xB5 || cp == 0xBA || (cp >= 0xC0 && cp != 0xD7 && cp != 0xF7);
    if (df_is_digit(cp) || df_is_space(cp))
        return false;
    return !in_ranges(cp, not_letters, sizeof(not_letters) / sizeof(not_letters[0]));
}

/* Format characters (Cf), private use (Co), surrogates and noncharacters: what strconv.Quote
 * escapes above Latin-1 besides the spaces. */
static const struct range not_print[] = {
        {0x600, 0x605},     {0x61C, 0x61C},     {0x6DD, 0x6DD},      {0x70F, 0x70F},
        {0x180E, 0x180E},   {0x200B, 0x200F},   {0x202A, 0x202E},    {0x2060, 0x2064},
        {0x2066, 0x206F},   {0xD800, 0xF8FF},   {0xFDD0, 0xFDEF},    {0xFEFF, 0xFEFF},
        {0xFFF0, 0xFFFB},   {0xFFFE, 0xFFFF},   {0x110BD, 0x110BD},  {0x1BCA0, 0x1BCA3},
        {0x1D173, 0x1D17A}, {0xE0001, 0xE007F}, {0xF0000, 0x10FFFF},
};

bool df_is_print(int32_t cp)
{
    if (cp < 0x80)
        return cp >= 0x20 && cp < 0x7F;
    if (cp < 0x100)
        return cp > 0xA0 && cp != 0xAD;
    if (cp > 0x10FFFF || df_is_space(cp))
        return false;
    if ((cp & 0xFFFE) == 0xFFFE)
        return false;
    return !in_ranges(cp, not_print, sizeof(not_print) / sizeof(not_print[0]));
}

void *df_grow(void *p, size_t n, size_t size)
{
    /* the capacity is n rounded up to a power of two: full when n is one (or 0) */
    if (n != 0 && (n & (n - 1)) != 0)
        return p;
    return bt_xreallocarray(p, n ? 2 * n : 1, size);
}

void df_strv_add(char ***v, size_t *n, const char *s)
{
    *v = df_grow(*v, *n + 1, sizeof(char *));
    (*v)[*n] = bt_xstrdup(s);
    (*v)[++*n] = NULL;
}

const char *df_trim_space(const char *s, size_t *n)
{
    size_t len = *n, i = 0, w;
    while (i < len && df_is_space(df_rune(s + i, len - i, &w)))
        i += w;
    size_t end = i;
    for (size_t j = i; j < len; j += w) {
        if (!df_is_space(df_rune(s + j, len - j, &w)))
            end = j + w;
    }
    *n = end - i;
    return s + i;
}

static const char hexdigits[] = "0123456789abcdef";

static void append_hex(struct bt_strbuf *sb, const char *prefix, uint32_t v, int ndigits)
{
    bt_strbuf_append(sb, prefix);
    for (int i = ndigits - 1; i >= 0; i--)
        bt_strbuf_append_c(sb, hexdigits[(v >> (4 * i)) & 0xF]);
}

void df_go_quote(struct bt_strbuf *sb, const char *s, size_t n)
{
    bt_strbuf_append_c(sb, '"');
    size_t w;
    for (size_t i = 0; i < n; i += w) {
        int32_t r = df_rune(s + i, n - i, &w);
        if (r == 0xFFFD && w == 1) {
            append_hex(sb, "\\x", (unsigned char)s[i], 2);
            continue;
        }
        if (r == '"' || r == '\\') {
            bt_strbuf_append_c(sb, '\\');
            bt_strbuf_append_c(sb, (char)r);
            continue;
        }
        if (df_is_print(r)) {
            bt_strbuf_append_n(sb, s + i, w);
            continue;
        }
        static const char esc[] = {'\a', 'a',  '\b', 'b',  '\f', 'f',  '\n',
                                   'n',  '\r', 'r',  '\t', 't',  '\v', 'v'};
        const char *e = NULL;
        for (size_t k = 0; k < sizeof(esc); k += 2)
            if (r == esc[k])
                e = &esc[k + 1];
        if (e) {
            bt_strbuf_append_c(sb, '\\');
            bt_strbuf_append_c(sb, *e);
        } else if (r < ' ' || r == 0x7F) {
            append_hex(sb, "\\x", (uint32_t)r, 2);
        } else if (r < 0x10000) {
            append_hex(sb, "\\u", (uint32_t)r, 4);
        } else {
            append_hex(sb, "\\U", (uint32_t)r, 8);
        }
    }
    bt_strbuf_append_c(sb, '"');
}

char *df_quote(const char *s)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    df_go_quote(&sb, s, strlen(s));
    return bt_strbuf_steal(&sb);
}

size_t df_levenshtein(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    bt_autofree size_t *row = bt_xreallocarray(NULL, lb + 1, sizeof(size_t));
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* time.ParseDuration's units, in nanoseconds. */
static const struct {
    const char *name;
    uint64_t ns;
} units[] = {
        {"ns", 1},           {"us", 1000},         {"\xC2\xB5s", 1000}, /* U+00B5 micro sign */
        {"\xCE\xBCs", 1000},                                            /* U+03BC Greek mu */
        {"ms", 1000000},     {"s", 1000000000ULL}, {"m", 60000000000ULL}, {"h", 3600000000000ULL},
};

static int duration_error(char **errmsg, const char *what, const char *orig)
{
    bt_autofree char *q = df_quote(orig);
    *errmsg = bt_xasprintf("time: %s%s", what, q);
    return -1;
}

/* One "<int>[.<frac>]<unit>" element of a duration: adds its nanoseconds to *d. */
static int duration_element(const char **sp, uint64_t *d, const char *orig, char **errmsg)
{
    const char *s = *sp;
    const uint64_t max = 1ULL << 63;
    if (!(*s == '.' || (*s >= '0' && *s <= '9')))
        return duration_error(errmsg, "invalid duration ", orig);
    uint64_t v = 0, f = 0;
    double scale = 1;
    const char *start = s;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > max / 10)
            return duration_error(errmsg, "invalid duration ", orig);
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > max)
            return duration_error(errmsg, "invalid duration ", orig);
    }
    bool pre = s != start, post = false;
    if (*s == '.') {
        s++;
        const char *fs = s;
        bool overflow = false;
        for (; *s >= '0' && *s <= '9'; s++) {
            if (overflow)
                continue;
            if (f > (max - 1) / 10) {
                overflow = true;
                continue;
            }
            f = f * 10 + (uint64_t)(*s - '0');
            scale *= 10;
        }
        post = s != fs;
    }
    if (!pre && !post)
        return duration_error(errmsg, "invalid duration ", orig);
    size_t ulen = 0;
    while (s[ulen] && s[ulen] != '.' && !(s[ulen] >= '0' && s[ulen] <= '9'))
        ulen++;
    if (ulen == 0)
        return duration_error(errmsg, "missing unit in duration ", orig);
    uint64_t unit = 0;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strlen(units[i].name) == ulen && memcmp(units[i].name, s, ulen) == 0)
            unit = units[i].ns;
    if (!unit) {
        bt_autofree char *u = bt_xstrndup(s, ulen);
        bt_autofree char *qu = df_quote(u);
        bt_autofree char *what = bt_xasprintf("unknown unit %s in duration ", qu);
        return duration_error(errmsg, what, orig);
    }
    s += ulen;
    if (v > max / unit)
        return duration_error(errmsg, "invalid duration ", orig);
    v *= unit;
    if (f > 0) {
        v += (uint64_t)((double)f * ((double)unit / scale));
        if (v > max)
            return duration_error(errmsg, "invalid duration ", orig);
    }
    *d += v;
    if (*d > max)
        return duration_error(errmsg, "invalid duration ", orig);
    *sp = s;
    return 0;
}

int df_parse_duration(const char *orig, int64_t *ns, char **errmsg)
{
    const char *s = orig;
    bool neg = false;
    if (*s == '-' || *s == '+') {
        neg = *s == '-';
        s++;
    }
    if (strcmp(s, "0") == 0) {
        *ns = 0;
        return 0;
    }
    if (!*s)
        return duration_error(errmsg, "invalid duration ", orig);
    uint64_t d = 0;
    while (*s)
        if (duration_element(&s, &d, orig, errmsg) < 0)
            return -1;
    if (neg) {
        *ns = d == (1ULL << 63) ? INT64_MIN : -(int64_t)d;
        return 0;
    }
    if (d > (uint64_t)INT64_MAX)
        return duration_error(errmsg, "invalid duration ", orig);
    *ns = (int64_t)d;
    return 0;
}
