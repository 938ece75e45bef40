/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Go's text/tabwriter algorithm (format/writeLines): cells are collected per line, then
 * column widths are computed recursively over blocks of lines that share the column.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "host/format/tabwriter.h"
#include "host/format/template-internal.h"
#include "shared/base/mem.h"

/* Go recurses once per column; past this many columns cells are left unpadded rather than
 * letting a line of a million tabs exhaust the stack. */
#define TW_MAX_COLUMNS 1000

struct cell {
    size_t start; /* offset of the cell's text in the cleaned buffer */
    size_t size;  /* bytes */
    int width;    /* display width */
    bool htab;    /* ended by '\t' (not '\v') */
};

struct line {
    struct cell *cells;
    size_t n;
    size_t cap;
};

struct tw {
    const struct fmt_tab_opts *o;
    struct bt_strbuf buf; /* cell text without the separators */
    struct line *lines;
    size_t nlines;
    int *widths;
    size_t nwidths;
    struct bt_strbuf *out;
};

static bool in_range(uint32_t r, uint32_t lo, uint32_t hi)
{
    return r >= lo && r <= hi;
}

static int rune_width(uint32_t r)
{
    if (r < 0x20 || in_range(r, 0x7f, 0x9f))
        return 0;
    if (in_range(r, 0x300, 0x36f) || in_range(r, 0x483, 0x489) || in_range(r, 0x591, 0x5bd) ||
        in_range(r, 0x610, 0x61a) || in_range(r, 0x64b, 0x65f) || in_range(r, 0x200b, 0x200f) ||
        in_range(r, 0x20d0, 0x20ff) || in_range(r, 0xfe00, 0xfe0f) || in_range(r, 0xfe20, 0xfe2f))
        return 0;
    if (in_range(r, 0x1100, 0x115f) || in_range(r, 0x2e80, 0x303e) || in_range(r, 0x3041, 0x33ff) ||
        in_range(r, 0x3400, 0x4dbf) || in_range(r, 0x4e00, 0x9fff) || in_range(r, 0xa000, 0xa4cf) ||
        in_range(r, 0xac00, 0xd7a3) || in_range(r, 0xf900, 0xfaff) || in_range(r, 0xfe30, 0xfe4f) ||
        in_range(r, 0xff00, 0xff60) || in_range(r, 0xffe0, 0xffe6) ||
        in_range(r, 0x1f300, 0x1f64f) || in_range(r, 0x1f900, 0x1f9ff) ||
        in_range(r, 0x20000, 0x3fffd))
        return 2;
    return 1;
}

size_t fmt_display_width(const char *s, size_t len)
{
    size_t w = 0;
    for (size_t i = 0; i < len;) {
        int n;
        uint32_t r = tpl_utf8_decode(s + i, len - i, &n);
        w += (size_t)rune_width(r);
        i += (size_t)n;
    }
    return w;
}

static void add_line(struct tw *t)
{
    t->lines = bt_xreallocarray(t->lines, t->nlines + 1, sizeof(*t->lines));
    t->lines[t->nlines++] = (struct line){0};
}

static void add_cell(struct tw *t, struct cell c)
{
    struct line *l = &t->lines[t->nlines - 1];
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->cells = bt_xreallocarray(l->cells, l->cap, sizeof(*l->cells));
    }
    l->cells[l->n++] = c;
}

/* Split the text into lines of cells. Text between two 0xff bytes (tabwriter.Escape) is one
 * piece: separators inside it are text, and the two escape bytes count no width. */
static void collect(struct tw *t, const char *s, size_t len)
{
    add_line(t);
    struct cell c = {0};
    bool escaped = false;
    size_t seg = 0; /* start of the text not yet measured */
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == 0xff) {
            c.width += (int)fmt_display_width(s + seg, i - seg);
            bt_strbuf_append_n(&t->buf, s + seg, i - seg + 1);
            c.size += i - seg + 1;
            seg = i + 1;
            escaped = !escaped;
            continue;
        }
        if (escaped || (ch != '\t' && ch != '\v' && ch != '\n' && ch != '\f'))
            continue;
        c.width += (int)fmt_display_width(s + seg, i - seg);
        bt_strbuf_append_n(&t->buf, s + seg, i - seg);
        c.size += i - seg;
        seg = i + 1;
        c.htab = ch == '\t';
        add_cell(t, c);
        c = (struct cell){.start = t->buf.len};
        if (ch == '\n' || ch == '\f')
            add_line(t);
    }
    c.width += (int)fmt_display_width(s + seg, len - seg);
    bt_strbuf_append_n(&t->buf, s + seg, len - seg);
    c.size += len - seg;
    if (c.size > 0)
        add_cell(t, c);
}

