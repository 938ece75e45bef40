/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Dockerfile word lexer. It follows buildkit's shell/lex.go rule for rule (see shell.h and
 * docs/internals/dockerfile.md): the input is read rune by rune (an invalid byte reads as
 * U+FFFD and is written back as such, a leading BOM is skipped, as Go's text/scanner does),
 * quotes and escapes are resolved, $ references are replaced, and for bt_shlex_words() the
 * result is split on white space that came from neither quotes nor escapes.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/base/cleanup.h"
#include "shared/base/strbuf.h"
#include "shared/dockerfile/dockerfile-internal.h"
#include "shared/dockerfile/shell.h"

#define END (-1)
/* ${a:-${b:-${c...}}} recurses; Go's growable stack takes any depth, a C stack does not. */
#define MAX_NESTING 256

const char *bt_shlex_strv_get(void *strv, const char *name)
{
    char **v = strv;
    size_t len = strlen(name);
    const char *found = NULL;
    for (size_t i = 0; v && v[i]; i++)
        if (strncmp(v[i], name, len) == 0 && v[i][len] == '=')
            found = v[i] + len + 1;
    return found;
}

/* The words of bt_shlex_words(), built as characters arrive (buildkit's wordsStruct). */
struct words {
    struct bt_strbuf buf;
    bool in_word;
    char **v;
    size_t n;
};

static void words_flush(struct words *ws)
{
    df_strv_add(&ws->v, &ws->n, bt_strbuf_str(&ws->buf));
    bt_strbuf_reset(&ws->buf);
}

static void words_raw_char(struct words *ws, int32_t c)
{
    if (!ws)
        return;
    df_put_rune(&ws->buf, c);
    ws->in_word = true;
}

static void words_char(struct words *ws, int32_t c)
{
    if (!ws)
        return;
    if (df_is_space(c)) {
        if (ws->in_word && ws->buf.len) {
            words_flush(ws);
            ws->in_word = false;
        }
        return;
    }
    words_raw_char(ws, c);
}

static void words_string(struct words *ws, const char *s, size_t n)
{
    size_t w;
    for (size_t i = 0; i < n; i += w)
        words_char(ws, df_rune(s + i, n - i, &w));
}

static void words_raw_string(struct words *ws, const char *s, size_t n)
{
    if (!ws)
        return;
    bt_strbuf_append_n(&ws->buf, s, n);
    ws->in_word = true;
}

struct sw {
    const struct bt_shlex *lx;
    const struct bt_shlex_env *env;
    const char *s;
    size_t n, pos;
    bool raw_escapes;
    int depth;
    char *errmsg;
};

static int32_t peek(const struct sw *w)
{
    size_t wd;
    return df_rune(w->s + w->pos, w->n - w->pos, &wd);
}

static int32_t next(struct sw *w)
{
    size_t wd;
    int32_t c = df_rune(w->s + w->pos, w->n - w->pos, &wd);
    w->pos += wd;
    return c;
}

__attribute__((format(printf, 2, 3))) static int fail(struct sw *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(w->errmsg);
    w->errmsg = bt_xvasprintf(fmt, ap);
    va_end(ap);
    return -1;
}

static const char *lookup(const struct sw *w, const char *name)
{
    if (!w->env || !w->env->get)
        return NULL;
    return w->env->get(w->env->ctx, name);
}

static int stop_on(struct sw *w, int32_t stop, bool raw_escapes, struct bt_strbuf *res,
                   struct words *ws);

static int single_quote(struct sw *w, struct bt_strbuf *out)
{
    int32_t c = next(w);
    if (w->lx->raw_quotes)
        df_put_rune(out, c);
    for (;;) {
        c = next(w);
        if (c == END)
            return fail(w, "unexpected end of statement while looking for matching "
                           "single-quote");
        if (c == '\'') {
            if (w->lx->raw_quotes)
                df_put_rune(out, c);
            return 0;
        }
        df_put_rune(out, c);
    }
}

static int dollar(struct sw *w, struct bt_strbuf *out);

/* Inside "...", only $, " and the escape character itself can be escaped; any other escape
 * character stays (sh's rule). */
static int double_quote(struct sw *w, struct bt_strbuf *out)
{
    int32_t c = next(w);
    if (w->lx->raw_quotes)
        df_put_rune(out, c);
    for (;;) {
        c = peek(w);
        if (c == END)
            return fail(w, "unexpected end of statement while looking for matching "
                           "double-quote");
        if (c == '"') {
            next(w);
            if (w->lx->raw_quotes)
                df_put_rune(out, c);
            return 0;
        }
        if (c == '$') {
            if (dollar(w, out) < 0)
                return -1;
            continue;
        }
        c = next(w);
        if (c == w->lx->escape) {
            if (w->raw_escapes)
                df_put_rune(out, c);
            int32_t e = peek(w);
            if (e == END)
                continue;
            if (e == '"' || e == '$' || e == w->lx->escape)
                c = next(w);
        }
        df_put_rune(out, c);
    }
}

/* "<<" and the blanks after it stay one piece, so "<<  EOF" is one word (heredoc detection). */
static int possible_heredoc(struct sw *w, struct bt_strbuf *out)
{
    next(w);
    if (peek(w) != '<') {
        bt_strbuf_append_c(out, '<');
        return 0;
    }
    next(w);
    bt_strbuf_append(out, "<<");
    for (int32_t c = peek(w); c == '\t' || c == '\r' || c == ' '; c = peek(w))
        df_put_rune(out, next(w));
    return 0;
}

static bool is_special_param(int32_t c)
{
    return c > 0 && c < 0x80 && strchr("@*#?-$!0", c) != NULL;
}

static char *read_name(struct sw *w)
{
    struct bt_strbuf name = BT_STRBUF_INIT;
    for (int32_t c = peek(w); c != END; c = peek(w)) {
        if (name.len == 0 && df_is_digit(c)) {
            while (df_is_digit(peek(w)))
                df_put_rune(&name, next(w));
            break;
        }
        if (name.len == 0 && is_special_param(c)) {
            df_put_rune(&name, next(w));
            break;
        }
        if (!df_is_letter(c) && !df_is_digit(c) && c != '_')
            break;
        df_put_rune(&name, next(w));
    }
    return bt_strbuf_steal(&name);
}

/* ---- shell patterns: ${x#pat}, ${x%pat}, ${x/pat/repl} ---- */

enum ptok_kind { PT_LIT, PT_ANY, PT_STAR };

struct ptok {
    enum ptok_kind kind;
    int32_t c;
};

/* convertShellPatternToRegex: * any run, ? one character (neither crosses a newline, as
 * Go's "." does not), \ escapes *, ? and \ only; "\}" and "\/" are "}" and "/". */
static int pattern_compile(struct sw *w, const char *pat, struct ptok **out, size_t *nout)
{
    size_t n = strlen(pat), i = 0, wd, k = 0;
    struct ptok *t = bt_xreallocarray(NULL, n + 1, sizeof(*t));
    while (i < n) {
        int32_t c = df_rune(pat + i, n - i, &wd);
        i += wd;
        if (c == '*' || c == '?') {
            t[k++] = (struct ptok){c == '*' ? PT_STAR : PT_ANY, 0};
            continue;
        }
        if (c == '\\') {
            int32_t e = df_rune(pat + i, n - i, &wd);
            if (e == '}' || e == '/')
                continue;
            i += wd;
            if (e != '*' && e != '?' && e != '\\') {
                struct bt_strbuf r = BT_STRBUF_INIT;
                df_put_rune(&r, e);
                fail(w, "invalid pattern (%s) in substitution: invalid escape '\\%s'", pat,
                     bt_strbuf_str(&r));
                bt_strbuf_free(&r);
                free(t);
                return -1;
            }
            c = e;
        }
        t[k++] = (struct ptok){PT_LIT, c};
    }
    *out = t;
    *nout = k;
    return 0;
}

/* The states reachable without input from the set in cur (a star may match nothing). */
static void closure(const struct ptok *t, size_t m, bool *cur)
{
    for (size_t i = 0; i < m; i++)
        if (cur[i] && t[i].kind == PT_STAR)
            cur[i + 1] = true;
}

/* Run the pattern anchored at s[0]: the end of the shortest (or longest) prefix of s[0..n) it
 * matches as a whole, or -1. */
static long pattern_prefix(const struct ptok *t, size_t m, const char *s, size_t n, bool longest)
{
    bt_autofree bool *cur = bt_xzalloc(m + 1);
    bt_autofree bool *nxt = bt_xzalloc(m + 1);
    cur[0] = true;
    closure(t, m, cur);
    long best = -1;
    size_t pos = 0, wd;
    for (;;) {
        if (cur[m]) {
            best = (long)pos;
            if (!longest)
                return best;
        }
        if (pos >= n)
            break;
        int32_t c = df_rune(s + pos, n - pos, &wd);
        pos += wd;
        memset(nxt, 0, m + 1);
        bool any = false;
        for (size_t i = 0; i < m; i++) {
            if (!cur[i])
                continue;
            if (t[i].kind == PT_STAR && c != '\n')
                nxt[i] = any = true;
            else if ((t[i].kind == PT_ANY && c != '\n') || (t[i].kind == PT_LIT && t[i].c == c))
                nxt[i + 1] = any = true;
        }
        if (!any)
            break;
        closure(t, m, nxt);
        memcpy(cur, nxt, m + 1);
    }
    return best;
}

/* reverseString: by runes (invalid bytes come back as U+FFFD, as in Go). */
static char *reverse_runes(const char *s)
{
    size_t n = strlen(s), wd;
    struct bt_strbuf out = BT_STRBUF_INIT;
    size_t *starts = bt_xreallocarray(NULL, n + 1, sizeof(size_t));
    size_t k = 0;
    for (size_t i = 0; i < n; i += wd) {
        df_rune(s + i, n - i, &wd);
        starts[k++] = i;
    }
    bt_strbuf_append(&out, "");
    while (k-- > 0) {
        size_t i = starts[k];
        df_put_rune(&out, df_rune(s + i, n - i, &wd));
    }
    free(starts);
    return bt_strbuf_steal(&out);
}

/* ${x#pat} / ${x##pat}, and with suffix ${x%pat} / ${x%%pat} (the pattern and the value
 * reversed, as buildkit does). */
static int trim_pattern(struct sw *w, const char *pat, const char *value, bool greedy, bool suffix,
                        struct bt_strbuf *out)
{
    struct ptok *t;
    size_t m;
    if (pattern_compile(w, pat, &t, &m) < 0)
        return -1;
    bt_autofree char *rev = suffix ? reverse_runes(value) : NULL;
    const char *v = suffix ? rev : value;
    if (suffix)
        for (size_t i = 0; i < m / 2; i++) {
            struct ptok x = t[i];
            t[i] = t[m - 1 - i];
            t[m - 1 - i] = x;
        }
    long end = pattern_prefix(t, m, v, strlen(v), greedy);
    free(t);
    const char *rest = end >= 0 ? v + end : v;
    if (suffix) {
        bt_autofree char *back = reverse_runes(rest);
        bt_strbuf_append(out, back);
    } else {
        bt_strbuf_append(out, rest);
    }
    return 0;
}

/* The leftmost match at or after from (on rune boundaries), the longest at that start (what
 * Go's leftmost-first search gives for these patterns). One pass: each pattern state keeps the
 * earliest start that reached it, since a later start in the same state can only lose. */
static bool pattern_find(const struct ptok *t, size_t m, const char *s, size_t n, size_t from,
                         size_t *ms, size_t *me)
{
    const size_t none = SIZE_MAX;
    bt_autofree size_t *cur = bt_xreallocarray(NULL, m + 1, sizeof(size_t));
    bt_autofree size_t *nxt = bt_xreallocarray(NULL, m + 1, sizeof(size_t));
    for (size_t i = 0; i <= m; i++)
        cur[i] = none;
    bool found = false;
    size_t pos = from, wd;
    for (;;) {
        if (!found && cur[0] == none)
            cur[0] = pos;
        for (size_t i = 0; i < m; i++)
            if (t[i].kind == PT_STAR && cur[i] < cur[i + 1])
                cur[i + 1] = cur[i];
        if (cur[m] != none && (!found || cur[m] < *ms || (cur[m] == *ms && pos > *me))) {
            found = true;
            *ms = cur[m];
            *me = pos;
        }
        bool alive = false;
        for (size_t i = 0; i <= m; i++) {
            if (found && cur[i] != none && cur[i] > *ms)
                cur[i] = none;
            alive |= cur[i] != none;
        }
        if (pos >= n || (found && !alive))
            return found;
        int32_t c = df_rune(s + pos, n - pos, &wd);
        pos += wd;
        for (size_t i = 0; i <= m; i++)
            nxt[i] = none;
        for (size_t i = 0; i < m; i++) {
            if (cur[i] == none)
                continue;
            size_t to = i + 1;
            if (t[i].kind == PT_STAR)
                to = i;
            if ((t[i].kind == PT_LIT && t[i].c != c) || (t[i].kind != PT_LIT && c == '\n'))
                continue;
            if (cur[i] < nxt[to])
                nxt[to] = cur[i];
        }
        size_t *tmp = cur;
        cur = nxt;
        nxt = tmp;
    }
}

/* Go's Regexp.Expand for a pattern without groups: $$ is $, $0 / ${0} the match, any other
 * well-formed $name nothing, a malformed $ itself. */
static void expand_replacement(struct bt_strbuf *out, const char *tpl, const char *match,
                               size_t mlen)
{
    while (*tpl) {
        const char *d = strchr(tpl, '$');
        if (!d) {
            break;
        }
        bt_strbuf_append_n(out, tpl, (size_t)(d - tpl));
        tpl = d + 1;
        if (*tpl == '$') {
            bt_strbuf_append_c(out, '$');
            tpl++;
            continue;
        }
        const char *p = tpl;
        bool brace = *p == '{';
        if (brace)
            p++;
        size_t i = 0, wd;
        for (;;) {
            int32_t c = df_rune(p + i, strlen(p + i), &wd);
            if (c == END || (!df_is_letter(c) && !df_is_digit(c) && c != '_'))
                break;
            i += wd;
        }
        if (i == 0 || (brace && p[i] != '}')) {
            bt_strbuf_append_c(out, '$');
            continue;
        }
        if (i == 1 && p[0] == '0')
            bt_strbuf_append_n(out, match, mlen);
        tpl = p + i + (brace ? 1 : 0);
    }
    bt_strbuf_append(out, tpl);
}

static int replace_pattern(struct sw *w, const char *pat, const char *repl, const char *value,
                           bool all, struct bt_strbuf *out)
{
    struct ptok *t;
    size_t m, n = strlen(value), ms, me;
    if (pattern_compile(w, pat, &t, &m) < 0)
        return -1;
    if (!all) {
        if (pattern_find(t, m, value, n, 0, &ms, &me)) {
            bt_strbuf_append_n(out, value, ms);
            bt_strbuf_append(out, repl);
            bt_strbuf_append(out, value + me);
        } else {
            bt_strbuf_append(out, value);
        }
        free(t);
        return 0;
    }
    /* Regexp.ReplaceAllString: non-overlapping matches left to right; an empty match right
     * after a match is not replaced; the search always advances. */
    size_t search = 0, last = 0, wd;
    while (search <= n && pattern_find(t, m, value, n, search, &ms, &me)) {
        bt_strbuf_append_n(out, value + last, ms - last);
        if (me > last || ms == 0)
            expand_replacement(out, repl, value + ms, me - ms);
        last = me;
        if (search < n)
            df_rune(value + search, n - search, &wd);
        else
            wd = 1;
        if (search + wd > me)
            search += wd;
        else if (search + 1 > me)
            search++;
        else
            search = me;
    }
    bt_strbuf_append(out, value + last);
    free(t);
    return 0;
}

/* ---- $ references ---- */

/* The word after a modifier, up to '}'. */
static int modifier_word(struct sw *w, bool raw, struct bt_strbuf *word)
{
    if (++w->depth > MAX_NESTING)
        return fail(w, "syntax error: substitutions nested too deeply");
    int rc = stop_on(w, '}', raw, word, NULL);
    w->depth--;
    if (rc < 0 && peek(w) == END)
        return fail(w, "syntax error: missing '}'");
    return rc;
}

static int modifier(struct sw *w, const char *name, int32_t c, bool null_is_unset, const char *chs,
                    struct bt_strbuf *out)
{
    bool raw = c == '#' || c == '%';
    if (null_is_unset && raw)
        return fail(w, "unsupported modifier (%s) in substitution", chs);
    bt_autostrbuf struct bt_strbuf wb = BT_STRBUF_INIT;
    if (modifier_word(w, raw, &wb) < 0)
        return -1;
    const char *word = bt_strbuf_str(&wb);
    const char *value = lookup(w, name);
    if (!value && w->lx->skip_unset) {
        bt_strbuf_appendf(out, "${%s%s%s}", name, chs, word);
        return 0;
    }
    bool empty = !value || (null_is_unset && !*value);
    switch (c) {
    case '-':
        bt_strbuf_append(out, empty ? word : value);
        return 0;
    case '+':
        bt_strbuf_append(out, empty ? "" : word);
        return 0;
    case '?':
        if (!value)
            return fail(w, "%s: %s", name, *word ? word : "is not allowed to be unset");
        if (null_is_unset && !*value)
            return fail(w, "%s: %s", name, *word ? word : "is not allowed to be empty");
        bt_strbuf_append(out, value);
        return 0;
    case '%':
    case '#': {
        bool greedy = word[0] == c;
        return trim_pattern(w, word + (greedy ? 1 : 0), value ? value : "", greedy, c == '%', out);
    }
    default:
        return fail(w, "unsupported modifier (%s) in substitution", chs);
    }
}

static int substitution(struct sw *w, const char *name, struct bt_strbuf *out)
{
    bool all = peek(w) == '/';
    if (all)
        next(w);
    bt_autostrbuf struct bt_strbuf pat = BT_STRBUF_INIT;
    bt_autostrbuf struct bt_strbuf repl = BT_STRBUF_INIT;
    if (++w->depth > MAX_NESTING)
        return fail(w, "syntax error: substitutions nested too deeply");
    int rc = stop_on(w, '/', true, &pat, NULL);
    if (rc < 0 && peek(w) == END)
        rc = fail(w, "syntax error: missing '/' in ${}");
    if (rc == 0) {
        rc = stop_on(w, '}', true, &repl, NULL);
        if (rc < 0 && peek(w) == END)
            rc = fail(w, "syntax error: missing '}'");
    }
    w->depth--;
    if (rc < 0)
        return -1;
    const char *value = lookup(w, name);
    if (!value && w->lx->skip_unset) {
        bt_strbuf_appendf(out, "${%s/%s/%s}", name, bt_strbuf_str(&pat), bt_strbuf_str(&repl));
        return 0;
    }
    return replace_pattern(w, bt_strbuf_str(&pat), bt_strbuf_str(&repl), value ? value : "", all,
                           out);
}

static int dollar(struct sw *w, struct bt_strbuf *out)
{
    next(w);
    if (peek(w) != '{') {
        bt_autofree char *name = read_name(w);
        const char *value = *name ? lookup(w, name) : NULL;
        if (!*name)
            bt_strbuf_append_c(out, '$');
        else if (!value && w->lx->skip_unset)
            bt_strbuf_appendf(out, "$%s", name);
        else
            bt_strbuf_append(out, value ? value : "");
        return 0;
    }
    next(w);
    int32_t c = peek(w);
    if (c == END)
        return fail(w, "syntax error: missing '}'");
    if (c == '{' || c == '}' || c == ':')
        return fail(w, "syntax error: bad substitution");
    bt_autofree char *name = read_name(w);
    c = next(w);
    bt_autostrbuf struct bt_strbuf chs = BT_STRBUF_INIT;
    df_put_rune(&chs, c);
    if (c == '}') {
        const char *value = lookup(w, name);
        if (!value && w->lx->skip_unset)
            bt_strbuf_appendf(out, "${%s}", name);
        else
            bt_strbuf_append(out, value ? value : "");
        return 0;
    }
    if (c == '/')
        return substitution(w, name, out);
    if (c == ':') {
        c = next(w);
        df_put_rune(&chs, c);
        return modifier(w, name, c, true, bt_strbuf_str(&chs), out);
    }
    if (c == '+' || c == '-' || c == '?' || c == '#' || c == '%')
        return modifier(w, name, c, false, bt_strbuf_str(&chs), out);
    return fail(w, "unsupported modifier (%s) in substitution", bt_strbuf_str(&chs));
}

/* processStopOn: read until stop (END: the end of input), resolving quotes, escapes and $. */
static int stop_on(struct sw *w, int32_t stop, bool raw_escapes, struct bt_strbuf *res,
                   struct words *ws)
{
    bool saved = w->raw_escapes;
    w->raw_escapes = raw_escapes;
    int rc = 0;
    bt_strbuf_append(res, "");
    for (int32_t c = peek(w); c != END; c = peek(w)) {
        if (stop != END && c == stop) {
            next(w);
            goto out;
        }
        bool quote = !w->lx->skip_quotes && (c == '\'' || c == '"');
        if (c == '$' || c == '<' || quote) {
            bt_autostrbuf struct bt_strbuf tmp = BT_STRBUF_INIT;
            int r = c == '$'    ? dollar(w, &tmp)
                    : c == '<'  ? possible_heredoc(w, &tmp)
                    : c == '\'' ? single_quote(w, &tmp)
                                : double_quote(w, &tmp);
            if (r < 0) {
                rc = -1;
                goto out;
            }
            bt_strbuf_append_n(res, tmp.buf ? tmp.buf : "", tmp.len);
            if (c == '$')
                words_string(ws, tmp.buf, tmp.len);
            else
                words_raw_string(ws, tmp.buf ? tmp.buf : "", tmp.len);
            continue;
        }
        c = next(w);
        if (c == w->lx->escape) {
            if (w->raw_escapes) {
                words_raw_char(ws, c);
                df_put_rune(res, c);
            }
            c = next(w);
            if (c == END)
                break;
            words_raw_char(ws, c);
        } else {
            words_char(ws, c);
        }
        df_put_rune(res, c);
    }
    if (stop != END) {
        struct bt_strbuf s = BT_STRBUF_INIT;
        df_put_rune(&s, stop);
        rc = fail(w, "unexpected end of statement while looking for matching %s",
                  bt_strbuf_str(&s));
        bt_strbuf_free(&s);
    }
out:
    w->raw_escapes = saved;
    return rc;
}

static int process(const struct bt_shlex *lx, const char *word, const struct bt_shlex_env *env,
                   struct bt_strbuf *res, struct words *ws, bt_err **err)
{
    struct sw w = {.lx = lx, .env = env, .s = word, .n = strlen(word)};
    w.raw_escapes = lx->raw_escapes;
    if (w.n >= 3 && memcmp(word, "\xEF\xBB\xBF", 3) == 0)
        w.pos = 3; /* text/scanner skips a byte order mark at the start */
    if (stop_on(&w, END, lx->raw_escapes, res, ws) == 0)
        return 0;
    bt_autofree char *q = df_quote(word);
    bt_err_set(err, BT_E_INVALID, "failed to process %s: %s", q, w.errmsg);
    free(w.errmsg);
    return -1;
}

char *bt_shlex_word(const struct bt_shlex *lx, const char *word, const struct bt_shlex_env *env,
                    bt_err **err)
{
    struct bt_strbuf res = BT_STRBUF_INIT;
    if (process(lx, word, env, &res, NULL, err) < 0) {
        bt_strbuf_free(&res);
        return NULL;
    }
    return bt_strbuf_steal(&res);
}

char **bt_shlex_words(const struct bt_shlex *lx, const char *word, const struct bt_shlex_env *env,
                      bt_err **err)
{
    bt_autostrbuf struct bt_strbuf res = BT_STRBUF_INIT;
    struct words ws = {BT_STRBUF_INIT, false, NULL, 0};
    int rc = process(lx, word, env, &res, &ws, err);
    if (rc == 0 && ws.buf.len)
        words_flush(&ws);
    bt_strbuf_free(&ws.buf);
    if (rc < 0) {
        bt_strv_free(ws.v);
        return NULL;
    }
    if (!ws.v)
        ws.v = bt_xzalloc(sizeof(char *));
    return ws.v;
}
