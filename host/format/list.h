/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * docker's list formatting (cli/command/formatter: Format, Context.Write): what `docker ps`,
 * `docker images`, `docker volume ls` ... do with --format.
 *
 *  - "" and "table" select the command's default format;
 *  - "json" prints each row as {{json .}};
 *  - a format starting with "table" prints a header row, made by executing the same template
 *    on the header object with docker's HeaderFunctions, then the rows, through the
 *    tabwriter with docker's options (10, 1, 3, ' ');
 *  - any other format prints each row followed by a newline;
 *  - in every case the word "table" is cut off, spaces (only spaces) are trimmed at both
 *    ends and the two-character sequences \t and \n typed on a command line become a tab and
 *    a newline.
 * Errors read as docker's: "template parsing error: template: :1: ...", for parsing and for
 * executing a row alike. A failed row stops the output before anything is written.
 */
#include <stddef.h>

#include <jansson.h>

#include "host/format/template.h"
#include "shared/base/err.h"
#include "shared/base/strbuf.h"

struct fmt_list {
    const char *format;               /* --format as typed; NULL or "" for the default */
    const char *default_format;       /* the command's table, e.g. "table {{.ID}}\t{{.Image}}" */
    const json_t *header;             /* column titles by field: {"ID":"CONTAINER ID", ...} */
    const json_t *rows;               /* array of row objects */
    const struct fmt_exec_opts *opts; /* typing and methods for the rows; may be NULL */
};

/* Render the rows as docker would and append them to out. */
int fmt_list_render(const struct fmt_list *l, struct bt_strbuf *out, bt_err **err);

/* docker's Format.templateString(): the template text a --format stands for (the caller
 * frees). "json" gives "{{json .}}"; "table" alone gives "". */
char *fmt_list_template_text(const char *format);
