/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lexer of Go's text/template (text/template/parse/lex.go): the same tokens, trim markers
 * ("{{- " and " -}}"), comments and error messages. Unlike Go's it runs to the end (or the
 * first error) in one go; the parser reads the list, which keeps Go's order of errors since
 * the parser stops at the first error token it reaches.
 */
#include <string.h>

#include "host/format/template-internal.h"
#include "shared/base/mem.h"

struct lexer {
    const char *in;
    size_t len;
    size_t pos;
    size_t start;
    int paren_depth;
    size_t line_pos; /* newlines are counted up to here ... */
    int line;        /* ... giving this line */
    struct tok_list *out;
};

static int line_at(struct lexer *l, size_t pos)
{
    if (pos < l->line_pos) {
        l->line_pos = 0;
        l->line = 1;
    }
    for (; l->line_pos < pos; l->line_pos++)
        if (l->in[l->line_pos] == '\n')
            l->line++;
    return l->line;
}

static void push(struct lexer *l, enum tok_type type, size_t pos, size_t len, char *msg)
{
    struct tok_list *o = l->out;
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 64;
        o->v = bt_xreallocarray(o->v, o->cap, sizeof(*o->v));
    }
    o->v[o->n++] = (struct tok){type, pos, len, line_at(l, pos), msg};
}

static void emit(struct lexer *l, enum tok_type type)
{
    push(l, type, l->start, l->pos - l->start, NULL);
    l->start = l->pos;
}

/* Go's %#U of a rune: U+0041 'A', or U+0001 when it does not print. */
static void append_rune_desc(struct bt_strbuf *sb, uint32_t r)
{
    bt_strbuf_appendf(sb, "U+%04X", r);
    if ((r >= 0x20 && r < 0x7f) || (r >= 0xa0 && r != 0xad && r != 0xfffd)) {
        bt_strbuf_append(sb, " '");
        tpl_utf8_append(sb, r);
        bt_strbuf_append(sb, "'");
    } else if (r == 0xfffd) {
        bt_strbuf_append(sb, " '\xef\xbf\xbd'");
    }
}

/* Emit an error token; returns false so state functions can `return errorf(...)`. */
static bool errorf_rune(struct lexer *l, const char *what, uint32_t r)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, what);
    append_rune_desc(&sb, r);
    push(l, TOK_ERROR, l->start, 0, bt_strbuf_steal(&sb));
    return false;
}

static bool errorf(struct lexer *l, const char *msg)
{
    push(l, TOK_ERROR, l->start, 0, bt_xstrdup(msg));
    return false;
}

static bool is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Go's unicode.IsLetter for code points past ASCII, approximated by the scripts people write
 * identifiers in: Latin, Greek, Cyrillic, Hebrew, Arabic, CJK, kana and hangul. */
static bool is_letter_cp(uint32_t r)
{
    if (r < 0x80)
        return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
    if (r == 0xaa || r == 0xb5 || r == 0xba)
        return true;
    if (r >= 0xc0 && r <= 0x2af)
        return r != 0xd7 && r != 0xf7;
    return (r >= 0x370 && r <= 0x3ff && r != 0x37e && r != 0x387) || (r >= 0x400 && r <= 0x52f) ||
           (r >= 0x5d0 && r <= 0x5ea) || (r >= 0x620 && r <= 0x64a) ||
           (r >= 0x3041 && r <= 0x30ff && r != 0x30fb) || (r >= 0x3400 && r <= 0x4dbf) ||
           (r >= 0x4e00 && r <= 0x9fff) || (r >= 0xac00 && r <= 0xd7a3);
}

static bool is_alnum_cp(uint32_t r)
{
    return r == '_' || (r >= '0' && r <= '9') || is_letter_cp(r);
}

/* The rune at pos (0 at the end, with width 0). */
static uint32_t rune_at(const struct lexer *l, size_t pos, int *width)
{
    if (pos >= l->len) {
        *width = 0;
        return 0;
    }
    return tpl_utf8_decode(l->in + pos, l->len - pos, width);
}

