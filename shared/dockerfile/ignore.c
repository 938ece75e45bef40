/* SPDX-License-Identifier: Apache-2.0 */
/*
 * .dockerignore patterns. patternmatcher turns each pattern into a Go regexp after sorting out
 * the easy kinds (an exact path; a prefix, for "dir" followed by a trailing double star; a
 * suffix, for a leading double star and a plain name); this file keeps those kinds and runs
 * the regexp ones on a small NFA of the same tokens, so the result is the same and no pattern
 * can make matching slower than linear. Where patternmatcher's regexp translation is
 * accidental (a "*" inside [...], regexp escapes such as "\d") this file takes the pattern as
 * filepath.Match would; docs/internals/dockerfile.md lists those cases.
 */
#include <string.h>

#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/path.h"
#include "shared/base/strbuf.h"
#include "shared/dockerfile/dockerfile-internal.h"
#include "shared/dockerfile/ignore.h"

enum match_type { M_EXACT, M_PREFIX, M_SUFFIX, M_REGEXP };

enum tok_kind {
    T_LIT,       /* one character */
    T_ANY,       /* ?   : [^/] */
    T_STAR,      /* *   : [^/]* */
    T_DSTAR,     /* **  : (.* then a slash)?  in the middle */
    T_DSTAR_END, /* **  : .*      at the end */
    T_CLASS,     /* [...] */
    T_BOL,       /* an unescaped ^: the regexp's start-of-text assertion */
};

struct crange {
    int32_t lo, hi;
};

struct tok {
    enum tok_kind kind;
    int32_t c;
    bool negated;
    struct crange *ranges;
    size_t nranges;
};

struct pattern {
    char *text; /* cleaned, without its "!" */
    bool exception;
    enum match_type type;
    struct tok *toks;
    size_t ntoks;
};

struct bt_ignore {
    struct pattern *p;
    size_t n;
    bool exceptions;
};

/* filepath.Match's getEsc: one (possibly escaped) class character. */
static bool class_char(const char **s, int32_t *c)
{
    const char *p = *s;
    if (!*p || *p == '-' || *p == ']')
        return false;
    if (*p == '\\' && !*++p)
        return false;
    size_t w;
    *c = df_rune(p, strlen(p), &w);
    if (*c == 0xFFFD && w == 1)
        return false;
    p += w;
    if (!*p)
        return false;
    *s = p;
    return true;
}

/* A class after its "[" as filepath.Match reads it; the ranges go into t when it is not NULL.
 * False on a syntax error, or on a range Go's regexp refuses (z-a). */
static bool parse_class(const char **s, struct tok *t)
{
    const char *p = *s;
    bool negated = *p == '^';
    if (negated)
        p++;
    size_t n = 0;
    for (;;) {
        if (*p == ']' && n > 0) {
            p++;
            break;
        }
        int32_t lo, hi;
        if (!class_char(&p, &lo))
            return false;
        hi = lo;
        if (*p == '-') {
            p++;
            if (!class_char(&p, &hi))
                return false;
        }
        if (hi < lo)
            return false;
        if (t) {
            t->ranges = bt_xreallocarray(t->ranges, n + 1, sizeof(*t->ranges));
            t->ranges[n] = (struct crange){lo, hi};
        }
        n++;
    }
    if (t) {
        t->kind = T_CLASS;
        t->negated = negated;
        t->nranges = n;
    }
    *s = p;
    return true;
}

/* filepath.Match(pattern, ".")'s error check: classes well formed, no trailing "\". */
static bool valid_glob(const char *p)
{
    while (*p) {
        if (*p == '\\') {
            if (!p[1])
                return false;
            p += 2;
        } else if (*p == '[') {
            p++;
            if (!parse_class(&p, NULL))
                return false;
        } else {
            p++;
        }
    }
    return true;
}

static void add_tok(struct pattern *pt, struct tok t)
{
    pt->toks = bt_xreallocarray(pt->toks, pt->ntoks + 1, sizeof(t));
    pt->toks[pt->ntoks++] = t;
}

/* Pattern.compile: the kind of match, and the tokens for the regexp kind. */
static void compile(struct pattern *pt)
{
    enum match_type type = M_EXACT;
    const char *s = pt->text;
    size_t w;
    for (int i = 0; *s; i++) {
        int32_t c = df_rune(s, strlen(s), &w);
        s += w;
        if (c == '*' && *s == '*') {
            s++;
            if (*s == '/')
                s++;
            if (!*s) {
                if (type == M_EXACT) {
                    type = M_PREFIX;
                } else {
                    add_tok(pt, (struct tok){.kind = T_DSTAR_END});
                    type = M_REGEXP;
                }
            } else {
                add_tok(pt, (struct tok){.kind = T_DSTAR});
                type = M_REGEXP;
            }
            if (i == 0)
                type = M_SUFFIX;
        } else if (c == '*' || c == '?') {
            add_tok(pt, (struct tok){.kind = c == '*' ? T_STAR : T_ANY});
            type = M_REGEXP;
        } else if (c == '\\') {
            if (*s) {
                c = df_rune(s, strlen(s), &w);
                s += w;
                type = M_REGEXP;
            }
            add_tok(pt, (struct tok){.kind = T_LIT, .c = c});
        } else if (c == '[') {
            struct tok t = {0};
            parse_class(&s, &t); /* checked by valid_glob() */
            add_tok(pt, t);
            type = M_REGEXP;
        } else if (c == ']') {
            add_tok(pt, (struct tok){.kind = T_LIT, .c = c});
            type = M_REGEXP;
        } else {
            add_tok(pt, (struct tok){.kind = c == '^' ? T_BOL : T_LIT, .c = c});
        }
    }
    pt->type = type;
}

