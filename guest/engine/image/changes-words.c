/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The word rules of Dockerfile lines, for the changes parser (changes.c): logical lines,
 * builder flags, the parser's word splitting (quotes kept), and the builder's shell-word
 * processing (quotes removed, variables expanded), after BuildKit's dockerfile/parser and
 * dockerfile/shell packages. The escape character is always '\' (changes have no
 * "# escape=" directive).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "guest/engine/image/image-internal.h"
#include "shared/base/cleanup.h"

#define ESCAPE '\\'

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* A line continues when it ends in the escape character, maybe followed by blanks. */
static bool continues(const char *line, size_t *cut)
{
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    if (n == 0 || line[n - 1] != ESCAPE)
        return false;
    *cut = n - 1;
    return true;
}

static bool is_blank_or_comment(const char *line)
{
    while (is_space(*line))
        line++;
    return !*line || *line == '#';
}

char **changes_logical_lines(char *const *changes)
{
    bt_autostrbuf struct bt_strbuf all = BT_STRBUF_INIT;
    for (size_t i = 0; changes && changes[i]; i++)
        bt_strbuf_appendf(&all, "%s%s", i ? "\n" : "", changes[i]);
    char **out = bt_xzalloc(sizeof(char *));
    bt_autostrbuf struct bt_strbuf cur = BT_STRBUF_INIT;
    bool pending = false;
    for (const char *p = bt_strbuf_str(&all); *p;) {
        size_t n = strcspn(p, "\n");
        bt_autofree char *line = bt_xstrndup(p, n);
        p += n + (p[n] ? 1 : 0);
        /* blank and comment lines are dropped, inside a continuation too */
        if (is_blank_or_comment(line))
            continue;
        size_t cut;
        if (continues(line, &cut)) {
            bt_strbuf_append_n(&cur, line, cut);
            pending = true;
            continue;
        }
        bt_strbuf_append(&cur, line);
        bt_strv_push(&out, bt_strbuf_str(&cur));
        bt_strbuf_reset(&cur);
        pending = false;
    }
    if (pending && !is_blank_or_comment(bt_strbuf_str(&cur)))
        bt_strv_push(&out, bt_strbuf_str(&cur));
    return out;
}

/* ---- the parser's word splitting (parseWords): quotes and escapes are kept ---- */

char **changes_split_words(const char *rest)
{
    char **words = bt_xzalloc(sizeof(char *));
    bt_autostrbuf struct bt_strbuf w = BT_STRBUF_INIT;
    bool in_word = false, blank_ok = false;
    char quote = 0;
    for (const char *p = rest;; p++) {
        char c = *p;
        if (!quote && !in_word) {
            if (!c)
                break;
            if (is_space(c))
                continue;
            in_word = true;
        }
        if (!c) {
            if (blank_ok || w.len)
                bt_strv_push(&words, bt_strbuf_str(&w));
            break;
        }
        if (!quote) {
            if (is_space(c)) {
                if (blank_ok || w.len)
                    bt_strv_push(&words, bt_strbuf_str(&w));
                bt_strbuf_reset(&w);
                in_word = blank_ok = false;
                continue;
            }
            if (c == '\'' || c == '"') {
                quote = c;
                blank_ok = true;
            } else if (c == ESCAPE) {
                if (!p[1])
                    continue;
                bt_strbuf_append_c(&w, c);
                c = *++p;
            }
            bt_strbuf_append_c(&w, c);
            continue;
        }
        if (c == quote)
            quote = 0;
        else if (c == ESCAPE && quote != '\'') {
            if (!p[1]) {
                quote = 0;
                continue;
            }
            bt_strbuf_append_c(&w, c);
            c = *++p;
        }
        bt_strbuf_append_c(&w, c);
    }
    return words;
}

/* ---- builder flags (extractBuilderFlags): leading "--name=value" words ---- */