static bool has_prefix(const struct lexer *l, size_t pos, const char *p)
{
    size_t n = strlen(p);
    return pos <= l->len && l->len - pos >= n && memcmp(l->in + pos, p, n) == 0;
}

static bool has_left_trim(const struct lexer *l, size_t pos)
{
    return pos + 2 <= l->len && l->in[pos] == '-' && is_space(l->in[pos + 1]);
}

static bool has_right_trim(const struct lexer *l, size_t pos)
{
    return pos + 2 <= l->len && is_space(l->in[pos]) && l->in[pos + 1] == '-';
}

/* At "}}" or " -}}"? *trim says which. */
static bool at_right_delim(const struct lexer *l, bool *trim)
{
    *trim = false;
    if (has_right_trim(l, l->pos) && has_prefix(l, l->pos + 2, "}}")) {
        *trim = true;
        return true;
    }
    return has_prefix(l, l->pos, "}}");
}

static void skip_leading_space(struct lexer *l)
{
    while (l->pos < l->len && is_space(l->in[l->pos]))
        l->pos++;
    l->start = l->pos;
}

/* After the identifier: what may follow one (Go's atTerminator). */
static bool at_terminator(const struct lexer *l)
{
    if (l->pos >= l->len)
        return true;
    char c = l->in[l->pos];
    return is_space(c) || strchr(".,|:)(}", c) != NULL;
}

static size_t scan_alnum(struct lexer *l)
{
    int w;
    size_t n = 0;
    while (l->pos < l->len && is_alnum_cp(rune_at(l, l->pos, &w))) {
        l->pos += w;
        n++;
    }
    return n;
}

static enum tok_type keyword(const char *s, size_t n)
{
    static const struct {
        const char *word;
        enum tok_type type;
    } kw[] = {{"block", TOK_BLOCK},
              {"break", TOK_BREAK},
              {"continue", TOK_CONTINUE},
              {"define", TOK_DEFINE},
              {"else", TOK_ELSE},
              {"end", TOK_END},
              {"if", TOK_IF},
              {"range", TOK_RANGE},
              {"nil", TOK_NIL},
              {"template", TOK_TEMPLATE},
              {"with", TOK_WITH}};
    for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
        if (strlen(kw[i].word) == n && memcmp(kw[i].word, s, n) == 0)
            return kw[i].type;
    return TOK_IDENTIFIER;
}

static bool bad_char_here(struct lexer *l)
{
    int w;
    return errorf_rune(l, "bad character ", rune_at(l, l->pos, &w));
}

static bool lex_identifier(struct lexer *l)
{
    scan_alnum(l);
    if (!at_terminator(l))
        return bad_char_here(l);
    const char *w = l->in + l->start;
    size_t n = l->pos - l->start;
    enum tok_type t = keyword(w, n);
    if (t == TOK_IDENTIFIER &&
        ((n == 4 && memcmp(w, "true", 4) == 0) || (n == 5 && memcmp(w, "false", 5) == 0)))
        t = TOK_BOOL;
    emit(l, t);
    return true;
}

/* ".Field" or "$var", the . or $ already consumed. */
static bool lex_field_or_variable(struct lexer *l, enum tok_type type)
{
    if (at_terminator(l)) {
        emit(l, type == TOK_VARIABLE ? TOK_VARIABLE : TOK_DOT);
        return true;
    }
    scan_alnum(l);
    if (!at_terminator(l))
        return bad_char_here(l);
    emit(l, type);
    return true;
}

static bool accept(struct lexer *l, const char *valid)
{
    if (l->pos < l->len && l->in[l->pos] && strchr(valid, l->in[l->pos])) {
        l->pos++;
        return true;
    }
    return false;
}

static void accept_run(struct lexer *l, const char *valid)
{
    while (accept(l, valid))
        ;
}