static bool class_has(const struct tok *t, int32_t c)
{
    bool in = false;
    for (size_t i = 0; i < t->nranges && !in; i++)
        in = c >= t->ranges[i].lo && c <= t->ranges[i].hi;
    return in != t->negated;
}

/* The states the tokens reach without reading: past a star (which can match nothing), into
 * and past "**", past "^" at the start. */
static void closure(const struct pattern *pt, bool *at, bool *inside, size_t pos)
{
    for (size_t i = 0; i < pt->ntoks; i++) {
        if (!at[i])
            continue;
        switch (pt->toks[i].kind) {
        case T_STAR:
        case T_DSTAR_END:
            at[i + 1] = true;
            break;
        case T_DSTAR:
            at[i + 1] = inside[i] = true;
            break;
        case T_BOL:
            if (pos == 0)
                at[i + 1] = true;
            break;
        default:
            break;
        }
    }
}

static void step(const struct pattern *pt, const bool *at, const bool *inside, int32_t c, bool *nat,
                 bool *ninside)
{
    for (size_t i = 0; i < pt->ntoks; i++) {
        const struct tok *t = &pt->toks[i];
        if (inside[i]) {
            if (c != '\n')
                ninside[i] = true;
            if (c == '/')
                nat[i + 1] = true;
        }
        if (!at[i])
            continue;
        switch (t->kind) {
        case T_LIT:
            nat[i + 1] |= c == t->c;
            break;
        case T_ANY:
            nat[i + 1] |= c != '/';
            break;
        case T_STAR:
            nat[i] |= c != '/';
            break;
        case T_DSTAR_END:
            nat[i] |= c != '\n';
            break;
        case T_CLASS:
            nat[i + 1] |= class_has(t, c);
            break;
        default:
            break;
        }
    }
}

/* ^tokens$ over the runes of s, all states at once. */
static bool regexp_match(const struct pattern *pt, const char *s)
{
    size_t m = pt->ntoks, n = strlen(s), w;
    bt_autofree bool *buf = bt_xzalloc(4 * (m + 1));
    bool *at = buf, *inside = buf + (m + 1), *nat = buf + 2 * (m + 1), *nin = buf + 3 * (m + 1);
    at[0] = true;
    closure(pt, at, inside, 0);
    for (size_t pos = 0; pos < n; pos += w) {
        int32_t c = df_rune(s + pos, n - pos, &w);
        memset(nat, 0, 2 * (m + 1));
        step(pt, at, inside, c, nat, nin);
        closure(pt, nat, nin, pos + w);
        memcpy(at, nat, 2 * (m + 1));
        bool any = false;
        for (size_t i = 0; i <= m && !any; i++)
            any = at[i] || inside[i];
        if (!any)
            return false;
    }
    return at[m];
}

static bool has_prefix(const char *s, const char *p, size_t plen)
{
    return strncmp(s, p, plen) == 0;
}

static bool pattern_match(const struct pattern *pt, const char *path)
{
    size_t len = strlen(pt->text), plen = strlen(path);
    switch (pt->type) {
    case M_EXACT:
        return strcmp(path, pt->text) == 0;
    case M_PREFIX:
        return has_prefix(path, pt->text, len - 2);
    case M_SUFFIX: {
        const char *suffix = pt->text + 2;
        size_t slen = len - 2;
        if (plen >= slen && memcmp(path + plen - slen, suffix, slen) == 0)
            return true;
        return suffix[0] == '/' && strcmp(path, suffix + 1) == 0;
    }
    case M_REGEXP:
        return regexp_match(pt, path);
    }
    return false;
}

char **bt_ignore_read(const char *data, size_t len)
{
    char **out = bt_xzalloc(sizeof(char *));
    size_t pos = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    while (pos < len) {
        const char *line = data + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl ? 1 : 0);
        if (n > 0 && line[n - 1] == '\r')
            n--;
        if (n > 0 && line[0] == '#')
            continue;
        const char *p = df_trim_space(line, &n);
        if (n == 0)
            continue;
        bool invert = p[0] == '!';
        if (invert) {
            p++;
            n--;
            p = df_trim_space(p, &n);
        }
        bt_autofree char *raw = bt_xstrndup(p, n);
        bt_autofree char *clean = n ? bt_path_clean(raw) : bt_xstrdup("");
        const char *c = clean;
        if (strlen(c) > 1 && c[0] == '/')
            c++;
        bt_autofree char *pat = bt_xasprintf("%s%s", invert ? "!" : "", c);
        bt_strv_push(&out, pat);
    }
    return out;
}

