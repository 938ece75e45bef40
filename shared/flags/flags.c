/* SPDX-License-Identifier: Apache-2.0 */
#include "shared/flags/flags.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "shared/base/cleanup.h"
#include "shared/base/mem.h"
#include "shared/base/strbuf.h"

struct bt_flag *bt_flags_find(struct bt_flagset *fs, const char *name)
{
    for (struct bt_flag *f = fs->flags; f && f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

static struct bt_flag *find_len(struct bt_flagset *fs, const char *name, size_t n)
{
    for (struct bt_flag *f = fs->flags; f && f->name; f++)
        if (strlen(f->name) == n && strncmp(f->name, name, n) == 0)
            return f;
    return NULL;
}

static struct bt_flag *find_short(struct bt_flagset *fs, char c)
{
    for (struct bt_flag *f = fs->flags; f && f->name; f++)
        if (f->shorthand && f->shorthand == c)
            return f;
    return NULL;
}

/* "-c, --cpu-shares" or "--name": how pflag names a flag in messages */
static char *flag_title(const struct bt_flag *f)
{
    if (f->shorthand)
        return bt_xasprintf("-%c, --%s", f->shorthand, f->name);
    return bt_xasprintf("--%s", f->name);
}

static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < 6; i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

static int set_value(struct bt_flag *f, const char *arg, bt_err **err)
{
    bt_autofree char *title = flag_title(f);
    switch (f->type) {
    case BT_FLAG_BOOL:
        if (parse_bool(arg, f->value) < 0)
            return bt_err_set(err, BT_E_INVALID,
                              "invalid argument \"%s\" for \"%s\" flag: strconv.ParseBool: "
                              "parsing \"%s\": invalid syntax",
                              arg, title, arg);
        break;
    case BT_FLAG_STRING:
        *(const char **)f->value = arg;
        break;
    case BT_FLAG_STRINGS: {
        const char ***v = f->value;
        size_t n = 0;
        while (*v && (*v)[n])
            n++;
        *v = bt_xreallocarray(*v, n + 2, sizeof(char *));
        (*v)[n] = arg;
        (*v)[n + 1] = NULL;
        break;
    }
    case BT_FLAG_INT: {
        char *end = NULL;
        errno = 0;
        long long n = strtoll(arg, &end, 0);
        if (!*arg || *end || errno == ERANGE)
            return bt_err_set(err, BT_E_INVALID,
                              "invalid argument \"%s\" for \"%s\" flag: strconv.ParseInt: "
                              "parsing \"%s\": %s",
                              arg, title, arg,
                              errno == ERANGE ? "value out of range" : "invalid syntax");
        *(int64_t *)f->value = n;
        break;
    }
    case BT_FLAG_FUNC: {
        bt_err *inner = NULL;
        if (f->set(f->value, arg, &inner) < 0) {
            /* pflag: "invalid argument %q for %q flag: %v" */
            struct bt_strbuf q = BT_STRBUF_INIT;
            bt_strbuf_go_quote(&q, arg, strlen(arg));
            bt_err_set(err, BT_E_INVALID, "invalid argument %s for \"%s\" flag: %s",
                       bt_strbuf_str(&q), title, bt_err_msg(inner));
            bt_strbuf_free(&q);
            bt_err_free(inner);
            return -1;
        }
        break;
    }
    }
    f->changed = true;
    return 0;
}

/* --name, --name=value, --name value. *i is advanced past what was used. */
static int parse_long(struct bt_flagset *fs, int argc, char **args, int *i, bt_err **err)
{
    const char *a = args[*i] + 2;
    const char *eq = strchr(a, '=');
    size_t n = eq ? (size_t)(eq - a) : strlen(a);
    if (n == 0 || a[0] == '-' || a[0] == '=')
        return bt_err_set(err, BT_E_INVALID, "bad flag syntax: %s", args[*i]);
    if (n == 4 && strncmp(a, "help", 4) == 0 && !find_len(fs, a, n))
        return BT_FLAGS_HELP;
    struct bt_flag *f = find_len(fs, a, n);
    if (!f)
        return bt_err_set(err, BT_E_INVALID, "unknown flag: --%.*s", (int)n, a);
    if (eq)
        return set_value(f, eq + 1, err);
    if (f->type == BT_FLAG_BOOL)
        return set_value(f, "true", err);
    if (*i + 1 >= argc)
        return bt_err_set(err, BT_E_INVALID, "flag needs an argument: --%s", f->name);
    (*i)++;
    return set_value(f, args[*i], err);
}

/* -abc, -Hvalue, -H=value, -H value */
static int parse_short(struct bt_flagset *fs, int argc, char **args, int *i, bt_err **err)
{
    const char *a = args[*i] + 1;
    for (size_t k = 0; a[k]; k++) {
        char c = a[k];
        struct bt_flag *f = find_short(fs, c);
        if (!f) {
            if (c == 'h')
                return BT_FLAGS_HELP;
            return bt_err_set(err, BT_E_INVALID, "unknown shorthand flag: '%c' in -%s", c, a);
        }
        const char *rest = a + k + 1;
        if (f->type == BT_FLAG_BOOL) {
            if (*rest == '=')
                return set_value(f, rest + 1, err);
            if (set_value(f, "true", err) < 0)
                return -1;
            continue;
        }
        if (*rest)
            return set_value(f, *rest == '=' ? rest + 1 : rest, err);
        if (*i + 1 >= argc)
            return bt_err_set(err, BT_E_INVALID, "flag needs an argument: '%c' in -%s", c, a);
        (*i)++;
        return set_value(f, args[*i], err);
    }
    return 0;
}

int bt_flags_parse(struct bt_flagset *fs, int argc, char **args, char ***positional, bt_err **err)
{
    char **pos = bt_xzalloc(((size_t)argc + 1) * sizeof(char *));
    size_t np = 0;
    int rc = 0;
    for (int i = 0; i < argc && rc == 0; i++) {
        const char *a = args[i];
        if (strcmp(a, "--") == 0) {
            for (i++; i < argc; i++)
                pos[np++] = args[i];
            break;
        }
        if (a[0] != '-' || a[1] == '\0') {
            pos[np++] = args[i];
            if (!fs->interspersed) {
                for (i++; i < argc; i++)
                    pos[np++] = args[i];
                break;
            }
            continue;
        }
        rc = a[1] == '-' ? parse_long(fs, argc, args, &i, err)
                         : parse_short(fs, argc, args, &i, err);
    }
    if (rc != 0) {
        free(pos);
        return rc;
    }
    *positional = pos;
    return BT_FLAGS_OK;
}

const char *bt_flag_metavar(const struct bt_flag *f)
{
    if (f->metavar && f->type != BT_FLAG_BOOL)
        return f->metavar;
    switch (f->type) {
    case BT_FLAG_BOOL:
        return NULL;
    case BT_FLAG_STRING:
        return "string";
    case BT_FLAG_STRINGS:
        return "list";
    case BT_FLAG_INT:
        return "int";
    case BT_FLAG_FUNC:
        return f->metavar;
    }
    return NULL;
}

static int cmp_flags(const void *a, const void *b)
{
    const struct bt_flag *fa = *(const struct bt_flag *const *)a;
    const struct bt_flag *fb = *(const struct bt_flag *const *)b;
    return strcmp(fa->name, fb->name);
}

void bt_flags_print_help(const struct bt_flagset *fs, FILE *out)
{
    /* cobra's template: each section after the usage begins with a blank line; a command
     * without options ends with its description (docker logout --help) */
    fprintf(out, "Usage:  %s\n", fs->usage);
    if (fs->description)
        fprintf(out, "\n%s\n", fs->description);
    bool any = false;
    for (const struct bt_flag *f = fs->flags; f && f->name; f++)
        any = any || !f->hidden;
    if (any)
        fprintf(out, "\n%s:\n", fs->options_title ? fs->options_title : "Options");
    bt_flags_print_options(fs, out);
}

/* pflag's wrapN: the first part of s up to the last blank before column i, and where the rest
 * starts; all of s when it fits within i + slop, or has no blank to cut at. */
static size_t wrap_n(const char *s, size_t i, size_t slop, const char **rest)
{
    size_t len = strlen(s);
    *rest = s + len;
    if (i + slop > len)
        return len;
    size_t w = i, nl = 0;
    while (w > 0 && !strchr(" \t\n", s[w - 1]))
        w--;
    if (w <= 1) /* LastIndexAny found nothing, or the blank is first */
        return len;
    for (size_t k = 0; k < i; k++)
        if (s[k] == '\n')
            nl = k + 1;
    size_t cut = nl > 1 && nl < w ? nl - 1 : w - 1;
    *rest = s + cut + 1;
    return cut;
}

/* Write n bytes of s, every newline followed by indent spaces. */
static void put_indented(FILE *out, const char *s, size_t n, int indent)
{
    for (size_t k = 0; k < n; k++) {
        fputc(s[k], out);
        if (s[k] == '\n')
            fprintf(out, "%*s", indent, "");
    }
}

/* pflag's wrap(i, w, s): the usage column starts at column i (the caller is there); lines end
 * before column w; with too little room the text starts on a line of its own at column 16,
 * and with still too little it is not wrapped at all. */
static void wrap_usage(FILE *out, int i, int w, const char *s)
{
    if (w <= 0) {
        put_indented(out, s, strlen(s), i);
        return;
    }
    int room = w - i;
    bool own_line = room < 24;
    if (own_line) {
        i = 16;
        room = w - i;
    }
    if (room < 24) {
        put_indented(out, s, strlen(s), i);
        return;
    }
    if (own_line)
        fprintf(out, "\n%*s", i, "");
    const size_t slop = 5;
    room -= (int)slop;
    const char *rest;
    size_t n = wrap_n(s, (size_t)room, slop, &rest);
    put_indented(out, s, n, i);
    while (*rest) {
        s = rest;
        n = wrap_n(s, (size_t)room, slop, &rest);
        fprintf(out, "\n%*s", i, "");
        put_indented(out, s, n, i);
    }
}

void bt_flags_print_options(const struct bt_flagset *fs, FILE *out)
{
    size_t n = 0;
    for (const struct bt_flag *f = fs->flags; f && f->name; f++)
        n++;
    const struct bt_flag **sorted = bt_xzalloc((n + 1) * sizeof(*sorted));
    size_t m = 0;
    for (const struct bt_flag *f = fs->flags; f && f->name; f++)
        if (!f->hidden)
            sorted[m++] = f;
    qsort(sorted, m, sizeof(*sorted), cmp_flags);

    /* pflag: the usage column starts three spaces after the longest "-x, --name type" */
    char **heads = bt_xzalloc((m + 1) * sizeof(char *));
    size_t width = 0;
    for (size_t k = 0; k < m; k++) {
        const struct bt_flag *f = sorted[k];
        const char *mv = bt_flag_metavar(f);
        heads[k] = f->shorthand
                           ? bt_xasprintf("  -%c, --%s%s%s", f->shorthand, f->name, mv ? " " : "",
                                          mv ? mv : "")
                           : bt_xasprintf("      --%s%s%s", f->name, mv ? " " : "", mv ? mv : "");
        if (strlen(heads[k]) > width)
            width = strlen(heads[k]);
    }
    for (size_t k = 0; k < m; k++) {
        const struct bt_flag *f = sorted[k];
        struct bt_strbuf text = BT_STRBUF_INIT;
        bt_strbuf_append(&text, f->usage ? f->usage : "");
        if (f->def_text)
            bt_strbuf_appendf(&text,
                              f->type == BT_FLAG_STRING ? " (default \"%s\")" : " (default %s)",
                              f->def_text);
        fprintf(out, "%-*s   ", (int)width, heads[k]);
        wrap_usage(out, (int)width + 3, fs->wrap, bt_strbuf_str(&text));
        fputc('\n', out);
        bt_strbuf_free(&text);
    }
    bt_strv_free(heads);
    free(sorted);
}