static bool scan_number(struct lexer *l)
{
    accept(l, "+-");
    const char *digits = "0123456789_";
    if (accept(l, "0")) {
        if (accept(l, "xX"))
            digits = "0123456789abcdefABCDEF_";
        else if (accept(l, "oO"))
            digits = "01234567_";
        else if (accept(l, "bB"))
            digits = "01_";
    }
    accept_run(l, digits);
    if (accept(l, "."))
        accept_run(l, digits);
    if (strlen(digits) == 11 && accept(l, "eE")) {
        accept(l, "+-");
        accept_run(l, "0123456789_");
    }
    if (strlen(digits) == 23 && accept(l, "pP")) {
        accept(l, "+-");
        accept_run(l, "0123456789_");
    }
    accept(l, "i");
    int w;
    if (l->pos < l->len && is_alnum_cp(rune_at(l, l->pos, &w))) {
        l->pos += w;
        return false;
    }
    return true;
}

static bool bad_number(struct lexer *l)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, "bad number syntax: ");
    tpl_go_quote(&sb, l->in + l->start, l->pos - l->start);
    push(l, TOK_ERROR, l->start, 0, bt_strbuf_steal(&sb));
    return false;
}

static bool lex_number(struct lexer *l)
{
    if (!scan_number(l))
        return bad_number(l);
    if (l->pos < l->len && (l->in[l->pos] == '+' || l->in[l->pos] == '-')) {
        if (!scan_number(l) || l->in[l->pos - 1] != 'i')
            return bad_number(l);
        emit(l, TOK_COMPLEX);
        return true;
    }
    emit(l, TOK_NUMBER);
    return true;
}

/* A quoted string or character constant; the opening quote is consumed. */
static bool lex_quote(struct lexer *l, char quote, enum tok_type type, const char *unterminated)
{
    for (;;) {
        if (l->pos >= l->len)
            return errorf(l, unterminated);
        char c = l->in[l->pos++];
        if (c == '\\') {
            if (l->pos >= l->len || l->in[l->pos] == '\n')
                return errorf(l, unterminated);
            l->pos++;
        } else if (c == '\n') {
            return errorf(l, unterminated);
        } else if (c == quote) {
            break;
        }
    }
    emit(l, type);
    return true;
}

static bool lex_raw_quote(struct lexer *l)
{
    const char *end = memchr(l->in + l->pos, '`', l->len - l->pos);
    if (!end) {
        l->pos = l->len;
        return errorf(l, "unterminated raw quoted string");
    }
    l->pos = (size_t)(end - l->in) + 1;
    emit(l, TOK_RAW_STRING);
    return true;
}

/* A run of spaces; careful with " -}}", whose space belongs to the delimiter. */
static void lex_space(struct lexer *l)
{
    size_t n = 0;
    while (l->pos < l->len && is_space(l->in[l->pos])) {
        l->pos++;
        n++;
    }
    if (has_right_trim(l, l->pos - 1) && has_prefix(l, l->pos + 1, "}}")) {
        l->pos--;
        if (n == 1)
            return;
    }
    emit(l, TOK_SPACE);
}

static bool lex_right_delim(struct lexer *l, bool trim)
{
    if (trim) {
        l->pos += 2;
        l->start = l->pos;
    }
    l->pos += 2;
    emit(l, TOK_RIGHT_DELIM);
    if (trim)
        skip_leading_space(l);
    return true;
}

/* One token inside an action; false when lexing ended (error). Sets *done at the closing
 * delimiter. */
