/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dockerfile lines -> nodes (buildkit's parser.Parse). The order of the steps matters for
 * Docker compatibility and is kept: a line's newline is trimmed, its leading white space too
 * (only on the first line of an instruction), then the parser directives are looked for, then
 * comments dropped, then the continuation character; continued lines keep their indentation;
 * comment lines inside a continuation are skipped and empty ones warned about; heredoc bodies
 * are read raw (no comment or continuation handling) after the line that opens them.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"
#include "shared/dockerfile/dockerfile-internal.h"
#include "shared/dockerfile/parser.h"
#include "shared/dockerfile/shell.h"

/* bufio.Scanner's default limit: a line and its newline must fit in 64 KiB. */
#define MAX_LINE 65536

struct lines {
    const char *data;
    size_t len, pos;
    bool too_long;
};

/* The next line with its line ending (bufio.Scanner with buildkit's scanLines). */
static bool next_line(struct lines *l, const char **line, size_t *n)
{
    if (l->pos >= l->len || l->too_long)
        return false;
    const char *p = l->data + l->pos;
    size_t rem = l->len - l->pos;
    const char *nl = memchr(p, '\n', rem);
    size_t take = nl ? (size_t)(nl - p) + 1 : rem;
    if (take > MAX_LINE || (!nl && take >= MAX_LINE)) {
        l->too_long = true;
        return false;
    }
    *line = p;
    *n = take;
    l->pos += take;
    return true;
}

struct parser {
    struct lines lines;
    struct df_directives d;
    bool directives_done;
    bool seen_escape, seen_syntax, seen_check;
    char *syntax;
    int line; /* lines read so far */
    struct bt_df_ast *ast;
    char *errmsg;
    int errline;
};

__attribute__((format(printf, 3, 4))) static int fail(struct parser *p, int line, const char *fmt,
                                                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(p->errmsg);
    p->errmsg = bt_xvasprintf(fmt, ap);
    va_end(ap);
    p->errline = line;
    return -1;
}

static size_t trim_newline(const char *s, size_t n)
{
    while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    return n;
}

static const char *skip_space(const char *s, size_t *n)
{
    size_t w;
    while (*n > 0 && df_is_space(df_rune(s, *n, &w))) {
        s += w;
        *n -= w;
    }
    return s;
}

static bool is_comment(const char *s, size_t n)
{
    s = skip_space(s, &n);
    return n > 0 && s[0] == '#';
}

static bool re_s(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The regexp ^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$ on s: false when it does not match. */
static bool directive_match(const char *s, size_t n, char **key, char **value)
{
    size_t k = 0;
    if (n == 0 || !is_alpha(s[0]))
        return false;
    while (k < n && (is_alpha(s[k]) || (s[k] >= '0' && s[k] <= '9')))
        k++;
    size_t i = k;
    while (i < n && re_s(s[i]))
        i++;
    if (i >= n || s[i] != '=')
        return false;
    i++;
    size_t vend = n;
    while (vend > i && re_s(s[vend - 1]))
        vend--;
    size_t v = i;
    while (v < vend && re_s(s[v]))
        v++;
    if (v == vend) {
        /* only blanks after "=": the lazy (.+?) still takes the last one */
        if (n == i)
            return false;
        v = n - 1;
        vend = n;
    }
    *key = bt_xstrndup(s, k);
    for (char *c = *key; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    *value = bt_xstrndup(s + v, vend - v);
    return true;
}

/* DirectiveParser.ParseLine: "#key=value" lines before anything else; the first line that is
 * not one (even a blank line) ends the directives. */
static int directive(struct parser *p, const char *s, size_t n)
{
    if (p->directives_done)
        return 0;
    bt_autofree char *key = NULL;
    bt_autofree char *value = NULL;
    if (n == 0 || s[0] != '#') {
        p->directives_done = true;
        return 0;
    }
    s++;
    n--;
    s = skip_space(s, &n);
    bool *seen = NULL;
    if (directive_match(s, n, &key, &value))
        seen = strcmp(key, "escape") == 0   ? &p->seen_escape
               : strcmp(key, "syntax") == 0 ? &p->seen_syntax
               : strcmp(key, "check") == 0  ? &p->seen_check
                                            : NULL;
    if (!seen) {
        p->directives_done = true;
        return 0;
    }
    if (*seen)
        return fail(p, p->line + 1, "only one %s parser directive can be used", key);
    *seen = true;
    if (seen == &p->seen_escape) {
        if (strcmp(value, "`") != 0 && strcmp(value, "\\") != 0)
            return fail(p, p->line + 1, "invalid escape token '%s' does not match ` or \\", value);
        p->d.escape = value[0];
    } else if (seen == &p->seen_syntax) {
        p->syntax = bt_steal_ptr(&value);
    }
    return 0;
}

/* processLine: the line without its newline (and leading blanks when strip), directives
 * noted, comments gone. */
static int process_line(struct parser *p, const char *s, size_t n, bool strip,
                        struct bt_strbuf *out)
{
    n = trim_newline(s, n);
    if (strip)
        s = skip_space(s, &n);
    if (directive(p, s, n) < 0)
        return -1;
    bt_strbuf_reset(out);
    bt_strbuf_append(out, "");
    if (!is_comment(s, n))
        bt_strbuf_append_n(out, s, n);
    return 0;
}

/* The continuation regexp ([^E])E[ \t]*$|^E[ \t]*$: the escape character as the last
 * non-blank, not itself escaped. Strips it and returns false (not the end of the line). */
static bool trim_continuation(struct bt_strbuf *sb, char escape)
{
    size_t j = sb->len;
    while (j > 0 && (sb->buf[j - 1] == ' ' || sb->buf[j - 1] == '\t'))
        j--;
    if (j == 0 || sb->buf[j - 1] != escape)
        return true;
    if (j >= 2 && sb->buf[j - 2] == escape)
        return true;
    bt_strbuf_truncate(sb, j - 1);
    return false;
}

static void warn_empty_continuation(struct bt_df_ast *ast, int line, const char *text)
{
    size_t n = bt_strv_len(ast->warnings);
    bt_autofree char *msg = bt_xasprintf("Empty continuation line found in: %s", text);
    bt_strv_push(&ast->warnings, msg);
    ast->warning_line = bt_xreallocarray(ast->warning_line, n + 1, sizeof(int));
    ast->warning_line[n] = line;
}

static size_t count_quotes(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\'' || *s == '"';
    return n;
}

int df_heredoc_word(const char *word, struct bt_df_heredoc *h, char **errmsg)
{
    const char *s = word;
    uint64_t fd = 0;
    bool overflow = false;
    while (*s >= '0' && *s <= '9') {
        uint64_t d = (uint64_t)(*s - '0');
        if (fd > (UINT64_MAX - d) / 10)
            overflow = true;
        fd = fd * 10 + d;
        s++;
    }
    if (overflow)
        fd = UINT64_MAX; /* strconv.ParseUint's value on a range error */
    if (strncmp(s, "<<", 2) != 0)
        return 0;
    s += 2;
    bool chomp = *s == '-';
    if (chomp)
        s++;
    while (re_s(*s))
        s++;
    if (strchr(s, '<') || !*s)
        return 0;
    struct bt_shlex lx = {.escape = '\\', .skip_unset = true};
    bt_autoerr bt_err *e = NULL;
    bt_autostrv char **words = bt_shlex_words(&lx, s, NULL, &e);
    if (!words) {
        *errmsg = bt_xstrdup(bt_err_msg(e));
        return -1;
    }
    if (bt_strv_len(words) != 1)
        return 0;
    lx.raw_quotes = true;
    bt_autostrv char **raw = bt_shlex_words(&lx, s, NULL, &e);
    if (!raw) {
        *errmsg = bt_xstrdup(bt_err_msg(e));
        return -1;
    }
    if (bt_strv_len(raw) != 1) {
        *errmsg = bt_xasprintf("internal lexing of heredoc produced inconsistent results: %s", s);
        return -1;
    }
    h->name = bt_xstrdup(words[0]);
    h->fd = fd;
    h->chomp = chomp;
    h->expand = count_quotes(words[0]) == count_quotes(raw[0]);
    return 1;
}

/* heredocsFromLine: the line's words (quotes and escapes kept, unset variables left alone)
 * that are heredoc openers, in order. */
static int heredocs_from_line(struct parser *p, struct bt_df_node *n, const char *line, int start)
{
    struct bt_shlex lx = {
            .escape = '\\', .raw_quotes = true, .raw_escapes = true, .skip_unset = true};
    bt_autostrv char **words = bt_shlex_words(&lx, line, NULL, NULL);
    for (size_t i = 0; words && words[i]; i++) {
        struct bt_df_heredoc h = {0};
        char *errmsg = NULL;
        int r = df_heredoc_word(words[i], &h, &errmsg);
        if (r < 0) {
            fail(p, start, "%s", errmsg);
            free(errmsg);
            return -1;
        }
        if (r == 0)
            continue;
        n->heredocs = bt_xreallocarray(n->heredocs, n->nheredocs + 1, sizeof(h));
        n->heredocs[n->nheredocs++] = h;
    }
    return 0;
}

static bool can_contain_heredoc(const struct bt_df_node *n)
{
    if (n->cmd == BT_DF_ONBUILD && n->sub)
        n = n->sub;
    return (n->cmd == BT_DF_ADD || n->cmd == BT_DF_COPY || n->cmd == BT_DF_RUN) && !n->json;
}

/* The bodies, one after the other, each up to its terminator line (tabs stripped first for
 * "<<-"). */
static int read_heredocs(struct parser *p, struct bt_df_node *n, int start)
{
    for (size_t i = 0; i < n->nheredocs; i++) {
        struct bt_df_heredoc *h = &n->heredocs[i];
        struct bt_strbuf body = BT_STRBUF_INIT;
        bt_strbuf_append(&body, "");
        bool terminated = false;
        const char *s;
        size_t len;
        while (next_line(&p->lines, &s, &len)) {
            p->line++;
            size_t t = trim_newline(s, len);
            const char *term = s;
            if (h->chomp)
                while (t > 0 && *term == '\t') {
                    term++;
                    t--;
                }
            if (t == strlen(h->name) && memcmp(term, h->name, t) == 0) {
                terminated = true;
                break;
            }
            bt_strbuf_append_n(&body, s, len);
        }
        h->content = bt_strbuf_steal(&body);
        if (!terminated)
            return fail(p, start, "unterminated heredoc");
    }
    return 0;
}

/* The rest of an instruction after its first line: continuation lines. */
static int continuation(struct parser *p, struct bt_strbuf *joined, bool end, bool *has_empty)
{
    bt_autostrbuf struct bt_strbuf cur = BT_STRBUF_INIT;
    const char *s;
    size_t len;
    while (!end && next_line(&p->lines, &s, &len)) {
        if (process_line(p, s, len, false, &cur) < 0)
            return -1;
        p->line++;
        if (is_comment(s, len))
            continue;
        size_t n = cur.len;
        skip_space(cur.buf, &n);
        if (n == 0) {
            *has_empty = true;
            continue;
        }
        end = trim_continuation(&cur, p->d.escape);
        bt_strbuf_append_n(joined, cur.buf, cur.len);
    }
    return 0;
}

static int add_node(struct parser *p, struct bt_df_node *n, int start)
{
    struct bt_df_ast *ast = p->ast;
    ast->nodes = df_grow(ast->nodes, ast->n, sizeof(*n));
    n->start_line = start;
    n->end_line = p->line;
    ast->nodes[ast->n++] = *n;
    free(n);
    return 0;
}

/* One instruction: its first line was read into first (end: it was not continued). */
static int instruction(struct parser *p, struct bt_strbuf *first, bool end, int start)
{
    bool has_empty = false;
    bt_autostrbuf struct bt_strbuf joined = BT_STRBUF_INIT;
    bt_strbuf_append_n(&joined, first->buf, first->len);
    if (continuation(p, &joined, end, &has_empty) < 0)
        return -1;
    const char *line = bt_strbuf_str(&joined);
    if (has_empty)
        warn_empty_continuation(p->ast, p->line, line);
    char *errmsg = NULL;
    struct bt_df_node *n = df_node_from_line(line, &p->d, 0, &errmsg);
    if (!n) {
        fail(p, start, "%s", errmsg);
        free(errmsg);
        return -1;
    }
    if (can_contain_heredoc(n) && strstr(line, "<<")) {
        if (heredocs_from_line(p, n, line, start) < 0 || read_heredocs(p, n, start) < 0) {
            bt_df_node_free(n);
            return -1;
        }
    }
    return add_node(p, n, start);
}

static int parse_lines(struct parser *p)
{
    bt_autostrbuf struct bt_strbuf cur = BT_STRBUF_INIT;
    const char *s;
    size_t len;
    while (next_line(&p->lines, &s, &len)) {
        if (p->line == 0 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
            s += 3;
            len -= 3;
        }
        if (process_line(p, s, len, true, &cur) < 0)
            return -1;
        p->line++;
        int start = p->line;
        bool end = trim_continuation(&cur, p->d.escape);
        if (end && cur.len == 0)
            continue;
        if (instruction(p, &cur, end, start) < 0)
            return -1;
    }
    if (p->ast->n == 0)
        return fail(p, 0, "file with no instructions");
    if (p->lines.too_long)
        return fail(p, p->line + 1, "dockerfile line greater than max allowed size of %d",
                    MAX_LINE - 1);
    return 0;
}

struct bt_df_ast *df_parse_ast(const char *data, size_t len, char escape, bt_err **err)
{
    struct parser p = {.lines = {data, len, 0, false}, .d = {escape == '`' ? '`' : '\\'}};
    const char *nul = memchr(data, '\0', len);
    if (nul) {
        int line = 1;
        for (const char *c = data; c < nul; c++)
            line += *c == '\n';
        bt_err_set(err, BT_E_INVALID, "dockerfile parse error on line %d: NUL byte in the file",
                   line);
        return NULL;
    }
    p.ast = bt_xzalloc(sizeof(*p.ast));
    p.ast->warnings = bt_xzalloc(sizeof(char *));
    if (parse_lines(&p) < 0) {
        if (p.errline > 0)
            bt_err_set(err, BT_E_INVALID, "dockerfile parse error on line %d: %s", p.errline,
                       p.errmsg);
        else
            bt_err_set(err, BT_E_INVALID, "dockerfile parse error: %s", p.errmsg);
        free(p.errmsg);
        free(p.syntax);
        bt_df_ast_free(p.ast);
        return NULL;
    }
    p.ast->escape = p.d.escape;
    p.ast->syntax = p.syntax;
    return p.ast;
}

struct bt_df_ast *bt_df_parse_ast(const char *data, size_t len, bt_err **err)
{
    return df_parse_ast(data, len, '\\', err);
}

struct bt_df_node *bt_df_parse_line(const char *line, char escape, bt_err **err)
{
    struct df_directives d = {escape == '`' ? '`' : '\\'};
    char *errmsg = NULL;
    struct bt_df_node *n = df_node_from_line(line, &d, 0, &errmsg);
    if (!n) {
        bt_err_set(err, BT_E_INVALID, "dockerfile parse error: %s", errmsg);
        free(errmsg);
        return NULL;
    }
    n->start_line = n->end_line = 1;
    return n;
}

void bt_df_ast_free(struct bt_df_ast *ast)
{
    if (!ast)
        return;
    for (size_t i = 0; i < ast->n; i++)
        df_node_free_members(&ast->nodes[i]);
    free(ast->nodes);
    free(ast->syntax);
    bt_strv_free(ast->warnings);
    free(ast->warning_line);
    free(ast);
}

static void dump_node(struct bt_strbuf *sb, const struct bt_df_node *n)
{
    for (const char *c = n->keyword; *c; c++)
        bt_strbuf_append_c(sb, (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c));
    if (n->nflags) {
        bt_strbuf_append(sb, " [");
        for (size_t i = 0; i < n->nflags; i++) {
            if (i)
                bt_strbuf_append_c(sb, ' ');
            df_go_quote(sb, n->flags[i], strlen(n->flags[i]));
        }
        bt_strbuf_append_c(sb, ']');
    }
    for (size_t i = 0; i < n->nargs; i++) {
        bt_strbuf_append_c(sb, ' ');
        df_go_quote(sb, n->args[i], n->arg_len[i]);
    }
    if (n->sub) {
        bt_strbuf_append(sb, " (");
        dump_node(sb, n->sub);
        bt_strbuf_append_c(sb, ')');
    }
}

char *bt_df_node_dump(const struct bt_df_node *n)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    dump_node(&sb, n);
    size_t len = sb.len;
    const char *t = df_trim_space(bt_strbuf_str(&sb), &len);
    char *out = bt_xstrndup(t, len);
    bt_strbuf_free(&sb);
    return out;
}

char *bt_df_ast_dump(const struct bt_df_ast *ast)
{
    struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, "");
    for (size_t i = 0; i < ast->n; i++) {
        bt_autofree char *d = bt_df_node_dump(&ast->nodes[i]);
        if (i)
            bt_strbuf_append_c(&sb, '\n');
        bt_strbuf_appendf(&sb, "(%s)", d);
    }
    return bt_strbuf_steal(&sb);
}

bool bt_df_heredoc_only(const char *src, char **name, bool *chomp)
{
    struct bt_df_heredoc h = {0};
    char *errmsg = NULL;
    if (df_heredoc_word(src, &h, &errmsg) <= 0) {
        free(errmsg);
        return false;
    }
    *name = h.name;
    *chomp = h.chomp;
    return true;
}

char *bt_df_heredoc_body(const struct bt_df_heredoc *h)
{
    if (!h->chomp)
        return bt_xstrdup(h->content);
    struct bt_strbuf sb = BT_STRBUF_INIT;
    bt_strbuf_append(&sb, "");
    bool bol = true;
    for (const char *c = h->content; *c; c++) {
        if (bol && *c == '\t')
            continue;
        bol = *c == '\n';
        bt_strbuf_append_c(&sb, *c);
    }
    return bt_strbuf_steal(&sb);
}
