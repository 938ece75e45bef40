/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Go's fmt.Sprintf for the printf template function: flags (+ - # 0 space), width and
 * precision (also from arguments with *), the verbs v s q d b o O x X c U t e E f F g G T %
 * on the values templates hold, containers formatted element by element, and Go's inline
 * errors: %!d(string=x), %!v(MISSING), %!(EXTRA int=1), %!(NOVERB), %!(BADWIDTH),
 * %!(BADPREC). Not supported: argument indexes ([n]), %p, %x on floats, %#v Go syntax.
 */
#include <stdlib.h>
#include <string.h>

#include "host/format/template-internal.h"
#include "shared/base/cleanup.h"
#include "shared/base/mem.h"

struct spec {
    bool minus, plus, sharp, zero, space, plus_v;
    bool has_wid, has_prec;
    int wid, prec;
    uint32_t verb;
};

struct pf {
    const struct typing *ty;
    struct bt_strbuf *out;
};

static size_t rune_count(const char *s, size_t n)
{
    size_t r = 0;
    for (size_t i = 0; i < n;) {
        int w;
        tpl_utf8_decode(s + i, n - i, &w);
        i += (size_t)w;
        r++;
    }
    return r;
}

static void write_padding(struct pf *p, int n, char c)
{
    for (int i = 0; i < n; i++)
        bt_strbuf_append_c(p->out, c);
}

/* Go's fmt.pad: width counted in runes, zeros only on the left. */
static void pad(struct pf *p, const struct spec *sp, const char *s, size_t n)
{
    int fill = sp->has_wid ? sp->wid - (int)rune_count(s, n) : 0;
    if (fill > 0 && !sp->minus)
        write_padding(p, fill, sp->zero ? '0' : ' ');
    bt_strbuf_append_n(p->out, s, n);
    if (fill > 0 && sp->minus)
        write_padding(p, fill, ' ');
}

static void pad_str(struct pf *p, const struct spec *sp, const char *s)
{
    pad(p, sp, s, strlen(s));
}

static void print_v(struct pf *p, const struct xv *v, const struct spec *sp, int depth);

static void bad_verb(struct pf *p, const struct spec *sp, const struct xv *v)
{
    bt_strbuf_append(p->out, "%!");
    tpl_utf8_append(p->out, sp->verb);
    bt_strbuf_append_c(p->out, '(');
    if (!v || !v->j || json_is_null(v->j)) {
        bt_strbuf_append(p->out, "<nil>");
    } else {
        bt_strbuf_append(p->out, xv_type_name(p->ty, v));
        bt_strbuf_append_c(p->out, '=');
        xv_print(p->ty, v, false, p->out);
    }
    bt_strbuf_append_c(p->out, ')');
}

static void fmt_integer(struct pf *p, const struct spec *sp, int64_t v, const struct xv *arg)
{
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    bool neg = v < 0;
    int base;
    const char *digits = "0123456789abcdefx";
    switch (sp->verb) {
    case 'v':
    case 'd':
        base = 10;
        break;
    case 'b':
        base = 2;
        break;
    case 'o':
    case 'O':
        base = 8;
        break;
    case 'X':
        digits = "0123456789ABCDEFX";
        __attribute__((fallthrough));
    case 'x':
        base = 16;
        break;
    default:
        bad_verb(p, sp, arg);
        return;
    }
    int prec = 0;
    if (sp->has_prec) {
        prec = sp->prec;
        if (prec == 0 && u == 0) {
            struct spec s2 = *sp;
            s2.zero = false;
            pad(p, &s2, "", 0);
            return;
        }
    } else if (sp->zero && !sp->minus && sp->has_wid) {
        prec = sp->wid - ((neg || sp->plus || sp->space) ? 1 : 0);
    }
    char buf[80];
    int i = (int)sizeof(buf);
    do {
        buf[--i] = digits[u % (uint64_t)base];
        u /= (uint64_t)base;
    } while (u && i > 4);
    if (prec > 64)
        prec = 64;
    while (i > 8 && (int)sizeof(buf) - i < prec)
        buf[--i] = '0';
    if (sp->sharp || sp->verb == 'O') {
        if (base == 2 && sp->sharp)
            buf[--i] = 'b', buf[--i] = '0';
        else if (base == 8 && sp->verb == 'O')
            buf[--i] = 'o', buf[--i] = '0';
        else if (base == 8 && buf[i] != '0')
            buf[--i] = '0';
        else if (base == 16)
            buf[--i] = digits[16], buf[--i] = '0';
    }
    if (neg)
        buf[--i] = '-';
    else if (sp->plus)
        buf[--i] = '+';
    else if (sp->space)
        buf[--i] = ' ';
    struct spec s2 = *sp;
    s2.zero = false;
    pad(p, &s2, buf + i, sizeof(buf) - (size_t)i);
}

