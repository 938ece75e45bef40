/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One logical line -> one node: the keyword, the --flags before the arguments, and the
 * arguments split the way each instruction splits them (buildkit's parser/line_parsers.go and
 * split_command.go). Quotes and escapes are kept in the arguments here; the word expansion of
 * shell.c removes them later, with the variables of the build at hand.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/dockerfile/dockerfile-internal.h"

/* ONBUILD ONBUILD ... nests; the instruction layer refuses even one level, the syntax layer
 * stops where a C stack would suffer. */
#define MAX_ONBUILD_DEPTH 16

static const char *const cmd_names[] = {
        [BT_DF_UNKNOWN] = "",        [BT_DF_ADD] = "add",
        [BT_DF_ARG] = "arg",         [BT_DF_CMD] = "cmd",
        [BT_DF_COPY] = "copy",       [BT_DF_ENTRYPOINT] = "entrypoint",
        [BT_DF_ENV] = "env",         [BT_DF_EXPOSE] = "expose",
        [BT_DF_FROM] = "from",       [BT_DF_HEALTHCHECK] = "healthcheck",
        [BT_DF_LABEL] = "label",     [BT_DF_MAINTAINER] = "maintainer",
        [BT_DF_ONBUILD] = "onbuild", [BT_DF_RUN] = "run",
        [BT_DF_SHELL] = "shell",     [BT_DF_STOPSIGNAL] = "stopsignal",
        [BT_DF_USER] = "user",       [BT_DF_VOLUME] = "volume",
        [BT_DF_WORKDIR] = "workdir",
};

const char *bt_df_cmd_name(enum bt_df_cmd cmd)
{
    if ((size_t)cmd >= sizeof(cmd_names) / sizeof(cmd_names[0]))
        return "";
    return cmd_names[cmd];
}

enum bt_df_cmd df_cmd_lookup(const char *keyword)
{
    for (size_t i = 1; i < sizeof(cmd_names) / sizeof(cmd_names[0]); i++)
        if (strcasecmp(keyword, cmd_names[i]) == 0)
            return (enum bt_df_cmd)i;
    return BT_DF_UNKNOWN;
}

/* Go's regexp [\t\v\f\r ] (reWhitespace): the splitting of FROM, EXPOSE and the keyword. */
static bool re_space(char c)
{
    return c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == ' ';
}

static void add_arg(struct bt_df_node *n, const char *s, size_t len)
{
    n->args = df_grow(n->args, n->nargs + 1, sizeof(char *));
    n->arg_len = df_grow(n->arg_len, n->nargs, sizeof(size_t));
    n->args[n->nargs] = bt_xmalloc(len + 1);
    memcpy(n->args[n->nargs], s, len);
    n->args[n->nargs][len] = '\0';
    n->arg_len[n->nargs] = len;
    n->args[++n->nargs] = NULL;
}