static bool lex_inside_action(struct lexer *l, bool *done)
{
    bool trim;
    if (at_right_delim(l, &trim)) {
        if (l->paren_depth == 0) {
            *done = true;
            return lex_right_delim(l, trim);
        }
        return errorf(l, "unclosed left paren");
    }
    if (l->pos >= l->len)
        return errorf(l, "unclosed action");
    int w;
    uint32_t r = rune_at(l, l->pos, &w);
    char c = l->in[l->pos];
    if (is_space(c)) {
        lex_space(l);
        return true;
    }
    l->pos += w;
    switch (c) {
    case '=':
        emit(l, TOK_ASSIGN);
        return true;
    case ':':
        if (l->pos >= l->len || l->in[l->pos] != '=')
            return errorf(l, "expected :=");
        l->pos++;
        emit(l, TOK_DECLARE);
        return true;
    case '|':
        emit(l, TOK_PIPE);
        return true;
    case '"':
        return lex_quote(l, '"', TOK_STRING, "unterminated quoted string");
    case '`':
        return lex_raw_quote(l);
    case '$':
        return lex_field_or_variable(l, TOK_VARIABLE);
    case '\'':
        return lex_quote(l, '\'', TOK_CHAR_CONSTANT, "unterminated character constant");
    case '(':
        emit(l, TOK_LEFT_PAREN);
        l->paren_depth++;
        return true;
    case ')':
        /* Go replaces the paren's token with the error when there is no open paren */
        if (--l->paren_depth < 0)
            return errorf_rune(l, "unexpected right paren ", ')');
        emit(l, TOK_RIGHT_PAREN);
        return true;
    case '.':
        if (l->pos >= l->len || l->in[l->pos] < '0' || l->in[l->pos] > '9')
            return lex_field_or_variable(l, TOK_FIELD);
        __attribute__((fallthrough)); /* '.' can start a number */
    case '+':
    case '-':
    case '0' ... '9':
        l->pos = l->start;
        return lex_number(l);
    default:
        break;
    }
    if (is_alnum_cp(r)) {
        l->pos = l->start;
        return lex_identifier(l);
    }
    if (r < 0x7f && r >= 0x20) {
        emit(l, TOK_CHAR);
        return true;
    }
    return errorf_rune(l, "unrecognized character in action: ", r);
}

/* "{{" is at l->pos. Returns false at an error. */
static bool lex_left_delim(struct lexer *l)
{
    l->pos += 2;
    bool trim = has_left_trim(l, l->pos);
    size_t after = trim ? 2 : 0;
    if (has_prefix(l, l->pos + after, "/*")) {
        l->pos += after;
        l->start = l->pos;
        l->pos += 2;
        const char *end = memmem(l->in + l->pos, l->len - l->pos, "*/", 2);
        if (!end)
            return errorf(l, "unclosed comment");
        l->pos = (size_t)(end - l->in) + 2;
        bool rtrim;
        if (!at_right_delim(l, &rtrim))
            return errorf(l, "comment ends before closing delimiter");
        l->pos += rtrim ? 4 : 2;
        if (rtrim)
            skip_leading_space(l);
        l->start = l->pos;
        return true;
    }
    emit(l, TOK_LEFT_DELIM);
    l->pos += after;
    l->start = l->pos;
    l->paren_depth = 0;
    bool done = false;
    while (!done)
        if (!lex_inside_action(l, &done))
            return false;
    return true;
}

void tpl_lex(const char *text, size_t len, struct tok_list *out)
{
    struct lexer l = {.in = text, .len = len, .line = 1, .out = out};
    for (;;) {
        const char *d = memmem(l.in + l.pos, l.len - l.pos, "{{", 2);
        if (!d) {
            l.pos = l.len;
            if (l.pos > l.start)
                emit(&l, TOK_TEXT);
            emit(&l, TOK_EOF);
            return;
        }
        l.pos = (size_t)(d - l.in);
        size_t end = l.pos;
        if (has_left_trim(&l, l.pos + 2))
            while (end > l.start && is_space(l.in[end - 1]))
                end--;
        if (end > l.start)
            push(&l, TOK_TEXT, l.start, end - l.start, NULL);
        l.start = l.pos;
        if (!lex_left_delim(&l))
            return;
    }
}

void tpl_tok_list_free(struct tok_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].msg);
    free(l->v);
    *l = (struct tok_list){0};
}