static void fmt_rune(struct pf *p, const struct spec *sp, int64_t v)
{
    uint32_t r = (v < 0 || v > 0x10ffff) ? 0xfffd : (uint32_t)v;
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    if (sp->verb == 'c') {
        tpl_utf8_append(&sb, r);
    } else if (sp->verb == 'q') {
        bt_autostrbuf struct bt_strbuf q = BT_STRBUF_INIT;
        bt_autostrbuf struct bt_strbuf one = BT_STRBUF_INIT;
        tpl_utf8_append(&one, r);
        tpl_go_quote(&q, one.buf, one.len);
        /* "x" -> 'x'; a double quote needs no escape between single quotes */
        bt_strbuf_append_c(&sb, '\'');
        if (r == '"')
            bt_strbuf_append_c(&sb, '"');
        else if (r == '\'')
            bt_strbuf_append(&sb, "\\'");
        else
            bt_strbuf_append_n(&sb, q.buf + 1, q.len - 2);
        bt_strbuf_append_c(&sb, '\'');
    } else {
        bt_strbuf_appendf(&sb, "U+%04X", r);
        if (sp->sharp) {
            bt_strbuf_append(&sb, " '");
            tpl_utf8_append(&sb, r);
            bt_strbuf_append_c(&sb, '\'');
        }
    }
    pad(p, sp, sb.buf, sb.len);
}

static void fmt_float(struct pf *p, const struct spec *sp, double f, const struct xv *arg)
{
    char verb = (char)sp->verb;
    int prec = sp->has_prec ? sp->prec : -1;
    switch (sp->verb) {
    case 'v':
        verb = 'g';
        break;
    case 'F':
        verb = 'f';
        __attribute__((fallthrough));
    case 'e':
    case 'E':
    case 'f':
        if (!sp->has_prec)
            prec = 6;
        break;
    case 'g':
    case 'G':
        break;
    default:
        bad_verb(p, sp, arg);
        return;
    }
    bt_autostrbuf struct bt_strbuf num = BT_STRBUF_INIT;
    tpl_format_float(f, verb, prec, &num);
    const char *s = bt_strbuf_str(&num);
    char sign = s[0] == '-' ? '-' : '+';
    const char *digits = (s[0] == '-' || s[0] == '+') ? s + 1 : s;
    if (sign == '+' && sp->space && !sp->plus)
        sign = ' ';
    bt_autostrbuf struct bt_strbuf b = BT_STRBUF_INIT;
    if (digits[0] == 'I' || digits[0] == 'N') {
        if (!(digits[0] == 'N' && !sp->space && !sp->plus))
            bt_strbuf_append_c(&b, digits[0] == 'I' && sign == ' ' ? ' ' : sign);
        bt_strbuf_append(&b, digits);
        struct spec s2 = *sp;
        s2.zero = false;
        pad(p, &s2, b.buf, b.len);
        return;
    }
    if (sp->plus || sign != '+') {
        int len = (int)strlen(digits) + 1;
        if (sp->zero && !sp->minus && sp->has_wid && sp->wid > len) {
            bt_strbuf_append_c(p->out, sign);
            write_padding(p, sp->wid - len, '0');
            bt_strbuf_append(p->out, digits);
            return;
        }
        bt_strbuf_append_c(&b, sign);
    }
    bt_strbuf_append(&b, digits);
    pad(p, sp, b.buf, b.len);
}

