/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Go's text/tabwriter as the docker CLI uses it for tables (docker's fork in
 * cli/command/formatter/tabwriter, which measures cells with go-runewidth): text with cells
 * ended by '\t' and lines by '\n' comes out with the cells of each column padded to the
 * column's width. A column block is a run of consecutive lines that have a cell in that
 * column; the last cell of a line is not part of any column. Byte-for-byte Go's output for
 * the same options.
 *
 * The whole text is formatted at once, which is what Go's Writer does for docker (it writes
 * everything, then calls Flush): Go's early flushes at lines without tabs do not change
 * the output.
 */
#include <stddef.h>

#include "shared/base/strbuf.h"

enum fmt_tab_flags {
    FMT_TAB_ALIGN_RIGHT = 1 << 0,   /* tabwriter.AlignRight */
    FMT_TAB_DISCARD_EMPTY = 1 << 1, /* tabwriter.DiscardEmptyColumns */
    FMT_TAB_INDENT = 1 << 2,        /* tabwriter.TabIndent */
    FMT_TAB_DEBUG = 1 << 3,         /* tabwriter.Debug: '|' between columns */
};

struct fmt_tab_opts {
    int minwidth; /* minimal cell width, padding included */
    int tabwidth; /* width of a tab when padding with tabs */
    int padding;  /* added to a cell's width to make the column's */
    char padchar; /* ' ', or '\t' to pad with tabs */
    unsigned flags;
};

/* The options of docker's tables: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0). */
#define FMT_TAB_DOCKER    \
    (struct fmt_tab_opts) \
    {                     \
        10, 1, 3, ' ', 0  \
    }

/* Align `text` (len bytes) and append the result to out. */
void fmt_tabwriter_format(const char *text, size_t len, const struct fmt_tab_opts *opts,
                          struct bt_strbuf *out);

/* Terminal columns a UTF-8 string takes, as go-runewidth counts them: East Asian wide and
 * full-width characters 2, combining marks and controls 0, others 1. */
size_t fmt_display_width(const char *s, size_t len);