char **changes_builder_flags(const char *rest, const char **args)
{
    char **flags = bt_xzalloc(sizeof(char *));
    bt_autostrbuf struct bt_strbuf w = BT_STRBUF_INIT;
    enum { SPACES, WORD, QUOTE } phase = SPACES;
    bool blank_ok = false;
    char quote = 0;
    for (size_t pos = 0;; pos++) {
        char c = rest[pos];
        if (phase == SPACES) {
            if (!c)
                break;
            if (is_space(c))
                continue;
            if (c != '-' || rest[pos + 1] != '-') {
                *args = rest + pos;
                return flags;
            }
            phase = WORD;
        }
        if (!c) {
            if (strcmp(bt_strbuf_str(&w), "--") != 0 && (blank_ok || w.len))
                bt_strv_push(&flags, bt_strbuf_str(&w));
            break;
        }
        if (phase == WORD) {
            if (is_space(c)) {
                phase = SPACES;
                if (strcmp(bt_strbuf_str(&w), "--") == 0) {
                    *args = rest + pos;
                    return flags;
                }
                if (blank_ok || w.len)
                    bt_strv_push(&flags, bt_strbuf_str(&w));
                bt_strbuf_reset(&w);
                blank_ok = false;
                continue;
            }
            if (c == '\'' || c == '"') {
                quote = c;
                blank_ok = true;
                phase = QUOTE;
                continue;
            }
        } else if (c == quote) {
            phase = WORD;
            continue;
        }
        if (c == ESCAPE) {
            if (!rest[pos + 1]) {
                phase = WORD;
                continue;
            }
            c = rest[++pos];
        }
        bt_strbuf_append_c(&w, c);
    }
    *args = rest + strlen(rest);
    return flags;
}

/* ---- shell-word processing (ProcessWord / ProcessWords) ---- */

struct lex {
    const char *s;
    size_t pos;
    const json_t *env;
    /* words, for ProcessWords: unquoted expansion results split on blanks */
    char ***words;
    struct bt_strbuf word;
    bool in_word;
};

static void word_char(struct lex *l, char c, bool raw)
{
    if (!l->words)
        return;
    if (!raw && is_space(c)) {
        if (l->in_word) {
            bt_strv_push(l->words, bt_strbuf_str(&l->word));
            bt_strbuf_reset(&l->word);
            l->in_word = false;
        }
        return;
    }
    bt_strbuf_append_c(&l->word, c);
    l->in_word = true;
}

static void word_string(struct lex *l, const char *s, bool raw)
{
    for (; *s; s++)
        word_char(l, *s, raw);
    if (raw && l->words)
        l->in_word = true;
}

static const char *env_get(const json_t *env, const char *name, bool *set)
{
    const char *found = NULL;
    size_t n = strlen(name);
    size_t i;
    json_t *v;
    json_array_foreach (env, i, v) {
        const char *kv = json_string_value(v);
        if (kv && strncmp(kv, name, n) == 0 && kv[n] == '=')
            found = kv + n + 1;
    }
    *set = found != NULL;
    return found ? found : "";
}

static bool is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

static char *process_name(struct lex *l)
{
    const char *p = l->s + l->pos;
    size_t n = 0;
    if (isdigit((unsigned char)p[0])) {
        while (isdigit((unsigned char)p[n]))
            n++;
    } else if (p[0] && strchr("@*#?-$!", p[0])) {
        n = 1; /* special parameters: never set in a build */
    } else {
        while (is_name_char(p[n]))
            n++;
    }
    l->pos += n;
    return bt_xstrndup(p, n);
}

static int process(struct lex *l, char stop, struct bt_strbuf *out, bt_err **err);

static char *substitute(struct lex *l, const char *name, char op, bool null_is_unset, bt_err **err)
{
    struct lex inner = {.s = l->s, .pos = l->pos, .env = l->env};
    bt_autostrbuf struct bt_strbuf word = BT_STRBUF_INIT;
    if (process(&inner, '}', &word, err) < 0)
        return NULL;
    l->pos = inner.pos;
    bool set;
    const char *value = env_get(l->env, name, &set);
    bool unset = !set || (null_is_unset && !*value);
    switch (op) {
    case '-':
        return bt_xstrdup(unset ? bt_strbuf_str(&word) : value);
    case '+':
        return bt_xstrdup(unset ? "" : bt_strbuf_str(&word));
    default: /* '?' */
        if (unset) {
            const char *msg = word.len ? bt_strbuf_str(&word)
                              : !set   ? "is not allowed to be unset"
                                       : "is not allowed to be empty";
            bt_err_set(err, BT_E_INVALID, "%s: %s", name, msg);
            return NULL;
        }
        return bt_xstrdup(value);
    }
}