static void fmt_string(struct pf *p, const struct spec *sp, const char *s, size_t n,
                       const struct xv *arg)
{
    bt_autostrbuf struct bt_strbuf b = BT_STRBUF_INIT;
    if (sp->has_prec && (sp->verb == 's' || sp->verb == 'v' || sp->verb == 'q')) {
        size_t i = 0;
        for (int r = 0; r < sp->prec && i < n; r++) {
            int w;
            tpl_utf8_decode(s + i, n - i, &w);
            i += (size_t)w;
        }
        n = i;
    }
    switch (sp->verb) {
    case 'v':
    case 's':
        pad(p, sp, s, n);
        return;
    case 'q':
        if (sp->sharp && !memchr(s, '`', n) && !memchr(s, '\n', n)) {
            bt_strbuf_append_c(&b, '`');
            bt_strbuf_append_n(&b, s, n);
            bt_strbuf_append_c(&b, '`');
        } else {
            tpl_go_quote(&b, s, n);
        }
        pad(p, sp, b.buf, b.len);
        return;
    case 'x':
    case 'X': {
        const char *hex = sp->verb == 'x' ? "0123456789abcdef" : "0123456789ABCDEF";
        size_t lim = sp->has_prec && (size_t)sp->prec < n ? (size_t)sp->prec : n;
        for (size_t i = 0; i < lim; i++) {
            if (sp->space && i > 0)
                bt_strbuf_append_c(&b, ' ');
            if (sp->sharp && (sp->space || i == 0))
                bt_strbuf_append(&b, sp->verb == 'x' ? "0x" : "0X");
            bt_strbuf_append_c(&b, hex[(unsigned char)s[i] >> 4]);
            bt_strbuf_append_c(&b, hex[(unsigned char)s[i] & 0xf]);
        }
        pad(p, sp, b.buf ? b.buf : "", b.len);
        return;
    }
    default:
        bad_verb(p, sp, arg);
    }
}

static void print_container(struct pf *p, const struct xv *v, const struct spec *sp, int depth)
{
    bool map = json_is_object(v->j) && xv_is_map(p->ty, v);
    bool iface = xv_elems_are_iface(p->ty, v);
    if (json_is_array(v->j)) {
        bt_autofree char *child = xv_child_path(p->ty, v->path, "[]");
        bt_strbuf_append_c(p->out, '[');
        for (size_t i = 0; i < json_array_size(v->j); i++) {
            if (i > 0)
                bt_strbuf_append_c(p->out, ' ');
            struct xv e = {json_array_get(v->j, i), child, NULL, iface};
            print_v(p, &e, sp, depth + 1);
        }
        bt_strbuf_append_c(p->out, ']');
        return;
    }
    size_t n;
    bt_autofree const char **keys = tpl_object_keys(v->j, map, &n);
    bt_strbuf_append(p->out, map ? "map[" : "{");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            bt_strbuf_append_c(p->out, ' ');
        if (map) {
            json_t *k = json_string_nocheck(keys[i]);
            struct xv kv = {k, NULL, NULL, false};
            print_v(p, &kv, sp, depth + 1);
            json_decref(k);
            bt_strbuf_append_c(p->out, ':');
        } else if (sp->plus_v) {
            bt_strbuf_appendf(p->out, "%s:", keys[i]);
        }
        bt_autofree char *child = xv_child_path(p->ty, v->path, map ? "[]" : keys[i]);
        struct xv e = {json_object_get(v->j, keys[i]), child, NULL, map && iface};
        print_v(p, &e, sp, depth + 1);
    }
    bt_strbuf_append(p->out, map ? "]" : "}");
}

static void print_v(struct pf *p, const struct xv *v, const struct spec *sp, int depth)
{
    if (!v->j || json_is_null(v->j)) {
        if (depth > 0 || sp->verb == 'v')
            pad_str(p, sp, depth > 0 && v->j && !v->iface ? "<nil>" : "<nil>");
        else
            bad_verb(p, sp, NULL);
        return;
    }
    if (sp->verb == 'T') {
        pad_str(p, sp, xv_type_name(p->ty, v));
        return;
    }
    switch (json_typeof(v->j)) {
    case JSON_TRUE:
    case JSON_FALSE:
        if (sp->verb == 'v' || sp->verb == 't')
            pad_str(p, sp, json_is_true(v->j) ? "true" : "false");
        else
            bad_verb(p, sp, v);
        break;
    case JSON_INTEGER:
        if (sp->verb == 'c' || sp->verb == 'q' || sp->verb == 'U')
            fmt_rune(p, sp, json_integer_value(v->j));
        else
            fmt_integer(p, sp, json_integer_value(v->j), v);
        break;
    case JSON_REAL:
        fmt_float(p, sp, json_real_value(v->j), v);
        break;
    case JSON_STRING:
        fmt_string(p, sp, json_string_value(v->j), json_string_length(v->j), v);
        break;
    default:
        print_container(p, v, sp, depth);
        break;
    }
}

/* Digits of a width or precision; Go gives up on numbers past 1e6 and swallows the rest of
 * the format. Returns false then. */