static void add_arg_str(struct bt_df_node *n, const char *s)
{
    add_arg(n, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static struct bt_df_node *fail(char **errmsg, const char *fmt,
                                                                     ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(*errmsg);
    *errmsg = bt_xvasprintf(fmt, ap);
    va_end(ap);
    return NULL;
}

/* ---- JSON arrays (exec form) ---- */

enum json_result { JSON_STRINGS, JSON_INVALID, JSON_NOT_STRINGS };

struct json {
    const char *p, *end;
};

static void json_ws(struct json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
        j->p++;
}

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

static int32_t json_u4(const char *p, const char *end)
{
    if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
        return -1;
    int32_t v = 0;
    for (int i = 2; i < 6; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* A JSON string at j->p (validated; decoded into out when out is not NULL, the way Go's
 * encoding/json does: invalid UTF-8 and lone surrogates become U+FFFD). */
static bool json_string(struct json *j, struct bt_strbuf *out)
{
    j->p++;
    while (j->p < j->end) {
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') {
            j->p++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c != '\\') {
            size_t w;
            int32_t r = df_rune(j->p, (size_t)(j->end - j->p), &w);
            if (out && r == 0xFFFD && w == 1)
                df_put_rune(out, r);
            else if (out)
                bt_strbuf_append_n(out, j->p, w);
            j->p += w;
            continue;
        }
        if (j->end - j->p < 2)
            return false;
        char e = j->p[1];
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char map[] = "\"\\/\b\f\n\r\t";
            if (out)
                bt_strbuf_append_c(out, map[simple - "\"\\/bfnrt"]);
            j->p += 2;
            continue;
        }
        int32_t r = e == 'u' ? json_u4(j->p, j->end) : -1;
        if (r < 0)
            return false;
        j->p += 6;
        if (r >= 0xD800 && r < 0xE000) {
            int32_t r2 = json_u4(j->p, j->end);
            if (r < 0xDC00 && r2 >= 0xDC00 && r2 < 0xE000) {
                r = 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00);
                j->p += 6;
            } else {
                r = 0xFFFD;
            }
        }
        if (out)
            df_put_rune(out, r);
    }
    return false;
}

static bool json_number(struct json *j)
{
    const char *p = j->p;
    if (p < j->end && *p == '-')
        p++;
    if (p >= j->end || !(*p >= '0' && *p <= '9'))
        return false;
    if (*p == '0')
        p++;
    else
        while (p < j->end && *p >= '0' && *p <= '9')
            p++;
    if (p < j->end && *p == '.') {
        p++;
        if (p >= j->end || !(*p >= '0' && *p <= '9'))
            return false;
        while (p < j->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < j->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < j->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= j->end || !(*p >= '0' && *p <= '9'))
            return false;
        while (p < j->end && *p >= '0' && *p <= '9')
            p++;
    }
    j->p = p;
    return true;
}

/* Any JSON value, nested at most 10000 deep as Go's decoder allows; iterative, a stack of the
 * open containers ('[' or '{'). */
static bool json_value(struct json *j)
{
    enum { MAX_DEPTH = 10000 };
    char stack[MAX_DEPTH];
    size_t depth = 0;
    for (;;) {
        json_ws(j);
        if (j->p >= j->end)
            return false;
        char c = *j->p;
        bool closed_empty = false;
        if (c == '[' || c == '{') {
            if (depth >= MAX_DEPTH)
                return false;
            stack[depth++] = c;
            j->p++;
            json_ws(j);
            if (j->p < j->end && *j->p == (c == '[' ? ']' : '}')) {
                j->p++;
                depth--;
                closed_empty = true;
            } else if (c == '{') {
                if (j->p >= j->end || *j->p != '"' || !json_string(j, NULL))
                    return false;
                json_ws(j);
                if (j->p >= j->end || *j->p++ != ':')
                    return false;
                continue;
            } else {
                continue;
            }
        }
        if (!closed_empty) {
            static const char *const lits[] = {"true", "false", "null"};
            bool ok = false;
            if (c == '"') {
                ok = json_string(j, NULL);
            } else if (c == '-' || (c >= '0' && c <= '9')) {
                ok = json_number(j);
            } else {
                for (size_t i = 0; i < 3 && !ok; i++) {
                    size_t l = strlen(lits[i]);
                    if ((size_t)(j->end - j->p) >= l && memcmp(j->p, lits[i], l) == 0) {
                        j->p += l;
                        ok = true;
                    }
                }
            }
            if (!ok)
                return false;
        }
        /* after a value: close containers or go on with the next element */
        for (;;) {
            if (depth == 0)
                return true;
            json_ws(j);
            if (j->p >= j->end)
                return false;
            char open = stack[depth - 1];
            if (*j->p == (open == '[' ? ']' : '}')) {
                j->p++;
                depth--;
                continue;
            }
            if (*j->p != ',')
                return false;
            j->p++;
            if (open == '{') {
                json_ws(j);
                if (j->p >= j->end || *j->p != '"' || !json_string(j, NULL))
                    return false;
                json_ws(j);
                if (j->p >= j->end || *j->p++ != ':')
                    return false;
            }
            break;
        }
    }
}

/* parseJSON: rest must be one JSON array and nothing else. Its strings go into n. */
static enum json_result parse_json(const char *rest, struct bt_df_node *n)
{
    size_t w;
    while (*rest && df_is_space(df_rune(rest, strlen(rest), &w)))
        rest += w;
    if (*rest != '[')
        return JSON_INVALID;
    struct json j = {rest, rest + strlen(rest)};
    if (!json_value(&j))
        return JSON_INVALID;
    json_ws(&j);
    if (j.p != j.end)
        return JSON_INVALID;
    /* valid: now every element must be a string */
    j.p = rest + 1;
    for (;;) {
        json_ws(&j);
        if (*j.p == ']')
            break;
        if (*j.p != '"')
            return JSON_NOT_STRINGS;
        struct bt_strbuf s = BT_STRBUF_INIT;
        bt_strbuf_append(&s, "");
        json_string(&j, &s);
        add_arg(n, s.buf, s.len);
        bt_strbuf_free(&s);
        json_ws(&j);
        if (*j.p == ',')
            j.p++;
    }
    n->json = true;
    return JSON_STRINGS;
}

/* ---- the line parsers ---- */

/* parseWords: words separated by white space; quotes group and are kept, the escape character
 * is kept with the character it escapes. */
static char **parse_words(const char *rest, char escape)
{
    enum { SPACES, WORD, QUOTE } phase = SPACES;
    char **words = bt_xzalloc(sizeof(char *));
    size_t nwords = 0;
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bool blank_ok = false;
    int32_t quote = 0;
    size_t len = strlen(rest), w = 0;
    for (size_t pos = 0; pos <= len; pos += w) {
        int32_t ch = pos < len ? df_rune(rest + pos, len - pos, &w) : -1;
        if (phase == SPACES) {
            if (pos == len)
                break;
            if (df_is_space(ch))
                continue;
            phase = WORD;
        }
        if (pos == len) {
            if (blank_ok || sb.len)
                df_strv_add(&words, &nwords, bt_strbuf_str(&sb));
            break;
        }
        if (phase == WORD) {
            if (df_is_space(ch)) {
                phase = SPACES;
                if (blank_ok || sb.len)
                    df_strv_add(&words, &nwords, bt_strbuf_str(&sb));
                bt_strbuf_reset(&sb);
                blank_ok = false;
                continue;
            }
            if (ch == '\'' || ch == '"') {
                quote = ch;
                blank_ok = true;
                phase = QUOTE;
            }
            if (ch == escape) {
                if (pos + w == len)
                    continue;
                df_put_rune(&sb, ch);
                pos += w;
                ch = df_rune(rest + pos, len - pos, &w);
            }
            df_put_rune(&sb, ch);
            continue;
        }
        if (ch == quote)
            phase = WORD;
        if (ch == escape && quote != '\'') {
            if (pos + w == len) {
                phase = WORD;
                continue;
            }
            pos += w;
            df_put_rune(&sb, ch);
            ch = df_rune(rest + pos, len - pos, &w);
        }
        df_put_rune(&sb, ch);
    }
    return words;
}

static void add_kv(struct bt_df_node *n, const char *k, size_t klen, const char *v, const char *sep)
{
    add_arg(n, k, klen);
    add_arg_str(n, v);
    add_arg_str(n, sep);
}

/* parseNameVal (ENV, LABEL): "KEY value..." (the old form: the rest of the line is the value)
 * or "k=v k2=v2"; which one is decided by the first word holding "=". */
static struct bt_df_node *parse_name_val(struct bt_df_node *n, const char *rest, char escape,
                                         const char *what, char **errmsg)
{
    bt_autostrv char **words = parse_words(rest, escape);
    if (!words[0])
        return n;
    if (!strchr(words[0], '=')) {
        size_t k = 0;
        while (rest[k] && !re_space(rest[k]))
            k++;
        size_t v = k;
        while (rest[v] && re_space(rest[v]))
            v++;
        if (!rest[k])
            return fail(errmsg, "%s must have two arguments", what);
        add_kv(n, rest, k, rest + v, "");
        return n;
    }
    for (size_t i = 0; words[i]; i++) {
        const char *eq = strchr(words[i], '=');
        if (!eq) {
            bt_autofree char *q = df_quote(words[i]);
            return fail(errmsg,
                        "Syntax error - can't find = in %s. Must be of the form: "
                        "name=value",
                        q);
        }
        add_kv(n, words[i], (size_t)(eq - words[i]), eq + 1, "=");
    }
    return n;
}

/* parseStringsWhitespaceDelimited: FROM, EXPOSE, and ADD/COPY/VOLUME when not JSON. */
static void parse_ws_list(struct bt_df_node *n, const char *rest)
{
    const char *p = rest;
    while (*p) {
        const char *e = p;
        while (*e && !re_space(*e))
            e++;
        add_arg(n, p, (size_t)(e - p));
        while (*e && re_space(*e))
            e++;
        p = e;
    }
}

static struct bt_df_node *not_strings(char **errmsg)
{
    return fail(errmsg, "when using JSON array syntax, arrays must be comprised of strings only");
}

/* parseMaybeJSON: RUN, CMD, ENTRYPOINT, SHELL. */
static struct bt_df_node *parse_maybe_json(struct bt_df_node *n, const char *rest, char **errmsg)
{
    if (!*rest)
        return n;
    enum json_result r = parse_json(rest, n);
    if (r == JSON_NOT_STRINGS)
        return not_strings(errmsg);
    if (r == JSON_INVALID)
        add_arg_str(n, rest);
    return n;
}

/* parseHealthConfig: the type word, then as parseMaybeJSON. The type ends at a byte that
 * unicode.IsSpace takes as white space, as buildkit reads it (bytes as runes). */
static struct bt_df_node *parse_health(struct bt_df_node *n, const char *rest, char **errmsg)
{
    size_t sep = 0;
    while (rest[sep] && !df_is_space((unsigned char)rest[sep]))
        sep++;
    if (sep == 0)
        return n;
    size_t next = sep;
    while (rest[next] && df_is_space((unsigned char)rest[next]))
        next++;
    add_arg(n, rest, sep);
    return parse_maybe_json(n, rest + next, errmsg);
}

static bool flag_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* extractBuilderFlags: the leading words that start with "--" are flags (quotes and escapes
 * resolved); "--" alone ends them. Returns where the arguments start. */
static const char *extract_flags(const char *line, char escape, struct bt_df_node *n)
{
    enum { SPACES, WORD, QUOTE } phase = SPACES;
    bt_autostrbuf struct bt_strbuf sb = BT_STRBUF_INIT;
    bool blank_ok = false;
    char quote = 0;
    size_t len = strlen(line);
    for (size_t pos = 0; pos <= len; pos++) {
        char ch = line[pos];
        if (phase == SPACES) {
            if (pos == len)
                break;
            if (flag_space(ch))
                continue;
            if (ch != '-' || pos + 1 == len || line[pos + 1] != '-')
                return line + pos;
            phase = WORD;
        }
        if (pos == len) {
            const char *word = bt_strbuf_str(&sb);
            if (strcmp(word, "--") != 0 && (blank_ok || sb.len))
                df_strv_add(&n->flags, &n->nflags, word);
            break;
        }
        if (phase == WORD) {
            if (flag_space(ch)) {
                const char *word = bt_strbuf_str(&sb);
                phase = SPACES;
                if (strcmp(word, "--") == 0)
                    return line + pos;
                if (blank_ok || sb.len)
                    df_strv_add(&n->flags, &n->nflags, word);
                bt_strbuf_reset(&sb);
                blank_ok = false;
                continue;
            }
            if (ch == '\'' || ch == '"') {
                quote = ch;
                blank_ok = true;
                phase = QUOTE;
                continue;
            }
        } else if (ch == quote) {
            phase = WORD;
            continue;
        }
        if (ch == escape) {
            if (pos + 1 == len) {
                phase = WORD;
                continue;
            }
            ch = line[++pos];
        }
        bt_strbuf_append_c(&sb, ch);
    }
    return line + len;
}

static struct bt_df_node *dispatch(struct bt_df_node *n, const char *rest,
                                   const struct df_directives *d, int depth, char **errmsg)
{
    switch (n->cmd) {
    case BT_DF_ADD:
    case BT_DF_COPY:
    case BT_DF_VOLUME: {
        enum json_result r = parse_json(rest, n);
        if (r == JSON_NOT_STRINGS)
            return not_strings(errmsg);
        if (r == JSON_INVALID)
            parse_ws_list(n, rest);
        return n;
    }
    case BT_DF_CMD:
    case BT_DF_ENTRYPOINT:
    case BT_DF_RUN:
    case BT_DF_SHELL:
        return parse_maybe_json(n, rest, errmsg);
    case BT_DF_ARG: {
        bt_autostrv char **words = parse_words(rest, d->escape);
        for (size_t i = 0; words[i]; i++)
            add_arg_str(n, words[i]);
        return n;
    }
    case BT_DF_ENV:
        return parse_name_val(n, rest, d->escape, "ENV", errmsg);
    case BT_DF_LABEL:
        return parse_name_val(n, rest, d->escape, "LABEL", errmsg);
    case BT_DF_EXPOSE:
    case BT_DF_FROM:
        parse_ws_list(n, rest);
        return n;
    case BT_DF_HEALTHCHECK:
        return parse_health(n, rest, errmsg);
    case BT_DF_MAINTAINER:
    case BT_DF_STOPSIGNAL:
    case BT_DF_USER:
    case BT_DF_WORKDIR:
        if (*rest)
            add_arg_str(n, rest);
        return n;
    case BT_DF_ONBUILD:
        if (!*rest)
            return n;
        if (depth >= MAX_ONBUILD_DEPTH)
            return fail(errmsg, "ONBUILD triggers nested too deeply");
        n->sub = df_node_from_line(rest, d, depth + 1, errmsg);
        return n->sub ? n : NULL;
    case BT_DF_UNKNOWN:
        add_arg_str(n, "");
        return n;
    }
    return n;
}

struct bt_df_node *df_node_from_line(const char *line, const struct df_directives *d, int depth,
                                     char **errmsg)
{
    size_t len = strlen(line);
    const char *s = df_trim_space(line, &len);
    size_t k = 0;
    while (k < len && !re_space(s[k]))
        k++;
    struct bt_df_node *n = bt_xzalloc(sizeof(*n));
    n->keyword = bt_xstrndup(s, k);
    n->original = bt_xstrdup(line);
    n->cmd = df_cmd_lookup(n->keyword);
    n->flags = bt_xzalloc(sizeof(char *));
    n->args = bt_xzalloc(sizeof(char *));
    bt_autofree char *rest = NULL;
    if (k < len) {
        while (k < len && re_space(s[k]))
            k++;
        bt_autofree char *tail = bt_xstrndup(s + k, len - k);
        const char *a = extract_flags(tail, d->escape, n);
        size_t alen = strlen(a);
        a = df_trim_space(a, &alen);
        rest = bt_xstrndup(a, alen);
    } else {
        rest = bt_xstrdup("");
    }
    if (!dispatch(n, rest, d, depth, errmsg)) {
        bt_df_node_free(n);
        return NULL;
    }
    return n;
}

void df_node_free_members(struct bt_df_node *n)
{
    free(n->keyword);
    free(n->original);
    bt_strv_free(n->flags);
    bt_strv_free(n->args);
    free(n->arg_len);
    if (n->sub)
        bt_df_node_free(n->sub);
    for (size_t i = 0; i < n->nheredocs; i++) {
        free(n->heredocs[i].name);
        free(n->heredocs[i].content);
    }
    free(n->heredocs);
}

void bt_df_node_free(struct bt_df_node *n)
{
    if (!n)
        return;
    df_node_free_members(n);
    free(n);
}