static char *dollar(struct lex *l, bt_err **err)
{
    l->pos++;
    if (l->s[l->pos] != '{') {
        bt_autofree char *name = process_name(l);
        if (!*name)
            return bt_xstrdup("$");
        bool set;
        return bt_xstrdup(env_get(l->env, name, &set));
    }
    l->pos++;
    char c = l->s[l->pos];
    if (!c) {
        bt_err_set(err, BT_E_INVALID, "syntax error: missing '}'");
        return NULL;
    }
    if (c == '{' || c == '}' || c == ':') {
        bt_err_set(err, BT_E_INVALID, "syntax error: bad substitution");
        return NULL;
    }
    bt_autofree char *name = process_name(l);
    c = l->s[l->pos];
    if (!c) {
        bt_err_set(err, BT_E_INVALID, "syntax error: missing '}'");
        return NULL;
    }
    l->pos++;
    if (c == '}') {
        bool set;
        return bt_xstrdup(env_get(l->env, name, &set));
    }
    bool colon = c == ':';
    char op = colon ? l->s[l->pos] : c;
    if (colon && op)
        l->pos++;
    if (op == '-' || op == '+' || op == '?')
        return substitute(l, name, op, colon, err);
    /* ${V#p}, ${V%p}, ${V/p/r} need shell patterns: left to the full Dockerfile parser */
    bt_err_set(err, BT_E_INVALID, "unsupported modifier (%s%c) in substitution", colon ? ":" : "",
               op ? op : ' ');
    return NULL;
}

static int single_quote(struct lex *l, struct bt_strbuf *out, bt_err **err)
{
    size_t start = ++l->pos;
    const char *end = strchr(l->s + start, '\'');
    if (!end)
        return bt_err_set(err, BT_E_INVALID,
                          "unexpected end of statement while looking for matching single-quote");
    size_t n = (size_t)(end - (l->s + start));
    bt_autofree char *text = bt_xstrndup(l->s + start, n);
    bt_strbuf_append(out, text);
    word_string(l, text, true);
    l->pos = start + n + 1;
    return 0;
}

static int double_quote(struct lex *l, struct bt_strbuf *out, bt_err **err)
{
    bt_autostrbuf struct bt_strbuf q = BT_STRBUF_INIT;
    l->pos++;
    for (;;) {
        char c = l->s[l->pos];
        if (!c)
            return bt_err_set(err, BT_E_INVALID,
                              "unexpected end of statement while looking "
                              "for matching double-quote");
        if (c == '"') {
            l->pos++;
            break;
        }
        if (c == '$') {
            bt_autofree char *v = dollar(l, err);
            if (!v)
                return -1;
            bt_strbuf_append(&q, v);
            continue;
        }
        l->pos++;
        if (c == ESCAPE) {
            char next = l->s[l->pos];
            if (!next)
                continue;
            if (next == '"' || next == '$' || next == ESCAPE) {
                c = next;
                l->pos++;
            }
        }
        bt_strbuf_append_c(&q, c);
    }
    bt_strbuf_append(out, bt_strbuf_str(&q));
    word_string(l, bt_strbuf_str(&q), true);
    return 0;
}

static int process(struct lex *l, char stop, struct bt_strbuf *out, bt_err **err)
{
    for (;;) {
        char c = l->s[l->pos];
        if (!c)
            break;
        if (stop && c == stop) {
            l->pos++;
            return 0;
        }
        if (c == '$') {
            bt_autofree char *v = dollar(l, err);
            if (!v)
                return -1;
            bt_strbuf_append(out, v);
            word_string(l, v, false);
            continue;
        }
        if (c == '\'' || c == '"') {
            if ((c == '\'' ? single_quote(l, out, err) : double_quote(l, out, err)) < 0)
                return -1;
            continue;
        }
        l->pos++;
        bool raw = false;
        if (c == ESCAPE) {
            c = l->s[l->pos];
            if (!c)
                break;
            l->pos++;
            raw = true;
        }
        bt_strbuf_append_c(out, c);
        word_char(l, c, raw);
    }
    if (stop)
        return bt_err_set(err, BT_E_INVALID,
                          "unexpected end of statement while looking for matching %c", stop);
    return 0;
}

char *changes_expand(const char *word, const json_t *env, bt_err **err)
{
    struct lex l = {.s = word, .env = env};
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    if (process(&l, 0, &out, err) < 0)
        return NULL;
    return bt_strbuf_steal(&out);
}

char **changes_expand_words(const char *word, const json_t *env, bt_err **err)
{
    char **words = bt_xzalloc(sizeof(char *));
    struct lex l = {.s = word, .env = env, .words = &words};
    bt_autostrbuf struct bt_strbuf out = BT_STRBUF_INIT;
    int rc = process(&l, 0, &out, err);
    if (rc == 0 && l.in_word)
        bt_strv_push(&words, bt_strbuf_str(&l.word));
    bt_strbuf_free(&l.word);
    if (rc < 0) {
        bt_strv_free(words);
        return NULL;
    }
    return words;
}