static bool parse_num(const char *f, size_t n, size_t *i, int *out, bool *present)
{
    *out = 0;
    *present = false;
    while (*i < n && f[*i] >= '0' && f[*i] <= '9') {
        if (*out > 1000000) {
            *i = n;
            *present = false;
            return false;
        }
        *out = *out * 10 + (f[*i] - '0');
        *present = true;
        (*i)++;
    }
    return true;
}

/* An int argument for *: Go's intFromArg. */
static bool int_from_arg(const struct xv *args, size_t nargs, size_t *argn, int *out)
{
    if (*argn >= nargs)
        return false;
    const struct xv *a = &args[(*argn)++];
    if (!a->j || !json_is_integer(a->j))
        return false;
    json_int_t v = json_integer_value(a->j);
    if (v > 1000000 || v < -1000000)
        return false;
    *out = (int)v;
    return true;
}

static void parse_flags(const char *f, size_t n, size_t *i, struct spec *sp)
{
    for (; *i < n; (*i)++) {
        switch (f[*i]) {
        case '#':
            sp->sharp = true;
            break;
        case '0':
            sp->zero = !sp->minus;
            break;
        case '+':
            sp->plus = true;
            break;
        case '-':
            sp->minus = true;
            sp->zero = false;
            break;
        case ' ':
            sp->space = true;
            break;
        default:
            return;
        }
    }
}

/* Width and precision; false when the format ended inside them. */
static bool parse_wid_prec(struct pf *p, const char *f, size_t n, size_t *i, struct spec *sp,
                           const struct xv *args, size_t nargs, size_t *argn)
{
    if (*i < n && f[*i] == '*') {
        (*i)++;
        sp->has_wid = int_from_arg(args, nargs, argn, &sp->wid);
        if (!sp->has_wid)
            bt_strbuf_append(p->out, "%!(BADWIDTH)");
        if (sp->wid < 0) {
            sp->wid = -sp->wid;
            sp->minus = true;
            sp->zero = false;
        }
    } else if (!parse_num(f, n, i, &sp->wid, &sp->has_wid)) {
        return false;
    }
    if (*i + 1 <= n && *i < n && f[*i] == '.') {
        (*i)++;
        if (*i < n && f[*i] == '*') {
            (*i)++;
            sp->has_prec = int_from_arg(args, nargs, argn, &sp->prec);
            if (sp->prec < 0) {
                sp->prec = 0;
                sp->has_prec = false;
            }
            if (!sp->has_prec)
                bt_strbuf_append(p->out, "%!(BADPREC)");
        } else {
            if (!parse_num(f, n, i, &sp->prec, &sp->has_prec))
                return false;
            sp->has_prec = true;
        }
    }
    return true;
}

void tpl_sprintf(const struct typing *ty, const char *f, size_t n, const struct xv *args,
                 size_t nargs, struct bt_strbuf *out)
{
    struct pf p = {ty, out};
    size_t argn = 0;
    for (size_t i = 0; i < n;) {
        const char *pct = memchr(f + i, '%', n - i);
        size_t lit = pct ? (size_t)(pct - f) - i : n - i;
        bt_strbuf_append_n(out, f + i, lit);
        i += lit;
        if (i >= n)
            break;
        i++; /* the % */
        struct spec sp = {0};
        parse_flags(f, n, &i, &sp);
        if (!parse_wid_prec(&p, f, n, &i, &sp, args, nargs, &argn) || i >= n) {
            bt_strbuf_append(out, "%!(NOVERB)");
            break;
        }
        int w;
        sp.verb = tpl_utf8_decode(f + i, n - i, &w);
        i += (size_t)w;
        if (sp.verb == '%') {
            bt_strbuf_append_c(out, '%');
            continue;
        }
        if (argn >= nargs) {
            bt_strbuf_append(out, "%!");
            tpl_utf8_append(out, sp.verb);
            bt_strbuf_append(out, "(MISSING)");
            continue;
        }
        if (sp.verb == 'v' && sp.plus) {
            sp.plus_v = true;
            sp.plus = false;
        }
        print_v(&p, &args[argn++], &sp, 0);
    }
    if (argn < nargs) {
        bt_strbuf_append(out, "%!(EXTRA ");
        for (size_t k = argn; k < nargs; k++) {
            if (k > argn)
                bt_strbuf_append(out, ", ");
            if (!args[k].j) {
                bt_strbuf_append(out, "<nil>");
                continue;
            }
            bt_strbuf_append(out, xv_type_name(ty, &args[k]));
            bt_strbuf_append_c(out, '=');
            xv_print(ty, &args[k], false, out);
        }
        bt_strbuf_append_c(out, ')');
    }
}
