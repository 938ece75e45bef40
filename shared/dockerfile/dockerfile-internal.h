/* SPDX-License-Identifier: Apache-2.0 */
#pragma once
/*
 * Internals of shared/dockerfile shared by its files: text as Go sees it (runes, unicode.IsSpace,
 * strconv.Quote), the per-instruction argument parsers of the syntax layer, and small helpers.
 * Not for use outside the module (tests may include it).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/base/err.h"
#include "shared/base/strbuf.h"
#include "shared/dockerfile/parser.h"

/* The rune at s (at most n bytes): its width in *w. Invalid UTF-8 reads as U+FFFD of width 1,
 * as Go's utf8.DecodeRune does; n == 0 gives -1 (end). */
int32_t df_rune(const char *s, size_t n, size_t *w);
/* Append the UTF-8 encoding of cp (U+FFFD for what is not a valid code point). */
void df_put_rune(struct bt_strbuf *sb, int32_t cp);

/* Go's unicode.IsSpace, IsLetter and IsDigit. IsLetter and IsDigit are exact for ASCII and
 * Latin-1; above, a code point is a letter unless it lies in a punctuation, symbol, space or
 * private-use block (see docs/internals/dockerfile.md). */
bool df_is_space(int32_t cp);
bool df_is_letter(int32_t cp);
bool df_is_digit(int32_t cp);
/* Go's strconv.IsPrint, with the same approximation for unassigned code points. */
bool df_is_print(int32_t cp);

/* Room for one more element in an array of n (growing by doubling, so that building an array
 * element by element stays linear). Only for arrays that start NULL (or with one zeroed
 * element) and grow through these helpers alone. */
void *df_grow(void *p, size_t n, size_t size);
/* Append a copy of s to the NULL-terminated vector *v of *n strings (which started NULL or as
 * bt_xzalloc(sizeof(char *))). */
void df_strv_add(char ***v, size_t *n, const char *s);

/* strings.TrimSpace: *n is updated; returns the new start. */
const char *df_trim_space(const char *s, size_t *n);
/* Go's strconv.Quote of n bytes of s, appended to sb. */
void df_go_quote(struct bt_strbuf *sb, const char *s, size_t n);
/* df_go_quote() of a C string, as a new string. */
char *df_quote(const char *s);

/* The edit distance of a and b (agext/levenshtein with default costs). */
size_t df_levenshtein(const char *a, const char *b);

/* The keyword of an instruction (lower case) -> its kind; BT_DF_UNKNOWN for the rest. */
enum bt_df_cmd df_cmd_lookup(const char *keyword);

/* parser.c's state that the argument parsers read. */
struct df_directives {
    char escape; /* '\\' or '`' */
};

/* bt_df_parse_ast() starting with another escape character than '\\'. */
struct bt_df_ast *df_parse_ast(const char *data, size_t len, char escape, bt_err **err);

/* Turn one logical line into a node (newNodeFromLine): keyword, flags, arguments. Sets
 * *errmsg (allocated) and returns NULL on a syntax error. depth counts ONBUILD nesting. */
struct bt_df_node *df_node_from_line(const char *line, const struct df_directives *d, int depth,
                                     char **errmsg);
void df_node_free_members(struct bt_df_node *n);

/* ParseHeredoc on one word: ^(\d*)<<(-?)\s*([^<]*)$, the terminator lexed once with and once
 * without its quotes (a quote anywhere turns expansion off). Returns 1 with h's name, fd,
 * chomp and expand set (content NULL), 0 when the word opens no heredoc, -1 on a lexing error
 * (message in *errmsg). */
int df_heredoc_word(const char *word, struct bt_df_heredoc *h, char **errmsg);

/* Go's time.ParseDuration, in nanoseconds. On error sets *errmsg (Go's wording). */
int df_parse_duration(const char *s, int64_t *ns, char **errmsg);