static void write_n(struct tw *t, char ch, int n)
{
    for (int i = 0; i < n; i++)
        bt_strbuf_append_c(t->out, ch);
}

static void write_padding(struct tw *t, int textw, int cellw, bool use_tabs)
{
    if (t->o->padchar == '\t' || use_tabs) {
        if (t->o->tabwidth == 0)
            return;
        cellw = (cellw + t->o->tabwidth - 1) / t->o->tabwidth * t->o->tabwidth;
        int n = cellw - textw;
        write_n(t, '\t', (n + t->o->tabwidth - 1) / t->o->tabwidth);
        return;
    }
    write_n(t, t->o->padchar, cellw - textw);
}

static void write_lines(struct tw *t, size_t line0, size_t line1)
{
    for (size_t i = line0; i < line1; i++) {
        const struct line *l = &t->lines[i];
        bool use_tabs = t->o->flags & FMT_TAB_INDENT;
        for (size_t j = 0; j < l->n; j++) {
            const struct cell *c = &l->cells[j];
            if (j > 0 && (t->o->flags & FMT_TAB_DEBUG))
                bt_strbuf_append_c(t->out, '|');
            bool has_width = j < t->nwidths;
            if (c->size == 0) {
                if (has_width)
                    write_padding(t, c->width, t->widths[j], use_tabs);
                continue;
            }
            use_tabs = false;
            if (has_width && (t->o->flags & FMT_TAB_ALIGN_RIGHT))
                write_padding(t, c->width, t->widths[j], false);
            bt_strbuf_append_n(t->out, t->buf.buf + c->start, c->size);
            if (has_width && !(t->o->flags & FMT_TAB_ALIGN_RIGHT))
                write_padding(t, c->width, t->widths[j], false);
        }
        if (i + 1 < t->nlines)
            bt_strbuf_append_c(t->out, '\n');
    }
}

/* Go's Writer.format: lines line0..line1 from column len(widths) on. */
static void format_block(struct tw *t, size_t line0, size_t line1)
{
    size_t column = t->nwidths;
    for (size_t this = line0; this < line1; this ++) {
        if (column + 1 >= t->lines[this].n || t->nwidths >= TW_MAX_COLUMNS)
            continue;
        write_lines(t, line0, this);
        line0 = this;
        int width = t->o->minwidth;
        bool discardable = true;
        for (; this < line1; this ++) {
            const struct line *l = &t->lines[this];
            if (column + 1 >= l->n)
                break;
            const struct cell *c = &l->cells[column];
            if (c->width + t->o->padding > width)
                width = c->width + t->o->padding;
            if (c->width > 0 || c->htab)
                discardable = false;
        }
        if (discardable && (t->o->flags & FMT_TAB_DISCARD_EMPTY))
            width = 0;
        t->widths = bt_xreallocarray(t->widths, t->nwidths + 1, sizeof(*t->widths));
        t->widths[t->nwidths++] = width;
        format_block(t, line0, this);
        t->nwidths--;
        line0 = this;
    }
    write_lines(t, line0, line1);
}

void fmt_tabwriter_format(const char *text, size_t len, const struct fmt_tab_opts *opts,
                          struct bt_strbuf *out)
{
    struct tw t = {.o = opts, .out = out};
    collect(&t, text, len);
    format_block(&t, 0, t.nlines);
    for (size_t i = 0; i < t.nlines; i++)
        free(t.lines[i].cells);
    free(t.lines);
    free(t.widths);
    bt_strbuf_free(&t.buf);
    bt_strbuf_append(out, "");
}