static void pattern_clear(struct pattern *pt)
{
    free(pt->text);
    for (size_t i = 0; i < pt->ntoks; i++)
        free(pt->toks[i].ranges);
    free(pt->toks);
}

void bt_ignore_free(struct bt_ignore *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        pattern_clear(&m->p[i]);
    free(m->p);
    free(m);
}

struct bt_ignore *bt_ignore_new(char *const *patterns, bt_err **err)
{
    struct bt_ignore *m = bt_xzalloc(sizeof(*m));
    for (size_t i = 0; patterns && patterns[i]; i++) {
        size_t n = strlen(patterns[i]);
        const char *t = df_trim_space(patterns[i], &n);
        if (n == 0)
            continue;
        bt_autofree char *raw = bt_xstrndup(t, n);
        char *p = bt_path_clean(raw);
        struct pattern pt = {.text = p};
        if (p[0] == '!') {
            if (!p[1]) {
                free(p);
                bt_ignore_free(m);
                bt_err_set(err, BT_E_INVALID, "illegal exclusion pattern: \"!\"");
                return NULL;
            }
            pt.exception = m->exceptions = true;
            memmove(p, p + 1, strlen(p));
        }
        if (!valid_glob(p)) {
            bt_autofree char *q = df_quote(patterns[i]);
            free(p);
            bt_ignore_free(m);
            bt_err_set(err, BT_E_INVALID, "invalid pattern %s: syntax error in pattern", q);
            return NULL;
        }
        compile(&pt);
        m->p = bt_xreallocarray(m->p, m->n + 1, sizeof(pt));
        m->p[m->n++] = pt;
    }
    return m;
}

struct bt_ignore *bt_ignore_parse(const char *data, size_t len, bt_err **err)
{
    bt_autostrv char **patterns = bt_ignore_read(data, len);
    return bt_ignore_new(patterns, err);
}

/* MatchesOrParentMatches: patterns in order; each is tried on the path and on its parent
 * directories ("a", "a/b" for "a/b/c"); an exception is only tried once the path is excluded
 * and a plain pattern only while it is not. */
bool bt_ignore_matches(const struct bt_ignore *m, const char *path)
{
    bt_autofree char *file = bt_path_clean(path);
    if (strcmp(file, ".") == 0)
        return false;
    bt_autofree char *parent = bt_path_dirname(file);
    bool has_parent = strcmp(parent, ".") != 0;
    bool matched = false;
    for (size_t i = 0; i < m->n; i++) {
        const struct pattern *pt = &m->p[i];
        if (pt->exception != matched)
            continue;
        bool match = pattern_match(pt, file);
        if (!match && has_parent) {
            for (char *slash = strchr(parent, '/');; slash = strchr(slash + 1, '/')) {
                if (slash)
                    *slash = '\0';
                match = pattern_match(pt, parent);
                if (slash)
                    *slash = '/';
                if (match || !slash)
                    break;
            }
        }
        if (match)
            matched = !pt->exception;
    }
    return matched;
}

/* fsutil's patternWithoutTrailingGlob */
static size_t without_trailing_glob(const char *p)
{
    size_t n = strlen(p);
    if (n >= 3 && strcmp(p + n - 3, "/**") == 0)
        n -= 3;
    else if (n >= 2 && strcmp(p + n - 2, "/*") == 0)
        n -= 2;
    return n;
}

bool bt_ignore_must_walk(const struct bt_ignore *m, const char *dir)
{
    if (!m->exceptions)
        return false;
    for (size_t i = 0; i < m->n; i++) {
        const struct pattern *pt = &m->p[i];
        size_t n = without_trailing_glob(pt->text);
        if (pt->exception && strcspn(pt->text, "*[]?^\\") < n)
            return true;
    }
    bt_autofree char *d = bt_path_clean(dir);
    size_t dlen = strlen(d);
    for (size_t i = 0; i < m->n; i++) {
        const struct pattern *pt = &m->p[i];
        size_t n = without_trailing_glob(pt->text);
        /* (pattern + "/") starts with (dir + "/") */
        if (pt->exception && n + 1 >= dlen + 1 && strncmp(pt->text, d, dlen) == 0 &&
            (n == dlen || pt->text[dlen] == '/'))
            return true;
    }
    return false;
}

bool bt_ignore_has_exceptions(const struct bt_ignore *m)
{
    return m->exceptions;
}

size_t bt_ignore_count(const struct bt_ignore *m)
{
    return m->n;
}

const char *bt_ignore_pattern(const struct bt_ignore *m, size_t i, bool *exception)
{
    if (i >= m->n)
        return NULL;
    if (exception)
        *exception = m->p[i].exception;
    return m->p[i].text;
}
